//go:build !wasm

package kern

import "math"

// PolyActs reports whether the exp-family activations use the float32
// polynomials (act_poly.go): natively the scalar loops keep float64 math,
// though with a vector kernel installed (amd64 with AVX2+FMA: act_amd64.go)
// the bulk of every slice takes the polynomials.
const PolyActs = false

// expActs applies an exp-family activation: the vector kernel for the
// 4-aligned bulk when installed (vecActs), float64 math for the rest.
func expActs(act Act, y []float32) {
	y = vecActs(act, y)
	switch act.Kind {
	case ActSigmoid:
		for i, v := range y {
			y[i] = sigmoid(v)
		}
	case ActSiLU:
		for i, v := range y {
			y[i] = v * sigmoid(v)
		}
	case ActTanh:
		for i, v := range y {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case ActExp:
		for i, v := range y {
			y[i] = float32(math.Exp(float64(v)))
		}
	case ActErf:
		for i, v := range y {
			y[i] = float32(math.Erf(float64(v)))
		}
	case ActGelu:
		for i, v := range y {
			x := float64(v)
			y[i] = float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
		}
	case ActGeluTanh:
		for i, v := range y {
			x := float64(v)
			y[i] = float32(0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))))
		}
	default:
		panic("kern: unknown activation kind")
	}
}

// sigmoid is 1/(1+e^-x) evaluated so that exp never sees a large positive
// argument: for x < 0 it uses e^x/(1+e^x), so neither branch overflows.
func sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}
