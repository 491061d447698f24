//go:build js && wasm

// These tests run compiled to wasm inside Chromium (make test-wasm-browser,
// through wasmbrowsertest) or Node (go_js_wasm_exec). They call the
// functions behind glimpseEngine._go through JS, as web/engine.js does,
// with JS typed arrays, and wait for the Promise each returns (call). The
// browser has no access to the shared models, so
// the model is a tiny ONNX classifier written here: a 1x1 Conv that copies
// the normalised R, G and B planes (times 4), GlobalAveragePool, Flatten and
// Softmax; its classes are "red", "green" and "blue", and a solid-colour
// image gives its colour. The engine loads compiled bundles only: TestMain
// (models_test.go) compiles it into the bundles the tests load.
package bridge

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall/js"
	"testing"

	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

const colourLabels = "red\ngreen\nblue\n"

// colourONNXModel is the classifier described above, [1,3,8,8] → [1,3], as
// an ONNX file.
func colourONNXModel() []byte {
	w := make([]float32, 9)
	for c := range 3 {
		w[4*c] = 4 // output channel c reads input channel c
	}
	return onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "image", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "probs", Dims: []any{1, 3}}},
		Inits: []onnxtest.Init{
			{Name: "w", Dims: []int64{3, 3, 1, 1}, Floats: w},
			{Name: "b", Dims: []int64{3}, Floats: []float32{0, 0, 0}},
		},
		Nodes: []onnxtest.Node{
			{Op: "Conv", Name: "conv", Inputs: []string{"image", "w", "b"}, Outputs: []string{"c"},
				Attrs: []onnxtest.Attr{{Name: "kernel_shape", Ints: []int64{1, 1}}}},
			{Op: "GlobalAveragePool", Name: "pool", Inputs: []string{"c"}, Outputs: []string{"p"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"p"}, Outputs: []string{"logits"}},
			{Op: "Softmax", Name: "softmax", Inputs: []string{"logits"}, Outputs: []string{"probs"},
				Attrs: []onnxtest.Attr{{Name: "axis", Int: onnxtest.I64(1)}}},
		},
	}.Bytes()
}

// fusedONNXModel is the colour classifier with a Relu after the Conv, which
// the compiler fuses into it (FusedConv): its bundle runs one node fewer
// than the ONNX file has.
func fusedONNXModel() []byte {
	m := onnxtest.Model{}
	w := make([]float32, 9)
	for c := range 3 {
		w[4*c] = 4
	}
	m.Inputs = []onnxtest.Value{{Name: "image", Dims: []any{1, 3, 8, 8}}}
	m.Outputs = []onnxtest.Value{{Name: "probs", Dims: []any{1, 3}}}
	m.Inits = []onnxtest.Init{
		{Name: "w", Dims: []int64{3, 3, 1, 1}, Floats: w},
		{Name: "b", Dims: []int64{3}, Floats: []float32{0, 0, 0}},
	}
	m.Nodes = []onnxtest.Node{
		{Op: "Conv", Name: "conv", Inputs: []string{"image", "w", "b"}, Outputs: []string{"c"},
			Attrs: []onnxtest.Attr{{Name: "kernel_shape", Ints: []int64{1, 1}}}},
		{Op: "Relu", Name: "relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
		{Op: "GlobalAveragePool", Name: "pool", Inputs: []string{"r"}, Outputs: []string{"p"}},
		{Op: "Flatten", Name: "flat", Inputs: []string{"p"}, Outputs: []string{"logits"}},
		{Op: "Softmax", Name: "softmax", Inputs: []string{"logits"}, Outputs: []string{"probs"},
			Attrs: []onnxtest.Attr{{Name: "axis", Int: onnxtest.I64(1)}}},
	}
	return m.Bytes()
}

// unsupportedONNXModel decodes but has an op the CPU backend lacks.
func unsupportedONNXModel() []byte {
	return onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "image", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "boxes", Dims: []any{1, 3}}},
		Nodes:   []onnxtest.Node{{Op: "NonMaxSuppression", Name: "nms_7", Inputs: []string{"image"}, Outputs: []string{"boxes"}}},
	}.Bytes()
}

// newGo gives a fresh glimpseEngine._go with no model loaded.
func newGo(t *testing.T) js.Value {
	t.Helper()
	reset()
	t.Cleanup(reset)
	return register()
}

func reset() {
	for _, f := range st.funcs {
		f.Release()
	}
	st = state{}
}

func uint8Array(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// image is w×h RGBA pixels; fill gives each pixel's colour.
func image(w, h int, fill func(x, y int) [3]byte) []byte {
	pix := make([]byte, 4*w*h)
	for y := range h {
		for x := range w {
			c := fill(x, y)
			copy(pix[4*(y*w+x):], c[:])
			pix[4*(y*w+x)+3] = 255
		}
	}
	return pix
}

func solid(c [3]byte) func(x, y int) [3]byte { return func(int, int) [3]byte { return c } }

var (
	red   = [3]byte{255, 0, 0}
	green = [3]byte{0, 255, 0}
	blue  = [3]byte{0, 0, 255}
)

// clamped is what a canvas's ImageData.data is: a Uint8ClampedArray.
func clamped(pix []byte) js.Value {
	return js.Global().Get("Uint8ClampedArray").New(uint8Array(pix).Get("buffer"))
}

type result struct {
	Error   string  `json:"error"`
	Code    string  `json:"code"`
	Backend string  `json:"backend"`
	Ms      float64 `json:"ms"`
	Top     []struct {
		Index int     `json:"index"`
		Label string  `json:"label"`
		Prob  float64 `json:"prob"`
	} `json:"top"`
}

type infoResult struct {
	Error      string  `json:"error"`
	Code       string  `json:"code"`
	Ready      bool    `json:"ready"`
	Backend    string  `json:"backend"`
	Name       string  `json:"name"`
	IsDefault  bool    `json:"isDefault"`
	Saved      bool    `json:"saved"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Layout     string  `json:"layout"`
	Activation string  `json:"activation"`
	Params     int     `json:"params"`
	Ops        int     `json:"ops"`
	OpsRun     int     `json:"opsRun"`
	OpTypes    string  `json:"opTypes"`
	FileBytes  int     `json:"fileBytes"`
	Classes    int     `json:"classes"`
	Labels     int     `json:"labels"`
	License    string  `json:"license"`
	LoadMs     float64 `json:"loadMs"`
	MaxSide    int     `json:"maxSide"`
	Slots      int     `json:"slots"`
	SIMD       *bool   `json:"simd"`
	SIMDReason string  `json:"simdReason"`
}

// decode turns a JS value into out through JSON.stringify, which also checks
// that the bridge returns plain JSON-able objects.
func decode(t *testing.T, v js.Value, out any) {
	t.Helper()
	s := js.Global().Get("JSON").Call("stringify", v).String()
	if err := json.Unmarshal([]byte(s), out); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
}

// settled maps a Promise to one that always resolves: with the value, or
// for a rejection with {error: message, code, isError: whether the reason
// is an Error}.
var settled = js.Global().Get("Function").New("p", `return p.then(v => v, e => ({
  error: e && e.message, code: e && e.code, isError: e instanceof Error,
}));`)

// call runs g[name](args...), checks that it returns a Promise at once, and
// waits for it: it gives the value the Promise resolves with, or for a
// rejection an object {error: message, code} (see settled), so that the
// result structs' Error and Code fields read either.
func call(t *testing.T, g js.Value, name string, args ...any) js.Value {
	t.Helper()
	return settle(t, name, g.Call(name, args...))
}

// settle waits for p, the Promise a call to name returned, as call does.
func settle(t *testing.T, name string, p js.Value) js.Value {
	t.Helper()
	if p.Type() != js.TypeObject || !p.InstanceOf(js.Global().Get("Promise")) {
		t.Fatalf("%s returned %v, not a Promise", name, p)
	}
	v, err := await(settled.Invoke(p))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if v.Type() == js.TypeObject && v.Get("isError").Type() == js.TypeBoolean {
		// A rejection: always an Error with a one-line message and a code.
		msg, code := v.Get("error"), v.Get("code")
		if !v.Get("isError").Bool() || msg.Type() != js.TypeString || code.Type() != js.TypeString || code.String() == "" {
			t.Errorf("%s rejected with %s, want an Error with a message and a code", name, js.Global().Get("JSON").Call("stringify", v).String())
		} else if strings.Contains(msg.String(), "\n") {
			t.Errorf("%s rejected with a message of more than one line: %q", name, msg.String())
		}
	}
	return v
}

// wantCode checks that a call was rejected (errMsg set) with the code code.
func wantCode(t *testing.T, what, errMsg, gotCode, code string) {
	t.Helper()
	if errMsg == "" || gotCode != code {
		t.Errorf("%s: error %q with code %q, want code %q", what, errMsg, gotCode, code)
	}
}

func classify(t *testing.T, g js.Value, pixels js.Value, w, h, top int) result {
	t.Helper()
	var r result
	decode(t, call(t, g, "classifyRGBA", pixels, w, h, top), &r)
	return r
}

func load(t *testing.T, g js.Value, model []byte, labels, cardJSON, name string) infoResult {
	t.Helper()
	var info infoResult
	decode(t, call(t, g, "loadModel", uint8Array(model), labels, cardJSON, name), &info)
	return info
}

func getInfo(t *testing.T, g js.Value) infoResult {
	t.Helper()
	var info infoResult
	decode(t, call(t, g, "info"), &info)
	if info.Error != "" {
		t.Fatalf("info(): %s (%s)", info.Error, info.Code)
	}
	return info
}

func mustLoad(t *testing.T, g js.Value, cardJSON string) infoResult {
	t.Helper()
	info := load(t, g, colourModel(), colourLabels, cardJSON, "colours.glimpse")
	if info.Error != "" || !info.Ready {
		t.Fatalf("loadModel: %+v", info)
	}
	return info
}

func wantTop1(t *testing.T, r result, label string) {
	t.Helper()
	if r.Error != "" {
		t.Fatalf("classifyRGBA: %s", r.Error)
	}
	if len(r.Top) == 0 || r.Top[0].Label != label {
		t.Fatalf("top %+v, want %s first", r.Top, label)
	}
	if r.Top[0].Prob < 0.99 {
		t.Errorf("%s has probability %.4f, want > 0.99", label, r.Top[0].Prob)
	}
}

func TestNoModel(t *testing.T) {
	g := newGo(t)
	info := getInfo(t, g)
	if info.Ready {
		t.Errorf("info() before any model: %+v", info)
	}
	if info.SIMD == nil || !*info.SIMD && info.SIMDReason == "" {
		t.Errorf("info() says nothing of SIMD (simd %v, simdReason %q)", info.SIMD, info.SIMDReason)
	}
	if got := call(t, g, "maxSide").Int(); got != 448 {
		t.Errorf("maxSide() = %d before any model, want 448", got)
	}
	if got := call(t, g, "labels"); got.Get("length").Int() != 0 {
		t.Errorf("labels() before any model has %d labels", got.Get("length").Int())
	}
	r := classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 3)
	if !strings.Contains(r.Error, "no model is loaded") {
		t.Errorf("classifyRGBA with no model: %+v", r)
	}
	wantCode(t, "classifyRGBA with no model", r.Error, r.Code, CodeNoModel)
	for _, name := range []string{"infer", "check", "injectMismatch"} {
		var r result
		decode(t, call(t, g, name), &r)
		wantCode(t, name+" with no model", r.Error, r.Code, CodeNoModel)
	}
	var s result
	decode(t, call(t, g, "classifyRGBA", clamped(image(8, 8, solid(red))), 8, 8, 3, "widget"), &s)
	if !strings.Contains(s.Error, `no model is loaded for "widget"`) {
		t.Errorf("classifyRGBA for an empty slot: %+v", s)
	}
	wantCode(t, "classifyRGBA for an empty slot", s.Error, s.Code, CodeNoModel)
}

func TestLoadModelInfo(t *testing.T) {
	g := newGo(t)
	m := colourModel()
	info := load(t, g, m, colourLabels, "", "colours.glimpse")
	if info.Error != "" {
		t.Fatal(info.Error)
	}
	if !info.Ready || info.Backend != "cpu" || info.Name != "colours.glimpse" || info.IsDefault {
		t.Errorf("info %+v", info)
	}
	if info.FileBytes != len(m) || info.Params != 9+3 || info.Ops != 4 || info.OpsRun < 1 || info.OpsRun > 4 {
		t.Errorf("fileBytes %d (want %d), params %d (want 12), ops %d (want 4), opsRun %d", info.FileBytes, len(m), info.Params, info.Ops, info.OpsRun)
	}
	if !strings.Contains(info.OpTypes, "Conv") {
		t.Errorf("opTypes %q has no Conv", info.OpTypes)
	}
	if info.Width != 8 || info.Height != 8 || info.Layout != "NCHW" || info.Classes != 3 || info.Labels != 3 {
		t.Errorf("input %dx%d %s, %d classes, %d labels; want 8x8 NCHW, 3, 3", info.Width, info.Height, info.Layout, info.Classes, info.Labels)
	}
	if info.Activation != "none" { // the graph ends in Softmax
		t.Errorf("activation %q, want none", info.Activation)
	}
	again := getInfo(t, g)
	if again.Name != info.Name || again.FileBytes != info.FileBytes || !again.Ready {
		t.Errorf("info() %+v differs from loadModel's %+v", again, info)
	}
	if got := call(t, g, "maxSide").Int(); got != 16 || info.MaxSide != 16 {
		t.Errorf("maxSide() = %d, info's maxSide %d for an 8x8 model, want 16", got, info.MaxSide)
	}
	if info.SIMD == nil || !*info.SIMD && info.SIMDReason == "" {
		t.Errorf("info() says nothing of SIMD (simd %v, simdReason %q)", info.SIMD, info.SIMDReason)
	}
	wantLabels(t, g, "red green blue")
}

// wantLabels checks labels(), the page model's labels, joined by spaces.
func wantLabels(t *testing.T, g js.Value, want string) {
	t.Helper()
	var labels []string
	decode(t, call(t, g, "labels"), &labels)
	if strings.Join(labels, " ") != want {
		t.Errorf("labels() = %q, want %q", labels, want)
	}
}

// A bundle's info counts the ops and parameters of the ONNX file it was
// compiled from (ops), and the nodes its program runs (opsRun): a Conv with
// its Relu fused runs as one node.
func TestLoadBundleInfo(t *testing.T) {
	g := newGo(t)
	m := fixtures.fused
	info := load(t, g, m, colourLabels, "", "fused.glimpse")
	if info.Error != "" {
		t.Fatal(info.Error)
	}
	if info.FileBytes != len(m) || info.Params != 9+3 || info.Ops != 5 || info.OpsRun != 4 {
		t.Errorf("fileBytes %d (want %d), params %d (want 12), ops %d (want 5, the ONNX file's), opsRun %d (want 4)",
			info.FileBytes, len(m), info.Params, info.Ops, info.OpsRun)
	}
	if !strings.Contains(info.OpTypes, "FusedConv") || strings.Contains(info.OpTypes, "Relu") {
		t.Errorf("opTypes %q, want the Relu fused into a FusedConv", info.OpTypes)
	}
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(green))), 8, 8, 3), "green")
}

// A bundle carries its labels and card: loaded with neither, it has them.
func TestLoadBundleInside(t *testing.T) {
	g := newGo(t)
	info := load(t, g, colourInside(), "", "", "inside.glimpse")
	if info.Error != "" || !info.Ready || info.Name != "inside.glimpse" {
		t.Fatalf("loadModel: %+v", info)
	}
	if info.Labels != 3 || info.License != "bundle licence" {
		t.Errorf("info: %d labels, licence %q; want the bundle's 3 and %q", info.Labels, info.License, "bundle licence")
	}
	wantLabels(t, g, "red green blue")
	if now := getInfo(t, g); now.Labels != 3 || now.License != "bundle licence" {
		t.Errorf("info(): %+v", now)
	}
	// The bundle's card reads BGR.
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 3), "blue")
	// Labels and card are optional arguments: undefined and null are none.
	var u infoResult
	decode(t, call(t, g, "loadModel", uint8Array(colourInside()), js.Undefined(), js.Null(), "again.glimpse"), &u)
	if u.Error != "" || u.Labels != 3 || u.License != "bundle licence" {
		t.Errorf("loadModel(bundle, undefined, null, name): %+v", u)
	}
}

// Labels or a card given beside a bundle override the bundle's own.
func TestLoadBundleOverride(t *testing.T) {
	g := newGo(t)
	info := load(t, g, colourInside(), "rouge\nvert\nbleu\n", "", "fr.glimpse")
	if info.Error != "" || info.Labels != 3 || info.License != "bundle licence" {
		t.Fatalf("loadModel with labels: %+v", info)
	}
	wantLabels(t, g, "rouge vert bleu")
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 3), "bleu") // the bundle's card: BGR

	info = load(t, g, colourInside(), "", `{"input": {"channels": "RGB"}, "license": "given licence"}`, "rgb.glimpse")
	if info.Error != "" || info.License != "given licence" {
		t.Fatalf("loadModel with a card: %+v", info)
	}
	wantLabels(t, g, "red green blue") // the bundle's
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 3), "red")

	// Labels that do not fit the bundle are refused, as for any model.
	info = load(t, g, colourInside(), "a\nb\n", "", "two.glimpse")
	wantCode(t, "two labels beside a bundle", info.Error, info.Code, "invalid-labels")
	wantLabels(t, g, "red green blue")
	if now := getInfo(t, g); now.Name != "rgb.glimpse" {
		t.Errorf("after a failed load, info() = %+v", now)
	}
}

func TestClassifySolidColours(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	for _, tc := range []struct {
		label  string
		colour [3]byte
		w, h   int
	}{
		{"red", red, 8, 8},
		{"green", green, 8, 8},
		{"blue", blue, 8, 8},
		{"red", red, 1, 1},
		{"blue", blue, 40, 20},
		{"green", green, 333, 500},
	} {
		r := classify(t, g, clamped(image(tc.w, tc.h, solid(tc.colour))), tc.w, tc.h, 3)
		wantTop1(t, r, tc.label)
		if r.Backend != "cpu" || len(r.Top) != 3 || r.Ms < 0 {
			t.Errorf("%s %dx%d: %+v", tc.label, tc.w, tc.h, r)
		}
		sum := 0.0
		for _, p := range r.Top {
			sum += p.Prob
		}
		if sum < 0.999 || sum > 1.001 {
			t.Errorf("%s %dx%d: probabilities sum to %f", tc.label, tc.w, tc.h, sum)
		}
	}
}

// Every pixel counts, not only the first: the majority colour wins.
func TestClassifyMixedImage(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	leftRed := func(cols int) func(x, y int) [3]byte {
		return func(x, y int) [3]byte {
			if x < cols {
				return red
			}
			return blue
		}
	}
	wantTop1(t, classify(t, g, clamped(image(16, 16, leftRed(4))), 16, 16, 2), "blue")
	wantTop1(t, classify(t, g, clamped(image(16, 16, leftRed(12))), 16, 16, 2), "red")
}

// The card given to loadModel is applied: BGR swaps red and blue.
func TestLoadModelCard(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, `{"input": {"channels": "BGR"}, "license": "test licence"}`)
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 1), "blue")
	if info := getInfo(t, g); info.License != "test licence" {
		t.Errorf("license %q", info.License)
	}
}

// Canvas pixels (Uint8ClampedArray) and Uint8Array both work, also as views
// into a larger buffer.
func TestPixelArrayTypes(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	pix := image(10, 6, solid(blue))
	// The views see the blue image between two red ones.
	redPix := image(10, 6, solid(red))
	buf := uint8Array(append(append(append([]byte(nil), redPix...), pix...), redPix...)).Get("buffer")
	for name, arr := range map[string]js.Value{
		"Uint8ClampedArray":      clamped(pix),
		"Uint8Array":             uint8Array(pix),
		"Uint8ClampedArray view": js.Global().Get("Uint8ClampedArray").New(buf, len(redPix), len(pix)),
		"Uint8Array view":        js.Global().Get("Uint8Array").New(buf, len(redPix), len(pix)),
	} {
		t.Run(name, func(t *testing.T) {
			if got := arr.Get("length").Int(); got != len(pix) {
				t.Fatalf("length %d", got)
			}
			wantTop1(t, classify(t, g, arr, 10, 6, 3), "blue")
		})
	}
}

func TestClassifyBadInput(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	pix := clamped(image(8, 8, solid(red)))
	for _, tc := range []struct {
		pix     js.Value
		w, h    int
		message string
	}{
		{pix, 8, 7, "256 bytes of pixels for a 8x7 image"},
		{pix, 9, 8, "256 bytes of pixels for a 9x8 image"},
		{pix, 0, 0, "256 bytes of pixels for a 0x0 image"},
		{clamped(image(8, 8, solid(red))[:255]), 8, 8, "255 bytes of pixels for a 8x8 image"},
		{js.Global().Get("Uint8ClampedArray").New(0), 0, 0, "0 bytes of pixels for a 0x0 image"},
		{js.Global().Get("Array").New(4).Call("fill", 255), 1, 1, "pixels must be a Uint8Array or Uint8ClampedArray of RGBA bytes"},
	} {
		r := classify(t, g, tc.pix, tc.w, tc.h, 3)
		if r.Error != tc.message || len(r.Top) != 0 {
			t.Errorf("%dx%d: got %+v, want error %q", tc.w, tc.h, r, tc.message)
		}
		wantCode(t, tc.message, r.Error, r.Code, CodeBadArgument)
	}
	var r result
	decode(t, call(t, g, "classifyRGBA", pix), &r)
	if !strings.Contains(r.Error, "needs pixels, width, height and top") {
		t.Errorf("classifyRGBA with one argument: %+v", r)
	}
	wantCode(t, "classifyRGBA with one argument", r.Error, r.Code, CodeBadArgument)
	r = result{}
	decode(t, call(t, g, "infer", js.Global().Get("Float32Array").New(5)), &r)
	wantCode(t, "infer with 5 values", r.Error, r.Code, CodeBadArgument)
	// The model still works after the errors.
	wantTop1(t, classify(t, g, pix, 8, 8, 3), "red")
}

// A model that fails to load leaves the one loaded before in place.
func TestLoadModelErrors(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	for _, tc := range []struct {
		name, labels, card string
		model              []byte
		want               []string
		code               string
	}{
		{"garbage.glimpse", "", "", []byte("this is not an ONNX model, just some text"), []string{"garbage.glimpse:"}, "invalid-model"},
		{"empty.glimpse", "", "", nil, []string{"empty.glimpse:"}, "invalid-model"},
		{"nms.glimpse", "", "", unsupportedModel(), []string{"nms.glimpse:", "unsupported op NonMaxSuppression", `"nms_7"`}, "unsupported-model"},
		{"labels.glimpse", "a\nb\n", "", colourModel(), []string{"labels.glimpse:", "2 labels", "3 classes"}, "invalid-labels"},
		{"card.glimpse", colourLabels, `{"input": {"widht": 8}}`, colourModel(), []string{"card.glimpse:", "model card"}, "invalid-card"},
		{"size.glimpse", colourLabels, `{"input": {"width": 16, "height": 16}}`, colourModel(), []string{"size.glimpse:", "fixed at"}, "invalid-card"},
		// The runtime loads bundles only: an ONNX file, even one it could
		// run once compiled, is refused.
		{"colours.onnx", colourLabels, "", colourONNX(), []string{"colours.onnx:", "compiled Glimpse bundles only", "glimpse compile"}, "invalid-model"},
		{"nms.onnx", "", "", fixtures.unsupportedONNX, []string{"nms.onnx:", "compiled Glimpse bundles only"}, "invalid-model"},
		// A damaged bundle: one byte flipped (in the header, the data or
		// the checksum), or cut short.
		{"flipped.glimpse", colourLabels, "", damaged(colourModel(), 40), []string{"flipped.glimpse:", "checksum does not match", "damaged"}, "invalid-model"},
		{"data.glimpse", colourLabels, "", damaged(colourModel(), -40), []string{"data.glimpse:", "checksum does not match", "damaged"}, "invalid-model"},
		{"sum.glimpse", colourLabels, "", damaged(colourModel(), -1), []string{"sum.glimpse:", "checksum does not match"}, "invalid-model"},
		{"cut.glimpse", colourLabels, "", colourModel()[:len(colourModel())-100], []string{"cut.glimpse:", "checksum does not match", "truncated"}, "invalid-model"},
		{"stub.glimpse", colourLabels, "", colourModel()[:16], []string{"stub.glimpse:", "not a valid Glimpse bundle", "truncated"}, "invalid-model"},
		{"version.glimpse", colourLabels, "", damaged(colourModel(), 8), []string{"version.glimpse:", "format version", "compile the model again"}, "invalid-model"},
	} {
		info := load(t, g, tc.model, tc.labels, tc.card, tc.name)
		for _, w := range tc.want {
			if !strings.Contains(info.Error, w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, info.Error, w)
			}
		}
		if strings.Contains(info.Error, "\n") || info.Ready {
			t.Errorf("%s: %+v", tc.name, info)
		}
		wantCode(t, tc.name, info.Error, info.Code, tc.code)
		now := getInfo(t, g)
		if now.Name != "colours.glimpse" || !now.Ready || now.Labels != 3 {
			t.Errorf("after %s failed, info() = %+v", tc.name, now)
		}
		wantLabels(t, g, "red green blue")
		wantTop1(t, classify(t, g, clamped(image(8, 8, solid(green))), 8, 8, 3), "green")
	}
	var info infoResult
	decode(t, call(t, g, "loadModel", uint8Array(colourModel())), &info)
	if !strings.Contains(info.Error, "needs model bytes, labels, card and a name") {
		t.Errorf("loadModel with one argument: %+v", info)
	}
	wantCode(t, "loadModel with one argument", info.Error, info.Code, CodeBadArgument)
}

// stubPage is the part of web/engine.js (the host, glimpseEngine) that
// Start and boot use: _emit,
// _resolveReady, _rejectReady, _store (IndexedDB) and _fetch. Files are
// served from stub.files by URL; anything else is a 404.
const stubPage = `
const stub = {
  events: [], fetched: [], cleared: 0, gets: 0, files: {}, saved: null, settled: null,
  _emit(name, detail) { stub.events.push({name, detail}); },
  // Settle later, as resolving a Promise does: were the Go callback called
  // from inside boot's call, the test could finish and the program exit
  // while that call is still on the JS stack.
  _resolveReady(info) { queueMicrotask(() => stub.settled({ok: true, info})); },
  // boot rejects with an Error carrying a code.
  _rejectReady(err) {
    const r = {ok: false, isError: err instanceof Error, message: err && err.message, code: err && err.code};
    queueMicrotask(() => stub.settled(r));
  },
  _store: {
    get() { stub.gets++; return Promise.resolve(stub.saved); },
    clear() { stub.cleared++; stub.saved = undefined; return Promise.resolve(); },
  },
  _fetch(url, progress) {
    stub.fetched.push(url);
    const f = stub.files[url];
    if (f === undefined) return Promise.reject(new Error('Could not download ' + url + ': HTTP 404'));
    const bytes = typeof f === 'string' ? new TextEncoder().encode(f) : f;
    if (progress) { progress(bytes.length / 2, bytes.length); progress(bytes.length, bytes.length); }
    return Promise.resolve(bytes);
  },
};
return stub;`

type bootResult struct {
	OK      bool       `json:"ok"`
	Info    infoResult `json:"info"`
	Message string     `json:"message"`
	Code    string     `json:"code"`
	IsError bool       `json:"isError"`
}

type stubState struct {
	Events []struct {
		Name   string         `json:"name"`
		Detail map[string]any `json:"detail"`
	} `json:"events"`
	Fetched []string `json:"fetched"`
	Cleared int      `json:"cleared"`
	Gets    int      `json:"gets"`
	// Saved is the IndexedDB record, nil once cleared.
	Saved *struct {
		Name string `json:"name"`
	} `json:"saved"`
}

// bootWith installs the stub as glimpseEngine, lets setup fill it, runs
// Start and waits for boot to settle ready. It returns how it settled,
// what the stub saw and glimpseEngine._go.
func bootWith(t *testing.T, setup func(stub js.Value)) (bootResult, stubState, js.Value) {
	t.Helper()
	reset()
	t.Cleanup(reset)
	stub := js.Global().Get("Function").New(stubPage).Invoke()
	done := make(chan js.Value, 1)
	settled := js.FuncOf(func(this js.Value, args []js.Value) any {
		done <- args[0]
		return nil
	})
	defer settled.Release()
	stub.Set("settled", settled)
	setup(stub)
	js.Global().Set("glimpseEngine", stub)
	defer js.Global().Delete("glimpseEngine")
	Start()
	var r bootResult
	decode(t, <-done, &r)
	g := stub.Get("_go")
	if g.Type() != js.TypeObject || g.Get("classifyRGBA").Type() != js.TypeFunction {
		t.Fatalf("Start did not set glimpseEngine._go")
	}
	var s stubState
	decode(t, stub, &s)
	return r, s, g
}

func serveDefault(stub js.Value) {
	files := stub.Get("files")
	files.Set(DefaultModel, uint8Array(fixtures.defaultModel))
}

func TestStartLoadsDefault(t *testing.T) {
	r, s, g := bootWith(t, serveDefault)
	// The labels and the card come inside the bundle.
	if !r.OK || !r.Info.IsDefault || !r.Info.Saved || r.Info.Name != card.Default().Name || r.Info.License != "default licence" || r.Info.Labels != 3 {
		t.Fatalf("ready with %+v", r)
	}
	if r.Info.FileBytes != len(fixtures.defaultModel) {
		t.Errorf("fileBytes %d, want the bundle's %d", r.Info.FileBytes, len(fixtures.defaultModel))
	}
	wantLabels(t, g, "red green blue")
	if n := len(events(s, "notice")) + len(events(s, "rebuild")); n != 0 || s.Cleared != 0 {
		t.Errorf("events %+v, cleared %d times; want no notice, no rebuild, nothing cleared", s.Events, s.Cleared)
	}
	want := []string{DefaultModel}
	if strings.Join(s.Fetched, " ") != strings.Join(want, " ") {
		t.Errorf("fetched %v, want %v", s.Fetched, want)
	}
	n := float64(len(fixtures.defaultModel))
	var last map[string]any
	for _, e := range s.Events {
		if e.Name == "progress" && e.Detail["what"] == "model" {
			last = e.Detail
		}
	}
	if last == nil || last["loaded"] != n || last["total"] != n {
		t.Errorf("last progress event %v, want %v of %v bytes; events %+v", last, n, n, s.Events)
	}
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(blue))), 8, 8, 3), "blue")

	// glimpse.resetModel() calls loadDefault.
	mustLoad(t, g, "")
	stub := js.Global().Get("Function").New(stubPage).Invoke()
	serveDefault(stub)
	js.Global().Set("glimpseEngine", stub)
	defer js.Global().Delete("glimpseEngine")
	var info infoResult
	decode(t, call(t, g, "loadDefault"), &info)
	if info.Error != "" || !info.IsDefault || info.Name != card.Default().Name {
		t.Errorf("loadDefault() = %+v", info)
	}
	// Without the default model's files it fails, and keeps the model.
	stub.Set("files", js.Global().Get("Object").New())
	info = infoResult{}
	decode(t, call(t, g, "loadDefault"), &info)
	if !strings.Contains(info.Error, "Could not download "+DefaultModel) {
		t.Errorf("loadDefault() without files = %+v", info)
	}
	wantCode(t, "loadDefault without files", info.Error, info.Code, CodeModelLoad)
	if now := getInfo(t, g); !now.IsDefault || !now.Ready {
		t.Errorf("after loadDefault failed, info() = %+v", now)
	}
	// An ONNX file or a damaged bundle where the default bundle should be
	// does not load either, and the model stays.
	for what, tc := range map[string]struct {
		file []byte
		want string
	}{
		"ONNX":    {colourONNX(), "compiled Glimpse bundles only"},
		"damaged": {damaged(fixtures.defaultModel, 60), "checksum does not match"},
	} {
		stub.Get("files").Set(DefaultModel, uint8Array(tc.file))
		info = infoResult{}
		decode(t, call(t, g, "loadDefault"), &info)
		if !strings.Contains(info.Error, tc.want) {
			t.Errorf("loadDefault() of %s = %+v, want an error saying %q", what, info, tc.want)
		}
		wantCode(t, "loadDefault of "+what, info.Error, info.Code, "invalid-model")
		if now := getInfo(t, g); !now.IsDefault || !now.Ready || now.FileBytes != len(fixtures.defaultModel) {
			t.Errorf("after loadDefault of %s failed, info() = %+v", what, now)
		}
	}
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(green))), 8, 8, 3), "green")
}

// saved gives a bootWith setup serving the default model and keeping in
// IndexedDB the record {name, model, labels, card}, with source (the ONNX
// file a bundle was compiled from) when it is not nil, for the app's own
// page (_useSaved).
func saved(name string, model []byte, labels, cardJSON string, source []byte) func(js.Value) {
	return func(stub js.Value) {
		serveDefault(stub)
		stub.Set("_useSaved", true)
		rec := js.Global().Get("Object").New()
		rec.Set("name", name)
		rec.Set("model", uint8Array(model))
		rec.Set("labels", labels)
		rec.Set("card", cardJSON)
		if source != nil {
			rec.Set("source", uint8Array(source))
		}
		stub.Set("saved", rec)
	}
}

// events gives the details of the events named name that the stub saw.
func events(s stubState, name string) []map[string]any {
	var out []map[string]any
	for _, e := range s.Events {
		if e.Name == name {
			out = append(out, e.Detail)
		}
	}
	return out
}

// A saved bundle that loads is the page's model: no download, the store
// kept, and info says it is saved and not the default. Its own labels and
// card apply unless the record gives some; a kept ONNX source does not
// matter when the bundle loads.
func TestStartUsesSavedModel(t *testing.T) {
	for _, tc := range []struct {
		what          string
		setup         func(js.Value)
		labels, first string // labels(), and the top label for a red image
		license       string
	}{
		{"labels and card in the record", saved("mine.glimpse", colourModel(), colourLabels, `{"input": {"channels": "BGR"}}`, nil), "red green blue", "blue", ""},
		{"labels and card in the bundle", saved("mine.glimpse", colourInside(), "", "", nil), "red green blue", "blue", "bundle licence"},
		{"the record's labels over the bundle's", saved("mine.glimpse", colourInside(), "rouge\nvert\nbleu\n", "", nil), "rouge vert bleu", "bleu", "bundle licence"},
		{"with its ONNX source", saved("mine.glimpse", colourInside(), "", "", colourONNX()), "red green blue", "blue", "bundle licence"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			r, s, g := bootWith(t, tc.setup)
			if !r.OK || r.Info.IsDefault || !r.Info.Saved || r.Info.Name != "mine.glimpse" || r.Info.License != tc.license {
				t.Fatalf("ready with %+v", r)
			}
			if len(s.Fetched) != 0 || s.Cleared != 0 || s.Saved == nil {
				t.Errorf("fetched %v, cleared the store %d times (saved %v)", s.Fetched, s.Cleared, s.Saved)
			}
			if n := len(events(s, "notice")) + len(events(s, "rebuild")); n != 0 {
				t.Errorf("events %+v, want no notice or rebuild", s.Events)
			}
			// The page hears which saved model the engine loads before it
			// loads it: were the engine to die then, the page knows why.
			if b := events(s, "boot"); len(b) != 1 || b[0]["saved"] != "mine.glimpse" {
				t.Errorf("boot events %v, want one naming mine.glimpse", b)
			}
			if info := getInfo(t, g); info.IsDefault || !info.Saved || info.Name != "mine.glimpse" {
				t.Errorf("info() = %+v", info)
			}
			wantLabels(t, g, tc.labels)
			wantTop1(t, classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 3), tc.first) // BGR
		})
	}
}

// A saved bundle that fails to load and has no ONNX source to rebuild it
// from is cleared, with a notice saying why, and the default loads.
func TestStartSavedModelBroken(t *testing.T) {
	for _, tc := range []struct {
		what  string
		model []byte
		want  string
	}{
		{"unsupported", unsupportedModel(), "NonMaxSuppression"},
		{"damaged", damaged(colourInside(), 100), "checksum does not match"},
		{"truncated", colourInside()[:30], "truncated"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			r, s, g := bootWith(t, saved("mine.glimpse", tc.model, "", "", nil))
			if !r.OK || !r.Info.IsDefault || r.Info.License != "default licence" {
				t.Fatalf("ready with %+v", r)
			}
			if s.Cleared != 1 || s.Saved != nil {
				t.Errorf("cleared the store %d times (saved %v), want once", s.Cleared, s.Saved)
			}
			if strings.Join(s.Fetched, " ") != DefaultModel {
				t.Errorf("fetched %v, want %s", s.Fetched, DefaultModel)
			}
			notices := events(s, "notice")
			notice := ""
			if len(notices) == 1 {
				notice, _ = notices[0]["message"].(string)
			}
			if !strings.Contains(notice, tc.want) || !strings.Contains(notice, "mine.glimpse") || !strings.Contains(notice, "using the default model") {
				t.Errorf("notices %v, want one naming mine.glimpse, saying %q and using the default model", notices, tc.want)
			}
			if rb := events(s, "rebuild"); len(rb) != 0 {
				t.Errorf("rebuild events %v for a model that cannot be rebuilt", rb)
			}
			wantTop1(t, classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 3), "red")
		})
	}
}

// A saved model the runtime cannot load but the importer can rebuild (an
// ONNX file kept by an older build, or a bundle whose ONNX source is kept)
// stays in the store: the engine asks the page to rebuild it (the "rebuild"
// event) and loads the default meanwhile.
func TestStartSavedModelRebuild(t *testing.T) {
	for _, tc := range []struct {
		what, name string
		setup      func(js.Value)
		reason     string
	}{
		{"an ONNX file", "mine.onnx", saved("mine.onnx", colourONNX(), colourLabels, `{"input": {"channels": "BGR"}}`, nil), "compiled Glimpse bundles only"},
		{"a damaged bundle with its source", "mine.glimpse", saved("mine.glimpse", damaged(colourInside(), 100), "", "", colourONNX()), "checksum does not match"},
		{"an older bundle with its source", "old.glimpse", saved("old.glimpse", damaged(colourInside(), 8), "", "", colourONNX()), "format version"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			r, s, g := bootWith(t, tc.setup)
			if !r.OK || !r.Info.IsDefault || r.Info.Name != card.Default().Name {
				t.Fatalf("ready with %+v", r)
			}
			if s.Cleared != 0 || s.Saved == nil || s.Saved.Name != tc.name {
				t.Errorf("cleared the store %d times (saved %+v); want the record kept", s.Cleared, s.Saved)
			}
			if strings.Join(s.Fetched, " ") != DefaultModel {
				t.Errorf("fetched %v, want %s", s.Fetched, DefaultModel)
			}
			rb := events(s, "rebuild")
			if len(rb) != 1 || rb[0]["name"] != tc.name {
				t.Fatalf("rebuild events %v, want one for %s; events %+v", rb, tc.name, s.Events)
			}
			if reason, _ := rb[0]["reason"].(string); !strings.Contains(reason, tc.reason) || !strings.Contains(reason, tc.name) {
				t.Errorf("rebuild reason %q, want it to name %s and say %q", reason, tc.name, tc.reason)
			}
			if n := events(s, "notice"); len(n) != 0 {
				t.Errorf("notices %v: a model to rebuild is not lost", n)
			}
			wantLabels(t, g, "red green blue")
			wantTop1(t, classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 3), "red") // the default: RGB
		})
	}
}

// An engine started for anything but the app's own page (the iframe
// widget, <glimpse-classifier>, an embedding page: no _useSaved) boots the
// default model and never reads the visitor's saved one, nor clears it.
func TestStartEmbedIgnoresSavedModel(t *testing.T) {
	for _, flag := range []any{nil, false, 0, ""} {
		t.Run(fmt.Sprint(flag), func(t *testing.T) {
			r, s, g := bootWith(t, func(stub js.Value) {
				saved("mine.glimpse", colourInside(), "private\nlabels\nhere\n", "", nil)(stub)
				if flag == nil {
					stub.Delete("_useSaved")
				} else {
					stub.Set("_useSaved", flag)
				}
			})
			if !r.OK || !r.Info.IsDefault || r.Info.Name != card.Default().Name || r.Info.License != "default licence" {
				t.Fatalf("ready with %+v", r)
			}
			if s.Gets != 0 || s.Cleared != 0 || s.Saved == nil || s.Saved.Name != "mine.glimpse" {
				t.Errorf("the store was read %d times and cleared %d times (saved %+v); want it untouched", s.Gets, s.Cleared, s.Saved)
			}
			if n := len(events(s, "boot")) + len(events(s, "notice")) + len(events(s, "rebuild")); n != 0 {
				t.Errorf("events %+v: an embed hears nothing of the saved model", s.Events)
			}
			wantLabels(t, g, "red green blue")
		})
	}
	// The same record with _useSaved: the app's page loads it.
	r, s, _ := bootWith(t, saved("mine.glimpse", colourInside(), "private\nlabels\nhere\n", "", nil))
	if !r.OK || r.Info.IsDefault || r.Info.Name != "mine.glimpse" || s.Gets != 1 {
		t.Fatalf("the app's page: ready with %+v, %d reads of the store", r, s.Gets)
	}
}

func TestStartDownloadFails(t *testing.T) {
	r, _, g := bootWith(t, func(js.Value) {})
	if r.OK || !strings.Contains(r.Message, "Could not download "+DefaultModel) {
		t.Fatalf("ready settled with %+v", r)
	}
	if !r.IsError || r.Code != CodeModelLoad {
		t.Errorf("_rejectReady got %+v, want an Error with code %q", r, CodeModelLoad)
	}
	r2 := classify(t, g, clamped(image(8, 8, solid(red))), 8, 8, 3)
	if !strings.Contains(r2.Error, "no model is loaded") {
		t.Errorf("classifyRGBA after a failed start: %+v", r2)
	}
	wantCode(t, "classifyRGBA after a failed start", r2.Error, r2.Code, CodeNoModel)
}
