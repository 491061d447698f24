//go:build js && wasm

package simd

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/onnx"
)

// qcase is a random quantized 1×1 conv: inputs on the grid with some off
// it, out of range and NaN; int8 weights with small zero points.
func qcase(r *rand.Rand, p kern.ConvParams, signed bool) (w, wz []int64, q *kern.QuantParams, x []float32) {
	w = make([]int64, p.M*p.C/p.Group*p.KH*p.KW)
	for i := range w {
		w[i] = int64(r.IntN(255) - 127)
	}
	wz = make([]int64, p.M)
	for i := range wz {
		wz[i] = int64(r.IntN(9) - 4)
	}
	q = &kern.QuantParams{XScale: 0.02, XZero: 117, XLo: 0, XHi: 255, YZero: 131, YLo: 0, YHi: 255, YScale: 0.05}
	if signed {
		q.XZero, q.XLo, q.XHi = -3, -128, 127
	}
	q.Mult, q.Bias = make([]float32, p.M), make([]int32, p.M)
	for m := range q.Mult {
		q.Mult[m] = q.XScale * (0.001 + 0.004*r.Float32()) / q.YScale
		q.Bias[m] = int32(r.IntN(20001) - 10000)
	}
	x = make([]float32, p.N*p.C*p.H*p.W)
	for i := range x {
		x[i] = float32(r.IntN(256)+int(q.XLo)-int(q.XZero)) * q.XScale
		switch r.IntN(20) {
		case 0:
			x[i] = (r.Float32()*400 - 200) * q.XScale
		case 1:
			x[i] = float32(r.IntN(100)) * q.XScale / 2 // ties
		}
	}
	x[len(x)/2] = float32(nanF())
	return
}

func nanF() float64 { z := 0.0; return z / z }

// The quantized 1×1 conv on qkernels.wasm gives the Go kernels' results
// bit for bit (and kern's plain reference's).
func TestQConvMatchesScalar(t *testing.T) {
	needSIMD(t)
	if !qOK {
		t.Fatal("qkernels.wasm did not start")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for ci, p := range []kern.ConvParams{
		{N: 1, C: 16, H: 7, W: 7, M: 24, OH: 7, OW: 7},
		{N: 2, C: 6, H: 4, W: 4, M: 5, OH: 4, OW: 4},
		{N: 1, C: 96, H: 56, W: 56, M: 24, OH: 56, OW: 56},
		{N: 1, C: 1280, H: 1, W: 1, M: 1000, OH: 1, OW: 1},
		{N: 2, C: 64, H: 1, W: 1, M: 18, OH: 1, OW: 1}, // one column, rows not a multiple of 4: the tiles
		{N: 1, C: 320, H: 14, W: 14, M: 19, OH: 14, OW: 14},
		{N: 1, C: 1000, H: 3, W: 67, M: 9, OH: 3, OW: 67},
	} {
		p.KH, p.KW, p.SH, p.SW, p.DH, p.DW, p.Group = 1, 1, 1, 1, 1, 1, 1
		for _, signed := range []bool{false, true} {
			w, wz, q, x := qcase(r, p, signed)
			if ci == 0 {
				q.YLo = q.YZero + 3 // a fused Relu/Clip
				q.YHi = 250
			}
			want := make([]float32, p.N*p.M*p.OH*p.OW)
			kern.QConvRef(p, w, wz, q, x, want)
			pk := kern.PackQConv(p, w, wz, 255)
			ref, got := both(t, func() []float32 {
				y := make([]float32, len(want))
				kern.QConv(p, pk, q, x, y, pk.NewWork())
				return y
			})
			for i := range want {
				if got[i] != want[i] || ref[i] != want[i] {
					t.Fatalf("case %d signed %v: y[%d] = %v (SIMD), %v (Go), want %v", ci, signed, i, got[i], ref[i], want[i])
				}
			}
		}
	}
}

// The float route's elementwise kernels (qquant, qrequant) on depthwise
// and 3×3 convs give the Go loops' results bit for bit.
func TestQConvFloatRouteMatchesScalar(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(11, 12))
	for ci, p := range []kern.ConvParams{
		{N: 1, C: 32, H: 15, W: 15, M: 32, OH: 15, OW: 15, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, Group: 32},
		{N: 2, C: 24, H: 14, W: 14, M: 24, OH: 7, OW: 7, KH: 3, KW: 3, SH: 2, SW: 2, PT: 0, PL: 0, PB: 1, PR: 1, Group: 24},
		{N: 1, C: 8, H: 12, W: 13, M: 6, OH: 6, OW: 7, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, Group: 2},
	} {
		p.DH, p.DW = 1, 1
		w, wz, q, x := qcase(r, p, ci == 1)
		want := make([]float32, p.N*p.M*p.OH*p.OW)
		kern.QConvRef(p, w, wz, q, x, want)
		pk := kern.PackQConv(p, w, wz, 255)
		ref, got := both(t, func() []float32 {
			y := make([]float32, len(want))
			kern.QConv(p, pk, q, x, y, pk.NewWork())
			return y
		})
		for i := range want {
			if got[i] != want[i] || ref[i] != want[i] {
				t.Fatalf("case %d: y[%d] = %v (SIMD), %v (Go), want %v", ci, i, got[i], ref[i], want[i])
			}
		}
	}
	x := make([]float32, 103)
	for i := range x {
		x[i] = r.Float32()*20 - 10
	}
	x[5] = float32(nanF())
	ref, got := both(t, func() []float32 {
		y := make([]float32, len(x))
		kern.QuantDequant(x, y, 0.07, -128, 127)
		return y
	})
	for i := range x {
		if got[i] != ref[i] && !(got[i] != got[i] && ref[i] != ref[i]) {
			t.Fatalf("QuantDequant: y[%d] = %v (SIMD), %v (Go)", i, got[i], ref[i])
		}
	}
}

// The quantized 3×3 depthwise conv on qdw.wasm gives kern's reference
// results bit for bit (and the Go route's): uint8 and int8 inputs,
// per-channel weight zero points, strides 1 and 2, symmetric and
// asymmetric pads, odd sizes, rows under 8 wide, fused Relu/Clip ranges,
// with and without a bias.
func TestQDepthwiseMatchesScalar(t *testing.T) {
	needSIMD(t)
	if !qdwOK {
		t.Fatal("qdw.wasm did not start")
	}
	r := rand.New(rand.NewPCG(13, 14))
	type pads struct{ t, l, b, r int }
	for ci, c := range []struct {
		n, ch, h, w, s int
		pd             pads
	}{
		{1, 32, 15, 15, 1, pads{1, 1, 1, 1}},
		{1, 24, 14, 14, 2, pads{1, 1, 1, 1}},
		{2, 24, 14, 14, 2, pads{0, 0, 1, 1}},
		{1, 7, 9, 13, 1, pads{1, 1, 1, 1}},
		{1, 5, 11, 17, 2, pads{1, 1, 1, 1}},
		{1, 9, 7, 7, 1, pads{1, 1, 1, 1}},
		{1, 3, 5, 4, 1, pads{1, 1, 1, 1}},
		{1, 4, 6, 5, 2, pads{1, 1, 1, 1}},
		{1, 6, 10, 9, 1, pads{0, 0, 0, 0}},
		{1, 6, 12, 19, 2, pads{0, 1, 2, 1}},
		{1, 16, 56, 56, 1, pads{1, 1, 1, 1}},
		{1, 8, 112, 112, 2, pads{1, 1, 1, 1}},
		{1, 11, 3, 33, 1, pads{1, 1, 1, 1}},
	} {
		s := c.s
		p := kern.ConvParams{N: c.n, C: c.ch, H: c.h, W: c.w, M: c.ch, KH: 3, KW: 3, SH: s, SW: s, DH: 1, DW: 1,
			PT: c.pd.t, PL: c.pd.l, PB: c.pd.b, PR: c.pd.r, Group: c.ch}
		p.OH = (p.H+p.PT+p.PB-3)/s + 1
		p.OW = (p.W+p.PL+p.PR-3)/s + 1
		for variant := range 4 {
			signed := variant%2 == 1
			w, wz, q, x := qcase(r, p, signed)
			// Larger multipliers than qcase's, so the clamps bite.
			for m := range q.Mult {
				q.Mult[m] *= 8
			}
			switch variant {
			case 1:
				q.YLo = q.YZero // Relu
			case 2:
				q.YLo, q.YHi = q.YZero+2, q.YZero+90 // Clip
				q.Bias = nil
			case 3:
				for i := range wz {
					wz[i] = 0
				}
			}
			want := make([]float32, p.N*p.M*p.OH*p.OW)
			kern.QConvRef(p, w, wz, q, x, want)
			pk := kern.PackQConv(p, w, wz, 255)
			calls := qdwCalls
			ref, got := qconvBoth(t, p, pk, q, x, len(want))
			if qdwCalls != calls+p.N {
				t.Fatalf("case %d: qdw ran %d times, want %d", ci, qdwCalls-calls, p.N)
			}
			for i := range want {
				if got[i] != want[i] || ref[i] != want[i] {
					t.Fatalf("case %d variant %d (%+v): y[%d] = %v (SIMD), %v (Go), want %v", ci, variant, p, i, got[i], ref[i], want[i])
				}
			}
		}
	}
}

const qdqV2 = "../../.cache/quant/v2"

func compileQ(t testing.TB, path string, opt cpu.Options) *cpu.Program {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no model: %v", err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The fused QDQ MobileNetV2 (testdata/ortops/make_qdq_mobilenetv2.py in
// model/cpu) gives the same outputs with and without SIMD, bit for bit.
func TestQDQMobileNetV2MatchesScalar(t *testing.T) {
	needSIMD(t)
	p := compileQ(t, filepath.Join(qdqV2, "mobilenet_v2_qdq.onnx"), cpu.Options{})
	x := readF32(t, filepath.Join(qdqV2, "test_0.bin"))
	ref, got := both(t, func() []float32 {
		out, err := p.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), out...)
	})
	for i := range ref {
		if got[i] != ref[i] {
			t.Fatalf("prob[%d] = %v with SIMD, %v without", i, got[i], ref[i])
		}
	}
}

// TestQDQTimingWasm (GLIMPSE_QBENCH=1) times, with SIMD, MobileNetV2 in
// float32 and its QDQ model fused, with and without quantized bytes
// between the convs (cpu.Options.NoQuantLinks), and unfused (not when
// GLIMPSE_QBENCH=fast), interleaved run after run, and logs medians and
// ratios.
func TestQDQTimingWasm(t *testing.T) {
	if os.Getenv("GLIMPSE_QBENCH") == "" {
		t.Skip("set GLIMPSE_QBENCH=1")
	}
	needSIMD(t)
	path := filepath.Join(qdqV2, "mobilenet_v2_qdq.onnx")
	x := readF32(t, filepath.Join(qdqV2, "test_0.bin"))
	progs := []*cpu.Program{
		compileQ(t, filepath.Join(shared, "models/mobilenet_v2_1.0_224/model.onnx"), cpu.Options{}),
		compileQ(t, path, cpu.Options{}),
		compileQ(t, path, cpu.Options{NoQuantLinks: true}),
		compileQ(t, path, cpu.Options{NoQDQFusion: true}),
	}
	names := []string{"float32", "qdq-fused", "qdq-unlinked", "qdq-unfused"}
	rounds := 11
	if os.Getenv("GLIMPSE_QBENCH") == "fast" {
		progs, names = progs[:3], names[:3]
		rounds = 41
	}
	times := make([][]float64, len(progs))
	for r := 0; r <= rounds; r++ {
		for i, p := range progs {
			t0 := time.Now()
			if _, err := p.Run(x); err != nil {
				t.Fatal(err)
			}
			if r > 0 {
				times[i] = append(times[i], float64(time.Since(t0).Microseconds())/1000)
			}
		}
	}
	med := make([]float64, len(progs))
	for i := range progs {
		sort.Float64s(times[i])
		med[i] = times[i][rounds/2]
		t.Logf("%-12s median %7.1f ms (min %.1f, max %.1f)", names[i], med[i], times[i][0], times[i][rounds-1])
	}
	t.Logf("fused/float32 %.2f×, fused/unlinked %.2f×, unlinked/float32 %.2f× (%d linked pairs)",
		med[1]/med[0], med[1]/med[2], med[2]/med[0], progs[1].QuantizedLinks())
	if len(progs) > 3 {
		t.Logf("unfused/float32 %.2f×", med[3]/med[0])
	}
	if os.Getenv("GLIMPSE_PROFILE") == "1" {
		// Interleaved, like the timings: the machine's load hits both.
		for _, i := range []int{0, 1, 2} {
			progs[i].EnableProfile()
		}
		for range 15 {
			for _, i := range []int{0, 1, 2} {
				progs[i].Run(x)
			}
		}
		for _, i := range []int{0, 1, 2} {
			t.Log(names[i] + "\n" + progs[i].ProfileTable())
		}
	}
}

// Linked QConv pairs (quantized bytes between them, cpu/handoff.go) give
// the unlinked program's outputs bit for bit, on the QDQ MobileNetV2 of
// ONNX Runtime's quantizer and on the one glimpse quantize writes; and
// again once unlinked (what the WebGPU backend does). GLIMPSE_QLINK_MODELS
// (comma-separated paths) adds other QDQ models, run on a fixed random
// input.
func TestQuantLinksMatchUnlinked(t *testing.T) {
	needSIMD(t)
	x0 := readF32(t, filepath.Join(qdqV2, "test_0.bin"))
	paths := []string{filepath.Join(qdqV2, "mobilenet_v2_qdq.onnx"), "../../.cache/int8/model.onnx"}
	var extra []string
	if e := os.Getenv("GLIMPSE_QLINK_MODELS"); e != "" {
		extra = strings.Split(e, ",")
	}
	for i, path := range append(paths, extra...) {
		linked := compileQ(t, path, cpu.Options{})
		plain := compileQ(t, path, cpu.Options{NoQuantLinks: true})
		links := linked.QuantizedLinks()
		if links < 30 && i < len(paths) {
			t.Fatalf("%s: %d linked QConv pairs, want MobileNetV2's 30 or more", path, links)
		}
		if n := plain.QuantizedLinks(); n != 0 {
			t.Fatalf("%s: %d linked pairs with NoQuantLinks", path, n)
		}
		x := x0
		if n := plain.Inputs[0].Len(); n != len(x0) {
			r := rand.New(rand.NewPCG(5, uint64(n)))
			x = make([]float32, n)
			for j := range x {
				x[j] = r.Float32()*4 - 2
			}
		}
		want, err := plain.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		want = append([]float32(nil), want...)
		for round := range 2 {
			if round == 1 {
				linked.UnlinkQuantized()
			}
			got, err := linked.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("%s (round %d): output[%d] = %v linked, %v not", path, round, j, got[j], want[j])
				}
			}
		}
		if i >= len(paths) {
			t.Logf("%s: %d linked pairs, outputs identical", path, links)
		}
	}
}

// TestQDQLayersWasm (GLIMPSE_QBENCH=1) profiles MobileNetV2 in float32 and
// the int8 model glimpse quantize writes, interleaved, and logs each
// conv's time side by side: where int8 gains least.
func TestQDQLayersWasm(t *testing.T) {
	if os.Getenv("GLIMPSE_QBENCH") == "" {
		t.Skip("set GLIMPSE_QBENCH=1")
	}
	needSIMD(t)
	x := readF32(t, filepath.Join(qdqV2, "test_0.bin"))
	fp := compileQ(t, filepath.Join(shared, "models/mobilenet_v2_1.0_224/model.onnx"), cpu.Options{})
	qp := compileQ(t, "../../.cache/int8/model.onnx", cpu.Options{})
	fp.EnableProfile()
	qp.EnableProfile()
	for range 30 {
		fp.Run(x)
		qp.Run(x)
	}
	convs := func(p *cpu.Program) (o []cpu.NodeTime, rest float64) {
		for _, n := range p.ProfileNodes() {
			switch n.Node.Op {
			case "Conv", "FusedConv", "QConv":
				o = append(o, n)
			default:
				rest += n.T.Seconds() * 1000
			}
		}
		return
	}
	f, fr := convs(fp)
	q, qr := convs(qp)
	if len(f) != len(q) {
		t.Fatalf("%d float convs, %d int8", len(f), len(q))
	}
	var tf, tq float64
	for i := range f {
		a, b := f[i].T.Seconds()*1000, q[i].T.Seconds()*1000
		tf, tq = tf+a, tq+b
		t.Logf("%2d %-16s float %.3f ms, int8 %.3f ms (%.2f×)", i, fmt.Sprint(q[i].Shape), a, b, b/a)
	}
	t.Logf("convs: float %.2f ms, int8 %.2f ms (%.2f×); the rest %.2f and %.2f ms", tf, tq, tq/tf, fr, qr)
}

// One-group convs other than the plain 1×1 ones (stems, 3×3 and 7×7,
// strided, dilated, an odd depth) run on qgemm through the float im2col
// (kern's qconvIm2col) and give kern.QConvRef's results bit for bit.
func TestQConvIm2colMatchesScalar(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(31, 32))
	for ci, p := range []kern.ConvParams{
		{N: 1, C: 3, H: 32, W: 32, M: 32, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1},
		{N: 2, C: 3, H: 22, W: 19, M: 16, KH: 3, KW: 3, SH: 2, SW: 2, PB: 1, PR: 1},
		{N: 1, C: 3, H: 30, W: 30, M: 9, KH: 7, KW: 7, SH: 2, SW: 2, PT: 3, PL: 3, PB: 3, PR: 3},
		{N: 1, C: 16, H: 9, W: 11, M: 20, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1},
		{N: 1, C: 8, H: 9, W: 9, M: 6, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2},
		{N: 1, C: 12, H: 10, W: 10, M: 7, KH: 1, KW: 1, SH: 2, SW: 2},
		{N: 1, C: 5, H: 6, W: 6, M: 4, KH: 1, KW: 1, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1},
	} {
		p.Group = 1
		if p.DH == 0 {
			p.DH, p.DW = 1, 1
		}
		p.OH = (p.H+p.PT+p.PB-(p.KH-1)*p.DH-1)/p.SH + 1
		p.OW = (p.W+p.PL+p.PR-(p.KW-1)*p.DW-1)/p.SW + 1
		for _, signed := range []bool{false, true} {
			w, wz, q, x := qcase(r, p, signed)
			want := make([]float32, p.N*p.M*p.OH*p.OW)
			kern.QConvRef(p, w, wz, q, x, want)
			pk := kern.PackQConv(p, w, wz, 255)
			calls := qpackStripsCalls
			ref, got := qconvBoth(t, p, pk, q, x, len(want))
			if qpackStripsCalls == calls {
				t.Fatalf("case %d: the im2col path did not run", ci)
			}
			for i := range want {
				if got[i] != want[i] || ref[i] != want[i] {
					t.Fatalf("case %d signed %v (%+v): y[%d] = %v (SIMD), %v (Go), want %v", ci, signed, p, i, got[i], ref[i], want[i])
				}
			}
		}
	}
}

// qconvBoth runs kern.QConv on the Go paths and on the SIMD kernels (both)
// into outputs of n values prefilled with -7, since every element must be
// written.
func qconvBoth(t *testing.T, p kern.ConvParams, pk *kern.PackedQConv, q *kern.QuantParams, x []float32, n int) (ref, got []float32) {
	t.Helper()
	return both(t, func() []float32 {
		y := make([]float32, n)
		for i := range y {
			y[i] = -7
		}
		kern.QConv(p, pk, q, x, y, pk.NewWork())
		return y
	})
}
