package cpu

import (
	"fmt"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepNonZero, "NonZero")
}

// prepNonZero implements NonZero (opset 9, 13) for an input known at
// compile time: the result, int64 [rank, count] with the indices of the
// non-zero elements in row-major order, is computed then. The engine fixes
// every shape at compile time, and NonZero's output shape depends on its
// input's values, so a NonZero of a run-time tensor cannot compile.
func prepNonZero(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.Const == nil {
		return nil, fmt.Errorf("%s: its output shape depends on the values of its input %v, which must be known before run time (dynamic shapes are not supported)", n.Label(), x)
	}
	t := x.Const
	total := graph.NumElems(x.Shape)
	nz := func(i int) bool {
		switch t.DType {
		case graph.Float32:
			return t.F[i] != 0
		case graph.Int64:
			return t.I[i] != 0
		case graph.Bool:
			return t.B[i]
		}
		return false
	}
	if t.DType != graph.Float32 && t.DType != graph.Int64 && t.DType != graph.Bool {
		return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), t.DType)
	}
	count := 0
	for i := 0; i < total; i++ {
		if nz(i) {
			count++
		}
	}
	// A scalar counts as a 1-D tensor of one element, as in numpy.
	shape := x.Shape
	if len(shape) == 0 {
		shape = []int{1}
	}
	rank := len(shape)
	if err := c.checkOut(n, 0, graph.Int64, []int{rank, count}); err != nil {
		return nil, err
	}
	res := graph.New(graph.Int64, []int{rank, count})
	k := 0
	for i := 0; i < total; i++ {
		if !nz(i) {
			continue
		}
		for d, rem := rank-1, i; d >= 0; d-- {
			res.I[d*count+k] = int64(rem % shape[d])
			rem /= shape[d]
		}
		k++
	}
	return &prepared{outs: []Value{{DType: graph.Int64, Shape: []int{rank, count}, Const: res}}}, nil
}
