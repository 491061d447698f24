//go:build amd64 && !purego

#include "textflag.h"

// The quantized conv's AVX2 kernels (qconv_amd64.go): the QVecKernels
// hooks natively. Rounding half to even is done as kern's roundEven does,
// by adding and subtracting 1.5·2²³ in float32 (which also gives +0 for
// every zero), clamps as max then min with the bound as the second source
// (NaN gives the low bound, as quantOne does).

// func qgemmTiles(kp int, a, b *int16, stripB uintptr, c *float32, ldc uintptr, bias *int32, mult *float32, lo, hi, ys float32, ntiles int)
//
// One 4-row strip of weight pairs (kp groups of 4 int16 pairs, 16 bytes)
// times ntiles 8-column strips of input pairs (kp groups of 32 bytes;
// strip t at b + t*stripB), exactly in int32 with VPMADDWD, then
// requantized: c[r][j] = round(clamp(float32(acc+bias[r])·mult[r], lo,
// hi))·ys. C's strip t starts at c + 32*t, its rows ldc bytes apart.
// Strips go three at a time (12 accumulators), then one at a time.
TEXT ·qgemmTiles(SB), NOSPLIT, $0-88
	MOVQ kp+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ stripB+24(FP), R8
	MOVQ c+32(FP), R10
	MOVQ ldc+40(FP), R11
	MOVQ bias+48(FP), R12
	MOVQ mult+56(FP), R13
	MOVQ ntiles+80(FP), CX

three:
	CMPQ  CX, $3
	JLT   one
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	MOVQ  SI, AX
	MOVQ  DX, BX
	MOVQ  DI, R14

k3:
	VMOVDQU      (BX), Y12
	VMOVDQU      (BX)(R8*1), Y13
	VPBROADCASTD 0(AX), Y14
	VPMADDWD     Y12, Y14, Y15
	VPADDD       Y15, Y0, Y0
	VPMADDWD     Y13, Y14, Y15
	VPADDD       Y15, Y1, Y1
	VPMADDWD     (BX)(R8*2), Y14, Y15
	VPADDD       Y15, Y2, Y2
	VPBROADCASTD 4(AX), Y14
	VPMADDWD     Y12, Y14, Y15
	VPADDD       Y15, Y3, Y3
	VPMADDWD     Y13, Y14, Y15
	VPADDD       Y15, Y4, Y4
	VPMADDWD     (BX)(R8*2), Y14, Y15
	VPADDD       Y15, Y5, Y5
	VPBROADCASTD 8(AX), Y14
	VPMADDWD     Y12, Y14, Y15
	VPADDD       Y15, Y6, Y6
	VPMADDWD     Y13, Y14, Y15
	VPADDD       Y15, Y7, Y7
	VPMADDWD     (BX)(R8*2), Y14, Y15
	VPADDD       Y15, Y8, Y8
	VPBROADCASTD 12(AX), Y14
	VPMADDWD     Y12, Y14, Y15
	VPADDD       Y15, Y9, Y9
	VPMADDWD     Y13, Y14, Y15
	VPADDD       Y15, Y10, Y10
	VPMADDWD     (BX)(R8*2), Y14, Y15
	VPADDD       Y15, Y11, Y11
	ADDQ         $16, AX
	ADDQ         $32, BX
	DECQ         R14
	JNZ          k3

	// + bias, to float, × multiplier, row by row
	VPBROADCASTD 0(R12), Y12
	VBROADCASTSS 0(R13), Y13
	VPADDD       Y12, Y0, Y0
	VPADDD       Y12, Y1, Y1
	VPADDD       Y12, Y2, Y2
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VCVTDQ2PS    Y2, Y2
	VMULPS       Y13, Y0, Y0
	VMULPS       Y13, Y1, Y1
	VMULPS       Y13, Y2, Y2
	VPBROADCASTD 4(R12), Y12
	VBROADCASTSS 4(R13), Y13
	VPADDD       Y12, Y3, Y3
	VPADDD       Y12, Y4, Y4
	VPADDD       Y12, Y5, Y5
	VCVTDQ2PS    Y3, Y3
	VCVTDQ2PS    Y4, Y4
	VCVTDQ2PS    Y5, Y5
	VMULPS       Y13, Y3, Y3
	VMULPS       Y13, Y4, Y4
	VMULPS       Y13, Y5, Y5
	VPBROADCASTD 8(R12), Y12
	VBROADCASTSS 8(R13), Y13
	VPADDD       Y12, Y6, Y6
	VPADDD       Y12, Y7, Y7
	VPADDD       Y12, Y8, Y8
	VCVTDQ2PS    Y6, Y6
	VCVTDQ2PS    Y7, Y7
	VCVTDQ2PS    Y8, Y8
	VMULPS       Y13, Y6, Y6
	VMULPS       Y13, Y7, Y7
	VMULPS       Y13, Y8, Y8
	VPBROADCASTD 12(R12), Y12
	VBROADCASTSS 12(R13), Y13
	VPADDD       Y12, Y9, Y9
	VPADDD       Y12, Y10, Y10
	VPADDD       Y12, Y11, Y11
	VCVTDQ2PS    Y9, Y9
	VCVTDQ2PS    Y10, Y10
	VCVTDQ2PS    Y11, Y11
	VMULPS       Y13, Y9, Y9
	VMULPS       Y13, Y10, Y10
	VMULPS       Y13, Y11, Y11

	// clamp, round half to even, × y_scale, store
	VBROADCASTSS lo+64(FP), Y12
	VBROADCASTSS hi+68(FP), Y13
	MOVL         $0x4B400000, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	VBROADCASTSS ys+72(FP), Y15

#define QREQ(r) \
	VMAXPS Y12, r, r; \
	VMINPS Y13, r, r; \
	VADDPS Y14, r, r; \
	VSUBPS Y14, r, r; \
	VMULPS Y15, r, r

	QREQ(Y0)
	QREQ(Y1)
	QREQ(Y2)
	QREQ(Y3)
	QREQ(Y4)
	QREQ(Y5)
	QREQ(Y6)
	QREQ(Y7)
	QREQ(Y8)
	QREQ(Y9)
	QREQ(Y10)
	QREQ(Y11)

	MOVQ    R10, AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, 64(AX)
	ADDQ    R11, AX
	VMOVUPS Y3, (AX)
	VMOVUPS Y4, 32(AX)
	VMOVUPS Y5, 64(AX)
	ADDQ    R11, AX
	VMOVUPS Y6, (AX)
	VMOVUPS Y7, 32(AX)
	VMOVUPS Y8, 64(AX)
	ADDQ    R11, AX
	VMOVUPS Y9, (AX)
	VMOVUPS Y10, 32(AX)
	VMOVUPS Y11, 64(AX)

	ADDQ $96, R10
	LEAQ (DX)(R8*2), DX
	ADDQ R8, DX
	SUBQ $3, CX
	JMP  three

one:
	TESTQ CX, CX
	JZ    done
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	MOVQ  SI, AX
	MOVQ  DX, BX
	MOVQ  DI, R14

k1:
	VMOVDQU      (BX), Y12
	VPBROADCASTD 0(AX), Y14
	VPMADDWD     Y12, Y14, Y15
	VPADDD       Y15, Y0, Y0
	VPBROADCASTD 4(AX), Y14
	VPMADDWD     Y12, Y14, Y15
	VPADDD       Y15, Y1, Y1
	VPBROADCASTD 8(AX), Y14
	VPMADDWD     Y12, Y14, Y15
	VPADDD       Y15, Y2, Y2
	VPBROADCASTD 12(AX), Y14
	VPMADDWD     Y12, Y14, Y15
	VPADDD       Y15, Y3, Y3
	ADDQ         $16, AX
	ADDQ         $32, BX
	DECQ         R14
	JNZ          k1

	VPBROADCASTD 0(R12), Y12
	VBROADCASTSS 0(R13), Y13
	VPADDD       Y12, Y0, Y0
	VCVTDQ2PS    Y0, Y0
	VMULPS       Y13, Y0, Y0
	VPBROADCASTD 4(R12), Y12
	VBROADCASTSS 4(R13), Y13
	VPADDD       Y12, Y1, Y1
	VCVTDQ2PS    Y1, Y1
	VMULPS       Y13, Y1, Y1
	VPBROADCASTD 8(R12), Y12
	VBROADCASTSS 8(R13), Y13
	VPADDD       Y12, Y2, Y2
	VCVTDQ2PS    Y2, Y2
	VMULPS       Y13, Y2, Y2
	VPBROADCASTD 12(R12), Y12
	VBROADCASTSS 12(R13), Y13
	VPADDD       Y12, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VMULPS       Y13, Y3, Y3

	VBROADCASTSS lo+64(FP), Y12
	VBROADCASTSS hi+68(FP), Y13
	MOVL         $0x4B400000, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	VBROADCASTSS ys+72(FP), Y15
	QREQ(Y0)
	QREQ(Y1)
	QREQ(Y2)
	QREQ(Y3)

	MOVQ    R10, AX
	VMOVUPS Y0, (AX)
	ADDQ    R11, AX
	VMOVUPS Y1, (AX)
	ADDQ    R11, AX
	VMOVUPS Y2, (AX)
	ADDQ    R11, AX
	VMOVUPS Y3, (AX)

	ADDQ $32, R10
	ADDQ R8, DX
	DECQ CX
	JMP  one

done:
	VZEROUPPER
	RET

// func qpackRows(x *float32, ld uintptr, kp, strips int, dst *int16, scale, lo, hi float32)
//
// QPackKernel on AVX2: for each pair of planes t < kp (plane 2t at
// x + 2t*ld bytes, 2t+1 at ld further) and each strip s of 8 columns,
// the 8 columns of both planes quantized (x/scale, clamped, + 1.5·2²³:
// the float's low 16 bits hold the integer) and interleaved as int16
// pairs into dst + (s*kp+t)*32 bytes.
TEXT ·qpackRows(SB), NOSPLIT, $0-52
	MOVQ         x+0(FP), SI
	MOVQ         ld+8(FP), R8
	MOVQ         kp+16(FP), R9
	MOVQ         strips+24(FP), R10
	MOVQ         dst+32(FP), DI
	VBROADCASTSS scale+40(FP), Y12
	VBROADCASTSS lo+44(FP), Y13
	VBROADCASTSS hi+48(FP), Y14
	MOVL         $0x4B400000, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVQ         R9, R11
	SHLQ         $5, R11 // dst stride between strips: kp*32

	TESTQ R9, R9
	JZ    pdone
	TESTQ R10, R10
	JZ    pdone

pair:
	MOVQ SI, AX         // plane 2t
	LEAQ (SI)(R8*1), BX // plane 2t+1
	MOVQ DI, DX
	MOVQ R10, CX

pstrip:
	VMOVUPS (AX), Y0
	VMOVUPS (BX), Y1
	VDIVPS  Y12, Y0, Y0
	VDIVPS  Y12, Y1, Y1
	VMAXPS  Y13, Y0, Y0
	VMAXPS  Y13, Y1, Y1
	VMINPS  Y14, Y0, Y0
	VMINPS  Y14, Y1, Y1
	VADDPS  Y15, Y0, Y0
	VADDPS  Y15, Y1, Y1
	VPSLLD  $16, Y1, Y1
	VPBLENDW $0xAA, Y1, Y0, Y0
	VMOVDQU Y0, (DX)
	ADDQ    $32, AX
	ADDQ    $32, BX
	ADDQ    R11, DX
	DECQ    CX
	JNZ     pstrip

	LEAQ (SI)(R8*2), SI
	ADDQ $32, DI
	DECQ R9
	JNZ  pair

pdone:
	VZEROUPPER
	RET

// func qquantAVX2(x, dst *float32, n int, scale, lo, hi, out float32)
//
// QQuantKernel: dst[i] = round(clamp(x[i]/scale, lo, hi))·out, n a
// multiple of 4.
TEXT ·qquantAVX2(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         dst+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS scale+24(FP), Y12
	VBROADCASTSS lo+28(FP), Y13
	VBROADCASTSS hi+32(FP), Y14
	VBROADCASTSS out+36(FP), Y11
	MOVL         $0x4B400000, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15

q16:
	CMPQ    CX, $16
	JLT     q8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VDIVPS  Y12, Y0, Y0
	VDIVPS  Y12, Y1, Y1
	VMAXPS  Y13, Y0, Y0
	VMAXPS  Y13, Y1, Y1
	VMINPS  Y14, Y0, Y0
	VMINPS  Y14, Y1, Y1
	VADDPS  Y15, Y0, Y0
	VADDPS  Y15, Y1, Y1
	VSUBPS  Y15, Y0, Y0
	VSUBPS  Y15, Y1, Y1
	VMULPS  Y11, Y0, Y0
	VMULPS  Y11, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     q16

q8:
	CMPQ    CX, $8
	JLT     q4
	VMOVUPS (SI), Y0
	VDIVPS  Y12, Y0, Y0
	VMAXPS  Y13, Y0, Y0
	VMINPS  Y14, Y0, Y0
	VADDPS  Y15, Y0, Y0
	VSUBPS  Y15, Y0, Y0
	VMULPS  Y11, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

q4:
	CMPQ    CX, $4
	JLT     qdone
	VMOVUPS (SI), X0
	VDIVPS  X12, X0, X0
	VMAXPS  X13, X0, X0
	VMINPS  X14, X0, X0
	VADDPS  X15, X0, X0
	VSUBPS  X15, X0, X0
	VMULPS  X11, X0, X0
	VMOVUPS X0, (DI)

qdone:
	VZEROUPPER
	RET

// func qrequantRow(y *float32, n int, bias, mult, lo, hi, ys float32)
//
// One row of QRequantKernel in place: y[j] = round(clamp((y[j]+bias)·mult,
// lo, hi))·ys, n a multiple of 4.
TEXT ·qrequantRow(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS bias+16(FP), Y10
	VBROADCASTSS mult+20(FP), Y11
	VBROADCASTSS lo+24(FP), Y12
	VBROADCASTSS hi+28(FP), Y13
	VBROADCASTSS ys+32(FP), Y14
	MOVL         $0x4B400000, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15

r16:
	CMPQ    CX, $16
	JLT     r8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VADDPS  Y10, Y0, Y0
	VADDPS  Y10, Y1, Y1
	VMULPS  Y11, Y0, Y0
	VMULPS  Y11, Y1, Y1
	VMAXPS  Y12, Y0, Y0
	VMAXPS  Y12, Y1, Y1
	VMINPS  Y13, Y0, Y0
	VMINPS  Y13, Y1, Y1
	VADDPS  Y15, Y0, Y0
	VADDPS  Y15, Y1, Y1
	VSUBPS  Y15, Y0, Y0
	VSUBPS  Y15, Y1, Y1
	VMULPS  Y14, Y0, Y0
	VMULPS  Y14, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     r16

r8:
	CMPQ    CX, $8
	JLT     r4
	VMOVUPS (DI), Y0
	VADDPS  Y10, Y0, Y0
	VMULPS  Y11, Y0, Y0
	VMAXPS  Y12, Y0, Y0
	VMINPS  Y13, Y0, Y0
	VADDPS  Y15, Y0, Y0
	VSUBPS  Y15, Y0, Y0
	VMULPS  Y14, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX

r4:
	CMPQ    CX, $4
	JLT     rdone
	VMOVUPS (DI), X0
	VADDPS  X10, X0, X0
	VMULPS  X11, X0, X0
	VMAXPS  X12, X0, X0
	VMINPS  X13, X0, X0
	VADDPS  X15, X0, X0
	VSUBPS  X15, X0, X0
	VMULPS  X14, X0, X0
	VMOVUPS X0, (DI)

rdone:
	VZEROUPPER
	RET
