//go:build js && wasm

package bridge

import (
	"strings"
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
// unoptimised one, which still classifies. check(bytes) checks a file alone.
func TestCheck(t *testing.T) {
	g := newGo(t)
	mustLoad(t, g, "")
	var r checkResult
	v, err := await(g.Call("check"))
	if err != nil {
		t.Fatal(err)
	}
	decode(t, v, &r)
	if r.Verdict != "ok" || r.Notice != "" || len(r.SelfCheck.Outputs) != 1 || r.SelfCheck.Outputs[0].MaxAbsDiff > r.SelfCheck.Outputs[0].Atol {
		t.Fatalf("check() = %+v", r)
	}
	var info struct {
		Checked  string `json:"checked"`
		Fallback string `json:"fallback"`
		OpsRun   int    `json:"opsRun"`
	}
	decode(t, g.Call("info"), &info)
	if info.Checked != "ok" || info.Fallback != "" {
		t.Errorf("info() after the check: %+v", info)
	}

	if res := g.Call("injectMismatch"); res.Get("ok").Bool() != true {
		t.Fatalf("injectMismatch: %v", res)
	}
	if v, err = await(g.Call("check")); err != nil {
		t.Fatal(err)
	}
	r = checkResult{}
	decode(t, v, &r)
	if r.Verdict != "mismatch" || !strings.HasPrefix(r.Notice, `using the unoptimised program because output "probs"`) {
		t.Fatalf("check() after injectMismatch = %+v", r)
	}
	decode(t, g.Call("info"), &info)
	if info.Checked != "mismatch" || info.Fallback != r.Notice || info.OpsRun != 4 {
		t.Errorf("info() after the fallback: %+v", info)
	}
	wantTop1(t, classify(t, g, clamped(image(8, 8, solid(green))), 8, 8, 3), "green")

	if v, err = await(g.Call("check", uint8Array(unsupportedModel()))); err != nil {
		t.Fatal(err)
	}
	r = checkResult{}
	decode(t, v, &r)
	if r.Verdict != "cannot run" || len(r.Unsupported) != 1 || r.Unsupported[0].Op != "NonMaxSuppression" || r.Unsupported[0].Nodes[0] != "nms_7" {
		t.Errorf("check(unsupported) = %+v", r)
	}
	if _, err = await(g.Call("check", uint8Array([]byte("not onnx")))); err == nil {
		t.Errorf("check(garbage) resolved")
	}
}
