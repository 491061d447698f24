package cpu

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

func TestResize(t *testing.T) {
	seq := func(shape ...int) *graph.Tensor {
		x := graph.New(graph.Float32, shape)
		for i := range x.F {
			x.F[i] = float32(i + 1)
		}
		return x
	}
	sc := func(v ...float32) *graph.Tensor { return fl([]int{len(v)}, v...) }
	sz := func(v ...int64) *graph.Tensor { return in64([]int{len(v)}, v...) }
	x22 := func() *graph.Tensor { return seq(1, 1, 2, 2) }
	third := float32(1.0 / 3)
	cases := []struct {
		name  string
		opset int64
		n     *graph.Node
		ins   []*graph.Tensor // X, roi, scales, sizes (opset 11+)
		shape []int
		want  []float32
		err   string
	}{
		// The spec's examples.
		{"upsample scales nearest", 13, node("Resize", 3, 1, "mode", "nearest"), []*graph.Tensor{x22(), nil, sc(1, 1, 2, 3)}, []int{1, 1, 4, 6},
			[]float32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, ""},
		{"downsample scales linear", 13, node("Resize", 3, 1, "mode", "linear"), []*graph.Tensor{seq(1, 1, 2, 4), nil, sc(1, 1, 0.6, 0.6)}, []int{1, 1, 1, 2},
			[]float32{2 + 2*third, 4 + third}, ""},
		{"upsample scales linear", 13, node("Resize", 3, 1, "mode", "linear"), []*graph.Tensor{x22(), nil, sc(1, 1, 2, 2)}, []int{1, 1, 4, 4},
			[]float32{1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4}, ""},
		{"upsample linear align_corners", 13, node("Resize", 3, 1, "mode", "linear", "coordinate_transformation_mode", "align_corners"),
			[]*graph.Tensor{x22(), nil, sc(1, 1, 2, 2)}, []int{1, 1, 4, 4},
			[]float32{1, 1 + third, 1 + 2*third, 2, 1 + 2*third, 2, 2 + third, 2 + 2*third, 2 + third, 2 + 2*third, 3, 3 + third, 3, 3 + third, 3 + 2*third, 4}, ""},
		{"upsample cubic", 13, node("Resize", 3, 1, "mode", "cubic"), []*graph.Tensor{seq(1, 1, 4, 4), nil, sc(1, 1, 2, 2)}, []int{1, 1, 8, 8},
			nil, ""},
		{"downsample linear antialias", 18, node("Resize", 3, 1, "mode", "linear", "antialias", 1), []*graph.Tensor{seq(1, 1, 4, 4), nil, sc(1, 1, 0.6, 0.6)},
			[]int{1, 1, 2, 2}, []float32{2.875, 4.5, 9.375, 11}, ""},
		{"tf_crop_and_resize", 13, node("Resize", 4, 1, "mode", "linear", "coordinate_transformation_mode", "tf_crop_and_resize"),
			[]*graph.Tensor{seq(1, 1, 4, 4), sc(0, 0, 0.4, 0.6, 1, 1, 0.6, 0.8), nil, sz(1, 1, 3, 3)}, []int{1, 1, 3, 3},
			[]float32{7.6, 7.9, 8.2, 8.8, 9.1, 9.4, 10, 10.3, 10.6}, ""},
		{"tf_crop_and_resize extrapolation", 13, node("Resize", 4, 1, "mode", "linear", "coordinate_transformation_mode", "tf_crop_and_resize", "extrapolation_value", 10.0),
			[]*graph.Tensor{seq(1, 1, 4, 4), sc(0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7), nil, sz(1, 1, 3, 3)}, []int{1, 1, 3, 3},
			[]float32{7.6, 10, 10, 12.4, 10, 10, 10, 10, 10}, ""},
		{"tf_crop_and_resize nearest extrapolation", 13, node("Resize", 4, 1, "coordinate_transformation_mode", "tf_crop_and_resize", "extrapolation_value", -1.0),
			[]*graph.Tensor{seq(1, 1, 4, 4), sc(0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7), nil, sz(1, 1, 3, 3)}, []int{1, 1, 3, 3},
			[]float32{7, -1, -1, 11, -1, -1, -1, -1, -1}, ""},
		{"half_pixel_symmetric", 19, node("Resize", 3, 1, "mode", "linear", "coordinate_transformation_mode", "half_pixel_symmetric"),
			[]*graph.Tensor{x22(), nil, sc(1, 1, 2.3, 2.94)}, []int{1, 1, 4, 5},
			[]float32{1, 1.15986395, 1.5, 1.84013605, 2, 1.56521738, 1.72508133, 2.06521738, 2.40535343, 2.56521738,
				2.43478262, 2.59464657, 2.93478262, 3.27491867, 3.43478262, 3, 3.15986395, 3.5, 3.84013605, 4}, ""},
		// nearest_mode, downsampling [1..8] to 3 with half_pixel: x = 0.83, 3.5, 6.17.
		{"round_prefer_floor", 13, node("Resize", 4, 1, "nearest_mode", "round_prefer_floor"), []*graph.Tensor{seq(8), nil, nil, sz(3)}, []int{3}, []float32{2, 4, 7}, ""},
		{"round_prefer_ceil", 13, node("Resize", 4, 1, "nearest_mode", "round_prefer_ceil"), []*graph.Tensor{seq(8), nil, nil, sz(3)}, []int{3}, []float32{2, 5, 7}, ""},
		{"floor", 13, node("Resize", 4, 1, "nearest_mode", "floor"), []*graph.Tensor{seq(8), nil, nil, sz(3)}, []int{3}, []float32{1, 4, 7}, ""},
		{"ceil", 13, node("Resize", 4, 1, "nearest_mode", "ceil"), []*graph.Tensor{seq(8), nil, nil, sz(3)}, []int{3}, []float32{2, 5, 8}, ""},
		{"ceil asymmetric clamps", 13, node("Resize", 4, 1, "nearest_mode", "ceil", "coordinate_transformation_mode", "asymmetric"),
			[]*graph.Tensor{seq(4), nil, nil, sz(8)}, []int{8}, []float32{1, 2, 2, 3, 3, 4, 4, 4}, ""},
		{"pytorch_half_pixel to one", 13, node("Resize", 4, 1, "mode", "linear", "coordinate_transformation_mode", "pytorch_half_pixel"),
			[]*graph.Tensor{seq(4), nil, nil, sz(1)}, []int{1}, []float32{1}, ""},
		{"asymmetric linear", 13, node("Resize", 3, 1, "mode", "linear", "coordinate_transformation_mode", "asymmetric"),
			[]*graph.Tensor{seq(2), nil, sc(2)}, []int{4}, []float32{1, 1.5, 2, 2}, ""},
		// Opset 18: axes and keep_aspect_ratio_policy.
		{"axes scales", 18, node("Resize", 3, 1, "axes", []int{2, 3}), []*graph.Tensor{x22(), nil, sc(2, 3)}, []int{1, 1, 4, 6},
			[]float32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, ""},
		{"axes negative sizes", 18, node("Resize", 4, 1, "mode", "linear", "axes", []int{-1}), []*graph.Tensor{seq(2, 2), nil, nil, sz(4)}, []int{2, 4},
			[]float32{1, 1.25, 1.75, 2, 3, 3.25, 3.75, 4}, ""},
		{"not_larger", 18, node("Resize", 4, 1, "axes", []int{2, 3}, "keep_aspect_ratio_policy", "not_larger"), []*graph.Tensor{seq(1, 1, 2, 4), nil, nil, sz(3, 3)},
			[]int{1, 1, 2, 3}, []float32{1, 2, 4, 5, 6, 8}, ""},
		{"not_smaller", 18, node("Resize", 4, 1, "axes", []int{2, 3}, "keep_aspect_ratio_policy", "not_smaller"), []*graph.Tensor{seq(1, 1, 2, 4), nil, nil, sz(3, 3)},
			[]int{1, 1, 3, 6}, nil, ""},
		// Legacy forms: Resize-10 and Upsample-7/9 (asymmetric; nearest floors when enlarging, ceils when shrinking).
		{"resize-10 downsample nearest", 10, node("Resize", 2, 1), []*graph.Tensor{seq(1, 1, 2, 4), sc(1, 1, 0.6, 0.6)}, []int{1, 1, 1, 2}, []float32{1, 3}, ""},
		{"upsample-7 nearest", 7, node("Upsample", 1, 1, "scales", []float32{1, 1, 2, 3}), []*graph.Tensor{x22()}, []int{1, 1, 4, 6},
			[]float32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, ""},
		{"upsample-9 linear", 9, node("Upsample", 2, 1, "mode", "linear"), []*graph.Tensor{x22(), sc(1, 1, 2, 2)}, []int{1, 1, 4, 4},
			[]float32{1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4}, ""},
		// Any rank, and integer nearest.
		{"rank 5 trilinear", 13, node("Resize", 3, 1, "mode", "linear", "coordinate_transformation_mode", "align_corners"),
			[]*graph.Tensor{seq(1, 1, 2, 1, 2), nil, sc(1, 1, 1.5, 1, 1.5)}, []int{1, 1, 3, 1, 3}, []float32{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}, ""},
		{"int64 nearest", 13, node("Resize", 3, 1), []*graph.Tensor{in64([]int{2}, 5, 7), nil, sc(2)}, []int{4}, nil, ""},
		// Errors.
		{"scales and sizes", 13, node("Resize", 4, 1), []*graph.Tensor{x22(), nil, sc(1, 1, 2, 2), sz(1, 1, 4, 4)}, nil, nil, "only one may be given"},
		{"no scales", 13, node("Resize", 1, 1), []*graph.Tensor{x22()}, nil, nil, "needs scales or sizes"},
		{"bad mode", 13, node("Resize", 3, 1, "mode", "area"), []*graph.Tensor{x22(), nil, sc(1, 1, 2, 2)}, nil, nil, `mode "area"`},
		{"bad coord", 13, node("Resize", 3, 1, "coordinate_transformation_mode", "center"), []*graph.Tensor{x22(), nil, sc(1, 1, 2, 2)}, nil, nil, `coordinate_transformation_mode "center"`},
		{"bad nearest", 13, node("Resize", 3, 1, "nearest_mode", "nearest"), []*graph.Tensor{x22(), nil, sc(1, 1, 2, 2)}, nil, nil, `nearest_mode "nearest"`},
		{"scale count", 13, node("Resize", 3, 1), []*graph.Tensor{x22(), nil, sc(2, 2)}, nil, nil, "2 scales for 4 axes"},
		{"zero scale", 13, node("Resize", 3, 1), []*graph.Tensor{x22(), nil, sc(1, 1, 0, 2)}, nil, nil, "must be positive"},
		{"roi length", 13, node("Resize", 4, 1, "coordinate_transformation_mode", "tf_crop_and_resize"), []*graph.Tensor{x22(), sc(0, 1), nil, sz(1, 1, 3, 3)}, nil, nil, "roi has 2 values for 4 axes"},
		{"policy", 18, node("Resize", 4, 1, "keep_aspect_ratio_policy", "fit"), []*graph.Tensor{x22(), nil, nil, sz(1, 1, 3, 3)}, nil, nil, `keep_aspect_ratio_policy "fit"`},
		{"int64 linear", 13, node("Resize", 3, 1, "mode", "linear"), []*graph.Tensor{in64([]int{2}, 5, 7), nil, sc(2)}, nil, nil, "nearest resizing only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, err := runOp(t, c.opset, c.n, c.ins...)
			expectOp(t, outs, err, c.err, c.shape, c.want, 1e-5)
		})
	}

	// The cubic example's first row (A = −0.75, half_pixel), from the spec.
	outs, err := runOp(t, 13, node("Resize", 3, 1, "mode", "cubic"), seq(1, 1, 4, 4), nil, sc(1, 1, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.47265625, 0.76953125, 1.24609375, 1.875, 2.28125, 2.91015625, 3.38671875, 3.68359375}; !closeTo(outs[0].F[:8], want, 1e-6) {
		t.Errorf("cubic first row %v, want %v", outs[0].F[:8], want)
	}
	outs, err = runOp(t, 13, node("Resize", 3, 1), in64([]int{2}, 5, 7), nil, sc(2))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{5, 5, 7, 7}; !reflect.DeepEqual(outs[0].I, want) {
		t.Errorf("int64 nearest %v, want %v", outs[0].I, want)
	}
}

// Every mode keeps a constant image constant: the taps' weights sum to 1
// whatever the coordinate mapping, antialiasing or exclude_outside.
func TestResizeWeightsSumToOne(t *testing.T) {
	x := graph.New(graph.Float32, []int{1, 2, 5, 7})
	for i := range x.F {
		x.F[i] = 3
	}
	coords := []string{"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"}
	for _, mode := range []string{"nearest", "linear", "cubic"} {
		for _, coord := range coords {
			for _, aa := range []int{0, 1} {
				for _, ex := range []int{0, 1} {
					for _, scales := range [][]float32{{1, 1, 0.37, 0.6}, {1, 1, 2.5, 1.7}, {1, 1, 0.2, 3}} {
						n := node("Resize", 3, 1, "mode", mode, "coordinate_transformation_mode", coord, "antialias", aa, "exclude_outside", ex, "cubic_coeff_a", -0.5)
						name := fmt.Sprintf("%s/%s/aa%d/ex%d/%v", mode, coord, aa, ex, scales)
						outs, err := runOp(t, 19, n, x, nil, fl([]int{4}, scales...))
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						for i, v := range outs[0].F {
							if d := v - 3; d > 1e-5 || d < -1e-5 {
								t.Fatalf("%s: element %d is %v, not 3", name, i, v)
							}
						}
					}
				}
			}
		}
	}
}
