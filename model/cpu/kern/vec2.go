package kern

import (
	"math"
	"sync"
)

// Vector kernels for the CNN ops around the convs (wasm/simd's ops2.wasm,
// installed with SetVec2Kernels): the 5×5 depthwise interior, 2-D max and
// average pooling, global average pooling and per-channel broadcast
// Add/Mul. With none installed (natively, or without SIMD) every entry
// point here reports false and the callers keep their scalar loops, which
// stay the reference.

// DW5Kernel computes one image's 5×5 depthwise conv, stride p.SH (1 or
// 2), bitwise as kern's scalar depthwise sums it, then + res and the clamp
// [lo, hi]: the interior columns [oxLo, oxLo+cnt) 4 at a time if cnt >= 4
// (rows above or below the image read zero: W zeros), every other column
// per tap. ixb is the byte offset in an input row of the first interior
// window. The caller has checked every length.
type DW5Kernel func(p ConvParams, w, x, bias, res, y, zero []float32, oxLo, cnt, ixb int, lo, hi float32)

// PoolArgs is a 2-D pool over planes of H×W to OH×OW, with window KH×KW,
// stride S on both axes (1 or 2), no dilation, PT/PL top/left padding.
type PoolArgs struct {
	Planes, H, W, OH, OW, KH, KW, S, PT, PL int
	Max                                     bool
}

// PoolKernel computes the outputs of rows [oyLo, oyHi) and columns [oxLo,
// oxLo+cnt) (cnt >= 4), whose windows lie inside the input: the max, or
// the sum in row-major tap order divided by KH*KW.
type PoolKernel func(a PoolArgs, x, y []float32, oyLo, oyHi, oxLo, cnt int)

// PoolRef is the scalar pool of one output of plane (taps inside the
// input only): the reference PoolKernels are checked against.
func PoolRef(a PoolArgs, plane []float32, oy, ox int) float32 {
	acc := float32(0)
	if a.Max {
		acc = float32(math.Inf(-1))
	}
	for kh := 0; kh < a.KH; kh++ {
		for kw := 0; kw < a.KW; kw++ {
			iy, ix := oy*a.S-a.PT+kh, ox*a.S-a.PL+kw
			if iy < 0 || iy >= a.H || ix < 0 || ix >= a.W {
				continue
			}
			v := plane[iy*a.W+ix]
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
	return acc
}

// GAPKernel computes y[p] = Σ x[p*size:(p+1)*size] / size for p < planes
// (partial sums: not the sequential order).
type GAPKernel func(x, y []float32, planes, size int)

// ChanKernel computes dst[p*inner+i] = x[p*inner+i] + s[p] (mul: ×) for
// p < planes, i < inner. dst may be x.
type ChanKernel func(mul bool, dst, x, s []float32, planes, inner int)

// DWCKernel computes channels [0, c4) (c4 a multiple of 4) of one image's
// k×k depthwise conv (k = p.KH, stride p.SH), 4 channels at a time, one per
// lane, bitwise as kern's scalar depthwise (interior columns [oxLo, oxHi)
// as dw5 sums them, the others as dwBorder), + res, clamped to [lo, hi].
// t is scratch: p.H*p.W*4 + k*k*4 floats, then k*4 zeros.
type DWCKernel func(p ConvParams, w, x, bias, res, y, t []float32, c4, oxLo, oxHi int, lo, hi float32)

// Vec2Kernels are ops2.wasm's kernels (and ops3.wasm's DWC); a nil field
// keeps the scalar path.
type Vec2Kernels struct {
	DW5  DW5Kernel
	DWC  DWCKernel
	Pool PoolKernel
	// Max3s2 is Pool for a 3×3 max pool at stride 2 only (faster).
	Max3s2 PoolKernel
	GAP    GAPKernel
	Chan   ChanKernel
}

var vec2 Vec2Kernels

// SetVec2Kernels installs k (the zero value restores the scalar paths).
// Not safe to call while kernels run.
func SetVec2Kernels(k Vec2Kernels) { vec2 = k }

// vec2Min is the fewest elements worth a call into the module (the JS
// call costs about as much as this many scalar steps).
const vec2Min = 256

// depthwiseVec5 runs a 5×5 depthwise conv on vec2.DW5, one call per
// image, then any activation that is not a clamp. It reports false, having
// done nothing, when the kernel is absent or the conv is too small.
func depthwiseVec5(p ConvParams, w, x, bias, res []float32, act Act, y, zero []float32, oxLo, oxHi int) bool {
	if vec2.DW5 == nil || p.KH != 5 || p.OH*p.OW*p.C < vec2Min {
		return false
	}
	hw, npix := p.H*p.W, p.OH*p.OW
	lo, hi, clamp := actBounds(act)
	w = w[:p.C*25]
	zero = zero[:p.W]
	if bias != nil {
		bias = bias[:p.C]
	}
	ixb := 4 * (oxLo*p.SH - p.PL)
	for n := 0; n < p.N; n++ {
		xs := x[n*p.C*hw : (n+1)*p.C*hw]
		ys := y[n*p.M*npix : (n+1)*p.M*npix]
		var rs []float32
		if res != nil {
			rs = res[n*p.M*npix : (n+1)*p.M*npix]
		}
		if c4 := p.C &^ 3; vec2.DWC != nil && p.OW <= dwcMaxOW && c4 > 0 {
			// Narrow planes: 4 channels in the lanes, then the rest.
			t := dwcScratch(p.H*p.W*4 + 25*4 + 5*4)
			vec2.DWC(p, w, xs, bias, rs, ys, t, c4, oxLo, oxHi, lo, hi)
			if rem := p.C - c4; rem > 0 {
				pr := p
				pr.C, pr.M = rem, rem
				var br, rr []float32
				if bias != nil {
					br = bias[c4:]
				}
				if rs != nil {
					rr = rs[c4*npix:]
				}
				vec2.DW5(pr, w[c4*25:], xs[c4*hw:], br, rr, ys[c4*npix:], zero, oxLo, oxHi-oxLo, ixb, lo, hi)
			}
		} else {
			vec2.DW5(p, w, xs, bias, rs, ys, zero, oxLo, oxHi-oxLo, ixb, lo, hi)
		}
		if !clamp {
			applyAct(act, ys)
		}
	}
	return true
}

// dwcMaxOW is the widest output plane the DWC kernel takes: wider ones
// have enough 4-column groups for DW5.
const dwcMaxOW = 16

var (
	dwcMu  sync.Mutex
	dwcBuf []float32
)

// dwcScratch returns DWC's scratch of n floats, the last 20 (the zero
// rows) zero. On the heap: the kernel addresses it directly.
func dwcScratch(n int) []float32 {
	dwcMu.Lock()
	defer dwcMu.Unlock()
	if len(dwcBuf) < n {
		dwcBuf = make([]float32, n)
	}
	t := dwcBuf[:n]
	clear(t[n-20:])
	return t
}

// PoolVec runs the interior of a 2-D pool on the vector kernel and returns
// the interior it computed: rows [oyLo, oyHi) by columns [oxLo, oxHi) of
// every plane; the caller computes every other output. ok is false, with
// nothing done, when no kernel is installed or the pool does not suit it.
func PoolVec(a PoolArgs, x, y []float32) (oyLo, oyHi, oxLo, oxHi int, ok bool) {
	if vec2.Pool == nil || (a.S != 1 && a.S != 2) || a.KH < 1 || a.KW < 1 || a.Planes*a.OH*a.OW < vec2Min {
		return 0, 0, 0, 0, false
	}
	oyLo, oyHi = interior(a.H, a.KH, a.S, a.PT, a.OH)
	oxLo, oxHi = interior(a.W, a.KW, a.S, a.PL, a.OW)
	if oxHi-oxLo < 4 || oyHi <= oyLo ||
		len(x) < a.Planes*a.H*a.W || len(y) < a.Planes*a.OH*a.OW {
		return 0, 0, 0, 0, false
	}
	if a.Max && a.KH == 3 && a.KW == 3 && a.S == 2 && vec2.Max3s2 != nil {
		vec2.Max3s2(a, x, y, oyLo, oyHi, oxLo, oxHi-oxLo)
	} else {
		vec2.Pool(a, x, y, oyLo, oyHi, oxLo, oxHi-oxLo)
	}
	return oyLo, oyHi, oxLo, oxHi, true
}

// interior is the range of outputs [lo, hi) whose k-wide window at stride
// s lies inside [0, n) with pad p before it (at most out outputs).
func interior(n, k, s, pad, out int) (lo, hi int) {
	lo = min((pad+s-1)/s, out)
	hi = lo
	if n-k+pad >= 0 {
		hi = min((n-k+pad)/s+1, out)
	}
	return lo, max(hi, lo)
}

// GlobalAvgVec computes y[p] = mean(x[p*size:(p+1)*size]) for p < planes
// on the vector kernel, with partial sums (not the scalar loop's order),
// and reports whether it did.
func GlobalAvgVec(x, y []float32, planes, size int) bool {
	if vec2.GAP == nil || size < 8 || planes*size < vec2Min || len(x) < planes*size || len(y) < planes {
		return false
	}
	vec2.GAP(x, y, planes, size)
	return true
}

// ChanVec computes dst[p*inner+i] = x[p*inner+i] op s[p] (op: + or, mul,
// ×) on the vector kernel, bitwise the scalar loop, and reports whether it
// did.
func ChanVec(mul bool, dst, x, s []float32, planes, inner int) bool {
	n := planes * inner
	if vec2.Chan == nil || inner < 4 || n < vec2Min || len(dst) < n || len(x) < n || len(s) < planes {
		return false
	}
	vec2.Chan(mul, dst, x, s, planes, inner)
	return true
}
