//go:build !(js && wasm) || nodecli

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// check on a zoo model: the readable report, then the same as JSON.
func TestCheckZooModel(t *testing.T) {
	needShared(t)
	m := filepath.Join(shared, "zoo", "squeezenet1_1", "model.onnx")
	code, stdout, stderr := run("check", "-runs", "1", m)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"opset 13", `"input" float32 [1, 3, 224, 224]`, "1.24 M parameters",
		"FusedConv", "26 fused or removed", "every node that computes runs on the GPU", `output "logits" [1 1000]: max |diff|`,
		"verdict   ok: it runs here"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = run("check", "-json", "-runs", "1", m)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		File    string `json:"file"`
		Opset   int    `json:"opset"`
		Params  int    `json:"params"`
		Verdict string `json:"verdict"`
		Ops     []struct {
			Op     string `json:"op"`
			Count  int    `json:"count"`
			CPU    bool   `json:"cpu"`
			Fused  int    `json:"fused"`
			Runs   int    `json:"runs"`
			WebGPU string `json:"webgpu"`
		} `json:"ops"`
		Compile struct {
			Fused, Runs int
		} `json:"compile"`
		SelfCheck struct {
			Outputs []struct {
				Name       string  `json:"name"`
				MaxAbsDiff float64 `json:"max_abs_diff"`
				Atol       float64 `json:"atol"`
			} `json:"outputs"`
		} `json:"self_check"`
		Timing struct {
			OptimisedMs float64 `json:"optimised_ms"`
		} `json:"timing"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if r.File != m || r.Opset != 13 || r.Params != 1235496 || r.Verdict != "ok" || r.Compile.Fused != 26 || r.Compile.Runs != 39 {
		t.Errorf("report %+v", r)
	}
	if o := r.SelfCheck.Outputs; len(o) != 1 || o[0].Name != "logits" || o[0].MaxAbsDiff > o[0].Atol || o[0].Atol <= 0 {
		t.Errorf("self-check %+v", o)
	}
	if r.Timing.OptimisedMs <= 0 {
		t.Errorf("timing %+v", r.Timing)
	}
	ops := map[string]string{}
	for _, o := range r.Ops {
		ops[o.Op] = o.WebGPU
	}
	if ops["FusedConv"] != "gpu" || ops["Concat"] != "gpu" || r.Ops[0].Op != "Conv" || r.Ops[0].Count != 26 || r.Ops[0].Fused != 26 {
		t.Errorf("ops %+v", r.Ops)
	}
}

// A model with an op Glimpse lacks: the report names it and the node, and
// the exit status is 1 with one line on stderr.
func TestCheckUnsupported(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 3, 8, 8}}},
		Nodes: []onnxtest.Node{{Op: "Relu", Name: "ok", Inputs: []string{"x"}, Outputs: []string{"r"}},
			{Op: "FancyWarp", Name: "warp_1", Inputs: []string{"r"}, Outputs: []string{"y"}}},
	}.Bytes()
	path := write(t, "fancy.onnx", m)
	code, stdout, stderr := run("check", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stdout, "FancyWarp") || !strings.Contains(stdout, "UNSUPPORTED") || !strings.Contains(stdout, `missing   FancyWarp: node "warp_1"`) {
		t.Errorf("report:\n%s", stdout)
	}
	want := `glimpse: fancy.onnx: cannot run: the CPU backend lacks 1 op: FancyWarp (node "warp_1")` + "\n"
	if stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	code, stdout, _ = run("check", "-json", path)
	var r struct {
		Verdict     string `json:"verdict"`
		Unsupported []struct {
			Op    string   `json:"op"`
			Count int      `json:"count"`
			Nodes []string `json:"nodes"`
		} `json:"unsupported"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 1 {
		t.Fatalf("exit %d, %v: %s", code, err, stdout)
	}
	if r.Verdict != "cannot run" || len(r.Unsupported) != 1 || r.Unsupported[0].Op != "FancyWarp" || r.Unsupported[0].Nodes[0] != "warp_1" {
		t.Errorf("%+v", r)
	}
}

// Symbolic image sizes: -input-shape fixes them; without it the size is
// the one the classifier would use (224).
func TestCheckInputShape(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{"N", 3, "H", "W"}}},
		Outputs: []onnxtest.Value{{Name: "y"}},
		Nodes: []onnxtest.Node{{Op: "Relu", Name: "r", Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Op: "GlobalAveragePool", Name: "g", Inputs: []string{"a"}, Outputs: []string{"y"}}},
	}.Bytes()
	path := write(t, "sym.onnx", m)
	shape := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := run(append(append([]string{"check", "-json", "-runs", "1"}, args...), path)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r struct {
			Inputs []struct {
				Dims  []string `json:"dims"`
				Shape []int    `json:"shape"`
			} `json:"inputs"`
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		if strings.Join(r.Inputs[0].Dims, ",") != "N,3,H,W" {
			t.Errorf("dims %q", r.Inputs[0].Dims)
		}
		b, _ := json.Marshal(r.Inputs[0].Shape)
		return string(b)
	}
	if got := shape("-input-shape", "x=1,3,16,20"); got != "[1,3,16,20]" {
		t.Errorf("with -input-shape: %s", got)
	}
	if got := shape(); got != "[1,3,224,224]" {
		t.Errorf("default: %s", got)
	}
	for _, c := range []struct{ arg, want string }{
		{"x=1,3,zero,4", "not a positive integer"},
		{"nope", "name=d1,d2"},
		{"z=1,2", `no input "z"`},
	} {
		code, _, stderr := run("check", "-input-shape", c.arg, path)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("-input-shape %s: exit %d, %q", c.arg, code, stderr)
		}
	}
}

// classify -verify checks the model first; a healthy one keeps the
// optimised program, and nothing is said.
func TestClassifyVerify(t *testing.T) {
	needShared(t)
	m := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	code, stdout, stderr := run("classify", "-verify", "-model", m, filepath.Join(shared, "photos", "parrot.jpg"))
	if code != 0 || stderr != "" || !strings.Contains(stdout, "parrot.jpg") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
}
