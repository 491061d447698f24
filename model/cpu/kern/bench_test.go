package kern

import (
	"fmt"
	"math/rand"
	"testing"
)

// convBench times one Conv and reports GFLOP/s (2 flops per multiply-add).
func convBench(b *testing.B, p ConvParams, act Act) {
	r := rand.New(rand.NewSource(1))
	w := PackConv(p, randSlice(r, p.M*p.C/p.Group*p.KH*p.KW))
	x := randSlice(r, p.N*p.C*p.H*p.W)
	bias := randSlice(r, p.M)
	y := make([]float32, p.N*p.M*p.OH*p.OW)
	scratch := make([]float32, ScratchSize(p))
	flops := 2 * float64(len(y)) * float64(p.C/p.Group*p.KH*p.KW)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Conv(p, w, x, bias, nil, act, y, scratch)
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

var relu6 = Act{Kind: ActClip, A: 0, B: 6}

func BenchmarkConv3x3(b *testing.B) {
	b.Run("stem_3to32_224_s2", func(b *testing.B) {
		convBench(b, mkParams(1, 3, 224, 224, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), relu6)
	})
	b.Run("32to64_112_s1", func(b *testing.B) {
		convBench(b, mkParams(1, 32, 112, 112, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), relu6)
	})
}

func BenchmarkConv1x1(b *testing.B) {
	for _, s := range []struct{ c, m, hw int }{{16, 96, 112}, {96, 24, 56}, {144, 24, 56}, {576, 96, 14}, {320, 1280, 7}} {
		b.Run(fmt.Sprintf("%dto%d_%d", s.c, s.m, s.hw), func(b *testing.B) {
			convBench(b, mkParams(1, s.c, s.hw, s.hw, s.m, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1), relu6)
		})
	}
}

func BenchmarkDepthwise3x3(b *testing.B) {
	b.Run("144_56_s1", func(b *testing.B) {
		convBench(b, mkParams(1, 144, 56, 56, 144, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 144), relu6)
	})
	b.Run("144_56_s2", func(b *testing.B) {
		convBench(b, mkParams(1, 144, 56, 56, 144, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 144), relu6)
	})
}

func BenchmarkGemm(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{1, 1000, 1280}, {64, 196, 576}} {
		b.Run(fmt.Sprintf("%dx%dx%d_transB", s.m, s.n, s.k), func(b *testing.B) {
			r := rand.New(rand.NewSource(1))
			a, bb := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n)
			c := make([]float32, s.m*s.n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Gemm(false, true, s.m, s.n, s.k, 1, a, s.k, bb, s.k, 0, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// mobileNetV2 lists MobileNetV2's convolutions (224×224, width 1.0) in
// order; res marks the projections that add the block input.
type mnLayer struct {
	p   ConvParams
	act Act
	res bool
}

func mobileNetV2() []mnLayer {
	var ls []mnLayer
	conv1x1 := func(c, m, hw int, act Act, res bool) {
		ls = append(ls, mnLayer{mkParams(1, c, hw, hw, m, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1), act, res})
	}
	ls = append(ls, mnLayer{p: mkParams(1, 3, 224, 224, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), act: relu6})
	cin, hw := 32, 112
	for _, s := range [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		t, c, n, st := s[0], s[1], s[2], s[3]
		for i := 0; i < n; i++ {
			stride := st
			if i > 0 {
				stride = 1
			}
			hidden := cin * t
			if t != 1 {
				conv1x1(cin, hidden, hw, relu6, false)
			}
			dw := mkParams(1, hidden, hw, hw, hidden, 3, 3, stride, stride, 1, 1, 1, 1, 1, 1, hidden)
			ls = append(ls, mnLayer{p: dw, act: relu6})
			hw = dw.OH
			conv1x1(hidden, c, hw, Act{}, stride == 1 && cin == c)
			cin = c
		}
	}
	conv1x1(cin, 1280, hw, relu6, false)
	return ls
}

// BenchmarkMobileNetV2 runs every conv of MobileNetV2 plus the 1280→1000
// classifier Gemm back to back: the number to compare with the 250 ms wasm
// budget (pooling and softmax are negligible and not included).
func BenchmarkMobileNetV2(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	ls := mobileNetV2()
	type prep struct {
		w    *PackedConv
		bias []float32
	}
	ps := make([]prep, len(ls))
	maxAct, maxScratch := 0, 0
	var flops float64
	for i, l := range ls {
		p := l.p
		ps[i] = prep{PackConv(p, randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)), randSlice(r, p.M)}
		maxAct = max(maxAct, p.C*p.H*p.W, p.M*p.OH*p.OW)
		maxScratch = max(maxScratch, ScratchSize(p))
		flops += 2 * float64(p.M*p.OH*p.OW) * float64(p.C/p.Group*p.KH*p.KW)
	}
	flops += 2 * 1280 * 1000
	bufs := [3][]float32{randSlice(r, maxAct), make([]float32, maxAct), make([]float32, maxAct)}
	scratch := make([]float32, maxScratch)
	fc, fcOut, pooled := randSlice(r, 1280*1000), make([]float32, 1000), randSlice(r, 1280)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		in, blockIn := 0, 0
		for i, l := range ls {
			out := (in + 1) % 3
			if out == blockIn {
				out = (out + 1) % 3
			}
			p := l.p
			var res []float32
			if l.res {
				res = bufs[blockIn][:p.M*p.OH*p.OW]
			}
			Conv(p, ps[i].w, bufs[in][:p.C*p.H*p.W], ps[i].bias, res, l.act, bufs[out][:p.M*p.OH*p.OW], scratch)
			if p.Group == 1 && p.KH == 1 && l.act.Kind == ActNone {
				blockIn = out // a projection ends a block
			}
			if i == 0 {
				blockIn = out
			}
			in = out
		}
		Gemm(false, true, 1, 1000, 1280, 1, pooled, 1280, fc, 1280, 0, fcOut, 1000)
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/inference")
}

// BenchmarkMicroKernel times the 4×3 register kernel alone on L1-resident
// packed panels (k=144): the ceiling the GEMM-based convs can approach.
func BenchmarkMicroKernel(b *testing.B) {
	const k = 144
	r := rand.New(rand.NewSource(1))
	ap, bp := randSlice(r, mr*k), randSlice(r, nr*k)
	var c [mr * nr]float32
	for i := 0; i < b.N; i++ {
		kern4x3(ap, bp, c[:], nr, false, 0, 0, 0, 0)
	}
	b.ReportMetric(2*mr*nr*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
