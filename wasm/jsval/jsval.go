//go:build js && wasm

// Package jsval reads the plain values the engine's, the importer's and the
// trainer's JS callers hand to Go: text, bytes from a Uint8Array,
// ArrayBuffer or any typed array, and float32 values; and it makes
// Float32Arrays from Go.
package jsval

import (
	"strings"
	"syscall/js"
	"unsafe"
)

// Text is v as a string, "" for anything else (undefined, null, numbers).
func Text(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// Bytes copies a Uint8Array (or an ArrayBuffer, or another typed array's
// bytes) into Go; nil for anything that is not an object.
func Bytes(v js.Value) []byte {
	if v.Type() != js.TypeObject {
		return nil
	}
	if v.Get("constructor").Get("name").String() != "Uint8Array" {
		v = js.Global().Get("Uint8Array").New(v)
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

// Float32s copies a Float32Array's values into Go; nil for anything else.
func Float32s(v js.Value) []float32 {
	if v.Type() != js.TypeObject || v.Get("constructor").Get("name").String() != "Float32Array" {
		return nil
	}
	out := make([]float32, v.Get("length").Int())
	CopyFloat32s(out, v)
	return out
}

// CopyFloat32s copies a Float32Array of len(dst) values straight into dst
// (WebAssembly is little-endian, as typed arrays are here), with no
// intermediate byte slice: infer's input is 600 KB a call.
func CopyFloat32s(dst []float32, v js.Value) {
	if len(dst) == 0 {
		return
	}
	u8 := js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), 4*len(dst))
	js.CopyBytesToGo(f32Bytes(dst), u8)
}

// Float32Array makes a JS Float32Array holding a copy of fs.
func Float32Array(fs []float32) js.Value {
	u8 := js.Global().Get("Uint8Array").New(4 * len(fs))
	if len(fs) > 0 {
		js.CopyBytesToJS(u8, f32Bytes(fs))
	}
	return js.Global().Get("Float32Array").New(u8.Get("buffer"))
}

// f32Bytes is fs's memory as bytes.
func f32Bytes(fs []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(fs))), 4*len(fs))
}

// Promise runs fn on a goroutine (never blocking the JS callback that
// calls it) and settles a Promise with its result, or rejects it with an
// Error whose message is err's on one line and whose code is code(err). A
// panic in fn becomes an error made by onPanic.
func Promise(fn func() (any, error), code func(error) string, onPanic func(any) error) js.Value {
	var exec js.Func
	exec = js.FuncOf(func(this js.Value, args []js.Value) any {
		exec.Release()
		resolve, reject := args[0], args[1]
		go func() {
			v, err := func() (v any, err error) {
				defer func() {
					if r := recover(); r != nil {
						err = onPanic(r)
					}
				}()
				return fn()
			}()
			if err != nil {
				e := js.Global().Get("Error").New(strings.Join(strings.Fields(err.Error()), " "))
				e.Set("code", code(err))
				reject.Invoke(e)
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(exec)
}
