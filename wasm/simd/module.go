//go:build !(js && wasm)

package simd

// The SIMD kernels, as a WebAssembly module assembled from Go: this file,
// depthwise.go and im2col.go, with the assembler in asm.go. They run
// natively only, in the tests: the engine embeds their output, kernels.wasm
// (kernels.go), so that the browser's binary carries 4 KB of module rather
// than the Go code that writes it. TestKernelsWasmIsCurrent fails when the
// two differ; GLIMPSE_UPDATE_SIMD=1 go test ./wasm/simd rewrites the file.
// The module imports the Go program's own linear memory as env.mem and
// works on Go slices in place, addressed by their byte offsets in that
// memory; arguments travel through the block in layout.go.

// Module returns the kernels module's bytes. Exports: bind(p), peek(p),
// gemm(), dw3(), im2col().
func Module() []byte { return module(false) }

// RelaxedModule is Module with gemm's multiply-adds as relaxed SIMD's
// f32x4.relaxed_madd: one fused instruction where the CPU has FMA (half
// the GEMM's vector operations), otherwise a multiply and an add as in
// Module. Engines without relaxed SIMD reject it; Init then uses Module.
func RelaxedModule() []byte { return module(true) }

func module(relaxed bool) []byte {
	bind := &fn{params: []valType{i32}}
	bind.get(0)
	bind.gset(0)
	// peek(p) returns the i32 at p: Go checks through it that the memory
	// is its own.
	peek := &fn{params: []valType{i32}, results: []valType{i32}}
	peek.get(0)
	peek.i32Load(0)
	return assemble([]export{
		{"bind", bind},
		{"peek", peek},
		{"gemm", gemmFn(relaxed)},
		{"dw3", dwFn()},
		{"im2col", im2colFn()},
	}, 1)
}

// gemmFn emits gemm(): for one packed block,
//
//	C[mb×nb] = min(max(bias + A·B + res, lo), hi)
//
// row strip by row strip (4 rows) and, within a strip, column strip by
// column strip (8 columns). Every product is one f32x4.mul then one
// f32x4.add in k order, exactly the scalar kernel's float32 operations, so
// the results are bitwise those of the scalar Go kernel (relaxed: one
// f32x4.relaxed_madd per product, fused on FMA hardware, so the results
// differ from the scalar kernel's in the last bits). Full 4×8 tiles are
// finished in vectors; edge tiles go through tmp and a scalar loop that
// writes only the valid rows and columns.
func gemmFn(relaxed bool) *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	ap, bp, kb, mb, nb, c, ldc4, bias, res, tmp := L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	lo, hi := f.newLocal(f32), f.newLocal(f32)
	i, j, aps, bps, pa, pb, kk, rows, cols, off, r, q, addr := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	stripA, stripB, ldb, bRow := L(), L(), L(), L()
	x := f.newLocal(f32)
	var acc [gemmMR][2]local
	for rr := range acc {
		acc[rr][0], acc[rr][1] = V(), V()
	}
	b0, b1, a := V(), V(), V()
	var bs [gemmMR]local
	for rr := range bs {
		bs[rr] = V()
	}
	lov, hiv := V(), V()

	// Load the arguments.
	arg := func(l local, word int) {
		f.gget(0)
		f.i32Load(uint32(4 * word))
		f.set(l)
	}
	argF := func(l local, word int) {
		f.gget(0)
		f.f32Load(uint32(4 * word))
		f.set(l)
	}
	arg(ap, argAP)
	arg(bp, argBP)
	arg(kb, argKB)
	arg(mb, argMB)
	arg(nb, argNB)
	arg(c, argC)
	arg(ldc4, argLDC)
	arg(bias, argBias)
	arg(res, argRes)
	argF(lo, argLo)
	argF(hi, argHi)
	arg(tmp, argTmp)
	arg(ldb, argLDB)

	// Nothing to do unless mb, nb, kb > 0.
	f.get(mb)
	f.i32c(1)
	f.op(opI32LtS)
	f.get(nb)
	f.i32c(1)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.get(kb)
	f.i32c(1)
	f.op(opI32LtS)
	f.op(opI32Or)
	f.if_()
	f.op(opReturn)
	f.end()

	// ldc4 = ldc*4 (bytes); stripA = kb*16, stripB = kb*32 (bytes per
	// packed strip); lov, hiv = the clamp bounds in every lane.
	shl := func(l local, s int32) {
		f.get(l)
		f.i32c(s)
		f.op(opI32Shl)
	}
	shl(ldc4, 2)
	f.set(ldc4)
	shl(kb, 4)
	f.set(stripA)
	// B: packed, rows of 8 floats (32 bytes), strips of kb rows; or
	// plain, rows ldb floats apart, strips 8 floats apart.
	f.get(ldb)
	f.if_()
	shl(ldb, 2)
	f.set(bRow)
	f.i32c(4 * gemmNR)
	f.set(stripB)
	f.else_()
	f.i32c(4 * gemmNR)
	f.set(bRow)
	shl(kb, 5)
	f.set(stripB)
	f.end()
	f.get(lo)
	f.simd(simdF32x4Splat)
	f.set(lov)
	f.get(hi)
	f.simd(simdF32x4Splat)
	f.set(hiv)

	// minLocal sets dst = min(lim, n - idx) for the tile's valid extent.
	minLocal := func(dst, n, idx local, lim int32) {
		f.get(n)
		f.get(idx)
		f.op(opI32Sub)
		f.set(dst)
		f.i32c(lim)
		f.get(dst)
		f.get(dst)
		f.i32c(lim)
		f.op(opI32GtS)
		f.op(opSelect) // dst > lim ? lim : dst
		f.set(dst)
	}

	f.i32c(0)
	f.set(i)
	f.get(ap)
	f.set(aps)
	f.loop() // strips of 4 rows
	{
		minLocal(rows, mb, i, gemmMR)
		// bs[r] = bias[i+r] in every lane (0 past the last row or without bias).
		for rr := range gemmMR {
			f.get(bias)
			f.i32c(0)
			f.op(opI32Ne)
			f.get(rows)
			f.i32c(int32(rr))
			f.op(opI32GtS)
			f.op(opI32And)
			f.ifResult(f32)
			f.get(bias)
			f.get(i)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.f32Load(uint32(4 * rr))
			f.else_()
			f.f32c(0)
			f.end()
			f.simd(simdF32x4Splat)
			f.set(bs[rr])
		}

		f.i32c(0)
		f.set(j)
		f.get(bp)
		f.set(bps)
		f.loop() // strips of 8 columns
		{
			for rr := range gemmMR {
				f.get(bs[rr])
				f.set(acc[rr][0])
				f.get(bs[rr])
				f.set(acc[rr][1])
			}
			f.get(aps)
			f.set(pa)
			f.get(bps)
			f.set(pb)
			f.get(kb)
			f.set(kk)
			f.loop() // k: acc[r][h] += A[r][p] * B[p][8h:8h+4]
			{
				f.get(pb)
				f.vLoad(0)
				f.set(b0)
				f.get(pb)
				f.vLoad(16)
				f.set(b1)
				for rr := range gemmMR {
					f.get(pa)
					f.vLoadSplat(uint32(4 * rr))
					f.set(a)
					for h, bv := range []local{b0, b1} {
						if relaxed { // acc = a*b + acc
							f.get(a)
							f.get(bv)
							f.get(acc[rr][h])
							f.simd(simdF32x4RelaxedMadd)
							f.set(acc[rr][h])
							continue
						}
						f.get(acc[rr][h])
						f.get(a)
						f.get(bv)
						f.simd(simdF32x4Mul)
						f.simd(simdF32x4Add)
						f.set(acc[rr][h])
					}
				}
				f.addTo(pa, 4*gemmMR)
				f.addLocal(pb, bRow)
				f.get(kk)
				f.i32c(1)
				f.op(opI32Sub)
				f.tee(kk)
				f.brIf(0)
			}
			f.end()

			minLocal(cols, nb, j, gemmNR)
			// off = (i*ldc + j)*4: the tile's byte offset in C (and res).
			f.get(i)
			f.get(ldc4)
			f.op(opI32Mul)
			f.get(j)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.set(off)

			// Full tile?
			f.get(rows)
			f.i32c(gemmMR)
			f.op(opI32Eq)
			f.get(cols)
			f.i32c(gemmNR)
			f.op(opI32Eq)
			f.op(opI32And)
			f.if_()
			{
				// rowAddr pushes base + off + rr*ldc4.
				rowAddr := func(base local, rr int) {
					f.get(base)
					f.get(off)
					f.op(opI32Add)
					for range rr {
						f.get(ldc4)
						f.op(opI32Add)
					}
				}
				// acc += res
				f.get(res)
				f.if_()
				for rr := range gemmMR {
					rowAddr(res, rr)
					f.set(addr)
					for h := range 2 {
						f.get(acc[rr][h])
						f.get(addr)
						f.vLoad(uint32(16 * h))
						f.simd(simdF32x4Add)
						f.set(acc[rr][h])
					}
				}
				f.end()
				// C = min(max(acc, lo), hi)
				for rr := range gemmMR {
					rowAddr(c, rr)
					f.set(addr)
					for h := range 2 {
						f.get(addr)
						f.get(acc[rr][h])
						f.get(lov)
						f.simd(simdF32x4Max)
						f.get(hiv)
						f.simd(simdF32x4Min)
						f.vStore(uint32(16 * h))
					}
				}
			}
			f.else_()
			{
				// Edge tile: spill to tmp (row rr at tmp + 32*rr bytes),
				// then per valid element: x = tmp + res; clamp; store.
				for rr := range gemmMR {
					for h := range 2 {
						f.get(tmp)
						f.get(acc[rr][h])
						f.vStore(uint32(32*rr + 16*h))
					}
				}
				f.i32c(0)
				f.set(r)
				f.loop()
				{
					f.i32c(0)
					f.set(q)
					f.loop()
					{
						// x = tmp[r*8 + q]
						f.get(tmp)
						f.get(r)
						f.i32c(5)
						f.op(opI32Shl)
						f.op(opI32Add)
						f.get(q)
						f.i32c(2)
						f.op(opI32Shl)
						f.op(opI32Add)
						f.f32Load(0)
						f.set(x)
						// addr = off + r*ldc4 + q*4
						f.get(off)
						f.get(r)
						f.get(ldc4)
						f.op(opI32Mul)
						f.op(opI32Add)
						f.get(q)
						f.i32c(2)
						f.op(opI32Shl)
						f.op(opI32Add)
						f.set(addr)
						f.get(res)
						f.if_()
						f.get(x)
						f.get(res)
						f.get(addr)
						f.op(opI32Add)
						f.f32Load(0)
						f.op(opF32Add)
						f.set(x)
						f.end()
						f.get(c)
						f.get(addr)
						f.op(opI32Add)
						f.get(x)
						f.get(lo)
						f.op(opF32Max)
						f.get(hi)
						f.op(opF32Min)
						f.f32Store(0)
						f.addTo(q, 1)
						f.get(q)
						f.get(cols)
						f.op(opI32LtS)
						f.brIf(0)
					}
					f.end()
					f.addTo(r, 1)
					f.get(r)
					f.get(rows)
					f.op(opI32LtS)
					f.brIf(0)
				}
				f.end()
			}
			f.end()

			f.addTo(j, gemmNR)
			f.addLocal(bps, stripB)
			f.get(j)
			f.get(nb)
			f.op(opI32LtS)
			f.brIf(0)
		}
		f.end()

		f.addTo(i, gemmMR)
		f.addLocal(aps, stripA)
		f.get(i)
		f.get(mb)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
	return f
}
