package cpu

import (
	"fmt"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepCenterCropPad, "CenterCropPad")
}

// axisMap is how one output axis reads its input axis: for every output
// coordinate the input coordinate, or -1 where the output holds the fill
// value. Pad and CenterCropPad are both a gather through such maps.
type axisMap []int

// gatherKernel builds the kernel of an op whose output element at
// (o_0, ..., o_r) is x[idx_0[o_0], ..., idx_r[o_r]], or fill where any
// idx is -1. The fill value is read by fill at run time (it may be a
// constant input); the kernel allocates nothing.
func gatherKernel(dt graph.DType, inShape, out []int, idx []axisMap, fill func(in []*graph.Tensor) (float32, int64, bool)) Kernel {
	ist := strides(inShape)
	return func(in, o []*graph.Tensor, _ []float32) error {
		f, i, b := fill(in)
		switch dt {
		case graph.Float32:
			gatherRows(o[0].F, in[0].F, f, out, ist, idx)
		case graph.Int64:
			gatherRows(o[0].I, in[0].I, i, out, ist, idx)
		case graph.Bool:
			gatherRows(o[0].B, in[0].B, b, out, ist, idx)
		default:
			return fmt.Errorf("%s tensors are not supported", dt)
		}
		return nil
	}
}

// gatherRows does gatherKernel's work one innermost row at a time.
func gatherRows[T any](dst, src []T, fill T, out, ist []int, idx []axisMap) {
	rank := len(out)
	if rank == 0 {
		dst[0] = src[0]
		return
	}
	total := graph.NumElems(out)
	if total == 0 {
		return
	}
	last := rank - 1
	inner, lidx, lst := out[last], idx[last], ist[last]
	for row, at := 0, 0; at < total; row, at = row+1, at+inner {
		line := dst[at : at+inner]
		base, inside := 0, true
		for d, r := last-1, row; d >= 0; d-- {
			j := idx[d][r%out[d]]
			r /= out[d]
			if j < 0 {
				inside = false
				break
			}
			base += j * ist[d]
		}
		if !inside {
			for k := range line {
				line[k] = fill
			}
			continue
		}
		for k, j := range lidx {
			if j < 0 {
				line[k] = fill
			} else {
				line[k] = src[base+j*lst]
			}
		}
	}
}

// prepCenterCropPad implements CenterCropPad (opset 18): each named axis
// is cropped or zero-padded to its new size around its centre (an odd
// difference leaves the extra element at the end).
func prepCenterCropPad(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	st, err := needConst(n, in, 1, "shape")
	if err != nil {
		return nil, err
	}
	if st.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: shape is %s, not int64", n.Label(), st.DType)
	}
	shape := st.AsInts()
	axes, err := uniqueAxes(n, n.Ints("axes"), n.Has("axes"), rank)
	if err != nil {
		return nil, err
	}
	if len(shape) != len(axes) {
		return nil, fmt.Errorf("%s: shape %v has %d values for %d axes of the %v input", n.Label(), shape, len(shape), len(axes), x.Shape)
	}
	out := copyShape(x.Shape)
	for i, a := range axes {
		if shape[i] < 0 {
			return nil, fmt.Errorf("%s: negative size %d for axis %d", n.Label(), shape[i], a)
		}
		if shape[i] > graph.MaxElems {
			return nil, fmt.Errorf("%s: size %d for axis %d is out of range", n.Label(), shape[i], a)
		}
		out[a] = int(shape[i])
	}
	if err := c.checkOut(n, 0, x.DType, out); err != nil {
		return nil, err
	}
	var tables int64
	for a := range out {
		tables += 8 * int64(max(out[a], x.Shape[a]))
	}
	if err := c.checkTables(n, tables); err != nil {
		return nil, err
	}
	idx := make([]axisMap, rank)
	for a := range idx {
		idx[a] = identityMap(x.Shape[a])
	}
	for i, a := range axes {
		sz, dim := int(shape[i]), x.Shape[a]
		out[a] = sz
		m := make(axisMap, sz)
		if sz <= dim { // crop: start at floor((dim-sz)/2)
			start := (dim - sz) / 2
			for k := range m {
				m[k] = start + k
			}
		} else { // pad: the input starts at floor((sz-dim)/2)
			start := (sz - dim) / 2
			for k := range m {
				m[k] = -1
				if j := k - start; j >= 0 && j < dim {
					m[k] = j
				}
			}
		}
		idx[a] = m
	}
	if x.DType != graph.Float32 && x.DType != graph.Int64 && x.DType != graph.Bool {
		return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), x.DType)
	}
	zero := func([]*graph.Tensor) (float32, int64, bool) { return 0, 0, false }
	return one(x.DType, out, gatherKernel(x.DType, x.Shape, out, idx, zero)), nil
}

func identityMap(n int) axisMap {
	m := make(axisMap, n)
	for i := range m {
		m[i] = i
	}
	return m
}

// uniqueAxes normalises an axes list (all axes when absent), refusing
// repeats.
func uniqueAxes(n *graph.Node, axes []int64, given bool, rank int) ([]int, error) {
	if !given {
		all := make([]int, rank)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	seen := make([]bool, rank)
	out := make([]int, 0, len(axes))
	for _, a := range axes {
		ax, err := normAxis(n, a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("%s: axis %d repeats in axes %v", n.Label(), ax, axes)
		}
		seen[ax] = true
		out = append(out, ax)
	}
	return out, nil
}
