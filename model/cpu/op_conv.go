package cpu

import (
	"fmt"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepConv, "Conv", "FusedConv")
}

// window is the geometry of a sliding window over up to two spatial axes.
type window struct {
	k, s, d, padBegin, padEnd, in, out [2]int
}

// windowGeom reads strides/dilations/pads/auto_pad for a 1-D or 2-D window
// over spatial dims in, with kernel size k (from weights or attrs), as
// windowGeomN does, laying a 1-D window out as H=1 so kernels see only 2-D.
func windowGeom(n *graph.Node, in, k []int, ceil bool) (window, error) {
	var w window
	sp := len(in)
	if sp < 1 || sp > 2 {
		return w, fmt.Errorf("%s: only 1-D and 2-D windows are supported, got %d spatial dims", n.Label(), sp)
	}
	g, err := windowGeomN(n, in, k, ceil)
	if err != nil {
		return w, err
	}
	off := 2 - sp
	for i := 0; i < 2; i++ {
		w.k[i], w.s[i], w.d[i], w.in[i], w.out[i] = 1, 1, 1, 1, 1
	}
	for i := 0; i < sp; i++ {
		j := i + off
		w.k[j], w.s[j], w.d[j], w.in[j], w.out[j] = g.k[i], g.s[i], g.d[i], g.in[i], g.out[i]
		w.padBegin[j], w.padEnd[j] = g.pb[i], g.pe[i]
	}
	return w, nil
}

// ConvGeometry gives a Conv or FusedConv node's parameters and fused
// activation for input shape x and weight shape w, exactly as the CPU
// backend computes them (1-D convs appear as H=1).
func ConvGeometry(n *graph.Node, x, w []int) (kern.ConvParams, kern.Act, error) {
	in := []*Value{{DType: graph.Float32, Shape: x}, {DType: graph.Float32, Shape: w, Const: graph.New(graph.Float32, w)}}
	p, err := convParams(n, in)
	if err != nil {
		return p, kern.Act{}, err
	}
	act, err := fusedAct(n)
	return p, act, err
}

func convParams(n *graph.Node, in []*Value) (kern.ConvParams, error) {
	x, w := in[0], in[1]
	rank := len(x.Shape)
	if rank != 3 && rank != 4 {
		return kern.ConvParams{}, fmt.Errorf("%s: input %v: only 1-D and 2-D convolutions are supported", n.Label(), x.Shape)
	}
	if len(w.Shape) != rank {
		return kern.ConvParams{}, fmt.Errorf("%s: weights %v do not match input %v", n.Label(), w.Shape, x.Shape)
	}
	group := int(n.Int("group", 1))
	N, C, M, Cg := x.Shape[0], x.Shape[1], w.Shape[0], w.Shape[1]
	if group < 1 || group > max(C, 1) || C != Cg*group || M%group != 0 { // bounded first: Cg·group must not wrap
		return kern.ConvParams{}, fmt.Errorf("%s: input channels %d, weights %v and group %d disagree", n.Label(), C, w.Shape, group)
	}
	geo, err := windowGeom(n, x.Shape[2:], w.Shape[2:], false)
	if err != nil {
		return kern.ConvParams{}, err
	}
	return kern.ConvParams{
		N: N, C: C, H: geo.in[0], W: geo.in[1], M: M, OH: geo.out[0], OW: geo.out[1],
		KH: geo.k[0], KW: geo.k[1], SH: geo.s[0], SW: geo.s[1],
		PT: geo.padBegin[0], PL: geo.padBegin[1], PB: geo.padEnd[0], PR: geo.padEnd[1],
		DH: geo.d[0], DW: geo.d[1], Group: group,
	}, nil
}

func prepConv(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	if r := len(x.Shape); r != 3 && r != 4 {
		return prepConvN(c, n, in) // 3-D and higher: a direct convolution
	}
	if ks := n.Ints("kernel_shape"); ks != nil {
		for i, k := range ks {
			if i+2 >= len(w.Shape) || int(k) != w.Shape[i+2] {
				return nil, fmt.Errorf("%s: kernel_shape %v disagrees with weights %v", n.Label(), ks, w.Shape)
			}
		}
	}
	p, err := convParams(n, in)
	if err != nil {
		return nil, err
	}
	out := []int{p.N, p.M, p.OH, p.OW}
	if len(x.Shape) == 3 {
		out = []int{p.N, p.M, p.OW}
	}
	if len(in) > 2 && in[2] != nil && graph.NumElems(in[2].Shape) != p.M {
		return nil, fmt.Errorf("%s: bias %v does not have %d values", n.Label(), in[2].Shape, p.M)
	}
	if err := c.checkOut(n, 0, graph.Float32, out); err != nil {
		return nil, err
	}
	flops := 2 * float64(graph.NumElems(out)) * float64(graph.NumElems(w.Shape[1:]))
	if c.shapesOnly && (w.Const == nil || x.Const == nil) {
		pr := one(graph.Float32, out, nil)
		pr.flops = flops
		return pr, nil
	}
	wt, err := needConst(n, in, 1, "weights")
	if err != nil {
		return nil, err
	}
	act, err := fusedAct(n)
	if err != nil {
		return nil, err
	}
	packed := kern.PackConv(p, wt.F)
	pr := one(graph.Float32, out, func(in, out []*graph.Tensor, scratch []float32) error {
		var bias, res []float32
		if len(in) > 2 && in[2] != nil {
			bias = in[2].F
		}
		if len(in) > 3 && in[3] != nil {
			res = in[3].F
		}
		kern.Conv(p, packed, in[0].F, bias, res, act, out[0].F, scratch)
		return nil
	})
	pr.scratch = kern.ScratchSize(p)
	pr.flops = flops
	pr.held = tensorBytes(graph.Float32, w.Shape) // the packed copy of the weights
	return pr, nil
}

// fusedAct reads the epilogue activation that fuseConv wrote.
func fusedAct(n *graph.Node) (kern.Act, error) {
	name := n.String("activation", "")
	params := n.Floats("activation_params")
	var a, b float32
	if len(params) > 0 {
		a = params[0]
	}
	if len(params) > 1 {
		b = params[1]
	}
	switch name {
	case "":
		return kern.Act{}, nil
	case "Relu":
		return kern.Act{Kind: kern.ActRelu}, nil
	case "Clip":
		return kern.Act{Kind: kern.ActClip, A: a, B: b}, nil
	case "HardSigmoid":
		return kern.Act{Kind: kern.ActHardSigmoid, A: a, B: b}, nil
	case "HardSwish":
		return kern.Act{Kind: kern.ActHardSwish}, nil
	case "Sigmoid":
		return kern.Act{Kind: kern.ActSigmoid}, nil
	case "SiLU":
		return kern.Act{Kind: kern.ActSiLU}, nil
	case "LeakyRelu":
		return kern.Act{Kind: kern.ActLeakyRelu, A: a}, nil
	}
	return kern.Act{}, fmt.Errorf("%s: unknown fused activation %q", n.Label(), name)
}
