//go:build js && wasm

package simd

import (
	"math"
	"runtime"
	"syscall/js"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// The CNN ops module (ops2.wasm, see ops2.go), instantiated on the same
// memory as kernels.wasm and installed with kern.SetVec2Kernels.

var (
	// ops2Args is ops2.wasm's argument block (bind's address).
	ops2Args                     [ops2Words]uint32
	dw5JS, poolJS, gapJS, chanJS js.Value
	ops2OK                       bool
	// ops3.wasm (dwc), instantiated with ops2.wasm.
	dwcJS, max3s2JS js.Value
	ops3OK          bool
)

// startOps2 instantiates ops2.wasm on mem. A failure leaves those ops
// scalar.
func startOps2(g, mem js.Value) {
	defer func() {
		if r := recover(); r != nil {
			ops2OK = false
		}
	}()
	ex := instantiate(g, mem, ops2Wasm)
	ex.Call("bind", int(addr32(&ops2Args[0])))
	dw5JS, poolJS, gapJS, chanJS = ex.Get("dw5"), ex.Get("pool"), ex.Get("gap"), ex.Get("chan")
	ops2OK = true

	ex = instantiate(g, mem, ops3Wasm)
	ex.Call("bind", int(addr32(&ops2Args[0]))) // the same block
	dwcJS, max3s2JS = ex.Get("dwc"), ex.Get("max3s2")
	ops3OK = true
}

// setOps2 installs (or, off, removes) ops2.wasm's kernels in kern.
func setOps2(on bool) {
	if on && ops2OK {
		k := kern.Vec2Kernels{DW5: dw5, Pool: pool, GAP: gap, Chan: chanOp}
		if ops3OK {
			k.DWC, k.Max3s2 = dwc, max3s2
		}
		kern.SetVec2Kernels(k)
	} else {
		kern.SetVec2Kernels(kern.Vec2Kernels{})
	}
}

func dw5(p kern.ConvParams, w, x, bias, res, y, zero []float32, oxLo, cnt, ixb int, lo, hi float32) {
	for i, v := range [...]uint32{ptr(x), ptr(w), ptr(bias), ptr(res), ptr(y), uint32(p.C), uint32(p.H),
		uint32(p.W), uint32(p.OH), uint32(p.OW), uint32(p.SH), uint32(p.PT), uint32(oxLo), uint32(cnt),
		uint32(ixb), ptr(zero), math.Float32bits(lo), math.Float32bits(hi), uint32(p.PL)} {
		ops2Args[d5X+i] = v
	}
	dw5JS.Invoke()
	runtime.KeepAlive(w)
	runtime.KeepAlive(x)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(res)
	runtime.KeepAlive(y)
	runtime.KeepAlive(zero)
}

func pool(a kern.PoolArgs, x, y []float32, oyLo, oyHi, oxLo, cnt int) {
	poolArgs(a, x, y, oyLo, oyHi, oxLo, cnt)
	poolJS.Invoke()
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
}

func poolArgs(a kern.PoolArgs, x, y []float32, oyLo, oyHi, oxLo, cnt int) {
	isMax := uint32(0)
	if a.Max {
		isMax = 1
	}
	for i, v := range [...]uint32{ptr(x), ptr(y), uint32(a.Planes), uint32(a.H), uint32(a.W), uint32(a.OH),
		uint32(a.OW), uint32(a.KH), uint32(a.KW), uint32(a.S), uint32(a.PT), uint32(oyLo), uint32(oyHi),
		uint32(oxLo), uint32(cnt), uint32(4 * (oxLo*a.S - a.PL)), isMax, math.Float32bits(float32(a.KH * a.KW))} {
		ops2Args[plX+i] = v
	}
}

// max3s2 is pool (same arguments) on ops3.wasm's 3×3 stride-2 max.
func max3s2(a kern.PoolArgs, x, y []float32, oyLo, oyHi, oxLo, cnt int) {
	poolArgs(a, x, y, oyLo, oyHi, oxLo, cnt)
	max3s2JS.Invoke()
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
}

func gap(x, y []float32, planes, size int) {
	ops2Args[gpX] = ptr(x)
	ops2Args[gpY] = ptr(y)
	ops2Args[gpPlanes] = uint32(planes)
	ops2Args[gpSize] = uint32(size)
	ops2Args[gpDiv] = math.Float32bits(float32(size))
	gapJS.Invoke()
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
}

func chanOp(mul bool, dst, x, s []float32, planes, inner int) {
	ops2Args[chDst] = ptr(dst)
	ops2Args[chX] = ptr(x)
	ops2Args[chS] = ptr(s)
	ops2Args[chPlanes] = uint32(planes)
	ops2Args[chInner] = uint32(inner)
	ops2Args[chOp] = 0
	if mul {
		ops2Args[chOp] = 1
	}
	chanJS.Invoke()
	runtime.KeepAlive(dst)
	runtime.KeepAlive(x)
	runtime.KeepAlive(s)
}

func dwc(p kern.ConvParams, w, x, bias, res, y, t []float32, c4, oxLo, oxHi int, lo, hi float32) {
	for i, v := range [...]uint32{ptr(x), ptr(w), ptr(bias), ptr(res), ptr(y), uint32(c4), uint32(p.H),
		uint32(p.W), uint32(p.OH), uint32(p.OW), uint32(p.SH), uint32(p.PT), uint32(p.PL), uint32(p.KH),
		uint32(oxLo), uint32(oxHi), ptr(t), math.Float32bits(lo), math.Float32bits(hi)} {
		ops2Args[dcX+i] = v
	}
	dwcJS.Invoke()
	runtime.KeepAlive(w)
	runtime.KeepAlive(x)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(res)
	runtime.KeepAlive(y)
	runtime.KeepAlive(t)
}
