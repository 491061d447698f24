//go:build js && wasm

package bridge

import (
	"strings"
	"syscall/js"
	"testing"
)

type checkResult struct {
	Verdict     string `json:"verdict"`
	Reason      string `json:"reason"`
	Notice      string `json:"notice"`
	Unsupported []struct {
		Op    string   `json:"op"`
		Nodes []string `json:"nodes"`
	} `json:"unsupported"`
	SelfCheck struct {
		Outputs []struct {
			Name       string  `json:"name"`
			MaxAbsDiff float64 `json:"max_abs_diff"`
			Atol       float64 `json:"atol"`
		} `json:"outputs"`
	} `json:"self_check"`
}

// check() checks the page's model; after injectMismatch the next check
// sees a broken optimised program, and the model switches to the
// unoptimised one, which still classifies. check(bytes) checks a file alone:
// a bundle, as the engine loads nothing else.
func TestCheck(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	var r checkResult
	decode(t, call(t, g, "check"), &r)
	if r.Verdict != "ok" || r.Notice != "" || len(r.SelfCheck.Outputs) != 1 || r.SelfCheck.Outputs[0].MaxAbsDiff > r.SelfCheck.Outputs[0].Atol {
		t.Fatalf("check() = %+v", r)
	}
	var info struct {
		Checked  string `json:"checked"`
		Fallback string `json:"fallback"`
		OpsRun   int    `json:"opsRun"`
	}
	decode(t, call(t, g, "info"), &info)
	if info.Checked != "ok" || info.Fallback != "" {
		t.Errorf("info() after the check: %+v", info)
	}

	if res := call(t, g, "injectMismatch"); res.Get("ok").Type() != js.TypeBoolean || !res.Get("ok").Bool() {
		t.Fatalf("injectMismatch: %s", js.Global().Get("JSON").Call("stringify", res))
	}
	r = checkResult{}
	decode(t, call(t, g, "check"), &r)
	if r.Verdict != "mismatch" || !strings.HasPrefix(r.Notice, `using the unoptimised program because output "probs"`) {
		t.Fatalf("check() after injectMismatch = %+v", r)
	}
	decode(t, call(t, g, "info"), &info)
	if info.Checked != "mismatch" || info.Fallback != r.Notice || info.OpsRun != 4 {
		t.Errorf("info() after the fallback: %+v", info)
	}
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(green))), 8, 8, 3), "green")
	// The model already runs its unoptimised program: nothing to break.
	var e result
	decode(t, call(t, g, "injectMismatch"), &e)
	wantCode(t, "injectMismatch after the fallback", e.Error, e.Code, CodeBadArgument)

	r = checkResult{}
	decode(t, call(t, g, "check", uint8Array(unsupportedModel())), &r)
	if r.Verdict != "cannot run" || len(r.Unsupported) != 1 || r.Unsupported[0].Op != "NonMaxSuppression" || r.Unsupported[0].Nodes[0] != "nms_7" {
		t.Errorf("check(unsupported) = %+v", r)
	}
	e = result{}
	decode(t, call(t, g, "check", uint8Array([]byte("not onnx"))), &e)
	wantCode(t, "check(garbage)", e.Error, e.Code, "invalid-model")

	r = checkResult{}
	decode(t, call(t, g, "check", uint8Array(colourInside()), insideCard), &r)
	if r.Verdict != "ok" || r.Notice != "" || len(r.SelfCheck.Outputs) != 1 {
		t.Errorf("check(bundle) = %+v", r)
	}
	for what, tc := range map[string]struct {
		file []byte
		want string
	}{
		"ONNX":    {colourONNX(), "compiled Glimpse bundles only"},
		"damaged": {damaged(colourModel(), 50), "checksum does not match"},
		"cut":     {colourModel()[:25], "truncated"},
	} {
		e = result{}
		decode(t, call(t, g, "check", uint8Array(tc.file)), &e)
		wantCode(t, "check("+what+")", e.Error, e.Code, "invalid-model")
		if !strings.Contains(e.Error, tc.want) {
			t.Errorf("check(%s): %q does not say %q", what, e.Error, tc.want)
		}
	}
	// Checking files kept nothing: the page's model is as it was.
	decode(t, call(t, g, "info"), &info)
	if info.Checked != "mismatch" || info.Fallback == "" {
		t.Errorf("info() after checking files: %+v", info)
	}
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(blue))), 8, 8, 3), "blue")
}

// A bundle compiled after the model check carries its report: loaded, it
// counts as checked, and check() gives that report.
func TestCheckCarriedInBundle(t *testing.T) {
	g := newGo(t)
	info := load(t, g, fixtures.verified, "", "", "verified.glimpse")
	if info.Error != "" {
		t.Fatal(info.Error)
	}
	var got struct {
		Checked  string `json:"checked"`
		Fallback string `json:"fallback"`
	}
	decode(t, call(t, g, "info"), &got)
	if got.Checked != "ok" || got.Fallback != "" {
		t.Errorf("info() of a checked bundle: %+v", got)
	}
	var r checkResult
	decode(t, call(t, g, "check"), &r)
	if r.Verdict != "ok" || r.Notice != "" || len(r.SelfCheck.Outputs) != 1 {
		t.Errorf("check() = %+v", r)
	}
	// An unchecked bundle is not.
	mustLoad(t, g, "")
	decode(t, call(t, g, "info"), &got)
	if got.Checked != "" {
		t.Errorf("info() of an unchecked bundle: %+v", got)
	}
}
