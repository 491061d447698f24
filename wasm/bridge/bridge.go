//go:build js && wasm

// Package bridge connects the Go engine to its host script (web/engine.js,
// in a Web Worker or, without Worker support, on the page): it registers the
// functions behind glimpseEngine._go, loads the default model with progress
// — or the user's own model saved in IndexedDB — and turns pixels into
// results. Every function returns a Promise settled by the engine's one
// actor (actor.go); failures reject with an Error carrying a code.
package bridge

import (
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"syscall/js"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/vision"
	"github.com/glimpse/glimpse/wasm/jsval"
	"github.com/glimpse/glimpse/wasm/simd"
	"github.com/glimpse/glimpse/wasm/webgpu"
)

type state struct {
	cl        *model.Classifier
	mismatch  bool                         // injectMismatch: break the optimised program in the next check
	slots     map[string]*model.Classifier // extra models, e.g. one per embedded widget (at most maxSlots)
	slotUsed  map[string]uint64            // when each slot was last used, for evicting the least recent
	slotClock uint64
	isDefault bool
	saved     bool // the page's model is the one kept in IndexedDB (or the default): a new engine would load it too
	loadMs    float64
	pix       []byte
	funcs     []js.Func
	gpu       gpuState
}

var st state

// maxSlots bounds the extra models an engine keeps (each costs the model's
// weights, packed, plus its buffers: ~55 MB for MobileNetV2): loading one
// more evicts the least recently used. glimpse.js keeps the same bound and
// drops its own least recent slot first (dropSlot), so this one is a backstop
// against any other caller.
const maxSlots = 4

// host is the object the host script gives the engine: _fetch, _store,
// _emit, _base, _resolveReady/_rejectReady, _loadPref/_savePref,
// _goMemory and _useSaved (true only for the app's own page: embeds never
// see the visitor's saved model), and where the engine registers _go.
func host() js.Value { return js.Global().Get("glimpseEngine") }

func emit(name string, detail any) {
	if a := host(); a.Type() == js.TypeObject && a.Get("_emit").Type() == js.TypeFunction {
		a.Call("_emit", name, js.ValueOf(detail))
	}
}

// Start registers glimpseEngine._go and queues the boot: loading a model.
func Start() {
	g := host()
	if g.IsUndefined() {
		js.Global().Get("console").Call("error", "glimpse: the engine's host script (engine.js) is not loaded")
		return
	}
	g.Set("_go", register())
	// boot is the actor's first job, so every call waits for it.
	select {
	case jobs <- job{name: "boot", fn: func() (any, error) { boot(); return nil, nil }, resolve: noop(), reject: noop()}:
	default:
	}
}

// register makes the object behind glimpseEngine._go. Its functions need
// nothing else from the host except loadDefault (glimpseEngine._fetch), so
// tests call them through JS without the boot sequence. Each function only
// enqueues a job for the actor and returns its Promise.
func register() js.Value {
	startLoop()
	obj := js.Global().Get("Object").New()
	for name, fn := range map[string]func([]js.Value) (any, error){
		"classifyRGBA":   classifyRGBA,
		"loadModel":      loadModel,
		"dropSlot":       dropSlot,
		"loadDefault":    func([]js.Value) (any, error) { return loadDefaultJob() },
		"info":           func([]js.Value) (any, error) { return info(), nil },
		"maxSide":        maxSide,
		"infer":          infer,
		"labels":         labels,
		"setBackend":     setBackend,
		"injectFault":    injectFault,
		"check":          checkModel,
		"injectMismatch": injectMismatch,
		"featuresRGBA":   featuresRGBA,
		"explainRGBA":    explainRGBA,
	} {
		f := js.FuncOf(func(this js.Value, args []js.Value) any {
			a := append([]js.Value(nil), args...)
			return enqueue(name, func() (any, error) { return fn(a) })
		})
		st.funcs = append(st.funcs, f)
		obj.Set(name, f)
	}
	return obj
}

// boot loads the user's saved model if the host allows it (_useSaved: the
// app's own page only) and there is one that still loads, else the default
// model, then tells the host it is ready (glimpse.ready). Before loading a
// saved model it emits "boot" with its name, so that a page whose engine
// dies during that load knows why and restarts it with the default.
// A saved model this runtime cannot load but the importer can rebuild (an
// ONNX file saved by an older build, or a bundle in an older format whose
// ONNX source was kept) is left in place, and the "rebuild" event asks the
// page to compile it again.
func boot() {
	if !host().Get("_useSaved").Truthy() {
		// An embed (the iframe widget, <glimpse-classifier>, any page but
		// the app's): the visitor's saved model is private to the app.
	} else if rec, err := await(host().Get("_store").Call("get")); err == nil && rec.Type() == js.TypeObject {
		f := model.Files{
			Name:   jsval.Text(rec.Get("name")),
			Model:  jsval.Bytes(rec.Get("model")),
			Labels: []byte(jsval.Text(rec.Get("labels"))),
			Card:   []byte(jsval.Text(rec.Get("card"))),
		}
		rebuildable := !bundle.IsBundle(f.Model) || rec.Get("source").Truthy()
		emit("boot", map[string]any{"saved": f.Name})
		if err := use(f, false); err == nil {
			st.saved = true
		} else if rebuildable {
			emit("rebuild", map[string]any{"name": f.Name, "reason": err.Error()})
		} else {
			emit("notice", map[string]any{"message": "Your saved model could not be loaded (" + err.Error() + "); using the default model."})
			await(host().Get("_store").Call("clear"))
		}
	}
	if st.cl == nil {
		if err := loadDefault(); err != nil {
			host().Call("_rejectReady", jsError(err, CodeModelLoad))
			return
		}
	}
	st.gpu.pref = "auto"
	if f := host().Get("_loadPref"); f.Type() == js.TypeFunction {
		if p := f.Invoke(); p.Type() == js.TypeString && (p.String() == "webgpu" || p.String() == "cpu") {
			st.gpu.pref = p.String()
		}
	}
	useGPU()
	host().Call("_resolveReady", js.ValueOf(info()))
}

func loadDefault() error {
	progress := js.FuncOf(func(this js.Value, args []js.Value) any {
		emit("progress", map[string]any{"what": "model", "loaded": args[0].Float(), "total": args[1].Float()})
		return nil
	})
	defer progress.Release()
	base := host().Get("_base")
	url := func(p string) string {
		if base.Type() == js.TypeString {
			return base.String() + p
		}
		return p
	}
	m, err := await(host().Call("_fetch", url(DefaultModel), progress))
	if err != nil {
		return &Error{Code: CodeModelLoad, Err: err}
	}
	f := model.Files{Name: card.Default().Name, Model: jsval.Bytes(m)}
	if err := use(f, true); err != nil {
		return err
	}
	if st.gpu.pref != "" { // after boot (a reset): keep the chosen backend
		useGPU()
	}
	return nil
}

func use(f model.Files, isDefault bool) error {
	t0 := time.Now()
	cl, err := model.Load(f)
	if err != nil {
		return err
	}
	st.cl, st.isDefault, st.loadMs = cl, isDefault, float64(time.Since(t0).Microseconds())/1000
	return nil
}

func loadDefaultJob() (any, error) {
	if err := loadDefault(); err != nil {
		return nil, err
	}
	return info(), nil
}

// loadModel(bytes, labelsText, cardText, name[, slot[, saved[, maxMemory]]])
// → info. Without a slot it replaces the page's model; with one it adds a
// model beside it (an embedded widget's own model), leaving the page's
// alone; a new slot beyond maxSlots evicts the least recently used one
// first. A model that fails to load leaves the previous one (of the page,
// or of that slot) active. saved says the host keeps this model in
// IndexedDB, where another engine would find it. maxMemory (bytes; absent,
// null or 0 for the engine's default) bounds what the model may need.
func loadModel(args []js.Value) (any, error) {
	if len(args) < 4 {
		return nil, coded(CodeBadArgument, "loadModel needs model bytes, labels, card and a name")
	}
	f := model.Files{Model: jsval.Bytes(args[0]), Labels: []byte(jsval.Text(args[1])), Card: []byte(jsval.Text(args[2])), Name: jsval.Text(args[3])}
	maxMemory, err := maxMemoryArg(args, 6)
	if err != nil {
		return nil, err
	}
	f.MaxMemory = maxMemory
	if slot := slotName(args, 4); slot != "" {
		if _, ok := st.slots[slot]; !ok {
			for len(st.slots) >= maxSlots {
				evictSlot()
			}
		}
		cl, err := model.Load(f)
		if err != nil {
			return nil, err
		}
		if st.slots == nil {
			st.slots, st.slotUsed = map[string]*model.Classifier{}, map[string]uint64{}
		}
		st.slots[slot] = cl
		touchSlot(slot)
		return infoOf(cl), nil
	}
	if err := use(f, false); err != nil {
		return nil, err
	}
	st.saved = len(args) > 5 && args[5].Truthy()
	// With a device (or WebGPU forced), compile for the GPU; "auto" without
	// a device stays on the CPU as it found it.
	if st.gpu.dev != nil && st.gpu.pref != "cpu" || st.gpu.pref == "webgpu" {
		useGPU()
	}
	return info(), nil
}

// maxMemoryArg reads loadModel's memory budget: a positive number of
// bytes, or nothing (undefined, null or 0) for the default.
func maxMemoryArg(args []js.Value, i int) (int64, error) {
	if len(args) <= i || args[i].IsUndefined() || args[i].IsNull() {
		return 0, nil
	}
	v := args[i]
	if v.Type() != js.TypeNumber || math.IsNaN(v.Float()) || v.Float() < 0 || v.Float() > math.MaxInt64/2 {
		return 0, coded(CodeBadArgument, "maxMemory must be a number of bytes")
	}
	return int64(v.Float()), nil
}

// touchSlot records that slot was just used.
func touchSlot(slot string) {
	st.slotClock++
	st.slotUsed[slot] = st.slotClock
}

// evictSlot drops the least recently used slot.
func evictSlot() {
	oldest, first := "", true
	for name := range st.slots {
		if first || st.slotUsed[name] < st.slotUsed[oldest] {
			oldest, first = name, false
		}
	}
	freeSlot(oldest)
}

// freeSlot forgets a slot's classifier and collects it now, so that the
// next model load reuses its memory rather than growing the engine's
// (WebAssembly memory never shrinks). Slots run on the CPU only: they hold
// no GPU resources.
func freeSlot(slot string) bool {
	if _, ok := st.slots[slot]; !ok {
		return false
	}
	delete(st.slots, slot)
	delete(st.slotUsed, slot)
	runtime.GC()
	return true
}

// dropSlot(slot) → {dropped}: frees a slot's model (glimpse.js evicts its
// least recently used slot this way). An unknown slot is no error.
func dropSlot(args []js.Value) (any, error) {
	slot := slotName(args, 0)
	if slot == "" {
		return nil, coded(CodeBadArgument, "dropSlot needs a slot name")
	}
	return map[string]any{"dropped": freeSlot(slot)}, nil
}

func slotName(args []js.Value, i int) string {
	if len(args) > i && args[i].Type() == js.TypeString {
		return args[i].String()
	}
	return ""
}

// classifier picks the page's model, or a slot's when args[i] names one.
func classifier(args []js.Value, i int) (*model.Classifier, error) {
	if slot := slotName(args, i); slot != "" {
		if cl := st.slots[slot]; cl != nil {
			touchSlot(slot)
			return cl, nil
		}
		return nil, coded(CodeNoModel, "no model is loaded for %q", slot)
	}
	if st.cl == nil {
		return nil, coded(CodeNoModel, "no model is loaded")
	}
	return st.cl, nil
}

// classifyRGBA(pixels Uint8ClampedArray, w, h, top[, slot]) → {backend, ms, top}
func classifyRGBA(args []js.Value) (any, error) {
	if len(args) < 4 {
		return nil, coded(CodeBadArgument, "classifyRGBA needs pixels, width, height and top")
	}
	cl, err := classifier(args, 4)
	if err != nil {
		return nil, err
	}
	if args[3].Type() != js.TypeNumber {
		return nil, coded(CodeBadArgument, "classifyRGBA needs RGBA pixels and numbers for width, height and top")
	}
	pix, w, h, err := pixelsArg(args, "classifyRGBA", &st.pix)
	if err != nil {
		return nil, err
	}
	k := args[3].Int()
	if cl == st.cl && st.gpu.active(cl) {
		t0 := time.Now()
		if err := vision.PreprocessRGBA(pix, w, h, 4*w, cl.Card.Spec(), cl.Input()); err != nil {
			return nil, &Error{Code: CodeClassify, Err: err}
		}
		return runGPU(cl, max(k, 1), t0, false)
	}
	top, d, err := cl.ClassifyRGBA(pix, w, h, 4*w, max(k, 1))
	if err != nil {
		return nil, &Error{Code: CodeClassify, Err: err}
	}
	return map[string]any{"backend": "cpu", "ms": float64(d.Microseconds()) / 1000, "top": results(top)}, nil
}

// infer(Float32Array) → {backend, ms, output: Float32Array}: the model on an
// already preprocessed input, for benchmarks and conformance checks.
func infer(args []js.Value) (any, error) {
	if st.cl == nil {
		return nil, coded(CodeNoModel, "no model is loaded")
	}
	in := st.cl.Input()
	if len(args) < 1 || args[0].Get("length").Int() != len(in) || args[0].Get("constructor").Get("name").String() != "Float32Array" {
		return nil, coded(CodeBadArgument, "infer needs a Float32Array of %d values", len(in))
	}
	jsval.CopyFloat32s(in, args[0])
	t0 := time.Now()
	if st.gpu.active(st.cl) {
		return runGPU(st.cl, 0, t0, true)
	}
	if err := st.cl.Program.Execute(); err != nil {
		return nil, &Error{Code: CodeClassify, Err: err}
	}
	ms := float64(time.Since(t0).Microseconds()) / 1000
	out := st.cl.Program.Outputs[0].F
	return map[string]any{"backend": "cpu", "ms": ms, "output": jsval.Float32Array(out)}, nil
}

// maxSide([slot]) is the longest side worth drawing the source at: twice
// the model's input, so the browser's downscale only pre-filters.
// labels() → the page model's labels (class i is labels[i]).
func labels(args []js.Value) (any, error) {
	if st.cl == nil {
		return []any{}, nil
	}
	out := make([]any, len(st.cl.Labels))
	for i, l := range st.cl.Labels {
		out[i] = l
	}
	return out, nil
}

func maxSide(args []js.Value) (any, error) {
	cl, err := classifier(args, 0)
	if err != nil {
		return 448, nil
	}
	return sideOf(cl), nil
}

func sideOf(cl *model.Classifier) int {
	return min(1024, 2*max(cl.Card.Input.Width, cl.Card.Input.Height))
}

func info() map[string]any {
	m := map[string]any{"ready": false}
	if st.cl != nil {
		m = infoOf(st.cl)
		m["isDefault"] = st.isDefault
		m["saved"] = st.saved || st.isDefault
		m["loadMs"] = st.loadMs
		gpuInfo(m)
	}
	m["slots"] = len(st.slots)
	// Whether the CPU path runs the SIMD kernels (about 10× faster), and
	// why not when it does not.
	m["simd"] = simd.Active()
	m["relaxedSimd"] = simd.Relaxed()
	if !simd.Active() {
		m["simdReason"] = simd.Reason()
	}
	return m
}

// check([modelBytes, cardText]) → Promise of the model check's report (see
// model/check), as a plain object. Without arguments it checks the page's
// model (Classifier.Verify: on a mismatch the page's model switches to the
// unoptimised program, and the report's "notice" says so); with bytes it
// checks that file alone (say, one that failed to load) and keeps nothing.
// The work yields to the page between runs.
func checkModel(args []js.Value) (any, error) {
	yield := func() { time.Sleep(time.Millisecond) }
	if len(args) > 0 && !args[0].IsUndefined() && !args[0].IsNull() {
		data := jsval.Bytes(args[0])
		var cardJSON []byte
		if len(args) > 1 && args[1].Type() == js.TypeString {
			cardJSON = []byte(args[1].String())
		}
		g, err := model.Decode(data)
		if err != nil {
			return nil, &Error{Code: model.KindInvalid, Err: err}
		}
		r, err := check.Run(g, check.Options{InputShapes: model.InputShapes(g, cardJSON), Yield: yield, Runs: 3, Place: webgpu.Place})
		if err != nil {
			return nil, &Error{Code: CodeCheck, Err: err}
		}
		return reportJS(r, "")
	}
	cl := st.cl
	if cl == nil {
		return nil, coded(CodeNoModel, "no model is loaded")
	}
	opts := check.Options{Yield: yield, Runs: 3, Place: webgpu.Place}
	if st.mismatch {
		st.mismatch = false
		opts.Execute = func(p *cpu.Program) error {
			err := p.Execute()
			p.Outputs[0].F[0]++
			return err
		}
	}
	fellBack := cl.Fallback != ""
	r, err := cl.Verify(opts)
	if r == nil {
		return nil, &Error{Code: CodeCheck, Err: err}
	}
	if cl.Fallback != "" && !fellBack {
		// The GPU model was compiled from the optimised program: redo it.
		if st.gpu.cl == cl {
			st.gpu.drop("", false)
			useGPU()
		}
		emit("notice", map[string]any{"message": cl.Name + ": " + cl.Notice() + "."})
	}
	v, err := reportJS(r, cl.Notice())
	if cl == st.cl && err == nil {
		emit("model", info())
		emit("check", v)
	}
	return v, err
}

// injectMismatch makes the next check of the page's model see its
// optimised program give a wrong output, to test the fallback to the
// unoptimised program; a check already done is forgotten.
func injectMismatch(args []js.Value) (any, error) {
	if st.cl == nil {
		return nil, coded(CodeNoModel, "no model is loaded")
	}
	if st.cl.Fallback != "" {
		return nil, coded(CodeBadArgument, "the model already runs its unoptimised program")
	}
	st.cl.Check, st.mismatch = nil, true
	return map[string]any{"ok": true}, nil
}

func reportJS(r *check.Report, notice string) (any, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	v := js.Global().Get("JSON").Call("parse", string(b))
	v.Set("notice", notice)
	return v, nil
}

func infoOf(c *model.Classifier) map[string]any {
	return map[string]any{
		"ready":      true,
		"backend":    "cpu",
		"adapter":    nil,
		"name":       c.Name,
		"width":      c.Card.Input.Width,
		"height":     c.Card.Input.Height,
		"layout":     c.Card.Input.Layout,
		"activation": c.Card.Output.Activation,
		"params":     c.Params,
		"ops":        c.Ops,
		"opsRun":     len(c.Program.Graph.Nodes),
		"opTypes":    c.Program.OpCounts(),
		"fileBytes":  c.Bytes,
		"classes":    c.Program.Outputs[0].Len(),
		"labels":     len(c.Labels),
		"license":    c.Card.License,
		"fallback":   c.Notice(),
		"checked":    verdict(c),
		"maxSide":    sideOf(c),
	}
}

func verdict(c *model.Classifier) string {
	if c.Check == nil {
		return ""
	}
	return c.Check.Verdict
}

// await blocks the calling goroutine (never a JS callback) until p settles.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(this js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch := js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "failed"
		if len(args) > 0 {
			if m := args[0].Get("message"); m.Type() == js.TypeString {
				msg = m.String()
			} else {
				msg = args[0].String()
			}
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}
