//go:build js && wasm

package webgpu

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// Every test here builds a tiny model with onnxtest, compiles it with
// cpu.Compile (so fusion and folding are the app's) and compares the GPU's
// output with cpu.Program.Run on random data. Unless a case says otherwise
// the tolerance is |gpu − cpu| ≤ 1e-5 + 1e-5·|cpu| (float32 sums in another
// order; transcendental functions 1e-4 + 1e-4·|cpu|, since GPUs evaluate
// exp/log/sin at a few ulp), and no op may run on the CPU.

func ints(name string, v ...int64) onnxtest.Attr { return onnxtest.Attr{Name: name, Ints: v} }
func i64(name string, v int64) onnxtest.Attr     { return onnxtest.Attr{Name: name, Int: onnxtest.I64(v)} }
func f32(name string, v float32) onnxtest.Attr {
	return onnxtest.Attr{Name: name, Float: onnxtest.F32(v)}
}
func str(name, v string) onnxtest.Attr { return onnxtest.Attr{Name: name, Str: onnxtest.Str(v)} }
func node(op string, in, out []string, a ...onnxtest.Attr) onnxtest.Node {
	return onnxtest.Node{Op: op, Name: out[0], Inputs: in, Outputs: out, Attrs: a}
}
func n1(op string, in []string, out string, a ...onnxtest.Attr) onnxtest.Node {
	return node(op, in, []string{out}, a...)
}

// constInts is a Constant node with an int64 vector (onnxtest initializers are float32).
func constInts(name string, v ...int64) onnxtest.Node {
	return n1("Constant", nil, name, ints("value_ints", v...))
}
func constInt(name string, v int64) onnxtest.Node {
	return n1("Constant", nil, name, i64("value_int", v))
}

func dimsAny(d []int) []any {
	a := make([]any, len(d))
	for i, v := range d {
		a[i] = v
	}
	return a
}

func init64(v []int) []int64 {
	a := make([]int64, len(v))
	for i, x := range v {
		a[i] = int64(x)
	}
	return a
}

// tiny is a model with input "x" of shape xs whose output is the last node's first output.
func tiny(xs []int, opset int64, inits []onnxtest.Init, nodes ...onnxtest.Node) onnxtest.Model {
	last := nodes[len(nodes)-1].Outputs[0]
	return onnxtest.Model{Opset: opset, Inputs: []onnxtest.Value{{Name: "x", Dims: dimsAny(xs)}},
		Outputs: []onnxtest.Value{{Name: last}}, Inits: inits, Nodes: nodes}
}

func randInit(r *rand.Rand, name string, shape []int, lo, hi float32) onnxtest.Init {
	return onnxtest.Init{Name: name, Dims: init64(shape), Floats: randVec(r, graph.NumElems(shape), lo, hi)}
}

type opCase struct {
	name       string
	m          onnxtest.Model
	lo, hi     float32 // input range (default [-1, 1])
	atol, rtol float64 // default 1e-5, 1e-5
	wantOp     string  // an op the compiled graph must contain (e.g. FusedConv)
	cpuOps     int     // ops expected on the CPU
}

func runCases(t *testing.T, cases []opCase) {
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, m := compileBoth(t, tc.m, cpu.Options{})
			if tc.wantOp != "" && !strings.Contains(p.OpCounts(), tc.wantOp) {
				t.Fatalf("compiled graph %q lacks %s", p.OpCounts(), tc.wantOp)
			}
			if got := len(m.CPUOps()); got != tc.cpuOps {
				t.Errorf("CPU ops %q, want %d", m.CPUOps(), tc.cpuOps)
			}
			lo, hi := tc.lo, tc.hi
			if lo == 0 && hi == 0 {
				lo, hi = -1, 1
			}
			atol, rtol := tc.atol, tc.rtol
			if atol == 0 {
				atol, rtol = 1e-5, 1e-5
			}
			r := rand.New(rand.NewSource(int64(100 + i)))
			worst := runBoth(t, p, m, randVec(r, p.Inputs[0].Len(), lo, hi), atol, rtol)
			t.Logf("%s: worst |diff| %.3g, %d dispatches", p.OpCounts(), worst, m.Dispatches())
		})
	}
}

// ---- convolution ----

type convCase struct {
	name  string
	x, w  []int
	attrs []onnxtest.Attr
	noB   bool
	act   string // Relu, Clip, HardSigmoid, HardSwish, Sigmoid, SiLU, LeakyRelu
	res   bool   // a second conv of the same geometry adds its output
}

func convModel(r *rand.Rand, c convCase) onnxtest.Model {
	inits := []onnxtest.Init{randInit(r, "w", c.w, -1, 1), randInit(r, "b", c.w[:1], -1, 1),
		randInit(r, "w2", c.w, -1, 1), randInit(r, "b2", c.w[:1], -1, 1),
		{Name: "lo", Dims: []int64{}, Floats: []float32{-0.5}}, {Name: "hi", Dims: []int64{}, Floats: []float32{0.75}}}
	in := []string{"x", "w", "b"}
	if c.noB {
		in = in[:2]
	}
	nodes := []onnxtest.Node{n1("Conv", in, "c", c.attrs...)}
	cur := "c"
	if c.res {
		nodes = append(nodes, n1("Conv", []string{"x", "w2", "b2"}, "r", c.attrs...), n1("Add", []string{"c", "r"}, "s"))
		cur = "s"
	}
	switch c.act {
	case "":
	case "Clip":
		nodes = append(nodes, n1("Clip", []string{cur, "lo", "hi"}, "a"))
	case "HardSigmoid":
		nodes = append(nodes, n1("HardSigmoid", []string{cur}, "a", f32("alpha", 0.3), f32("beta", 0.4)))
	case "LeakyRelu":
		nodes = append(nodes, n1("LeakyRelu", []string{cur}, "a", f32("alpha", 0.1)))
	case "SiLU":
		nodes = append(nodes, n1("Sigmoid", []string{cur}, "g"), n1("Mul", []string{cur, "g"}, "a"))
	default:
		nodes = append(nodes, n1(c.act, []string{cur}, "a"))
	}
	return tiny(c.x, 14, inits, nodes...)
}

func TestConv(t *testing.T) {
	pads := func(v ...int64) onnxtest.Attr { return ints("pads", v...) }
	strides := func(v ...int64) onnxtest.Attr { return ints("strides", v...) }
	group := func(g int64) onnxtest.Attr { return i64("group", g) }
	cases := []convCase{
		{name: "3x3 odd 17x13", x: []int{1, 3, 17, 13}, w: []int{8, 3, 3, 3}, attrs: []onnxtest.Attr{pads(1, 1, 1, 1)}},
		{name: "3x3 stride 2 asymmetric pads", x: []int{1, 5, 15, 11}, w: []int{7, 5, 3, 3}, attrs: []onnxtest.Attr{strides(2, 2), pads(0, 1, 2, 1)}},
		{name: "groups 2", x: []int{1, 8, 10, 9}, w: []int{6, 4, 3, 3}, attrs: []onnxtest.Attr{group(2), pads(1, 1, 1, 1)}},
		{name: "groups 4", x: []int{1, 8, 9, 10}, w: []int{8, 2, 3, 3}, attrs: []onnxtest.Attr{group(4)}},
		{name: "depthwise 3x3", x: []int{1, 16, 14, 13}, w: []int{16, 1, 3, 3}, attrs: []onnxtest.Attr{group(16), pads(1, 1, 1, 1)}},
		{name: "depthwise 5x5 stride 2", x: []int{1, 12, 17, 15}, w: []int{12, 1, 5, 5}, attrs: []onnxtest.Attr{group(12), strides(2, 2), pads(2, 2, 2, 2)}},
		{name: "depthwise multiplier 2", x: []int{1, 4, 9, 9}, w: []int{8, 1, 3, 3}, attrs: []onnxtest.Attr{group(4), pads(1, 1, 1, 1)}},
		{name: "depthwise dilation 2 asymmetric", x: []int{1, 6, 11, 12}, w: []int{6, 1, 3, 3}, attrs: []onnxtest.Attr{group(6), ints("dilations", 2, 2), pads(2, 1, 0, 2)}},
		{name: "dilation 2", x: []int{1, 4, 15, 14}, w: []int{6, 4, 3, 3}, attrs: []onnxtest.Attr{ints("dilations", 2, 2), pads(2, 2, 2, 2)}},
		{name: "1x1 vec4", x: []int{1, 24, 8, 6}, w: []int{40, 24, 1, 1}},
		{name: "1x1 odd HW", x: []int{1, 20, 7, 7}, w: []int{30, 20, 1, 1}},
		{name: "1x1 stride 2", x: []int{1, 8, 9, 9}, w: []int{16, 8, 1, 1}, attrs: []onnxtest.Attr{strides(2, 2)}},
		{name: "5x5", x: []int{1, 3, 13, 11}, w: []int{5, 3, 5, 5}, attrs: []onnxtest.Attr{pads(2, 2, 2, 2)}},
		{name: "16x16 stride 16 (patches)", x: []int{1, 3, 32, 48}, w: []int{24, 3, 16, 16}, attrs: []onnxtest.Attr{strides(16, 16)}},
		{name: "N=2 3x3", x: []int{2, 3, 11, 9}, w: []int{6, 3, 3, 3}, attrs: []onnxtest.Attr{pads(1, 1, 1, 1)}},
		{name: "N=2 1x1 vec4", x: []int{2, 16, 6, 6}, w: []int{20, 16, 1, 1}},
		{name: "N=2 depthwise", x: []int{2, 5, 7, 8}, w: []int{5, 1, 3, 3}, attrs: []onnxtest.Attr{group(5), pads(1, 1, 1, 1)}},
		{name: "M=80 K=360 (several tiles)", x: []int{1, 40, 12, 11}, w: []int{80, 40, 3, 3}, attrs: []onnxtest.Attr{pads(1, 1, 1, 1)}},
		{name: "no bias", x: []int{1, 3, 8, 8}, w: []int{4, 3, 3, 3}, noB: true},
		{name: "1-D", x: []int{1, 4, 20}, w: []int{6, 4, 3}, attrs: []onnxtest.Attr{pads(1, 1)}},
		{name: "auto_pad SAME_UPPER stride 2", x: []int{1, 3, 10, 9}, w: []int{4, 3, 3, 3}, attrs: []onnxtest.Attr{str("auto_pad", "SAME_UPPER"), strides(2, 2)}},
		{name: "residual+Relu", x: []int{1, 6, 10, 9}, w: []int{10, 6, 3, 3}, attrs: []onnxtest.Attr{pads(1, 1, 1, 1)}, res: true, act: "Relu"},
		{name: "1x1 vec4 residual", x: []int{1, 8, 4, 4}, w: []int{8, 8, 1, 1}, res: true},
		{name: "depthwise residual", x: []int{1, 8, 9, 7}, w: []int{8, 1, 3, 3}, attrs: []onnxtest.Attr{group(8), pads(1, 1, 1, 1)}, res: true},
		{name: "groups residual LeakyRelu", x: []int{1, 8, 7, 7}, w: []int{8, 2, 3, 3}, attrs: []onnxtest.Attr{group(4), pads(1, 1, 1, 1)}, res: true, act: "LeakyRelu"},
		{name: "depthwise Clip", x: []int{1, 8, 9, 7}, w: []int{8, 1, 3, 3}, attrs: []onnxtest.Attr{group(8), pads(1, 1, 1, 1)}, act: "Clip"},
		{name: "depthwise HardSwish", x: []int{1, 8, 9, 7}, w: []int{8, 1, 3, 3}, attrs: []onnxtest.Attr{group(8), pads(1, 1, 1, 1)}, act: "HardSwish"},
	}
	for _, act := range []string{"Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "SiLU", "LeakyRelu"} {
		cases = append(cases, convCase{name: "act " + act, x: []int{1, 6, 10, 9}, w: []int{10, 6, 3, 3},
			attrs: []onnxtest.Attr{pads(1, 1, 1, 1)}, act: act})
	}
	r := rand.New(rand.NewSource(7))
	var oc []opCase
	for _, c := range cases {
		want := "Conv"
		if c.act != "" || c.res {
			want = "FusedConv"
		}
		oc = append(oc, opCase{name: c.name, m: convModel(r, c), wantOp: want, atol: 2e-5, rtol: 2e-5})
	}
	runCases(t, oc)
}

// ---- elementwise ----

func TestBinaryBroadcast(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	bin := func(op string, xs, bs []int, lo, hi float32) opCase {
		return opCase{name: fmt.Sprintf("%s %v by %v", op, xs, bs),
			m: tiny(xs, 13, []onnxtest.Init{randInit(r, "b", bs, lo, hi)}, n1(op, []string{"x", "b"}, "y"))}
	}
	cases := []opCase{
		bin("Add", []int{2, 3, 4, 5}, []int{5}, -1, 1),
		bin("Sub", []int{2, 3, 4, 5}, []int{3, 1, 1}, -1, 1),
		bin("Mul", []int{1, 3, 1, 5}, []int{2, 1, 4, 1}, -1, 1),
		bin("Div", []int{4, 5}, []int{}, 1, 2),
		bin("Div", []int{2, 1, 6}, []int{1, 5, 1}, 1, 2),
		bin("Max", []int{2, 3, 4}, []int{4}, -1, 1),
		bin("Min", []int{2, 3, 4}, []int{3, 1}, -1, 1),
		bin("PRelu", []int{1, 3, 4, 4}, []int{3, 1, 1}, 0, 1),
		bin("Add", []int{3, 1, 7}, []int{2, 1, 5, 1}, -1, 1),
		{name: "const minus x", m: tiny([]int{2, 3, 4, 5}, 13, []onnxtest.Init{randInit(r, "a", []int{5}, -1, 1)}, n1("Sub", []string{"a", "x"}, "y"))},
		{name: "Pow 2", m: tiny([]int{2, 3, 4}, 13, []onnxtest.Init{{Name: "e", Dims: []int64{}, Floats: []float32{2}}}, n1("Pow", []string{"x", "e"}, "y"))},
		{name: "Pow 3 negative base", m: tiny([]int{2, 3, 4}, 13, []onnxtest.Init{{Name: "e", Dims: []int64{}, Floats: []float32{3}}}, n1("Pow", []string{"x", "e"}, "y")), atol: 1e-4, rtol: 1e-4},
		{name: "Pow 1.5", m: tiny([]int{2, 3, 4}, 13, []onnxtest.Init{{Name: "e", Dims: []int64{}, Floats: []float32{1.5}}}, n1("Pow", []string{"x", "e"}, "y")), lo: 0.1, hi: 3, atol: 1e-4, rtol: 1e-4},
		{name: "x*x (repeated input)", m: tiny([]int{3, 5, 7}, 13, nil, n1("Mul", []string{"x", "x"}, "y"))},
		{name: "x*mean(x) run-time broadcast", m: tiny([]int{2, 3, 4, 5}, 13, nil,
			n1("ReduceMean", []string{"x"}, "m", ints("axes", 2, 3)), n1("Mul", []string{"x", "m"}, "y"))},
		{name: "Sum of two", m: tiny([]int{2, 3, 4}, 13, []onnxtest.Init{randInit(r, "b", []int{3, 1}, -1, 1)}, n1("Sum", []string{"x", "b"}, "y"))},
		{name: "Mean of two", m: tiny([]int{2, 3, 4}, 13, []onnxtest.Init{randInit(r, "b", []int{4}, -1, 1)}, n1("Mean", []string{"x", "b"}, "y"))},
		{name: "Max of one", m: tiny([]int{2, 3, 4}, 13, nil, n1("Max", []string{"x"}, "y"))},
	}
	runCases(t, cases)
}

func TestUnary(t *testing.T) {
	type u struct {
		op     string
		lo, hi float32
		attrs  []onnxtest.Attr
		trans  bool
	}
	list := []u{
		{op: "Relu"}, {op: "Sigmoid", trans: true}, {op: "Tanh", trans: true}, {op: "Exp", trans: true},
		{op: "Log", lo: 0.1, hi: 4, trans: true}, {op: "Neg"}, {op: "Abs"}, {op: "Sqrt", lo: 0.01, hi: 4, trans: true},
		{op: "Erf", trans: true}, {op: "Reciprocal", lo: 0.5, hi: 3}, {op: "Floor"}, {op: "Ceil"}, {op: "Round"},
		{op: "HardSigmoid", attrs: []onnxtest.Attr{f32("alpha", 0.25), f32("beta", 0.4)}}, {op: "HardSwish"},
		{op: "LeakyRelu", attrs: []onnxtest.Attr{f32("alpha", 0.2)}}, {op: "Elu", trans: true}, {op: "Selu", trans: true},
		{op: "Softplus", trans: true}, {op: "Softsign"}, {op: "Sin", trans: true}, {op: "Cos", trans: true}, {op: "Sign"},
		{op: "Celu", attrs: []onnxtest.Attr{f32("alpha", 0.7)}, trans: true}, {op: "ThresholdedRelu", attrs: []onnxtest.Attr{f32("alpha", 0.3)}},
		{op: "Gelu", trans: true}, {op: "Gelu", attrs: []onnxtest.Attr{str("approximate", "tanh")}, trans: true},
		{op: "Mish", trans: true}, {op: "Tan", lo: -1.2, hi: 1.2, trans: true}, {op: "Asin", lo: -0.9, hi: 0.9, trans: true},
		{op: "Acos", lo: -0.9, hi: 0.9, trans: true}, {op: "Atan", trans: true}, {op: "Sinh", trans: true},
		{op: "Cosh", trans: true}, {op: "Asinh", trans: true}, {op: "Acosh", lo: 1.1, hi: 4, trans: true},
		{op: "Atanh", lo: -0.9, hi: 0.9, trans: true}, {op: "Shrink", attrs: []onnxtest.Attr{f32("lambd", 0.3), f32("bias", 0.1)}},
	}
	var cases []opCase
	for _, c := range list {
		lo, hi := c.lo, c.hi
		if lo == 0 && hi == 0 {
			lo, hi = -3, 3
		}
		oc := opCase{name: c.op, m: tiny([]int{3, 5, 17}, 20, nil, n1(c.op, []string{"x"}, "y", c.attrs...)), lo: lo, hi: hi}
		if len(c.attrs) > 0 {
			oc.name += fmt.Sprint(c.attrs[0].Name)
		}
		if c.trans {
			oc.atol, oc.rtol = 1e-4, 1e-4
		}
		cases = append(cases, oc)
	}
	bounds := []onnxtest.Init{{Name: "lo", Dims: []int64{}, Floats: []float32{-0.5}}, {Name: "hi", Dims: []int64{}, Floats: []float32{0.25}}}
	cases = append(cases,
		opCase{name: "Clip min max", m: tiny([]int{3, 5, 17}, 13, bounds, n1("Clip", []string{"x", "lo", "hi"}, "y"))},
		opCase{name: "Clip min only", m: tiny([]int{3, 5, 17}, 13, bounds, n1("Clip", []string{"x", "lo"}, "y"))},
		opCase{name: "Clip opset 6 attrs", m: tiny([]int{3, 5, 17}, 6, nil, n1("Clip", []string{"x"}, "y", f32("min", -0.2), f32("max", 0.3)))},
	)
	runCases(t, cases)
}

// ---- pooling, reductions, matmul, normalization ----

func TestPool(t *testing.T) {
	k := func(v ...int64) onnxtest.Attr { return ints("kernel_shape", v...) }
	s := func(v ...int64) onnxtest.Attr { return ints("strides", v...) }
	p := func(v ...int64) onnxtest.Attr { return ints("pads", v...) }
	pool := func(name, op string, xs []int, a ...onnxtest.Attr) opCase {
		return opCase{name: name, m: tiny(xs, 13, nil, n1(op, []string{"x"}, "y", a...))}
	}
	runCases(t, []opCase{
		pool("max 3x3/2 ceil_mode", "MaxPool", []int{1, 4, 15, 15}, k(3, 3), s(2, 2), i64("ceil_mode", 1)),
		pool("max 3x3/2 ceil_mode even", "MaxPool", []int{1, 4, 16, 14}, k(3, 3), s(2, 2), i64("ceil_mode", 1)),
		pool("max 3x3/2 pad 1", "MaxPool", []int{1, 4, 16, 16}, k(3, 3), s(2, 2), p(1, 1, 1, 1)),
		pool("max 2x2/2 dilation 2", "MaxPool", []int{1, 3, 11, 11}, k(2, 2), s(2, 2), ints("dilations", 2, 2)),
		pool("max 3x3/1 pad 1 N=2", "MaxPool", []int{2, 3, 7, 6}, k(3, 3), p(1, 1, 1, 1)),
		pool("avg 3x3/2 pads ceil exclude pad", "AveragePool", []int{1, 3, 10, 11}, k(3, 3), s(2, 2), p(1, 1, 0, 0), i64("ceil_mode", 1)),
		pool("avg 3x3/2 pads ceil include pad", "AveragePool", []int{1, 3, 10, 11}, k(3, 3), s(2, 2), p(1, 1, 0, 0), i64("ceil_mode", 1), i64("count_include_pad", 1)),
		pool("avg 2x2/1 N=2", "AveragePool", []int{2, 3, 7, 7}, k(2, 2)),
		pool("avg 1-D", "AveragePool", []int{1, 3, 15}, k(3), s(2), p(1, 1)),
		pool("global average", "GlobalAveragePool", []int{2, 5, 7, 9}),
		pool("global max", "GlobalMaxPool", []int{1, 6, 5, 5}),
	})
}

func TestReduce(t *testing.T) {
	red := func(name, op string, xs []int, opset int64, a ...onnxtest.Attr) opCase {
		return opCase{name: name, m: tiny(xs, opset, nil, n1(op, []string{"x"}, "y", a...)), atol: 2e-5, rtol: 2e-5}
	}
	cases := []opCase{
		red("mean last keepdims", "ReduceMean", []int{2, 3, 50}, 13, ints("axes", -1)),
		red("mean H,W", "ReduceMean", []int{1, 70, 7, 7}, 13, ints("axes", 2, 3), i64("keepdims", 0)),
		red("max all", "ReduceMax", []int{3, 4, 5}, 13),
		red("min axis 1", "ReduceMin", []int{3, 4, 5}, 13, ints("axes", 1)),
		red("l2 axes 0,2 (apart)", "ReduceL2", []int{3, 4, 5}, 13, ints("axes", 0, 2)),
		red("l1", "ReduceL1", []int{3, 4, 5}, 13, ints("axes", 2)),
		red("sum square", "ReduceSumSquare", []int{3, 4, 5}, 13, ints("axes", 1, 2)),
		red("prod", "ReduceProd", []int{3, 4, 5}, 13, ints("axes", 0)),
		red("logsumexp 130", "ReduceLogSumExp", []int{2, 130, 3}, 13, ints("axes", 1)),
		{name: "logsum", m: tiny([]int{3, 4, 5}, 13, nil, n1("ReduceLogSum", []string{"x"}, "y", ints("axes", 1))), lo: 0.1, hi: 2, atol: 1e-4, rtol: 1e-4},
		{name: "sum axes input opset 13", m: tiny([]int{2, 7, 5}, 13, nil, constInts("ax", 1), n1("ReduceSum", []string{"x", "ax"}, "y", i64("keepdims", 0))), atol: 2e-5, rtol: 2e-5},
		// No axes with noop_with_empty_axes: nothing is reduced, |x| still
		// applies (the lowering once reduced everything here; it now reads
		// the compiler's resolved axes).
		red("l1 no axes, noop (opset 18)", "ReduceL1", []int{3, 4, 5}, 18, i64("noop_with_empty_axes", 1)),
		red("sum square no axes (opset 18): all", "ReduceSumSquare", []int{3, 4, 5}, 18),
	}
	runCases(t, cases)
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	gemm := func(name string, xs, bs, cs []int, a ...onnxtest.Attr) opCase {
		inits := []onnxtest.Init{randInit(r, "b", bs, -1, 1)}
		in := []string{"x", "b"}
		if cs != nil {
			inits = append(inits, randInit(r, "c", cs, -1, 1))
			in = append(in, "c")
		}
		return opCase{name: name, m: tiny(xs, 13, inits, n1("Gemm", in, "y", a...)), atol: 2e-5, rtol: 2e-5}
	}
	mm := func(name string, xs, bs []int) opCase {
		return opCase{name: name, m: tiny(xs, 13, []onnxtest.Init{randInit(r, "b", bs, -1, 1)}, n1("MatMul", []string{"x", "b"}, "y")), atol: 2e-5, rtol: 2e-5}
	}
	runCases(t, []opCase{
		gemm("gemm C[N] alpha beta", []int{5, 7}, []int{7, 9}, []int{9}, f32("alpha", 0.5), f32("beta", 2)),
		gemm("gemm transA C[M,1]", []int{7, 5}, []int{7, 9}, []int{5, 1}, i64("transA", 1)),
		gemm("gemm transB C[M,N]", []int{5, 7}, []int{9, 7}, []int{5, 9}, i64("transB", 1)),
		gemm("gemm transA transB scalar C", []int{7, 5}, []int{9, 7}, []int{}, i64("transA", 1), i64("transB", 1)),
		gemm("gemm no C", []int{5, 7}, []int{7, 9}, nil),
		gemm("gemm 3x130 by 130x70ᵀ (tiles)", []int{3, 130}, []int{70, 130}, []int{70}, i64("transB", 1)),
		mm("matmul batch by matrix", []int{2, 3, 5, 7}, []int{7, 4}),
		mm("matmul batch broadcast", []int{1, 3, 5, 7}, []int{2, 1, 7, 4}),
		mm("matmul vector by matrix", []int{7}, []int{7, 4}),
		mm("matmul matrix by vector", []int{3, 7}, []int{7}),
		mm("matmul 70x33 by 33x66 (tiles)", []int{70, 33}, []int{33, 66}),
		{name: "matmul x by xᵀ", m: tiny([]int{2, 3, 5, 7}, 13, nil, n1("Transpose", []string{"x"}, "xt", ints("perm", 0, 1, 3, 2)),
			n1("MatMul", []string{"x", "xt"}, "y")), atol: 2e-5, rtol: 2e-5},
	})
}

func TestSoftmaxLayerNorm(t *testing.T) {
	r := rand.New(rand.NewSource(10))
	sm := func(name, op string, xs []int, opset int64, a ...onnxtest.Attr) opCase {
		return opCase{name: name, m: tiny(xs, opset, nil, n1(op, []string{"x"}, "y", a...)), lo: -4, hi: 4, atol: 1e-5, rtol: 1e-4}
	}
	ln := func(name string, xs, ss []int, bias bool, a ...onnxtest.Attr) opCase {
		inits := []onnxtest.Init{randInit(r, "s", ss, 0.5, 1.5), randInit(r, "b", ss, -1, 1)}
		in := []string{"x", "s"}
		if bias {
			in = append(in, "b")
		}
		return opCase{name: name, m: tiny(xs, 17, inits, n1("LayerNormalization", in, "y", a...)), atol: 1e-4, rtol: 1e-4}
	}
	runCases(t, []opCase{
		sm("softmax last 37", "Softmax", []int{2, 3, 37}, 13, i64("axis", -1)),
		sm("softmax axis 1 inner 12", "Softmax", []int{2, 5, 3, 4}, 13, i64("axis", 1)),
		sm("softmax opset 11 coerced", "Softmax", []int{2, 3, 4}, 11, i64("axis", 1)),
		sm("softmax 1000", "Softmax", []int{1, 1000}, 13),
		sm("logsoftmax 70", "LogSoftmax", []int{3, 70}, 13),
		ln("layernorm last 48", []int{2, 5, 48}, []int{48}, true, i64("axis", -1), f32("epsilon", 1e-6)),
		ln("layernorm axis -2", []int{2, 5, 6}, []int{5, 6}, true, i64("axis", -2)),
		ln("layernorm no bias", []int{4, 33}, []int{33}, false),
	})
}

// ---- data movement ----

func TestCopyOps(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	runCases(t, []opCase{
		{name: "transpose 5-D shuffle", m: tiny([]int{1, 2, 3, 4, 5}, 13, nil, n1("Transpose", []string{"x"}, "y", ints("perm", 0, 2, 1, 3, 4)))},
		{name: "transpose qkv", m: tiny([]int{2, 3, 2, 3, 4}, 13, nil, n1("Transpose", []string{"x"}, "y", ints("perm", 2, 0, 3, 1, 4)))},
		{name: "transpose default", m: tiny([]int{3, 4, 5}, 13, nil, n1("Transpose", []string{"x"}, "y"))},
		{name: "slice", m: tiny([]int{2, 6, 5, 7}, 13, nil, constInts("s", 1, -4), constInts("e", 5, 100), constInts("a", 1, 3),
			n1("Slice", []string{"x", "s", "e", "a"}, "y"))},
		{name: "slice steps 2,-1", m: tiny([]int{2, 6, 5, 7}, 13, nil, constInts("s", 0, -1), constInts("e", 6, -100), constInts("a", 1, 3), constInts("st", 2, -1),
			n1("Slice", []string{"x", "s", "e", "a", "st"}, "y"))},
		{name: "concat with const", m: tiny([]int{1, 3, 4}, 13, []onnxtest.Init{randInit(r, "c", []int{1, 2, 4}, -1, 1)},
			n1("Concat", []string{"c", "x"}, "y", i64("axis", 1)))},
		{name: "concat x,x last axis", m: tiny([]int{2, 3, 5}, 13, nil, n1("Concat", []string{"x", "x"}, "y", i64("axis", -1)))},
		{name: "gather scalar axis 0", m: tiny([]int{3, 4, 5}, 13, nil, constInt("i", 1), n1("Gather", []string{"x", "i"}, "y"))},
		{name: "gather scalar -1 axis 2", m: tiny([]int{3, 4, 5}, 13, nil, constInt("i", -1), n1("Gather", []string{"x", "i"}, "y", i64("axis", 2)))},
		{name: "gather list axis 1", m: tiny([]int{2, 4, 3}, 13, nil, constInts("i", 2, -1, 0, 2), n1("Gather", []string{"x", "i"}, "y", i64("axis", 1)))},
		{name: "expand", m: tiny([]int{3, 1, 5}, 13, nil, constInts("s", 2, 3, 4, 5), n1("Expand", []string{"x", "s"}, "y"))},
		{name: "split and concat", m: tiny([]int{2, 9, 4}, 13, nil, constInts("sp", 2, 3, 4),
			node("Split", []string{"x", "sp"}, []string{"s0", "s1", "s2"}, i64("axis", 1)),
			n1("Concat", []string{"s2", "s0", "s1"}, "y", i64("axis", 1)))},
		{name: "tile", m: tiny([]int{2, 3, 4}, 13, nil, constInts("rep", 2, 1, 3), n1("Tile", []string{"x", "rep"}, "y"))},
		{name: "depth to space DCR", m: tiny([]int{1, 8, 3, 4}, 13, nil, n1("DepthToSpace", []string{"x"}, "y", i64("blocksize", 2)))},
		{name: "depth to space CRD", m: tiny([]int{1, 8, 3, 4}, 13, nil, n1("DepthToSpace", []string{"x"}, "y", i64("blocksize", 2), str("mode", "CRD")))},
		{name: "space to depth", m: tiny([]int{1, 2, 6, 4}, 13, nil, n1("SpaceToDepth", []string{"x"}, "y", i64("blocksize", 2)))},
		{name: "reshape chain (aliases)", m: tiny([]int{2, 6, 4}, 13, nil, constInts("s", 4, 3, 4), n1("Reshape", []string{"x", "s"}, "r"),
			n1("Transpose", []string{"r"}, "t", ints("perm", 1, 0, 2)), n1("Flatten", []string{"t"}, "y"))},
	})
}

// Ops without a GPU kernel (LRN) or with run-time int64 tensors (ArgMax →
// Cast) run on the CPU between GPU segments, with transfers both ways.
func TestCPUFallback(t *testing.T) {
	runCases(t, []opCase{
		{name: "LRN between GPU ops", m: tiny([]int{1, 5, 4, 4}, 13, nil, n1("Relu", []string{"x"}, "a"),
			n1("LRN", []string{"a"}, "l", i64("size", 3)), n1("Sigmoid", []string{"l"}, "y")), cpuOps: 1, atol: 1e-5, rtol: 1e-4},
		{name: "int64 on the host", m: tiny([]int{2, 5, 3}, 13, nil, n1("ArgMax", []string{"x"}, "i", i64("axis", 1)),
			n1("Cast", []string{"i"}, "f", i64("to", 1)), n1("Add", []string{"x", "f"}, "y")), cpuOps: 2},
		{name: "CPU op reads a GPU output twice", m: tiny([]int{1, 5, 4, 4}, 13, nil, n1("Relu", []string{"x"}, "a"),
			n1("LRN", []string{"a"}, "l", i64("size", 3)), n1("Add", []string{"a", "l"}, "y")), cpuOps: 1, atol: 1e-5, rtol: 1e-4},
	})
}

// Dropout with its mask output named, as torchvision's Swin exports it (eval
// mode: training_mode false), is the identity on its data output. The CPU
// backend plans that output as the input's own data and its kernel writes
// only the mask, so the GPU must treat the output as an alias of the input
// (and may skip the node when nothing reads the mask), not copy back an
// output the kernel never wrote (which zeroed Swin's attention).
func TestDropoutMask(t *testing.T) {
	consts := []onnxtest.Node{
		n1("Constant", nil, "ratio", onnxtest.Attr{Name: "value", Tensor: &onnxtest.Tensor{Floats: []float32{0.1}}}),
		n1("Constant", nil, "train", onnxtest.Attr{Name: "value", Tensor: &onnxtest.Tensor{Elem: 9, Ints: []int64{0}}}),
	}
	drop := func(in ...string) onnxtest.Node { return node("Dropout", in, []string{"d", "mask"}) }
	model := func(opset int64, nodes ...onnxtest.Node) onnxtest.Model {
		return tiny([]int{4, 2, 8, 8}, opset, nil, append(append([]onnxtest.Node{}, consts...), nodes...)...)
	}
	softmax := n1("Softmax", []string{"x"}, "s", i64("axis", -1))
	runCases(t, []opCase{
		{name: "mask unused, then MatMul", m: model(17, softmax, drop("s", "ratio", "train"),
			n1("MatMul", []string{"d", "x"}, "y")), atol: 1e-5, rtol: 1e-4},
		{name: "mask unused, graph output", m: model(17, softmax, drop("s", "ratio", "train")), atol: 1e-5, rtol: 1e-4},
		{name: "mask unused, data input only", m: model(13, softmax, drop("s"), n1("Mul", []string{"d", "x"}, "y")), atol: 1e-5, rtol: 1e-4},
		{name: "dropout of the graph input", m: model(17, drop("x", "ratio", "train"), n1("Add", []string{"d", "x"}, "y"))},
		{name: "mask read on the CPU", m: model(17, softmax, drop("s", "ratio", "train"),
			n1("Cast", []string{"mask"}, "mf", i64("to", 1)), n1("Add", []string{"d", "mf"}, "y")), cpuOps: 2, atol: 1e-5, rtol: 1e-4},
	})
}
