//go:build !(js && wasm)

package simd

// dwFn emits dw3(): the 3×3 depthwise conv (stride 1 or 2) of one image,
// bias, residual and clamp included, as kern's scalar depthwise computes it.
// Interior columns go 4 outputs per f32x4: stride 1 loads the three taps of
// a row at offsets 0, 1, 2; stride 2 loads 8 inputs and splits even and odd
// lanes with shuffles. The sums are associated as kern's dw3s1/dw3s2 do
// (row 0 left to right from the bias, rows 1 and 2 summed then added), so
// they are bitwise the scalar results. When the interior is not a multiple
// of 4 wide the last group overlaps the one before (recomputing identical
// values). Border columns, and rows whose interior is under 4 wide, take a
// scalar per-tap path with bounds tests, summed like kern's dwBorder.
func dwFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	F := func() local { return f.newLocal(f32) }

	xp, wp, bp, rp, yp, nc, h, w, oh, ow, s, pt, pl, oxLo, oxHi, zero := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	lo, hi := F(), F()
	w4, hw4, npix4, ow4, cnt, vLo, vHi, ixb := L(), L(), L(), L(), L(), L(), L(), L()
	c, oy, iy0, orow, rrow, o, o2, ox, ix0, iy, rowa, base := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	var rows [3]local
	for k := range rows {
		rows[k] = L()
	}
	sum, bsc := F(), F()
	var wv [9]local
	for k := range wv {
		wv[k] = V()
	}
	bv, acc, t0, t1, t2, v0, v1, lov, hiv := V(), V(), V(), V(), V(), V(), V(), V(), V()

	arg := func(l local, word int) {
		f.gget(0)
		f.i32Load(uint32(4 * word))
		f.set(l)
	}
	arg(xp, dwX)
	arg(wp, dwW)
	arg(bp, dwBias)
	arg(rp, dwRes)
	arg(yp, dwY)
	arg(nc, dwC)
	arg(h, dwH)
	arg(w, dwWidth)
	arg(oh, dwOH)
	arg(ow, dwOW)
	arg(s, dwS)
	arg(pt, dwPT)
	arg(pl, dwPL)
	arg(oxLo, dwOxLo)
	arg(oxHi, dwOxHi)
	arg(zero, dwZero)
	f.gget(0)
	f.f32Load(4 * dwLo)
	f.tee(lo)
	f.simd(simdF32x4Splat)
	f.set(lov)
	f.gget(0)
	f.f32Load(4 * dwHi)
	f.tee(hi)
	f.simd(simdF32x4Splat)
	f.set(hiv)

	mul := func(a, b local) {
		f.get(a)
		f.get(b)
		f.op(opI32Mul)
	}
	shl2 := func() {
		f.i32c(2)
		f.op(opI32Shl)
	}
	// w4 = W*4, hw4 = H*W*4, ow4 = OW*4, npix4 = OH*OW*4.
	f.get(w)
	shl2()
	f.set(w4)
	mul(h, w4)
	f.set(hw4)
	f.get(ow)
	shl2()
	f.set(ow4)
	mul(oh, ow4)
	f.set(npix4)
	// cnt = oxHi - oxLo; the vector range [vLo, vHi) is the interior if it
	// is at least 4 wide, else empty (vLo = -1 never matches a column).
	f.get(oxHi)
	f.get(oxLo)
	f.op(opI32Sub)
	f.set(cnt)
	f.get(cnt)
	f.i32c(4)
	f.op(opI32GeS)
	f.if_()
	f.get(oxLo)
	f.set(vLo)
	f.get(oxHi)
	f.set(vHi)
	f.else_()
	f.i32c(-1)
	f.set(vLo)
	f.end()
	// ixb = (oxLo*s - PL)*4: byte offset in a row of the interior's first tap.
	mul(oxLo, s)
	f.get(pl)
	f.op(opI32Sub)
	shl2()
	f.set(ixb)

	f.i32c(0)
	f.set(c)
	f.loop() // channels
	{
		// Weights and bias of this channel, splat.
		for k := range wv {
			f.get(wp)
			f.vLoadSplat(uint32(4 * k))
			f.set(wv[k])
		}
		f.get(bp)
		f.ifResult(f32)
		f.get(bp)
		f.f32Load(0)
		f.else_()
		f.f32c(0)
		f.end()
		f.tee(bsc)
		f.simd(simdF32x4Splat)
		f.set(bv)

		f.i32c(0)
		f.set(oy)
		f.loop() // output rows
		{
			// iy0 = oy*s - PT; orow, rrow = this row in y and res.
			mul(oy, s)
			f.get(pt)
			f.op(opI32Sub)
			f.set(iy0)
			mul(oy, ow4)
			f.tee(orow)
			f.get(rp)
			f.op(opI32Add)
			f.set(rrow)
			f.get(orow)
			f.get(yp)
			f.op(opI32Add)
			f.set(orow)

			f.get(vLo)
			f.i32c(0)
			f.op(opI32GeS)
			f.if_() // vector interior
			{
				// rows[ky] = the interior's first tap in input row iy0+ky,
				// or the zero row outside the image.
				for ky := range rows {
					f.get(xp)
					f.get(iy0)
					f.i32c(int32(ky))
					f.op(opI32Add)
					f.tee(iy)
					f.get(w4)
					f.op(opI32Mul)
					f.op(opI32Add)
					f.get(ixb)
					f.op(opI32Add)
					f.get(zero)
					f.get(iy)
					f.get(h)
					f.op(opI32LtU)
					f.op(opSelect)
					f.set(rows[ky])
				}
				f.i32c(0)
				f.set(o)
				f.block()
				f.loop() // groups of 4 outputs at interior column o
				{
					for ky := range rows {
						// t0, t1, t2 = taps kx = 0, 1, 2 for outputs o..o+3.
						f.get(s)
						f.i32c(1)
						f.op(opI32Eq)
						f.if_()
						{
							f.get(rows[ky])
							f.get(o)
							shl2()
							f.op(opI32Add)
							f.tee(base)
							f.vLoad(0)
							f.set(t0)
							f.get(base)
							f.vLoad(4)
							f.set(t1)
							f.get(base)
							f.vLoad(8)
							f.set(t2)
						}
						f.else_()
						{
							f.get(rows[ky])
							f.get(o)
							f.i32c(3)
							f.op(opI32Shl)
							f.op(opI32Add)
							f.tee(base)
							f.vLoad(0)
							f.set(v0)
							f.get(base)
							f.vLoad(16)
							f.set(v1)
							f.get(v0)
							f.get(v1)
							f.shuffle(0, 2, 4, 6) // inputs 2o, 2o+2, 2o+4, 2o+6
							f.set(t0)
							f.get(v0)
							f.get(v1)
							f.shuffle(1, 3, 5, 7) // 2o+1, ..., 2o+7
							f.set(t1)
							f.get(t0)
							f.get(base)
							f.vLoadSplat(32)      // input 2o+8
							f.shuffle(1, 2, 3, 4) // 2o+2, ..., 2o+8
							f.set(t2)
						}
						f.end()
						madd := func(k int, t local) {
							f.get(wv[k])
							f.get(t)
							f.simd(simdF32x4Mul)
						}
						if ky == 0 { // acc = ((bias + w0 t0) + w1 t1) + w2 t2
							f.get(bv)
							madd(0, t0)
							f.simd(simdF32x4Add)
							madd(1, t1)
							f.simd(simdF32x4Add)
							madd(2, t2)
							f.simd(simdF32x4Add)
							f.set(acc)
						} else { // acc += (wa t0 + wb t1) + wc t2
							f.get(acc)
							madd(3*ky, t0)
							madd(3*ky+1, t1)
							f.simd(simdF32x4Add)
							madd(3*ky+2, t2)
							f.simd(simdF32x4Add)
							f.simd(simdF32x4Add)
							f.set(acc)
						}
					}
					// Epilogue: + res, clamp, store at column oxLo+o.
					f.get(oxLo)
					f.get(o)
					f.op(opI32Add)
					shl2()
					f.set(base)
					f.get(rp)
					f.if_()
					f.get(acc)
					f.get(rrow)
					f.get(base)
					f.op(opI32Add)
					f.vLoad(0)
					f.simd(simdF32x4Add)
					f.set(acc)
					f.end()
					f.get(orow)
					f.get(base)
					f.op(opI32Add)
					f.get(acc)
					f.get(lov)
					f.simd(simdF32x4Max)
					f.get(hiv)
					f.simd(simdF32x4Min)
					f.vStore(0)
					// Next group: done when o+4 reaches cnt; the last one
					// starts at cnt-4.
					f.get(o)
					f.i32c(4)
					f.op(opI32Add)
					f.tee(o2)
					f.get(cnt)
					f.op(opI32GeS)
					f.brIf(1)
					f.get(cnt)
					f.i32c(4)
					f.op(opI32Sub)
					f.get(o2)
					f.get(o2)
					f.i32c(4)
					f.op(opI32Add)
					f.get(cnt)
					f.op(opI32GtS)
					f.op(opSelect) // o2+4 > cnt ? cnt-4 : o2
					f.set(o)
					f.br(0)
				}
				f.end()
				f.end()
			}
			f.end()

			// Scalar columns: every column outside [vLo, vHi).
			f.i32c(0)
			f.set(ox)
			f.block()
			f.loop()
			{
				f.get(ox)
				f.get(vLo)
				f.op(opI32Eq)
				f.if_()
				f.get(vHi)
				f.set(ox)
				f.end()
				f.get(ox)
				f.get(ow)
				f.op(opI32GeS)
				f.brIf(1)

				// sum = bias + Σ in-image taps, in ky, kx order.
				f.get(bsc)
				f.set(sum)
				mul(ox, s)
				f.get(pl)
				f.op(opI32Sub)
				f.set(ix0)
				for ky := range 3 {
					f.get(iy0)
					f.i32c(int32(ky))
					f.op(opI32Add)
					f.tee(iy)
					f.get(h)
					f.op(opI32LtU)
					f.if_()
					{
						// rowa = &x[iy][ix0]
						f.get(xp)
						f.get(iy)
						f.get(w4)
						f.op(opI32Mul)
						f.op(opI32Add)
						f.get(ix0)
						shl2()
						f.op(opI32Add)
						f.set(rowa)
						for kx := range 3 {
							f.get(ix0)
							f.i32c(int32(kx))
							f.op(opI32Add)
							f.get(w)
							f.op(opI32LtU)
							f.if_()
							f.get(sum)
							f.get(wp)
							f.f32Load(uint32(4 * (3*ky + kx)))
							f.get(rowa)
							f.f32Load(uint32(4 * kx))
							f.op(opF32Mul)
							f.op(opF32Add)
							f.set(sum)
							f.end()
						}
					}
					f.end()
				}
				// + res, clamp, store.
				f.get(ox)
				shl2()
				f.set(base)
				f.get(rp)
				f.if_()
				f.get(sum)
				f.get(rrow)
				f.get(base)
				f.op(opI32Add)
				f.f32Load(0)
				f.op(opF32Add)
				f.set(sum)
				f.end()
				f.get(orow)
				f.get(base)
				f.op(opI32Add)
				f.get(sum)
				f.get(lo)
				f.op(opF32Max)
				f.get(hi)
				f.op(opF32Min)
				f.f32Store(0)

				f.addTo(ox, 1)
				f.br(0)
			}
			f.end()
			f.end()

			f.addTo(oy, 1)
			f.get(oy)
			f.get(oh)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()

		// Next channel.
		f.addLocal(xp, hw4)
		f.addLocal(yp, npix4)
		f.get(rp)
		f.if_()
		f.addLocal(rp, npix4)
		f.end()
		f.get(bp)
		f.if_()
		f.addTo(bp, 4)
		f.end()
		f.addTo(wp, 36)
		f.addTo(c, 1)
		f.get(c)
		f.get(nc)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
	return f
}
