//go:build js && wasm

package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// sameBits reports the first element where got and ref differ in bits
// (any two NaNs agree), or -1.
func sameBits(got, ref []float32) int {
	for i := range ref {
		if math.Float32bits(got[i]) != math.Float32bits(ref[i]) && !(got[i] != got[i] && ref[i] != ref[i]) {
			return i
		}
	}
	return -1
}

// 5×5 depthwise (ops2.wasm's dw5 interior, Go borders) is bitwise the
// scalar kernel: stride 1 and 2, interiors narrower than, equal to and not
// multiples of 4, asymmetric pads, every epilogue.
func TestDW5MatchesScalar(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(5, 6))
	type cs struct{ c, h, w, s, pt, pl, pb, pr int }
	var cases []cs
	for _, wd := range []int{1, 3, 5, 6, 7, 8, 9, 10, 12, 14, 17, 28, 33} {
		for _, st := range []int{1, 2} {
			cases = append(cases, cs{7, wd%6 + 5, wd, st, 2, 2, 2, 2})
			cases = append(cases, cs{3, 9, wd + 4, st, 0, 0, 0, 0})
			cases = append(cases, cs{4, 8, wd, st, 1, 2, 2, 1})
			cases = append(cases, cs{40, 14, wd, st, 2, 1, 1, 2})
		}
	}
	acts := []kern.Act{{Kind: kern.ActNone}, {Kind: kern.ActRelu}, {Kind: kern.ActClip, A: 0, B: 6},
		{Kind: kern.ActHardSwish}, {Kind: kern.ActSiLU}}
	for _, c := range cases {
		oh := (c.h+c.pt+c.pb-5)/c.s + 1
		ow := (c.w+c.pl+c.pr-5)/c.s + 1
		if oh < 1 || ow < 1 {
			continue
		}
		p := kern.ConvParams{N: 2, C: c.c, H: c.h, W: c.w, M: c.c, OH: oh, OW: ow, KH: 5, KW: 5,
			SH: c.s, SW: c.s, PT: c.pt, PL: c.pl, PB: c.pb, PR: c.pr, DH: 1, DW: 1, Group: c.c}
		w := randSlice(r, c.c*25)
		x := randSlice(r, p.N*c.c*c.h*c.w)
		bias := randSlice(r, c.c)
		res := randSlice(r, p.N*c.c*oh*ow)
		for ai, act := range acts {
			for v := range 3 {
				bs, rs := bias, res
				switch v {
				case 1:
					rs = nil
				case 2:
					bs = nil
				}
				ref, got := both(t, func() []float32 {
					pw := kern.PackConv(p, w)
					y := make([]float32, p.N*c.c*oh*ow)
					kern.Conv(p, pw, x, bs, rs, act, y, make([]float32, kern.ScratchSize(p)))
					return y
				})
				if at := sameBits(got, ref); at >= 0 {
					t.Errorf("%+v/act=%d/bias=%v/res=%v: element %d: got %v, scalar %v", c, ai, bs != nil, rs != nil, at, got[at], ref[at])
				}
			}
		}
	}
}

// The pool kernel's interior is the scalar loop's, bitwise, and it writes
// nothing outside it.
func TestPoolMatchesScalar(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(9, 10))
	n := 0
	for _, max := range []bool{true, false} {
		for _, k := range [][2]int{{3, 3}, {2, 2}, {5, 5}, {3, 2}, {1, 1}} {
			for _, s := range []int{1, 2} {
				for _, wd := range []int{4, 7, 8, 9, 13, 27, 55, 111} {
					for _, pad := range [][2]int{{0, 0}, {1, 1}, {0, 1}} {
						a := kern.PoolArgs{Planes: 5, H: wd%9 + 6, W: wd, KH: k[0], KW: k[1], S: s, PT: pad[0], PL: pad[1], Max: max}
						if a.H+2*a.PT < a.KH || a.W+2*a.PL < a.KW {
							continue
						}
						a.OH = (a.H+2*a.PT-a.KH+s-1)/s + 1 // ceil mode: the last window may overhang
						a.OW = (a.W+2*a.PL-a.KW+s-1)/s + 1
						x := randSlice(r, a.Planes*a.H*a.W)
						if wd == 13 {
							x[7] = float32(math.NaN())
						}
						y := make([]float32, a.Planes*a.OH*a.OW)
						for i := range y {
							y[i] = 42
						}
						y0, y1, x0, x1, ok := kern.PoolVec(a, x, y)
						if !ok {
							continue
						}
						n++
						for p := 0; p < a.Planes; p++ {
							for oy := 0; oy < a.OH; oy++ {
								for ox := 0; ox < a.OW; ox++ {
									got := y[(p*a.OH+oy)*a.OW+ox]
									want := float32(42)
									if oy >= y0 && oy < y1 && ox >= x0 && ox < x1 {
										want = kern.PoolRef(a, x[p*a.H*a.W:], oy, ox)
									}
									if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
										t.Fatalf("%+v: plane %d (%d, %d), interior [%d,%d)×[%d,%d): got %v, want %v", a, p, oy, ox, y0, y1, x0, x1, got, want)
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no case ran on the kernel")
	}
}

// Global average pooling on the kernel is within a few float32 ulp of the
// exact mean (its partial sums are not the scalar loop's order).
func TestGAPMatchesExact(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, size := range []int{8, 9, 12, 15, 16, 49, 196, 784, 3136, 12544} {
		planes := max(3, 600/size+1)
		x := randSlice(r, planes*size)
		y := make([]float32, planes+1)
		y[planes] = 42
		if !kern.GlobalAvgVec(x, y, planes, size) {
			t.Fatalf("size %d: not run", size)
		}
		if y[planes] != 42 {
			t.Fatalf("size %d: wrote past the planes", size)
		}
		for p := 0; p < planes; p++ {
			var sum, abs float64
			for _, v := range x[p*size : (p+1)*size] {
				sum += float64(v)
				abs += math.Abs(float64(v))
			}
			want := sum / float64(size)
			// Error bound of float32 summation: ~size·ε·Σ|x|, far looser
			// than seen; test 4·log2(size)·ε·Σ|x|/size.
			lim := 4 * math.Log2(float64(size)) * 6e-8 * abs / float64(size)
			if d := math.Abs(float64(y[p]) - want); d > lim+1e-9 {
				t.Errorf("size %d plane %d: got %v, exact %v (|Δ| %g > %g)", size, p, y[p], want, d, lim)
			}
		}
	}
}

// Per-channel Add and Mul on the kernel are bitwise the scalar loop.
func TestChanMatchesScalar(t *testing.T) {
	needSIMD(t)
	r := rand.New(rand.NewPCG(13, 14))
	for _, inner := range []int{4, 5, 7, 49, 50, 196, 3136} {
		for _, mul := range []bool{false, true} {
			planes := max(2, 1000/inner)
			x, s := randSlice(r, planes*inner), randSlice(r, planes)
			y := make([]float32, planes*inner+1)
			y[planes*inner] = 42
			if !kern.ChanVec(mul, y, x, s, planes, inner) {
				t.Fatalf("inner %d: not run", inner)
			}
			for i := range x {
				want := x[i] + s[i/inner]
				if mul {
					want = x[i] * s[i/inner]
				}
				if math.Float32bits(y[i]) != math.Float32bits(want) {
					t.Fatalf("inner %d mul %v: element %d: got %v, want %v", inner, mul, i, y[i], want)
				}
			}
			if y[planes*inner] != 42 {
				t.Fatalf("inner %d: wrote past the end", inner)
			}
			copy(y, x) // in place
			kern.ChanVec(mul, y, y, s, planes, inner)
			for i := range x {
				want := x[i] + s[i/inner]
				if mul {
					want = x[i] * s[i/inner]
				}
				if math.Float32bits(y[i]) != math.Float32bits(want) {
					t.Fatalf("in place: inner %d mul %v: element %d", inner, mul, i)
				}
			}
		}
	}
}

// The four CNN zoo models that use ops2.wasm (5×5 depthwise, max pooling,
// global average pooling, squeeze-and-excitation Mul) match ONNX Runtime
// within the zoo's tolerances with every SIMD kernel installed.
func TestZooOps2MatchONNXRuntime(t *testing.T) {
	needSIMD(t)
	for _, name := range []string{"efficientnet_b0", "mnasnet0_5", "mobilenet_v3_small", "squeezenet1_1"} {
		t.Run(name, func(t *testing.T) {
			p, dir, tol := loadZoo(t, name)
			for k := range 2 {
				in := filepath.Join(dir, fmt.Sprintf("input_%d.bin", k))
				if _, err := os.Stat(in); err != nil {
					continue
				}
				out, err := p.Run(readF32(t, in))
				if err != nil {
					t.Fatal(err)
				}
				ref := readF32(t, filepath.Join(dir, fmt.Sprintf("output_%d.bin", k)))
				if len(out) != len(ref) {
					t.Fatalf("%d outputs, want %d", len(out), len(ref))
				}
				worst, ratio := 0.0, 0.0
				for i := range ref {
					d := math.Abs(float64(out[i]) - float64(ref[i]))
					lim := tol[0] + tol[1]*math.Abs(float64(ref[i]))
					if !(d <= lim) {
						t.Fatalf("input %d logit %d: got %v, ONNX Runtime %v (tolerance %g)", k, i, out[i], ref[i], lim)
					}
					worst, ratio = max(worst, d), max(ratio, d/lim)
				}
				t.Logf("input %d: max |Δ| = %.3g (%.0f%% of the tolerance)", k, worst, 100*ratio)
			}
		})
	}
}

// BenchmarkOps2 times each ops2.wasm kernel's op against the scalar path
// on a layer of the zoo models' sizes.
func BenchmarkOps2(b *testing.B) {
	needSIMD(b)
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct{ c, h, s int }{{240, 28, 1}, {144, 56, 2}, {672, 14, 1}, {1152, 7, 1}, {96, 14, 2}} {
		p := kern.ConvParams{N: 1, C: c.c, H: c.h, W: c.h, M: c.c, KH: 5, KW: 5, SH: c.s, SW: c.s,
			PT: 2, PL: 2, PB: 2, PR: 2, DH: 1, DW: 1, Group: c.c}
		p.OH, p.OW = (c.h-1)/c.s+1, (c.h-1)/c.s+1
		pw := kern.PackConv(p, randSlice(r, c.c*25))
		x, bias := randSlice(r, c.c*c.h*c.h), randSlice(r, c.c)
		y, sc := make([]float32, c.c*p.OH*p.OW), make([]float32, kern.ScratchSize(p))
		for _, mode := range []string{"simd", "scalar"} {
			b.Run(fmt.Sprintf("dw5/%dx%dx%d/s%d/%s", c.c, c.h, c.h, c.s, mode), func(b *testing.B) {
				if mode == "scalar" {
					disable()
					defer Init()
				}
				for range b.N {
					kern.Conv(p, pw, x, bias, nil, kern.Act{Kind: kern.ActRelu}, y, sc)
				}
			})
		}
	}
	a := kern.PoolArgs{Planes: 64, H: 111, W: 111, OH: 55, OW: 55, KH: 3, KW: 3, S: 2, Max: true}
	x, y := randSlice(r, 64*111*111), make([]float32, 64*55*55)
	b.Run("maxpool/64x111x111", func(b *testing.B) {
		for range b.N {
			kern.PoolVec(a, x, y)
		}
	})
}

// TestOps2ZooAB (GLIMPSE_OPS2_AB=1) times the four CNN zoo models with and
// without ops2/ops3.wasm's kernels, alternating run by run in one process
// so that both see the same machine load: medians and the median of the
// pairwise ratios.
func TestOps2ZooAB(t *testing.T) {
	if os.Getenv("GLIMPSE_OPS2_AB") != "1" {
		t.Skip("GLIMPSE_OPS2_AB=1 runs it")
	}
	needSIMD(t)
	on := kern.Vec2Kernels{DW5: dw5, DWC: dwc, Pool: pool, Max3s2: max3s2, GAP: gap, Chan: chanOp}
	defer kern.SetVec2Kernels(on)
	for _, name := range []string{"mnasnet0_5", "efficientnet_b0", "mobilenet_v3_small", "squeezenet1_1"} {
		p, dir, _ := loadZoo(t, name)
		if _, err := p.Run(readF32(t, filepath.Join(dir, "input_0.bin"))); err != nil {
			t.Fatal(err)
		}
		var off, onT, ratio []float64
		for i := range 31 {
			var d [2]float64
			for j, k := range []kern.Vec2Kernels{{}, on} {
				if i%2 == 1 {
					j = 1 - j
					k = [2]kern.Vec2Kernels{{}, on}[j]
				}
				kern.SetVec2Kernels(k)
				t0 := time.Now()
				if err := p.Execute(); err != nil {
					t.Fatal(err)
				}
				d[j] = float64(time.Since(t0).Microseconds()) / 1000
			}
			if i > 0 { // the first pair warms up
				off, onT, ratio = append(off, d[0]), append(onT, d[1]), append(ratio, d[1]/d[0])
			}
		}
		med := func(s []float64) float64 { sort.Float64s(s); return s[len(s)/2] }
		t.Logf("%-20s without %8.2f ms  with %8.2f ms  median pairwise with/without %.3f", name, med(off), med(onT), med(ratio))
	}
}
