package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"path"
	"sort"
	"strings"

	"github.com/glimpse/glimpse/model/eval"
	"github.com/glimpse/glimpse/model/vision/labels"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// evalView scores the model on the user's own labelled photos: a folder
// with one sub-folder per class, or photos plus a CSV of file,label. The
// metrics come from model/eval (scikit-learn's definitions).
type evalView struct {
	app.Compo

	labels   []string
	items    app.Value         // JS array of {file, path} still to evaluate
	classOf  map[string]string // path → folder (or CSV label)
	folders  []string
	counts   map[string]int
	match    map[string]int // folder → class index
	problem  map[string]string
	thumbs   map[string]string    // path → object URL
	files    map[string]app.Value // path → File, for explanations
	missSel  string               // the misclassified photo shown with its explanation
	heat     heatView
	ctx      app.Context
	running  bool
	done     int
	total    int
	samples  []eval.Sample
	report   *eval.Report
	rocClass int
	msg, err string
	funcs    []app.Func
}

func (v *evalView) OnMount(ctx app.Context) { v.ctx = ctx }

func (v *evalView) OnDismount() {
	for _, f := range v.funcs {
		f.Release()
	}
}

func (v *evalView) ensureLabels() bool {
	if len(v.labels) == 0 {
		l := glimpse().Call("labels")
		for i := 0; i < l.Length(); i++ {
			v.labels = append(v.labels, l.Index(i).String())
		}
	}
	if len(v.labels) == 0 {
		v.err = "The model is not ready yet, or it has no labels: evaluation needs a labels file."
		return false
	}
	return true
}

// load groups the chosen photos by class and matches classes to labels.
func (v *evalView) load(items app.Value, csvLabels map[string]string) {
	v.report, v.msg, v.err, v.samples, v.done = nil, "", "", nil, 0
	if !v.ensureLabels() {
		return
	}
	imgs := tagging().Call("images", items)
	v.items = imgs
	v.classOf, v.counts, v.thumbs, v.files, v.missSel = map[string]string{}, map[string]int{}, map[string]string{}, map[string]app.Value{}, ""
	for i := 0; i < imgs.Length(); i++ {
		p := imgs.Index(i).Get("path").String()
		var class string
		if csvLabels != nil {
			class = csvLabels[path.Base(p)]
			if class == "" {
				continue
			}
		} else {
			dir := path.Dir(p)
			if dir == "." {
				continue
			}
			class = path.Base(dir)
		}
		v.classOf[p] = class
		v.counts[class]++
	}
	v.folders = v.folders[:0]
	for c := range v.counts {
		v.folders = append(v.folders, c)
	}
	sort.Strings(v.folders)
	if len(v.folders) == 0 {
		v.err = "No labelled photos found: choose a folder with one sub-folder of photos per class, or photos and a CSV of file,label."
		return
	}
	v.match, v.problem = map[string]int{}, map[string]string{}
	for _, f := range v.folders {
		v.matchOne(f, f)
	}
}

func (v *evalView) matchOne(folder, name string) {
	m := eval.MatchLabel(name, v.labels)
	switch len(m) {
	case 1:
		v.match[folder] = m[0]
		delete(v.problem, folder)
	case 0:
		delete(v.match, folder)
		v.problem[folder] = "matches no label"
	default:
		delete(v.match, folder)
		opts := make([]string, 0, len(m))
		for _, i := range m {
			opts = append(opts, fmt.Sprintf("%q", v.labels[i]))
		}
		v.problem[folder] = "could be " + strings.Join(opts, " or ")
	}
}

func (v *evalView) onFolder(ctx app.Context, e app.Event) {
	input := e.Get("target")
	v.load(tagging().Call("filesFromInput", input), nil)
	input.Set("value", "")
}

func (v *evalView) onDrop(ctx app.Context, e app.Event) {
	e.PreventDefault()
	await(ctx, tagging().Call("filesFromDrop", e.Get("dataTransfer")), func(ctx app.Context, items app.Value) {
		v.load(items, nil)
	}, func(ctx app.Context, msg string) { v.err = msg })
}

// onCSV reads a CSV of file,label, then asks for the photos it names.
func (v *evalView) onCSV(ctx app.Context, e app.Event) {
	input := e.Get("target")
	files := input.Get("files")
	if files.Length() == 0 {
		return
	}
	await(ctx, files.Index(0).Call("text"), func(ctx app.Context, text app.Value) {
		rows, err := csv.NewReader(strings.NewReader(text.String())).ReadAll()
		if err != nil {
			v.err = "Could not read the CSV: " + err.Error()
			return
		}
		labels := map[string]string{}
		for i, r := range rows {
			if len(r) < 2 {
				v.err = fmt.Sprintf("CSV line %d: expected file,label", i+1)
				return
			}
			if i == 0 && strings.EqualFold(strings.TrimSpace(r[0]), "file") {
				continue
			}
			labels[path.Base(strings.TrimSpace(r[0]))] = strings.TrimSpace(r[1])
		}
		photos := app.Window().GetElementByID("eval-csv-photos").Get("files")
		if photos.Length() == 0 {
			v.err = "Choose the photos the CSV names first, then the CSV."
			return
		}
		v.load(tagging().Call("filesFromInput", app.Window().GetElementByID("eval-csv-photos")), labels)
	}, func(ctx app.Context, msg string) { v.err = msg })
	input.Set("value", "")
}

func (v *evalView) onManual(folder string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		v.matchOne(folder, e.Get("target").Get("value").String())
	}
}

func (v *evalView) run(ctx app.Context, e app.Event) {
	if v.running || v.items == nil {
		return
	}
	// Only photos whose class is matched take part.
	list := app.Window().Get("Array").New()
	for i := 0; i < v.items.Length(); i++ {
		it := v.items.Index(i)
		if _, ok := v.match[v.classOf[it.Get("path").String()]]; ok {
			list.Call("push", it)
		}
	}
	if list.Length() == 0 {
		v.err = "No photo has a matched class yet."
		return
	}
	v.running, v.done, v.total, v.samples, v.report, v.err = true, 0, list.Length(), nil, nil, ""
	classes := glimpse().Call("info").Get("classes").Int()
	fn := func(f func(ctx app.Context, args []app.Value)) app.Func { return dispatchFunc(ctx, &v.funcs, f) }
	on := map[string]any{
		"photo": fn(func(ctx app.Context, a []app.Value) {
			rec, item := a[0], a[1]
			p := item.Get("path").String()
			s := eval.Sample{File: p, True: v.match[v.classOf[p]], Scores: make([]float32, classes)}
			sc := rec.Get("scores")
			for i := 0; i < sc.Length(); i++ {
				x := sc.Index(i)
				r := labels.Result{Index: x.Get("index").Int(), Label: x.Get("label").String(), Prob: float32(x.Get("prob").Float())}
				s.Top = append(s.Top, r)
				if r.Index < classes {
					s.Scores[r.Index] = r.Prob
				}
			}
			v.samples = append(v.samples, s)
			if v.thumbs[p] == "" {
				v.thumbs[p] = app.Window().Get("URL").Call("createObjectURL", item.Get("file")).String()
				v.files[p] = item.Get("file")
			}
		}),
		"error": fn(func(ctx app.Context, a []app.Value) {
			v.err = "Skipped a photo: " + a[0].Get("message").String()
		}),
		"progress": fn(func(ctx app.Context, a []app.Value) { v.done = a[0].Get("done").Int() }),
		"finish": fn(func(ctx app.Context, a []app.Value) {
			v.running = false
			r, err := eval.Evaluate(v.samples, eval.Options{Labels: v.labels})
			if err != nil {
				v.err = err.Error()
				return
			}
			v.report = r
			v.rocClass = 0
			v.msg = fmt.Sprintf("Evaluated %d photos in %d classes.", r.N, len(v.match))
		}),
	}
	q := tagging().Get("Queue").New(list, map[string]any{"top": classes, "persist": false}, on)
	q.Call("run")
}

func (v *evalView) exportJSON(ctx app.Context, e app.Event) {
	b, err := json.MarshalIndent(v.report, "", "  ")
	if err != nil {
		v.err = err.Error()
		return
	}
	tagging().Call("download", "glimpse-evaluation.json", string(b), "application/json")
}

func (v *evalView) exportHTML(ctx app.Context, e app.Event) {
	tagging().Call("download", "glimpse-evaluation.html", reportHTML(v.report, glimpse().Call("info").Get("name").String()), "text/html")
}

// ---- render ------------------------------------------------------------------

func (v *evalView) Render() app.UI {
	return app.Div().Class("evalview").Body(
		app.Section().Class("panel drop").ID("eval-drop").
			OnDragOver(func(ctx app.Context, e app.Event) { e.PreventDefault() }).
			OnDrop(v.onDrop).Body(
			app.H2().Text("Evaluate the model on your photos"),
			app.P().Text("Choose a folder with one sub-folder per class, named after a label (or one of its synonyms). Or choose photos, then a CSV of file,label."),
			app.Div().Class("controls center").Body(
				app.Button().ID("eval-choose-folder").Class("primary").Text("Choose a labelled folder").OnClick(pick("eval-folder")),
				app.Button().ID("eval-choose-photos").Text("Photos…").OnClick(pick("eval-csv-photos")),
				app.Button().ID("eval-choose-csv").Text("…then CSV").OnClick(pick("eval-csv")),
			),
			app.Input().Type("file").ID("eval-folder").Class("visually-hidden").Attr("webkitdirectory", true).Multiple(true).TabIndex(-1).Aria("label", "Labelled folder").OnChange(v.onFolder),
			app.Input().Type("file").ID("eval-csv-photos").Class("visually-hidden").Accept("image/*").Multiple(true).TabIndex(-1).Aria("label", "Photos named in the CSV"),
			app.Input().Type("file").ID("eval-csv").Class("visually-hidden").Accept(".csv,text/csv").TabIndex(-1).Aria("label", "CSV of file,label").OnChange(v.onCSV),
		),
		app.If(v.err != "", func() app.UI { return app.P().Class("error").ID("eval-error").Aria("live", "assertive").Text(v.err) }),
		app.If(len(v.folders) > 0 && v.report == nil, func() app.UI { return v.renderClasses() }),
		app.If(v.running, func() app.UI {
			pct := 100 * float64(v.done) / float64(max(v.total, 1))
			return app.Section().Class("panel").ID("eval-progress").Body(
				app.Div().Class("progress").Aria("role", "progressbar").Aria("label", "Evaluation progress").Aria("valuenow", v.done).Aria("valuemax", v.total).Body(
					app.Div().Class("fill").Style("width", fmt.Sprintf("%.1f%%", pct))),
				app.P().Text(fmt.Sprintf("%d / %d", v.done, v.total)),
			)
		}),
		app.If(v.msg != "", func() app.UI { return app.P().Class("ok").ID("eval-msg").Text(v.msg) }),
		app.If(v.report != nil, func() app.UI { return v.renderReport() }),
	)
}

func (v *evalView) renderClasses() app.UI {
	ready := 0
	for _, f := range v.folders {
		if _, ok := v.match[f]; ok {
			ready += v.counts[f]
		}
	}
	return app.Section().Class("panel").ID("eval-classes").Body(
		app.H3().Text("Classes"),
		app.DataList().ID("label-list").Body(
			app.Range(v.labels).Slice(func(i int) app.UI { return app.Option().Value(v.labels[i]) }),
		),
		app.Table().Class("classes").Body(
			app.THead().Body(app.Tr().Body(app.Th().Text("Folder"), app.Th().Text("Photos"), app.Th().Text("Label"))),
			app.TBody().Body(
				app.Range(v.folders).Slice(func(i int) app.UI {
					f := v.folders[i]
					cell := app.Td().Class("ok").Text(v.labels[v.match[f]])
					if _, ok := v.match[f]; !ok {
						cell = app.Td().Body(
							app.P().Class("error").Text(v.problem[f]),
							app.Input().Type("text").Attr("list", "label-list").Placeholder("Choose a label").Aria("label", "Label for "+f).OnChange(v.onManual(f)),
						)
					}
					return app.Tr().DataSet("folder", f).Body(app.Td().Text(f), app.Td().Text(fmt.Sprint(v.counts[f])), cell)
				}),
			),
		),
		app.Button().ID("eval-run").Class("primary").Disabled(ready == 0 || v.running).
			Text(fmt.Sprintf("Evaluate %d photos", ready)).OnClick(v.run),
	)
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

func (v *evalView) renderReport() app.UI {
	r := v.report
	return app.Div().Class("report").ID("eval-report").Body(
		app.Section().Class("panel summary").Body(
			app.Div().Class("stat").Body(app.Span().Class("muted").Text("Accuracy"), app.Strong().ID("eval-accuracy").Text(pct(r.Accuracy))),
			app.Div().Class("stat").Body(app.Span().Class("muted").Text("Top-5 accuracy"), app.Strong().ID("eval-top5").Text(pct(r.Top5Accuracy))),
			app.Div().Class("stat").Body(app.Span().Class("muted").Text("Macro F1"), app.Strong().Text(pct(r.Macro.F1))),
			app.Div().Class("stat").Body(app.Span().Class("muted").Text("Photos"), app.Strong().Text(fmt.Sprint(r.N))),
			app.Div().Class("controls").Body(
				app.Button().ID("eval-export-json").Text("Export JSON").OnClick(v.exportJSON),
				app.Button().ID("eval-export-html").Text("Export HTML report").OnClick(v.exportHTML),
			),
		),
		app.Section().Class("panel").Body(app.H3().Text("Per class"), app.Raw(perClassHTML(r))),
		app.Section().Class("panel").Body(app.H3().Text("Confusion matrix"), app.Raw(confusionHTML(r))),
		app.If(len(r.ROC) > 0, func() app.UI { return v.renderCurves() }).
			Else(func() app.UI {
				return app.Section().Class("panel").Body(app.H3().Text("ROC"), app.P().Class("muted").Text("ROC is undefined: "+r.ROCUndefined))
			}),
		app.If(r.Calibration != nil, func() app.UI {
			return app.Section().Class("panel").Body(app.H3().Text(fmt.Sprintf("Calibration (ECE %.3f)", r.Calibration.ECE)), app.Raw(calibrationSVG(r.Calibration)))
		}),
		app.Section().Class("panel").Body(
			app.H3().Text(fmt.Sprintf("Misclassified (%d)", len(r.Misclassified))),
			app.Div().Class("gallery").ID("eval-misses").Body(
				app.Range(r.Misclassified).Slice(func(i int) app.UI {
					m := r.Misclassified[i]
					return app.Button().Class("photo static").DataSet("file", m.File).Aria("label", path.Base(m.File)+": explain").
						OnClick(func(app.Context, app.Event) {
							if v.missSel != m.File {
								v.missSel, v.heat = m.File, newHeatView(v.files[m.File], m.File)
								v.heat.explain(v.ctx, m.Pred)
							}
						}).Body(
						app.Img().Src(v.thumbs[m.File]).Alt(m.File),
						app.Span().Class("file").Text(path.Base(m.File)),
						app.Span().Class("muted").Text(fmt.Sprintf("%s → %s (%.0f%%)", labels.DisplayName(m.TrueLabel), labels.DisplayName(m.PredLabel), 100*m.Confidence)),
					)
				}),
			),
			v.renderMiss(),
		),
	)
}

// renderMiss is the chosen misclassified photo with where the model
// looked: for the class it predicted, or (click) for the true one.
func (v *evalView) renderMiss() app.UI {
	for _, m := range v.report.Misclassified {
		if m.File != v.missSel {
			continue
		}
		ps := []pred{{Index: m.Pred, Label: m.PredLabel, Prob: m.Confidence}, {Index: m.True, Label: m.TrueLabel, Prob: m.TrueScore}}
		return app.Div().Class("detail-body").ID("eval-miss").Body(
			app.Div().Body(v.heat.photo(v.thumbs[m.File], m.File, "detail-img"), v.heat.controls(v.ctx)),
			app.Div().Body(
				app.H3().Text(path.Base(m.File)),
				app.P().Class("muted").Text("Predicted, then true: click one to see where the model looked for it."),
				renderPredsClick(ps, "preds", func(i int) app.EventHandler {
					return func(app.Context, app.Event) { v.heat.explain(v.ctx, ps[i].Index) }
				}),
			),
		)
	}
	return nil
}

func (v *evalView) renderCurves() app.UI {
	r := v.report
	i := min(v.rocClass, len(r.ROC)-1)
	roc := r.ROC[i]
	var pr *eval.ClassPR
	for k := range r.PR {
		if r.PR[k].Index == roc.Index {
			pr = &r.PR[k]
		}
	}
	return app.Section().Class("panel").ID("eval-curves").Body(
		app.H3().Text("ROC and precision-recall, one class against the rest"),
		app.Select().ID("eval-roc-class").Aria("label", "Class").OnChange(func(ctx app.Context, e app.Event) {
			v.rocClass = int(targetNum(e))
		}).Body(
			app.Range(r.ROC).Slice(func(k int) app.UI {
				return app.Option().Value(fmt.Sprint(k)).Selected(k == i).Text(labels.DisplayName(r.ROC[k].Label))
			}),
		),
		app.Div().Class("curves").Body(
			app.Raw(curveSVG("ROC", roc.FPR, roc.TPR, "false positive rate", "true positive rate", fmt.Sprintf("AUC %s", fnum(float64(roc.AUC))), true)),
			app.If(pr != nil, func() app.UI {
				return app.Raw(curveSVG("Precision-recall", pr.Recall, pr.Precision, "recall", "precision", fmt.Sprintf("AP %s", fnum(float64(pr.AveragePrecision))), false))
			}),
		),
	)
}

func fnum(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", x)
}

// ---- HTML and SVG shared by the page and the exported report -------------------

func perClassHTML(r *eval.Report) string {
	var b strings.Builder
	b.WriteString(`<div class="scroll"><table class="metrics"><thead><tr><th>Class</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th></tr></thead><tbody>`)
	for _, c := range r.PerClass {
		fmt.Fprintf(&b, `<tr><td title="%s">%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%d</td></tr>`,
			html.EscapeString(c.Label), html.EscapeString(labels.DisplayName(c.Label)), c.Precision, c.Recall, c.F1, c.Support)
	}
	for _, a := range []struct {
		name string
		v    eval.Average
	}{{"macro avg", r.Macro}, {"weighted avg", r.Weighted}} {
		fmt.Fprintf(&b, `<tr class="avg"><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%d</td></tr>`, a.name, a.v.Precision, a.v.Recall, a.v.F1, a.v.Support)
	}
	b.WriteString(`</tbody></table></div>`)
	return b.String()
}

func confusionHTML(r *eval.Report) string {
	c := r.Confusion
	var b strings.Builder
	b.WriteString(`<div class="scroll"><table class="confusion" id="eval-confusion"><thead><tr><th>true \ predicted</th>`)
	for _, n := range c.Names {
		fmt.Fprintf(&b, `<th title="%s">%s</th>`, html.EscapeString(n), html.EscapeString(labels.DisplayName(n)))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for i, row := range c.Matrix {
		total := 0
		for _, x := range row {
			total += x
		}
		fmt.Fprintf(&b, `<tr><th title="%s">%s</th>`, html.EscapeString(c.Names[i]), html.EscapeString(labels.DisplayName(c.Names[i])))
		for j, x := range row {
			alpha := 0.0
			if total > 0 {
				alpha = float64(x) / float64(total)
			}
			cls := ""
			if i == j {
				cls = ` class="diag"`
			}
			fmt.Fprintf(&b, `<td%s style="background: rgba(20,165,133,%.2f)" title="true %s, predicted %s: %d">%d</td>`, cls, 0.08+0.8*alpha,
				html.EscapeString(labels.DisplayName(c.Names[i])), html.EscapeString(labels.DisplayName(c.Names[j])), x, x)
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table></div>`)
	return b.String()
}

// curveSVG draws y against x on the unit square.
func curveSVG(title string, xs, ys []float64, xl, yl, note string, diagonal bool) string {
	const w, h, m = 260.0, 220.0, 34.0
	px := func(x float64) float64 { return m + x*(w-m-8) }
	py := func(y float64) float64 { return h - m + 4 - y*(h-m-8) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="curve" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s curve, %s"><title>%s</title>`, w, h, html.EscapeString(title), html.EscapeString(note), html.EscapeString(title))
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="currentColor" stroke-opacity=".3"/>`, px(0), py(1), px(1)-px(0), py(0)-py(1))
	if diagonal {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="currentColor" stroke-opacity=".3" stroke-dasharray="4 4"/>`, px(0), py(0), px(1), py(1))
	}
	b.WriteString(`<polyline fill="none" stroke="#14a585" stroke-width="2.5" points="`)
	for i := range xs {
		if i < len(ys) && !math.IsNaN(xs[i]) && !math.IsNaN(ys[i]) && !math.IsInf(xs[i], 0) && !math.IsInf(ys[i], 0) {
			fmt.Fprintf(&b, "%.1f,%.1f ", px(xs[i]), py(ys[i]))
		}
	}
	b.WriteString(`"/>`)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" fill="currentColor" text-anchor="middle">%s</text>`, (px(0)+px(1))/2, h-6, html.EscapeString(xl))
	fmt.Fprintf(&b, `<text x="10" y="%.0f" font-size="11" fill="currentColor" text-anchor="middle" transform="rotate(-90 10 %.0f)">%s</text>`, (py(0)+py(1))/2, (py(0)+py(1))/2, html.EscapeString(yl))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" fill="currentColor" text-anchor="end">%s</text>`, px(1)-6, py(0)-8, html.EscapeString(note))
	b.WriteString(`</svg>`)
	return b.String()
}

func calibrationSVG(c *eval.Calibration) string {
	xs, ys := make([]float64, len(c.Bins)), make([]float64, len(c.Bins))
	for i, bin := range c.Bins {
		xs[i], ys[i] = bin.MeanPredicted, bin.FractionPositive
	}
	return curveSVG("Reliability", xs, ys, "mean confidence", "fraction correct", "", true)
}

// reportHTML is a standalone HTML report of an evaluation.
func reportHTML(r *eval.Report, modelName string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><title>Glimpse evaluation</title><style>body{font:15px system-ui,sans-serif;max-width:960px;margin:24px auto;padding:0 16px;color:#17202a}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #dde3ea;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}.curve{width:300px}</style>`)
	fmt.Fprintf(&b, `<h1>Evaluation of %s</h1><p>%d photos. Accuracy <b>%s</b>, top-5 accuracy <b>%s</b>, macro F1 %s, weighted F1 %s.</p>`,
		html.EscapeString(modelName), r.N, pct(r.Accuracy), pct(r.Top5Accuracy), pct(r.Macro.F1), pct(r.Weighted.F1))
	b.WriteString(`<h2>Per class</h2>` + perClassHTML(r) + `<h2>Confusion matrix</h2>` + confusionHTML(r))
	for _, roc := range r.ROC {
		b.WriteString(curveSVG("ROC "+labels.DisplayName(roc.Label), roc.FPR, roc.TPR, "false positive rate", "true positive rate", "AUC "+fnum(float64(roc.AUC)), true))
	}
	if r.Calibration != nil {
		b.WriteString(`<h2>Calibration</h2>` + calibrationSVG(r.Calibration))
	}
	b.WriteString(`<h2>Misclassified</h2><ol>`)
	for _, m := range r.Misclassified {
		fmt.Fprintf(&b, `<li>%s: %s, predicted %s (%.0f%%)</li>`, html.EscapeString(m.File), html.EscapeString(m.TrueLabel), html.EscapeString(m.PredLabel), 100*m.Confidence)
	}
	b.WriteString(`</ol><p>Computed on the device by Glimpse; no photo was uploaded.</p>`)
	return b.String()
}
