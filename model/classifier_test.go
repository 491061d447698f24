package model

import (
	"bufio"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

const shared = "../../shared"

type expected struct {
	model, photo string
	top1         int
	margin       float64
	top5         []int
}

func readExpected(t *testing.T) []expected {
	f, err := os.Open(filepath.Join(shared, "photos", "expected.tsv"))
	if err != nil {
		t.Skipf("shared photos not available: %v", err)
	}
	defer f.Close()
	var out []expected
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 7 {
			t.Fatalf("bad row %q", sc.Text())
		}
		e := expected{model: c[0], photo: c[1]}
		e.top1, _ = strconv.Atoi(c[2])
		e.margin, _ = strconv.ParseFloat(c[5], 64)
		for _, s := range strings.Split(c[6], ",") {
			i, _ := strconv.Atoi(s)
			e.top5 = append(e.top5, i)
		}
		out = append(out, e)
	}
	return out
}

func loadShared(t testing.TB, name string, cardJSON []byte) *Classifier {
	t.Helper()
	dir := filepath.Join(shared, "models", name)
	m, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Skipf("shared model not available: %v", err)
	}
	l, err := os.ReadFile(filepath.Join(dir, "labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(Files{Name: name, Model: m, Labels: l, Card: cardJSON})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// On real photos both shared MobileNets give ONNX Runtime's top-1 wherever
// its margin to the runner-up is at least 0.1; the top-5 overlap is logged.
func TestPhotosMatchONNXRuntime(t *testing.T) {
	v1card, err := os.ReadFile("../testdata/cards/mobilenet_v1_0.25_128.json")
	if err != nil {
		t.Fatal(err)
	}
	models := map[string]*Classifier{
		"mobilenet_v2_1.0_224":  loadShared(t, "mobilenet_v2_1.0_224", card.DefaultJSON()),
		"mobilenet_v1_0.25_128": loadShared(t, "mobilenet_v1_0.25_128", v1card),
	}
	overlap := map[string]int{}
	total := map[string]int{}
	agree := map[string]int{}
	for _, e := range readExpected(t) {
		c := models[e.model]
		if c == nil {
			t.Fatalf("unknown model %q in expected.tsv", e.model)
		}
		data, err := os.ReadFile(filepath.Join(shared, "photos", e.photo))
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := imagefile.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", e.photo, err)
		}
		top, _, err := c.Classify(img, 5)
		if err != nil {
			t.Fatal(err)
		}
		if top[0].Index == e.top1 {
			agree[e.model]++
		} else if e.margin >= 0.1 {
			t.Errorf("%s %s: top-1 %d (%s, %.3f), ONNX Runtime %d (margin %.3f)", e.model, e.photo, top[0].Index, top[0].Label, top[0].Prob, e.top1, e.margin)
		} else {
			t.Logf("%s %s: top-1 %d, ONNX Runtime %d, but its margin %.3f < 0.1", e.model, e.photo, top[0].Index, e.top1, e.margin)
		}
		for _, r := range top {
			for _, want := range e.top5 {
				if r.Index == want {
					overlap[e.model]++
				}
			}
		}
		total[e.model] += 5
	}
	for m := range models {
		t.Logf("%s: top-1 agrees on %d photos of %d; top-5 overlap %d/%d (%.0f%%)", m, agree[m], total[m]/5, overlap[m], total[m], 100*float64(overlap[m])/float64(total[m]))
	}
}

// A copy runs the same model on buffers of its own: classifying a photo on
// the copy while the original holds another leaves both results as they
// are alone, bit for bit.
func TestCopy(t *testing.T) {
	v1card, err := os.ReadFile("../testdata/cards/mobilenet_v1_0.25_128.json")
	if err != nil {
		t.Fatal(err)
	}
	c := loadShared(t, "mobilenet_v1_0.25_128", v1card)
	cp, err := c.Copy()
	if err != nil {
		t.Fatal(err)
	}
	if cp.Program == c.Program || &cp.Program.Outputs[0].F[0] == &c.Program.Outputs[0].F[0] {
		t.Fatal("the copy shares the program's buffers")
	}
	imgs := map[string]image.Image{}
	for _, p := range []string{"parrot.jpg", "coffee.png"} {
		data, err := os.ReadFile(filepath.Join(shared, "photos", p))
		if err != nil {
			t.Skip(err)
		}
		if imgs[p], _, err = imagefile.Decode(data); err != nil {
			t.Fatal(err)
		}
	}
	a, _, err := c.Classify(imgs["parrot.jpg"], 3)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(c.Program.Outputs[0].F)
	b, _, err := cp.Classify(imgs["coffee.png"], 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Program.Outputs[0].F, want) {
		t.Error("classifying on the copy changed the original's output")
	}
	again, _, err := c.Classify(imgs["coffee.png"], 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again, b) || a[0].Index == b[0].Index {
		t.Errorf("copy %v, original %v on the same photo; parrot %v", b, again, a)
	}
}
