//go:build amd64 && !purego

package kern

// Natively on amd64 with AVX2 and FMA, the vector-kernel hooks take Go
// assembly instead of gonum's SSE Sgemm and scalar Go: the same hooks the
// browser build fills from wasm/simd, so packing, blocking and edges are
// shared.
//   - gemmAVX2 (gemm_amd64.s): the GEMM-based convs and Gemm; on
//     MobileNetV2's 1×1 convs 80–104 GFLOP/s against gonum's 10–15
//     (BenchmarkConv1x1; GLIMPSE_NOSIMD=1 for the latter);
//   - dwAVX2, dw5AVX2: 3×3 and 5×5 depthwise;
//   - actAVX2: the exp-family and hard activations (act_poly.go's
//     polynomials, 8 lanes);
//   - poolAVX2: the interior of 2-D max/average pooling;
//   - qvecAVX2 (qconv_amd64.s): the quantized 1×1 conv (VPMADDWD on int16
//     pairs) and the float route's quantize/requantize passes, bit-identical
//     to the scalar integer path.
func init() {
	if !hasAVX2FMA {
		return
	}
	vecGemm = gemmAVX2
	vecDW = dwAVX2
	useNative = false
	SetVecAct(actAVX2)
	SetVec2Kernels(Vec2Kernels{Pool: poolAVX2, DW5: dw5AVX2})
	SetQVecKernels(qvecAVX2)
}
