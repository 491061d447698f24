//go:build !(js && wasm)

package simd

// SIMD opcodes qdw() uses beyond qgemm.go's.
const (
	qI16x8Splat           = 0x10
	qV128Store64Lane      = 0x5b
	qI32x4ExtmulLowI16x8S = 0xbc // and 0xbd, the high half
)

// QDWModule returns qdw.wasm's bytes, the quantized depthwise conv's
// module (a fourth, since qkernels.wasm has no room left under 4 KB):
// exports bind(p), qdw(). It reads qkernels.wasm's argument block layout
// (qlayout.go).
func QDWModule() []byte {
	bind := &fn{params: []valType{i32}}
	bind.get(0)
	bind.gset(0)
	return assemble([]export{
		{"bind", bind},
		{"qdw", qdwFn()},
	}, 1)
}

// qdwFn emits qdw(): the quantized 3×3 depthwise conv (stride 1 or 2, any
// pads) of one image, on integers, as kern.QConv computes it:
//
//   - each channel's input plane is quantized once (x/scale, clamped to
//     [lo−zp, hi−zp] with NaN giving the low bound as f32x4.pmax does,
//     rounded half to even by adding 1.5·2²³, whose float32 bits then hold
//     the integer in their low 16 bits, picked by a shuffle) into a
//     zero-padded int16 plane (rows of wr values, the input at row PT,
//     column PL; the caller zeroed the buffer, and only the input's cells
//     are written, 8 at a time (4 when W < 8), the last group overlapping
//     the one before when W is not a multiple of the group);
//   - 8 outputs at a time (the last group overlapping when OW is not a
//     multiple of 8, through tmp when OW < 8) sum the nine taps exactly in
//     int32 with i32x4.extmul_{low,high}_i16x8_s against splatted weights,
//     from the bias; stride 2 splits even and odd columns with shuffles;
//   - the requantizing epilogue: f32x4.convert_i32x4_s, × multiplier,
//     pmax with the low bound, pmin with the high one (min and max for
//     every value but NaN, which goes to the low bound as in
//     kern.QConvRef), f32x4.nearest, × y_scale.
//
// The integer sums are kern's (int32 wrapping alike), so the outputs are
// kern.QConvRef's bit for bit.
func qdwFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	F := func() local { return f.newLocal(f32) }
	x, y, wts, bias, mult, pad, tmp := L(), L(), L(), L(), L(), L(), L()
	nc, h, w, oh, ow, s, pt, pl, wr2 := L(), L(), L(), L(), L(), L(), L(), L(), L()
	c, iy, a, drow, rowp, yrow, oy, j, jj, rb, q, src, dst, end := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	fxs, fxlo, fxhi, flo, fhi, fys := F(), F(), F(), F(), F(), F()
	xsv, xlov, xhiv, lov, hiv, ysv, magic := V(), V(), V(), V(), V(), V(), V()
	var wv [9]local
	for k := range wv {
		wv[k] = V()
	}
	bv, mv, acc0, acc1, va, vb, t := V(), V(), V(), V(), V(), V(), V()
	for _, p := range []struct {
		l    local
		word int
	}{{x, qdX}, {y, qdY}, {wts, qdWts}, {bias, qdBias}, {mult, qdMult}, {pad, qdPad}, {tmp, qdTmp},
		{nc, qdC}, {h, qdH}, {w, qdW}, {oh, qdOH}, {ow, qdOW}, {s, qdS}, {pt, qdPT}, {pl, qdPL}, {wr2, qdWR}} {
		qarg(f, p.l, p.word)
	}
	for _, p := range []struct {
		l, v local
		word int
	}{{fxs, xsv, qdXScale}, {fxlo, xlov, qdXLo}, {fxhi, xhiv, qdXHi}, {flo, lov, qdLo}, {fhi, hiv, qdHi}, {fys, ysv, qdYS}} {
		qargF(f, p.l, p.word)
		f.get(p.l)
		f.simd(simdF32x4Splat)
		f.set(p.v)
	}
	f.f32c(12582912) // 1.5·2²³
	f.simd(simdF32x4Splat)
	f.set(magic)
	// Nothing to do unless C, OH, OW > 0 and W >= 4.
	f.get(nc)
	f.i32c(1)
	f.op(opI32LtS)
	f.get(oh)
	f.i32c(1)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.get(ow)
	f.i32c(1)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.get(w)
	f.i32c(4)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.if_()
	f.op(opReturn)
	f.end()
	f.get(wr2)
	f.i32c(1)
	f.op(opI32Shl)
	f.set(wr2)
	// quant4 pushes 4 floats at src+off quantized, plus 1.5·2²³.
	quant4 := func(off uint32) {
		f.get(xhiv)
		f.get(xlov)
		f.get(src)
		f.vLoad(off)
		f.get(xsv)
		f.simd(qF32x4Div)
		f.simd(qF32x4Pmax) // lo < v ? v : lo (NaN: lo)
		f.simd(qF32x4Pmin) // v < hi ? v : hi
		f.get(magic)
		f.simd(simdF32x4Add) // rounds half to even
	}
	// lo16 shuffles the low 16 bits of two vectors' i32 lanes into one.
	lo16 := func() {
		f.simd(simdI8x16Shuffle)
		for l := range 8 {
			f.op(byte(4*l), byte(4*l+1))
		}
	}
	// quant8 stores the 8 floats at src quantized, as int16 at dst.
	quant8 := func() {
		f.get(dst)
		quant4(0)
		quant4(16)
		lo16()
		f.vStore(0)
	}
	// at sets l = base + (W-k)*size: the last group's address.
	at := func(l, base local, k int32, shift int32) {
		f.get(base)
		f.get(w)
		f.i32c(k)
		f.op(opI32Sub)
		f.i32c(shift)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(l)
	}
	// minSel pushes min(l, k) for i32 locals.
	minSel := func(l, k local) {
		f.get(l)
		f.get(k)
		f.get(l)
		f.get(k)
		f.op(opI32LtS)
		f.op(opSelect)
	}

	f.get(y)
	f.set(yrow)
	f.i32c(0)
	f.set(c)
	f.loop() // channels
	{
		for k := range wv {
			f.get(wts)
			f.i32Load(uint32(4 * k))
			f.simd(qI16x8Splat)
			f.set(wv[k])
		}
		f.get(bias)
		f.vLoadSplat(0)
		f.set(bv)
		f.get(mult)
		f.vLoadSplat(0)
		f.set(mv)

		// Quantize the plane: drow = pad + (PT*wr + PL)*2.
		f.get(pad)
		f.get(pt)
		f.get(wr2)
		f.op(opI32Mul)
		f.op(opI32Add)
		f.get(pl)
		f.i32c(1)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(drow)
		f.i32c(0)
		f.set(iy)
		f.loop() // input rows
		{
			f.get(w)
			f.i32c(8)
			f.op(opI32GeS)
			f.if_()
			{
				// Full groups of 8, then the last 8 again if W%8 != 0.
				f.get(x)
				f.set(src)
				f.get(drow)
				f.set(dst)
				f.get(x)
				f.get(w)
				f.i32c(-8)
				f.op(opI32And)
				f.i32c(2)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.set(end)
				f.loop()
				{
					quant8()
					f.addTo(src, 32)
					f.addTo(dst, 16)
					f.get(src)
					f.get(end)
					f.op(opI32LtU)
					f.brIf(0)
				}
				f.end()
				f.get(w)
				f.i32c(7)
				f.op(opI32And)
				f.if_()
				at(src, x, 8, 2)
				at(dst, drow, 8, 1)
				quant8()
				f.end()
			}
			f.else_()
			{
				// 4 <= W < 8: groups of 4 at 0 and W-4.
				for g := range 2 {
					if g == 0 {
						f.get(x)
						f.set(src)
						f.get(drow)
						f.set(dst)
					} else {
						at(src, x, 4, 2)
						at(dst, drow, 4, 1)
					}
					f.get(dst)
					quant4(0)
					f.tee(t)
					f.get(t)
					lo16()
					f.simd(qV128Store64Lane)
					f.memarg(1, 0)
					f.op(0)
				}
			}
			f.end()
			// x += W*4 (the planes are contiguous); drow += wr*2
			f.get(x)
			f.get(w)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.set(x)
			f.addLocal(drow, wr2)
			f.addTo(iy, 1)
			f.get(iy)
			f.get(h)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()

		// The outputs: q = OW-8, the last group's start (0 if OW < 8).
		f.get(ow)
		f.i32c(8)
		f.op(opI32Sub)
		f.set(q)
		f.get(pad)
		f.set(rowp)
		f.i32c(0)
		f.set(oy)
		f.loop() // output rows
		{
			f.i32c(0)
			f.set(j)
			f.loop() // groups of 8 outputs
			{
				// jj = max(min(j, OW-8), 0)
				minSel(j, q)
				f.tee(jj)
				f.i32c(0)
				f.get(jj)
				f.i32c(0)
				f.op(opI32GtS)
				f.op(opSelect)
				f.set(jj)
				// rb = rowp + jj*S*2
				f.get(rowp)
				f.get(jj)
				f.get(s)
				f.op(opI32Mul)
				f.i32c(1)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.set(rb)
				f.get(bv)
				f.tee(acc0)
				f.set(acc1)
				// mac adds tap vector t times weight k into the sums.
				mac := func(k int) {
					for hh, acc := range []local{acc0, acc1} {
						f.get(acc)
						f.get(t)
						f.get(wv[k])
						f.simd(qI32x4ExtmulLowI16x8S + uint32(hh))
						f.simd(qI32x4Add)
						f.set(acc)
					}
				}
				evens := [8]byte{0, 2, 4, 6, 8, 10, 12, 14}
				odds := [8]byte{1, 3, 5, 7, 9, 11, 13, 15}
				f.get(s)
				f.i32c(1)
				f.op(opI32Eq)
				f.if_()
				for r := range 3 {
					for k := range 3 {
						f.get(rb)
						f.vLoad(uint32(2 * k))
						f.set(t)
						mac(3*r + k)
					}
					if r < 2 {
						f.addLocal(rb, wr2)
					}
				}
				f.else_()
				for r := range 3 {
					f.get(rb)
					f.vLoad(0)
					f.tee(va)
					f.get(rb)
					f.vLoad(16)
					f.tee(vb)
					f.shuffle16(evens)
					f.set(t)
					mac(3 * r)
					f.get(va)
					f.get(vb)
					f.shuffle16(odds)
					f.set(t)
					mac(3*r + 1)
					f.get(rb)
					f.vLoad(4)
					f.get(rb)
					f.vLoad(20)
					f.shuffle16(evens)
					f.set(t)
					mac(3*r + 2)
					if r < 2 {
						f.addLocal(rb, wr2)
					}
				}
				f.end()
				for _, acc := range []local{acc0, acc1} {
					f.get(lov)
					f.get(acc)
					f.simd(qF32x4ConvertS)
					f.get(mv)
					f.simd(simdF32x4Mul)
					f.simd(qF32x4Pmax) // lo < v ? v : lo
					f.get(hiv)
					f.simd(qF32x4Pmin) // hi < v ? hi : v
					f.simd(qF32x4Nearest)
					f.get(ysv)
					f.simd(simdF32x4Mul)
					f.set(acc)
				}
				// Store at yrow + jj*4, or through tmp when OW < 8.
				f.get(q)
				f.i32c(0)
				f.op(opI32GeS)
				f.if_()
				for hh, acc := range []local{acc0, acc1} {
					f.get(yrow)
					f.get(jj)
					f.i32c(2)
					f.op(opI32Shl)
					f.op(opI32Add)
					f.get(acc)
					f.vStore(uint32(16 * hh))
				}
				f.else_()
				for hh, acc := range []local{acc0, acc1} {
					f.get(tmp)
					f.get(acc)
					f.vStore(uint32(16 * hh))
				}
				f.i32c(0)
				f.set(a)
				f.loop()
				{
					f.get(yrow)
					f.get(a)
					f.i32c(2)
					f.op(opI32Shl)
					f.tee(rb)
					f.op(opI32Add)
					f.get(tmp)
					f.get(rb)
					f.op(opI32Add)
					f.f32Load(0)
					f.f32Store(0)
					f.addTo(a, 1)
					f.get(a)
					f.get(ow)
					f.op(opI32LtS)
					f.brIf(0)
				}
				f.end()
				f.end()
				f.addTo(j, 8)
				f.get(j)
				f.get(ow)
				f.op(opI32LtS)
				f.brIf(0)
			}
			f.end()
			// rowp += wr*2*S; yrow += OW*4
			f.get(rowp)
			f.get(wr2)
			f.get(s)
			f.op(opI32Mul)
			f.op(opI32Add)
			f.set(rowp)
			f.get(yrow)
			f.get(ow)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.set(yrow)
			f.addTo(oy, 1)
			f.get(oy)
			f.get(oh)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
		f.addTo(wts, 36)
		f.addTo(bias, 4)
		f.addTo(mult, 4)
		f.addTo(c, 1)
		f.get(c)
		f.get(nc)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
	return f
}
