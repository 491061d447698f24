//go:build amd64 && !purego

package kern

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// dw5Params is a 5×5 depthwise conv of c channels over h×w at stride s
// with pads pt, pl (bottom/right pads as given).
func dw5Params(n, c, h, w, s, pt, pl, pb, pr int) ConvParams {
	return ConvParams{
		N: n, C: c, H: h, W: w, M: c,
		OH: (h+pt+pb-5)/s + 1, OW: (w+pl+pr-5)/s + 1,
		KH: 5, KW: 5, SH: s, SW: s,
		PT: pt, PL: pl, PB: pb, PR: pr, DH: 1, DW: 1, Group: c,
	}
}

// dw5Run runs the package's depthwise with k as the 5×5 vector kernel
// (nil: the scalar path), restoring the installed kernels afterwards.
func dw5Run(k DW5Kernel, p ConvParams, w, x, bias, res []float32, act Act, y []float32) {
	saved := vec2
	vec2.DW5 = k
	defer func() { vec2 = saved }()
	zero := make([]float32, p.W)
	for i := range zero {
		zero[i] = float32(math.NaN()) // depthwise must clear it
	}
	depthwise(p, w, x, bias, res, act, y, zero)
}

// The AVX2 5×5 depthwise is the scalar one on many shapes (interiors
// shorter than 8, tails of every length, zero or no interior, strides 1
// and 2, pads, batch, bias, residual, in-place residual, clamp and
// non-clamp activations, NaN/Inf inputs). Tolerance: equal as float32
// values (the sums are unfused in the scalar order: bitwise in practice;
// ±0 and NaN payloads are not compared), except after SiLU, 1e-6·(1+|x|):
// the scalar path applies it per plane, the kernel's caller per image, so
// with the vector activation an element may take the float32 polynomial
// in one and float64 math (a short plane's tail) in the other.
func TestDW5AVX2MatchesScalar(t *testing.T) {
	needAVX2(t)
	if vec2.DW5 == nil {
		t.Fatal("5×5 depthwise kernel not installed on an AVX2+FMA machine")
	}
	r := rand.New(rand.NewSource(5))
	acts := []Act{{}, {Kind: ActRelu}, {Kind: ActClip, A: 0, B: 6}, {Kind: ActSiLU}}
	n := 0
	for _, s := range []int{1, 2} {
		for _, hw := range [][2]int{{5, 5}, {6, 9}, {8, 12}, {9, 13}, {7, 16}, {11, 17}, {14, 14}, {10, 23}, {28, 28}, {13, 40}, {8, 57}} {
			for _, pad := range [][4]int{{2, 2, 2, 2}, {0, 0, 0, 0}, {1, 2, 2, 1}, {2, 1, 1, 2}} {
				for ci, c := range []int{3, 17} {
					p := dw5Params(1+ci%2, c, hw[0], hw[1], s, pad[0], pad[1], pad[2], pad[3])
					if p.OH < 1 || p.OW < 1 {
						continue
					}
					x := dwRand(r, p.N*p.C*p.H*p.W)
					if n%5 == 0 {
						x[r.Intn(len(x))] = float32(math.NaN())
						x[r.Intn(len(x))] = float32(math.Inf(1))
					}
					w := dwRand(r, p.C*25)
					var bias, res []float32
					if n%3 != 0 {
						bias = dwRand(r, p.C)
					}
					if n%2 == 0 {
						res = dwRand(r, p.N*p.C*p.OH*p.OW)
					}
					act := acts[n%len(acts)]
					n++
					want := make([]float32, len(res)+p.N*p.C*p.OH*p.OW)[:p.N*p.C*p.OH*p.OW]
					dw5Run(nil, p, w, x, bias, res, act, want)
					for _, inPlace := range []bool{false} { // res may not alias y (the scalar path reads it after writing y)
						if inPlace && res == nil {
							continue
						}
						got := make([]float32, p.N*p.C*p.OH*p.OW)
						rs := res
						if inPlace {
							copy(got, res)
							rs = got
						} else {
							for i := range got {
								got[i] = 42
							}
						}
						dw5Run(dw5AVX2, p, w, x, bias, rs, act, got)
						for i := range want {
							g, wv := got[i], want[i]
							if g != wv && !(g != g && wv != wv) && !(act.Kind == ActSiLU && math.Abs(float64(g)-float64(wv)) <= 1e-6*(1+math.Abs(float64(wv)))) {
								t.Fatalf("%+v act=%v bias=%v res=%v inPlace=%v: element %d: got %v, scalar %v",
									p, act, bias != nil, res != nil, inPlace, i, g, wv)
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d convs", n)
}

// BenchmarkDW5AVX2 times EfficientNet-B0-like 5×5 depthwise convs on the
// scalar path and on the kernel.
func BenchmarkDW5AVX2(b *testing.B) {
	needAVX2(b)
	r := rand.New(rand.NewSource(1))
	for _, c := range []struct{ c, h, s int }{{144, 56, 2}, {240, 28, 1}, {672, 14, 1}} {
		p := dw5Params(1, c.c, c.h, c.h, c.s, 2, 2, 2, 2)
		x := dwRand(r, p.C*p.H*p.W)
		w := dwRand(r, p.C*25)
		bias := dwRand(r, p.C)
		y := make([]float32, p.C*p.OH*p.OW)
		name := fmt.Sprintf("c%d_%dx%d_s%d", c.c, c.h, c.h, c.s)
		b.Run(name+"/scalar", func(b *testing.B) {
			for range b.N {
				dw5Run(nil, p, w, x, bias, nil, Act{}, y)
			}
		})
		b.Run(name+"/avx2", func(b *testing.B) {
			for range b.N {
				dw5Run(dw5AVX2, p, w, x, bias, nil, Act{}, y)
			}
		})
	}
}
