//go:build amd64 && !purego

package kern

import "math"

// qint64.go's hooks on AVX2+FMA (qint64_amd64.s).

//go:noescape
func dequantI64AVX2(src *int64, n int, zp int64, scale float32, dst *float32) int

//go:noescape
func requantI64AVX2(src *float32, n int, scale float32, zp int64, dst *int64) int

//go:noescape
func qaddI64AVX2(a, b, y *int64, n int, rA, rB, fixed, lo, hi float32) int

//go:noescape
func quantI64AVX2(src *float32, n int, scale float32, zp int64, lo, hi float32, dst *int64)

func init() {
	if hasAVX2FMA {
		vecDequantI64, vecRequantI64, vecQAddI64 = dequantI64Vec, requantI64Vec, qaddI64Vec
		vecQuantI64 = quantI64Vec
	}
}

// quantI64Vec is vecQuantI64: blocks of 8 in assembly, the rest in Go.
func quantI64Vec(src []float32, scale float32, zp int64, lo, hi float32, dst []int64) {
	n8 := len(src) &^ 7
	if n8 > 0 {
		_ = dst[len(src)-1]
		quantI64AVX2(&src[0], n8, scale, zp, lo, hi, &dst[0])
	}
	for i := n8; i < len(src); i++ {
		v := src[i] / scale
		if v != v {
			v = lo // NaN: lo less zp, so lo after it
		}
		dst[i] = int64(math.RoundToEven(float64(min(max(v, lo), hi)))) + zp
	}
}

func dequantI64Vec(src []int64, zp int64, scale float32, dst []float32) int {
	if len(src) < 8 {
		return 0
	}
	_ = dst[len(src)-1]
	return dequantI64AVX2(&src[0], len(src), zp, scale, &dst[0])
}

func requantI64Vec(src []float32, scale float32, zp int64, dst []int64) int {
	if len(src) < 8 {
		return 0
	}
	_ = dst[len(src)-1]
	return requantI64AVX2(&src[0], len(src), scale, zp, &dst[0])
}

func qaddI64Vec(a, b, y []int64, rA, rB, fixed, lo, hi float32) int {
	if len(y) < 8 {
		return 0
	}
	_, _ = a[len(y)-1], b[len(y)-1]
	return qaddI64AVX2(&a[0], &b[0], &y[0], len(y), rA, rB, fixed, lo, hi)
}
