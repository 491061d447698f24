package cpu

import (
	"math/rand"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
)

func TestEinsum(t *testing.T) {
	m23 := func() *graph.Tensor { return fl([]int{2, 3}, 1, 2, 3, 4, 5, 6) }
	m32 := func() *graph.Tensor { return fl([]int{3, 2}, 1, 2, 3, 4, 5, 6) }
	sq := func() *graph.Tensor { return fl([]int{2, 2}, 1, 2, 3, 4) }
	cases := []struct {
		eq    string
		ins   []*graph.Tensor
		shape []int
		want  any
		err   string
	}{
		{"ij->ji", []*graph.Tensor{m23()}, []int{3, 2}, []float32{1, 4, 2, 5, 3, 6}, ""},
		{"ji", []*graph.Tensor{m23()}, []int{3, 2}, []float32{1, 4, 2, 5, 3, 6}, ""}, // implicit: sorted labels "ij"
		{"ij", []*graph.Tensor{m23()}, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}, ""},
		{"ij->i", []*graph.Tensor{m23()}, []int{2}, []float32{6, 15}, ""},
		{"ij->", []*graph.Tensor{m23()}, []int{}, []float32{21}, ""},
		{"i,i->", []*graph.Tensor{fl([]int{3}, 1, 2, 3), fl([]int{3}, 4, 5, 6)}, []int{}, []float32{32}, ""},
		{"i,i", []*graph.Tensor{fl([]int{3}, 1, 2, 3), fl([]int{3}, 4, 5, 6)}, []int{}, []float32{32}, ""},
		{"ii->i", []*graph.Tensor{sq()}, []int{2}, []float32{1, 4}, ""},
		{"ii", []*graph.Tensor{sq()}, []int{}, []float32{5}, ""}, // trace
		{"i,j->ij", []*graph.Tensor{fl([]int{2}, 1, 2), fl([]int{3}, 1, 10, 100)}, []int{2, 3}, []float32{1, 10, 100, 2, 20, 200}, ""},
		{"i,j", []*graph.Tensor{fl([]int{2}, 1, 2), fl([]int{3}, 1, 10, 100)}, []int{2, 3}, []float32{1, 10, 100, 2, 20, 200}, ""},
		{"ij,jk->ik", []*graph.Tensor{m23(), m32()}, []int{2, 2}, []float32{22, 28, 49, 64}, ""},
		{"ij,jk", []*graph.Tensor{m23(), m32()}, []int{2, 2}, []float32{22, 28, 49, 64}, ""},
		{"ij,kj->ik", []*graph.Tensor{m23(), m23()}, []int{2, 2}, []float32{14, 32, 32, 77}, ""},
		{"ij,jk->ki", []*graph.Tensor{m23(), m32()}, []int{2, 2}, []float32{22, 49, 28, 64}, ""},
		{"ji,jk->ik", []*graph.Tensor{m32(), m32()}, []int{2, 2}, []float32{35, 44, 44, 56}, ""},
		{"bij,bjk->bik", []*graph.Tensor{fl([]int{2, 1, 2}, 1, 2, 3, 4), fl([]int{2, 2, 1}, 5, 6, 7, 8)}, []int{2, 1, 1}, []float32{17, 53}, ""},
		{"...ij,...jk->...ik", []*graph.Tensor{fl([]int{2, 1, 2}, 1, 2, 3, 4), fl([]int{2, 1}, 5, 6)}, []int{2, 1, 1}, []float32{17, 39}, ""},
		{"...ij,...jk", []*graph.Tensor{fl([]int{1, 1, 2}, 1, 2), fl([]int{2, 2, 1}, 5, 6, 7, 8)}, []int{2, 1, 1}, []float32{17, 23}, ""},
		{"...ii->...i", []*graph.Tensor{fl([]int{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)}, []int{2, 2}, []float32{1, 4, 5, 8}, ""},
		{"...i->...", []*graph.Tensor{m23()}, []int{2}, []float32{6, 15}, ""},
		{"...ij->", []*graph.Tensor{m23()}, []int{}, []float32{21}, ""},
		{"i...->...", []*graph.Tensor{m23()}, []int{3}, []float32{5, 7, 9}, ""},
		{"bhid,bhjd->bhij", []*graph.Tensor{fl([]int{1, 2, 1, 2}, 1, 2, 3, 4), fl([]int{1, 2, 2, 2}, 1, 0, 0, 1, 1, 1, 2, 0)}, []int{1, 2, 1, 2},
			[]float32{1, 2, 7, 6}, ""},
		{"bhij,bhjd->bhid", []*graph.Tensor{fl([]int{1, 1, 1, 2}, 0.25, 0.75), fl([]int{1, 1, 2, 3}, 4, 8, 0, 0, 4, 8)}, []int{1, 1, 1, 3},
			[]float32{1, 5, 6}, ""},
		{"i j , j -> i", []*graph.Tensor{m23(), fl([]int{3}, 1, 1, 1)}, []int{2}, []float32{6, 15}, ""},
		{"ij,jk->ik", []*graph.Tensor{in64([]int{1, 2}, 2, 3), in64([]int{2, 1}, 4, 5)}, []int{1, 1}, []int64{23}, ""},
		{"iJ,J->i", []*graph.Tensor{m23(), fl([]int{3}, 1, 0, 1)}, []int{2}, []float32{4, 10}, ""},
		{"ij,j->i", []*graph.Tensor{m23()}, nil, nil, "2 operands for 1 inputs"},
		{"ij,jk->ik", []*graph.Tensor{m23(), m23()}, nil, nil, "spans sizes 3 and 2"},
		{"ij->k", []*graph.Tensor{m23()}, nil, nil, "output label 'k' is in no operand"},
		{"ij->ii", []*graph.Tensor{m23()}, nil, nil, "output label 'i' repeats"},
		{"ijk->i", []*graph.Tensor{m23()}, nil, nil, "needs rank 3"},
		{"i1->i", []*graph.Tensor{m23()}, nil, nil, "unexpected '1'"},
		{"i..j->i", []*graph.Tensor{m23()}, nil, nil, "misplaced '.'"},
	}
	for _, c := range cases {
		t.Run(c.eq, func(t *testing.T) {
			outs, err := runOp(t, 12, node("Einsum", len(c.ins), 1, "equation", c.eq), c.ins...)
			expectOp(t, outs, err, c.err, c.shape, c.want, 1e-6)
		})
	}
}

// The GEMM path agrees with the general loop on the patterns vision
// transformers use, in place and through copies, and is taken for them.
func TestEinsumGemmPath(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, c := range []struct {
		eq     string
		shapes [][]int
	}{
		{"bhid,bhjd->bhij", [][]int{{2, 3, 5, 4}, {2, 3, 6, 4}}},
		{"bhij,bhjd->bhid", [][]int{{2, 3, 5, 6}, {2, 3, 6, 4}}},
		{"bij,bjk->bik", [][]int{{3, 4, 5}, {3, 5, 2}}},
		{"...ij,...jk->...ik", [][]int{{2, 2, 4, 5}, {2, 2, 5, 3}}},
		{"bhqd,bkhd->bhqk", [][]int{{1, 2, 3, 4}, {1, 5, 2, 4}}}, // B copied
		{"bqhd,bkhd->bqhk", [][]int{{1, 3, 2, 4}, {1, 5, 2, 4}}}, // both copied, output permuted
		{"ij,jk->ki", [][]int{{3, 4}, {4, 5}}},
		{"ji,jk->ik", [][]int{{4, 3}, {4, 5}}},
		{"i,i->", [][]int{{7}, {7}}},
		{"i,j->ij", [][]int{{3}, {4}}},
		{"bn,nd->bd", [][]int{{2, 6}, {6, 3}}},
	} {
		ins := make([]*graph.Tensor, len(c.shapes))
		vals := make([]*Value, len(c.shapes))
		for j, s := range c.shapes {
			ins[j] = randTensor(r, s...)
			vals[j] = &Value{DType: graph.Float32, Shape: s, Const: ins[j]}
		}
		n := node("Einsum", 2, 1, "equation", c.eq)
		outs, err := runOp(t, 12, n, ins...)
		if err != nil {
			t.Fatalf("%s: %v", c.eq, err)
		}
		p, err := parseEinsum(c.eq, c.shapes)
		if err != nil {
			t.Fatal(err)
		}
		if einsumGemm(p, outs[0].Shape) == nil {
			t.Errorf("%s does not take the GEMM path", c.eq)
		}
		ref := graph.New(graph.Float32, outs[0].Shape)
		if err := einsumLoop(p, graph.Float32, 2)(ins, []*graph.Tensor{ref}, nil); err != nil {
			t.Fatal(err)
		}
		if !closeTo(outs[0].F, ref.F, 1e-5) {
			t.Errorf("%s: GEMM and loop differ by %g", c.eq, graph.MaxAbsDiff(outs[0].F, ref.F))
		}
	}
	// Diagonals, broadcasting and sums within one operand stay on the loop.
	for _, c := range []struct {
		eq     string
		shapes [][]int
	}{
		{"ii,ij->ij", [][]int{{3, 3}, {3, 2}}},
		{"...ij,...jk->...ik", [][]int{{1, 2, 3}, {4, 3, 2}}},
		{"ij,jk->k", [][]int{{2, 3}, {3, 4}}},
	} {
		p, err := parseEinsum(c.eq, c.shapes)
		if err != nil {
			t.Fatal(err)
		}
		if einsumGemm(p, nil) != nil {
			t.Errorf("%s takes the GEMM path", c.eq)
		}
	}
}
