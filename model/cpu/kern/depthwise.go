package kern

// isDirectDepthwise reports a conv the direct depthwise kernel handles: one
// input and one output channel per group, square 3×3 or 5×5 kernel, equal
// stride 1 or 2, no dilation. Anything else goes through im2col+GEMM.
func isDirectDepthwise(p ConvParams) bool {
	return p.Group == p.C && p.Group == p.M && p.KH == p.KW &&
		(p.KH == 3 || p.KH == 5) && p.SH == p.SW && (p.SH == 1 || p.SH == 2) &&
		p.DH == 1 && p.DW == 1
}

// depthwise runs the direct depthwise conv plane by plane. Output columns
// whose window lies inside the row go through the bounds-check-free
// interior kernels, with input rows above or below the image replaced by a
// row of zeros (zero, at least W floats of scratch) so the top and bottom
// rows take the fast path too; the few left/right border columns take the
// padded per-tap path. Each output row then gets its epilogue while in L1.
// Bias is folded into the sums.
func depthwise(p ConvParams, w, x, bias, res []float32, act Act, y, zero []float32) {
	k, s := p.KH, p.SH
	hw, npix := p.H*p.W, p.OH*p.OW
	zero = zero[:p.W]
	clear(zero)
	// Output columns whose window is entirely inside the row: ox*s-PL >= 0
	// and ox*s-PL+k <= W.
	oxLo := min((p.PL+s-1)/s, p.OW)
	oxHi := oxLo
	if p.W-k+p.PL >= 0 {
		oxHi = min((p.W-k+p.PL)/s+1, p.OW)
	}
	oxHi = max(oxHi, oxLo)
	if vecDW != nil && k == 3 {
		depthwiseVec(p, w, x, bias, res, act, y, zero, oxLo, oxHi)
		return
	}
	if k == 5 && depthwiseVec5(p, w, x, bias, res, act, y, zero, oxLo, oxHi) { // vec2.go
		return
	}
	cnt := oxHi - oxLo
	span := (cnt-1)*s + k
	ix := oxLo*s - p.PL
	var rows [5][]float32
	rowAct := act
	if vecActKind(act) && npix >= vecActMin { // whole planes through the vector activation
		rowAct = Act{}
	}
	for n := 0; n < p.N; n++ {
		for c := 0; c < p.C; c++ {
			plane, out, rp, b := dwChannel(x, y, res, bias, n*p.C+c, c, hw, npix)
			wc := w[c*k*k : (c+1)*k*k]
			for oy := 0; oy < p.OH; oy++ {
				orow := out[oy*p.OW : (oy+1)*p.OW]
				if cnt > 0 {
					iy := oy*s - p.PT
					for ky := 0; ky < k; ky++ {
						if r := iy + ky; uint(r) < uint(p.H) {
							rows[ky] = plane[r*p.W+ix : r*p.W+ix+span]
						} else {
							rows[ky] = zero[:span]
						}
					}
					o := orow[oxLo:oxHi]
					switch {
					case k == 3 && s == 1:
						dw3s1(o, rows[0], rows[1], rows[2], wc, b)
					case k == 3:
						dw3s2(o, rows[0], rows[1], rows[2], wc, b)
					default:
						dw5(o, &rows, wc, b, s)
					}
				}
				dwBorder(p, plane, wc, b, orow, oy, 0, oxLo)
				dwBorder(p, plane, wc, b, orow, oy, oxHi, p.OW)
				var rr []float32
				if rp != nil {
					rr = rp[oy*p.OW : (oy+1)*p.OW]
				}
				epilogue(orow, rr, rowAct)
			}
			if rowAct != act {
				applyAct(act, out)
			}
		}
	}
}

// dwBorder computes output columns [ox0, ox1) of row oy with per-tap bounds
// tests: the padded border, a small fraction of the pixels.
func dwBorder(p ConvParams, plane, w []float32, bias float32, orow []float32, oy, ox0, ox1 int) {
	k, s := p.KH, p.SH
	for ox := ox0; ox < ox1; ox++ {
		sum := bias
		for ky := 0; ky < k; ky++ {
			iy := oy*s - p.PT + ky
			if uint(iy) >= uint(p.H) {
				continue
			}
			row := plane[iy*p.W : (iy+1)*p.W]
			for kx := 0; kx < k; kx++ {
				ix := ox*s - p.PL + kx
				if uint(ix) < uint(len(row)) {
					sum += w[ky*k+kx] * row[ix]
				}
			}
		}
		orow[ox] = sum
	}
}

// dw3s1 is the 3×3 stride-1 interior kernel: two outputs per iteration from
// four loads per input row, weights held in locals, no bounds checks in the
// loop. r0..r2 hold exactly len(o)+2 inputs.
func dw3s1(o, r0, r1, r2, w []float32, bias float32) {
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	for len(o) >= 2 && len(r0) >= 4 && len(r1) >= 4 && len(r2) >= 4 {
		a0, a1, a2, a3 := r0[0], r0[1], r0[2], r0[3]
		s0 := bias + w0*a0 + w1*a1 + w2*a2
		s1 := bias + w0*a1 + w1*a2 + w2*a3
		a0, a1, a2, a3 = r1[0], r1[1], r1[2], r1[3]
		s0 += w3*a0 + w4*a1 + w5*a2
		s1 += w3*a1 + w4*a2 + w5*a3
		a0, a1, a2, a3 = r2[0], r2[1], r2[2], r2[3]
		s0 += w6*a0 + w7*a1 + w8*a2
		s1 += w6*a1 + w7*a2 + w8*a3
		o[0], o[1] = s0, s1
		o, r0, r1, r2 = o[2:], r0[2:], r1[2:], r2[2:]
	}
	if len(o) >= 1 && len(r0) >= 3 && len(r1) >= 3 && len(r2) >= 3 {
		o[0] = bias + w0*r0[0] + w1*r0[1] + w2*r0[2] +
			w3*r1[0] + w4*r1[1] + w5*r1[2] +
			w6*r2[0] + w7*r2[1] + w8*r2[2]
	}
}

// dw3s2 is the 3×3 stride-2 interior kernel: two outputs per iteration from
// five loads per input row. r0..r2 hold exactly 2*len(o)+1 inputs.
func dw3s2(o, r0, r1, r2, w []float32, bias float32) {
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	for len(o) >= 2 && len(r0) >= 5 && len(r1) >= 5 && len(r2) >= 5 {
		a0, a1, a2, a3, a4 := r0[0], r0[1], r0[2], r0[3], r0[4]
		s0 := bias + w0*a0 + w1*a1 + w2*a2
		s1 := bias + w0*a2 + w1*a3 + w2*a4
		a0, a1, a2, a3, a4 = r1[0], r1[1], r1[2], r1[3], r1[4]
		s0 += w3*a0 + w4*a1 + w5*a2
		s1 += w3*a2 + w4*a3 + w5*a4
		a0, a1, a2, a3, a4 = r2[0], r2[1], r2[2], r2[3], r2[4]
		s0 += w6*a0 + w7*a1 + w8*a2
		s1 += w6*a2 + w7*a3 + w8*a4
		o[0], o[1] = s0, s1
		o, r0, r1, r2 = o[2:], r0[4:], r1[4:], r2[4:]
	}
	if len(o) >= 1 && len(r0) >= 3 && len(r1) >= 3 && len(r2) >= 3 {
		o[0] = bias + w0*r0[0] + w1*r0[1] + w2*r0[2] +
			w3*r1[0] + w4*r1[1] + w5*r1[2] +
			w6*r2[0] + w7*r2[1] + w8*r2[2]
	}
}

// dw5 is the 5×5 interior kernel (stride s = 1 or 2). 25 weights do not fit
// in registers, so it accumulates one kernel row at a time into the output
// row, keeping that row's five weights in locals and computing two outputs
// per iteration. rows holds the five input row segments.
func dw5(o []float32, rows *[5][]float32, w []float32, bias float32, s int) {
	for i := range o {
		o[i] = bias
	}
	w = w[:25]
	for ky := 0; ky < 5; ky++ {
		r := rows[ky]
		wr := w[ky*5 : ky*5+5]
		w0, w1, w2, w3, w4 := wr[0], wr[1], wr[2], wr[3], wr[4]
		oo := o
		if s == 1 {
			for len(oo) >= 2 && len(r) >= 6 {
				a0, a1, a2, a3, a4, a5 := r[0], r[1], r[2], r[3], r[4], r[5]
				oo[0] += w0*a0 + w1*a1 + w2*a2 + w3*a3 + w4*a4
				oo[1] += w0*a1 + w1*a2 + w2*a3 + w3*a4 + w4*a5
				oo, r = oo[2:], r[2:]
			}
		} else {
			for len(oo) >= 2 && len(r) >= 7 {
				a0, a1, a2, a3, a4, a5, a6 := r[0], r[1], r[2], r[3], r[4], r[5], r[6]
				oo[0] += w0*a0 + w1*a1 + w2*a2 + w3*a3 + w4*a4
				oo[1] += w0*a2 + w1*a3 + w2*a4 + w3*a5 + w4*a6
				oo, r = oo[2:], r[4:]
			}
		}
		if len(oo) >= 1 && len(r) >= 5 {
			oo[0] += w0*r[0] + w1*r[1] + w2*r[2] + w3*r[3] + w4*r[4]
		}
	}
}

// dwChannel slices one depthwise channel: input plane i (of hw floats),
// output and residual plane i (of npix), and channel c's bias (0 without).
func dwChannel(x, y, res, bias []float32, i, c, hw, npix int) (plane, out, rp []float32, b float32) {
	plane, out = x[i*hw:(i+1)*hw], y[i*npix:(i+1)*npix]
	if res != nil {
		rp = res[i*npix : (i+1)*npix]
	}
	if bias != nil {
		b = bias[c]
	}
	return
}
