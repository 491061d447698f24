package kern

import "math"

// gemmVecPlain is gemmVec for an untransposed B (MatMul, Gemm without
// transB). B blocks are packed with packRowsVec (contiguous row copies,
// 8 floats at a time) rather than packB's column walk; A is packed once
// per K block for up to vecPlainRows rows at a time (not once per column
// block), with a 4-row interleaving loop (packA4). (Reading B in place, the
// kernel's plain-B mode, is slower here: B's row strides in ViT, 576 or 768
// floats, map a strip's rows onto a few L1 sets.) The products and their
// order are gemmVec's, so the results are bitwise the same.
const vecPlainRows = 1024

func gemmVecPlain(sc *gemmScratch, transA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	inf := float32(math.Inf(1))
	for pc := 0; pc < k; pc += gemmKC {
		kb := min(gemmKC, k-pc)
		add := pc > 0 || beta != 0
		for i0 := 0; i0 < m; i0 += vecPlainRows {
			mc := min(vecPlainRows, m-i0)
			need := (mc + mr - 1) / mr * mr * kb
			sc.a2 = grow(sc.a2, need)
			bufA := sc.a2
			for s := 0; s < mc; s += mr {
				if transA {
					packA(true, a, lda, i0+s, pc, min(mr, mc-s), kb, alpha, bufA[s*kb:])
				} else {
					packA4(a, lda, i0+s, pc, min(mr, mc-s), kb, alpha, bufA[s*kb:])
				}
			}
			block := func(jc, nb int, bp []float32, lb int) {
				for ic := 0; ic < mc; ic += vecMC {
					mb := min(vecMC, mc-ic)
					cs := c[(i0+ic)*ldc+jc:]
					var res []float32
					if add {
						res = cs
					}
					vecBlock(bufA[ic*kb:], bp, lb, kb, mb, nb, cs, ldc, nil, res, -inf, inf)
				}
			}
			for jc := 0; jc < n; jc += vecNC {
				nb := min(vecNC, n-jc)
				packRowsVec(b[pc*ldb:], ldb, jc, nb, kb, sc.b)
				block(jc, nb, sc.b, 0)
			}
		}
	}
}

// packA4 is packA for an untransposed A: rows [ic, ic+mb) × cols [pc,
// pc+kb) of alpha*A as kb groups of mr values, rows past mb zero.
func packA4(a []float32, lda, ic, pc, mb, kb int, alpha float32, dst []float32) {
	if mb < mr {
		packA(false, a, lda, ic, pc, mb, kb, alpha, dst)
		return
	}
	dst = dst[:kb*mr]
	r0 := a[ic*lda+pc : ic*lda+pc+kb]
	r1 := a[(ic+1)*lda+pc : (ic+1)*lda+pc+kb]
	r2 := a[(ic+2)*lda+pc : (ic+2)*lda+pc+kb]
	r3 := a[(ic+3)*lda+pc : (ic+3)*lda+pc+kb]
	if alpha == 1 {
		for p := range r0 {
			d := dst[p*mr : p*mr+4 : p*mr+4]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
		return
	}
	for p := range r0 {
		d := dst[p*mr : p*mr+4 : p*mr+4]
		d[0], d[1], d[2], d[3] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p]
	}
}
