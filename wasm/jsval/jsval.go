//go:build js && wasm

// Package jsval reads the plain values the engine's and the importer's JS
// callers hand to Go: text, and bytes from a Uint8Array, ArrayBuffer or
// any typed array.
package jsval

import "syscall/js"

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
