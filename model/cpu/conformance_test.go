package cpu_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
)

// ONNX's own backend test data, as the Debian package libonnx-testdata
// installs it (ONNX 1.12). Each case is a directory with model.onnx and
// test_data_set_N/{input_K.pb,output_K.pb}, serialized TensorProtos.
const (
	onnxTestData = "/usr/share/libonnx-testdata/data"
	onnxSkipList = "testdata/onnx_backend_skip.txt"
)

// The suite's directories; "real" (large real-world models) is left out.
var onnxSuiteDirs = []string{"node", "pytorch-converted", "pytorch-operator", "simple"}

// Float outputs must satisfy |got-want| <= suiteAtol + suiteRtol*|want|
// element by element (NaN matches only NaN, an infinity only the same
// infinity); integer and bool outputs must match exactly.
const (
	suiteRtol = 1e-3
	suiteAtol = 1e-5
)

type suiteTally struct{ passed, skipped, failed, unclaimed, bound int }

// TestONNXBackendSuite runs every case of ONNX's backend test suite that the
// engine claims: the model decodes, the CPU backend has all its ops, and its
// test data uses only element types the engine has. A claimed case either
// matches the reference outputs or is listed, with a reason, in
// testdata/onnx_backend_skip.txt. The list is kept exact: an entry that
// names a missing or unclaimed case, or a case that passes, is an error.
func TestONNXBackendSuite(t *testing.T) {
	if _, err := os.Stat(onnxTestData); err != nil {
		t.Skipf("ONNX backend test data not found at %s (`make deps` installs libonnx-testdata): %v", onnxTestData, err)
	}
	skips, err := readSkipList(onnxSkipList)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	total := suiteTally{}
	perDir := map[string]*suiteTally{}
	unclaimedWhy := map[string]int{}
	for _, dir := range onnxSuiteDirs {
		entries, err := os.ReadDir(filepath.Join(onnxTestData, dir))
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		tally := &suiteTally{}
		perDir[dir] = tally
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			name := dir + "/" + e.Name()
			_, listed := skips[name]
			if listed {
				used[name] = true
			}
			bound := false
			claimed, why, err := runSuiteCase(filepath.Join(onnxTestData, dir, e.Name()), &bound)
			if bound && claimed && err == nil {
				tally.bound++
			}
			switch {
			case !claimed:
				tally.unclaimed++
				unclaimedWhy[why]++
				if listed {
					t.Errorf("%s is in %s but is not claimed (%s): remove the entry", name, onnxSkipList, why)
				}
			case err == nil && listed:
				tally.passed++
				t.Errorf("%s is in %s but passes: remove the entry", name, onnxSkipList)
			case err == nil:
				tally.passed++
			case listed:
				tally.skipped++
			default:
				tally.failed++
				t.Errorf("%s: %v", name, err)
			}
		}
		total.passed += tally.passed
		total.skipped += tally.skipped
		total.failed += tally.failed
		total.unclaimed += tally.unclaimed
		total.bound += tally.bound
	}
	for name := range skips {
		if !used[name] {
			t.Errorf("%s names %s, which is not a case of the suite", onnxSkipList, name)
		}
	}
	t.Logf("onnx backend suite: %d passed, %d skipped, %d failed, %d not claimed (unsupported ops)",
		total.passed, total.skipped, total.failed, total.unclaimed)
	t.Logf("  (%d of the passes bound shape-deciding graph inputs as constants)", total.bound)
	for _, dir := range onnxSuiteDirs {
		d := perDir[dir]
		t.Logf("  %-18s %4d passed, %3d skipped, %3d failed, %3d not claimed", dir+":", d.passed, d.skipped, d.failed, d.unclaimed)
	}
	if testing.Verbose() {
		whys := make([]string, 0, len(unclaimedWhy))
		for w := range unclaimedWhy {
			whys = append(whys, w)
		}
		sort.Slice(whys, func(i, j int) bool {
			a, b := whys[i], whys[j]
			return unclaimedWhy[a] > unclaimedWhy[b] || unclaimedWhy[a] == unclaimedWhy[b] && a < b
		})
		for _, w := range whys {
			t.Logf("  not claimed: %3d  %s", unclaimedWhy[w], w)
		}
	}
}

// readSkipList reads "<dir>/<case>  <reason>" lines; # starts a comment.
func readSkipList(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		name, reason, _ := strings.Cut(s, " ")
		reason = strings.TrimSpace(reason)
		if reason == "" {
			return nil, fmt.Errorf("%s:%d: %s has no reason", path, line, name)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%s:%d: %s is listed twice", path, line, name)
		}
		m[name] = reason
	}
	return m, sc.Err()
}

// runSuiteCase runs one case. claimed is false (with why) when the engine
// does not claim the case; err is the first failure of a claimed case.
// bound is set when inputs had to be bound as constants.
func runSuiteCase(dir string, bound *bool) (claimed bool, why string, err error) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return true, "", err
	}
	g, err := onnx.Decode(data)
	if err != nil {
		return false, "decode: " + shorten(err.Error()), nil
	}
	var ue *cpu.UnsupportedError
	if err := cpu.CheckSupported(g); errors.As(err, &ue) {
		return false, "op " + ue.Op, nil
	} else if err != nil {
		return false, err.Error(), nil
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	sort.Strings(sets)
	if len(sets) == 0 {
		return true, "", errors.New("no test data sets")
	}
	type dataSet struct{ ins, outs []*protoTensor }
	var all []dataSet
	for _, set := range sets {
		var ds dataSet
		for _, kind := range []string{"input", "output"} {
			for k := 0; ; k++ {
				b, err := os.ReadFile(filepath.Join(set, fmt.Sprintf("%s_%d.pb", kind, k)))
				if errors.Is(err, os.ErrNotExist) {
					break
				} else if err != nil {
					return true, "", err
				}
				pt, err := parseTensorProto(b)
				if err != nil {
					// Sequences, maps and optionals are not TensorProtos.
					return false, "test data is not a plain tensor", nil
				}
				if pt.elem == 0 {
					return false, "test data is not a plain tensor", nil
				}
				if pt.dtype == graph.Undefined {
					return false, "dtype " + onnx.ElemTypeName(pt.elem), nil
				}
				if kind == "input" {
					ds.ins = append(ds.ins, pt)
				} else {
					ds.outs = append(ds.outs, pt)
				}
			}
		}
		all = append(all, ds)
	}
	for _, v := range append(append([]graph.ValueInfo{}, g.Inputs...), g.Outputs...) {
		if v.DType == graph.Undefined {
			return false, "graph value " + v.Name + " has a type the engine lacks", nil
		}
	}

	for si, ds := range all {
		if len(ds.ins) != len(g.Inputs) {
			return true, "", fmt.Errorf("%s: %d inputs for a graph with %d", filepath.Base(sets[si]), len(ds.ins), len(g.Inputs))
		}
		if len(ds.outs) != len(g.Outputs) {
			return true, "", fmt.Errorf("%s: %d outputs for a graph with %d", filepath.Base(sets[si]), len(ds.outs), len(g.Outputs))
		}
		byName := map[string]*graph.Tensor{}
		for k, in := range g.Inputs {
			byName[in.Name] = ds.ins[k].t
		}
		// The engine fixes shapes at compile time. Where a graph input
		// decides a shape (Reshape's shape, Slice's starts, Conv's weights),
		// bind the inputs after the first, then all of them, as constants:
		// what is tested is then the op, run by constant folding.
		keeps := []int{len(g.Inputs)}
		if len(g.Inputs) > 1 {
			keeps = append(keeps, 1)
		}
		if len(g.Inputs) > 0 {
			keeps = append(keeps, 0)
		}
		var p *cpu.Program
		for _, keep := range keeps {
			p, err = compileBound(g, ds.ins, keep)
			if err == nil && keep < len(g.Inputs) {
				*bound = true
			}
			if err == nil || !strings.Contains(err.Error(), "must be known before run time") {
				break
			}
		}
		if err != nil {
			return true, "", fmt.Errorf("compile: %v", err)
		}
		for k, in := range p.Inputs {
			src := byName[p.Names.Inputs[k]]
			if in.DType != src.DType {
				return true, "", fmt.Errorf("input %q is %s in the program, %s in the test data", p.Names.Inputs[k], in.DType, src.DType)
			}
			copy(in.F, src.F)
			copy(in.I, src.I)
			copy(in.B, src.B)
		}
		if err := p.Execute(); err != nil {
			return true, "", err
		}
		for k, got := range p.Outputs {
			if err := compareSuite(got, ds.outs[k]); err != nil {
				return true, "", fmt.Errorf("%s output %q: %v", filepath.Base(sets[si]), p.Names.Outputs[k], err)
			}
		}
		// A second run gives the same outputs and allocates nothing.
		if allocs := testing.AllocsPerRun(1, func() { _ = p.Execute() }); allocs != 0 {
			return true, "", fmt.Errorf("%s: a run allocates %.0f times", filepath.Base(sets[si]), allocs)
		}
		for k, got := range p.Outputs {
			if err := compareSuite(got, ds.outs[k]); err != nil {
				return true, "", fmt.Errorf("%s output %q, second run: %v", filepath.Base(sets[si]), p.Names.Outputs[k], err)
			}
		}
	}
	return true, "", nil
}

// compileBound compiles g for the shapes of ins, keeping its first keep
// inputs as inputs and turning the others into initializers holding ins.
func compileBound(g *graph.Graph, ins []*protoTensor, keep int) (p *cpu.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("binding inputs as constants: %v", r)
		}
	}()
	if keep < len(g.Inputs) {
		bg := *g
		bg.Inputs = g.Inputs[:keep]
		bg.Initializers = maps.Clone(g.Initializers)
		for k := keep; k < len(g.Inputs); k++ {
			bg.Initializers[g.Inputs[k].Name] = ins[k].t.Clone()
		}
		g = &bg
	}
	opt := cpu.Options{InputShapes: map[string][]int{}}
	for k, in := range g.Inputs {
		opt.InputShapes[in.Name] = ins[k].t.Shape
	}
	return cpu.Compile(g, opt)
}

func shorten(s string) string {
	if i := strings.IndexAny(s, ":\"'"); i > 0 && len(s) > 60 {
		return s[:i]
	}
	return s
}

func compareSuite(got *graph.Tensor, want *protoTensor) error {
	w := want.t
	if !sameInts(got.Shape, w.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, w.Shape)
	}
	if got.DType != w.DType {
		return fmt.Errorf("type %s, want %s (%s)", got.DType, w.DType, onnx.ElemTypeName(want.elem))
	}
	switch w.DType {
	case graph.Float32:
		bad, first := 0, -1
		for i, wv := range want.f64 {
			gv := float64(got.F[i])
			ok := false
			switch {
			case math.IsNaN(wv):
				ok = math.IsNaN(gv)
			case math.IsInf(wv, 0):
				ok = gv == wv
			default:
				ok = math.Abs(gv-wv) <= suiteAtol+suiteRtol*math.Abs(wv)
			}
			if !ok {
				if first < 0 {
					first = i
				}
				bad++
			}
		}
		if bad > 0 {
			return fmt.Errorf("%d of %d values differ; first at %d: got %g, want %g (rtol %g, atol %g)",
				bad, len(want.f64), first, got.F[first], want.f64[first], suiteRtol, suiteAtol)
		}
	case graph.Int64:
		for i, wv := range w.I {
			if got.I[i] != wv {
				return fmt.Errorf("value %d: got %d, want %d", i, got.I[i], wv)
			}
		}
	case graph.Bool:
		for i, wv := range w.B {
			if got.B[i] != wv {
				return fmt.Errorf("value %d: got %v, want %v", i, got.B[i], wv)
			}
		}
	}
	return nil
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// protoTensor is a decoded onnx TensorProto: the engine tensor, the ONNX
// element type, and float values at full (float64) precision.
type protoTensor struct {
	name string
	elem int64
	// dtype is the engine type for elem, Undefined when the engine has none.
	dtype graph.DType
	t     *graph.Tensor
	f64   []float64
}

// parseTensorProto reads the TensorProto fields the suite uses: dims (1),
// data_type (2), float_data (4), int32_data (5), int64_data (7), name (8),
// raw_data (9), double_data (10) and uint64_data (11). It does this itself
// because onnx-go's reader mis-decodes bool raw_data.
func parseTensorProto(data []byte) (*protoTensor, error) {
	pt := &protoTensor{}
	b := data
	var dims []int
	var raw []byte
	var hasRaw bool
	var floats []float32
	var doubles []float64
	var ints []int64 // int32_data, int64_data and uint64_data, whichever is set
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case (num == 1 || num == 5 || num == 7 || num == 11) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			for len(v) > 0 {
				x, m := protowire.ConsumeVarint(v)
				if m < 0 {
					return nil, protowire.ParseError(m)
				}
				v = v[m:]
				if num == 1 {
					dims = append(dims, int(int64(x)))
				} else if num == 5 {
					ints = append(ints, int64(int32(x)))
				} else {
					ints = append(ints, int64(x))
				}
			}
			b = b[n:]
		case (num == 1 || num == 2 || num == 5 || num == 7 || num == 11) && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			switch num {
			case 1:
				dims = append(dims, int(int64(x)))
			case 2:
				pt.elem = int64(x)
			case 5:
				ints = append(ints, int64(int32(x)))
			default:
				ints = append(ints, int64(x))
			}
		case num == 4 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 || len(v)%4 != 0 {
				return nil, errors.New("bad float_data")
			}
			for i := 0; i < len(v); i += 4 {
				floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(v[i:])))
			}
			b = b[n:]
		case num == 4 && typ == protowire.Fixed32Type:
			x, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			floats = append(floats, math.Float32frombits(x))
			b = b[n:]
		case num == 10 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 || len(v)%8 != 0 {
				return nil, errors.New("bad double_data")
			}
			for i := 0; i < len(v); i += 8 {
				doubles = append(doubles, math.Float64frombits(binary.LittleEndian.Uint64(v[i:])))
			}
			b = b[n:]
		case num == 10 && typ == protowire.Fixed64Type:
			x, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			doubles = append(doubles, math.Float64frombits(x))
			b = b[n:]
		case num == 8 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			pt.name = string(v)
			b = b[n:]
		case num == 9 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			raw, hasRaw = v, true
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	if dims == nil {
		dims = []int{}
	}
	count := graph.NumElems(dims)
	pt.dtype = onnx.DType(pt.elem)
	if pt.dtype == graph.Undefined {
		return pt, nil
	}
	if pt.elem != 1 && pt.elem != 11 {
		// Integer, bool and 16-bit float types: the decoder's own reading.
		t, _, _, err := onnx.DecodeTensor(data)
		if err != nil {
			return nil, err
		}
		pt.t = t
		return pt, nil
	}
	t := graph.New(pt.dtype, dims)
	pt.t = t
	short := func(have int) error {
		if have != count {
			return fmt.Errorf("tensor %q %v holds %d values", pt.name, dims, have)
		}
		return nil
	}
	switch pt.elem {
	case 1, 11: // float, double
		pt.f64 = make([]float64, 0, count)
		switch {
		case hasRaw && pt.elem == 1:
			for i := 0; i+4 <= len(raw); i += 4 {
				pt.f64 = append(pt.f64, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
			}
		case hasRaw:
			for i := 0; i+8 <= len(raw); i += 8 {
				pt.f64 = append(pt.f64, math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
			}
		case pt.elem == 1:
			for _, v := range floats {
				pt.f64 = append(pt.f64, float64(v))
			}
		default:
			pt.f64 = append(pt.f64, doubles...)
		}
		if err := short(len(pt.f64)); err != nil {
			return nil, err
		}
		for i, v := range pt.f64 {
			t.F[i] = float32(v)
		}
	case 9: // bool: one byte per element in raw_data
		if hasRaw {
			for i := 0; i < len(raw) && i < count; i++ {
				t.B[i] = raw[i] != 0
			}
			return pt, short(len(raw))
		}
		for i := 0; i < len(ints) && i < count; i++ {
			t.B[i] = ints[i] != 0
		}
		return pt, short(len(ints))
	default: // int32, int64
		if hasRaw {
			size := 8
			if pt.elem == 6 {
				size = 4
			}
			if err := short(len(raw) / size); err != nil {
				return nil, err
			}
			for i := range t.I {
				if size == 4 {
					t.I[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
				} else {
					t.I[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
				}
			}
			return pt, nil
		}
		if err := short(len(ints)); err != nil {
			return nil, err
		}
		copy(t.I, ints)
	}
	return pt, nil
}
