//go:build amd64 && !purego

#include "textflag.h"

// AVX2 activation kernels (act_amd64.go): n floats, n a positive multiple
// of 8, 8 per iteration. The operations and their order are act_poly.go's
// (and wasm/simd's), unfused: no FMA, so each lane is bitwise the scalar
// polynomial as Go compiles it by default (GOAMD64=v1).

// EXP sets Y0 = expPoly(Y0); clobbers Y1-Y3. The clamps take x as Intel's
// second source, so a NaN x passes through.
#define EXP \
	VMOVUPS   actExpLo<>(SB), Y1; \
	VMAXPS    Y0, Y1, Y0; \
	VMOVUPS   actExpHi<>(SB), Y1; \
	VMINPS    Y0, Y1, Y0; \
	VMULPS    actLog2e<>(SB), Y0, Y1; \
	VROUNDPS  $0, Y1, Y1; \
	VMULPS    actC1<>(SB), Y1, Y2; \
	VSUBPS    Y2, Y0, Y0; \
	VMULPS    actC2<>(SB), Y1, Y2; \
	VSUBPS    Y2, Y0, Y0; \
	VMULPS    Y0, Y0, Y3; \
	VMOVUPS   actP0<>(SB), Y2; \
	VMULPS    Y0, Y2, Y2; \
	VADDPS    actP1<>(SB), Y2, Y2; \
	VMULPS    Y0, Y2, Y2; \
	VADDPS    actP2<>(SB), Y2, Y2; \
	VMULPS    Y0, Y2, Y2; \
	VADDPS    actP3<>(SB), Y2, Y2; \
	VMULPS    Y0, Y2, Y2; \
	VADDPS    actP4<>(SB), Y2, Y2; \
	VMULPS    Y0, Y2, Y2; \
	VADDPS    actP5<>(SB), Y2, Y2; \
	VMULPS    Y3, Y2, Y2; \
	VADDPS    Y0, Y2, Y2; \
	VADDPS    actOne<>(SB), Y2, Y2; \
	VCVTPS2DQ Y1, Y1; \
	VPADDD    act126<>(SB), Y1, Y1; \
	VPSLLD    $23, Y1, Y1; \
	VADDPS    Y2, Y2, Y2; \
	VMULPS    Y1, Y2, Y0

// ERF sets Y0 = erfPoly(Y0); clobbers Y1-Y3.
#define ERF \
	VMOVUPS actErfLo<>(SB), Y1; \
	VMAXPS  Y0, Y1, Y0; \
	VMOVUPS actErfHi<>(SB), Y1; \
	VMINPS  Y0, Y1, Y0; \
	VMULPS  Y0, Y0, Y3; \
	VMOVUPS actA13<>(SB), Y1; \
	VMULPS  Y3, Y1, Y1; \
	VADDPS  actA11<>(SB), Y1, Y1; \
	VMULPS  Y3, Y1, Y1; \
	VADDPS  actA9<>(SB), Y1, Y1; \
	VMULPS  Y3, Y1, Y1; \
	VADDPS  actA7<>(SB), Y1, Y1; \
	VMULPS  Y3, Y1, Y1; \
	VADDPS  actA5<>(SB), Y1, Y1; \
	VMULPS  Y3, Y1, Y1; \
	VADDPS  actA3<>(SB), Y1, Y1; \
	VMULPS  Y3, Y1, Y1; \
	VADDPS  actA1<>(SB), Y1, Y1; \
	VMOVUPS actB8<>(SB), Y2; \
	VMULPS  Y3, Y2, Y2; \
	VADDPS  actB6<>(SB), Y2, Y2; \
	VMULPS  Y3, Y2, Y2; \
	VADDPS  actB4<>(SB), Y2, Y2; \
	VMULPS  Y3, Y2, Y2; \
	VADDPS  actB2<>(SB), Y2, Y2; \
	VMULPS  Y3, Y2, Y2; \
	VADDPS  actB0<>(SB), Y2, Y2; \
	VMULPS  Y0, Y1, Y1; \
	VDIVPS  Y2, Y1, Y0

#define ARGS \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	TESTQ CX, CX; \
	JLE  done

#define NEXT \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
	JG      loop

// func sigmoidAVX2(dst, src *float32, n int)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	ARGS
loop:
	VMOVUPS (SI), Y0
	VXORPS  actSign<>(SB), Y0, Y0
	EXP
	VADDPS  actOne<>(SB), Y0, Y0
	VMOVUPS actOne<>(SB), Y1
	VDIVPS  Y0, Y1, Y0
	NEXT
done:
	VZEROUPPER
	RET

// func siluAVX2(dst, src *float32, n int)
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	ARGS
loop:
	VMOVUPS (SI), Y4
	VXORPS  actSign<>(SB), Y4, Y0
	EXP
	VADDPS  actOne<>(SB), Y0, Y0
	VMOVUPS actOne<>(SB), Y1
	VDIVPS  Y0, Y1, Y0
	VMULPS  Y4, Y0, Y0
	NEXT
done:
	VZEROUPPER
	RET

// func expAVX2(dst, src *float32, n int)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	ARGS
loop:
	VMOVUPS (SI), Y0
	EXP
	NEXT
done:
	VZEROUPPER
	RET

// func tanhAVX2(dst, src *float32, n int)
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	ARGS
loop:
	VMOVUPS (SI), Y4
	VANDPS  actAbs<>(SB), Y4, Y5
	VADDPS  Y5, Y5, Y0
	EXP
	VADDPS  actOne<>(SB), Y0, Y0
	VMOVUPS actTwo<>(SB), Y1
	VDIVPS  Y0, Y1, Y0
	VMOVUPS actOne<>(SB), Y1
	VSUBPS  Y0, Y1, Y0
	VANDPS  actAbs<>(SB), Y0, Y0
	VANDPS  actSign<>(SB), Y4, Y1
	VORPS   Y1, Y0, Y0
	VMULPS  Y4, Y4, Y7
	VMOVUPS actQ0<>(SB), Y6
	VMULPS  Y7, Y6, Y6
	VADDPS  actQ1<>(SB), Y6, Y6
	VMULPS  Y7, Y6, Y6
	VADDPS  actQ2<>(SB), Y6, Y6
	VMULPS  Y7, Y6, Y6
	VADDPS  actQ3<>(SB), Y6, Y6
	VMULPS  Y7, Y6, Y6
	VADDPS  actQ4<>(SB), Y6, Y6
	VMULPS  Y7, Y6, Y6
	VMULPS  Y4, Y6, Y6
	VADDPS  Y4, Y6, Y6
	VCMPPS  $1, actTanhT<>(SB), Y5, Y1
	VBLENDVPS Y1, Y6, Y0, Y0
	NEXT
done:
	VZEROUPPER
	RET

// func erfAVX2(dst, src *float32, n int)
TEXT ·erfAVX2(SB), NOSPLIT, $0-24
	ARGS
loop:
	VMOVUPS (SI), Y0
	ERF
	NEXT
done:
	VZEROUPPER
	RET

// func geluAVX2(dst, src *float32, n int)
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	ARGS
loop:
	VMOVUPS (SI), Y4
	VMULPS  actRsqrt2<>(SB), Y4, Y0
	ERF
	VADDPS  actOne<>(SB), Y0, Y0
	VMULPS  actHalf<>(SB), Y4, Y1
	VMULPS  Y0, Y1, Y0
	NEXT
done:
	VZEROUPPER
	RET

// func geluTanhAVX2(dst, src *float32, n int)
TEXT ·geluTanhAVX2(SB), NOSPLIT, $0-24
	ARGS
loop:
	VMOVUPS (SI), Y4
	VMULPS  Y4, Y4, Y0
	VMULPS  actG1<>(SB), Y0, Y0
	VADDPS  actG0<>(SB), Y0, Y0
	VMULPS  Y4, Y0, Y0
	VXORPS  actSign<>(SB), Y0, Y0
	EXP
	VADDPS  actOne<>(SB), Y0, Y0
	VDIVPS  Y0, Y4, Y0
	NEXT
done:
	VZEROUPPER
	RET

// func hardSigmoidAVX2(dst, src *float32, n int, a, b float32)
TEXT ·hardSigmoidAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS a+24(FP), Y8
	VBROADCASTSS b+28(FP), Y9
	VXORPS  Y10, Y10, Y10
	VMOVUPS actOne<>(SB), Y11
	ARGS
loop:
	VMULPS  (SI), Y8, Y0
	VADDPS  Y9, Y0, Y0
	VMAXPS  Y0, Y10, Y0
	VMINPS  Y0, Y11, Y0
	NEXT
done:
	VZEROUPPER
	RET

// func hardSwishAVX2(dst, src *float32, n int)
TEXT ·hardSwishAVX2(SB), NOSPLIT, $0-24
	VXORPS  Y10, Y10, Y10
	VMOVUPS actOne<>(SB), Y11
	ARGS
loop:
	VMOVUPS (SI), Y4
	VMULPS  actSixth<>(SB), Y4, Y0
	VADDPS  actHalf<>(SB), Y0, Y0
	VMAXPS  Y0, Y10, Y0
	VMINPS  Y0, Y11, Y0
	VMULPS  Y0, Y4, Y0
	NEXT
done:
	VZEROUPPER
	RET

DATA actExpLo<>+0(SB)/8, $0xc2ad3333c2ad3333
DATA actExpLo<>+8(SB)/8, $0xc2ad3333c2ad3333
DATA actExpLo<>+16(SB)/8, $0xc2ad3333c2ad3333
DATA actExpLo<>+24(SB)/8, $0xc2ad3333c2ad3333
GLOBL actExpLo<>(SB), RODATA|NOPTR, $32

DATA actExpHi<>+0(SB)/8, $0x42b2000042b20000
DATA actExpHi<>+8(SB)/8, $0x42b2000042b20000
DATA actExpHi<>+16(SB)/8, $0x42b2000042b20000
DATA actExpHi<>+24(SB)/8, $0x42b2000042b20000
GLOBL actExpHi<>(SB), RODATA|NOPTR, $32

DATA actLog2e<>+0(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actLog2e<>+8(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actLog2e<>+16(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actLog2e<>+24(SB)/8, $0x3fb8aa3b3fb8aa3b
GLOBL actLog2e<>(SB), RODATA|NOPTR, $32

DATA actC1<>+0(SB)/8, $0x3f3180003f318000
DATA actC1<>+8(SB)/8, $0x3f3180003f318000
DATA actC1<>+16(SB)/8, $0x3f3180003f318000
DATA actC1<>+24(SB)/8, $0x3f3180003f318000
GLOBL actC1<>(SB), RODATA|NOPTR, $32

DATA actC2<>+0(SB)/8, $0xb95e8083b95e8083
DATA actC2<>+8(SB)/8, $0xb95e8083b95e8083
DATA actC2<>+16(SB)/8, $0xb95e8083b95e8083
DATA actC2<>+24(SB)/8, $0xb95e8083b95e8083
GLOBL actC2<>(SB), RODATA|NOPTR, $32

DATA actP0<>+0(SB)/8, $0x3950696739506967
DATA actP0<>+8(SB)/8, $0x3950696739506967
DATA actP0<>+16(SB)/8, $0x3950696739506967
DATA actP0<>+24(SB)/8, $0x3950696739506967
GLOBL actP0<>(SB), RODATA|NOPTR, $32

DATA actP1<>+0(SB)/8, $0x3ab743ce3ab743ce
DATA actP1<>+8(SB)/8, $0x3ab743ce3ab743ce
DATA actP1<>+16(SB)/8, $0x3ab743ce3ab743ce
DATA actP1<>+24(SB)/8, $0x3ab743ce3ab743ce
GLOBL actP1<>(SB), RODATA|NOPTR, $32

DATA actP2<>+0(SB)/8, $0x3c0889083c088908
DATA actP2<>+8(SB)/8, $0x3c0889083c088908
DATA actP2<>+16(SB)/8, $0x3c0889083c088908
DATA actP2<>+24(SB)/8, $0x3c0889083c088908
GLOBL actP2<>(SB), RODATA|NOPTR, $32

DATA actP3<>+0(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actP3<>+8(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actP3<>+16(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actP3<>+24(SB)/8, $0x3d2aa9c13d2aa9c1
GLOBL actP3<>(SB), RODATA|NOPTR, $32

DATA actP4<>+0(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actP4<>+8(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actP4<>+16(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actP4<>+24(SB)/8, $0x3e2aaaaa3e2aaaaa
GLOBL actP4<>(SB), RODATA|NOPTR, $32

DATA actP5<>+0(SB)/8, $0x3f0000003f000000
DATA actP5<>+8(SB)/8, $0x3f0000003f000000
DATA actP5<>+16(SB)/8, $0x3f0000003f000000
DATA actP5<>+24(SB)/8, $0x3f0000003f000000
GLOBL actP5<>(SB), RODATA|NOPTR, $32

DATA actOne<>+0(SB)/8, $0x3f8000003f800000
DATA actOne<>+8(SB)/8, $0x3f8000003f800000
DATA actOne<>+16(SB)/8, $0x3f8000003f800000
DATA actOne<>+24(SB)/8, $0x3f8000003f800000
GLOBL actOne<>(SB), RODATA|NOPTR, $32

DATA actTwo<>+0(SB)/8, $0x4000000040000000
DATA actTwo<>+8(SB)/8, $0x4000000040000000
DATA actTwo<>+16(SB)/8, $0x4000000040000000
DATA actTwo<>+24(SB)/8, $0x4000000040000000
GLOBL actTwo<>(SB), RODATA|NOPTR, $32

DATA actHalf<>+0(SB)/8, $0x3f0000003f000000
DATA actHalf<>+8(SB)/8, $0x3f0000003f000000
DATA actHalf<>+16(SB)/8, $0x3f0000003f000000
DATA actHalf<>+24(SB)/8, $0x3f0000003f000000
GLOBL actHalf<>(SB), RODATA|NOPTR, $32

DATA act126<>+0(SB)/8, $0x0000007e0000007e
DATA act126<>+8(SB)/8, $0x0000007e0000007e
DATA act126<>+16(SB)/8, $0x0000007e0000007e
DATA act126<>+24(SB)/8, $0x0000007e0000007e
GLOBL act126<>(SB), RODATA|NOPTR, $32

DATA actSign<>+0(SB)/8, $0x8000000080000000
DATA actSign<>+8(SB)/8, $0x8000000080000000
DATA actSign<>+16(SB)/8, $0x8000000080000000
DATA actSign<>+24(SB)/8, $0x8000000080000000
GLOBL actSign<>(SB), RODATA|NOPTR, $32

DATA actAbs<>+0(SB)/8, $0x7fffffff7fffffff
DATA actAbs<>+8(SB)/8, $0x7fffffff7fffffff
DATA actAbs<>+16(SB)/8, $0x7fffffff7fffffff
DATA actAbs<>+24(SB)/8, $0x7fffffff7fffffff
GLOBL actAbs<>(SB), RODATA|NOPTR, $32

DATA actTanhT<>+0(SB)/8, $0x3f2000003f200000
DATA actTanhT<>+8(SB)/8, $0x3f2000003f200000
DATA actTanhT<>+16(SB)/8, $0x3f2000003f200000
DATA actTanhT<>+24(SB)/8, $0x3f2000003f200000
GLOBL actTanhT<>(SB), RODATA|NOPTR, $32

DATA actQ0<>+0(SB)/8, $0xbbbaf0eabbbaf0ea
DATA actQ0<>+8(SB)/8, $0xbbbaf0eabbbaf0ea
DATA actQ0<>+16(SB)/8, $0xbbbaf0eabbbaf0ea
DATA actQ0<>+24(SB)/8, $0xbbbaf0eabbbaf0ea
GLOBL actQ0<>(SB), RODATA|NOPTR, $32

DATA actQ1<>+0(SB)/8, $0x3ca9134e3ca9134e
DATA actQ1<>+8(SB)/8, $0x3ca9134e3ca9134e
DATA actQ1<>+16(SB)/8, $0x3ca9134e3ca9134e
DATA actQ1<>+24(SB)/8, $0x3ca9134e3ca9134e
GLOBL actQ1<>(SB), RODATA|NOPTR, $32

DATA actQ2<>+0(SB)/8, $0xbd5c1e2dbd5c1e2d
DATA actQ2<>+8(SB)/8, $0xbd5c1e2dbd5c1e2d
DATA actQ2<>+16(SB)/8, $0xbd5c1e2dbd5c1e2d
DATA actQ2<>+24(SB)/8, $0xbd5c1e2dbd5c1e2d
GLOBL actQ2<>(SB), RODATA|NOPTR, $32

DATA actQ3<>+0(SB)/8, $0x3e0883933e088393
DATA actQ3<>+8(SB)/8, $0x3e0883933e088393
DATA actQ3<>+16(SB)/8, $0x3e0883933e088393
DATA actQ3<>+24(SB)/8, $0x3e0883933e088393
GLOBL actQ3<>(SB), RODATA|NOPTR, $32

DATA actQ4<>+0(SB)/8, $0xbeaaaa99beaaaa99
DATA actQ4<>+8(SB)/8, $0xbeaaaa99beaaaa99
DATA actQ4<>+16(SB)/8, $0xbeaaaa99beaaaa99
DATA actQ4<>+24(SB)/8, $0xbeaaaa99beaaaa99
GLOBL actQ4<>(SB), RODATA|NOPTR, $32

DATA actErfLo<>+0(SB)/8, $0xc0800000c0800000
DATA actErfLo<>+8(SB)/8, $0xc0800000c0800000
DATA actErfLo<>+16(SB)/8, $0xc0800000c0800000
DATA actErfLo<>+24(SB)/8, $0xc0800000c0800000
GLOBL actErfLo<>(SB), RODATA|NOPTR, $32

DATA actErfHi<>+0(SB)/8, $0x4080000040800000
DATA actErfHi<>+8(SB)/8, $0x4080000040800000
DATA actErfHi<>+16(SB)/8, $0x4080000040800000
DATA actErfHi<>+24(SB)/8, $0x4080000040800000
GLOBL actErfHi<>(SB), RODATA|NOPTR, $32

DATA actA13<>+0(SB)/8, $0xaf95df0baf95df0b
DATA actA13<>+8(SB)/8, $0xaf95df0baf95df0b
DATA actA13<>+16(SB)/8, $0xaf95df0baf95df0b
DATA actA13<>+24(SB)/8, $0xaf95df0baf95df0b
GLOBL actA13<>(SB), RODATA|NOPTR, $32

DATA actA11<>+0(SB)/8, $0x32edffee32edffee
DATA actA11<>+8(SB)/8, $0x32edffee32edffee
DATA actA11<>+16(SB)/8, $0x32edffee32edffee
DATA actA11<>+24(SB)/8, $0x32edffee32edffee
GLOBL actA11<>(SB), RODATA|NOPTR, $32

DATA actA9<>+0(SB)/8, $0xb60cff51b60cff51
DATA actA9<>+8(SB)/8, $0xb60cff51b60cff51
DATA actA9<>+16(SB)/8, $0xb60cff51b60cff51
DATA actA9<>+24(SB)/8, $0xb60cff51b60cff51
GLOBL actA9<>(SB), RODATA|NOPTR, $32

DATA actA7<>+0(SB)/8, $0xb86ec2d2b86ec2d2
DATA actA7<>+8(SB)/8, $0xb86ec2d2b86ec2d2
DATA actA7<>+16(SB)/8, $0xb86ec2d2b86ec2d2
DATA actA7<>+24(SB)/8, $0xb86ec2d2b86ec2d2
GLOBL actA7<>(SB), RODATA|NOPTR, $32

DATA actA5<>+0(SB)/8, $0xba40ac63ba40ac63
DATA actA5<>+8(SB)/8, $0xba40ac63ba40ac63
DATA actA5<>+16(SB)/8, $0xba40ac63ba40ac63
DATA actA5<>+24(SB)/8, $0xba40ac63ba40ac63
GLOBL actA5<>(SB), RODATA|NOPTR, $32

DATA actA3<>+0(SB)/8, $0xbb41a1f6bb41a1f6
DATA actA3<>+8(SB)/8, $0xbb41a1f6bb41a1f6
DATA actA3<>+16(SB)/8, $0xbb41a1f6bb41a1f6
DATA actA3<>+24(SB)/8, $0xbb41a1f6bb41a1f6
GLOBL actA3<>(SB), RODATA|NOPTR, $32

DATA actA1<>+0(SB)/8, $0xbc83dbd4bc83dbd4
DATA actA1<>+8(SB)/8, $0xbc83dbd4bc83dbd4
DATA actA1<>+16(SB)/8, $0xbc83dbd4bc83dbd4
DATA actA1<>+24(SB)/8, $0xbc83dbd4bc83dbd4
GLOBL actA1<>(SB), RODATA|NOPTR, $32

DATA actB8<>+0(SB)/8, $0xb77460cdb77460cd
DATA actB8<>+8(SB)/8, $0xb77460cdb77460cd
DATA actB8<>+16(SB)/8, $0xb77460cdb77460cd
DATA actB8<>+24(SB)/8, $0xb77460cdb77460cd
GLOBL actB8<>(SB), RODATA|NOPTR, $32

DATA actB6<>+0(SB)/8, $0xb95fbd29b95fbd29
DATA actB6<>+8(SB)/8, $0xb95fbd29b95fbd29
DATA actB6<>+16(SB)/8, $0xb95fbd29b95fbd29
DATA actB6<>+24(SB)/8, $0xb95fbd29b95fbd29
GLOBL actB6<>(SB), RODATA|NOPTR, $32

DATA actB4<>+0(SB)/8, $0xbadc924ebadc924e
DATA actB4<>+8(SB)/8, $0xbadc924ebadc924e
DATA actB4<>+16(SB)/8, $0xbadc924ebadc924e
DATA actB4<>+24(SB)/8, $0xbadc924ebadc924e
GLOBL actB4<>(SB), RODATA|NOPTR, $32

DATA actB2<>+0(SB)/8, $0xbbf19bf8bbf19bf8
DATA actB2<>+8(SB)/8, $0xbbf19bf8bbf19bf8
DATA actB2<>+16(SB)/8, $0xbbf19bf8bbf19bf8
DATA actB2<>+24(SB)/8, $0xbbf19bf8bbf19bf8
GLOBL actB2<>(SB), RODATA|NOPTR, $32

DATA actB0<>+0(SB)/8, $0xbc69b6a7bc69b6a7
DATA actB0<>+8(SB)/8, $0xbc69b6a7bc69b6a7
DATA actB0<>+16(SB)/8, $0xbc69b6a7bc69b6a7
DATA actB0<>+24(SB)/8, $0xbc69b6a7bc69b6a7
GLOBL actB0<>(SB), RODATA|NOPTR, $32

DATA actRsqrt2<>+0(SB)/8, $0x3f3504f33f3504f3
DATA actRsqrt2<>+8(SB)/8, $0x3f3504f33f3504f3
DATA actRsqrt2<>+16(SB)/8, $0x3f3504f33f3504f3
DATA actRsqrt2<>+24(SB)/8, $0x3f3504f33f3504f3
GLOBL actRsqrt2<>(SB), RODATA|NOPTR, $32

DATA actG0<>+0(SB)/8, $0x3fcc422a3fcc422a
DATA actG0<>+8(SB)/8, $0x3fcc422a3fcc422a
DATA actG0<>+16(SB)/8, $0x3fcc422a3fcc422a
DATA actG0<>+24(SB)/8, $0x3fcc422a3fcc422a
GLOBL actG0<>(SB), RODATA|NOPTR, $32

DATA actG1<>+0(SB)/8, $0x3d9222793d922279
DATA actG1<>+8(SB)/8, $0x3d9222793d922279
DATA actG1<>+16(SB)/8, $0x3d9222793d922279
DATA actG1<>+24(SB)/8, $0x3d9222793d922279
GLOBL actG1<>(SB), RODATA|NOPTR, $32

DATA actSixth<>+0(SB)/8, $0x3e2aaaab3e2aaaab
DATA actSixth<>+8(SB)/8, $0x3e2aaaab3e2aaaab
DATA actSixth<>+16(SB)/8, $0x3e2aaaab3e2aaaab
DATA actSixth<>+24(SB)/8, $0x3e2aaaab3e2aaaab
GLOBL actSixth<>(SB), RODATA|NOPTR, $32


