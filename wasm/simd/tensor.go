//go:build !(js && wasm)

package simd

import "math"

// The row kernels module, tensor.wasm: Softmax, LayerNormalization and
// row sums (ReduceMean/ReduceSum over trailing axes) over rows of n
// contiguous floats, for kern.SetTensorKernels. A module of its own (like
// ops.wasm) so each stays under the 4 KB synchronous-compile limit. It
// imports Go's memory as env.mem and reads its arguments from the block
// bind(p) records (tArg* in tensorlayout.go).
//
// The float32 operations and their order are those of kern's tensor.go
// (the wasm tests check the results are bitwise the same): sums in four
// lane accumulators combined as (s0+s2)+(s1+s3); a row whose length n is
// not a multiple of 4 ends with one overlapping chunk [n-4, n) whose
// already-done lanes are masked (to +0 in sums, to the old value in
// stores), so there is no scalar tail; exp is ops.wasm's.

// More opcodes.
const (
	opF32ConvertI32S = 0xb2
	simdV128Const    = 0x0c
	simdF32x4Extract = 0x1f
	simdI32x4GeS     = 0x3f
	simdF32x4Sqrt    = 0xe3
)

// TensorModule returns tensor.wasm's bytes. Exports: bind(p), softmax(),
// layernorm(), rowsum(), dots(), binary().
func TensorModule() []byte {
	bind := &fn{params: []valType{i32}}
	bind.get(0)
	bind.gset(0)
	return assemble([]export{
		{"bind", bind},
		{"softmax", rowFn(rowSoftmax)},
		{"layernorm", rowFn(rowLayerNorm)},
		{"rowsum", rowFn(rowSum)},
		{"dots", rowFn(rowDots)},
		{"binary", binaryFn()},
	}, 1)
}

const (
	rowSoftmax = iota
	rowLayerNorm
	rowSum
	rowDots
)

// rowFn emits one of the row kernels.
func rowFn(kind int) *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	dst, src, rows, nb, n4b, tb, rem, i := L(), L(), L(), L(), L(), L(), L(), L()
	scale, bias, mean, inv := L(), L(), L(), L()
	mask, acc, x, e, m, iv, aux := V(), V(), V(), V(), V(), V(), V()
	sr, sn, sp := V(), V(), V()
	var fs [4]local
	if kind == rowDots {
		for l := range fs {
			fs[l] = f.newLocal(f32)
		}
	}

	consts := map[uint32]local{}
	var order []float32
	k := func(c float64) local {
		v := float32(c)
		if l, ok := consts[math.Float32bits(v)]; ok {
			return l
		}
		l := V()
		consts[math.Float32bits(v)] = l
		order = append(order, v)
		return l
	}
	g := &fn{} // the body, spliced after the constants' splats
	vop := func(op uint32) { g.simd(op) }
	get := func(l local) { g.get(l) }
	set := func(l local) { g.set(l) }
	arg := func(l local, word int) {
		g.gget(0)
		g.i32Load(uint32(4 * word))
		set(l)
	}
	arg(dst, tArgDst)
	arg(src, tArgSrc)
	arg(rows, tArgRows)
	arg(nb, tArgN)
	arg(scale, tArgScale)
	arg(bias, tArgBias)
	arg(mean, tArgMean)
	arg(inv, tArgInv)
	if kind == rowDots {
		arg(bias, tArgAdd)
		arg(mean, tArgLDB)
		get(mean)
		g.i32c(2)
		g.op(opI32Shl)
		set(mean)
	}
	// aux: eps (layernorm) or div (rowsum) in every lane; iv: n as float.
	g.gget(0)
	if kind == rowSum {
		g.vLoadSplat(4 * tArgDiv)
	} else {
		g.vLoadSplat(4 * tArgEps)
	}
	set(aux)
	get(nb)
	g.op(opF32ConvertI32S)
	vop(simdF32x4Splat)
	set(m) // layernorm: n in every lane (m is free there)
	// rem = n&3; tb = (n-4)*4; n4b = (n&^3)*4; nb = n*4
	get(nb)
	g.i32c(3)
	g.op(opI32And)
	set(rem)
	get(nb)
	g.i32c(2)
	g.op(opI32Shl)
	set(nb)
	get(nb)
	g.i32c(16)
	g.op(opI32Sub)
	set(tb)
	get(nb)
	g.i32c(-16)
	g.op(opI32And)
	set(n4b)
	// mask: lane l >= 4-rem
	vop(simdV128Const)
	for l := uint32(0); l < 4; l++ {
		g.b = append(g.b, byte(l), 0, 0, 0)
	}
	g.i32c(4)
	get(rem)
	g.op(opI32Sub)
	vop(simdI32x4Splat)
	vop(simdI32x4GeS)
	set(mask)

	// chunks emits body(addr offset i) for i in [0, n4b) step 16, then, if
	// rem, tail() once (with i = tb).
	chunks := func(body func(tail bool)) {
		g.i32c(0)
		set(i)
		g.block()
		g.loop()
		get(i)
		get(n4b)
		g.op(opI32GeU)
		g.brIf(1)
		body(false)
		g.addTo(i, 16)
		g.br(0)
		g.end()
		g.end()
		get(rem)
		g.if_()
		get(tb)
		set(i)
		body(true)
		g.end()
	}
	load := func(base local) { // v128 at base + i
		get(base)
		get(i)
		g.op(opI32Add)
		g.vLoad(0)
	}
	addr := func(base local) {
		get(base)
		get(i)
		g.op(opI32Add)
	}
	// accAdd: acc += stack top (masked to +0 on the tail)
	accAdd := func(tail bool) {
		if tail {
			get(mask)
			vop(simdV128And)
		}
		get(acc)
		vop(simdF32x4Add)
		set(acc)
	}
	// store: the stack holds address, value; on the tail, keep the old
	// value in the masked lanes.
	store := func(base local, tail bool) {
		if tail {
			load(base)
			get(mask)
			vop(simdV128Bitselect)
		}
		g.vStore(0)
	}
	zeroAcc := func() {
		get(k(0))
		set(acc)
	}
	// hsum: acc = (a0+a2)+(a1+a3) in every lane.
	hred := func(l local, op uint32) {
		for _, sh := range [][4]byte{{2, 3, 0, 1}, {1, 0, 3, 2}} {
			get(l)
			get(l)
			get(l)
			g.shuffle(sh[0], sh[1], sh[2], sh[3])
			vop(op)
			set(l)
		}
	}
	exp := func() { emitExp(g, k, sr, sn, sp) }

	// Row loop.
	g.block()
	g.loop()
	get(rows)
	g.op(opI32Eqz)
	g.brIf(1)
	switch kind {
	case rowSoftmax:
		get(k(math.Inf(-1)))
		set(m)
		chunks(func(bool) {
			load(src)
			get(m)
			vop(simdF32x4Max)
			set(m)
		})
		hred(m, simdF32x4Max)
		zeroAcc()
		chunks(func(tail bool) {
			addr(dst)
			load(src)
			get(m)
			vop(simdF32x4Sub)
			exp()
			g.tee(e)
			store(dst, tail)
			get(e)
			accAdd(tail)
		})
		hred(acc, simdF32x4Add)
		get(k(1))
		get(acc)
		vop(simdF32x4Div)
		set(iv)
		chunks(func(tail bool) {
			addr(dst)
			load(dst)
			get(iv)
			vop(simdF32x4Mul)
			store(dst, tail)
		})
	case rowLayerNorm:
		zeroAcc()
		chunks(func(tail bool) {
			load(src)
			accAdd(tail)
		})
		hred(acc, simdF32x4Add)
		get(acc)
		get(m)
		vop(simdF32x4Div)
		set(e) // mean
		zeroAcc()
		chunks(func(tail bool) {
			load(src)
			get(e)
			vop(simdF32x4Sub)
			g.tee(x)
			get(x)
			vop(simdF32x4Mul)
			accAdd(tail)
		})
		hred(acc, simdF32x4Add)
		get(k(1))
		get(acc)
		get(m)
		vop(simdF32x4Div)
		get(aux)
		vop(simdF32x4Add)
		vop(simdF32x4Sqrt)
		vop(simdF32x4Div)
		set(iv)
		chunks(func(tail bool) {
			addr(dst)
			load(src)
			get(e)
			vop(simdF32x4Sub)
			get(iv)
			vop(simdF32x4Mul)
			load(scale)
			vop(simdF32x4Mul)
			set(x)
			get(bias)
			g.if_()
			get(x)
			load(bias)
			vop(simdF32x4Add)
			set(x)
			g.end()
			get(x)
			store(dst, tail)
		})
		for _, st := range []struct{ p, v local }{{mean, e}, {inv, iv}} {
			get(st.p)
			g.if_()
			get(st.p)
			get(st.v)
			vop(simdF32x4Extract)
			g.op(0)
			g.f32Store(0)
			g.addTo(st.p, 4)
			g.end()
		}
	case rowDots:
		// dst[r] (+)= dot(x, row r of B) as kern's dot(): four lane sums
		// of products over the 4-aligned bulk, the tail added to lane 0
		// in order, then (s0+s1)+(s2+s3). src is x, scale B's first row,
		// tArgLDB its row stride in floats, tArgAdd says accumulate.
		zeroAcc()
		g.i32c(0)
		set(i)
		g.block()
		g.loop()
		get(i)
		get(n4b)
		g.op(opI32GeU)
		g.brIf(1)
		load(src)
		load(scale)
		vop(simdF32x4Mul)
		accAdd(false)
		g.addTo(i, 16)
		g.br(0)
		g.end()
		g.end()
		for l := byte(0); l < 4; l++ {
			get(acc)
			vop(simdF32x4Extract)
			g.op(l)
			set(fs[l])
		}
		g.block()
		g.loop()
		get(i)
		get(nb)
		g.op(opI32GeU)
		g.brIf(1)
		get(fs[0])
		addr(src)
		g.f32Load(0)
		addr(scale)
		g.f32Load(0)
		g.op(opF32Mul)
		g.op(opF32Add)
		set(fs[0])
		g.addTo(i, 4)
		g.br(0)
		g.end()
		g.end()
		get(fs[0])
		get(fs[1])
		g.op(opF32Add)
		get(fs[2])
		get(fs[3])
		g.op(opF32Add)
		g.op(opF32Add)
		set(fs[0])
		get(bias) // add
		g.if_()
		get(dst)
		g.f32Load(0)
		get(fs[0])
		g.op(opF32Add)
		set(fs[0])
		g.end()
		get(dst)
		get(fs[0])
		g.f32Store(0)
		g.addTo(dst, 4)
		g.addLocal(scale, mean) // mean: B's row stride in bytes
	case rowSum:
		zeroAcc()
		chunks(func(tail bool) {
			load(src)
			accAdd(tail)
		})
		hred(acc, simdF32x4Add)
		get(dst)
		get(acc)
		get(aux)
		vop(simdF32x4Div)
		vop(simdF32x4Extract)
		g.op(0)
		g.f32Store(0)
		g.addTo(dst, 4)
	}
	if kind != rowSum && kind != rowDots {
		g.addLocal(dst, nb)
	}
	if kind != rowDots {
		g.addLocal(src, nb)
	}
	g.addTo(rows, -1)
	g.br(0)
	g.end()
	g.end()

	for _, v := range order {
		f.f32c(v)
		f.simd(simdF32x4Splat)
		f.set(consts[math.Float32bits(v)])
	}
	f.b = append(f.b, g.b...)
	return f
}

// emitExp leaves e^(stack top) on g's stack, exactly as ops.go's act()
// computes it (kern's expPoly), using sr, sn and sp as scratch.
func emitExp(g *fn, k func(float64) local, sr, sn, sp local) {
	vop := func(op uint32) { g.simd(op) }
	get := func(l local) { g.get(l) }
	set := func(l local) { g.set(l) }
	get(k(expLo))
	vop(simdF32x4Max)
	get(k(expHi))
	vop(simdF32x4Min)
	set(sr)
	get(sr)
	get(k(log2e))
	vop(simdF32x4Mul)
	vop(simdF32x4Nearest)
	set(sn)
	for _, c := range []float64{expC1, expC2} {
		get(sr)
		get(sn)
		get(k(c))
		vop(simdF32x4Mul)
		vop(simdF32x4Sub)
		set(sr)
	}
	get(k(expP0))
	set(sp)
	for _, c := range []float64{expP1, expP2, expP3, expP4, expP5} {
		get(sp)
		get(sr)
		vop(simdF32x4Mul)
		get(k(c))
		vop(simdF32x4Add)
		set(sp)
	}
	get(sp)
	get(sr)
	get(sr)
	vop(simdF32x4Mul)
	vop(simdF32x4Mul)
	get(sr)
	vop(simdF32x4Add)
	get(k(1))
	vop(simdF32x4Add)
	get(k(2))
	vop(simdF32x4Mul)
	get(sn)
	vop(simdI32x4TruncF32)
	g.i32c(126)
	vop(simdI32x4Splat)
	vop(simdI32x4Add)
	g.i32c(23)
	vop(simdI32x4Shl)
	vop(simdF32x4Mul)
}

// binaryFn emits binary(): z = x op y over rows rows of n floats (n >= 4),
// op add, sub, mul or div (tArgOp: 0-3); x and y each advance by a row
// (n floats) per row, or, with tArgXRep/tArgYRep set, repeat one row
// (row broadcasting: [M,N] op [N]). One loop per op; the tail is the
// overlapping masked chunk. Each element is one float32 operation, so the
// results are bitwise Go's.
func binaryFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	dst, x, y, rows, nb, n4b, tb, rem, i, op, xAdv, yAdv := L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L(), L()
	mask := V()
	arg := func(l local, word int) {
		f.gget(0)
		f.i32Load(uint32(4 * word))
		f.set(l)
	}
	arg(dst, tArgDst)
	arg(x, tArgSrc)
	arg(y, tArgScale)
	arg(rows, tArgRows)
	arg(nb, tArgN)
	arg(op, tArgOp)
	f.get(nb)
	f.i32c(3)
	f.op(opI32And)
	f.set(rem)
	f.get(nb)
	f.i32c(2)
	f.op(opI32Shl)
	f.set(nb)
	f.get(nb)
	f.i32c(16)
	f.op(opI32Sub)
	f.set(tb)
	f.get(nb)
	f.i32c(-16)
	f.op(opI32And)
	f.set(n4b)
	// xAdv = rep ? 0 : nb (likewise y)
	for _, a := range []struct {
		l    local
		word int
	}{{xAdv, tArgXRep}, {yAdv, tArgYRep}} {
		f.i32c(0)
		f.get(nb)
		f.gget(0)
		f.i32Load(uint32(4 * a.word))
		f.op(opSelect)
		f.set(a.l)
	}
	f.simd(simdV128Const)
	for l := uint32(0); l < 4; l++ {
		f.b = append(f.b, byte(l), 0, 0, 0)
	}
	f.i32c(4)
	f.get(rem)
	f.op(opI32Sub)
	f.simd(simdI32x4Splat)
	f.simd(simdI32x4GeS)
	f.set(mask)
	at := func(base local) {
		f.get(base)
		f.get(i)
		f.op(opI32Add)
	}
	for k, vo := range []uint32{simdF32x4Add, simdF32x4Sub, simdF32x4Mul, simdF32x4Div} {
		f.get(op)
		f.i32c(int32(k))
		f.op(opI32Eq)
		f.if_()
		f.block()
		f.loop()
		f.get(rows)
		f.op(opI32Eqz)
		f.brIf(1)
		body := func(tail bool) {
			at(dst)
			at(x)
			f.vLoad(0)
			at(y)
			f.vLoad(0)
			f.simd(vo)
			if tail {
				at(dst)
				f.vLoad(0)
				f.get(mask)
				f.simd(simdV128Bitselect)
			}
			f.vStore(0)
		}
		f.i32c(0)
		f.set(i)
		f.block()
		f.loop()
		f.get(i)
		f.get(n4b)
		f.op(opI32GeU)
		f.brIf(1)
		body(false)
		f.addTo(i, 16)
		f.br(0)
		f.end()
		f.end()
		f.get(rem)
		f.if_()
		f.get(tb)
		f.set(i)
		body(true)
		f.end()
		f.addLocal(dst, nb)
		f.addLocal(x, xAdv)
		f.addLocal(y, yAdv)
		f.addTo(rows, -1)
		f.br(0)
		f.end()
		f.end()
		f.op(opReturn)
		f.end()
	}
	return f
}
