package grad_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/glimpse/glimpse/model/grad"
	"github.com/glimpse/glimpse/model/graph"
)

// moreVJPCases are the elementwise, shape, batched MatMul, reduction and
// normalisation ops of transformer and other image classifiers, checked by
// TestVJP like the others.
func moreVJPCases() []vjpCase {
	y := []string{"y"}
	x234 := []in{{"x", []int{2, 3, 4}, 0}}
	pos := []in{{"x", []int{2, 3, 4}, 0.2}}
	unary := func(op string, ins []in, attrs ...any) vjpCase {
		return vjpCase{name: op, inputs: ins, nodes: []*graph.Node{nd(op, []string{"x"}, y, attrs...)}}
	}
	cs := []vjpCase{
		unary("Tanh", x234), unary("Erf", x234), unary("Exp", x234), unary("Neg", x234), unary("Sqrt", pos),
		unary("Log", pos), unary("Reciprocal", pos), unary("Softplus", x234), unary("Softsign", x234),
		unary("Abs", x234), unary("Sin", x234), unary("Cos", x234), unary("Mish", x234),
		unary("Elu", x234, "alpha", 0.7), unary("Selu", x234), unary("Celu", x234, "alpha", 1.5),
		{name: "Gelu none (opset 20)", inputs: x234, opset: 20, nodes: []*graph.Node{nd("Gelu", []string{"x"}, y)}},
		{name: "Gelu tanh (opset 20)", inputs: x234, opset: 20, nodes: []*graph.Node{nd("Gelu", []string{"x"}, y, "approximate", "tanh")}},
		{name: "Gelu as Erf (ViT opset 13)", inputs: x234, fconst: map[string][]float32{"r2": {1.4142135}, "one": {1}, "half": {0.5}},
			nodes: []*graph.Node{nd("Div", []string{"x", "r2"}, []string{"d"}), nd("Erf", []string{"d"}, []string{"e"}),
				nd("Add", []string{"e", "one"}, []string{"a"}), nd("Mul", []string{"x", "a"}, []string{"m"}), nd("Mul", []string{"m", "half"}, y)}},
		{name: "Pow float exponent 2", inputs: x234, fconst: map[string][]float32{"p": {2}},
			nodes: []*graph.Node{nd("Pow", []string{"x", "p"}, y)}},
		{name: "Pow float exponent 3 and 0.5 broadcast", inputs: []in{{"x", []int{2, 3}, 0.3}}, consts: map[string][]int{},
			fconst: map[string][]float32{"p": {3, 0.5, 1.5}}, nodes: []*graph.Node{nd("Pow", []string{"x", "p"}, y)}},
		{name: "Pow int exponent", inputs: x234, ints: map[string][]int64{"p": {3}},
			nodes: []*graph.Node{nd("Pow", []string{"x", "p"}, y)}},
		{name: "Transpose perm 0231", inputs: []in{{"x", []int{2, 3, 4, 5}, 0}},
			nodes: []*graph.Node{nd("Transpose", []string{"x"}, y, "perm", []int{0, 2, 3, 1})}},
		{name: "Transpose default reverses", inputs: x234, nodes: []*graph.Node{nd("Transpose", []string{"x"}, y)}},
		{name: "Transpose 5-D ViT qkv", inputs: []in{{"x", []int{1, 4, 3, 2, 3}, 0}},
			nodes: []*graph.Node{nd("Transpose", []string{"x"}, y, "perm", []int{2, 0, 3, 1, 4})}},
		{name: "Slice axes 1,2 steps 2,-1", inputs: []in{{"x", []int{2, 5, 6}, 0}},
			ints:  map[string][]int64{"st": {0, -2}, "en": {5, 0}, "ax": {1, 2}, "sp": {2, -1}},
			nodes: []*graph.Node{nd("Slice", []string{"x", "st", "en", "ax", "sp"}, y)}},
		{name: "Slice reverse all, step -2 clamps", inputs: []in{{"x", []int{3, 7}, 0}},
			ints:  map[string][]int64{"st": {100}, "en": {-100}, "ax": {-1}, "sp": {-2}},
			nodes: []*graph.Node{nd("Slice", []string{"x", "st", "en", "ax", "sp"}, y)}},
		{name: "Slice channel halves then Concat (ShuffleNet)", inputs: []in{{"x", []int{1, 4, 3, 3}, 0}},
			ints: map[string][]int64{"s0": {0}, "e0": {2}, "s1": {2}, "e1": {4}, "ax": {1}},
			nodes: []*graph.Node{nd("Slice", []string{"x", "s0", "e0", "ax"}, []string{"a"}), nd("Slice", []string{"x", "s1", "e1", "ax"}, []string{"b"}),
				nd("Sigmoid", []string{"b"}, []string{"sb"}), nd("Concat", []string{"sb", "a"}, y, "axis", 1)}},
		{name: "Gather constant indices, repeated and negative", inputs: []in{{"x", []int{2, 4, 3}, 0}},
			ints:  map[string][]int64{"ix": {2, -1, 0, 2, 3}},
			nodes: []*graph.Node{nd("Gather", []string{"x", "ix"}, y, "axis", 1)}},
		{name: "Gather scalar index (ViT class token)", inputs: []in{{"x", []int{1, 5, 4}, 0}},
			iscal: map[string]int64{"i0": 0}, consts: map[string][]int{"w": {4, 3}},
			nodes: []*graph.Node{nd("Gather", []string{"x", "i0"}, []string{"c"}, "axis", 1), nd("MatMul", []string{"c", "w"}, y)}},
		{name: "Gather run-time indices (ArgMax)", inputs: []in{{"x", []int{2, 5, 3}, 0}, {"sel", []int{2, 3, 5}, 0}},
			nodes: []*graph.Node{nd("ArgMax", []string{"sel"}, []string{"ix"}, "axis", -1, "keepdims", 0),
				nd("Gather", []string{"x", "ix"}, y, "axis", 1)}},
		{name: "Split equal parts, every output used", inputs: []in{{"x", []int{2, 6, 3}, 0}},
			nodes: []*graph.Node{nd("Split", []string{"x"}, []string{"a", "b", "c"}, "axis", 1),
				nd("Mul", []string{"a", "b"}, []string{"m"}), nd("Tanh", []string{"c"}, []string{"t"}), nd("Add", []string{"m", "t"}, y)}},
		{name: "Split sizes, first output unused", inputs: []in{{"x", []int{2, 6, 3}, 0}}, ints: map[string][]int64{"sp": {1, 2, 3}},
			nodes: []*graph.Node{nd("Split", []string{"x", "sp"}, []string{"a", "b", "c"}, "axis", 1),
				nd("Concat", []string{"c", "b", "c"}, y, "axis", 1)}},
		{name: "Split, first output not computed", inputs: []in{{"x", []int{2, 6, 3}, 0}}, ints: map[string][]int64{"sp": {1, 2, 3}},
			nodes: []*graph.Node{nd("Split", []string{"x", "sp"}, []string{"", "b", "c"}, "axis", 1),
				nd("Concat", []string{"c", "b"}, y, "axis", 1)}},
		{name: "Split last axis, only the middle output", inputs: []in{{"x", []int{3, 7}, 0}}, ints: map[string][]int64{"sp": {2, 4, 1}},
			nodes: []*graph.Node{nd("Split", []string{"x", "sp"}, []string{"a", "b", "c"}, "axis", -1), nd("Exp", []string{"b"}, y)}},
		{name: "Expand class token", inputs: []in{{"x", []int{1, 1, 4}, 0}}, ints: map[string][]int64{"sh": {3, 2, 4}},
			nodes: []*graph.Node{nd("Expand", []string{"x", "sh"}, y)}},
		{name: "Expand rank up", inputs: []in{{"x", []int{3, 1}, 0}}, ints: map[string][]int64{"sh": {2, 1, 4}},
			nodes: []*graph.Node{nd("Expand", []string{"x", "sh"}, y)}},
		{name: "MatMul batched 4-D (attention scores)", inputs: []in{{"a", []int{1, 2, 3, 4}, 0}, {"b", []int{1, 2, 4, 3}, 0}},
			nodes: []*graph.Node{nd("MatMul", []string{"a", "b"}, y)}},
		{name: "MatMul 3-D by constant 2-D weights", inputs: []in{{"a", []int{2, 3, 4}, 0}}, consts: map[string][]int{"w": {4, 5}},
			nodes: []*graph.Node{nd("MatMul", []string{"a", "w"}, y)}},
		{name: "MatMul broadcast batches [2,1,3,4]x[3,4,2]", inputs: []in{{"a", []int{2, 1, 3, 4}, 0}, {"b", []int{3, 4, 2}, 0}},
			nodes: []*graph.Node{nd("MatMul", []string{"a", "b"}, y)}},
		{name: "MatMul 1-D by 3-D", inputs: []in{{"a", []int{4}, 0}, {"b", []int{2, 4, 3}, 0}},
			nodes: []*graph.Node{nd("MatMul", []string{"a", "b"}, y)}},
		{name: "MatMul 3-D by 1-D", inputs: []in{{"a", []int{2, 3, 4}, 0}, {"b", []int{4}, 0}},
			nodes: []*graph.Node{nd("MatMul", []string{"a", "b"}, y)}},
		{name: "MatMul same input twice", inputs: []in{{"a", []int{2, 3, 3}, 0}},
			nodes: []*graph.Node{nd("MatMul", []string{"a", "a"}, y)}},
		{name: "LayerNormalization last axis (opset 17)", inputs: []in{{"x", []int{2, 3, 6}, 0}}, opset: 17,
			consts: map[string][]int{"s": {6}, "b": {6}},
			nodes:  []*graph.Node{nd("LayerNormalization", []string{"x", "s", "b"}, y, "epsilon", 1e-3)}},
		{name: "LayerNormalization axis 1, broadcast scale, no bias", inputs: []in{{"x", []int{2, 3, 4}, 0}}, opset: 17,
			consts: map[string][]int{"s": {1, 4}},
			nodes:  []*graph.Node{nd("LayerNormalization", []string{"x", "s"}, y, "axis", 1)}},
		{name: "BatchNormalization unfused", inputs: []in{{"x", []int{2, 3, 2, 2}, 0}},
			fconst: map[string][]float32{"s": {0.5, -1, 2}, "b": {0.1, 0.2, 0.3}, "m": {0.3, -0.2, 0}, "v": {0.5, 2, 1.5}},
			nodes:  []*graph.Node{nd("BatchNormalization", []string{"x", "s", "b", "m", "v"}, y, "epsilon", 1e-3)}},
		{name: "InstanceNormalization", inputs: []in{{"x", []int{2, 3, 2, 3}, 0}},
			fconst: map[string][]float32{"s": {0.5, -1, 2}, "b": {0.1, 0.2, 0.3}},
			nodes:  []*graph.Node{nd("InstanceNormalization", []string{"x", "s", "b"}, y)}},
		{name: "ReduceMean axes attribute keepdims", inputs: []in{{"x", []int{2, 3, 4}, 0}},
			nodes: []*graph.Node{nd("ReduceMean", []string{"x"}, y, "axes", []int{-1})}},
		{name: "ReduceMean all axes no keepdims", inputs: []in{{"x", []int{2, 3, 4}, 0}},
			nodes: []*graph.Node{nd("ReduceMean", []string{"x"}, y, "keepdims", 0)}},
		{name: "ReduceMean axes input (opset 18)", inputs: []in{{"x", []int{2, 3, 4}, 0}}, opset: 18, ints: map[string][]int64{"ax": {0, 2}},
			nodes: []*graph.Node{nd("ReduceMean", []string{"x", "ax"}, y, "keepdims", 0)}},
		{name: "ReduceSum axes input", inputs: []in{{"x", []int{2, 3, 4}, 0}}, ints: map[string][]int64{"ax": {1}},
			nodes: []*graph.Node{nd("ReduceSum", []string{"x", "ax"}, y, "keepdims", 0)}},
		{name: "ReduceSumSquare", inputs: x234, nodes: []*graph.Node{nd("ReduceSumSquare", []string{"x"}, y, "axes", []int{1})}},
		{name: "ReduceL2", inputs: x234, nodes: []*graph.Node{nd("ReduceL2", []string{"x"}, y, "axes", []int{2})}},
		{name: "ReduceLogSumExp", inputs: x234, nodes: []*graph.Node{nd("ReduceLogSumExp", []string{"x"}, y, "axes", []int{0, 2})}},
		{name: "ReduceMax", inputs: x234, nodes: []*graph.Node{nd("ReduceMax", []string{"x"}, y, "axes", []int{1})}},
		{name: "LayerNorm decomposed (ViT opset 13)", inputs: []in{{"x", []int{1, 3, 8}, 0}},
			ints: map[string][]int64{}, fconst: map[string][]float32{"two": {2}, "eps": {1e-5}}, consts: map[string][]int{"s": {8}, "b": {8}},
			nodes: []*graph.Node{nd("ReduceMean", []string{"x"}, []string{"mu"}, "axes", []int{-1}), nd("Sub", []string{"x", "mu"}, []string{"d"}),
				nd("Pow", []string{"d", "two"}, []string{"d2"}), nd("ReduceMean", []string{"d2"}, []string{"var"}, "axes", []int{-1}),
				nd("Add", []string{"var", "eps"}, []string{"ve"}), nd("Sqrt", []string{"ve"}, []string{"sd"}), nd("Div", []string{"d", "sd"}, []string{"n"}),
				nd("Mul", []string{"n", "s"}, []string{"ns"}), nd("Add", []string{"ns", "b"}, y)}},
		{name: "ViT attention block", inputs: []in{{"x", []int{1, 5, 8}, 0}},
			consts: map[string][]int{"wqkv": {8, 24}, "bqkv": {24}, "wo": {8, 8}},
			ints:   map[string][]int64{"sh5": {1, 5, 3, 2, 4}, "sh3": {1, 5, 8}},
			iscal:  map[string]int64{"i0": 0, "i1": 1, "i2": 2},
			fconst: map[string][]float32{"scale": {0.5}},
			nodes: []*graph.Node{nd("MatMul", []string{"x", "wqkv"}, []string{"p"}), nd("Add", []string{"p", "bqkv"}, []string{"pb"}),
				nd("Reshape", []string{"pb", "sh5"}, []string{"r"}), nd("Transpose", []string{"r"}, []string{"t"}, "perm", []int{2, 0, 3, 1, 4}),
				nd("Gather", []string{"t", "i0"}, []string{"q"}, "axis", 0), nd("Gather", []string{"t", "i1"}, []string{"k"}, "axis", 0),
				nd("Gather", []string{"t", "i2"}, []string{"v"}, "axis", 0), nd("Transpose", []string{"k"}, []string{"kt"}, "perm", []int{0, 1, 3, 2}),
				nd("MatMul", []string{"q", "kt"}, []string{"s"}), nd("Mul", []string{"s", "scale"}, []string{"ss"}),
				nd("Softmax", []string{"ss"}, []string{"a"}, "axis", -1), nd("MatMul", []string{"a", "v"}, []string{"o"}),
				nd("Transpose", []string{"o"}, []string{"ot"}, "perm", []int{0, 2, 1, 3}), nd("Reshape", []string{"ot", "sh3"}, []string{"o3"}),
				nd("MatMul", []string{"o3", "wo"}, []string{"proj"}), nd("Add", []string{"proj", "x"}, y)}},
	}
	return cs
}

// A gradient through an output other than the first of an op whose
// backward pass takes only the first is an UnsupportedError.
func TestUnsupportedSecondOutput(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 4))
	c := vjpCase{inputs: []in{{"x", []int{2, 4}, 0}}, opset: 17, fconst: map[string][]float32{"s": {1, 1, 1, 1}},
		nodes: []*graph.Node{nd("LayerNormalization", []string{"x", "s"}, []string{"n", "mean"}), nd("Add", []string{"n", "mean"}, []string{"y"})}}
	p, _ := build(t, c, r, false)
	_, err := grad.New(p, []*graph.Tensor{p.Outputs[0]}, p.Inputs)
	var ue *grad.UnsupportedError
	if !errors.As(err, &ue) || ue.Op != "LayerNormalization" {
		t.Fatalf("got %v, want an UnsupportedError for LayerNormalization's second output", err)
	}
}
