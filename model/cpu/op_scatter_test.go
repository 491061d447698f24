package cpu

import (
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

func TestScatterGatherND(t *testing.T) {
	d8 := func() *graph.Tensor { return fl([]int{8}, 1, 2, 3, 4, 5, 6, 7, 8) }
	d4 := func() *graph.Tensor { return fl([]int{4}, 1, 2, 3, 4) }
	cube := func() *graph.Tensor { return fl([]int{2, 2, 2}, 0, 1, 2, 3, 4, 5, 6, 7) }
	sq := func() *graph.Tensor { return fl([]int{2, 2}, 0, 1, 2, 3) }
	cases := []struct {
		name  string
		opset int64
		n     *graph.Node
		ins   []*graph.Tensor
		shape []int
		want  any // []float32 or []int64
		err   string
	}{
		// ScatterND: the spec's first example.
		{"scatternd spec 1", 11, node("ScatterND", 3, 1), []*graph.Tensor{d8(), in64([]int{4, 1}, 4, 3, 1, 7), fl([]int{4}, 9, 10, 11, 12)},
			[]int{8}, []float32{1, 11, 3, 10, 9, 6, 7, 12}, ""},
		{"scatternd row", 11, node("ScatterND", 3, 1), []*graph.Tensor{sq(), in64([]int{1, 1}, 1), fl([]int{1, 2}, 9, 8)},
			[]int{2, 2}, []float32{0, 1, 9, 8}, ""},
		{"scatternd negative", 11, node("ScatterND", 3, 1), []*graph.Tensor{d4(), in64([]int{1, 1}, -1), fl([]int{1}, 9)},
			[]int{4}, []float32{1, 2, 3, 9}, ""},
		{"scatternd add dup", 16, node("ScatterND", 3, 1, "reduction", "add"), []*graph.Tensor{d4(), in64([]int{3, 1}, 0, 0, 3), fl([]int{3}, 10, 20, 30)},
			[]int{4}, []float32{31, 2, 3, 34}, ""},
		{"scatternd mul", 16, node("ScatterND", 3, 1, "reduction", "mul"), []*graph.Tensor{d4(), in64([]int{3, 1}, 0, 0, 3), fl([]int{3}, 10, 20, 30)},
			[]int{4}, []float32{200, 2, 3, 120}, ""},
		{"scatternd max", 18, node("ScatterND", 3, 1, "reduction", "max"), []*graph.Tensor{d4(), in64([]int{2, 1}, 0, 1), fl([]int{2}, 5, -1)},
			[]int{4}, []float32{5, 2, 3, 4}, ""},
		{"scatternd min", 18, node("ScatterND", 3, 1, "reduction", "min"), []*graph.Tensor{d4(), in64([]int{2, 1}, 0, 1), fl([]int{2}, 5, -1)},
			[]int{4}, []float32{1, -1, 3, 4}, ""},
		{"scatternd int64", 11, node("ScatterND", 3, 1), []*graph.Tensor{in64([]int{2, 2}, 1, 2, 3, 4), in64([]int{1, 2}, 1, 0), in64([]int{1}, 7)},
			[]int{2, 2}, []int64{1, 2, 7, 4}, ""},
		{"scatternd out of range", 11, node("ScatterND", 3, 1), []*graph.Tensor{d4(), in64([]int{1, 1}, 4), fl([]int{1}, 9)},
			nil, nil, "index 4 out of range for dimension 0 of size 4"},
		{"scatternd bad updates", 11, node("ScatterND", 3, 1), []*graph.Tensor{d4(), in64([]int{1, 1}, 1), fl([]int{2}, 9, 9)},
			nil, nil, "updates have shape [2]"},
		{"scatternd bad k", 11, node("ScatterND", 3, 1), []*graph.Tensor{d4(), in64([]int{1, 2}, 1, 1), fl([]int{1}, 9)},
			nil, nil, "last dimension of indices"},
		{"scatternd bad reduction", 16, node("ScatterND", 3, 1, "reduction", "avg"), []*graph.Tensor{d4(), in64([]int{1, 1}, 1), fl([]int{1}, 9)},
			nil, nil, `unknown reduction "avg"`},

		// ScatterElements: the spec's two examples, negative indices, reductions.
		{"scatterelements spec 1", 11, node("ScatterElements", 3, 1), []*graph.Tensor{fl([]int{3, 3}, 0, 0, 0, 0, 0, 0, 0, 0, 0),
			in64([]int{2, 3}, 1, 0, 2, 0, 2, 1), fl([]int{2, 3}, 1, 1.1, 1.2, 2, 2.1, 2.2)},
			[]int{3, 3}, []float32{2, 1.1, 0, 1, 0, 2.2, 0, 2.1, 1.2}, ""},
		{"scatterelements spec 2", 11, node("ScatterElements", 3, 1, "axis", 1), []*graph.Tensor{fl([]int{1, 5}, 1, 2, 3, 4, 5),
			in64([]int{1, 2}, 1, 3), fl([]int{1, 2}, 1.1, 2.1)},
			[]int{1, 5}, []float32{1, 1.1, 3, 2.1, 5}, ""},
		{"scatterelements negative", 11, node("ScatterElements", 3, 1, "axis", -1), []*graph.Tensor{fl([]int{1, 5}, 1, 2, 3, 4, 5),
			in64([]int{1, 2}, 1, -3), fl([]int{1, 2}, 1.1, 2.1)},
			[]int{1, 5}, []float32{1, 1.1, 2.1, 4, 5}, ""},
		{"scatterelements add dup", 16, node("ScatterElements", 3, 1, "axis", 1, "reduction", "add"), []*graph.Tensor{fl([]int{1, 5}, 1, 2, 3, 4, 5),
			in64([]int{1, 2}, 1, 1), fl([]int{1, 2}, 1.1, 2.1)},
			[]int{1, 5}, []float32{1, 5.2, 3, 4, 5}, ""},
		{"scatterelements mul", 16, node("ScatterElements", 3, 1, "axis", 1, "reduction", "mul"), []*graph.Tensor{fl([]int{1, 5}, 1, 2, 3, 4, 5),
			in64([]int{1, 2}, 1, 1), fl([]int{1, 2}, 1.5, 2)},
			[]int{1, 5}, []float32{1, 6, 3, 4, 5}, ""},
		{"scatterelements max/min", 18, node("ScatterElements", 3, 1, "axis", 0, "reduction", "max"), []*graph.Tensor{fl([]int{3, 1}, 1, 2, 3),
			in64([]int{2, 1}, 2, 0), fl([]int{2, 1}, 2, 5)},
			[]int{3, 1}, []float32{5, 2, 3}, ""},
		{"scatterelements partial rows", 11, node("ScatterElements", 3, 1, "axis", 1), []*graph.Tensor{fl([]int{2, 3}, 0, 0, 0, 0, 0, 0),
			in64([]int{1, 2}, 2, 0), fl([]int{1, 2}, 7, 8)},
			[]int{2, 3}, []float32{8, 0, 7, 0, 0, 0}, ""},
		{"scatter opset 9", 9, node("Scatter", 3, 1), []*graph.Tensor{fl([]int{3, 3}, 0, 0, 0, 0, 0, 0, 0, 0, 0),
			in64([]int{2, 3}, 1, 0, 2, 0, 2, 1), fl([]int{2, 3}, 1, 1.1, 1.2, 2, 2.1, 2.2)},
			[]int{3, 3}, []float32{2, 1.1, 0, 1, 0, 2.2, 0, 2.1, 1.2}, ""},
		{"scatterelements out of range", 11, node("ScatterElements", 3, 1, "axis", 1), []*graph.Tensor{fl([]int{1, 5}, 1, 2, 3, 4, 5),
			in64([]int{1, 1}, -6), fl([]int{1, 1}, 1)},
			nil, nil, "index -6 out of range for axis 1 of size 5"},
		{"scatterelements rank", 11, node("ScatterElements", 3, 1), []*graph.Tensor{fl([]int{1, 5}, 1, 2, 3, 4, 5),
			in64([]int{1}, 0), fl([]int{1}, 1)},
			nil, nil, "must have one shape"},

		// GatherND: the spec's five examples.
		{"gathernd spec 1", 12, node("GatherND", 2, 1), []*graph.Tensor{sq(), in64([]int{2, 2}, 0, 0, 1, 1)},
			[]int{2}, []float32{0, 3}, ""},
		{"gathernd spec 2", 12, node("GatherND", 2, 1), []*graph.Tensor{sq(), in64([]int{2, 1}, 1, 0)},
			[]int{2, 2}, []float32{2, 3, 0, 1}, ""},
		{"gathernd spec 3", 12, node("GatherND", 2, 1), []*graph.Tensor{cube(), in64([]int{2, 2}, 0, 1, 1, 0)},
			[]int{2, 2}, []float32{2, 3, 4, 5}, ""},
		{"gathernd spec 4", 12, node("GatherND", 2, 1), []*graph.Tensor{cube(), in64([]int{2, 1, 2}, 0, 1, 1, 0)},
			[]int{2, 1, 2}, []float32{2, 3, 4, 5}, ""},
		{"gathernd spec 5 batch_dims", 12, node("GatherND", 2, 1, "batch_dims", 1), []*graph.Tensor{cube(), in64([]int{2, 1}, 1, 0)},
			[]int{2, 2}, []float32{2, 3, 4, 5}, ""},
		{"gathernd batch_dims scalar slices", 12, node("GatherND", 2, 1, "batch_dims", 1), []*graph.Tensor{cube(), in64([]int{2, 2, 2}, 0, 1, 1, 1, 1, 0, 0, 0)},
			[]int{2, 2}, []float32{1, 3, 6, 4}, ""},
		{"gathernd negative", 12, node("GatherND", 2, 1), []*graph.Tensor{sq(), in64([]int{1, 2}, -1, -2)},
			[]int{1}, []float32{2}, ""},
		{"gathernd int64", 12, node("GatherND", 2, 1), []*graph.Tensor{in64([]int{2, 2}, 5, 6, 7, 8), in64([]int{1, 1}, 1)},
			[]int{1, 2}, []int64{7, 8}, ""},
		{"gathernd out of range", 12, node("GatherND", 2, 1), []*graph.Tensor{sq(), in64([]int{1, 2}, 0, 2)},
			nil, nil, "index 2 out of range for dimension 1 of size 2"},
		{"gathernd batch mismatch", 12, node("GatherND", 2, 1, "batch_dims", 1), []*graph.Tensor{cube(), in64([]int{3, 1}, 1, 0, 0)},
			nil, nil, "batch dimension 0 differs"},
		{"gathernd k too big", 12, node("GatherND", 2, 1), []*graph.Tensor{sq(), in64([]int{1, 3}, 0, 0, 0)},
			nil, nil, "last dimension of indices"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, err := runOp(t, c.opset, c.n, c.ins...)
			expectOp(t, outs, err, c.err, c.shape, c.want, 1e-6)
		})
	}
}
