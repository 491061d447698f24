package kern

import (
	"math/rand"
	"testing"
)

// QConv with quantized bytes in, out or both (SetQ8) gives the float32
// conv's integers bit for bit on every path that converts around it (the
// Go kernels, AVX2 natively, the float route); wasm/simd tests the byte
// kernels themselves.
func TestQConvQ8MatchesFloat(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	cases := []ConvParams{
		{N: 1, C: 16, H: 7, W: 9, M: 24, OH: 7, OW: 9, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1},
		{N: 2, C: 5, H: 6, W: 5, M: 7, OH: 6, OW: 5, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1},
		{N: 1, C: 3, H: 11, W: 13, M: 8, OH: 6, OW: 7, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 1},
		{N: 1, C: 12, H: 9, W: 10, M: 12, OH: 5, OW: 5, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Group: 12},
		{N: 1, C: 4, H: 9, W: 9, M: 4, OH: 5, OW: 5, KH: 5, KW: 5, SH: 1, SW: 1, DH: 1, DW: 1, Group: 4},
		{N: 1, C: 8, H: 9, W: 9, M: 6, OH: 5, OW: 5, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, Group: 2},
	}
	for ci, p := range cases {
		for _, signed := range []bool{false, true} {
			w, wz, q, _ := qconvCase(r, p, signed)
			if signed {
				q.YZero, q.YLo, q.YHi = -9, -128, 127
			}
			nx, ny := p.N*p.C*p.H*p.W, p.N*p.M*p.OH*p.OW
			xb, xf := make([]byte, nx), make([]float32, nx)
			for i := range xb {
				v := q.XLo + int32(r.Intn(int(q.XHi-q.XLo+1)))
				xb[i], xf[i] = byte(v), float32(v-q.XZero)*q.XScale
			}
			pk := PackQConv(p, w, wz, 255)
			want := make([]float32, ny)
			QConv(p, pk, q, xf, want, pk.NewWork())
			for mode := 1; mode < 4; mode++ {
				in8, out8 := mode&1 != 0, mode&2 != 0
				x := append([]float32(nil), xf...)
				if in8 {
					for i := range x {
						x[i] = 1e30 // past the bytes: never read
					}
					copy(bytesOf(x), xb)
				}
				y := make([]float32, ny)
				wk := pk.NewWork()
				wk.SetQ8(in8, out8)
				QConv(p, pk, q, x, y, wk)
				for i := range want {
					if out8 {
						wb := byte(int32(roundEven(want[i]/q.YScale)) + q.YZero)
						if got := bytesOf(y)[i]; got != wb {
							t.Fatalf("case %d signed %v in8 %v: byte %d = %d, want %d", ci, signed, in8, i, got, wb)
						}
					} else if y[i] != want[i] {
						t.Fatalf("case %d signed %v in8 %v: y[%d] = %v, want %v", ci, signed, in8, i, y[i], want[i])
					}
				}
			}
		}
	}
}
