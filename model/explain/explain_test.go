package explain

import (
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/card"
	_ "github.com/glimpse/glimpse/model/importer" // the shared models are ONNX files
	"github.com/glimpse/glimpse/model/vision"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

const (
	shared = "../../../shared"
	v1     = "mobilenet_v1_0.25_128"
	v2     = "mobilenet_v2_1.0_224"
)

// load loads a shared model with its card (v1's from testdata/cards, v2's
// the default card), and extra card overrides applied on top.
func load(t testing.TB, name string, extra string) *model.Classifier {
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
	cardJSON := card.DefaultJSON()
	if name == v1 {
		if cardJSON, err = os.ReadFile("../../testdata/cards/" + v1 + ".json"); err != nil {
			t.Fatal(err)
		}
	}
	if extra != "" {
		if cardJSON, err = card.Merge(cardJSON, []byte(extra)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := model.Load(model.Files{Name: name, Model: m, Labels: l, Card: cardJSON})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func photo(t testing.TB, name string) image.Image {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(shared, "photos", name))
	if err != nil {
		t.Skipf("shared photos not available: %v", err)
	}
	img, _, err := imagefile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// composite pastes the centre square of obj, scaled to size/2, into
// quadrant q (0 top left, 1 top right, 2 bottom left, 3 bottom right) of a
// plain grey size×size canvas.
func composite(obj image.Image, size, q int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, size, size))
	stddraw.Draw(m, m.Rect, image.NewUniform(color.RGBA{128, 128, 128, 255}), image.Point{}, stddraw.Src)
	b := obj.Bounds()
	s := min(b.Dx(), b.Dy())
	min := image.Pt(b.Min.X+(b.Dx()-s)/2, b.Min.Y+(b.Dy()-s)/2)
	src := image.Rectangle{min, min.Add(image.Pt(s, s))}
	half := size / 2
	dst := image.Rect(q%2*half, q/2*half, q%2*half+half, q/2*half+half)
	draw.BiLinear.Scale(m, dst, obj, src, draw.Src, nil)
	return m
}

// quadrantShare is the share of h's weight in quadrant q of its grid
// (cells split by the middle count by the fraction on each side).
func quadrantShare(h *Heat, q int) float64 {
	side := func(i, n int, second bool) float64 { // fraction of cell i of n in the first (or second) half
		lo, hi := float64(i)/float64(n), float64(i+1)/float64(n)
		f := (min(hi, 0.5) - min(lo, 0.5)) * float64(n)
		if second {
			return 1 - f
		}
		return f
	}
	in := 0.0
	for r := 0; r < h.Rows; r++ {
		for c := 0; c < h.Cols; c++ {
			in += float64(h.At(r, c)) * side(r, h.Rows, q/2 == 1) * side(c, h.Cols, q%2 == 1)
		}
	}
	return in / h.Total()
}

func checkHeat(t *testing.T, h *Heat, classes int) {
	t.Helper()
	if h.Rows < 1 || h.Cols < 1 || len(h.Values) != h.Rows*h.Cols {
		t.Fatalf("heat %dx%d with %d values", h.Rows, h.Cols, len(h.Values))
	}
	for i, v := range h.Values {
		if !(v >= 0) || math.IsInf(float64(v), 0) {
			t.Fatalf("value %d is %v", i, v)
		}
	}
	if h.Class < 0 || h.Class >= classes || !(h.Prob >= 0 && h.Prob <= 1) || h.Method != MethodOcclusion {
		t.Fatalf("heat: class %d prob %v method %q", h.Class, h.Prob, h.Method)
	}
	if h.Total() <= 0 {
		t.Fatal("no weight at all")
	}
}

// An object pasted into one quadrant of a grey canvas: the top class's
// heat puts most of its weight in that quadrant, for each quadrant. The
// small model, at 128 pixels, sees a cat with little confidence (a
// different cat in each quadrant, or a fox squirrel; explained with the
// blur baseline, the mean one through the command line in app); the default
// one a macaw, explained on a coarse grid of 4x4 patches to keep it quick
// (and natively only: compiled to wasm it takes seconds a quadrant).
func TestExplainLocalisation(t *testing.T) {
	cases := []struct {
		model, photo string
		o            Options
	}{
		{v1, "chelsea.png", Options{Class: -1, Patch: 32, Stride: 16, Baseline: BaselineBlur}},
		{v2, "parrot.jpg", Options{Class: -1, Patch: 56, Stride: 56}},
	}
	models := map[string]*model.Classifier{}
	for _, tc := range cases {
		if tc.model == v2 && runtime.GOOS == "js" {
			continue // 68 runs of the 224-pixel model: natively only
		}
		c := models[tc.model]
		if c == nil {
			c = load(t, tc.model, "")
			models[tc.model] = c
		}
		obj := photo(t, tc.photo)
		size := 2 * c.Card.Input.Width
		for q, where := range []string{"top left", "top right", "bottom left", "bottom right"} {
			t.Run(fmt.Sprintf("%s/%s/%s/%s", tc.model, tc.photo, tc.o.Baseline, where), func(t *testing.T) {
				t0 := time.Now()
				h, err := Occlusion(c, composite(obj, size, q), tc.o)
				if err != nil {
					t.Fatal(err)
				}
				checkHeat(t, h, c.Program.Outputs[0].Len())
				share := quadrantShare(h, q)
				t.Logf("%s (p %.2f), %dx%d cells, %v: %.0f%% in the %s quadrant", c.Labels[h.Class], h.Prob, h.Rows, h.Cols, time.Since(t0).Round(time.Millisecond), 100*share, where)
				if share <= 0.5 {
					t.Errorf("%.0f%% of the heat in the %s quadrant, want more than half", 100*share, where)
				}
			})
		}
	}
}

// auc is the mean of a deletion curve (trapezoids over k = 0..1).
func auc(curve []float32) float64 {
	s := 0.0
	for i := 1; i < len(curve); i++ {
		s += (float64(curve[i-1]) + float64(curve[i])) / 2
	}
	return s / float64(len(curve)-1)
}

// Hiding the most salient cells first lowers the class's probability
// faster (a smaller area under the deletion curve) than hiding them in a
// seeded random order.
func TestExplainDeletionBeatsRandom(t *testing.T) {
	c := load(t, v1, "")
	cases := []struct {
		name string
		img  image.Image
		o    Options
	}{
		{"parrot", photo(t, "parrot.jpg"), Options{Class: -1, Patch: 32, Stride: 16}},
		{"coffee", photo(t, "coffee.png"), Options{Class: -1, Patch: 32, Stride: 16}},
		{"cat", photo(t, "cat.bmp"), Options{Class: -1, Patch: 32, Stride: 16}},
		// With a blur, 32-pixel patches do no better than a random order
		// on the sunflower, which fills the photo (blurred, a quarter of
		// it still looks like it); 24-pixel ones do.
		{"sunflower blur", photo(t, "sunflower.bmp"), Options{Class: -1, Patch: 24, Stride: 12, Baseline: BaselineBlur}},
		{"bird blur", photo(t, "bird.bmp"), Options{Class: -1, Patch: 32, Stride: 16, Baseline: BaselineBlur}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Occlusion(c, tc.img, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			curve, err := Deletion(c, tc.img, h, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(curve) != 11 || curve[0] != h.Prob {
				t.Fatalf("curve %v: want 11 points starting at the probability %v", curve, h.Prob)
			}
			salient := auc(curve)
			random := 0.0
			const seeds = 3
			for seed := range uint64(seeds) {
				r := *h
				r.Values = make([]float32, len(h.Values))
				for i, v := range rand.New(rand.NewPCG(seed, 1)).Perm(len(r.Values)) {
					r.Values[i] = float32(v)
				}
				rc, err := Deletion(c, tc.img, &r, 10)
				if err != nil {
					t.Fatal(err)
				}
				if rc[0] != curve[0] || rc[10] != curve[10] {
					t.Errorf("seed %d: the curves' ends %v, %v differ from %v, %v: nothing hidden and all hidden are the same images", seed, rc[0], rc[10], curve[0], curve[10])
				}
				random += auc(rc) / seeds
			}
			t.Logf("%s (p %.3f) %dx%d: area %.3f salient first, %.3f random", c.Labels[h.Class], h.Prob, h.Rows, h.Cols, salient, random)
			if salient >= random {
				t.Errorf("area under the deletion curve %.3f salient first, %.3f in a random order: want smaller", salient, random)
			}
		})
	}
}

// Region is the centre crop vision.Preprocess reads, in the photo's own
// pixels: preprocessing just that part with no crop gives the same input.
func TestExplainRegion(t *testing.T) {
	coffee := photo(t, "coffee.png") // 600x400
	wide := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for i := range wide.Pix {
		wide.Pix[i] = uint8(i * 7)
	}
	cases := []struct {
		name string
		crop string
		img  image.Image
		want image.Rectangle
	}{
		{"coffee 0.875", "0.875", coffee, image.Rect(125, 25, 475, 375)},
		{"coffee whole", "1", coffee, image.Rect(100, 0, 500, 400)},
		{"wide 0.5", "0.5", wide, image.Rect(125, 25, 175, 75)},
		{"offset 0.8", "0.8", wide.SubImage(image.Rect(40, 10, 240, 90)), image.Rect(108, 18, 172, 82)},
		{"tall 0.875", "0.875", photo(t, "parrot.jpg"), image.Rect(32, 240, 480, 688)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, v1, `{"input": {"crop": `+tc.crop+`}}`)
			h, err := Occlusion(c, tc.img, Options{Class: -1, Patch: 64, Stride: 64})
			if err != nil {
				t.Fatal(err)
			}
			if h.Region != tc.want {
				t.Fatalf("region %v, want %v", h.Region, tc.want)
			}
			s := c.Card.Spec()
			whole := make([]float32, 3*s.Width*s.Height)
			if err := vision.Preprocess(tc.img, s, whole); err != nil {
				t.Fatal(err)
			}
			s.Crop = 1
			part := make([]float32, len(whole))
			sub := tc.img.(interface {
				SubImage(image.Rectangle) image.Image
			}).SubImage(h.Region)
			if err := vision.Preprocess(sub, s, part); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(whole, part) {
				t.Error("preprocessing the region alone gives another input than the photo")
			}
			if h.CellRect(0, 0).Min != h.Region.Min || h.CellRect(h.Rows-1, h.Cols-1).Max != h.Region.Max {
				t.Errorf("cells span %v..%v, not the region %v", h.CellRect(0, 0), h.CellRect(h.Rows-1, h.Cols-1), h.Region)
			}
		})
	}
}

// Bad input is an error, never a panic.
func TestExplainBadInput(t *testing.T) {
	c := load(t, v1, "")
	img := photo(t, "coffee.png")
	feat := load(t, v1, "")
	feat.Feature = "features"
	cases := []struct {
		name string
		c    *model.Classifier
		img  image.Image
		o    Options
	}{
		{"class too big", c, img, Options{Class: 1001}},
		{"class negative", c, img, Options{Class: -2}},
		{"patch larger than the input", c, img, Options{Class: -1, Patch: 129}},
		{"patch negative", c, img, Options{Class: -1, Patch: -3}},
		{"stride negative", c, img, Options{Class: -1, Stride: -1}},
		{"stride beyond the patch", c, img, Options{Class: -1, Patch: 10, Stride: 11}},
		{"unknown baseline", c, img, Options{Class: -1, Baseline: "zebra"}},
		{"empty image", c, image.NewRGBA(image.Rect(5, 5, 5, 9)), Options{Class: -1}},
		{"nil image", c, nil, Options{Class: -1}},
		{"nil classifier", nil, img, Options{Class: -1}},
		{"feature extractor", feat, img, Options{Class: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Occlusion(tc.c, tc.img, tc.o)
			if err == nil || h != nil {
				t.Fatalf("got %v, %v: want an error", h, err)
			}
			t.Log(err)
		})
	}
	good := &Heat{Class: 1, Method: MethodOcclusion, Rows: 2, Cols: 2, Values: []float32{1, 0, 0, 0}, Region: img.Bounds()}
	bad := func(f func(h *Heat)) *Heat { h := *good; h.Values = slices.Clone(good.Values); f(&h); return &h }
	dcases := []struct {
		name  string
		img   image.Image
		h     *Heat
		steps int
	}{
		{"no heat", img, nil, 10},
		{"values short", img, bad(func(h *Heat) { h.Values = h.Values[:3] }), 10},
		{"negative value", img, bad(func(h *Heat) { h.Values[2] = -1 }), 10},
		{"NaN value", img, bad(func(h *Heat) { h.Values[2] = float32(math.NaN()) }), 10},
		{"class too big", img, bad(func(h *Heat) { h.Class = 5000 }), 10},
		{"finer than the input", img, bad(func(h *Heat) { h.Rows, h.Cols, h.Values = 1, 200, make([]float32, 200) }), 10},
		{"unknown baseline", img, bad(func(h *Heat) { h.Baseline = "zebra" }), 10},
		{"negative steps", img, good, -1},
		{"empty image", image.NewRGBA(image.Rectangle{}), good, 10},
	}
	for _, tc := range dcases {
		t.Run("deletion "+tc.name, func(t *testing.T) {
			curve, err := Deletion(c, tc.img, tc.h, tc.steps)
			if err == nil {
				t.Fatalf("got %v: want an error", curve)
			}
			t.Log(err)
		})
	}
	if _, err := Deletion(c, img, good, 0); err != nil {
		t.Errorf("the good heat: %v", err)
	}
}

// Overlay returns a new image of the photo's bounds: the photo outside the
// region, the colormap blended in over it, the photo unchanged for alpha 0
// or no heat.
func TestExplainOverlay(t *testing.T) {
	img := image.NewRGBA(image.Rect(10, 20, 110, 70)) // 100x50, off the origin
	for i := range img.Pix {
		img.Pix[i] = uint8(50 + i%3*40)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	h := &Heat{Rows: 2, Cols: 2, Values: []float32{0, 0, 0, 2}, Region: image.Rect(35, 20, 85, 70)}
	out := Overlay(img, h, 0.6)
	if out.Rect != img.Rect {
		t.Fatalf("overlay %v, photo %v", out.Rect, img.Rect)
	}
	for _, p := range []image.Point{{10, 20}, {34, 69}, {85, 45}, {109, 69}} {
		if out.At(p.X, p.Y) != img.At(p.X, p.Y) {
			t.Errorf("%v outside the region changed: %v, was %v", p, out.At(p.X, p.Y), img.At(p.X, p.Y))
		}
	}
	blend := func(p image.Point, col [3]float64) color.RGBA {
		o := img.RGBAAt(p.X, p.Y)
		m := func(v uint8, c float64) uint8 { return uint8(math.Round(float64(v)*0.4 + c*0.6)) }
		return color.RGBA{m(o.R, col[0]), m(o.G, col[1]), m(o.B, col[2]), 255}
	}
	for _, tc := range []struct {
		p   image.Point
		col [3]float64
	}{{image.Pt(84, 69), viridis[8]}, {image.Pt(35, 20), viridis[0]}, {image.Pt(84, 20), viridis[0]}} {
		if got, want := out.RGBAAt(tc.p.X, tc.p.Y), blend(tc.p, tc.col); got != want {
			t.Errorf("%v: %v, want %v", tc.p, got, want)
		}
	}
	// Between the cold and the hot cell centres the colour runs through the map.
	mid := out.RGBAAt(66, 57)
	if mid == blend(image.Pt(66, 57), viridis[0]) || mid == blend(image.Pt(66, 57), viridis[8]) {
		t.Errorf("no gradient between the cells: %v", mid)
	}
	for _, tc := range []struct {
		name  string
		h     *Heat
		alpha float64
	}{{"alpha 0", h, 0}, {"alpha NaN", h, math.NaN()}, {"no heat", nil, 0.5}, {"bad heat", &Heat{Rows: 3, Cols: 1}, 0.5}} {
		if got := Overlay(img, tc.h, tc.alpha); !slices.Equal(got.Pix, img.Pix) || got.Rect != img.Rect {
			t.Errorf("%s: the photo changed", tc.name)
		}
	}
	if got := Overlay(nil, h, 0.5); !got.Rect.Empty() {
		t.Errorf("nil photo: %v", got.Rect)
	}
}

func benchmark(b *testing.B, name string) {
	c := load(b, name, "")
	img := photo(b, "parrot.jpg")
	for b.Loop() {
		if _, err := Occlusion(c, img, Options{Class: -1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOcclusionV1(b *testing.B) { benchmark(b, v1) }
func BenchmarkOcclusionV2(b *testing.B) { benchmark(b, v2) }
