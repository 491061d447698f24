package cpu

import (
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

// GridSample against the examples of ONNX's backend tests
// (onnx/backend/test/case/node/gridsample.py: the opset-16 cases under
// their old mode names, the opset-20 "additional" and volumetric cases,
// whose values came from PyTorch).
func TestGridSample(t *testing.T) {
	x32 := func() *graph.Tensor { return fl([]int{1, 1, 3, 2}, 0, 1, 2, 3, 4, 5) }
	gridA := func() *graph.Tensor { // [1, 2, 4, 2]
		return fl([]int{1, 2, 4, 2},
			-1, -1, -0.5, -0.5, -0.2, -0.2, 0, 0,
			0, 0, -0.2, -0.2, 0.5, 0.5, 1, 1)
	}
	gridPad := func() *graph.Tensor {
		return fl([]int{1, 2, 4, 2},
			-10, -10, -5, -5, -0.2, -0.2, 10, 10,
			10, 10, -0.2, -0.2, 5, 5, 10, 10)
	}
	gridB := func() *graph.Tensor {
		return fl([]int{1, 2, 4, 2},
			-1, -0.8, -0.6, -0.5, -0.1, -0.2, 0.7, 0,
			0, 0.4, 0.2, -0.2, -0.3, 0.5, -1, 1)
	}
	x44 := func() *graph.Tensor {
		t := graph.New(graph.Float32, []int{1, 1, 4, 4})
		for i := range t.F {
			t.F[i] = float32(i)
		}
		return t
	}
	grid66 := func() *graph.Tensor {
		t := graph.New(graph.Float32, []int{1, 6, 6, 2})
		v := []float32{-1, -0.6, -0.2, 0.2, 0.6, 1}
		for i := 0; i < 6; i++ {
			for j := 0; j < 6; j++ {
				t.F[(i*6+j)*2], t.F[(i*6+j)*2+1] = v[j], v[i]
			}
		}
		return t
	}
	vx := func() *graph.Tensor {
		t := graph.New(graph.Float32, []int{1, 1, 3, 2, 2})
		for i := range t.F {
			t.F[i] = float32(i + 1)
		}
		return t
	}
	vgridVals := []float32{
		-1.0, -1.0, -1.0, -1.0, -0.5, 0.3,
		-0.5, -0.5, -0.5, 1.0, -0.6, -1.0,
		-0.2, -0.2, -0.2, 0.4, 0.2, 0.6,
		0.0, 0.0, 0.0, -1.0, 0.0, 0.0,
		0.0, 0.0, 0.0, -1.0, 1.0, 0.0,
		-0.2, -0.2, -0.2, 1.0, 0.4, -0.2,
		0.5, 0.5, 0.5, -1.0, -0.8, 0.8,
		1.0, 1.0, 1.0, 0.4, 0.6, -0.3,
	}
	vgrid := func(scale float32) *graph.Tensor {
		t := graph.New(graph.Float32, []int{1, 2, 4, 2, 3})
		for i, v := range vgridVals {
			t.F[i] = v * scale
		}
		return t
	}
	gridC := func() *graph.Tensor { // gridB with some points outside the image
		return fl([]int{1, 2, 4, 2},
			-1, -0.8, -0.6, -0.5, -0.1, -0.2, 0.7, 0,
			0, 0.4, 1.3, -1.2, -0.3, 0.5, -1, 1.1)
	}
	gs := func(attrs ...any) *graph.Node { return node("GridSample", 2, 1, attrs...) }
	cases := []struct {
		name  string
		opset int64
		n     *graph.Node
		x, g  *graph.Tensor
		shape []int
		want  []float32
		tol   float64
	}{
		{"16 gridsample", 16, gs("mode", "bilinear", "padding_mode", "zeros", "align_corners", 0), x44(), grid66(), []int{1, 1, 6, 6}, []float32{
			0.0000, 0.1500, 0.5500, 0.9500, 1.3500, 0.7500,
			0.6000, 1.5000, 2.3000, 3.1000, 3.9000, 2.1000,
			2.2000, 4.7000, 5.5000, 6.3000, 7.1000, 3.7000,
			3.8000, 7.9000, 8.7000, 9.5000, 10.3000, 5.3000,
			5.4000, 11.1000, 11.9000, 12.7000, 13.5000, 6.9000,
			3.0000, 6.1500, 6.5500, 6.9500, 7.3500, 3.7500}, 1e-5},
		{"16 zeros padding", 16, gs("padding_mode", "zeros"), x32(), gridPad(), []int{1, 1, 2, 4},
			[]float32{0, 0, 1.7, 0, 0, 1.7, 0, 0}, 1e-5},
		{"16 border padding", 16, gs("padding_mode", "border"), x32(), gridPad(), []int{1, 1, 2, 4},
			[]float32{0, 0, 1.7, 5, 5, 1.7, 5, 5}, 1e-5},
		{"16 reflection padding", 16, gs("padding_mode", "reflection"), x32(), gridPad(), []int{1, 1, 2, 4},
			[]float32{2.5, 0, 1.7, 2.5, 2.5, 1.7, 5, 2.5}, 1e-5},
		{"16 bilinear", 16, gs("mode", "bilinear"), x32(), gridA(), []int{1, 1, 2, 4},
			[]float32{0, 0.5, 1.7, 2.5, 2.5, 1.7, 4.5, 1.25}, 1e-5},
		{"16 align corners", 16, gs("mode", "bilinear", "align_corners", 1), x32(), gridA(), []int{1, 1, 2, 4},
			[]float32{0, 1.25, 2, 2.5, 2.5, 2, 3.75, 5}, 1e-5},
		{"16 nearest", 16, gs("mode", "nearest"), x32(), gridA(), []int{1, 1, 2, 4},
			[]float32{0, 0, 2, 2, 2, 2, 5, 0}, 0},
		{"16 bicubic", 16, gs("mode", "bicubic"), x32(), gridA(), []int{1, 1, 2, 4},
			[]float32{-0.1406, 0.3828, 1.7556, 2.9688, 2.9688, 1.7556, 5.1445, 1.3906}, 1e-4},

		{"20 linear", 20, gs("mode", "linear"), x32(), gridA(), []int{1, 1, 2, 4},
			[]float32{0, 0.5, 1.7, 2.5, 2.5, 1.7, 4.5, 1.25}, 1e-5},
		{"20 cubic", 20, gs("mode", "cubic"), x32(), gridA(), []int{1, 1, 2, 4},
			[]float32{-0.1406, 0.3828, 1.7556, 2.9688, 2.9688, 1.7556, 5.1445, 1.3906}, 1e-4},
		{"20 nearest ac0 additional", 20, gs("mode", "nearest", "align_corners", 0), x32(), gridB(), []int{1, 1, 2, 4},
			[]float32{0, 0, 2, 3, 4, 3, 4, 4}, 0},
		{"20 nearest ac1 additional", 20, gs("mode", "nearest", "align_corners", 1), x32(), gridB(), []int{1, 1, 2, 4},
			[]float32{0, 0, 2, 3, 2, 3, 4, 4}, 0},
		{"20 linear ac0 additional", 20, gs("mode", "linear", "align_corners", 0), x32(), gridB(), []int{1, 1, 2, 4},
			[]float32{0, 0.45, 1.8, 2.4, 3.7, 2.1, 3.7, 1}, 1e-5},
		{"20 linear ac1 additional", 20, gs("mode", "linear", "align_corners", 1), x32(), gridB(), []int{1, 1, 2, 4},
			[]float32{0.4, 1.2, 2.05, 2.85, 3.3, 2.2, 3.35, 4}, 1e-5},
		{"20 cubic ac0 additional", 20, gs("mode", "cubic", "align_corners", 0), x32(), gridB(), []int{1, 1, 2, 4},
			[]float32{-0.173250, 0.284265, 1.923106, 2.568000, 5.170375, 2.284414, 4.744844, 1.046875}, 1e-4},
		{"20 cubic ac1 additional", 20, gs("mode", "cubic", "align_corners", 1), x32(), gridB(), []int{1, 1, 2, 4},
			[]float32{0.304001, 1.128750, 2.266270, 3.144844, 4.531500, 2.455360, 4.599819, 4.000000}, 1e-4},

		// Cubic with border and reflection padding near and past the
		// borders: values from torch.nn.functional.grid_sample (1.13),
		// which pads each tap, not the coordinate.
		{"16 bicubic border ac0 torch", 16, gs("mode", "bicubic", "padding_mode", "border"), x32(), gridC(), []int{1, 1, 2, 4},
			[]float32{-0.28575, 0.322063, 1.609501, 3.096001, 3.867999, 0.976, 3.793189, 4.025687}, 1e-5},
		{"16 bicubic border ac1 torch", 16, gs("mode", "bicubic", "padding_mode", "border", "align_corners", 1), x32(), gridC(), []int{1, 1, 2, 4},
			[]float32{0.304001, 0.988501, 1.899813, 2.872313, 3.491999, 0.889282, 3.520438, 4.1215}, 1e-5},
		{"20 cubic reflection ac0 torch", 20, gs("mode", "cubic", "padding_mode", "reflection"), x32(), gridC(), []int{1, 1, 2, 4},
			[]float32{-0.427499, 0.315313, 1.609501, 3.120001, 3.867999, 0.879999, 3.793189, 4.153749}, 1e-5},
		{"20 cubic reflection ac1 torch", 20, gs("mode", "cubic", "padding_mode", "reflection", "align_corners", 1), x32(), gridC(), []int{1, 1, 2, 4},
			[]float32{0.112001, 0.729, 1.833251, 2.93925, 3.635999, 1.051252, 3.656751, 3.971}, 1e-5},
		{"20 cubic zeros ac0 torch", 20, gs("mode", "cubic", "padding_mode", "zeros"), x32(), gridC(), []int{1, 1, 2, 4},
			[]float32{-0.17325, 0.284265, 1.923106, 2.568, 5.170375, 0.026752, 4.744843, 0.694381}, 1e-5},

		{"20 volumetric nearest ac0", 20, gs("mode", "nearest", "align_corners", 0), vx(), vgrid(1), []int{1, 1, 2, 4, 2},
			[]float32{0, 0, 1, 0, 5, 12, 8, 0, 8, 0, 5, 0, 12, 0, 0, 8}, 0},
		{"20 volumetric nearest ac1", 20, gs("mode", "nearest", "align_corners", 1), vx(), vgrid(1), []int{1, 1, 2, 4, 2},
			[]float32{1, 5, 5, 2, 5, 12, 8, 7, 8, 7, 5, 8, 12, 9, 12, 8}, 0},
		{"20 volumetric linear ac0", 20, gs("mode", "linear", "align_corners", 0), vx(), vgrid(1), []int{1, 1, 2, 4, 2},
			[]float32{0.125, 3.4, 2, 0.45, 4.7, 10.9, 6.5, 3, 6.5, 1.75, 4.7, 3.3, 11, 2.52, 1.5, 5.49}, 1e-5},
		{"20 volumetric linear ac1", 20, gs("mode", "linear", "align_corners", 1), vx(), vgrid(1), []int{1, 1, 2, 4, 2},
			[]float32{1, 6.7, 3.75, 2.4, 5.4, 9.3, 6.5, 6, 6.5, 7, 5.4, 6.6, 9.25, 8.4, 12, 6.1}, 1e-5},
		{"20 volumetric border", 20, gs("mode", "nearest", "padding_mode", "border", "align_corners", 0), vx(), vgrid(2.5), []int{1, 1, 2, 4, 2},
			[]float32{1, 9, 1, 2, 1, 12, 8, 7, 8, 7, 1, 4, 12, 9, 12, 4}, 0},
		{"20 volumetric reflection", 20, gs("mode", "nearest", "padding_mode", "reflection", "align_corners", 0), vx(), vgrid(2.5), []int{1, 1, 2, 4, 2},
			[]float32{12, 10, 1, 9, 1, 12, 8, 8, 8, 6, 1, 3, 12, 8, 1, 4}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			outs, err := runOp(t, tc.opset, tc.n, tc.x, tc.g)
			if err != nil {
				t.Fatal(err)
			}
			got := outs[0]
			if !sameShape(got.Shape, tc.shape) {
				t.Fatalf("shape %v, want %v", got.Shape, tc.shape)
			}
			if !closeTo(got.F, tc.want, tc.tol) {
				t.Errorf("got  %v\nwant %v", got.F, tc.want)
			}
		})
	}

	// Two channels and two instances: each output reads its own plane.
	t.Run("batch and channels", func(t *testing.T) {
		x := fl([]int{2, 2, 1, 2}, 1, 2, 10, 20, 100, 200, 1000, 2000)
		g := fl([]int{2, 1, 1, 2}, -0.5, 0, 0.5, 0) // x = 0 (left pixel), x = 1 (right pixel)
		outs, err := runOp(t, 16, gs("align_corners", 0), x, g)
		if err != nil {
			t.Fatal(err)
		}
		checkOut(t, outs[0], []int{2, 2, 1, 1}, []float32{1, 10, 200, 2000})
	})

	errs := []struct {
		name  string
		opset int64
		n     *graph.Node
		x, g  *graph.Tensor
		err   string
	}{
		{"16 new name", 16, gs("mode", "linear"), x32(), gridA(), `unknown mode "linear" (at opset 16: bilinear, nearest or bicubic)`},
		{"20 old name", 20, gs("mode", "bicubic"), x32(), gridA(), `unknown mode "bicubic" (at opset 20: linear, nearest or cubic)`},
		{"padding mode", 16, gs("padding_mode", "wrap"), x32(), gridA(), `unknown padding_mode "wrap"`},
		{"16 volumetric", 16, gs(), vx(), vgrid(1), "at opset 16 the input must be 4-D"},
		{"grid rank", 20, gs(), x32(), vgrid(1), "does not fit input"},
		{"grid last dim", 20, gs(), x32(), fl([]int{1, 1, 1, 3}, 0, 0, 0), "does not fit input"},
		{"grid batch", 20, gs(), x32(), fl([]int{2, 1, 1, 2}, 0, 0, 0, 0), "does not fit input"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOp(t, tc.opset, tc.n, tc.x, tc.g)
			wantErr(t, err, tc.err)
		})
	}
}
