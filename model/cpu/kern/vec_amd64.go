//go:build amd64 && !purego

package kern

// Natively on amd64 with AVX2 and FMA, the vector-kernel hooks take Go
// assembly instead of gonum's SSE Sgemm and scalar Go: the same hooks the
// browser build fills from wasm/simd, so packing, blocking and edges are
// shared. The GEMM-based convs and Gemm run on gemmAVX2 (gemm_amd64.s),
// 3×3 depthwise on dwAVX2, 5×5 depthwise on dw5AVX2, the exp-family and
// hard activations on actAVX2 (act_poly.go's polynomials, 8 lanes), and the
// interior of 2-D max/average pooling on poolAVX2. On MobileNetV2's 1×1
// convs gemmAVX2 measured 80–104 GFLOP/s against gonum's 10–15
// (BenchmarkConv1x1; GLIMPSE_NOSIMD=1 for the latter).
func init() {
	if !hasAVX2FMA {
		return
	}
	vecGemm = gemmAVX2
	vecDW = dwAVX2
	useNative = false
	SetVecAct(actAVX2)
	SetVec2Kernels(Vec2Kernels{Pool: poolAVX2, DW5: dw5AVX2})
}
