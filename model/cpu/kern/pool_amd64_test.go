//go:build amd64 && !purego

package kern

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// The AVX2 pool's interior is bitwise the scalar loop's (any NaN for a
// NaN, ±0 ties as the scalar loop keeps them) on many shapes, rows of
// fewer than 8 interior outputs included, and it writes nothing outside
// the interior.
func TestPoolAVX2MatchesScalar(t *testing.T) {
	needAVX2(t)
	if vec2.Pool == nil {
		t.Fatal("pool kernel not installed on an AVX2+FMA machine")
	}
	r := rand.New(rand.NewSource(9))
	n := 0
	for _, isMax := range []bool{true, false} {
		for _, k := range [][2]int{{3, 3}, {2, 2}, {5, 5}, {3, 2}, {1, 1}, {7, 7}} {
			for _, s := range []int{1, 2} {
				for _, wd := range []int{4, 7, 8, 9, 13, 16, 17, 23, 27, 55, 111, 113} {
					for _, pad := range [][2]int{{0, 0}, {1, 1}, {0, 1}} {
						a := PoolArgs{Planes: 5, H: wd%9 + 6, W: wd, KH: k[0], KW: k[1], S: s, PT: pad[0], PL: pad[1], Max: isMax}
						if a.H+2*a.PT < a.KH || a.W+2*a.PL < a.KW {
							continue
						}
						a.OH = (a.H+2*a.PT-a.KH+s-1)/s + 1 // ceil mode
						a.OW = (a.W+2*a.PL-a.KW+s-1)/s + 1
						x := make([]float32, a.Planes*a.H*a.W)
						for i := range x {
							switch r.Intn(40) {
							case 0:
								x[i] = float32(math.NaN())
							case 1:
								x[i] = float32(math.Inf(1 - 2*r.Intn(2)))
							case 2:
								x[i] = float32(math.Copysign(0, float64(r.Intn(2)*2-1)))
							default:
								x[i] = float32(r.NormFloat64())
							}
						}
						y := make([]float32, a.Planes*a.OH*a.OW)
						for i := range y {
							y[i] = 42
						}
						y0, y1, x0, x1, ok := PoolVec(a, x, y)
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
										want = PoolRef(a, x[p*a.H*a.W:], oy, ox)
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
	if n < 50 {
		t.Fatalf("only %d cases ran on the kernel", n)
	}
}

// BenchmarkPoolAVX2 times SqueezeNet's first MaxPool (64×111×111, 3×3
// stride 2, ceil) and a 2×2 stride-2 max and 3×3 stride-1 average, on the
// scalar reference loop and on the kernel (interior only).
func BenchmarkPoolAVX2(b *testing.B) {
	needAVX2(b)
	for _, c := range []PoolArgs{
		{Planes: 64, H: 111, W: 111, KH: 3, KW: 3, S: 2, Max: true},
		{Planes: 64, H: 112, W: 112, KH: 2, KW: 2, S: 2, Max: true},
		{Planes: 64, H: 56, W: 56, KH: 3, KW: 3, S: 1, PT: 1, PL: 1},
	} {
		a := c
		a.OH = (a.H+2*a.PT-a.KH+a.S-1)/a.S + 1
		a.OW = (a.W+2*a.PL-a.KW+a.S-1)/a.S + 1
		x := make([]float32, a.Planes*a.H*a.W)
		for i := range x {
			x[i] = float32(i%97) - 40
		}
		y := make([]float32, a.Planes*a.OH*a.OW)
		oyLo, oyHi := interior(a.H, a.KH, a.S, a.PT, a.OH)
		oxLo, oxHi := interior(a.W, a.KW, a.S, a.PL, a.OW)
		name := fmt.Sprintf("%dx%ds%d_max%v", a.KH, a.KW, a.S, a.Max)
		b.Run(name+"/scalar", func(b *testing.B) {
			for range b.N {
				for p := 0; p < a.Planes; p++ {
					for oy := oyLo; oy < oyHi; oy++ {
						xo := p*a.H*a.W + (oy*a.S-a.PT)*a.W + oxLo*a.S - a.PL
						yo := p*a.OH*a.OW + oy*a.OW + oxLo
						poolScalarRow(a, x[xo:], y[yo:yo+oxHi-oxLo])
					}
				}
			}
		})
		b.Run(name+"/avx2", func(b *testing.B) {
			for range b.N {
				poolAVX2(a, x, y, oyLo, oyHi, oxLo, oxHi-oxLo)
			}
		})
	}
}
