package grad_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/grad"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/graph/graphtest"
)

// nd builds a node: attrs alternate name, value (ints become int64s, int
// slices []int64, float64s float32s).
func nd(op string, ins, outs []string, attrs ...any) *graph.Node {
	n := &graph.Node{Name: op + "_" + outs[0], Op: op, Inputs: ins, Outputs: outs, Attrs: map[string]any{}}
	n.Attrs = graphtest.Attrs(attrs...)
	return n
}

type in struct {
	name  string
	shape []int
	// lo > 0 draws values of |N(0,1)|+lo (for divisors); else N(0,1).
	lo float32
}

type vjpCase struct {
	name   string
	inputs []in
	consts map[string][]int // float constants (random weights), by name
	ints   map[string][]int64
	fconst map[string][]float32
	nodes  []*graph.Node
	fuse   bool             // compile with fusion (else NoFusion)
	wantOp string           // an op the compiled plan must contain
	opset  int64            // the graph's opset; 0 is 13
	iscal  map[string]int64 // int64 scalar (rank-0) constants, by name
}

func conv(ins []string, out string, attrs ...any) *graph.Node {
	return nd("Conv", ins, []string{out}, attrs...)
}

func fused(act string, params []float32, ins []string, attrs ...any) *graph.Node {
	n := nd("FusedConv", ins, []string{"y"}, attrs...)
	n.Attrs["activation"] = act
	n.Attrs["activation_params"] = params
	return n
}

func vjpCases() []vjpCase {
	y := []string{"y"}
	var cs []vjpCase
	cs = append(cs,
		vjpCase{name: "conv stride 2 pad 1 bias", inputs: []in{{"x", []int{2, 4, 7, 7}, 0}},
			consts: map[string][]int{"w": {6, 4, 3, 3}, "b": {6}},
			nodes:  []*graph.Node{conv([]string{"x", "w", "b"}, "y", "strides", []int{2, 2}, "pads", []int{1, 1, 1, 1})}},
		vjpCase{name: "conv groups 2 strides 1x2 asymmetric pads", inputs: []in{{"x", []int{1, 4, 6, 7}, 0}},
			consts: map[string][]int{"w": {6, 2, 3, 2}},
			nodes:  []*graph.Node{conv([]string{"x", "w"}, "y", "group", 2, "strides", []int{1, 2}, "pads", []int{0, 1, 1, 0})}},
		vjpCase{name: "depthwise conv", inputs: []in{{"x", []int{1, 4, 6, 6}, 0}},
			consts: map[string][]int{"w": {4, 1, 3, 3}, "b": {4}},
			nodes:  []*graph.Node{conv([]string{"x", "w", "b"}, "y", "group", 4, "pads", []int{1, 1, 1, 1})}},
		vjpCase{name: "depthwise conv stride 2 multiplier 2", inputs: []in{{"x", []int{1, 3, 7, 7}, 0}},
			consts: map[string][]int{"w": {6, 1, 3, 3}},
			nodes:  []*graph.Node{conv([]string{"x", "w"}, "y", "group", 3, "strides", []int{2, 2}, "pads", []int{1, 1, 1, 1})}},
		vjpCase{name: "1-D conv", inputs: []in{{"x", []int{1, 3, 9}, 0}},
			consts: map[string][]int{"w": {2, 3, 3}},
			nodes:  []*graph.Node{conv([]string{"x", "w"}, "y", "strides", []int{2}, "pads", []int{1, 0})}},
	)
	for _, a := range []struct {
		act    string
		params []float32
	}{{"", nil}, {"Relu", []float32{0, 0}}, {"Clip", []float32{0, 6}}, {"Clip", []float32{-1, 1}}, {"HardSigmoid", []float32{0.2, 0.5}},
		{"HardSwish", []float32{0, 0}}, {"Sigmoid", []float32{0, 0}}, {"SiLU", []float32{0, 0}}, {"LeakyRelu", []float32{0.1, 0}}} {
		name := a.act
		if name == "" {
			name = "none"
		}
		cs = append(cs, vjpCase{name: "FusedConv " + name + " bias residual", inputs: []in{{"x", []int{1, 4, 5, 5}, 0}, {"r", []int{1, 6, 3, 3}, 0}},
			consts: map[string][]int{"w": {6, 2, 3, 3}, "b": {6}},
			nodes:  []*graph.Node{fused(a.act, a.params, []string{"x", "w", "b", "r"}, "group", 2, "strides", []int{2, 2}, "pads", []int{1, 1, 1, 1})}})
		cs = append(cs, vjpCase{name: "FusedConv " + name + " depthwise", inputs: []in{{"x", []int{1, 3, 6, 6}, 0}},
			consts: map[string][]int{"w": {3, 1, 3, 3}, "b": {3}},
			nodes:  []*graph.Node{fused(a.act, a.params, []string{"x", "w", "b", ""}, "group", 3, "pads", []int{1, 1, 1, 1})}})
	}
	cs = append(cs,
		vjpCase{name: "Conv+Add+Relu fused by the compiler", inputs: []in{{"x", []int{1, 3, 5, 5}, 0}, {"r", []int{1, 4, 5, 5}, 0}},
			consts: map[string][]int{"w": {4, 3, 3, 3}, "b": {4}}, fuse: true, wantOp: "FusedConv",
			nodes: []*graph.Node{conv([]string{"x", "w", "b"}, "c", "pads", []int{1, 1, 1, 1}),
				nd("Add", []string{"c", "r"}, []string{"s"}), nd("Relu", []string{"s"}, y)}},
		vjpCase{name: "Conv+Clip (Relu6) fused by the compiler", inputs: []in{{"x", []int{1, 3, 5, 5}, 0}},
			consts: map[string][]int{"w": {4, 3, 3, 3}}, fuse: true, wantOp: "FusedConv", fconst: map[string][]float32{"lo": {0}, "hi": {6}},
			nodes: []*graph.Node{conv([]string{"x", "w"}, "c", "pads", []int{1, 1, 1, 1}), nd("Clip", []string{"c", "lo", "hi"}, y)}},
		vjpCase{name: "Gemm transB, C broadcast", inputs: []in{{"x", []int{3, 5}, 0}},
			consts: map[string][]int{"w": {4, 5}, "c": {4}},
			nodes:  []*graph.Node{nd("Gemm", []string{"x", "w", "c"}, y, "transB", 1, "alpha", 0.5, "beta", 2.0)}},
		vjpCase{name: "Gemm transA, run-time B and C", inputs: []in{{"a", []int{5, 3}, 0}, {"b", []int{5, 4}, 0}, {"c", []int{1, 4}, 0}},
			nodes: []*graph.Node{nd("Gemm", []string{"a", "b", "c"}, y, "transA", 1, "alpha", 1.5)}},
		vjpCase{name: "MatMul 2-D", inputs: []in{{"a", []int{3, 5}, 0}, {"b", []int{5, 4}, 0}},
			nodes: []*graph.Node{nd("MatMul", []string{"a", "b"}, y)}},
		vjpCase{name: "Add broadcast NCHW + 1C11", inputs: []in{{"a", []int{2, 3, 4, 4}, 0}, {"b", []int{1, 3, 1, 1}, 0}},
			nodes: []*graph.Node{nd("Add", []string{"a", "b"}, y)}},
		vjpCase{name: "Mul broadcast NCHW * 1C11", inputs: []in{{"a", []int{2, 3, 4, 4}, 0}, {"b", []int{1, 3, 1, 1}, 0}},
			nodes: []*graph.Node{nd("Mul", []string{"b", "a"}, y)}},
		vjpCase{name: "Mul same input twice", inputs: []in{{"a", []int{2, 3}, 0}},
			nodes: []*graph.Node{nd("Mul", []string{"a", "a"}, y)}},
		vjpCase{name: "Sub and Div broadcast", inputs: []in{{"a", []int{1, 3, 2, 2}, 0}, {"b", []int{3, 1, 1}, 0.5}},
			nodes: []*graph.Node{nd("Sub", []string{"a", "b"}, []string{"s"}), nd("Div", []string{"s", "b"}, y)}},
		vjpCase{name: "Relu", inputs: []in{{"x", []int{2, 3, 4}, 0}}, nodes: []*graph.Node{nd("Relu", []string{"x"}, y)}},
		vjpCase{name: "Clip opset 13 inputs", inputs: []in{{"x", []int{2, 3, 4}, 0}}, fconst: map[string][]float32{"lo": {-0.5}, "hi": {0.7}},
			nodes: []*graph.Node{nd("Clip", []string{"x", "lo", "hi"}, y)}},
		vjpCase{name: "Sigmoid", inputs: []in{{"x", []int{2, 3, 4}, 0}}, nodes: []*graph.Node{nd("Sigmoid", []string{"x"}, y)}},
		vjpCase{name: "HardSwish", inputs: []in{{"x", []int{4, 16}, 0}}, nodes: []*graph.Node{nd("Mul", []string{"x", "k"}, []string{"x4"}), nd("HardSwish", []string{"x4"}, y)},
			fconst: map[string][]float32{"k": {4}}},
		vjpCase{name: "HardSigmoid", inputs: []in{{"x", []int{4, 8}, 0}}, nodes: []*graph.Node{nd("HardSigmoid", []string{"x"}, y, "alpha", 0.3)}},
		vjpCase{name: "LeakyRelu", inputs: []in{{"x", []int{4, 8}, 0}}, nodes: []*graph.Node{nd("LeakyRelu", []string{"x"}, y, "alpha", 0.2)}},
		vjpCase{name: "GlobalAveragePool", inputs: []in{{"x", []int{2, 3, 4, 5}, 0}}, nodes: []*graph.Node{nd("GlobalAveragePool", []string{"x"}, y)}},
		vjpCase{name: "AveragePool k3 s2 p1", inputs: []in{{"x", []int{1, 2, 7, 6}, 0}},
			nodes: []*graph.Node{nd("AveragePool", []string{"x"}, y, "kernel_shape", []int{3, 3}, "strides", []int{2, 2}, "pads", []int{1, 1, 1, 1})}},
		vjpCase{name: "AveragePool count_include_pad ceil", inputs: []in{{"x", []int{1, 2, 6, 6}, 0}},
			nodes: []*graph.Node{nd("AveragePool", []string{"x"}, y, "kernel_shape", []int{3, 3}, "strides", []int{2, 2}, "pads", []int{1, 1, 1, 1}, "count_include_pad", 1, "ceil_mode", 1)}},
		vjpCase{name: "MaxPool k3 s2 p1", inputs: []in{{"x", []int{1, 2, 7, 7}, 0}},
			nodes: []*graph.Node{nd("MaxPool", []string{"x"}, y, "kernel_shape", []int{3, 3}, "strides", []int{2, 2}, "pads", []int{1, 1, 1, 1})}},
		vjpCase{name: "MaxPool 2x2", inputs: []in{{"x", []int{2, 3, 4, 4}, 0}},
			nodes: []*graph.Node{nd("MaxPool", []string{"x"}, y, "kernel_shape", []int{2, 2}, "strides", []int{2, 2})}},
		vjpCase{name: "Reshape Flatten Squeeze Unsqueeze", inputs: []in{{"x", []int{1, 2, 3, 4}, 0}},
			ints:   map[string][]int64{"shape": {1, 6, 4}, "ax0": {0}, "ax2": {2}},
			consts: map[string][]int{"w": {24, 3}},
			nodes: []*graph.Node{nd("Reshape", []string{"x", "shape"}, []string{"r"}), nd("Unsqueeze", []string{"r", "ax2"}, []string{"u"}),
				nd("Squeeze", []string{"u", "ax0"}, []string{"s"}), nd("Flatten", []string{"s"}, []string{"f"}, "axis", 0), nd("Gemm", []string{"f", "w"}, y)}},
		vjpCase{name: "Softmax last axis", inputs: []in{{"x", []int{3, 6}, 0}}, nodes: []*graph.Node{nd("Softmax", []string{"x"}, y, "axis", -1)}},
		vjpCase{name: "Softmax axis 1 of 3", inputs: []in{{"x", []int{2, 4, 3}, 0}}, nodes: []*graph.Node{nd("Softmax", []string{"x"}, y, "axis", 1)}},
		vjpCase{name: "LogSoftmax", inputs: []in{{"x", []int{3, 6}, 0}}, nodes: []*graph.Node{nd("LogSoftmax", []string{"x"}, y, "axis", -1)}},
		vjpCase{name: "Concat channels then conv", inputs: []in{{"a", []int{1, 2, 4, 4}, 0}, {"b", []int{1, 3, 4, 4}, 0}},
			consts: map[string][]int{"w": {2, 5, 1, 1}},
			nodes:  []*graph.Node{nd("Concat", []string{"a", "b"}, []string{"c"}, "axis", 1), conv([]string{"c", "w"}, "y")}},
		vjpCase{name: "Concat last axis, same input twice", inputs: []in{{"a", []int{2, 3}, 0}, {"b", []int{2, 2}, 0}},
			nodes: []*graph.Node{nd("Concat", []string{"a", "b", "a"}, y, "axis", -1)}},
		vjpCase{name: "a small network", inputs: []in{{"x", []int{1, 3, 8, 8}, 0}},
			consts: map[string][]int{"w1": {4, 3, 3, 3}, "b1": {4}, "w2": {4, 1, 3, 3}, "w3": {5, 4}, "c3": {5}}, fuse: true,
			fconst: map[string][]float32{"lo": {0}, "hi": {6}},
			nodes: []*graph.Node{conv([]string{"x", "w1", "b1"}, "c1", "strides", []int{2, 2}, "pads", []int{1, 1, 1, 1}), nd("Clip", []string{"c1", "lo", "hi"}, []string{"a1"}),
				conv([]string{"a1", "w2"}, "c2", "group", 4, "pads", []int{1, 1, 1, 1}), nd("Add", []string{"c2", "a1"}, []string{"s2"}),
				nd("MaxPool", []string{"s2"}, []string{"p2"}, "kernel_shape", []int{2, 2}, "strides", []int{2, 2}),
				nd("GlobalAveragePool", []string{"p2"}, []string{"g"}), nd("Flatten", []string{"g"}, []string{"f"}),
				nd("Gemm", []string{"f", "w3", "c3"}, []string{"l"}, "transB", 1), nd("Softmax", []string{"l"}, y)}},
	)
	return cs
}

func build(t *testing.T, c vjpCase, r *rand.Rand, reuse bool) (*cpu.Program, map[string]*graph.Tensor) {
	t.Helper()
	opset := c.opset
	if opset == 0 {
		opset = 13
	}
	g := &graph.Graph{Opset: opset, Initializers: map[string]*graph.Tensor{}, Nodes: c.nodes, Outputs: []graph.ValueInfo{{Name: "y", DType: graph.Float32}}}
	for name, shape := range c.consts {
		w := graph.New(graph.Float32, shape)
		for i := range w.F {
			w.F[i] = float32(r.NormFloat64() * 0.5)
		}
		g.Initializers[name] = w
	}
	for name, v := range c.ints {
		g.Initializers[name] = graph.Ints([]int{len(v)}, v)
	}
	for name, v := range c.iscal {
		g.Initializers[name] = graph.Ints([]int{}, []int64{v})
	}
	for name, v := range c.fconst {
		var shape []int // one value is a scalar, more a vector
		if len(v) > 1 {
			shape = []int{len(v)}
		}
		g.Initializers[name] = graph.Floats(shape, v)
	}
	shapes := map[string][]int{}
	for _, x := range c.inputs {
		dims := make([]graph.Dim, len(x.shape))
		for i, d := range x.shape {
			dims[i] = graph.Dim{Value: int64(d)}
		}
		g.Inputs = append(g.Inputs, graph.ValueInfo{Name: x.name, DType: graph.Float32, Dims: dims})
		shapes[x.name] = x.shape
	}
	p, err := cpu.Compile(g, cpu.Options{NoReuse: !reuse, NoFusion: !c.fuse, InputShapes: shapes})
	if err != nil {
		t.Fatal(err)
	}
	ins := map[string]*graph.Tensor{}
	for i, name := range p.Names.Inputs {
		ins[name] = p.Inputs[i]
		x := c.inputs[i]
		for j := range p.Inputs[i].F {
			v := float32(r.NormFloat64())
			if x.lo > 0 {
				v = float32(math.Abs(float64(v))) + x.lo
			}
			p.Inputs[i].F[j] = v
		}
	}
	return p, ins
}

// The gradient of L = Σ r·y (r random) with respect to every input, from
// Backward, against central finite differences of the float32 program
// summed in float64. Tolerance: |analytic − numeric| ≤ 2e-3·(1+|numeric|)
// with step h = 1e-2 (float32 rounding of L over 2h is about 1e-4, the
// truncation error h²·f”' about as much). Elements where a kink (Relu,
// Clip, max) lies within h of the point give different differences at h
// h/2 and h/4 and are skipped; at most 10% of a case may be.
func TestVJP(t *testing.T) {
	for ci, c := range append(vjpCases(), moreVJPCases()...) {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(ci), 7))
			p, _ := build(t, c, r, false)
			if c.wantOp != "" {
				found := false
				for _, s := range p.Plan() {
					found = found || s.Node.Op == c.wantOp
				}
				if !found {
					t.Fatalf("the compiled plan has no %s: %s", c.wantOp, p.OpCounts())
				}
			}
			y := p.Outputs[0]
			seed := make([]float32, len(y.F))
			for i := range seed {
				seed[i] = float32(r.NormFloat64())
			}
			loss := func() float64 {
				if err := p.Execute(); err != nil {
					t.Fatal(err)
				}
				s := 0.0
				for i, v := range y.F {
					s += float64(v) * float64(seed[i])
				}
				return s
			}
			loss()
			plan, err := grad.New(p, []*graph.Tensor{y}, p.Inputs)
			if err != nil {
				t.Fatal(err)
			}
			gr, err := plan.Backward(map[*graph.Tensor][]float32{y: seed})
			if err != nil {
				t.Fatal(err)
			}
			got := map[*graph.Tensor][]float32{}
			for k, v := range gr {
				got[k] = append([]float32(nil), v...)
			}
			const h, tol, kink = 1e-2, 2e-3, 3e-3
			fd := func(x []float32, i int, h float32) float64 {
				v := x[i]
				x[i] = v + h
				lp := loss()
				x[i] = v - h
				lm := loss()
				x[i] = v
				return (lp - lm) / (2 * float64(h))
			}
			checked, skipped, worst := 0, 0, 0.0
			for k, x := range p.Inputs {
				g := got[x]
				for i := range x.F {
					n1, n2, n4 := fd(x.F, i, h), fd(x.F, i, h/2), fd(x.F, i, h/4)
					if math.Abs(n1-n2) > kink*(1+math.Abs(n2)) || math.Abs(n4-n2) > kink*(1+math.Abs(n2)) {
						skipped++
						continue
					}
					checked++
					d := math.Abs(float64(g[i])-n2) / (1 + math.Abs(n2))
					worst = max(worst, d)
					if d > tol {
						t.Errorf("input %s[%d]: gradient %v, finite difference %v", p.Names.Inputs[k], i, g[i], n2)
					}
				}
			}
			if skipped*10 > checked+skipped {
				t.Errorf("%d of %d elements skipped at kinks", skipped, checked+skipped)
			}
			t.Logf("%d elements, %d skipped at kinks, worst relative error %.2g", checked, skipped, worst)
			// A second Backward gives the same gradients (buffers are cleared).
			loss()
			gr2, err := plan.Backward(map[*graph.Tensor][]float32{y: seed})
			if err != nil {
				t.Fatal(err)
			}
			for x, v := range gr2 {
				for i := range v {
					if v[i] != got[x][i] {
						t.Fatalf("second run differs at %d: %v vs %v", i, v[i], got[x][i])
					}
				}
			}
		})
	}
}

// An op with no gradient between the seeds and wrt is an UnsupportedError
// naming it; one outside that path is no trouble.
func TestUnsupported(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := vjpCase{inputs: []in{{"x", []int{2, 3}, 0}, {"z", []int{2, 3}, 0}},
		nodes: []*graph.Node{nd("Atan", []string{"x"}, []string{"t"}), nd("Tanh", []string{"z"}, []string{"tz"}),
			nd("Relu", []string{"t"}, []string{"u"}), nd("Add", []string{"u", "tz"}, []string{"y"})}}
	p, _ := build(t, c, r, false)
	_, err := grad.New(p, []*graph.Tensor{p.Outputs[0]}, []*graph.Tensor{p.Inputs[0]})
	var ue *grad.UnsupportedError
	if !errors.As(err, &ue) || ue.Op != "Atan" || !strings.Contains(err.Error(), "Atan") {
		t.Fatalf("got %v, want an UnsupportedError for Atan", err)
	}
	// From the output back to u, only Add lies on the way.
	var u *graph.Tensor
	for _, s := range p.Plan() {
		if s.Node.Outputs[0] == "u" {
			u = s.Out[0]
		}
	}
	if _, err := grad.New(p, []*graph.Tensor{p.Outputs[0]}, []*graph.Tensor{u}); err != nil {
		t.Fatal(err)
	}
}

// A program that shares its arena overwrites the activations the backward
// pass reads: New says to compile with NoReuse.
func TestReuseRefused(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 3))
	c := vjpCase{inputs: []in{{"x", []int{4, 4}, 0}},
		nodes: []*graph.Node{nd("Sigmoid", []string{"x"}, []string{"a"}), nd("Sigmoid", []string{"a"}, []string{"b"}),
			nd("Sigmoid", []string{"b"}, []string{"c"}), nd("Sigmoid", []string{"c"}, []string{"d"}), nd("Sigmoid", []string{"d"}, []string{"y"})}}
	p, _ := build(t, c, r, true)
	_, err := grad.New(p, []*graph.Tensor{p.Outputs[0]}, p.Inputs)
	if err == nil || !strings.Contains(err.Error(), "NoReuse") {
		t.Fatalf("got %v, want an error saying to compile with NoReuse", err)
	}
}
