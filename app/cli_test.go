//go:build !(js && wasm) || nodecli

package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

const shared = "../../shared"

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = runCLI(args, &o, &e)
	return code, o.String(), e.String()
}

func needShared(t *testing.T) {
	if _, err := os.Stat(filepath.Join(shared, "models")); err != nil {
		t.Skip("shared models not available")
	}
}

func write(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each bad input ends with one line on stderr and a non-zero exit status,
// never a panic or a stack trace.
func TestBadInputOneLineError(t *testing.T) {
	needShared(t)
	v1 := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	v1data, err := os.ReadFile(v1)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile(filepath.Join(shared, "photos", "dog.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	unsupported := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 3, 8, 8}}},
		Nodes:   []onnxtest.Node{{Op: "Relu", Name: "ok", Inputs: []string{"x"}, Outputs: []string{"r"}}, {Op: "FancyWarp", Name: "warp_1", Inputs: []string{"r"}, Outputs: []string{"y"}}},
	}.Bytes()
	cases := []struct {
		name string
		args []string
		want string // a fragment of the message
	}{
		{"unsupported op", []string{"classify", "-model", write(t, "fancy.onnx", unsupported), write(t, "a.jpg", photo)}, `unsupported op FancyWarp in node "warp_1"`},
		{"unsupported op infer", []string{"infer", "-model", write(t, "fancy.onnx", unsupported), "-input", write(t, "in.bin", make([]byte, 4*3*64)), "-output", filepath.Join(t.TempDir(), "o.bin")}, "FancyWarp"},
		{"empty onnx", []string{"classify", "-model", write(t, "empty.onnx", nil), write(t, "a.jpg", photo)}, "empty ONNX file"},
		{"truncated onnx", []string{"classify", "-model", write(t, "cut.onnx", v1data[:len(v1data)/3]), write(t, "a.jpg", photo)}, "cut.onnx"},
		{"garbage onnx", []string{"classify", "-model", write(t, "junk.onnx", bytes.Repeat([]byte("garbage!"), 500)), write(t, "a.jpg", photo)}, "junk.onnx"},
		{"missing model", []string{"classify", "-model", "/nonexistent/m.onnx", write(t, "a.jpg", photo)}, "no such file"},
		{"zero-size image", []string{"classify", "-model", v1, write(t, "zero.jpg", nil)}, "empty image"},
		{"corrupt image", []string{"classify", "-model", v1, write(t, "bad.png", []byte("\x89PNG\r\n\x1a\nnot really"))}, "bad.png"},
		{"truncated image", []string{"classify", "-model", v1, write(t, "half.jpg", photo[:len(photo)/2])}, "half.jpg"},
		{"unreadable image", []string{"classify", "-model", v1, "/nonexistent/photo.jpg"}, "no such file"},
		{"text as image", []string{"classify", "-model", v1, write(t, "notes.jpg", []byte("hello world"))}, "unknown image format"},
		{"wrong input size", []string{"infer", "-model", v1, "-input", write(t, "short.bin", make([]byte, 100)), "-output", filepath.Join(t.TempDir(), "o.bin")}, "has 100 bytes"},
		{"no photos", []string{"classify", "-model", v1}, "no photos"},
		{"bad flag", []string{"classify", "-frobnicate"}, "frobnicate"},
		{"unknown command", []string{"explode"}, "unknown command"},
		{"infer missing flags", []string{"infer", "-model", v1}, "required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(c.args...)
			if code == 0 {
				t.Fatalf("exit 0, stderr %q", stderr)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines: %q", len(lines), stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "internal error") {
				t.Errorf("stderr looks like a crash: %q", stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q lacks %q", stderr, c.want)
			}
		})
	}
}

// classify -json prints one JSON object per photo with the documented fields,
// and the default model (no -model) is found from the checkout.
func TestClassifyJSON(t *testing.T) {
	needShared(t)
	defaultModelDirs = []string{filepath.Join(shared, "models", "mobilenet_v2_1.0_224")}
	photos := []string{filepath.Join(shared, "photos", "parrot.jpg"), filepath.Join(shared, "photos", "coffee.png")}
	code, stdout, stderr := run(append([]string{"classify", "-json", "-top", "3"}, photos...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), stdout)
	}
	want := []string{"macaw", "espresso"}
	for i, line := range lines {
		var r struct {
			File string `json:"file"`
			Top  []struct {
				Index int     `json:"index"`
				Label string  `json:"label"`
				Prob  float64 `json:"prob"`
			} `json:"top"`
			Ms *float64 `json:"ms"`
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if r.File != photos[i] || len(r.Top) != 3 || r.Ms == nil || *r.Ms <= 0 {
			t.Errorf("line %q", line)
		}
		if r.Top[0].Label != want[i] || r.Top[0].Prob < 0.9 || r.Top[0].Prob < r.Top[1].Prob {
			t.Errorf("%s: top %+v, want %s first", photos[i], r.Top, want[i])
		}
	}
}

// infer writes the first output as raw float32 that matches ONNX Runtime.
func TestInferMatchesReference(t *testing.T) {
	needShared(t)
	dir := filepath.Join(shared, "zoo", "squeezenet1_1")
	out := filepath.Join(t.TempDir(), "out.bin")
	code, stdout, stderr := run("infer", "-model", filepath.Join(dir, "model.onnx"), "-input", filepath.Join(dir, "input_1.bin"), "-output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "[1 1000]") {
		t.Errorf("stdout %q", stdout)
	}
	got, _ := os.ReadFile(out)
	ref, _ := os.ReadFile(filepath.Join(dir, "output_1.bin"))
	if len(got) != len(ref) {
		t.Fatalf("%d bytes, reference %d", len(got), len(ref))
	}
	g, r := f32s(got), f32s(ref)
	for i := range r {
		if d := g[i] - r[i]; d > 2e-5 || d < -2e-5 {
			t.Fatalf("value %d: %g vs ORT %g", i, g[i], r[i])
		}
	}
}

func f32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		u := uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
		out[i] = math.Float32frombits(u)
	}
	return out
}
