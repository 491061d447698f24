//go:build js && wasm

package bridge

import (
	"fmt"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

// gateFetch makes stub._fetch hold every download until stub.release() is
// called (later downloads then go straight through); stub.held() counts
// the downloads waiting. A job that downloads (loadDefault, boot) so keeps
// the actor busy for as long as the test wants.
var gateFetch = js.Global().Get("Function").New("stub", `
  const fetch = stub._fetch, held = [];
  stub._fetch = (url, progress) => new Promise((res, rej) => held.push(() => fetch(url, progress).then(res, rej)));
  stub.release = () => { stub._fetch = fetch; held.splice(0).forEach(f => f()); };
  stub.held = () => held.length;
`)

// track records in order (a JS array) the index i of p when p settles.
var track = js.Global().Get("Function").New("p", "order", "i", "p.then(() => order.push(i), () => order.push(i));")

// gatedHost installs a stub host (stubPage) as glimpseEngine serving the
// default model, with its downloads held (gateFetch).
func gatedHost(t *testing.T) js.Value {
	t.Helper()
	stub := js.Global().Get("Function").New(stubPage).Invoke()
	serveDefault(stub)
	gateFetch.Invoke(stub)
	js.Global().Set("glimpseEngine", stub)
	t.Cleanup(func() { js.Global().Delete("glimpseEngine") })
	return stub
}

// idle lets the JS event loop run for a while: pending downloads, timers
// and Promise reactions.
func idle() { time.Sleep(30 * time.Millisecond) }

func orderOf(order js.Value) []int {
	out := make([]int, order.Get("length").Int())
	for i := range out {
		out[i] = order.Index(i).Int()
	}
	return out
}

// Calls made one after another without waiting each return a Promise at
// once, run one at a time in the order made, and settle in that order; each
// sees the model that the calls before it left. The first call, loadDefault,
// waits on a download the test holds, so all the others queue behind it:
// had any run early, it would have found no model.
func TestActorFIFO(t *testing.T) {
	stub := gatedHost(t)
	g := newGo(t)
	pix := clamped(image(8, 8, solid(red)))
	calls := []struct {
		name string
		args []any
	}{
		{"loadDefault", nil},                  // 0: the default model (RGB), once released
		{"classifyRGBA", []any{pix, 8, 8, 3}}, // 1: red
		{"loadModel", []any{uint8Array(colourModel()), colourLabels, `{"input": {"channels": "BGR"}}`, "bgr.glimpse"}}, // 2
		{"classifyRGBA", []any{pix, 8, 8, 3}},                                            // 3: blue (BGR)
		{"classifyRGBA", []any{pix, 9, 8, 3}},                                            // 4: bad-argument
		{"loadModel", []any{uint8Array(colourONNX()), colourLabels, "", "colours.onnx"}}, // 5: invalid-model (ONNX), keeps bgr.glimpse
		{"classifyRGBA", []any{pix, 8, 8, 3}},                                            // 6: blue
		{"info", nil},                                                                    // 7: bgr.glimpse
		{"labels", nil},                                                                  // 8: red green blue
		{"loadModel", []any{uint8Array(colourModel()), colourLabels, "", "rgb.glimpse"}}, // 9
		{"classifyRGBA", []any{pix, 8, 8, 3}},                                            // 10: red again
		{"maxSide", nil},                                                                 // 11: 16
		{"info", nil},                                                                    // 12: rgb.glimpse
	}
	order := js.Global().Get("Array").New()
	promises := make([]js.Value, len(calls))
	for i, c := range calls {
		promises[i] = g.Call(c.name, c.args...)
		if !promises[i].InstanceOf(js.Global().Get("Promise")) {
			t.Fatalf("#%d %s returned %v, not a Promise", i, c.name, promises[i])
		}
		track.Invoke(promises[i], order, i)
	}

	idle()
	if n := order.Get("length").Int(); n != 0 || stub.Call("held").Int() != 1 {
		t.Fatalf("while loadDefault waits for its download, %d calls settled (%v) and %d downloads wait; want 0 and 1",
			n, orderOf(order), stub.Call("held").Int())
	}
	stub.Call("release")

	v := make([]js.Value, len(calls))
	for i, c := range calls {
		v[i] = settle(t, fmt.Sprintf("#%d %s", i, c.name), promises[i])
	}
	want := make([]int, len(calls))
	for i := range want {
		want[i] = i
	}
	if got := orderOf(order); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("settled in the order %v, want %v", got, want)
	}

	var info infoResult
	decode(t, v[0], &info)
	if info.Error != "" || !info.IsDefault {
		t.Errorf("#0 loadDefault: %+v", info)
	}
	for i, label := range map[int]string{1: "red", 3: "blue", 6: "blue", 10: "red"} {
		var r result
		decode(t, v[i], &r)
		t.Run(fmt.Sprintf("classify#%d", i), func(t *testing.T) { wantTop1(t, r, label) })
	}
	for i, name := range map[int]string{2: "bgr.glimpse", 7: "bgr.glimpse", 9: "rgb.glimpse", 12: "rgb.glimpse"} {
		info := infoResult{}
		decode(t, v[i], &info)
		if info.Error != "" || info.Name != name || !info.Ready {
			t.Errorf("#%d %s: %+v, want %s", i, calls[i].name, info, name)
		}
	}
	var bad result
	decode(t, v[4], &bad)
	wantCode(t, "#4 classifyRGBA 9x8", bad.Error, bad.Code, CodeBadArgument)
	bad = result{}
	decode(t, v[5], &bad)
	wantCode(t, "#5 loadModel ONNX", bad.Error, bad.Code, "invalid-model")
	if !strings.Contains(bad.Error, "compiled Glimpse bundles only") {
		t.Errorf("#5 loadModel ONNX: %q does not say the engine loads bundles only", bad.Error)
	}
	var labels []string
	decode(t, v[8], &labels)
	if strings.Join(labels, " ") != "red green blue" {
		t.Errorf("#8 labels: %q", labels)
	}
	if v[11].Type() != js.TypeNumber || v[11].Int() != 16 {
		t.Errorf("#11 maxSide: %v, want 16", v[11])
	}
}

// A call made right after Start waits for the boot (the actor's first job)
// and sees the model it loaded, instead of finding none.
func TestActorCallsWaitForBoot(t *testing.T) {
	reset()
	t.Cleanup(reset)
	stub := gatedHost(t)
	ready := make(chan js.Value, 1)
	settledFn := js.FuncOf(func(this js.Value, args []js.Value) any {
		ready <- args[0]
		return nil
	})
	defer settledFn.Release()
	stub.Set("settled", settledFn)
	Start()
	g := stub.Get("_go")
	if g.Type() != js.TypeObject {
		t.Fatal("Start did not set glimpseEngine._go")
	}
	p := g.Call("classifyRGBA", clamped(image(8, 8, solid(blue))), 8, 8, 3)
	order := js.Global().Get("Array").New()
	track.Invoke(p, order, 0)
	idle()
	if order.Get("length").Int() != 0 {
		t.Fatal("classifyRGBA settled while the boot waited for its download")
	}
	stub.Call("release")
	var r result
	decode(t, settle(t, "classifyRGBA", p), &r)
	wantTop1(t, r, "blue")
	var b bootResult
	decode(t, <-ready, &b)
	if !b.OK || !b.Info.IsDefault {
		t.Errorf("ready with %+v", b)
	}
}

// A panic inside a job rejects that call with code "internal" and a message
// naming the call; the actor goes on with the next jobs.
func TestActorPanic(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	pix := clamped(image(8, 8, solid(red)))

	// A job of the engine's own that panics.
	var r result
	decode(t, settle(t, "boom", enqueue("boom", func() (any, error) { panic("boom") })), &r)
	if r.Error != "internal error in boom: boom" || len(r.Top) != 0 {
		t.Errorf("a panicking job: %+v", r)
	}
	wantCode(t, "a panicking job", r.Error, r.Code, CodeInternal)
	wantTop1(t, classify(t, g, pix, 8, 8, 3), "red")

	// A panic with a Go value shows its type, never a dump of it: no
	// fields, no addresses.
	type secret struct {
		Labels []string
		Next   *int
	}
	n := 7
	for _, v := range []any{&secret{Labels: []string{"private"}, Next: &n}, secret{Labels: []string{"private"}}, &n} {
		r = result{}
		decode(t, settle(t, "dump", enqueue("dump", func() (any, error) { panic(v) })), &r)
		if !strings.HasPrefix(r.Error, "internal error in dump: a panic with a ") || strings.Contains(r.Error, "private") || strings.Contains(r.Error, "0x") || strings.Contains(r.Error, "{") {
			t.Errorf("a panic with %T: %q", v, r.Error)
		}
		wantCode(t, "a panic with a Go value", r.Error, r.Code, CodeInternal)
	}

	// Arguments of the wrong JS type make syscall/js panic inside the job.
	// The actor reports it as "internal" today; a type check in the bridge
	// would make it "bad-argument", which is as good.
	for _, args := range [][]any{
		{js.Null(), 8, 8, 3},
		{pix, "8", 8, 3},
	} {
		r := result{}
		decode(t, call(t, g, "classifyRGBA", args...), &r)
		if r.Code != CodeInternal && r.Code != CodeBadArgument || len(r.Top) != 0 {
			t.Errorf("classifyRGBA(%v, %v, ...): %+v, want code internal or bad-argument", args[0], args[1], r)
		}
		if r.Code == CodeInternal && !strings.Contains(r.Error, "internal error in classifyRGBA") {
			t.Errorf("message %q does not name the call", r.Error)
		}
		wantTop1(t, classify(t, g, pix, 8, 8, 3), "red")
	}
	if info := getInfo(t, g); info.Name != "colours.glimpse" || !info.Ready {
		t.Errorf("info() after the panics: %+v", info)
	}
}

// With the actor stuck in a job, calls queue up to queueCap; the next one
// is rejected at once with code "busy", and the queued ones all run once
// the job ends.
func TestActorBusy(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	running, release := make(chan struct{}, 1), make(chan struct{})
	block := enqueue("block", func() (any, error) {
		running <- struct{}{}
		<-release
		return "done", nil
	})
	<-running // the actor runs the job: the queue is empty
	queued := make([]js.Value, queueCap)
	for i := range queued {
		queued[i] = g.Call("maxSide")
	}
	var r result
	decode(t, call(t, g, "maxSide"), &r) // settles without the actor
	if !strings.Contains(r.Error, fmt.Sprintf("%d calls waiting", queueCap)) {
		t.Errorf("call %d with the actor stuck: %+v", queueCap+1, r)
	}
	wantCode(t, "a call beyond the queue", r.Error, r.Code, CodeBusy)
	close(release)
	if v := settle(t, "block", block); v.String() != "done" {
		t.Errorf("the blocking job resolved with %v", v)
	}
	for i, p := range queued {
		if v := settle(t, "maxSide", p); v.Type() != js.TypeNumber || v.Int() != 16 {
			t.Fatalf("queued call %d: %v, want 16", i, js.Global().Get("JSON").Call("stringify", v))
		}
	}
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(green))), 8, 8, 3), "green")
}

// Error messages never show Go value dumps or pointer addresses, whatever
// an error's text says.
func TestUserMessage(t *testing.T) {
	for in, want := range map[string]string{
		"plain message": "plain message",
		"two\n  lines":  "two lines",
		"bad value &{Name:x Next:0xc000012345} here": "bad value … here",
		"nested &{A:{B:1} C:[1 2]} end":              "nested … end",
		"pointer 0x1a2b3c4d in the way":              "pointer … in the way",
		"(0x00c0001234)":                             "(…)",
		"magic 0x47 and 0xABCD kept":                 "magic 0x47 and 0xABCD kept",
		"word0x123456 kept":                          "word0x123456 kept",
		"unclosed &{A:1":                             "unclosed …",
	} {
		if got := userMessage(in); got != want {
			t.Errorf("userMessage(%q) = %q, want %q", in, got, want)
		}
	}
	// And through a rejection.
	g := newGo(t)
	var r result
	decode(t, settle(t, "leak", enqueue("leak", func() (any, error) {
		return nil, fmt.Errorf("failed on %v at %p", &struct{ Label string }{"private"}, &r)
	})), &r)
	if strings.Contains(r.Error, "private") || strings.Contains(r.Error, "0x") || r.Error != "failed on … at …" {
		t.Errorf("rejection message %q", r.Error)
	}
	_ = g
}

// At most maxSlots extra models stay loaded: a new one evicts the least
// recently used (a classify counts as a use), an evicted slot answers
// no-model, dropSlot frees one, and a failed load into a new slot still
// leaves the others' results right.
func TestSlotsEvictLeastRecent(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	pix := clamped(image(8, 8, solid(red)))
	loadSlot := func(slot, labels string) infoResult {
		var info infoResult
		decode(t, call(t, g, "loadModel", uint8Array(colourModel()), labels, "", slot+".glimpse", slot), &info)
		return info
	}
	top := func(slot string) result {
		var r result
		decode(t, call(t, g, "classifyRGBA", pix, 8, 8, 1, slot), &r)
		return r
	}
	for i := range maxSlots {
		s := fmt.Sprintf("s%d", i)
		if info := loadSlot(s, fmt.Sprintf("%s-red\ngreen\nblue\n", s)); info.Error != "" {
			t.Fatalf("loadModel into %s: %+v", s, info)
		}
	}
	if n := getInfo(t, g).Slots; n != maxSlots {
		t.Fatalf("%d slots, want %d", n, maxSlots)
	}
	wantTop1(t, top("s0"), "s0-red") // s0 is now the most recent: s1 goes next
	if info := loadSlot("s4", "s4-red\ngreen\nblue\n"); info.Error != "" {
		t.Fatalf("loadModel into s4: %+v", info)
	}
	if n := getInfo(t, g).Slots; n != maxSlots {
		t.Errorf("%d slots after a fifth, want %d", n, maxSlots)
	}
	r := top("s1")
	wantCode(t, "classify in the evicted slot", r.Error, r.Code, CodeNoModel)
	for _, s := range []string{"s0", "s2", "s3", "s4"} {
		wantTop1(t, top(s), s+"-red") // each slot keeps its own labels
	}
	// Reloading a slot that is there replaces it and evicts nothing.
	if info := loadSlot("s2", "rouge\nvert\nbleu\n"); info.Error != "" || getInfo(t, g).Slots != maxSlots {
		t.Fatalf("reloading s2: %+v", info)
	}
	wantTop1(t, top("s2"), "rouge")
	wantTop1(t, top("s3"), "s3-red")
	var d struct {
		Dropped bool   `json:"dropped"`
		Error   string `json:"error"`
		Code    string `json:"code"`
	}
	decode(t, call(t, g, "dropSlot", "s3"), &d)
	if !d.Dropped {
		t.Errorf("dropSlot(s3) = %+v", d)
	}
	r = top("s3")
	wantCode(t, "classify in a dropped slot", r.Error, r.Code, CodeNoModel)
	d.Dropped = true
	decode(t, call(t, g, "dropSlot", "s3"), &d)
	if d.Dropped || d.Error != "" {
		t.Errorf("dropSlot(s3) again = %+v, want dropped false", d)
	}
	d = struct {
		Dropped bool   `json:"dropped"`
		Error   string `json:"error"`
		Code    string `json:"code"`
	}{}
	decode(t, call(t, g, "dropSlot"), &d)
	wantCode(t, "dropSlot()", d.Error, d.Code, CodeBadArgument)
	if n := getInfo(t, g).Slots; n != maxSlots-1 {
		t.Errorf("%d slots after a drop, want %d", n, maxSlots-1)
	}
	wantTop1(t, classify(t, g, pix, 8, 8, 3), "red") // the page's model
}

// loadModel's memory budget: a number of bytes, or nothing.
func TestLoadModelMaxMemoryArgument(t *testing.T) {
	g := newGo(t)
	for _, v := range []any{nil, js.Undefined(), 0, 1 << 30} {
		var info infoResult
		decode(t, call(t, g, "loadModel", uint8Array(colourModel()), colourLabels, "", "c.glimpse", js.Undefined(), false, v), &info)
		if info.Error != "" || info.Name != "c.glimpse" {
			t.Errorf("loadModel with maxMemory %v: %+v", v, info)
		}
	}
	for _, v := range []any{"lots", -1, js.Global().Get("NaN"), true} {
		var info infoResult
		decode(t, call(t, g, "loadModel", uint8Array(colourModel()), colourLabels, "", "c.glimpse", js.Undefined(), false, v), &info)
		wantCode(t, fmt.Sprintf("loadModel with maxMemory %v", v), info.Error, info.Code, CodeBadArgument)
	}
	// The budget reaches the compiler: a model needing more is refused,
	// on the page and in a slot, and the page's model stays.
	for _, slot := range []any{js.Undefined(), "w"} {
		var info infoResult
		decode(t, call(t, g, "loadModel", uint8Array(colourModel()), colourLabels, "", "small.glimpse", slot, false, 64), &info)
		if info.Error == "" || !strings.Contains(info.Error, "memory budget") || info.Code == CodeBadArgument {
			t.Errorf("loadModel into %v with a 64-byte budget: %+v", slot, info)
		}
	}
	if now := getInfo(t, g); now.Name != "c.glimpse" || now.Slots != 0 {
		t.Errorf("after refused loads, info() = %+v", now)
	}
}

// A model loaded into a slot sits beside the page's model: calls naming
// the slot use it, the others the page's.
func TestSlots(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	var info infoResult
	decode(t, call(t, g, "loadModel", uint8Array(colourModel()), colourLabels, `{"input": {"channels": "BGR"}}`, "w.glimpse", "widget"), &info)
	if info.Error != "" || info.Name != "w.glimpse" || info.MaxSide != 16 {
		t.Fatalf("loadModel into a slot: %+v", info)
	}
	pix := clamped(image(8, 8, solid(red)))
	var r result
	decode(t, call(t, g, "classifyRGBA", pix, 8, 8, 3, "widget"), &r)
	wantTop1(t, r, "blue")
	wantTop1(t, classify(t, g, pix, 8, 8, 3), "red")
	if got := call(t, g, "maxSide", "widget"); got.Int() != 16 {
		t.Errorf("maxSide(widget) = %v", got)
	}
	if now := getInfo(t, g); now.Name != "colours.glimpse" {
		t.Errorf("the page's model is now %q", now.Name)
	}
	info = infoResult{}
	decode(t, call(t, g, "loadModel", uint8Array(unsupportedModel()), "", "", "nms.glimpse", "widget"), &info)
	wantCode(t, "an unsupported model into a slot", info.Error, info.Code, "unsupported-model")
	r = result{}
	decode(t, call(t, g, "classifyRGBA", pix, 8, 8, 3, "widget"), &r)
	wantTop1(t, r, "blue")
	// A slot loads bundles only too.
	info = infoResult{}
	decode(t, call(t, g, "loadModel", uint8Array(colourONNX()), colourLabels, "", "w.onnx", "widget"), &info)
	wantCode(t, "an ONNX file into a slot", info.Error, info.Code, "invalid-model")
	if !strings.Contains(info.Error, "compiled Glimpse bundles only") {
		t.Errorf("an ONNX file into a slot: %q does not say the engine loads bundles only", info.Error)
	}
	r = result{}
	decode(t, call(t, g, "classifyRGBA", pix, 8, 8, 3, "widget"), &r)
	wantTop1(t, r, "blue")
	// A bundle with its labels and card inside, into a slot.
	info = infoResult{}
	decode(t, call(t, g, "loadModel", uint8Array(colourInside()), "", "", "inside.glimpse", "widget"), &info)
	if info.Error != "" || info.Labels != 3 || info.License != "bundle licence" {
		t.Errorf("a bundle with labels and card into a slot: %+v", info)
	}
	r = result{}
	decode(t, call(t, g, "classifyRGBA", clamped(image(8, 8, solid(blue))), 8, 8, 3, "widget"), &r)
	wantTop1(t, r, "red") // the bundle's card: BGR
	if now := getInfo(t, g); now.Name != "colours.glimpse" {
		t.Errorf("the page's model is now %q", now.Name)
	}
}
