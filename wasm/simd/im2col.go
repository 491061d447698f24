//go:build !(js && wasm)

package simd

// im2colFn emits im2col(): kern's packIm2col for 8-wide strips. For each
// row k = (c, ky, kx) of the im2col matrix it walks output pixels
// j0..j0+nb-1 one output-row segment at a time, writing the input tap (or
// 0 outside the image) into column j of strip j/8. Within a segment the
// taps inside the image form one run [tLo, tHi), found with two divisions,
// so no element is bounds-tested; whole groups of 8 (a strip's row) are
// copied as vectors (stride 1), de-interleaved from 16 (stride 2) or
// zeroed, the rest go one float at a time. Small planes, whose groups
// straddle output rows, and pad columns take the same path.
func im2colFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	xp, dst, h, w, kh, kw, sh, sw, pt, pl, dh, dw, ow, j0, nb, kg := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	kk, sz4, hw4, k, c, r, ky, kx, plane, offY, offX, oy, ox, d, q, j, iy, ix := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	n, t, tLo, tHi, lim, row, cp := L(), L(), L(), L(), L(), L(), L()
	zv := f.newLocal(v128)

	for i, l := range []local{xp, dst, h, w, kh, kw, sh, sw, pt, pl, dh, dw, ow, j0, nb, kg} {
		f.gget(0)
		f.i32Load(uint32(4 * i))
		f.set(l)
	}
	bin := func(a, b local, op byte) {
		f.get(a)
		f.get(b)
		f.op(op)
	}
	// minTo sets dst = min(a, b) (signed).
	minTo := func(dst, a, b local) {
		f.get(a)
		f.get(b)
		bin(a, b, opI32LtS)
		f.op(opSelect)
		f.set(dst)
	}
	bin(kh, kw, opI32Mul)
	f.set(kk)
	f.get(kg)
	f.i32c(5)
	f.op(opI32Shl)
	f.set(sz4) // bytes per strip: kg*8*4
	bin(h, w, opI32Mul)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(hw4)
	f.f32c(0)
	f.simd(simdF32x4Splat)
	f.set(zv)

	f.i32c(0)
	f.set(k)
	f.loop() // rows k of the im2col matrix
	{
		// c = k/kk, r = k%kk, ky = r/KW, kx = r%KW
		bin(k, kk, opI32DivU)
		f.set(c)
		f.get(k)
		bin(c, kk, opI32Mul)
		f.op(opI32Sub)
		f.set(r)
		bin(r, kw, opI32DivU)
		f.set(ky)
		f.get(r)
		bin(ky, kw, opI32Mul)
		f.op(opI32Sub)
		f.set(kx)
		// plane = x + c*hw4; offY = ky*DH - PT; offX = kx*DW - PL
		f.get(xp)
		bin(c, hw4, opI32Mul)
		f.op(opI32Add)
		f.set(plane)
		bin(ky, dh, opI32Mul)
		f.get(pt)
		f.op(opI32Sub)
		f.set(offY)
		bin(kx, dw, opI32Mul)
		f.get(pl)
		f.op(opI32Sub)
		f.set(offX)
		// oy, ox = j0 / OW, j0 % OW; d = dst + k*32; q = 0 (byte in group)
		bin(j0, ow, opI32DivU)
		f.set(oy)
		f.get(j0)
		bin(oy, ow, opI32Mul)
		f.op(opI32Sub)
		f.set(ox)
		f.get(dst)
		f.get(k)
		f.i32c(5)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.set(d)
		f.i32c(0)
		f.set(q)
		f.i32c(0)
		f.set(j)
		f.loop() // segments: the rest of output row oy, or of the block
		{
			// n = min(nb - j, OW - ox)
			bin(nb, j, opI32Sub)
			f.set(n)
			bin(ow, ox, opI32Sub)
			f.set(t)
			minTo(n, n, t)
			// iy = oy*SH + offY; ix = ox*SW + offX; row = plane + iy*W*4
			bin(oy, sh, opI32Mul)
			f.get(offY)
			f.op(opI32Add)
			f.set(iy)
			bin(ox, sw, opI32Mul)
			f.get(offX)
			f.op(opI32Add)
			f.set(ix)
			f.get(plane)
			bin(iy, w, opI32Mul)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.set(row)
			// Taps t in [tLo, tHi) are inside the image: tLo = ceil(-ix/SW)
			// if ix < 0, tHi = ceil((W-ix)/SW) if ix < W; both at most n;
			// a row outside the image has none (tLo = tHi = n).
			bin(iy, h, opI32LtU)
			f.if_()
			{
				f.get(sw)
				f.i32c(1)
				f.op(opI32Sub)
				f.get(ix)
				f.op(opI32Sub)
				f.get(sw)
				f.op(opI32DivU)
				f.i32c(0)
				f.get(ix)
				f.i32c(0)
				f.op(opI32LtS)
				f.op(opSelect)
				f.set(tLo)
				f.get(w)
				f.get(ix)
				f.op(opI32Sub)
				f.get(sw)
				f.op(opI32Add)
				f.i32c(1)
				f.op(opI32Sub)
				f.get(sw)
				f.op(opI32DivU)
				f.i32c(0)
				bin(ix, w, opI32LtS)
				f.op(opSelect)
				f.set(tHi)
				minTo(tLo, tLo, n)
				minTo(tHi, tHi, n)
				// tHi = max(tHi, tLo)
				f.get(tLo)
				f.get(tHi)
				bin(tHi, tLo, opI32LtS)
				f.op(opSelect)
				f.set(tHi)
			}
			f.else_()
			{
				f.get(n)
				f.tee(tLo)
				f.set(tHi)
			}
			f.end()
			f.i32c(0)
			f.set(t)
			f.loop() // elements t of the segment
			{
				// cp: tap t is in the image; lim: where its run ends.
				bin(t, tLo, opI32GeS)
				bin(t, tHi, opI32LtS)
				f.op(opI32And)
				f.set(cp)
				f.get(tLo)
				f.get(tHi)
				f.get(n)
				bin(t, tHi, opI32LtS)
				f.op(opSelect)
				bin(t, tLo, opI32LtS)
				f.op(opSelect)
				f.set(lim)
				// r = row + (ix + t*SW)*4: tap t's address when cp.
				f.get(row)
				f.get(ix)
				bin(t, sw, opI32Mul)
				f.op(opI32Add)
				f.i32c(2)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.set(r)
				f.block() // next
				f.block() // scalar
				{
					// A whole group in one run: q == 0, t+8 <= lim, and a
					// copy only at stride 1 or 2.
					f.get(q)
					f.op(opI32Eqz)
					f.get(t)
					f.i32c(8)
					f.op(opI32Add)
					f.get(lim)
					f.op(opI32LeS)
					f.op(opI32And)
					f.get(cp)
					f.op(opI32Eqz)
					f.get(sw)
					f.i32c(1)
					f.op(opI32Sub)
					f.i32c(2)
					f.op(opI32LtU)
					f.op(opI32Or)
					f.op(opI32And)
					f.op(opI32Eqz)
					f.brIf(0) // scalar
					f.get(cp)
					f.if_()
					{
						f.get(sw)
						f.i32c(1)
						f.op(opI32Eq)
						f.if_()
						for half := uint32(0); half < 2; half++ {
							f.get(d)
							f.get(r)
							f.vLoad(16 * half)
							f.vStore(16 * half)
						}
						f.else_()
						for half := uint32(0); half < 2; half++ {
							f.get(d)
							f.get(r)
							f.vLoad(32 * half)
							f.get(r)
							f.vLoad(32*half + 16)
							f.shuffle(0, 2, 4, 6)
							f.vStore(16 * half)
						}
						f.end()
					}
					f.else_()
					for half := uint32(0); half < 2; half++ {
						f.get(d)
						f.get(zv)
						f.vStore(16 * half)
					}
					f.end()
					f.addLocal(d, sz4)
					f.addTo(t, 8)
					f.br(1) // next
				}
				f.end()
				// One float: d[q] = cp ? *r : 0.
				f.get(d)
				f.get(q)
				f.op(opI32Add)
				f.get(cp)
				f.ifResult(f32)
				f.get(r)
				f.f32Load(0)
				f.else_()
				f.f32c(0)
				f.end()
				f.f32Store(0)
				f.addTo(q, 4)
				f.get(q)
				f.i32c(32)
				f.op(opI32Eq)
				f.if_()
				f.i32c(0)
				f.set(q)
				f.addLocal(d, sz4)
				f.end()
				f.addTo(t, 1)
				f.end() // next
				bin(t, n, opI32LtS)
				f.brIf(0)
			}
			f.end()
			// j += n; ox += n, wrapping to the next output row.
			f.addLocal(j, n)
			f.addLocal(ox, n)
			bin(ox, ow, opI32Eq)
			f.if_()
			f.i32c(0)
			f.set(ox)
			f.addTo(oy, 1)
			f.end()
			bin(j, nb, opI32LtS)
			f.brIf(0)
		}
		f.end()
		// Zero the rest of a partial last group.
		f.block()
		f.loop()
		{
			f.get(q)
			f.op(opI32Eqz)
			f.brIf(1)
			f.get(d)
			f.get(q)
			f.op(opI32Add)
			f.f32c(0)
			f.f32Store(0)
			f.addTo(q, 4)
			f.get(q)
			f.i32c(32)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
		f.end()

		f.addTo(k, 1)
		f.get(k)
		f.get(kg)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
	return f
}
