package explain

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model"
)

// loadZoo loads a model of the shared zoo (random weights) with the card
// derived from it (224x224, a softmax over the logits, crop 0.875).
func loadZoo(t testing.TB, name string) *model.Classifier {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(shared, "zoo", name, "model.onnx"))
	if err != nil {
		t.Skipf("shared zoo not available: %v", err)
	}
	c, err := model.Load(model.Files{Name: name, Model: data})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Attention rollout on the zoo's ViT (random weights, so only the
// structure is checked): four layers of 3 heads over 197 tokens, a 14x14
// heat, finite, non-negative, hottest 1; the rolled-out matrix is
// row-stochastic. The opset-13 and opset-17 exports hold the same weights
// (the zoo's README: outputs within 1.7e-6), so their heats agree.
func TestRolloutViT(t *testing.T) {
	img := photo(t, "parrot.jpg")
	var heats []*Heat
	for _, name := range []string{"vit_tiny_p16_opset13", "vit_tiny_p16_opset17"} {
		c := loadZoo(t, name)
		if !HasAttention(c) || DefaultMethod(c) != MethodRollout {
			t.Fatalf("%s: HasAttention %v, DefaultMethod %q: want rollout", name, HasAttention(c), DefaultMethod(c))
		}
		if _, err := Rollout(c, img, Options{Class: -1}); err != nil { // builds the engine
			t.Fatal(err)
		}
		t0 := time.Now()
		h, err := Explain(c, img, MethodRollout, Options{Class: -1})
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(t0)
		checkCAM(t, h, 1000, MethodRollout)
		if h.Rows != 14 || h.Cols != 14 || !h.Region.In(img.Bounds()) || h.Region.Dx() != h.Region.Dy() {
			t.Errorf("%s: %dx%d cells over %v, want 14x14 over the centre square", name, h.Rows, h.Cols, h.Region)
		}
		at, err := attentionFor(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(at.layers) != 4 || at.heads != 3 || at.tokens != 197 || !at.cls {
			t.Errorf("%s: %d layers of %d heads over %d tokens (class token %v), want 4 of 3 over 197", name, len(at.layers), at.heads, at.tokens, at.cls)
		}
		worst := 0.0
		for i := 0; i < at.tokens; i++ {
			s := 0.0
			for _, v := range at.r[i*at.tokens : (i+1)*at.tokens] {
				if !(v >= 0) || math.IsInf(v, 0) {
					t.Fatalf("%s: rolled-out value %v", name, v)
				}
				s += v
			}
			worst = max(worst, math.Abs(s-1))
		}
		if worst > 1e-9 {
			t.Errorf("%s: a row of the rolled-out matrix sums to 1±%.2g", name, worst)
		}
		top, cl, err := c.Classify(img, 1)
		if err != nil {
			t.Fatal(err)
		}
		if top[0].Index != h.Class || math.Abs(float64(top[0].Prob-h.Prob)) > 1e-5 {
			t.Errorf("%s: class %d p %v, Classify says %d p %v", name, h.Class, h.Prob, top[0].Index, top[0].Prob)
		}
		t.Logf("%s: rollout %v, classification %v; heat min %.3f mean %.3f", name, el.Round(time.Microsecond), cl.Round(time.Microsecond), minOf(h.Values), h.Total()/float64(len(h.Values)))
		curve, err := Deletion(c, img, h, 4)
		if err != nil || len(curve) != 5 {
			t.Errorf("%s: deletion %v %v", name, curve, err)
		}
		heats = append(heats, h)
	}
	d := 0.0
	for i, v := range heats[0].Values {
		d = max(d, math.Abs(float64(v-heats[1].Values[i])))
	}
	t.Logf("opset 13 vs 17: heats differ by at most %.2g", d)
	if d > 1e-4 {
		t.Errorf("opset 13 and 17 heats differ by %.2g: want the same within 1e-4", d)
	}
}

func minOf(v []float32) float32 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

// A CNN has no attention: rollout says so, and the default is Grad-CAM.
func TestRolloutCNN(t *testing.T) {
	c := load(t, v1, "")
	if HasAttention(c) {
		t.Error("MobileNet has attention")
	}
	_, err := Explain(c, photo(t, "coffee.png"), MethodRollout, Options{Class: -1})
	if err == nil || !strings.Contains(err.Error(), "no attention") {
		t.Errorf("rollout of a CNN: %v, want an error that says it has no attention", err)
	}
	if m := DefaultMethod(c); m != MethodGradCAM {
		t.Errorf("default method %q, want gradcam", m)
	}
}

// tokenGrid: 197 tokens are 14x14 patches and a class token, 196 just the
// patches, and neither 198 nor 3.
func TestTokenGrid(t *testing.T) {
	for _, tc := range []struct {
		T, grid int
		cls, ok bool
	}{{197, 14, true, true}, {196, 14, false, true}, {50, 7, true, true}, {5, 2, true, true}, {198, 0, false, false}, {3, 0, false, false}, {2, 0, false, false}} {
		g, cls, ok := tokenGrid(tc.T)
		if g != tc.grid || cls != tc.cls || ok != tc.ok {
			t.Errorf("%d tokens: %d, %v, %v; want %d, %v, %v", tc.T, g, cls, ok, tc.grid, tc.cls, tc.ok)
		}
	}
}

// Explain runs every method by name, and each heat has its method's name
// and passes Deletion's checks.
func TestExplainMethods(t *testing.T) {
	c := load(t, v1, "")
	img := photo(t, "coffee.png")
	for _, m := range Methods {
		o := Options{Class: -1, Steps: 4, Samples: 2, Patch: 32, Stride: 32}
		h, err := Explain(c, img, m, o)
		if m == MethodRollout {
			if err == nil {
				t.Error("rollout explained a CNN")
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if h.Method != m || h.Class != 967 {
			t.Errorf("%s: method %q class %d", m, h.Method, h.Class)
		}
		if _, err := Deletion(c, img, h, 2); err != nil {
			t.Errorf("%s: deletion: %v", m, err)
		}
	}
	h, err := Explain(c, img, "", Options{Class: -1})
	if err != nil || h.Method != MethodGradCAM {
		t.Errorf("default: %v %v", h, err)
	}
}
