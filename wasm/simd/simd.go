//go:build js && wasm

// Package simd runs the CPU engine's GEMM with WebAssembly SIMD128. Go's
// wasm backend emits no vector instructions, so a small hand-assembled
// module (module.go) that imports Go's own linear memory does the block
// multiply on Go slices in place; kern calls it once per packed block
// through the hook kern.SetVecKernels (also a 3×3 depthwise kernel and the
// im2col packing). The module is kernels.wasm, embedded. Go's memory is the one the host script recorded when it
// instantiated the engine (web/engine.js, or the Node test preload
// testdata/node-mem.mjs), found as glimpseEngine._goMemory().
package simd

import (
	"math"
	"runtime"
	"syscall/js"
	"unsafe"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

var (
	// args is the argument block the module reads (bind's address); a
	// package variable, so its address never changes.
	args [argBlockWords]uint32
	// tmp is the module's scratch for edge tiles.
	tmp [gemmMR * gemmNR]float32

	gemmJS, dwJS, im2colJS js.Value
	active                 bool
	reason                 = "not initialised"
	// relaxed reports that gemm runs on kernels_relaxed.wasm (fused
	// multiply-adds); tryRelaxed lets tests cover kernels.wasm too.
	relaxed, tryRelaxed = false, true
)

// Init instantiates the SIMD module on Go's memory and installs it in kern.
// It reports whether SIMD kernels are active; if not (no recorded memory,
// no SIMD support), the scalar kernels stay and Reason says why. Safe to
// call more than once.
func Init() bool { return InitFrom("glimpseEngine") }

// InitFrom is Init with Go's memory found as host._goMemory() on the global
// object named host (the importer's is glimpseImporter).
func InitFrom(host string) bool {
	if active {
		return true
	}
	active, reason = start(host)
	if active {
		kern.SetVecKernels(kern.VecKernels{Gemm: gemm, Depthwise: dw3, Im2col: im2col})
		setOps(true)    // ops.wasm's activations (opsrun.go)
		setQ(true)      // qkernels.wasm's quantized conv (qrun.go)
		setTensor(true) // tensor.wasm's row kernels (tensorrun.go)
		setOps2(true)   // ops2.wasm's 5×5 depthwise, pooling, channel ops (ops2run.go)
	}
	return active
}

// Active reports whether the SIMD kernels are installed.
func Active() bool { return active }

// Relaxed reports whether the GEMM uses relaxed SIMD's fused multiply-add
// (the engine validated kernels_relaxed.wasm).
func Relaxed() bool { return active && relaxed }

// Reason says why the SIMD kernels are not active ("" if they are).
func Reason() string { return reason }

// disable restores the scalar kernels (tests).
func disable() {
	kern.SetVecKernels(kern.VecKernels{})
	setOps(false)
	setQ(false)
	setTensor(false)
	setOps2(false)
	active = false
	reason = "disabled"
}

// probe holds a value the page's copy of Go's memory must show at the same
// address, proving the recorded memory is this program's.
var probe = [2]uint32{0x676c696d, 0x70736521}

func start(host string) (ok bool, why string) {
	defer func() {
		if r := recover(); r != nil { // a JS exception from a call below
			ok, why = false, "simd: "+errString(r)
		}
	}()
	g := js.Global()
	wasm := g.Get("WebAssembly")
	gl := g.Get(host)
	if !wasm.Truthy() || !gl.Truthy() || gl.Get("_goMemory").Type() != js.TypeFunction {
		return false, "Go's memory was not recorded (the engine was not started by engine.js or the test preload)"
	}
	mem := gl.Call("_goMemory")
	if !mem.Truthy() {
		return false, "Go's memory was not recorded"
	}
	valid := func(code []byte) bool {
		b := g.Get("Uint8Array").New(len(code))
		js.CopyBytesToJS(b, code)
		return wasm.Call("validate", b).Bool()
	}
	code := kernelsWasm
	relaxed = tryRelaxed && valid(kernelsRelaxedWasm)
	if relaxed {
		code = kernelsRelaxedWasm
	} else if !valid(code) {
		return false, "this engine has no WebAssembly SIMD"
	}
	ex := instantiate(g, mem, code)
	// (Reading through the module, not a typed array: a JS view of
	// mem.buffer is detached as soon as Go's memory grows.)
	for i, v := range probe {
		if uint32(ex.Call("peek", int(addr32(&probe[i]))).Int()) != v {
			return false, "the recorded memory is not this program's"
		}
	}
	ex.Call("bind", int(addr32(&args[0])))
	gemmJS = ex.Get("gemm")
	dwJS = ex.Get("dw3")
	im2colJS = ex.Get("im2col")
	startOps(g, mem)    // optional: without it the activations stay scalar
	startQ(g, mem)      // optional: without it quantized convs stay on their Go paths
	startTensor(g, mem) // optional: without it the row kernels stay on their Go paths
	startOps2(g, mem)   // optional: without it those ops stay scalar
	return true, ""
}

func errString(r any) string {
	if e, ok := r.(error); ok {
		return e.Error()
	}
	return "failed"
}

// addr32 is p's byte offset in linear memory.
func addr32[T any](p *T) uint32 { return uint32(uintptr(unsafe.Pointer(p))) }

// ptr is the offset of s's first element, or 0 for an empty slice.
func ptr(s []float32) uint32 {
	if len(s) == 0 {
		return 0
	}
	return addr32(&s[0])
}

// gemm is the kern.GemmKernel: kern has checked every slice's length.
func gemm(ap, bp []float32, ldb, kb, mb, nb int, c []float32, ldc int, bias, res []float32, lo, hi float32) {
	args[argAP] = ptr(ap)
	args[argBP] = ptr(bp)
	args[argLDB] = uint32(ldb)
	args[argKB] = uint32(kb)
	args[argMB] = uint32(mb)
	args[argNB] = uint32(nb)
	args[argC] = ptr(c)
	args[argLDC] = uint32(ldc)
	args[argBias] = ptr(bias)
	args[argRes] = ptr(res)
	args[argLo] = math.Float32bits(lo)
	args[argHi] = math.Float32bits(hi)
	args[argTmp] = addr32(&tmp[0])
	gemmJS.Invoke()
	runtime.KeepAlive(ap)
	runtime.KeepAlive(bp)
	runtime.KeepAlive(c)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(res)
}

// dw3 is the kern.DepthwiseKernel: kern has checked every slice's length.
func dw3(p kern.ConvParams, w, x, bias, res, y, zero []float32, oxLo, oxHi int, lo, hi float32) {
	args[dwX] = ptr(x)
	args[dwW] = ptr(w)
	args[dwBias] = ptr(bias)
	args[dwRes] = ptr(res)
	args[dwY] = ptr(y)
	args[dwC] = uint32(p.C)
	args[dwH] = uint32(p.H)
	args[dwWidth] = uint32(p.W)
	args[dwOH] = uint32(p.OH)
	args[dwOW] = uint32(p.OW)
	args[dwS] = uint32(p.SH)
	args[dwPT] = uint32(p.PT)
	args[dwPL] = uint32(p.PL)
	args[dwOxLo] = uint32(oxLo)
	args[dwOxHi] = uint32(oxHi)
	args[dwZero] = ptr(zero)
	args[dwLo] = math.Float32bits(lo)
	args[dwHi] = math.Float32bits(hi)
	dwJS.Invoke()
	runtime.KeepAlive(w)
	runtime.KeepAlive(x)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(res)
	runtime.KeepAlive(y)
	runtime.KeepAlive(zero)
}

// im2col is the kern.Im2colKernel: kern has checked every slice's length.
func im2col(p kern.ConvParams, xg []float32, j0, nb, kg int, dst []float32) {
	for i, v := range [icWords]int{ptrInt(xg), ptrInt(dst), p.H, p.W, p.KH, p.KW, p.SH, p.SW,
		p.PT, p.PL, p.DH, p.DW, p.OW, j0, nb, kg} {
		args[i] = uint32(v)
	}
	im2colJS.Invoke()
	runtime.KeepAlive(xg)
	runtime.KeepAlive(dst)
}

func ptrInt(s []float32) int { return int(ptr(s)) }

// instantiate compiles one of the embedded modules and instantiates it on
// mem (Go's memory, its only import), returning its exports. Synchronous:
// each module is below the 4 KB limit browsers put on compiling on the
// main thread (the modules' tests keep them there). It panics where the
// engine refuses the module; the optional modules' start functions
// recover and stay on their Go paths.
func instantiate(g, mem js.Value, code []byte) js.Value {
	wasm := g.Get("WebAssembly")
	bytes := g.Get("Uint8Array").New(len(code))
	js.CopyBytesToJS(bytes, code)
	env := g.Get("Object").New()
	env.Set("mem", mem)
	imports := g.Get("Object").New()
	imports.Set("env", env)
	return wasm.Get("Instance").New(wasm.Get("Module").New(bytes), imports).Get("exports")
}
