//go:build !(js && wasm) || nodecli

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/draw"

	"github.com/glimpse/glimpse/model/explain"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

// explainModel is the small shared model and its card: explain runs it
// about 200 times a photo.
func explainModel(t *testing.T) []string {
	t.Helper()
	needShared(t)
	return []string{"-model", filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx"),
		"-card", filepath.Join("..", "testdata", "cards", "mobilenet_v1_0.25_128.json")}
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := imagefile.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// explainLine is one line of explain -json.
type explainLine struct {
	Photo  string    `json:"photo"`
	Class  int       `json:"class"`
	Label  string    `json:"label"`
	Prob   float32   `json:"prob"`
	Method string    `json:"method"`
	Rows   int       `json:"rows"`
	Cols   int       `json:"cols"`
	Heat   []float32 `json:"heat"`
	Region []int     `json:"region"`
}

// readExplain parses explain -json output: exactly the fields named, one
// object a line, and a heat grid of non-negative numbers.
func readExplain(t *testing.T, stdout string) []explainLine {
	t.Helper()
	var out []explainLine
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &keys); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		got := slices.Sorted(func(yield func(string) bool) {
			for k := range keys {
				if !yield(k) {
					return
				}
			}
		})
		if want := []string{"class", "cols", "heat", "label", "method", "photo", "prob", "region", "rows"}; !slices.Equal(got, want) {
			t.Fatalf("fields %v, want %v", got, want)
		}
		var e explainLine
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Rows < 1 || e.Cols < 1 || e.Rows*e.Cols != len(e.Heat) {
			t.Fatalf("%s: %dx%d cells, %d heat values", e.Photo, e.Rows, e.Cols, len(e.Heat))
		}
		total := 0.0
		for i, v := range e.Heat {
			if v < 0 {
				t.Fatalf("%s: heat[%d] = %v", e.Photo, i, v)
			}
			total += float64(v)
		}
		if total <= 0 {
			t.Errorf("%s: no heat", e.Photo)
		}
		if !slices.Contains(explain.Methods, e.Method) || !(e.Prob > 0 && e.Prob <= 1) || len(e.Region) != 4 {
			t.Errorf("%s: method %q prob %v region %v", e.Photo, e.Method, e.Prob, e.Region)
		}
		out = append(out, e)
	}
	return out
}

// explain -json: one object a photo with the fields named, the top class
// as classify gives it, and the region inside the photo (the largest
// centred square: the card's crop is 1, parrot.jpg is 512x929, coffee.png
// 600x400); -o writes OUT-1.png and
// OUT-2.png, the photos with the heat over them, of the photos' sizes.
// The small model's class score depends on its last 4x4 feature map
// through ops with gradients, so the default method is gradcam (on that
// grid, its hottest cell 1); -method occlusion and -method gradcam say so.
// The input-gradient methods give one cell a model-input pixel (128x128).
func TestExplainJSON(t *testing.T) {
	for _, m := range []struct{ flag, method string }{{"", "gradcam"}, {"gradcam", "gradcam"}, {"gradcam++", "gradcam++"}, {"occlusion", "occlusion"},
		{"gradinput", "gradinput"}, {"ig", "ig"}, {"smoothgrad", "smoothgrad"}} {
		t.Run(m.method+"/"+m.flag, func(t *testing.T) { testExplainJSON(t, m.flag, m.method) })
	}
}

func testExplainJSON(t *testing.T, flag, method string) {
	model := explainModel(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "heat.png")
	photos := []string{filepath.Join(shared, "photos", "parrot.jpg"), filepath.Join(shared, "photos", "coffee.png")}
	args := []string{"explain", "-json", "-o", out}
	if flag != "" {
		args = append(args, "-method", flag)
	}
	code, stdout, stderr := run(append(append(args, model...), photos...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := readExplain(t, stdout)
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), stdout)
	}
	for _, e := range lines {
		if e.Method != method {
			t.Errorf("%s: method %q, want %q", e.Photo, e.Method, method)
		}
		grid := 4
		if method == "gradinput" || method == "ig" || method == "smoothgrad" {
			grid = 128
		}
		if method != "occlusion" && (e.Rows != grid || e.Cols != grid || slices.Max(e.Heat) != 1) {
			t.Errorf("%s: %dx%d cells, hottest %v; want %dx%[5]d, 1", e.Photo, e.Rows, e.Cols, slices.Max(e.Heat), grid)
		}
	}
	for i, want := range []struct {
		label  string
		class  int
		region []int
	}{{"macaw", 88, []int{0, 208, 512, 720}}, {"espresso", 967, []int{100, 0, 500, 400}}} {
		e := lines[i]
		if e.Photo != photos[i] || e.Label != want.label || e.Class != want.class {
			t.Errorf("line %d: %s class %d %q, want %s class %d %q", i, e.Photo, e.Class, e.Label, photos[i], want.class, want.label)
		}
		b := decodeFile(t, photos[i]).Bounds()
		r := image.Rect(e.Region[0], e.Region[1], e.Region[2], e.Region[3])
		if r.Empty() || !r.In(image.Rect(0, 0, b.Dx(), b.Dy())) {
			t.Errorf("%s: region %v not inside the %dx%d photo", e.Photo, r, b.Dx(), b.Dy())
		}
		if !slices.Equal(e.Region, want.region) {
			t.Errorf("%s: region %v, want %v", e.Photo, e.Region, want.region)
		}
		written := fmt.Sprintf("%s-%d.png", strings.TrimSuffix(out, ".png"), i+1)
		data, err := os.ReadFile(written)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", written, err)
		}
		if m.Bounds().Size() != b.Size() {
			t.Errorf("%s is %v, the photo %v", written, m.Bounds().Size(), b.Size())
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written for two photos", out)
	}
}

// The text output names the class and says where the heat is; with one
// photo -o writes OUT itself.
func TestExplainText(t *testing.T) {
	model := explainModel(t)
	out := filepath.Join(t.TempDir(), "coffee heat.png")
	photo := filepath.Join(shared, "photos", "coffee.png")
	code, stdout, stderr := run(append(append([]string{"explain", "-patch", "32", "-stride", "16", "-o", out}, model...), photo)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{photo + ": espresso", "class 967; occlusion, 8x8 cells", "hottest: the ", "of the part the model reads", "of 600x400", "wrote " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}
	m := decodeFile(t, out)
	if m.Bounds().Dx() != 600 || m.Bounds().Dy() != 400 {
		t.Errorf("overlay %v, want 600x400", m.Bounds())
	}
}

// Without occlusion's flags the small model is explained with Grad-CAM:
// its 4x4 grid, and where the heat is, without occlusion's probability drop.
func TestExplainTextGradCAM(t *testing.T) {
	model := explainModel(t)
	photo := filepath.Join(shared, "photos", "coffee.png")
	code, stdout, stderr := run(append(append([]string{"explain"}, model...), photo)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{photo + ": espresso", "class 967; gradcam, 4x4 cells", "hottest: the ", "of the part the model reads", "of 600x400"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "probability drops") {
		t.Errorf("occlusion's wording for a gradcam heat:\n%s", stdout)
	}
}

// Bad use is one line on stderr and exit status 2; a photo that cannot be
// explained is one line and status 1.
func TestExplainErrors(t *testing.T) {
	model := explainModel(t)
	photo := filepath.Join(shared, "photos", "coffee.png")
	notImage := write(t, "notes.txt", []byte("not a photo"))
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown method", []string{"-method", "lime", photo}, 2, `-method "lime": the methods are occlusion, gradcam`},
		{"layer with occlusion", []string{"-method", "occlusion", "-layer", "x", photo}, 2, "-layer is for -method gradcam"},
		{"layer with ig", []string{"-method", "ig", "-layer", "x", photo}, 2, "-layer is for -method gradcam"},
		{"steps with gradcam", []string{"-method", "gradcam", "-steps", "4", photo}, 2, "-steps is for -method ig"},
		{"samples with ig", []string{"-method", "ig", "-samples", "4", photo}, 2, "-samples is for -method smoothgrad"},
		{"steps and patch", []string{"-steps", "4", "-patch", "8", photo}, 2, "the flags given are for different methods (occlusion, ig): choose one with -method"},
		{"zero steps", []string{"-steps", "0", photo}, 2, "-steps and -samples must be positive"},
		{"negative samples", []string{"-samples", "-1", photo}, 2, "-steps and -samples must be positive"},
		{"rollout of a CNN", []string{"-method", "rollout", photo}, 1, "rollout: the model has no attention"},
		{"unknown layer", []string{"-layer", "nope", photo}, 1, `gradcam: the model has no tensor "nope"`},
		{"layer not spatial", []string{"-method", "gradcam", "-layer", "MobilenetV1/Logits/SpatialSqueeze1", photo}, 1, "not a spatial feature map"},
		{"class past the model's", []string{"-class", "1000", photo}, 2, "-class 1000 out of range: the model has 1000 classes"},
		{"negative class", []string{"-class", "-2", photo}, 2, "-class -2"},
		{"patch past the input", []string{"-patch", "129", photo}, 2, "-patch 129 out of range: the model's input is 128x128"},
		{"stride past the patch", []string{"-patch", "8", "-stride", "9", photo}, 2, "-stride 9 out of range"},
		{"unknown baseline", []string{"-baseline", "noise", photo}, 2, `-baseline "noise"`},
		{"no photos", nil, 2, "explain: no photos given"},
		{"missing photo", []string{filepath.Join(t.TempDir(), "gone.jpg")}, 1, "gone.jpg: no such file"},
		{"not an image", []string{notImage}, 1, "notes.txt: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(append(append([]string{"explain"}, model...), tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "glimpse: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q: want one line with %q", stderr, tc.want)
			}
		})
	}
}

// A cat pasted into each quadrant of a grey canvas, explained in one run
// through the command line: most of each photo's heat lies in the
// quadrant the cat is in (fractional for a grid split by the middle).
func TestExplainQuadrants(t *testing.T) {
	model := explainModel(t)
	cat := decodeFile(t, filepath.Join(shared, "photos", "chelsea.png"))
	b := cat.Bounds()
	s := min(b.Dx(), b.Dy())
	src := image.Rect(b.Min.X+(b.Dx()-s)/2, b.Min.Y+(b.Dy()-s)/2, b.Min.X+(b.Dx()-s)/2+s, b.Min.Y+(b.Dy()-s)/2+s)
	dir := t.TempDir()
	var photos []string
	for q := 0; q < 4; q++ {
		m := image.NewRGBA(image.Rect(0, 0, 256, 256))
		stddraw.Draw(m, m.Rect, image.NewUniform(color.RGBA{128, 128, 128, 255}), image.Point{}, stddraw.Src)
		draw.BiLinear.Scale(m, image.Rect(q%2*128, q/2*128, q%2*128+128, q/2*128+128), cat, src, draw.Src, nil)
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		photos = append(photos, filepath.Join(dir, fmt.Sprintf("q%d.png", q)))
		if err := os.WriteFile(photos[q], buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := run(append(append([]string{"explain", "-json"}, model...), photos...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := readExplain(t, stdout)
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	half := func(i, n int, second bool) float64 { // the part of cell i of n in the first (or second) half
		f := (min(float64(i+1)/float64(n), 0.5) - min(float64(i)/float64(n), 0.5)) * float64(n)
		if second {
			return 1 - f
		}
		return f
	}
	for q, e := range lines {
		if !slices.Equal(e.Region, []int{0, 0, 256, 256}) {
			t.Errorf("q%d: region %v, want the whole canvas", q, e.Region)
		}
		in, total := 0.0, 0.0
		for r := 0; r < e.Rows; r++ {
			for c := 0; c < e.Cols; c++ {
				v := float64(e.Heat[r*e.Cols+c])
				in += v * half(r, e.Rows, q/2 == 1) * half(c, e.Cols, q%2 == 1)
				total += v
			}
		}
		t.Logf("q%d: %s (%.2f), %.0f%% of the heat in the quadrant", q, e.Label, e.Prob, 100*in/total)
		if in/total <= 0.5 {
			t.Errorf("q%d: %.0f%% of the heat in the cat's quadrant, want more than half", q, 100*in/total)
		}
	}
}

// -steps alone means integrated gradients, -samples alone SmoothGrad,
// each on the model input's grid; the text output names the method.
func TestExplainGradientFlags(t *testing.T) {
	model := explainModel(t)
	photo := filepath.Join(shared, "photos", "coffee.png")
	for _, tc := range []struct {
		flags []string
		want  string
	}{{[]string{"-steps", "4"}, "class 967; ig, 128x128 cells"}, {[]string{"-samples", "2"}, "class 967; smoothgrad, 128x128 cells"},
		{[]string{"-method", "gradinput"}, "class 967; gradinput, 128x128 cells"}} {
		code, stdout, stderr := run(append(append(append([]string{"explain"}, tc.flags...), model...), photo)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.flags, code, stderr)
		}
		for _, want := range []string{photo + ": espresso", tc.want, "hottest: the "} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v: no %q in\n%s", tc.flags, want, stdout)
			}
		}
	}
}

// A ViT (the zoo's, random weights, its card derived) is explained with
// attention rollout by default: a 14x14 heat on its patch grid. An
// input-gradient method on it either works (once model/grad has every
// op the ViT uses) or fails with one line that names the op and points to
// occlusion.
func TestExplainRollout(t *testing.T) {
	needShared(t)
	vit := filepath.Join(shared, "zoo", "vit_tiny_p16_opset17", "model.onnx")
	if _, err := os.Stat(vit); err != nil {
		t.Skip("shared zoo not available")
	}
	photo := filepath.Join(shared, "photos", "parrot.jpg")
	for _, flags := range [][]string{nil, {"-method", "rollout"}} {
		code, stdout, stderr := run(append(append([]string{"explain", "-json", "-model", vit}, flags...), photo)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", flags, code, stderr)
		}
		lines := readExplain(t, stdout)
		if len(lines) != 1 || lines[0].Method != "rollout" || lines[0].Rows != 14 || lines[0].Cols != 14 || slices.Max(lines[0].Heat) != 1 {
			t.Errorf("%v: %+v: want one rollout heat of 14x14, hottest 1", flags, lines)
		}
	}
	code, stdout, stderr := run("explain", "-json", "-model", vit, "-method", "gradinput", photo)
	switch code {
	case 0:
		if lines := readExplain(t, stdout); len(lines) != 1 || lines[0].Rows != 224 {
			t.Errorf("gradinput: %q", stdout)
		}
	case 1:
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "grad: no gradient for op") || !strings.Contains(stderr, "-method occlusion explains any model") {
			t.Errorf("gradinput: stderr %q", stderr)
		}
	default:
		t.Errorf("gradinput: exit %d: %s", code, stderr)
	}
}
