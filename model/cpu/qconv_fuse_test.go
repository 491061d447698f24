package cpu_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// The QDQ MobileNetV2 that testdata/ortops/make_qdq_mobilenetv2.py writes
// (git-ignored; the tests skip without it), with ORT's outputs on the
// shared photos: *.ort.bin with ORT's QDQ fusion (QLinearConv), *.ort0.bin
// with graph optimizations off (float-emulated QDQ), *.float.bin from the
// float model.
const qdqV2 = "../../.cache/quant/v2"

func argmaxF(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func maxAbsDiff(a, b []float32) (d float64, n int) {
	for i := range a {
		e := math.Abs(float64(a[i]) - float64(b[i]))
		if e > 0 {
			n++
		}
		d = math.Max(d, e)
	}
	return
}

// The fused QDQ MobileNetV2 (every Conv a QConv) agrees with ONNX
// Runtime's own QDQ fusion on the shared photos, top-1 on all of them;
// and Program.Export's graph compiles to the same outputs bit for bit.
func TestQDQMobileNetV2(t *testing.T) {
	path := filepath.Join(qdqV2, "mobilenet_v2_qdq.onnx")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("GLIMPSE_CORPUS_REQUIRED") == "1" { // make test generates it
			t.Fatalf("no QDQ MobileNetV2 (make corpus writes it): %v", err)
		}
		t.Skip("no QDQ MobileNetV2 (run testdata/ortops/make_qdq_mobilenetv2.py)")
	}
	fused := compileFile(t, path, cpu.Options{})
	plain := compileFile(t, path, cpu.Options{NoFusion: true, NoQDQFusion: true})
	if h := fused.Graph.OpHistogram(); h["QConv"] != 53 || h["Conv"] != 0 {
		t.Errorf("fused ops: %s", fused.OpCounts())
	}
	t.Logf("fused: %s", fused.OpCounts())
	again, err := cpu.Compile(fused.Export(), cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var photos []string
	readJSON(t, filepath.Join(qdqV2, "photos.json"), &photos)
	agreeORT, agreePlain, agreeORT0, agreeFloat := 0, 0, 0, 0
	var worstORT, worstPlain float64
	for k, name := range photos {
		base := filepath.Join(qdqV2, "test_"+itoa(k)+".bin")
		x := readF32(t, base)
		run := func(p *cpu.Program) []float32 {
			out, err := p.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			return append([]float32{}, out...)
		}
		got, ref, exp := run(fused), run(plain), run(again)
		if d, _ := maxAbsDiff(got, exp); d != 0 {
			t.Errorf("%s: the exported graph differs by %g", name, d)
		}
		ort, ort0, flt := readF32(t, base+".ort.bin"), readF32(t, base+".ort0.bin"), readF32(t, base+".float.bin")
		dO, nO := maxAbsDiff(got, ort)
		dP, nP := maxAbsDiff(got, ref)
		d0, _ := maxAbsDiff(ref, ort0)
		worstORT, worstPlain = math.Max(worstORT, dO), math.Max(worstPlain, dP)
		top := argmaxF(got)
		if top == argmaxF(ort) {
			agreeORT++
		}
		if top == argmaxF(ref) {
			agreePlain++
		}
		if argmaxF(ref) == argmaxF(ort0) {
			agreeORT0++
		}
		if top == argmaxF(flt) {
			agreeFloat++
		}
		t.Logf("%-28s top1 fused %4d ort %4d unfused %4d ort-unfused %4d float %4d | fused-ort max %.3g (%d differ) fused-unfused max %.3g (%d) unfused-ort0 %.3g",
			name, top, argmaxF(ort), argmaxF(ref), argmaxF(ort0), argmaxF(flt), dO, nO, dP, nP, d0)
	}
	t.Logf("top-1 agreement over %d photos: fused=ORT(fused) %d, fused=unfused %d, unfused=ORT(unfused) %d, fused=float model %d; worst |fused-ORT| %.3g, |fused-unfused| %.3g",
		len(photos), agreeORT, agreePlain, agreeORT0, agreeFloat, worstORT, worstPlain)
	if agreeORT != len(photos) {
		t.Errorf("top-1 agrees with ORT on %d of %d photos", agreeORT, len(photos))
	}
}

// BenchmarkQDQMobileNetV2 times one 224×224 run of the float32 model, the
// QDQ model unfused (float Convs between Q/DQ pairs) and fused (QConv).
func BenchmarkQDQMobileNetV2(b *testing.B) {
	path := filepath.Join(qdqV2, "mobilenet_v2_qdq.onnx")
	if _, err := os.Stat(path); err != nil {
		b.Skip("no QDQ MobileNetV2")
	}
	x := readF32(b, filepath.Join(qdqV2, "test_0.bin"))
	for _, c := range []struct {
		name, path string
		opt        cpu.Options
	}{
		{"float32", filepath.Join(shared, "models/mobilenet_v2_1.0_224/model.onnx"), cpu.Options{}},
		{"qdq-unfused", path, cpu.Options{NoQDQFusion: true}},
		{"qdq-fused", path, cpu.Options{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := compileFile(b, c.path, c.opt)
			for b.Loop() {
				if _, err := p.Run(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestQDQTimingInterleaved (GLIMPSE_QBENCH=1) times the three programs of
// BenchmarkQDQMobileNetV2 interleaved, run after run, and reports medians
// and ratios: on a shared machine a load change then hits all three.
func TestQDQTimingInterleaved(t *testing.T) {
	if os.Getenv("GLIMPSE_QBENCH") == "" {
		t.Skip("set GLIMPSE_QBENCH=1")
	}
	path := filepath.Join(qdqV2, "mobilenet_v2_qdq.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skip("no QDQ MobileNetV2")
	}
	x := readF32(t, filepath.Join(qdqV2, "test_0.bin"))
	progs := []*cpu.Program{
		compileFile(t, filepath.Join(shared, "models/mobilenet_v2_1.0_224/model.onnx"), cpu.Options{}),
		compileFile(t, path, cpu.Options{NoQDQFusion: true}),
		compileFile(t, path, cpu.Options{}),
	}
	names := []string{"float32", "qdq-unfused", "qdq-fused"}
	rounds := 15
	times := make([][]float64, len(progs))
	for r := 0; r < rounds+1; r++ {
		for i, p := range progs {
			start := time.Now()
			if _, err := p.Run(x); err != nil {
				t.Fatal(err)
			}
			if r > 0 {
				times[i] = append(times[i], float64(time.Since(start).Microseconds())/1000)
			}
		}
	}
	med := make([]float64, len(progs))
	for i := range progs {
		sort.Float64s(times[i])
		med[i] = times[i][rounds/2]
		t.Logf("%-12s median %7.1f ms (min %.1f, max %.1f)", names[i], med[i], times[i][0], times[i][rounds-1])
	}
	t.Logf("fused/float32 %.2f×, fused/unfused %.2f×, unfused/float32 %.2f×", med[2]/med[0], med[2]/med[1], med[1]/med[0])
}

// qdqConvModels builds a small QDQ model (depthwise 3×3 + Relu, then 1×1
// + Clip, per-channel int8 weights, int32 biases, uint8 activations) and
// the same model written with QLinearConv, ONNX Runtime's fused form.
// qdqConvModels builds the QDQ graph and its QLinearConv equivalent;
// noWZero leaves the weights' DequantizeLinear without its (optional, zero)
// zero point, as some exporters write it.
func qdqConvModels(t *testing.T, noWZero bool) (qdq, qlinear *graph.Graph) {
	r := rand.New(rand.NewPCG(1, 2))
	const C, M, H = 8, 12, 6
	xs, y1s, y2s := float32(0.05), float32(0.03), float32(0.08)
	i8 := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(r.IntN(255) - 127)
		}
		return v
	}
	scales := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 0.002 + 0.01*r.Float32()
		}
		return v
	}
	w1, w2 := i8(C*9), i8(M*C)
	w1s, w2s := scales(C), scales(M)
	b1, b2 := i8(C), i8(M)
	for i := range b1 {
		b1[i] *= 40
	}
	b1s, b2s := make([]float32, C), make([]float32, M)
	for i := range b1s {
		b1s[i] = xs * w1s[i]
	}
	for i := range b2s {
		b2s[i] = y1s * w2s[i]
	}
	sc := func(name string, v float32) onnxtest.Tensor { return onnxtest.Tensor{Name: name, Floats: []float32{v}} }
	u8 := func(name string, v int64) onnxtest.Tensor {
		return onnxtest.Tensor{Name: name, Elem: 2, Ints: []int64{v}}
	}
	inits := []onnxtest.Tensor{
		sc("xs", xs), u8("xz", 120), sc("y1s", y1s), u8("y1z", 0), sc("y2s", y2s), u8("y2z", 100),
		{Name: "w1", Elem: 3, Dims: []int64{C, 1, 3, 3}, Ints: w1}, {Name: "w1s", Dims: []int64{C}, Floats: w1s},
		{Name: "w1z", Elem: 3, Dims: []int64{C}, Ints: make([]int64, C)},
		{Name: "b1", Elem: 6, Dims: []int64{C}, Ints: b1}, {Name: "b1s", Dims: []int64{C}, Floats: b1s},
		{Name: "w2", Elem: 3, Dims: []int64{M, C, 1, 1}, Ints: w2}, {Name: "w2s", Dims: []int64{M}, Floats: w2s},
		{Name: "w2z", Elem: 3, Dims: []int64{M}, Ints: make([]int64, M)},
		{Name: "b2", Elem: 6, Dims: []int64{M}, Ints: b2}, {Name: "b2s", Dims: []int64{M}, Floats: b2s},
		sc("lo", 0), sc("hi", 2.5),
	}
	axis0 := []onnxtest.Attr{{Name: "axis", Int: new(int64)}}
	g1 := int64(C)
	dw := []onnxtest.Attr{{Name: "group", Int: &g1}, {Name: "pads", Ints: []int64{1, 1, 1, 1}}}
	io := func(m *onnxtest.Model) {
		m.Inputs = []onnxtest.Value{{Name: "x", Dims: []any{1, C, H, H}}}
		m.Outputs = []onnxtest.Value{{Name: "y", Dims: []any{1, M, H, H}}}
		m.Initializers = inits
	}
	a := onnxtest.Model{Nodes: []onnxtest.Node{
		{Op: "QuantizeLinear", Inputs: []string{"x", "xs", "xz"}, Outputs: []string{"xq"}},
		{Op: "DequantizeLinear", Inputs: []string{"xq", "xs", "xz"}, Outputs: []string{"xd"}},
		{Op: "DequantizeLinear", Inputs: []string{"w1", "w1s", "w1z"}, Outputs: []string{"w1d"}, Attrs: axis0},
		{Op: "DequantizeLinear", Inputs: []string{"b1", "b1s"}, Outputs: []string{"b1d"}, Attrs: axis0},
		{Op: "Conv", Inputs: []string{"xd", "w1d", "b1d"}, Outputs: []string{"c1"}, Attrs: dw},
		{Op: "Relu", Inputs: []string{"c1"}, Outputs: []string{"r1"}},
		{Op: "QuantizeLinear", Inputs: []string{"r1", "y1s", "y1z"}, Outputs: []string{"y1q"}},
		{Op: "DequantizeLinear", Inputs: []string{"y1q", "y1s", "y1z"}, Outputs: []string{"y1d"}},
		{Op: "DequantizeLinear", Inputs: []string{"w2", "w2s", "w2z"}, Outputs: []string{"w2d"}, Attrs: axis0},
		{Op: "DequantizeLinear", Inputs: []string{"b2", "b2s"}, Outputs: []string{"b2d"}, Attrs: axis0},
		{Op: "Conv", Inputs: []string{"y1d", "w2d", "b2d"}, Outputs: []string{"c2"}},
		{Op: "Clip", Inputs: []string{"c2", "lo", "hi"}, Outputs: []string{"r2"}},
		{Op: "QuantizeLinear", Inputs: []string{"r2", "y2s", "y2z"}, Outputs: []string{"y2q"}},
		{Op: "DequantizeLinear", Inputs: []string{"y2q", "y2s", "y2z"}, Outputs: []string{"y"}},
	}}
	if noWZero {
		for i, n := range a.Nodes {
			if n.Op == "DequantizeLinear" && (n.Inputs[0] == "w1" || n.Inputs[0] == "w2") {
				a.Nodes[i].Inputs = n.Inputs[:2]
			}
		}
	}
	io(&a)
	// QLinearConv has no activation: Relu is y1z = 0's saturation; Clip
	// [0, 2.5] at scale 0.08 and zero point 100 is [100, 131].
	b := onnxtest.Model{Nodes: []onnxtest.Node{
		{Op: "QuantizeLinear", Inputs: []string{"x", "xs", "xz"}, Outputs: []string{"xq"}},
		{Op: "QLinearConv", Inputs: []string{"xq", "xs", "xz", "w1", "w1s", "w1z", "y1s", "y1z", "b1"}, Outputs: []string{"y1q"}, Attrs: dw},
		{Op: "QLinearConv", Inputs: []string{"y1q", "y1s", "y1z", "w2", "w2s", "w2z", "y2s", "y2z", "b2"}, Outputs: []string{"y2q"}},
		{Op: "Clip", Inputs: []string{"y2q", "cl", "ch"}, Outputs: []string{"y2c"}},
		{Op: "DequantizeLinear", Inputs: []string{"y2c", "y2s", "y2z"}, Outputs: []string{"y"}},
	}}
	io(&b)
	b.Initializers = append(b.Initializers, onnxtest.Tensor{Name: "cl", Elem: 2, Ints: []int64{100}}, onnxtest.Tensor{Name: "ch", Elem: 2, Ints: []int64{131}})
	var err error
	if qdq, err = onnx.Decode(a.Bytes()); err != nil {
		t.Fatal(err)
	}
	if qlinear, err = onnx.Decode(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	return qdq, qlinear
}

// The fused QDQ convs are QLinearConv's integer results bit for bit; the
// unfused graph (float convs between the pairs) is within a step; and
// the graph Program.Export writes compiles to the same outputs.
func TestQDQConvFusionMatchesQLinearConv(t *testing.T) {
	for _, noWZero := range []bool{false, true} {
		t.Run(map[bool]string{false: "zero points", true: "no weight zero point"}[noWZero], func(t *testing.T) {
			testQDQConvFusion(t, noWZero)
		})
	}
}

func testQDQConvFusion(t *testing.T, noWZero bool) {
	qdq, qlin := qdqConvModels(t, noWZero)
	fused, err := cpu.Compile(qdq, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h := fused.Graph.OpHistogram(); h["QConv"] != 2 || len(fused.Graph.Nodes) != 3 {
		t.Fatalf("fused graph: %s", fused.OpCounts())
	}
	plain, err := cpu.Compile(qdq, cpu.Options{NoFusion: true, NoQDQFusion: true})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := cpu.Compile(qlin, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := cpu.Compile(fused.Export(), cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, len(fused.Inputs[0].F))
	steps := 0
	for trial := 0; trial < 20; trial++ {
		for i := range x {
			x[i] = r.Float32()*14 - 7
		}
		run := func(p *cpu.Program) []float32 {
			out, err := p.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			return append([]float32{}, out...)
		}
		got, want, exp, unf := run(fused), run(ref), run(again), run(plain)
		for i := range want {
			if got[i] != want[i] || exp[i] != got[i] {
				t.Fatalf("trial %d: y[%d] = %v fused, %v exported, want %v (QLinearConv)", trial, i, got[i], exp[i], want[i])
			}
			if d := math.Abs(float64(unf[i] - got[i])); d > 0 {
				steps++
				if d > 0.08*1.01 {
					t.Fatalf("trial %d: y[%d] = %v unfused, %v fused: more than a step apart", trial, i, unf[i], got[i])
				}
			}
		}
	}
	t.Logf("fused and unfused differ by a step in %d of %d elements", steps, 20*len(x)*12/8)
}

// A Q→DQ pair left alone becomes QuantizeDequantize, bit for bit the two
// ops (NaN, saturation, ties), int8 and uint8.
func TestQuantizeDequantizePair(t *testing.T) {
	for _, elem := range []int64{2, 3} {
		zp := int64(7)
		if elem == 3 {
			zp = -5
		}
		m := onnxtest.Model{
			Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{37}}},
			Outputs: []onnxtest.Value{{Name: "y", Dims: []any{37}}},
			Nodes: []onnxtest.Node{
				{Op: "QuantizeLinear", Inputs: []string{"x", "s", "z"}, Outputs: []string{"q"}},
				{Op: "DequantizeLinear", Inputs: []string{"q", "s", "z"}, Outputs: []string{"y"}},
			},
			Initializers: []onnxtest.Tensor{{Name: "s", Floats: []float32{0.1}}, {Name: "z", Elem: elem, Ints: []int64{zp}}},
		}
		g, err := onnx.Decode(m.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		fused, err := cpu.Compile(g, cpu.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if fused.Graph.Nodes[0].Op != "QuantizeDequantize" || len(fused.Graph.Nodes) != 1 {
			t.Fatalf("fused: %s", fused.OpCounts())
		}
		plain, err := cpu.Compile(g, cpu.Options{NoFusion: true, NoQDQFusion: true})
		if err != nil {
			t.Fatal(err)
		}
		again, err := cpu.Compile(fused.Export(), cpu.Options{})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, 37)
		for i := range x {
			x[i] = float32(i-18) * 1.05 // ties at .5 steps, both ends saturate
		}
		x[3], x[4] = float32(math.NaN()), float32(math.Inf(1))
		a, _ := fused.Run(x)
		a = append([]float32{}, a...)
		b, _ := plain.Run(x)
		c, _ := again.Run(x)
		for i := range a {
			if a[i] != b[i] || c[i] != b[i] {
				t.Fatalf("elem %d: x=%v: fused %v, exported %v, want %v", elem, x[i], a[i], c[i], b[i])
			}
		}
	}
}
