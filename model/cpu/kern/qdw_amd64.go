//go:build amd64 && !purego

package kern

// The quantized 3×3 depthwise conv's QDWKernel on AVX2 (qdw_amd64.s):
// per channel, the plane quantized into the padded int16 buffer, then the
// outputs 8 at a time, exactly in int32 as qDepthwise sums them, with
// requantOut's epilogue, so the outputs are QConv's integer path's bit
// for bit.

//go:noescape
func qdwQuant(x *float32, h, w int, dst *int16, wr uintptr, scale, lo, hi float32)

//go:noescape
func qdwRows(pad *int16, wr uintptr, oh, ow, s int, y *float32, wts *int32, bias *int32, mult, lo, hi, ys float32, tmp *float32)

// qdwAVX2 is the QDWKernel.
func qdwAVX2(p ConvParams, x, y []float32, w, bias []int32, mult []float32, pad []int16, wr int,
	xscale, xlo, xhi, lo, hi, ys float32, tmp []float32) {
	if p.C <= 0 || p.OH <= 0 || p.OW <= 0 {
		return
	}
	s := p.SH
	hw, npix := p.H*p.W, p.OH*p.OW
	if p.KH != 3 || p.KW != 3 || p.SW != s || (s != 1 && s != 2) || p.W < 4 || p.H < 1 ||
		wr < (p.OW-1)*s+3 || wr < p.PL+p.W || len(pad) < max((p.OH-1)*s+3, p.PT+p.H)*wr+32 ||
		len(x) < p.C*hw || len(y) < p.C*npix || len(w) < p.C*9 || len(bias) < p.C || len(mult) < p.C || len(tmp) < 8 {
		panic("kern: qdwAVX2: bad arguments")
	}
	var wts [9]int32
	for c := 0; c < p.C; c++ {
		qdwQuant(&x[c*hw], p.H, p.W, &pad[p.PT*wr+p.PL], uintptr(wr*2), xscale, xlo, xhi)
		for k, v := range w[c*9 : c*9+9] {
			u := uint32(uint16(v)) // within int16 (PackedQConv.dw16)
			if s == 2 && k%3 == 1 {
				u <<= 16 // the odd columns: the high int16 of each lane
			}
			wts[k] = int32(u)
		}
		qdwRows(&pad[0], uintptr(wr*2), p.OH, p.OW, s, &y[c*npix], &wts[0], &bias[c], mult[c], lo, hi, ys, &tmp[0])
	}
}
