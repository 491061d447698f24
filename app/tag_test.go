//go:build !(js && wasm) || nodecli

package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/glimpse/glimpse/model"
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

// weirdPhotos lays out photos whose names a spreadsheet or a terminal
// would act on, plus one that the model scores NaN, in a new folder. (A
// file name cannot hold formulaLabel's '/'.)
func weirdPhotos(t *testing.T) (dir string, names []string) {
	dir = t.TempDir()
	names = []string{"=cmd|'C calc'!A0.png", "+1.png", "-2.png", "@SUM(A1).png", "\x1b[31mred.png", "cr\rname.png", "tab\tname.png", "zz-dark.png"}
	for _, n := range names {
		c := reddish
		if n == "zz-dark.png" {
			c = black
		}
		photo(t, filepath.Join(dir, n), c)
	}
	return dir, names
}

// tag writes every photo, with broken scores flagged and not fatal, CSV
// cells that no spreadsheet runs, and text that no terminal interprets.
func TestTagHostileNamesAndScores(t *testing.T) {
	m := brokenModel(t, "")
	dir, names := weirdPhotos(t)
	sort.Strings(names) // findPhotos walks in lexical order
	t.Chdir(dir)        // relative paths: a file cell starts with the name
	dir = "."

	t.Run("csv", func(t *testing.T) {
		code, stdout, stderr := run("tag", "-csv", "-model", m, dir)
		if code != 1 || !strings.Contains(stderr, "zz-dark.png: the model produced NaN scores for 3 of 3 classes") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil || len(rows) != len(names)+1 {
			t.Fatalf("%d rows, %v: %q", len(rows), err, stdout)
		}
		for _, row := range rows[1:] {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("cell %q would run as a formula", cell)
				}
			}
		}
		if want := "'" + formulaLabel + ":"; !strings.HasPrefix(rows[1][2], want) {
			t.Errorf("tags cell %q, want it to start %q", rows[1][2], want)
		}
		recs, err := tag.ReadCSV(strings.NewReader(stdout))
		if err != nil || len(recs) != len(names) {
			t.Fatalf("read back: %v", err)
		}
		for i, r := range recs { // the apostrophes come off again
			if filepath.Base(r.File) != names[i] {
				t.Errorf("file %q, want %q", filepath.Base(r.File), names[i])
			}
			if names[i] != "zz-dark.png" && (len(r.Tags) != 1 || r.Tags[0].Tag != formulaLabel) {
				t.Errorf("%q: tags %+v", names[i], r.Tags)
			}
		}
		if last := recs[len(recs)-1]; len(last.Tags) != 0 {
			t.Errorf("NaN scores made tags: %+v", last)
		}
	})

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := run("tag", "-json", "-model", m, dir)
		if code != 1 || strings.Contains(stderr, "json:") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		var recs []tagRecord
		if err := json.Unmarshal([]byte(stdout), &recs); err != nil || len(recs) != len(names) {
			t.Fatalf("%v: %d records\n%s", err, len(recs), stdout)
		}
		var dark struct {
			Scores []struct {
				Prob      *float64 `json:"prob"`
				NonFinite string   `json:"nonfinite"`
			} `json:"scores"`
			Warning string `json:"warning"`
		}
		last := stdout[strings.LastIndex(stdout, `"file": "zz-dark.png"`):]
		json.Unmarshal([]byte("{"+strings.TrimSuffix(strings.TrimSpace(last), "]")), &dark)
		if len(dark.Scores) != 3 || dark.Scores[0].Prob != nil || dark.Scores[0].NonFinite != "NaN" || dark.Warning == "" {
			t.Errorf("dark photo: %+v", dark)
		}
		back, err := tag.ReadJSON(strings.NewReader(stdout))
		if err != nil || !math.IsNaN(float64(back[len(back)-1].Scores[0].Prob)) {
			t.Errorf("read back: %v", err)
		}
	})

	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := run("tag", "-model", m, dir)
		if code != 1 {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		for _, out := range []string{stdout, stderr} {
			if r, bad := rawControl(out); bad {
				t.Errorf("raw %q in %q", r, out)
			}
		}
		for _, want := range []string{`\x1b[31mred.png: ` + formulaLabel + ` (`, `cr\rname.png: `, `tab\tname.png: `, "zz-dark.png: (no tags: the model's scores are not numbers)"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
	})
}

// A tag run that fails midway keeps every photo done before it on disk, in
// a file that reads back; -prev then skips those photos.
func TestTagFailMidwayKeepsResults(t *testing.T) {
	m := brokenModel(t, "")
	dir := t.TempDir()
	for i, n := range []string{"a.png", "b.png", "c.png"} { // different bytes, different hashes
		photo(t, filepath.Join(dir, n), color.RGBA{255 - uint8(i), 130, 110, 255})
	}
	old := tagClassify
	t.Cleanup(func() { tagClassify = old })
	var calls []string
	var mu sync.Mutex // tag classifies on one goroutine per core
	failOn := "b.png"
	tagClassify = func(c *model.Classifier, p string, k int) (string, []vision.Result, string, error) {
		mu.Lock()
		calls = append(calls, filepath.Base(p))
		mu.Unlock()
		if filepath.Base(p) == failOn {
			panic("the disk went away")
		}
		return old(c, p, k)
	}
	for _, format := range []string{"-json", "-csv"} {
		t.Run(format, func(t *testing.T) {
			calls = nil
			out, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			var stderr bytes.Buffer
			if code := runCLI([]string{"tag", format, "-model", m, dir}, out, &stderr); code != 3 {
				t.Fatalf("exit %d, want 3 (internal error); stderr %q", code, stderr.String())
			}
			data, _ := os.ReadFile(out.Name())
			if format == "-json" && !json.Valid(data) {
				t.Errorf("not valid JSON: %q", data)
			}
			recs, err := tag.Read(data)
			if err != nil || len(recs) != 1 || filepath.Base(recs[0].File) != "a.png" || len(recs[0].Tags) == 0 {
				t.Fatalf("on disk after the failure: %v, %+v\n%s", err, recs, data)
			}
		})
	}

	// A JSON array cut off after a whole record (a killed run) is still
	// read by -prev, and the photos in it are not classified again.
	failOn = ""
	code, full, stderr := run("tag", "-json", "-model", m, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cut := full[:strings.Index(full, "\n  },\n")+len("\n  }")] // after the first record
	calls = nil
	code, stdout, stderr := run("tag", "-json", "-prev", write(t, "cut.json", []byte(cut)), "-model", m, dir)
	slices.Sort(calls)
	if code != 0 || stdout != full || strings.Join(calls, ",") != "b.png,c.png" {
		t.Errorf("resume: exit %d, classified %v, stderr %q\n%s", code, calls, stderr, stdout)
	}
}

// eval leaves out photos the model scores NaN (with a warning and exit
// status 1), reports the rest, and escapes names in its text.
func TestEvalNonFiniteAndNames(t *testing.T) {
	m := brokenModel(t, "")
	dir := t.TempDir()
	photo(t, filepath.Join(dir, "formula", "\x1b[31mred.png"), reddish)
	photo(t, filepath.Join(dir, "formula", "dark.png"), black)
	photo(t, filepath.Join(dir, "tab", "cr\rmiss.png"), reddish) // predicted formulaLabel: a miss
	folders := write(t, "map.json", []byte(`{"formula": 0, "tab": 2}`))
	code, stdout, stderr := run("eval", "-map", folders, "-model", m, dir)
	if code != 1 || !strings.Contains(stderr, "dark.png: the model produced NaN scores for 3 of 3 classes, skipped") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"on 2 photos", "50.0%  (1/2)", `cr\rmiss.png: tab\there, predicted ` + formulaLabel} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	for _, out := range []string{stdout, stderr} {
		if r, bad := rawControl(out); bad {
			t.Errorf("raw %q in %q", r, out)
		}
	}
	code, stdout, _ = run("eval", "-json", "-map", folders, "-model", m, dir)
	var r struct{ N int }
	if err := json.Unmarshal([]byte(stdout), &r); code != 1 || err != nil || r.N != 2 {
		t.Errorf("-json: exit %d, %v, n %d", code, err, r.N)
	}
}

// tag on several workers writes what one worker writes, in the same
// order; -shard I/N splits the photos between N runs by content hash
// (every photo in exactly one shard), and -prev merges the shards' outputs
// into the whole run's, classifying nothing again.
func TestTagWorkersAndShards(t *testing.T) {
	needShared(t)
	v1 := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	photos := filepath.Join(shared, "photos")
	code, one, stderr := run("tag", "-json", "-workers", "1", "-model", v1, photos)
	if code != 0 {
		t.Fatalf("-workers 1: exit %d: %s", code, stderr)
	}
	code, three, stderr := run("tag", "-json", "-workers", "3", "-model", v1, photos)
	if code != 0 || three != one {
		t.Fatalf("-workers 3: exit %d, %s; output differs from -workers 1:\n%s\n---\n%s", code, stderr, three, one)
	}
	all, err := tag.Read([]byte(one))
	if err != nil || len(all) < 10 {
		t.Fatalf("%d records, %v", len(all), err)
	}
	var shards []string
	seen := map[string]int{}
	for i := range 3 {
		code, out, stderr := run("tag", "-json", "-shard", fmt.Sprintf("%d/3", i), "-model", v1, photos)
		if code != 0 {
			t.Fatalf("shard %d/3: exit %d: %s", i, code, stderr)
		}
		recs, err := tag.Read([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == len(all) {
			t.Errorf("shard %d/3 holds every photo", i)
		}
		for _, r := range recs {
			seen[r.File]++
		}
		shards = append(shards, write(t, fmt.Sprintf("shard%d.json", i), []byte(out)))
	}
	for _, r := range all {
		if seen[r.File] != 1 {
			t.Errorf("%s is in %d shards, want 1", r.File, seen[r.File])
		}
	}
	old := tagClassify
	t.Cleanup(func() { tagClassify = old })
	var calls atomic.Int32
	tagClassify = func(c *model.Classifier, p string, k int) (string, []vision.Result, string, error) {
		calls.Add(1)
		return old(c, p, k)
	}
	code, merged, stderr := run("tag", "-json", "-prev", shards[0]+","+shards[1], "-prev", shards[2], "-model", v1, photos)
	if code != 0 || merged != one || calls.Load() != 0 {
		t.Errorf("merged shards: exit %d, %s; %d photos classified again; same as one run: %v", code, stderr, calls.Load(), merged == one)
	}
	for _, bad := range []string{"3/3", "1", "a/2", "0/0", "-1/2"} {
		if code, _, stderr := run("tag", "-shard", bad, "-model", v1, photos); code != 2 || !strings.Contains(stderr, "-shard") {
			t.Errorf("-shard %s: exit %d, %q", bad, code, stderr)
		}
	}
}
