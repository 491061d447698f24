package webgpu

import (
	"math"

	"github.com/glimpse/glimpse/model/cpu"
)

// The quantized (QDQ) ops: QConv and QuantizeDequantize (model/cpu's
// passes_quant.go), float32 in and out like every GPU tensor, with the CPU
// kernels' integer semantics (model/cpu/kern/qconv.go).
//
// QConv (qconv.wgsl) is two dispatches: pack quantizes the input once into
// bytes, four channels of a group per word, and main4/main1 (four or one
// output channels per invocation) sum over the window's words in 32-bit
// integers. Both sides of each product are held as unsigned bytes: qu = x'
// + zx with x' = clamp(roundEven(x/x_scale)) the input less its zero point
// and zx = x_zp − XLo (so qu is in [0, 255] for uint8 and int8 inputs
// alike; a tap outside the input is qu = zx, i.e. x' = 0), and wu = w +
// off[m] with zw = w_zp[m] + off[m], off[m] 0 for weights in [0, 255] and
// 128 for weights in [−128, 127]. Then
//
//	acc = Σ (qu − zx)(wu − zw) = Σ qu·wu − zw·Σ qu − zx·Σ wu + K·zx·zw
//
// where Σ qu·wu and Σ qu are dot4U8Packed sums over words of four bytes
// (qconv_dp4.wgsl, WGSL's packed_4x8_integer_dot_product) or the same sums
// as plain integer multiply-adds (qconv_i32.wgsl); the device picks the
// variant when it creates the pipeline (Device.pipeline). The last two terms
// and the bias are one per-channel constant, folded here. All arithmetic
// wraps modulo 2³², so the result is the CPU's int32 sum exactly. Bytes
// past a group's Cg channels are 0 on both sides, and add nothing.
//
// Weights are packed [M][KH][KW][ceil(Cg/4)] words, four channels' bytes wu
// per word.

// qconvWeights packs a QConv's weights and per-channel constants: words
// (see above) and, per output channel, vec4<i32>(bias, bias − zx·Σwu +
// K·zx·zw, zw, 0). ok is false when a channel's weights and zero point fit
// neither [0, 255] nor [−128, 127].
func qconvWeights(qp cpu.QConvParams, zx int32) (words []uint32, ch []int32, ok bool) {
	p := qp.Conv
	M, Cg, khw := p.M, p.C/p.Group, p.KH*p.KW
	K, Cg4 := Cg*khw, ceilDiv(Cg, 4)
	words = make([]uint32, M*khw*Cg4)
	ch = make([]int32, 4*M)
	for m := 0; m < M; m++ {
		var wz int64
		switch len(qp.WZero) {
		case 0:
		case 1:
			wz = qp.WZero[0]
		default:
			wz = qp.WZero[m]
		}
		row := qp.W[m*K : (m+1)*K] // [Cg][KH][KW]
		lo, hi := wz, wz
		for _, v := range row {
			lo, hi = min(lo, v), max(hi, v)
		}
		var off int64
		switch {
		case lo >= 0 && hi <= 255:
		case lo >= -128 && hi <= 127:
			off = 128
		default:
			return nil, nil, false
		}
		var sum int64
		for k, v := range row {
			c, r := k/khw, k%khw
			u := v + off
			sum += u
			words[(m*khw+r)*Cg4+c/4] |= uint32(u) << (8 * (c % 4))
		}
		zw := wz + off
		var b int64
		if qp.Quant.Bias != nil {
			b = int64(qp.Quant.Bias[m])
		}
		ch[4*m] = int32(b)
		ch[4*m+1] = int32(b - int64(zx)*sum + int64(K)*int64(zx)*zw) // wraps as int32 sums do
		ch[4*m+2] = int32(zw)
	}
	return words, ch, true
}

func i32bytes(v []int32) []byte {
	u := make([]uint32, len(v))
	for i, x := range v {
		u[i] = uint32(x)
	}
	return u32bytes(u)
}

// lowerQConv lowers QConv to qconv.wgsl's one dispatch.
func (c *lowering) lowerQConv(s cpu.Step) ([]call, error) {
	qp, ok := s.Params.(cpu.QConvParams)
	if !ok || qp.Quant == nil || qp.W == nil {
		return nil, unsupported("QConv without resolved parameters")
	}
	p, q := qp.Conv, qp.Quant
	if q.XLo < -128 || q.XHi > 255 || q.XHi-q.XLo > 255 || q.XZero < q.XLo || q.XZero > q.XHi {
		return nil, unsupported("input range %d..%d is not 8-bit", q.XLo, q.XHi)
	}
	if !(q.XScale > 0) || math.IsInf(float64(q.XScale), 0) {
		return nil, unsupported("input scale %g", q.XScale)
	}
	zx := q.XZero - q.XLo
	words, ch, ok := qconvWeights(qp, zx)
	if !ok {
		return nil, unsupported("weights less their zero point are not 8-bit")
	}
	G, Cg, Mg := p.Group, p.C/p.Group, p.M/p.Group
	Cg4 := ceilDiv(Cg, 4)
	xq := bind{data: make([]byte, max(16, 4*p.N*G*p.H*p.W*Cg4)), scratch: true}
	prm := func(total int) params {
		var pr params
		pr.u(p.N, p.C, p.H, p.W, p.M, p.OH, p.OW, p.KH, p.KW, p.SH, p.SW, p.PT,
			p.PL, p.DH, p.DW, G, Cg, Mg, Cg4, total)
		pr.f(q.XScale, float32(q.XLo-q.XZero), float32(q.XHi-q.XZero))
		pr.i(int(zx))
		pr.f(float32(q.YLo-q.YZero), float32(q.YHi-q.YZero), q.YScale)
		pr.pad16()
		return pr
	}
	npack := p.N * G * p.H * p.W * Cg4
	pack := call{kernel: "qconv", entry: "pack", params: prm(npack),
		binds:  []bind{{t: s.In[0]}, skip, skip, skip, skip, xq},
		groups: c.groups1D(ceilDiv(npack, 64))}
	entry, mb := "main1", 1
	if Mg%4 == 0 {
		entry, mb = "main4", 4
	}
	total := p.N * p.M / mb * p.OH * p.OW
	conv := call{kernel: "qconv", entry: entry, params: prm(total),
		binds:  []bind{skip, {data: u32bytes(words)}, {data: i32bytes(ch)}, {data: f32bytes(q.Mult)}, {t: s.Out[0]}, xq},
		groups: c.groups1D(ceilDiv(total, 64))}
	return []call{pack, conv}, nil
}

// lowerQuantDequant lowers QuantizeDequantize to quant.wgsl's qdq.
func (c *lowering) lowerQuantDequant(s cpu.Step) ([]call, error) {
	qp, ok := s.Params.(cpu.QuantDequantParams)
	if !ok {
		return nil, unsupported("QuantizeDequantize without resolved parameters")
	}
	n := s.Out[0].Len()
	var pr params
	pr.u(n)
	pr.f(qp.Scale, float32(qp.Lo), float32(qp.Hi))
	return []call{{kernel: "quant", entry: "qdq", params: pr,
		binds:  []bind{{t: s.In[0]}, {t: s.Out[0]}},
		groups: c.groups1D(ceilDiv(n, 256))}}, nil
}
