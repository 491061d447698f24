package webgpu

import (
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// lowerConv picks the depthwise kernel for one input channel per group
// (Cg = 1, window up to 7×7) and the implicit GEMM otherwise, with vec4
// loads of X for 1×1/stride-1/unpadded convs whose H·W is a multiple of 4.
// The weights are packed here, once, for the kernel that reads them.
func (c *lowering) lowerConv(s cpu.Step) ([]call, error) {
	n := s.Node
	x, w := s.In[0], s.In[1]
	if !c.p.IsConst(w) {
		return nil, unsupported("weights computed at run time")
	}
	if r := len(x.Shape); r != 3 && r != 4 {
		return nil, unsupported("%d-D convolution", r-2)
	}
	cp, act, err := cpu.ConvGeometry(n, x.Shape, w.Shape)
	if err != nil {
		return nil, err
	}
	var bias, res *graph.Tensor
	if len(s.In) > 2 {
		bias = s.In[2]
	}
	if len(s.In) > 3 {
		res = s.In[3]
	}
	b := func(t *graph.Tensor) int {
		if t != nil {
			return 1
		}
		return 0
	}
	G := cp.Group
	Cg, Mg := cp.C/G, cp.M/G
	y := s.Out[0]
	if Cg == 1 && cp.KH*cp.KW <= 49 {
		OWq := ceilDiv(cp.OW, 4)
		total := cp.N * cp.M * cp.OH * OWq
		var p params
		p.u(cp.N, cp.C, cp.H, cp.W, cp.M, cp.OH, cp.OW, cp.KH, cp.KW, cp.SH, cp.SW, cp.PT,
			cp.PL, cp.DH, cp.DW, Mg, OWq, total, int(act.Kind))
		p.f(act.A, act.B)
		p.u(b(bias), b(res), 0)
		return []call{{kernel: "depthwise", entry: "main", params: p,
			binds:  []bind{{t: x}, {t: w}, {t: bias}, {t: res}, {t: y}},
			groups: c.groups1D(ceilDiv(total, 64))}}, nil
	}

	K := Cg * cp.KH * cp.KW
	Kp, Mg4 := ceilDiv(K, 16)*16, ceilDiv(Mg, 4)*4
	wp := make([]float32, G*Kp*Mg4)
	for g := 0; g < G; g++ {
		for m := 0; m < Mg; m++ {
			row := w.F[(g*Mg+m)*K : (g*Mg+m+1)*K]
			for k, v := range row {
				wp[(g*Kp+k)*Mg4+m] = v
			}
		}
	}
	P := cp.N * cp.OH * cp.OW
	var p params
	p.u(cp.N, cp.C, cp.H, cp.W, cp.M, cp.OH, cp.OW, cp.KH, cp.KW, cp.SH, cp.SW, cp.PT,
		cp.PL, cp.DH, cp.DW, G, Cg, Mg, K, Kp, Mg4, int(act.Kind))
	p.f(act.A, act.B)
	p.u(b(bias), b(res), P, 0)
	cl := call{kernel: "conv", entry: "main", params: p,
		binds:  []bind{{t: x}, {data: f32bytes(wp)}, {t: bias}, {t: res}, {t: y}},
		groups: [3]int{ceilDiv(P, 64), ceilDiv(Mg, 64), G}}
	if cp.KH == 1 && cp.KW == 1 && cp.SH == 1 && cp.SW == 1 && cp.PT == 0 && cp.PL == 0 && cp.PB == 0 && cp.PR == 0 &&
		(cp.H*cp.W)%4 == 0 {
		cl.entry = "main_1x1v4"
		cl.binds = []bind{skip, {data: f32bytes(wp)}, {t: bias}, {t: res}, {t: y}, {t: x}}
	}
	return []call{cl}, nil
}
