package cpu_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

func cfNode(op string, in []string, out string, a ...onnxtest.Attr) onnxtest.Node {
	return onnxtest.Node{Op: op, Name: out, Inputs: in, Outputs: []string{out}, Attrs: a}
}

func cfCompile(t *testing.T, m onnxtest.Model, opt cpu.Options) *cpu.Program {
	t.Helper()
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// branches: then = relu(x) * s, else = -(x) + s, where s is an outer value
// (x·2) captured by both branches.
func ifModel(condInput bool, cond bool) onnxtest.Model {
	then := onnxtest.Graph{Name: "then", Outputs: []onnxtest.Value{{Name: "t"}},
		Nodes: []onnxtest.Node{cfNode("Relu", []string{"x"}, "r"), cfNode("Mul", []string{"r", "s"}, "t")}}
	els := onnxtest.Graph{Name: "else", Outputs: []onnxtest.Value{{Name: "e"}},
		Nodes: []onnxtest.Node{cfNode("Neg", []string{"x"}, "n"), cfNode("Add", []string{"n", "s"}, "e")}}
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2, 3}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2, 3}}},
		Inits:   []onnxtest.Init{{Name: "two", Dims: []int64{1}, Floats: []float32{2}}},
	}
	m.Nodes = append(m.Nodes, cfNode("Mul", []string{"x", "two"}, "s"))
	if condInput {
		m.Inputs = append(m.Inputs, onnxtest.Value{Name: "c", Elem: onnxtest.Bool, Dims: []any{}})
	} else {
		v := int64(0)
		if cond {
			v = 1
		}
		m.Initializers = append(m.Initializers, onnxtest.Tensor{Name: "c", Elem: onnxtest.Bool, Ints: []int64{v}})
	}
	m.Nodes = append(m.Nodes, onnxtest.Node{Op: "If", Name: "branch", Inputs: []string{"c"}, Outputs: []string{"y"},
		Attrs: []onnxtest.Attr{{Name: "then_branch", Graph: &then}, {Name: "else_branch", Graph: &els}}})
	return m
}

func wantIf(x []float32, cond bool) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		s := 2 * v
		if cond {
			out[i] = max(v, 0) * s
		} else {
			out[i] = -v + s
		}
	}
	return out
}

// An If with a constant condition is inlined: no If runs, the branch's
// nodes fold and fuse with the rest; with a run-time condition the node
// runs the branch the condition picks, on values captured from outside.
func TestIf(t *testing.T) {
	x := []float32{-1.5, -0.5, 0, 0.5, 1, 2.5}
	for _, cond := range []bool{true, false} {
		p := cfCompile(t, ifModel(false, cond), cpu.Options{})
		if h := p.Graph.OpHistogram(); h["If"] != 0 {
			t.Errorf("cond %v: the constant If was not inlined: %v", cond, h)
		}
		got, err := p.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, wantIf(x, cond)) {
			t.Errorf("inlined, cond %v: %v, want %v", cond, got, wantIf(x, cond))
		}
	}
	p := cfCompile(t, ifModel(true, false), cpu.Options{})
	if h := p.Graph.OpHistogram(); h["If"] != 1 {
		t.Fatalf("run-time If: ops %v", h)
	}
	for _, cond := range []bool{true, false, true} {
		copy(p.Inputs[0].F, x)
		p.Inputs[1].B[0] = cond
		for run := 0; run < 2; run++ { // the second run without rewriting the inputs
			if err := p.Execute(); err != nil {
				t.Fatal(err)
			}
			if got := p.Outputs[0].F; !slices.Equal(got, wantIf(x, cond)) {
				t.Errorf("run-time, cond %v, run %d: %v, want %v", cond, run, got, wantIf(x, cond))
			}
		}
	}
}

// Nested constant Ifs inline through two scopes; names inside the branches
// that shadow outer names stay apart.
func TestIfNested(t *testing.T) {
	inner := onnxtest.Graph{Name: "inner", Outputs: []onnxtest.Value{{Name: "s"}},
		Nodes: []onnxtest.Node{cfNode("Relu", []string{"u"}, "s")}} // "s": same name as a value outside
	outer := onnxtest.Graph{Name: "outer", Outputs: []onnxtest.Value{{Name: "o"}},
		Nodes: []onnxtest.Node{cfNode("Neg", []string{"x"}, "u"),
			{Op: "If", Name: "in", Inputs: []string{"c"}, Outputs: []string{"o"},
				Attrs: []onnxtest.Attr{{Name: "then_branch", Graph: &inner}, {Name: "else_branch", Graph: &inner}}}}}
	m := onnxtest.Model{
		Inputs:       []onnxtest.Value{{Name: "x", Dims: []any{4}}},
		Outputs:      []onnxtest.Value{{Name: "y", Dims: []any{4}}},
		Initializers: []onnxtest.Tensor{{Name: "c", Elem: onnxtest.Bool, Ints: []int64{1}}},
		Nodes: []onnxtest.Node{cfNode("Abs", []string{"x"}, "s"),
			{Op: "If", Name: "out", Inputs: []string{"c"}, Outputs: []string{"o1"},
				Attrs: []onnxtest.Attr{{Name: "then_branch", Graph: &outer}, {Name: "else_branch", Graph: &outer}}},
			cfNode("Add", []string{"o1", "s"}, "y")},
	}
	p := cfCompile(t, m, cpu.Options{})
	x := []float32{-2, -1, 1, 3}
	got, err := p.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{4, 2, 1, 3} // relu(-x) + |x|
	if !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

// Loop with a static trip count: a carried sum and a scan output stacking
// every iteration's value; the body reads an outer value.
func TestLoop(t *testing.T) {
	body := onnxtest.Graph{Name: "body",
		Inputs: []onnxtest.Value{{Name: "i", Elem: onnxtest.Int64, Dims: []any{}}, {Name: "cin", Elem: onnxtest.Bool, Dims: []any{}},
			{Name: "acc", Dims: []any{3}}},
		Outputs: []onnxtest.Value{{Name: "cout", Elem: onnxtest.Bool}, {Name: "acc2"}, {Name: "step"}},
		Nodes: []onnxtest.Node{
			cfNode("Identity", []string{"cin"}, "cout"),
			cfNode("Cast", []string{"i"}, "fi", onnxtest.Attr{Name: "to", Int: onnxtest.I64(1)}),
			cfNode("Mul", []string{"x", "fi"}, "step"), // x · i, x from outside
			cfNode("Add", []string{"acc", "step"}, "acc2"),
		}}
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{3}}},
		Outputs: []onnxtest.Value{{Name: "sum", Dims: []any{3}}, {Name: "steps", Dims: []any{4, 3}}},
		Initializers: []onnxtest.Tensor{{Name: "M", Elem: onnxtest.Int64, Ints: []int64{4}},
			{Name: "c", Elem: onnxtest.Bool, Ints: []int64{1}},
			{Name: "zero", Dims: []int64{3}, Floats: []float32{0, 0, 0}}},
		Nodes: []onnxtest.Node{{Op: "Loop", Name: "loop", Inputs: []string{"M", "c", "zero"}, Outputs: []string{"sum", "steps"},
			Attrs: []onnxtest.Attr{{Name: "body", Graph: &body}}}},
	}
	p := cfCompile(t, m, cpu.Options{})
	x := []float32{1, -2, 0.5}
	for run := 0; run < 2; run++ {
		if run == 0 {
			copy(p.Inputs[0].F, x)
		}
		if err := p.Execute(); err != nil {
			t.Fatal(err)
		}
		wantSum := []float32{6, -12, 3} // x·(0+1+2+3)
		if got := p.Outputs[0].F; !slices.Equal(got, wantSum) {
			t.Errorf("run %d: sum %v, want %v", run, got, wantSum)
		}
		var wantSteps []float32
		for i := 0; i < 4; i++ {
			for _, v := range x {
				wantSteps = append(wantSteps, v*float32(i))
			}
		}
		if got := p.Outputs[1]; !slices.Equal(got.F, wantSteps) || !slices.Equal(got.Shape, []int{4, 3}) {
			t.Errorf("run %d: steps %v %v, want %v", run, got.Shape, got.F, wantSteps)
		}
	}

	// A trip count computed at run time with scan outputs has no static
	// shape: a clear error, not a panic.
	m.Initializers = m.Initializers[1:]
	m.Inputs = append(m.Inputs, onnxtest.Value{Name: "M", Elem: onnxtest.Int64, Dims: []any{}})
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cpu.Compile(g, cpu.Options{}); err == nil || !strings.Contains(err.Error(), `node "loop" (Loop): the trip count must be known`) {
		t.Errorf("run-time trip count: %v", err)
	}
}

// Scan (opset 9+) over axis 1 of a [2,4] input, in reverse for the second
// scan input, with a running sum state and a scan output along axis 0.
func TestScan(t *testing.T) {
	body := onnxtest.Graph{Name: "body",
		Inputs:  []onnxtest.Value{{Name: "st", Dims: []any{2}}, {Name: "a", Dims: []any{2}}, {Name: "b", Dims: []any{2}}},
		Outputs: []onnxtest.Value{{Name: "st2"}, {Name: "o"}},
		Nodes: []onnxtest.Node{cfNode("Add", []string{"st", "a"}, "st2"),
			cfNode("Mul", []string{"a", "b"}, "o")}}
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "init", Dims: []any{2}}, {Name: "A", Dims: []any{2, 4}}, {Name: "B", Dims: []any{2, 4}}},
		Outputs: []onnxtest.Value{{Name: "final", Dims: []any{2}}, {Name: "prod", Dims: []any{4, 2}}},
		Nodes: []onnxtest.Node{{Op: "Scan", Name: "scan", Inputs: []string{"init", "A", "B"}, Outputs: []string{"final", "prod"},
			Attrs: []onnxtest.Attr{{Name: "body", Graph: &body}, {Name: "num_scan_inputs", Int: onnxtest.I64(2)},
				{Name: "scan_input_axes", Ints: []int64{1, 1}}, {Name: "scan_input_directions", Ints: []int64{0, 1}}}}},
	}
	p := cfCompile(t, m, cpu.Options{})
	init := []float32{10, 20}
	A := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	B := []float32{1, 10, 100, 1000, 2, 3, 4, 5}
	copy(p.Inputs[0].F, init)
	copy(p.Inputs[1].F, A)
	copy(p.Inputs[2].F, B)
	for run := 0; run < 2; run++ {
		if err := p.Execute(); err != nil {
			t.Fatal(err)
		}
		if got, want := p.Outputs[0].F, []float32{20, 46}; !slices.Equal(got, want) {
			t.Errorf("run %d: final %v, want %v", run, got, want)
		}
		// prod[t] = A[:,t] · B[:,3-t]
		var want []float32
		for s := 0; s < 4; s++ {
			for r := 0; r < 2; r++ {
				want = append(want, A[r*4+s]*B[r*4+3-s])
			}
		}
		if got := p.Outputs[1].F; !slices.Equal(got, want) {
			t.Errorf("run %d: prod %v, want %v", run, got, want)
		}
	}
}

// An If whose branches give different shapes cannot have one static shape.
func TestIfShapeMismatch(t *testing.T) {
	then := onnxtest.Graph{Outputs: []onnxtest.Value{{Name: "t"}}, Nodes: []onnxtest.Node{cfNode("Relu", []string{"x"}, "t")}}
	els := onnxtest.Graph{Outputs: []onnxtest.Value{{Name: "e"}},
		Nodes: []onnxtest.Node{cfNode("ReduceSum", []string{"x"}, "e", onnxtest.Attr{Name: "keepdims", Int: onnxtest.I64(0)})}}
	m := onnxtest.Model{Opset: 11,
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}, {Name: "c", Elem: onnxtest.Bool, Dims: []any{}}},
		Outputs: []onnxtest.Value{{Name: "y"}},
		Nodes: []onnxtest.Node{{Op: "If", Name: "pick", Inputs: []string{"c"}, Outputs: []string{"y"},
			Attrs: []onnxtest.Attr{{Name: "then_branch", Graph: &then}, {Name: "else_branch", Graph: &els}}}}}
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	_, err = cpu.Compile(g, cpu.Options{})
	if err == nil || !strings.Contains(err.Error(), `node "pick" (If): output 0 is float32[2] in then_branch and float32[] in else_branch`) {
		t.Errorf("got %v", err)
	}
}
