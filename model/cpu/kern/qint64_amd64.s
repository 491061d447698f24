//go:build amd64 && !purego

#include "textflag.h"

// The int64 <-> float32 conversions of the QOperator ops and QLinearAdd's
// loop on AVX2+FMA (qint64_amd64.go), 8 values a block. A block goes on
// only if every int64 it converts fits in int32 (its low dword,
// sign-extended, gives it back), so VCVTDQ2PS rounds it as Go's int64 to
// float32 conversion does; each returns how many values it did.

// func dequantI64AVX2(src *int64, n int, zp int64, scale float32, dst *float32) int
//
// dst[i] = float32(src[i]-zp)·scale.
TEXT ·dequantI64AVX2(SB), NOSPLIT, $0-48
	MOVQ         src+0(FP), SI
	MOVQ         n+8(FP), CX
	VPBROADCASTQ zp+16(FP), Y15
	VBROADCASTSS scale+24(FP), Y14
	MOVQ         dst+32(FP), DI
	XORQ         DX, DX

dloop:
	CMPQ      CX, $8
	JLT       ddone
	VMOVDQU   (SI), Y0
	VMOVDQU   32(SI), Y1
	VPSUBQ    Y15, Y0, Y0
	VPSUBQ    Y15, Y1, Y1
	VPSHUFD   $0x88, Y0, Y2
	VPERMQ    $0x08, Y2, Y2 // X2: the low dwords of Y0
	VPSHUFD   $0x88, Y1, Y3
	VPERMQ    $0x08, Y3, Y3
	VPMOVSXDQ X2, Y4
	VPMOVSXDQ X3, Y5
	VPCMPEQQ  Y4, Y0, Y4
	VPCMPEQQ  Y5, Y1, Y5
	VPAND     Y5, Y4, Y4
	VMOVMSKPD Y4, AX
	CMPL      AX, $15
	JNE       ddone
	VINSERTI128 $1, X3, Y2, Y2
	VCVTDQ2PS Y2, Y2
	VMULPS    Y14, Y2, Y2
	VMOVUPS   Y2, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	ADDQ      $8, DX
	SUBQ      $8, CX
	JMP       dloop

ddone:
	MOVQ DX, ret+40(FP)
	VZEROUPPER
	RET

// func requantI64AVX2(src *float32, n int, scale float32, zp int64, dst *int64) int
//
// dst[i] = int64(roundEven(src[i]/scale)) + zp, for blocks whose rounded
// values are all below 2³¹ in magnitude (not NaN).
TEXT ·requantI64AVX2(SB), NOSPLIT, $0-48
	MOVQ         src+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS scale+16(FP), Y15
	VPBROADCASTQ zp+24(FP), Y14
	MOVQ         dst+32(FP), DI
	XORQ         DX, DX
	VPCMPEQD     Y13, Y13, Y13
	VPSRLD       $1, Y13, Y13 // 0x7fffffff: |v|
	MOVL         $0x4F000000, AX // 2³¹
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12

rloop:
	CMPQ         CX, $8
	JLT          rdone
	VMOVUPS      (SI), Y0
	VDIVPS       Y15, Y0, Y0
	VROUNDPS     $0, Y0, Y0 // to nearest, ties to even
	VANDPS       Y13, Y0, Y1
	VCMPPS       $1, Y12, Y1, Y1 // |v| < 2³¹, false for NaN
	VMOVMSKPS    Y1, AX
	CMPL         AX, $0xFF
	JNE          rdone
	VCVTTPS2DQ   Y0, Y0
	VPMOVSXDQ    X0, Y1
	VEXTRACTI128 $1, Y0, X2
	VPMOVSXDQ    X2, Y2
	VPADDQ       Y14, Y1, Y1
	VPADDQ       Y14, Y2, Y2
	VMOVDQU      Y1, (DI)
	VMOVDQU      Y2, 32(DI)
	ADDQ         $32, SI
	ADDQ         $64, DI
	ADDQ         $8, DX
	SUBQ         $8, CX
	JMP          rloop

rdone:
	MOVQ DX, ret+40(FP)
	VZEROUPPER
	RET

// func qaddI64AVX2(a, b, y *int64, n int, rA, rB, fixed, lo, hi float32) int
//
// y[i] = int64(roundEven(clamp(fma(rA, a[i], fma(rB, b[i], fixed)), lo,
// hi))), NaN giving lo (VMAXPS returns its second source for NaN); lo and
// hi are integers of magnitude at most 2²⁴.
TEXT ·qaddI64AVX2(SB), NOSPLIT, $0-64
	MOVQ         a+0(FP), SI
	MOVQ         b+8(FP), BX
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS rA+32(FP), Y15
	VBROADCASTSS rB+36(FP), Y14
	VBROADCASTSS fixed+40(FP), Y13
	VBROADCASTSS lo+44(FP), Y12
	VBROADCASTSS hi+48(FP), Y11
	XORQ         DX, DX

aloop:
	CMPQ      CX, $8
	JLT       adone
	VMOVDQU   (SI), Y0
	VMOVDQU   32(SI), Y1
	VMOVDQU   (BX), Y4
	VMOVDQU   32(BX), Y5
	VPSHUFD   $0x88, Y0, Y2
	VPERMQ    $0x08, Y2, Y2
	VPSHUFD   $0x88, Y1, Y3
	VPERMQ    $0x08, Y3, Y3
	VPSHUFD   $0x88, Y4, Y6
	VPERMQ    $0x08, Y6, Y6
	VPSHUFD   $0x88, Y5, Y7
	VPERMQ    $0x08, Y7, Y7
	VPMOVSXDQ X2, Y8
	VPCMPEQQ  Y8, Y0, Y8
	VPMOVSXDQ X3, Y9
	VPCMPEQQ  Y9, Y1, Y9
	VPAND     Y9, Y8, Y8
	VPMOVSXDQ X6, Y9
	VPCMPEQQ  Y9, Y4, Y9
	VPAND     Y9, Y8, Y8
	VPMOVSXDQ X7, Y9
	VPCMPEQQ  Y9, Y5, Y9
	VPAND     Y9, Y8, Y8
	VMOVMSKPD Y8, AX
	CMPL      AX, $15
	JNE       adone
	VINSERTI128 $1, X3, Y2, Y2
	VCVTDQ2PS Y2, Y2
	VINSERTI128 $1, X7, Y6, Y6
	VCVTDQ2PS Y6, Y6
	VMOVAPS   Y13, Y10
	VFMADD231PS Y6, Y14, Y10 // rB·b + fixed, rounded once
	VFMADD231PS Y2, Y15, Y10 // rA·a + that
	VMAXPS    Y12, Y10, Y10
	VMINPS    Y11, Y10, Y10
	VROUNDPS  $0, Y10, Y10
	VCVTTPS2DQ Y10, Y10
	VPMOVSXDQ X10, Y0
	VEXTRACTI128 $1, Y10, X1
	VPMOVSXDQ X1, Y1
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	ADDQ      $64, SI
	ADDQ      $64, BX
	ADDQ      $64, DI
	ADDQ      $8, DX
	SUBQ      $8, CX
	JMP       aloop

adone:
	MOVQ DX, ret+56(FP)
	VZEROUPPER
	RET

// func quantI64AVX2(src *float32, n int, scale float32, zp int64, lo, hi float32, dst *int64)
//
// dst[i] = int64(roundEven(clamp(src[i]/scale, lo, hi))) + zp for n (a
// multiple of 8) values, NaN giving lo; lo and hi (the range less zp) are
// integers of magnitude at most 2²⁴.
TEXT ·quantI64AVX2(SB), NOSPLIT, $0-48
	MOVQ         src+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS scale+16(FP), Y15
	VPBROADCASTQ zp+24(FP), Y14
	VBROADCASTSS lo+32(FP), Y13
	VBROADCASTSS hi+36(FP), Y12
	MOVQ         dst+40(FP), DI

qloop:
	CMPQ         CX, $8
	JLT          qldone
	VMOVUPS      (SI), Y0
	VDIVPS       Y15, Y0, Y0
	VMAXPS       Y13, Y0, Y0 // NaN: lo
	VMINPS       Y12, Y0, Y0
	VROUNDPS     $0, Y0, Y0
	VCVTTPS2DQ   Y0, Y0
	VPMOVSXDQ    X0, Y1
	VEXTRACTI128 $1, Y0, X2
	VPMOVSXDQ    X2, Y2
	VPADDQ       Y14, Y1, Y1
	VPADDQ       Y14, Y2, Y2
	VMOVDQU      Y1, (DI)
	VMOVDQU      Y2, 32(DI)
	ADDQ         $32, SI
	ADDQ         $64, DI
	SUBQ         $8, CX
	JMP          qloop

qldone:
	VZEROUPPER
	RET
