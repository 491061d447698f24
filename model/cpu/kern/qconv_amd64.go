//go:build amd64 && !purego

package kern

// The quantized conv's vector kernels natively (qconv_amd64.s), the
// QVecKernels hooks the browser fills from wasm/simd's qkernels.wasm:
// int16 pairs multiplied and added pairwise into int32 with VPMADDWD (the
// sums exact, as kern's integer path forms them), then the requantizing
// epilogue in float32 with kern's own operations and roundings, so the
// outputs are QConv's integer path's bit for bit.

//go:noescape
func qgemmTiles(kp int, a, b *int16, stripB uintptr, c *float32, ldc uintptr, bias *int32, mult *float32, lo, hi, ys float32, ntiles int)

//go:noescape
func qpackRows(x *float32, ld uintptr, kp, strips int, dst *int16, scale, lo, hi float32)

//go:noescape
func qquantAVX2(x, dst *float32, n int, scale, lo, hi, out float32)

//go:noescape
func qrequantRow(y *float32, n int, bias, mult, lo, hi, ys float32)

// qvecAVX2 are the AVX2 quantized kernels (installed by qvec_amd64.go).
var qvecAVX2 = QVecKernels{Pack: qpackAVX2, Gemm: qgemmAVX2, Quant: qquantVec, Requant: qrequantVec, DW: qdwAVX2,
	PackStrips: qpackStripsAVX2}

// qpackAVX2 is the QPackKernel.
func qpackAVX2(x []float32, ld, k, strips int, scale, lo, hi float32, dst []int16) {
	if k <= 0 || strips <= 0 {
		return
	}
	if k%2 != 0 || ld < strips*8 || len(x) < (k-1)*ld+strips*8 || len(dst) < strips*k*8 {
		panic("kern: qpackAVX2: bad arguments")
	}
	qpackRows(&x[0], uintptr(ld*4), k/2, strips, &dst[0], scale, lo, hi)
}

// qgemmAVX2 is the QGemmKernel: whole 4-row strips and whole 8-column
// strips go straight to qgemmTiles; a last strip of fewer rows (the packed
// weights and bias are zero past mb) or fewer columns (the packed input is
// zero past nb) goes through a small tile.
func qgemmAVX2(a, b []int16, kb, mb, nb int, y []float32, ldy int, bias []int32, mult []float32, lo, hi, ys float32, tmp []float32) {
	if mb <= 0 || nb <= 0 || kb < 2 {
		if mb > 0 && nb > 0 {
			panic("kern: qgemmAVX2: bad arguments")
		}
		return
	}
	kp := kb / 2
	m4, s8 := (mb+3)/4*4, (nb+7)/8
	if kb%2 != 0 || len(a) < m4*kb || len(b) < s8*8*kb || ldy < nb || len(y) < (mb-1)*ldy+nb ||
		len(bias) < m4 || len(mult) < m4 {
		panic("kern: qgemmAVX2: bad arguments")
	}
	full := nb / 8
	stripB := uintptr(kp * 32)
	var t [32]float32
	for i := 0; i < mb; i += 4 {
		rows := min(4, mb-i)
		ap := &a[(i/4)*kp*8]
		s0 := full
		if rows == 4 && full > 0 {
			qgemmTiles(kp, ap, &b[0], stripB, &y[i*ldy], uintptr(ldy*4), &bias[i], &mult[i], lo, hi, ys, full)
		} else if rows < 4 {
			s0 = 0
		}
		for s := s0; s < s8; s++ {
			qgemmTiles(kp, ap, &b[s*kp*16], 0, &t[0], 32, &bias[i], &mult[i], lo, hi, ys, 1)
			w := min(8, nb-s*8)
			for r := 0; r < rows; r++ {
				o := (i+r)*ldy + s*8
				copy(y[o:o+w], t[r*8:r*8+w])
			}
		}
	}
}

// qquantVec is the QQuantKernel.
func qquantVec(x, dst []float32, n int, scale, lo, hi, out float32) {
	if n <= 0 {
		return
	}
	if n%4 != 0 || len(x) < n || len(dst) < n {
		panic("kern: qquantVec: bad arguments")
	}
	qquantAVX2(&x[0], &dst[0], n, scale, lo, hi, out)
}

// qrequantVec is the QRequantKernel.
func qrequantVec(y []float32, n, ldy, m int, bias []float32, mult []float32, lo, hi, ys float32) {
	if n <= 0 || m <= 0 {
		return
	}
	if n%4 != 0 || n > ldy || len(y) < (m-1)*ldy+n || len(bias) < m || len(mult) < m {
		panic("kern: qrequantVec: bad arguments")
	}
	for i := 0; i < m; i++ {
		qrequantRow(&y[i*ldy], n, bias[i], mult[i], lo, hi, ys)
	}
}

// qpackStripsAVX2 is the QPackStripsKernel: qpackRows on one strip at a
// time (a strip's rows are 8 floats apart).
func qpackStripsAVX2(x []float32, k, strips, sstride int, scale, lo, hi float32, dst []int16) {
	if k <= 0 || strips <= 0 {
		return
	}
	if k%2 != 0 || sstride < 8 || len(x) < (strips-1)*sstride+k*8 || len(dst) < strips*k*8 {
		panic("kern: qpackStripsAVX2: bad arguments")
	}
	kp := k / 2
	for s := 0; s < strips; s++ {
		qpackRows(&x[s*sstride], 32, kp, 1, &dst[s*kp*16], scale, lo, hi)
	}
}
