package cpu

import (
	"math/rand"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

// Col2Im against the examples of ONNX's backend tests
// (onnx/backend/test/case/node/col2im.py), and as the adjoint of a
// straightforward im2col on random data.
func TestCol2Im(t *testing.T) {
	transpose := func(rows, cols int, v ...float32) []float32 { // v is cols×rows; returns rows×cols
		out := make([]float32, len(v))
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				out[r*cols+c] = v[c*rows+r]
			}
		}
		return out
	}
	var five []float32
	for i := 1; i <= 25; i++ {
		five = append(five, float32(i))
	}
	five[9] = 0 // the spec example has a 0 where 10 would be
	var fifteen []float32
	for i := 1; i <= 75; i++ {
		fifteen = append(fifteen, float32(i))
	}
	var d5 []float32
	for i := 1; i <= 120; i++ {
		d5 = append(d5, float32(i))
	}
	cases := []struct {
		name       string
		n          *graph.Node
		x          *graph.Tensor
		img, block []int64
		shape      []int
		want       []float32
	}{
		{"spec", node("Col2Im", 3, 1), fl([]int{1, 5, 5}, transpose(5, 5, five...)...), []int64{5, 5}, []int64{1, 5},
			[]int{1, 1, 5, 5}, five},
		{"strides", node("Col2Im", 3, 1, "strides", []int{2, 2}), fl([]int{1, 9, 4},
			0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0),
			[]int64{5, 5}, []int64{3, 3}, []int{1, 1, 5, 5}, []float32{
				0, 1, 1, 1, 1,
				1, 0, 1, 0, 0,
				0, 2, 1, 2, 1,
				1, 0, 1, 0, 0,
				0, 1, 0, 1, 0}},
		{"pads", node("Col2Im", 3, 1, "pads", []int{0, 1, 0, 1}), fl([]int{1, 5, 15}, transpose(5, 15, fifteen...)...),
			// col2im.py's expected output ends its first row in 14; by the
			// definition, and by torch.nn.functional.fold of this same input,
			// that pixel is 10 + 14 = 24 (column 1, offset 4 and column 2,
			// offset 3 both land on it).
			[]int64{5, 5}, []int64{1, 5}, []int{1, 1, 5, 5}, []float32{
				8, 21, 24, 27, 24,
				38, 66, 69, 72, 54,
				68, 111, 114, 117, 84,
				98, 156, 159, 162, 114,
				128, 201, 204, 207, 144}},
		{"dilations", node("Col2Im", 3, 1, "dilations", []int{1, 5}), fl([]int{1, 4, 5}, transpose(4, 5,
			1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)...),
			[]int64{6, 6}, []int64{2, 2}, []int{1, 1, 6, 6}, []float32{
				1, 0, 0, 0, 0, 2,
				8, 0, 0, 0, 0, 10,
				16, 0, 0, 0, 0, 18,
				24, 0, 0, 0, 0, 26,
				32, 0, 0, 0, 0, 34,
				19, 0, 0, 0, 0, 20}},
		// Two channels of 3×4×5 from blocks of 1×1×5: the 12 columns of
		// each channel are its 12 rows of 5.
		{"5d", node("Col2Im", 3, 1), fl([]int{1, 10, 12}, append(transpose(5, 12, d5[:60]...), transpose(5, 12, d5[60:]...)...)...),
			[]int64{3, 4, 5}, []int64{1, 1, 5}, []int{1, 2, 3, 4, 5}, d5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			outs, err := runOp(t, 18, tc.n, tc.x, in64([]int{len(tc.img)}, tc.img...), in64([]int{len(tc.block)}, tc.block...))
			if err != nil {
				t.Fatal(err)
			}
			checkOut(t, outs[0], tc.shape, tc.want)
		})
	}

	// <col2im(cols), img> = <cols, im2col(img)> for random cols and img:
	// im2col is written out directly.
	t.Run("adjoint of im2col", func(t *testing.T) {
		r := rand.New(rand.NewSource(5))
		N, C, H, W, kh, kw := 2, 3, 7, 6, 3, 2
		sh, sw, dh, dw, pt, pl, pb, pr := 2, 1, 1, 2, 1, 0, 2, 1
		oh := (H+pt+pb-(dh*(kh-1)+1))/sh + 1
		ow := (W+pl+pr-(dw*(kw-1)+1))/sw + 1
		cols := randTensor(r, N, C*kh*kw, oh*ow)
		img := randTensor(r, N, C, H, W)
		n := node("Col2Im", 3, 1, "strides", []int{sh, sw}, "dilations", []int{dh, dw}, "pads", []int{pt, pl, pb, pr})
		outs, err := runOp(t, 18, n, cols, in64([]int{2}, int64(H), int64(W)), in64([]int{2}, int64(kh), int64(kw)))
		if err != nil {
			t.Fatal(err)
		}
		var lhs, rhs float64
		for i, v := range outs[0].F {
			lhs += float64(v) * float64(img.F[i])
		}
		for b := 0; b < N; b++ {
			for c := 0; c < C; c++ {
				for i := 0; i < kh; i++ {
					for j := 0; j < kw; j++ {
						row := (c*kh+i)*kw + j
						for y := 0; y < oh; y++ {
							for x := 0; x < ow; x++ {
								iy, ix := y*sh-pt+i*dh, x*sw-pl+j*dw
								if iy < 0 || iy >= H || ix < 0 || ix >= W {
									continue
								}
								col := cols.F[(b*C*kh*kw+row)*oh*ow+y*ow+x]
								rhs += float64(col) * float64(img.F[((b*C+c)*H+iy)*W+ix])
							}
						}
					}
				}
			}
		}
		if d := lhs - rhs; d > 1e-3 || d < -1e-3 {
			t.Errorf("<col2im(cols), img> = %g, <cols, im2col(img)> = %g", lhs, rhs)
		}
	})

	errs := []struct {
		name       string
		n          *graph.Node
		x          *graph.Tensor
		img, block []int64
		err        string
	}{
		{"channels", node("Col2Im", 3, 1), graph.New(graph.Float32, []int{1, 7, 5}), []int64{5, 5}, []int64{1, 5}, "not a multiple of ∏block_shape = 5"},
		{"blocks", node("Col2Im", 3, 1), graph.New(graph.Float32, []int{1, 5, 4}), []int64{5, 5}, []int64{1, 5}, "input dimension 2 is 4"},
		{"too big", node("Col2Im", 3, 1), graph.New(graph.Float32, []int{1, 5, 4}), []int64{5, 5}, []int64{1, 6}, "does not fit image"},
		{"lengths", node("Col2Im", 3, 1), graph.New(graph.Float32, []int{1, 5, 5}), []int64{5, 5}, []int64{5}, "must have the same, non-zero length"},
		{"pads", node("Col2Im", 3, 1, "pads", []int{1, 1}), graph.New(graph.Float32, []int{1, 5, 5}), []int64{5, 5}, []int64{1, 5}, "pads [1 1] must have 4 values"},
		{"rank", node("Col2Im", 3, 1), graph.New(graph.Float32, []int{5, 5}), []int64{5, 5}, []int64{1, 5}, "input must be a 3-D float tensor"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOp(t, 18, tc.n, tc.x, in64([]int{len(tc.img)}, tc.img...), in64([]int{len(tc.block)}, tc.block...))
			wantErr(t, err, tc.err)
		})
	}
}

// NonZero of a compile-time constant is folded, in row-major order; of a
// run-time tensor it cannot compile, and says why.
func TestNonZero(t *testing.T) {
	cases := []struct {
		name  string
		x     *graph.Tensor
		shape []int
		want  []int64
	}{
		{"spec bool", &graph.Tensor{DType: graph.Bool, Shape: []int{2, 2}, B: []bool{true, false, true, true}}, []int{2, 3}, []int64{0, 1, 1, 0, 0, 1}},
		{"float", fl([]int{3, 3}, 1, 0, 0, 0, 5, 0, 6, 6, 0), []int{2, 4}, []int64{0, 1, 2, 2, 0, 1, 0, 1}},
		{"int64 1-D", in64([]int{4}, 0, 3, 0, -1), []int{1, 2}, []int64{1, 3}},
		{"none", fl([]int{2, 2}, 0, 0, 0, 0), []int{2, 0}, []int64{}},
		{"scalar", fl([]int{}, 7), []int{1, 1}, []int64{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			outs, err := runOp(t, 13, node("NonZero", 1, 1), tc.x)
			if err != nil {
				t.Fatal(err)
			}
			checkOut(t, outs[0], tc.shape, tc.want)
		})
	}
	t.Run("run time", func(t *testing.T) {
		n := node("NonZero", 1, 1)
		_, err := prepNonZero(&ctx{opset: 13}, n, []*Value{{DType: graph.Float32, Shape: []int{2, 2}}})
		wantErr(t, err, `node "nonzero" (NonZero): its output shape depends on the values of its input`)
	})
}
