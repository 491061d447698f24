//go:build js && wasm

package simd

import (
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// TestQDWTimingWasm (GLIMPSE_QBENCH=1) times MobileNetV2's 3×3 depthwise
// convs, with SIMD, interleaved: float32 (Conv + Clip), the quantized conv
// on qdw.wasm, and on the float route (quantize, float kernel, requantize);
// it logs each shape's medians and the totals' ratios.
func TestQDWTimingWasm(t *testing.T) {
	if os.Getenv("GLIMPSE_QBENCH") == "" {
		t.Skip("set GLIMPSE_QBENCH=1")
	}
	needSIMD(t)
	r := rand.New(rand.NewPCG(1, 2))
	type shape struct{ c, h, s, n int } // n: how many such layers V2 has
	var tot [4]float64
	for _, sh := range []shape{{32, 112, 1, 1}, {96, 112, 2, 1}, {144, 56, 1, 1}, {144, 56, 2, 1}, {192, 28, 1, 2},
		{192, 28, 2, 1}, {384, 14, 1, 4}, {576, 14, 1, 2}, {576, 14, 2, 1}, {960, 7, 1, 3}} {
		p := kern.ConvParams{N: 1, C: sh.c, H: sh.h, W: sh.h, M: sh.c, KH: 3, KW: 3, SH: sh.s, SW: sh.s, DH: 1, DW: 1,
			PT: 1, PL: 1, PB: 1, PR: 1, Group: sh.c}
		p.OH = (p.H+2-3)/sh.s + 1
		p.OW = p.OH
		w, wz, q, x0 := qcase(r, p, false)
		// Inputs and outputs rotate through 6 copies, out of cache as in a
		// model run.
		var xs, ys [6][]float32
		for i := range xs {
			xs[i] = append([]float32(nil), x0...)
			ys[i] = make([]float32, p.M*p.OH*p.OW)
		}
		var x, y []float32
		k := 0
		next := func() { k = (k + 1) % len(xs); x, y = xs[k], ys[k] }
		pk := kern.PackQConv(p, w, wz, 255)
		wk := pk.NewWork()
		wk8 := pk.NewWork()
		wk8.SetQ8(true, true)
		wf := make([]float32, len(w))
		for i := range wf {
			wf[i] = float32(w[i]) * 0.01
		}
		fp := kern.PackConv(p, wf)
		scratch := make([]float32, kern.ScratchSize(p))
		bias := make([]float32, p.M)
		act := kern.Act{Kind: kern.ActClip, A: 0, B: 6}
		runs := []func(){
			func() { next(); kern.Conv(p, fp, x, bias, nil, act, y, scratch) },
			func() { next(); kern.QConv(p, pk, q, x, y, wk) },
			func() {
				next()
				setQDW(false)
				kern.QConv(p, pk, q, x, y, wk)
				setQDW(true)
			},
			func() { next(); kern.QConv(p, pk, q, x, y, wk8) },
		}
		const reps = 41
		var ts [4][]float64
		for range reps {
			for i, f := range runs {
				t0 := time.Now()
				for range 3 {
					f()
				}
				ts[i] = append(ts[i], float64(time.Since(t0).Microseconds())/3000)
			}
		}
		var med [4]float64
		for i := range ts {
			sort.Float64s(ts[i])
			med[i] = ts[i][reps/2]
			tot[i] += med[i] * float64(sh.n)
		}
		t.Logf("%4d×%3d² s%d ×%d: float %.3f ms, qdw %.3f ms (%.2f×), bytes %.3f ms (%.2f×), float route %.3f ms (%.2f×)",
			sh.c, sh.h, sh.s, sh.n, med[0], med[1], med[1]/med[0], med[3], med[3]/med[0], med[2], med[2]/med[0])
	}
	t.Logf("V2's 17 depthwise convs: float %.2f ms, qdw %.2f ms (%.2f×), bytes %.2f ms (%.2f×), float route %.2f ms (%.2f×)",
		tot[0], tot[1], tot[1]/tot[0], tot[3], tot[3]/tot[0], tot[2], tot[2]/tot[0])
}

// setQDW switches qdw.wasm's kernel on or off (timings).
func setQDW(on bool) {
	k := kern.QVecKernels{Pack: qpack, Gemm: qgemm, Quant: qquant, Requant: qrequant, Pack8: qpack8, Gemm8: qgemm8, Requant8: qrequant8}
	if on {
		k.DW, k.DW8 = qdw, qdw8
	}
	kern.SetQVecKernels(k)
}
