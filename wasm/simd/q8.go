//go:build !(js && wasm)

package simd

// Quantized bytes in and out (kern.QConvWork.SetQ8): when one quantized
// conv feeds the next with the same scale and zero point, the first
// writes its output as the quantized values themselves (uint8 or int8, a
// byte each) and the second reads them, instead of float32 written,
// read, divided by the scale and rounded again. The integers are the
// same, so the results are too, bit for bit; the tensor between them
// takes a quarter of the bytes.
//
//   - In: 8 bytes widen to int16 with v128.load8x8_u; int8 values are
//     sign-extended and the zero point taken off together, as
//     (b xor 0x80) − (0x80 + zp); uint8 ones as (b xor 0) − zp.
//   - Out: the clamped requantized value v plus 1.5·2²³ rounds half to
//     even (as f32x4.nearest does) and leaves the integer in the float's
//     low bits; adding the zero point to those bits as an integer gives
//     q = n + zp there, and a shuffle picks each lane's low byte: q's
//     byte, whether uint8 or int8 (two's complement).

// SIMD opcodes of the byte kernels.
const (
	qV128Load8x8U        = 0x02
	qV128Load32Zero      = 0x5c
	qV128Xor             = 0x51
	qI16x8Sub            = 0x91
	qI16x8ExtendLowI8x16 = 0x89 // i16x8.extend_low_i8x16_u (+1: high)
	qOpI32Load8U         = 0x2d
	qOpI32Store8         = 0x3a
)

// widen8 pushes the int16 values less the zero point of 8 bytes at addr
// (4 when four, the rest zero): (b xor xorv) − subv (see above).
func widen8(f *fn, addr local, four bool, xorv, subv local) {
	f.get(addr)
	if four {
		f.simd(qV128Load32Zero)
		f.memarg(0, 0)
		f.simd(qI16x8ExtendLowI8x16)
	} else {
		f.simd(qV128Load8x8U)
		f.memarg(0, 0)
	}
	f.get(xorv)
	f.simd(qV128Xor)
	f.get(subv)
	f.simd(qI16x8Sub)
}

// widenConsts sets xorv and subv for widen8 from the signed flag and the
// zero point (i32 locals).
func widenConsts(f *fn, signed, zp, xorv, subv local) {
	// xor = signed*0x80; sub = xor + zp
	f.get(signed)
	f.i32c(7)
	f.op(opI32Shl)
	f.simd(qI16x8Splat)
	f.set(xorv)
	f.get(signed)
	f.i32c(7)
	f.op(opI32Shl)
	f.get(zp)
	f.op(opI32Add)
	f.simd(qI16x8Splat)
	f.set(subv)
}

// toBytes turns a clamped requantized f32x4 on the stack into q's bits
// (see above): + 1.5·2²³, then + zp as integers.
func toBytes(f *fn, magic, zpv local) {
	f.get(magic)
	f.simd(simdF32x4Add)
	f.get(zpv)
	f.simd(qI32x4Add)
}

// lowBytes shuffles the low bytes of two i32x4 on the stack into the
// first 8 bytes of one vector.
func lowBytes(f *fn) {
	f.simd(simdI8x16Shuffle)
	for l := range 16 {
		f.op(byte(4 * (l % 8)))
	}
}

// qpack8Fn emits qpack8(): qpack() of quantized bytes: planes of uint8
// or int8 values (plane p at x + p*ld bytes), widened less their zero
// point, packed the same way. Full strips of 8 columns only.
func qpack8Fn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	x, ld, k, strips, dst, zp, signed, step := L(), L(), L(), L(), L(), L(), L(), L()
	xorv, subv, v0, v1 := V(), V(), V(), V()
	qarg(f, x, q8X)
	qarg(f, ld, q8LD)
	qarg(f, k, q8K)
	qarg(f, strips, q8S)
	qarg(f, dst, q8Dst)
	qarg(f, zp, q8ZP)
	qarg(f, signed, q8Signed)
	widenConsts(f, signed, zp, xorv, subv)
	f.i32c(8)
	f.set(step)
	packPairs(f, x, ld, k, strips, dst, step, func(row0, row1, out local) {
		widen8(f, row0, false, xorv, subv)
		f.set(v0)
		widen8(f, row1, false, xorv, subv)
		f.set(v1)
		for h := range 2 {
			// columns 4h..4h+3 as (row0, row1) pairs
			f.get(out)
			f.get(v0)
			f.get(v1)
			f.shuffle16([8]byte{byte(4 * h), byte(8 + 4*h), byte(4*h + 1), byte(9 + 4*h),
				byte(4*h + 2), byte(10 + 4*h), byte(4*h + 3), byte(11 + 4*h)})
			f.vStore(uint32(16 * h))
		}
	})
	return f
}

// copyElems copies n (≥ 1) elements of size bytes (1: bytes, 4: floats)
// from src to dst, using q as the index.
func copyElems(f *fn, dst, src, q, n local, size int) {
	f.i32c(0)
	f.set(q)
	f.loop()
	{
		for _, base := range []local{dst, src} {
			f.get(base)
			f.get(q)
			if size == 4 {
				f.i32c(2)
				f.op(opI32Shl)
			}
			f.op(opI32Add)
		}
		if size == 4 {
			f.f32Load(0)
			f.f32Store(0)
		} else {
			f.op(qOpI32Load8U)
			f.memarg(0, 0)
			f.op(qOpI32Store8)
			f.memarg(0, 0)
		}
		f.addTo(q, 1)
		f.get(q)
		f.get(n)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
}
