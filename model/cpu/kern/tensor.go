package kern

import "math"

// Row kernels for the normalising ops over a contiguous last axis: Softmax,
// LayerNormalization and the trailing-axes reductions (ReduceMean/Sum).
// Each works on rows of n contiguous floats. Under wasm with SIMD the bulk
// goes to a vector kernel (wasm/simd's tensor.wasm, installed with
// SetTensorKernels); the Go code here computes exactly the same float32
// operations in the same order, so a row gives bitwise the same result on
// either path:
//
//   - sums run in 4 lane accumulators, lane l taking elements 4q+l; when n
//     is not a multiple of 4, the last 4 elements [n-4, n) are taken as one
//     more chunk with the lanes already summed masked to +0 (the vector
//     kernel's overlapping tail); the lanes combine as (s0+s2)+(s1+s3);
//   - exp is expPoly (Cephes' expf, act_poly.go), the SIMD exp of ops.wasm.
//
// Rows shorter than 4 always take the Go path.

// TensorKernels are the vector row kernels; a nil field keeps the Go path.
// Each is called only with n >= 4 and slices the caller has checked.
type TensorKernels struct {
	// Softmax: dst row r = softmax(src row r), rows rows of n floats.
	Softmax func(dst, src []float32, rows, n int)
	// LayerNorm: dst row = (x-mean)*inv*scale + bias, inv =
	// 1/sqrt(var+eps); mean and inv (rows floats each) may be nil.
	LayerNorm func(dst, src, scale, bias []float32, rows, n int, eps float32, mean, inv []float32)
	// RowSum: dst[r] = sum(src row r) / div.
	RowSum func(dst, src []float32, rows, n int, div float32)
	// Dots: c[j] = dot(x, b[j*ldb:][:k]) for j < rows as dot() sums
	// (bitwise), or, with add, c[j] += that.
	Dots func(c, x, b []float32, rows, k, ldb int, add bool)
	// Binary: z = x op y (op 0 add, 1 sub, 2 mul, 3 div) over rows rows
	// of n floats; xRep (yRep) says x (y) is one row, repeated.
	Binary func(op int, z, x, y []float32, rows, n int, xRep, yRep bool)
}

// Binary ops of BinaryRows.
const (
	BinAdd = iota
	BinSub
	BinMul
	BinDiv
)

// binaryMin is the shortest row BinaryRows hands to the vector kernel:
// below it the JS call costs more than Go's loop.
const binaryMin = 16

// BinaryRows computes z = x op y over rows rows of n floats on the vector
// kernel, x (y) advancing a row per row or, with xRep (yRep), one row
// repeated; it reports whether it ran (false: no vector kernel, or rows
// too short to be worth it), leaving the work to the caller. Each element
// is one float32 operation, so the results are the caller's loops'.
func BinaryRows(op int, z, x, y []float32, rows, n int, xRep, yRep bool) bool {
	if vecTensor.Binary == nil || n < binaryMin || rows <= 0 || op < BinAdd || op > BinDiv {
		return false
	}
	span := func(rep bool) int {
		if rep {
			return n
		}
		return rows * n
	}
	if len(z) < rows*n || len(x) < span(xRep) || len(y) < span(yRep) {
		panic("kern: BinaryRows: slice too short")
	}
	vecTensor.Binary(op, z, x, y, rows, n, xRep, yRep)
	return true
}

// gemvDots is gemv's transposed-B case on the vector kernel when alpha is
// 1 and A is contiguous (a classifier's fully connected layer); it
// reports whether it ran.
func gemvDots(n, k int, alpha float32, a, b []float32, ldb int, beta float32, c []float32) bool {
	if vecTensor.Dots == nil || alpha != 1 || k < 4 || n <= 0 {
		return false
	}
	if len(a) < k || len(c) < n || ldb < k || len(b) < (n-1)*ldb+k {
		panic("kern: gemv: slice too short")
	}
	vecTensor.Dots(c, a, b, n, k, ldb, beta != 0)
	return true
}

var vecTensor TensorKernels

// SetTensorKernels installs k (the zero value restores the Go path). Not
// safe to call while kernels run.
func SetTensorKernels(k TensorKernels) { vecTensor = k }

// hsum4 combines the lane accumulators as the vector kernel's shuffles do.
func hsum4(s *[4]float32) float32 { return (s[0] + s[2]) + (s[1] + s[3]) }

// rowSum4 is the lane-ordered sum of row (len >= 4).
func rowSum4(row []float32) float32 {
	var s [4]float32
	n := len(row)
	n4 := n &^ 3
	for i := 0; i < n4; i += 4 {
		c := row[i : i+4 : i+4]
		s[0] += c[0]
		s[1] += c[1]
		s[2] += c[2]
		s[3] += c[3]
	}
	if rem := n - n4; rem > 0 {
		c := row[n-4 : n : n]
		for l := 0; l < 4; l++ {
			if l >= 4-rem {
				s[l] += c[l]
			} else {
				s[l] += 0
			}
		}
	}
	return hsum4(&s)
}

// checkRows panics unless src and dst hold rows rows of n floats.
func checkRows(dst, src []float32, rows, n int) {
	if rows < 0 || n < 0 || len(src) < rows*n || len(dst) < rows*n {
		panic("kern: row kernel: slice too short")
	}
}

// SoftmaxRows computes dst row r = softmax(src row r) for rows rows of n
// contiguous floats. dst may be src.
func SoftmaxRows(dst, src []float32, rows, n int) {
	checkRows(dst, src, rows, n)
	if rows == 0 || n == 0 {
		return
	}
	if n >= 4 && vecTensor.Softmax != nil {
		vecTensor.Softmax(dst, src, rows, n)
		return
	}
	for r := 0; r < rows; r++ {
		softmaxRow(dst[r*n:(r+1)*n], src[r*n:(r+1)*n])
	}
}

func softmaxRow(d, s []float32) {
	n := len(s)
	m := float32(math.Inf(-1))
	for _, v := range s {
		m = max(m, v)
	}
	if n < 4 {
		var sum float32
		for i, v := range s {
			e := expPoly(v - m)
			d[i] = e
			sum += e
		}
		inv := 1 / sum
		for i := range d {
			d[i] *= inv
		}
		return
	}
	var acc [4]float32
	n4 := n &^ 3
	for i := 0; i < n4; i += 4 {
		for l := 0; l < 4; l++ {
			e := expPoly(s[i+l] - m)
			d[i+l] = e
			acc[l] += e
		}
	}
	rem := n - n4
	if rem > 0 {
		for l := 4 - rem; l < 4; l++ {
			e := expPoly(s[n-4+l] - m)
			d[n-4+l] = e
			acc[l] += e
		}
		for l := 0; l < 4-rem; l++ {
			acc[l] += 0
		}
	}
	inv := 1 / hsum4(&acc)
	for i := range d {
		d[i] *= inv
	}
}

// LayerNormRows normalises each of rows rows of n contiguous floats:
// dst = ((x-mean)*inv)*scale + bias with inv = 1/sqrt(var+eps), the
// statistics in float32 (lane-ordered sums). scale and bias hold n floats;
// bias may be nil (no bias). mean and inv, if not nil, receive each row's
// mean and inv. dst may be src.
func LayerNormRows(dst, src, scale, bias []float32, rows, n int, eps float32, mean, inv []float32) {
	checkRows(dst, src, rows, n)
	if len(scale) < n || (bias != nil && len(bias) < n) || (mean != nil && len(mean) < rows) || (inv != nil && len(inv) < rows) {
		panic("kern: LayerNormRows: slice too short")
	}
	if rows == 0 || n == 0 {
		return
	}
	if n >= 4 && vecTensor.LayerNorm != nil {
		vecTensor.LayerNorm(dst, src, scale, bias, rows, n, eps, mean, inv)
		return
	}
	nf := float32(n)
	for r := 0; r < rows; r++ {
		s, d := src[r*n:(r+1)*n], dst[r*n:(r+1)*n]
		var mu, vr float32
		if n >= 4 {
			mu = rowSum4(s) / nf
			vr = sqSum4(s, mu) / nf
		} else {
			for _, v := range s {
				mu += v
			}
			mu /= nf
			for _, v := range s {
				vr += (v - mu) * (v - mu)
			}
			vr /= nf
		}
		iv := 1 / float32(math.Sqrt(float64(vr+eps)))
		sc := scale[:n]
		if bias != nil {
			b := bias[:n]
			for i, v := range s {
				d[i] = ((v-mu)*iv)*sc[i] + b[i]
			}
		} else {
			for i, v := range s {
				d[i] = ((v - mu) * iv) * sc[i]
			}
		}
		if mean != nil {
			mean[r] = mu
		}
		if inv != nil {
			inv[r] = iv
		}
	}
}

// sqSum4 is the lane-ordered Σ(x-mu)² of row (len >= 4).
func sqSum4(row []float32, mu float32) float32 {
	var s [4]float32
	n := len(row)
	n4 := n &^ 3
	for i := 0; i < n4; i += 4 {
		for l := 0; l < 4; l++ {
			t := row[i+l] - mu
			s[l] += t * t
		}
	}
	if rem := n - n4; rem > 0 {
		for l := 0; l < 4; l++ {
			if l >= 4-rem {
				t := row[n-4+l] - mu
				s[l] += t * t
			} else {
				s[l] += 0
			}
		}
	}
	return hsum4(&s)
}

// RowSums computes dst[r] = sum(src row r)/div for rows rows of n
// contiguous floats (lane-ordered when n >= 4).
func RowSums(dst, src []float32, rows, n int, div float32) {
	if rows < 0 || n < 0 || len(src) < rows*n || len(dst) < rows {
		panic("kern: RowSums: slice too short")
	}
	if rows == 0 {
		return
	}
	if n >= 4 && vecTensor.RowSum != nil {
		vecTensor.RowSum(dst, src, rows, n, div)
		return
	}
	for r := 0; r < rows; r++ {
		s := src[r*n : (r+1)*n]
		var t float32
		if n >= 4 {
			t = rowSum4(s)
		} else {
			for _, v := range s {
				t += v
			}
		}
		dst[r] = t / div
	}
}
