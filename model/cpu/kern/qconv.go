package kern

// Integer convolution for quantized (QDQ) models: the input, a float32
// tensor whose values lie on a uint8 or int8 grid, is quantized as
// QuantizeLinear does (x/scale, clamped, rounded half to even, plus the
// zero point); products of (x−x_zp) and (w−w_zp) accumulate exactly in
// int32 with the int32 bias; the sum is requantized as ONNX Runtime's
// QLinearConv does (float32(acc)·multiplier, clamped to the output range
// less its zero point, rounded half to even) and written dequantized
// (q−y_zp)·y_scale, as float32. The result is the integer QLinearConv's,
// bit for bit, whatever the order of the sums.
//
// Two paths: 3×3/5×5 depthwise convs run directly on an int32 copy of the
// input; every other conv is a GEMM of the packed weights by im2col
// columns (1×1 convs read the input plane as it stands). The GEMM packs
// two int32 columns into one int64 (lo + hi·2³²) so one 64-bit multiply
// does two products: both lanes' sums stay below 2³¹ in magnitude as long
// as K·255·255 does (K ≤ qMaxK), and are recovered exactly.

import "math"

// qMaxK bounds the GEMM's reduction length so that a lane's sum of
// products of values in [−255, 255] stays inside int32.
const qMaxK = (1<<31 - 1) / (255 * 255)

// QuantParams are a quantized conv's scales, zero points and ranges.
type QuantParams struct {
	XScale   float32
	XZero    int32
	XLo, XHi int32     // the input type's range (0..255 or −128..127)
	Mult     []float32 // per output channel: x_scale·w_scale[m]/y_scale
	Bias     []int32   // per output channel (nil: zero)
	YZero    int32
	YLo, YHi int32 // the output range: its type's, narrowed by a fused Relu/Clip
	YScale   float32
}

// PackedQConv holds a quantized conv's weights, less their zero point, in
// the layout QConv reads: for depthwise, [C][KH·KW] int32; for the GEMM,
// per group ceil(Mg/4) strips of Kg groups of 4 int64 (rows past Mg 0).
type PackedQConv struct {
	p  ConvParams
	dw []int32
	a  []int64
	kg int
	// fl is the float route: the weights less their zero point as float32,
	// packed for Conv, when every sum the conv can form is an integer of
	// magnitude at most 2²⁴ (Σ_k |w'| · max|x'| for every output channel),
	// so that float32 computes it exactly in any order; nil otherwise.
	fl   *PackedConv
	xmax int32 // the max|x'| fl was checked for
	// a16 holds the weights as int16 pairs for the vector kernels
	// (qconv_vec.go), for the 1×1 convs they take; nil otherwise.
	a16 []int16
	// dw16 reports a depthwise conv the vector depthwise kernel takes
	// (isQDW3, weights and inputs within int16).
	dw16 bool
	// im16 holds, for other one-group convs (isQIm2col), the weights as
	// qgemm's int16 pairs with the depth kg padded to kpad (even) by zero
	// weights (qconvIm2col).
	im16 []int16
	kpad int
}

// QuantFloatRoute switches the float route off (tests).
var QuantFloatRoute = true

// isQDepthwise reports a conv the direct integer depthwise kernel takes.
func isQDepthwise(p ConvParams) bool {
	return p.Group == p.C && p.Group == p.M && p.KH <= 5 && p.KW <= 5
}

// PackQConv packs weights w [M, C/Group, KH, KW] less their zero points
// (wz: one per output channel, or one for all).
//
// xmax is the largest |x−x_zp| the input can have (255 for uint8 with zero
// point 0): it decides whether the float route is exact.
func PackQConv(p ConvParams, w []int64, wz []int64, xmax int32) *PackedQConv {
	checkParams(p)
	zp := func(m int) int64 {
		if len(wz) == 0 {
			return 0
		}
		if len(wz) == 1 {
			return wz[0]
		}
		return wz[m]
	}
	Cg := p.C / p.Group
	kg := Cg * p.KH * p.KW
	pk := &PackedQConv{p: p, kg: kg, xmax: xmax}
	wf := make([]float32, len(w))
	worst := int64(0)
	for m := 0; m < p.M; m++ {
		l1 := int64(0)
		for k := 0; k < kg; k++ {
			v := w[m*kg+k] - zp(m)
			wf[m*kg+k] = float32(v)
			l1 += max(v, -v)
		}
		worst = max(worst, l1*int64(xmax))
	}
	if worst <= 1<<24 {
		pk.fl = PackConv(p, wf)
	}
	if isQ1x1(p) && xmax <= math.MaxInt16 { // the kernels hold x' in int16
		pk.a16 = packQ16(p, w, zp)
	}
	if isQIm2col(p) && xmax <= math.MaxInt16 && kg <= qMaxK {
		pk.kpad = (kg + 1) &^ 1
		pk.im16 = packQ16K(p.M, kg, pk.kpad, w, zp)
	}
	if isQDepthwise(p) {
		pk.dw = make([]int32, len(w))
		pk.dw16 = isQDW3(p) && xmax <= math.MaxInt16
		for m := 0; m < p.M; m++ {
			for i := 0; i < kg; i++ {
				v := w[m*kg+i] - zp(m)
				pk.dw[m*kg+i] = int32(v)
				if v < math.MinInt16 || v > math.MaxInt16 {
					pk.dw16 = false
				}
			}
		}
		return pk
	}
	Mg := p.M / p.Group
	strips := (Mg + 3) / 4
	pk.a = make([]int64, p.Group*strips*kg*4)
	for g := 0; g < p.Group; g++ {
		for s := 0; s < strips; s++ {
			dst := pk.a[(g*strips+s)*kg*4:]
			for r := 0; r < 4; r++ {
				m := s*4 + r
				if m >= Mg {
					continue
				}
				m += g * Mg
				for k := 0; k < kg; k++ {
					dst[k*4+r] = w[m*kg+k] - zp(m)
				}
			}
		}
	}
	return pk
}

// QConvWork is a QConv's scratch: the quantized input (int32 for the
// integer kernels, float32 for the float route), packed columns and the
// float conv's scratch.
type QConvWork struct {
	xs      []int32
	cols    []int64
	xf      []float32
	scratch []float32
	// the vector kernels': packed input, padded bias and multipliers,
	// and qconvIm2col's float im2col block
	colF []float32
	b16  []int16
	bias []int32
	mult []float32
	tmp  [8]float32
	// biasAll is the bias, zeros without one (the float route's), and
	// biasF the same as float32 for the vector epilogue
	biasAll []int32
	biasF   []float32
	// the vector depthwise kernel's zeroed padded int16 plane, and a zero
	// bias (allocated on first use)
	pad16  []int16
	dwZero []int32
	// in8, out8: the input is held, and the output is written, as the
	// quantized bytes themselves (SetQ8); x8f is the Go paths' float
	// copy of such an input (allocated on first use)
	in8, out8 bool
	x8f       []float32
}

// NewWork allocates the scratch QConv needs for w; Bytes says how much.
func (w *PackedQConv) NewWork() *QConvWork {
	p := w.p
	n := p.N * p.C * p.H * p.W
	wk := &QConvWork{xs: make([]int32, n)}
	if w.fl != nil {
		wk.xf = make([]float32, n)
		wk.scratch = make([]float32, ScratchSize(p))
		wk.biasAll = make([]int32, p.M)
		wk.biasF = make([]float32, p.M)
	}
	if w.dw == nil {
		wk.cols = make([]int64, qcolBlock(w.kg, p.OH*p.OW)/2*w.kg)
	}
	if w.dw16 && vecQDW != nil {
		_, n := qdwGeom(p)
		wk.pad16 = make([]int16, n)
	}
	if w.a16 != nil {
		wk.b16 = make([]int16, (p.OH*p.OW+7)/8*8*p.C)
		wk.bias = make([]int32, (p.M+3)&^3)
		wk.mult = make([]float32, (p.M+3)&^3)
	}
	if w.im16 != nil && qim2colOK() {
		strips := qim2colBlock(w.kpad, p.OH*p.OW) / 8
		if len(wk.xf) < n {
			wk.xf = make([]float32, n)
		}
		// qpack reads the padded depth's last row one strip on
		wk.colF = make([]float32, strips*8*w.kg+8*(w.kpad-w.kg))
		wk.b16 = make([]int16, strips*8*w.kpad)
		wk.bias = make([]int32, (p.M+3)&^3)
		wk.mult = make([]float32, (p.M+3)&^3)
	}
	return wk
}

// Bytes is the scratch's size.
func (wk *QConvWork) Bytes() int64 {
	return 4*int64(len(wk.xs)) + 8*int64(len(wk.cols)) + 4*int64(len(wk.xf)) + 4*int64(len(wk.scratch)) +
		2*int64(len(wk.b16)) + 4*int64(len(wk.bias)+len(wk.mult)+len(wk.biasAll)+len(wk.biasF)) +
		2*int64(len(wk.pad16)) + 4*int64(len(wk.dwZero)) + 4*int64(len(wk.colF))
}

// Bytes is the packed weights' size.
func (w *PackedQConv) Bytes() int64 {
	b := 4*int64(len(w.dw)) + 8*int64(len(w.a)) + 2*int64(len(w.a16)) + 2*int64(len(w.im16))
	if w.fl != nil {
		b += 4 * int64(len(w.fl.w))
	}
	return b
}

// qcolBlock is the column block of the GEMM path: a multiple of 4 pixels,
// about 128 KB of packed columns.
func qcolBlock(kg, npix int) int {
	nb := max(4, (32768/max(kg, 1))&^3)
	return min(nb, (npix+3)&^3)
}

// QConvOK reports whether QConv can run p: the GEMM's reduction must stay
// inside int32 lanes.
func QConvOK(p ConvParams) bool {
	return isQDepthwise(p) || p.C/p.Group*p.KH*p.KW <= qMaxK
}

// quantizeInput writes x quantized, less its zero point, into xs.
func quantizeInput(q *QuantParams, x []float32, xs []int32) {
	lo, hi := float32(q.XLo-q.XZero), float32(q.XHi-q.XZero)
	s := q.XScale
	xs = xs[:len(x)]
	for i, v := range x {
		xs[i] = int32(quantOne(v, s, lo, hi))
	}
}

// roundEven rounds v, |v| < 2²², half to even: adding 1.5·2²³ leaves no
// fraction bits, and float32 addition rounds to nearest even.
func roundEven(v float32) float32 {
	const magic = 12582912 // 1.5·2²³
	return (v + magic) - magic
}

// requantOut is one output element: acc requantized and dequantized. The
// product of an int32 and a finite multiplier is never NaN, so the
// branch-free min/max clamp as MLAS does.
func requantOut(acc int32, mult, lo, hi, ys float32) float32 {
	return roundEven(clampf(float32(acc)*mult, lo, hi)) * ys
}

// QConv runs the quantized conv of x [N,C,H,W] into y [N,M,OH,OW] (see the
// package comment above), with scratch wk from w.NewWork.
func QConv(p ConvParams, w *PackedQConv, q *QuantParams, x, y []float32, wk *QConvWork) {
	checkParams(p)
	if p != w.p || len(q.Mult) != p.M || (q.Bias != nil && len(q.Bias) != p.M) || len(x) < p.N*p.C*p.H*p.W || len(y) < p.N*p.M*p.OH*p.OW {
		panic("kern: QConv: bad lengths")
	}
	if max(q.XHi-q.XZero, q.XZero-q.XLo) > w.xmax {
		panic("kern: QConv: input range wider than packed for")
	}
	x = x[:p.N*p.C*p.H*p.W]
	if wk.in8 || wk.out8 {
		qconvQ8(p, w, q, x, y, wk)
		return
	}
	qconvAny(p, w, q, x, y, wk)
}

// qPath is which of QConv's routes takes a conv with the kernels
// installed now.
type qPath int

const (
	qPathGo     qPath = iota // int32 loops: quantizeInput, qDepthwise, the int64 GEMM
	qPath1x1                 // qconvVec
	qPathDW                  // qconvDW
	qPathIm2col              // qconvIm2col
	qPathFloat               // qconvFloat
)

// path is w's route: the one QConv runs and Q8OK describes.
func (w *PackedQConv) path() qPath {
	switch {
	case w.a16 != nil && vecQGemm != nil:
		return qPath1x1
	case w.dw16 && vecQDW != nil:
		return qPathDW
	case w.im16 != nil && qim2colOK():
		return qPathIm2col
	case w.fl != nil && QuantFloatRoute:
		return qPathFloat
	}
	return qPathGo
}

// qconvOn runs route r (in8, out8: quantized bytes in and out, where the
// route takes them, see Q8OK) and reports false for qPathGo, which the
// caller runs.
func qconvOn(r qPath, p ConvParams, w *PackedQConv, q *QuantParams, x, y []float32, wk *QConvWork, in8, out8 bool) bool {
	switch r {
	case qPath1x1:
		qconvVec(p, w, q, x, y, wk, in8, out8)
	case qPathDW:
		qconvDW(p, w, q, x, y, wk, in8, out8)
	case qPathIm2col:
		qconvIm2col(p, w, q, x, y, wk, out8)
	case qPathFloat:
		qconvFloat(p, w, q, x, y, wk, out8)
	default:
		return false
	}
	return true
}

// qconvAny is QConv on float32 input and output, on whichever path
// takes w.
func qconvAny(p ConvParams, w *PackedQConv, q *QuantParams, x, y []float32, wk *QConvWork) {
	if qconvOn(w.path(), p, w, q, x, y, wk, false, false) {
		return
	}
	xs, cols := wk.xs, wk.cols
	quantizeInput(q, x, xs)
	if w.dw != nil {
		qDepthwise(p, w.dw, q, xs, y)
		return
	}
	Cg, Mg := p.C/p.Group, p.M/p.Group
	kg, npix := w.kg, p.OH*p.OW
	strips := (Mg + 3) / 4
	nb := qcolBlock(kg, npix)
	lo, hi := float32(q.YLo-q.YZero), float32(q.YHi-q.YZero)
	var tile [16]int32
	for n := 0; n < p.N; n++ {
		for g := 0; g < p.Group; g++ {
			xg := xs[(n*p.C+g*Cg)*p.H*p.W : (n*p.C+g*Cg+Cg)*p.H*p.W]
			for j0 := 0; j0 < npix; j0 += nb {
				jb := min(nb, npix-j0)
				ncols := (jb + 3) &^ 3
				packQCols(p, xg, j0, jb, kg, cols[:ncols/2*kg])
				for s := 0; s < strips; s++ {
					a := w.a[(g*strips+s)*kg*4 : (g*strips+s+1)*kg*4]
					rows := min(4, Mg-s*4)
					m0 := g*Mg + s*4
					for c := 0; c < ncols; c += 4 {
						qgemm4x4(a, cols[c/4*kg*2:(c/4+1)*kg*2], kg, &tile)
						cn := min(4, jb-c)
						for r := 0; r < rows; r++ {
							m := m0 + r
							var b int32
							if q.Bias != nil {
								b = q.Bias[m]
							}
							mult := q.Mult[m]
							orow := y[(n*p.M+m)*npix+j0+c : (n*p.M+m)*npix+j0+c+cn]
							for j := range orow {
								orow[j] = requantOut(tile[r*4+j]+b, mult, lo, hi, q.YScale)
							}
						}
					}
				}
			}
		}
	}
}

// qconvFloat is the float route: Conv on the quantized input as float32
// (exact, see PackedQConv.fl), then the requantizing epilogue in place.
//
// A direct depthwise conv goes by blocks of channels that fit in cache
// (qdwBlock bytes of input and output planes), each block quantized,
// convolved and requantized in turn, so the two extra passes hit cache.
func qconvFloat(p ConvParams, w *PackedQConv, q *QuantParams, x, y []float32, wk *QConvWork, out8 bool) {
	copy(wk.biasAll, q.Bias) // zeros without a bias
	// The vector epilogue adds the bias in float32: exact integers both,
	// so the sum rounds as float32(int32 sum) does.
	biasF := wk.biasF
	for i, b := range wk.biasAll {
		if b < -1<<24 || b > 1<<24 {
			biasF = nil
			break
		}
		biasF[i] = float32(b)
	}
	xlo, xhi := float32(q.XLo-q.XZero), float32(q.XHi-q.XZero)
	hw, npix := p.H*p.W, p.OH*p.OW
	if w.fl.dwDirec {
		g := max(1, qdwBlock/(4*(hw+npix)))
		for n := 0; n < p.N; n++ {
			for c0 := 0; c0 < p.C; c0 += g {
				gc := min(g, p.C-c0)
				pg := p
				pg.N, pg.C, pg.M, pg.Group = 1, gc, gc, gc
				xb := x[(n*p.C+c0)*hw : (n*p.C+c0+gc)*hw]
				xf := wk.xf[:gc*hw]
				yb := y[(n*p.M+c0)*npix : (n*p.M+c0+gc)*npix]
				quantFloats(xb, xf, q.XScale, xlo, xhi, 1)
				depthwise(pg, w.fl.w[c0*p.KH*p.KW:(c0+gc)*p.KH*p.KW], xf, nil, nil, Act{}, yb, wk.scratch)
				var bf []float32
				if biasF != nil {
					bf = biasF[c0 : c0+gc]
				}
				qrequantRows(q, yb, npix, gc, wk.biasAll[c0:c0+gc], bf, q.Mult[c0:c0+gc])
			}
		}
		return
	}
	quantFloats(x, wk.xf, q.XScale, xlo, xhi, 1)
	Conv(p, w.fl, wk.xf, nil, nil, Act{}, y, wk.scratch)
	for n := 0; n < p.N; n++ {
		yn := y[n*p.M*npix : (n+1)*p.M*npix]
		if out8 {
			qrequantRows8(q, yn, bytesOf(y)[n*p.M*npix:], npix, p.M, wk.biasAll, biasF, q.Mult)
		} else {
			qrequantRows(q, yn, npix, p.M, wk.biasAll, biasF, q.Mult)
		}
	}
}

// qdwBlock is the cache block of the float route's depthwise conv.
const qdwBlock = 192 << 10

// qrequantRows requantizes m rows of npix exact integer sums (|v| <= 2²⁴)
// in place; biasF is bias as float32 (nil: keeps off the vector kernel).
func qrequantRows(q *QuantParams, y []float32, npix, m int, bias []int32, biasF, mults []float32) {
	ylo, yhi := float32(q.YLo-q.YZero), float32(q.YHi-q.YZero)
	n4 := 0
	if vecQRequant != nil && biasF != nil {
		n4 = npix &^ 3
	}
	if n4 > 0 {
		vecQRequant(y, n4, npix, m, biasF, mults, ylo, yhi, q.YScale)
	}
	if n4 == npix {
		return
	}
	for i := 0; i < m; i++ {
		b, mult := bias[i], mults[i]
		row := y[i*npix+n4 : (i+1)*npix]
		for j, v := range row {
			row[j] = requantOut(int32(v)+b, mult, ylo, yhi, q.YScale)
		}
	}
}

// qgemm4x4 multiplies a 4-row weight strip a (kg groups of 4) by a 4-column
// strip b (kg groups of two column pairs, lo + hi·2³²) into tile[r*4+c].
func qgemm4x4(a, b []int64, kg int, tile *[16]int32) {
	var c00, c01, c10, c11, c20, c21, c30, c31 int64
	a = a[:kg*4]
	b = b[:kg*2]
	for len(a) >= 4 && len(b) >= 2 {
		b0, b1 := b[0], b[1]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		c30 += a3 * b0
		c31 += a3 * b1
		a, b = a[4:], b[2:]
	}
	split := func(v int64, dst []int32) {
		l := int32(v)
		dst[0] = l
		dst[1] = int32((v - int64(l)) >> 32)
	}
	split(c00, tile[0:2])
	split(c01, tile[2:4])
	split(c10, tile[4:6])
	split(c11, tile[6:8])
	split(c20, tile[8:10])
	split(c21, tile[10:12])
	split(c30, tile[12:14])
	split(c31, tile[14:16])
}

// packQCols packs im2col columns [j0, j0+jb) of one group's quantized
// planes xg into strips of 4 columns: for each k, (c0 + c1·2³², c2 + c3·2³²).
// Taps outside the image, and columns past jb, are 0.
func packQCols(p ConvParams, xg []int32, j0, jb, kg int, dst []int64) {
	ncols := (jb + 3) &^ 3
	hw := p.H * p.W
	khw := p.KH * p.KW
	var vals [4]int64
	plain := p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && p.PT == 0 && p.PL == 0 && p.PB == 0 && p.PR == 0
	for k := 0; k < kg; k++ {
		c, r := k/khw, k%khw
		kh, kw := r/p.KW, r%p.KW
		plane := xg[c*hw : (c+1)*hw]
		for s := 0; s < ncols; s += 4 {
			if plain && s+4 <= jb {
				row := plane[j0+s : j0+s+4]
				dst[(s/4*kg+k)*2] = int64(row[0]) + int64(row[1])<<32
				dst[(s/4*kg+k)*2+1] = int64(row[2]) + int64(row[3])<<32
				continue
			}
			for t := 0; t < 4; t++ {
				vals[t] = 0
				if s+t < jb {
					j := j0 + s + t
					oh, ow := j/p.OW, j%p.OW
					ih := oh*p.SH - p.PT + kh*p.DH
					iw := ow*p.SW - p.PL + kw*p.DW
					if uint(ih) < uint(p.H) && uint(iw) < uint(p.W) {
						vals[t] = int64(plane[ih*p.W+iw])
					}
				}
			}
			dst[(s/4*kg+k)*2] = vals[0] + vals[1]<<32
			dst[(s/4*kg+k)*2+1] = vals[2] + vals[3]<<32
		}
	}
}

// qDepthwise is the direct integer depthwise conv: interior output columns
// of 3×3 windows run without bounds tests, the border per tap.
func qDepthwise(p ConvParams, w []int32, q *QuantParams, xs []int32, y []float32) {
	hw, npix, khw := p.H*p.W, p.OH*p.OW, p.KH*p.KW
	lo, hi := float32(q.YLo-q.YZero), float32(q.YHi-q.YZero)
	// Interior columns: ox*SW-PL >= 0 and ox*SW-PL+(KW-1)*DW < W.
	oxLo := min((p.PL+p.SW-1)/p.SW, p.OW)
	oxHi := oxLo
	if last := p.W - 1 - (p.KW-1)*p.DW + p.PL; last >= 0 {
		oxHi = max(min(last/p.SW+1, p.OW), oxLo)
	}
	fast3 := p.KH == 3 && p.KW == 3 && p.DH == 1 && p.DW == 1
	for n := 0; n < p.N; n++ {
		for c := 0; c < p.C; c++ {
			plane := xs[(n*p.C+c)*hw : (n*p.C+c+1)*hw]
			out := y[(n*p.M+c)*npix : (n*p.M+c+1)*npix]
			wc := w[c*khw : (c+1)*khw]
			var b int32
			if q.Bias != nil {
				b = q.Bias[c]
			}
			mult := q.Mult[c]
			for oy := 0; oy < p.OH; oy++ {
				orow := out[oy*p.OW : (oy+1)*p.OW]
				iy := oy*p.SH - p.PT
				inside := iy >= 0 && iy+(p.KH-1)*p.DH < p.H
				ox := 0
				if inside && fast3 && oxHi > oxLo {
					for ; ox < oxLo; ox++ {
						orow[ox] = requantOut(dwTap(p, plane, wc, oy, ox)+b, mult, lo, hi, q.YScale)
					}
					r0 := plane[iy*p.W : iy*p.W+p.W]
					r1 := plane[(iy+1)*p.W : (iy+1)*p.W+p.W]
					r2 := plane[(iy+2)*p.W : (iy+2)*p.W+p.W]
					w0, w1, w2, w3, w4, w5, w6, w7, w8 := wc[0], wc[1], wc[2], wc[3], wc[4], wc[5], wc[6], wc[7], wc[8]
					s := p.SW
					for ; ox < oxHi; ox++ {
						ix := ox*s - p.PL
						a0 := r0[ix : ix+3 : ix+3]
						a1 := r1[ix : ix+3 : ix+3]
						a2 := r2[ix : ix+3 : ix+3]
						acc := b + w0*a0[0] + w1*a0[1] + w2*a0[2] +
							w3*a1[0] + w4*a1[1] + w5*a1[2] +
							w6*a2[0] + w7*a2[1] + w8*a2[2]
						orow[ox] = requantOut(acc, mult, lo, hi, q.YScale)
					}
				}
				for ; ox < p.OW; ox++ {
					orow[ox] = requantOut(dwTap(p, plane, wc, oy, ox)+b, mult, lo, hi, q.YScale)
				}
			}
		}
	}
}

// dwTap is one depthwise output's sum with per-tap bounds tests.
func dwTap(p ConvParams, plane, wc []int32, oy, ox int) int32 {
	var acc int32
	for kh := 0; kh < p.KH; kh++ {
		ih := oy*p.SH - p.PT + kh*p.DH
		if uint(ih) >= uint(p.H) {
			continue
		}
		for kw := 0; kw < p.KW; kw++ {
			iw := ox*p.SW - p.PL + kw*p.DW
			if uint(iw) < uint(p.W) {
				acc += wc[kh*p.KW+kw] * plane[ih*p.W+iw]
			}
		}
	}
	return acc
}

// QConvRef is the plain reference: a direct loop over every tap (tests).
func QConvRef(p ConvParams, w []int64, wz []int64, q *QuantParams, x, y []float32) {
	xs := make([]int32, p.N*p.C*p.H*p.W)
	quantizeInput(q, x, xs)
	Cg, Mg := p.C/p.Group, p.M/p.Group
	kg := Cg * p.KH * p.KW
	lo, hi := float64(q.YLo-q.YZero), float64(q.YHi-q.YZero)
	for n := 0; n < p.N; n++ {
		for m := 0; m < p.M; m++ {
			g := m / Mg
			zp := int64(0)
			if len(wz) == 1 {
				zp = wz[0]
			} else if len(wz) > 1 {
				zp = wz[m]
			}
			for oy := 0; oy < p.OH; oy++ {
				for ox := 0; ox < p.OW; ox++ {
					var acc int32
					for c := 0; c < Cg; c++ {
						for kh := 0; kh < p.KH; kh++ {
							for kw := 0; kw < p.KW; kw++ {
								ih, iw := oy*p.SH-p.PT+kh*p.DH, ox*p.SW-p.PL+kw*p.DW
								if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
									continue
								}
								xv := xs[((n*p.C+g*Cg+c)*p.H+ih)*p.W+iw]
								acc += int32(w[m*kg+(c*p.KH+kh)*p.KW+kw]-zp) * xv
							}
						}
					}
					if q.Bias != nil {
						acc += q.Bias[m]
					}
					v := float64(float32(acc) * q.Mult[m])
					if v != v {
						v = lo
					}
					v = math.RoundToEven(math.Min(math.Max(v, lo), hi))
					y[((n*p.M+m)*p.OH+oy)*p.OW+ox] = float32(v) * q.YScale
				}
			}
		}
	}
}
