//go:build wasm

package kern

// gemmNative reports whether a platform GEMM handled the call. Under wasm
// there is none worth calling (no SIMD, no assembly), so the scalar
// register-blocked kernel always runs.
func gemmNative(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	return false
}
