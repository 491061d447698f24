package kern

import (
	"math/rand"
	"testing"
)

// qconvCase builds a random quantized conv: input on the uint8 (or int8)
// grid, some values off it and out of range, int8 weights with zero points.
func qconvCase(r *rand.Rand, p ConvParams, signed bool) (w, wz []int64, q *QuantParams, x []float32) {
	kg := p.C / p.Group * p.KH * p.KW
	w = make([]int64, p.M*kg)
	for i := range w {
		w[i] = int64(r.Intn(255) - 127)
	}
	wz = []int64{0}
	if r.Intn(2) == 0 {
		wz = make([]int64, p.M)
		for i := range wz {
			wz[i] = int64(r.Intn(9) - 4)
		}
	}
	q = &QuantParams{XScale: 0.02, XZero: 117, XLo: 0, XHi: 255, YZero: 131, YLo: 0, YHi: 255, YScale: 0.05}
	if signed {
		q.XZero, q.XLo, q.XHi = -3, -128, 127
	}
	q.Mult = make([]float32, p.M)
	q.Bias = make([]int32, p.M)
	for m := range q.Mult {
		q.Mult[m] = q.XScale * (0.001 + 0.004*r.Float32()) / q.YScale
		q.Bias[m] = int32(r.Intn(20001) - 10000)
	}
	x = make([]float32, p.N*p.C*p.H*p.W)
	for i := range x {
		v := float32(r.Intn(256) + int(q.XLo) - int(q.XZero))
		x[i] = v * q.XScale
		if r.Intn(10) == 0 {
			x[i] = (r.Float32()*400 - 200) * q.XScale // off the grid, some out of range
		}
	}
	return
}

func TestQConvMatchesRef(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	cases := []ConvParams{
		{N: 1, C: 16, H: 7, W: 9, M: 24, OH: 7, OW: 9, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1},
		{N: 2, C: 5, H: 6, W: 5, M: 7, OH: 6, OW: 5, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1},
		{N: 1, C: 3, H: 11, W: 13, M: 8, OH: 6, OW: 7, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 1},
		{N: 1, C: 12, H: 9, W: 10, M: 12, OH: 9, OW: 10, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 12},
		{N: 1, C: 12, H: 9, W: 10, M: 12, OH: 5, OW: 5, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 12},
		{N: 1, C: 6, H: 8, W: 8, M: 6, OH: 4, OW: 4, KH: 3, KW: 3, SH: 2, SW: 2, PT: 0, PL: 0, PB: 1, PR: 1, DH: 1, DW: 1, Group: 6},
		{N: 1, C: 4, H: 9, W: 9, M: 4, OH: 5, OW: 5, KH: 5, KW: 5, SH: 1, SW: 1, PT: 0, PL: 0, PB: 0, PR: 0, DH: 1, DW: 1, Group: 4},
		{N: 1, C: 8, H: 9, W: 9, M: 6, OH: 5, OW: 5, KH: 3, KW: 3, SH: 1, SW: 1, PT: 0, PL: 0, PB: 0, PR: 0, DH: 2, DW: 2, Group: 2},
		{N: 1, C: 300, H: 3, W: 70, M: 9, OH: 3, OW: 70, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1},
		// one group through im2col (qconvIm2col where the vector kernels are)
		{N: 1, C: 3, H: 30, W: 30, M: 9, OH: 15, OW: 15, KH: 7, KW: 7, SH: 2, SW: 2, PT: 3, PL: 3, PB: 3, PR: 3, DH: 1, DW: 1, Group: 1},
		{N: 2, C: 8, H: 9, W: 9, M: 6, OH: 5, OW: 5, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, Group: 1},
		{N: 1, C: 12, H: 10, W: 10, M: 7, OH: 5, OW: 5, KH: 1, KW: 1, SH: 2, SW: 2, DH: 1, DW: 1, Group: 1},
		{N: 1, C: 256, H: 7, W: 7, M: 20, OH: 7, OW: 7, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 1},
	}
	for ci, p := range cases {
		for _, signed := range []bool{false, true} {
			w, wz, q, x := qconvCase(r, p, signed)
			if ci == 0 {
				q.YLo = q.YZero // a fused Relu
			}
			want := make([]float32, p.N*p.M*p.OH*p.OW)
			QConvRef(p, w, wz, q, x, want)
			pk := PackQConv(p, w, wz, max(q.XHi-q.XZero, q.XZero-q.XLo))
			if pk.fl == nil && ci < 8 {
				t.Errorf("case %d: no float route", ci)
			}
			nat := useNative
			for mode := 0; mode < 3; mode++ {
				// 0: integer kernels; 1: float route; 2: float route, scalar GEMM
				QuantFloatRoute, useNative = mode > 0, nat && mode < 2
				got := make([]float32, len(want))
				QConv(p, pk, q, x, got, pk.NewWork())
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("case %d signed %v mode %d: y[%d] = %v, want %v", ci, signed, mode, i, got[i], want[i])
					}
				}
			}
			useNative = nat
			QuantFloatRoute = true
		}
	}
}

func TestQGemmLanesExact(t *testing.T) {
	// The largest reduction the lanes take, at the extremes.
	kg := qMaxK
	a := make([]int64, kg*4)
	b := make([]int64, kg*2)
	for k := 0; k < kg; k++ {
		for r := 0; r < 4; r++ {
			a[k*4+r] = []int64{-255, 255, -255, 255}[r]
		}
		b[k*2] = 255 + (-255)<<32
		b[k*2+1] = -255 + 255<<32
	}
	var tile [16]int32
	qgemm4x4(a, b, kg, &tile)
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			av := []int64{-255, 255, -255, 255}[r]
			bv := []int64{255, -255, -255, 255}[c]
			if want := int32(int64(kg) * av * bv); tile[r*4+c] != want {
				t.Fatalf("tile[%d][%d] = %d, want %d", r, c, tile[r*4+c], want)
			}
		}
	}
}

// qpackGo and qgemmGo are the vector kernels' contracts in Go: installed
// natively they check qconvVec's layouts and blocking.
func qpackGo(x []float32, ld, k, strips int, scale, lo, hi float32, dst []int16) {
	for s := 0; s < strips; s++ {
		for t := 0; t < k/2; t++ {
			g := dst[(s*k/2+t)*16:]
			for c := 0; c < 8; c++ {
				g[(c/4)*8+(c%4)*2] = int16(quantOne(x[2*t*ld+8*s+c], scale, lo, hi))
				g[(c/4)*8+(c%4)*2+1] = int16(quantOne(x[(2*t+1)*ld+8*s+c], scale, lo, hi))
			}
		}
	}
}

func qgemmGo(a, b []int16, kb, mb, nb int, y []float32, ldy int, bias []int32, mult []float32, lo, hi, ys float32, tmp []float32) {
	kp := kb / 2
	for i := 0; i < mb; i++ {
		for j := 0; j < nb; j++ {
			acc := bias[i]
			for t := 0; t < kp; t++ {
				ap := a[((i/4*kp+t)*4+i%4)*2:]
				bp := b[(j/8*kp+t)*16+(j%8/4)*8+(j%4)*2:]
				acc += int32(ap[0])*int32(bp[0]) + int32(ap[1])*int32(bp[1])
			}
			y[i*ldy+j] = requantOut(acc, mult[i], lo, hi, ys)
		}
	}
}

func TestQConvVecLayout(t *testing.T) {
	defer SetQVecKernels(savedQVec())
	SetQVecKernels(QVecKernels{Pack: qpackGo, Gemm: qgemmGo})
	r := rand.New(rand.NewSource(3))
	for _, p := range []ConvParams{
		{N: 1, C: 16, H: 7, W: 7, M: 24, OH: 7, OW: 7, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1},
		{N: 2, C: 6, H: 4, W: 4, M: 5, OH: 4, OW: 4, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1},
		{N: 1, C: 1000, H: 3, W: 67, M: 9, OH: 3, OW: 67, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1},
	} {
		w, wz, q, x := qconvCase(r, p, false)
		want := make([]float32, p.N*p.M*p.OH*p.OW)
		QConvRef(p, w, wz, q, x, want)
		pk := PackQConv(p, w, wz, 255)
		if pk.a16 == nil {
			t.Fatalf("%+v: not packed for the vector kernels", p)
		}
		got := make([]float32, len(want))
		QConv(p, pk, q, x, got, pk.NewWork())
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%+v: y[%d] = %v, want %v", p, i, got[i], want[i])
			}
		}
	}
}

func qquantGo(x, dst []float32, n int, scale, lo, hi, out float32) {
	for i := 0; i < n; i++ {
		dst[i] = quantOne(x[i], scale, lo, hi) * out
	}
}

// qrequantGo is QRequantKernel's contract as qkernels.wasm computes it:
// the bias added in float32.
func qrequantGo(y []float32, n, ldy, m int, bias []float32, mult []float32, lo, hi, ys float32) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			y[i*ldy+j] = roundEven(clampf((y[i*ldy+j]+bias[i])*mult[i], lo, hi)) * ys
		}
	}
}

// The float route with the elementwise vector kernels' contracts installed.
func TestQConvFloatRouteVecLayout(t *testing.T) {
	defer SetQVecKernels(savedQVec())
	SetQVecKernels(QVecKernels{Quant: qquantGo, Requant: qrequantGo})
	r := rand.New(rand.NewSource(5))
	for _, p := range []ConvParams{
		{N: 2, C: 12, H: 9, W: 10, M: 12, OH: 5, OW: 5, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 12},
		{N: 1, C: 3, H: 11, W: 13, M: 8, OH: 6, OW: 7, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 1},
	} {
		w, wz, q, x := qconvCase(r, p, false)
		want := make([]float32, p.N*p.M*p.OH*p.OW)
		QConvRef(p, w, wz, q, x, want)
		pk := PackQConv(p, w, wz, 255)
		got := make([]float32, len(want))
		QConv(p, pk, q, x, got, pk.NewWork())
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%+v: y[%d] = %v, want %v", p, i, got[i], want[i])
			}
		}
	}
}

// qdwGo is QDWKernel's contract in Go: the input quantized into the
// padded plane (only its cells written), then the nine taps per output.
func qdwGo(p ConvParams, x, y []float32, w, bias []int32, mult []float32, pad []int16, wr int,
	xscale, xlo, xhi, lo, hi, ys float32, tmp []float32) {
	s := p.SH
	for c := 0; c < p.C; c++ {
		for iy := 0; iy < p.H; iy++ {
			for ix := 0; ix < p.W; ix++ {
				pad[(iy+p.PT)*wr+ix+p.PL] = int16(quantOne(x[(c*p.H+iy)*p.W+ix], xscale, xlo, xhi))
			}
		}
		for oy := 0; oy < p.OH; oy++ {
			for ox := 0; ox < p.OW; ox++ {
				acc := bias[c]
				for k := 0; k < 9; k++ {
					acc += w[c*9+k] * int32(pad[(oy*s+k/3)*wr+ox*s+k%3])
				}
				y[(c*p.OH+oy)*p.OW+ox] = requantOut(acc, mult[c], lo, hi, ys)
			}
		}
	}
}

// QConv's depthwise glue (padded plane geometry, bias, batches) with the
// vector depthwise kernel's contract installed.
func TestQConvDWVecLayout(t *testing.T) {
	defer SetQVecKernels(savedQVec())
	SetQVecKernels(QVecKernels{DW: qdwGo})
	r := rand.New(rand.NewSource(9))
	for _, p := range []ConvParams{
		{N: 2, C: 12, H: 9, W: 10, M: 12, OH: 5, OW: 5, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 12},
		{N: 1, C: 6, H: 8, W: 8, M: 6, OH: 4, OW: 4, KH: 3, KW: 3, SH: 2, SW: 2, PT: 0, PL: 0, PB: 1, PR: 1, DH: 1, DW: 1, Group: 6},
		{N: 1, C: 5, H: 7, W: 11, M: 5, OH: 7, OW: 11, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 5},
		{N: 1, C: 4, H: 6, W: 6, M: 4, OH: 4, OW: 4, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, Group: 4},
	} {
		for _, signed := range []bool{false, true} {
			w, wz, q, x := qconvCase(r, p, signed)
			if signed {
				q.Bias = nil
			}
			want := make([]float32, p.N*p.M*p.OH*p.OW)
			QConvRef(p, w, wz, q, x, want)
			pk := PackQConv(p, w, wz, 255)
			if !pk.dw16 {
				t.Fatalf("%+v: not taken by the vector depthwise kernel", p)
			}
			got := make([]float32, len(want))
			QConv(p, pk, q, x, got, pk.NewWork())
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v: y[%d] = %v, want %v", p, i, got[i], want[i])
				}
			}
		}
	}
}

// savedQVec is the installed set of quantized vector kernels (the AVX2 ones
// natively, none under wasm's Go-only tests), for tests that swap in their
// own to restore.
func savedQVec() QVecKernels {
	return QVecKernels{Pack: vecQPack, Gemm: vecQGemm, Quant: vecQQuant, Requant: vecQRequant, DW: vecQDW}
}
