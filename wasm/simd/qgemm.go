//go:build !(js && wasm)

package simd

// The third kernels module, qkernels.wasm: the quantized (QDQ) conv's
// integer kernels for kern.SetQVecKernels. A module of its own, like
// ops.wasm, so that each stays under the 4 KB browsers compile
// synchronously on the main thread. Both kernels work on int16 values:
// uint8 or int8 activations less their zero point and int8 weights less
// theirs fit, and i32x4.dot_i16x8_s multiplies eight pairs and adds them
// pairwise into four int32 lanes exactly, so the sums are kern's integer
// sums bit for bit.
//
//   - qpack() quantizes a 1×1 conv's input planes as QuantizeLinear does
//     (x/scale, clamped to [lo−zp, hi−zp] with NaN giving the low bound,
//     rounded half to even, by adding 1.5·2²³ in float32: the sum's low 16
//     bits are then the integer, two shuffles pick them, no conversion
//     needed) and packs them for qgemm: for each strip of 8
//     columns and each pair of planes (2t, 2t+1), 16 int16: columns 0–3 as
//     (x[2t][c], x[2t+1][c]) pairs, then columns 4–7.
//   - qgemm() multiplies 4-row strips of weight pairs by those strips:
//     per pair of planes, two B vectors and one splatted weight pair per
//     row, eight i32x4.dot_i16x8_s into eight int32x4 accumulators (4 rows
//     × 8 columns) that start from the bias, then the requantizing
//     epilogue: f32x4.convert_i32x4_s, × multiplier, pmax/pmin to the output range
//     (max/min but cheaper, the product being never NaN), f32x4.nearest,
//     × y_scale: kern's requantOut, float for float; or, with qgOut8, the
//     quantized bytes themselves (q8.go).
//   - qpack8() is qpack() for an input of quantized bytes (q8.go).

// SIMD opcodes the quantized kernels use beyond asm.go's.
const (
	qI32x4Splat     = 0x11
	qI16x8NarrowS   = 0x85 // i16x8.narrow_i32x4_s
	qF32x4Nearest   = 0x6a
	qI32x4Add       = 0xae
	qI32x4DotI16x8S = 0xba
	qF32x4Div       = 0xe7
	qF32x4Pmin      = 0xea
	qF32x4Pmax      = 0xeb
	qI32x4TruncSat  = 0xf8 // i32x4.trunc_sat_f32x4_s
	qF32x4ConvertS  = 0xfa // f32x4.convert_i32x4_s
	qOpI32ShrU      = 0x76
	qOpI32Load      = opI32Load
)

// QModule returns qkernels.wasm's bytes. Exports: bind(p), qpack(),
// qpack8(), qgemm(), qquant(), qrequant(). (The depthwise kernel is qdw.wasm's,
// qdw.go: both would not fit in 4 KB.)
func QModule() []byte {
	bind := &fn{params: []valType{i32}}
	bind.get(0)
	bind.gset(0)
	return assemble([]export{
		{"bind", bind},
		{"qpack", qpackFn()},
		{"qpack8", qpack8Fn()},
		{"qgemm", qgemmFn()},
		{"qquant", qquantFn()},
		{"qrequant", qrequantFn()},
	}, 1)
}

// qquantFn emits qquant(): dst[i] = nearest(pmin(hi, pmax(lo, x[i]/scale)))·out
// for n elements (a multiple of 4): QuantizeLinear less the zero point as
// a float (out = 1), or QuantizeLinear then DequantizeLinear (out = scale).
func qquantFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	x, dst, n, end := L(), L(), L(), L()
	sc, lo, hi, out := f.newLocal(f32), f.newLocal(f32), f.newLocal(f32), f.newLocal(f32)
	scv, lov, hiv, outv := V(), V(), V(), V()
	qarg(f, x, qqX)
	qarg(f, dst, qqDst)
	qarg(f, n, qqN)
	qargF(f, sc, qqScale)
	qargF(f, lo, qqLo)
	qargF(f, hi, qqHi)
	qargF(f, out, qqOut)
	f.get(n)
	f.i32c(4)
	f.op(opI32LtS)
	f.if_()
	f.op(opReturn)
	f.end()
	for _, p := range [][2]local{{sc, scv}, {lo, lov}, {hi, hiv}, {out, outv}} {
		f.get(p[0])
		f.simd(simdF32x4Splat)
		f.set(p[1])
	}
	// end = x + n*4
	f.get(x)
	f.get(n)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(end)
	f.loop()
	{
		f.get(dst)
		f.get(hiv)
		f.get(lov)
		f.get(x)
		f.vLoad(0)
		f.get(scv)
		f.simd(qF32x4Div)
		f.simd(qF32x4Pmax)
		f.simd(qF32x4Pmin)
		f.simd(qF32x4Nearest)
		f.get(outv)
		f.simd(simdF32x4Mul)
		f.vStore(0)
		f.addTo(x, 16)
		f.addTo(dst, 16)
		f.get(x)
		f.get(end)
		f.op(opI32LtU)
		f.brIf(0)
	}
	f.end()
	return f
}

// qrequantFn emits qrequant(): for rows i < m and j < n (a multiple of 4),
// y[i*ldy+j] = nearest(min(max((y+bias[i])·mult[i], lo), hi))·ys, in
// place: the float route's epilogue. y holds exact integer sums and bias
// float32 integers, both at most 2²⁴ in magnitude (kern checks), so the
// float32 sum rounds as float32(int32(y)+bias) does, with no conversions.
func qrequantFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	y, n, ldy4, m, bias, mult, i, p, end := L(), L(), L(), L(), L(), L(), L(), L(), L()
	y8, out8, zp, ldy, p8 := L(), L(), L(), L(), L()
	lo, hi, ys := f.newLocal(f32), f.newLocal(f32), f.newLocal(f32)
	lov, hiv, ysv, bv, mv := V(), V(), V(), V(), V()
	magic, zpv := V(), V()
	qarg(f, y, qrY)
	qarg(f, n, qrN)
	qarg(f, ldy4, qrLDY)
	qarg(f, m, qrM)
	qarg(f, bias, qrBias)
	qarg(f, mult, qrMult)
	qargF(f, lo, qrLo)
	qargF(f, hi, qrHi)
	qargF(f, ys, qrYS)
	qarg(f, y8, qrY8)
	qarg(f, out8, qrOut8)
	qarg(f, zp, qrZP)
	f.get(n)
	f.i32c(4)
	f.op(opI32LtS)
	f.get(m)
	f.i32c(1)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.if_()
	f.op(opReturn)
	f.end()
	f.get(ldy4)
	f.tee(ldy)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(ldy4)
	f.f32c(12582912) // 1.5·2²³
	f.simd(simdF32x4Splat)
	f.set(magic)
	f.get(zp)
	f.simd(qI32x4Splat)
	f.set(zpv)
	for _, q := range [][2]local{{lo, lov}, {hi, hiv}, {ys, ysv}} {
		f.get(q[0])
		f.simd(simdF32x4Splat)
		f.set(q[1])
	}
	f.i32c(0)
	f.set(i)
	f.loop() // rows
	{
		f.get(bias)
		f.vLoadSplat(0)
		f.set(bv)
		f.get(mult)
		f.vLoadSplat(0)
		f.set(mv)
		f.get(y)
		f.set(p)
		f.get(y)
		f.get(n)
		f.i32c(2)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(end)
		// clamped pushes pmin(hi, pmax(lo, (y[p]+bias)·mult)).
		clamped := func() {
			f.get(lov)
			f.get(p)
			f.vLoad(0)
			f.get(bv)
			f.simd(simdF32x4Add) // exact integers: float32(int32 sum) (kern)
			f.get(mv)
			f.simd(simdF32x4Mul)
			f.simd(qF32x4Pmax) // lo < v ? v : lo: max, NaN aside (see qdw.go)
			f.get(hiv)
			f.simd(qF32x4Pmin) // hi < v ? hi : v: min
		}
		f.get(out8)
		f.if_()
		{
			// Quantized bytes at y8 (q8.go): 4 a step, each written at or
			// before the floats it came from, which were read already.
			f.get(y8)
			f.set(p8)
			f.loop()
			{
				f.get(p8)
				clamped()
				toBytes(f, magic, zpv)
				f.get(zpv) // any second operand: only the low 4 bytes are kept
				lowBytes(f)
				f.simd(qV128Store32Lane)
				f.memarg(0, 0)
				f.op(0)
				f.addTo(p, 16)
				f.addTo(p8, 4)
				f.get(p)
				f.get(end)
				f.op(opI32LtU)
				f.brIf(0)
			}
			f.end()
			f.addLocal(y8, ldy)
		}
		f.else_()
		f.loop()
		{
			f.get(p)
			clamped()
			f.simd(qF32x4Nearest)
			f.get(ysv)
			f.simd(simdF32x4Mul)
			f.vStore(0)
			f.addTo(p, 16)
			f.get(p)
			f.get(end)
			f.op(opI32LtU)
			f.brIf(0)
		}
		f.end()
		f.end()
		f.addLocal(y, ldy4)
		f.addTo(bias, 4)
		f.addTo(mult, 4)
		f.addTo(i, 1)
		f.get(i)
		f.get(m)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
	return f
}

// shuffle16 emits i8x16.shuffle picking 16-bit lanes: 0–7 of the first
// operand, 8–15 of the second.
func (f *fn) shuffle16(lanes [8]byte) {
	f.simd(simdI8x16Shuffle)
	for _, l := range lanes {
		f.op(2*l, 2*l+1)
	}
}

// qloadArgs reads argument words into locals.
func qarg(f *fn, l local, word int) {
	f.gget(0)
	f.i32Load(uint32(4 * word))
	f.set(l)
}

func qargF(f *fn, l local, word int) {
	f.gget(0)
	f.f32Load(uint32(4 * word))
	f.set(l)
}

// qpackFn emits qpack() (see above): full strips of 8 columns only; kern
// packs a last partial strip itself. The source's strips are qpSS bytes
// apart: 32 in planes, more in im2col's strips (kern.Im2colKernel).
func qpackFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	x, ld4, k, strips, dst := L(), L(), L(), L(), L()
	sstride := L()
	sc, lo, hi := f.newLocal(f32), f.newLocal(f32), f.newLocal(f32)
	scv, lov, hiv, magic := V(), V(), V(), V()
	qarg(f, x, qpX)
	qarg(f, ld4, qpLD)
	qarg(f, sstride, qpSS)
	qarg(f, k, qpK)
	qarg(f, strips, qpS)
	qarg(f, dst, qpDst)
	qargF(f, sc, qpScale)
	qargF(f, lo, qpLo)
	qargF(f, hi, qpHi)
	f.get(ld4)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(ld4)
	for _, p := range [][2]local{{sc, scv}, {lo, lov}, {hi, hiv}} {
		f.get(p[0])
		f.simd(simdF32x4Splat)
		f.set(p[1])
	}
	f.f32c(12582912) // 1.5·2²³
	f.simd(simdF32x4Splat)
	f.set(magic)
	// q(v) = pmin(hi, pmax(lo, v/scale)) + 1.5·2²³, on the stack: the
	// float add rounds half to even, and the sum's bits hold the integer
	// in their low 16 bits (|v| < 2¹⁵), which the shuffles below pick.
	quant := func(addr local, off uint32) {
		f.get(hiv)
		f.get(lov)
		f.get(addr)
		f.vLoad(off)
		f.get(scv)
		f.simd(qF32x4Div)
		f.simd(qF32x4Pmax) // lo < v ? v : lo (NaN: lo)
		f.simd(qF32x4Pmin) // v < hi ? v : hi
		f.get(magic)
		f.simd(simdF32x4Add)
	}
	packPairs(f, x, ld4, k, strips, dst, sstride, func(row0, row1, out local) {
		// Columns 0–3, then 4–7, as (row0, row1) int16 pairs: the low
		// halves of lanes c of both.
		for h := range 2 {
			f.get(out)
			quant(row0, uint32(16*h))
			quant(row1, uint32(16*h))
			f.simd(simdI8x16Shuffle)
			for c := range 4 {
				f.op(byte(4*c), byte(4*c+1), byte(16+4*c), byte(16+4*c+1))
			}
			f.vStore(uint32(16 * h))
		}
	})
	return f
}

// qgemmFn emits qgemm() (see above).
func qgemmFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	ap, bp, kb, mb, nb, y, ldy4, bias, mult, tmp := L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	lo, hi, ys := f.newLocal(f32), f.newLocal(f32), f.newLocal(f32)
	i, j, aps, bps, pa, pb, kk, rows, stripA, stripB, addr, q, n := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	out8, zp, ldy := L(), L(), L()
	var acc [4][2]local
	for r := range acc {
		acc[r][0], acc[r][1] = V(), V()
	}
	b0, b1, a, lov, hiv, ysv, mv := V(), V(), V(), V(), V(), V(), V()
	magic, zpv := V(), V()
	qarg(f, ap, qgA)
	qarg(f, bp, qgB)
	qarg(f, kb, qgKB)
	qarg(f, mb, qgMB)
	qarg(f, nb, qgNB)
	qarg(f, y, qgY)
	qarg(f, ldy4, qgLDY)
	qarg(f, bias, qgBias)
	qarg(f, mult, qgMult)
	qargF(f, lo, qgLo)
	qargF(f, hi, qgHi)
	qargF(f, ys, qgYS)
	qarg(f, tmp, qgTmp)
	qarg(f, out8, qgOut8)
	qarg(f, zp, qgZP)
	// Nothing to do unless mb, nb > 0 and kb >= 2.
	f.get(mb)
	f.i32c(1)
	f.op(opI32LtS)
	f.get(nb)
	f.i32c(1)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.get(kb)
	f.i32c(2)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.if_()
	f.op(opReturn)
	f.end()
	f.get(ldy4)
	f.tee(ldy)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(ldy4)
	f.f32c(12582912) // 1.5·2²³
	f.simd(simdF32x4Splat)
	f.set(magic)
	f.get(zp)
	f.simd(qI32x4Splat)
	f.set(zpv)
	// kb = pairs; stripA = kb*16, stripB = kb*32 bytes.
	f.get(kb)
	f.i32c(1)
	f.op(qOpI32ShrU)
	f.tee(kb)
	f.i32c(4)
	f.op(opI32Shl)
	f.set(stripA)
	f.get(kb)
	f.i32c(5)
	f.op(opI32Shl)
	f.set(stripB)
	for _, p := range [][2]local{{lo, lov}, {hi, hiv}, {ys, ysv}} {
		f.get(p[0])
		f.simd(simdF32x4Splat)
		f.set(p[1])
	}

	// One column of contiguous rows, mb a multiple of 4 (a conv on a 1×1
	// plane: a classifier's last layer): a matrix-vector product, four
	// rows' pairs against the column's splatted pair, no columns wasted.
	f.get(nb)
	f.i32c(1)
	f.op(opI32Eq)
	f.get(ldy)
	f.i32c(1)
	f.op(opI32Eq)
	f.op(opI32And)
	f.get(mb)
	f.i32c(3)
	f.op(opI32And)
	f.op(opI32Eqz)
	f.op(opI32And)
	f.if_()
	{
		acc, mv := acc[0][0], acc[0][1]
		f.i32c(0)
		f.set(i)
		f.get(ap)
		f.set(pa)
		f.loop() // strips of 4 rows
		{
			// the sums start from rows i..i+3's bias
			at4(f, bias, i)
			f.vLoad(0)
			f.set(acc)
			f.get(bp)
			f.set(pb)
			f.get(kb)
			f.set(kk)
			f.loop()
			{
				f.get(acc)
				f.get(pa)
				f.vLoad(0)
				f.get(pb)
				f.vLoadSplat(0)
				f.simd(qI32x4DotI16x8S)
				f.simd(qI32x4Add)
				f.set(acc)
				nextPair(f, pa, pb, kk)
			}
			f.end()
			at4(f, mult, i)
			f.vLoad(0)
			f.set(mv)
			requantClamp(f, acc, mv, lov, hiv)
			f.set(acc)
			f.get(out8)
			f.if_()
			{
				f.get(y)
				f.get(i)
				f.op(opI32Add)
				f.get(acc)
				toBytes(f, magic, zpv)
				f.get(zpv) // any: only the first 4 bytes are kept
				lowBytes(f)
				f.simd(qV128Store32Lane)
				f.memarg(0, 0)
				f.op(0)
			}
			f.else_()
			{
				f.get(y)
				f.get(i)
				f.i32c(2)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.get(acc)
				f.simd(qF32x4Nearest)
				f.get(ysv)
				f.simd(simdF32x4Mul)
				f.vStore(0)
			}
			f.end()
			f.addTo(i, 4)
			f.get(i)
			f.get(mb)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
		f.op(opReturn)
	}
	f.end()

	f.i32c(0)
	f.set(i)
	f.get(ap)
	f.set(aps)
	f.loop() // strips of 4 rows
	{
		// rows = min(4, mb-i)
		f.get(mb)
		f.get(i)
		f.op(opI32Sub)
		f.set(rows)
		f.i32c(4)
		f.get(rows)
		f.get(rows)
		f.i32c(4)
		f.op(opI32GtS)
		f.op(opSelect)
		f.set(rows)

		f.i32c(0)
		f.set(j)
		f.get(bp)
		f.set(bps)
		f.loop() // strips of 8 columns
		{
			// The sums start from the bias (rows past mb have 0).
			for r := range acc {
				at4(f, bias, i)
				f.vLoadSplat(uint32(4 * r))
				f.tee(acc[r][0])
				f.set(acc[r][1])
			}
			f.get(aps)
			f.set(pa)
			f.get(bps)
			f.set(pb)
			f.get(kb)
			f.set(kk)
			f.loop() // pairs of k
			{
				f.get(pb)
				f.vLoad(0)
				f.set(b0)
				f.get(pb)
				f.vLoad(16)
				f.set(b1)
				for r := range acc {
					f.get(pa)
					f.vLoadSplat(uint32(4 * r))
					f.set(a)
					for h, bb := range []local{b0, b1} {
						f.get(acc[r][h])
						f.get(a)
						f.get(bb)
						f.simd(qI32x4DotI16x8S)
						f.simd(qI32x4Add)
						f.set(acc[r][h])
					}
				}
				nextPair(f, pa, pb, kk)
			}
			f.end()

			// Epilogue, row by row (rows past mb are skipped): requantize,
			// then store 8 floats at y + ((i+r)*ldy + j)*4, or through tmp
			// when fewer than 8 columns remain.
			for r := range acc {
				f.get(rows)
				f.i32c(int32(r))
				f.op(opI32GtS)
				f.if_()
				{
					// mv = mult[i+r] in every lane
					at4(f, mult, i)
					f.vLoadSplat(uint32(4 * r))
					f.set(mv)
					for h := range 2 {
						requantClamp(f, acc[r][h], mv, lov, hiv)
						f.set(acc[r][h])
					}
					// n = nb - j
					f.get(nb)
					f.get(j)
					f.op(opI32Sub)
					f.set(n)
					f.get(out8)
					f.if_()
					{
						// Bytes at y + (i+r)*ldy + j (q8.go).
						f.get(y)
						f.get(i)
						f.i32c(int32(r))
						f.op(opI32Add)
						f.get(ldy)
						f.op(opI32Mul)
						f.op(opI32Add)
						f.get(j)
						f.op(opI32Add)
						f.set(addr)
						for h := range 2 {
							f.get(acc[r][h])
							toBytes(f, magic, zpv)
						}
						lowBytes(f)
						f.set(a)
						f.get(n)
						f.i32c(8)
						f.op(opI32GeS)
						f.if_()
						f.get(addr)
						f.get(a)
						f.simd(qV128Store64Lane)
						f.memarg(0, 0)
						f.op(0)
						f.else_()
						f.get(tmp)
						f.get(a)
						f.vStore(0)
						copyElems(f, addr, tmp, q, n, 1)
						f.end()
					}
					f.else_()
					{
						for h := range 2 {
							f.get(acc[r][h])
							f.simd(qF32x4Nearest)
							f.get(ysv)
							f.simd(simdF32x4Mul)
							f.set(acc[r][h])
						}
						// addr = y + (i+r)*ldy4 + j*4
						f.get(y)
						f.get(i)
						f.i32c(int32(r))
						f.op(opI32Add)
						f.get(ldy4)
						f.op(opI32Mul)
						f.op(opI32Add)
						f.get(j)
						f.i32c(2)
						f.op(opI32Shl)
						f.op(opI32Add)
						f.set(addr)
						f.get(n)
						f.i32c(8)
						f.op(opI32GeS)
						f.if_()
						for h := range 2 {
							f.get(addr)
							f.get(acc[r][h])
							f.vStore(uint32(16 * h))
						}
						f.else_()
						for h := range 2 {
							f.get(tmp)
							f.get(acc[r][h])
							f.vStore(uint32(16 * h))
						}
						copyElems(f, addr, tmp, q, n, 4)
						f.end()
					}
					f.end()
				}
				f.end()
			}

			f.addLocal(bps, stripB)
			f.addTo(j, 8)
			f.get(j)
			f.get(nb)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
		f.addLocal(aps, stripA)
		f.addTo(i, 4)
		f.get(i)
		f.get(mb)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
	return f
}

// packPairs emits the pack kernels' loops: for each pair of planes t (k/2
// of them, plane p at x + p*ld bytes) and each of strips strips of 8
// columns, body packs the 8 columns of planes 2t and 2t+1 at row0 and
// row1 into out (32 bytes); row0 and row1 then move step bytes on, and
// out by a strip of pairs (k/2·32 bytes).
func packPairs(f *fn, x, ld, k, strips, dst, step local, body func(row0, row1, out local)) {
	t, s, row0, row1, out, tstride := f.newLocal(i32), f.newLocal(i32), f.newLocal(i32), f.newLocal(i32), f.newLocal(i32), f.newLocal(i32)
	// Nothing to do (the kernel returns) unless strips > 0 and k >= 2.
	f.get(strips)
	f.i32c(1)
	f.op(opI32LtS)
	f.get(k)
	f.i32c(2)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.if_()
	f.op(opReturn)
	f.end()
	// tstride = (k/2)*32: bytes from one strip to the next.
	f.get(k)
	f.i32c(1)
	f.op(qOpI32ShrU)
	f.i32c(5)
	f.op(opI32Shl)
	f.set(tstride)
	f.i32c(0)
	f.set(t)
	f.loop() // pairs of planes
	{
		// row0 = x + 2t*ld, row1 = row0 + ld; out = dst + t*32
		f.get(x)
		f.get(t)
		f.i32c(1)
		f.op(opI32Shl)
		f.get(ld)
		f.op(opI32Mul)
		f.op(opI32Add)
		f.tee(row0)
		f.get(ld)
		f.op(opI32Add)
		f.set(row1)
		f.get(dst)
		f.get(t)
		f.i32c(5)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(out)
		f.i32c(0)
		f.set(s)
		f.loop() // strips of 8 columns
		{
			body(row0, row1, out)
			f.addLocal(row0, step)
			f.addLocal(row1, step)
			f.addLocal(out, tstride)
			f.addTo(s, 1)
			f.get(s)
			f.get(strips)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
		f.addTo(t, 1)
		f.get(t)
		f.get(k)
		f.i32c(1)
		f.op(qOpI32ShrU)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
}

// requantClamp pushes pmin(hi, pmax(lo, float32(acc)·mult)): the
// requantizing epilogue before rounding (pmax/pmin are max/min for every
// product but NaN, which an int32 times a finite multiplier never is).
func requantClamp(f *fn, acc, mult, lov, hiv local) {
	f.get(lov)
	f.get(acc)
	f.simd(qF32x4ConvertS)
	f.get(mult)
	f.simd(simdF32x4Mul)
	f.simd(qF32x4Pmax)
	f.get(hiv)
	f.simd(qF32x4Pmin)
}

// nextPair moves pa and pb on by one pair of the reduction (16 and 32
// bytes) and loops while kk, counted down, is not zero.
func nextPair(f *fn, pa, pb, kk local) {
	f.addTo(pa, 16)
	f.addTo(pb, 32)
	f.get(kk)
	f.i32c(1)
	f.op(opI32Sub)
	f.tee(kk)
	f.brIf(0)
}

// at4 pushes base + i·4.
func at4(f *fn, base, i local) {
	f.get(base)
	f.get(i)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
}
