//go:build js && wasm

package simd

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// q8case is a quantized conv's input on its grid: the quantized bytes and
// the same values dequantized.
func q8case(r *rand.Rand, q *kern.QuantParams, n int) (xb []byte, xf []float32) {
	xb, xf = make([]byte, n), make([]float32, n)
	for i := range xb {
		v := q.XLo + int32(r.IntN(int(q.XHi-q.XLo+1)))
		xb[i] = byte(v)
		xf[i] = float32(v-q.XZero) * q.XScale
	}
	return
}

// asBytes is f's memory as bytes.
func asBytes(f []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

// QConv with quantized bytes in, out or both (kern.QConvWork.SetQ8) gives
// the float32 conv's integers bit for bit, on the byte kernels (1×1 and
// 3×3 depthwise, stride 1 and 2, uint8 and int8) and, with the kernels
// removed, on the Go paths' conversions.
func TestQConvBytesMatchFloat(t *testing.T) {
	needSIMD(t)
	if !qdwOK || !qOK {
		t.Fatal("the quantized kernels did not start")
	}
	r := rand.New(rand.NewPCG(21, 22))
	type pads struct{ t, l, b, r int }
	type tc struct {
		dw               bool // else 1×1, or the 3×3 stem-like conv (float route) when s > 1
		n, c, m, h, w, s int
		pd               pads
	}
	cases := []tc{
		{false, 1, 16, 24, 7, 9, 1, pads{}},
		{false, 1, 32, 8, 8, 8, 1, pads{}},
		{false, 2, 6, 5, 5, 3, 1, pads{}},
		{false, 1, 96, 24, 14, 14, 1, pads{}},
		{false, 1, 64, 40, 1, 1, 1, pads{}}, // one column: qgemm's matrix-vector product
		{false, 2, 32, 12, 1, 1, 1, pads{}},
		{true, 1, 32, 32, 15, 15, 1, pads{1, 1, 1, 1}},
		{true, 1, 24, 24, 14, 14, 2, pads{1, 1, 1, 1}},
		{true, 2, 24, 24, 14, 14, 2, pads{0, 0, 1, 1}},
		{true, 1, 7, 7, 9, 13, 1, pads{1, 1, 1, 1}},
		{true, 1, 5, 5, 11, 17, 2, pads{1, 1, 1, 1}},
		{true, 1, 3, 3, 5, 4, 1, pads{1, 1, 1, 1}},
		{true, 1, 4, 4, 6, 5, 2, pads{1, 1, 1, 1}},
		{true, 1, 6, 6, 12, 19, 2, pads{0, 1, 2, 1}},
		{true, 1, 8, 8, 112, 112, 2, pads{1, 1, 1, 1}},
		{true, 1, 11, 11, 3, 33, 1, pads{1, 1, 1, 1}},
		{false, 1, 3, 32, 32, 32, 2, pads{1, 1, 1, 1}},
		{false, 2, 3, 8, 10, 13, 2, pads{0, 1, 1, 1}}, // 35 outputs a plane: the Go tail
	}
	for ci, c := range cases {
		p := kern.ConvParams{N: c.n, C: c.c, H: c.h, W: c.w, M: c.m, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Group: 1}
		stem := !c.dw && c.s > 1
		if c.dw || stem {
			p.KH, p.KW, p.SH, p.SW = 3, 3, c.s, c.s
			p.PT, p.PL, p.PB, p.PR = c.pd.t, c.pd.l, c.pd.b, c.pd.r
		}
		if c.dw {
			p.Group = c.c
		}
		p.OH = (p.H+p.PT+p.PB-p.KH)/p.SH + 1
		p.OW = (p.W+p.PL+p.PR-p.KW)/p.SW + 1
		for variant := range 4 {
			signed := variant%2 == 1
			w, wz, q, _ := qcase(r, p, signed)
			for m := range q.Mult {
				q.Mult[m] *= 8 // so that the clamps bite
			}
			if signed {
				q.YZero, q.YLo, q.YHi = -5, -128, 127
			}
			if variant >= 2 {
				q.YLo = q.YZero // Relu
			}
			pk := kern.PackQConv(p, w, wz, 255)
			if in, out := pk.Q8OK(); in == stem || !out {
				t.Fatalf("case %d: the byte kernels take %+v as in %v, out %v", ci, p, in, out)
			}
			nx, ny := p.N*p.C*p.H*p.W, p.N*p.M*p.OH*p.OW
			xb, xf := q8case(r, q, nx)
			want := make([]float32, ny)
			kern.QConv(p, pk, q, xf, want, pk.NewWork())
			wantB := make([]byte, ny)
			for i, v := range want {
				wantB[i] = byte(roundHalfEven(v/q.YScale) + q.YZero)
			}
			for _, vec := range []bool{true, false} {
				if !vec {
					setQ(false)
				}
				for mode := 1; mode < 4; mode++ {
					in8, out8 := mode&1 != 0, mode&2 != 0
					x := append([]float32(nil), xf...)
					if in8 {
						for i := range x {
							x[i] = 1e30 // past the bytes: must not be read
						}
						copy(asBytes(x), xb)
					}
					y := make([]float32, ny)
					for i := range y {
						y[i] = -7 // every element must be written
					}
					wk := pk.NewWork()
					wk.SetQ8(in8, out8)
					kern.QConv(p, pk, q, x, y, wk)
					for i := 0; i < ny; i++ {
						if out8 {
							if got := asBytes(y)[i]; got != wantB[i] {
								t.Fatalf("case %d variant %d vec %v in8 %v: byte %d = %d, want %d (%v)", ci, variant, vec, in8, i, got, wantB[i], want[i])
							}
						} else if y[i] != want[i] {
							t.Fatalf("case %d variant %d vec %v in8 %v: y[%d] = %v, want %v", ci, variant, vec, in8, i, y[i], want[i])
						}
					}
				}
				setQ(true)
			}
		}
	}
}

// roundHalfEven is v rounded to the nearest integer, half to even.
func roundHalfEven(v float32) int32 {
	const magic = 12582912 // 1.5·2²³
	return int32((v + magic) - magic)
}
