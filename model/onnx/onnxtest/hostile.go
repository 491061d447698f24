package onnxtest

import "fmt"

// HostileModels returns small ONNX files that declare enormous or
// inconsistent work: shapes that need terabytes, products that wrap
// around 64 bits, negative dims, nesting deep enough to blow a stack, and
// constant folding that costs N³. Each is an image classifier on the
// outside (input 1×3×32×32, output [1,3]); the hostile part feeds the
// output, so that no pass may skip it as dead. Generated here, never
// committed: the CLI and browser tests write them to temporary files.
func HostileModels() []Hostile {
	const big = int64(1) << 40
	x := []Value{{Name: "x", Dims: []any{1, 3, 32, 32}}}
	y := []Value{{Name: "y", Dims: []any{1, 3}}}
	// pooled: x → GlobalAveragePool → Flatten = feat [1,3].
	pooled := []Node{
		{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"x"}, Outputs: []string{"g"}},
		{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"feat"}},
	}
	i64 := func(name string, dims []int64, v ...int64) Tensor {
		return Tensor{Name: name, Elem: Int64, Dims: dims, Ints: v}
	}
	f32 := func(name string, dims []int64, v ...float32) Tensor {
		return Tensor{Name: name, Dims: dims, Floats: v}
	}
	ones3 := f32("ones3", []int64{1, 3}, 1, 1, 1)
	// into: reduce a hostile tensor h of shape [K..., 3] to [1,3] and add it
	// to the features.
	into := func(h string, rank int) []Node {
		axes := make([]int64, rank-1)
		for i := range axes {
			axes[i] = int64(i)
		}
		return []Node{
			{Op: "ReduceMax", Name: "reduce", Inputs: []string{h}, Outputs: []string{"r"}, Attrs: []Attr{{Name: "axes", Ints: axes}, {Name: "keepdims", Int: I64(0)}}},
			{Op: "Add", Name: "sum", Inputs: []string{"feat", "r"}, Outputs: []string{"y"}},
		}
	}
	model := func(opset int64, inits []Tensor, nodes ...Node) []byte {
		return Model{Opset: opset, Inputs: x, Outputs: y, Initializers: inits, Nodes: append(append([]Node{}, pooled...), nodes...)}.Bytes()
	}
	// 274177 × 67280421310721 = 2^64 + 1: with 3 in front the product
	// wraps to exactly 3, the element count of the tensor reshaped.
	var out []Hostile
	add := func(name string, data []byte) { out = append(out, Hostile{Name: name, Data: data}) }
	add("constantofshape-huge", model(13, []Tensor{i64("shape", []int64{2}, big, 3)},
		append([]Node{{Op: "ConstantOfShape", Name: "cos", Inputs: []string{"shape"}, Outputs: []string{"h"}}}, into("h", 2)...)...))
	add("expand-overflow", model(13, []Tensor{ones3, i64("shape", []int64{3}, 1<<32, 1<<32, 3)},
		append([]Node{{Op: "Expand", Name: "expand", Inputs: []string{"ones3", "shape"}, Outputs: []string{"h"}}}, into("h", 3)...)...))
	add("tile-huge", model(13, []Tensor{ones3, i64("reps", []int64{2}, big, 1)},
		append([]Node{{Op: "Tile", Name: "tile", Inputs: []string{"ones3", "reps"}, Outputs: []string{"h"}}}, into("h", 2)...)...))
	add("reshape-wraps", model(13, []Tensor{ones3, i64("shape", []int64{3}, 3, 274177, 67280421310721)},
		append([]Node{{Op: "Reshape", Name: "reshape", Inputs: []string{"ones3", "shape"}, Outputs: []string{"h"}}}, into("h", 3)...)...))
	add("range-huge", model(13, []Tensor{f32("start", nil, 0), f32("limit", nil, 1e13), f32("delta", nil, 1)},
		Node{Op: "Range", Name: "range", Inputs: []string{"start", "limit", "delta"}, Outputs: []string{"h"}},
		Node{Op: "ReduceMax", Name: "reduce", Inputs: []string{"h"}, Outputs: []string{"r"}, Attrs: []Attr{{Name: "keepdims", Int: I64(0)}}},
		Node{Op: "Add", Name: "sum", Inputs: []string{"feat", "r"}, Outputs: []string{"y"}}))
	add("onehot-huge", model(13, []Tensor{i64("idx", []int64{1}, 0), i64("depth", nil, big), f32("vals", []int64{2}, 0, 1)},
		Node{Op: "OneHot", Name: "onehot", Inputs: []string{"idx", "depth", "vals"}, Outputs: []string{"h"}},
		Node{Op: "ReduceMax", Name: "reduce", Inputs: []string{"h"}, Outputs: []string{"r"}, Attrs: []Attr{{Name: "keepdims", Int: I64(0)}}},
		Node{Op: "Add", Name: "sum", Inputs: []string{"feat", "r"}, Outputs: []string{"y"}}))
	add("pad-huge", Model{Opset: 13, Inputs: x, Outputs: y, Initializers: []Tensor{i64("pads", []int64{8}, 0, 0, 1<<30, 1<<30, 0, 0, 1<<30, 1<<30)},
		Nodes: []Node{
			{Op: "Pad", Name: "pad", Inputs: []string{"x", "pads"}, Outputs: []string{"p"}},
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"p"}, Outputs: []string{"g"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"y"}},
		}}.Bytes())
	add("resize-huge", Model{Opset: 13, Inputs: x, Outputs: y, Initializers: []Tensor{f32("roi", []int64{0}), f32("scales", []int64{4}, 1, 1, 1e5, 1e5)},
		Nodes: []Node{
			{Op: "Resize", Name: "resize", Inputs: []string{"x", "roi", "scales"}, Outputs: []string{"p"}},
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"p"}, Outputs: []string{"g"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"y"}},
		}}.Bytes())
	add("conv-pads-huge", Model{Opset: 13, Inputs: x, Outputs: y, Initializers: []Tensor{f32("w", []int64{3, 1, 1, 1}, 1, 1, 1)},
		Nodes: []Node{
			{Op: "Conv", Name: "conv", Inputs: []string{"x", "w"}, Outputs: []string{"p"}, Attrs: []Attr{{Name: "group", Int: I64(3)}, {Name: "pads", Ints: []int64{1 << 30, 1 << 30, 1 << 30, 1 << 30}}}},
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"p"}, Outputs: []string{"g"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"y"}},
		}}.Bytes())
	add("split-huge", Model{Opset: 18, Inputs: x, Outputs: y, Initializers: []Tensor{ones3},
		Nodes: append(append([]Node{}, pooled...),
			Node{Op: "Split", Name: "split", Inputs: []string{"ones3"}, Outputs: []string{"h"}, Attrs: []Attr{{Name: "axis", Int: I64(1)}, {Name: "num_outputs", Int: I64(big)}}},
			Node{Op: "Add", Name: "sum", Inputs: []string{"feat", "h"}, Outputs: []string{"y"}})}.Bytes())
	add("input-50000", Model{Opset: 13, Inputs: []Value{{Name: "x", Dims: []any{1, 3, 50000, 50000}}}, Outputs: y, Nodes: pooled[:1:1]}.Bytes())
	add("negative-dims", model(13, []Tensor{{Name: "bad", Dims: []int64{0, -5}, RawData: []byte{}}},
		Node{Op: "Identity", Name: "id", Inputs: []string{"feat"}, Outputs: []string{"y"}},
		Node{Op: "Identity", Name: "use", Inputs: []string{"bad"}, Outputs: []string{"unused"}}))
	add("constant-declared-huge", model(13, []Tensor{{Name: "bad", Dims: []int64{1 << 20, 1 << 20}, RawData: make([]byte, 64)}},
		append([]Node{{Op: "Identity", Name: "id", Inputs: []string{"bad"}, Outputs: []string{"h"}}}, into("h", 2)...)...))
	// A constant MatMul of two generated 1500×1500 matrices: folding it at
	// load costs 3.4 GFLOP; it must be left to run time instead.
	add("matmul-fold", model(13, []Tensor{i64("shape", []int64{2}, 1500, 1500), i64("zero2", []int64{2}, 0, 0), i64("cut", []int64{2}, 1500, 3)},
		Node{Op: "ConstantOfShape", Name: "cos", Inputs: []string{"shape"}, Outputs: []string{"a"}, Attrs: []Attr{{Name: "value", Tensor: &Tensor{Dims: []int64{1}, Floats: []float32{0.001}}}}},
		Node{Op: "MatMul", Name: "mm", Inputs: []string{"a", "a"}, Outputs: []string{"m"}},
		Node{Op: "Slice", Name: "slice", Inputs: []string{"m", "zero2", "cut"}, Outputs: []string{"h"}},
		Node{Op: "ReduceMax", Name: "reduce", Inputs: []string{"h"}, Outputs: []string{"r"}, Attrs: []Attr{{Name: "axes", Ints: []int64{0}}, {Name: "keepdims", Int: I64(0)}}},
		Node{Op: "Add", Name: "sum", Inputs: []string{"feat", "r"}, Outputs: []string{"y"}}))
	out[len(out)-1].Loads = true // heavy, not invalid: it loads at once and runs
	add("nested-40", nestedIf(40))
	add("nested-100000", Nested(100000))
	return out
}

// Hostile is one file of HostileModels' table.
type Hostile struct {
	Name  string
	Data  []byte
	Loads bool // a valid model whose cost must not be paid at load: it loads and classifies
}

// nestedIf is an image classifier whose output comes from an If nested
// depth levels deep (quadratic to write: keep depth small; Nested
// writes 100 000 levels of a plainer model in one pass).
func nestedIf(depth int) []byte {
	inner := Graph{Name: "leaf", Outputs: []Value{{Name: "o", Dims: []any{1, 3}}},
		Nodes: []Node{{Op: "Identity", Name: "leaf", Inputs: []string{"feat"}, Outputs: []string{"o"}}}}
	g := inner
	for i := 0; i < depth; i++ {
		branch := g
		g = Graph{Name: fmt.Sprint("g", i), Outputs: []Value{{Name: "o", Dims: []any{1, 3}}},
			Nodes: []Node{{Op: "If", Name: fmt.Sprint("if", i), Inputs: []string{"cond"}, Outputs: []string{"o"},
				Attrs: []Attr{{Name: "then_branch", Graph: &branch}, {Name: "else_branch", Graph: &inner}}}}}
	}
	return Model{Opset: 13,
		Inputs:       []Value{{Name: "x", Dims: []any{1, 3, 32, 32}}, {Name: "cond", Elem: Bool, Dims: []any{}}},
		Outputs:      []Value{{Name: "y", Dims: []any{1, 3}}},
		Initializers: nil,
		Nodes: append([]Node{
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"x"}, Outputs: []string{"g"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"feat"}},
		}, g.Nodes[0], Node{Op: "Identity", Name: "top", Inputs: []string{"o"}, Outputs: []string{"y"}})}.Bytes()
}
