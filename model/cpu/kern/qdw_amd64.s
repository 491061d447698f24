//go:build amd64 && !purego

#include "textflag.h"

// The quantized 3×3 depthwise conv's AVX2 kernels (qdw_amd64.go), the
// QDWKernel hook natively: the same steps as wasm/simd's qdw.wasm.

// func qdwQuant(x *float32, h, w int, dst *int16, wr uintptr, scale, lo, hi float32)
//
// Quantizes an h×w plane (w >= 4) into int16 rows wr bytes apart: x/scale,
// clamped (NaN giving lo), rounded half to even by adding and subtracting
// 1.5·2²³, packed to int16 (exact: lo and hi are int16). Groups of 8
// columns (4 when w < 8), the last one overlapping the one before when w
// is not a multiple of the group.
TEXT ·qdwQuant(SB), NOSPLIT, $0-52
	MOVQ         x+0(FP), SI
	MOVQ         h+8(FP), R8
	MOVQ         w+16(FP), R9
	MOVQ         dst+24(FP), DI
	MOVQ         wr+32(FP), R10
	VBROADCASTSS scale+40(FP), Y12
	VBROADCASTSS lo+44(FP), Y13
	VBROADCASTSS hi+48(FP), Y14
	MOVL         $0x4B400000, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	TESTQ        R8, R8
	JLE          qdone
	CMPQ         R9, $4
	JLT          qdone
	CMPQ         R9, $8
	JLT          row4

#define QDW8 \
	VMOVUPS      (SI)(AX*4), Y0; \
	VDIVPS       Y12, Y0, Y0; \
	VMAXPS       Y13, Y0, Y0; \
	VMINPS       Y14, Y0, Y0; \
	VADDPS       Y15, Y0, Y0; \
	VSUBPS       Y15, Y0, Y0; \
	VCVTTPS2DQ   Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPACKSSDW    X1, X0, X0; \
	VMOVDQU      X0, (DI)(AX*2)

#define QDW4 \
	VMOVUPS    (SI)(AX*4), X0; \
	VDIVPS     X12, X0, X0; \
	VMAXPS     X13, X0, X0; \
	VMINPS     X14, X0, X0; \
	VADDPS     X15, X0, X0; \
	VSUBPS     X15, X0, X0; \
	VCVTTPS2DQ X0, X0; \
	VPACKSSDW  X0, X0, X0; \
	MOVQ       X0, (DI)(AX*2)

row8:
	XORQ AX, AX

g8:
	QDW8
	ADDQ $8, AX
	LEAQ 8(AX), DX
	CMPQ DX, R9
	JLE  g8
	CMPQ AX, R9
	JEQ  next8
	LEAQ -8(R9), AX
	QDW8

next8:
	LEAQ (SI)(R9*4), SI
	ADDQ R10, DI
	DECQ R8
	JNZ  row8
	JMP  qdone

row4:
	XORQ AX, AX
	QDW4
	LEAQ -4(R9), AX
	QDW4
	LEAQ (SI)(R9*4), SI
	ADDQ R10, DI
	DECQ R8
	JNZ  row4

qdone:
	VZEROUPPER
	RET

// func qdwRows(pad *int16, wr uintptr, oh, ow, s int, y *float32, wts *int32, bias *int32, mult, lo, hi, ys float32, tmp *float32)
//
// One channel's outputs from its padded int16 plane (rows wr bytes apart),
// 8 at a time (the last group overlapping the one before when ow is not a
// multiple of 8; through tmp when ow < 8): the nine taps summed exactly in
// int32 from the bias with VPMADDWD against weight dwords whose other
// int16 is zero, then round(clamp(float32(acc)·mult, lo, hi))·ys.
//
// Stride 1 reads each tap's 8 values sign-extended to int32 lanes, the
// weights in the low int16. Stride 2 reads 16 values, whose int32 lanes
// hold (even, odd) pairs: the first and third columns' weights sit in the
// low int16 (the even values, the third's read 2 values further), the
// middle column's in the high one (the odd values).
TEXT ·qdwRows(SB), NOSPLIT, $0-88
	MOVQ         pad+0(FP), SI
	MOVQ         wr+8(FP), R8
	MOVQ         oh+16(FP), R9
	MOVQ         ow+24(FP), R10
	MOVQ         y+40(FP), DI
	MOVQ         wts+48(FP), AX
	MOVQ         bias+56(FP), R12
	MOVQ         tmp+80(FP), R13
	VPBROADCASTD 0(AX), Y0
	VPBROADCASTD 4(AX), Y1
	VPBROADCASTD 8(AX), Y2
	VPBROADCASTD 12(AX), Y3
	VPBROADCASTD 16(AX), Y4
	VPBROADCASTD 20(AX), Y5
	VPBROADCASTD 24(AX), Y6
	VPBROADCASTD 28(AX), Y7
	VPBROADCASTD 32(AX), Y8
	VBROADCASTSS mult+64(FP), Y11
	VBROADCASTSS lo+68(FP), Y12
	VBROADCASTSS hi+72(FP), Y13
	MOVL         $0x4B400000, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	VBROADCASTSS ys+76(FP), Y15
	LEAQ         -8(R10), R14 // q: the last group's start (< 0: through tmp)
	TESTQ        R9, R9
	JLE          wdone
	TESTQ        R10, R10
	JLE          wdone
	MOVQ         R8, BX
	CMPQ         s+32(FP), $2
	JEQ          s2row

// JJ sets DX = max(min(CX, q), 0).
#define JJ \
	XORQ    DX, DX; \
	TESTQ   R14, R14; \
	JLT     4(PC); \
	MOVQ    CX, DX; \
	CMPQ    DX, R14; \
	CMOVQGT R14, DX

#define TAP1(off, w) \
	VPMOVSXWD off(AX), Y10; \
	VPMADDWD  w, Y10, Y10; \
	VPADDD    Y10, Y9, Y9

#define TAP2(off, w) \
	VPMADDWD off(AX), w, Y10; \
	VPADDD   Y10, Y9, Y9

// QOUT requantizes Y9 and stores it at DI + DX*4, or ow values of it
// through tmp when q < 0.
#define QOUT \
	VCVTDQ2PS Y9, Y9; \
	VMULPS    Y11, Y9, Y9; \
	VMAXPS    Y12, Y9, Y9; \
	VMINPS    Y13, Y9, Y9; \
	VADDPS    Y14, Y9, Y9; \
	VSUBPS    Y14, Y9, Y9; \
	VMULPS    Y15, Y9, Y9; \
	TESTQ     R14, R14; \
	JLT       3(PC); \
	VMOVUPS   Y9, (DI)(DX*4); \
	JMP       8(PC); \
	VMOVUPS   Y9, (R13); \
	XORQ      DX, DX; \
	MOVL      (R13)(DX*4), AX; \
	MOVL      AX, (DI)(DX*4); \
	INCQ      DX; \
	CMPQ      DX, R10; \
	JLT       -4(PC)

s1row:
	XORQ CX, CX

s1grp:
	JJ
	LEAQ         (SI)(DX*2), AX
	VPBROADCASTD (R12), Y9
	TAP1(0, Y0)
	TAP1(2, Y1)
	TAP1(4, Y2)
	ADDQ         R8, AX
	TAP1(0, Y3)
	TAP1(2, Y4)
	TAP1(4, Y5)
	ADDQ         R8, AX
	TAP1(0, Y6)
	TAP1(2, Y7)
	TAP1(4, Y8)
	QOUT
	ADDQ         $8, CX
	CMPQ         CX, R10
	JLT          s1grp
	ADDQ         R8, SI
	LEAQ         (DI)(R10*4), DI
	DECQ         R9
	JNZ          s1row
	JMP          wdone

s2row:
	XORQ CX, CX

s2grp:
	JJ
	LEAQ         (SI)(DX*4), AX
	VPBROADCASTD (R12), Y9
	TAP2(0, Y0)
	TAP2(0, Y1)
	TAP2(4, Y2)
	ADDQ         R8, AX
	TAP2(0, Y3)
	TAP2(0, Y4)
	TAP2(4, Y5)
	ADDQ         R8, AX
	TAP2(0, Y6)
	TAP2(0, Y7)
	TAP2(4, Y8)
	QOUT
	ADDQ         $8, CX
	CMPQ         CX, R10
	JLT          s2grp
	LEAQ         (SI)(R8*2), SI
	LEAQ         (DI)(R10*4), DI
	DECQ         R9
	JNZ          s2row

wdone:
	VZEROUPPER
	RET
