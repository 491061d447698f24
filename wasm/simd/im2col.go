//go:build !(js && wasm)

package simd

// im2colFn emits im2col(): kern's packIm2col for 8-wide strips, the same
// loop without Go's bounds checks. For each row k = (c, ky, kx) of the
// im2col matrix it walks output pixels j0..j0+nb-1, reading the input tap
// (or 0 outside the image) into column j of strip j/8.
func im2colFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	xp, dst, h, w, kh, kw, sh, sw, pt, pl, dh, dw, ow, j0, nb, kg := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	kk, sz4, hw4, k, c, r, ky, kx, plane, offY, offX, oy, ox, d, q, j, iy, ix := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()

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
	// advance moves ox on by n (a group never crosses a row end), wrapping
	// to the next output row.
	advance := func(n int32) {
		f.addTo(ox, n)
		f.get(ox)
		f.get(ow)
		f.op(opI32Eq)
		f.if_()
		f.i32c(0)
		f.set(ox)
		f.addTo(oy, 1)
		f.end()
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
		f.block() // done: past the last output pixel
		f.loop()  // output pixels
		{
			// Fast path: a whole group of 8 pixels in one output row whose
			// taps all lie inside the image row: stride 1 copies 8
			// contiguous floats, stride 2 takes the even ones of 16.
			f.block() // slow
			{
				f.get(q)
				f.op(opI32Eqz)
				f.get(j)
				f.i32c(8)
				f.op(opI32Add)
				f.get(nb)
				f.op(opI32LeS)
				f.op(opI32And)
				f.get(ox)
				f.i32c(8)
				f.op(opI32Add)
				f.get(ow)
				f.op(opI32LeS)
				f.op(opI32And)
				f.get(sw)
				f.i32c(1)
				f.op(opI32Sub)
				f.i32c(2)
				f.op(opI32LtU) // stride 1 or 2
				f.op(opI32And)
				bin(oy, sh, opI32Mul)
				f.get(offY)
				f.op(opI32Add)
				f.tee(iy)
				f.get(h)
				f.op(opI32LtU)
				f.op(opI32And)
				bin(ox, sw, opI32Mul)
				f.get(offX)
				f.op(opI32Add)
				f.tee(ix)
				f.get(w)
				f.op(opI32LtU)
				f.op(opI32And)
				f.get(ix)
				f.get(sw)
				f.i32c(7)
				f.op(opI32Mul)
				f.op(opI32Add)
				f.get(w)
				f.op(opI32LtU)
				f.op(opI32And)
				f.op(opI32Eqz)
				f.brIf(0) // to the slow path
				// iy = plane + (iy*W + ix)*4: the first tap's address.
				f.get(plane)
				bin(iy, w, opI32Mul)
				f.get(ix)
				f.op(opI32Add)
				f.i32c(2)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.set(iy)
				f.get(sw)
				f.i32c(1)
				f.op(opI32Eq)
				f.if_()
				{
					f.get(d)
					f.get(iy)
					f.vLoad(0)
					f.vStore(0)
					f.get(d)
					f.get(iy)
					f.vLoad(16)
					f.vStore(16)
				}
				f.else_()
				{
					for half := uint32(0); half < 2; half++ {
						f.get(d)
						f.get(iy)
						f.vLoad(32 * half)
						f.get(iy)
						f.vLoad(32*half + 16)
						f.shuffle(0, 2, 4, 6)
						f.vStore(16 * half)
					}
				}
				f.end()
				f.addLocal(d, sz4)
				advance(8)
				f.addTo(j, 8)
				f.get(j)
				f.get(nb)
				f.op(opI32LtS)
				f.brIf(1) // next pixel
				f.br(2)   // done
			}
			f.end()
			// d[q] = (iy, ix) in the image ? plane[iy*W + ix] : 0
			f.get(d)
			f.get(q)
			f.op(opI32Add)
			bin(oy, sh, opI32Mul)
			f.get(offY)
			f.op(opI32Add)
			f.tee(iy)
			f.get(h)
			f.op(opI32LtU)
			bin(ox, sw, opI32Mul)
			f.get(offX)
			f.op(opI32Add)
			f.tee(ix)
			f.get(w)
			f.op(opI32LtU)
			f.op(opI32And)
			f.ifResult(f32)
			f.get(plane)
			bin(iy, w, opI32Mul)
			f.get(ix)
			f.op(opI32Add)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.f32Load(0)
			f.else_()
			f.f32c(0)
			f.end()
			f.f32Store(0)
			// q += 4; at the end of a group, on to the next strip.
			f.addTo(q, 4)
			f.get(q)
			f.i32c(32)
			f.op(opI32Eq)
			f.if_()
			f.i32c(0)
			f.set(q)
			f.addLocal(d, sz4)
			f.end()
			advance(1)
			f.addTo(j, 1)
			f.get(j)
			f.get(nb)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()
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
