package cpu

import (
	"fmt"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepScatterND, "ScatterND")
	register(prepScatterElements, "ScatterElements", "Scatter")
	register(prepGatherND, "GatherND")
}

// scatterReduce is how an update combines with the value it lands on.
type scatterReduce uint8

const (
	reduceNone scatterReduce = iota
	reduceAdd
	reduceMul
	reduceMax
	reduceMin
)

// scatterReduction reads the reduction attribute of ScatterND and
// ScatterElements (opset 16: none, add, mul; opset 18: max, min too).
func scatterReduction(n *graph.Node, dt graph.DType) (scatterReduce, error) {
	r := n.String("reduction", "none")
	var k scatterReduce
	switch r {
	case "none":
		return reduceNone, nil
	case "add":
		k = reduceAdd
	case "mul":
		k = reduceMul
	case "max":
		k = reduceMax
	case "min":
		k = reduceMin
	default:
		return 0, fmt.Errorf("%s: unknown reduction %q", n.Label(), r)
	}
	if dt == graph.Bool {
		return 0, fmt.Errorf("%s: reduction %q on bool data is not supported", n.Label(), r)
	}
	return k, nil
}

// scatterOne applies update element s of src to element d of dst.
func scatterOne(red scatterReduce, dst *graph.Tensor, d int, src *graph.Tensor, s int) {
	switch dst.DType {
	case graph.Float32:
		reduceInto(red, &dst.F[d], src.F[s])
	case graph.Int64:
		reduceInto(red, &dst.I[d], src.I[s])
	case graph.Bool:
		dst.B[d] = src.B[s]
	}
}

func reduceInto[T float32 | int64](red scatterReduce, x *T, u T) {
	switch red {
	case reduceNone:
		*x = u
	case reduceAdd:
		*x += u
	case reduceMul:
		*x *= u
	case reduceMax:
		*x = max(*x, u)
	case reduceMin:
		*x = min(*x, u)
	}
}

// scatterRange applies n consecutive updates from src at s to dst at d.
func scatterRange(red scatterReduce, dst *graph.Tensor, d int, src *graph.Tensor, s, n int) {
	if red == reduceNone {
		copyRange(dst, d, src, s, n)
		return
	}
	for i := 0; i < n; i++ {
		scatterOne(red, dst, d+i, src, s+i)
	}
}

// scatterInputs checks the data, indices and updates of a scatter.
func scatterInputs(n *graph.Node, in []*Value) (x, idx, upd *Value, err error) {
	if err := need(n, in, 3); err != nil {
		return nil, nil, nil, err
	}
	x, idx, upd = in[0], in[1], in[2]
	if idx.DType != graph.Int64 {
		return nil, nil, nil, fmt.Errorf("%s: indices must be integers, got %s", n.Label(), idx.DType)
	}
	if upd.DType != x.DType {
		return nil, nil, nil, fmt.Errorf("%s: updates are %s for %s data", n.Label(), upd.DType, x.DType)
	}
	return x, idx, upd, nil
}

// prepScatterND writes slices of updates into a copy of data at the
// positions that the last axis of indices names.
func prepScatterND(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	x, idx, upd, err := scatterInputs(n, in)
	if err != nil {
		return nil, err
	}
	r, q := len(x.Shape), len(idx.Shape)
	if q < 1 {
		return nil, fmt.Errorf("%s: indices must have rank >= 1, got %v", n.Label(), idx.Shape)
	}
	k := idx.Shape[q-1]
	if k < 1 || k > r {
		return nil, fmt.Errorf("%s: the last dimension of indices %v must be 1 to the data's rank %d", n.Label(), idx.Shape, r)
	}
	want := append(copyShape(idx.Shape[:q-1]), x.Shape[k:]...)
	if !sameShape(upd.Shape, want) {
		return nil, fmt.Errorf("%s: updates have shape %v, indices %v and data %v need %v", n.Label(), upd.Shape, idx.Shape, x.Shape, want)
	}
	red, err := scatterReduction(n, x.DType)
	if err != nil {
		return nil, err
	}
	xst := strides(x.Shape)
	slice := graph.NumElems(x.Shape[k:])
	count := graph.NumElems(idx.Shape[:q-1])
	dims := copyShape(x.Shape[:k])
	total := graph.NumElems(x.Shape)
	return one(x.DType, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		copyRange(o[0], 0, in[0], 0, total)
		ids := in[1].I
		for i := 0; i < count; i++ {
			off := 0
			for j, d := range dims {
				id := ids[i*k+j]
				if id < 0 {
					id += int64(d)
				}
				if id < 0 || id >= int64(d) {
					return fmt.Errorf("index %d out of range for dimension %d of size %d", ids[i*k+j], j, d)
				}
				off += int(id) * xst[j]
			}
			scatterRange(red, o[0], off, in[2], i*slice, slice)
		}
		return nil
	}), nil
}

// prepScatterElements writes each element of updates into a copy of data
// at its own position with the axis coordinate taken from indices. Scatter
// (opset 9-10) is the same op without reductions.
func prepScatterElements(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	x, idx, upd, err := scatterInputs(n, in)
	if err != nil {
		return nil, err
	}
	rank := len(x.Shape)
	if len(idx.Shape) != rank || !sameShape(idx.Shape, upd.Shape) {
		return nil, fmt.Errorf("%s: indices %v and updates %v must have one shape, of the data's rank %d", n.Label(), idx.Shape, upd.Shape, rank)
	}
	if rank > 16 {
		return nil, fmt.Errorf("%s: rank %d is more than 16", n.Label(), rank)
	}
	axis, err := normAxis(n, n.Int("axis", 0), rank)
	if err != nil {
		return nil, err
	}
	for i := range idx.Shape {
		if i != axis && idx.Shape[i] > x.Shape[i] {
			return nil, fmt.Errorf("%s: indices %v exceed data %v along axis %d", n.Label(), idx.Shape, x.Shape, i)
		}
	}
	red := reduceNone
	if n.Op == "ScatterElements" {
		if red, err = scatterReduction(n, x.DType); err != nil {
			return nil, err
		}
	}
	xst := strides(x.Shape)
	shape := copyShape(idx.Shape)
	dim := x.Shape[axis]
	total := graph.NumElems(x.Shape)
	return one(x.DType, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		copyRange(o[0], 0, in[0], 0, total)
		var cnt [16]int
		base := 0 // offset in data of the current position, axis coordinate 0
		for i, id := range in[1].I {
			if id < 0 {
				id += int64(dim)
			}
			if id < 0 || id >= int64(dim) {
				return fmt.Errorf("index %d out of range for axis %d of size %d", in[1].I[i], axis, dim)
			}
			scatterOne(red, o[0], base+int(id)*xst[axis], in[2], i)
			for d := rank - 1; d >= 0; d-- {
				cnt[d]++
				if d != axis {
					base += xst[d]
				}
				if cnt[d] < shape[d] {
					break
				}
				if d != axis {
					base -= xst[d] * cnt[d]
				}
				cnt[d] = 0
			}
		}
		return nil
	}), nil
}

// prepGatherND gathers slices of data at the positions that the last axis of
// indices names, the first batch_dims axes of both walked together.
func prepGatherND(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, idx := in[0], in[1]
	if idx.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: indices must be integers, got %s", n.Label(), idx.DType)
	}
	r, q := len(x.Shape), len(idx.Shape)
	b := int(n.Int("batch_dims", 0))
	if q < 1 || r < 1 {
		return nil, fmt.Errorf("%s: data %v and indices %v need rank >= 1", n.Label(), x.Shape, idx.Shape)
	}
	if b < 0 || b >= min(q, r) {
		return nil, fmt.Errorf("%s: batch_dims %d must be below the ranks of data %v and indices %v", n.Label(), b, x.Shape, idx.Shape)
	}
	for i := 0; i < b; i++ {
		if x.Shape[i] != idx.Shape[i] {
			return nil, fmt.Errorf("%s: batch dimension %d differs between data %v and indices %v", n.Label(), i, x.Shape, idx.Shape)
		}
	}
	k := idx.Shape[q-1]
	if k < 1 || b+k > r {
		return nil, fmt.Errorf("%s: the last dimension of indices %v must be 1 to %d (data rank %d less batch_dims %d)", n.Label(), idx.Shape, r-b, r, b)
	}
	out := append(copyShape(idx.Shape[:q-1]), x.Shape[b+k:]...)
	xst := strides(x.Shape)
	slice := graph.NumElems(x.Shape[b+k:])
	count := graph.NumElems(idx.Shape[:q-1])
	perBatch := graph.NumElems(idx.Shape[b : q-1]) // index tuples per batch
	batchSize := graph.NumElems(x.Shape[b:])       // data elements per batch
	dims := copyShape(x.Shape[b : b+k])
	return one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		ids := in[1].I
		for i := 0; i < count; i++ {
			off := 0
			if perBatch > 0 {
				off = i / perBatch * batchSize
			}
			for j, d := range dims {
				id := ids[i*k+j]
				if id < 0 {
					id += int64(d)
				}
				if id < 0 || id >= int64(d) {
					return fmt.Errorf("index %d out of range for dimension %d of size %d", ids[i*k+j], b+j, d)
				}
				off += int(id) * xst[b+j]
			}
			copyRange(o[0], i*slice, in[0], off, slice)
		}
		return nil
	}), nil
}
