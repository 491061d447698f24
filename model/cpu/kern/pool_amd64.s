//go:build amd64 && !purego

#include "textflag.h"

// func poolRowAVX2(x, y *float32, cnt, w, kh, kw, s, isMax int, div float32)
//
// One output row of a 2-D pool, cnt >= 8 outputs, 8 at a time (the last
// group overlaps the one before when cnt%8 != 0): output o's window has
// its top-left tap at x[o*s], rows w floats apart. Max: acc starts at
// -Inf, acc = t > acc ? t : acc per tap (the scalar loop's order, so ±0
// ties keep the earlier tap), and any NaN tap makes the output NaN.
// Average: 0 + the taps in row-major order, / div. At stride 2 a tap's 8
// inputs t, t+2, .., t+14 come from loads at t and t+7 (nothing read past
// t+14) and one VSHUFPS, in the lane order 0,2,8,10,4,6,12,14 that one
// VPERMQ undoes before the store.
TEXT ·poolRowAVX2(SB), NOSPLIT, $0-68
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ cnt+16(FP), CX
	MOVQ w+24(FP), R8
	SHLQ $2, R8
	MOVQ kh+32(FP), R9
	MOVQ kw+40(FP), R10
	VBROADCASTSS div+64(FP), Y15
	VXORPS Y14, Y14, Y14
	CMPQ isMax+56(FP), $0
	JEQ  start
	MOVL $0xff800000, AX
	MOVL AX, X14
	VBROADCASTSS X14, Y14

start:
	XORQ BX, BX

group:
	MOVQ BX, AX
	ADDQ $8, AX
	CMPQ AX, CX
	JLE  compute
	CMPQ BX, CX
	JGE  done
	MOVQ CX, BX
	SUBQ $8, BX

compute:
	MOVQ   BX, R12
	IMULQ  s+48(FP), R12
	SHLQ   $2, R12
	ADDQ   SI, R12
	VMOVUPS Y14, Y0
	VXORPS Y1, Y1, Y1
	MOVQ   R12, R13
	MOVQ   R9, DX

rowloop:
	MOVQ R13, AX
	MOVQ R10, R11

taploop:
	CMPQ s+48(FP), $1
	JNE  stride2
	VMOVUPS (AX), Y2
	JMP  tap

stride2:
	VMOVUPS (AX), Y2
	VMOVUPS 28(AX), Y3
	VSHUFPS $0xd8, Y3, Y2, Y2

tap:
	CMPQ isMax+56(FP), $0
	JEQ  tapavg
	VCMPPS $3, Y2, Y2, Y3
	VORPS  Y3, Y1, Y1
	VMAXPS Y0, Y2, Y0
	JMP  tapnext

tapavg:
	VADDPS Y2, Y0, Y0

tapnext:
	ADDQ $4, AX
	DECQ R11
	JNZ  taploop
	ADDQ R8, R13
	DECQ DX
	JNZ  rowloop

	CMPQ isMax+56(FP), $0
	JEQ  finavg
	VORPS Y1, Y0, Y0
	JMP  fin

finavg:
	VDIVPS Y15, Y0, Y0

fin:
	CMPQ s+48(FP), $1
	JEQ  store
	VPERMQ $0xd8, Y0, Y0

store:
	VMOVUPS Y0, (DI)(BX*4)
	ADDQ $8, BX
	JMP  group

done:
	VZEROUPPER
	RET
