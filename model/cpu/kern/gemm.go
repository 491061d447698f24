package kern

// Register tile of the scalar micro-kernel: mr rows of C (output channels)
// by nr columns (output pixels). Go's wasm backend has 16 float32 registers,
// so 12 accumulators plus one A row and one B value is the largest tile that
// does not spill; 4×3 measured fastest of 4×4, 3×4, 4×3, 2×6 and 5×3 under
// wasm and is on par natively. Output-channel counts are nearly always
// multiples of 4, so mr=4 wastes nothing on M edges.
const (
	mr = 4
	nr = 3
)

// Gemm blocking for the public Gemm: B is packed in gemmKC×gemmNC blocks and
// A one mr×gemmKC strip at a time, both into fixed-size stack buffers so
// Gemm needs neither scratch nor allocation.
const (
	gemmKC = 256
	gemmNC = 32 * nr
)

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, like
// BLAS sgemm: op(A) is m×k, op(B) is k×n, C is m×n. If beta == 0, C's old
// contents are ignored (NaN garbage included).
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k <= 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if beta != 0 && beta != 1 {
		scaleC(m, n, beta, c, ldc)
	}
	if gemmNative(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	gemmScalar(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmScalar is the portable blocked GEMM behind Gemm; C has already been
// scaled by beta (unless beta is 0, in which case the first K block
// overwrites C).
func gemmScalar(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 1 {
		gemv(transA, transB, n, k, alpha, a, lda, b, ldb, beta, c)
		return
	}
	if vecGemm != nil {
		gemmVec(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	var bbuf [gemmKC * gemmNC]float32
	var abuf [gemmKC * mr]float32
	for jc := 0; jc < n; jc += gemmNC {
		nb := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kb := min(gemmKC, k-pc)
			packB(transB, b, ldb, pc, jc, kb, nb, bbuf[:], nr)
			add := pc > 0 || beta != 0
			for ic := 0; ic < m; ic += mr {
				mb := min(mr, m-ic)
				packA(transA, a, lda, ic, pc, mb, kb, alpha, abuf[:])
				macroRow(kb, abuf[:kb*mr], bbuf[:], c[ic*ldc+jc:], ldc, mb, nb, add, nil)
			}
		}
	}
}

// gemv is the m == 1 case (a classifier's fully connected layer at batch 1):
// packing B for a single row would cost more than the multiply and waste
// 3/4 of the 4-row tile, so it streams B once with dot products (B
// transposed, rows contiguous) or row axpys.
func gemv(transA, transB bool, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32) {
	c = c[:n]
	sa := 1
	if transA {
		sa = lda
	}
	if transB && sa == 1 && gemvDots(n, k, alpha, a, b, ldb, beta, c) { // tensor.go
		return
	}
	if transB {
		for j := range c {
			row := b[j*ldb : j*ldb+k]
			var s float32
			if sa == 1 {
				s = dot(a[:k], row)
			} else {
				for p, v := range row {
					s += a[p*sa] * v
				}
			}
			if beta != 0 {
				c[j] += alpha * s
			} else {
				c[j] = alpha * s
			}
		}
		return
	}
	if beta == 0 {
		clear(c)
	}
	for p := 0; p < k; p++ {
		s := alpha * a[p*sa]
		row := b[p*ldb : p*ldb+n]
		row = row[:len(c)] // lets the compiler drop the check on c[j]
		for j, v := range row {
			c[j] += s * v
		}
	}
}

// dot is a 4-way unrolled dot product (four independent sums hide the add
// latency); x and y have equal length.
func dot(x, y []float32) float32 {
	var s0, s1, s2, s3 float32
	y = y[:len(x)]
	for len(x) >= 4 && len(y) >= 4 {
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		s0 += v * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// macroRow multiplies one packed mr×kb A strip by every packed kb×nr strip
// of a B block, writing (or adding, if add) an mb×nb slab of C. bias, if not
// nil, holds mr per-row values the accumulators start from, which fuses the
// conv bias for free.
func macroRow(kb int, ap, bp []float32, c []float32, ldc, mb, nb int, add bool, bias *[mr]float32) {
	var b0, b1, b2, b3 float32
	if bias != nil {
		b0, b1, b2, b3 = bias[0], bias[1], bias[2], bias[3]
	}
	sz := kb * nr
	for j := 0; j < nb; j += nr {
		bs := bp[(j/nr)*sz : (j/nr+1)*sz]
		w := min(nr, nb-j)
		if mb == mr && w == nr {
			kern4x3(ap, bs, c[j:], ldc, add, b0, b1, b2, b3)
			continue
		}
		edgeTile(ap, bs, c[j:], ldc, mb, w, add, b0, b1, b2, b3)
	}
}

// edgeTile handles a partial mb×w tile at the M or N edge: it computes a
// full tile into a temporary and writes (or adds) only the valid part.
func edgeTile(ap, bs []float32, c []float32, ldc, mb, w int, add bool, b0, b1, b2, b3 float32) {
	var t [mr * nr]float32
	kern4x3(ap, bs, t[:], nr, false, b0, b1, b2, b3)
	for i := 0; i < mb; i++ {
		row := c[i*ldc : i*ldc+w]
		tr := t[i*nr : i*nr+w]
		if add {
			for q, v := range tr {
				row[q] += v
			}
		} else {
			copy(row, tr)
		}
	}
}

// kern4x3 is the register-blocked micro-kernel: C[4×3] = bias + A·B (or
// C += bias + A·B if add) where ap holds k groups of 4 A values (one per
// row), bp k groups of 3 B values (one per column) and b0..b3 are per-row
// biases. The loop is written as reslicing under a length guard
// so the compiler removes every bounds check from it (verified with
// -gcflags=-d=ssa/check_bce); under wasm bounds checks otherwise dominate.
func kern4x3(ap, bp []float32, c []float32, ldc int, add bool, b0, b1, b2, b3 float32) {
	c00, c01, c02 := b0, b0, b0
	c10, c11, c12 := b1, b1, b1
	c20, c21, c22 := b2, b2, b2
	c30, c31, c32 := b3, b3, b3
	for len(ap) >= 4 && len(bp) >= 3 {
		b0, b1, b2 := bp[0], bp[1], bp[2]
		a := ap[0]
		c00 += a * b0
		c01 += a * b1
		c02 += a * b2
		a = ap[1]
		c10 += a * b0
		c11 += a * b1
		c12 += a * b2
		a = ap[2]
		c20 += a * b0
		c21 += a * b1
		c22 += a * b2
		a = ap[3]
		c30 += a * b0
		c31 += a * b1
		c32 += a * b2
		ap = ap[4:]
		bp = bp[3:]
	}
	r0 := c[:3:3]
	r1 := c[ldc : ldc+3 : ldc+3]
	r2 := c[2*ldc : 2*ldc+3 : 2*ldc+3]
	r3 := c[3*ldc : 3*ldc+3 : 3*ldc+3]
	if add {
		c00 += r0[0]
		c01 += r0[1]
		c02 += r0[2]
		c10 += r1[0]
		c11 += r1[1]
		c12 += r1[2]
		c20 += r2[0]
		c21 += r2[1]
		c22 += r2[2]
		c30 += r3[0]
		c31 += r3[1]
		c32 += r3[2]
	}
	r0[0], r0[1], r0[2] = c00, c01, c02
	r1[0], r1[1], r1[2] = c10, c11, c12
	r2[0], r2[1], r2[2] = c20, c21, c22
	r3[0], r3[1], r3[2] = c30, c31, c32
}

// packA copies rows [ic, ic+mb) × cols [pc, pc+kb) of alpha*op(A) into dst
// as kb groups of mr values, zero-padding rows past mb, so the micro-kernel
// reads A sequentially.
func packA(trans bool, a []float32, lda, ic, pc, mb, kb int, alpha float32, dst []float32) {
	dst = dst[:kb*mr]
	for i := 0; i < mr; i++ {
		if i >= mb {
			for p := 0; p < kb; p++ {
				dst[p*mr+i] = 0
			}
			continue
		}
		if !trans { // op(A)[i][p] = a[(ic+i)*lda + pc+p]
			src := a[(ic+i)*lda+pc : (ic+i)*lda+pc+kb]
			for p, v := range src {
				dst[p*mr+i] = alpha * v
			}
		} else { // op(A)[i][p] = a[(pc+p)*lda + ic+i]
			for p := 0; p < kb; p++ {
				dst[p*mr+i] = alpha * a[(pc+p)*lda+ic+i]
			}
		}
	}
}

// packB copies rows [pc, pc+kb) × cols [jc, jc+nb) of op(B) into dst as
// ceil(nb/w) strips of kb groups of w values (w = nr, or VecNR for the
// vector kernel), zero-padding the last strip.
func packB(trans bool, b []float32, ldb, pc, jc, kb, nb int, dst []float32, w int) {
	sz := kb * w
	for j := 0; j < nb; j += w {
		s := dst[(j/w)*sz : (j/w+1)*sz]
		cols := min(w, nb-j)
		for q := 0; q < w; q++ {
			if q >= cols {
				for p := 0; p < kb; p++ {
					s[p*w+q] = 0
				}
				continue
			}
			col := jc + j + q
			if !trans { // op(B)[p][col] = b[(pc+p)*ldb + col]
				for p := 0; p < kb; p++ {
					s[p*w+q] = b[(pc+p)*ldb+col]
				}
			} else { // op(B)[p][col] = b[col*ldb + pc+p]
				src := b[col*ldb+pc : col*ldb+pc+kb]
				for p, v := range src {
					s[p*w+q] = v
				}
			}
		}
	}
}

// scaleC sets C = beta*C, writing zeros (not 0*NaN) when beta is 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// checkGemm panics early with a clear message on inconsistent arguments,
// rather than with an index error deep inside a kernel.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if k > 0 && (lda < ac || len(a) < (ar-1)*lda+ac) {
		panic("kern: Gemm: A too short or lda too small")
	}
	if k > 0 && (ldb < bc || len(b) < (br-1)*ldb+bc) {
		panic("kern: Gemm: B too short or ldb too small")
	}
	if ldc < n || len(c) < (m-1)*ldc+n {
		panic("kern: Gemm: C too short or ldc too small")
	}
}
