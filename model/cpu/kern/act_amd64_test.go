//go:build amd64 && !purego

package kern

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func needAVX2(tb testing.TB) {
	if !hasAVX2FMA {
		tb.Skip("no AVX2+FMA")
	}
}

// ulpDiff is the distance in float32 steps between a and b (0 when both
// are NaN; large when only one is).
func ulpDiff(a, b float32) int64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxInt64
	}
	if a == b {
		return 0
	}
	ord := func(x float32) int64 {
		u := int64(math.Float32bits(x))
		if u&0x80000000 != 0 {
			return -(u & 0x7fffffff)
		}
		return u
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

// scalarAct is the scalar reference the vector kernel replaces: the
// polynomials of act_poly.go, and applyAct's loops for the hard ones.
func scalarAct(act Act, dst, src []float32) {
	saved := vecAct
	vecAct = nil
	defer func() { vecAct = saved }()
	if polyAct(act, dst, src) {
		return
	}
	copy(dst, src)
	applyAct(act, dst)
}

var avx2Acts = []Act{
	{Kind: ActSigmoid}, {Kind: ActSiLU}, {Kind: ActTanh}, {Kind: ActExp}, {Kind: ActErf},
	{Kind: ActGelu}, {Kind: ActGeluTanh}, {Kind: ActHardSigmoid, A: 0.2, B: 0.5},
	{Kind: ActHardSigmoid, A: 1.0 / 6, B: 0.5}, {Kind: ActHardSwish},
}

var actSpecials = []float32{
	float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
	100, -100, 1000, -1000, 88.7, 88.8, 89, 89.1, -86.6, -87, -88, -104, 1e30, -1e30, 1e-30, -1e-30,
	0.625, -0.625, 0.6249999, -0.6249999, 4, -4, 4.5, -4.5, 3, -3, 6, -6, 1, -1, 0.5, -0.5, 44, -44, 45, -45,
	math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40,
}

// The AVX2 kernels match the scalar polynomials on every length (tails
// shorter than 8 included), in place and not, write nothing past n, and
// keep NaN/±Inf/overflow behaviour. Tolerance: 2 float32 ulps or 2e-7
// absolute (bitwise in practice: the kernels do not fuse, and Go does not
// fuse float32 on amd64 below GOAMD64=v3); the log reports the worst.
func TestActAVX2MatchesScalar(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewSource(1))
	for _, act := range avx2Acts {
		var worst int64
		for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 63, 100, 257, 1000, 4099} {
			src := make([]float32, n)
			for i := range src {
				switch r.Intn(4) {
				case 0:
					src[i] = actSpecials[r.Intn(len(actSpecials))]
				case 1:
					src[i] = float32(r.NormFloat64() * 30)
				default:
					src[i] = float32(r.NormFloat64() * 3)
				}
			}
			want := make([]float32, n)
			scalarAct(act, want, src)
			for _, inPlace := range []bool{false, true} {
				got := make([]float32, n+3)
				for i := range got {
					got[i] = 42
				}
				in := src
				if inPlace {
					copy(got, src)
					in = got[:n]
				}
				actAVX2(act, got[:n], in)
				for i := n; i < n+3; i++ {
					if got[i] != 42 {
						t.Fatalf("%v n=%d: wrote past n at %d", act, n, i)
					}
				}
				for i := 0; i < n; i++ {
					d := ulpDiff(got[i], want[i])
					worst = max(worst, d)
					if d > 2 && math.Abs(float64(got[i])-float64(want[i])) > 2e-7 {
						t.Errorf("%v n=%d inPlace=%v: x=%v: got %v, scalar %v", act, n, inPlace, src[i], got[i], want[i])
					}
				}
			}
		}
		t.Logf("%v: worst %d ulp vs scalar polynomial", act, worst)
	}
}

// Overflow and underflow as act_poly.go documents them.
func TestActAVX2Special(t *testing.T) {
	needAVX2(t)
	one := func(kind ActKind, x float32) float32 {
		src := []float32{x, x, x, x, x, x, x, x, x}
		dst := make([]float32, len(src))
		actAVX2(Act{Kind: kind}, dst, src)
		for _, v := range dst[1:] {
			if math.Float32bits(v) != math.Float32bits(dst[0]) {
				t.Fatalf("kind %d x=%v: lanes differ: %v", kind, x, dst)
			}
		}
		return dst[0]
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, c := range []struct {
		kind ActKind
		x    float32
		ok   func(float32) bool
	}{
		{ActSigmoid, 100, func(v float32) bool { return v == 1 }},
		{ActSigmoid, -100, func(v float32) bool { return v >= 0 && v < 1e-37 }},
		{ActSigmoid, inf, func(v float32) bool { return v == 1 }},
		{ActSigmoid, -inf, func(v float32) bool { return v == 0 }},
		{ActSigmoid, nan, func(v float32) bool { return v != v }},
		{ActSiLU, 100, func(v float32) bool { return v == 100 }},
		{ActSiLU, -100, func(v float32) bool { return v <= 0 && v > -1e-35 }},
		{ActSiLU, -inf, func(v float32) bool { return v != v }},
		{ActSiLU, nan, func(v float32) bool { return v != v }},
		{ActExp, 100, func(v float32) bool { return v == inf }},
		{ActExp, 88.8, func(v float32) bool { return v == inf }},
		{ActExp, -100, func(v float32) bool { return v > 0 && v < 3e-38 }},
		{ActExp, -inf, func(v float32) bool { return v > 0 && v < 3e-38 }},
		{ActExp, 0, func(v float32) bool { return v == 1 }},
		{ActExp, nan, func(v float32) bool { return v != v }},
		{ActTanh, 100, func(v float32) bool { return v == 1 }},
		{ActTanh, -inf, func(v float32) bool { return v == -1 }},
		{ActTanh, nan, func(v float32) bool { return v != v }},
		{ActErf, 10, func(v float32) bool { return v == 1 }},
		{ActErf, -inf, func(v float32) bool { return v == -1 }},
		{ActGelu, -100, func(v float32) bool { return v == 0 }},
		{ActGelu, 100, func(v float32) bool { return v == 100 }},
		{ActGeluTanh, 100, func(v float32) bool { return v == 100 }},
		{ActGeluTanh, nan, func(v float32) bool { return v != v }},
		{ActHardSwish, nan, func(v float32) bool { return v != v }},
		{ActHardSwish, 10, func(v float32) bool { return v == 10 }},
		{ActHardSwish, -10, func(v float32) bool { return v == 0 }},
	} {
		if v := one(c.kind, c.x); !c.ok(v) {
			t.Errorf("kind %d (%v): got %v", c.kind, c.x, v)
		}
	}
}

// With the kernel installed, applyAct takes it for the kinds it sends to
// vecActs, and the results stay within the zoo tolerances of float64 math.
func TestActAVX2Installed(t *testing.T) {
	needAVX2(t)
	if vecAct == nil {
		t.Fatal("vecAct not installed on an AVX2+FMA machine")
	}
	r := rand.New(rand.NewSource(2))
	x := make([]float32, 1001)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 4)
	}
	for _, act := range avx2Acts {
		got := make([]float32, len(x))
		ActInto(act, got, x)
		want := make([]float32, len(x))
		scalarAct(act, want, x)
		for i := range x {
			if d := math.Abs(float64(got[i]) - float64(want[i])); d > 2e-6+2e-6*math.Abs(float64(want[i])) {
				t.Fatalf("%v x=%v: ActInto %v, scalar %v", act, x[i], got[i], want[i])
			}
		}
	}
}

// BenchmarkActAVX2 times 4096 floats (ns/elem): math64 is the native
// float64 path (expActs), poly the scalar float32 polynomial, avx2 the
// kernel.
func BenchmarkActAVX2(b *testing.B) {
	needAVX2(b)
	r := rand.New(rand.NewSource(1))
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
	}
	y := make([]float32, len(x))
	per := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
	}
	for _, act := range avx2Acts[:8] {
		name := fmt.Sprintf("kind%d", act.Kind)
		if act.Kind != ActHardSigmoid {
			b.Run(name+"/math64", func(b *testing.B) {
				for range b.N {
					copy(y, x)
					expActs(act, y)
				}
				per(b)
			})
		}
		b.Run(name+"/poly", func(b *testing.B) {
			for range b.N {
				scalarAct(act, y, x)
			}
			per(b)
		})
		b.Run(name+"/avx2", func(b *testing.B) {
			for range b.N {
				actAVX2(act, y, x)
			}
			per(b)
		})
	}
}
