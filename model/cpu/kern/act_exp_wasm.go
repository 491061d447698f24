//go:build wasm

package kern

// PolyActs reports whether the exp-family activations use the float32
// polynomials (act_poly.go): under wasm they do, ~20x faster than float64
// math.Exp in Go's scalar wasm, and with SIMD (SetVecAct) the bulk goes 4
// lanes at a time.
const PolyActs = true

// expActs applies an exp-family activation: the vector kernel for the
// 4-aligned bulk when installed, the scalar polynomials for the rest.
func expActs(act Act, y []float32) {
	y = vecActs(act, y)
	if len(y) > 0 && !polyAct(act, y, y) {
		panic("kern: unknown activation kind")
	}
}
