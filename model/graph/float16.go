package graph

import "math"

// Float16 converts IEEE 754 half-precision bits to float32 (exactly).
func Float16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0:
		v := float32(frac) * (1.0 / (1 << 24)) // zero or subnormal: frac·2^-24
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// ToFloat16 rounds a float32 to the nearest half-precision value (ties to
// even; overflow to infinity), returning its bits.
func ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	frac := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf, NaN (keep NaN quiet and non-zero)
		if frac != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15: // too large even before rounding
		return sign | 0x7c00
	case exp-127 >= -14: // normal half
		e := uint32(exp-127+15) << 10
		m := frac >> 13
		rest := frac & 0x1fff
		h := e | m
		if rest > 0x1000 || rest == 0x1000 && m&1 == 1 {
			h++ // may carry into the exponent, and into infinity: both correct
		}
		return sign | uint16(h)
	case exp-127 >= -25: // subnormal half (or rounds up to the smallest one)
		m := frac | 0x800000
		shift := uint32(-14-(exp-127)) + 13
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || rest == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	return sign
}

// RoundFloat16 is f rounded to half precision, as a float32.
func RoundFloat16(f float32) float32 { return Float16(ToFloat16(f)) }

// BFloat16 converts bfloat16 bits to float32 (exactly).
func BFloat16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// ToBFloat16 rounds a float32 to bfloat16 (ties to even), returning its bits.
func ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40 // NaN stays NaN
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// RoundBFloat16 is f rounded to bfloat16, as a float32.
func RoundBFloat16(f float32) float32 { return BFloat16(ToBFloat16(f)) }
