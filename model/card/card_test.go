package card

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/vision"
)

func TestDerive(t *testing.T) {
	defIn := func(layout string, w, h int) Input {
		return Input{Width: w, Height: h, Layout: layout, Channels: "RGB",
			Mean: [3]float32{123.675, 116.28, 103.53}, Std: [3]float32{58.395, 57.12, 57.375},
			Crop: 0.875, Resize: "bilinear"}
	}
	tests := []struct {
		name   string
		shape  []int
		lastOp string
		want   Card
	}{
		{"NCHW softmax graph", []int{1, 3, 224, 224}, "Softmax",
			Card{Input: defIn("NCHW", 224, 224), Output: Output{Activation: "none"}}},
		{"NHWC logits", []int{1, 192, 160, 3}, "Gemm",
			Card{Input: defIn("NHWC", 160, 192), Output: Output{Activation: "softmax"}}},
		{"non-square NCHW", []int{1, 3, 240, 320}, "MatMul",
			Card{Input: defIn("NCHW", 320, 240), Output: Output{Activation: "softmax"}}},
		{"symbolic NCHW", []int{-1, 3, -1, 0}, "",
			Card{Input: defIn("NCHW", 224, 224), Output: Output{Activation: "softmax"}}},
		{"symbolic batch NHWC", []int{0, 0, 128, 3}, "Softmax",
			Card{Input: defIn("NHWC", 128, 224), Output: Output{Activation: "none"}}},
		{"sigmoid multi-label", []int{1, 3, 299, 299}, "Sigmoid",
			Card{Input: defIn("NCHW", 299, 299), Output: Output{Activation: "none", Threshold: 0.5, MultiLabel: true}}},
		{"3x3 image prefers NCHW", []int{1, 3, 3, 3}, "Softmax",
			Card{Input: defIn("NCHW", 3, 3), Output: Output{Activation: "none"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Derive(tc.shape, tc.lastOp)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Derive(%v, %q) =\n %+v\nwant\n %+v", tc.shape, tc.lastOp, got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("derived card invalid: %v", err)
			}
		})
	}
}

func TestDeriveErrors(t *testing.T) {
	tests := []struct {
		shape []int
		want  string
	}{
		{nil, "[] is not 4-D"},
		{[]int{1, 3, 224}, "[1 3 224] is not 4-D"},
		{[]int{1, 3, 224, 224, 1}, "[1 3 224 224 1] is not 4-D"},
		{[]int{1, 1, 28, 28}, "[1 1 28 28] has no 3-channel dimension"},
		{[]int{1, 224, 224, 4}, "[1 224 224 4] has no 3-channel dimension"},
		{[]int{-1, -1, -1, -1}, "[-1 -1 -1 -1] has no 3-channel dimension"},
	}
	for _, tc := range tests {
		_, err := Derive(tc.shape, "Softmax")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Derive(%v) err = %v, want %q", tc.shape, err, tc.want)
		}
	}
}

func mustDerive(t *testing.T) Card {
	t.Helper()
	c, err := Derive([]int{1, 3, 224, 224}, "Gemm")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestApply(t *testing.T) {
	base := mustDerive(t)
	tests := []struct {
		name string
		json string
		edit func(*Card) // expected changes relative to base
	}{
		{"empty object", `{}`, func(*Card) {}},
		{"null", `null`, func(*Card) {}},
		{"empty input", `{"input":{}}`, func(*Card) {}},
		{"crop 1 overrides", `{"input":{"crop":1}}`, func(c *Card) { c.Input.Crop = 1 }},
		{"mean scalar", `{"input":{"mean":127.5,"std":[127.5,127.5,127.5]}}`, func(c *Card) {
			c.Input.Mean = [3]float32{127.5, 127.5, 127.5}
			c.Input.Std = [3]float32{127.5, 127.5, 127.5}
		}},
		{"size and layout", `{"input":{"width":256,"height":192,"layout":"NHWC","channels":"BGR","resize":"area"}}`, func(c *Card) {
			c.Input.Width, c.Input.Height, c.Input.Layout, c.Input.Channels, c.Input.Resize = 256, 192, "NHWC", "BGR", "area"
		}},
		{"metadata", `{"name":"m","labels":"l.txt","license":"MIT","source":"x"}`, func(c *Card) {
			c.Name, c.Labels, c.License, c.Source = "m", "l.txt", "MIT", "x"
		}},
		{"activation none", `{"output":{"activation":"none"}}`, func(c *Card) { c.Output.Activation = "none" }},
		{"sigmoid implies multi-label", `{"output":{"activation":"sigmoid"}}`, func(c *Card) {
			c.Output = Output{Activation: "sigmoid", Threshold: 0.5, MultiLabel: true}
		}},
		{"sigmoid single-label", `{"output":{"activation":"sigmoid","multi_label":false,"threshold":0.3}}`, func(c *Card) {
			c.Output = Output{Activation: "sigmoid", Threshold: 0.3}
		}},
		{"threshold only", `{"output":{"threshold":0.7}}`, func(c *Card) { c.Output.Threshold = 0.7 }},
		{"empty string overrides", `{"name":""}`, func(*Card) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			want := base
			tc.edit(&want)
			if got := base.Apply(o); !reflect.DeepEqual(got, want) {
				t.Errorf("Apply(%s) =\n %+v\nwant\n %+v", tc.json, got, want)
			}
		})
	}
	// Overriding a non-empty value with an explicitly empty one.
	named := base
	named.Name = "old"
	o, _ := Parse([]byte(`{"name":""}`))
	if got := named.Apply(o); got.Name != "" {
		t.Errorf("explicit empty name not applied: %q", got.Name)
	}
	// Absent fields keep non-default derived values.
	sig, _ := Derive([]int{1, 3, 224, 224}, "Sigmoid")
	o, _ = Parse([]byte(`{"input":{"crop":0.9}}`))
	if got := sig.Apply(o); !reflect.DeepEqual(got.Output, sig.Output) || got.Input.Crop != 0.9 {
		t.Errorf("sigmoid card after crop override: %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ json, want string }{
		{``, "empty"},
		{"  \n", "empty"},
		{`{"input":{"crpo":1}}`, `unknown field "crpo"`},
		{`{"lables":"x"}`, `unknown field "lables"`},
		{`{"output":{"activaton":"none"}}`, `unknown field "activaton"`},
		{`{"input":{"mean":[1,2]}}`, "array of 3 numbers"},
		{`{"input":{"std":[1,2,3,4]}}`, "array of 3 numbers"},
		{`{"input":{"std":"127.5"}}`, "array of 3 numbers"},
		{`{"input":{"width":"224"}}`, "cannot unmarshal"},
		{`{"input":{"crop":1}`, "unexpected EOF"},
		{`{} {}`, "after the top-level object"},
		{`[1]`, "cannot unmarshal array"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) err = %v, want %q", tc.json, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error %q", err)
		}
	}
}

func TestValidate(t *testing.T) {
	base := mustDerive(t)
	base.Name = "m"
	tests := []struct {
		name string
		edit func(*Card)
		want []string
	}{
		{"std zero", func(c *Card) { c.Input.Std[1] = 0 }, []string{"input.std[1] 0 must be a positive number"}},
		{"std negative", func(c *Card) { c.Input.Std[0] = -1 }, []string{"input.std[0]"}},
		{"crop zero", func(c *Card) { c.Input.Crop = 0 }, []string{"input.crop 0 out of range (0,1]"}},
		{"crop too big", func(c *Card) { c.Input.Crop = 1.1 }, []string{"input.crop 1.1"}},
		{"layout", func(c *Card) { c.Input.Layout = "nchw" }, []string{`input.layout "nchw" unknown`}},
		{"channels", func(c *Card) { c.Input.Channels = "RGBA" }, []string{`input.channels "RGBA" unknown`}},
		{"resize", func(c *Card) { c.Input.Resize = "lanczos" }, []string{`input.resize "lanczos" unknown`}},
		{"resize empty", func(c *Card) { c.Input.Resize = "" }, []string{`input.resize "" unknown`}},
		{"activation", func(c *Card) { c.Output.Activation = "softmx" }, []string{`output.activation "softmx" unknown`}},
		{"size", func(c *Card) { c.Input.Width = 0 }, []string{"input size 0x224"}},
		{"huge size", func(c *Card) { c.Input.Height = 100000 }, []string{"input size 224x100000"}},
		{"threshold", func(c *Card) { c.Output.Threshold = 1 }, []string{"output.threshold 1 out of range"}},
		{"multi-label without threshold", func(c *Card) { c.Output.MultiLabel = true }, []string{"multi-label"}},
		{"mean 3e38, std 1e-38 (every input ±Inf)", func(c *Card) {
			c.Input.Mean = [3]float32{3e38, 3e38, 3e38}
			c.Input.Std = [3]float32{1e-38, 1e-38, 1e-38}
		},
			[]string{"input.mean[0] 3e+38 out of range [-1e+06, 1e+06]", "input.mean[2]", "input.std[0] 1e-38 out of range [1e-06, 1e+06]", "input.std[2]"}},
		{"std below the floor", func(c *Card) { c.Input.Std[1] = 1e-7 }, []string{"input.std[1] 1e-07 out of range"}},
		{"std huge", func(c *Card) { c.Input.Std[2] = 2e6 }, []string{"input.std[2] 2e+06 out of range"}},
		{"std +Inf", func(c *Card) { c.Input.Std[0] = float32(math.Inf(1)) }, []string{"input.std[0] +Inf must be a positive number"}},
		{"std NaN", func(c *Card) { c.Input.Std[0] = float32(math.NaN()) }, []string{"input.std[0] NaN"}},
		{"mean huge negative", func(c *Card) { c.Input.Mean[1] = -2e6 }, []string{"input.mean[1] -2e+06 out of range"}},
		{"mean NaN", func(c *Card) { c.Input.Mean[2] = float32(math.NaN()) }, []string{"input.mean[2] NaN is not a finite number"}},
		{"mean -Inf", func(c *Card) { c.Input.Mean[0] = float32(math.Inf(-1)) }, []string{"input.mean[0] -Inf is not a finite number"}},
		{"crop NaN", func(c *Card) { c.Input.Crop = float32(math.NaN()) }, []string{"input.crop NaN out of range"}},
		{"threshold NaN", func(c *Card) { c.Output.Threshold = float32(math.NaN()) }, []string{"output.threshold NaN out of range"}},
		{"threshold negative", func(c *Card) { c.Output.Threshold = -0.5 }, []string{"output.threshold -0.5 out of range"}},
		{"several at once", func(c *Card) { c.Input.Std[2] = 0; c.Input.Crop = 2; c.Input.Layout = "X" },
			[]string{"input.std[2]", "input.crop 2", `input.layout "X"`, "invalid model card m:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
		})
	}
	if err := base.Validate(); err != nil {
		t.Errorf("base card: %v", err)
	}
	edge := base // the bounds themselves are sane
	edge.Input.Mean = [3]float32{-MaxNorm, 0, MaxNorm}
	edge.Input.Std = [3]float32{MinStd, 1, MaxNorm}
	if err := edge.Validate(); err != nil {
		t.Errorf("card at the bounds: %v", err)
	}
}

// The red team's card: a file that parses is still refused, in one line.
func TestAbsurdCardFile(t *testing.T) {
	for _, js := range []string{
		`{"input":{"mean":3e38,"std":1e-38}}`,
		`{"input":{"mean":[0,0,1e7]}}`,
		`{"input":{"std":[1,1,1e-30]}}`,
	} {
		_, err := Resolve([]int{1, 3, 224, 224}, "Softmax", []byte(js))
		if err == nil || !strings.Contains(err.Error(), "out of range") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v", js, err)
		}
	}
}

func TestResolve(t *testing.T) {
	c, err := Resolve([]int{1, 3, 224, 224}, "Softmax", nil)
	if err != nil || c.Output.Activation != "none" {
		t.Fatalf("Resolve without overrides: %+v, %v", c, err)
	}
	c, err = Resolve([]int{1, 3, 224, 224}, "Softmax", []byte(`{"input":{"mean":127.5,"std":127.5,"crop":1}}`))
	if err != nil || c.Input.Crop != 1 || c.Input.Std != [3]float32{127.5, 127.5, 127.5} {
		t.Fatalf("Resolve with overrides: %+v, %v", c, err)
	}
	for _, tc := range []struct {
		shape []int
		json  string
		want  string
	}{
		{[]int{1, 224, 224}, `{}`, "not 4-D"},
		{[]int{1, 3, 224, 224}, `{"input":{"crp":1}}`, "unknown field"},
		{[]int{1, 3, 224, 224}, `{"input":{"std":0}}`, "input.std[0]"},
	} {
		if _, err := Resolve(tc.shape, "Softmax", []byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resolve(%v, %s) err = %v, want %q", tc.shape, tc.json, err, tc.want)
		}
	}
}

func TestDefault(t *testing.T) {
	want := Card{
		Name: "mobilenet_v2_1.0_224",
		Input: Input{Width: 224, Height: 224, Layout: "NCHW", Channels: "RGB",
			Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{127.5, 127.5, 127.5},
			Crop: 1, Resize: "bilinear"},
		Output:  Output{Activation: "none"},
		Labels:  "labels.txt",
		License: "MobileNetV2 (TensorFlow, Apache-2.0), via google-coral/test_data",
	}
	got := Default()
	if got.Source == "" {
		t.Error("default card has no source")
	}
	got.Source = ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Default() =\n %+v\nwant\n %+v", got, want)
	}
	if err := Default().Validate(); err != nil {
		t.Error(err)
	}
	// The graph-derived card plus the embedded file as overrides gives the
	// same card (the default card is a complete override file).
	d, err := Resolve([]int{1, 3, 224, 224}, "Softmax", DefaultJSON())
	if err != nil || !reflect.DeepEqual(d, Default()) {
		t.Errorf("Resolve with default JSON = %+v, %v", d, err)
	}
	// JSON round trip.
	b, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	rt, err := ParseCard(b)
	if err != nil || !reflect.DeepEqual(rt, Default()) {
		t.Errorf("round trip: %+v, %v (json %s)", rt, err, b)
	}
	// Default returns a copy.
	x := Default()
	x.Input.Mean[0] = 0
	if Default().Input.Mean[0] != 127.5 {
		t.Error("Default() shares state")
	}
	s := Default().Spec()
	wantSpec := vision.Spec{Width: 224, Height: 224, Layout: "NCHW", Channels: "RGB",
		Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{127.5, 127.5, 127.5}, Crop: 1, Resize: "bilinear"}
	if s != wantSpec {
		t.Errorf("Spec() = %+v, want %+v", s, wantSpec)
	}
}

// The default card agrees with the model's PROVENANCE.md in the shared data.
func TestDefaultMatchesProvenance(t *testing.T) {
	const path = "../../../shared/models/mobilenet_v2_1.0_224/PROVENANCE.md"
	b, err := os.ReadFile(path)
	if err != nil {
		if _, serr := os.Stat("../../../shared/models"); serr != nil {
			t.Skipf("shared models folder not available (%v)", serr)
		}
		t.Fatal(err)
	}
	p := string(b)
	for _, want := range []string{"[1,3,224,224], RGB", "(pixel - 127.5)/127.5", "Softmax", "Apache-2.0", "google-coral/test_data"} {
		if !strings.Contains(p, want) {
			t.Errorf("PROVENANCE.md no longer says %q; re-check mobilenet_v2_1.0_224.json", want)
		}
	}
	if _, err := os.Stat("../../../shared/models/mobilenet_v2_1.0_224/" + Default().Labels); err != nil {
		t.Errorf("labels file named by the default card: %v", err)
	}
}

func TestParseCard(t *testing.T) {
	if _, err := ParseCard([]byte(`{"input":{"width":224}}`)); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("incomplete card: %v", err)
	}
	full := strings.Replace(string(DefaultJSON()), `"crop": 1.0`, `"crop": 0`, 1)
	if _, err := ParseCard([]byte(full)); err == nil || !strings.Contains(err.Error(), "input.crop") {
		t.Errorf("invalid card: %v", err)
	}
}

func TestSpecPreprocess(t *testing.T) {
	// The card's Spec is accepted by vision.Preprocess for derived cards.
	for _, shape := range [][]int{{1, 3, 224, 224}, {1, 96, 128, 3}} {
		c, err := Derive(shape, "Softmax")
		if err != nil {
			t.Fatal(err)
		}
		s := c.Spec()
		dst := make([]float32, 3*s.Width*s.Height)
		if err := vision.PreprocessRGBA(make([]uint8, 4*10*10), 10, 10, 40, s, dst); err != nil {
			t.Errorf("%v: %v", shape, err)
		}
	}
}

// TestTrainedCard: a card written by glimpse train (per-class thresholds,
// the training record) reads back as it was written, and a threshold out
// of range is refused.
func TestTrainedCard(t *testing.T) {
	c := Default()
	c.Output = Output{Activation: ActivationNone, MultiLabel: true, Threshold: 0.5, Thresholds: []float32{0.3, 0.7}}
	c.Training = &Training{Date: "2026-11-30T12:00:00Z", Backbone: "b", Feature: "f", Seed: 3,
		Classes:    []TrainingClass{{Name: "a", Photos: 10, Validation: 2}, {Name: "b", Photos: 4, Validation: 1}},
		Head:       TrainingHead{Mode: "linear", Optimizer: "L-BFGS", WeightDecay: 0.01, Epochs: 40, BestEpoch: 30, ClassWeight: true},
		Augment:    &Augmentation{Variants: 4, Scale: [2]float64{0.6, 1}, Ratio: [2]float64{0.75, 4.0 / 3}, Flip: true, Rotate: 15},
		Split:      TrainingSplit{Train: 11, Validation: 3, Fraction: 0.2, Rows: 55},
		Validation: map[string]float64{"accuracy": 1, "loss": 0.1}}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	got := Default().Apply(o)
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("read back %+v\nwrote %+v", got, c)
	}
	got.Output.Thresholds = []float32{0.3, 1}
	if err := got.Validate(); err == nil || !strings.Contains(err.Error(), "output.thresholds[1] 1 out of range (0,1)") {
		t.Errorf("threshold 1: %v", err)
	}
}

// TestMerge: a trained model's card keeps its backbone's input and takes
// the new output and training record; a bad card on either side is refused.
func TestMerge(t *testing.T) {
	base := DefaultJSON()
	out, err := Merge(base, []byte(`{"name":"birds","output":{"activation":"none","multi_label":true,"thresholds":[0.3,0.6]},"training":{"date":"d","backbone":"b","feature":"f","classes":[],"head":{"mode":"linear","optimizer":"L-BFGS","weight_decay":0.1,"epochs":3,"best_epoch":3,"class_weight":true},"split":{"train":1,"validation":1,"fraction":0.2,"rows":1},"seed":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	o, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	c := Default().Apply(o)
	if c.Name != "birds" || c.Input != Default().Input || !c.Output.MultiLabel || len(c.Output.Thresholds) != 2 || c.Training == nil || c.Training.Head.Mode != "linear" {
		t.Errorf("merged card %+v", c)
	}
	if _, err := Merge(base, []byte(`{"outptu":{}}`)); err == nil {
		t.Error("a typo in the new card was accepted")
	}
	if _, err := Merge([]byte(`{"input":{"crpo":1}}`), []byte(`{}`)); err == nil {
		t.Error("a bad base card was accepted")
	}
}
