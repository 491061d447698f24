//go:build wasm

package kern

// useNative is false under wasm: there is no platform GEMM worth calling (no
// SIMD, no assembly), so the scalar register-blocked kernel always runs.
// Tests may set it to exercise the plain-layout conv path.
var useNative = false

// gemmNative reports whether a platform GEMM handled the call; never under
// wasm.
func gemmNative(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	return false
}
