//go:build amd64 && !purego

package kern

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
)

// needI64AVX2 skips without AVX2+FMA.
func needI64AVX2(t *testing.T) {
	if !hasAVX2FMA || vecDequantI64 == nil {
		t.Skip("no AVX2+FMA")
	}
}

// withoutI64Vec runs f on the Go loops.
func withoutI64Vec(f func()) {
	d, r, a := vecDequantI64, vecRequantI64, vecQAddI64
	vecDequantI64, vecRequantI64, vecQAddI64 = nil, nil, nil
	defer func() { vecDequantI64, vecRequantI64, vecQAddI64 = d, r, a }()
	f()
}

// oddI64 returns quantized values, mostly small, some at and past the
// int32 bounds.
func oddI64(r *rand.Rand) int64 {
	switch r.Intn(40) {
	case 0:
		return math.MaxInt32 + int64(r.Intn(3))
	case 1:
		return math.MinInt32 - int64(r.Intn(3))
	case 2:
		return r.Int63() - r.Int63()
	case 3:
		return math.MinInt64 + int64(r.Intn(2))
	case 4:
		return math.MaxInt32 - int64(r.Intn(2))
	}
	return int64(r.Intn(300) - 150)
}

var i64Lens = []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 64, 100, 203}

func TestDequantInt64AVX2(t *testing.T) {
	needI64AVX2(t)
	r := rand.New(rand.NewSource(3))
	for _, n := range i64Lens {
		for _, zp := range []int64{0, 128, -3, math.MaxInt32, math.MinInt64 + 5} {
			for _, s := range []float32{0.0237, 1, 3e-39, float32(math.NaN()), 1e30} {
				src := make([]int64, n)
				for i := range src {
					src[i] = oddI64(r)
					if r.Intn(3) == 0 { // whole clean blocks too
						src[i] = int64(r.Intn(256))
					}
				}
				if n > 16 && r.Intn(2) == 0 {
					for i := range src {
						src[i] = int64(r.Intn(1 << 25)) // past 2²⁴: rounds
					}
				}
				want, got := make([]float32, n), make([]float32, n)
				withoutI64Vec(func() { DequantInt64(src, zp, s, want) })
				DequantInt64(src, zp, s, got)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n %d zp %d s %v: dst[%d] (src %d) = %v, want %v", n, zp, s, i, src[i], got[i], want[i])
					}
				}
			}
		}
	}
}

func TestRequantInt64AVX2(t *testing.T) {
	needI64AVX2(t)
	r := rand.New(rand.NewSource(4))
	odd := func(s float32) float32 {
		switch r.Intn(30) {
		case 0:
			return float32(math.NaN())
		case 1:
			return float32(math.Inf(2*r.Intn(2) - 1))
		case 2:
			return float32(1<<31) * s * float32(2*r.Intn(2)-1) // the bound itself
		case 3:
			return (float32(1<<31) - 128) * s * float32(2*r.Intn(2)-1) // just inside
		case 4:
			return 1e20 * float32(2*r.Intn(2)-1)
		case 5:
			return float32(math.Copysign(0, float64(2*r.Intn(2)-1)))
		case 6:
			return float32(r.Intn(1<<24)) * s
		}
		if r.Intn(2) == 0 {
			return (float32(r.Intn(600)-300) + 0.5) * s // ties
		}
		return (r.Float32()*600 - 300) * s
	}
	for _, n := range i64Lens {
		for _, zp := range []int64{0, 131, -128, math.MaxInt64 - 3} {
			for _, s := range []float32{0.05, 1, 0.5, 0.1} {
				src := make([]float32, n)
				for i := range src {
					src[i] = odd(s)
					if r.Intn(2) == 0 {
						src[i] = float32(r.Intn(255)-127) * s
					}
				}
				want, got := make([]int64, n), make([]int64, n)
				withoutI64Vec(func() { RequantInt64(src, s, zp, want) })
				RequantInt64(src, s, zp, got)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("n %d zp %d s %v: dst[%d] (src %v) = %d, want %d", n, zp, s, i, src[i], got[i], want[i])
					}
				}
			}
		}
	}
}

// fmaBig is a·b+c rounded once to float32, through big.Float.
func fmaBig(a, b, c float32) float32 {
	if a != a || b != b || math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) {
		return a*b + c // an infinite or NaN product: no rounding involved
	}
	if c != c || math.IsInf(float64(c), 0) {
		return c // a finite exact product does not change them
	}
	x := new(big.Float).SetPrec(256).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

// qaddRef is QLinearAddFMA's contract one element at a time.
func qaddRef(a, b int64, rA, rB, fixed float32, lo, hi int64) int64 {
	v := fmaBig(rA, float32(a), fmaBig(rB, float32(b), fixed))
	if v != v {
		return lo
	}
	return int64(math.RoundToEven(math.Min(math.Max(float64(v), float64(lo)), float64(hi))))
}

func TestQLinearAddFMAAVX2(t *testing.T) {
	needI64AVX2(t)
	r := rand.New(rand.NewSource(5))
	ranges := [][2]int64{{0, 255}, {-128, 127}, {-32768, 32767}, {0, 65535}}
	for _, n := range i64Lens {
		for ci, c := range [][3]float32{
			{0.5, 0.25, 0.5}, // exact ties everywhere
			{0.7512, 1.3331, -97.25},
			{0.03125, 0.0625, 128.5},
			{float32(math.NaN()), 1, 0},
			{float32(math.Inf(1)), 0.5, 3},
			{1e-3, 1e-3, float32(math.Inf(-1))},
			{3.4e38, 3.4e38, 0}, // overflow to infinity
			{1.0000001, 0.9999999, 0.49999997},
		} {
			rg := ranges[ci%len(ranges)]
			a, b := make([]int64, n), make([]int64, n)
			for i := range a {
				a[i], b[i] = oddI64(r), oddI64(r)
				if r.Intn(2) == 0 {
					a[i], b[i] = int64(r.Intn(256)), int64(r.Intn(256))
				}
			}
			got := make([]int64, n)
			if !QLinearAddFMA(a, b, got, c[0], c[1], c[2], rg[0], rg[1], fmaBig) {
				t.Fatalf("QLinearAddFMA declined %v", rg)
			}
			for i := range got {
				if want := qaddRef(a[i], b[i], c[0], c[1], c[2], rg[0], rg[1]); got[i] != want {
					t.Fatalf("n %d case %v range %v: y[%d] (a %d b %d) = %d, want %d", n, c, rg, i, a[i], b[i], got[i], want)
				}
			}
		}
	}
	if QLinearAddFMA(nil, nil, nil, 1, 1, 0, math.MinInt32, math.MaxInt32, fmaBig) {
		t.Fatal("took an int32 output range")
	}
}

// VFMADD231PS against fmaBig on random operands near float32 ties.
func TestQAddFMATies(t *testing.T) {
	needI64AVX2(t)
	r := rand.New(rand.NewSource(6))
	const n = 4096
	a, b, got := make([]int64, n), make([]int64, n), make([]int64, n)
	for trial := 0; trial < 50; trial++ {
		rA := float32(r.Intn(1<<24)) / (1 << 24)
		rB := float32(r.Intn(1<<24)) / (1 << 20)
		fixed := float32(r.Intn(1<<20)) / 64
		for i := range a {
			a[i], b[i] = int64(r.Intn(65536)-32768), int64(r.Intn(65536)-32768)
		}
		QLinearAddFMA(a, b, got, rA, rB, fixed, -1<<24, 1<<24, fmaBig)
		for i := range got {
			if want := qaddRef(a[i], b[i], rA, rB, fixed, -1<<24, 1<<24); got[i] != want {
				t.Fatalf("rA %v rB %v fixed %v: y[%d] (a %d b %d) = %d, want %d", rA, rB, fixed, i, a[i], b[i], got[i], want)
			}
		}
	}
}

func TestQuantizeInt64AVX2(t *testing.T) {
	needI64AVX2(t)
	r := rand.New(rand.NewSource(8))
	ref := func(v, s float32, zp, lo, hi int64) int64 { // cpu's quantize
		f := float64(v / s)
		if f != f {
			return lo
		}
		f = math.Max(f, float64(lo-zp))
		f = math.Min(f, float64(hi-zp))
		return int64(math.RoundToEven(f)) + zp
	}
	for _, n := range i64Lens {
		for _, c := range [][3]int64{{0, 0, 255}, {128, 0, 255}, {-3, -128, 127}, {0, -32768, 32767}, {300, 0, 65535}, {1 << 40, 0, 255}} {
			for _, s := range []float32{0.05, 1, 0.5, 3e-3} {
				src := make([]float32, n)
				for i := range src {
					switch r.Intn(10) {
					case 0:
						src[i] = float32(math.NaN())
					case 1:
						src[i] = float32(math.Inf(2*r.Intn(2) - 1))
					case 2:
						src[i] = (float32(r.Intn(600)-300) + 0.5) * s // ties
					case 3:
						src[i] = float32(math.Copysign(0, float64(2*r.Intn(2)-1)))
					case 4:
						src[i] = (r.Float32()*2e6 - 1e6) * s
					default:
						src[i] = (r.Float32()*600 - 300) * s
					}
				}
				got := make([]int64, n)
				QuantizeInt64(src, s, c[0], c[1], c[2], got)
				for i := range got {
					if want := ref(src[i], s, c[0], c[1], c[2]); got[i] != want {
						t.Fatalf("n %d zp/lo/hi %v s %v: dst[%d] (src %v) = %d, want %d", n, c, s, i, src[i], got[i], want)
					}
				}
			}
		}
	}
}
