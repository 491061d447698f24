//go:build !(js && wasm)

package simd

// The fourth kernels module, ops3.wasm (ops2.wasm is near 4 KB): max3s2()
// (below) and dwc(), a k×k depthwise conv that puts 4 channels in the 4 lanes, for planes too
// narrow for dw5's groups of 4 columns (7×7 and 14×14 in the zoo's
// MobileNetV3, EfficientNet, MnasNet). Every lane does one channel's
// scalar operations in kern's order: interior columns by kernel rows as
// kern's dw5 (a zero row above or below the image), border columns per
// in-image tap as kern's dwBorder, so the results are bitwise kern's.

const simdF32x4ReplaceLn = 0x20

// Ops3Module returns ops3.wasm's bytes. Exports: bind(p), dwc(),
// max3s2().
func Ops3Module() []byte {
	bind := &fn{params: []valType{i32}}
	bind.get(0)
	bind.gset(0)
	return assemble([]export{
		{"bind", bind},
		{"dwc", dwcFn()},
		{"max3s2", max3s2Fn()},
	}, 1)
}

// max3s2Fn emits max3s2(): pool() (pl* layout) specialised to a 3×3 max
// pool at stride 2 (SqueezeNet's): for 4 outputs, the column maxima of
// the three input rows over inputs 0..7 (two vectors) and 8 (a splat),
// then the even, odd and shifted-even lanes. max is exact and symmetric
// (f32x4.max orders -0 below +0 either way), so the result is pool()'s.
func max3s2Fn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	arg := argLoader(f)
	xp, yp, planes, h, w, oh, ow, pt, oyLo, oyHi, oxLo, cnt, ixb := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	w4, hw4, ow4, npix4, p, oy, row, o, o2, q := L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	a, b, c, e := V(), V(), V(), V()
	for _, x := range []struct {
		l local
		w int
	}{{xp, plX}, {yp, plY}, {planes, plPlanes}, {h, plH}, {w, plW}, {oh, plOH}, {ow, plOW}, {pt, plPT},
		{oyLo, plOyLo}, {oyHi, plOyHi}, {oxLo, plOxLo}, {cnt, plCnt}, {ixb, plIXB}} {
		arg(x.l, x.w)
	}
	f.get(w)
	f.shl(2)
	f.tee(w4)
	f.get(h)
	f.op(opI32Mul)
	f.set(hw4)
	f.get(ow)
	f.shl(2)
	f.tee(ow4)
	f.get(oh)
	f.op(opI32Mul)
	f.set(npix4)
	// vmax3 leaves max over the 3 rows of the v128 at q+off (splat: one float).
	vmax3 := func(off uint32, splat bool) {
		for r := range 3 {
			f.get(q)
			if r > 0 {
				f.get(w4)
				if r == 2 {
					f.i32c(1)
					f.op(opI32Shl)
				}
				f.op(opI32Add)
			}
			if splat {
				f.vLoadSplat(off)
			} else {
				f.vLoad(off)
			}
			if r > 0 {
				f.simd(simdF32x4Max)
			}
		}
	}
	f.i32c(0)
	f.set(p)
	f.block()
	f.loop() // planes
	{
		f.get(p)
		f.get(planes)
		f.op(opI32GeS)
		f.brIf(1)
		f.get(oyLo)
		f.set(oy)
		f.block()
		f.loop() // interior rows
		{
			f.get(oy)
			f.get(oyHi)
			f.op(opI32GeS)
			f.brIf(1)
			f.get(xp)
			f.get(oy)
			f.i32c(1)
			f.op(opI32Shl)
			f.get(pt)
			f.op(opI32Sub)
			f.get(w4)
			f.op(opI32Mul)
			f.op(opI32Add)
			f.get(ixb)
			f.op(opI32Add)
			f.set(row)
			f.i32c(0)
			f.set(o)
			f.block()
			f.loop() // groups of 4 outputs at o: inputs 2o..2o+8
			{
				f.get(row)
				f.get(o)
				f.i32c(3)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.set(q)
				vmax3(0, false)
				f.set(a)
				vmax3(16, false)
				f.set(b)
				vmax3(32, true)
				f.set(c)
				f.get(a)
				f.get(b)
				f.shuffle(0, 2, 4, 6)
				f.tee(e)
				f.get(a)
				f.get(b)
				f.shuffle(1, 3, 5, 7)
				f.simd(simdF32x4Max)
				f.get(e)
				f.get(c)
				f.shuffle(1, 2, 3, 4)
				f.simd(simdF32x4Max)
				f.set(a)
				f.get(yp)
				f.get(oy)
				f.get(ow4)
				f.op(opI32Mul)
				f.op(opI32Add)
				f.get(oxLo)
				f.get(o)
				f.op(opI32Add)
				f.shl(2)
				f.op(opI32Add)
				f.get(a)
				f.vStore(0)
				f.nextGroup(o, o2, cnt)
			}
			f.end()
			f.end()
			f.addTo(oy, 1)
			f.br(0)
		}
		f.end()
		f.end()
		f.addLocal(xp, hw4)
		f.addLocal(yp, npix4)
		f.addTo(p, 1)
		f.br(0)
	}
	f.end()
	f.end()
	return f
}

// gather4 leaves (p[0], p[d], p[2d], p[3d]) as f32x4: p, d locals (bytes).
func (f *fn) gather4(p, d local) {
	f.get(p)
	f.vLoadSplat(0)
	for l := 1; l < 4; l++ {
		f.get(p)
		f.get(d)
		if l > 1 {
			f.i32c(int32(l))
			f.op(opI32Mul)
		}
		f.op(opI32Add)
		f.f32Load(0)
		f.simd(simdF32x4ReplaceLn)
		f.op(byte(l))
	}
}

func dwcFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	arg := argLoader(f)
	xp, wp, bp, rp, yp, c4, h, w, oh, ow, s, pt, pl, k, oxLo, oxHi, tp := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	hw4, npix4, kk4, wt, z, g, i, oy, ox, iy0, ix0, ky, kx, iy, inner, rowp, wr, o, q := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	acc, rs, bv, lov, hiv := V(), V(), V(), V(), V()
	for n, l := range []local{xp, wp, bp, rp, yp, c4, h, w, oh, ow, s, pt, pl, k, oxLo, oxHi, tp} {
		arg(l, dcX+n)
	}
	f.gget(0)
	f.vLoadSplat(4 * dcLo)
	f.set(lov)
	f.gget(0)
	f.vLoadSplat(4 * dcHi)
	f.set(hiv)
	f.get(h)
	f.get(w)
	f.op(opI32Mul)
	f.shl(2)
	f.tee(hw4)
	f.shl(2)
	f.get(tp)
	f.op(opI32Add)
	f.set(wt) // after the interleaved planes
	f.get(k)
	f.get(k)
	f.op(opI32Mul)
	f.shl(2)
	f.tee(kk4)
	f.shl(2)
	f.get(wt)
	f.op(opI32Add)
	f.set(z)
	f.get(oh)
	f.get(ow)
	f.op(opI32Mul)
	f.shl(2)
	f.set(npix4)

	f.i32c(0)
	f.set(g)
	f.block()
	f.loop() // groups of 4 channels
	{
		f.get(g)
		f.get(c4)
		f.op(opI32GeS)
		f.brIf(1)
		// Interleave the 4 planes into tp and the 4 kernels into wt.
		f.i32c(0)
		f.set(i)
		f.loop()
		{
			f.get(tp)
			f.get(i)
			f.shl(2)
			f.op(opI32Add)
			f.get(xp)
			f.get(i)
			f.op(opI32Add)
			f.set(q)
			f.gather4(q, hw4)
			f.vStore(0)
			f.addTo(i, 4)
			f.get(i)
			f.get(hw4)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
		f.i32c(0)
		f.set(i)
		f.loop()
		{
			f.get(wt)
			f.get(i)
			f.shl(2)
			f.op(opI32Add)
			f.get(wp)
			f.get(i)
			f.op(opI32Add)
			f.set(q)
			f.gather4(q, kk4)
			f.vStore(0)
			f.addTo(i, 4)
			f.get(i)
			f.get(kk4)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
		f.get(bp)
		f.ifV128()
		f.get(bp)
		f.vLoad(0)
		f.else_()
		f.f32c(0)
		f.simd(simdF32x4Splat)
		f.end()
		f.set(bv)

		f.i32c(0)
		f.set(oy)
		f.loop() // output rows
		{
			f.get(oy)
			f.get(s)
			f.op(opI32Mul)
			f.get(pt)
			f.op(opI32Sub)
			f.set(iy0)
			f.i32c(0)
			f.set(ox)
			f.loop() // output columns
			{
				f.get(ox)
				f.get(s)
				f.op(opI32Mul)
				f.get(pl)
				f.op(opI32Sub)
				f.set(ix0)
				f.get(ox)
				f.get(oxLo)
				f.op(opI32GeS)
				f.get(ox)
				f.get(oxHi)
				f.op(opI32LtS)
				f.op(opI32And)
				f.set(inner)
				f.get(bv)
				f.set(acc)
				f.get(wt)
				f.set(wr)
				f.i32c(0)
				f.set(ky)
				f.loop() // kernel rows
				{
					f.get(iy0)
					f.get(ky)
					f.op(opI32Add)
					f.set(iy)
					// rowp = &T[iy][ix0] (16 bytes a pixel)
					f.get(tp)
					f.get(iy)
					f.get(w)
					f.op(opI32Mul)
					f.get(ix0)
					f.op(opI32Add)
					f.i32c(4)
					f.op(opI32Shl)
					f.op(opI32Add)
					f.set(rowp)
					f.get(inner)
					f.if_()
					{
						// rs = w0 t0 + w1 t1 + ... (a zero row outside); acc += rs
						f.get(rowp)
						f.get(z)
						f.get(iy)
						f.get(h)
						f.op(opI32LtU)
						f.op(opSelect)
						f.set(rowp)
						f.get(wr)
						f.vLoad(0)
						f.get(rowp)
						f.vLoad(0)
						f.simd(simdF32x4Mul)
						f.set(rs)
						f.i32c(1)
						f.set(kx)
						f.loop()
						{
							f.get(rs)
							f.get(wr)
							f.get(kx)
							f.i32c(4)
							f.op(opI32Shl)
							f.tee(o)
							f.op(opI32Add)
							f.vLoad(0)
							f.get(rowp)
							f.get(o)
							f.op(opI32Add)
							f.vLoad(0)
							f.simd(simdF32x4Mul)
							f.simd(simdF32x4Add)
							f.set(rs)
							f.addTo(kx, 1)
							f.get(kx)
							f.get(k)
							f.op(opI32LtS)
							f.brIf(0)
						}
						f.end()
						f.get(acc)
						f.get(rs)
						f.simd(simdF32x4Add)
						f.set(acc)
					}
					f.else_()
					f.get(iy)
					f.get(h)
					f.op(opI32LtU)
					f.if_()
					{
						// acc += w t for each in-image tap
						f.i32c(0)
						f.set(kx)
						f.loop()
						{
							f.get(ix0)
							f.get(kx)
							f.op(opI32Add)
							f.get(w)
							f.op(opI32LtU)
							f.if_()
							f.get(acc)
							f.get(wr)
							f.get(kx)
							f.i32c(4)
							f.op(opI32Shl)
							f.tee(o)
							f.op(opI32Add)
							f.vLoad(0)
							f.get(rowp)
							f.get(o)
							f.op(opI32Add)
							f.vLoad(0)
							f.simd(simdF32x4Mul)
							f.simd(simdF32x4Add)
							f.set(acc)
							f.end()
							f.addTo(kx, 1)
							f.get(kx)
							f.get(k)
							f.op(opI32LtS)
							f.brIf(0)
						}
						f.end()
					}
					f.end()
					f.end()
					f.get(wr)
					f.get(k)
					f.i32c(4)
					f.op(opI32Shl)
					f.op(opI32Add)
					f.set(wr)
					f.addTo(ky, 1)
					f.get(ky)
					f.get(k)
					f.op(opI32LtS)
					f.brIf(0)
				}
				f.end()
				// o = (oy*OW + ox)*4; + res, clamp, scatter to the 4 planes.
				f.get(oy)
				f.get(ow)
				f.op(opI32Mul)
				f.get(ox)
				f.op(opI32Add)
				f.shl(2)
				f.set(o)
				f.get(rp)
				f.if_()
				f.get(rp)
				f.get(o)
				f.op(opI32Add)
				f.set(q)
				f.get(acc)
				f.gather4(q, npix4)
				f.simd(simdF32x4Add)
				f.set(acc)
				f.end()
				f.get(acc)
				f.get(lov)
				f.simd(simdF32x4Max)
				f.get(hiv)
				f.simd(simdF32x4Min)
				f.set(acc)
				f.get(yp)
				f.get(o)
				f.op(opI32Add)
				f.set(q)
				for l := range 4 {
					f.get(q)
					f.get(acc)
					f.lane(byte(l))
					f.f32Store(0)
					if l < 3 {
						f.addLocal(q, npix4)
					}
				}
				f.addTo(ox, 1)
				f.get(ox)
				f.get(ow)
				f.op(opI32LtS)
				f.brIf(0)
			}
			f.end()
			f.addTo(oy, 1)
			f.get(oy)
			f.get(oh)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
		// Next 4 channels.
		f.get(xp)
		f.get(hw4)
		f.shl(2)
		f.op(opI32Add)
		f.set(xp)
		f.get(yp)
		f.get(npix4)
		f.shl(2)
		f.op(opI32Add)
		f.set(yp)
		f.get(rp)
		f.if_()
		f.get(rp)
		f.get(npix4)
		f.shl(2)
		f.op(opI32Add)
		f.set(rp)
		f.end()
		f.get(bp)
		f.if_()
		f.addTo(bp, 16)
		f.end()
		f.get(wp)
		f.get(kk4)
		f.shl(2)
		f.op(opI32Add)
		f.set(wp)
		f.addTo(g, 4)
		f.br(0)
	}
	f.end()
	f.end()
	return f
}
