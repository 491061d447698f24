package webgpu

import (
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// lowerPool reads the window the way Conv does (cpu.ConvGeometry over a
// stand-in weight of the kernel's size gives pads, strides, dilations and
// auto_pad); the output size, which ceil_mode decides, is the one the CPU
// computed.
func (c *lowering) lowerPool(s cpu.Step) ([]call, error) {
	// The compiler resolved the window, strides, pads (auto_pad, ceil_mode)
	// and count_include_pad (cpu.PoolParams); 3-D pools and dilated
	// average pools have none and run on the CPU.
	pp, ok := s.Params.(cpu.PoolParams)
	if !ok {
		if r := len(s.In[0].Shape); r != 3 && r != 4 {
			return nil, unsupported("%d-D pooling", r-2)
		}
		if s.Node.Op == "AveragePool" {
			return nil, unsupported("dilated average pooling")
		}
		return nil, unsupported("no resolved pool")
	}
	total := pp.Planes * pp.OH * pp.OW
	var p params
	p.u(pp.H, pp.W, pp.OH, pp.OW, pp.KH, pp.KW, pp.SH, pp.SW, pp.PT, pp.PL, pp.PB, pp.PR, pp.DH, pp.DW,
		b2i(pp.Max), b2i(pp.CountIncludePad), total, 0, 0, 0)
	return []call{{kernel: "pool", entry: "main", params: p, binds: []bind{{t: s.In[0]}, {t: s.Out[0]}},
		groups: c.groups1D(ceilDiv(total, 64))}}, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

var reduceOps = map[string]int{
	"ReduceSum": 0, "ReduceMean": 1, "ReduceMax": 2, "ReduceMin": 3, "ReduceProd": 4,
	"ReduceL1": 5, "ReduceL2": 6, "ReduceSumSquare": 7, "ReduceLogSumExp": 8, "ReduceLogSum": 9,
}

func (c *lowering) lowerGlobalPool(s cpu.Step) ([]call, error) {
	x := s.In[0]
	red := make([]bool, len(x.Shape))
	for i := 2; i < len(red); i++ {
		red[i] = true
	}
	op := reduceOps["ReduceMean"]
	if s.Node.Op == "GlobalMaxPool" {
		op = reduceOps["ReduceMax"]
	}
	return c.reduceCall(x, s.Out[0], red, op)
}

func (c *lowering) lowerReduce(s cpu.Step) ([]call, error) {
	// The compiler resolved the axes (input or attribute by opset,
	// negative axes, empty axes with noop_with_empty_axes): cpu.ReduceParams.
	rp, ok := s.Params.(cpu.ReduceParams)
	if !ok {
		return nil, unsupported("no resolved reduction")
	}
	return c.reduceCall(s.In[0], s.Out[0], rp.Axes, reduceOps[s.Node.Op])
}

// reduceCall reduces x over the axes marked in red: the kept axes number
// the outputs, the reduced ones the elements of each; adjacent axes of one
// kind merge.
func (c *lowering) reduceCall(x, y *graph.Tensor, red []bool, op int) ([]call, error) {
	st := rowMajor(x.Shape)
	type axis struct {
		d, st int
		red   bool
	}
	var axs []axis
	count := 1
	for i, d := range x.Shape {
		if red[i] {
			count *= d
		}
		if d == 1 {
			continue
		}
		if k := len(axs); k > 0 && axs[k-1].red == red[i] && axs[k-1].st == st[i]*d {
			axs[k-1].d *= d
			axs[k-1].st = st[i]
			continue
		}
		axs = append(axs, axis{d, st[i], red[i]})
	}
	var kd, ks, rd, rs []int
	for _, a := range axs {
		if a.red {
			rd, rs = append(rd, a.d), append(rs, a.st)
		} else {
			kd, ks = append(kd, a.d), append(ks, a.st)
		}
	}
	if len(kd) > 8 || len(rd) > 8 {
		return nil, unsupported("too many axes")
	}
	nout := max(y.Len(), 1)
	var p params
	p.arr8(kd)
	p.arr8(ks)
	p.arr8(rd)
	p.arr8(rs)
	p.u(nout, count, len(kd), len(rd), op)
	p.f(1 / float32(max(count, 1)))
	p.u(0, 0)
	return []call{{kernel: "reduce", entry: "main", params: p, binds: []bind{{t: x}, {t: y}},
		groups: c.groups1D(nout)}}, nil
}

func (c *lowering) lowerGemm(s cpu.Step) ([]call, error) {
	n := s.Node
	a, b, y := s.In[0], s.In[1], s.Out[0]
	ta, tb := int(n.Int("transA", 0)), int(n.Int("transB", 0))
	alpha, beta := n.Float("alpha", 1), n.Float("beta", 1)
	M, N := y.Shape[0], y.Shape[1]
	K := a.Shape[1]
	if ta == 1 {
		K = a.Shape[0]
	}
	var cb bind
	hasC, csm, csn := 0, 0, 0
	if len(s.In) > 2 && s.In[2] != nil && beta != 0 {
		ct := s.In[2]
		cs := ct.Shape
		for len(cs) < 2 {
			cs = append([]int{1}, cs...)
		}
		if len(cs) > 2 {
			return nil, unsupported("C of rank %d", len(cs))
		}
		hasC, cb = 1, bind{t: ct}
		if cs[1] != 1 {
			csn = 1
		}
		if cs[0] != 1 {
			csm = cs[1]
		}
	}
	var p params
	p.u(M, N, K, ta, tb, a.Shape[1], b.Shape[1], hasC, csm, csn)
	p.f(alpha, beta)
	return []call{{kernel: "matmul", entry: "main", params: p,
		binds:  []bind{{t: a}, {t: b}, cb, {data: u32bytes([]uint32{0, 0})}, {t: y}},
		groups: [3]int{ceilDiv(N, 64), ceilDiv(M, 64), 1}}}, nil
}

// lowerMatMul resolves numpy-style batch broadcasting into a table of
// (A offset, B offset) per output batch.
func (c *lowering) lowerMatMul(s cpu.Step) ([]call, error) {
	a, b, y := s.In[0], s.In[1], s.Out[0]
	as, bs := append([]int{}, a.Shape...), append([]int{}, b.Shape...)
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	M, K, N := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	rank := max(len(ab), len(bb))
	batch := make([]int, rank)
	for i := range batch {
		batch[i] = 1
	}
	for _, sh := range [][]int{ab, bb} {
		for i, d := range sh {
			j := rank - len(sh) + i
			if d != 1 {
				batch[j] = d
			}
		}
	}
	ast, bst := bcastStrides(ab, batch), bcastStrides(bb, batch)
	nb := graph.NumElems(batch)
	offs := make([]uint32, 0, 2*nb)
	for i := 0; i < nb; i++ {
		rem, ao, bo := i, 0, 0
		for d := rank - 1; d >= 0; d-- {
			cd := rem % batch[d]
			rem /= batch[d]
			ao += cd * ast[d]
			bo += cd * bst[d]
		}
		offs = append(offs, uint32(ao*M*K), uint32(bo*K*N))
	}
	if nb > c.maxGroups {
		return nil, unsupported("%d batches", nb)
	}
	var p params
	p.u(M, N, K, 0, 0, K, N, 0, 0, 0)
	p.f(1, 0)
	return []call{{kernel: "matmul", entry: "main", params: p,
		binds:  []bind{{t: a}, {t: b}, {}, {data: u32bytes(offs)}, {t: y}},
		groups: [3]int{ceilDiv(N, 64), ceilDiv(M, 64), nb}}}, nil
}

// lowerSoftmax views the input as [outer, dim, inner] per the opset, as the CPU.
func (c *lowering) lowerSoftmax(s cpu.Step) ([]call, error) {
	// The compiler resolved the axis and the opset's 2-D coercion
	// (cpu.SoftmaxParams).
	sp, ok := s.Params.(cpu.SoftmaxParams)
	if !ok {
		return nil, unsupported("no resolved softmax")
	}
	rows := sp.Outer * sp.Inner
	var p params
	p.u(rows, sp.Dim, sp.Inner, b2i(sp.Log))
	return []call{{kernel: "softmax", entry: "main", params: p, binds: []bind{{t: s.In[0]}, {t: s.Out[0]}},
		groups: c.groups1D(rows)}}, nil
}

func (c *lowering) lowerLayerNorm(s cpu.Step) ([]call, error) {
	n := s.Node
	x := s.In[0]
	for _, o := range s.Out[1:] {
		if o != nil {
			return nil, unsupported("mean/inv_std_dev outputs")
		}
	}
	axis := n.Int("axis", -1)
	if axis < 0 {
		axis += int64(len(x.Shape))
	}
	rows, size := graph.NumElems(x.Shape[:axis]), graph.NumElems(x.Shape[axis:])
	full := func(t *graph.Tensor) (int, bool) {
		switch t.Len() {
		case size:
			return 1, true
		case 1:
			return 0, true
		}
		return 0, false
	}
	sf, ok := full(s.In[1])
	if !ok {
		return nil, unsupported("scale %v broadcast over %v", s.In[1].Shape, x.Shape[axis:])
	}
	var bias *graph.Tensor
	hasB, bf := 0, 0
	if len(s.In) > 2 && s.In[2] != nil {
		bias, hasB = s.In[2], 1
		if bf, ok = full(bias); !ok {
			return nil, unsupported("bias %v broadcast over %v", bias.Shape, x.Shape[axis:])
		}
	}
	var p params
	p.u(rows, size)
	p.f(n.Float("epsilon", 1e-5))
	p.u(sf, hasB, bf, 0, 0)
	return []call{{kernel: "layernorm", entry: "main", params: p,
		binds: []bind{{t: x}, {t: s.In[1]}, {t: bias}, {t: s.Out[0]}}, groups: c.groups1D(rows)}}, nil
}
