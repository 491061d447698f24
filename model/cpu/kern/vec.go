package kern

import "math"

// The vector-kernel hook. Go's wasm backend emits no SIMD, so under js/wasm
// the wasm/simd package installs kernels written in WebAssembly SIMD128
// with SetVecKernels: with a GEMM kernel, the GEMM-based convs and Gemm
// (m > 1) pack B in VecNR-wide strips (or, for 1×1 convs, pass the input
// plane as it stands) and hand whole blocks to it; a depthwise kernel takes
// over 3×3 depthwise convs. The packed weights (A, mr-row strips) are the
// same as the scalar kernel's, so the kernels can be installed before or
// after a model is compiled. With none (natively, in tests, or where SIMD
// is unavailable) the scalar kernels run.

// VecKernels are the vector kernels; a nil field keeps the scalar path.
type VecKernels struct {
	Gemm      GemmKernel
	Depthwise DepthwiseKernel
	Im2col    Im2colKernel // packs for Gemm; used only with it
}

// SetVecKernels installs k (the zero value restores the scalar kernels).
// Not safe to call while kernels run.
func SetVecKernels(k VecKernels) {
	vecGemm, vecDW, vecIm2col = k.Gemm, k.Depthwise, k.Im2col
}

var (
	vecGemm   GemmKernel
	vecDW     DepthwiseKernel
	vecIm2col Im2colKernel
)

// VecNR is the width of the packed B strips a GemmKernel reads.
const VecNR = 8

// VecMR is the height of the packed A strips a GemmKernel reads (the scalar
// kernel's mr).
const VecMR = mr

// GemmKernel computes one packed block
//
//	C[i][j] = min(max(bias[i] + Σ_p A[i][p]·B[p][j] + res[i][j], lo), hi)
//
// for i < mb, j < nb, with each product added in p order as float32 (so it
// matches the scalar kernel). ap holds ceil(mb/VecMR) strips of kb groups
// of VecMR A values (rows past mb zero). If ldb is 0, bp holds
// ceil(nb/VecNR) strips of kb groups of VecNR B values (columns past nb
// zero); otherwise B is plain, B[p][j] = bp[p*ldb+j], and nb is a multiple
// of VecNR. Row i of C starts at c[i*ldc], and so does row i of res. bias (mb values) and res may be nil;
// res may alias c (accumulate). kb > 0. The caller has checked every length.
type GemmKernel func(ap, bp []float32, ldb, kb, mb, nb int, c []float32, ldc int, bias, res []float32, lo, hi float32)

// DepthwiseKernel computes one image's 3×3 depthwise conv, stride p.SH
// (1 or 2, equal in both directions), as the scalar depthwise does:
//
//	y[c] = min(max(conv(x[c], w[c]) + bias[c] + res[c], lo), hi)
//
// x is [C][H][W], w [C][3][3], y and res [C][OH][OW]; bias and res may be
// nil. Output columns [oxLo, oxHi) have their whole window inside the row;
// zero holds W zeros. The caller has checked every length.
type DepthwiseKernel func(p ConvParams, w, x, bias, res, y, zero []float32, oxLo, oxHi int, lo, hi float32)

// Im2colKernel is packIm2col into VecNR-wide strips: the im2col matrix's
// columns [j0, j0+nb) (output pixels) of one group's input planes xg, as
// ceil(nb/VecNR) strips of kg groups of VecNR values, zero-padded. The
// caller has checked every length.
type Im2colKernel func(p ConvParams, xg []float32, j0, nb, kg int, dst []float32)

// im2colVec packs with vecIm2col if installed, else in Go.
func im2colVec(p ConvParams, xg []float32, j0, nb, kg int, dst []float32) {
	if vecIm2col == nil {
		packIm2col(p, xg, j0, nb, kg, dst, VecNR)
		return
	}
	if len(xg) < p.C/p.Group*p.H*p.W || len(dst) < (nb+VecNR-1)/VecNR*VecNR*kg ||
		kg != p.C/p.Group*p.KH*p.KW || j0 < 0 || nb <= 0 || j0+nb > p.OH*p.OW {
		panic("kern: vector im2col: bad block")
	}
	vecIm2col(p, xg, j0, nb, kg, dst)
}

// depthwiseVec runs the 3×3 depthwise conv on vecDW, one call per image.
func depthwiseVec(p ConvParams, w, x, bias, res []float32, act Act, y, zero []float32, oxLo, oxHi int) {
	hw, npix := p.H*p.W, p.OH*p.OW
	lo, hi, clamp := actBounds(act)
	w = w[:p.C*9]
	zero = zero[:p.W]
	if bias != nil {
		bias = bias[:p.C]
	}
	for n := 0; n < p.N; n++ {
		xs := x[n*p.C*hw : (n+1)*p.C*hw]
		ys := y[n*p.M*npix : (n+1)*p.M*npix]
		var rs []float32
		if res != nil {
			rs = res[n*p.M*npix : (n+1)*p.M*npix]
		}
		vecDW(p, w, xs, bias, rs, ys, zero, oxLo, oxHi, lo, hi)
		if !clamp {
			applyAct(act, ys)
		}
	}
}

// vecBlock checks a block's slices against its sizes, so a kernel that
// writes memory directly can never go outside them, and runs vecGemm.
func vecBlock(ap, bp []float32, ldb, kb, mb, nb int, c []float32, ldc int, bias, res []float32, lo, hi float32) {
	span := (mb-1)*ldc + nb
	bLen := (nb + VecNR - 1) / VecNR * VecNR * kb
	if ldb != 0 {
		bLen = (kb-1)*ldb + nb
		if ldb < nb || nb%VecNR != 0 {
			panic("kern: vector GEMM block: bad plain B")
		}
	}
	if kb <= 0 || mb <= 0 || nb <= 0 || ldc < nb || ldb < 0 ||
		len(ap) < (mb+mr-1)/mr*mr*kb || len(bp) < bLen ||
		len(c) < span || (bias != nil && len(bias) < mb) || (res != nil && len(res) < span) {
		panic("kern: vector GEMM block: slice too short")
	}
	vecGemm(ap, bp, ldb, kb, mb, nb, c, ldc, bias, res, lo, hi)
}

// actBounds maps an activation that is a clamp (none, Relu, Clip) to its
// bounds; ok is false for the others, which the caller applies afterwards.
func actBounds(act Act) (lo, hi float32, ok bool) {
	inf := float32(math.Inf(1))
	switch act.Kind {
	case ActNone:
		return -inf, inf, true
	case ActRelu:
		return 0, inf, true
	case ActClip:
		return act.A, act.B, true
	}
	return -inf, inf, false
}

// convBlockVec is convBlock for the vector kernel: one call for all weight
// strips of a group times one column block (packed if ldb is 0, else
// plain), epilogue included when the activation is a clamp.
func convBlockVec(wg, bp []float32, ldb, kg, mg, nb int, y []float32, ldy int, bias, res []float32, j0 int, act Act) {
	lo, hi, clamp := actBounds(act)
	if res != nil {
		res = res[j0:]
	}
	vecBlock(wg, bp, ldb, kg, mg, nb, y, ldy, bias, res, lo, hi)
	if !clamp {
		for r := 0; r < mg; r++ {
			applyAct(act, y[r*ldy:r*ldy+nb])
		}
	}
}

// Blocking of gemmVec: B blocks of gemmKC×vecNC, A blocks of vecMC×gemmKC.
const (
	vecNC = 24 * VecNR
	vecMC = 64
)

// gemmScratch holds gemmVec's packing buffers: on the heap (the kernel
// addresses them directly, and a goroutine stack may move), grown on first
// use. Concurrent callers (one goroutine per core natively) each take their
// own from a free list instead of queueing on one set.
type gemmScratch struct {
	a, a2, b []float32
}

var gemmScratchFree = make(chan *gemmScratch, 64)

func getGemmScratch() *gemmScratch {
	select {
	case s := <-gemmScratchFree:
		return s
	default:
		return &gemmScratch{}
	}
}

func putGemmScratch(s *gemmScratch) {
	select {
	case gemmScratchFree <- s:
	default:
	}
}

// grow returns buf with at least n floats.
func grow(buf []float32, n int) []float32 {
	if len(buf) < n {
		return make([]float32, n)
	}
	return buf
}

// gemmVec is gemmScalar on the vector kernel: C has already been scaled by
// beta unless beta is 0; blocks after the first K block accumulate.
func gemmVec(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sc := getGemmScratch()
	defer putGemmScratch(sc)
	sc.b = grow(sc.b, gemmKC*vecNC)
	if !transB { // row-copy packing (tensor_gemm.go)
		gemmVecPlain(sc, transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sc.a = grow(sc.a, gemmKC*vecMC)
	bufA, bufB := sc.a, sc.b
	inf := float32(math.Inf(1))
	for jc := 0; jc < n; jc += vecNC {
		nb := min(vecNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kb := min(gemmKC, k-pc)
			packB(transB, b, ldb, pc, jc, kb, nb, bufB, VecNR)
			add := pc > 0 || beta != 0
			for ic := 0; ic < m; ic += vecMC {
				mb := min(vecMC, m-ic)
				for s := 0; s < mb; s += mr {
					packA(transA, a, lda, ic+s, pc, min(mr, mb-s), kb, alpha, bufA[s*kb:])
				}
				cs := c[ic*ldc+jc:]
				var res []float32
				if add {
					res = cs
				}
				vecBlock(bufA, bufB, 0, kb, mb, nb, cs, ldc, nil, res, -inf, inf)
			}
		}
	}
}

// packRowsVec is packRows for VecNR-wide strips.
func packRowsVec(src []float32, ld, j0, nb, kg int, dst []float32) {
	sz := kg * VecNR
	full := nb / VecNR * VecNR
	for k := 0; k < kg; k++ {
		row := src[k*ld+j0 : k*ld+j0+nb]
		d := dst[k*VecNR:]
		j := 0
		for ; j < full; j += VecNR {
			s := d[(j/VecNR)*sz : (j/VecNR)*sz+VecNR : (j/VecNR)*sz+VecNR]
			r := row[j : j+VecNR : j+VecNR]
			s[0], s[1], s[2], s[3] = r[0], r[1], r[2], r[3]
			s[4], s[5], s[6], s[7] = r[4], r[5], r[6], r[7]
		}
		if j < nb {
			s := d[(j/VecNR)*sz : (j/VecNR)*sz+VecNR]
			for q := range s {
				if j+q < nb {
					s[q] = row[j+q]
				} else {
					s[q] = 0
				}
			}
		}
	}
}
