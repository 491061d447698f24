package importer_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/importer"
)

const shared = "../../../shared"

func files(tb testing.TB, dir string) model.Files {
	tb.Helper()
	m, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		tb.Skipf("not available: %v", err)
	}
	f := model.Files{Name: filepath.Base(dir), Model: m}
	f.Labels, _ = os.ReadFile(filepath.Join(dir, "labels.txt"))
	return f
}

// A bundle carries what the ONNX load resolved: the same card, labels,
// parameter and op counts, and the check report; loading it needs no ONNX
// decoder.
func TestCompileKeepsWhatLoadResolved(t *testing.T) {
	f := files(t, filepath.Join(shared, "models/mobilenet_v2_1.0_224"))
	f.Card, _ = os.ReadFile("../card/mobilenet_v2_1.0_224.json")
	b, cl, err := importer.Compile(f, bundle.Auto, &check.Options{Runs: -1})
	if err != nil {
		t.Fatal(err)
	}
	saved := model.DecodeONNX
	model.DecodeONNX = nil
	defer func() { model.DecodeONNX = saved }()
	bl, err := model.Load(model.Files{Name: "b.glimpse", Model: b})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bl.Card, cl.Card) || !reflect.DeepEqual(bl.Labels, cl.Labels) || bl.Params != cl.Params || bl.Ops != cl.Ops {
		t.Errorf("bundle: card %+v labels %d params %d ops %d; ONNX: card %+v labels %d params %d ops %d",
			bl.Card, len(bl.Labels), bl.Params, bl.Ops, cl.Card, len(cl.Labels), cl.Params, cl.Ops)
	}
	if bl.Check == nil || bl.Check.Verdict != check.OK || bl.Notice() != "" {
		t.Errorf("the bundle's check: %+v", bl.Check)
	}
}

// BenchmarkLoad compares loading a model from its ONNX file (decode, fold,
// fuse, pack, plan: what every visit did) with loading its bundle.
func BenchmarkLoad(b *testing.B) {
	dirs := []string{filepath.Join(shared, "models/mobilenet_v2_1.0_224"), filepath.Join(shared, "models/mobilenet_v1_0.25_128")}
	for _, z := range []string{"squeezenet1_1", "shufflenet_v2_x0_5", "mobilenet_v3_small", "mnasnet0_5", "efficientnet_b0", "regnet_x_400mf", "vit_tiny_p16_opset17"} {
		dirs = append(dirs, filepath.Join(shared, "zoo", z))
	}
	for _, dir := range dirs {
		f := files(b, dir)
		bb, _, err := importer.Compile(f, bundle.Auto, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(dir)+"/onnx", func(b *testing.B) {
			for b.Loop() {
				if _, err := model.Load(f); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(filepath.Base(dir)+"/bundle", func(b *testing.B) {
			for b.Loop() {
				if _, err := model.Load(model.Files{Name: "m", Model: bb}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
