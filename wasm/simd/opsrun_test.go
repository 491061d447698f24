//go:build js && wasm

package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

var opsActs = []struct {
	name string
	act  kern.Act
	ref  func(float64) float64
}{
	{"sigmoid", kern.Act{Kind: kern.ActSigmoid}, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
	{"silu", kern.Act{Kind: kern.ActSiLU}, func(x float64) float64 { return x / (1 + math.Exp(-x)) }},
	{"tanh", kern.Act{Kind: kern.ActTanh}, math.Tanh},
	{"exp", kern.Act{Kind: kern.ActExp}, math.Exp},
	{"erf", kern.Act{Kind: kern.ActErf}, math.Erf},
	{"gelu", kern.Act{Kind: kern.ActGelu}, func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }},
	{"gelu-tanh", kern.Act{Kind: kern.ActGeluTanh}, func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}},
	{"hardsigmoid", kern.Act{Kind: kern.ActHardSigmoid, A: 0.2, B: 0.5}, func(x float64) float64 { return min(max(0.2*x+0.5, 0), 1) }},
	{"hardswish", kern.Act{Kind: kern.ActHardSwish}, func(x float64) float64 { return x * min(max(x/6+0.5, 0), 1) }},
}

// ops.wasm's numbering of the activations is kern's.
func TestOpsKinds(t *testing.T) {
	for _, c := range []struct {
		k    kern.ActKind
		want int
	}{{kern.ActHardSigmoid, opsKindHardSigmoid}, {kern.ActHardSwish, opsKindHardSwish},
		{kern.ActSigmoid, opsKindSigmoid}, {kern.ActSiLU, opsKindSiLU}, {kern.ActTanh, opsKindTanh},
		{kern.ActExp, opsKindExp}, {kern.ActErf, opsKindErf}, {kern.ActGelu, opsKindGelu},
		{kern.ActGeluTanh, opsKindGeluTanh}} {
		if int(c.k) != c.want {
			t.Errorf("kern kind %d, ops.wasm kind %d", c.k, c.want)
		}
	}
}

// actInputs: a dense sweep of [-100, 100] (denser near 0), specials, and
// random values; a length that leaves a scalar tail.
func actInputs() []float32 {
	var x []float32
	for i := -200000; i <= 200000; i++ {
		x = append(x, float32(i)*5e-4) // [-100, 100]
	}
	for i := 0; i < 100000; i++ {
		x = append(x, float32(math.Exp(float64(i)*-1e-3))) // (1e-43, 1]
		x = append(x, -x[len(x)-1])
	}
	inf := float32(math.Inf(1))
	x = append(x, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), 1e30, -1e30, 88.7, -88.7, 87, -87)
	r := rand.New(rand.NewPCG(1, 2))
	for range 1001 {
		x = append(x, float32(r.NormFloat64()*4))
	}
	return x
}

// The vector activations are bitwise the scalar polynomials (so tails and
// short rows agree with the bulk), and within a few ulps of float64 math.
func TestActMatchesScalar(t *testing.T) {
	needSIMD(t)
	x := actInputs()
	for _, c := range opsActs {
		var scalar, vec []float32
		scalar, vec = both(t, func() []float32 {
			y := make([]float32, len(x))
			kern.ActInto(c.act, y, x)
			return y
		})
		var maxAbs, maxRel float64
		bad := 0
		for i := range x {
			s, v := scalar[i], vec[i]
			if math.Float32bits(s) != math.Float32bits(v) && !(s != s && v != v) {
				if bad++; bad <= 3 {
					t.Errorf("%s(%g): simd %g, scalar %g", c.name, x[i], v, s)
				}
			}
			ref := c.ref(float64(x[i]))
			if math.IsInf(ref, 0) || math.IsNaN(ref) || math.Abs(float64(x[i])) > 100 ||
				c.name == "exp" && (x[i] > 88.7 || x[i] < -86.6) { // exp clamps there

				continue
			}
			d := math.Abs(float64(v) - ref)
			maxAbs = max(maxAbs, d)
			if math.Abs(ref) > 1e-6 {
				maxRel = max(maxRel, d/math.Abs(ref))
			}
		}
		t.Logf("%-11s vs float64 on [-100, 100]: max abs %.3g, max rel (|ref| > 1e-6) %.3g; %d of %d differ from scalar", c.name, maxAbs, maxRel, bad, len(x))
	}
}
