//go:build amd64 && !purego

#include "textflag.h"

// AVX2+FMA row kernels of the 3×3 depthwise conv (dw_amd64.go). Each
// computes n interior outputs of one output row,
//
//	o[i] = min(max(bias + Σ w[ky*3+kx]·r_ky[i*s+kx] + res[i], lo), hi)
//
// (res skipped when nil), for rows output rows: after each, o and res
// advance ostride bytes and the three input rows istride bytes. 8 outputs
// per ymm; if n >= 8, the last n%8 come from one more block at n-8 that
// overlaps the previous one, computed before the others and stored after
// them (so res may alias o); if n < 8, from masked loads and a scalar
// store. Nothing outside o[:n], res[:n] and the (n-1)*s+3 inputs of each
// row is touched. The products are accumulated with FMA in w order
// onto the broadcast bias. VMAXPS/VMINPS take the data as Intel's second
// source, so a NaN sum stays NaN as Go's min/max keep it.
//
// Registers: Y0-Y8 the weights, Y9 bias, Y10 lo, Y11 hi, Y12-Y15 work;
// DI o, SI/BX/DX the three input rows, R8 res, AX outputs left in the
// row; R10-R14 the row starts of o, r0, r1, r2, res; CX n; R9 4*(n-8).
// The frame holds the overlapping block (0(SP)) and, for stride 2 with
// n < 8, the five tail masks (32(SP)...).

// dwmask: 8 lanes of ones then 8 of zeros; the mask of the first c lanes
// (0 <= c <= 8) is the 32 bytes at dwmask<>+32-4c.
DATA dwmask<>+0(SB)/8, $0xffffffffffffffff
DATA dwmask<>+8(SB)/8, $0xffffffffffffffff
DATA dwmask<>+16(SB)/8, $0xffffffffffffffff
DATA dwmask<>+24(SB)/8, $0xffffffffffffffff
DATA dwmask<>+32(SB)/8, $0
DATA dwmask<>+40(SB)/8, $0
DATA dwmask<>+48(SB)/8, $0
DATA dwmask<>+56(SB)/8, $0
GLOBL dwmask<>(SB), RODATA|NOPTR, $64

// DWSETUP loads the arguments and broadcasts weights, bias and bounds.
#define DWSETUP \
	MOVQ o+0(FP), R10; \
	MOVQ r0+8(FP), R11; \
	MOVQ r1+16(FP), R12; \
	MOVQ r2+24(FP), R13; \
	MOVQ w+32(FP), AX; \
	MOVQ res+40(FP), R14; \
	MOVQ n+48(FP), CX; \
	VBROADCASTSS 0(AX), Y0; \
	VBROADCASTSS 4(AX), Y1; \
	VBROADCASTSS 8(AX), Y2; \
	VBROADCASTSS 12(AX), Y3; \
	VBROADCASTSS 16(AX), Y4; \
	VBROADCASTSS 20(AX), Y5; \
	VBROADCASTSS 24(AX), Y6; \
	VBROADCASTSS 28(AX), Y7; \
	VBROADCASTSS 32(AX), Y8; \
	VBROADCASTSS bias+80(FP), Y9; \
	VBROADCASTSS lo+84(FP), Y10; \
	VBROADCASTSS hi+88(FP), Y11; \
	LEAQ -32(CX)(CX*2), R9; \
	ADDQ CX, R9

// ROWSTART points the row registers at the current row.
#define ROWSTART \
	MOVQ R10, DI; \
	MOVQ R11, SI; \
	MOVQ R12, BX; \
	MOVQ R13, DX; \
	MOVQ R14, R8; \
	MOVQ CX, AX

// ROWNEXT advances the row starts and loops while rows are left (rows
// >= 1 on entry).
#define ROWNEXT(loop) \
	MOVQ istride+64(FP), AX; \
	ADDQ AX, R11; \
	ADDQ AX, R12; \
	ADDQ AX, R13; \
	MOVQ ostride+72(FP), AX; \
	ADDQ AX, R10; \
	TESTQ R14, R14; \
	JZ 2(PC); \
	ADDQ AX, R14; \
	DECQ rows+56(FP); \
	JNZ loop

// SHIFTROW moves the row pointers by d bytes (op ADDQ) or back (SUBQ).
#define SHIFTROW(op, d) \
	op d, SI; \
	op d, BX; \
	op d, DX; \
	op d, R8

// ADDRES adds res at R8 to acc if res is not nil (R14, the row start of
// res, tells: R8 may have been shifted).
#define ADDRES(acc) \
	TESTQ R14, R14; \
	JZ 2(PC); \
	VADDPS 0(R8), acc, acc

// SMALLSTORE stores the AX = n < 8 lowest floats of Y12 at DI through the
// frame (a masked store is slow on some CPUs).
#define SMALLSTORE \
	VMOVUPS Y12, 0(SP); \
	XORQ AX, AX; \
	MOVSS (SP)(AX*4), X14; \
	MOVSS X14, (DI)(AX*4); \
	INCQ AX; \
	CMPQ AX, CX; \
	JLT -4(PC)

// S1ROW adds one input row's three taps (row pointer P, byte offset off of
// the block) to acc.
#define S1ROW(P, off, wa, wb, wc, acc) \
	VFMADD231PS (off+0)(P), wa, acc; \
	VFMADD231PS (off+4)(P), wb, acc; \
	VFMADD231PS (off+8)(P), wc, acc

// S1BLOCK computes the 8 sums at byte offset off into acc.
#define S1BLOCK(off, acc) \
	VMOVAPS Y9, acc; \
	S1ROW(SI, off, Y0, Y1, Y2, acc); \
	S1ROW(BX, off, Y3, Y4, Y5, acc); \
	S1ROW(DX, off, Y6, Y7, Y8, acc)

// CLAMP is acc = min(max(acc, lo), hi), NaN kept.
#define CLAMP(acc) \
	VMAXPS acc, Y10, acc; \
	VMINPS acc, Y11, acc

// func dw3s1AVX2(o, r0, r1, r2, w, res *float32, n, rows, istride, ostride int, bias, lo, hi float32)
TEXT ·dw3s1AVX2(SB), NOSPLIT, $32-92
	DWSETUP
	CMPQ CX, $8
	JGE  s1row

	// n < 8: Y13 = mask of the n outputs; r_ky[i+kx] for i < n is inside
	// the row for every kx, so it serves all loads.
	LEAQ    dwmask<>+32(SB), AX
	SUBQ    CX, AX
	SUBQ    CX, AX
	SUBQ    CX, AX
	SUBQ    CX, AX
	VMOVDQU (AX), Y13

s1small:
	ROWSTART
	VMOVAPS Y9, Y12
	VMASKMOVPS 0(SI), Y13, Y14
	VFMADD231PS Y14, Y0, Y12
	VMASKMOVPS 4(SI), Y13, Y14
	VFMADD231PS Y14, Y1, Y12
	VMASKMOVPS 8(SI), Y13, Y14
	VFMADD231PS Y14, Y2, Y12
	VMASKMOVPS 0(BX), Y13, Y14
	VFMADD231PS Y14, Y3, Y12
	VMASKMOVPS 4(BX), Y13, Y14
	VFMADD231PS Y14, Y4, Y12
	VMASKMOVPS 8(BX), Y13, Y14
	VFMADD231PS Y14, Y5, Y12
	VMASKMOVPS 0(DX), Y13, Y14
	VFMADD231PS Y14, Y6, Y12
	VMASKMOVPS 4(DX), Y13, Y14
	VFMADD231PS Y14, Y7, Y12
	VMASKMOVPS 8(DX), Y13, Y14
	VFMADD231PS Y14, Y8, Y12
	TESTQ R14, R14
	JZ    s1smallclamp
	VMASKMOVPS (R8), Y13, Y14
	VADDPS     Y14, Y12, Y12

s1smallclamp:
	CLAMP(Y12)
	SMALLSTORE
	ROWNEXT(s1small)
	VZEROUPPER
	RET

s1row:
	ROWSTART
	// The last block, at n-8, first; kept in the frame.
	SHIFTROW(ADDQ, R9)
	S1BLOCK(0, Y12)
	ADDRES(Y12)
	CLAMP(Y12)
	VMOVUPS Y12, 0(SP)
	SHIFTROW(SUBQ, R9)

s1loop16:
	CMPQ AX, $16
	JLT  s1loop8
	S1BLOCK(0, Y12)
	S1BLOCK(32, Y13)
	TESTQ R14, R14
	JZ    s1clamp16
	VADDPS 0(R8), Y12, Y12
	VADDPS 32(R8), Y13, Y13
	ADDQ   $64, R8

s1clamp16:
	CLAMP(Y12)
	CLAMP(Y13)
	VMOVUPS Y12, 0(DI)
	VMOVUPS Y13, 32(DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, BX
	ADDQ    $64, DX
	SUBQ    $16, AX
	JMP     s1loop16

s1loop8:
	CMPQ AX, $8
	JLT  s1last
	S1BLOCK(0, Y12)
	TESTQ R14, R14
	JZ    s1clamp8
	VADDPS 0(R8), Y12, Y12
	ADDQ   $32, R8

s1clamp8:
	CLAMP(Y12)
	VMOVUPS Y12, 0(DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DX
	SUBQ    $8, AX
	JMP     s1loop8

s1last:
	VMOVUPS 0(SP), Y12
	VMOVUPS Y12, (R10)(R9*1)
	ROWNEXT(s1row)
	VZEROUPPER
	RET

// S2ROW adds one input row's three taps for 8 stride-2 outputs (inputs
// P[0..16]) to acc, in the lane order [0 1 4 5 2 3 6 7] that VSHUFPS
// leaves (S2FIX restores it): even inputs P[0,2,..14] (kx 0), odd
// P[1,3,..15] (kx 1), and the odd ones of P[1..16], i.e. P[2,4,..16] (kx 2).
#define S2ROW(P, wa, wb, wc, acc) \
	VMOVUPS 0(P), Y14; \
	VSHUFPS $0x88, 32(P), Y14, Y15; \
	VFMADD231PS Y15, wa, acc; \
	VSHUFPS $0xDD, 32(P), Y14, Y15; \
	VFMADD231PS Y15, wb, acc; \
	VMOVUPS 4(P), Y14; \
	VSHUFPS $0xDD, 36(P), Y14, Y15; \
	VFMADD231PS Y15, wc, acc

// S2BLOCK computes the 8 outputs at the row pointers into acc, in order.
#define S2BLOCK(acc) \
	VMOVAPS Y9, acc; \
	S2ROW(SI, Y0, Y1, Y2, acc); \
	S2ROW(BX, Y3, Y4, Y5, acc); \
	S2ROW(DX, Y6, Y7, Y8, acc); \
	VPERMPD $0xD8, acc, acc

// S2TROW is S2ROW for n < 8 into Y12: loads masked by Y9 (P[0..7]), Y10
// (P[8..15]), Y11 (P[1..8]), Y13 (P[9..16]).
#define S2TROW(P, wa, wb, wc) \
	VMASKMOVPS 0(P), Y9, Y14; \
	VMASKMOVPS 32(P), Y10, Y15; \
	VSHUFPS $0x88, Y15, Y14, Y15; \
	VFMADD231PS Y15, wa, Y12; \
	VMASKMOVPS 32(P), Y10, Y15; \
	VSHUFPS $0xDD, Y15, Y14, Y15; \
	VFMADD231PS Y15, wb, Y12; \
	VMASKMOVPS 4(P), Y11, Y14; \
	VMASKMOVPS 36(P), Y13, Y15; \
	VSHUFPS $0xDD, Y15, Y14, Y15; \
	VFMADD231PS Y15, wc, Y12

// MASKAT stores at off(SP) the mask of the first reg (clamped to [0, 8])
// lanes; clobbers reg and AX.
#define MASKAT(reg, off) \
	XORQ    AX, AX; \
	CMPQ    reg, AX; \
	CMOVQLT AX, reg; \
	MOVQ    $8, AX; \
	CMPQ    reg, AX; \
	CMOVQGT AX, reg; \
	SHLQ    $2, reg; \
	LEAQ    dwmask<>+32(SB), AX; \
	SUBQ    reg, AX; \
	VMOVDQU (AX), Y14; \
	VMOVDQU Y14, off(SP)

// func dw3s2AVX2(o, r0, r1, r2, w, res *float32, n, rows, istride, ostride int, bias, lo, hi float32)
TEXT ·dw3s2AVX2(SB), NOSPLIT, $192-92
	DWSETUP
	CMPQ CX, $8
	JGE  s2row

	// n < 8 outputs read P[0..2n]: the masks cover 2n+1 lanes of
	// P[0..7], 2n-7 of P[8..15], 2n of P[1..8] and 2n-8 of P[9..16]
	// (clamped to [0, 8]); they take Y9-Y11 and Y13, so bias, lo and hi
	// are reloaded from the arguments.
	LEAQ 1(CX)(CX*1), DX
	MASKAT(DX, 32)
	LEAQ -7(CX)(CX*1), DX
	MASKAT(DX, 64)
	LEAQ (CX)(CX*1), DX
	MASKAT(DX, 96)
	LEAQ -8(CX)(CX*1), DX
	MASKAT(DX, 128)

s2small:
	ROWSTART
	VMOVDQU      32(SP), Y9
	VMOVDQU      64(SP), Y10
	VMOVDQU      96(SP), Y11
	VMOVDQU      128(SP), Y13
	VBROADCASTSS bias+80(FP), Y12
	S2TROW(SI, Y0, Y1, Y2)
	S2TROW(BX, Y3, Y4, Y5)
	S2TROW(DX, Y6, Y7, Y8)
	VPERMPD      $0xD8, Y12, Y12
	VBROADCASTSS bias+80(FP), Y9
	VBROADCASTSS lo+84(FP), Y10
	VBROADCASTSS hi+88(FP), Y11
	TESTQ        R14, R14
	JZ           s2smallclamp

	// res, masked to the n outputs.
	LEAQ    dwmask<>+32(SB), AX
	SUBQ    CX, AX
	SUBQ    CX, AX
	SUBQ    CX, AX
	SUBQ    CX, AX
	VMOVDQU (AX), Y13
	VMASKMOVPS (R8), Y13, Y14
	VADDPS     Y14, Y12, Y12

s2smallclamp:
	CLAMP(Y12)
	SMALLSTORE
	ROWNEXT(s2small)
	VZEROUPPER
	RET

s2row:
	ROWSTART
	// The last block, at n-8 (inputs 2(n-8)), first; kept in the frame.
	SHIFTROW(ADDQ, R9)
	ADDQ R9, SI
	ADDQ R9, BX
	ADDQ R9, DX
	S2BLOCK(Y12)
	ADDRES(Y12)
	CLAMP(Y12)
	VMOVUPS Y12, 0(SP)
	SHIFTROW(SUBQ, R9)
	SUBQ R9, SI
	SUBQ R9, BX
	SUBQ R9, DX

s2loop16:
	CMPQ AX, $16
	JLT  s2loop8
	S2BLOCK(Y12)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	S2BLOCK(Y13)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	TESTQ R14, R14
	JZ    s2clamp16
	VADDPS 0(R8), Y12, Y12
	VADDPS 32(R8), Y13, Y13
	ADDQ   $64, R8

s2clamp16:
	CLAMP(Y12)
	CLAMP(Y13)
	VMOVUPS Y12, 0(DI)
	VMOVUPS Y13, 32(DI)
	ADDQ    $64, DI
	SUBQ    $16, AX
	JMP     s2loop16

s2loop8:
	CMPQ AX, $8
	JLT  s2last
	S2BLOCK(Y12)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	TESTQ R14, R14
	JZ    s2clamp8
	VADDPS 0(R8), Y12, Y12
	ADDQ   $32, R8

s2clamp8:
	CLAMP(Y12)
	VMOVUPS Y12, 0(DI)
	ADDQ    $32, DI
	SUBQ    $8, AX
	JMP     s2loop8

s2last:
	VMOVUPS 0(SP), Y12
	VMOVUPS Y12, (R10)(R9*1)
	ROWNEXT(s2row)
	VZEROUPPER
	RET
