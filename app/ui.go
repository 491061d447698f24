package main

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The page talks to the engine only through window.glimpse (web/glimpse.js),
// the same API an embedding site uses, so the UI and the API cannot drift.

type pred struct {
	Index int
	Label string
	Prob  float64
}

type result struct {
	ID      int
	Name    string
	Preview string // object URL of the file, never uploaded
	State   string // pending | done | error
	Top     []pred
	Ms      float64
	Backend string
	Err     string
	// Where the model looked (glimpse.explain), over the preview.
	heatView
}

type modelInfo struct {
	Ready                        bool
	Name, Layout, License        string
	Backend, Activation, OpTypes string
	Width, Height, Params, Ops   int
	OpsRun, FileBytes, Labels    int
	IsDefault                    bool
	LoadMs                       float64
	Adapter, BackendPref         string
	GPUReason                    string
	CPUOps                       []string
	Fallback                     string // why the unoptimised program runs
	Engine, EngineReason         string // "worker" or "page", and why not a worker
	SIMD, RelaxedSIMD            bool   // RelaxedSIMD: the GEMM's fused multiply-add
	SIMDReason                   string
	PoolSize                     int
	EngineMemory                 []float64 // bytes of wasm memory per running engine, the page's first
}

type camDevice struct{ ID, Label string }

type page struct {
	app.Compo

	ready      bool
	bootErr    string
	loaded     float64
	total      float64
	info       modelInfo
	firstMs    float64
	notice     string
	update     bool
	dragOver   bool
	results    []*result
	nextID     int
	queue      []queued
	classBusy  bool
	modelBusy  bool
	modelErr   string
	modelMsg   string
	camOn      bool
	camBusy    bool
	camFlying  int
	camErr     string
	camChoice  string
	cams       []camDevice
	live       []pred
	liveMs     float64
	liveFps    float64
	liveFrames int
	lastFrame  float64

	chk     checkState  // the model check (ui_check.go)
	pageCtx app.Context // the page's own context (OnMount), which outlives any element

	listeners []func()
	tab       string // classify | tag | eval, mirrored in the URL's #fragment
}

type queued struct {
	res  *result
	file app.Value
}

func glimpse() app.Value { return app.Window().Get("glimpse") }

// await settles a JS promise into Go callbacks on the UI goroutine.
// targetNum is the number an input or select event's element holds (JS
// Number(value): fmt.Sscan would carry fmt's whole scanner into app.wasm).
func targetNum(e app.Event) float64 {
	return app.Window().Get("Number").Invoke(e.Get("target").Get("value")).Float()
}

func await(ctx app.Context, p app.Value, ok func(ctx app.Context, v app.Value), fail func(ctx app.Context, msg string)) {
	var onOK, onErr app.Func
	onOK = app.FuncOf(func(this app.Value, args []app.Value) any {
		v := app.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ctx.Dispatch(func(ctx app.Context) { ok(ctx, v) })
		onOK.Release()
		onErr.Release()
		return nil
	})
	onErr = app.FuncOf(func(this app.Value, args []app.Value) any {
		msg := "something went wrong"
		if len(args) > 0 {
			if m := args[0].Get("message"); m.Type() == app.TypeString {
				msg = m.String()
			} else {
				msg = args[0].String()
			}
		}
		ctx.Dispatch(func(ctx app.Context) { fail(ctx, msg) })
		onOK.Release()
		onErr.Release()
		return nil
	})
	p.Call("then", onOK, onErr)
}

func (p *page) listen(ctx app.Context, target app.Value, event string, fn func(ctx app.Context, e app.Value)) {
	f := app.FuncOf(func(this app.Value, args []app.Value) any {
		var e app.Value = app.Undefined()
		if len(args) > 0 {
			e = args[0]
		}
		if event == "paste" {
			fn(ctx, e) // must run now: clipboard data is gone after the event
			return nil
		}
		ctx.Dispatch(func(ctx app.Context) { fn(ctx, e) })
		return nil
	})
	target.Call("addEventListener", event, f)
	p.listeners = append(p.listeners, func() {
		target.Call("removeEventListener", event, f)
		f.Release()
	})
}

func (p *page) OnMount(ctx app.Context) {
	p.pageCtx = ctx
	switch h := app.Window().Get("location").Get("hash").String(); h {
	case "#tag", "#eval", "#train":
		p.tab = h[1:]
	}
	g := glimpse()
	if g.IsUndefined() {
		p.bootErr = "glimpse.js did not load."
		return
	}
	win := app.Window()
	p.listen(ctx, win, "glimpse:progress", func(ctx app.Context, e app.Value) {
		d := e.Get("detail")
		p.loaded, p.total = d.Get("loaded").Float(), d.Get("total").Float()
	})
	p.listen(ctx, win, "glimpse:notice", func(ctx app.Context, e app.Value) {
		p.notice = e.Get("detail").Get("message").String()
	})
	p.listen(ctx, win, "glimpse:model", func(ctx app.Context, e app.Value) {
		if p.ready {
			p.refreshInfo()
		}
	})
	p.listen(ctx, win, "glimpse:pool", func(ctx app.Context, e app.Value) { p.refreshInfo() })
	p.listen(ctx, win, "glimpse:check", func(ctx app.Context, e app.Value) {
		// A check of the page's model, by the panel or by anyone else.
		p.chk = checkState{}
		p.chk.report, p.chk.err = parseReport(e.Get("detail"))
		p.refreshInfo()
	})
	p.listen(ctx, win, "glimpse:first-result", func(ctx app.Context, e app.Value) {
		p.firstMs = e.Get("detail").Get("ms").Float()
	})
	p.listen(ctx, win, "paste", func(ctx app.Context, e app.Value) {
		files := e.Get("clipboardData").Get("files")
		if files.Truthy() && files.Length() > 0 {
			ctx.Dispatch(func(ctx app.Context) { p.addFiles(ctx, files) })
		}
	})
	p.listen(ctx, app.Window().Get("document"), "visibilitychange", func(ctx app.Context, e app.Value) {
		if !p.hidden() && p.camOn && !p.camBusy {
			p.camTick(ctx)
		}
	})
	if ctx.AppUpdateAvailable() {
		p.update = true
	}
	await(ctx, g.Get("ready"), func(ctx app.Context, v app.Value) {
		p.ready = true
		p.refreshInfo()
		p.drain(ctx)
		if !p.info.IsDefault {
			p.wantCheck(ctx) // a user's model saved earlier: check it once the page is idle
		}
	}, func(ctx app.Context, msg string) {
		p.bootErr = msg
	})
}

func (p *page) OnDismount() {
	for _, remove := range p.listeners {
		remove()
	}
	p.listeners = nil
	if p.camOn {
		glimpse().Get("_camera").Call("stop", app.Window().GetElementByID("camera-video"))
	}
}

func (p *page) OnAppUpdate(ctx app.Context) { p.update = true }

func (p *page) hidden() bool { return app.Window().Get("document").Get("hidden").Bool() }

func (p *page) refreshInfo() {
	i := glimpse().Call("info")
	p.info = modelInfo{
		Ready: i.Get("ready").Truthy(), Name: str(i, "name"), Layout: str(i, "layout"), License: str(i, "license"),
		Backend: str(i, "backend"), Activation: str(i, "activation"), OpTypes: str(i, "opTypes"),
		Width: num(i, "width"), Height: num(i, "height"), Params: num(i, "params"), Ops: num(i, "ops"),
		OpsRun: num(i, "opsRun"), FileBytes: num(i, "fileBytes"), Labels: num(i, "labels"),
		IsDefault: i.Get("isDefault").Truthy(), LoadMs: i.Get("loadMs").Float(),
		Adapter: str(i, "adapter"), BackendPref: str(i, "backendPref"), GPUReason: str(i, "gpuReason"),
		Fallback: str(i, "fallback"), Engine: str(i, "engine"), EngineReason: str(i, "engineReason"),
		SIMD: i.Get("simd").Truthy(), RelaxedSIMD: i.Get("relaxedSimd").Truthy(), SIMDReason: str(i, "simdReason"),
	}
	if pool := i.Get("pool"); pool.Truthy() {
		p.info.PoolSize = num(pool, "size")
		if m := pool.Get("memory"); m.Truthy() {
			for k := 0; k < m.Length(); k++ {
				p.info.EngineMemory = append(p.info.EngineMemory, m.Index(k).Float())
			}
		}
	}
	if ops := i.Get("cpuOps"); ops.Truthy() {
		for k := 0; k < ops.Length(); k++ {
			p.info.CPUOps = append(p.info.CPUOps, ops.Index(k).String())
		}
	}
	if f := i.Get("firstResultMs"); f.Type() == app.TypeNumber {
		p.firstMs = f.Float()
	}
}

func str(v app.Value, k string) string {
	x := v.Get(k)
	if x.Type() != app.TypeString {
		return ""
	}
	return x.String()
}

func num(v app.Value, k string) int {
	x := v.Get(k)
	if x.Type() != app.TypeNumber {
		return 0
	}
	return x.Int()
}

func preds(r app.Value) []pred {
	top := r.Get("top")
	out := make([]pred, top.Length())
	for i := range out {
		t := top.Index(i)
		out[i] = pred{Index: t.Get("index").Int(), Label: t.Get("label").String(), Prob: t.Get("prob").Float()}
	}
	return out
}

// ---- photos ----------------------------------------------------------------

func (p *page) addFiles(ctx app.Context, files app.Value) {
	n := files.Length()
	for i := 0; i < n; i++ {
		f := files.Index(i)
		p.nextID++
		r := &result{ID: p.nextID, Name: f.Get("name").String(), State: "pending", heatView: newHeatView(f, f.Get("name").String())}
		r.Preview = app.Window().Get("URL").Call("createObjectURL", f).String()
		p.results = append([]*result{r}, p.results...)
		p.queue = append(p.queue, queued{res: r, file: f})
	}
	p.drain(ctx)
}

// drain classifies queued photos one at a time, so the page stays responsive.
func (p *page) drain(ctx app.Context) {
	if p.classBusy || !p.ready || len(p.queue) == 0 {
		p.maybeCheck(ctx)
		return
	}
	q := p.queue[0]
	p.queue = p.queue[1:]
	p.classBusy = true
	await(ctx, glimpse().Call("classify", q.file, map[string]any{"top": 5}), func(ctx app.Context, v app.Value) {
		q.res.State, q.res.Top, q.res.Ms, q.res.Backend = "done", preds(v), v.Get("ms").Float(), v.Get("backend").String()
		p.classBusy = false
		p.drain(ctx)
	}, func(ctx app.Context, msg string) {
		q.res.State, q.res.Err = "error", msg
		p.classBusy = false
		p.drain(ctx)
	})
}

func (p *page) onFiles(ctx app.Context, e app.Event) {
	input := e.Get("target")
	p.addFiles(ctx, input.Get("files"))
	input.Set("value", "")
}

func (p *page) onDrop(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.dragOver = false
	if files := e.Get("dataTransfer").Get("files"); files.Truthy() {
		p.addFiles(ctx, files)
	}
}

func (p *page) onDragOver(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.dragOver = true
}

func (p *page) clearResults(ctx app.Context, e app.Event) {
	for _, r := range p.results {
		app.Window().Get("URL").Call("revokeObjectURL", r.Preview)
	}
	p.results = nil
}

// ---- camera ----------------------------------------------------------------

func (p *page) startCamera(ctx app.Context, e app.Event) {
	cam := glimpse().Get("_camera")
	if why := cam.Call("supported").String(); why != "" {
		p.camErr = why
		return
	}
	p.camErr = ""
	video := app.Window().GetElementByID("camera-video")
	deviceID, facing := "", "environment"
	switch {
	case strings.HasPrefix(p.camChoice, "device:"):
		deviceID = strings.TrimPrefix(p.camChoice, "device:")
	case p.camChoice == "user":
		facing = "user"
	}
	p.camBusy = true
	await(ctx, cam.Call("start", video, deviceID, facing), func(ctx app.Context, v app.Value) {
		p.camBusy = false
		p.camOn = true
		p.live, p.liveFrames, p.liveFps, p.lastFrame = nil, 0, 0, 0
		await(ctx, cam.Call("list"), func(ctx app.Context, v app.Value) {
			p.cams = nil
			for i := 0; i < v.Length(); i++ {
				p.cams = append(p.cams, camDevice{ID: v.Index(i).Get("id").String(), Label: v.Index(i).Get("label").String()})
			}
		}, func(app.Context, string) {})
		p.camTick(ctx)
	}, func(ctx app.Context, msg string) {
		p.camBusy = false
		p.camErr = msg
	})
}

func (p *page) stopCamera(ctx app.Context, e app.Event) {
	glimpse().Get("_camera").Call("stop", app.Window().GetElementByID("camera-video"))
	p.camOn = false
	p.maybeCheck(ctx)
}

// camTick classifies one frame, then schedules the next; it stops while the
// tab is hidden (visibilitychange restarts it) or the camera is off.
func (p *page) camTick(ctx app.Context) {
	inflight := 1
	if p.info.Backend == "webgpu" {
		inflight = 2 // capture the next frame while the last one is read back
	}
	if !p.camOn || p.camFlying >= inflight || p.hidden() || !p.ready {
		return
	}
	p.camFlying++
	p.camBusy = p.camFlying >= inflight
	video := app.Window().GetElementByID("camera-video")
	if p.camFlying < inflight {
		defer p.nextFrame(ctx)
	}
	await(ctx, glimpse().Call("classify", video, map[string]any{"top": 3}), func(ctx app.Context, v app.Value) {
		p.camFlying--
		p.camBusy = false
		now := app.Window().Get("performance").Call("now").Float()
		if p.lastFrame > 0 {
			fps := 1000 / (now - p.lastFrame)
			if p.liveFps == 0 {
				p.liveFps = fps
			} else {
				p.liveFps = 0.8*p.liveFps + 0.2*fps
			}
		}
		p.lastFrame = now
		p.live, p.liveMs = preds(v), v.Get("ms").Float()
		p.liveFrames++
		p.nextFrame(ctx)
	}, func(ctx app.Context, msg string) {
		p.camFlying--
		p.camBusy = false
		if strings.Contains(msg, "no frame yet") {
			p.nextFrame(ctx)
			return
		}
		p.camErr = msg
	})
}

func (p *page) nextFrame(ctx app.Context) {
	var f app.Func
	f = app.FuncOf(func(this app.Value, args []app.Value) any {
		f.Release()
		ctx.Dispatch(func(ctx app.Context) { p.camTick(ctx) })
		return nil
	})
	app.Window().Call("requestAnimationFrame", f)
}

func (p *page) onCamChoice(ctx app.Context, e app.Event) {
	p.camChoice = e.Get("target").Get("value").String()
	if p.camOn {
		p.startCamera(ctx, e)
	}
}

// ---- model panel -------------------------------------------------------------

func (p *page) loadOwnModel(ctx app.Context, e app.Event) {
	doc := app.Window()
	m := doc.GetElementByID("model-file").Get("files")
	if !m.Truthy() || m.Length() == 0 {
		p.modelErr = "Choose a model file (.onnx or .glimpse) first."
		return
	}
	file := m.Index(0)
	opts := map[string]any{"name": file.Get("name").String()}
	if l := doc.GetElementByID("labels-file").Get("files"); l.Truthy() && l.Length() > 0 {
		opts["labels"] = l.Index(0)
	}
	if c := doc.GetElementByID("card-file").Get("files"); c.Truthy() && c.Length() > 0 {
		opts["card"] = c.Index(0)
	}
	p.modelBusy, p.modelErr, p.modelMsg = true, "", "Loading "+file.Get("name").String()+"…"
	p.chk = checkState{}
	await(ctx, glimpse().Call("loadModel", file, opts), func(ctx app.Context, v app.Value) {
		p.modelBusy = false
		p.refreshInfo()
		p.modelMsg = "Now using " + p.info.Name + ". It is saved in this browser and works offline."
		p.wantCheck(ctx)
	}, func(ctx app.Context, msg string) {
		p.modelBusy, p.modelMsg = false, ""
		p.modelErr = "Could not use this model: " + msg + ". The previous model (" + p.info.Name + ") is still active."
		card := app.Undefined()
		if c := doc.GetElementByID("card-file").Get("files"); c.Truthy() && c.Length() > 0 {
			card = c.Index(0)
		}
		p.checkFile(ctx, file, card)
	})
}

// int8Model is the default model quantized to int8 (glimpse quantize, in
// make models): faster on the CPU, a larger download.
const int8Model = "web/models/mobilenet_v2_1.0_224_int8/model.glimpse"

func (p *page) useInt8(ctx app.Context, e app.Event) {
	p.modelBusy, p.modelErr, p.modelMsg = true, "", "Loading the int8 version of the default model…"
	p.chk = checkState{}
	await(ctx, glimpse().Call("loadModel", int8Model, map[string]any{"name": "mobilenet_v2_1.0_224 int8"}), func(ctx app.Context, v app.Value) {
		p.modelBusy = false
		p.refreshInfo()
		p.modelMsg = "Now using " + p.info.Name + ". It is saved in this browser and works offline."
	}, func(ctx app.Context, msg string) {
		p.modelBusy, p.modelMsg = false, ""
		p.modelErr = "Could not use the int8 model: " + msg + ". The previous model (" + p.info.Name + ") is still active."
	})
}

func (p *page) resetModel(ctx app.Context, e app.Event) {
	p.modelBusy, p.modelErr, p.modelMsg = true, "", "Restoring the default model…"
	p.chk = checkState{}
	await(ctx, glimpse().Call("resetModel"), func(ctx app.Context, v app.Value) {
		p.modelBusy = false
		p.refreshInfo()
		p.modelMsg = "Back to the default model."
	}, func(ctx app.Context, msg string) {
		p.modelBusy, p.modelMsg = false, ""
		p.modelErr = "Could not restore the default model: " + msg
	})
}

func (p *page) reload(ctx app.Context, e app.Event) { ctx.Reload() }

func (p *page) onBackend(ctx app.Context, e app.Event) {
	pref := e.Get("target").Get("value").String()
	p.modelBusy, p.modelErr, p.modelMsg = true, "", "Switching the backend…"
	await(ctx, glimpse().Call("setBackend", pref), func(ctx app.Context, v app.Value) {
		p.modelBusy = false
		p.refreshInfo()
		p.modelMsg = "Running on " + p.info.Backend + "."
		if p.info.Backend != "webgpu" && pref != "cpu" && p.info.GPUReason != "" {
			p.modelMsg = "Running on the CPU: " + p.info.GPUReason
		}
	}, func(ctx app.Context, msg string) {
		p.modelBusy, p.modelMsg, p.modelErr = false, "", msg
	})
}

// dispatchFunc wraps f as a JS callback that runs on the UI goroutine; the
// Func is kept in *keep so that the component can release it.
func dispatchFunc(ctx app.Context, keep *[]app.Func, f func(ctx app.Context, args []app.Value)) app.Func {
	g := app.FuncOf(func(this app.Value, args []app.Value) any {
		ctx.Dispatch(func(ctx app.Context) { f(ctx, args) })
		return nil
	})
	*keep = append(*keep, g)
	return g
}
