package main

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/glimpse/glimpse/model/tag"
	"github.com/glimpse/glimpse/model/vision/labels"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// tagView tags a folder of photos on this device. web/tagging.js reads the
// files, hashes, decodes ahead and stores raw scores in IndexedDB; tags are
// decided here from those scores with model/tag, so changing the threshold
// or the word mapping re-tags instantly without classifying again.
type tagView struct {
	app.Compo

	recs      []*tagRec
	byHash    map[string]*tagRec
	top       int
	threshold float64
	mapText   string
	mapErr    string
	mapping   tag.Mapping
	filter    string
	byName    bool
	selected  string
	running   bool
	paused    bool
	done      int
	total     int
	skipped   int
	failed    int
	rate      float64
	eta       float64
	lanes     int // engines classifying at once (Glimpse's pool)
	msg, err  string
	queue     app.Value
	funcs     []app.Func
	pending   []app.Value // records that arrived since the last render
	// similar photos to the selected one: hashes with their similarity
	similarTo  string
	similarRes []similarHit
	similarMsg string
	// where the model looked in the selected photo's thumbnail
	heat    heatView
	heatFor string // the hash heat is for
	ctx     app.Context
}

type similarHit struct {
	Hash  string
	Score float64
}

type tagRec struct {
	Hash, File, Thumb string
	Scores            []labels.Result
	Manual            []tag.Tag
	Edited            bool
	Ms                float64
}

func tagging() app.Value { return app.Window().Get("glimpseTagging") }

func (v *tagView) OnMount(ctx app.Context) {
	v.ctx = ctx
	v.top, v.threshold = 3, tag.DefaultThreshold
	v.byHash = map[string]*tagRec{}
	ls := app.Window().Get("localStorage")
	if t := ls.Call("getItem", "glimpse.tag.threshold"); t.Type() == app.TypeString {
		if f, err := strconv.ParseFloat(t.String(), 64); err == nil {
			v.threshold = f
		}
	}
	if t := ls.Call("getItem", "glimpse.tag.top"); t.Type() == app.TypeString {
		if n, err := strconv.Atoi(t.String()); err == nil && n > 0 {
			v.top = n
		}
	}
	if m := ls.Call("getItem", "glimpse.tag.map"); m.Type() == app.TypeString {
		v.mapText = m.String()
		v.parseMapping()
	}
	if tagging().IsUndefined() {
		v.err = "tagging.js did not load."
		return
	}
	await(ctx, tagging().Get("store").Call("all"), func(ctx app.Context, all app.Value) {
		for i := 0; i < all.Length(); i++ {
			v.add(all.Index(i))
		}
	}, func(ctx app.Context, msg string) { v.err = "Could not read saved tags: " + msg })
}

func (v *tagView) OnDismount() {
	for _, f := range v.funcs {
		f.Release()
	}
}

// add turns a stored record (JS) into a tagRec, replacing one with the same hash.
func (v *tagView) add(r app.Value) *tagRec {
	rec := &tagRec{Hash: r.Get("hash").String(), File: str(r, "file"), Edited: r.Get("edited").Truthy()}
	if ms := r.Get("ms"); ms.Type() == app.TypeNumber {
		rec.Ms = ms.Float()
	}
	if sc := r.Get("scores"); sc.Truthy() {
		for i := 0; i < sc.Length(); i++ {
			s := sc.Index(i)
			rec.Scores = append(rec.Scores, labels.Result{Index: s.Get("index").Int(), Label: s.Get("label").String(), Prob: float32(s.Get("prob").Float())})
		}
	}
	if tg := r.Get("tags"); tg.Truthy() {
		for i := 0; i < tg.Length(); i++ {
			t := tg.Index(i)
			rec.Manual = append(rec.Manual, tag.Tag{Tag: t.Get("tag").String(), Score: float32(t.Get("score").Float())})
		}
	}
	if th := r.Get("thumb"); th.Truthy() {
		rec.Thumb = app.Window().Get("URL").Call("createObjectURL", th).String()
	}
	if old := v.byHash[rec.Hash]; old != nil {
		if rec.Thumb == "" {
			rec.Thumb = old.Thumb
		} else if old.Thumb != "" && old.Thumb != rec.Thumb {
			app.Window().Get("URL").Call("revokeObjectURL", old.Thumb)
		}
		*old = *rec
		return old
	}
	v.byHash[rec.Hash] = rec
	v.recs = append(v.recs, rec)
	return rec
}

func (v *tagView) flush() {
	for _, r := range v.pending {
		v.add(r)
	}
	v.pending = v.pending[:0]
}

// options are the user's settings; a multi-label (sigmoid) model tags every
// class above the threshold instead of the top few.
func (v *tagView) options() tag.Options {
	return tag.Options{Top: v.top, Threshold: float32(v.threshold), Map: v.mapping, MultiLabel: v.multiLabel()}
}

func (v *tagView) multiLabel() bool {
	return str(glimpse().Call("info"), "activation") == "sigmoid"
}

func (v *tagView) tags(r *tagRec) []tag.Tag {
	if r.Edited {
		return r.Manual
	}
	return v.options().Select(r.Scores)
}

func (v *tagView) records() []tag.Record {
	out := make([]tag.Record, len(v.recs))
	for i, r := range v.recs {
		out[i] = tag.Record{File: r.File, Hash: r.Hash, Tags: v.tags(r), Scores: r.Scores, Edited: r.Edited}
	}
	return out
}

// parseMapping reads "label | label = word" lines.
func (v *tagView) parseMapping() {
	m := map[string]string{}
	v.mapErr = ""
	for n, line := range strings.Split(v.mapText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, w, ok := strings.Cut(line, "=")
		if !ok {
			v.mapErr = fmt.Sprintf("Line %d: write labels, then = and your word, e.g. \"tabby | tiger cat = cat\".", n+1)
			return
		}
		for _, key := range strings.Split(k, "|") {
			m[strings.TrimSpace(key)] = strings.TrimSpace(w)
		}
	}
	mp, err := tag.NewMapping(m)
	if err != nil {
		v.mapErr = err.Error()
		return
	}
	v.mapping = mp
}

// ---- running the queue --------------------------------------------------------

func (v *tagView) start(ctx app.Context, items app.Value) {
	imgs := tagging().Call("images", items)
	if imgs.Length() == 0 {
		v.msg, v.err = "", "No photos found there."
		return
	}
	if v.running {
		v.err = "Tagging is already running; wait for it or cancel it."
		return
	}
	v.running, v.paused, v.err, v.msg = true, false, "", ""
	v.done, v.total, v.skipped, v.failed, v.rate, v.eta = 0, imgs.Length(), 0, 0, 0, 0
	fn := func(f func(ctx app.Context, args []app.Value)) app.Func { return dispatchFunc(ctx, &v.funcs, f) }
	// Records and thumbnails are collected as they come and shown with the
	// next progress update (at most four a second), so the page does not
	// re-render once per photo.
	collect := func(this app.Value, args []app.Value) any {
		v.pending = append(v.pending, args[0])
		return nil
	}
	photo, thumb := app.FuncOf(collect), app.FuncOf(collect)
	v.funcs = append(v.funcs, photo, thumb)
	on := map[string]any{
		"photo": photo,
		"thumb": thumb,
		"error": fn(func(ctx app.Context, a []app.Value) {
			name := "a file"
			if len(a) > 1 && a[1].Truthy() {
				name = a[1].Get("path").String()
			}
			v.err = fmt.Sprintf("Skipped %s: %s", name, a[0].Get("message").String())
		}),
		"progress": fn(func(ctx app.Context, a []app.Value) {
			v.flush()
			p := a[0]
			v.done, v.total, v.skipped, v.failed = p.Get("done").Int(), p.Get("total").Int(), p.Get("skipped").Int(), p.Get("failed").Int()
			v.rate, v.eta = p.Get("rate").Float(), p.Get("eta").Float()
			if l := p.Get("lanes"); l.Type() == app.TypeNumber {
				v.lanes = l.Int()
			}
		}),
		"finish": fn(func(ctx app.Context, a []app.Value) {
			v.flush()
			s := a[0]
			v.running, v.paused = false, false
			verb := "Tagged"
			if s.Get("cancelled").Bool() {
				verb = "Cancelled after"
			}
			v.msg = fmt.Sprintf("%s %d of %d photos in %.1f s (%d already done, %d failed).", verb, s.Get("done").Int(), s.Get("total").Int(),
				s.Get("seconds").Float(), s.Get("skipped").Int(), s.Get("failed").Int())
		}),
	}
	top := max(10, v.top)
	if v.multiLabel() { // every class may be a tag
		top = glimpse().Call("info").Get("classes").Int()
	}
	v.queue = tagging().Get("Queue").New(imgs, map[string]any{"top": top}, on)
	v.queue.Call("run")
}

func (v *tagView) onFolder(ctx app.Context, e app.Event) {
	input := e.Get("target")
	v.start(ctx, tagging().Call("filesFromInput", input))
	input.Set("value", "")
}

func (v *tagView) onDrop(ctx app.Context, e app.Event) {
	e.PreventDefault()
	await(ctx, tagging().Call("filesFromDrop", e.Get("dataTransfer")), func(ctx app.Context, items app.Value) {
		v.start(ctx, items)
	}, func(ctx app.Context, msg string) { v.err = msg })
}

func (v *tagView) openDirectory(ctx app.Context, e app.Event) {
	await(ctx, tagging().Call("filesFromDirectoryPicker"), func(ctx app.Context, items app.Value) {
		v.start(ctx, items)
	}, func(ctx app.Context, msg string) {
		if !strings.Contains(msg, "abort") {
			v.err = msg
		}
	})
}

func (v *tagView) pauseResume(ctx app.Context, e app.Event) {
	if v.queue == nil || !v.running {
		return
	}
	if v.paused {
		v.queue.Call("resume")
	} else {
		v.queue.Call("pause")
	}
	v.paused = !v.paused
}

func (v *tagView) cancel(ctx app.Context, e app.Event) {
	if v.queue != nil && v.running {
		v.queue.Call("cancel")
	}
}

// ---- settings, editing, export ---------------------------------------------------

func (v *tagView) onThreshold(ctx app.Context, e app.Event) {
	if f, err := strconv.ParseFloat(e.Get("target").Get("value").String(), 64); err == nil {
		v.threshold = f / 100
		app.Window().Get("localStorage").Call("setItem", "glimpse.tag.threshold", fmt.Sprint(v.threshold))
	}
}

func (v *tagView) onTop(ctx app.Context, e app.Event) {
	if n, err := strconv.Atoi(e.Get("target").Get("value").String()); err == nil && n > 0 {
		v.top = n
		app.Window().Get("localStorage").Call("setItem", "glimpse.tag.top", fmt.Sprint(n))
	}
}

func (v *tagView) onMapping(ctx app.Context, e app.Event) {
	v.mapText = e.Get("target").Get("value").String()
	v.parseMapping()
	if v.mapErr == "" {
		app.Window().Get("localStorage").Call("setItem", "glimpse.tag.map", v.mapText)
	}
}

func (v *tagView) save(ctx app.Context, r *tagRec) {
	tags := make([]any, len(r.Manual))
	for i, t := range r.Manual {
		tags[i] = map[string]any{"tag": t.Tag, "score": float64(t.Score)}
	}
	await(ctx, tagging().Call("setTags", r.Hash, tags), func(app.Context, app.Value) {}, func(ctx app.Context, msg string) {
		v.err = "Could not save the change: " + msg
	})
}

func (v *tagView) removeTag(r *tagRec, t string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		cur := v.tags(r)
		r.Manual = nil
		for _, x := range cur {
			if x.Tag != t {
				r.Manual = append(r.Manual, x)
			}
		}
		r.Edited = true
		v.save(ctx, r)
	}
}

func (v *tagView) addTag(r *tagRec) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		input := app.Window().GetElementByID("new-tag")
		word := strings.TrimSpace(input.Get("value").String())
		if word == "" {
			return
		}
		cur := v.tags(r)
		for _, x := range cur {
			if strings.EqualFold(x.Tag, word) {
				return
			}
		}
		r.Manual = append(cur, tag.Tag{Tag: word, Score: 1})
		r.Edited = true
		input.Set("value", "")
		v.save(ctx, r)
	}
}

func (v *tagView) export(format string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		var b bytes.Buffer
		var err error
		typ := "application/json"
		if format == "csv" {
			err, typ = tag.WriteCSV(&b, v.records()), "text/csv"
		} else {
			err = tag.WriteJSON(&b, v.records())
		}
		if err != nil {
			v.err = err.Error()
			return
		}
		tagging().Call("download", "glimpse-tags."+format, b.String(), typ)
	}
}

func (v *tagView) onImport(ctx app.Context, e app.Event) {
	input := e.Get("target")
	files := input.Get("files")
	if files.Length() == 0 {
		return
	}
	await(ctx, files.Index(0).Call("text"), func(ctx app.Context, text app.Value) {
		recs, err := tag.Read([]byte(text.String()))
		if err != nil {
			v.err = "Could not import: " + err.Error()
			return
		}
		for _, r := range recs {
			rec := v.byHash[r.Hash]
			if rec == nil {
				rec = &tagRec{Hash: r.Hash}
				v.byHash[r.Hash] = rec
				v.recs = append(v.recs, rec)
			}
			rec.File = r.File
			if len(r.Scores) > 0 {
				rec.Scores = r.Scores
			}
			if r.Edited || len(r.Scores) == 0 {
				rec.Manual, rec.Edited = r.Tags, true
			}
			scores := make([]any, len(rec.Scores))
			for i, s := range rec.Scores {
				scores[i] = map[string]any{"index": s.Index, "label": s.Label, "prob": float64(s.Prob)}
			}
			tags := make([]any, len(rec.Manual))
			for i, t := range rec.Manual {
				tags[i] = map[string]any{"tag": t.Tag, "score": float64(t.Score)}
			}
			tagging().Call("importRecord", map[string]any{"hash": rec.Hash, "file": rec.File, "scores": scores, "tags": tags, "edited": rec.Edited})
		}
		v.msg, v.err = fmt.Sprintf("Imported %d photos.", len(recs)), ""
	}, func(ctx app.Context, msg string) { v.err = msg })
	input.Set("value", "")
}

func (v *tagView) clearAll(ctx app.Context, e app.Event) {
	if !app.Window().Call("confirm", "Forget every tagged photo stored in this browser?").Bool() {
		return
	}
	await(ctx, tagging().Get("store").Call("clear"), func(ctx app.Context, _ app.Value) {
		for _, r := range v.recs {
			if r.Thumb != "" {
				app.Window().Get("URL").Call("revokeObjectURL", r.Thumb)
			}
		}
		v.recs, v.byHash, v.selected, v.msg = nil, map[string]*tagRec{}, "", "Cleared."
	}, func(ctx app.Context, msg string) { v.err = msg })
}

// ---- render ------------------------------------------------------------------

func (v *tagView) Render() app.UI {
	counts := tag.Counts(v.records(), map[bool]tag.Order{true: tag.ByName, false: tag.ByCount}[v.byName])
	shown := v.visible()
	return app.Div().Class("tagview").Body(
		app.Section().Class("panel drop").ID("tag-drop").
			OnDragOver(func(ctx app.Context, e app.Event) { e.PreventDefault() }).
			OnDrop(v.onDrop).Body(
			app.H2().Text("Tag your photos"),
			app.P().Text("Choose or drop a folder. Every photo is classified here, on this device, and its tags are kept in this browser."),
			app.Div().Class("controls center").Body(
				app.Button().ID("tag-choose-folder").Class("primary").Text("Choose a folder").OnClick(pick("tag-folder")),
				app.Button().ID("tag-choose-files").Text("Choose photos").OnClick(pick("tag-files")),
				app.If(app.Window().Get("showDirectoryPicker").Truthy(), func() app.UI {
					return app.Button().ID("tag-open-dir").Text("Open folder…").OnClick(v.openDirectory)
				}),
				app.Button().ID("tag-import").Text("Import tags").OnClick(pick("tag-import-file")),
			),
			app.Input().Type("file").ID("tag-import-file").Class("visually-hidden").Accept(".json,.csv").TabIndex(-1).Aria("label", "Tags to import").OnChange(v.onImport),
			app.Input().Type("file").ID("tag-folder").Class("visually-hidden").Attr("webkitdirectory", true).Multiple(true).TabIndex(-1).Aria("label", "Folder to tag").OnChange(v.onFolder),
			app.Input().Type("file").ID("tag-files").Class("visually-hidden").Accept("image/*").Multiple(true).TabIndex(-1).Aria("label", "Photos to tag").OnChange(v.onFolder),
		),
		app.If(v.running || v.total > 0, func() app.UI { return v.renderProgress() }),
		app.If(v.msg != "", func() app.UI { return app.P().Class("ok").ID("tag-msg").Aria("live", "polite").Text(v.msg) }),
		app.If(v.err != "", func() app.UI { return app.P().Class("error").ID("tag-error").Aria("live", "assertive").Text(v.err) }),
		app.Section().Class("panel tag-settings").Body(
			app.Div().Class("settings-row").Body(
				app.Label().For("tag-threshold").Body(app.Text(fmt.Sprintf("Confidence at least %.0f%%", 100*v.threshold))),
				app.Input().Type("range").ID("tag-threshold").Min(0).Max(100).Step(1).Value(fmt.Sprint(int(100*v.threshold+0.5))).OnInput(v.onThreshold),
				app.Label().For("tag-top").Text("Tags per photo"),
				app.Select().ID("tag-top").OnChange(v.onTop).Body(
					app.Range([]int{1, 2, 3, 5}).Slice(func(i int) app.UI {
						n := []int{1, 2, 3, 5}[i]
						return app.Option().Value(fmt.Sprint(n)).Selected(n == v.top).Text(fmt.Sprint(n))
					}),
				),
			),
			app.Details().Body(
				app.Summary().Text("Your own words for labels"),
				app.P().Class("muted").Text("One line each: labels separated by |, then = and your word. Example: tabby | tiger cat | Egyptian cat = cat"),
				app.Textarea().ID("tag-map").Rows(4).Text(v.mapText).OnChange(v.onMapping),
				app.If(v.mapErr != "", func() app.UI { return app.P().Class("error").Text(v.mapErr) }),
			),
		),
		app.If(len(v.recs) > 0, func() app.UI {
			return app.Section().Class("gallery-wrap").Body(
				app.Div().Class("results-head").Body(
					app.H2().Text(fmt.Sprintf("Tagged photos (%d)", len(v.recs))),
					app.Div().Class("controls").Body(
						app.Button().ID("tag-export-json").Text("Export JSON").OnClick(v.export("json")),
						app.Button().ID("tag-export-csv").Text("Export CSV").OnClick(v.export("csv")),
						app.Button().Class("link").ID("tag-clear").Text("Clear all").OnClick(v.clearAll),
					),
				),
				app.Div().Class("tag-filter").Body(
					app.Input().Type("search").ID("tag-search").Placeholder("Filter by tag").Value(v.filter).Aria("label", "Filter by tag").
						OnInput(func(ctx app.Context, e app.Event) { v.filter = e.Get("target").Get("value").String() }),
					app.Button().Class("link").ID("tag-sort").Text(map[bool]string{true: "Sort by count", false: "Sort by name"}[v.byName]).
						OnClick(func(ctx app.Context, e app.Event) { v.byName = !v.byName }),
				),
				app.Ul().Class("chips").ID("tag-counts").Body(
					app.Range(counts).Slice(func(i int) app.UI {
						c := counts[i]
						active := strings.EqualFold(v.filter, c.Tag)
						return app.Li().Body(app.Button().Class(map[bool]string{true: "chip on", false: "chip"}[active]).
							DataSet("tag", c.Tag).DataSet("count", c.N).Aria("pressed", active).
							Text(fmt.Sprintf("%s %d", c.Tag, c.N)).
							OnClick(func(ctx app.Context, e app.Event) {
								if active {
									v.filter = ""
								} else {
									v.filter = c.Tag
								}
							}))
					}),
				),
				app.Div().Class("gallery").ID("gallery").Body(
					app.Range(shown).Slice(func(i int) app.UI { return v.renderCard(shown[i]) }),
				),
			)
		}),
		app.If(v.selected != "" && v.byHash[v.selected] != nil, func() app.UI { return v.renderDetail(v.byHash[v.selected]) }),
	)
}

func pick(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { app.Window().GetElementByID(id).Call("click") }
}

func (v *tagView) visible() []*tagRec {
	f := strings.ToLower(strings.TrimSpace(v.filter))
	out := make([]*tagRec, 0, len(v.recs))
	for _, r := range v.recs {
		if f == "" {
			out = append(out, r)
			continue
		}
		for _, t := range v.tags(r) {
			if strings.Contains(strings.ToLower(t.Tag), f) {
				out = append(out, r)
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

func (v *tagView) renderProgress() app.UI {
	pct := 0.0
	if v.total > 0 {
		pct = 100 * float64(v.done) / float64(v.total)
	}
	eta := "—"
	if v.running && v.rate > 0 {
		eta = fmt.Sprintf("%d:%02d", int(v.eta)/60, int(v.eta)%60)
	}
	return app.Section().Class("panel tag-progress").ID("tag-progress").Body(
		app.Div().Class("progress").Aria("role", "progressbar").Aria("label", "Tagging progress").
			Aria("valuemin", 0).Aria("valuemax", v.total).Aria("valuenow", v.done).Body(
			app.Div().Class("fill").Style("width", fmt.Sprintf("%.1f%%", pct)),
		),
		app.Div().Class("progress-row").Body(
			app.Span().ID("tag-count").Text(fmt.Sprintf("%d / %d", v.done, v.total)),
			app.Span().ID("tag-rate").Class("muted").Text(fmt.Sprintf("%.1f photos/s · ETA %s%s", v.rate, eta, engines(v.lanes))),
			app.If(v.running, func() app.UI {
				return app.Div().Class("controls").Body(
					app.Button().ID("tag-pause").Text(map[bool]string{true: "Resume", false: "Pause"}[v.paused]).OnClick(v.pauseResume),
					app.Button().ID("tag-cancel").Text("Cancel").OnClick(v.cancel),
				)
			}),
		),
	)
}

func (v *tagView) renderCard(r *tagRec) app.UI {
	tags := v.tags(r)
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Tag
	}
	return app.Button().Class("photo").DataSet("file", r.File).DataSet("tags", strings.Join(names, ";")).
		Aria("label", r.File+": "+strings.Join(names, ", ")).
		OnClick(func(ctx app.Context, e app.Event) {
			v.selected = r.Hash
			ctx.Defer(func(ctx app.Context) {
				if d := app.Window().GetElementByID("tag-detail"); d.Truthy() {
					d.Call("scrollIntoView", map[string]any{"block": "start", "behavior": "smooth"})
				}
			})
		}).Body(
		app.If(r.Thumb != "", func() app.UI { return app.Img().Src(r.Thumb).Alt("").Attr("loading", "lazy") }).
			Else(func() app.UI { return app.Div().Class("nothumb").Text("no preview") }),
		app.Span().Class("file").Text(r.File),
		app.Span().Class("tags").Body(
			app.Range(tags).Slice(func(i int) app.UI { return app.Span().Class("chip small").Text(tags[i].Tag) }),
		),
	)
}

func (v *tagView) renderDetail(r *tagRec) app.UI {
	tags := v.tags(r)
	return app.Section().Class("panel detail").ID("tag-detail").Aria("label", "Photo details").Body(
		app.Div().Class("results-head").Body(
			app.H2().Text(r.File),
			app.Button().Class("link").ID("tag-detail-close").Text("Close").OnClick(func(ctx app.Context, e app.Event) { v.selected = "" }),
		),
		app.Div().Class("detail-body").Body(
			app.If(r.Thumb != "", func() app.UI {
				if v.heatFor != r.Hash {
					// The thumbnail kept with the tags: the photo itself is not.
					img := app.Window().Get("Image").New()
					img.Set("src", r.Thumb)
					v.heat, v.heatFor = newHeatView(img, r.File), r.Hash
				}
				return app.Div().Body(v.heat.photo(r.Thumb, r.File, "detail-img"), v.heat.controls(v.ctx))
			}),
			app.Div().Body(
				app.H3().Text("Tags"),
				app.Ul().Class("chips").ID("detail-tags").Body(
					app.Range(tags).Slice(func(i int) app.UI {
						t := tags[i]
						return app.Li().Class("chip").Body(
							app.Text(fmt.Sprintf("%s %.0f%%", t.Tag, 100*t.Score)),
							app.Button().Class("x").Aria("label", "Remove tag "+t.Tag).Text("×").OnClick(v.removeTag(r, t.Tag)),
						)
					}),
				),
				app.Form().Class("controls").OnSubmit(v.addTag(r)).Body(
					app.Input().Type("text").ID("new-tag").Placeholder("Add a tag").Aria("label", "New tag"),
					app.Button().Type("submit").Text("Add"),
				),
				app.If(r.Edited, func() app.UI { return app.P().Class("muted").Text("Tags edited by hand.") }),
				app.H3().Text("All scores"),
				renderPredsClick(predsOf(r.Scores), "preds", func(i int) app.EventHandler {
					return func(app.Context, app.Event) { v.heat.explain(v.ctx, r.Scores[i].Index) }
				}),
				app.Button().ID("tag-similar").Text("Similar photos").Disabled(v.similarTo == r.Hash && v.similarMsg != "" && v.similarRes == nil).
					OnClick(func(ctx app.Context, e app.Event) { v.findSimilar(ctx, r.Hash) }),
			),
		),
		app.If(v.similarTo == r.Hash, func() app.UI { return v.renderSimilar() }),
	)
}

// findSimilar ranks the stored photos by how close their embeddings are to
// this one's (computed on the pool for photos that have none yet).
func (v *tagView) findSimilar(ctx app.Context, hash string) {
	v.similarTo, v.similarRes, v.similarMsg = hash, nil, "Comparing photos…"
	on := map[string]any{"progress": dispatchFunc(ctx, &v.funcs, func(ctx app.Context, a []app.Value) {
		v.similarMsg = fmt.Sprintf("Reading photos for comparison: %d / %d", a[0].Get("done").Int(), a[0].Get("total").Int())
	})}
	await(ctx, tagging().Call("similar", hash, 12, on), func(ctx app.Context, r app.Value) {
		v.similarRes = []similarHit{}
		for i := 0; i < r.Length(); i++ {
			v.similarRes = append(v.similarRes, similarHit{Hash: r.Index(i).Get("hash").String(), Score: r.Index(i).Get("score").Float()})
		}
		v.similarMsg = ""
		if len(v.similarRes) == 0 {
			v.similarMsg = "No other photo to compare with yet."
		}
	}, func(ctx app.Context, msg string) { v.similarMsg = msg })
}

func (v *tagView) renderSimilar() app.UI {
	return app.Div().Class("similar").ID("tag-similar-results").Body(
		app.H3().Text("Similar photos"),
		app.If(v.similarMsg != "", func() app.UI { return app.P().Class("muted").Aria("live", "polite").Text(v.similarMsg) }),
		app.Div().Class("gallery").Body(
			app.Range(v.similarRes).Slice(func(i int) app.UI {
				h := v.similarRes[i]
				rec := v.byHash[h.Hash]
				if rec == nil {
					return app.Span()
				}
				return app.Button().Class("photo").DataSet("hash", h.Hash).Title(rec.File).OnClick(func(ctx app.Context, e app.Event) { v.selected = h.Hash }).Body(
					app.If(rec.Thumb != "", func() app.UI { return app.Img().Src(rec.Thumb).Alt(rec.File) }).
						Else(func() app.UI { return app.Div().Class("nothumb").Text("no preview") }),
					app.Span().Class("file").Text(path.Base(rec.File)),
					app.Span().Class("muted").Text(fmt.Sprintf("%.0f%% similar", 100*max(0, h.Score))),
				)
			}),
		),
	)
}

func predsOf(rs []labels.Result) []pred {
	out := make([]pred, len(rs))
	for i, r := range rs {
		out[i] = pred{Index: r.Index, Label: r.Label, Prob: float64(r.Prob)}
	}
	return out
}

// engines says how many engines work at once, when more than one.
func engines(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(" · %d engines", n)
}
