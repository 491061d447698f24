//go:build amd64 && !purego

package kern

// dw5AVX2 is a DW5Kernel on AVX2 (only valid where hasAVX2FMA): Go loops
// over channels and output rows; the interior columns [oxLo, oxLo+cnt) of
// rows with cnt >= 8 go to dw5RowAVX2 (dw5_amd64.s), which fuses bias,
// residual and clamp; shorter interiors take the scalar dw5, and the
// border columns dwBorder, each with a Go epilogue. Rows above or below
// the image read zero. The sums are unfused and in the scalar order, so
// results are bitwise the scalar depthwise's (up to the sign of a zero
// the clamp returns, and NaN payloads).
func dw5AVX2(p ConvParams, w, x, bias, res, y, zero []float32, oxLo, cnt, ixb int, lo, hi float32) {
	s := p.SH
	if (s != 1 && s != 2) || p.SW != s || p.KH != 5 || p.KW != 5 {
		panic("kern: dw5AVX2: not a 5×5 stride-1/2 depthwise conv")
	}
	hw, npix := p.H*p.W, p.OH*p.OW
	x = x[:p.C*hw]
	y = y[:p.C*npix]
	w = w[:p.C*25]
	if res != nil {
		res = res[:p.C*npix]
	}
	ix := ixb / 4
	oxHi := oxLo + cnt
	span := 0
	if cnt > 0 {
		span = (cnt-1)*s + 5
		if ixb%4 != 0 || ix != oxLo*s-p.PL || oxLo < 0 || oxHi > p.OW || ix < 0 || ix+span > p.W || len(zero) < ix+span {
			panic("kern: dw5AVX2: bad interior columns")
		}
	}
	var wb [25 * 8]float32
	var rows [5][]float32
	for c := 0; c < p.C; c++ {
		plane, out, rp, b := dwChannel(x, y, res, bias, c, c, hw, npix)
		wc := w[c*25 : (c+1)*25]
		for k, v := range wc {
			for l := 0; l < 8; l++ {
				wb[k*8+l] = v
			}
		}
		for oy := 0; oy < p.OH; oy++ {
			orow := out[oy*p.OW : (oy+1)*p.OW]
			var rr []float32
			if rp != nil {
				rr = rp[oy*p.OW : (oy+1)*p.OW]
			}
			if cnt > 0 {
				iy := oy*s - p.PT
				for ky := 0; ky < 5; ky++ {
					if r := iy + ky; uint(r) < uint(p.H) {
						rows[ky] = plane[r*p.W+ix : r*p.W+ix+span]
					} else {
						rows[ky] = zero[ix : ix+span]
					}
				}
				if cnt >= 8 {
					var rq *float32
					if rr != nil {
						rq = &rr[oxLo]
					}
					dw5RowAVX2(&orow[oxLo], &rows[0][0], &rows[1][0], &rows[2][0], &rows[3][0], &rows[4][0],
						&wb[0], rq, cnt, s, b, lo, hi)
				} else {
					dw5(orow[oxLo:oxHi], &rows, wc, b, s)
					dw5Epi(orow, rr, oxLo, oxHi, lo, hi)
				}
			}
			dw5Border(p, plane, wc, b, orow, oy, 0, oxLo)
			dw5Border(p, plane, wc, b, orow, oy, oxHi, p.OW)
			dw5Epi(orow, rr, 0, oxLo, lo, hi)
			dw5Epi(orow, rr, oxHi, p.OW, lo, hi)
		}
	}
}

// dw5Border is dwBorder for 5×5 (the same taps in the same order, so the
// same sums) with the in-range taps computed once per row and column
// rather than tested per tap.
func dw5Border(p ConvParams, plane, w []float32, bias float32, orow []float32, oy, ox0, ox1 int) {
	s := p.SH
	iy := oy*s - p.PT
	ky0, ky1 := max(0, -iy), min(5, p.H-iy)
	w = w[:25]
	for ox := ox0; ox < ox1; ox++ {
		ix := ox*s - p.PL
		kx0, kx1 := max(0, -ix), min(5, p.W-ix)
		sum := bias
		for ky := ky0; ky < ky1; ky++ {
			b := (iy+ky)*p.W + ix
			for kx := kx0; kx < kx1; kx++ {
				sum += w[ky*5+kx] * plane[b+kx]
			}
		}
		orow[ox] = sum
	}
}

// dw5Epi is the scalar epilogue of columns [a, b): + res, clamp.
func dw5Epi(orow, rr []float32, a, b int, lo, hi float32) {
	for i := a; i < b; i++ {
		v := orow[i]
		if rr != nil {
			v += rr[i]
		}
		orow[i] = clampf(v, lo, hi)
	}
}

//go:noescape
func dw5RowAVX2(o, r0, r1, r2, r3, r4, wb, res *float32, cnt, s int, bias, lo, hi float32)
