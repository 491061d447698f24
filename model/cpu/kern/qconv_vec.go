package kern

// The quantized conv's vector-kernel hook: under js/wasm wasm/simd installs
// the qkernels.wasm kernels (i32x4.dot_i16x8_s) with SetQVecKernels, and
// 1×1 convs (stride 1, no padding, one group, an even number of input
// channels) run on them: qpack quantizes the input planes into int16 pair
// strips, qgemm multiplies and requantizes. Natively, or without SIMD,
// QConv keeps its Go paths. The results are the same bit for bit.

// QPackKernel quantizes k planes of x (plane p at x[p*ld:], k even) as
// quantizeInput does, less the zero point, into strips full strips of 8
// columns: strip s, pair t at dst[(s*k/2+t)*16:], columns 0–3 as
// (x'[2t][8s+c], x'[2t+1][8s+c]) pairs, then columns 4–7. lo and hi are
// the quantized range less the zero point. The caller checked lengths.
type QPackKernel func(x []float32, ld, k, strips int, scale, lo, hi float32, dst []int16)

// QGemmKernel computes, for i < mb and j < nb,
//
//	y[i*ldy+j] = round(clamp(float32(Σ_p a[i][p]·b[p][j] + bias[i])·mult[i], lo, hi))·ys
//
// (requantOut), with a in ceil(mb/4) strips of kb/2 groups of 4 rows' int16
// pairs (PackedQConv.a16), b in ceil(nb/8) strips of QPackKernel's layout
// (zero past nb), bias and mult holding ceil(mb/4)*4 values, tmp 8 floats.
// kb is even. The caller checked lengths.
type QGemmKernel func(a, b []int16, kb, mb, nb int, y []float32, ldy int, bias []int32, mult []float32, lo, hi, ys float32, tmp []float32)

// QQuantKernel is, for n elements (a multiple of 4),
// dst[i] = quantOne(x[i], scale, lo, hi)·out: QuantizeLinear less the zero
// point as a float (out = 1) or QuantizeLinear then DequantizeLinear
// (out = scale). dst may be x.
type QQuantKernel func(x, dst []float32, n int, scale, lo, hi, out float32)

// QRequantKernel is the float route's epilogue in place: for rows i < m
// and j < n (a multiple of 4), y[i*ldy+j] = requantOut(int32(y[i*ldy+j]) +
// int32(bias[i]), mult[i], lo, hi, ys), where y holds integers of
// magnitude at most 2²⁴ and bias integers of magnitude at most 2²⁴, so
// float32 addition rounds the sum as float32(int32 sum) does.
type QRequantKernel func(y []float32, n, ldy, m int, bias []float32, mult []float32, lo, hi, ys float32)

// QDWKernel is the quantized 3×3 depthwise conv (stride 1 or 2, W >= 4)
// of one image: x [C,H,W] into y [C,OH,OW], as QConv computes it (w: the
// weights less their zero point, [C][9]; bias: C values, zeros without
// one). pad is a zeroed int16 plane of rows of wr values (qdwGeom) plus 32
// spare values; the kernel writes only the input's cells (row PT, column
// PL on; under stride 2 a row's even columns in its first wr/2 values and
// its odd ones in the rest), so it stays zero around them. lo, hi are the output range less
// its zero point; tmp is 8 floats. The caller checked lengths.
type QDWKernel func(p ConvParams, x, y []float32, w, bias []int32, mult []float32, pad []int16, wr int,
	xscale, xlo, xhi, lo, hi, ys float32, tmp []float32)

// QPackStripsKernel is QPackKernel reading im2col's strips
// (Im2colKernel's layout) instead of planes: strip s, row p at
// x[s*sstride+p*8:], 8 values. The caller checked lengths.
type QPackStripsKernel func(x []float32, k, strips, sstride int, scale, lo, hi float32, dst []int16)

// QVecKernels are the quantized ops' vector kernels; nil fields keep the
// Go paths (Pack and Gemm go together).
type QVecKernels struct {
	Pack    QPackKernel
	Gemm    QGemmKernel
	Quant   QQuantKernel
	Requant QRequantKernel
	DW      QDWKernel
	// The same on quantized bytes (qconv8.go): Pack8 and Gemm8 go with
	// Pack and Gemm, DW8 stands alone.
	Pack8    QPack8Kernel
	Gemm8    QGemm8Kernel
	DW8      QDW8Kernel
	Requant8 QRequant8Kernel
	// PackStrips, with Gemm and the float Im2colKernel, runs the other
	// one-group convs (qconvIm2col).
	PackStrips QPackStripsKernel
}

var (
	vecQPack    QPackKernel
	vecQGemm    QGemmKernel
	vecQQuant   QQuantKernel
	vecQRequant QRequantKernel
	vecQDW      QDWKernel
)

// SetQVecKernels installs k (the zero value restores the Go paths). Not
// safe to call while kernels run.
func SetQVecKernels(k QVecKernels) {
	vecQPack, vecQGemm, vecQQuant, vecQRequant, vecQDW = k.Pack, k.Gemm, k.Quant, k.Requant, k.DW
	vecQPack8, vecQGemm8, vecQDW8, vecQRequant8 = k.Pack8, k.Gemm8, k.DW8, k.Requant8
	vecQPackS = k.PackStrips
	if vecQRequant == nil {
		vecQRequant8 = nil
	}
	if k.Pack == nil || k.Gemm == nil {
		vecQPack, vecQGemm = nil, nil
	}
	if vecQGemm == nil || k.Pack8 == nil || k.Gemm8 == nil {
		vecQPack8, vecQGemm8 = nil, nil
	}
	if vecQGemm == nil {
		vecQPackS = nil
	}
}

// QuantDequant writes DequantizeLinear(QuantizeLinear(x)) per tensor into
// dst (which may be x): nearest(clamp(x/scale, lo−zp, hi−zp))·scale, NaN
// giving the low bound, bit for bit the two ops' result.
func QuantDequant(x, dst []float32, scale float32, lo, hi int32) {
	quantFloats(x, dst[:len(x)], scale, float32(lo), float32(hi), scale)
}

// quantFloats is QQuantKernel's contract, on the vector kernel when one is
// installed.
func quantFloats(x, dst []float32, s, lo, hi, out float32) {
	n4 := len(x) &^ 3
	if vecQQuant != nil && n4 > 0 {
		vecQQuant(x, dst, n4, s, lo, hi, out)
		x, dst = x[n4:], dst[n4:]
	}
	for i, v := range x {
		dst[i] = quantOne(v, s, lo, hi) * out
	}
}

// isQ1x1 reports a conv the vector kernels take.
func isQ1x1(p ConvParams) bool {
	return p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && p.PT == 0 && p.PL == 0 &&
		p.PB == 0 && p.PR == 0 && p.Group == 1 && p.C%2 == 0 && p.C > 0
}

// packQ16 packs weights less their zero point (wf, exact small integers,
// [M][C]) into qgemm's strips of int16 pairs.
func packQ16(p ConvParams, w []int64, zp func(int) int64) []int16 {
	return packQ16K(p.M, p.C, p.C, w, zp)
}

// packQ16K is packQ16 for weights [M][k], padded with zero weights to
// kpad (even) rows of the reduction.
func packQ16K(m, k, kpad int, w []int64, zp func(int) int64) []int16 {
	strips, kp := (m+3)/4, kpad/2
	a := make([]int16, strips*kp*8)
	for i := 0; i < m; i++ {
		s, r := i/4, i%4
		for j := 0; j < k; j++ {
			a[((s*kp+j/2)*4+r)*2+j%2] = int16(w[i*k+j] - zp(i))
		}
	}
	return a
}

// qvecBlock is qgemm's column block: a multiple of 8 columns, about 96 KB
// of packed B.
func qvecBlock(c int) int {
	return max(8, (49152/max(c, 1))&^7)
}

// qconvVec is QConv on the vector kernels (w.a16 set, both installed).
func qconvVec(p ConvParams, w *PackedQConv, q *QuantParams, x, y []float32, wk *QConvWork, in8, out8 bool) {
	npix := p.OH * p.OW
	full, strips, kp := npix/8, (npix+7)/8, p.C/2
	b16 := wk.b16[:strips*kp*16]
	xlo, xhi := float32(q.XLo-q.XZero), float32(q.XHi-q.XZero)
	ylo, yhi := float32(q.YLo-q.YZero), float32(q.YHi-q.YZero)
	nbBlk := qvecBlock(p.C)
	m4 := (p.M + 3) &^ 3
	bias, mult := wk.bias[:m4], wk.mult[:m4]
	copy(bias, q.Bias)
	copy(mult, q.Mult)
	xb, yb, signed := bytesOf(x), bytesOf(y), q.XLo < 0
	for n := 0; n < p.N; n++ {
		xn := x[n*p.C*npix : (n+1)*p.C*npix]
		if in8 {
			qpack8Go(xb[n*p.C*npix:(n+1)*p.C*npix], npix, p.C, full, q.XZero, signed, b16)
		}
		if full > 0 && !in8 {
			vecQPack(xn, npix, p.C, full, q.XScale, xlo, xhi, b16)
		}
		if rem := npix - full*8; rem > 0 && !in8 {
			packLastStrip(b16, p.C, full, rem, func(pl, j int) int16 {
				return int16(quantOne(xn[pl*npix+j], q.XScale, xlo, xhi))
			})
		}
		yn := y[n*p.M*npix : (n+1)*p.M*npix]
		for j0 := 0; j0 < npix; j0 += nbBlk {
			nb := min(nbBlk, npix-j0)
			if out8 {
				vecQGemm8(w.a16, b16[j0/8*kp*16:], p.C, p.M, nb, yb[n*p.M*npix+j0:], npix, bias, mult, ylo, yhi, q.YZero, wk.tmp[:])
			} else {
				vecQGemm(w.a16, b16[j0/8*kp*16:], p.C, p.M, nb, yn[j0:], npix, bias, mult, ylo, yhi, q.YScale, wk.tmp[:])
			}
		}
	}
}

// quantOne is quantizeInput's operation on one value (clampf: under wasm
// the min/max builtins are runtime calls).
func quantOne(v, s, lo, hi float32) float32 {
	v /= s
	if v != v {
		v = lo
	}
	return roundEven(clampf(v, lo, hi))
}

// isQDW3 reports a depthwise conv the vector depthwise kernel takes: 3×3,
// stride 1 or 2 both ways, no dilation, rows at least 4 wide.
func isQDW3(p ConvParams) bool {
	return isQDepthwise(p) && p.KH == 3 && p.KW == 3 && p.DH == 1 && p.DW == 1 &&
		p.SH == p.SW && (p.SH == 1 || p.SH == 2) && p.W >= 4
}

// qdwGeom is the vector depthwise kernel's padded plane: rows of wr int16
// and the buffer's length (hr rows, 32 spare for over-reads).
func qdwGeom(p ConvParams) (wr, n int) {
	s := p.SH
	wr = max((p.OW-1)*s+3, p.PL+p.W)
	if s == 2 { // rows split into even and odd halves of wr/2
		wr += wr & 1
	}
	hr := max((p.OH-1)*s+3, p.PT+p.H)
	return wr, hr*wr + 32
}

// qconvDW is QConv's depthwise conv on vecQDW (w.dw16 set).
func qconvDW(p ConvParams, w *PackedQConv, q *QuantParams, x, y []float32, wk *QConvWork, in8, out8 bool) {
	wr, n := qdwGeom(p)
	if len(wk.pad16) < n {
		wk.pad16 = make([]int16, n)
	}
	bias := q.Bias
	if bias == nil {
		if len(wk.dwZero) < p.C {
			wk.dwZero = make([]int32, p.C)
		}
		bias = wk.dwZero[:p.C]
	}
	xlo, xhi := float32(q.XLo-q.XZero), float32(q.XHi-q.XZero)
	ylo, yhi := float32(q.YLo-q.YZero), float32(q.YHi-q.YZero)
	hw, npix := p.C*p.H*p.W, p.M*p.OH*p.OW
	xb, yb := bytesOf(x), bytesOf(y)
	for i := 0; i < p.N; i++ {
		xi, yi := x[i*hw:(i+1)*hw], y[i*npix:(i+1)*npix]
		if !in8 && !out8 {
			vecQDW(p, xi, yi, w.dw, bias, q.Mult, wk.pad16[:n], wr, q.XScale, xlo, xhi, ylo, yhi, q.YScale, wk.tmp[:])
			continue
		}
		var x8, y8 []byte
		if in8 {
			x8 = xb[i*hw : (i+1)*hw]
		}
		if out8 {
			y8 = yb[i*npix : (i+1)*npix]
		}
		vecQDW8(p, xi, x8, q.XLo < 0, q.XZero, yi, y8, q.YZero, w.dw, bias, q.Mult, wk.pad16[:n], wr,
			q.XScale, xlo, xhi, ylo, yhi, q.YScale, wk.tmp[:])
	}
}

// qpack8Go packs a 1×1 conv's input of quantized bytes (k planes of npix,
// less zp) as QPackKernel lays it out: the full strips on vecQPack8, the
// last partial one here.
func qpack8Go(x []byte, npix, k, full int, zp int32, signed bool, b16 []int16) {
	if full > 0 {
		vecQPack8(x, npix, k, full, zp, signed, b16)
	}
	if rem := npix - full*8; rem > 0 {
		packLastStrip(b16, k, full, rem, func(pl, j int) int16 {
			return int16(q8Value(x[pl*npix+j], signed) - zp)
		})
	}
}

var vecQPackS QPackStripsKernel

// isQIm2col reports a conv qconvIm2col takes: one group, not a 1×1 conv
// the plain vector path takes, not depthwise.
func isQIm2col(p ConvParams) bool {
	return p.Group == 1 && !isQ1x1(p) && !isQDepthwise(p)
}

// qim2colOK reports whether the kernels qconvIm2col needs are installed
// (im2col has a Go path: natively the float convs use it too).
func qim2colOK() bool { return vecQGemm != nil && vecQPackS != nil }

// qim2colBlock is qconvIm2col's column block: a multiple of 8 columns,
// about 96 KB of packed int16 pairs.
func qim2colBlock(kpad, npix int) int {
	return min(max(8, (49152/max(kpad, 1))&^7), (npix+7)&^7)
}

// qconvIm2col is QConv on the vector kernels for other one-group convs
// (w.im16 set, qim2colOK): the input quantized less its zero point as
// float32 integers, the float im2col in column blocks, packed into int16
// pairs (scale 1: exact), qgemm with the weights padded to an even depth.
// out8 writes quantized bytes (qconv8.go).
func qconvIm2col(p ConvParams, w *PackedQConv, q *QuantParams, x, y []float32, wk *QConvWork, out8 bool) {
	xlo, xhi := float32(q.XLo-q.XZero), float32(q.XHi-q.XZero)
	ylo, yhi := float32(q.YLo-q.YZero), float32(q.YHi-q.YZero)
	hw, npix, kg := p.C*p.H*p.W, p.OH*p.OW, w.kg
	nbBlk := qim2colBlock(w.kpad, npix)
	m4 := (p.M + 3) &^ 3
	bias, mult := wk.bias[:m4], wk.mult[:m4]
	copy(bias, q.Bias)
	copy(mult, q.Mult)
	quantFloats(x, wk.xf[:len(x)], q.XScale, xlo, xhi, 1)
	yb := bytesOf(y)
	for n := 0; n < p.N; n++ {
		xn := wk.xf[n*hw : (n+1)*hw]
		for j0 := 0; j0 < npix; j0 += nbBlk {
			nb := min(nbBlk, npix-j0)
			strips := (nb + 7) / 8
			im2colVec(p, xn, j0, nb, kg, wk.colF)
			vecQPackS(wk.colF, w.kpad, strips, kg*8, 1, xlo, xhi, wk.b16)
			if out8 {
				vecQGemm8(w.im16, wk.b16, w.kpad, p.M, nb, yb[n*p.M*npix+j0:], npix, bias, mult, ylo, yhi, q.YZero, wk.tmp[:])
			} else {
				vecQGemm(w.im16, wk.b16, w.kpad, p.M, nb, y[n*p.M*npix+j0:], npix, bias, mult, ylo, yhi, q.YScale, wk.tmp[:])
			}
		}
	}
}

// packLastStrip writes the last, partial strip of QPackKernel's layout:
// rem (< 8) columns from column full·8 on of k planes, v(plane, column)
// giving each value, zeros past them.
func packLastStrip(b16 []int16, k, full, rem int, v func(plane, j int) int16) {
	kp := k / 2
	st := b16[full*kp*16 : (full+1)*kp*16]
	for t := 0; t < kp; t++ {
		g := st[t*16 : t*16+16]
		for c := 0; c < 8; c++ {
			var v0, v1 int16
			if c < rem {
				v0, v1 = v(2*t, full*8+c), v(2*t+1, full*8+c)
			}
			g[(c/4)*8+(c%4)*2], g[(c/4)*8+(c%4)*2+1] = v0, v1
		}
	}
}
