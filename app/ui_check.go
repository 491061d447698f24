package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/glimpse/glimpse/model/check/report"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The model check in the model panel: glimpse.check() runs once the model
// is ready and the photo queue is empty (it costs about two runs, in small
// steps), for a user's own model on its own and for any model on request.
// A model that fails to load is checked as a file, so that every missing
// op is listed.

type checkState struct {
	report *report.Report
	file   string // the file the report is about when it failed to load
	busy   bool
	want   bool
	err    string
}

// wantCheck asks for a check of the page's model as soon as the page is idle.
func (p *page) wantCheck(ctx app.Context) {
	p.chk = checkState{want: true}
	p.maybeCheck(ctx)
}

func (p *page) idle() bool {
	return p.ready && !p.chk.busy && !p.classBusy && len(p.queue) == 0 && !p.modelBusy && !p.camOn
}

// maybeCheck starts the wanted check if the page is idle, after a pause that
// lets a photo dropped right after loading go first.
func (p *page) maybeCheck(ctx app.Context) {
	if !p.chk.want || !p.idle() {
		return
	}
	// The page's own context: a Dispatch through the context of an element
	// that is gone (the "Check this model" button) would be dropped.
	p.pageCtx.After(400*time.Millisecond, func(ctx app.Context) {
		if !p.chk.want || !p.idle() {
			return
		}
		p.chk.want, p.chk.busy = false, true
		name := p.info.Name
		await(ctx, glimpse().Call("check"), func(ctx app.Context, v app.Value) {
			p.chk.busy = false
			if p.info.Name != name {
				return // another model came in meanwhile
			}
			p.chk.report, p.chk.err = parseReport(v)
			p.refreshInfo()
		}, func(ctx app.Context, msg string) {
			p.chk.busy, p.chk.err = false, "The check failed: "+msg
		})
	})
}

// checkFile checks a model file that failed to load.
func (p *page) checkFile(ctx app.Context, file app.Value, card app.Value) {
	opts := map[string]any{}
	if card.Truthy() {
		opts["card"] = card
	}
	p.chk = checkState{busy: true, file: file.Get("name").String()}
	await(ctx, glimpse().Call("check", file, opts), func(ctx app.Context, v app.Value) {
		p.chk.busy = false
		p.chk.report, p.chk.err = parseReport(v)
	}, func(ctx app.Context, msg string) {
		p.chk = checkState{} // not ONNX at all: the load error says it
	})
}

func (p *page) runCheck(ctx app.Context, e app.Event) { p.wantCheck(ctx) }

func parseReport(v app.Value) (*report.Report, string) {
	s := app.Window().Get("JSON").Call("stringify", v).String()
	var r report.Report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return nil, "The check's report could not be read: " + err.Error()
	}
	return &r, ""
}

func (p *page) renderCheck() app.UI {
	c := p.chk
	r := c.report
	if !p.ready {
		return app.Div() // a placeholder keeps the panel's children in place
	}
	head := func(verdict app.UI) app.UI {
		title := "Model check"
		if c.file != "" {
			title = "Check of " + c.file
		}
		return app.H3().Body(app.Span().Text(title), verdict)
	}
	switch {
	case c.busy:
		return app.Section().Class("check").ID("model-check").DataSet("state", "busy").Body(
			head(nil),
			app.P().Class("muted").Aria("live", "polite").Text("Checking the model: comparing the optimised program with the reference…"),
		)
	case c.err != "":
		return app.Section().Class("check").ID("model-check").DataSet("state", "error").Body(
			head(nil), app.P().Class("error").Text(c.err))
	case r == nil && c.want:
		return app.Section().Class("check").ID("model-check").DataSet("state", "waiting").Body(
			head(nil),
			app.P().Class("muted").Text("The check runs when no photo is waiting and the camera is off."),
		)
	case r == nil:
		return app.Div().Class("controls").Body(
			app.Button().ID("check-run").Text("Check this model").Title("Compare the optimised program with the reference and time it (about two runs)").
				Disabled(!p.idle()).OnClick(p.runCheck),
		)
	}

	cls := map[string]string{report.OK: "ok", report.Mismatch: "warn", report.RunToRun: "warn", report.CannotRun: "bad"}[r.Verdict]
	facts := []app.UI{}
	fact := func(k string, v app.UI) { facts = append(facts, app.Dt().Text(k), app.Dd().Body(v)) }
	text := func(s string) app.UI { return app.Span().Text(s) }

	opset := fmt.Sprintf("%d · IR %d", r.Opset, r.IRVersion)
	for _, d := range r.Domains {
		opset += fmt.Sprintf(" · %s (%d)", d.Domain, d.Nodes)
	}
	fact("Opset", text(opset))
	if cp := r.Compile; cp != nil {
		fact("Compiled", text(fmt.Sprintf("%d folded, %d fused, %d run · arena %s", cp.Folded, cp.Fused, cp.Runs, report.Bytes(int64(cp.ArenaBytes)))))
	}
	if cp := r.Compile; cp != nil && p.info.Fallback != "" && c.file == "" {
		fact("Running", text(fmt.Sprintf("the unoptimised program: %d run · %s", cp.PlainRuns, report.Bytes(int64(cp.PlainArenaBytes)))))
	}
	if w := r.WebGPU; w != nil {
		switch {
		case w.Error != "":
			fact("WebGPU", text("not usable: "+w.Error))
		case w.CPU == 0:
			fact("WebGPU", text(fmt.Sprintf("all %d ops on the GPU", w.GPU)))
		default:
			fact("WebGPU", text(fmt.Sprintf("%d ops on the GPU, %d on the CPU", w.GPU, w.CPU)))
		}
	}
	if sc := r.SelfCheck; sc != nil {
		for _, o := range sc.Outputs {
			runs := "runs agree"
			if o.RunToRunBad > 0 {
				runs = fmt.Sprintf("runs differ by %.2g", o.RunToRun)
			}
			label := "Self-check"
			if len(sc.Outputs) > 1 {
				label += " " + o.Name
			}
			fact(label, app.Span().Title(sc.Tolerance).Text(fmt.Sprintf("max |diff| %.2g (tolerance %.2g) · %s", o.MaxAbsDiff, o.Atol, runs)))
		}
	}
	if t := r.Timing; t != nil {
		fact("Time per run", text(fmt.Sprintf("%s optimised · %s unoptimised", msShort(t.OptimisedMs), msShort(t.UnoptimisedMs))))
	}
	if len(r.Unsupported) > 0 {
		var parts []string
		for _, u := range r.Unsupported {
			parts = append(parts, fmt.Sprintf("%s ×%d (%s)", u.Op, u.Count, strings.Join(firstN(u.Nodes, 3), ", ")))
		}
		fact("Missing ops", app.Span().ID("check-missing").Text(strings.Join(parts, "; ")))
	}

	verdict := map[string]string{report.OK: "OK", report.Mismatch: "Mismatch", report.RunToRun: "Run-to-run mismatch", report.CannotRun: "Cannot run"}[r.Verdict]
	var note app.UI
	switch {
	case p.info.Fallback != "" && c.file == "":
		note = app.P().Class("note warn").ID("check-fallback").Text(capitalise(p.info.Fallback) + ".")
	case r.Verdict == report.CannotRun:
		note = app.P().Class("note bad").Text(capitalise(r.Reason) + ".")
	}

	rows := []app.UI{app.Tr().Body(app.Th().Text("Op"), app.Th().Text("In file"), app.Th().Text("Runs"), app.Th().Text("WebGPU"))}
	for _, o := range r.Ops {
		where := o.WebGPU
		switch {
		case !o.CPU:
			where = "missing"
		case r.Compile == nil:
			where = ""
		case o.Runs == 0 && o.Fused == 0:
			where = "folded"
		case o.Runs == 0 && o.Folded == 0:
			where = "fused"
		case o.Runs == 0:
			where = "folded, fused"
		}
		runs := "—"
		if r.Compile != nil {
			runs = fmt.Sprint(o.Runs)
		}
		rows = append(rows, app.Tr().Class(map[bool]string{true: "missing"}[!o.CPU]).Body(
			app.Td().Text(o.Op), app.Td().Text(fmt.Sprint(o.Count)), app.Td().Text(runs), app.Td().Text(where)))
	}
	return app.Section().Class("check").ID("model-check").DataSet("verdict", r.Verdict).Body(
		head(app.Span().Class("verdict "+cls).ID("check-verdict").Text(verdict)),
		app.Dl().ID("check-facts").Body(facts...),
		app.Div().Body(note), // always there, so that the details after it stay open
		app.Details().Class("ops").Body(
			app.Summary().Text(fmt.Sprintf("Operators: %d types, %d nodes", len(r.Ops)-fusedOnly(r), r.Nodes)),
			app.Div().Class("scroll").Body(app.Table().Class("ops").Body(app.TBody().Body(rows...))),
		),
	)
}

func fusedOnly(r *report.Report) int {
	n := 0
	for _, o := range r.Ops {
		if o.Count == 0 {
			n++
		}
	}
	return n
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), fmt.Sprintf("%d more", len(s)-n))
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func msShort(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}
