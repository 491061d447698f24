//go:build amd64 && !purego

package kern

// Natively on amd64 with AVX2 and FMA, the vector-kernel hook (vec.go)
// takes the assembly kernels instead of gonum's SSE Sgemm: the GEMM-based
// convs and Gemm run on gemmAVX2, 3×3 depthwise convs on dwAVX2. On
// MobileNetV2's 1×1 convs gemmAVX2 measured 80–104 GFLOP/s against
// gonum's 10–15 (BenchmarkConv1x1, GLIMPSE_NOSIMD=1 for the latter).
func init() {
	if !hasAVX2FMA {
		return
	}
	vecGemm = gemmAVX2
	vecDW = dwAVX2 // dw_amd64.go: 3×3 depthwise, stride 1 or 2
	useNative = false
}
