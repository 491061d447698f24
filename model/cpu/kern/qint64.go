package kern

import "math"

// Conversions between quantized int64 tensors (the QOperator ops' values)
// and float32, and QLinearAdd's loop. Natively on amd64 with AVX2+FMA they
// run on qint64_amd64.s (8 values at a time, a block with any value
// outside int32 range on the Go loop); the results are these Go loops'
// bit for bit.

// hooks: each does a prefix of its arguments and returns how many values
// it did (a multiple of 8, stopping at the first block it cannot take);
// nil keeps the Go loops.
var (
	vecDequantI64 func(src []int64, zp int64, scale float32, dst []float32) int
	vecRequantI64 func(src []float32, scale float32, zp int64, dst []int64) int
	vecQAddI64    func(a, b, y []int64, rA, rB, fixed, lo, hi float32) int
	// vecQuantI64 does all of its arguments
	vecQuantI64 func(src []float32, scale float32, zp int64, lo, hi float32, dst []int64)
)

// QuantizeInt64 is QuantizeLinear per tensor as MLAS computes it:
// v = src[i]/scale in float32, NaN giving lo, else
// int64(math.RoundToEven(clamp(v, lo−zp, hi−zp))) + zp.
func QuantizeInt64(src []float32, scale float32, zp, lo, hi int64, dst []int64) {
	dst = dst[:len(src)]
	l, h := lo-zp, hi-zp
	if vecQuantI64 != nil && zp >= -1<<24 && zp <= 1<<24 && l >= -1<<24 && h <= 1<<24 && l <= h {
		vecQuantI64(src, scale, zp, float32(l), float32(h), dst)
		return
	}
	for i, v := range src {
		f := float64(v / scale)
		if f != f {
			dst[i] = lo
			continue
		}
		dst[i] = int64(math.RoundToEven(math.Min(math.Max(f, float64(l)), float64(h)))) + zp
	}
}

// DequantInt64 is dst[i] = float32(src[i]-zp)·scale.
func DequantInt64(src []int64, zp int64, scale float32, dst []float32) {
	dst = dst[:len(src)]
	for len(src) > 0 {
		if vecDequantI64 != nil {
			k := vecDequantI64(src, zp, scale, dst)
			src, dst = src[k:], dst[k:]
		}
		// the rest, or one block the vector kernel left
		n := min(len(src), 8)
		for i, v := range src[:n] {
			dst[i] = float32(v-zp) * scale
		}
		src, dst = src[n:], dst[n:]
	}
}

// RequantInt64 is dst[i] = int64(math.RoundToEven(float64(src[i]/scale))) + zp.
func RequantInt64(src []float32, scale float32, zp int64, dst []int64) {
	dst = dst[:len(src)]
	for len(src) > 0 {
		if vecRequantI64 != nil {
			k := vecRequantI64(src, scale, zp, dst)
			src, dst = src[k:], dst[k:]
		}
		n := min(len(src), 8)
		for i, v := range src[:n] {
			dst[i] = int64(math.RoundToEven(float64(v/scale))) + zp
		}
		src, dst = src[n:], dst[n:]
	}
}

// QLinearAddFMA is com.microsoft.QLinearAdd's loop without broadcasting
// on a native fused multiply-add:
//
//	y[i] = requant(fma(rA, float32(a[i]), fma(rB, float32(b[i]), fixed)), lo, hi)
//
// (requant: NaN gives lo, clamped to [lo, hi], rounded half to even). It
// reports false, doing nothing, where there is no native FMA kernel or lo,
// hi are not exact float32s; the caller then runs its own loop. Blocks
// with values outside int32 range go through fma, the caller's exactly
// rounded float32 fused multiply-add.
func QLinearAddFMA(a, b, y []int64, rA, rB, fixed float32, lo, hi int64, fma func(a, b, c float32) float32) bool {
	if vecQAddI64 == nil || lo < -1<<24 || hi > 1<<24 || lo > hi {
		return false
	}
	n := len(y)
	a, b = a[:n], b[:n]
	flo, fhi := float32(lo), float32(hi)
	for len(y) > 0 {
		k := vecQAddI64(a, b, y, rA, rB, fixed, flo, fhi)
		a, b, y = a[k:], b[k:], y[k:]
		m := min(len(y), 8)
		for i := range y[:m] {
			v := fma(rA, float32(a[i]), fma(rB, float32(b[i]), fixed))
			if v != v {
				y[i] = lo
				continue
			}
			y[i] = int64(math.RoundToEven(float64(min(max(v, flo), fhi))))
		}
		a, b, y = a[m:], b[m:], y[m:]
	}
	return true
}
