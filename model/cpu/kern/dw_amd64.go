//go:build amd64 && !purego

package kern

// dwAVX2 is a DepthwiseKernel on AVX2+FMA (only valid where hasAVX2FMA):
// Go loops over channels and output rows; the interior columns [oxLo,
// oxHi) of each row go to the assembly row kernels of dw_amd64.s, which
// fuse bias, residual and clamp; the few border columns take the scalar
// dwBorder and a Go epilogue. Input rows above or below the image are read
// from zero. Products are fused (FMA), so results differ from the scalar
// depthwise by rounding only.
func dwAVX2(p ConvParams, w, x, bias, res, y, zero []float32, oxLo, oxHi int, lo, hi float32) {
	s := p.SH
	if s != 1 && s != 2 || p.SW != s || p.KH != 3 || p.KW != 3 {
		panic("kern: dwAVX2: not a 3×3 stride-1/2 depthwise conv")
	}
	hw, npix := p.H*p.W, p.OH*p.OW
	x = x[:p.C*hw]
	y = y[:p.C*npix]
	w = w[:p.C*9]
	if res != nil {
		res = res[:p.C*npix]
	}
	if bias != nil {
		bias = bias[:p.C]
	}
	cnt := oxHi - oxLo
	span := (cnt-1)*s + 3
	ix := oxLo*s - p.PL
	if cnt > 0 {
		// Every interior window lies inside the row (and inside zero).
		if oxLo < 0 || oxHi > p.OW || ix < 0 || ix+span > p.W {
			panic("kern: dwAVX2: bad interior columns")
		}
		zero = zero[ix : ix+span]
	}
	// Output rows [oyA, oyB) have all three input rows inside the image:
	// one assembly call per channel covers them; the others, reading zero
	// rows, take one call each.
	oyA := min((p.PT+s-1)/s, p.OH)
	oyB := oyA
	if p.H-3+p.PT >= 0 {
		oyB = min((p.H-3+p.PT)/s+1, p.OH)
	}
	oyB = max(oyB, oyA)
	istride, ostride := 4*s*p.W, 4*p.OW
	for c := 0; c < p.C; c++ {
		plane, out, rp, b := dwChannel(x, y, res, bias, c, c, hw, npix)
		wc := (*[9]float32)(w[c*9 : c*9+9])
		if cnt > 0 && oyB > oyA {
			// Bounds: the first and last rows' windows are in the plane.
			iyA, iyL := oyA*s-p.PT, (oyB-1)*s-p.PT
			_ = plane[(iyL+2)*p.W+ix+span-1]
			_ = out[(oyB-1)*p.OW+oxHi-1]
			r0 := plane[iyA*p.W+ix:]
			o := out[oyA*p.OW+oxLo:]
			var rptr *float32
			if rp != nil {
				_ = rp[(oyB-1)*p.OW+oxHi-1]
				rptr = &rp[oyA*p.OW+oxLo]
			}
			dwRows(s, &o[0], &r0[0], &r0[p.W], &r0[2*p.W], &wc[0], rptr, cnt, oyB-oyA, istride, ostride, b, lo, hi)
		}
		// Rows above or below [oyA, oyB): their interior reads zero rows.
		if cnt > 0 {
			for oy := 0; oy < p.OH; oy++ {
				if oy == oyA && oyB > oyA {
					oy = oyB - 1
					continue
				}
				iy := oy*s - p.PT
				var r [3][]float32
				for ky := range r {
					r[ky] = zero
					if iy+ky >= 0 && iy+ky < p.H {
						r[ky] = plane[(iy+ky)*p.W+ix : (iy+ky)*p.W+ix+span]
					}
				}
				o := out[oy*p.OW+oxLo : oy*p.OW+oxHi]
				var rptr *float32
				if rp != nil {
					rptr = &rp[oy*p.OW+oxLo : oy*p.OW+oxHi][0]
				}
				dwRows(s, &o[0], &r[0][0], &r[1][0], &r[2][0], &wc[0], rptr, cnt, 1, 0, 0, b, lo, hi)
			}
		}
		for ox := 0; ox < oxLo; ox++ {
			dw3EdgeCol(p, plane, wc, b, out, rp, ox, oyA, oyB, lo, hi)
		}
		for ox := oxHi; ox < p.OW; ox++ {
			dw3EdgeCol(p, plane, wc, b, out, rp, ox, oyA, oyB, lo, hi)
		}
	}
}

// dwRows runs the stride-s row kernel.
func dwRows(s int, o, r0, r1, r2, w, res *float32, n, rows, istride, ostride int, bias, lo, hi float32) {
	if s == 1 {
		dw3s1AVX2(o, r0, r1, r2, w, res, n, rows, istride, ostride, bias, lo, hi)
	} else {
		dw3s2AVX2(o, r0, r1, r2, w, res, n, rows, istride, ostride, bias, lo, hi)
	}
}

// dw3EdgeCol computes output column ox (a border column) of every row of
// one channel as the scalar dwBorder and epilogue do: bias plus the taps
// inside the image (rows and columns outside it skipped, in ky, kx order),
// plus res (the channel's, if not nil), clamped to [lo, hi] as Go's
// min/max do (NaN stays NaN).
// Rows [oyA, oyB) have all three input rows inside the image: with two
// taps per row (pad 1), they take an unrolled loop.
func dw3EdgeCol(p ConvParams, plane []float32, w *[9]float32, bias float32, out, res []float32, ox, oyA, oyB int, lo, hi float32) {
	s := p.SH
	ix := ox*s - p.PL
	kx0, kx1 := max(0, -ix), min(3, p.W-ix)
	if kx1-kx0 == 2 && oyB > oyA {
		W := p.W
		w0, w1, w2, w3, w4, w5 := w[kx0], w[kx0+1], w[3+kx0], w[4+kx0], w[6+kx0], w[7+kx0]
		for oy := oyA; oy < oyB; oy++ {
			off := (oy*s-p.PT)*W + ix + kx0
			r := plane[off : off+2*W+2]
			sum := bias + w0*r[0] + w1*r[1] + w2*r[W] + w3*r[W+1] + w4*r[2*W] + w5*r[2*W+1]
			i := oy*p.OW + ox
			if res != nil {
				sum += res[i]
			}
			out[i] = min(max(sum, lo), hi)
		}
	}
	for oy := 0; oy < p.OH; oy++ {
		if kx1-kx0 == 2 && oy == oyA && oyB > oyA {
			oy = oyB - 1
			continue
		}
		iy := oy*s - p.PT
		ky0, ky1 := max(0, -iy), min(3, p.H-iy)
		sum := bias
		if kx0 < kx1 {
			for ky := ky0; ky < ky1; ky++ {
				off := (iy+ky)*p.W + ix
				row := plane[off+kx0 : off+kx1]
				wr := w[ky*3+kx0 : ky*3+kx0+len(row)]
				for k, v := range row {
					sum += wr[k] * v
				}
			}
		}
		i := oy*p.OW + ox
		if res != nil {
			sum += res[i]
		}
		out[i] = min(max(sum, lo), hi)
	}
}

// dw3s1AVX2 computes n >= 1 stride-1 outputs of each of rows >= 1 output
// rows, o[i] = min(max(bias + Σ w[ky*3+kx]·r_ky[i+kx] + res[i], lo), hi);
// res may be nil, and may alias o. Each r_ky holds n+2 inputs, o and res n
// values; after each row, o and res advance ostride bytes, r0..r2 istride.
//
//go:noescape
func dw3s1AVX2(o, r0, r1, r2, w, res *float32, n, rows, istride, ostride int, bias, lo, hi float32)

// dw3s2AVX2 is dw3s1AVX2 for stride 2: r_ky[2i+kx], each r_ky holding
// 2n+1 inputs.
//
//go:noescape
func dw3s2AVX2(o, r0, r1, r2, w, res *float32, n, rows, istride, ostride int, bias, lo, hi float32)
