//go:build js && wasm

package simd

import (
	"math"
	"runtime"
	"syscall/js"
	"unsafe"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// The quantized conv's kernels (qkernels.wasm, see qgemm.go), instantiated
// on the same memory as kernels.wasm and installed with
// kern.SetQVecKernels.

var (
	// qArgs is qkernels.wasm's argument block (bind's address).
	qArgs         [qArgWords]uint32
	qpackJS, qgJS js.Value
	qpack8JS      js.Value
	qqJS, qrJS    js.Value
	qOK           bool
	// qdw.wasm's kernel (qdw.go), on the same argument block
	qdwJS    js.Value
	qdwOK    bool
	qdwCalls int // (tests)
	// qpackStrips calls (tests)
	qpackStripsCalls int
)

// startQ instantiates qkernels.wasm on mem. A failure leaves the quantized
// convs on their Go paths.
func startQ(g, mem js.Value) {
	defer func() {
		if r := recover(); r != nil {
			qOK = false
		}
	}()
	ex := instantiate(g, mem, qkernelsWasm)
	ex.Call("bind", int(addr32(&qArgs[0])))
	qpackJS = ex.Get("qpack")
	qpack8JS = ex.Get("qpack8")
	qgJS = ex.Get("qgemm")
	qqJS = ex.Get("qquant")
	qrJS = ex.Get("qrequant")
	qOK = true
	startQDW(g, mem)
}

// startQDW instantiates qdw.wasm on mem. A failure leaves depthwise
// quantized convs on their Go paths.
func startQDW(g, mem js.Value) {
	defer func() {
		if r := recover(); r != nil {
			qdwOK = false
		}
	}()
	ex := instantiate(g, mem, qdwWasm)
	ex.Call("bind", int(addr32(&qArgs[0])))
	qdwJS = ex.Get("qdw")
	qdwOK = true
}

// setQ installs (or, off, removes) the quantized kernels in kern.
func setQ(on bool) {
	if on && qOK {
		k := kern.QVecKernels{Pack: qpack, Gemm: qgemm, Quant: qquant, Requant: qrequant, Pack8: qpack8, Gemm8: qgemm8, Requant8: qrequant8, PackStrips: qpackStrips}
		if qdwOK {
			k.DW, k.DW8 = qdw, qdw8
		}
		kern.SetQVecKernels(k)
	} else {
		kern.SetQVecKernels(kern.QVecKernels{})
	}
}

// qptr is the offset of s's first element, or 0 for an empty slice.
func qptr[T any](s []T) uint32 {
	if len(s) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(&s[0])))
}

// qpack is the kern.QPackKernel.
func qpack(x []float32, ld, k, strips int, scale, lo, hi float32, dst []int16) {
	if k%2 != 0 || strips <= 0 || len(x) < (k-1)*ld+strips*8 || len(dst) < strips*k*8 {
		panic("simd: qpack: bad arguments")
	}
	qpackCall(x, ld, k, strips, 32, scale, lo, hi, dst)
}

// qpackStrips is the kern.QPackStripsKernel.
func qpackStrips(x []float32, k, strips, sstride int, scale, lo, hi float32, dst []int16) {
	if k%2 != 0 || strips <= 0 || sstride < 8 || len(x) < (strips-1)*sstride+k*8 || len(dst) < strips*k*8 {
		panic("simd: qpackStrips: bad arguments")
	}
	qpackCall(x, 8, k, strips, 4*sstride, scale, lo, hi, dst)
	qpackStripsCalls++
}

func qpackCall(x []float32, ld, k, strips, ss int, scale, lo, hi float32, dst []int16) {
	qArgs[qpX] = qptr(x)
	qArgs[qpLD] = uint32(ld)
	qArgs[qpK] = uint32(k)
	qArgs[qpS] = uint32(strips)
	qArgs[qpDst] = qptr(dst)
	qArgs[qpScale] = math.Float32bits(scale)
	qArgs[qpLo] = math.Float32bits(lo)
	qArgs[qpHi] = math.Float32bits(hi)
	qArgs[qpSS] = uint32(ss)
	qpackJS.Invoke()
	runtime.KeepAlive(x)
	runtime.KeepAlive(dst)
}

// qgemm is the kern.QGemmKernel.
func qgemm(a, b []int16, kb, mb, nb int, y []float32, ldy int, bias []int32, mult []float32, lo, hi, ys float32, tmp []float32) {
	if mb <= 0 || nb <= 0 || len(y) < (mb-1)*ldy+nb {
		panic("simd: qgemm: bad arguments")
	}
	qgemmCall(a, b, kb, mb, nb, qptr(y), ldy, bias, mult, lo, hi, ys, 0, 0, tmp)
	runtime.KeepAlive(y)
}

// qgemm8 is the kern.QGemm8Kernel.
func qgemm8(a, b []int16, kb, mb, nb int, y []byte, ldy int, bias []int32, mult []float32, lo, hi float32, zp int32, tmp []float32) {
	if mb <= 0 || nb <= 0 || len(y) < (mb-1)*ldy+nb {
		panic("simd: qgemm8: bad arguments")
	}
	qgemmCall(a, b, kb, mb, nb, qptr(y), ldy, bias, mult, lo, hi, 0, 1, zp, tmp)
	runtime.KeepAlive(y)
}

// qgemmCall runs qgemm() on y at address yp (checked by the caller).
func qgemmCall(a, b []int16, kb, mb, nb int, yp uint32, ldy int, bias []int32, mult []float32, lo, hi, ys float32, out8, zp int32, tmp []float32) {
	m4, s8 := (mb+3)/4*4, (nb+7)/8
	if kb%2 != 0 || len(a) < m4*kb || len(b) < s8*8*kb || len(bias) < m4 || len(mult) < m4 || len(tmp) < 8 {
		panic("simd: qgemm: bad arguments")
	}
	qArgs[qgA] = qptr(a)
	qArgs[qgB] = qptr(b)
	qArgs[qgKB] = uint32(kb)
	qArgs[qgMB] = uint32(mb)
	qArgs[qgNB] = uint32(nb)
	qArgs[qgY] = yp
	qArgs[qgLDY] = uint32(ldy)
	qArgs[qgBias] = qptr(bias)
	qArgs[qgMult] = qptr(mult)
	qArgs[qgLo] = math.Float32bits(lo)
	qArgs[qgHi] = math.Float32bits(hi)
	qArgs[qgYS] = math.Float32bits(ys)
	qArgs[qgTmp] = qptr(tmp)
	qArgs[qgOut8] = uint32(out8)
	qArgs[qgZP] = uint32(zp)
	qgJS.Invoke()
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(mult)
	runtime.KeepAlive(tmp)
}

// qpack8 is the kern.QPack8Kernel.
func qpack8(x []byte, ld, k, strips int, zp int32, signed bool, dst []int16) {
	if k%2 != 0 || strips <= 0 || len(x) < (k-1)*ld+strips*8 || len(dst) < strips*k*8 {
		panic("simd: qpack8: bad arguments")
	}
	qArgs[q8X] = qptr(x)
	qArgs[q8LD] = uint32(ld)
	qArgs[q8K] = uint32(k)
	qArgs[q8S] = uint32(strips)
	qArgs[q8Dst] = qptr(dst)
	qArgs[q8ZP] = uint32(zp)
	qArgs[q8Signed] = b2u(signed)
	qpack8JS.Invoke()
	runtime.KeepAlive(x)
	runtime.KeepAlive(dst)
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// qquant is the kern.QQuantKernel.
func qquant(x, dst []float32, n int, scale, lo, hi, out float32) {
	if n%4 != 0 || n <= 0 || len(x) < n || len(dst) < n {
		panic("simd: qquant: bad arguments")
	}
	qArgs[qqX] = qptr(x)
	qArgs[qqDst] = qptr(dst)
	qArgs[qqN] = uint32(n)
	qArgs[qqScale] = math.Float32bits(scale)
	qArgs[qqLo] = math.Float32bits(lo)
	qArgs[qqHi] = math.Float32bits(hi)
	qArgs[qqOut] = math.Float32bits(out)
	qqJS.Invoke()
	runtime.KeepAlive(x)
	runtime.KeepAlive(dst)
}

// qrequant is the kern.QRequantKernel.
func qrequant(y []float32, n, ldy, m int, bias []float32, mult []float32, lo, hi, ys float32) {
	qrequantCall(y, 0, n, ldy, m, bias, mult, lo, hi, ys, 0, 0)
}

// qrequant8 is the kern.QRequant8Kernel.
func qrequant8(y []float32, y8 []byte, n, ldy, m int, bias []float32, mult []float32, lo, hi float32, zp int32) {
	if len(y8) < (m-1)*ldy+n {
		panic("simd: qrequant8: bad arguments")
	}
	qrequantCall(y, qptr(y8), n, ldy, m, bias, mult, lo, hi, 0, 1, zp)
	runtime.KeepAlive(y8)
}

func qrequantCall(y []float32, y8 uint32, n, ldy, m int, bias []float32, mult []float32, lo, hi, ys float32, out8, zp int32) {
	if n%4 != 0 || n <= 0 || m <= 0 || n > ldy || len(y) < (m-1)*ldy+n || len(bias) < m || len(mult) < m {
		panic("simd: qrequant: bad arguments")
	}
	qArgs[qrY] = qptr(y)
	qArgs[qrN] = uint32(n)
	qArgs[qrLDY] = uint32(ldy)
	qArgs[qrM] = uint32(m)
	qArgs[qrBias] = qptr(bias)
	qArgs[qrMult] = qptr(mult)
	qArgs[qrLo] = math.Float32bits(lo)
	qArgs[qrHi] = math.Float32bits(hi)
	qArgs[qrYS] = math.Float32bits(ys)
	qArgs[qrY8] = y8
	qArgs[qrOut8] = uint32(out8)
	qArgs[qrZP] = uint32(zp)
	qrJS.Invoke()
	runtime.KeepAlive(y)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(mult)
}

// qdw is the kern.QDWKernel.
func qdw(p kern.ConvParams, x, y []float32, w, bias []int32, mult []float32, pad []int16, wr int,
	xscale, xlo, xhi, lo, hi, ys float32, tmp []float32) {
	qdw8(p, x, nil, false, 0, y, nil, 0, w, bias, mult, pad, wr, xscale, xlo, xhi, lo, hi, ys, tmp)
}

// qdw8 is the kern.QDW8Kernel.
func qdw8(p kern.ConvParams, x []float32, x8 []byte, xsigned bool, xzp int32, y []float32, y8 []byte, yzp int32,
	w, bias []int32, mult []float32, pad []int16, wr int, xscale, xlo, xhi, lo, hi, ys float32, tmp []float32) {
	if p.KH != 3 || p.KW != 3 || p.SH != p.SW || (p.SH != 1 && p.SH != 2) || p.W < 4 || p.C != p.M ||
		len(w) < 9*p.C || len(bias) < p.C || len(mult) < p.C ||
		wr < max((p.OW-1)*p.SH+3, p.PL+p.W) || len(pad) < max((p.OH-1)*p.SH+3, p.PT+p.H)*wr+32 || len(tmp) < 8 ||
		p.SH == 2 && wr%2 != 0 {
		panic("simd: qdw: bad arguments")
	}
	xp, yp := qptr(x), qptr(y)
	if x8 != nil {
		if len(x8) < p.C*p.H*p.W {
			panic("simd: qdw: bad arguments")
		}
		xp = qptr(x8)
	} else if len(x) < p.C*p.H*p.W {
		panic("simd: qdw: bad arguments")
	}
	if y8 != nil {
		if len(y8) < p.C*p.OH*p.OW {
			panic("simd: qdw: bad arguments")
		}
		yp = qptr(y8)
	} else if len(y) < p.C*p.OH*p.OW {
		panic("simd: qdw: bad arguments")
	}
	for i, v := range [...]uint32{xp, yp, qptr(w), qptr(bias), qptr(mult), qptr(pad), qptr(tmp),
		uint32(p.C), uint32(p.H), uint32(p.W), uint32(p.OH), uint32(p.OW), uint32(p.SH), uint32(p.PT), uint32(p.PL), uint32(wr),
		math.Float32bits(xscale), math.Float32bits(xlo), math.Float32bits(xhi),
		math.Float32bits(lo), math.Float32bits(hi), math.Float32bits(ys),
		b2u(x8 != nil), b2u(xsigned), uint32(xzp), b2u(y8 != nil), uint32(yzp)} {
		qArgs[qdX+i] = v
	}
	qdwJS.Invoke()
	qdwCalls++
	runtime.KeepAlive(x)
	runtime.KeepAlive(x8)
	runtime.KeepAlive(y)
	runtime.KeepAlive(y8)
	runtime.KeepAlive(w)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(mult)
	runtime.KeepAlive(pad)
	runtime.KeepAlive(tmp)
}
