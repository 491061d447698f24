package cpu

import (
	"math"
	"math/rand"
	"reflect"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

func TestPoolND(t *testing.T) {
	seq := func(shape ...int) *graph.Tensor {
		x := graph.New(graph.Float32, shape)
		for i := range x.F {
			x.F[i] = float32(i)
		}
		return x
	}
	third := float32(1.0 / 3)
	cases := []struct {
		name  string
		opset int64
		n     *graph.Node
		x     *graph.Tensor
		shape []int
		want  []float32
		idx   []int64
		err   string
	}{
		// torch's LocalResponseNorm export: AveragePool over channels as a 3-D window [size,1,1].
		{"avg 3-D LRN window", 11, node("AveragePool", 1, 1, "kernel_shape", []int{3, 1, 1}, "pads", []int{1, 0, 0, 1, 0, 0}, "count_include_pad", 1),
			fl([]int{1, 1, 4, 1, 2}, 1, 2, 3, 4, 5, 6, 7, 8), []int{1, 1, 4, 1, 2},
			[]float32{(1 + 3) * third, (2 + 4) * third, (1 + 3 + 5) * third, (2 + 4 + 6) * third, (3 + 5 + 7) * third, (4 + 6 + 8) * third, (5 + 7) * third, (6 + 8) * third}, nil, ""},
		{"avg 3-D exclude pad", 11, node("AveragePool", 1, 1, "kernel_shape", []int{3, 1, 1}, "pads", []int{1, 0, 0, 1, 0, 0}),
			fl([]int{1, 1, 4, 1, 1}, 1, 2, 3, 4), []int{1, 1, 4, 1, 1}, []float32{1.5, 2, 3, 3.5}, nil, ""},
		{"max 3-D", 11, node("MaxPool", 1, 1, "kernel_shape", []int{2, 2, 2}),
			seq(1, 1, 2, 2, 3), []int{1, 1, 1, 1, 2}, []float32{10, 11}, nil, ""},
		{"max 3-D indices", 11, node("MaxPool", 1, 2, "kernel_shape", []int{2, 2, 2}),
			fl([]int{1, 1, 2, 2, 2}, 0, 0, 0, 0, 9, 0, 0, 0), []int{1, 1, 1, 1, 1}, []float32{9}, []int64{4}, ""},
		{"max 3-D indices column-major", 11, node("MaxPool", 1, 2, "kernel_shape", []int{2, 2, 2}, "storage_order", 1),
			fl([]int{1, 1, 2, 2, 2}, 0, 0, 0, 0, 9, 0, 0, 0), []int{1, 1, 1, 1, 1}, []float32{9}, []int64{1}, ""},
		{"max 3-D ceil", 11, node("MaxPool", 1, 1, "kernel_shape", []int{2, 1, 1}, "strides", []int{2, 1, 1}, "ceil_mode", 1),
			fl([]int{1, 1, 3, 1, 1}, 1, 2, 3), []int{1, 1, 2, 1, 1}, []float32{2, 3}, nil, ""},
		{"avg 3-D ceil", 11, node("AveragePool", 1, 1, "kernel_shape", []int{2, 1, 1}, "strides", []int{2, 1, 1}, "ceil_mode", 1),
			fl([]int{1, 1, 3, 1, 1}, 1, 2, 3), []int{1, 1, 2, 1, 1}, []float32{1.5, 3}, nil, ""},
		{"max 3-D dilated same_upper", 11, node("MaxPool", 1, 1, "kernel_shape", []int{1, 1, 2}, "dilations", []int{1, 1, 2}, "auto_pad", "SAME_UPPER"),
			fl([]int{1, 1, 1, 1, 4}, 1, 5, 2, 3), []int{1, 1, 1, 1, 4}, []float32{5, 2, 5, 2}, nil, ""},
		{"avg 2-D dilated (opset 19)", 19, node("AveragePool", 1, 1, "kernel_shape", []int{2, 2}, "dilations", []int{2, 2}),
			seq(1, 1, 4, 4), []int{1, 1, 2, 2}, []float32{5, 6, 9, 10}, nil, ""},
		{"avg 1-D dilated padded include pad", 19, node("AveragePool", 1, 1, "kernel_shape", []int{2}, "dilations", []int{2}, "pads", []int{1, 1}, "count_include_pad", 1),
			fl([]int{1, 1, 3}, 3, 6, 9), []int{1, 1, 3}, []float32{3, 6, 3}, nil, ""},
		{"max int64", 11, node("MaxPool", 1, 1, "kernel_shape", []int{2}),
			in64([]int{1, 1, 4}, 3, 1, 7, 2), []int{1, 1, 3}, nil, []int64{3, 7, 7}, ""},
		{"lp p=2", 18, node("LpPool", 1, 1, "kernel_shape", []int{2}, "p", 2),
			fl([]int{1, 1, 3}, 3, 4, 0), []int{1, 1, 2}, []float32{5, 4}, nil, ""},
		{"lp p=1 pads", 18, node("LpPool", 1, 1, "kernel_shape", []int{2}, "p", 1, "pads", []int{1, 1}),
			fl([]int{1, 1, 3}, 3, -4, 0), []int{1, 1, 4}, []float32{3, 7, 4, 0}, nil, ""},
		{"lp p=3 2-D", 18, node("LpPool", 1, 1, "kernel_shape", []int{2, 2}, "p", 3),
			fl([]int{1, 1, 2, 2}, 1, 1, 1, 1), []int{1, 1, 1, 1}, []float32{float32(math.Cbrt(4))}, nil, ""},
		{"lp default p", 11, node("LpPool", 1, 1, "kernel_shape", []int{2, 1, 1}),
			fl([]int{1, 1, 2, 1, 1}, 6, 8), []int{1, 1, 1, 1, 1}, []float32{10}, nil, ""},
		{"global lp", 2, node("GlobalLpPool", 1, 1),
			fl([]int{1, 2, 2}, 3, 4, 1, 1), []int{1, 2, 1}, []float32{5, float32(math.Sqrt2)}, nil, ""},
		{"global lp p=1 3-D", 2, node("GlobalLpPool", 1, 1, "p", 1),
			fl([]int{1, 1, 2, 1, 2}, 1, -2, 3, -4), []int{1, 1, 1, 1, 1}, []float32{10}, nil, ""},
		{"global avg 3-D", 11, node("GlobalAveragePool", 1, 1),
			fl([]int{1, 1, 2, 1, 2}, 1, 2, 3, 4), []int{1, 1, 1, 1, 1}, []float32{2.5}, nil, ""},
		{"global max 1-D", 11, node("GlobalMaxPool", 1, 1),
			fl([]int{1, 2, 2}, 1, 2, 4, 3), []int{1, 2, 1}, []float32{2, 4}, nil, ""},
		{"bad kernel", 11, node("MaxPool", 1, 1, "kernel_shape", []int{2, 2}),
			seq(1, 1, 2, 2, 2), nil, nil, nil, "kernel_shape [2 2] for input [1 1 2 2 2]"},
		{"bad pads", 11, node("AveragePool", 1, 1, "kernel_shape", []int{2, 2, 2}, "pads", []int{1, 1}),
			seq(1, 1, 2, 2, 2), nil, nil, nil, "pads has 2 values for 3 spatial dims"},
		{"window too large", 11, node("MaxPool", 1, 1, "kernel_shape", []int{3, 1, 1}),
			seq(1, 1, 2, 2, 2), nil, nil, nil, "window 3 larger than padded input 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, err := runOp(t, c.opset, c.n, c.x)
			expectOp(t, outs, err, c.err, c.shape, c.want, 1e-6)
			if c.err != "" || err != nil {
				return
			}
			y := outs[0]
			if c.idx != nil {
				got := y.I
				if c.want != nil {
					got = outs[1].I
				}
				if !reflect.DeepEqual(got, c.idx) {
					t.Errorf("got %v, want %v", got, c.idx)
				}
			}
		})
	}
}

// The N-d path agrees with the 2-D fast path (1-D and 2-D windows) on
// random inputs, for every option the two share.
func TestPoolNDMatches2D(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	type cfg struct {
		shape []int
		attrs []any
	}
	cfgs := []cfg{
		{[]int{2, 3, 9, 8}, []any{"kernel_shape", []int{3, 3}, "strides", []int{2, 2}, "pads", []int{1, 0, 1, 1}}},
		{[]int{1, 2, 10, 11}, []any{"kernel_shape", []int{3, 2}, "strides", []int{2, 3}, "ceil_mode", 1}},
		{[]int{1, 2, 10, 11}, []any{"kernel_shape", []int{3, 3}, "strides", []int{2, 2}, "pads", []int{1, 1, 0, 0}, "ceil_mode", 1, "count_include_pad", 1}},
		{[]int{1, 2, 7, 7}, []any{"kernel_shape", []int{2, 2}, "auto_pad", "SAME_LOWER", "strides", []int{2, 2}}},
		{[]int{1, 2, 7, 7}, []any{"kernel_shape", []int{3, 3}, "auto_pad", "SAME_UPPER", "count_include_pad", 1}},
		{[]int{1, 3, 15}, []any{"kernel_shape", []int{3}, "strides", []int{2}, "pads", []int{1, 2}}},
	}
	for i, cf := range cfgs {
		for _, op := range []string{"MaxPool", "AveragePool"} {
			x := randTensor(r, cf.shape...)
			n := node(op, 1, 1, cf.attrs...)
			if op == "MaxPool" {
				n.Outputs = append(n.Outputs, "idx")
			}
			fast, err := runOp(t, 11, n, x)
			if err != nil {
				t.Fatal(err)
			}
			vals := []*Value{{DType: x.DType, Shape: x.Shape, Const: x}}
			pr, err := prepPoolN(&ctx{opset: 11}, n, vals)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pr.outs[0].Shape, fast[0].Shape) {
				t.Fatalf("config %d %s: N-d shape %v, 2-D %v", i, op, pr.outs[0].Shape, fast[0].Shape)
			}
			outs := []*graph.Tensor{graph.New(graph.Float32, pr.outs[0].Shape)}
			if op == "MaxPool" {
				outs = append(outs, graph.New(graph.Int64, pr.outs[0].Shape))
			}
			if err := pr.run([]*graph.Tensor{x}, outs, nil); err != nil {
				t.Fatal(err)
			}
			if !closeTo(outs[0].F, fast[0].F, 1e-6) {
				t.Errorf("config %d %s: N-d %v, 2-D %v", i, op, outs[0].F, fast[0].F)
			}
			if op == "MaxPool" && !reflect.DeepEqual(outs[1].I, fast[1].I) {
				t.Errorf("config %d: N-d indices %v, 2-D %v", i, outs[1].I, fast[1].I)
			}
		}
	}
}
