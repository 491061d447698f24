//go:build !(js && wasm) || nodecli

package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/eval"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
	"github.com/glimpse/glimpse/model/train"
	"github.com/glimpse/glimpse/model/train/synth"
	"github.com/glimpse/glimpse/model/vision"
)

// required is set by make test: a missing reference tool fails instead of
// skipping.
var required = os.Getenv("GLIMPSE_CORPUS_REQUIRED") == "1"

func needTool(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if required {
		t.Fatalf("%s: %v (make deps installs it)", what, err)
	}
	t.Skipf("%s: %v", what, err)
}

// writeSet writes synth examples as PNG photos, one folder per class (or,
// multi, all in dir with a labels.csv), and returns their paths.
func writeSet(t *testing.T, dir string, ex []synth.Example, multi bool) []string {
	t.Helper()
	names := synth.Classes()
	var paths []string
	var csv strings.Builder
	csv.WriteString("file,labels\n")
	for i, e := range ex {
		d := dir
		if !multi {
			d = filepath.Join(dir, names[e.Classes[0]])
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%04d.png", i)
		f, err := os.Create(filepath.Join(d, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, e.Image); err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, filepath.Join(d, name))
		var ls []string
		for _, c := range e.Classes {
			ls = append(ls, names[c])
		}
		fmt.Fprintf(&csv, "%s,%s\n", name, strings.Join(ls, ";"))
	}
	if multi {
		if err := os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// features runs the backbone's feature extractor on photos.
func features(t *testing.T, backbone string, paths []string) [][]float32 {
	t.Helper()
	f, err := readModelFiles(backbone, "", "")
	if err != nil {
		t.Fatal(err)
	}
	f.Feature = train.Auto
	c, err := model.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float32
	for _, p := range paths {
		feats, err := photoFeatures(c, p, 0, train.Augment{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, feats[0])
	}
	return out
}

// trainBackbone is the backbone of the training tests: the default
// model, what people train on; GLIMPSE_TRAIN_BACKBONE names another.
func trainBackbone() string {
	if p := os.Getenv("GLIMPSE_TRAIN_BACKBONE"); p != "" {
		return p
	}
	return filepath.Join(shared, "models", "mobilenet_v2_1.0_224", "model.onnx")
}

// TestTrainBeatsProbe trains on a data set the backbone has never seen (8
// classes of drawn shapes and patterns, 20 photos each) through the
// command line, scores the model on 400 other photos with glimpse eval,
// and compares it with scikit-learn's logistic-regression probe
// (StandardScaler + LogisticRegression, C=1) fitted on the same backbone's
// features of every training photo: Glimpse must do at least as well. It
// then runs the exported ONNX model in ONNX Runtime: the same
// probabilities within 1e-4.
func TestTrainBeatsProbe(t *testing.T) {
	needShared(t)
	_, err := exec.LookPath("/usr/bin/python3")
	if err == nil {
		err = exec.Command("/usr/bin/python3", "-c", "import sklearn").Run()
	}
	needTool(t, "python3-sklearn", err)
	dir := t.TempDir()
	trainSet := synth.Single(1, 8, 20, 128)
	testSet := synth.Single(99, 8, 50, 128)
	trainPaths := writeSet(t, filepath.Join(dir, "train"), trainSet, false)
	testPaths := writeSet(t, filepath.Join(dir, "test"), testSet, false)
	backbone := trainBackbone()
	out := filepath.Join(dir, "model")

	code, stdout, stderr := run("train", "-q", "-model", backbone, "-seed", "1", "-out", out, filepath.Join(dir, "train"))
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"validation", "accuracy", "confusion matrix", "wrote " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train's report lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = run("eval", "-json", "-model", filepath.Join(out, "model.onnx"), filepath.Join(dir, "test"))
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s", code, stderr)
	}
	var rep eval.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}

	// The reference: scikit-learn on the same features.
	type split struct {
		X [][]float32 `json:"x"`
		Y []int       `json:"y"`
	}
	in := struct {
		Train split `json:"train"`
		Test  split `json:"test"`
		Multi bool  `json:"multi"`
	}{Train: split{X: features(t, backbone, trainPaths)}, Test: split{X: features(t, backbone, testPaths)}}
	for _, e := range trainSet {
		in.Train.Y = append(in.Train.Y, e.Classes[0])
	}
	for _, e := range testSet {
		in.Test.Y = append(in.Test.Y, e.Classes[0])
	}
	data, _ := json.Marshal(in)
	inPath, outPath := filepath.Join(dir, "probe-in.json"), filepath.Join(dir, "probe-out.json")
	if err := os.WriteFile(inPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command("/usr/bin/python3", "../model/train/testdata/probe.py", inPath, outPath).CombinedOutput(); err != nil {
		t.Fatalf("probe.py: %v: %s", err, msg)
	}
	var ref struct {
		Accuracy float64 `json:"accuracy"`
		MacroF1  float64 `json:"macro_f1"`
		Sklearn  string  `json:"sklearn"`
	}
	data, _ = os.ReadFile(outPath)
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out accuracy on %d photos: Glimpse %.3f (macro F1 %.3f), scikit-learn %s probe %.3f (macro F1 %.3f)",
		len(testSet), rep.Accuracy, rep.Macro.F1, ref.Sklearn, ref.Accuracy, ref.MacroF1)
	if rep.Accuracy < ref.Accuracy {
		t.Errorf("Glimpse's head scores %.3f on held-out photos, below scikit-learn's probe (%.3f)", rep.Accuracy, ref.Accuracy)
	}

	// The card says how the model was made.
	cj, err := os.ReadFile(filepath.Join(out, "card.json"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := card.Parse(cj)
	if err != nil {
		t.Fatal(err)
	}
	if tr := o.Training; tr == nil || len(tr.Classes) != 8 || tr.Classes[0].Photos != 20 || tr.Augment == nil || tr.Augment.Variants != 4 ||
		tr.Split.Validation != 32 || tr.Validation["accuracy"] <= 0 || tr.Date == "" {
		t.Errorf("card's training record: %+v", o.Training)
	}

	// ONNX Runtime runs the exported model with the same results.
	ortAgrees(t, filepath.Join(out, "model.onnx"), testPaths[:3])
}

// ortAgrees runs model on photos in Glimpse and in onnxruntime-node and
// compares the outputs (1e-4 absolute).
func ortAgrees(t *testing.T, modelPath string, photos []string) {
	t.Helper()
	_, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat("../testdata/corpus/node_modules/onnxruntime-node")
	}
	needTool(t, "node and onnxruntime-node (make corpus)", err)
	f, err := readModelFiles(modelPath, "", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, p := range photos {
		data, _ := os.ReadFile(p)
		img, err := png.Decode(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		if err := vision.Preprocess(img, c.Card.Spec(), c.Input()); err != nil {
			t.Fatal(err)
		}
		input := c.Input()
		buf := make([]byte, 4*len(input))
		for j, v := range input {
			binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v))
		}
		inPath, outPath := filepath.Join(dir, fmt.Sprint(i, ".in")), filepath.Join(dir, fmt.Sprint(i, ".out"))
		if err := os.WriteFile(inPath, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := c.Program.Execute(); err != nil {
			t.Fatal(err)
		}
		got := c.Program.Outputs[0].F
		shape := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(c.Program.Inputs[0].Shape)), ","), "[]")
		if msg, err := exec.Command("node", "../model/onnx/testdata/ort_run.mjs", modelPath, inPath, shape, outPath).CombinedOutput(); err != nil {
			t.Fatalf("ort_run.mjs: %v: %s", err, msg)
		}
		ob, err := os.ReadFile(outPath)
		if err != nil || len(ob) != 4*len(got) {
			t.Fatalf("ONNX Runtime's output: %d bytes for %d values (%v)", len(ob), len(got), err)
		}
		worst := 0.0
		for j, v := range got {
			w := math.Float32frombits(binary.LittleEndian.Uint32(ob[4*j:]))
			worst = max(worst, math.Abs(float64(v)-float64(w)))
		}
		if worst > 1e-4 {
			t.Errorf("%s: Glimpse and ONNX Runtime differ by %.3g", p, worst)
		}
		t.Logf("%s: Glimpse and ONNX Runtime agree within %.2g", filepath.Base(p), worst)
	}
}

// TestTrainMultiLabel: photos with several labels in a CSV make a sigmoid
// model with a threshold per class; its card carries them, the model
// loads with them, and ONNX Runtime agrees with it.
func TestTrainMultiLabel(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	set := synth.Multi(3, 4, 80, 96)
	writeSet(t, filepath.Join(dir, "train"), set, true)
	out := filepath.Join(dir, "model")
	v1 := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	code, stdout, stderr := run("train", "-q", "-augment", "1", "-model", v1, "-out", out, filepath.Join(dir, "train"))
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "mean per-photo F1") || !strings.Contains(stdout, "threshold") {
		t.Errorf("multi-label report:\n%s", stdout)
	}
	f, err := readModelFiles(filepath.Join(out, "model.onnx"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Card.Output.MultiLabel || len(c.Card.Output.Thresholds) != 4 || len(c.Labels) != 4 || c.Labels[0] != "circle" {
		t.Errorf("card output %+v, labels %v", c.Card.Output, c.Labels)
	}
	ortAgrees(t, filepath.Join(out, "model.onnx"), []string{filepath.Join(dir, "train", "0000.png")})
	// The bundle written beside it loads without the ONNX file.
	b, err := os.ReadFile(filepath.Join(out, "model.glimpse"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := model.Load(model.Files{Name: "model.glimpse", Model: b}); err != nil {
		t.Fatal(err)
	}
}

// TestTrainBadInput: each mistake ends with one line that says what to do,
// and nothing is written.
func TestTrainBadInput(t *testing.T) {
	needShared(t)
	v1 := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	set := synth.Single(5, 3, 3, 64)
	mk := func(t *testing.T, edit func(dir string)) string {
		dir := filepath.Join(t.TempDir(), "photos")
		writeSet(t, dir, set, false)
		if edit != nil {
			edit(dir)
		}
		return dir
	}
	for _, tc := range []struct {
		name  string
		edit  func(dir string)
		extra []string
		want  string
	}{
		{"one class", func(dir string) {
			os.RemoveAll(filepath.Join(dir, "square"))
			os.RemoveAll(filepath.Join(dir, "triangle"))
		}, nil, "has one class folder (circle); training needs at least two classes"},
		{"a class with one photo", func(dir string) {
			os.Remove(filepath.Join(dir, "square", "0001.png"))
			os.Remove(filepath.Join(dir, "square", "0004.png"))
		}, nil, `class "square" has 1 photo(s) that could be read; every class needs at least 2`},
		{"a class of files that are not photos", func(dir string) {
			for _, n := range []string{"0001.png", "0004.png", "0007.png"} {
				os.WriteFile(filepath.Join(dir, "square", n), []byte("not a photo"), 0o644)
			}
		}, nil, `class "square" has 0 photo(s)`},
		{"no class folders", func(dir string) {
			for _, c := range []string{"circle", "square", "triangle"} {
				os.RemoveAll(filepath.Join(dir, c))
			}
		}, nil, "has no class folders and no CSV"},
		{"a backbone without a classifier layer to find", nil, []string{"-model", filepath.Join(shared, "zoo", "vit_tiny_p16_opset17", "BROKEN")}, "cannot find the backbone's feature tensor"},
		{"a tensor that is not there", nil, []string{"-model", v1, "-feature", "nope"}, `no tensor named "nope"`},
		{"a bundle backbone", nil, []string{"-model", "BUNDLE"}, "give the backbone's ONNX file"},
		{"a backbone over the memory budget", nil, []string{"-model", v1, "-max-memory", "1MB"}, "memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := mk(t, tc.edit)
			out := filepath.Join(t.TempDir(), "out")
			args := []string{"train", "-q", "-augment", "0", "-out", out}
			if len(tc.extra) == 0 {
				args = append(args, "-model", v1)
			}
			for _, a := range tc.extra {
				if strings.HasSuffix(a, "BROKEN") { // a ViT that ends in its LayerNorm: no classifier
					a = filepath.Join(t.TempDir(), "m.onnx")
					writeHeadless(t, a)
				}
				if a == "BUNDLE" {
					a = filepath.Join(t.TempDir(), "m.glimpse")
					if code, _, e := run("compile", "-verify=false", "-o", a, v1); code != 0 {
						t.Fatal(e)
					}
				}
				args = append(args, a)
			}
			code, _, stderr := run(append(args, dir)...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %q", code, stderr, tc.want)
			}
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); !strings.HasPrefix(lines[len(lines)-1], "glimpse: ") {
				t.Errorf("last line %q", lines[len(lines)-1])
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed run wrote its folder")
			}
		})
	}
}

// TestEmbed: glimpse embed -json gives unit vectors of the backbone's
// feature size; the same photo gives the same vector, another photo another.
func TestEmbed(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	paths := writeSet(t, dir, synth.Single(2, 2, 1, 96), false)
	v1 := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	code, stdout, stderr := run("embed", "-json", "-model", v1, paths[0], paths[1], paths[0])
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var vs [][]float32
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var e struct {
			File      string    `json:"file"`
			Dim       int       `json:"dim"`
			Embedding []float32 `json:"embedding"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		n := 0.0
		for _, v := range e.Embedding {
			n += float64(v) * float64(v)
		}
		if e.Dim != 256 || len(e.Embedding) != 256 || math.Abs(n-1) > 1e-5 {
			t.Errorf("%s: dim %d, %d values, norm² %g", e.File, e.Dim, len(e.Embedding), n)
		}
		vs = append(vs, e.Embedding)
	}
	if len(vs) != 3 || fmt.Sprint(vs[0]) != fmt.Sprint(vs[2]) || fmt.Sprint(vs[0]) == fmt.Sprint(vs[1]) {
		t.Errorf("embeddings of photo A, B, A: %d vectors, A twice equal: %v", len(vs), fmt.Sprint(vs[0]) == fmt.Sprint(vs[2]))
	}
	code, _, stderr = run("embed", "-model", v1, filepath.Join(dir, "nope.png"))
	if code == 0 || !strings.Contains(stderr, "nope.png") {
		t.Errorf("a missing photo: exit %d, %q", code, stderr)
	}
}

// writeHeadless writes a backbone without a classifier layer: a 3×3 Conv,
// pooled and flattened, so FindFeature has nothing to find.
func writeHeadless(t *testing.T, path string) {
	w := make([]float32, 4*3*3*3)
	for i := range w {
		w[i] = float32(i%7) / 7
	}
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 32, 32}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 4}}},
		Nodes: []onnxtest.Node{
			{Op: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c"}},
			{Op: "GlobalAveragePool", Inputs: []string{"c"}, Outputs: []string{"g"}},
			{Op: "Flatten", Inputs: []string{"g"}, Outputs: []string{"y"}},
		},
		Inits: []onnxtest.Init{{Name: "w", Dims: []int64{4, 3, 3, 3}, Floats: w}},
	}
	if err := os.WriteFile(path, m.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrainPooledFeature: SqueezeNet classifies with a 1×1 Conv on a
// feature map, pooled afterwards; training averages that map into a vector,
// and the exported model (GlobalAveragePool → Flatten → Gemm) agrees with
// ONNX Runtime.
func TestTrainPooledFeature(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	writeSet(t, filepath.Join(dir, "train"), synth.Single(4, 2, 4, 96), false)
	out := filepath.Join(dir, "model")
	squeeze := filepath.Join(shared, "zoo", "squeezenet1_1", "model.onnx")
	code, stdout, stderr := run("train", "-augment", "0", "-model", squeeze, "-out", out, filepath.Join(dir, "train"))
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "(512 values, averaged over its positions)") {
		t.Errorf("progress: %s", stderr)
	}
	ortAgrees(t, filepath.Join(out, "model.onnx"), []string{filepath.Join(dir, "train", "circle", "0000.png")})
}
