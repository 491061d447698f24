//go:build amd64 && !purego

package kern

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// dwCase is one 3×3 depthwise conv for the AVX2 kernel's tests.
type dwCase struct {
	n, c, h, w     int
	s              int
	pt, pl, pb, pr int
}

func (d dwCase) params() ConvParams {
	return ConvParams{
		N: d.n, C: d.c, H: d.h, W: d.w, M: d.c,
		OH: (d.h+d.pt+d.pb-3)/d.s + 1, OW: (d.w+d.pl+d.pr-3)/d.s + 1,
		KH: 3, KW: 3, SH: d.s, SW: d.s,
		PT: d.pt, PL: d.pl, PB: d.pb, PR: d.pr, DH: 1, DW: 1, Group: d.c,
	}
}

// dwRun runs the package's depthwise with k as the vector depthwise kernel
// (nil: the scalar path), restoring the installed one afterwards.
func dwRun(k DepthwiseKernel, p ConvParams, w, x, bias, res []float32, act Act, y []float32) {
	saved := vecDW
	vecDW = k
	defer func() { vecDW = saved }()
	zero := make([]float32, p.W)
	for i := range zero {
		zero[i] = float32(math.NaN()) // depthwise must clear it
	}
	depthwise(p, w, x, bias, res, act, y, zero)
}

// dwClose is the comparison of the AVX2 kernel against the scalar one: FMA
// rounds each multiply-add once, so results may differ by rounding, and
// |got-want| <= 1e-5*(1+|want|) is allowed; NaN must match NaN, infinities
// must match exactly.
func dwClose(got, want float32) bool {
	switch {
	case want != want:
		return got != got
	case math.IsInf(float64(want), 0):
		return got == want
	}
	return math.Abs(float64(got)-float64(want)) <= 1e-5*(1+math.Abs(float64(want)))
}

func dwRand(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// TestDWAVX2 compares dwAVX2, through depthwise's real vector path
// (depthwiseVec), against the scalar depthwise on many shapes, strides,
// pads, epilogues and special values.
func TestDWAVX2(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	var cases []dwCase
	widths := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 23, 24, 25, 28, 31, 32, 33, 34, 35, 40, 56, 112}
	for _, w := range widths {
		for _, s := range []int{1, 2} {
			for _, pad := range [][4]int{{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 0, 1, 1}, {1, 1, 0, 0}, {2, 0, 1, 2}, {0, 2, 2, 1}} {
				h := 1 + (w+pad[0])%5
				c := dwCase{n: 1, c: 2, h: h, w: w, s: s, pt: pad[0], pl: pad[1], pb: pad[2], pr: pad[3]}
				if p := c.params(); p.OH < 1 || p.OW < 1 {
					continue
				}
				cases = append(cases, c)
			}
		}
	}
	// Square MobileNet-like planes, and two images.
	for _, w := range []int{7, 14, 28, 56, 112} {
		cases = append(cases,
			dwCase{n: 1, c: 3, h: w, w: w, s: 1, pt: 1, pl: 1, pb: 1, pr: 1},
			dwCase{n: 1, c: 3, h: w, w: w, s: 2, pt: 0, pl: 0, pb: 1, pr: 1},
			dwCase{n: 1, c: 3, h: w, w: w, s: 2, pt: 1, pl: 1, pb: 1, pr: 1})
	}
	cases = append(cases,
		dwCase{n: 2, c: 5, h: 9, w: 21, s: 1, pt: 1, pl: 1, pb: 1, pr: 1},
		dwCase{n: 2, c: 5, h: 9, w: 21, s: 2, pt: 1, pl: 0, pb: 0, pr: 1})

	acts := []struct {
		name string
		act  Act
	}{
		{"none", Act{}},
		{"relu", Act{Kind: ActRelu}},
		{"relu6", Act{Kind: ActClip, A: 0, B: 6}},
		{"hswish", Act{Kind: ActHardSwish}}, // not a clamp: applied after the kernel
	}
	rng := rand.New(rand.NewSource(1))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	checked := 0
	for ci, dc := range cases {
		p := dc.params()
		nx, ny := p.N*p.C*p.H*p.W, p.N*p.M*p.OH*p.OW
		for variant := 0; variant < 4; variant++ {
			withBias, withRes := variant&1 != 0, variant&2 != 0
			for ai, a := range acts {
				special := (ci+variant+ai)%3 == 0
				x := dwRand(rng, nx)
				w := dwRand(rng, p.C*9)
				if special { // a few NaN/±Inf inputs (and one NaN weight sometimes)
					for k := 0; k < 3; k++ {
						x[rng.Intn(nx)] = []float32{nan, inf, -inf}[k]
					}
					if rng.Intn(2) == 0 {
						w[rng.Intn(len(w))] = nan
					}
				}
				var bias, res []float32
				if withBias {
					bias = dwRand(rng, p.C)
					for i := range bias {
						bias[i] *= 4 // push some sums past the relu6 bounds
					}
				}
				if withRes {
					res = dwRand(rng, ny)
					if special {
						res[rng.Intn(ny)] = nan
					}
				}
				want := make([]float32, ny)
				got := make([]float32, ny)
				for i := range got {
					got[i] = 12345 // every output must be written
				}
				dwRun(nil, p, w, x, bias, res, a.act, want)
				dwRun(dwAVX2, p, w, x, bias, res, a.act, got)
				for i := range want {
					if !dwClose(got[i], want[i]) {
						t.Fatalf("%+v bias=%v res=%v act=%s special=%v: y[%d] = %v, want %v",
							dc, withBias, withRes, a.name, special, i, got[i], want[i])
					}
				}
				checked++
			}
		}
	}
	t.Logf("%d shapes, %d runs compared", len(cases), checked)
}

// TestDWAVX2Rows checks the row kernels directly for every length 1..40,
// one row and three, against a plain Go reference, with NaN guards around
// every input and 777 around every output so that a read or write outside
// its range shows; res is absent, separate, or aliasing o.
func TestDWAVX2Rows(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	rng := rand.New(rand.NewSource(2))
	const guard = 16
	nan := float32(math.NaN())
	for _, s := range []int{1, 2} {
		for n := 1; n <= 40; n++ {
			for _, nrows := range []int{1, 3} {
				for resMode := 0; resMode < 3; resMode++ { // none, separate, aliasing o
					span := (n-1)*s + 3
					// The input: nrows*s+2 rows of span values, NaN-guarded; output
					// rows of n values, 777-guarded.
					in := make([]float32, guard+(nrows*s+2)*(span+guard))
					for i := range in {
						in[i] = nan
					}
					istride := span + guard
					for r := 0; r < nrows*s+2; r++ {
						copy(in[guard+r*istride:], dwRand(rng, span))
					}
					ostride := n + guard
					oBuf := make([]float32, guard+nrows*ostride)
					for i := range oBuf {
						oBuf[i] = 777
					}
					var resv []float32
					var rptr *float32
					switch resMode {
					case 1:
						resBuf := make([]float32, guard+nrows*ostride)
						for i := range resBuf {
							resBuf[i] = nan
						}
						for r := 0; r < nrows; r++ {
							copy(resBuf[guard+r*ostride:], dwRand(rng, n))
						}
						resv, rptr = resBuf, &resBuf[guard]
					case 2:
						for r := 0; r < nrows; r++ {
							copy(oBuf[guard+r*ostride:], dwRand(rng, n))
						}
						resv = append([]float32(nil), oBuf...)
						rptr = &oBuf[guard]
					}
					w := dwRand(rng, 9)
					bias, lo, hi := float32(0.25), float32(-0.5), float32(1.5)
					r0 := in[guard:]
					dwRows(s, &oBuf[guard], &r0[0], &r0[istride], &r0[2*istride], &w[0], rptr, n, nrows, 4*s*istride, 4*ostride, bias, lo, hi)
					for r := 0; r < nrows; r++ {
						for i := -guard; i < ostride-guard+guard && guard+r*ostride+i < len(oBuf); i++ {
							got := oBuf[guard+r*ostride+i]
							if i < 0 || i >= n {
								if got != 777 && (resMode != 2 || got != resv[guard+r*ostride+i]) {
									t.Fatalf("s=%d n=%d rows=%d: wrote outside o at row %d col %d", s, n, nrows, r, i)
								}
								continue
							}
							sum := bias
							for ky := 0; ky < 3; ky++ {
								row := in[guard+(r*s+ky)*istride:]
								for kx := 0; kx < 3; kx++ {
									sum += w[ky*3+kx] * row[i*s+kx]
								}
							}
							if resv != nil {
								sum += resv[guard+r*ostride+i]
							}
							sum = min(max(sum, lo), hi)
							if !dwClose(got, sum) {
								t.Fatalf("s=%d n=%d rows=%d res=%d: o[%d][%d] = %v, want %v", s, n, nrows, resMode, r, i, got, sum)
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkDepthwiseAVX2 compares the scalar depthwise with dwAVX2 (through
// depthwise's vector path) on MobileNetV2-like 3×3 depthwise layers with
// bias and ReLU6. Bytes are the input plus output planes.
func BenchmarkDepthwiseAVX2(b *testing.B) {
	if !hasAVX2FMA {
		b.Skip("no AVX2+FMA")
	}
	shapes := []struct {
		name string
		dc   dwCase
	}{
		{"144ch56x56s1", dwCase{n: 1, c: 144, h: 56, w: 56, s: 1, pt: 1, pl: 1, pb: 1, pr: 1}},
		{"144ch56x56s2", dwCase{n: 1, c: 144, h: 56, w: 56, s: 2, pt: 0, pl: 0, pb: 1, pr: 1}},
		{"576ch14x14s1", dwCase{n: 1, c: 576, h: 14, w: 14, s: 1, pt: 1, pl: 1, pb: 1, pr: 1}},
	}
	act := Act{Kind: ActClip, A: 0, B: 6}
	for _, sh := range shapes {
		p := sh.dc.params()
		rng := rand.New(rand.NewSource(3))
		x := dwRand(rng, p.N*p.C*p.H*p.W)
		w := dwRand(rng, p.C*9)
		bias := dwRand(rng, p.C)
		y := make([]float32, p.N*p.M*p.OH*p.OW)
		zero := make([]float32, p.W)
		for _, k := range []struct {
			name string
			fn   DepthwiseKernel
		}{{"scalar", nil}, {"avx2", dwAVX2}} {
			b.Run(fmt.Sprintf("%s/%s", sh.name, k.name), func(b *testing.B) {
				saved := vecDW
				vecDW = k.fn
				defer func() { vecDW = saved }()
				b.SetBytes(int64(4 * (len(x) + len(y))))
				for b.Loop() {
					depthwise(p, w, x, bias, nil, act, y, zero)
				}
			})
		}
	}
}
