//go:build amd64 && !purego

package kern

import "math"

// poolAVX2 is a PoolKernel on AVX2 (only valid where hasAVX2FMA): Go loops
// over planes and interior rows; rows of 8 or more interior outputs go to
// poolRowAVX2 (pool_amd64.s), shorter ones to poolScalarRow. Both are
// bitwise the scalar pool of PoolKernel's contract (max with NaN
// propagation; float32 sum in row-major tap order / KH*KW), though a NaN
// result's payload may differ.
func poolAVX2(a PoolArgs, x, y []float32, oyLo, oyHi, oxLo, cnt int) {
	if cnt <= 0 || oyHi <= oyLo {
		return
	}
	s := a.S
	ix0 := oxLo*s - a.PL
	iy0 := oyLo*s - a.PT
	if (s != 1 && s != 2) || a.KH < 1 || a.KW < 1 || oxLo < 0 || oxLo+cnt > a.OW || oyLo < 0 || oyHi > a.OH ||
		ix0 < 0 || ix0+(cnt-1)*s+a.KW > a.W || iy0 < 0 || (oyHi-1)*s-a.PT+a.KH > a.H {
		panic("kern: poolAVX2: bad interior")
	}
	hw, npix := a.H*a.W, a.OH*a.OW
	x = x[:a.Planes*hw]
	y = y[:a.Planes*npix]
	isMax := 0
	if a.Max {
		isMax = 1
	}
	div := float32(a.KH * a.KW)
	for p := 0; p < a.Planes; p++ {
		for oy := oyLo; oy < oyHi; oy++ {
			xo := p*hw + (oy*s-a.PT)*a.W + ix0
			yo := p*npix + oy*a.OW + oxLo
			if cnt >= 8 {
				poolRowAVX2(&x[xo], &y[yo], cnt, a.W, a.KH, a.KW, s, isMax, div)
			} else {
				poolScalarRow(a, x[xo:], y[yo:yo+cnt])
			}
		}
	}
}

// poolScalarRow computes len(y) outputs whose windows start at x[o*a.S]
// and lie inside the input.
func poolScalarRow(a PoolArgs, x, y []float32) {
	for o := range y {
		acc := float32(0)
		if a.Max {
			acc = float32(math.Inf(-1))
		}
		for kh := 0; kh < a.KH; kh++ {
			row := x[o*a.S+kh*a.W:]
			for _, v := range row[:a.KW] {
				if a.Max {
					if v > acc || v != v {
						acc = v
					}
				} else {
					acc += v
				}
			}
		}
		if !a.Max {
			acc /= float32(a.KH * a.KW)
		}
		y[o] = acc
	}
}

//go:noescape
func poolRowAVX2(x, y *float32, cnt, w, kh, kw, s, isMax int, div float32)
