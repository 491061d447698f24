package kern

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// Tolerance for every comparison against the naive references: float32
// sums over up to a few thousand terms in a different order.
const (
	tolAbs = 1e-4
	tolRel = 1e-4
)

func close32(got, want float32) bool {
	d := math.Abs(float64(got) - float64(want))
	return d <= tolAbs+tolRel*math.Abs(float64(want))
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// refAct is the scalar reference for each activation, in float64.
func refAct(a Act, v float64) float64 {
	switch a.Kind {
	case ActRelu:
		return math.Max(v, 0)
	case ActClip:
		return math.Min(math.Max(v, float64(a.A)), float64(a.B))
	case ActHardSigmoid:
		return math.Max(0, math.Min(1, float64(a.A)*v+float64(a.B)))
	case ActHardSwish:
		return v * math.Max(0, math.Min(1, v/6+0.5))
	case ActSigmoid:
		return 1 / (1 + math.Exp(-v))
	case ActSiLU:
		return v / (1 + math.Exp(-v))
	case ActLeakyRelu:
		if v >= 0 {
			return v
		}
		return float64(a.A) * v
	}
	return v
}

// refConv is the naive direct convolution every Conv case is checked against.
func refConv(p ConvParams, w, x, bias, res []float32, act Act) []float32 {
	y := make([]float32, p.N*p.M*p.OH*p.OW)
	cg, mg := p.C/p.Group, p.M/p.Group
	for n := 0; n < p.N; n++ {
		for m := 0; m < p.M; m++ {
			g := m / mg
			for oy := 0; oy < p.OH; oy++ {
				for ox := 0; ox < p.OW; ox++ {
					var s float64
					if bias != nil {
						s = float64(bias[m])
					}
					for c := 0; c < cg; c++ {
						for ky := 0; ky < p.KH; ky++ {
							for kx := 0; kx < p.KW; kx++ {
								iy := oy*p.SH - p.PT + ky*p.DH
								ix := ox*p.SW - p.PL + kx*p.DW
								if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
									continue
								}
								xv := x[((n*p.C+g*cg+c)*p.H+iy)*p.W+ix]
								wv := w[((m*cg+c)*p.KH+ky)*p.KW+kx]
								s += float64(xv) * float64(wv)
							}
						}
					}
					i := ((n*p.M+m)*p.OH+oy)*p.OW + ox
					if res != nil {
						s += float64(res[i])
					}
					y[i] = float32(refAct(act, s))
				}
			}
		}
	}
	return y
}

// mkParams fills OH/OW from the rest.
func mkParams(n, c, h, w, m, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, g int) ConvParams {
	p := ConvParams{N: n, C: c, H: h, W: w, M: m, KH: kh, KW: kw, SH: sh, SW: sw,
		PT: pt, PL: pl, PB: pb, PR: pr, DH: dh, DW: dw, Group: g}
	p.OH = (h+pt+pb-dh*(kh-1)-1)/sh + 1
	p.OW = (w+pl+pr-dw*(kw-1)-1)/sw + 1
	return p
}

var allActs = []Act{
	{Kind: ActNone},
	{Kind: ActRelu},
	{Kind: ActClip, A: 0, B: 6},
	{Kind: ActHardSigmoid, A: 0.2, B: 0.5},
	{Kind: ActHardSwish},
	{Kind: ActSigmoid},
	{Kind: ActSiLU},
	{Kind: ActLeakyRelu, A: 0.1},
}

// bothPaths runs f on every GEMM route this build has: the platform GEMM
// (gonum natively; under wasm the plain-layout conv path on the scalar
// GEMM), the vector kernels when some are installed (the AVX2 assembly on
// amd64), and the packed scalar kernel, so each is covered on every build.
func bothPaths(t *testing.T, f func(t *testing.T)) {
	savedNative, saved := useNative, VecKernels{vecGemm, vecDW, vecIm2col}
	defer func() { useNative = savedNative; SetVecKernels(saved) }()
	type mode struct {
		name   string
		native bool
		vec    VecKernels
	}
	modes := []mode{{"native=true", true, saved}, {"native=false", false, VecKernels{}}}
	if saved.Gemm != nil || saved.Depthwise != nil {
		modes = append(modes, mode{"vector", false, saved})
	}
	for _, m := range modes {
		useNative = m.native
		SetVecKernels(m.vec)
		t.Run(m.name, f)
	}
}

func TestConv(t *testing.T) { bothPaths(t, testConv) }

func testConv(t *testing.T) {
	cases := []struct {
		name string
		p    ConvParams
	}{
		{"1x1 odd", mkParams(1, 7, 5, 9, 13, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1)},
		{"1x1 N2", mkParams(2, 16, 7, 7, 24, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1)},
		{"1x1 stride2", mkParams(1, 8, 9, 11, 6, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1)},
		{"1x1 padded", mkParams(1, 5, 4, 6, 7, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1)},
		{"1x1 big", mkParams(1, 320, 7, 7, 130, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1)},
		{"3x3 pad1", mkParams(1, 3, 11, 13, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
		{"3x3 s2 stem", mkParams(1, 3, 17, 15, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1)},
		{"3x3 s2 asym pad", mkParams(2, 5, 10, 9, 6, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, 1)},
		{"3x3 asym pad2", mkParams(1, 4, 8, 7, 5, 3, 3, 1, 2, 2, 0, 1, 3, 1, 1, 1)},
		{"3x3 dil2", mkParams(1, 6, 12, 11, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1)},
		{"3x3 group2", mkParams(1, 8, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2)},
		{"3x3 group4 s2", mkParams(2, 16, 10, 10, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4)},
		{"3x3 regnet groups", mkParams(1, 48, 7, 7, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3)},
		{"3x3 large K", mkParams(1, 130, 6, 5, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
		{"dw3x3 s1", mkParams(1, 5, 9, 10, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5)},
		{"dw3x3 s1 odd", mkParams(2, 3, 8, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3)},
		{"dw3x3 s2", mkParams(1, 4, 11, 12, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4)},
		{"dw3x3 s2 asym", mkParams(1, 4, 12, 13, 4, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, 4)},
		{"dw3x3 s1 nopad", mkParams(1, 3, 6, 9, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 3)},
		{"dw3x3 tiny", mkParams(1, 2, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2)},
		{"dw3x3 wide pad", mkParams(1, 2, 5, 6, 2, 3, 3, 2, 2, 3, 2, 1, 3, 1, 1, 2)},
		{"dw5x5 s1", mkParams(1, 3, 10, 11, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 3)},
		{"dw5x5 s2", mkParams(2, 3, 13, 12, 3, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 3)},
		{"dw5x5 s2 asym", mkParams(1, 2, 14, 15, 2, 5, 5, 2, 2, 1, 2, 2, 1, 1, 1, 2)},
		{"dw3x3 dil2", mkParams(1, 3, 9, 9, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 3)},
		{"dw mult2", mkParams(1, 3, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3)},
		{"dw7x7", mkParams(1, 4, 9, 9, 4, 7, 7, 1, 1, 3, 3, 3, 3, 1, 1, 4)},
		{"5x5", mkParams(1, 3, 9, 8, 5, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1)},
		{"7x7 s2", mkParams(1, 3, 19, 17, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1)},
		{"16x16 s16 vit", mkParams(1, 3, 48, 32, 10, 16, 16, 16, 16, 0, 0, 0, 0, 1, 1, 1)},
		{"1d k3", mkParams(2, 6, 1, 20, 5, 1, 3, 1, 1, 0, 1, 0, 1, 1, 1, 1)},
		{"1d k5 s2 dil2", mkParams(1, 4, 1, 23, 3, 1, 5, 1, 2, 0, 3, 0, 2, 1, 2, 1)},
		{"1d dw", mkParams(1, 4, 1, 17, 4, 1, 3, 1, 1, 0, 1, 0, 1, 1, 1, 4)},
		{"rect 3x1", mkParams(1, 4, 9, 6, 5, 3, 1, 2, 1, 1, 0, 1, 0, 1, 1, 1)},
	}
	r := rand.New(rand.NewSource(1))
	for ci, tc := range cases {
		p := tc.p
		for variant := 0; variant < 4; variant++ {
			hasBias, hasRes := variant&1 != 0, variant&2 != 0
			act := allActs[(ci+variant)%len(allActs)]
			if variant == 3 {
				// Cover every activation on every case's full path.
				act = allActs[ci%len(allActs)]
			}
			name := fmt.Sprintf("%s/bias=%v,res=%v,act=%d", tc.name, hasBias, hasRes, act.Kind)
			t.Run(name, func(t *testing.T) {
				w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
				x := randSlice(r, p.N*p.C*p.H*p.W)
				var bias, res []float32
				if hasBias {
					bias = randSlice(r, p.M)
				}
				ny := p.N * p.M * p.OH * p.OW
				if hasRes {
					res = randSlice(r, ny)
				}
				want := refConv(p, w, x, bias, res, act)
				pw := PackConv(p, w)
				y := make([]float32, ny)
				for i := range y {
					y[i] = float32(math.NaN())
				}
				scratch := make([]float32, ScratchSize(p))
				Conv(p, pw, x, bias, res, act, y, scratch)
				for i := range want {
					if !close32(y[i], want[i]) {
						t.Fatalf("y[%d] = %v, want %v", i, y[i], want[i])
					}
				}
			})
		}
	}
}

// TestConvAllActs runs every activation through both the GEMM and the
// depthwise epilogue.
func TestConvAllActs(t *testing.T) { bothPaths(t, testConvAllActs) }

func testConvAllActs(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	ps := []ConvParams{
		mkParams(1, 5, 6, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		mkParams(1, 4, 6, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4),
	}
	for _, p := range ps {
		for _, act := range allActs {
			w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
			for i := range w {
				w[i] *= 4 // push values past the activation knees
			}
			x := randSlice(r, p.N*p.C*p.H*p.W)
			bias := randSlice(r, p.M)
			res := randSlice(r, p.N*p.M*p.OH*p.OW)
			want := refConv(p, w, x, bias, res, act)
			y := make([]float32, len(want))
			Conv(p, PackConv(p, w), x, bias, res, act, y, make([]float32, ScratchSize(p)))
			for i := range want {
				if !close32(y[i], want[i]) {
					t.Fatalf("group %d act %d: y[%d] = %v, want %v", p.Group, act.Kind, i, y[i], want[i])
				}
			}
		}
	}
}

func TestApplyAct(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	in := []float32{-inf, -1e30, -1000, -89, -20, -6, -3, -1, -0.5, -1e-20, 0, 1e-20, 0.5, 1, 3, 6, 20, 89, 1000, 1e30, inf, nan}
	for _, act := range allActs {
		y := append([]float32(nil), in...)
		ApplyAct(act, y)
		for i, v := range in {
			want := float32(refAct(act, float64(v)))
			if want != want || y[i] != y[i] {
				// NaN in must give NaN out; ±Inf·0 (HardSwish, SiLU of
				// -Inf) is NaN in the reference too.
				if (want != want) != (y[i] != y[i]) {
					t.Errorf("act %d: f(%v) = %v, want %v", act.Kind, v, y[i], want)
				}
				continue
			}
			if math.IsInf(float64(want), 0) && y[i] == want {
				continue
			}
			if !close32(y[i], want) {
				t.Errorf("act %d (%v): f(%v) = %v, want %v", act.Kind, act, v, y[i], want)
			}
		}
	}
}

// refGemm is the naive triple loop reference.
func refGemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(v)
		}
	}
}

func TestGemm(t *testing.T) { bothPaths(t, testGemm) }

func testGemm(t *testing.T) {
	dims := [][3]int{{1, 1, 1}, {4, 3, 5}, {5, 7, 3}, {13, 17, 11}, {1, 1000, 300}, {9, 150, 300}, {33, 5, 520}, {2, 3, 0}}
	coefs := [][2]float32{{1, 0}, {0.5, 1}, {-1.5, 0.25}, {0, 2}}
	r := rand.New(rand.NewSource(3))
	for _, d := range dims {
		m, n, k := d[0], d[1], d[2]
		for _, co := range coefs {
			for tr := 0; tr < 4; tr++ {
				tA, tB := tr&1 != 0, tr&2 != 0
				name := fmt.Sprintf("m%d,n%d,k%d,alpha%v,beta%v,tA%v,tB%v", m, n, k, co[0], co[1], tA, tB)
				t.Run(name, func(t *testing.T) {
					// Leading dimensions larger than the row length.
					ar, ac := m, k
					if tA {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB {
						br, bc = n, k
					}
					lda, ldb, ldc := ac+3, bc+2, n+5
					a := randSlice(r, max(ar*lda, 1))
					b := randSlice(r, max(br*ldb, 1))
					c := randSlice(r, m*ldc)
					if co[1] == 0 {
						for i := range c {
							c[i] = float32(math.NaN()) // must be ignored
						}
					}
					want := append([]float32(nil), c...)
					refGemm(tA, tB, m, n, k, co[0], a, lda, b, ldb, co[1], want, ldc)
					Gemm(tA, tB, m, n, k, co[0], a, lda, b, ldb, co[1], c, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < ldc; j++ {
							got, w := c[i*ldc+j], want[i*ldc+j]
							if j >= n { // padding must be untouched
								if !(got == w || (got != got && w != w)) {
									t.Fatalf("padding c[%d][%d] changed", i, j)
								}
								continue
							}
							if !close32(got, w) {
								t.Fatalf("c[%d][%d] = %v, want %v", i, j, got, w)
							}
						}
					}
				})
			}
		}
	}
}

// TestGemmScalar exercises the portable kernel directly, so it is tested
// natively even when Gemm dispatches elsewhere.
func TestGemmScalar(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, d := range [][3]int{{7, 11, 5}, {16, 300, 270}, {5, 2, 600}, {1, 37, 301}} {
		m, n, k := d[0], d[1], d[2]
		for tr := 0; tr < 4; tr++ {
			tA, tB := tr&1 != 0, tr&2 != 0
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			a, b := randSlice(r, m*k), randSlice(r, k*n)
			c := randSlice(r, m*n)
			want := append([]float32(nil), c...)
			refGemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, 1, want, n)
			gemmScalar(tA, tB, m, n, k, 0.7, a, lda, b, ldb, 1, c, n)
			for i := range want {
				if !close32(c[i], want[i]) {
					t.Fatalf("%v: c[%d] = %v, want %v", d, i, c[i], want[i])
				}
			}
		}
	}
}

func TestNoAllocs(t *testing.T) { bothPaths(t, testNoAllocs) }

func testNoAllocs(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, p := range []ConvParams{
		mkParams(1, 16, 14, 14, 24, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
		mkParams(1, 8, 14, 14, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),
		mkParams(1, 8, 14, 14, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8),
	} {
		w := PackConv(p, randSlice(r, p.M*p.C/p.Group*p.KH*p.KW))
		x := randSlice(r, p.N*p.C*p.H*p.W)
		bias := randSlice(r, p.M)
		y := make([]float32, p.N*p.M*p.OH*p.OW)
		res := randSlice(r, len(y))
		scratch := make([]float32, ScratchSize(p))
		act := Act{Kind: ActHardSwish}
		if n := testing.AllocsPerRun(10, func() { Conv(p, w, x, bias, res, act, y, scratch) }); n != 0 {
			t.Errorf("Conv %+v: %v allocs per call", p, n)
		}
	}
	m, n, k := 64, 200, 300
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	if n := testing.AllocsPerRun(10, func() { Gemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) }); n != 0 {
		t.Errorf("Gemm: %v allocs per call", n)
	}
}
