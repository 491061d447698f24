//go:build js && wasm

package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// tensor.wasm's row kernels give bitwise kern's Go results, for row lengths
// with and without a tail, in place and not, with and without bias and
// statistics outputs.
func TestTensorRowsMatchGo(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(3, 4))
	same := func(what string, n int, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s n=%d: [%d] = %v, Go %v", what, n, i, got[i], want[i])
			}
		}
	}
	for _, n := range []int{4, 5, 6, 7, 8, 13, 64, 192, 197, 1000} {
		rows := 7
		src := make([]float32, rows*n)
		for i := range src {
			src[i] = (r.Float32()*2 - 1) * 20
		}
		src[n/2] = float32(math.Inf(-1))
		scale, bias := randSlice(r, n), randSlice(r, n)
		type out struct{ sm, smIn, ln, lnNoBias, mean, inv, sum []float32 }
		run := func() out {
			var o out
			o.sm = make([]float32, len(src))
			kern.SoftmaxRows(o.sm, src, rows, n)
			o.smIn = append([]float32(nil), src...)
			kern.SoftmaxRows(o.smIn, o.smIn, rows, n)
			o.ln = make([]float32, len(src))
			o.mean, o.inv = make([]float32, rows), make([]float32, rows)
			src2 := append([]float32(nil), src...)
			src2[n/2] = 0.5
			kern.LayerNormRows(o.ln, src2, scale, bias, rows, n, 1e-5, o.mean, o.inv)
			o.lnNoBias = append([]float32(nil), src2...)
			kern.LayerNormRows(o.lnNoBias, o.lnNoBias, scale, nil, rows, n, 1e-6, nil, nil)
			o.sum = make([]float32, rows)
			kern.RowSums(o.sum, src2, rows, n, float32(n))
			return o
		}
		g, v := both(t, run)
		same("softmax", n, v.sm, g.sm)
		same("softmax in place", n, v.smIn, g.smIn)
		same("layernorm", n, v.ln, g.ln)
		same("layernorm mean", n, v.mean, g.mean)
		same("layernorm inv", n, v.inv, g.inv)
		same("layernorm in place, no bias", n, v.lnNoBias, g.lnNoBias)
		same("rowsum", n, v.sum, g.sum)
		// and softmax is softmax
		for i := 0; i < n; i++ {
			m := math.Inf(-1)
			for j := 0; j < n; j++ {
				m = math.Max(m, float64(src[j]))
			}
			var s float64
			for j := 0; j < n; j++ {
				s += math.Exp(float64(src[j]) - m)
			}
			want := math.Exp(float64(src[i])-m) / s
			if d := math.Abs(float64(v.sm[i]) - want); d > 1e-6+1e-5*want {
				t.Fatalf("softmax n=%d [%d] = %v, want %v", n, i, v.sm[i], want)
			}
		}
	}
}

// The dots kernel behind Gemm's m == 1, transB case gives bitwise kern's
// scalar gemv (dot products), with and without beta.
func TestGemvDotsMatchGo(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{4, 5, 7, 64, 1023, 1024} {
		n := 37
		ldb := k + 3
		a, b := randSlice(r, k), randSlice(r, n*ldb)
		c0 := randSlice(r, n)
		run := func() [2][]float32 {
			c1 := make([]float32, n)
			kern.Gemm(false, true, 1, n, k, 1, a, k, b, ldb, 0, c1, n)
			c2 := append([]float32(nil), c0...)
			kern.Gemm(false, true, 1, n, k, 1, a, k, b, ldb, 1, c2, n)
			return [2][]float32{c1, c2}
		}
		g, v := both(t, run)
		for q := range g {
			for j := range g[q] {
				if math.Float32bits(g[q][j]) != math.Float32bits(v[q][j]) {
					t.Fatalf("k=%d beta=%d: c[%d] = %v, Go %v", k, q, j, v[q][j], g[q][j])
				}
			}
		}
	}
}

// binary() computes each element as Go does (bitwise), for every op,
// repeated rows on either side, and rows with and without a tail.
func TestBinaryRowsMatchGo(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{16, 17, 19, 192, 197} {
		rows := 5
		for op := kern.BinAdd; op <= kern.BinDiv; op++ {
			for _, rep := range [][2]bool{{false, false}, {false, true}, {true, false}} {
				x, y := randSlice(r, rows*n), randSlice(r, rows*n)
				z := make([]float32, rows*n)
				if !kern.BinaryRows(op, z, x, y, rows, n, rep[0], rep[1]) {
					t.Fatal("BinaryRows did not run")
				}
				for i := range z {
					xi, yi := i, i
					if rep[0] {
						xi = i % n
					}
					if rep[1] {
						yi = i % n
					}
					var want float32
					switch op {
					case kern.BinAdd:
						want = x[xi] + y[yi]
					case kern.BinSub:
						want = x[xi] - y[yi]
					case kern.BinMul:
						want = x[xi] * y[yi]
					case kern.BinDiv:
						want = x[xi] / y[yi]
					}
					if math.Float32bits(z[i]) != math.Float32bits(want) {
						t.Fatalf("n=%d op=%d rep=%v: z[%d] = %v, want %v", n, op, rep, i, z[i], want)
					}
				}
			}
		}
	}
}
