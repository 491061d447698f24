package explain

import (
	"fmt"
	"image"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/graph"
)

func checkCAM(t *testing.T, h *Heat, classes int, method string) {
	t.Helper()
	if h.Rows < 1 || h.Cols < 1 || len(h.Values) != h.Rows*h.Cols {
		t.Fatalf("heat %dx%d with %d values", h.Rows, h.Cols, len(h.Values))
	}
	top := float32(0)
	for i, v := range h.Values {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("value %d is %v", i, v)
		}
		top = max(top, v)
	}
	if top != 1 {
		t.Fatalf("the hottest cell is %v, want 1", top)
	}
	if h.Class < 0 || h.Class >= classes || !(h.Prob >= 0 && h.Prob <= 1) || h.Method != method {
		t.Fatalf("heat: class %d prob %v method %q", h.Class, h.Prob, h.Method)
	}
}

// A photo pasted into one quadrant of a grey canvas: Grad-CAM of the top
// class puts most of its weight in that quadrant, for each quadrant: the
// cat on the small model's last 4x4 feature map, the parrot (a macaw) on
// the default model's 7x7 one. (The small model does not see the parrot
// at 64 pixels: its top class is a parachute or a hamper, macaw's
// probability under 0.01, and there is nothing to localise.) The class
// and probability are the classifier's own.
func TestGradCAMLocalisation(t *testing.T) {
	for _, tc := range []struct {
		model, photo string
		grid         int
	}{{v1, "chelsea.png", 4}, {v2, "parrot.jpg", 7}} {
		if tc.model == v2 && runtime.GOOS == "js" {
			continue // the 224-pixel model: natively only
		}
		c := load(t, tc.model, "")
		obj := photo(t, tc.photo)
		size := 2 * c.Card.Input.Width
		for _, m := range []struct {
			name string
			f    func(*model.Classifier, image.Image, Options) (*Heat, error)
		}{{MethodGradCAM, GradCAM}, {MethodGradCAMPlusPlus, GradCAMPlusPlus}} {
			for q, where := range []string{"top left", "top right", "bottom left", "bottom right"} {
				t.Run(fmt.Sprintf("%s/%s/%s/%s", m.name, tc.model, tc.photo, where), func(t *testing.T) {
					img := composite(obj, size, q)
					t0 := time.Now()
					h, err := m.f(c, img, Options{Class: -1})
					if err != nil {
						t.Fatal(err)
					}
					el := time.Since(t0)
					checkCAM(t, h, c.Program.Outputs[0].Len(), m.name)
					if h.Rows != tc.grid || h.Cols != tc.grid || h.Region != img.Bounds() {
						t.Errorf("%dx%d cells over %v, want %dx%[3]d over %v", h.Rows, h.Cols, h.Region, tc.grid, img.Bounds())
					}
					top, _, err := c.Classify(img, 1)
					if err != nil {
						t.Fatal(err)
					}
					if top[0].Index != h.Class || math.Abs(float64(top[0].Prob-h.Prob)) > 1e-4 {
						t.Errorf("class %d p %v, Classify says %d p %v", h.Class, h.Prob, top[0].Index, top[0].Prob)
					}
					share := quadrantShare(h, q)
					t.Logf("%s (p %.2f), %v: %.0f%% in the %s quadrant", c.Labels[h.Class], h.Prob, el.Round(time.Microsecond), 100*share, where)
					if share <= 0.5 {
						t.Errorf("%.0f%% of the heat in the %s quadrant, want more than half", 100*share, where)
					}
				})
			}
		}
	}
}

// The feature map is found (MobileNet v1's last pointwise block) or
// named; a name that is not a spatial map the score depends on is an error.
func TestGradCAMLayer(t *testing.T) {
	c := load(t, v1, "")
	name, err := GradCAMLayer(c, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(name, "Conv2d_13_pointwise") {
		t.Errorf("feature map %q, want the last pointwise block's", name)
	}
	img := photo(t, "parrot.jpg")
	layer := "MobilenetV1/MobilenetV1/Conv2d_11_pointwise/Relu6_relu6"
	h, err := GradCAM(c, img, Options{Class: -1, Layer: layer})
	if err != nil {
		t.Fatal(err)
	}
	checkCAM(t, h, 1000, MethodGradCAM)
	if h.Rows != 8 || h.Cols != 8 {
		t.Errorf("%s: %dx%d cells, want 8x8", layer, h.Rows, h.Cols)
	}
	for _, tc := range []struct{ layer, want string }{
		{"nope", `no tensor "nope"`},
		{"MobilenetV1/Logits/AvgPool_1a/AvgPool", "not a spatial feature map"},
		{"MobilenetV1/Logits/SpatialSqueeze1", "not a spatial feature map"},
	} {
		if _, err := GradCAM(c, img, Options{Class: -1, Layer: tc.layer}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("layer %q: got %v, want an error with %q", tc.layer, err, tc.want)
		}
	}
	if _, err := GradCAM(c, img, Options{Class: 1000}); err == nil || !strings.Contains(err.Error(), "class 1000 out of range") {
		t.Errorf("class 1000: got %v", err)
	}
	// A Grad-CAM heat can be measured like any other.
	h, err = GradCAM(c, img, Options{Class: -1})
	if err != nil {
		t.Fatal(err)
	}
	curve, err := Deletion(c, img, h, 4)
	if err != nil || len(curve) != 5 {
		t.Fatalf("deletion: %v %v", curve, err)
	}
}

// shuffled is c (the small model, with its card) with every weight
// tensor's values shuffled, the same shuffle every time.
func shuffled(t *testing.T, c *model.Classifier) *model.Classifier {
	t.Helper()
	g := c.Program.Export()
	r := rand.New(rand.NewPCG(4, 2))
	inits := map[string]*graph.Tensor{}
	for _, name := range slices.Sorted(maps.Keys(g.Initializers)) { // the same shuffle every time
		w := g.Initializers[name]
		if w.DType == graph.Float32 && len(w.Shape) >= 1 && w.Len() > 1 {
			cp := graph.Floats(w.Shape, slices.Clone(w.F))
			r.Shuffle(len(cp.F), func(i, j int) { cp.F[i], cp.F[j] = cp.F[j], cp.F[i] })
			w = cp
		}
		inits[name] = w
	}
	g.Initializers = inits
	data, err := bundle.Encode(g, bundle.Meta{Name: "shuffled"}, bundle.FP32)
	if err != nil {
		t.Fatal(err)
	}
	cardJSON, err := os.ReadFile("../../testdata/cards/" + v1 + ".json")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := model.Load(model.Files{Name: "shuffled", Model: data, Card: cardJSON})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// spearman is the rank correlation of a and b (ties share their mean rank);
// 0 when either is constant.
func spearman(a, b []float32) float64 {
	rank := func(v []float32) []float64 {
		idx := make([]int, len(v))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(i, j int) int {
			switch {
			case v[i] < v[j]:
				return -1
			case v[i] > v[j]:
				return 1
			}
			return 0
		})
		r := make([]float64, len(v))
		for i := 0; i < len(idx); {
			j := i
			for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
				j++
			}
			for k := i; k <= j; k++ {
				r[idx[k]] = float64(i+j) / 2
			}
			i = j + 1
		}
		return r
	}
	ra, rb := rank(a), rank(b)
	n := float64(len(a))
	ma, mb := (n-1)/2, (n-1)/2
	var sab, saa, sbb float64
	for i := range ra {
		sab += (ra[i] - ma) * (rb[i] - mb)
		saa += (ra[i] - ma) * (ra[i] - ma)
		sbb += (rb[i] - mb) * (rb[i] - mb)
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

// The model-randomisation sanity check (Adebayo et al., 2018): the same
// model with every weight tensor's values shuffled gives heat maps whose
// rank correlation with the real model's is well below 1 — the
// explanation depends on what the model learnt, not only on the photo.
// The real model's maps on the same photos at different quadrants, for
// contrast, are compared with themselves shifted.
func TestGradCAMRandomisedModel(t *testing.T) {
	c := load(t, v1, "")
	rc := shuffled(t, c)
	sum, n := 0.0, 0
	for _, name := range []string{"parrot.jpg", "chelsea.png", "dog.jpg", "coffee.png"} {
		img := photo(t, name)
		for q := -1; q < 4; q++ {
			im := img
			if q >= 0 {
				im = composite(img, 256, q)
			}
			h, err := GradCAM(c, im, Options{Class: -1})
			if err != nil {
				t.Fatal(err)
			}
			hr, err := GradCAM(rc, im, Options{Class: h.Class})
			if err != nil {
				t.Fatal(err)
			}
			rho := spearman(h.Values, hr.Values)
			t.Logf("%s q%d: rank correlation %.2f", name, q, rho)
			sum += rho
			n++
		}
	}
	mean := sum / float64(n)
	t.Logf("mean rank correlation, real vs shuffled weights: %.2f over %d photos", mean, n)
	if mean > 0.5 {
		t.Errorf("mean rank correlation %.2f with the shuffled model's heat, want well below 1 (at most 0.5)", mean)
	}
}

// Grad-CAM costs one forward pass of the copy compiled without buffer
// reuse and the backward pass from the logits to the last feature map:
// at most about twice a classification (preprocessing included in both).
// The bound checked is 3x, to leave room for a loaded machine.
func TestGradCAMCost(t *testing.T) {
	if testing.Short() || runtime.GOOS == "js" {
		t.Skip("timing: natively, not -short")
	}
	c := load(t, v1, "")
	img := photo(t, "parrot.jpg")
	if _, err := GradCAM(c, img, Options{Class: -1}); err != nil { // builds the engine
		t.Fatal(err)
	}
	const runs = 30
	median := func(f func() error) time.Duration {
		d := make([]time.Duration, runs)
		for i := range d {
			t0 := time.Now()
			if err := f(); err != nil {
				t.Fatal(err)
			}
			d[i] = time.Since(t0)
		}
		slices.Sort(d)
		return d[runs/2]
	}
	cl := median(func() error { _, _, err := c.Classify(img, 5); return err })
	fwd := median(c.Program.Execute)
	gc := median(func() error { _, err := GradCAM(c, img, Options{Class: -1}); return err })
	t0 := time.Now()
	e, err := newEngine(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newGradCAM(e, ""); err != nil {
		t.Fatal(err)
	}
	build := time.Since(t0)
	ratio := float64(gc) / float64(cl)
	t.Logf("classify %v (the forward pass alone %v), gradcam %v (%.2fx the classification); building the engine once %v", cl, fwd, gc, ratio, build)
	if ratio > 3 {
		t.Errorf("gradcam takes %.1fx a classification, want at most about 2x", ratio)
	}
}
