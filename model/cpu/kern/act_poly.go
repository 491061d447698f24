package kern

import "math"

// Polynomial activations in float32: the same operations, in the same
// order, as the SIMD128 kernels of wasm/simd (ops.go), so a slice gives the
// same results whether its elements went through the vector kernel or this
// scalar code (the tails, short rows, no SIMD). The wasm build uses them for
// every exp-based activation (act_exp_wasm.go); natively they are only
// tested, the float64 math versions stay (act_exp_native.go).
//
// exp is Cephes' expf: n = round(x·log2e), r = x − n·ln2 with ln2 in two
// parts (the first exact in 9 bits, so n·C1 is exact), e^r by a degree-7
// polynomial (1 + r + r²·P5(r)), and 2^n as 2·2^(n-1) built in the
// exponent bits. x is clamped to [expLo, expHi] first, so 2^(n-1) is a
// normal float: exp(x < -86.6) is 2.4e-38 rather than smaller, and exp(x)
// overflows to +Inf just above 88.72 as it should (so sigmoid(-Inf) is 0
// and SiLU(-Inf) is NaN, as in float64). NaN stays NaN.
const (
	expLo  = -86.6
	expHi  = 89
	log2e  = 1.44269504088896341
	expC1  = 0.693359375
	expC2  = -2.12194440e-4
	expP0  = 1.9875691500e-4
	expP1  = 1.3981999507e-3
	expP2  = 8.3334519073e-3
	expP3  = 4.1665795894e-2
	expP4  = 1.6666665459e-1
	expP5  = 5.0000001201e-1
	tanhT  = 0.625 // |x| below: odd polynomial; above: 1 - 2/(e^2|x|+1)
	tanhQ0 = -5.70498872745e-3
	tanhQ1 = 2.06390887954e-2
	tanhQ2 = -5.37397155531e-2
	tanhQ3 = 1.33314422036e-1
	tanhQ4 = -3.33332819422e-1
	// erf: Eigen's/XLA's rational approximation x·P(x²)/Q(x²) on
	// [-4, 4] (erf(±4) rounds to ±1 in float32).
	erfA13 = -2.72614225801306e-10
	erfA11 = 2.77068142495902e-08
	erfA9  = -2.10102402082508e-06
	erfA7  = -5.69250639462346e-05
	erfA5  = -7.34990630326855e-04
	erfA3  = -2.95459980854025e-03
	erfA1  = -1.60960333262415e-02
	erfB8  = -1.45660718464996e-05
	erfB6  = -2.13374055278905e-04
	erfB4  = -1.68282697438203e-03
	erfB2  = -7.37332916720468e-03
	erfB0  = -1.42647390514189e-02
	// GELU's tanh form: 0.5x(1+tanh(u)) = x·sigmoid(2u), u = x(c0 + c1x²).
	geluC0 = 0.7978845608028654 * 2
	geluC1 = 0.044715 * 0.7978845608028654 * 2
)

// clampNaN is min(max(x, lo), hi) with comparisons (NaN stays NaN); under
// wasm the min/max builtins are runtime calls.
func clampNaN(x, lo, hi float32) float32 {
	if x < lo {
		x = lo
	}
	if x > hi {
		x = hi
	}
	return x
}

// expPoly is e^x (see above).
func expPoly(x float32) float32 {
	x = clampNaN(x, expLo, expHi)
	n := float32(math.RoundToEven(float64(x * log2e)))
	r := x - n*expC1
	r = r - n*expC2
	z := r * r
	p := float32(expP0)
	p = p*r + expP1
	p = p*r + expP2
	p = p*r + expP3
	p = p*r + expP4
	p = p*r + expP5
	p = p*z + r
	p = p + 1
	var scale float32
	if n == n { // NaN: any scale
		scale = math.Float32frombits(uint32(int32(n)+126) << 23)
	}
	return (p * 2) * scale
}

// sigmoidPoly is 1/(1+e^-x).
func sigmoidPoly(x float32) float32 { return 1 / (1 + expPoly(-x)) }

// tanhPoly is tanh(x).
func tanhPoly(x float32) float32 {
	a := float32(math.Abs(float64(x)))
	if a < tanhT {
		z := x * x
		p := float32(tanhQ0)
		p = p*z + tanhQ1
		p = p*z + tanhQ2
		p = p*z + tanhQ3
		p = p*z + tanhQ4
		return p*z*x + x
	}
	y := 1 - 2/(expPoly(a+a)+1)
	return float32(math.Copysign(float64(y), float64(x)))
}

// erfPoly is erf(x).
func erfPoly(x float32) float32 {
	x = clampNaN(x, -4, 4)
	z := x * x
	p := float32(erfA13)
	p = p*z + erfA11
	p = p*z + erfA9
	p = p*z + erfA7
	p = p*z + erfA5
	p = p*z + erfA3
	p = p*z + erfA1
	q := float32(erfB8)
	q = q*z + erfB6
	q = q*z + erfB4
	q = q*z + erfB2
	q = q*z + erfB0
	return (p * x) / q
}

// geluErfPoly is 0.5x(1+erf(x/√2)).
func geluErfPoly(x float32) float32 {
	return (0.5 * x) * (1 + erfPoly(x*0.70710678118654752))
}

// geluTanhPoly is 0.5x(1+tanh(√(2/π)(x+0.044715x³))) = x/(1+e^-2u).
func geluTanhPoly(x float32) float32 {
	u := x * (geluC0 + geluC1*(x*x))
	return x / (1 + expPoly(-u))
}

// polyAct applies an exp-family activation (or HardSigmoid/HardSwish) to
// src into dst with the polynomial forms; ok is false for other kinds.
func polyAct(act Act, dst, src []float32) bool {
	dst = dst[:len(src)]
	switch act.Kind {
	case ActSigmoid:
		for i, v := range src {
			dst[i] = sigmoidPoly(v)
		}
	case ActSiLU:
		for i, v := range src {
			dst[i] = v * sigmoidPoly(v)
		}
	case ActTanh:
		for i, v := range src {
			dst[i] = tanhPoly(v)
		}
	case ActExp:
		for i, v := range src {
			dst[i] = expPoly(v)
		}
	case ActErf:
		for i, v := range src {
			dst[i] = erfPoly(v)
		}
	case ActGelu:
		for i, v := range src {
			dst[i] = geluErfPoly(v)
		}
	case ActGeluTanh:
		for i, v := range src {
			dst[i] = geluTanhPoly(v)
		}
	default:
		return false
	}
	return true
}
