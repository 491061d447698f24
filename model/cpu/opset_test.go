package cpu_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/cpu/internal/opsets"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
)

// The opset sweep's reference outputs from onnxruntime-node, written by
// `make opsets-golden` (package opsets' gen, then testdata/opsets/ort.mjs).
const opsetGolden = "testdata/opsets/golden.json"

// Float outputs must satisfy |got-want| <= opsetAtol + opsetRtol*|want|
// element by element (NaN matches only NaN, an infinity only the same
// infinity); integer and bool outputs must match exactly, and so must
// every shape.
const (
	opsetAtol = 1e-5
	opsetRtol = 1e-4
)

type opsetGoldenFile struct {
	ORT     string `json:"ort"`
	Cases   []opsetGoldenCase
	Refused []struct{ Name, Hash, Error string }
}

type opsetGoldenCase struct {
	Name    string
	Hash    string
	SameAs  string `json:"same_as"`
	Outputs []opsetGoldenOutput
}

type opsetGoldenOutput struct {
	Name string
	Type string // ORT's element type: float32, float16, float64, int64, int8, ..., bool, string
	Dims []int
	Data []json.RawMessage // numbers; "NaN", "Inf", "-Inf"; int64 beyond 2^53 and strings as strings
}

// TestOpsetSweep runs every case of package opsets — the ops of vision
// classifiers at every opset from 7 to 21 where they changed — through
// onnx.Decode and cpu.Compile (with and without fusion), twice each, and
// compares the outputs with ONNX Runtime's. A case in the table marked
// Fails must fail with the error it names, and one marked KnownBug must
// still disagree with ORT (so the lists stay honest: a case that starts to
// pass must leave them); a case ORT refused is skipped. A case ORT gets
// wrong (WrongInORT) must still disagree with its golden outputs and
// match those of an equivalent case.
// The golden file must describe exactly the table: a case added, removed
// or changed (its hash covers the model and the inputs) without
// regenerating it is an error.
func TestOpsetSweep(t *testing.T) {
	data, err := os.ReadFile(opsetGolden)
	if err != nil {
		t.Fatal(err)
	}
	var golden opsetGoldenFile
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatalf("%s: %v", opsetGolden, err)
	}
	ref := map[string]*opsetGoldenCase{}
	hash := map[string]string{}
	for i := range golden.Cases {
		c := &golden.Cases[i]
		ref[c.Name], hash[c.Name] = c, c.Hash
	}
	refused := map[string]string{}
	for _, r := range golden.Refused {
		refused[r.Name], hash[r.Name] = r.Error, r.Hash
	}
	cases := opsets.All()
	inTable := map[string]bool{}
	for _, c := range cases {
		if inTable[c.Name()] {
			t.Fatalf("case %s twice in the table", c.Name())
		}
		inTable[c.Name()] = true
	}
	for name := range hash {
		if !inTable[name] {
			t.Errorf("%s: in %s but not in the table (run make opsets-golden)", name, opsetGolden)
		}
	}

	count := map[string]int{}    // outcome → cases
	perOp := map[string][2]int{} // op → cases, not failed
	for _, c := range cases {
		outcome := "not run" // by a -run pattern
		ok := t.Run(c.Name(), func(t *testing.T) {
			outcome = "passed"
			h, known := hash[c.Name()]
			switch {
			case !known:
				t.Fatalf("not in %s (run make opsets-golden)", opsetGolden)
			case h != c.Hash():
				t.Fatalf("the case changed since %s was written (hash %s, golden %s): run make opsets-golden", opsetGolden, c.Hash(), h)
			}
			if why, ok := refused[c.Name()]; ok {
				outcome = "refused by ORT"
				t.Skipf("ONNX Runtime refuses this case: %s", why)
			}
			if c.EngineFails != "" {
				outcome = "expected engine failures"
				checkOpsetFailure(t, c)
				return
			}
			outputs := func(name string) []opsetGoldenOutput {
				g := ref[name]
				for g != nil && g.SameAs != "" {
					g = ref[g.SameAs]
				}
				if g == nil || g.Outputs == nil {
					t.Fatalf("%s: no outputs in %s", name, opsetGolden)
				}
				return g.Outputs
			}
			if c.ORTBug != "" {
				if len(runOpsetCase(c, outputs(c.Name()))) == 0 {
					t.Errorf("ORT now agrees with the engine on this case (listed as an ORT bug: %s): remove its WrongInORT from the table", c.ORTBug)
				}
				outcome = "ORT bugs"
				t.Logf("ORT bug: %s; the engine is compared with %s", c.ORTBug, c.Like)
				for _, p := range runOpsetCase(c, outputs(c.Like)) {
					t.Error(p)
				}
				return
			}
			problems := runOpsetCase(c, outputs(c.Name()))
			switch {
			case c.Bug != "" && len(problems) == 0:
				t.Errorf("the engine now agrees with ORT on this case (listed as a known bug: %s): remove its KnownBug from the table", c.Bug)
			case c.Bug != "":
				outcome = "known engine bugs"
				t.Logf("known engine bug: %s\n%s", c.Bug, strings.Join(problems, "\n"))
			default:
				for _, p := range problems {
					t.Error(p)
				}
			}
		})
		if !ok {
			outcome = "failed"
		}
		count[outcome]++
		if outcome == "not run" {
			continue
		}
		n := perOp[c.Op]
		n[0]++
		if outcome != "failed" {
			n[1]++
		}
		perOp[c.Op] = n
	}
	t.Logf("opset sweep against onnxruntime %s: %d cases run, %d passed (%d of them where ORT is wrong, checked against an equivalent case), "+
		"%d failed, %d expected engine failures, %d known engine bugs, %d refused by ORT",
		golden.ORT, len(cases)-count["not run"], count["passed"]+count["ORT bugs"], count["ORT bugs"], count["failed"],
		count["expected engine failures"], count["known engine bugs"], count["refused by ORT"])
	if count["failed"] > 0 {
		var ops []string
		for op, n := range perOp {
			if n[0] != n[1] {
				ops = append(ops, fmt.Sprintf("%s %d/%d", op, n[1], n[0]))
			}
		}
		slices.Sort(ops)
		t.Logf("ops with failures (cases not failed/cases): %s", strings.Join(ops, ", "))
	}
}

// runOpsetCase compiles the case with and without fusion and checks two
// runs of each against ORT's outputs, and the second run against the first
// bit for bit. It returns what went wrong.
func runOpsetCase(c *opsets.Case, want []opsetGoldenOutput) (problems []string) {
	g, err := onnx.Decode(c.Bytes())
	if err != nil {
		return []string{fmt.Sprintf("decode: %v", err)}
	}
	for _, opt := range []cpu.Options{{}, {NoFusion: true}} {
		label := "fused"
		if opt.NoFusion {
			label = "unfused"
		}
		p, err := cpu.Compile(g, opt)
		if err != nil {
			return append(problems, fmt.Sprintf("%s: compile: %v", label, err))
		}
		var first [][]byte
		for run := 1; run <= 2; run++ {
			if err := setOpsetInputs(p, c); err != nil {
				return append(problems, fmt.Sprintf("%s: %v", label, err))
			}
			if err := p.Execute(); err != nil {
				return append(problems, fmt.Sprintf("%s: run %d: %v", label, run, err))
			}
			if len(p.Outputs) != len(want) {
				return append(problems, fmt.Sprintf("%s: %d outputs, ORT gave %d", label, len(p.Outputs), len(want)))
			}
			for i, w := range want {
				if p.Names.Outputs[i] != w.Name {
					return append(problems, fmt.Sprintf("%s: output %d is %q, ORT's is %q", label, i, p.Names.Outputs[i], w.Name))
				}
				if msg := compareOpsetOutput(p.Outputs[i], w); msg != "" {
					problems = append(problems, fmt.Sprintf("%s, run %d, output %q: %s", label, run, w.Name, msg))
				}
			}
			var snap [][]byte
			for _, o := range p.Outputs {
				snap = append(snap, tensorBytes(o))
			}
			if run == 2 {
				for i := range snap {
					if !bytes.Equal(snap[i], first[i]) {
						problems = append(problems, fmt.Sprintf("%s: output %q differs between two runs on the same input", label, want[i].Name))
					}
				}
			}
			first = snap
		}
	}
	return problems
}

// checkOpsetFailure checks that a case the engine cannot run fails with a
// clear error (no recovered panic) that names what the table says.
func checkOpsetFailure(t *testing.T, c *opsets.Case) {
	t.Helper()
	err := func() error {
		g, err := onnx.Decode(c.Bytes())
		if err != nil {
			return err
		}
		p, err := cpu.Compile(g, cpu.Options{})
		if err != nil {
			return err
		}
		if err := setOpsetInputs(p, c); err != nil {
			return err
		}
		return p.Execute()
	}()
	switch {
	case err == nil:
		t.Errorf("the engine now runs this case (listed as failing: %s): remove its Fails from the table", c.Why)
	case !strings.Contains(err.Error(), c.EngineFails):
		t.Errorf("error %q does not mention %q", err, c.EngineFails)
	case strings.Contains(err.Error(), "internal error"):
		t.Errorf("failed with an internal error (a recovered panic), not a clear one: %v", err)
	default:
		t.Logf("fails as expected (%s): %v", c.Why, err)
	}
}

func setOpsetInputs(p *cpu.Program, c *opsets.Case) error {
	if len(p.Inputs) != len(c.Inputs) {
		return fmt.Errorf("the program has %d inputs, the case %d", len(p.Inputs), len(c.Inputs))
	}
	for i, in := range c.Inputs {
		dst := p.Inputs[i]
		if p.Names.Inputs[i] != in.Name {
			return fmt.Errorf("input %d is %q, the case's is %q", i, p.Names.Inputs[i], in.Name)
		}
		if dst.Len() != len(in.F)+len(in.I)+len(in.B) {
			return fmt.Errorf("input %q has %d elements, the case gives %d", in.Name, dst.Len(), len(in.F)+len(in.I)+len(in.B))
		}
		switch dst.DType {
		case graph.Float32:
			copy(dst.F, in.F)
		case graph.Int64:
			copy(dst.I, in.I)
		case graph.Bool:
			copy(dst.B, in.B)
		}
	}
	return nil
}

func tensorBytes(t *graph.Tensor) []byte {
	var b []byte
	for _, f := range t.F {
		b = strconv.AppendUint(b, uint64(math.Float32bits(f)), 16)
		b = append(b, ',')
	}
	for _, v := range t.I {
		b = strconv.AppendInt(b, v, 16)
		b = append(b, ',')
	}
	for _, v := range t.B {
		b = strconv.AppendBool(b, v)
	}
	return b
}

// compareOpsetOutput returns "" when got matches ORT's output, or what differs.
func compareOpsetOutput(got *graph.Tensor, w opsetGoldenOutput) string {
	shape := w.Dims
	if shape == nil {
		shape = []int{}
	}
	if !slices.Equal(got.Shape, shape) && !(len(got.Shape) == 0 && len(shape) == 0) {
		return fmt.Sprintf("shape %v, ORT's %v", got.Shape, shape)
	}
	var kind graph.DType
	switch w.Type {
	case "float32", "float64", "float16", "bfloat16":
		kind = graph.Float32
	case "bool":
		kind = graph.Bool
	case "string":
		return "ORT gave strings, which the engine has not"
	default:
		kind = graph.Int64
	}
	if got.DType != kind {
		return fmt.Sprintf("type %s, ORT's %s", got.DType, w.Type)
	}
	if got.Len() != len(w.Data) {
		return fmt.Sprintf("%d values, ORT's %d", got.Len(), len(w.Data))
	}
	var bad []string
	nbad := 0
	worst := 0.0
	for i, raw := range w.Data {
		var msg string
		switch kind {
		case graph.Float32:
			want, err := goldenFloat(raw)
			if err != nil {
				return err.Error()
			}
			g := float64(got.F[i])
			switch {
			case math.IsNaN(want) || math.IsInf(want, 0) || math.IsNaN(g) || math.IsInf(g, 0):
				if !(math.IsNaN(want) && math.IsNaN(g)) && g != want {
					msg = fmt.Sprintf("[%d] %v, want %v", i, g, want)
				}
			case math.Abs(g-want) > opsetAtol+opsetRtol*math.Abs(want):
				msg = fmt.Sprintf("[%d] %.7g, want %.7g", i, g, want)
				worst = max(worst, math.Abs(g-want))
			}
		case graph.Int64:
			want, err := goldenInt(raw)
			if err != nil {
				return err.Error()
			}
			if got.I[i] != want {
				msg = fmt.Sprintf("[%d] %d, want %d", i, got.I[i], want)
			}
		case graph.Bool:
			want, err := goldenInt(raw)
			if err != nil {
				return err.Error()
			}
			if got.B[i] != (want != 0) {
				msg = fmt.Sprintf("[%d] %v, want %v", i, got.B[i], want != 0)
			}
		}
		if msg != "" {
			nbad++
			if len(bad) < 6 {
				bad = append(bad, msg)
			}
		}
	}
	if nbad == 0 {
		return ""
	}
	s := fmt.Sprintf("%d of %d values differ: %s", nbad, len(w.Data), strings.Join(bad, "; "))
	if worst > 0 {
		s += fmt.Sprintf(" (largest difference %.3g)", worst)
	}
	return s
}

func goldenFloat(raw json.RawMessage) (float64, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Inf":
			return math.Inf(1), nil
		case "-Inf":
			return math.Inf(-1), nil
		}
		return 0, fmt.Errorf("golden value %q is not a float", s)
	}
	return strconv.ParseFloat(string(raw), 64)
}

func goldenInt(raw json.RawMessage) (int64, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strconv.ParseInt(s, 10, 64)
	}
	return strconv.ParseInt(string(raw), 10, 64)
}
