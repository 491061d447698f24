//go:build js && wasm

// Command importer is Glimpse's ONNX importer for the browser
// (web/importer.wasm): it turns an ONNX file, with its labels and card, into
// a compiled bundle the runtime engine loads, and checks ONNX files that
// are not loaded. web/importer.js runs it in a worker of its own, started
// only when someone brings an ONNX file, and stopped afterwards.
//
// It registers glimpseImporter._go with:
//
//	compile(bytes, labels, card, name, weights) → Promise of the bundle (Uint8Array)
//	check(bytes, card) → Promise of the model check's report (model/check), as JSON text
//	replaceHead(bytes, head) → Promise of the ONNX file with a trained head (model/onnx.ReplaceHead);
//	  head is {feature, pool, activation, layers: [{in, out, w: Float32Array, b: Float32Array}]}
//
// Failures reject with an Error whose code is a model.LoadError kind
// (invalid-model, unsupported-model, invalid-card, invalid-labels,
// model-compile), or "check".
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"syscall/js"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/importer"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/wasm/jsval"
	"github.com/glimpse/glimpse/wasm/simd"
	"github.com/glimpse/glimpse/wasm/webgpu"
)

func main() {
	simd.InitFrom("glimpseImporter")
	host := js.Global().Get("glimpseImporter")
	if host.IsUndefined() {
		js.Global().Get("console").Call("error", "glimpse: importer.js is not loaded")
		return
	}
	obj := js.Global().Get("Object").New()
	obj.Set("compile", js.FuncOf(func(this js.Value, args []js.Value) any {
		a := append([]js.Value(nil), args...)
		return promise(func() (any, error) { return compile(a) })
	}))
	obj.Set("check", js.FuncOf(func(this js.Value, args []js.Value) any {
		a := append([]js.Value(nil), args...)
		return promise(func() (any, error) { return checkModel(a) })
	}))
	obj.Set("replaceHead", js.FuncOf(func(this js.Value, args []js.Value) any {
		a := append([]js.Value(nil), args...)
		return promise(func() (any, error) { return replaceHead(a) })
	}))
	host.Set("_go", obj)
	select {}
}

// compile(bytes, labels, card, name, weights) → the bundle's bytes.
func compile(args []js.Value) (any, error) {
	for len(args) < 5 {
		args = append(args, js.Undefined())
	}
	w, err := bundle.ParseWeights(jsval.Text(args[4]))
	if err != nil {
		return nil, &model.LoadError{Kind: model.KindCompile, Name: jsval.Text(args[3]), Err: err}
	}
	f := model.Files{Model: jsval.Bytes(args[0]), Labels: []byte(jsval.Text(args[1])), Card: []byte(jsval.Text(args[2])), Name: jsval.Text(args[3])}
	b, _, err := importer.Compile(f, w, &check.Options{Runs: 3, Place: webgpu.Place, Yield: func() { time.Sleep(time.Millisecond) }})
	if err != nil {
		return nil, err
	}
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return u8, nil
}

// check(bytes, card) → the report as JSON text.
func checkModel(args []js.Value) (any, error) {
	for len(args) < 2 {
		args = append(args, js.Undefined())
	}
	data := jsval.Bytes(args[0])
	g, err := model.Decode(data)
	if err != nil {
		return nil, &model.LoadError{Kind: model.KindInvalid, Name: "model", Err: err}
	}
	cardJSON := []byte(jsval.Text(args[1]))
	r, err := check.Run(g, check.Options{InputShapes: model.InputShapes(g, cardJSON), Runs: 3, Place: webgpu.Place,
		Yield: func() { time.Sleep(time.Millisecond) }})
	if err != nil {
		return nil, errCode{"check", err}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, errCode{"internal", err}
	}
	return string(b), nil
}

// replaceHead(bytes, head) → the ONNX file's bytes with the trained head.
func replaceHead(args []js.Value) (any, error) {
	if len(args) < 2 || args[1].Type() != js.TypeObject {
		return nil, errCode{"bad-argument", errors.New("replaceHead needs the backbone's ONNX file and the head")}
	}
	hv := args[1]
	h := onnx.Head{Feature: jsval.Text(hv.Get("feature")), Pool: hv.Get("pool").Truthy(), Activation: jsval.Text(hv.Get("activation")), Output: "probs"}
	floats := func(v js.Value) []float32 {
		b := jsval.Bytes(js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), v.Get("byteLength")))
		out := make([]float32, len(b)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out
	}
	ls := hv.Get("layers")
	for i := 0; i < ls.Length(); i++ {
		l := ls.Index(i)
		h.Layers = append(h.Layers, onnx.Dense{In: l.Get("in").Int(), Out: l.Get("out").Int(), W: floats(l.Get("w")), B: floats(l.Get("b"))})
	}
	b, err := onnx.ReplaceHead(jsval.Bytes(args[0]), h)
	if err != nil {
		return nil, errCode{"train", err}
	}
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return u8, nil
}

type errCode struct {
	code string
	err  error
}

func (e errCode) Error() string { return e.err.Error() }

func codeOf(err error) string {
	var le *model.LoadError
	if errors.As(err, &le) {
		return le.Kind
	}
	var ec errCode
	if errors.As(err, &ec) {
		return ec.code
	}
	return "internal"
}

// promise settles a Promise with fn's result (jsval.Promise), an Error
// coded by codeOf on failure.
func promise(fn func() (any, error)) js.Value {
	return jsval.Promise(fn, codeOf, func(r any) error {
		return errCode{"internal", fmt.Errorf("internal error in the importer: %s", check.PanicText(r))}
	})
}
