package graph

import (
	"math"
	"math/rand"
	"testing"
)

// refHalf is the value of half-precision bits, computed in float64 from the
// IEEE 754 definition.
func refHalf(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	case 0:
		return sign * math.Ldexp(frac, -24)
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// refRound rounds f to a binary format with mbits fraction bits, smallest
// normal exponent emin and largest finite value max, ties to even, in
// float64 arithmetic: f divided by its quantum is exact, and so is
// math.RoundToEven of it.
func refRound(f float32, mbits, emin int, max float64) float32 {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return f
	}
	_, e := math.Frexp(math.Abs(x)) // |x| = m·2^e, m in [0.5, 1)
	e--                             // |x| = m'·2^e, m' in [1, 2)
	if e < emin {
		e = emin // subnormal: a fixed quantum
	}
	q := math.Ldexp(1, e-mbits)
	r := math.RoundToEven(x/q) * q
	if math.Abs(r) > max {
		return float32(math.Copysign(math.Inf(1), x))
	}
	return float32(r) // exact: r fits the narrower format
}

func refFloat16(f float32) float32 { return refRound(f, 10, -14, 65504) }
func refBFloat16(f float32) float32 {
	return refRound(f, 7, -126, float64(math.Float32frombits(0x7f7f0000)))
}

func sameFloat(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// Every one of the 65536 half bit patterns converts exactly to float32 and
// back to the same bits; NaNs stay NaN (quiet, same sign).
func TestFloat16RoundTrip(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := Float16(h)
		want := refHalf(h)
		if math.IsNaN(want) {
			back := ToFloat16(f)
			if f == f || back&0x7c00 != 0x7c00 || back&0x3ff == 0 || back&0x8000 != h&0x8000 {
				t.Errorf("NaN %#04x → %v → %#04x", h, f, back)
			}
			continue
		}
		if !sameFloat(f, float32(want)) {
			t.Errorf("Float16(%#04x) = %v, want %v", h, f, want)
		}
		if back := ToFloat16(f); back != h {
			t.Errorf("ToFloat16(Float16(%#04x)) = %#04x", h, back)
		}
		if r := RoundFloat16(f); !sameFloat(r, f) {
			t.Errorf("RoundFloat16(%v) = %v: a half value must round to itself", f, r)
		}
	}
}

func TestBFloat16RoundTrip(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := BFloat16(h)
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Errorf("BFloat16(%#04x) = %#08x", h, math.Float32bits(f))
		}
		back := ToBFloat16(f)
		if h&0x7f80 == 0x7f80 && h&0x7f != 0 { // NaN
			if back&0x7f80 != 0x7f80 || back&0x7f == 0 || back&0x8000 != h&0x8000 {
				t.Errorf("NaN %#04x → %#04x", h, back)
			}
			continue
		}
		if back != h {
			t.Errorf("ToBFloat16(BFloat16(%#04x)) = %#04x", h, back)
		}
	}
}

// roundingProbes are float32 values that stress rounding: for each value v
// of the narrow format (given as float32 bits in vals), v itself, its
// neighbours, the exact midpoints to the next value and the float32
// values either side of them; plus edges and random values; all of them
// with both signs.
func roundingProbes(vals []uint32, r *rand.Rand) []float32 {
	var out []float32
	add := func(b uint32) { out = append(out, math.Float32frombits(b)) }
	for i, b := range vals {
		for d := uint32(0); d < 3; d++ {
			add(b + d)
			add(b - d)
		}
		if i+1 < len(vals) {
			lo, hi := float64(math.Float32frombits(b)), float64(math.Float32frombits(vals[i+1]))
			mid := float32((lo + hi) / 2) // exact: one bit more than the narrow format
			mb := math.Float32bits(mid)
			add(mb)
			add(mb + 1)
			add(mb - 1)
		}
	}
	for _, f := range []float64{65504, 65519, 65519.99, 65520, 65520.01, 65535, 65536, 1e5, math.MaxFloat32,
		math.Ldexp(1, -14), math.Ldexp(1, -15), math.Ldexp(1, -24), math.Ldexp(1, -25), math.Ldexp(1.5, -25), math.Ldexp(1, -26),
		math.Ldexp(1023.5, -24), math.Ldexp(1023.25, -24), math.Ldexp(1, -149), math.Ldexp(1, -126), 0.1, 1.0 / 3} {
		add(math.Float32bits(float32(f)))
	}
	add(math.Float32bits(float32(65520)) - 1) // the largest float32 below the half overflow threshold
	for i := 0; i < 1<<20; i++ {
		add(r.Uint32())
	}
	n := len(out)
	for i := 0; i < n; i++ {
		out = append(out, -out[i])
	}
	return out
}

// ToFloat16 rounds to nearest, ties to even, overflowing to infinity at
// 65520 and underflowing to zero at 2^-25, as the float64 reference does.
func TestToFloat16Rounding(t *testing.T) {
	var vals []uint32 // every finite positive half, as float32 bits, ascending
	for h := uint16(0); h < 0x7c00; h++ {
		vals = append(vals, math.Float32bits(Float16(h)))
	}
	probes := roundingProbes(vals, rand.New(rand.NewSource(1)))
	bad := 0
	for _, f := range probes {
		want := refFloat16(f)
		got := RoundFloat16(f)
		if !sameFloat(got, want) {
			if bad++; bad <= 20 {
				t.Errorf("RoundFloat16(%v = %#08x) = %v (%#04x), want %v", f, math.Float32bits(f), got, ToFloat16(f), want)
			}
		}
	}
	if bad > 20 {
		t.Errorf("... %d wrong in all", bad)
	}
	t.Logf("%d values checked", len(probes))

	exact := []struct {
		f    float32
		want uint16
	}{
		{65504, 0x7bff},
		{65519.996, 0x7bff},
		{65520, 0x7c00},
		{-65520, 0xfc00},
		{float32(math.Inf(1)), 0x7c00},
		{float32(math.Inf(-1)), 0xfc00},
		{float32(math.Ldexp(1, -24)), 0x0001},
		{float32(math.Ldexp(1, -25)), 0x0000},                      // a tie: to even, zero
		{float32(math.Ldexp(1.5, -25)), 0x0001},                    // above the tie
		{float32(math.Ldexp(3, -25)), 0x0002},                      // 1.5 quanta: a tie, to even, 2
		{float32(math.Ldexp(1023.5, -24)), 0x0400},                 // the largest subnormal's tie rounds up into the normals
		{float32(-math.Ldexp(1, -26)), 0x8000},                     // -0 keeps its sign
		{float32(math.Copysign(0, -1)), 0x8000},                    //
		{1 + float32(math.Ldexp(1, -11)), 0x3c00},                  // a tie: to even
		{1 + float32(math.Ldexp(3, -11)), 0x3c02},                  // a tie: to even, up
		{math.Float32frombits(0x00000001), 0x0000},                 // float32 subnormal
		{math.Float32frombits(0x7f800001), 0x7e00},                 // a signalling NaN becomes quiet
		{math.Float32frombits(0xffc00000), 0xfe00},                 // negative NaN
		{float32(math.MaxFloat32), 0x7c00},                         //
		{float32(math.Ldexp(1, -14)), 0x0400},                      // the smallest normal
		{float32(math.Ldexp(1, -14) - math.Ldexp(1, -25)), 0x0400}, // a tie between the largest subnormal and the smallest normal: to even
	}
	for _, c := range exact {
		if got := ToFloat16(c.f); got != c.want {
			t.Errorf("ToFloat16(%v) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
}

func TestToBFloat16Rounding(t *testing.T) {
	var vals []uint32 // finite positive bfloat16 values, as float32 bits, ascending
	for h := uint32(0); h < 0x7f80; h++ {
		vals = append(vals, h<<16)
	}
	probes := roundingProbes(vals, rand.New(rand.NewSource(2)))
	bad := 0
	for _, f := range probes {
		want := refBFloat16(f)
		got := RoundBFloat16(f)
		if !sameFloat(got, want) {
			if bad++; bad <= 20 {
				t.Errorf("RoundBFloat16(%v = %#08x) = %v (%#04x), want %v", f, math.Float32bits(f), got, ToBFloat16(f), want)
			}
		}
	}
	if bad > 20 {
		t.Errorf("... %d wrong in all", bad)
	}
	t.Logf("%d values checked", len(probes))

	exact := []struct {
		f    float32
		want uint16
	}{
		{1, 0x3f80},
		{math.Float32frombits(0x3f808000), 0x3f80}, // a tie: to even
		{math.Float32frombits(0x3f818000), 0x3f82}, // a tie: to even, up
		{math.Float32frombits(0x3f808001), 0x3f81},
		{math.Float32frombits(0x7f7f8000), 0x7f80}, // the tie above the largest finite: infinity
		{math.Float32frombits(0x7f7f7fff), 0x7f7f},
		{float32(math.Inf(-1)), 0xff80},
		{math.Float32frombits(0x7f800001), 0x7fc0}, // a signalling NaN with a low payload stays NaN
		{math.Float32frombits(0xff800001), 0xffc0},
		{math.Float32frombits(0x00008000), 0x0000}, // float32 subnormal tie: to even
		{math.Float32frombits(0x80018000), 0x8002},
	}
	for _, c := range exact {
		if got := ToBFloat16(c.f); got != c.want {
			t.Errorf("ToBFloat16(%#08x) = %#04x, want %#04x", math.Float32bits(c.f), got, c.want)
		}
	}
}
