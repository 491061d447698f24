package webgpu

import (
	"fmt"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// copyCall moves the elements of shape dims from src (base sbase, strides
// sstr) to dst (base dbase, strides dstr): copy.wgsl.
func (c *lowering) copyCall(src, dst *graph.Tensor, dims, sstr []int, sbase int, dstr []int, dbase int) ([]call, error) {
	total := graph.NumElems(dims)
	if total == 0 {
		return nil, nil
	}
	md, st := mergeDims(dims, sstr, dstr)
	if len(md) > 8 {
		return nil, unsupported("more than 8 axes after merging")
	}
	var p params
	p.arr8(md)
	p.arr8(st[0])
	p.arr8(st[1])
	p.u(total, len(md))
	p.i(sbase)
	p.u(dbase)
	return []call{{kernel: "copy", entry: "main", params: p, binds: []bind{{t: src}, {t: dst}},
		groups: c.groups1D(ceilDiv(total, 256))}}, nil
}

// copyAll copies src to dst element for element (Cast to float, Sum of one input).
func (c *lowering) copyAll(src, dst *graph.Tensor) []call {
	cs, _ := c.copyCall(src, dst, []int{src.Len()}, []int{1}, 0, []int{1}, 0)
	return cs
}

func (c *lowering) lowerTranspose(s cpu.Step) ([]call, error) {
	x, y := s.In[0], s.Out[0]
	rank := len(x.Shape)
	perm := s.Node.Ints("perm")
	if perm == nil {
		for i := rank - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	st := rowMajor(x.Shape)
	sstr := make([]int, rank)
	for i, p := range perm {
		sstr[i] = st[p]
	}
	return c.copyCall(x, y, y.Shape, sstr, 0, rowMajor(y.Shape), 0)
}

// lowerSlice recomputes the CPU's start and step per axis (the output shape
// is already known).
func (c *lowering) lowerSlice(s cpu.Step) ([]call, error) {
	// The compiler resolved the bounds, axes and steps (cpu.SliceParams):
	// the same strided copy the CPU kernel makes.
	sp, ok := s.Params.(cpu.SliceParams)
	if !ok {
		return nil, unsupported("no resolved slice")
	}
	y := s.Out[0]
	return c.copyCall(s.In[0], y, y.Shape, sp.Strides, sp.Base, rowMajor(y.Shape), 0)
}

func axisOf(n *graph.Node, rank int) int {
	a := int(n.Int("axis", 0))
	if a < 0 {
		a += rank
	}
	return a
}

// lowerConcat copies each input into its part of the output.
func (c *lowering) lowerConcat(s cpu.Step) ([]call, error) {
	y := s.Out[0]
	axis := axisOf(s.Node, len(y.Shape))
	ost := rowMajor(y.Shape)
	var calls []call
	at := 0
	for _, t := range s.In {
		cs, err := c.copyCall(t, y, t.Shape, rowMajor(t.Shape), 0, ost, at*ost[axis])
		if err != nil {
			return nil, err
		}
		calls = append(calls, cs...)
		at += t.Shape[axis]
	}
	return calls, nil
}

func (c *lowering) lowerSplit(s cpu.Step) ([]call, error) {
	x := s.In[0]
	axis := axisOf(s.Node, len(x.Shape))
	st := rowMajor(x.Shape)
	var calls []call
	at := 0
	for i, t := range s.Out {
		if t == nil {
			if i < len(s.Out)-1 {
				return nil, unsupported("an unnamed output before others")
			}
			continue
		}
		cs, err := c.copyCall(x, t, t.Shape, st, at*st[axis], rowMajor(t.Shape), 0)
		if err != nil {
			return nil, err
		}
		calls = append(calls, cs...)
		at += t.Shape[axis]
	}
	return calls, nil
}

// lowerGather: a scalar index is a strided copy (the ViT's q/k/v split and
// class token); other constant indices go through an index table.
func (c *lowering) lowerGather(s cpu.Step) ([]call, error) {
	x, y := s.In[0], s.Out[0]
	ids, ok := c.constInts(s, 1)
	if !ok {
		return nil, unsupported("indices computed at run time")
	}
	axis := axisOf(s.Node, len(x.Shape))
	dim := x.Shape[axis]
	norm := make([]uint32, len(ids))
	for i, id := range ids {
		if id < 0 {
			id += int64(dim)
		}
		if id < 0 || id >= int64(dim) {
			return nil, unsupported("index %d out of range (the CPU reports it)", ids[i])
		}
		norm[i] = uint32(id)
	}
	st := rowMajor(x.Shape)
	if len(s.In[1].Shape) == 0 {
		sstr := append(append([]int{}, st[:axis]...), st[axis+1:]...)
		return c.copyCall(x, y, y.Shape, sstr, int(norm[0])*st[axis], rowMajor(y.Shape), 0)
	}
	inner := graph.NumElems(x.Shape[axis+1:])
	total := y.Len()
	if total == 0 {
		return nil, nil
	}
	var p params
	p.u(total, len(norm), inner, dim)
	return []call{{kernel: "gather", entry: "main", params: p,
		binds: []bind{{t: x}, {data: u32bytes(norm)}, {t: y}}, groups: c.groups1D(ceilDiv(total, 256))}}, nil
}

func (c *lowering) lowerExpand(s cpu.Step) ([]call, error) {
	x, y := s.In[0], s.Out[0]
	return c.copyCall(x, y, y.Shape, bcastStrides(x.Shape, y.Shape), 0, rowMajor(y.Shape), 0)
}

// lowerTile walks the output as [repeat, x] pairs per axis: the source
// stride is 0 along each repeat axis.
func (c *lowering) lowerTile(s cpu.Step) ([]call, error) {
	x, y := s.In[0], s.Out[0]
	rank := len(x.Shape)
	if 2*rank > 8 {
		return nil, unsupported("rank %d", rank)
	}
	xs, ys := rowMajor(x.Shape), rowMajor(y.Shape)
	var dims, sstr, dstr []int
	for d := 0; d < rank; d++ {
		if x.Shape[d] == 0 {
			return nil, nil
		}
		dims = append(dims, y.Shape[d]/x.Shape[d], x.Shape[d])
		sstr = append(sstr, 0, xs[d])
		dstr = append(dstr, x.Shape[d]*ys[d], ys[d])
	}
	return c.copyCall(x, y, dims, sstr, 0, dstr, 0)
}

// lowerDepthToSpace is the CPU's 6-D transposed view as one strided copy.
func (c *lowering) lowerDepthToSpace(s cpu.Step) ([]call, error) {
	n := s.Node
	x, y := s.In[0], s.Out[0]
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("needs a 4-D input")
	}
	b := int(n.Int("blocksize", 0))
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	var view, perm []int
	if n.Op == "DepthToSpace" {
		if n.String("mode", "DCR") == "CRD" {
			view, perm = []int{N, C / (b * b), b, b, H, W}, []int{0, 1, 4, 2, 5, 3}
		} else {
			view, perm = []int{N, b, b, C / (b * b), H, W}, []int{0, 3, 4, 1, 5, 2}
		}
	} else {
		view, perm = []int{N, C, H / b, b, W / b, b}, []int{0, 3, 5, 1, 2, 4}
	}
	vst := rowMajor(view)
	shape, sstr := make([]int, 6), make([]int, 6)
	for i, p := range perm {
		shape[i], sstr[i] = view[p], vst[p]
	}
	return c.copyCall(x, y, shape, sstr, 0, rowMajor(shape), 0)
}
