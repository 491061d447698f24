package check

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/check/report"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

func n1(op string, in []string, out string, a ...onnxtest.Attr) onnxtest.Node {
	return onnxtest.Node{Op: op, Name: out + "_node", Inputs: in, Outputs: []string{out}, Attrs: a}
}

func randInit(r *rand.Rand, name string, dims ...int64) onnxtest.Init {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	f := make([]float32, n)
	for i := range f {
		f[i] = r.Float32()*2 - 1
	}
	return onnxtest.Init{Name: name, Dims: dims, Floats: f}
}

// small is Conv → BatchNormalization → Relu → LRN → GlobalAveragePool →
// Flatten: fusion has something to do, and LRN has no WebGPU kernel.
func small(t *testing.T) *graph.Graph {
	r := rand.New(rand.NewSource(1))
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{"batch", 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{"batch", 4}}},
		Inits: []onnxtest.Init{randInit(r, "w", 4, 3, 3, 3), randInit(r, "b", 4), randInit(r, "scale", 4), randInit(r, "bias", 4),
			randInit(r, "mean", 4), {Name: "var", Dims: []int64{4}, Floats: []float32{0.5, 1, 1.5, 2}}},
		Nodes: []onnxtest.Node{
			n1("Conv", []string{"x", "w", "b"}, "c", onnxtest.Attr{Name: "pads", Ints: []int64{1, 1, 1, 1}}),
			n1("BatchNormalization", []string{"c", "scale", "bias", "mean", "var"}, "bn"),
			n1("Relu", []string{"bn"}, "r"),
			n1("LRN", []string{"r"}, "l", onnxtest.Attr{Name: "size", Int: onnxtest.I64(3)}),
			n1("GlobalAveragePool", []string{"l"}, "g"),
			n1("Flatten", []string{"g"}, "y"),
		},
	}
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func opRow(r *Report, op string) Op {
	for _, o := range r.Ops {
		if o.Op == op {
			return o
		}
	}
	return Op{}
}

// stubPlace stands in for webgpu.Place (which imports this package; its
// own tests check it against the WebGPU compiler): LRN has no GPU kernel,
// Flatten is a reshape, the rest runs on the GPU in one dispatch.
func stubPlace(p *cpu.Program) ([]Placement, error) {
	var out []Placement
	for _, s := range p.Plan() {
		pl := Placement{Node: s.Node, Where: "gpu", Dispatches: 1}
		switch {
		case s.Alias:
			pl = Placement{Node: s.Node, Where: "alias"}
		case s.Node.Op == "LRN":
			pl = Placement{Node: s.Node, Where: "cpu", Why: "no GPU kernel"}
		}
		out = append(out, pl)
	}
	return out, nil
}

func TestSmallModel(t *testing.T) {
	g := small(t)
	r, err := Run(g, Options{Runs: 3, Place: stubPlace})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + r.Text())
	if r.Verdict != OK || r.Reason != "" {
		t.Fatalf("verdict %q (%s), want ok", r.Verdict, r.Reason)
	}
	if r.Opset != 13 || r.IRVersion != 8 || r.Nodes != 6 || r.Params != 4*27+4*5 || r.WeightBytes != 4*r.Params {
		t.Errorf("header: opset %d IR %d nodes %d params %d bytes %d", r.Opset, r.IRVersion, r.Nodes, r.Params, r.WeightBytes)
	}
	if in := r.Inputs[0]; in.Name != "x" || in.Type != "float32" || strings.Join(in.Dims, ",") != "batch,3,8,8" || len(in.Shape) != 4 || in.Shape[0] != 1 {
		t.Errorf("input %+v", in)
	}
	// BatchNorm folds into the conv, Relu fuses: FusedConv runs on the GPU,
	// LRN on the CPU; Flatten is a reshape.
	if c := r.Compile; c == nil || c.Fused != 2 || c.Runs != 4 || c.PlainRuns != 6 || c.PlainArenaBytes <= c.ArenaBytes {
		t.Errorf("compile %+v", r.Compile)
	}
	for op, want := range map[string]Op{
		"Conv":               {Op: "Conv", Count: 1, CPU: true, Fused: 1},
		"BatchNormalization": {Op: "BatchNormalization", Count: 1, CPU: true, Fused: 1},
		"Relu":               {Op: "Relu", Count: 1, CPU: true, Fused: 1},
		"FusedConv":          {Op: "FusedConv", CPU: true, Runs: 1, WebGPU: "gpu"},
		"LRN":                {Op: "LRN", Count: 1, CPU: true, Runs: 1, WebGPU: "cpu"},
		"Flatten":            {Op: "Flatten", Count: 1, CPU: true, Runs: 1, WebGPU: "alias"},
	} {
		if got := opRow(r, op); got != want {
			t.Errorf("%s: %+v, want %+v", op, got, want)
		}
	}
	if w := r.WebGPU; w.CPU != 1 || w.GPU != 2 || len(w.OnCPU) != 1 || w.OnCPU[0].Node != "l_node" || w.OnCPU[0].Why == "" {
		t.Errorf("webgpu %+v", w)
	}
	o := r.SelfCheck.Outputs[0]
	if o.Name != "y" || o.Bad != 0 || o.RunToRunBad != 0 || o.MaxAbsDiff > o.Atol || o.Atol < RelTol || o.MaxAbsRef == 0 {
		t.Errorf("self-check %+v", o)
	}
	if r.Timing == nil || r.Timing.Runs != 3 || r.Timing.OptimisedMs <= 0 && r.Timing.UnoptimisedMs <= 0 {
		t.Errorf("timing %+v", r.Timing)
	}
	if r.Unoptimised == nil || r.Unoptimised.Fused != 0 {
		t.Errorf("no unoptimised program")
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Verdict != OK || len(back.Ops) != len(r.Ops) {
		t.Errorf("JSON round trip: %v", err)
	}
	// Deterministic: the same seed gives the same input, hence the same diff.
	r2, _ := Run(g, Options{Runs: 1})
	if r2.SelfCheck.Outputs[0].MaxAbsDiff != o.MaxAbsDiff || r2.SelfCheck.Outputs[0].MaxAbsRef != o.MaxAbsRef {
		t.Errorf("not deterministic: %+v vs %+v", r2.SelfCheck.Outputs[0], o)
	}
}

func TestUnsupported(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 3, 8, 8}}},
		Nodes: []onnxtest.Node{{Op: "Relu", Name: "ok", Inputs: []string{"x"}, Outputs: []string{"r"}},
			{Op: "FancyWarp", Name: "warp_1", Inputs: []string{"r"}, Outputs: []string{"w"}},
			{Op: "FancyWarp", Name: "warp_2", Inputs: []string{"w"}, Outputs: []string{"v"}},
			{Op: "Blur", Domain: "com.example", Name: "blur", Inputs: []string{"v"}, Outputs: []string{"y"}}},
	}
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + r.Text())
	if r.Verdict != CannotRun || r.SelfCheck != nil || r.Compile != nil {
		t.Fatalf("verdict %q, self-check %v", r.Verdict, r.SelfCheck)
	}
	for _, want := range []string{`FancyWarp (nodes "warp_1", "warp_2")`, `com.example.Blur (node "blur")`} {
		if !strings.Contains(r.Reason, want) {
			t.Errorf("reason %q lacks %q", r.Reason, want)
		}
	}
	if len(r.Unsupported) != 2 || r.Unsupported[0].Op != "FancyWarp" || r.Unsupported[0].Count != 2 {
		t.Errorf("unsupported %+v", r.Unsupported)
	}
	if len(r.Domains) != 1 || r.Domains[0] != (Domain{Domain: "com.example", Nodes: 1}) {
		t.Errorf("domains %+v", r.Domains)
	}
	if !strings.Contains(r.Text(), "UNSUPPORTED") {
		t.Errorf("text does not flag the op")
	}
}

// A compile error (here a Reshape whose shape is computed at run time)
// names the node and the op.
func TestCompileError(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 4}}, {Name: "s", Elem: 7, Dims: []any{2}}},
		Outputs: []onnxtest.Value{{Name: "y"}},
		Nodes:   []onnxtest.Node{n1("Reshape", []string{"x", "s"}, "y")},
	}
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := Run(g, Options{})
	if r.Verdict != CannotRun || !strings.Contains(r.Reason, "Reshape") || !strings.Contains(r.Reason, "y_node") {
		t.Errorf("verdict %q: %s", r.Verdict, r.Reason)
	}
}

// The hooks break the optimised program in the three ways the check must
// catch; the unoptimised program stays right, and the report says so.
func TestDetectsBrokenPrograms(t *testing.T) {
	g := small(t)
	runs := 0
	cases := []struct {
		name    string
		exec    func(p *cpu.Program) error
		verdict string
		reason  string
	}{
		{"wrong output", func(p *cpu.Program) error {
			err := p.Execute()
			p.Outputs[0].F[2] += 0.01
			return err
		}, Mismatch, `output "y" of the optimised program differs from the reference by 0.01`},
		{"NaN", func(p *cpu.Program) error {
			err := p.Execute()
			p.Outputs[0].F[0] = float32(0) / func() float32 { return 0 }()
			return err
		}, Mismatch, "NaN"},
		{"second run differs", func(p *cpu.Program) error {
			err := p.Execute()
			runs++
			if runs == 2 {
				p.Outputs[0].F[1] *= 1.0000001
			}
			return err
		}, RunToRun, "two runs"},
		{"run changes its input", func(p *cpu.Program) error {
			err := p.Execute()
			p.Inputs[0].F[5] = 0
			return err
		}, RunToRun, `changed its input "x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Run(g, Options{Runs: 1, Execute: c.exec})
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != c.verdict || !strings.Contains(r.Reason, c.reason) {
				t.Fatalf("verdict %q (%s), want %q (%s)", r.Verdict, r.Reason, c.verdict, c.reason)
			}
			if o := r.SelfCheck.Outputs[0]; o.PlainBad != 0 || o.PlainMaxAbsDiff > o.Atol {
				t.Errorf("unoptimised program: %+v", o)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Errorf("JSON: %v", err)
			}
			if !strings.Contains(r.Summary(), "falls back to the unoptimised program") {
				t.Errorf("summary %q", r.Summary())
			}
		})
	}
}

// Every zoo model runs and matches its reference within the tolerance.
func TestZoo(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "zoo")
	names := []string{"squeezenet1_1", "shufflenet_v2_x0_5", "vit_tiny_p16_opset17"}
	if testing.Short() {
		names = names[:1]
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name, "model.onnx"))
			if err != nil {
				t.Skip("zoo not available")
			}
			g, err := onnx.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Run(g, Options{Runs: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + r.Text())
			if r.Verdict != OK {
				t.Fatalf("%s: %s", r.Verdict, r.Reason)
			}
			for _, o := range r.SelfCheck.Outputs {
				if o.MaxAbsDiff > o.Atol/10 {
					t.Errorf("%s: max |diff| %.3g is within a factor 10 of the tolerance %.3g", o.Name, o.MaxAbsDiff, o.Atol)
				}
			}
		})
	}
}

// check.Report writes the same JSON as the report.Report it embeds: the
// unoptimised program stays out.
func TestReportJSON(t *testing.T) {
	r := &Report{Report: report.Report{Model: "m", Verdict: Mismatch, Reason: "x", Compile: &Compile{Runs: 2}}, Unoptimised: &cpu.Program{}}
	a, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(&r.Report)
	if string(a) != string(b) || strings.Contains(string(a), "Unoptimised") {
		t.Errorf("JSON %s, want %s", a, b)
	}
}
