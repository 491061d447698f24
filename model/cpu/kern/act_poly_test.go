package kern

import (
	"math"
	"testing"
)

// polyRef are the float64 references of the polynomial activations.
var polyRef = []struct {
	name   string
	act    Act
	poly   func(float32) float32
	ref    func(float64) float64
	lo, hi float32
	// bounds: |got-ref| <= atol + rtol*|ref|. erf is ~7 ulps off near
	// ±3.2 (4.2e-7); GELU's 1+erf(x/√2) cancels for x < 0, so its error
	// there is absolute (1.4e-6 at x ≈ -5.6, as in ONNX Runtime's MLAS).
	atol, rtol float64
}{
	{"exp", Act{Kind: ActExp}, expPoly, math.Exp, -86, 88.7, 0, 3e-7},
	{"sigmoid", Act{Kind: ActSigmoid}, sigmoidPoly, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -86, 100, 0, 5e-7},
	{"silu", Act{Kind: ActSiLU}, func(x float32) float32 { return x * sigmoidPoly(x) }, func(x float64) float64 { return x / (1 + math.Exp(-x)) }, -86, 100, 0, 5e-7},
	{"tanh", Act{Kind: ActTanh}, tanhPoly, math.Tanh, -20, 20, 0, 5e-7},
	{"erf", Act{Kind: ActErf}, erfPoly, math.Erf, -10, 10, 5e-7, 5e-7},
	{"gelu", Act{Kind: ActGelu}, geluErfPoly, func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }, -10, 10, 2e-6, 5e-7},
	{"gelu-tanh", Act{Kind: ActGeluTanh}, geluTanhPoly, func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}, -10, 10, 1e-7, 5e-7},
}

// sweep yields float32 values densely over [lo, hi]: every float32 with
// |x| < 1e-3 at a coarse step, then 2^20 evenly spaced points, plus the
// neighbourhood of 0.
func sweep(lo, hi float32, f func(x float32)) {
	const n = 1 << 20
	for i := 0; i <= n; i++ {
		f(lo + (hi-lo)*float32(i)/n)
	}
	for b := math.Float32bits(1e-30); b < math.Float32bits(1); b += 997 {
		x := math.Float32frombits(b)
		if x >= lo && x <= hi {
			f(x)
		}
		if -x >= lo && -x <= hi {
			f(-x)
		}
	}
	f(0)
}

// The polynomial activations stay within a few float32 ulps of float64
// math over a dense sweep; the log reports the worst errors.
func TestPolyActsAccuracy(t *testing.T) {
	for _, c := range polyRef {
		var maxAbs, maxRel, worst float64
		var at float32
		sweep(c.lo, c.hi, func(x float32) {
			got, ref := float64(c.poly(x)), c.ref(float64(x))
			d := math.Abs(got - ref)
			maxAbs = max(maxAbs, d)
			if ref != 0 && math.Abs(ref) > 1e-30 {
				maxRel = max(maxRel, d/math.Abs(ref))
			}
			if r := d / (c.atol + c.rtol*math.Abs(ref)); r > worst || math.IsNaN(d) {
				worst, at = r, x
			}
		})
		t.Logf("%-9s [%g, %g]: max abs %.3g, max rel %.3g (rel where |ref|>1e-30)", c.name, c.lo, c.hi, maxAbs, maxRel)
		if worst > 1 || math.IsNaN(worst) {
			t.Errorf("%s(%g) = %g, want %g (%.2f of the bound)", c.name, at, c.poly(at), c.ref(float64(at)), worst)
		}
	}
}

// Special values: NaN stays NaN, ±Inf and huge inputs saturate.
func TestPolyActsSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, c := range polyRef {
		if v := c.poly(nan); v == v {
			t.Errorf("%s(NaN) = %g", c.name, v)
		}
	}
	for _, tc := range []struct {
		name string
		got  float32
		want float32
	}{
		{"sigmoid(+Inf)", sigmoidPoly(inf), 1}, {"sigmoid(-Inf)", sigmoidPoly(-inf), 0}, {"exp(+Inf)", expPoly(inf), inf}, {"exp(89)", expPoly(89), inf},
		{"tanh(+Inf)", tanhPoly(inf), 1}, {"tanh(-Inf)", tanhPoly(-inf), -1},
		{"erf(+Inf)", erfPoly(inf), 1}, {"erf(-Inf)", erfPoly(-inf), -1},
		{"silu(1e4)", 1e4 * sigmoidPoly(1e4), 1e4}, {"exp(-1e4)", expPoly(-1e4), 0},
		{"gelu(1e4)", geluErfPoly(1e4), 1e4}, {"geluTanh(1e4)", geluTanhPoly(1e4), 1e4},
		{"geluTanh(-1e4)", geluTanhPoly(-1e4), 0},
	} {
		if math.Abs(float64(tc.got-tc.want)) > 1e-30 {
			t.Errorf("%s = %g, want %g", tc.name, tc.got, tc.want)
		}
	}
}
