//go:build js && wasm

// Command trainer fits a head on features of a person's photos in the
// browser (web/trainer.wasm): the app's engines extract the features
// (glimpse.features), this fits the head (model/train) and builds the
// bundle of the backbone with it. web/engine.js runs it in a worker of its
// own, started when someone trains, so the page's first visit does not
// download the training code.
//
// It registers glimpseTrainer._go with:
//
//	fitHead(features Float32Array, dim, photos, config) → Promise of the report
//	headBundle(backbone, feature, pooled, labels, card) → Promise of the bundle (Uint8Array)
//	trainedHead() → Promise of {feature, pool, activation, layers: [{in, out, w, b}]}
//
// Progress comes as "train" events. Failures reject with an Error whose
// code is "train" (the photos or the configuration cannot make a head:
// the message says why), "bad-argument", "no-model" or "internal".
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"syscall/js"
	"time"

	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/train"
	"github.com/glimpse/glimpse/wasm/jsval"
)

type coded struct {
	code string
	err  error
}

func (e coded) Error() string { return e.err.Error() }

func fail(code, format string, args ...any) error {
	return coded{code, fmt.Errorf(format, args...)}
}

// last is the head of the last fit, for headBundle and trainedHead.
var last *train.Result

func main() {
	host := js.Global().Get("glimpseTrainer")
	if host.IsUndefined() {
		js.Global().Get("console").Call("error", "glimpse: engine.js is not loaded")
		return
	}
	obj := js.Global().Get("Object").New()
	for name, fn := range map[string]func([]js.Value) (any, error){
		"fitHead":     fitHead,
		"headBundle":  headBundle,
		"trainedHead": trainedHead,
	} {
		obj.Set(name, js.FuncOf(func(this js.Value, args []js.Value) any {
			a := append([]js.Value(nil), args...)
			return promise(func() (any, error) { return fn(a) })
		}))
	}
	host.Set("_go", obj)
	select {}
}

func emit(name string, detail any) {
	js.Global().Get("glimpseTrainer").Call("_emit", name, detail)
}

// fitHead(features, dim, photos, config) → the fitted head's report.
// features holds the photos' rows one after another (each photo, then its
// augmented variants); photos is JSON [{"rows": n, "classes": [c...]}...];
// config is train.Config as JSON.
func fitHead(args []js.Value) (any, error) {
	if len(args) < 4 || args[1].Type() != js.TypeNumber {
		return nil, fail("bad-argument", "fitHead needs features, their dimension, the photos and a configuration")
	}
	flat := jsval.Float32s(args[0])
	dim := args[1].Int()
	if flat == nil || dim <= 0 || len(flat)%dim != 0 {
		return nil, fail("bad-argument", "the features must be a Float32Array of rows of %d values", dim)
	}
	var photos []struct {
		Rows    int   `json:"rows"`
		Classes []int `json:"classes"`
	}
	if err := json.Unmarshal([]byte(jsval.Text(args[2])), &photos); err != nil {
		return nil, fail("bad-argument", "photos: %v", err)
	}
	var cfg train.Config
	if err := json.Unmarshal([]byte(jsval.Text(args[3])), &cfg); err != nil {
		return nil, fail("bad-argument", "config: %v", err)
	}
	rows := len(flat) / dim
	at := 0
	examples := make([]train.Example, len(photos))
	for i, p := range photos {
		if p.Rows < 1 || at+p.Rows > rows {
			return nil, fail("bad-argument", "photo %d has %d rows; %d of %d are left", i, p.Rows, rows-at, rows)
		}
		for range p.Rows {
			examples[i].Features = append(examples[i].Features, flat[at*dim:(at+1)*dim])
			at++
		}
		examples[i].Classes = p.Classes
	}
	t0 := time.Now()
	var shown time.Time
	res, err := train.Fit(examples, cfg, func(p train.Progress) {
		if time.Since(shown) < 50*time.Millisecond && !p.Best && p.Epoch > 1 {
			return // curves need no more than ~20 points a second
		}
		shown = time.Now()
		emit("train", progress(p))
	})
	if err != nil {
		return nil, coded{"train", err}
	}
	last = res
	hist := make([]any, len(res.History))
	for i, p := range res.History {
		hist[i] = progress(p)
	}
	val, probs := make([]any, len(res.Val)), make([]any, len(res.Val))
	for i, v := range res.Val {
		val[i], probs[i] = v, jsval.Float32Array(res.ValProbs[i])
	}
	th := make([]any, len(res.Head.Thresholds))
	for i, v := range res.Head.Thresholds {
		th[i] = v
	}
	return map[string]any{"mode": res.Head.Mode, "activation": res.Head.Activation(), "multi": res.Head.Multi, "thresholds": th,
		"history": hist, "bestEpoch": res.BestEpoch, "weightDecay": res.WeightDecay, "rows": res.Rows, "refit": res.Refit,
		"train": len(res.Train), "val": val, "valProbs": probs, "ms": float64(time.Since(t0).Microseconds()) / 1000}, nil
}

func progress(p train.Progress) map[string]any {
	return map[string]any{"phase": p.Phase, "epoch": p.Epoch, "trainLoss": finite(p.TrainLoss), "valLoss": finite(p.ValLoss),
		"trainAcc": finite(p.TrainAcc), "valAcc": finite(p.ValAcc), "best": p.Best}
}

func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// headBundle(backbone, feature, pooled, labels, card) → the bundle of the
// backbone (the bundle the features came from) cut at feature (averaged
// over its positions when pooled), with the last fit's head; labels is the
// labels file's text and card the new model's card (JSON).
func headBundle(args []js.Value) (any, error) {
	if last == nil {
		return nil, fail("no-model", "nothing has been trained yet")
	}
	if len(args) < 5 {
		return nil, fail("bad-argument", "headBundle needs the backbone, its feature tensor, pooled, the labels and the card")
	}
	g, meta, err := bundle.Decode(jsval.Bytes(args[0]))
	if err != nil {
		return nil, fail("invalid-model", "the backbone: %v", err)
	}
	feature := jsval.Text(args[1])
	if g, err = train.Truncate(g, feature); err != nil {
		return nil, fail("bad-argument", "the backbone: %v", err)
	}
	if args[2].Truthy() {
		g = train.Pool(g, feature)
	}
	h := last.Head
	if g, err = train.WithHead(g, h.Dense(), h.Activation(), "probs"); err != nil {
		return nil, coded{"train", err}
	}
	// The new card is the backbone's (its input, above all) with the
	// caller's fields on top (the output, the training record).
	cardJSON, err := card.Merge(meta.Card, []byte(jsval.Text(args[4])))
	if err != nil {
		return nil, fail("bad-argument", "%v", err)
	}
	out := bundle.Meta{Name: meta.Name, Card: json.RawMessage(cardJSON), Labels: jsval.Text(args[3]), SourceBytes: meta.SourceBytes,
		SourceSHA256: meta.SourceSHA256, SourceOps: meta.SourceOps, SourceParams: meta.SourceParams}
	b, err := bundle.Encode(g, out, bundle.Auto)
	if err != nil {
		return nil, coded{"train", err}
	}
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return u8, nil
}

// trainedHead() → the last fit's layers on raw features, for the ONNX
// export (the importer writes them onto the backbone's ONNX file).
func trainedHead(args []js.Value) (any, error) {
	if last == nil {
		return nil, fail("no-model", "nothing has been trained yet")
	}
	h := last.Head
	var layers []any
	for _, l := range h.Dense() {
		layers = append(layers, map[string]any{"in": l.In, "out": l.Out, "w": jsval.Float32Array(l.W), "b": jsval.Float32Array(l.B)})
	}
	return map[string]any{"activation": h.Activation(), "layers": layers}, nil
}

// promise settles a Promise with fn's result (jsval.Promise), an Error
// with the code of a coded error on failure ("internal" otherwise).
func promise(fn func() (any, error)) js.Value {
	return jsval.Promise(fn, func(err error) string {
		var c coded
		if errors.As(err, &c) {
			return c.code
		}
		return "internal"
	}, func(r any) error {
		return coded{"internal", fmt.Errorf("internal error in the trainer: %.200s", strings.SplitN(fmt.Sprint(r), "\n", 2)[0])}
	})
}
