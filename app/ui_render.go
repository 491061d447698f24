package main

import (
	"fmt"
	"strings"

	"github.com/glimpse/glimpse/model/vision/labels"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func (p *page) Render() app.UI {
	return app.Div().Class("glimpse").DataSet("ready", p.ready).Body(
		app.Header().Class("top").Body(
			app.Div().Class("brand").Body(
				app.Img().Src("/web/icons/icon.svg").Alt("").Class("logo"),
				app.Div().Body(
					app.H1().Text("Glimpse"),
					app.P().Class("tagline").Text("What is in this image? Answered on your device."),
				),
			),
			app.If(p.ready, func() app.UI {
				return app.Span().Class("badge").ID("backend-badge").Title("The engine that runs the model").Text("Backend: " + p.info.Backend)
			}),
		),
		// The banners sit in a container that is always there: a banner
		// that comes or goes must not shift its siblings, or go-app would
		// re-create them (closing open <details>, clearing file inputs).
		app.Div().Class("banners").Body(
			app.If(p.update, func() app.UI {
				return app.Div().Class("banner").ID("update-banner").Aria("live", "polite").Body(
					app.Span().Text("A new version of Glimpse is ready."),
					app.Button().Text("Reload").OnClick(p.reload),
				)
			}),
			app.If(p.notice != "", func() app.UI {
				return app.Div().Class("banner warn").ID("notice").Text(p.notice)
			}),
		),
		app.Nav().Class("tabs").Aria("label", "Views").Body(
			p.tabButton("classify", "Classify"),
			p.tabButton("tag", "Tag photos"),
			p.tabButton("eval", "Evaluate"),
			p.tabButton("train", "Train"),
		),
		app.Main().Hidden(p.view() != "classify").Body(
			p.renderLoading(),
			p.renderDrop(),
			p.renderResults(),
			app.Div().Class("side").Body(
				p.renderCamera(),
				p.renderModel(),
			),
		),
		app.Div().Class("view").ID("view-tag").Hidden(p.view() != "tag").Body(
			app.If(!p.ready, func() app.UI { return p.renderLoading() }),
			&tagView{},
		),
		app.Div().Class("view").ID("view-eval").Hidden(p.view() != "eval").Body(
			app.If(!p.ready, func() app.UI { return p.renderLoading() }),
			&evalView{},
		),
		app.Div().Class("view").ID("view-train").Hidden(p.view() != "train").Body(
			app.If(!p.ready, func() app.UI { return p.renderLoading() }),
			&trainView{},
		),
		app.Footer().Body(
			app.P().Text("Private by design: photos and camera frames are processed in this page and never sent anywhere. Once loaded, Glimpse works offline."),
			app.P().Class("credit").Text(p.credit()),
		),
	)
}

func (p *page) credit() string {
	if p.info.License != "" {
		return "Model: " + p.info.License + "."
	}
	return "Default model: MobileNetV2 (TensorFlow, Apache-2.0), via google-coral/test_data."
}

func (p *page) renderLoading() app.UI {
	if p.ready {
		return app.Text("")
	}
	if p.bootErr != "" {
		return app.Section().Class("panel loading error").ID("boot-error").Aria("live", "assertive").Body(
			app.H2().Text("Glimpse could not start"),
			app.P().Text(p.bootErr),
			app.Button().Text("Try again").OnClick(p.reload),
		)
	}
	pct := 0.0
	if p.total > 0 {
		pct = 100 * p.loaded / p.total
	}
	status := "Preparing the classifier…"
	if p.loaded > 0 {
		status = fmt.Sprintf("Downloading the model: %.0f%% (%s of %s)", pct, mb(p.loaded), mb(p.total))
		if p.total == 0 {
			status = "Downloading the model: " + mb(p.loaded)
		}
		if p.total > 0 && p.loaded >= p.total {
			status = "Preparing the model…"
		}
	}
	return app.Section().Class("panel loading").ID("loading").Body(
		app.H2().Text("Getting ready"),
		app.P().Text("Glimpse runs the image classifier inside this page. The model downloads once, then it is stored for offline use and nothing is sent anywhere."),
		app.Div().Class("progress").Aria("role", "progressbar").Aria("label", "Model download").
			Aria("valuemin", 0).Aria("valuemax", 100).Aria("valuenow", int(pct)).Body(
			app.Div().Class("fill").Style("width", fmt.Sprintf("%.1f%%", pct)),
		),
		app.P().Class("status").ID("load-status").Text(status),
	)
}

func mb(b float64) string { return fmt.Sprintf("%.1f MB", b/1e6) }

func (p *page) renderDrop() app.UI {
	cls := "panel drop"
	if p.dragOver {
		cls += " over"
	}
	return app.Section().Class(cls).ID("drop-zone").
		OnDragOver(p.onDragOver).
		OnDragLeave(func(ctx app.Context, e app.Event) { p.dragOver = false }).
		OnDrop(p.onDrop).
		Body(
			app.H2().Text("Classify photos"),
			app.P().Text("Drop photos here, paste them, or choose them. You can add many at once."),
			// The input itself takes the focus and opens the file chooser
			// natively (no round trip through Go that could outlast the
			// keypress's user activation); the label is its visible button.
			app.Input().Type("file").ID("file-input").Class("visually-hidden").Accept("image/*").Multiple(true).
				OnChange(p.onFiles),
			app.Label().For("file-input").ID("choose-files").Class("button primary").Text("Choose photos"),
			app.If(!p.ready && len(p.queue) > 0, func() app.UI {
				return app.P().Class("hint").Text(fmt.Sprintf("%d photo(s) will be classified as soon as the model is ready.", len(p.queue)))
			}),
		)
}

func (p *page) renderResults() app.UI {
	if len(p.results) == 0 {
		return app.Text("")
	}
	return app.Section().Class("results-wrap").Aria("label", "Results").Body(
		app.Div().Class("results-head").Body(
			app.H2().Text(fmt.Sprintf("Results (%d)", len(p.results))),
			app.Button().Class("link").ID("clear-results").Text("Clear").OnClick(p.clearResults),
		),
		app.Div().Class("results").ID("results").Aria("live", "polite").Body(
			app.Range(p.results).Slice(func(i int) app.UI { return p.renderResult(p.results[i]) }),
		),
	)
}

func (p *page) renderResult(r *result) app.UI {
	card := app.Article().Class("result "+r.State).DataSet("state", r.State).DataSet("name", r.Name)
	body := []app.UI{r.photo(r.Preview, r.Name, "preview")}
	switch r.State {
	case "pending":
		card = card.Aria("busy", true).Aria("label", r.Name+": classifying")
		body = append(body, app.Div().Class("meta").Body(app.Strong().Text(r.Name), app.Span().Class("muted").Text("Classifying…")))
	case "error":
		card = card.Aria("label", r.Name+": "+r.Err)
		body = append(body, app.Div().Class("meta").Body(app.Strong().Text(r.Name), app.P().Class("error").Text(r.Err)))
	default:
		if len(r.Top) > 0 {
			card = card.DataSet("index", r.Top[0].Index).DataSet("label", r.Top[0].Label).
				Aria("label", fmt.Sprintf("%s: %s, %.0f%%", r.Name, labels.DisplayName(r.Top[0].Label), 100*r.Top[0].Prob))
		}
		body = append(body,
			app.Div().Class("meta").Body(
				app.Strong().Class("name").Text(r.Name),
				app.Span().Class("muted").Text(fmt.Sprintf("%.0f ms · %s", r.Ms, r.Backend)),
			),
			renderPredsClick(r.Top, "preds", func(i int) app.EventHandler {
				return func(app.Context, app.Event) { r.explain(p.pageCtx, r.Top[i].Index) }
			}),
			r.controls(p.pageCtx),
		)
	}
	return card.Body(body...)
}

func renderPreds(top []pred, cls string) app.UI { return renderPredsClick(top, cls, nil) }

// renderPredsClick is renderPreds whose labels, when click is not nil, are
// buttons (explain that class).
func renderPredsClick(top []pred, cls string, click func(i int) app.EventHandler) app.UI {
	return app.Ol().Class(cls).Body(
		app.Range(top).Slice(func(i int) app.UI {
			t := top[i]
			pct := 100 * t.Prob
			name := labels.DisplayName(t.Label)
			li := app.Li()
			if click != nil {
				li = li.Class("clickable").TabIndex(0).OnClick(click(i)).
					On("keydown", func(ctx app.Context, e app.Event) {
						if k := e.Get("key").String(); k == "Enter" || k == " " {
							e.PreventDefault()
							click(i)(ctx, e)
						}
					})
			}
			return li.Title(t.Label).Aria("label", fmt.Sprintf("%s %.1f%%", name, pct)).DataSet("index", t.Index).Body(
				app.Div().Class("row").Body(
					app.Span().Class("label").Text(name),
					app.Span().Class("pct").Text(fmt.Sprintf("%.1f%%", pct)),
				),
				app.Div().Class("bar").Aria("hidden", true).Body(
					app.Div().Class("fill").Style("width", fmt.Sprintf("%.1f%%", pct)),
				),
			)
		}),
	)
}

func (p *page) renderCamera() app.UI {
	return app.Section().Class("panel camera").ID("camera").Body(
		app.H2().Text("Camera"),
		app.Div().Class("controls").Body(
			app.Label().For("camera-select").Class("visually-hidden").Text("Camera"),
			app.Select().ID("camera-select").OnChange(p.onCamChoice).Body(
				app.Option().Value("environment").Selected(p.camChoice == "" || p.camChoice == "environment").Text("Back camera"),
				app.Option().Value("user").Selected(p.camChoice == "user").Text("Front camera"),
				app.Range(p.cams).Slice(func(i int) app.UI {
					v := "device:" + p.cams[i].ID
					return app.Option().Value(v).Selected(p.camChoice == v).Text(p.cams[i].Label)
				}),
			),
			app.If(!p.camOn, func() app.UI {
				return app.Button().ID("camera-start").Class("primary").Text("Start camera").Disabled(!p.ready || p.camBusy).OnClick(p.startCamera)
			}).Else(func() app.UI {
				return app.Button().ID("camera-stop").Text("Stop camera").OnClick(p.stopCamera)
			}),
		),
		app.If(p.camErr != "", func() app.UI {
			return app.P().Class("error").ID("camera-error").Aria("live", "assertive").Text(p.camErr)
		}),
		app.Video().ID("camera-video").Class(map[bool]string{true: "video on", false: "video"}[p.camOn]).
			Aria("label", "Camera preview").Attr("playsinline", true).Attr("muted", true),
		app.If(p.camOn, func() app.UI {
			live := app.Div().ID("live").Class("live").Aria("live", "polite")
			if len(p.live) > 0 {
				live = live.DataSet("index", p.live[0].Index).DataSet("label", p.live[0].Label)
			}
			return live.Body(
				app.P().Class("muted").ID("live-stats").Text(fmt.Sprintf("%.1f fps · %.0f ms per frame · %d frames", p.liveFps, p.liveMs, p.liveFrames)),
				renderPreds(p.live, "preds"),
			)
		}),
	)
}

func (p *page) renderModel() app.UI {
	i := p.info
	facts := []app.UI{}
	fact := func(k, v string) {
		facts = append(facts, app.Dt().Text(k), app.Dd().Text(v))
	}
	if p.ready {
		fact("Model", i.Name)
		fact("Input", fmt.Sprintf("%d×%d %s", i.Width, i.Height, i.Layout))
		fact("Parameters", fmt.Sprintf("%.2f M", float64(i.Params)/1e6))
		fact("Operators", fmt.Sprintf("%d in the file, %d after fusion", i.Ops, i.OpsRun))
		fact("File size", mb(float64(i.FileBytes)))
		backend := i.Backend
		if i.Adapter != "" {
			backend += " · " + i.Adapter
		}
		fact("Backend", backend)
		if len(i.CPUOps) > 0 {
			fact("On the CPU", strings.Join(i.CPUOps, "; "))
		}
		if i.Engine != "" {
			fact("Engine", engineText(i))
		}
		if len(i.EngineMemory) > 0 {
			fact("Memory", memoryText(i))
		}
		if i.LoadMs > 0 {
			fact("Prepared in", fmt.Sprintf("%.0f ms", i.LoadMs))
		}
		if p.firstMs > 0 {
			fact("First result", fmt.Sprintf("%.1f s after opening the page", p.firstMs/1000))
		}
		if i.License != "" {
			fact("Licence", i.License)
		}
	}
	return app.Section().Class("panel model").ID("model-panel").Body(
		app.H2().Text("Model"),
		app.Dl().ID("model-facts").DataSet("name", i.Name).Body(facts...),
		p.renderCheck(),
		app.Div().Class("field").Body(
			app.Label().For("backend-select").Text("Backend"),
			app.Select().ID("backend-select").Disabled(!p.ready || p.modelBusy).OnChange(p.onBackend).Body(
				app.Option().Value("auto").Selected(i.BackendPref == "" || i.BackendPref == "auto").Text("Automatic"),
				app.Option().Value("webgpu").Selected(i.BackendPref == "webgpu").Text("WebGPU"),
				app.Option().Value("cpu").Selected(i.BackendPref == "cpu").Text("CPU"),
			),
		),
		app.Details().Body(
			app.Summary().Text("Use your own model"),
			app.P().Class("muted").Text("An ONNX image classifier (any torchvision export, for instance), or a bundle made by glimpse compile, with an optional labels.txt and model card JSON. It is compiled and checked here, and stays in this browser."),
			fileField("model-file", "Model (.onnx or .glimpse)", ".onnx,.glimpse,application/octet-stream"),
			fileField("labels-file", "Labels (.txt, optional)", ".txt,text/plain"),
			fileField("card-file", "Card (.json, optional)", ".json,application/json"),
			app.Div().Class("controls").Body(
				app.Button().ID("model-load").Class("primary").Text("Load model").Disabled(p.modelBusy || !p.ready).OnClick(p.loadOwnModel),
				app.Button().ID("model-reset").Text("Reset to default").Disabled(p.modelBusy || !p.ready || i.IsDefault).OnClick(p.resetModel),
			),
			app.P().Class("muted").Text("Or the default model quantized to int8 (glimpse quantize): the same labels, integer convolutions, faster on the CPU, about the same download (2.9 MB)."),
			app.Button().ID("model-int8").Text("Use the int8 model").Disabled(p.modelBusy || !p.ready).OnClick(p.useInt8),
		),
		app.If(p.modelMsg != "", func() app.UI {
			return app.P().Class("ok").ID("model-status").Aria("live", "polite").Text(p.modelMsg)
		}),
		app.If(p.modelErr != "", func() app.UI {
			return app.P().Class("error").ID("model-error").Aria("live", "assertive").Text(p.modelErr)
		}),
	)
}

func fileField(id, label, accept string) app.UI {
	return app.Div().Class("field").Body(
		app.Label().For(id).Text(label),
		app.Input().Type("file").ID(id).Accept(accept),
	)
}

func (p *page) view() string {
	if p.tab == "" {
		return "classify"
	}
	return p.tab
}

func (p *page) tabButton(id, label string) app.UI {
	on := p.view() == id
	return app.Button().Class(map[bool]string{true: "tab on", false: "tab"}[on]).ID("tab-"+id).
		Aria("pressed", on).Aria("controls", "view-"+id).Text(label).
		OnClick(func(ctx app.Context, e app.Event) {
			p.tab = id
			app.Window().Get("history").Call("replaceState", nil, "", "#"+id)
		})
}

// engineText says where the engine runs and whether its SIMD kernels are on.
func engineText(i modelInfo) string {
	where := "in a Web Worker"
	if i.Engine != "worker" {
		where = "on the page"
		if i.EngineReason != "" {
			where += " (" + i.EngineReason + ")"
		}
	}
	if i.SIMD && i.RelaxedSIMD {
		return where + " · SIMD with fused multiply-add"
	}
	if i.SIMD {
		return where + " · SIMD"
	}
	if i.SIMDReason != "" {
		return where + " · no SIMD: " + i.SIMDReason
	}
	return where + " · no SIMD"
}

// memoryText is the memory of each running engine; tagging may start more,
// up to the pool's size.
func memoryText(i modelInfo) string {
	parts := make([]string, len(i.EngineMemory))
	for k, m := range i.EngineMemory {
		parts[k] = mb(m)
	}
	s := strings.Join(parts, " + ")
	if len(parts) > 1 {
		s += fmt.Sprintf(" (%d engines)", len(parts))
	}
	if i.PoolSize > len(parts) {
		s += fmt.Sprintf(" · tagging uses up to %d engines", i.PoolSize)
	}
	return s
}
