package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// blobs makes k Gaussian clusters in d dimensions, n photos each, with
// `variants` noisy copies of each photo standing in for augmentation.
// spread is the clusters' noise relative to the distance between centres.
func blobs(seed uint64, k, d, n, variants int, spread float64) []Example {
	rng := rand.New(rand.NewPCG(seed, 9))
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range centres[c] {
			centres[c][j] = rng.NormFloat64()
		}
	}
	var out []Example
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			e := Example{Classes: []int{c}}
			base := make([]float64, d)
			for j := range base {
				base[j] = centres[c][j] + spread*rng.NormFloat64()
			}
			for v := 0; v <= variants; v++ {
				f := make([]float32, d)
				for j := range f {
					f[j] = float32(3*base[j] + 5) // not standardised
					if v > 0 {
						f[j] += float32(0.3 * spread * rng.NormFloat64())
					}
				}
				e.Features = append(e.Features, f)
			}
			out = append(out, e)
		}
	}
	return out
}

func accuracy(h *Head, ex []Example) float64 {
	ok := 0
	for _, e := range ex {
		p := h.Probs(e.Features[0])
		best := 0
		for i, v := range p {
			if v > p[best] {
				best = i
			}
		}
		if best == e.Classes[0] {
			ok++
		}
	}
	return float64(ok) / float64(len(ex))
}

// TestFitBlobs: a linear head separates clusters it has not seen, the
// exported layers compute the same logits on raw features, and a fit is
// reproducible from its seed.
func TestFitBlobs(t *testing.T) {
	ex := blobs(1, 4, 20, 20, 2, 0.6)
	test := blobs(1, 4, 20, 40, 0, 0.6)[80:] // same centres, new photos
	cfg := Config{Classes: 4, Seed: 5}
	r, err := Fit(ex, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Head.Mode != Linear || len(r.Val) != 16 || len(r.Train) != 64 || r.Rows != 64*3 {
		t.Fatalf("mode %s, %d validation, %d training photos, %d rows", r.Head.Mode, len(r.Val), len(r.Train), r.Rows)
	}
	if acc := accuracy(r.Head, test); acc < 0.95 {
		t.Errorf("held-out accuracy %.3f, want ≥ 0.95", acc)
	}
	if last := r.History[len(r.History)-1]; !(last.ValAcc >= 0.9) {
		t.Errorf("validation accuracy %.3f", last.ValAcc)
	}
	// Dense folds the standardisation in: same logits (1e-4 relative, float32 weights).
	layers := r.Head.Dense()
	for _, e := range test[:10] {
		want := r.Head.Logits(e.Features[0])
		x := e.Features[0]
		for c := 0; c < layers[0].Out; c++ {
			s := float64(layers[0].B[c])
			for i, v := range x {
				s += float64(layers[0].W[c*layers[0].In+i]) * float64(v)
			}
			if math.Abs(s-want[c]) > 1e-4*max(1, math.Abs(want[c])) {
				t.Fatalf("dense logit %d: %g, head %g", c, s, want[c])
			}
		}
	}
	r2, err := Fit(ex, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Head.Theta, r2.Head.Theta) || !reflect.DeepEqual(r.Val, r2.Val) {
		t.Error("the same seed gave another head")
	}
	cfg.Seed = 6
	if r3, _ := Fit(ex, cfg, nil); reflect.DeepEqual(r.Val, r3.Val) {
		t.Error("another seed gave the same validation split")
	}
}

// TestSplit: stratified, about Val of each class, never a class's last photo.
func TestSplit(t *testing.T) {
	classes := [][]int{}
	for c, n := range []int{20, 10, 2, 1} {
		for range n {
			classes = append(classes, []int{c})
		}
	}
	train, val := Split(classes, Config{Classes: 4, Seed: 1})
	perVal := map[int]int{}
	for _, i := range val {
		perVal[classes[i][0]]++
	}
	if want := map[int]int{0: 4, 1: 2, 2: 1}; !reflect.DeepEqual(perVal, want) {
		t.Errorf("validation photos per class %v, want %v", perVal, want)
	}
	if len(train)+len(val) != len(classes) {
		t.Errorf("%d+%d photos of %d", len(train), len(val), len(classes))
	}
	if _, val := Split(classes, Config{Classes: 4, Val: -1}); len(val) != 0 {
		t.Errorf("Val < 0 held out %d", len(val))
	}
}

// TestClassWeights: on imbalanced, overlapping classes, balanced class
// weights raise the rare class's recall.
func TestClassWeights(t *testing.T) {
	all := blobs(3, 2, 10, 60, 0, 1.6)
	var ex, test []Example
	rare := 0
	for i, e := range all {
		switch {
		case i >= 80:
			test = append(test, e)
		case e.Classes[0] == 0:
			ex = append(ex, e)
		case rare < 8:
			ex = append(ex, e)
			rare++
		}
	}
	recall := func(h *Head) float64 {
		hit, n := 0, 0
		for _, e := range test {
			if e.Classes[0] == 1 {
				n++
				if p := h.Probs(e.Features[0]); p[1] > p[0] {
					hit++
				}
			}
		}
		return float64(hit) / float64(n)
	}
	w, err := Fit(ex, Config{Classes: 2, Seed: 2, Mode: Linear}, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Fit(ex, Config{Classes: 2, Seed: 2, Mode: Linear, NoClassWeights: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rw, ru := recall(w.Head), recall(u.Head); !(rw > ru) {
		t.Errorf("rare-class recall %.3f with class weights, %.3f without", rw, ru)
	}
}

// TestFewShot: with fewer than FewShot photos a class, Auto fits a nearest
// class mean head; one photo per class works when NCM is asked for.
func TestFewShot(t *testing.T) {
	ex := blobs(4, 5, 30, 3, 0, 0.5)
	test := blobs(4, 5, 30, 23, 0, 0.5)[15:]
	r, err := Fit(ex, Config{Classes: 5, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Head.Mode != NCM {
		t.Fatalf("mode %s, want ncm", r.Head.Mode)
	}
	if acc := accuracy(r.Head, test); acc < 0.95 {
		t.Errorf("3-shot held-out accuracy %.3f", acc)
	}
	one := blobs(4, 5, 30, 1, 0, 0.5)
	if _, err := Fit(one, Config{Classes: 5}, nil); !errors.As(err, new(*ClassError)) {
		t.Errorf("one photo a class in auto mode: %v", err)
	}
	r, err = Fit(one, Config{Classes: 5, Mode: NCM}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acc := accuracy(r.Head, test); acc < 0.9 {
		t.Errorf("1-shot held-out accuracy %.3f", acc)
	}
}

// TestMLP: classes that no line separates (a ring around a centre) need
// the hidden layer, and Adam with early stopping gets there.
func TestMLP(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	mk := func(n int) []Example {
		var out []Example
		for i := 0; i < n; i++ {
			c := i % 2
			r := 0.5 * rng.Float64()
			if c == 1 {
				r = 1.5 + 0.5*rng.Float64()
			}
			a := 2 * math.Pi * rng.Float64()
			out = append(out, Example{Classes: []int{c}, Features: [][]float32{{float32(r * math.Cos(a)), float32(r * math.Sin(a)), float32(rng.NormFloat64() * 0.1)}}})
		}
		return out
	}
	ex, test := mk(200), mk(200)
	lin, err := Fit(ex, Config{Classes: 2, Mode: Linear, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mlp, err := Fit(ex, Config{Classes: 2, Mode: MLP, Hidden: 16, LearningRate: 0.01, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	al, am := accuracy(lin.Head, test), accuracy(mlp.Head, test)
	if am < 0.95 || al > 0.8 {
		t.Errorf("ring: linear %.3f, mlp %.3f", al, am)
	}
	if len(mlp.Head.Dense()) != 2 {
		t.Errorf("an MLP exports %d layers", len(mlp.Head.Dense()))
	}
}

// TestEarlyStopping: with noisy labels and a big hidden layer the
// validation loss turns up; training stops Patience epochs after the best
// one and keeps the best parameters.
func TestEarlyStopping(t *testing.T) {
	ex := blobs(8, 3, 40, 15, 0, 2.5)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range ex { // a third of the labels are wrong
		if rng.IntN(3) == 0 {
			ex[i].Classes = []int{rng.IntN(3)}
		}
	}
	r, err := Fit(ex, Config{Classes: 3, Mode: MLP, Hidden: 128, LearningRate: 0.01, Epochs: 400, Patience: 10, Seed: 3, WeightDecay: 1e-9}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.History); n >= 400 || n != r.BestEpoch+10 {
		t.Errorf("ran %d epochs, best %d", n, r.BestEpoch)
	}
	best := r.History[r.BestEpoch-1].ValLoss
	for _, p := range r.History {
		if p.ValLoss < best {
			t.Errorf("epoch %d had validation loss %g below the kept %g", p.Epoch, p.ValLoss, best)
		}
	}
}

// TestMultiLabel: photos holding several classes (features add up); a
// sigmoid head finds them and tunes a threshold per class.
func TestMultiLabel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	const k, d = 4, 24
	proto := make([][]float64, k)
	for c := range proto {
		proto[c] = make([]float64, d)
		for j := range proto[c] {
			proto[c][j] = rng.NormFloat64()
		}
	}
	mk := func(n int) []Example {
		var out []Example
		for len(out) < n {
			var cs []int
			for c := 0; c < k; c++ {
				if rng.Float64() < 0.4 {
					cs = append(cs, c)
				}
			}
			if len(cs) == 0 {
				continue
			}
			f := make([]float32, d)
			for j := range f {
				v := 0.4 * rng.NormFloat64()
				for _, c := range cs {
					v += proto[c][j]
				}
				f[j] = float32(v)
			}
			out = append(out, Example{Classes: cs, Features: [][]float32{f}})
		}
		return out
	}
	ex, test := mk(120), mk(200)
	r, err := Fit(ex, Config{Classes: k, Multi: true, Seed: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Head.Thresholds) != k || r.Head.Activation() != "sigmoid" {
		t.Fatalf("thresholds %v, activation %s", r.Head.Thresholds, r.Head.Activation())
	}
	exact := 0
	for _, e := range test {
		p := r.Head.Probs(e.Features[0])
		var got []int
		for c, v := range p {
			if v >= r.Head.Thresholds[c] {
				got = append(got, c)
			}
		}
		if reflect.DeepEqual(got, e.Classes) {
			exact++
		}
	}
	if acc := float64(exact) / float64(len(test)); acc < 0.9 {
		t.Errorf("exact-match accuracy %.3f", acc)
	}
	if _, err := Fit(ex, Config{Classes: k, Multi: true, Mode: NCM}, nil); err == nil {
		t.Error("a multi-label NCM head was accepted")
	}
}

// TestThresholds: the threshold with the best validation F1, midway.
func TestThresholds(t *testing.T) {
	ex := []Example{{Classes: []int{0}}, {Classes: []int{0}}, {Classes: []int{1}}, {Classes: []int{0, 1}}}
	probs := [][]float32{{0.9, 0.1}, {0.7, 0.3}, {0.2, 0.8}, {0.4, 0.6}}
	th := thresholds(probs, []int{0, 1, 2, 3}, ex, 2)
	// Class 0: positives 0.9, 0.7, 0.4, negative 0.2 → cut between 0.4 and 0.2.
	// Class 1: positives 0.8, 0.6, negatives 0.3, 0.1 → between 0.6 and 0.3.
	if math.Abs(float64(th[0])-0.3) > 1e-6 || math.Abs(float64(th[1])-0.45) > 1e-6 {
		t.Errorf("thresholds %v, want [0.3 0.45]", th)
	}
}

// TestBadInput: each mistake a person can make gets a line that says what.
func TestBadInput(t *testing.T) {
	ok := blobs(1, 2, 4, 3, 0, 0.5)
	for _, tc := range []struct {
		name string
		ex   []Example
		cfg  Config
		want string
	}{
		{"one class", ok[:3], Config{Classes: 1}, "at least two classes"},
		{"a class with one photo", ok[:3], Config{Classes: 2}, "class 1 has 1 photo(s); every class needs at least 2"},
		{"a class with none", ok, Config{Classes: 3}, "class 2 has 0 photo(s)"},
		{"no photos", nil, Config{Classes: 2}, "no photos"},
		{"ragged features", append(ok[:5:5], Example{Classes: []int{0}, Features: [][]float32{{1}}}), Config{Classes: 2}, "has 1 features, the others 4"},
		{"NaN", append(ok[:5:5], Example{Classes: []int{0}, Features: [][]float32{{1, float32(math.NaN()), 0, 0}}}), Config{Classes: 2}, "not a finite number"},
		{"two classes on a single-label photo", append(ok[:5:5], Example{Classes: []int{0, 1}, Features: ok[0].Features}), Config{Classes: 2}, "exactly one"},
		{"class out of range", append(ok[:5:5], Example{Classes: []int{7}, Features: ok[0].Features}), Config{Classes: 2}, "outside 0..1"},
		{"mode", ok, Config{Classes: 2, Mode: "svm"}, "auto, linear, mlp or ncm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fit(tc.ex, tc.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// BenchmarkFit: 10 classes × 20 photos of 1280 features (MobileNetV2's),
// each with 2 augmented variants, a linear head with the weight decay
// search and the refit: what the Train view runs.
func BenchmarkFit(b *testing.B) {
	ex := blobs(1, 10, 1280, 20, 2, 1.5)
	for b.Loop() {
		if _, err := Fit(ex, Config{Classes: 10, Seed: 1}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
