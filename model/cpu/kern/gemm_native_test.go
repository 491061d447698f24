//go:build !wasm

package kern

import (
	"fmt"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkGemmVsGonum compares the scalar blocked Gemm with gonum's Sgemm
// (SSE axpy/dot assembly, goroutine-parallel above 64×64 blocks) on 1×1-conv
// shapes (M×N×K = out channels × pixels × in channels). It is how the
// native path was chosen; see gemm_native.go.
func BenchmarkGemmVsGonum(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{24, 3136, 144}, {96, 784, 32}, {1280, 49, 320}, {1, 1000, 1280}} {
		r := rand.New(rand.NewSource(1))
		a, bb, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
		flops := 2 * float64(s.m*s.n*s.k)
		b.Run(fmt.Sprintf("kern/%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				gemmScalar(false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("gonum/%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
