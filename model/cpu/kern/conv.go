package kern

// convBudget bounds the packed-B (im2col) block Conv builds per column block,
// in float32s: kg×nc floats should sit in L2 while every mr-row weight strip
// streams over it.
const convBudget = 48 << 10

// nativeNC caps the column block of the platform-GEMM conv path so the
// mg×nc output block is still cache-hot for the epilogue.
const nativeNC = 192

// PackedConv holds conv weights pre-packed once at model load in the layout
// Conv's kernels read: for the scalar GEMM path, per group ceil(Mg/mr)
// strips of kg groups of mr weights (rows past Mg zero); for the platform
// GEMM path (plain) and the direct depthwise path, the weights as given.
type PackedConv struct {
	p       ConvParams
	mg, kg  int // output channels and GEMM depth (C/G*KH*KW) per group
	strips  int // ceil(mg/mr)
	w       []float32
	dwDirec bool
	plain   bool
}

// PackConv pre-packs ONNX conv weights [M, C/Group, KH, KW] once at model
// load, into whatever layout Conv's micro-kernel wants.
func PackConv(p ConvParams, w []float32) *PackedConv {
	checkParams(p)
	g := p.Group
	mg, kg := p.M/g, p.C/g*p.KH*p.KW
	if len(w) < p.M*kg {
		panic("kern: PackConv: weights too short")
	}
	pc := &PackedConv{p: p, mg: mg, kg: kg, strips: (mg + mr - 1) / mr}
	if isDirectDepthwise(p) || useNative {
		pc.dwDirec = isDirectDepthwise(p)
		pc.plain = !pc.dwDirec
		pc.w = append([]float32(nil), w[:p.M*kg]...)
		return pc
	}
	sz := pc.strips * kg * mr
	pc.w = make([]float32, g*sz)
	for gi := 0; gi < g; gi++ {
		for m := 0; m < mg; m++ {
			s, i := m/mr, m%mr
			dst := pc.w[gi*sz+s*kg*mr:]
			src := w[(gi*mg+m)*kg : (gi*mg+m+1)*kg]
			for k, v := range src {
				dst[k*mr+i] = v
			}
		}
	}
	return pc
}

// ScratchSize is the number of float32 of scratch Conv needs: the packed
// im2col block, or for direct depthwise one zero input row.
func ScratchSize(p ConvParams) int {
	if isDirectDepthwise(p) {
		return p.W
	}
	kg := p.C / p.Group * p.KH * p.KW
	npix := p.OH * p.OW
	return kg * max(convNC(kg, npix, nr), convNC(kg, npix, VecNR))
}

// convNC picks the column-block width (a multiple of the strip width w) so
// the packed kg×nc block fits convBudget, but no wider than the output
// plane.
func convNC(kg, npix, w int) int {
	nc := convBudget / kg / w * w
	nc = max(nc, 8*w)
	return min(nc, (npix+w-1)/w*w)
}

// is1x1 reports a 1×1 stride-1 unpadded conv, whose input plane already is
// the GEMM's B matrix (no im2col).
func is1x1(p ConvParams) bool {
	return p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 &&
		p.PT == 0 && p.PL == 0 && p.PB == 0 && p.PR == 0
}

// Conv computes y = act(conv(x, w) + bias + res) for NCHW x [N,C,H,W] into y
// [N,M,OH,OW]. bias may be nil (zero); res may be nil, else it has y's shape
// and is added before act. scratch has at least ScratchSize(p) floats. It
// allocates nothing.
func Conv(p ConvParams, w *PackedConv, x, bias, res []float32, act Act, y, scratch []float32) {
	if w.p != p {
		panic("kern: Conv: params differ from those the weights were packed with")
	}
	hw, npix := p.H*p.W, p.OH*p.OW
	if len(x) < p.N*p.C*hw || len(y) < p.N*p.M*npix ||
		(bias != nil && len(bias) < p.M) || (res != nil && len(res) < p.N*p.M*npix) {
		panic("kern: Conv: slice too short")
	}
	if w.dwDirec {
		if len(scratch) < p.W {
			panic("kern: Conv: scratch too short")
		}
		depthwise(p, w.w, x, bias, res, act, y, scratch)
		return
	}
	kg, mg, g := w.kg, w.mg, p.Group
	nc := convNC(kg, npix, nr)
	vec := vecGemm != nil && !w.plain
	if vec {
		nc = convNC(kg, npix, VecNR)
	}
	if len(scratch) < kg*nc {
		panic("kern: Conv: scratch too short")
	}
	cg := p.C / g
	wsz := w.strips * kg * mr
	one := is1x1(p)
	if w.plain {
		nc = min(nc, nativeNC)
	}
	for n := 0; n < p.N; n++ {
		for gi := 0; gi < g; gi++ {
			xg := x[(n*p.C+gi*cg)*hw : (n*p.C+(gi+1)*cg)*hw]
			yg := y[(n*p.M+gi*mg)*npix : (n*p.M+(gi+1)*mg)*npix]
			var rg []float32
			if res != nil {
				rg = res[(n*p.M+gi*mg)*npix : (n*p.M+(gi+1)*mg)*npix]
			}
			var bg []float32
			if bias != nil {
				bg = bias[gi*mg : (gi+1)*mg]
			}
			if w.plain {
				wg := w.w[gi*mg*kg : (gi+1)*mg*kg]
				for j0 := 0; j0 < npix; j0 += nc {
					nb := min(nc, npix-j0)
					b, ldb := scratch, nb
					if one {
						b, ldb = xg[j0:], hw // a 1×1 conv has no more pixels than its input
					} else {
						im2colPlain(p, xg, j0, nb, kg, scratch)
					}
					convBlockPlain(wg, b, ldb, kg, mg, nb, yg[j0:], npix, bg, rg, j0, act)
				}
				continue
			}
			wg := w.w[gi*wsz : (gi+1)*wsz]
			if vec {
				for j0 := 0; j0 < npix; j0 += nc {
					nb := min(nc, npix-j0)
					if one {
						// The input plane is B as it stands: whole
						// 8-column strips read it in place, only the
						// last partial strip is packed.
						full := nb / VecNR * VecNR
						if full > 0 {
							convBlockVec(wg, xg[j0:], hw, kg, mg, full, yg[j0:], npix, bg, rg, j0, act)
						}
						if full < nb {
							packRowsVec(xg, hw, j0+full, nb-full, kg, scratch)
							convBlockVec(wg, scratch, 0, kg, mg, nb-full, yg[j0+full:], npix, bg, rg, j0+full, act)
						}
						continue
					}
					im2colVec(p, xg, j0, nb, kg, scratch)
					convBlockVec(wg, scratch, 0, kg, mg, nb, yg[j0:], npix, bg, rg, j0, act)
				}
				continue
			}
			for j0 := 0; j0 < npix; j0 += nc {
				nb := min(nc, npix-j0)
				if one {
					packRows(xg, hw, j0, nb, kg, scratch)
				} else {
					packIm2col(p, xg, j0, nb, kg, scratch, nr)
				}
				convBlock(wg, scratch, kg, mg, nb, yg[j0:], npix, bg, rg, j0, act)
			}
		}
	}
}

// convBlock multiplies all weight strips of one group by one packed column
// block and applies the epilogue to each mr-row slab right after computing
// it, while it is still in L1. (Reusing each B strip across all weight
// strips instead was no faster and scatters writes over many output rows.)
func convBlock(wg, bp []float32, kg, mg, nb int, y []float32, ldy int, bias, res []float32, j0 int, act Act) {
	for i := 0; i < mg; i += mr {
		mb := min(mr, mg-i)
		ap := wg[(i/mr)*kg*mr : (i/mr+1)*kg*mr]
		var bt [mr]float32
		if bias != nil {
			copy(bt[:mb], bias[i:i+mb])
		}
		macroRow(kg, ap, bp, y[i*ldy:], ldy, mb, nb, false, &bt)
		if res == nil && act.Kind == ActNone {
			continue
		}
		for r := i; r < i+mb; r++ {
			var rr []float32
			if res != nil {
				rr = res[r*ldy+j0 : r*ldy+j0+nb]
			}
			epilogue(y[r*ldy:r*ldy+nb], rr, act)
		}
	}
}

// convBlockPlain is convBlock for the platform GEMM (gonum's assembly
// Sgemm natively): y[mg×nb] = w[mg×kg]·b[kg×nb], then bias, residual and
// activation per row while the block is still in cache.
func convBlockPlain(wg, b []float32, ldb, kg, mg, nb int, y []float32, ldy int, bias, res []float32, j0 int, act Act) {
	if !gemmNative(false, false, mg, nb, kg, 1, wg, kg, b, ldb, 0, y, ldy) {
		gemmScalar(false, false, mg, nb, kg, 1, wg, kg, b, ldb, 0, y, ldy)
	}
	for r := 0; r < mg; r++ {
		row := y[r*ldy : r*ldy+nb]
		if bias != nil {
			bv := bias[r]
			for i := range row {
				row[i] += bv
			}
		}
		var rr []float32
		if res != nil {
			rr = res[r*ldy+j0 : r*ldy+j0+nb]
		}
		epilogue(row, rr, act)
	}
}

// im2colPlain writes the im2col matrix's columns [j0, j0+nb) for one group
// as a plain row-major kg×nb matrix, for the platform GEMM.
func im2colPlain(p ConvParams, xg []float32, j0, nb, kg int, dst []float32) {
	kk := p.KH * p.KW
	hw := p.H * p.W
	for k := 0; k < kg; k++ {
		c, r := k/kk, k%kk
		ky, kx := r/p.KW, r%p.KW
		plane := xg[c*hw : (c+1)*hw]
		oy, ox := j0/p.OW, j0%p.OW
		offY := ky*p.DH - p.PT
		offX := kx*p.DW - p.PL
		row := dst[k*nb : (k+1)*nb]
		for j := range row {
			iy := oy*p.SH + offY
			ix := ox*p.SW + offX
			var v float32
			if uint(iy) < uint(p.H) && uint(ix) < uint(p.W) {
				v = plane[iy*p.W+ix]
			}
			row[j] = v
			ox++
			if ox == p.OW {
				ox = 0
				oy++
			}
		}
	}
}

// packRows packs columns [j0, j0+nb) of the kg×ld row-major matrix src (a
// 1×1 conv's input plane) into nr-wide strips: the GEMM B packing, no
// im2col needed.
func packRows(src []float32, ld, j0, nb, kg int, dst []float32) {
	sz := kg * nr
	full := nb / nr * nr
	for k := 0; k < kg; k++ {
		row := src[k*ld+j0 : k*ld+j0+nb]
		d := dst[k*nr:]
		j := 0
		for ; j < full; j += nr {
			s := d[(j/nr)*sz : (j/nr)*sz+nr : (j/nr)*sz+nr]
			r := row[j : j+nr : j+nr]
			s[0], s[1], s[2] = r[0], r[1], r[2]
		}
		if j < nb {
			s := d[(j/nr)*sz : (j/nr)*sz+nr]
			for q := range s {
				if j+q < nb {
					s[q] = row[j+q]
				} else {
					s[q] = 0
				}
			}
		}
	}
}

// packIm2col gathers the im2col matrix's columns [j0, j0+nb) (output pixels)
// for one group straight into packed w-wide strips (nr, or VecNR for the
// vector kernel), so the general conv never materialises the full im2col
// matrix. Out-of-image taps read 0.
func packIm2col(p ConvParams, xg []float32, j0, nb, kg int, dst []float32, w int) {
	sz := kg * w
	kk := p.KH * p.KW
	hw := p.H * p.W
	for k := 0; k < kg; k++ {
		c, r := k/kk, k%kk
		ky, kx := r/p.KW, r%p.KW
		plane := xg[c*hw : (c+1)*hw]
		oy, ox := j0/p.OW, j0%p.OW
		offY := ky*p.DH - p.PT
		offX := kx*p.DW - p.PL
		d := k * w
		q := 0
		for j := 0; j < nb; j++ {
			// A whole strip of w pixels in one output row with every tap
			// inside the input row: a strided copy, no bounds tests.
			if q == 0 && j+w <= nb && ox+w <= p.OW {
				iy, ix := oy*p.SH+offY, ox*p.SW+offX
				if uint(iy) < uint(p.H) && ix >= 0 && ix+(w-1)*p.SW < p.W {
					src := plane[iy*p.W+ix : iy*p.W+ix+(w-1)*p.SW+1]
					out := dst[d : d+w]
					if p.SW == 1 {
						copy(out, src)
					} else {
						for i := range out {
							out[i] = src[i*p.SW]
						}
					}
					d += sz
					j += w - 1
					if ox += w; ox == p.OW {
						ox = 0
						oy++
					}
					continue
				}
			}
			iy := oy*p.SH + offY
			ix := ox*p.SW + offX
			var v float32
			if uint(iy) < uint(p.H) && uint(ix) < uint(p.W) {
				v = plane[iy*p.W+ix]
			}
			dst[d+q] = v
			q++
			if q == w {
				q = 0
				d += sz
			}
			ox++
			if ox == p.OW {
				ox = 0
				oy++
			}
		}
		for ; q != 0 && q < w; q++ {
			dst[d+q] = 0
		}
	}
}

// checkParams panics on a ConvParams that is internally inconsistent.
func checkParams(p ConvParams) {
	if p.Group <= 0 || p.C%p.Group != 0 || p.M%p.Group != 0 {
		panic("kern: bad conv group")
	}
	if p.SH <= 0 || p.SW <= 0 || p.DH <= 0 || p.DW <= 0 || p.KH <= 0 || p.KW <= 0 {
		panic("kern: bad conv stride, dilation or kernel size")
	}
	if p.OH != (p.H+p.PT+p.PB-p.DH*(p.KH-1)-1)/p.SH+1 ||
		p.OW != (p.W+p.PL+p.PR-p.DW*(p.KW-1)-1)/p.SW+1 {
		panic("kern: conv output size inconsistent with params")
	}
}
