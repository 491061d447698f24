//go:build !(js && wasm)

package simd

// SIMD opcodes qdw() uses beyond qgemm.go's.
const (
	qI16x8Splat           = 0x10
	qV128Store32Lane      = 0x5a
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
//     the one before when W is not a multiple of the group); under stride
//     2 each padded row is stored de-interleaved, its even columns in the
//     first half (wr/2 values, wr even) and its odd ones in the second;
//     an input of quantized bytes (q8.go) is widened instead;
//   - 8 outputs at a time (the last group overlapping when OW is not a
//     multiple of 8, through tmp when OW < 8) sum the nine taps exactly in
//     int32 with i32x4.extmul_{low,high}_i16x8_s against splatted weights,
//     from the bias; under stride 2, taps 0 and 2 of a row are the even
//     half at the outputs' column and one past it, tap 1 the odd half:
//     plain loads, as under stride 1;
//   - the requantizing epilogue: f32x4.convert_i32x4_s, × multiplier,
//     pmax with the low bound, pmin with the high one (min and max for
//     every value but NaN, which goes to the low bound as in
//     kern.QConvRef), f32x4.nearest, × y_scale; or, for an output of
//     quantized bytes, the bytes (q8.go).
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
	ix, rbase, g, eoff, ooff := L(), L(), L(), L(), L()
	in8, xsigned, xzp, out8, yzp, xstep, ostep := L(), L(), L(), L(), L(), L(), L()
	fxs, fxlo, fxhi, flo, fhi, fys := F(), F(), F(), F(), F(), F()
	xsv, xlov, xhiv, lov, hiv, ysv, magic := V(), V(), V(), V(), V(), V(), V()
	var wv [9]local
	for k := range wv {
		wv[k] = V()
	}
	bv, mv, acc0, acc1, t := V(), V(), V(), V(), V()
	xorv, subv, zpv := V(), V(), V()
	for _, p := range []struct {
		l    local
		word int
	}{{x, qdX}, {y, qdY}, {wts, qdWts}, {bias, qdBias}, {mult, qdMult}, {pad, qdPad}, {tmp, qdTmp},
		{nc, qdC}, {h, qdH}, {w, qdW}, {oh, qdOH}, {ow, qdOW}, {s, qdS}, {pt, qdPT}, {pl, qdPL}, {wr2, qdWR},
		{in8, qdIn8}, {xsigned, qdXSigned}, {xzp, qdXZP}, {out8, qdOut8}, {yzp, qdYZP}} {
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
	widenConsts(f, xsigned, xzp, xorv, subv)
	f.get(yzp)
	f.simd(qI32x4Splat)
	f.set(zpv)
	// xstep = W << (in8 ? 0 : 2), ostep = out8 ? 1 : 4: bytes per input
	// row and per output value.
	f.get(w)
	f.i32c(0)
	f.i32c(2)
	f.get(in8)
	f.op(opSelect)
	f.op(opI32Shl)
	f.set(xstep)
	f.i32c(1)
	f.i32c(4)
	f.get(out8)
	f.op(opSelect)
	f.set(ostep)
	// halfOff pushes where padded column col+lane lands in a stride-2
	// row, in bytes from its start: c = col+lane at (c&1)·wr + (c>>1)·2
	// (the odd half starts wr/2 values, wr bytes, in); wr pushes wr.
	halfOff := func(col local, lane int, wr func()) {
		c := func() {
			f.get(col)
			if lane == 1 {
				f.i32c(1)
				f.op(opI32Add)
			}
		}
		c()
		f.i32c(1)
		f.op(opI32And)
		wr()
		f.op(opI32Mul)
		c()
		f.i32c(1)
		f.op(qOpI32ShrU)
		f.i32c(1)
		f.op(opI32Shl)
		f.op(opI32Add)
	}
	// eoff, ooff: where column PL's even and odd lanes go (wr2 still holds
	// wr here).
	for lane, l := range []local{eoff, ooff} {
		halfOff(pl, lane, func() { f.get(wr2) })
		f.set(l)
	}
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

	// Stride 2 keeps each padded row de-interleaved: its even columns at
	// 0, its odd ones at wr/2 (wr is even), so that the taps of 8
	// outputs are plain loads. split8/split4 push the quantized values'
	// int16 even lanes then odd lanes; store2 stores them for the input
	// group starting at column ix of the row at drow - PL*2 (the even
	// lanes land in the half of padded column g = PL+ix's parity at g>>1,
	// the odd ones in the other half at (g+1)>>1).
	split := func(lanes int) {
		order := []int{0, 2, 4, 6, 1, 3, 5, 7} // element e: vector e/4, i32 lane e%4
		if lanes == 4 {
			order = []int{0, 2, 1, 3, 0, 2, 1, 3}
		}
		f.simd(simdI8x16Shuffle)
		for _, e := range order {
			b := byte(16*(e/4) + 4*(e%4))
			f.op(b, b+1)
		}
	}
	// store2 with even ix: the halves' offsets for columns PL + ix are
	// eoff + ix and ooff + ix (computed once, below).
	store2even := func() {
		for lane, off := range []local{eoff, ooff} {
			f.get(rbase)
			f.get(off)
			f.op(opI32Add)
			f.get(ix)
			f.op(opI32Add)
			f.get(t)
			f.simd(qV128Store64Lane)
			f.memarg(0, 0)
			f.op(byte(lane))
		}
	}
	store2 := func(lanes int) {
		// g = PL + ix
		f.get(pl)
		f.get(ix)
		f.op(opI32Add)
		f.set(g)
		for lane := range 2 {
			// the even lanes at rbase + halfOff(g, 0), the odd ones at
			// rbase + halfOff(g, 1) (wr2/2 is wr here)
			halfOff(g, lane, func() {
				f.get(wr2)
				f.i32c(1)
				f.op(qOpI32ShrU)
			})
			f.get(rbase)
			f.op(opI32Add)
			f.get(t)
			if lanes == 8 {
				f.simd(qV128Store64Lane)
			} else {
				f.simd(qV128Store32Lane)
			}
			f.memarg(0, 0)
			f.op(byte(lane))
		}
	}
	// group quantizes the input group at column ix of row x and stores it.
	group := func(lanes int, even bool) {
		f.get(x)
		f.get(ix)
		f.i32c(2)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(src)
		quant4(0)
		if lanes == 8 {
			quant4(16)
		} else {
			f.tee(t)
			f.get(t)
		}
		split(lanes)
		f.set(t)
		if even {
			store2even()
		} else {
			store2(lanes)
		}
	}
	// byteRow fills the padded row at drow from a row of quantized bytes
	// at x (q8.go): groups of 8 (the last overlapping), or of 4 at 0 and
	// W-4 when W < 8; stride 2 de-interleaved as quantRow2 does.
	byteGroup := func(four, even bool) {
		f.get(x)
		f.get(ix)
		f.op(opI32Add)
		f.set(src)
		widen8(f, src, four, xorv, subv)
		f.set(t)
		f.get(s)
		f.i32c(1)
		f.op(opI32Eq)
		f.if_()
		{
			// dst = drow + ix*2
			f.get(drow)
			f.get(ix)
			f.i32c(1)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.get(t)
			if four {
				f.simd(qV128Store64Lane)
				f.memarg(0, 0)
				f.op(0)
			} else {
				f.vStore(0)
			}
		}
		f.else_()
		{
			f.get(t)
			f.get(t)
			if four {
				f.shuffle16([8]byte{0, 2, 1, 3, 0, 2, 1, 3})
			} else {
				f.shuffle16([8]byte{0, 2, 4, 6, 1, 3, 5, 7})
			}
			f.set(t)
			switch {
			case even:
				store2even()
			case four:
				store2(4)
			default:
				store2(8)
			}
		}
		f.end()
	}
	// rowGroups emits one input row's groups: rbase = drow − PL·2 (the
	// row's start), then with W ≥ 8 wide (if any) from ix = 0, groups of 8
	// from ix while they fit (ix even) and the last 8 again if W%8 ≠ 0;
	// with W < 8 groups of 4 at 0 and W−4. group(four, even) does one at
	// column ix.
	rowGroups := func(group func(four, even bool), wide func()) {
		f.get(drow)
		f.get(pl)
		f.i32c(1)
		f.op(opI32Shl)
		f.op(opI32Sub)
		f.set(rbase)
		f.get(w)
		f.i32c(8)
		f.op(opI32GeS)
		f.if_()
		{
			f.i32c(0)
			f.set(ix)
			if wide != nil {
				wide()
			}
			f.block()
			f.loop()
			{
				f.get(ix)
				f.get(w)
				f.i32c(8)
				f.op(opI32Sub)
				f.op(opI32GtS)
				f.brIf(1)
				group(false, true)
				f.addTo(ix, 8)
				f.br(0)
			}
			f.end()
			f.end()
			f.get(w)
			f.i32c(7)
			f.op(opI32And)
			f.if_()
			f.get(w)
			f.i32c(8)
			f.op(opI32Sub)
			f.set(ix)
			group(false, false)
			f.end()
		}
		f.else_()
		{
			f.i32c(0)
			f.set(ix)
			group(true, false)
			f.get(w)
			f.i32c(4)
			f.op(opI32Sub)
			f.set(ix)
			group(true, false)
		}
		f.end()
	}
	// byteRow fills the padded row at drow from a row of quantized bytes
	// at x (q8.go), under stride 2 16 at a time where it can.
	byteRow := func() {
		rowGroups(byteGroup, func() {
			// Stride 2: 16 bytes at a time, split into evens and odds by
			// one shuffle and widened as two halves.
			f.get(s)
			f.i32c(2)
			f.op(opI32Eq)
			f.get(w)
			f.i32c(16)
			f.op(opI32GeS)
			f.op(opI32And)
			f.if_()
			f.loop()
			{
				f.get(x)
				f.get(ix)
				f.op(opI32Add)
				f.vLoad(0)
				f.tee(t)
				f.get(t)
				f.simd(simdI8x16Shuffle)
				f.op(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15)
				f.set(t)
				for half, off := range []local{eoff, ooff} {
					f.get(rbase)
					f.get(off)
					f.op(opI32Add)
					f.get(ix)
					f.op(opI32Add)
					f.get(t)
					f.simd(qI16x8ExtendLowI8x16 + uint32(half)) // low: evens, high: odds
					f.get(xorv)
					f.simd(qV128Xor)
					f.get(subv)
					f.simd(qI16x8Sub)
					f.vStore(0)
				}
				f.addTo(ix, 16)
				f.get(ix)
				f.get(w)
				f.i32c(16)
				f.op(opI32Sub)
				f.op(opI32LeS)
				f.brIf(0)
			}
			f.end()
			f.end()
		})
	}
	// quantRow2 fills a stride-2 padded row from floats.
	quantRow2 := func() {
		rowGroups(func(four, even bool) {
			if four {
				group(4, false)
			} else {
				group(8, even)
			}
		}, nil)
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
			f.get(in8)
			f.if_()
			byteRow()
			f.else_()
			f.get(s)
			f.i32c(2)
			f.op(opI32Eq)
			f.if_()
			quantRow2()
			f.else_()
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
			f.end()
			f.end()
			// x += xstep (the planes are contiguous); drow += wr*2
			f.addLocal(x, xstep)
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
				// rb = rowp + jj*2 (stride 2: in the even half)
				f.get(rowp)
				f.get(jj)
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
				// Stride 2: taps 0 and 2 from the even half (E[jj], E[jj+1]),
				// tap 1 from the odd half (O[jj], wr bytes on).
				for r := range 3 {
					f.get(rb)
					f.vLoad(0)
					f.set(t)
					mac(3 * r)
					f.get(rb)
					f.get(wr2)
					f.i32c(1)
					f.op(qOpI32ShrU)
					f.op(opI32Add)
					f.vLoad(0)
					f.set(t)
					mac(3*r + 1)
					f.get(rb)
					f.vLoad(2)
					f.set(t)
					mac(3*r + 2)
					if r < 2 {
						f.addLocal(rb, wr2)
					}
				}
				f.end()
				for _, acc := range []local{acc0, acc1} {
					requantClamp(f, acc, mv, lov, hiv)
					f.set(acc)
				}
				// rb = yrow + jj*ostep: where the 8 outputs go
				f.get(yrow)
				f.get(jj)
				f.get(ostep)
				f.op(opI32Mul)
				f.op(opI32Add)
				f.set(rb)
				f.get(out8)
				f.if_()
				{
					for _, acc := range []local{acc0, acc1} {
						f.get(acc)
						toBytes(f, magic, zpv)
					}
					lowBytes(f)
					f.set(t)
					f.get(q)
					f.i32c(0)
					f.op(opI32GeS)
					f.if_()
					f.get(rb)
					f.get(t)
					f.simd(qV128Store64Lane)
					f.memarg(0, 0)
					f.op(0)
					f.else_()
					f.get(tmp)
					f.get(t)
					f.vStore(0)
					copyElems(f, rb, tmp, a, ow, 1)
					f.end()
				}
				f.else_()
				{
					for _, acc := range []local{acc0, acc1} {
						f.get(acc)
						f.simd(qF32x4Nearest)
						f.get(ysv)
						f.simd(simdF32x4Mul)
						f.set(acc)
					}
					// Store at rb, or through tmp when OW < 8.
					f.get(q)
					f.i32c(0)
					f.op(opI32GeS)
					f.if_()
					for hh, acc := range []local{acc0, acc1} {
						f.get(rb)
						f.get(acc)
						f.vStore(uint32(16 * hh))
					}
					f.else_()
					for hh, acc := range []local{acc0, acc1} {
						f.get(tmp)
						f.get(acc)
						f.vStore(uint32(16 * hh))
					}
					copyElems(f, yrow, tmp, a, ow, 4)
					f.end()
				}
				f.end()
				f.addTo(j, 8)
				f.get(j)
				f.get(ow)
				f.op(opI32LtS)
				f.brIf(0)
			}
			f.end()
			// rowp += wr*2*S; yrow += OW*ostep
			f.get(rowp)
			f.get(wr2)
			f.get(s)
			f.op(opI32Mul)
			f.op(opI32Add)
			f.set(rowp)
			f.get(yrow)
			f.get(ow)
			f.get(ostep)
			f.op(opI32Mul)
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
