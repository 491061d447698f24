//go:build amd64 && !purego

package kern

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// needQAVX2 skips without AVX2 and installs the AVX2 quantized kernels
// for the test (other tests install and clear their own).
func needQAVX2(t testing.TB) {
	if !hasAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	SetQVecKernels(qvecAVX2)
	t.Cleanup(func() { SetQVecKernels(qvecAVX2) })
}

// qodd returns awkward float inputs for quantization at scale s: exact
// ties, NaN, infinities, values far out of range, signed zeros.
func qodd(r *rand.Rand, s float32) float32 {
	switch r.Intn(12) {
	case 0:
		return (float32(r.Intn(600)-300) + 0.5) * s // a tie, or near one after the division
	case 1:
		return float32(math.NaN())
	case 2:
		return float32(math.Inf(2*r.Intn(2) - 1))
	case 3:
		return (r.Float32()*2e6 - 1e6) * s
	case 4:
		return float32(math.Copysign(0, float64(r.Intn(2)*2-1)))
	case 5:
		return (r.Float32() - 0.5) * s // rounds to a zero of either sign
	default:
		return float32(r.Intn(300)-150) * s
	}
}

func TestQPackAVX2Exact(t *testing.T) {
	needQAVX2(t)
	r := rand.New(rand.NewSource(11))
	for _, k := range []int{2, 4, 6, 14, 32, 66} {
		for _, strips := range []int{1, 2, 3, 7} {
			for _, rg := range [][3]float32{{0.02, -117, 138}, {0.3, -128, 127}, {0.01, 0, 255}, {1, -32768, 32767}, {0.05, -5, 3}} {
				ld := strips*8 + r.Intn(5)
				x := make([]float32, (k-1)*ld+strips*8)
				for i := range x {
					x[i] = qodd(r, rg[0])
				}
				want := make([]int16, strips*k*8)
				got := make([]int16, len(want))
				qpackGo(x, ld, k, strips, rg[0], rg[1], rg[2], want)
				qpackAVX2(x, ld, k, strips, rg[0], rg[1], rg[2], got)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("k %d strips %d range %v: dst[%d] = %d, want %d", k, strips, rg, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestQGemmAVX2Exact(t *testing.T) {
	needQAVX2(t)
	r := rand.New(rand.NewSource(12))
	for _, kb := range []int{2, 4, 6, 18, 98, 1000} {
		for _, mb := range []int{1, 3, 4, 5, 7, 12, 13, 33} {
			for _, nb := range []int{1, 7, 8, 9, 17, 23, 24, 25, 31, 40, 100} {
				kp, m4, s8 := kb/2, (mb+3)/4*4, (nb+7)/8
				a := make([]int16, m4*kb)
				for i := 0; i < mb; i++ { // rows past mb stay zero, as packQ16 leaves them
					for p := 0; p < kb; p++ {
						a[((i/4*kp+p/2)*4+i%4)*2+p%2] = int16(r.Intn(256) - 128)
					}
				}
				b := make([]int16, s8*8*kb)
				for j := 0; j < nb; j++ { // columns past nb stay zero
					for p := 0; p < kb; p++ {
						b[(j/8*kp+p/2)*16+(j%8/4)*8+(j%4)*2+p%2] = int16(r.Intn(511) - 255)
					}
				}
				if r.Intn(4) == 0 { // the extremes: sums at the int16 products' limits
					for i := range a {
						a[i] = -128
					}
					for i := range b {
						b[i] = int16(255 * (1 - 2*(i&1)))
					}
				}
				bias := make([]int32, m4)
				mult := make([]float32, m4)
				for i := range bias {
					bias[i] = int32(r.Intn(40001) - 20000)
					mult[i] = (0.0002 + 0.004*r.Float32()) * float32(1+r.Intn(3)*10) // some saturate
				}
				lo, hi := float32(-128+r.Intn(40)), float32(127-r.Intn(40))
				if r.Intn(3) == 0 {
					lo, hi = 0, 255 // uint8, zero point 0, with a Relu
				}
				ys := float32(0.05)
				ldy := nb + r.Intn(3)
				want := make([]float32, (mb-1)*ldy+nb)
				got := make([]float32, len(want))
				for i := range want {
					want[i], got[i] = -7, -7 // gaps between rows must stay
				}
				qgemmGo(a, b, kb, mb, nb, want, ldy, bias, mult, lo, hi, ys, nil)
				qgemmAVX2(a, b, kb, mb, nb, got, ldy, bias, mult, lo, hi, ys, make([]float32, 8))
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("kb %d mb %d nb %d: y[%d] = %v, want %v", kb, mb, nb, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestQQuantRequantAVX2Exact(t *testing.T) {
	needQAVX2(t)
	r := rand.New(rand.NewSource(13))
	for _, n := range []int{4, 8, 12, 16, 20, 28, 36, 100, 1004} {
		for _, rg := range [][4]float32{{0.02, -117, 138, 1}, {0.02, -117, 138, 0.02}, {0.3, -128, 127, 1}, {0.01, 0, 255, 0.01}, {0.05, -5, 3, 1}} {
			x := make([]float32, n+3)
			for i := range x {
				x[i] = qodd(r, rg[0])
			}
			want := make([]float32, len(x))
			got := make([]float32, len(x))
			qquantGo(x, want, n, rg[0], rg[1], rg[2], rg[3])
			qquantVec(x, got, n, rg[0], rg[1], rg[2], rg[3])
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("quant n %d range %v: dst[%d] = %v, want %v (x %v)", n, rg, i, got[i], want[i], x[i])
				}
			}
			// in place
			copy(got, x)
			qquantVec(got, got, n, rg[0], rg[1], rg[2], rg[3])
			for i := range want {
				w := want[i]
				if i >= n {
					w = x[i] // untouched
				}
				if math.Float32bits(got[i]) != math.Float32bits(w) {
					t.Fatalf("quant in place n %d: dst[%d] = %v, want %v", n, i, got[i], w)
				}
			}
		}
		for _, m := range []int{1, 3, 5} {
			ldy := n + r.Intn(5)
			y := make([]float32, (m-1)*ldy+n)
			for i := range y {
				y[i] = float32(r.Intn(1<<25) - 1<<24)
				if r.Intn(3) == 0 {
					y[i] = float32(r.Intn(4001) - 2000)
				}
			}
			bias := make([]float32, m)
			mult := make([]float32, m)
			for i := range bias {
				bias[i] = float32(r.Intn(1<<25) - 1<<24)
				if r.Intn(2) == 0 {
					bias[i] = float32(r.Intn(2001) - 1000)
				}
				mult[i] = 0.001 + 0.05*r.Float32()
			}
			lo, hi := float32(-128+r.Intn(130)), float32(127)
			want := append([]float32(nil), y...)
			got := append([]float32(nil), y...)
			qrequantGo(want, n, ldy, m, bias, mult, lo, hi, 0.04)
			qrequantVec(got, n, ldy, m, bias, mult, lo, hi, 0.04)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("requant n %d m %d: y[%d] = %v, want %v", n, m, i, got[i], want[i])
				}
			}
		}
	}
}

// qconvScalar is QConv on the scalar integer path: no vector hooks, no
// float route.
func qconvScalar(p ConvParams, pk *PackedQConv, q *QuantParams, x, y []float32) {
	SetQVecKernels(QVecKernels{})
	defer SetQVecKernels(qvecAVX2)
	QuantFloatRoute = false
	defer func() { QuantFloatRoute = true }()
	QConv(p, pk, q, x, y, pk.NewWork())
}

func conv1(n, c, h, w, m int) ConvParams {
	return ConvParams{N: n, C: c, H: h, W: w, M: m, OH: h, OW: w, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1}
}

// QConv with the AVX2 kernels against the scalar integer path, bit for
// bit, on both of its vector routes (1×1 GEMM, float route's passes).
func TestQConvAVX2MatchesScalar(t *testing.T) {
	needQAVX2(t)
	r := rand.New(rand.NewSource(14))
	cases := []ConvParams{
		conv1(1, 16, 7, 9, 24),
		conv1(2, 6, 5, 5, 5),
		conv1(1, 2, 1, 1, 1),
		conv1(1, 10, 3, 3, 3),
		conv1(1, 18, 9, 11, 13),
		conv1(1, 32, 56, 56, 16),
		conv1(1, 96, 14, 14, 23),
		conv1(1, 1000, 3, 67, 9),
		conv1(2, 320, 7, 7, 130),
		conv1(1, 7, 5, 6, 9), // odd channels: the Go paths
		{N: 1, C: 3, H: 11, W: 13, M: 8, OH: 6, OW: 7, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 1},
		{N: 2, C: 12, H: 9, W: 10, M: 12, OH: 5, OW: 5, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 12},
		{N: 1, C: 13, H: 15, W: 17, M: 13, OH: 15, OW: 17, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 13},
		{N: 1, C: 8, H: 9, W: 9, M: 6, OH: 5, OW: 5, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, Group: 2},
	}
	for ci, p := range cases {
		for variant := 0; variant < 6; variant++ {
			signed := variant%2 == 1
			w, wz, q, x := qconvCase(r, p, signed)
			switch variant / 2 {
			case 1: // fused Relu (uint8) / Relu6-like clip
				q.YLo = q.YZero
				if signed {
					q.YHi = q.YZero + 40
				}
			case 2: // no bias, saturating multipliers, zero points 0
				q.Bias = nil
				q.XZero, q.YZero = 0, 0
				if !signed {
					q.XZero = 0
				}
				for m := range q.Mult {
					q.Mult[m] *= float32(1 + 20*(m%3))
				}
			}
			for i := range x {
				if r.Intn(25) == 0 {
					x[i] = qodd(r, q.XScale)
				}
			}
			pk := PackQConv(p, w, wz, max(q.XHi-q.XZero, q.XZero-q.XLo))
			want := make([]float32, p.N*p.M*p.OH*p.OW)
			qconvScalar(p, pk, q, x, want)
			got := make([]float32, len(want))
			QConv(p, pk, q, x, got, pk.NewWork())
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("case %d variant %d (%+v): y[%d] = %v, want %v", ci, variant, p, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkQConv1x1AVX2 compares the scalar integer path with the AVX2
// kernels on MobileNetV2-like 1×1 convs.
func BenchmarkQConv1x1AVX2(b *testing.B) {
	if !hasAVX2FMA {
		b.Skip("no AVX2+FMA")
	}
	r := rand.New(rand.NewSource(1))
	for _, p := range []ConvParams{conv1(1, 32, 112, 112, 16), conv1(1, 144, 56, 56, 24), conv1(1, 192, 28, 28, 64), conv1(1, 960, 7, 7, 320)} {
		w, wz, q, x := qconvCase(r, p, false)
		pk := PackQConv(p, w, wz, 255)
		y := make([]float32, p.N*p.M*p.OH*p.OW)
		wk := pk.NewWork()
		flops := float64(2 * p.C * p.M * p.OH * p.OW)
		name := fmt.Sprintf("C%d_M%d_%dx%d", p.C, p.M, p.H, p.W)
		b.Run(name+"/scalar", func(b *testing.B) {
			SetQVecKernels(QVecKernels{})
			defer SetQVecKernels(qvecAVX2)
			QuantFloatRoute = false
			defer func() { QuantFloatRoute = true }()
			for i := 0; i < b.N; i++ {
				QConv(p, pk, q, x, y, wk)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
		b.Run(name+"/avx2", func(b *testing.B) {
			SetQVecKernels(qvecAVX2)
			for i := 0; i < b.N; i++ {
				QConv(p, pk, q, x, y, wk)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
	}
}
