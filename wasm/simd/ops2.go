//go:build !(js && wasm)

package simd

import "math"

// The third kernels module, ops2.wasm: the CNN ops around the convs that
// the first two leave scalar, each kernel called once per op (or per image)
// through the argument block in ops2layout.go. A module of its own, like
// ops.wasm, so each stays under the 4 KB browsers compile synchronously.
//
//   - dw5(): the interior columns of a 5×5 depthwise conv (stride 1 or 2),
//     4 outputs per f32x4, summed in kern's dw5 order (bias, then each
//     kernel row's five products left to right, added to it), the border
//     columns per tap as kern's dwBorder: bitwise kern's scalar conv.
//   - pool(): the interior of a 2-D max or average pool (stride 1 or 2, no
//     dilation); taps in row-major order from -Inf (max) or 0 (average),
//     the average divided by KH*KW: bitwise the scalar loop's, except that
//     f32x4.max orders -0 below +0 and keeps no NaN payload.
//   - gap(): global average pool: eight interleaved partial sums, so not
//     the scalar loop's order (within a few ulp of it).
//   - chan(): a per-plane scalar added to or multiplied into a plane
//     ([N,C,H,W] op [N,C,1,1], squeeze-and-excitation): bitwise.

const (
	opF32Div           = 0x95
	simdF32x4ExtractLn = 0x1f
)

// Ops2Module returns ops2.wasm's bytes. Exports: bind(p), dw5(), pool(),
// gap(), chan().
func Ops2Module() []byte {
	bind := &fn{params: []valType{i32}}
	bind.get(0)
	bind.gset(0)
	return assemble([]export{
		{"bind", bind},
		{"dw5", dwkFn(5)},
		{"pool", poolFn()},
		{"gap", gapFn()},
		{"chan", chanFn()},
	}, 1)
}

// argLoader returns a function that loads word w of the argument block
// (global 0) into local l.
func argLoader(f *fn) func(l local, w int) {
	return func(l local, w int) {
		f.gget(0)
		f.i32Load(uint32(4 * w))
		f.set(l)
	}
}

// ifV128 opens an if block with a v128 result.
func (f *fn) ifV128() { f.op(opIf, byte(v128)) }

// shl emits (stack top) << k.
func (f *fn) shl(k int32) {
	f.i32c(k)
	f.op(opI32Shl)
}

// nextGroup emits the step of a loop over groups of 4 columns at o of cnt
// (cnt >= 4), inside block{loop{...}}: done when o+4 reaches cnt, and the
// last group starts at cnt-4 (overlapping the one before).
func (f *fn) nextGroup(o, o2, cnt local) {
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

// dwkFn emits the k×k depthwise interior kernel (d5* layout; k odd, the
// kernel row loop unrolled). Stride 1 loads tap kx of 4 outputs at offset
// kx; stride 2 splits inputs 0..7 into even and odd lanes (taps 0 and 1)
// and builds tap kx from tap kx-2 shifted by one lane with input kx+6
// splat in, so it reads no input outside the window. The other columns
// take a scalar path: border columns per tap with bounds tests, summed like
// kern's dwBorder, and interior columns (when the interior is under 4
// wide) by rows like kern's dw5, so the whole image is bitwise kern's
// scalar depthwise.
func dwkFn(k int) *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	arg := argLoader(f)
	xp, wp, bp, rp, yp, nc, h, w, oh, ow, s, pt, oxLo, cnt, ixb, zero := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	w4, hw4, ow4, npix4, c, oy, iy0, iy, orow, rrow, o, o2, base := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	pl, vLo, vHi, ox, ix0, ky, kx, wr, rowa, inner := L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	F := func() local { return f.newLocal(f32) }
	lo, hi, bsc, sum := F(), F(), F(), F()
	rows := make([]local, k)
	for i := range rows {
		rows[i] = L()
	}
	wv := make([]local, k*k)
	for i := range wv {
		wv[i] = V()
	}
	taps := make([]local, k)
	for i := range taps {
		taps[i] = V()
	}
	bv, acc, lov, hiv := V(), V(), V(), V()
	for i, l := range []local{xp, wp, bp, rp, yp, nc, h, w, oh, ow, s, pt, oxLo, cnt, ixb, zero} {
		arg(l, d5X+i)
	}
	arg(pl, d5PL)
	f.gget(0)
	f.f32Load(4 * d5Lo)
	f.tee(lo)
	f.simd(simdF32x4Splat)
	f.set(lov)
	f.gget(0)
	f.f32Load(4 * d5Hi)
	f.tee(hi)
	f.simd(simdF32x4Splat)
	f.set(hiv)
	// The vector columns [vLo, vHi): the interior if at least 4 wide, else
	// none (vLo = -1 never matches a column).
	f.get(oxLo)
	f.get(cnt)
	f.op(opI32Add)
	f.set(vHi)
	f.i32c(-1)
	f.get(oxLo)
	f.get(cnt)
	f.i32c(4)
	f.op(opI32LtS)
	f.op(opSelect)
	f.set(vLo)
	mul := func(a, b local) {
		f.get(a)
		f.get(b)
		f.op(opI32Mul)
	}
	f.get(w)
	f.shl(2)
	f.set(w4)
	mul(h, w4)
	f.set(hw4)
	f.get(ow)
	f.shl(2)
	f.set(ow4)
	mul(oh, ow4)
	f.set(npix4)

	f.i32c(0)
	f.set(c)
	f.loop() // channels
	{
		for i := range wv {
			f.get(wp)
			f.vLoadSplat(uint32(4 * i))
			f.set(wv[i])
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
			f.if_()                // vector interior
			for ky := range rows { // rows[ky]: the interior's first tap in row iy0+ky, or zeros
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
			f.loop() // groups of 4 interior outputs at o
			{
				f.get(bv)
				f.set(acc)
				for ky := range rows {
					f.get(s)
					f.i32c(1)
					f.op(opI32Eq)
					f.if_()
					{
						f.get(rows[ky])
						f.get(o)
						f.shl(2)
						f.op(opI32Add)
						f.set(base)
						for kx := range taps {
							f.get(base)
							f.vLoad(uint32(4 * kx))
							f.set(taps[kx])
						}
					}
					f.else_()
					{
						f.get(rows[ky])
						f.get(o)
						f.shl(3)
						f.op(opI32Add)
						f.tee(base)
						f.vLoad(0)
						f.get(base)
						f.vLoad(16)
						f.shuffle(0, 2, 4, 6)
						f.set(taps[0])
						f.get(base)
						f.vLoad(0)
						f.get(base)
						f.vLoad(16)
						f.shuffle(1, 3, 5, 7)
						f.set(taps[1])
						for kx := 2; kx < k; kx++ {
							f.get(taps[kx-2])
							f.get(base)
							f.vLoadSplat(uint32(4 * (kx + 6)))
							f.shuffle(1, 2, 3, 4)
							f.set(taps[kx])
						}
					}
					f.end()
					// acc += ((w0 t0 + w1 t1) + w2 t2) + ...
					f.get(acc)
					for kx := range taps {
						f.get(wv[ky*k+kx])
						f.get(taps[kx])
						f.simd(simdF32x4Mul)
						if kx > 0 {
							f.simd(simdF32x4Add)
						}
					}
					f.simd(simdF32x4Add)
					f.set(acc)
				}
				// + res, clamp, store at column oxLo+o.
				f.get(oxLo)
				f.get(o)
				f.op(opI32Add)
				f.shl(2)
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
				f.nextGroup(o, o2, cnt)
			}
			f.end()
			f.end()
			f.end() // vector interior

			// Scalar columns, every one outside [vLo, vHi): sum = bias +
			// each in-image tap's product in ky, kx order (kern's dwBorder).
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
				f.get(bsc)
				f.set(sum)
				mul(ox, s)
				f.get(pl)
				f.op(opI32Sub)
				f.set(ix0)
				f.get(wp)
				f.set(wr)
				// inner: an interior column (the interior is under 4 wide),
				// summed as kern's dw5: each row's products left to right
				// (a zero row outside the image), added to the sum.
				f.get(ox)
				f.get(oxLo)
				f.op(opI32GeS)
				f.get(ox)
				f.get(vHi)
				f.op(opI32LtS)
				f.op(opI32And)
				f.set(inner)
				f.i32c(0)
				f.set(ky)
				f.loop()
				{
					f.get(iy0)
					f.get(ky)
					f.op(opI32Add)
					f.set(iy)
					f.get(inner)
					f.if_()
					{
						f.get(xp)
						f.get(iy)
						f.get(w4)
						f.op(opI32Mul)
						f.op(opI32Add)
						f.get(ix0)
						f.shl(2)
						f.op(opI32Add)
						f.get(zero)
						f.get(iy)
						f.get(h)
						f.op(opI32LtU)
						f.op(opSelect)
						f.set(rowa)
						f.get(sum)
						for kx := 0; kx < k; kx++ {
							f.get(wr)
							f.f32Load(uint32(4 * kx))
							f.get(rowa)
							f.f32Load(uint32(4 * kx))
							f.op(opF32Mul)
							if kx > 0 {
								f.op(opF32Add)
							}
						}
						f.op(opF32Add)
						f.set(sum)
					}
					f.else_()
					f.get(iy)
					f.get(h)
					f.op(opI32LtU)
					f.if_()
					{
						f.get(xp)
						f.get(iy)
						f.get(w4)
						f.op(opI32Mul)
						f.op(opI32Add)
						f.get(ix0)
						f.shl(2)
						f.op(opI32Add)
						f.set(rowa)
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
							f.get(sum)
							f.get(wr)
							f.get(kx)
							f.shl(2)
							f.op(opI32Add)
							f.f32Load(0)
							f.get(rowa)
							f.get(kx)
							f.shl(2)
							f.op(opI32Add)
							f.f32Load(0)
							f.op(opF32Mul)
							f.op(opF32Add)
							f.set(sum)
							f.end()
							f.addTo(kx, 1)
							f.get(kx)
							f.i32c(int32(k))
							f.op(opI32LtS)
							f.brIf(0)
						}
						f.end()
					}
					f.end()
					f.end()
					f.addTo(wr, int32(4*k))
					f.addTo(ky, 1)
					f.get(ky)
					f.i32c(int32(k))
					f.op(opI32LtS)
					f.brIf(0)
				}
				f.end()
				// + res, clamp, store.
				f.get(ox)
				f.shl(2)
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
		f.addTo(wp, int32(4*k*k))
		f.addTo(c, 1)
		f.get(c)
		f.get(nc)
		f.op(opI32LtS)
		f.brIf(0)
	}
	f.end()
	return f
}

// poolFn emits pool() (pl* layout): for every plane and interior output row,
// groups of 4 interior outputs; tap (kh, kw) of outputs o..o+3 is one load
// at stride 1, two loads and a shuffle at stride 2 (inputs a, a+2, a+4,
// a+6 from [a..a+3] and [a+3..a+6]).
func poolFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	arg := argLoader(f)
	xp, yp, planes, h, w, oh, ow, kh, kw, s, pt, oyLo, oyHi, oxLo, cnt, ixb, isMax := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	w4, hw4, ow4, npix4, p, oy, row, o, o2, r, q, i, j := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	acc, init, div, t := V(), V(), V(), V()
	for n, l := range []local{xp, yp, planes, h, w, oh, ow, kh, kw, s, pt, oyLo, oyHi, oxLo, cnt, ixb, isMax} {
		arg(l, plX+n)
	}
	f.gget(0)
	f.vLoadSplat(4 * plDiv)
	f.set(div)
	f.get(isMax)
	f.ifResult(f32)
	f.f32c(float32(math.Inf(-1)))
	f.else_()
	f.f32c(0)
	f.end()
	f.simd(simdF32x4Splat)
	f.set(init)
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
			// row = &x[oy*s-PT][first interior tap]
			f.get(xp)
			f.get(oy)
			f.get(s)
			f.op(opI32Mul)
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
			f.loop() // groups of 4 at o
			{
				f.get(init)
				f.set(acc)
				// r = row + o*s*4: this group's first tap
				f.get(row)
				f.get(o)
				f.get(s)
				f.op(opI32Mul)
				f.shl(2)
				f.op(opI32Add)
				f.set(r)
				f.i32c(0)
				f.set(i)
				f.loop() // kh
				{
					f.get(r)
					f.set(q)
					f.i32c(0)
					f.set(j)
					f.loop() // kw
					{
						f.get(s)
						f.i32c(1)
						f.op(opI32Eq)
						f.ifV128()
						f.get(q)
						f.vLoad(0)
						f.else_()
						f.get(q)
						f.vLoad(0)
						f.get(q)
						f.vLoad(12)
						f.shuffle(0, 2, 5, 7)
						f.end()
						f.set(t)
						f.get(isMax)
						f.ifV128()
						f.get(acc)
						f.get(t)
						f.simd(simdF32x4Max)
						f.else_()
						f.get(acc)
						f.get(t)
						f.simd(simdF32x4Add)
						f.end()
						f.set(acc)
						f.addTo(q, 4)
						f.addTo(j, 1)
						f.get(j)
						f.get(kw)
						f.op(opI32LtS)
						f.brIf(0)
					}
					f.end()
					f.addLocal(r, w4)
					f.addTo(i, 1)
					f.get(i)
					f.get(kh)
					f.op(opI32LtS)
					f.brIf(0)
				}
				f.end()
				// y[oy][oxLo+o..] = acc (÷ div for the average)
				f.get(isMax)
				f.i32Eqz()
				f.if_()
				f.get(acc)
				f.get(div)
				f.simd(simdF32x4Div)
				f.set(acc)
				f.end()
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
				f.get(acc)
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

func (f *fn) i32Eqz() { f.op(opI32Eqz) }

// gapFn emits gap() (gp* layout): per plane, two f32x4 partial sums over
// groups of 8 (lane l of sum a holds elements 8m+l, of b 8m+4+l), then one
// more group of 4 into a, then a+b's lanes as (l0+l1)+(l2+l3), plus the
// scalar tail's sum, divided by div.
func gapFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	F := func() local { return f.newLocal(f32) }
	arg := argLoader(f)
	xp, yp, planes, size, p, q, e8, e4, end := L(), L(), L(), L(), L(), L(), L(), L(), L()
	a, b := V(), V()
	div, tail := F(), F()
	for n, l := range []local{xp, yp, planes, size} {
		arg(l, gpX+n)
	}
	f.gget(0)
	f.f32Load(4 * gpDiv)
	f.set(div)
	f.i32c(0)
	f.set(p)
	f.block()
	f.loop() // planes
	{
		f.get(p)
		f.get(planes)
		f.op(opI32GeS)
		f.brIf(1)
		// end = xp + size*4; e8, e4: where the groups of 8 and 4 stop.
		f.get(xp)
		f.get(size)
		f.shl(2)
		f.op(opI32Add)
		f.set(end)
		f.get(xp)
		f.get(size)
		f.i32c(-8)
		f.op(opI32And)
		f.shl(2)
		f.op(opI32Add)
		f.set(e8)
		f.get(xp)
		f.get(size)
		f.i32c(-4)
		f.op(opI32And)
		f.shl(2)
		f.op(opI32Add)
		f.set(e4)
		f.f32c(0)
		f.simd(simdF32x4Splat)
		f.tee(a)
		f.set(b)
		f.get(xp)
		f.set(q)
		f.block()
		f.loop()
		{
			f.get(q)
			f.get(e8)
			f.op(opI32GeU)
			f.brIf(1)
			f.get(a)
			f.get(q)
			f.vLoad(0)
			f.simd(simdF32x4Add)
			f.set(a)
			f.get(b)
			f.get(q)
			f.vLoad(16)
			f.simd(simdF32x4Add)
			f.set(b)
			f.addTo(q, 32)
			f.br(0)
		}
		f.end()
		f.end()
		f.get(q)
		f.get(e4)
		f.op(opI32LtU)
		f.if_()
		f.get(a)
		f.get(q)
		f.vLoad(0)
		f.simd(simdF32x4Add)
		f.set(a)
		f.addTo(q, 16)
		f.end()
		f.f32c(0)
		f.set(tail)
		f.block()
		f.loop()
		{
			f.get(q)
			f.get(end)
			f.op(opI32GeU)
			f.brIf(1)
			f.get(tail)
			f.get(q)
			f.f32Load(0)
			f.op(opF32Add)
			f.set(tail)
			f.addTo(q, 4)
			f.br(0)
		}
		f.end()
		f.end()
		// y[p] = (((s0+s1) + (s2+s3)) + tail) / div, s = a+b
		f.get(yp)
		f.get(a)
		f.get(b)
		f.simd(simdF32x4Add)
		f.tee(a)
		f.lane(0)
		f.get(a)
		f.lane(1)
		f.op(opF32Add)
		f.get(a)
		f.lane(2)
		f.get(a)
		f.lane(3)
		f.op(opF32Add)
		f.op(opF32Add)
		f.get(tail)
		f.op(opF32Add)
		f.get(div)
		f.op(opF32Div)
		f.f32Store(0)
		f.get(end)
		f.set(xp)
		f.addTo(yp, 4)
		f.addTo(p, 1)
		f.br(0)
	}
	f.end()
	f.end()
	return f
}

// lane extracts float lane n of the v128 on the stack.
func (f *fn) lane(n byte) {
	f.simd(simdF32x4ExtractLn)
	f.op(n)
}

// chanFn emits chan() (ch* layout): per plane, the plane's scalar splat,
// then inner elements 4 at a time and a scalar tail.
func chanFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	arg := argLoader(f)
	dst, xp, sp, planes, inner, isMul, p, e4, end := L(), L(), L(), L(), L(), L(), L(), L(), L()
	sv := V()
	for n, l := range []local{dst, xp, sp, planes, inner, isMul} {
		arg(l, chDst+n)
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
		f.get(xp)
		f.get(inner)
		f.shl(2)
		f.op(opI32Add)
		f.set(end)
		f.get(xp)
		f.get(inner)
		f.i32c(-4)
		f.op(opI32And)
		f.shl(2)
		f.op(opI32Add)
		f.set(e4)
		f.get(sp)
		f.vLoadSplat(0)
		f.set(sv)
		f.block()
		f.loop()
		{
			f.get(xp)
			f.get(e4)
			f.op(opI32GeU)
			f.brIf(1)
			f.get(dst)
			f.get(isMul)
			f.ifV128()
			f.get(xp)
			f.vLoad(0)
			f.get(sv)
			f.simd(simdF32x4Mul)
			f.else_()
			f.get(xp)
			f.vLoad(0)
			f.get(sv)
			f.simd(simdF32x4Add)
			f.end()
			f.vStore(0)
			f.addTo(xp, 16)
			f.addTo(dst, 16)
			f.br(0)
		}
		f.end()
		f.end()
		f.block()
		f.loop()
		{
			f.get(xp)
			f.get(end)
			f.op(opI32GeU)
			f.brIf(1)
			f.get(dst)
			f.get(isMul)
			f.ifResult(f32)
			f.get(xp)
			f.f32Load(0)
			f.get(sp)
			f.f32Load(0)
			f.op(opF32Mul)
			f.else_()
			f.get(xp)
			f.f32Load(0)
			f.get(sp)
			f.f32Load(0)
			f.op(opF32Add)
			f.end()
			f.f32Store(0)
			f.addTo(xp, 4)
			f.addTo(dst, 4)
			f.br(0)
		}
		f.end()
		f.end()
		f.addTo(sp, 4)
		f.addTo(p, 1)
		f.br(0)
	}
	f.end()
	f.end()
	return f
}
