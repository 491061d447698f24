//go:build !(js && wasm) || nodecli

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/tag"
	"github.com/glimpse/glimpse/model/vision"
)

// expectation is one mobilenet_v2_1.0_224 row of shared/photos/expected.tsv.
type expectation struct {
	photo, label string
	margin       float64
}

func expected(t *testing.T) []expectation {
	t.Helper()
	f, err := os.Open(filepath.Join(shared, "photos", "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectation
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		if len(col) < 6 || col[0] != "mobilenet_v2_1.0_224" {
			continue
		}
		m, err := strconv.ParseFloat(col[5], 64)
		if err != nil {
			t.Fatalf("expected.tsv: %q: %v", sc.Text(), err)
		}
		out = append(out, expectation{col[1], col[3], m})
	}
	if len(out) < 5 {
		t.Fatalf("expected.tsv has %d rows for mobilenet_v2_1.0_224", len(out))
	}
	return out
}

func useDefaultModel(t *testing.T) {
	needShared(t)
	old := defaultModelDirs
	defaultModelDirs = []string{filepath.Join(shared, "models", "mobilenet_v2_1.0_224")}
	t.Cleanup(func() { defaultModelDirs = old })
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// labelledFolder lays out the confident photos as eval expects them:
// <first synonym of the expected label>/<photo>.
func labelledFolder(t *testing.T) (string, int) {
	dir := t.TempDir()
	n := 0
	for _, e := range expected(t) {
		if e.margin < 0.1 {
			continue
		}
		copyFile(t, filepath.Join(shared, "photos", e.photo), filepath.Join(dir, vision.DisplayName(e.label), e.photo))
		n++
	}
	return dir, n
}

func TestEvalJSON(t *testing.T) {
	useDefaultModel(t)
	dir, n := labelledFolder(t)
	os.WriteFile(filepath.Join(dir, "macaw", "README"), []byte("not a photo"), 0o644)
	code, stdout, stderr := run("eval", "-json", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "README: not an image, skipped") {
		t.Errorf("no warning for the README: %q", stderr)
	}
	var r struct {
		N            int      `json:"n"`
		Accuracy     *float64 `json:"accuracy"`
		Top5Accuracy *float64 `json:"top5_accuracy"`
		PerClass     []struct {
			Index                 int
			Label                 string
			Precision, Recall, F1 *float64
			Support               int
		} `json:"per_class"`
		Macro, Weighted *struct {
			Precision, Recall, F1 float64
			Support               int
		}
		Confusion struct {
			Labels []int
			Matrix [][]int
		}
		Misclassified []any `json:"misclassified"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %.300s", err, stdout)
	}
	if r.Accuracy == nil || *r.Accuracy != 1 || r.Top5Accuracy == nil || *r.Top5Accuracy != 1 || r.N != n {
		t.Errorf("accuracy %v top-5 %v n %d (want 1, 1, %d); misclassified %v", r.Accuracy, r.Top5Accuracy, r.N, n, r.Misclassified)
	}
	if len(r.PerClass) != n || r.Macro == nil || r.Weighted == nil || r.Macro.Support != n || r.Macro.F1 != 1 {
		t.Errorf("per_class %d entries, macro %+v", len(r.PerClass), r.Macro)
	}
	for _, c := range r.PerClass {
		if c.Label == "" || c.Precision == nil || c.Recall == nil || c.F1 == nil || c.Support != 1 {
			t.Errorf("per_class entry %+v", c)
		}
	}
	if len(r.Confusion.Labels) != n || len(r.Confusion.Matrix) != n {
		t.Errorf("confusion %+v", r.Confusion)
	}
}

// The readable report has its sections, and a wrong folder shows up as a
// miss; -map names folders by hand.
func TestEvalReportAndMap(t *testing.T) {
	useDefaultModel(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join(shared, "photos", "parrot.jpg"), filepath.Join(dir, "Macaw", "p.jpg"))
	copyFile(t, filepath.Join(shared, "photos", "coffee.png"), filepath.Join(dir, "my coffee", "c.png"))
	copyFile(t, filepath.Join(shared, "photos", "cat.bmp"), filepath.Join(dir, "crane", "cat.bmp"))
	code, _, stderr := run("eval", dir)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `match no label: "my coffee"`) ||
		!strings.Contains(stderr, `"crane" could be 134 "crane" or 517 "crane"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	m := write(t, "map.json", []byte(`{"MY COFFEE": "espresso", "crane": 517}`))
	code, stdout, stderr := run("eval", "-map", m, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"accuracy          66.7%  (2/3)", "top-5 accuracy", "macro avg", "weighted avg", "confusion matrix",
		"misclassified", "cat.bmp: crane, predicted Egyptian cat", "espresso "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
}

type tagRecord struct {
	File string `json:"file"`
	Hash string `json:"hash"`
	Tags []struct {
		Tag   string  `json:"tag"`
		Score float64 `json:"score"`
	} `json:"tags"`
	Scores []struct {
		Index int     `json:"index"`
		Label string  `json:"label"`
		Prob  float64 `json:"prob"`
	} `json:"scores"`
	Edited *bool `json:"edited"`
}

func TestTagJSON(t *testing.T) {
	useDefaultModel(t)
	photos := filepath.Join(shared, "photos")
	code, stdout, stderr := run("tag", "-json", photos)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, skipped := range []string{"expected.tsv: not an image, skipped", "CREDITS.md: not an image, skipped"} {
		if !strings.Contains(stderr, skipped) {
			t.Errorf("stderr %q lacks %q", stderr, skipped)
		}
	}
	var recs []tagRecord
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&recs); err != nil {
		t.Fatalf("%v: %.300s", err, stdout)
	}
	byFile := map[string]tagRecord{}
	for _, r := range recs {
		byFile[filepath.Base(r.File)] = r
	}
	for _, e := range expected(t) {
		r, ok := byFile[e.photo]
		if !ok {
			t.Errorf("%s not tagged", e.photo)
			continue
		}
		data, _ := os.ReadFile(filepath.Join(photos, e.photo))
		if r.Hash != tag.Hash(data) || r.Edited == nil || *r.Edited || len(r.Scores) != 5 || r.Scores[0].Label != e.label {
			t.Errorf("%s: %+v", e.photo, r)
		}
		found := false
		for _, tg := range r.Tags {
			found = found || tg.Tag == vision.DisplayName(e.label)
		}
		if !found {
			t.Errorf("%s: tags %+v lack %q", e.photo, r.Tags, vision.DisplayName(e.label))
		}
	}
}

// Text lines, CSV that reads back, -map merging, -prev keeping edits, and
// one bad photo among good ones that does not stop the run.
func TestTagTextCSVMapPrev(t *testing.T) {
	useDefaultModel(t)
	dir := t.TempDir()
	for _, p := range []string{"cat.bmp", "chelsea.png", "parrot.jpg"} {
		copyFile(t, filepath.Join(shared, "photos", p), filepath.Join(dir, "sub", p))
	}
	os.WriteFile(filepath.Join(dir, "broken.jpg"), []byte("\xFF\xD8\xFFnot really"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden.jpg"), []byte("ignored"), 0o644)
	noExt, _ := os.ReadFile(filepath.Join(shared, "photos", "coffee.png"))
	os.WriteFile(filepath.Join(dir, "IMG_0001"), noExt, 0o644) // found by sniffing

	code, stdout, stderr := run("tag", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || !strings.Contains(stderr, "broken.jpg") {
		t.Errorf("stderr %q: want one warning for broken.jpg", stderr)
	}
	line := regexp.MustCompile(`^.+: [^,]+ \(\d+%\)(, [^,]+ \(\d+%\))*$`)
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if !line.MatchString(l) {
			t.Errorf("line %q", l)
		}
	}
	if !strings.Contains(stdout, "IMG_0001: espresso (") || !strings.Contains(stdout, "parrot.jpg: macaw (100%)") {
		t.Errorf("stdout %q", stdout)
	}

	m := write(t, "map.json", []byte(`{"tabby": "cat", "tiger cat": "cat", "Egyptian cat": "cat"}`))
	code, stdout, stderr = run("tag", "-csv", "-map", m, "-threshold", "0.1", filepath.Join(dir, "sub"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, err := tag.ReadCSV(strings.NewReader(stdout))
	if err != nil || len(recs) != 3 {
		t.Fatalf("%v: %q", err, stdout)
	}
	for _, r := range recs[:2] { // cat.bmp, chelsea.png
		if len(r.Tags) != 1 || r.Tags[0].Tag != "cat" {
			t.Errorf("%s: %+v", r.File, r.Tags)
		}
	}

	parrot, _ := os.ReadFile(filepath.Join(dir, "sub", "parrot.jpg"))
	prev := write(t, "prev.json", []byte(`[{"file": "old/name.jpg", "hash": "`+tag.Hash(parrot)+`", "tags": [{"tag": "Polly", "score": 1}], "edited": true}]`))
	code, stdout, stderr = run("tag", "-json", "-prev", prev, filepath.Join(dir, "sub"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out []tagRecord
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out) != 3 {
		t.Fatalf("%v: %q", err, stdout)
	}
	p := out[2]
	if filepath.Base(p.File) != "parrot.jpg" || len(p.Tags) != 1 || p.Tags[0].Tag != "Polly" || !*p.Edited {
		t.Errorf("previous record not kept: %+v", p)
	}
}

// Each bad use of tag and eval ends with one line on stderr and a non-zero
// exit status.
func TestTagEvalBadInput(t *testing.T) {
	useDefaultModel(t)
	empty := t.TempDir()
	flat := t.TempDir()
	copyFile(t, filepath.Join(shared, "photos", "parrot.jpg"), filepath.Join(flat, "p.jpg"))
	noPhotos := t.TempDir()
	os.MkdirAll(filepath.Join(noPhotos, "macaw"), 0o755)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"tag nothing", []string{"tag"}, 2, "no photos or folders"},
		{"tag json and csv", []string{"tag", "-json", "-csv", flat}, 2, "exclusive"},
		{"tag bad threshold", []string{"tag", "-threshold", "1.5", flat}, 2, "-threshold"},
		{"tag bad top", []string{"tag", "-top", "0", flat}, 2, "-top"},
		{"tag missing", []string{"tag", "/nonexistent/photos"}, 1, "/nonexistent/photos: no such file"},
		{"tag empty folder", []string{"tag", empty}, 1, "no images found"},
		{"tag corrupt photo", []string{"tag", write(t, "bad.png", []byte("\x89PNG\r\n\x1a\nnope"))}, 1, "bad.png"},
		{"tag bad map", []string{"tag", "-map", write(t, "m.json", []byte(`{"a": 1}`)), flat}, 1, "map:"},
		{"tag missing map", []string{"tag", "-map", "/nonexistent/m.json", flat}, 1, "no such file"},
		{"tag bad prev", []string{"tag", "-prev", write(t, "prev.csv", []byte("a,b\n")), flat}, 1, "prev:"},
		{"eval nothing", []string{"eval"}, 2, "one folder"},
		{"eval two folders", []string{"eval", flat, empty}, 2, "one folder"},
		{"eval missing", []string{"eval", "/nonexistent/set"}, 1, "no such file"},
		{"eval no sub-folders", []string{"eval", flat}, 1, "no sub-folders"},
		{"eval unmatched", []string{"eval", filepath.Dir(flat)}, 1, "match no label"},
		{"eval no photos", []string{"eval", noPhotos}, 1, "no photos could be classified"},
		{"eval bad map", []string{"eval", "-map", write(t, "m2.json", []byte(`[]`)), noPhotos}, 1, "map:"},
		{"eval map to unknown label", []string{"eval", "-map", write(t, "m3.json", []byte(`{"macaw": "unicorn"}`)), noPhotos}, 1, `"unicorn" is not a label`},
		{"eval map index out of range", []string{"eval", "-map", write(t, "m4.json", []byte(`{"macaw": 1000}`)), noPhotos}, 1, "out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, stderr)
			}
			if lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n"); len(lines) != 1 {
				t.Errorf("stderr has %d lines: %q", len(lines), stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "internal error") || !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q, want %q", stderr, c.want)
			}
		})
	}
}
