//go:build js && wasm

package simd

// These tests run under Node with the preload that records Go's memory:
//
//	NODE_OPTIONS=--import=$PWD/wasm/simd/testdata/node-mem.mjs \
//	  GOOS=js GOARCH=wasm go test -exec=$(go env GOROOT)/lib/wasm/go_js_wasm_exec ./wasm/simd/
//
// (make test-wasm does this). Without it they skip, unless
// GLIMPSE_WANT_SIMD=1, in which case they fail.

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/cpu/kern"
	_ "github.com/glimpse/glimpse/model/importer" // these tests load ONNX files
	"github.com/glimpse/glimpse/model/onnx"
)

const shared = "../../../shared"

func needSIMD(t testing.TB) {
	t.Helper()
	if Init() {
		return
	}
	if os.Getenv("GLIMPSE_WANT_SIMD") == "1" {
		t.Fatalf("SIMD kernels not active: %s", Reason())
	}
	t.Skipf("SIMD kernels not active: %s", Reason())
}

// both runs f with the scalar kernels, then with SIMD, and returns f's
// results in that order.
func both[T any](t testing.TB, f func() T) (scalar, vec T) {
	t.Helper()
	disable()
	scalar = f()
	if !Init() {
		t.Fatalf("SIMD re-init failed: %s", Reason())
	}
	return scalar, f()
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// closeTo reports the worst element of got against ref by the brief's
// tolerance |d| <= 1e-4 + 1e-4*|ref|, as a ratio (<= 1 passes).
func closeTo(got, ref []float32) (worst float64, at int) {
	for i := range ref {
		d := math.Abs(float64(got[i]) - float64(ref[i]))
		if math.IsNaN(d) {
			return math.Inf(1), i
		}
		if r := d / (1e-4 + 1e-4*math.Abs(float64(ref[i]))); r > worst {
			worst, at = r, i
		}
	}
	return worst, at
}

func TestActive(t *testing.T) {
	needSIMD(t)
	if n := len(kernelsWasm); n >= 4096 {
		t.Errorf("module is %d bytes: browsers refuse to compile >= 4 KB synchronously on the main thread", n)
	}
	t.Logf("relaxed SIMD (fused multiply-add GEMM): %v", Relaxed())
	// GLIMPSE_WANT_RELAXED=1 (make test-wasm's run under
	// testdata/exec-relaxed.sh) says the engine has relaxed SIMD: the
	// tests then run on kernels_relaxed.wasm, and must.
	if os.Getenv("GLIMPSE_WANT_RELAXED") == "1" && !Relaxed() {
		t.Fatal("relaxed SIMD wanted, but Init chose kernels.wasm")
	}
}

// With relaxed SIMD available, the plain module still works and the two
// agree on MobileNetV2 within the SIMD tests' tolerance (fused products
// round once, so they differ in the last bits).
func TestRelaxedAgreesWithPlain(t *testing.T) {
	needSIMD(t)
	if !Relaxed() {
		t.Skip("no relaxed SIMD here")
	}
	c := loadMobileNet(t)
	r := rand.New(rand.NewPCG(7, 8))
	in := make([]float32, len(c.Input()))
	for i := range in {
		in[i] = r.Float32()*4 - 2
	}
	run := func(relax bool) []float32 {
		disable()
		tryRelaxed = relax
		defer func() { tryRelaxed = true }()
		if !Init() || Relaxed() != relax {
			t.Fatalf("Init with relaxed=%v: active %v, relaxed %v (%s)", relax, Active(), Relaxed(), Reason())
		}
		copy(c.Input(), in)
		if err := c.Program.Execute(); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), c.Program.Outputs[0].F...)
	}
	plain, fused := run(false), run(true)
	if w, at := closeTo(fused, plain); w > 1 {
		t.Errorf("logit %d: relaxed %v, plain %v", at, fused[at], plain[at])
	}
}

// Gemm through the SIMD block kernel against the scalar kernel, on sizes
// that are not multiples of the tiles or blocks, with every transpose,
// alpha and beta.
func TestGemmMatchesScalar(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{2, 1, 1}, {3, 5, 7}, {4, 8, 1}, {5, 9, 3}, {7, 13, 17}, {8, 16, 32}, {13, 200, 37},
		{67, 193, 300}, {64, 192, 256}, {130, 7, 513}, {4, 385, 9}}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {1.5, -0.25}} {
				name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/alpha=%v/beta=%v", m, n, k, tr[0], tr[1], ab[0], ab[1])
				a, b := randSlice(r, m*k), randSlice(r, k*n)
				ldc := n + 3
				c0 := randSlice(r, (m-1)*ldc+n+5)
				lda, ldb := k, n
				if tr[0] {
					lda = m
				}
				if tr[1] {
					ldb = k
				}
				ref, got := both(t, func() []float32 {
					c := append([]float32(nil), c0...)
					kern.Gemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
					return c
				})
				if w, at := closeTo(got, ref); w > 1 {
					t.Errorf("%s: element %d: got %v, scalar %v", name, at, got[at], ref[at])
				}
			}
		}
	}
}

// Convs (1×1, im2col, grouped, depthwise) with and without bias, with
// and without residual, with every activation, SIMD against scalar, on odd
// sizes.
func TestConvMatchesScalar(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(3, 4))
	// c, h, w, m, kernel, stride, pads (top, left, bottom, right), group
	type cs struct{ c, h, w, m, k, s, pt, pl, pb, pr, g int }
	cases := []cs{
		{16, 7, 7, 24, 1, 1, 0, 0, 0, 0, 1}, {13, 9, 11, 7, 1, 1, 0, 0, 0, 0, 1}, {3, 23, 17, 10, 3, 2, 1, 1, 1, 1, 1},
		{8, 12, 12, 12, 3, 1, 1, 1, 1, 1, 2}, {17, 5, 5, 33, 1, 1, 0, 0, 0, 0, 1}, {96, 14, 14, 24, 1, 1, 0, 0, 0, 0, 1},
		{5, 10, 9, 6, 5, 1, 2, 2, 2, 2, 1}, {3, 30, 31, 32, 3, 2, 1, 1, 1, 1, 1}, {320, 7, 7, 1280, 1, 1, 0, 0, 0, 0, 1},
		{6, 9, 9, 6, 5, 2, 2, 2, 2, 2, 6}, // 5×5 depthwise (scalar)
	}
	// 3×3 depthwise, stride 1 and 2: interiors narrower than, equal to and
	// not multiples of the 4-wide vector, and asymmetric pads.
	for _, wd := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 17, 33} {
		for _, st := range []int{1, 2} {
			cases = append(cases, cs{5, wd%5 + 3, wd, 5, 3, st, 1, 1, 1, 1, 5})
			cases = append(cases, cs{3, 7, wd + 2, 3, 3, st, 0, 0, 0, 0, 3})
			cases = append(cases, cs{4, 6, wd, 4, 3, st, 0, 1, 1, 0, 4})
			cases = append(cases, cs{4, 6, wd, 4, 3, st, 1, 0, 0, 1, 4})
		}
	}
	acts := []kern.Act{{Kind: kern.ActNone}, {Kind: kern.ActRelu}, {Kind: kern.ActClip, A: 0, B: 6},
		{Kind: kern.ActSigmoid}, {Kind: kern.ActHardSwish}, {Kind: kern.ActSiLU}, {Kind: kern.ActLeakyRelu, A: 0.1}}
	for _, c := range cases {
		oh := (c.h+c.pt+c.pb-c.k)/c.s + 1
		ow := (c.w+c.pl+c.pr-c.k)/c.s + 1
		if oh < 1 || ow < 1 {
			continue
		}
		p := kern.ConvParams{N: 2, C: c.c, H: c.h, W: c.w, M: c.m, OH: oh, OW: ow, KH: c.k, KW: c.k,
			SH: c.s, SW: c.s, PT: c.pt, PL: c.pl, PB: c.pb, PR: c.pr, DH: 1, DW: 1, Group: c.g}
		w := randSlice(r, c.m*c.c/c.g*c.k*c.k)
		x := randSlice(r, p.N*c.c*c.h*c.w)
		bias := randSlice(r, c.m)
		res := randSlice(r, p.N*c.m*oh*ow)
		for ai, act := range acts {
			for v := range 3 {
				bs, rs := bias, res
				switch v {
				case 1:
					rs = nil
				case 2:
					bs = nil
				}
				name := fmt.Sprintf("%+v/act=%d/bias=%v/res=%v", c, ai, bs != nil, rs != nil)
				ref, got := both(t, func() []float32 {
					pw := kern.PackConv(p, w)
					y := make([]float32, p.N*c.m*oh*ow)
					kern.Conv(p, pw, x, bs, rs, act, y, make([]float32, kern.ScratchSize(p)))
					return y
				})
				if wst, at := closeTo(got, ref); wst > 1 {
					t.Errorf("%s: element %d: got %v, scalar %v", name, at, got[at], ref[at])
				}
			}
		}
	}
}

// Dilated and strided general convs (im2col in wasm) against scalar
// (output sizes are derived).
func TestDilatedConvMatchesScalar(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(7, 8))
	for _, p := range []kern.ConvParams{
		{N: 1, C: 4, H: 13, W: 11, M: 9, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, Group: 1},
		{N: 1, C: 6, H: 15, W: 14, M: 10, KH: 3, KW: 2, SH: 2, SW: 3, PT: 2, PL: 1, PB: 1, PR: 2, DH: 2, DW: 3, Group: 2},
		{N: 2, C: 3, H: 9, W: 10, M: 5, KH: 2, KW: 4, SH: 3, SW: 2, PT: 1, PL: 0, PB: 0, PR: 1, DH: 1, DW: 1, Group: 1},
	} {
		p.OH = (p.H+p.PT+p.PB-p.DH*(p.KH-1)-1)/p.SH + 1
		p.OW = (p.W+p.PL+p.PR-p.DW*(p.KW-1)-1)/p.SW + 1
		w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
		x := randSlice(r, p.N*p.C*p.H*p.W)
		bias := randSlice(r, p.M)
		ref, got := both(t, func() []float32 {
			y := make([]float32, p.N*p.M*p.OH*p.OW)
			kern.Conv(p, kern.PackConv(p, w), x, bias, nil, kern.Act{Kind: kern.ActRelu}, y, make([]float32, kern.ScratchSize(p)))
			return y
		})
		if wst, at := closeTo(got, ref); wst > 1 {
			t.Errorf("%+v: element %d: got %v, scalar %v", p, at, got[at], ref[at])
		}
	}
}

func loadMobileNet(t testing.TB) *model.Classifier {
	t.Helper()
	dir := filepath.Join(shared, "models", "mobilenet_v2_1.0_224")
	m, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Skipf("shared model not available: %v", err)
	}
	l, err := os.ReadFile(filepath.Join(dir, "labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.Load(model.Files{Name: "mobilenet_v2_1.0_224", Model: m, Labels: l, Card: card.DefaultJSON()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// MobileNetV2's probabilities with and without SIMD agree within 1e-4.
func TestMobileNetV2MatchesScalar(t *testing.T) {
	needSIMD(t)
	c := loadMobileNet(t)
	r := rand.New(rand.NewPCG(5, 6))
	in := make([]float32, len(c.Input()))
	for i := range in {
		in[i] = r.Float32()*4 - 2
	}
	ref, got := both(t, func() []float32 {
		copy(c.Input(), in) // the input's buffer is reused once it is consumed
		if err := c.Program.Execute(); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), c.Probabilities(c.Program.Outputs[0].F)...)
	})
	worst := 0.0
	for i := range ref {
		worst = max(worst, math.Abs(float64(got[i])-float64(ref[i])))
	}
	t.Logf("max |Δprob| = %.3g", worst)
	if worst > 1e-4 {
		t.Errorf("max |Δprob| = %g > 1e-4", worst)
	}
}

// With SIMD, a run still allocates nothing.
func TestRunDoesNotAllocate(t *testing.T) {
	needSIMD(t)
	c := loadMobileNet(t)
	allocs := testing.AllocsPerRun(3, func() {
		if err := c.Program.Execute(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Execute allocated %.0f times per run", allocs)
	}
}

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// The zoo's EfficientNet-B0 with SIMD matches ONNX Runtime within the
// tolerance its meta.json suggests.
func TestEfficientNetMatchesONNXRuntime(t *testing.T) {
	needSIMD(t)
	dir := filepath.Join(shared, "zoo", "efficientnet_b0")
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Skipf("zoo not available: %v", err)
	}
	var meta struct {
		Tolerance struct{ Atol, Rtol float64 } `json:"tolerance_suggestion"`
	}
	mb, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &meta); err != nil || meta.Tolerance.Atol == 0 {
		t.Fatalf("meta.json: no tolerance (%v)", err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(readF32(t, filepath.Join(dir, "input_0.bin")))
	if err != nil {
		t.Fatal(err)
	}
	ref := readF32(t, filepath.Join(dir, "output_0.bin"))
	if len(out) != len(ref) {
		t.Fatalf("%d outputs, want %d", len(out), len(ref))
	}
	worst := 0.0
	for i := range ref {
		d := math.Abs(float64(out[i]) - float64(ref[i]))
		lim := meta.Tolerance.Atol + meta.Tolerance.Rtol*math.Abs(float64(ref[i]))
		if !(d <= lim) {
			t.Fatalf("logit %d: got %v, ONNX Runtime %v (tolerance %g)", i, out[i], ref[i], lim)
		}
		worst = max(worst, d)
	}
	t.Logf("max |Δ| = %.3g (atol %g, rtol %g)", worst, meta.Tolerance.Atol, meta.Tolerance.Rtol)
}

// BenchmarkMobileNetV2 times one inference of the default model, scalar and
// SIMD, reporting the median per run (like model's benchmark). With
// GLIMPSE_PROFILE=1 it also logs the per-op profile of the SIMD runs.
func BenchmarkMobileNetV2(b *testing.B) {
	needSIMD(b)
	c := loadMobileNet(b)
	for _, mode := range []string{"scalar", "simd"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "scalar" {
				disable()
				defer Init()
			}
			if err := c.Program.Execute(); err != nil { // warm-up
				b.Fatal(err)
			}
			times := make([]float64, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if err := c.Program.Execute(); err != nil {
					b.Fatal(err)
				}
				times = append(times, float64(time.Since(t0).Microseconds())/1000)
			}
			sort.Float64s(times)
			b.ReportMetric(times[len(times)/2], "median-ms")
			b.ReportMetric(times[0], "min-ms") // steadier on a busy machine
			if mode == "simd" && os.Getenv("GLIMPSE_PROFILE") == "1" {
				c.Program.EnableProfile()
				for range 5 {
					c.Program.Execute()
				}
				b.Log("\n" + c.Program.ProfileTable())
			}
		})
	}
}

// The im2col kernel against a direct reading of its definition, bit for
// bit (it only copies): every stride, dilation and padding, widths on both
// sides of a group of 8, column blocks that start mid-row, and a partial
// last group that must be zero-filled (dst starts as NaN).
func TestIm2colMatchesDefinition(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct{ c, h, w, k, st, pad, dil int }{
		{3, 17, 17, 3, 2, 1, 1}, {3, 224, 224, 3, 2, 1, 1}, {2, 9, 30, 3, 1, 1, 1}, {1, 8, 8, 1, 1, 0, 1},
		{4, 12, 40, 5, 2, 2, 1}, {2, 11, 23, 3, 3, 1, 1}, {3, 16, 19, 3, 1, 2, 2}, {1, 5, 64, 7, 2, 3, 1},
		{2, 20, 33, 2, 2, 0, 1}, {1, 3, 3, 3, 1, 1, 1}, {16, 7, 7, 3, 1, 1, 1}, {16, 14, 14, 3, 1, 1, 1},
		{16, 14, 14, 3, 2, 1, 1}, {8, 9, 9, 3, 2, 0, 1}, {4, 12, 12, 5, 1, 2, 1}, {2, 6, 6, 7, 1, 3, 1}, {3, 10, 21, 3, 2, 1, 2},
	} {
		p := kern.ConvParams{N: 1, C: s.c, H: s.h, W: s.w, M: 4, KH: s.k, KW: s.k, SH: s.st, SW: s.st,
			PT: s.pad, PL: s.pad, PB: s.pad, PR: s.pad, DH: s.dil, DW: s.dil, Group: 1}
		p.OH = (s.h+2*s.pad-s.dil*(s.k-1)-1)/s.st + 1
		p.OW = (s.w+2*s.pad-s.dil*(s.k-1)-1)/s.st + 1
		kg, npix := s.c*s.k*s.k, p.OH*p.OW
		x := randSlice(r, s.c*s.h*s.w)
		for _, blk := range [][2]int{{0, npix}, {0, min(npix, 13)}, {min(5, npix-1), min(npix-min(5, npix-1), 37)}, {npix / 2, npix - npix/2}} {
			j0, nb := blk[0], blk[1]
			groups := (nb + 7) / 8
			dst := make([]float32, groups*8*kg)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			im2col(p, x, j0, nb, kg, dst)
			for k := 0; k < kg; k++ {
				c, ky, kx := k/(s.k*s.k), k/s.k%s.k, k%s.k
				for j := 0; j < groups*8; j++ {
					want := float32(0)
					if j < nb {
						oy, ox := (j0+j)/p.OW, (j0+j)%p.OW
						iy, ix := oy*s.st-s.pad+ky*s.dil, ox*s.st-s.pad+kx*s.dil
						if iy >= 0 && iy < s.h && ix >= 0 && ix < s.w {
							want = x[(c*s.h+iy)*s.w+ix]
						}
					}
					if got := dst[(j/8)*kg*8+k*8+j%8]; math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%+v block %v: row %d column %d = %v, want %v", s, blk, k, j, got, want)
					}
				}
			}
		}
	}
}
