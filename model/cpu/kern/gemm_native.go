//go:build !wasm

package kern

// gemmNative reports whether a platform GEMM handled the call.
func gemmNative(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	return false
}
