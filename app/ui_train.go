package main

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/glimpse/glimpse/model/eval"
	"github.com/glimpse/glimpse/model/vision/labels"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// trainView teaches the model the user's own classes: classes as cards of
// example photos (files, folders, or camera frames while a button is held),
// kept on this device by web/training.js; features on the engine pool, the
// head fitted in the trainer's worker with live curves; the validation
// report with the Evaluate view's tables; then "Use this model" or export.
type trainView struct {
	app.Compo

	classes   []trainCard
	loaded    bool
	err, msg  string
	busy      bool
	camOn     bool
	recording int // the class whose button is held, or -1
	augment   int
	phase     string // "", "features", "fit", "done"
	done      int
	total     int
	curve     []trainPoint
	result    app.Value
	report    *eval.Report
	rocClass  int
	summary   string
	used      bool
	funcs     []app.Func
}

type trainCard struct {
	Name   string
	Photos []trainShot
}

type trainShot struct {
	ID  int
	URL string
}

type trainPoint struct {
	Phase                                string
	TrainLoss, ValLoss, TrainAcc, ValAcc float64
}

func training() app.Value { return app.Window().Get("glimpseTraining") }

func (v *trainView) OnMount(ctx app.Context) {
	v.recording, v.augment = -1, -1 // auto: training.js picks by the number of photos
	if !training().Truthy() {
		v.err = "training.js did not load."
		return
	}
	v.call(ctx, training().Call("load"), "")
}

func (v *trainView) OnDismount() {
	for _, f := range v.funcs {
		f.Release()
	}
	if v.camOn {
		glimpse().Get("_camera").Call("stop", app.Window().GetElementByID("train-video"))
	}
}

// call runs a training.js operation that returns the set, and shows it.
func (v *trainView) call(ctx app.Context, p app.Value, done string) {
	v.busy = true
	await(ctx, p, func(ctx app.Context, r app.Value) {
		v.busy, v.loaded = false, true
		if r.Get("classes").Truthy() {
			if n := r.Get("skipped").Int(); n > 0 {
				v.err = fmt.Sprintf("%d file(s) were not photos and were skipped.", n)
			}
			r = r.Get("classes")
		}
		v.setClasses(r)
		if done != "" {
			v.msg = done
		}
	}, func(ctx app.Context, msg string) {
		v.busy, v.loaded = false, true
		v.err = msg
	})
}

func (v *trainView) setClasses(r app.Value) {
	v.classes = v.classes[:0]
	for i := 0; i < r.Length(); i++ {
		c := r.Index(i)
		tc := trainCard{Name: c.Get("name").String()}
		ps := c.Get("photos")
		for j := 0; j < ps.Length(); j++ {
			tc.Photos = append(tc.Photos, trainShot{ID: ps.Index(j).Get("id").Int(), URL: ps.Index(j).Get("url").String()})
		}
		v.classes = append(v.classes, tc)
	}
}

func (v *trainView) ready() (int, string) {
	n := 0
	for _, c := range v.classes {
		if len(c.Photos) > 0 {
			n++
			if len(c.Photos) < 2 {
				return 0, fmt.Sprintf("%q has one photo; every class needs at least two.", c.Name)
			}
		}
	}
	if n < 2 {
		return 0, "Add photos to at least two classes."
	}
	return n, ""
}

// ---- camera ------------------------------------------------------------------

func (v *trainView) toggleCamera(ctx app.Context, e app.Event) {
	cam := glimpse().Get("_camera")
	video := app.Window().GetElementByID("train-video")
	if v.camOn {
		cam.Call("stop", video)
		v.camOn = false
		return
	}
	if why := cam.Call("supported").String(); why != "" {
		v.err = why
		return
	}
	await(ctx, cam.Call("start", video, "", "environment"), func(ctx app.Context, _ app.Value) { v.camOn, v.err = true, "" },
		func(ctx app.Context, msg string) { v.err = msg })
}

// record captures frames into class i while its button is held.
func (v *trainView) record(i int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		if !v.camOn || v.recording >= 0 {
			return
		}
		v.recording = i
		v.captureNext(ctx, i)
	}
}

func (v *trainView) stopRecording(ctx app.Context, e app.Event) { v.recording = -1 }

func (v *trainView) captureNext(ctx app.Context, i int) {
	if v.recording != i || !v.camOn {
		return
	}
	await(ctx, training().Call("capture", i, app.Window().GetElementByID("train-video")), func(ctx app.Context, r app.Value) {
		v.setClasses(r)
		ctx.After(150_000_000, func(ctx app.Context) { v.captureNext(ctx, i) }) // ~5 frames a second
	}, func(ctx app.Context, msg string) {
		v.recording = -1
		v.err = msg
	})
}

// ---- training -----------------------------------------------------------------

func (v *trainView) train(ctx app.Context, e app.Event) {
	if _, why := v.ready(); why != "" {
		v.err = why
		return
	}
	v.err, v.msg, v.phase, v.done, v.total, v.curve, v.report, v.result, v.used = "", "", "features", 0, 0, nil, nil, app.Undefined(), false
	fn := func(f func(ctx app.Context, args []app.Value)) app.Func { return dispatchFunc(ctx, &v.funcs, f) }
	on := map[string]any{
		"features": fn(func(ctx app.Context, a []app.Value) {
			v.done, v.total = a[0].Get("done").Int(), a[0].Get("total").Int()
		}),
		"fit": fn(func(ctx app.Context, a []app.Value) {
			v.phase = "fit"
			p := a[0]
			if n := len(v.curve); n > 0 && v.curve[n-1].Phase != p.Get("phase").String() {
				v.curve = v.curve[:0] // a new weight decay, or the final fit: a curve of its own
			}
			v.curve = append(v.curve, trainPoint{Phase: p.Get("phase").String(), TrainLoss: fl(p, "trainLoss"), ValLoss: fl(p, "valLoss"),
				TrainAcc: fl(p, "trainAcc"), ValAcc: fl(p, "valAcc")})
		}),
	}
	opts := map[string]any{"augment": v.augment, "val": 0.2, "seed": 1}
	v.busy = true
	await(ctx, training().Call("train", opts, on), func(ctx app.Context, r app.Value) {
		v.busy, v.phase, v.result = false, "done", r
		// The curves of the run that was kept.
		h := r.Get("fit").Get("history")
		v.curve = v.curve[:0]
		for i := 0; i < h.Length(); i++ {
			p := h.Index(i)
			v.curve = append(v.curve, trainPoint{Phase: p.Get("phase").String(), TrainLoss: fl(p, "trainLoss"), ValLoss: fl(p, "valLoss"), TrainAcc: fl(p, "trainAcc"), ValAcc: fl(p, "valAcc")})
		}
		v.makeReport(r)
	}, func(ctx app.Context, msg string) {
		v.busy, v.phase = false, ""
		v.err = "Training failed: " + msg
	})
}

func fl(v app.Value, k string) float64 {
	x := v.Get(k)
	if x.Type() != app.TypeNumber {
		return math.NaN()
	}
	return x.Float()
}

// makeReport scores the held-out photos with model/eval, as the Evaluate
// view does.
func (v *trainView) makeReport(r app.Value) {
	fit := r.Get("fit")
	names := []string{}
	for i := 0; i < r.Get("names").Length(); i++ {
		names = append(names, r.Get("names").Index(i).String())
	}
	val, probs, truth := fit.Get("val"), fit.Get("valProbs"), r.Get("truth")
	var samples []eval.Sample
	for i := 0; i < val.Length(); i++ {
		p := probs.Index(i)
		s := eval.Sample{File: fmt.Sprintf("photo %d", val.Index(i).Int()+1), True: truth.Index(val.Index(i).Int()).Int(), Scores: make([]float32, p.Length())}
		for k := range s.Scores {
			s.Scores[k] = float32(p.Index(k).Float())
		}
		samples = append(samples, s)
	}
	mode := fit.Get("mode").String()
	secs := (r.Get("featureMs").Float() + r.Get("fitMs").Float()) / 1000
	v.summary = fmt.Sprintf("Trained a %s head on %d photos of %d classes (%d training rows with the augmented copies) in %.1f s: features %.1f s, fit %.1f s.",
		map[string]string{"linear": "linear", "mlp": "one-hidden-layer", "ncm": "nearest-class-mean"}[mode], fit.Get("train").Int()+val.Length(), len(names),
		fit.Get("rows").Int(), secs, r.Get("featureMs").Float()/1000, r.Get("fitMs").Float()/1000)
	if len(samples) == 0 {
		v.msg = v.summary + " No photo was held out for validation."
		return
	}
	rep, err := eval.Evaluate(samples, eval.Options{Labels: names})
	if err != nil {
		v.err = err.Error()
		return
	}
	v.report, v.rocClass = rep, 0
}

func (v *trainView) modelName() string {
	var ns []string
	for _, c := range v.classes {
		if len(c.Photos) > 0 {
			ns = append(ns, c.Name)
		}
	}
	name := strings.Join(ns, "-")
	if len(name) > 40 {
		name = name[:40]
	}
	return "my-" + strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' || r == '\\' {
			return '-'
		}
		return r
	}, name)
}

func (v *trainView) use(ctx app.Context, e app.Event) {
	v.busy = true
	await(ctx, training().Call("use", v.result, v.modelName()), func(ctx app.Context, _ app.Value) {
		v.busy, v.used = false, true
		v.msg = "This is now Glimpse's model, kept on this device for your next visits. Try it on the Classify tab, with the camera or photos."
	}, func(ctx app.Context, msg string) {
		v.busy = false
		v.err = "The model could not be used: " + msg
	})
}

func (v *trainView) export(ctx app.Context, e app.Event) {
	v.busy = true
	await(ctx, training().Call("exportFiles", v.result, v.modelName()), func(ctx app.Context, r app.Value) {
		v.busy = false
		v.msg = "Downloaded the model (.glimpse), labels.txt and card.json."
		if r.Get("onnx").Bool() {
			v.msg = "Downloaded the model as ONNX (runs in ONNX Runtime) and as a Glimpse bundle, with labels.txt and card.json."
		}
	}, func(ctx app.Context, msg string) {
		v.busy = false
		v.err = "Export failed: " + msg
	})
}

// ---- render --------------------------------------------------------------------

func (v *trainView) Render() app.UI {
	n, why := v.ready()
	photos := 0
	for _, c := range v.classes {
		photos += len(c.Photos)
	}
	return app.Div().Class("trainview").Body(
		app.Section().Class("panel").ID("train-intro").Body(
			app.H2().Text("Teach Glimpse your own classes"),
			app.P().Text("Make a class for each thing to recognise and add example photos: 10 to 50 a class work well, 2 at the least. They stay on this device, also across visits, until you delete them."),
			app.Div().Class("controls").Body(
				app.Button().ID("train-add-class").Class("primary").Text("Add a class").Disabled(v.busy && v.phase != "").
					OnClick(func(ctx app.Context, e app.Event) { v.call(ctx, training().Call("addClass", ""), "") }),
				app.Button().ID("train-choose-folder").Text("Add a folder of classes…").Title("A folder with one sub-folder of photos per class").OnClick(pick("train-folder")),
				app.Button().ID("train-camera").Text(map[bool]string{true: "Stop camera", false: "Start camera"}[v.camOn]).OnClick(v.toggleCamera),
				app.If(photos > 0, func() app.UI {
					return app.Button().ID("train-clear").Text("Delete all training photos").OnClick(func(ctx app.Context, e app.Event) {
						if app.Window().Call("confirm", "Delete every class and its photos from this device?").Bool() {
							v.call(ctx, training().Call("clear"), "The training photos are deleted.")
						}
					})
				}),
			),
			app.Input().Type("file").ID("train-folder").Class("visually-hidden").Attr("webkitdirectory", true).Multiple(true).TabIndex(-1).
				Aria("label", "A folder with one sub-folder of photos per class").OnChange(func(ctx app.Context, e app.Event) {
				t := e.Get("target")
				v.call(ctx, training().Call("addFolder", tagging().Call("filesFromInput", t)), "")
				t.Set("value", "")
			}),
			app.Video().ID("train-video").Class("train-video").Hidden(!v.camOn).Attr("playsinline", true).Attr("muted", true),
		),
		app.If(v.err != "", func() app.UI { return app.P().Class("error").ID("train-error").Aria("live", "assertive").Text(v.err) }),
		app.If(v.msg != "", func() app.UI { return app.P().Class("ok").ID("train-msg").Aria("live", "polite").Text(v.msg) }),
		app.Div().Class("train-classes").ID("train-classes").Body(
			app.Range(v.classes).Slice(func(i int) app.UI { return v.renderClass(i) }),
		),
		app.Section().Class("panel").ID("train-run").Body(
			app.H3().Text("Train"),
			app.Div().Class("controls").Body(
				app.Label().For("train-augment").Text("Augmented copies of each photo"),
				app.Select().ID("train-augment").OnChange(func(ctx app.Context, e app.Event) {
					v.augment = int(targetNum(e))
				}).Body(
					app.Range([]int{-1, 0, 1, 2, 4, 8}).Slice(func(k int) app.UI {
						a := []int{-1, 0, 1, 2, 4, 8}[k]
						text := fmt.Sprint(a)
						if a < 0 {
							text = "Auto (fewer for more photos)"
						}
						return app.Option().Value(fmt.Sprint(a)).Selected(a == v.augment).Text(text)
					}),
				),
				app.Button().ID("train-start").Class("primary").Disabled(n == 0 || v.busy).Text(fmt.Sprintf("Train on %d photos", photos)).OnClick(v.train),
			),
			app.If(why != "" && v.loaded, func() app.UI { return app.P().Class("muted").ID("train-why").Text(why) }),
			app.If(v.phase == "features", func() app.UI {
				pct := 100 * float64(v.done) / float64(max(v.total, 1))
				return app.Div().Body(
					app.Div().Class("progress").Aria("role", "progressbar").Aria("label", "Reading the photos").Aria("valuenow", v.done).Aria("valuemax", v.total).Body(
						app.Div().Class("fill").Style("width", fmt.Sprintf("%.1f%%", pct))),
					app.P().Text(fmt.Sprintf("Reading the photos: %d / %d", v.done, v.total)),
				)
			}),
			app.If(len(v.curve) > 0, func() app.UI {
				return app.Div().Class("curves").ID("train-curves").Body(
					app.Raw(trainCurveSVG("Loss", v.curve, func(p trainPoint) (float64, float64) { return p.TrainLoss, p.ValLoss }, false)),
					app.Raw(trainCurveSVG("Accuracy", v.curve, func(p trainPoint) (float64, float64) { return p.TrainAcc, p.ValAcc }, true)),
				)
			}),
		),
		app.If(v.phase == "done", func() app.UI { return v.renderResult() }),
	)
}

func (v *trainView) renderClass(i int) app.UI {
	c := v.classes[i]
	shown := c.Photos
	if len(shown) > 12 {
		shown = shown[len(shown)-12:]
	}
	input := fmt.Sprintf("train-files-%d", i)
	return app.Section().Class("panel train-class").DataSet("class", c.Name).Body(
		app.Div().Class("train-class-head").Body(
			app.Input().Type("text").Class("train-name").Value(c.Name).Aria("label", "Class name").OnChange(func(ctx app.Context, e app.Event) {
				v.call(ctx, training().Call("renameClass", i, e.Get("target").Get("value").String()), "")
			}),
			app.Span().Class("muted").Text(fmt.Sprintf("%d photos", len(c.Photos))),
		),
		app.Div().Class("train-thumbs").Body(
			app.Range(shown).Slice(func(k int) app.UI {
				p := shown[k]
				return app.Div().Class("train-thumb").Body(
					app.Img().Src(p.URL).Alt(c.Name),
					app.Button().Class("remove").Aria("label", "Remove this photo").Text("×").OnClick(func(ctx app.Context, e app.Event) {
						v.call(ctx, training().Call("removePhoto", i, p.ID), "")
					}),
				)
			}),
		),
		app.Div().Class("controls").Body(
			app.Button().Text("Add photos…").OnClick(pick(input)),
			app.Button().Class("record").Disabled(!v.camOn).Aria("pressed", v.recording == i).
				Title("Hold to add camera frames to this class").Text(map[bool]string{true: "Recording…", false: "Hold to record"}[v.recording == i]).
				On("pointerdown", v.record(i)).On("pointerup", v.stopRecording).On("pointerleave", v.stopRecording).On("pointercancel", v.stopRecording).
				On("contextmenu", func(ctx app.Context, e app.Event) { e.PreventDefault() }),
			app.Button().Class("danger").Text("Remove class").OnClick(func(ctx app.Context, e app.Event) {
				if len(c.Photos) == 0 || app.Window().Call("confirm", fmt.Sprintf("Remove %q and its %d photos?", c.Name, len(c.Photos))).Bool() {
					v.call(ctx, training().Call("removeClass", i), "")
				}
			}),
		),
		app.Input().Type("file").ID(input).Class("visually-hidden").Accept("image/*").Multiple(true).TabIndex(-1).Aria("label", "Photos of "+c.Name).
			OnChange(func(ctx app.Context, e app.Event) {
				t := e.Get("target")
				v.call(ctx, training().Call("addFiles", i, app.Window().Get("Array").Call("from", t.Get("files"))), "")
				t.Set("value", "")
			}),
	)
}

func (v *trainView) renderResult() app.UI {
	r := v.report
	return app.Div().Class("report").ID("train-report").Body(
		app.Section().Class("panel summary").Body(
			app.If(r != nil, func() app.UI {
				return app.Div().Class("stat").Body(app.Span().Class("muted").Text("Validation accuracy"), app.Strong().ID("train-accuracy").Text(pct(r.Accuracy)))
			}),
			app.If(r != nil, func() app.UI {
				return app.Div().Class("stat").Body(app.Span().Class("muted").Text("Held-out photos"), app.Strong().Text(fmt.Sprint(r.N)))
			}),
			app.P().Class("muted").ID("train-summary").Text(v.summary),
			app.Div().Class("controls").Body(
				app.Button().ID("train-use").Class("primary").Disabled(v.busy || v.used).Text("Use this model").OnClick(v.use),
				app.Button().ID("train-export").Disabled(v.busy).Text("Export (ONNX, labels, card)").OnClick(v.export),
				app.If(v.used, func() app.UI {
					return app.Button().ID("train-try").Text("Try it live").OnClick(func(ctx app.Context, e app.Event) {
						app.Window().GetElementByID("tab-classify").Call("click")
					})
				}),
			),
		),
		app.If(r != nil, func() app.UI {
			return app.Section().Class("panel").Body(app.H3().Text("Per class (held-out photos)"), app.Raw(perClassHTML(r)))
		}),
		app.If(r != nil, func() app.UI {
			return app.Section().Class("panel").Body(app.H3().Text("Confusion matrix"), app.Raw(strings.Replace(confusionHTML(r), `id="eval-confusion"`, `id="train-confusion"`, 1)))
		}),
		app.If(r != nil && len(r.ROC) > 0, func() app.UI {
			i := min(v.rocClass, len(r.ROC)-1)
			roc := r.ROC[i]
			return app.Section().Class("panel").Body(
				app.H3().Text("ROC, one class against the rest"),
				app.Select().Aria("label", "Class").OnChange(func(ctx app.Context, e app.Event) {
					v.rocClass = int(targetNum(e))
				}).Body(app.Range(r.ROC).Slice(func(k int) app.UI {
					return app.Option().Value(fmt.Sprint(k)).Selected(k == i).Text(labels.DisplayName(r.ROC[k].Label))
				})),
				app.Raw(curveSVG("ROC", roc.FPR, roc.TPR, "false positive rate", "true positive rate", "AUC "+fnum(float64(roc.AUC)), true)),
			)
		}),
	)
}

// trainCurveSVG draws the training (solid) and validation (dashed) values
// against the iteration; accuracy is on [0,1], loss from 0 to its largest.
func trainCurveSVG(title string, pts []trainPoint, get func(trainPoint) (float64, float64), unit bool) string {
	const w, h, m = 300.0, 196.0, 50.0
	top := 1.0
	if !unit {
		top = 0
		for _, p := range pts {
			a, b := get(p)
			for _, x := range []float64{a, b} {
				if !math.IsNaN(x) && !math.IsInf(x, 0) {
					top = max(top, x)
				}
			}
		}
		if top == 0 {
			top = 1
		}
	}
	px := func(i int) float64 { return m + float64(i)*(w-m-8)/float64(max(len(pts)-1, 1)) }
	py := func(y float64) float64 { return h - m + 4 - y/top*(h-m-26) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="curve" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s, training and validation"><title>%s</title>`, w, h, title, title)
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="currentColor" stroke-opacity=".3"/>`, m, py(top), w-m-8, py(0)-py(top))
	for k, style := range []string{`stroke="#14a585" stroke-width="2.5"`, `stroke="#e0803a" stroke-width="2" stroke-dasharray="5 3"`} {
		b.WriteString(`<polyline fill="none" ` + style + ` points="`)
		for i, p := range pts {
			y1, y2 := get(p)
			y := []float64{y1, y2}[k]
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				fmt.Fprintf(&b, "%.1f,%.1f ", px(i), py(y))
			}
		}
		b.WriteString(`"/>`)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="14" font-size="12" fill="currentColor">%s: <tspan fill="#14a585">training</tspan>, <tspan fill="#e0803a">validation</tspan></text>`, m, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" fill="currentColor" text-anchor="middle">iteration</text>`, (w+m)/2, h-6)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" fill="currentColor" text-anchor="end">%.2g</text>`, m-3, py(top)+4, top)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" fill="currentColor" text-anchor="end">0</text>`, m-3, py(0)+4)
	b.WriteString(`</svg>`)
	return b.String()
}
