//go:build js && wasm

package simd

import (
	"math"
	"runtime"
	"syscall/js"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// The activations module (ops.wasm, see ops.go), instantiated on the same
// memory as kernels.wasm and installed with kern.SetVecAct.

var (
	// opsArgs is ops.wasm's argument block (bind's address).
	opsArgs [opsWords]uint32
	actJS   js.Value
	opsOK   bool
)

// startOps instantiates ops.wasm on mem. A failure leaves the activations
// scalar (the GEMM kernels do not depend on it).
func startOps(g, mem js.Value) {
	defer func() {
		if r := recover(); r != nil {
			opsOK = false
		}
	}()
	ex := instantiate(g, mem, opsWasm)
	ex.Call("bind", int(addr32(&opsArgs[0])))
	actJS = ex.Get("act")
	opsOK = true
}

// setOps installs (or, off, removes) the activation kernel in kern.
func setOps(on bool) {
	if on && opsOK {
		kern.SetVecAct(act)
	} else {
		kern.SetVecAct(nil)
	}
}

// act is the kern.ActKernel: len(src) is a multiple of 4, dst as long.
func act(a kern.Act, dst, src []float32) {
	if len(src)%4 != 0 || len(dst) < len(src) {
		panic("simd: act: bad slices")
	}
	if len(src) == 0 {
		return
	}
	opsArgs[opsArgDst] = ptr(dst)
	opsArgs[opsArgSrc] = ptr(src)
	opsArgs[opsArgN] = uint32(len(src))
	opsArgs[opsArgKind] = uint32(a.Kind)
	opsArgs[opsArgA] = math.Float32bits(a.A)
	opsArgs[opsArgB] = math.Float32bits(a.B)
	actJS.Invoke()
	runtime.KeepAlive(dst)
	runtime.KeepAlive(src)
}
