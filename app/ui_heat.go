package main

import (
	"fmt"
	"path"
	"strings"

	"github.com/glimpse/glimpse/model/vision/labels"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// heatView is an explanation over a photo (glimpse.explain): its state
// and controls, for the Classify view's results, the Tag view's photo
// details and the Evaluate view's misclassified photos.
type heatView struct {
	Src        app.Value // the photo: a File, Blob or <img>
	Name       string    // the photo's name, for the PNG
	Heat       *explained
	On         bool
	Opacity    float64
	Explaining int // the class being explained, or -1
	Err        string
}

type explained struct {
	Class  int
	Label  string
	Method string
	URL    string     // the heat grid as an image (data URL), stretched over Region
	Region [4]float64 // x0, y0, x1, y1 as fractions of the photo
	JS     app.Value  // the explanation, for the PNG export
}

func newHeatView(src app.Value, name string) heatView {
	return heatView{Src: src, Name: name, Opacity: 0.7, Explaining: -1}
}

// explain asks where the model looked for class (-1: the top one). ctx
// must outlive the button clicked (a component's own context).
func (h *heatView) explain(ctx app.Context, class int) {
	if h.Explaining >= 0 || !h.Src.Truthy() {
		return
	}
	h.Explaining, h.Err = max(class, 0), ""
	opts := map[string]any{}
	if class >= 0 {
		opts["class"] = class
	}
	await(ctx, glimpse().Call("explain", h.Src, opts), func(ctx app.Context, x app.Value) {
		h.Explaining = -1
		reg := x.Get("region")
		e := &explained{Class: x.Get("class").Int(), Label: x.Get("label").String(), Method: x.Get("method").String(), JS: x,
			URL: glimpse().Call("heatImage", x, 1).Call("toDataURL").String()}
		for i := range e.Region {
			e.Region[i] = reg.Index(i).Float()
		}
		h.Heat, h.On = e, true
	}, func(ctx app.Context, msg string) {
		h.Explaining, h.Err = -1, "Could not explain: "+msg
	})
}

// photo is the photo (src) with the heat over it while shown.
func (h *heatView) photo(src, alt, class string) app.UI {
	ui := []app.UI{app.Img().Src(src).Alt(alt).Class(class)}
	wrap := "preview-wrap"
	if e := h.Heat; e != nil && h.On {
		ui = append(ui, app.Img().Class("heat").Src(e.URL).Alt("").Aria("hidden", true).
			Style("left", fmt.Sprintf("%.2f%%", 100*e.Region[0])).Style("top", fmt.Sprintf("%.2f%%", 100*e.Region[1])).
			Style("width", fmt.Sprintf("%.2f%%", 100*(e.Region[2]-e.Region[0]))).Style("height", fmt.Sprintf("%.2f%%", 100*(e.Region[3]-e.Region[1]))).
			Style("opacity", fmt.Sprintf("%.2f", h.Opacity)))
		wrap += " explained" // the photo at its own aspect, so the heat lies where it belongs
	}
	return app.Div().Class(wrap).Body(ui...)
}

// methodSays is what each method's heat shows, for the line above the
// controls (an array: a map literal would cost init code in app.wasm).
var methodSays = [...][2]string{
	{"occlusion", "where hiding the photo lowers %q most (occlusion)"},
	{"gradcam", "the regions whose features raise the score of %q (Grad-CAM)"},
	{"gradcam++", "the regions whose features raise the score of %q (Grad-CAM++)"},
	{"ig", "the pixels that add up to the score of %q (integrated gradients)"},
	{"gradinput", "the pixels whose change moves the score of %q most (gradient × input)"},
	{"smoothgrad", "the pixels whose change moves the score of %q most (SmoothGrad)"},
	{"rollout", "the patches the model attended to (attention rollout, the same for every class; top class %q)"},
}

// controls: explain the top class (or click a label for another), then
// show or hide the heat, its opacity, and save the photo with it as PNG.
func (h *heatView) controls(ctx app.Context) app.UI {
	if h.Explaining >= 0 {
		return app.P().Class("muted explain").Aria("live", "polite").Text("Looking where the model looked…")
	}
	var ui []app.UI
	if h.Err != "" {
		ui = append(ui, app.P().Class("error").Text(h.Err))
	}
	if h.Heat == nil {
		ui = append(ui, app.Button().Class("link explain-btn").Text("Where did it look?").Title("Click a label to explain that class instead").
			OnClick(func(app.Context, app.Event) { h.explain(ctx, -1) }))
		return app.Div().Class("explain").Body(ui...)
	}
	says := "where the model looked for %q (" + h.Heat.Method + ")"
	for _, m := range methodSays {
		if m[0] == h.Heat.Method {
			says = m[1]
		}
	}
	ui = append(ui,
		app.P().Class("muted").Text("Heat: "+fmt.Sprintf(says, labels.DisplayName(h.Heat.Label))+". Click a label to explain it instead."),
		app.Div().Class("controls").Body(
			app.Label().Class("check").Body(
				app.Input().Type("checkbox").Checked(h.On).OnChange(func(ctx app.Context, e app.Event) { h.On = e.Get("target").Get("checked").Bool() }),
				app.Text(" Heat map"),
			),
			// In percent: whole numbers stay as they are whatever order the
			// browser gets min, max, step and value in.
			app.Input().Type("range").Min(10).Max(100).Step(5).Value(fmt.Sprint(int(100*h.Opacity+0.5))).Aria("label", "Heat map opacity").
				OnInput(func(ctx app.Context, e app.Event) { h.Opacity = targetNum(e) / 100 }),
			app.Button().Class("link").Text("Save PNG").OnClick(func(app.Context, app.Event) { h.save(ctx) }),
		),
	)
	return app.Div().Class("explain").Body(ui...)
}

// save downloads the photo with the heat over it as PNG.
func (h *heatView) save(ctx app.Context) {
	await(ctx, glimpse().Call("heatPNG", h.Src, h.Heat.JS, h.Opacity), func(ctx app.Context, b app.Value) {
		tagging().Call("download", strings.TrimSuffix(path.Base(h.Name), path.Ext(h.Name))+"-heat.png", b, "image/png")
	}, func(ctx app.Context, msg string) { h.Err = "Could not save: " + msg })
}
