package cpu

import (
	"math"
	"math/rand"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

// groupNormRef is GroupNormalization written out element by element:
// for every element, the mean and variance of its group are recomputed
// from scratch. perChannel picks opset 21's affine (scale[c]) over opset
// 18's (scale[group]).
func groupNormRef(x *graph.Tensor, groups int, scale, bias []float32, eps float64, perChannel bool) []float32 {
	N, C := x.Shape[0], x.Shape[1]
	S := graph.NumElems(x.Shape[2:])
	cpg := C / groups
	y := make([]float32, len(x.F))
	for b := 0; b < N; b++ {
		for c := 0; c < C; c++ {
			g := c / cpg
			var vals []float64
			for cc := g * cpg; cc < (g+1)*cpg; cc++ {
				for s := 0; s < S; s++ {
					vals = append(vals, float64(x.F[(b*C+cc)*S+s]))
				}
			}
			mean := 0.0
			for _, v := range vals {
				mean += v
			}
			mean /= float64(len(vals))
			vr := 0.0
			for _, v := range vals {
				vr += (v - mean) * (v - mean)
			}
			vr /= float64(len(vals))
			p := g
			if perChannel {
				p = c
			}
			for s := 0; s < S; s++ {
				v := float64(x.F[(b*C+c)*S+s])
				y[(b*C+c)*S+s] = float32(float64(scale[p])*(v-mean)/math.Sqrt(vr+eps) + float64(bias[p]))
			}
		}
	}
	return y
}

func TestGroupNormalization(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	// A worked example: one instance, 4 channels of 1 element, 2 groups.
	// Group 0 = {1, 3}: mean 2, variance 1; group 1 = {2, 6}: mean 4, variance 4.
	x := fl([]int{1, 4, 1}, 1, 3, 2, 6)
	t.Run("worked opset 18", func(t *testing.T) {
		outs, err := runOp(t, 18, node("GroupNormalization", 3, 1, "num_groups", 2, "epsilon", 0.0),
			x, fl([]int{2}, 2, 10), fl([]int{2}, 1, -1))
		if err != nil {
			t.Fatal(err)
		}
		// group 0: (±1)·2+1; group 1: (±1)·10−1.
		checkOut(t, outs[0], []int{1, 4, 1}, []float32{-1, 3, -11, 9})
	})
	t.Run("worked opset 21", func(t *testing.T) {
		outs, err := runOp(t, 21, node("GroupNormalization", 3, 1, "num_groups", 2, "epsilon", 0.0),
			x, fl([]int{4}, 1, 2, 3, 4), fl([]int{4}, 0, 0, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		checkOut(t, outs[0], []int{1, 4, 1}, []float32{-1, 2, -2, 5})
	})
	for _, tc := range []struct {
		name   string
		opset  int64
		shape  []int
		groups int
		eps    float64
	}{
		{"18 spec example", 18, []int{3, 4, 2, 2}, 2, 1e-5},
		{"18 epsilon", 18, []int{3, 4, 2, 2}, 2, 1e-2},
		{"18 one group", 18, []int{2, 6, 3}, 1, 1e-5},
		{"18 instance", 18, []int{2, 6, 3}, 6, 1e-5},
		{"21 spec example", 21, []int{3, 4, 2, 2}, 2, 1e-5},
		{"21 epsilon", 21, []int{3, 4, 2, 2}, 2, 1e-2},
		{"21 rank 3", 21, []int{2, 6, 5}, 3, 1e-5},
		{"21 rank 5", 21, []int{1, 8, 2, 3, 2}, 4, 1e-5},
		{"21 rank 2", 21, []int{3, 6}, 2, 1e-5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := randTensor(r, tc.shape...)
			np := tc.groups
			if tc.opset >= 21 {
				np = tc.shape[1]
			}
			scale, bias := randTensor(r, np), randTensor(r, np)
			n := node("GroupNormalization", 3, 1, "num_groups", tc.groups, "epsilon", tc.eps)
			outs, err := runOp(t, tc.opset, n, x, scale, bias)
			if err != nil {
				t.Fatal(err)
			}
			want := groupNormRef(x, tc.groups, scale.F, bias.F, float64(float32(tc.eps)), tc.opset >= 21)
			if !closeTo(outs[0].F, want, 1e-5) {
				t.Errorf("got %v\nwant %v", outs[0].F, want)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		opset int64
		n     *graph.Node
		ins   []*graph.Tensor
		err   string
	}{
		{"18 per-channel scale", 18, node("GroupNormalization", 3, 1, "num_groups", 2), []*graph.Tensor{fl([]int{1, 4, 1}, 1, 2, 3, 4), fl([]int{4}, 1, 1, 1, 1), fl([]int{4}, 0, 0, 0, 0)},
			"scale has shape [4]; at opset 18 it must be [2], one value per num_groups"},
		{"21 per-group scale", 21, node("GroupNormalization", 3, 1, "num_groups", 2), []*graph.Tensor{fl([]int{1, 4, 1}, 1, 2, 3, 4), fl([]int{2}, 1, 1), fl([]int{2}, 0, 0)},
			"scale has shape [2]; at opset 21 it must be [4], one value per channels"},
		{"groups divide", 21, node("GroupNormalization", 3, 1, "num_groups", 3), []*graph.Tensor{fl([]int{1, 4, 1}, 1, 2, 3, 4), fl([]int{4}, 1, 1, 1, 1), fl([]int{4}, 0, 0, 0, 0)},
			"num_groups 3 does not divide the 4 channels"},
		{"no groups", 21, node("GroupNormalization", 3, 1), []*graph.Tensor{fl([]int{1, 4, 1}, 1, 2, 3, 4), fl([]int{4}, 1, 1, 1, 1), fl([]int{4}, 0, 0, 0, 0)},
			"missing the num_groups attribute"},
		{"stash_type", 21, node("GroupNormalization", 3, 1, "num_groups", 2, "stash_type", 10), []*graph.Tensor{fl([]int{1, 4, 1}, 1, 2, 3, 4), fl([]int{4}, 1, 1, 1, 1), fl([]int{4}, 0, 0, 0, 0)},
			"stash_type 10 is not supported"},
		{"rank 1", 21, node("GroupNormalization", 3, 1, "num_groups", 1), []*graph.Tensor{fl([]int{4}, 1, 2, 3, 4), fl([]int{4}, 1, 1, 1, 1), fl([]int{4}, 0, 0, 0, 0)},
			"needs a batch and a channel dimension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOp(t, tc.opset, tc.n, tc.ins...)
			wantErr(t, err, tc.err)
		})
	}
}
