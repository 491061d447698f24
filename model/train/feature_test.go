package train_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	_ "github.com/glimpse/glimpse/model/importer" // the ONNX decoder
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/train"
)

const shared = "../../../shared"

// TestFindFeature: the penultimate tensor of every shared backbone (a
// 1×1 Conv classifier after pooling, Gemm after Flatten, MatMul+Add in the
// ViTs, SqueezeNet's Conv before its pooling), and the size of the feature
// vector a feature extractor then gives.
func TestFindFeature(t *testing.T) {
	if _, err := os.Stat(filepath.Join(shared, "zoo")); err != nil {
		t.Skip("shared models not available")
	}
	for _, tc := range []struct {
		path    string
		feature string
		dim     int
		pooled  bool
	}{
		{"models/mobilenet_v2_1.0_224", "MobilenetV2/Logits/AvgPool", 1280, false},
		{"models/mobilenet_v1_0.25_128", "MobilenetV1/Logits/AvgPool_1a/AvgPool", 256, false},
		{"zoo/squeezenet1_1", "", 512, true},
		{"zoo/shufflenet_v2_x0_5", "", 1024, false},
		{"zoo/mobilenet_v3_small", "", 1024, false},
		{"zoo/mnasnet0_5", "", 1280, false},
		{"zoo/efficientnet_b0", "", 1280, false},
		{"zoo/regnet_x_400mf", "", 400, false},
		{"zoo/vit_tiny_p16_opset13", "", 192, false},
		{"zoo/vit_tiny_p16_opset17", "", 192, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(shared, tc.path, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			g, err := model.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			name, err := train.FindFeature(g)
			if err != nil {
				t.Fatal(err)
			}
			if tc.feature != "" && name != tc.feature {
				t.Errorf("feature %q, want %q", name, tc.feature)
			}
			c, err := model.Load(model.Files{Name: tc.path, Model: data, Feature: train.Auto})
			if err != nil {
				t.Fatal(err)
			}
			if n := c.Program.Outputs[0].Len(); n != tc.dim || c.Pooled != tc.pooled || c.Feature != name {
				t.Errorf("%d features (pooled %v) from %q, want %d (pooled %v)", n, c.Pooled, c.Feature, tc.dim, tc.pooled)
			}
		})
	}
}

// TestFindFeatureErrors: a model whose output no classifier layer makes
// gets a message that says what it found and what to do.
func TestFindFeatureErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(shared, "models/mobilenet_v1_0.25_128/model.onnx"))
	if err != nil {
		t.Skip("shared models not available")
	}
	g, err := model.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	// Cut the model before its classifier: its output is a pooled map.
	cut, err := train.Truncate(g, "MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6_relu6")
	if err != nil {
		t.Fatal(err)
	}
	_, err = train.FindFeature(cut)
	if err == nil || !strings.Contains(err.Error(), "comes from Clip, not from a Gemm, MatMul or 1×1 Conv classifier") || !strings.Contains(err.Error(), "-feature") {
		t.Errorf("got %v", err)
	}
	if _, err := train.Truncate(g, "nope"); err == nil || !strings.Contains(err.Error(), `no tensor named "nope"`) {
		t.Errorf("got %v", err)
	}
}

// TestWithHead: a classifier's Extractor and WithHead make, in memory, the
// model the ONNX export makes (onnx.ReplaceHead): the bundle of one and the
// ONNX file of the other give the same probabilities (1e-5), which are the
// head's own on the extractor's features; the bundle no longer holds the
// old classifier's weights.
func TestWithHead(t *testing.T) {
	for _, path := range []string{"models/mobilenet_v1_0.25_128", "zoo/squeezenet1_1"} {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(shared, path, "model.onnx"))
			if err != nil {
				t.Skip("shared models not available")
			}
			c, err := model.Load(model.Files{Name: path, Model: data})
			if err != nil {
				t.Fatal(err)
			}
			ext, err := c.Extractor()
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range ext.Input() {
				ext.Input()[i] = float32(rng.NormFloat64())
			}
			input := slices.Clone(ext.Input())
			if err := ext.Program.Execute(); err != nil {
				t.Fatal(err)
			}
			feat := slices.Clone(ext.Program.Outputs[0].F)
			d := len(feat)
			layers := []train.Dense{{In: d, Out: 8}, {In: 8, Out: 3}}
			for i := range layers {
				l := &layers[i]
				l.W, l.B = make([]float32, l.In*l.Out), make([]float32, l.Out)
				for j := range l.W {
					l.W[j] = float32(rng.NormFloat64() / math.Sqrt(float64(l.In)))
				}
				for j := range l.B {
					l.B[j] = float32(rng.NormFloat64())
				}
			}
			// The head by hand, in float64.
			h := make([]float64, 8)
			for o := range h {
				s := float64(layers[0].B[o])
				for i, v := range feat {
					s += float64(layers[0].W[o*d+i]) * float64(v)
				}
				h[o] = max(s, 0)
			}
			want := make([]float64, 3)
			sum := 0.0
			for o := range want {
				s := float64(layers[1].B[o])
				for i, v := range h {
					s += float64(layers[1].W[o*8+i]) * v
				}
				want[o] = math.Exp(s)
				sum += want[o]
			}
			g, err := train.WithHead(ext.Graph, layers, "softmax", "probs")
			if err != nil {
				t.Fatal(err)
			}
			b, err := bundle.Encode(g, bundle.Meta{Name: "trained"}, bundle.Auto)
			if err != nil {
				t.Fatal(err)
			}
			oh := onnx.Head{Feature: ext.Feature, Pool: ext.Pooled, Activation: "softmax", Output: "probs"}
			for _, l := range layers {
				oh.Layers = append(oh.Layers, onnx.Dense{In: l.In, Out: l.Out, W: l.W, B: l.B})
			}
			ob, err := onnx.ReplaceHead(data, oh)
			if err != nil {
				t.Fatal(err)
			}
			for name, file := range map[string][]byte{"bundle": b, "onnx": ob} {
				m, err := model.Load(model.Files{Name: name, Model: file})
				if err != nil {
					t.Fatal(err)
				}
				copy(m.Input(), input)
				if err := m.Program.Execute(); err != nil {
					t.Fatal(err)
				}
				for o, v := range m.Program.Outputs[0].F {
					if math.Abs(float64(v)-want[o]/sum) > 1e-5 {
						t.Errorf("%s: class %d: %g, want %g", name, o, v, want[o]/sum)
					}
				}
			}
			if len(b) >= len(data) {
				t.Errorf("the bundle is %d bytes, the ONNX file with its old classifier %d", len(b), len(data))
			}
		})
	}
}
