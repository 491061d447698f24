package train_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model"
	_ "github.com/glimpse/glimpse/model/importer" // the ONNX decoder
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
