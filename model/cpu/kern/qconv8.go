package kern

import "unsafe"

// Quantized bytes between quantized convs. When a QConv's only reader is
// another QConv whose input scale and zero point are its output's, the
// first can write its output as the quantized values themselves (uint8 or
// int8, one byte each, in the first quarter of the float32 tensor's
// memory) and the second read them (SetQ8). Dequantizing to float32 and
// quantizing back gives the same integers (|q−zp| ≤ 255, so q·s/s
// rounds back to q), so the results are the same bit for bit, while the
// tensor between the two convs moves a quarter of the bytes and the
// second conv skips the division by the scale. model/cpu decides where
// (handoff.go); the vector kernels do the work where Q8OK says so, and
// every other path converts (qconvQ8), so a program stays right whichever
// kernels are installed when it runs.

// QPack8Kernel is QPackKernel on quantized bytes: x holds k planes of
// uint8 (int8 when signed) values, plane p at x[p*ld:]; it packs x − zp.
type QPack8Kernel func(x []byte, ld, k, strips int, zp int32, signed bool, dst []int16)

// QGemm8Kernel is QGemmKernel writing quantized bytes: y[i*ldy+j] is the
// low byte of roundEven(clamp(float32(acc)·mult[i], lo, hi)) + zp.
type QGemm8Kernel func(a, b []int16, kb, mb, nb int, y []byte, ldy int, bias []int32, mult []float32, lo, hi float32, zp int32, tmp []float32)

// QDW8Kernel is QDWKernel with either side in quantized bytes: with x8
// non-nil the input is x8's uint8 (int8 when xsigned) values less xzp
// instead of x quantized; with y8 non-nil the output is written there as
// bytes (q + yzp, as QGemm8Kernel) instead of y.
type QDW8Kernel func(p ConvParams, x []float32, x8 []byte, xsigned bool, xzp int32, y []float32, y8 []byte, yzp int32,
	w, bias []int32, mult []float32, pad []int16, wr int, xscale, xlo, xhi, lo, hi, ys float32, tmp []float32)

// QRequant8Kernel is QRequantKernel writing quantized bytes: the value
// for y[i*ldy+j] goes to y8[i*ldy+j] as QGemm8Kernel writes it. y8 may
// start where y does (each byte lands at or before the float it comes
// from, read already).
type QRequant8Kernel func(y []float32, y8 []byte, n, ldy, m int, bias []float32, mult []float32, lo, hi float32, zp int32)

var (
	vecQPack8    QPack8Kernel
	vecQGemm8    QGemm8Kernel
	vecQDW8      QDW8Kernel
	vecQRequant8 QRequant8Kernel
)

// SetQ8 sets whether QConv reads its input (in) and writes its output
// (out) as quantized bytes instead of float32 (see above). The caller
// keeps the tensors' readers in agreement.
func (wk *QConvWork) SetQ8(in, out bool) { wk.in8, wk.out8 = in, out }

// Q8 reports SetQ8's setting.
func (wk *QConvWork) Q8() (in, out bool) { return wk.in8, wk.out8 }

// Q8OK reports whether QConv runs w on vector kernels that read (in) and
// write (out) quantized bytes themselves, where SetQ8 pays: the 1×1 and
// 3×3 depthwise kernels both, the other convs (qconvIm2col, the float
// route) their output.
func (w *PackedQConv) Q8OK() (in, out bool) {
	switch w.path() {
	case qPath1x1:
		ok := vecQGemm8 != nil && vecQPack8 != nil
		return ok, ok
	case qPathDW:
		return vecQDW8 != nil, vecQDW8 != nil
	case qPathIm2col:
		return false, vecQGemm8 != nil
	case qPathFloat:
		return false, vecQRequant8 != nil && !w.fl.dwDirec
	}
	return false, false
}

// bytesOf is f's memory as bytes.
func bytesOf(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

// q8Value is a quantized byte as its type's integer.
func q8Value(b byte, signed bool) int32 {
	if signed {
		return int32(int8(b))
	}
	return int32(b)
}

// qconvQ8 is QConv with bytes on either side: on the vector kernels that
// take them, or converting around qconvAny.
func qconvQ8(p ConvParams, w *PackedQConv, q *QuantParams, x, y []float32, wk *QConvWork) {
	if in, out := w.Q8OK(); (in || !wk.in8) && (out || !wk.out8) && qconvOn(w.path(), p, w, q, x, y, wk, wk.in8, wk.out8) {
		return
	}
	if wk.in8 {
		n := p.N * p.C * p.H * p.W
		if len(wk.x8f) < n {
			wk.x8f = make([]float32, n)
		}
		xf, xb, signed := wk.x8f[:n], bytesOf(x), q.XLo < 0
		for i := range xf {
			xf[i] = float32(q8Value(xb[i], signed)-q.XZero) * q.XScale
		}
		x = xf
	}
	qconvAny(p, w, q, x, y, wk)
	if wk.out8 {
		// In place: byte i lands at or before float i's first byte, which
		// was read already.
		n := p.N * p.M * p.OH * p.OW
		yb := bytesOf(y)
		for i, v := range y[:n] {
			yb[i] = byte(int32(roundEven(v/q.YScale)) + q.YZero)
		}
	}
}

// qrequantRows8 is qrequantRows writing quantized bytes to y8 (which may
// start where y does, see QRequant8Kernel).
func qrequantRows8(q *QuantParams, y []float32, y8 []byte, npix, m int, bias []int32, biasF, mults []float32) {
	ylo, yhi := float32(q.YLo-q.YZero), float32(q.YHi-q.YZero)
	if vecQRequant8 != nil && biasF != nil && npix%4 == 0 {
		vecQRequant8(y, y8, npix, npix, m, biasF, mults, ylo, yhi, q.YZero)
		return
	}
	for i := 0; i < m; i++ {
		b, mult := bias[i], mults[i]
		for j, v := range y[i*npix : (i+1)*npix] {
			y8[i*npix+j] = byte(int32(roundEven(clampf(float32(int32(v)+b)*mult, ylo, yhi))) + q.YZero)
		}
	}
}
