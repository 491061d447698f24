package cpu

import (
	"math/rand"
	"reflect"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

// padRef is a straightforward Pad, one axis at a time as numpy.pad does
// it, after cropping by the negative pads: reflect and wrap step the index
// back into range one bounce or one period at a time.
func padRef(x *graph.Tensor, before, after []int, mode string, value float32) *graph.Tensor {
	cur := x.Clone()
	for d := range x.Shape {
		// Crop.
		lo, hi := max(-before[d], 0), cur.Shape[d]-max(-after[d], 0)
		cur = sliceAxis(cur, d, lo, hi)
		// Pad.
		pb, pa := max(before[d], 0), max(after[d], 0)
		dim := cur.Shape[d]
		shape := copyShape(cur.Shape)
		shape[d] = dim + pb + pa
		out := graph.New(cur.DType, shape)
		outer, inner := graph.NumElems(shape[:d]), graph.NumElems(shape[d+1:])
		for o := 0; o < outer; o++ {
			for k := 0; k < shape[d]; k++ {
				j := k - pb
				inside := true
				switch mode {
				case "constant":
					inside = j >= 0 && j < dim
				case "edge":
					j = min(max(j, 0), dim-1)
				case "wrap":
					for j < 0 {
						j += dim
					}
					for j >= dim {
						j -= dim
					}
				case "reflect":
					for j < 0 || j >= dim {
						if dim == 1 {
							j = 0
						} else if j < 0 {
							j = -j
						} else {
							j = 2*(dim-1) - j
						}
					}
				}
				for i := 0; i < inner; i++ {
					at := (o*shape[d]+k)*inner + i
					if !inside {
						if out.DType == graph.Float32 {
							out.F[at] = value
						} else {
							out.I[at] = int64(value)
						}
						continue
					}
					from := (o*dim+j)*inner + i
					if out.DType == graph.Float32 {
						out.F[at] = cur.F[from]
					} else {
						out.I[at] = cur.I[from]
					}
				}
			}
		}
		cur = out
	}
	return cur
}

func sliceAxis(x *graph.Tensor, d, lo, hi int) *graph.Tensor {
	shape := copyShape(x.Shape)
	shape[d] = hi - lo
	out := graph.New(x.DType, shape)
	outer, inner := graph.NumElems(shape[:d]), graph.NumElems(shape[d+1:])
	for o := 0; o < outer; o++ {
		for k := lo; k < hi; k++ {
			for i := 0; i < inner; i++ {
				from := (o*x.Shape[d]+k)*inner + i
				at := (o*shape[d]+k-lo)*inner + i
				if x.DType == graph.Float32 {
					out.F[at] = x.F[from]
				} else if x.DType == graph.Int64 {
					out.I[at] = x.I[from]
				} else {
					out.B[at] = x.B[from]
				}
			}
		}
	}
	return out
}

func TestPadSpecExamples(t *testing.T) {
	data := func() *graph.Tensor { return fl([]int{3, 2}, 1.0, 1.2, 2.3, 3.4, 4.5, 5.7) }
	cases := []struct {
		name  string
		opset int64
		n     *graph.Node
		ins   []*graph.Tensor
		shape []int
		want  any
		err   string
	}{
		{"constant", 11, node("Pad", 2, 1), []*graph.Tensor{data(), in64([]int{4}, 0, 2, 0, 0)},
			[]int{3, 4}, []float32{0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7}, ""},
		{"reflect", 11, node("Pad", 2, 1, "mode", "reflect"), []*graph.Tensor{data(), in64([]int{4}, 0, 2, 0, 0)},
			[]int{3, 4}, []float32{1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7}, ""},
		{"edge", 11, node("Pad", 2, 1, "mode", "edge"), []*graph.Tensor{data(), in64([]int{4}, 0, 2, 0, 0)},
			[]int{3, 4}, []float32{1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7}, ""},
		{"wrap", 19, node("Pad", 2, 1, "mode", "wrap"), []*graph.Tensor{data(), in64([]int{4}, 2, 1, 1, 1)},
			[]int{6, 4}, []float32{
				3.4, 2.3, 3.4, 2.3,
				5.7, 4.5, 5.7, 4.5,
				1.2, 1.0, 1.2, 1.0,
				3.4, 2.3, 3.4, 2.3,
				5.7, 4.5, 5.7, 4.5,
				1.2, 1.0, 1.2, 1.0}, ""},
		{"opset 1 paddings", 1, node("Pad", 1, 1, "paddings", []int{0, 2, 0, 0}, "value", 1.5), []*graph.Tensor{data()},
			[]int{3, 4}, []float32{1.5, 1.5, 1.0, 1.2, 1.5, 1.5, 2.3, 3.4, 1.5, 1.5, 4.5, 5.7}, ""},
		{"opset 2 pads attribute", 2, node("Pad", 1, 1, "pads", []int{0, 0, 1, 0}, "mode", "edge"), []*graph.Tensor{data()},
			[]int{4, 2}, []float32{1.0, 1.2, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7}, ""},
		{"constant_value input", 11, node("Pad", 3, 1), []*graph.Tensor{data(), in64([]int{4}, 0, 0, 0, 1), fl([]int{}, -7)},
			[]int{3, 3}, []float32{1.0, 1.2, -7, 2.3, 3.4, -7, 4.5, 5.7, -7}, ""},
		{"int64 constant_value", 11, node("Pad", 3, 1), []*graph.Tensor{in64([]int{2}, 5, 6), in64([]int{2}, 1, 1), in64([]int{1}, 1<<40+1)},
			[]int{4}, []int64{1<<40 + 1, 5, 6, 1<<40 + 1}, ""},
		{"axes input", 18, node("Pad", 4, 1), []*graph.Tensor{data(), in64([]int{2}, 1, 0), fl([]int{}, 9), in64([]int{1}, -1)},
			[]int{3, 3}, []float32{9, 1.0, 1.2, 9, 2.3, 3.4, 9, 4.5, 5.7}, ""},
		// Negative pads crop first; the padding then comes from the
		// cropped data (values checked against numpy: slice, then np.pad).
		{"negative reflect", 19, node("Pad", 2, 1, "mode", "reflect"), []*graph.Tensor{seqT(3, 4), in64([]int{4}, -1, 2, 2, -1)},
			[]int{4, 5}, []float32{7, 6, 5, 6, 7, 11, 10, 9, 10, 11, 7, 6, 5, 6, 7, 11, 10, 9, 10, 11}, ""},
		{"negative edge", 19, node("Pad", 2, 1, "mode", "edge"), []*graph.Tensor{seqT(3, 4), in64([]int{4}, -1, 2, 2, -1)},
			[]int{4, 5}, []float32{5, 5, 5, 6, 7, 9, 9, 9, 10, 11, 9, 9, 9, 10, 11, 9, 9, 9, 10, 11}, ""},
		{"negative wrap", 19, node("Pad", 2, 1, "mode", "wrap"), []*graph.Tensor{seqT(3, 4), in64([]int{4}, -1, 2, 2, -1)},
			[]int{4, 5}, []float32{6, 7, 5, 6, 7, 10, 11, 9, 10, 11, 6, 7, 5, 6, 7, 10, 11, 9, 10, 11}, ""},
		{"negative constant", 19, node("Pad", 2, 1), []*graph.Tensor{seqT(3, 4), in64([]int{4}, -1, 2, 2, -1)},
			[]int{4, 5}, []float32{0, 0, 5, 6, 7, 0, 0, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ""},
		{"bool", 13, node("Pad", 3, 1), []*graph.Tensor{{DType: graph.Bool, Shape: []int{2}, B: []bool{false, true}}, in64([]int{2}, 1, 0),
			{DType: graph.Bool, Shape: []int{}, B: []bool{true}}},
			[]int{3}, []bool{true, false, true}, ""},
		{"empty axis reflect", 11, node("Pad", 2, 1, "mode", "reflect"), []*graph.Tensor{fl([]int{2, 0}), in64([]int{4}, 0, 1, 0, 1)},
			nil, nil, "cannot pad an empty axis 1 in reflect mode"},
		{"wrap before 19", 18, node("Pad", 2, 1, "mode", "wrap"), []*graph.Tensor{data(), in64([]int{4}, 0, 1, 0, 1)},
			nil, nil, `pad mode "wrap" needs opset 19`},
		{"unknown mode", 19, node("Pad", 2, 1, "mode", "mirror"), []*graph.Tensor{data(), in64([]int{4}, 0, 1, 0, 1)},
			nil, nil, `unknown pad mode "mirror"`},
		{"axes before 18", 13, node("Pad", 4, 1), []*graph.Tensor{data(), in64([]int{2}, 1, 0), nil, in64([]int{1}, 1)},
			nil, nil, "the axes input needs opset 18"},
		{"repeated axes", 18, node("Pad", 4, 1), []*graph.Tensor{data(), in64([]int{4}, 1, 0, 1, 0), nil, in64([]int{2}, 1, -1)},
			nil, nil, "axis 1 repeats"},
		{"pads count", 18, node("Pad", 2, 1), []*graph.Tensor{data(), in64([]int{2}, 1, 0)},
			nil, nil, "2 pads for 2 axes"},
		{"over-cropped", 18, node("Pad", 2, 1), []*graph.Tensor{data(), in64([]int{4}, -2, 0, -2, 0)},
			nil, nil, "crop axis 0 of size 3 to a negative size"},
		{"bad constant_value", 18, node("Pad", 3, 1), []*graph.Tensor{data(), in64([]int{4}, 1, 0, 1, 0), in64([]int{}, 1)},
			nil, nil, "constant_value is int64[]; it must be one float32 value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			outs, err := runOp(t, tc.opset, tc.n, tc.ins...)
			if tc.err != "" {
				wantErr(t, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkOut(t, outs[0], tc.shape, tc.want)
		})
	}
}

func seqT(shape ...int) *graph.Tensor {
	t := graph.New(graph.Float32, shape)
	for i := range t.F {
		t.F[i] = float32(i + 1)
	}
	return t
}

func checkOut(t *testing.T, got *graph.Tensor, shape []int, want any) {
	t.Helper()
	if !reflect.DeepEqual(got.Shape, shape) {
		t.Fatalf("shape %v, want %v", got.Shape, shape)
	}
	switch w := want.(type) {
	case []float32:
		if !closeTo(got.F, w, 1e-6) {
			t.Errorf("got %v, want %v", got.F, w)
		}
	case []int64:
		if !reflect.DeepEqual(got.I, w) {
			t.Errorf("got %v, want %v", got.I, w)
		}
	case []bool:
		if !reflect.DeepEqual(got.B, w) {
			t.Errorf("got %v, want %v", got.B, w)
		}
	}
}

// Random pads, positive, negative and mixed, in every mode and with axes,
// against padRef.
func TestPadRandomAgainstReference(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for it := 0; it < 300; it++ {
		rank := 1 + r.Intn(4)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = 1 + r.Intn(4)
		}
		x := randTensor(r, shape...)
		if it%5 == 0 {
			x = graph.New(graph.Int64, shape)
			for i := range x.I {
				x.I[i] = int64(r.Intn(100))
			}
		}
		mode := []string{"constant", "reflect", "edge", "wrap"}[it%4]
		before, after := make([]int, rank), make([]int, rank)
		useAxes := it%3 == 0
		var axes []int64
		for d := 0; d < rank; d++ {
			if useAxes && r.Intn(2) == 0 {
				continue
			}
			axes = append(axes, int64(d))
			before[d] = r.Intn(7) - min(shape[d]-1, 3)
			after[d] = r.Intn(7) - min(shape[d]-1-max(-before[d], 0), 3)
		}
		var pads []int64
		if !useAxes {
			axes = nil
			for d := 0; d < rank; d++ {
				pads = append(pads, int64(before[d]))
			}
			for d := 0; d < rank; d++ {
				pads = append(pads, int64(after[d]))
			}
		} else {
			for _, a := range axes {
				pads = append(pads, int64(before[a]))
			}
			for _, a := range axes {
				pads = append(pads, int64(after[a]))
			}
		}
		ins := []*graph.Tensor{x, in64([]int{len(pads)}, pads...)}
		n := node("Pad", 2, 1, "mode", mode)
		value := float32(2.5)
		if x.DType == graph.Int64 {
			value = 3
			ins = append(ins, in64([]int{}, 3))
		} else {
			ins = append(ins, fl([]int{}, value))
		}
		n.Inputs = append(n.Inputs, "c")
		if useAxes {
			ins = append(ins, in64([]int{len(axes)}, axes...))
			n.Inputs = append(n.Inputs, "d")
		}
		outs, err := runOp(t, 19, n, ins...)
		if err != nil {
			t.Fatalf("%v %s pads %v axes %v: %v", shape, mode, pads, axes, err)
		}
		want := padRef(x, before, after, mode, value)
		if !reflect.DeepEqual(outs[0].Shape, want.Shape) || !reflect.DeepEqual(outs[0].F, want.F) || !reflect.DeepEqual(outs[0].I, want.I) {
			t.Fatalf("%v %s pads %v axes %v:\ngot  %v %v%v\nwant %v %v%v", shape, mode, pads, axes,
				outs[0].Shape, outs[0].F, outs[0].I, want.Shape, want.F, want.I)
		}
	}
}

// CenterCropPad: the spec's examples (crop, pad, both, axes, negative
// axes) against slicing by hand.
func TestCenterCropPad(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	// place copies x[xlo:xhi per axis] into a zero tensor of shape at ylo.
	place := func(x *graph.Tensor, shape []int, xlo, xhi, ylo []int) []float32 {
		y := graph.New(graph.Float32, shape)
		xs, ys := strides(x.Shape), strides(shape)
		for i := range x.F {
			off, ok := 0, true
			for d := range x.Shape {
				c := (i / xs[d]) % x.Shape[d]
				if c < xlo[d] || c >= xhi[d] {
					ok = false
					break
				}
				off += (c - xlo[d] + ylo[d]) * ys[d]
			}
			if ok {
				y.F[off] = x.F[i]
			}
		}
		return y.F
	}
	cases := []struct {
		name        string
		in          []int
		shape       []int64
		axes        []int
		out         []int
		xlo, xhi, y []int
	}{
		{"crop and pad", []int{20, 8, 3}, []int64{10, 10, 3}, nil, []int{10, 10, 3}, []int{5, 0, 0}, []int{15, 8, 3}, []int{0, 1, 0}},
		{"crop", []int{20, 10, 3}, []int64{10, 7, 3}, nil, []int{10, 7, 3}, []int{5, 1, 0}, []int{15, 8, 3}, []int{0, 0, 0}},
		{"pad", []int{10, 7, 3}, []int64{20, 10, 3}, nil, []int{20, 10, 3}, []int{0, 0, 0}, []int{10, 7, 3}, []int{5, 1, 0}},
		{"axes hwc", []int{20, 8, 3}, []int64{10, 9}, []int{0, 1}, []int{10, 9, 3}, []int{5, 0, 0}, []int{15, 8, 3}, []int{0, 0, 0}},
		{"axes chw", []int{3, 20, 8}, []int64{10, 9}, []int{1, 2}, []int{3, 10, 9}, []int{0, 5, 0}, []int{3, 15, 8}, []int{0, 0, 0}},
		{"negative axes", []int{3, 20, 8}, []int64{10, 9}, []int{-2, -1}, []int{3, 10, 9}, []int{0, 5, 0}, []int{3, 15, 8}, []int{0, 0, 0}},
		{"odd crop", []int{5}, []int64{2}, nil, []int{2}, []int{1}, []int{3}, []int{0}},
		{"odd pad", []int{2}, []int64{5}, nil, []int{5}, []int{0}, []int{2}, []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := randTensor(r, tc.in...)
			var n *graph.Node
			if tc.axes != nil {
				n = node("CenterCropPad", 2, 1, "axes", tc.axes)
			} else {
				n = node("CenterCropPad", 2, 1)
			}
			outs, err := runOp(t, 18, n, x, in64([]int{len(tc.shape)}, tc.shape...))
			if err != nil {
				t.Fatal(err)
			}
			checkOut(t, outs[0], tc.out, place(x, tc.out, tc.xlo, tc.xhi, tc.y))
		})
	}
	t.Run("int64", func(t *testing.T) {
		outs, err := runOp(t, 18, node("CenterCropPad", 2, 1), in64([]int{3}, 1, 2, 3), in64([]int{1}, 5))
		if err != nil {
			t.Fatal(err)
		}
		checkOut(t, outs[0], []int{5}, []int64{0, 1, 2, 3, 0})
	})
	for _, tc := range []struct {
		name string
		n    *graph.Node
		ins  []*graph.Tensor
		err  string
	}{
		{"count", node("CenterCropPad", 2, 1), []*graph.Tensor{fl([]int{2, 2}, 1, 2, 3, 4), in64([]int{1}, 1)}, "shape [1] has 1 values for 2 axes"},
		{"negative", node("CenterCropPad", 2, 1), []*graph.Tensor{fl([]int{2}, 1, 2), in64([]int{1}, -1)}, "negative size -1"},
		{"repeat", node("CenterCropPad", 2, 1, "axes", []int{0, -2}), []*graph.Tensor{fl([]int{2, 2}, 1, 2, 3, 4), in64([]int{2}, 1, 1)}, "axis 0 repeats"},
		{"axis range", node("CenterCropPad", 2, 1, "axes", []int{2}), []*graph.Tensor{fl([]int{2, 2}, 1, 2, 3, 4), in64([]int{1}, 1)}, "axis 2 out of range"},
		{"float shape", node("CenterCropPad", 2, 1), []*graph.Tensor{fl([]int{2}, 1, 2), fl([]int{1}, 1)}, "shape is float32, not int64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOp(t, 18, tc.n, tc.ins...)
			wantErr(t, err, tc.err)
		})
	}
}
