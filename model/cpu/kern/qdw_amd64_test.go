//go:build amd64 && !purego

package kern

import (
	"math"
	"math/rand"
	"testing"
)

func dw3(c, h, w, s, pt, pl, pb, pr int) ConvParams {
	return ConvParams{N: 1, C: c, H: h, W: w, M: c, OH: (h+pt+pb-3)/s + 1, OW: (w+pl+pr-3)/s + 1,
		KH: 3, KW: 3, SH: s, SW: s, PT: pt, PL: pl, PB: pb, PR: pr, DH: 1, DW: 1, Group: c}
}

// qdwAVX2 against qdwGo (the contract), outputs and padded plane bit for
// bit, on awkward widths (4..8, around multiples of 8), both strides,
// asymmetric pads, int16-extreme weights and inputs, int32 wrapping,
// saturation, NaN and infinite inputs, ties.
func TestQDWAVX2Exact(t *testing.T) {
	needQAVX2(t)
	r := rand.New(rand.NewSource(17))
	var cases []ConvParams
	for _, w := range []int{4, 5, 6, 7, 8, 9, 11, 15, 16, 17, 23, 24, 33} {
		for _, s := range []int{1, 2} {
			h := 3 + r.Intn(8)
			cases = append(cases, dw3(3, h, w, s, 1, 1, 1, 1), dw3(2, h, w, s, 0, 0, 1, 1), dw3(2, h+1, w, s, 0, 2, 2, 0))
		}
	}
	cases = append(cases, dw3(1, 1, 4, 1, 1, 1, 1, 1), dw3(2, 2, 6, 2, 1, 1, 1, 1), dw3(4, 112, 112, 1, 1, 1, 1, 1), dw3(3, 56, 56, 2, 0, 0, 1, 1))
	for ci, p := range cases {
		for variant := 0; variant < 4; variant++ {
			xs := float32(0.02)
			xlo, xhi := float32(-117), float32(138)
			lo, hi, ys := float32(-131), float32(124), float32(0.05)
			wmax := 127
			switch variant {
			case 1: // int16 extremes: the sums wrap in int32
				xlo, xhi, xs = -32768, 32767, 1
				wmax = 32767
			case 2: // a narrow output range: saturation
				lo, hi = 0, 6
			case 3:
				xlo, xhi = -128, 127
			}
			wr, n := qdwGeom(p)
			w := make([]int32, p.C*9)
			for i := range w {
				w[i] = int32(r.Intn(2*wmax+1) - wmax)
				if variant == 1 && r.Intn(3) == 0 {
					w[i] = int32([]int{-32768, 32767}[r.Intn(2)])
				}
			}
			bias, mult := make([]int32, p.C), make([]float32, p.C)
			for c := range bias {
				bias[c] = int32(r.Intn(20001) - 10000)
				mult[c] = 0.0001 + 0.01*r.Float32()
				if variant == 1 {
					bias[c] = int32(r.Uint32())
				}
			}
			mult[0] = 0.5 // ties on the output
			x := make([]float32, p.C*p.H*p.W)
			for i := range x {
				x[i] = float32(r.Intn(int(xhi-xlo)+1)+int(xlo)) * xs
				if r.Intn(8) == 0 {
					x[i] = qodd(r, xs)
				}
				if r.Intn(40) == 0 {
					x[i] = float32(math.NaN())
				}
			}
			want, got := make([]float32, p.C*p.OH*p.OW), make([]float32, p.C*p.OH*p.OW)
			for i := range got {
				got[i] = float32(i) // overwritten
			}
			pw, pg := make([]int16, n), make([]int16, n)
			var tmp [8]float32
			qdwGo(p, x, want, w, bias, mult, pw, wr, xs, xlo, xhi, lo, hi, ys, tmp[:])
			qdwAVX2(p, x, got, w, bias, mult, pg, wr, xs, xlo, xhi, lo, hi, ys, tmp[:])
			for i := range pw {
				if pg[i] != pw[i] {
					t.Fatalf("case %d variant %d %+v: pad[%d] = %d, want %d", ci, variant, p, i, pg[i], pw[i])
				}
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("case %d variant %d %+v: y[%d] = %v, want %v", ci, variant, p, i, got[i], want[i])
				}
			}
		}
	}
}

// QConv's depthwise convs on the AVX2 kernel against the scalar integer
// path (batches, no bias, both input types).
func TestQConvDWAVX2MatchesScalar(t *testing.T) {
	needQAVX2(t)
	r := rand.New(rand.NewSource(18))
	for _, p := range []ConvParams{dw3(5, 9, 10, 2, 1, 1, 1, 1), dw3(7, 7, 7, 1, 1, 1, 1, 1), dw3(4, 14, 14, 1, 1, 1, 1, 1), dw3(3, 28, 28, 2, 0, 0, 1, 1)} {
		p.N = 2
		for variant := 0; variant < 4; variant++ {
			signed := variant%2 == 1
			w, wz, q, x := qconvCase(r, p, signed)
			if variant >= 2 {
				q.Bias = nil
				q.YLo = q.YZero
			}
			pk := PackQConv(p, w, wz, max(q.XHi-q.XZero, q.XZero-q.XLo))
			if !pk.dw16 {
				t.Fatalf("%+v: not taken by the vector depthwise kernel", p)
			}
			want := make([]float32, p.N*p.M*p.OH*p.OW)
			qconvScalar(p, pk, q, x, want)
			got := make([]float32, len(want))
			QConv(p, pk, q, x, got, pk.NewWork())
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("variant %d (%+v): y[%d] = %v, want %v", variant, p, i, got[i], want[i])
				}
			}
		}
	}
}
