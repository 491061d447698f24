//go:build js && wasm

package simd

import (
	"math"
	"runtime"
	"syscall/js"

	"github.com/glimpse/glimpse/model/cpu/kern"
)

// The row kernels module (tensor.wasm, see tensor.go), instantiated on the
// same memory as kernels.wasm and installed with kern.SetTensorKernels.

var (
	// tArgs is tensor.wasm's argument block (bind's address).
	tArgs                                       [tWords]uint32
	softmaxJS, lnJS, rowsumJS, dotsJS, binaryJS js.Value
	tensorOK                                    bool
)

// startTensor instantiates tensor.wasm on mem. A failure leaves the row
// kernels on their Go paths.
func startTensor(g, mem js.Value) {
	defer func() {
		if r := recover(); r != nil {
			tensorOK = false
		}
	}()
	ex := instantiate(g, mem, tensorWasm)
	ex.Call("bind", int(addr32(&tArgs[0])))
	softmaxJS = ex.Get("softmax")
	lnJS = ex.Get("layernorm")
	rowsumJS = ex.Get("rowsum")
	dotsJS = ex.Get("dots")
	binaryJS = ex.Get("binary")
	tensorOK = true
}

// setTensor installs (or, off, removes) the row kernels in kern.
func setTensor(on bool) {
	if on && tensorOK {
		kern.SetTensorKernels(kern.TensorKernels{Softmax: softmaxRows, LayerNorm: layerNormRows, RowSum: rowSums, Dots: dots, Binary: binaryRows})
	} else {
		kern.SetTensorKernels(kern.TensorKernels{})
	}
}

// The kern.TensorKernels: kern has checked every slice's length and n >= 4.

func softmaxRows(dst, src []float32, rows, n int) {
	tArgs[tArgDst] = ptr(dst)
	tArgs[tArgSrc] = ptr(src)
	tArgs[tArgRows] = uint32(rows)
	tArgs[tArgN] = uint32(n)
	softmaxJS.Invoke()
	runtime.KeepAlive(dst)
	runtime.KeepAlive(src)
}

func layerNormRows(dst, src, scale, bias []float32, rows, n int, eps float32, mean, inv []float32) {
	tArgs[tArgDst] = ptr(dst)
	tArgs[tArgSrc] = ptr(src)
	tArgs[tArgRows] = uint32(rows)
	tArgs[tArgN] = uint32(n)
	tArgs[tArgScale] = ptr(scale)
	tArgs[tArgBias] = ptr(bias)
	tArgs[tArgMean] = ptr(mean)
	tArgs[tArgInv] = ptr(inv)
	tArgs[tArgEps] = math.Float32bits(eps)
	lnJS.Invoke()
	runtime.KeepAlive(dst)
	runtime.KeepAlive(src)
	runtime.KeepAlive(scale)
	runtime.KeepAlive(bias)
	runtime.KeepAlive(mean)
	runtime.KeepAlive(inv)
}

func rowSums(dst, src []float32, rows, n int, div float32) {
	tArgs[tArgDst] = ptr(dst)
	tArgs[tArgSrc] = ptr(src)
	tArgs[tArgRows] = uint32(rows)
	tArgs[tArgN] = uint32(n)
	tArgs[tArgDiv] = math.Float32bits(div)
	rowsumJS.Invoke()
	runtime.KeepAlive(dst)
	runtime.KeepAlive(src)
}

func dots(c, x, b []float32, rows, k, ldb int, add bool) {
	tArgs[tArgDst] = ptr(c)
	tArgs[tArgSrc] = ptr(x)
	tArgs[tArgRows] = uint32(rows)
	tArgs[tArgN] = uint32(k)
	tArgs[tArgScale] = ptr(b)
	tArgs[tArgLDB] = uint32(ldb)
	tArgs[tArgAdd] = 0
	if add {
		tArgs[tArgAdd] = 1
	}
	dotsJS.Invoke()
	runtime.KeepAlive(c)
	runtime.KeepAlive(x)
	runtime.KeepAlive(b)
}

func binaryRows(op int, z, x, y []float32, rows, n int, xRep, yRep bool) {
	b := func(v bool) uint32 {
		if v {
			return 1
		}
		return 0
	}
	tArgs[tArgDst] = ptr(z)
	tArgs[tArgSrc] = ptr(x)
	tArgs[tArgScale] = ptr(y)
	tArgs[tArgRows] = uint32(rows)
	tArgs[tArgN] = uint32(n)
	tArgs[tArgOp] = uint32(op)
	tArgs[tArgXRep] = b(xRep)
	tArgs[tArgYRep] = b(yRep)
	binaryJS.Invoke()
	runtime.KeepAlive(z)
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
}
