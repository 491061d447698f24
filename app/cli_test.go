//go:build !(js && wasm) || nodecli

package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
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
	code, stdout, stderr := run("infer", "-model", filepath.Join(dir, "model.onnx"), "-input", filepath.Join(dir, "input_1.bin"), "-output", out, "-workers", "2", "-runs", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "[1 1000]") || !regexp.MustCompile(`2 workers, 2 runs each: [0-9.]+ images/s, [0-9.]+ ms per image`).MatchString(stdout) {
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

// Labels and file names a stranger can choose: a spreadsheet formula, a
// terminal colour code, a tab and a carriage return.
const (
	formulaLabel = "=cmd|' /C calc'!A0"
	escLabel     = "\x1b[31mred\x1b[0m"
	tabLabel     = "tab\there"
)

// brokenModel writes, into a new folder, a 3-class model whose logits are
// Log of the normalised mean of each colour channel, with labels.txt beside
// it (formulaLabel, escLabel, tabLabel). A bright photo gets finite scores
// (a reddish one scores class 0 highest); a dark one has negative means,
// so Log gives NaN, and softmax spreads that over every class. With card
// "none" the raw logits are the probabilities. No model file is committed.
func brokenModel(t *testing.T, cardJSON string) string {
	t.Helper()
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 3}}},
		Nodes: []onnxtest.Node{
			{Op: "GlobalAveragePool", Inputs: []string{"x"}, Outputs: []string{"g"}},
			{Op: "Flatten", Inputs: []string{"g"}, Outputs: []string{"f"}},
			{Op: "Log", Inputs: []string{"f"}, Outputs: []string{"y"}},
		},
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "model.onnx")
	files := map[string][]byte{"model.onnx": m.Bytes(), "labels.txt": []byte(formulaLabel + "\n" + escLabel + "\n" + tabLabel + "\n")}
	if cardJSON != "" {
		files["card.json"] = []byte(cardJSON)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

var (
	reddish = color.RGBA{255, 130, 110, 255} // class 0 (formulaLabel) at about 87%
	black   = color.RGBA{0, 0, 0, 255}       // NaN for every class
)

// photo writes a 16×16 PNG of one colour.
func photo(t *testing.T, path string, c color.Color) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawControl finds a control character that would reach a terminal raw.
func rawControl(s string) (rune, bool) {
	for _, r := range strings.ReplaceAll(s, "\n", "") {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e {
			return r, true
		}
	}
	return 0, false
}

func TestTermSafe(t *testing.T) {
	cases := []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{`C:\photos\a.jpg`, `C:\photos\a.jpg`}, // backslashes stay: only controls are escaped
		{"café 猫 🐱 ½", "café 猫 🐱 ½"},
		{escLabel, `\x1b[31mred\x1b[0m`},
		{"a\rb\tc\nd", `a\rb\tc\nd`},
		{"\x00\x07\x7f", `\x00\a\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bad utf-8 \x9b31m \xff", `bad utf-8 \x9b31m \xff`},
		{"evil\u202egpj.exe", `evil\u202egpj.exe`},
		{"line\u2028sep", `line\u2028sep`},
		{formulaLabel, formulaLabel}, // a terminal does not run formulas
	}
	for _, c := range cases {
		if got := termSafe(c.in); got != c.want {
			t.Errorf("termSafe(%q) = %q, want %q", c.in, got, c.want)
		}
		if _, bad := rawControl(termSafe(c.in)); bad {
			t.Errorf("termSafe(%q) leaves a control character", c.in)
		}
	}
	if got := termText("a\x1b]0;x\x07\nb\n"); got != `a\x1b]0;x\a`+"\nb\n" {
		t.Errorf("termText kept %q", got)
	}
}

// A model that outputs NaN or ±Inf does not abort classify: every photo is
// written (JSON stays valid, with null and a warning; text shows NaN), and
// the exit status is 1.
func TestClassifyNonFinite(t *testing.T) {
	dir := t.TempDir()
	dark := photo(t, filepath.Join(dir, "dark.png"), black)
	red := photo(t, filepath.Join(dir, "red.png"), reddish)
	softmax, none := brokenModel(t, ""), brokenModel(t, `{"output": {"activation": "none"}}`)
	type score struct {
		Index     int      `json:"index"`
		Label     string   `json:"label"`
		Prob      *float64 `json:"prob"`
		NonFinite string   `json:"nonfinite"`
	}
	type line struct {
		File    string  `json:"file"`
		Top     []score `json:"top"`
		Ms      float64 `json:"ms"`
		Warning string  `json:"warning"`
	}
	decode := func(t *testing.T, stdout string) []line {
		var out []line
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var r line
			dec := json.NewDecoder(strings.NewReader(l))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			out = append(out, r)
		}
		return out
	}
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		{"json softmax: NaN everywhere", []string{"classify", "-json", "-model", softmax, dark, red}, func(t *testing.T, stdout string) {
			recs := decode(t, stdout)
			if len(recs) != 2 || recs[0].File != dark || recs[1].File != red {
				t.Fatalf("photos %+v", recs)
			}
			if !strings.Contains(recs[0].Warning, "NaN scores for 3 of 3 classes") {
				t.Errorf("dark photo warning %q", recs[0].Warning)
			}
			for _, s := range recs[0].Top {
				if s.Prob != nil || s.NonFinite != "NaN" {
					t.Errorf("dark photo score %+v, want null prob and nonfinite NaN", s)
				}
			}
			if recs[1].Warning != "" || recs[1].Top[0].Label != formulaLabel || recs[1].Top[0].Prob == nil || *recs[1].Top[0].Prob < 0.8 {
				t.Errorf("the good photo: %+v", recs[1])
			}
		}},
		{"json none: NaN and ±Inf", []string{"classify", "-json", "-model", none, red, dark}, func(t *testing.T, stdout string) {
			recs := decode(t, stdout)
			if len(recs) != 2 || recs[1].File != dark || recs[0].Warning != "" {
				t.Fatalf("photos %+v", recs)
			}
			for _, s := range recs[1].Top {
				if s.Prob != nil || s.NonFinite != "NaN" {
					t.Errorf("score %+v", s)
				}
			}
		}},
		{"text shows NaN plainly", []string{"classify", "-model", softmax, red, dark}, func(t *testing.T, stdout string) {
			if !strings.Contains(stdout, "red.png (") || !regexp.MustCompile(`(?m)^ +NaN  `).MatchString(stdout) {
				t.Errorf("stdout %q", stdout)
			}
			if !strings.Contains(stdout, "  "+formulaLabel) || !strings.Contains(stdout, `\x1b[31mred\x1b[0m`) || !strings.Contains(stdout, `tab\there`) {
				t.Errorf("labels not shown, or not escaped: %q", stdout)
			}
			if r, bad := rawControl(stdout); bad {
				t.Errorf("raw %q in %q", r, stdout)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(c.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr %q", code, stderr)
			}
			if strings.Contains(stderr, "json:") || strings.Contains(stderr, "internal error") {
				t.Errorf("stderr %q", stderr)
			}
			if !strings.Contains(stderr, "dark.png: the model produced NaN scores") || strings.Contains(stderr, "red.png") {
				t.Errorf("stderr %q: want a warning for dark.png only", stderr)
			}
			c.check(t, stdout)
		})
	}
	// The same photos through a working pipeline: exit 0, no warning.
	if code, stdout, stderr := run("classify", "-json", "-model", softmax, red); code != 0 || strings.Contains(stdout, "warning") {
		t.Errorf("good photo: exit %d, %s %s", code, stdout, stderr)
	}
}

// A card whose numbers would turn every input into ±Inf or NaN is refused
// with one line naming the field.
func TestClassifyAbsurdCard(t *testing.T) {
	red := photo(t, filepath.Join(t.TempDir(), "red.png"), reddish)
	m := brokenModel(t, "")
	for _, c := range []struct{ card, want string }{
		{`{"input": {"mean": 3e38, "std": 1e-38}}`, "input.mean[0] 3e+38 out of range"},
		{`{"input": {"mean": 3e38, "std": 1e-38}}`, "input.std[2] 1e-38 out of range"},
		{`{"input": {"std": [1, 1e-9, 1]}}`, "input.std[1] 1e-09 out of range"},
		{`{"input": {"std": 1e30}}`, "input.std[0] 1e+30 out of range"},
		{`{"input": {"mean": [0, -2e6, 0]}}`, "input.mean[1] -2e+06 out of range"},
	} {
		code, stdout, stderr := run("classify", "-card", write(t, "card.json", []byte(c.card)), "-model", m, red)
		if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want one line with %q", c.card, code, stdout, stderr, c.want)
		}
	}
}

// check and compile print a stranger's names (the file's, its ops') with
// their control characters escaped.
func TestCheckCompileEscapeNames(t *testing.T) {
	weird := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 3, 8, 8}}},
		Nodes:   []onnxtest.Node{{Op: "Evil\x1b]0;pwned\x07Op", Name: "n\x1b[2J", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}.Bytes()
	bad := write(t, "m\x1b[31m.onnx", weird)
	code, stdout, stderr := run("check", bad)
	if code != 1 || !strings.Contains(stdout, `m\x1b[31m.onnx`) || !strings.Contains(stdout, `Evil\x1b]0;pwned\aOp`) {
		t.Errorf("check: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	for _, out := range []string{stdout, stderr} {
		if r, found := rawControl(out); found {
			t.Errorf("check: raw %q in %q", r, out)
		}
	}

	src, _ := os.ReadFile(brokenModel(t, ""))
	dir := t.TempDir()
	m := filepath.Join(dir, "m\x1b[2J\r.onnx")
	os.WriteFile(m, src, 0o644)
	code, stdout, stderr = run("compile", m)
	if code != 0 || !strings.Contains(stdout, `m\x1b[2J\r.glimpse: `) {
		t.Errorf("compile: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	for _, out := range []string{stdout, stderr} {
		if r, found := rawControl(out); found {
			t.Errorf("compile: raw %q in %q", r, out)
		}
	}
}
