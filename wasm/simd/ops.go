//go:build !(js && wasm)

package simd

import "math"

// The second kernels module, ops.wasm: elementwise activations (this file)
// for kern.SetVecAct. It is a module of its own so that each stays under
// the 4 KB browsers compile synchronously on the main thread (kernels.wasm
// is near it). It imports Go's memory as env.mem like kernels.wasm and
// reads its arguments from the block bind(p) records (opsArg* below).

// Further SIMD opcodes (0xfd prefix).
const (
	simdI32x4Splat    = 0x11
	simdF32x4Lt       = 0x43
	simdV128And       = 0x4e
	simdV128Or        = 0x50
	simdV128Bitselect = 0x52
	simdF32x4Nearest  = 0x6a
	simdI32x4Shl      = 0xab
	simdI32x4Add      = 0xae
	simdF32x4Abs      = 0xe0
	simdF32x4Neg      = 0xe1
	simdF32x4Sub      = 0xe5
	simdF32x4Div      = 0xe7
	simdI32x4TruncF32 = 0xf8 // i32x4.trunc_sat_f32x4_s
)

// The polynomials' constants: kern's act_poly.go's (the wasm tests check
// the results are bitwise the same).
const (
	expLo  = -86.6
	expHi  = 89
	log2e  = 1.44269504088896341
	expC1  = 0.693359375
	expC2  = -2.12194440e-4
	expP0  = 1.9875691500e-4
	expP1  = 1.3981999507e-3
	expP2  = 8.3334519073e-3
	expP3  = 4.1665795894e-2
	expP4  = 1.6666665459e-1
	expP5  = 5.0000001201e-1
	tanhT  = 0.625
	tanhQ0 = -5.70498872745e-3
	tanhQ1 = 2.06390887954e-2
	tanhQ2 = -5.37397155531e-2
	tanhQ3 = 1.33314422036e-1
	tanhQ4 = -3.33332819422e-1
	erfA13 = -2.72614225801306e-10
	erfA11 = 2.77068142495902e-08
	erfA9  = -2.10102402082508e-06
	erfA7  = -5.69250639462346e-05
	erfA5  = -7.34990630326855e-04
	erfA3  = -2.95459980854025e-03
	erfA1  = -1.60960333262415e-02
	erfB8  = -1.45660718464996e-05
	erfB6  = -2.13374055278905e-04
	erfB4  = -1.68282697438203e-03
	erfB2  = -7.37332916720468e-03
	erfB0  = -1.42647390514189e-02
	geluC0 = 0.7978845608028654 * 2
	geluC1 = 0.044715 * 0.7978845608028654 * 2
)

// OpsModule returns ops.wasm's bytes. Exports: bind(p), act().
func OpsModule() []byte {
	bind := &fn{params: []valType{i32}}
	bind.get(0)
	bind.gset(0)
	return assemble([]export{
		{"bind", bind},
		{"act", actFn()},
	}, 1)
}

// actFn emits act(): dst[i] = f(src[i]) for n elements (a multiple of 4),
// f chosen by kind (kern's ActKind numbering, opsKind*), with the same
// float32 operations in the same order as kern's act_poly.go, so the
// results are bitwise the scalar polynomials'. One loop per kind.
func actFn() *fn {
	f := &fn{}
	L := func() local { return f.newLocal(i32) }
	V := func() local { return f.newLocal(v128) }
	dst, src, end, kind := L(), L(), L(), L()
	x, y, t, n := V(), V(), V(), V()
	av, bv := V(), V()

	arg := func(l local, word int) {
		f.gget(0)
		f.i32Load(uint32(4 * word))
		f.set(l)
	}
	arg(dst, opsArgDst)
	arg(src, opsArgSrc)
	arg(kind, opsArgKind)
	// end = src + n*4
	f.get(src)
	f.gget(0)
	f.i32Load(4 * opsArgN)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(end)
	f.gget(0)
	f.vLoadSplat(4 * opsArgA)
	f.set(av)
	f.gget(0)
	f.vLoadSplat(4 * opsArgB)
	f.set(bv)

	// Constants, splat once into locals.
	consts := map[uint32]local{} // by bits: -0 and 0 differ
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
	// Allocate every constant's local before the code that uses it: emit
	// the splats first by generating the body into a second fn and
	// splicing.
	body := &fn{}
	g := body
	vop := func(op uint32) { g.simd(op) }
	get := func(l local) { g.get(l) }
	set := func(l local) { g.set(l) }
	// madd: p = p*get(m) + c
	madd := func(p, m local, c float64) {
		get(p)
		get(m)
		vop(simdF32x4Mul)
		get(k(c))
		vop(simdF32x4Add)
		set(p)
	}
	// exp leaves e^(stack top) on the stack, using t, n and y as scratch.
	sn, sr, sp := t, n, y
	exp := func() {
		get(k(expLo))
		vop(simdF32x4Max)
		get(k(expHi))
		vop(simdF32x4Min)
		set(sr) // x
		get(sr)
		get(k(log2e))
		vop(simdF32x4Mul)
		vop(simdF32x4Nearest)
		set(sn)
		// r = x - n*C1; r = r - n*C2
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
			madd(sp, sr, c)
		}
		// p = p*(r*r) + r + 1
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
		// * 2^(n-1): (int(n) + 126) << 23
		get(sn)
		vop(simdI32x4TruncF32)
		g.i32c(126)
		vop(simdI32x4Splat)
		vop(simdI32x4Add)
		g.i32c(23)
		vop(simdI32x4Shl)
		vop(simdF32x4Mul)
	}
	// recip1p leaves 1/(1 + stack top).
	recip1p := func() {
		get(k(1))
		vop(simdF32x4Add)
		set(t)
		get(k(1))
		get(t)
		vop(simdF32x4Div)
	}
	sigmoidOfX := func() { // 1/(1+e^-x)
		get(x)
		vop(simdF32x4Neg)
		exp()
		recip1p()
	}
	// erf leaves erf(stack top), scratch t, n, y.
	erf := func() {
		get(k(-4))
		vop(simdF32x4Max)
		get(k(4))
		vop(simdF32x4Min)
		set(sr) // x
		get(sr)
		get(sr)
		vop(simdF32x4Mul)
		set(sn) // z
		get(k(erfA13))
		set(sp)
		for _, c := range []float64{erfA11, erfA9, erfA7, erfA5, erfA3, erfA1} {
			madd(sp, sn, c)
		}
		get(sp)
		get(sr)
		vop(simdF32x4Mul)
		get(k(erfB8))
		set(sr)
		for _, c := range []float64{erfB6, erfB4, erfB2, erfB0} {
			madd(sr, sn, c)
		}
		get(sr)
		vop(simdF32x4Div)
	}
	kinds := []struct {
		kind int32
		body func() // x -> result on the stack
	}{
		{opsKindSigmoid, sigmoidOfX},
		{opsKindSiLU, func() {
			get(x)
			sigmoidOfX()
			vop(simdF32x4Mul)
		}},
		{opsKindTanh, func() {
			// large: 1 - 2/(e^2|x| + 1), with x's sign
			get(k(1))
			get(k(2))
			get(x)
			vop(simdF32x4Abs)
			get(x)
			vop(simdF32x4Abs)
			vop(simdF32x4Add)
			exp()
			get(k(1))
			vop(simdF32x4Add)
			vop(simdF32x4Div)
			vop(simdF32x4Sub)
			get(x)
			get(k(math.Copysign(0, -1)))
			vop(simdV128And)
			vop(simdV128Or)
			// small: p*z*x + x, z = x*x
			get(x)
			get(x)
			vop(simdF32x4Mul)
			set(n) // z
			get(k(tanhQ0))
			set(y)
			for _, c := range []float64{tanhQ1, tanhQ2, tanhQ3, tanhQ4} {
				madd(y, n, c)
			}
			get(y)
			get(n)
			vop(simdF32x4Mul)
			get(x)
			vop(simdF32x4Mul)
			get(x)
			vop(simdF32x4Add)
			// |x| < T ? small : large  (bitselect(v1, v2, c) = v1&c | v2&^c)
			set(y)
			set(t)
			get(y)
			get(t)
			get(x)
			vop(simdF32x4Abs)
			get(k(tanhT))
			vop(simdF32x4Lt)
			vop(simdV128Bitselect)
		}},
		{opsKindExp, func() {
			get(x)
			exp()
		}},
		{opsKindErf, func() {
			get(x)
			erf()
		}},
		{opsKindGelu, func() { // (0.5x)(1 + erf(x/√2))
			get(x)
			get(k(0.5))
			vop(simdF32x4Mul)
			get(x)
			get(k(0.70710678118654752))
			vop(simdF32x4Mul)
			erf()
			get(k(1))
			vop(simdF32x4Add)
			vop(simdF32x4Mul)
		}},
		{opsKindGeluTanh, func() { // x / (1 + e^-(x(C0 + C1·x²)))
			get(x)
			get(x)
			get(k(geluC0))
			get(k(geluC1))
			get(x)
			get(x)
			vop(simdF32x4Mul)
			vop(simdF32x4Mul)
			vop(simdF32x4Add)
			vop(simdF32x4Mul)
			vop(simdF32x4Neg)
			exp()
			get(k(1))
			vop(simdF32x4Add)
			vop(simdF32x4Div)
		}},
		{opsKindHardSigmoid, func() { // min(max(a*x + b, 0), 1)
			get(av)
			get(x)
			vop(simdF32x4Mul)
			get(bv)
			vop(simdF32x4Add)
			get(k(0))
			vop(simdF32x4Max)
			get(k(1))
			vop(simdF32x4Min)
		}},
		{opsKindHardSwish, func() { // x * min(max(x*(1/6) + 0.5, 0), 1)
			get(x)
			get(x)
			get(k(1.0 / 6))
			vop(simdF32x4Mul)
			get(k(0.5))
			vop(simdF32x4Add)
			get(k(0))
			vop(simdF32x4Max)
			get(k(1))
			vop(simdF32x4Min)
			vop(simdF32x4Mul)
		}},
	}
	for _, kd := range kinds {
		g.get(kind)
		g.i32c(kd.kind)
		g.op(opI32Eq)
		g.if_()
		g.block()
		g.loop()
		g.get(src)
		g.get(end)
		g.op(opI32GeU)
		g.brIf(1)
		g.get(src)
		g.vLoad(0)
		g.set(x)
		g.get(dst) // address for the store, under the result
		kd.body()
		g.vStore(0)
		g.addTo(src, 16)
		g.addTo(dst, 16)
		g.br(0)
		g.end()
		g.end()
		g.op(opReturn)
		g.end()
	}
	for _, v := range order {
		f.f32c(v)
		f.simd(simdF32x4Splat)
		f.set(consts[math.Float32bits(v)])
	}
	f.locals = append(f.locals, body.locals...)
	f.b = append(f.b, body.b...)
	return f
}
