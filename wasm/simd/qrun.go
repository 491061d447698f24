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
	qqJS, qrJS    js.Value
	qOK           bool
	// qdw.wasm's kernel (qdw.go), on the same argument block
	qdwJS    js.Value
	qdwOK    bool
	qdwCalls int // (tests)
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
		k := kern.QVecKernels{Pack: qpack, Gemm: qgemm, Quant: qquant, Requant: qrequant}
		if qdwOK {
			k.DW = qdw
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
	qArgs[qpX] = qptr(x)
	qArgs[qpLD] = uint32(ld)
	qArgs[qpK] = uint32(k)
	qArgs[qpS] = uint32(strips)
	qArgs[qpDst] = qptr(dst)
	qArgs[qpScale] = math.Float32bits(scale)
	qArgs[qpLo] = math.Float32bits(lo)
	qArgs[qpHi] = math.Float32bits(hi)
	qpackJS.Invoke()
	runtime.KeepAlive(x)
	runtime.KeepAlive(dst)
}

// qgemm is the kern.QGemmKernel.
func qgemm(a, b []int16, kb, mb, nb int, y []float32, ldy int, bias []int32, mult []float32, lo, hi, ys float32, tmp []float32) {
	m4, s8 := (mb+3)/4*4, (nb+7)/8
	if kb%2 != 0 || mb <= 0 || nb <= 0 || len(a) < m4*kb || len(b) < s8*8*kb || len(y) < (mb-1)*ldy+nb ||
		len(bias) < m4 || len(mult) < m4 || len(tmp) < 8 {
		panic("simd: qgemm: bad arguments")
	}
	qArgs[qgA] = qptr(a)
	qArgs[qgB] = qptr(b)
	qArgs[qgKB] = uint32(kb)
	qArgs[qgMB] = uint32(mb)
	qArgs[qgNB] = uint32(nb)
	qArgs[qgY] = qptr(y)
	qArgs[qgLDY] = uint32(ldy)
	qArgs[qgBias] = qptr(bias)
	qArgs[qgMult] = qptr(mult)
	qArgs[qgLo] = math.Float32bits(lo)
	qArgs[qgHi] = math.Float32bits(hi)
	qArgs[qgYS] = math.Float32bits(ys)
	qArgs[qgTmp] = qptr(tmp)
	qgJS.Invoke()
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(y)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(mult)
	runtime.KeepAlive(tmp)
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
	qrJS.Invoke()
	runtime.KeepAlive(y)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(mult)
}

// qdw is the kern.QDWKernel.
func qdw(p kern.ConvParams, x, y []float32, w, bias []int32, mult []float32, pad []int16, wr int,
	xscale, xlo, xhi, lo, hi, ys float32, tmp []float32) {
	if p.KH != 3 || p.KW != 3 || p.SH != p.SW || (p.SH != 1 && p.SH != 2) || p.W < 4 || p.C != p.M ||
		len(x) < p.C*p.H*p.W || len(y) < p.C*p.OH*p.OW || len(w) < 9*p.C || len(bias) < p.C || len(mult) < p.C ||
		wr < max((p.OW-1)*p.SH+3, p.PL+p.W) || len(pad) < max((p.OH-1)*p.SH+3, p.PT+p.H)*wr+32 || len(tmp) < 8 {
		panic("simd: qdw: bad arguments")
	}
	for i, v := range [...]uint32{qptr(x), qptr(y), qptr(w), qptr(bias), qptr(mult), qptr(pad), qptr(tmp),
		uint32(p.C), uint32(p.H), uint32(p.W), uint32(p.OH), uint32(p.OW), uint32(p.SH), uint32(p.PT), uint32(p.PL), uint32(wr),
		math.Float32bits(xscale), math.Float32bits(xlo), math.Float32bits(xhi),
		math.Float32bits(lo), math.Float32bits(hi), math.Float32bits(ys)} {
		qArgs[qdX+i] = v
	}
	qdwJS.Invoke()
	qdwCalls++
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
	runtime.KeepAlive(w)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(mult)
	runtime.KeepAlive(pad)
	runtime.KeepAlive(tmp)
}
