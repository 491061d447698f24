package model

import (
	"errors"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// tinyModel is [1,3,8,8] → GlobalAveragePool → Flatten → [1,3].
func tinyModel(op string) []byte {
	return onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "image", Dims: []any{1, 3, 8, 8}}},
		Outputs: []onnxtest.Value{{Name: "out", Dims: []any{1, 3}}},
		Nodes: []onnxtest.Node{
			{Op: op, Name: "pool", Inputs: []string{"image"}, Outputs: []string{"p"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"p"}, Outputs: []string{"out"}},
		},
	}.Bytes()
}

// Every way Load refuses a model carries a kind the browser API hands on
// as Error.code, and keeps the message it had.
func TestLoadErrorKinds(t *testing.T) {
	for _, c := range []struct {
		name, kind, msg string
		f               Files
	}{
		{"empty", KindInvalid, "empty ONNX file", Files{}},
		{"garbage", KindInvalid, "", Files{Model: []byte("this is not a model")}},
		{"unsupported op", KindUnsupported, `unsupported op FancyPool in node "pool"`, Files{Model: tinyModel("FancyPool")}},
		{"bad card", KindCard, "card: invalid model card JSON", Files{Model: tinyModel("GlobalAveragePool"), Card: []byte(`{"input": {"widht": 3}}`)}},
		{"card size", KindCard, "is fixed at", Files{Model: tinyModel("GlobalAveragePool"), Card: []byte(`{"input": {"width": 16, "height": 16}}`)}},
		{"labels count", KindLabels, "labels file has 2 labels, the model has 3 classes", Files{Model: tinyModel("GlobalAveragePool"), Labels: []byte("a\nb\n")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.f.Name = "m.onnx"
			_, err := Load(c.f)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load: %v (%T), want a *LoadError", err, err)
			}
			if le.Kind != c.kind || !strings.HasPrefix(err.Error(), "m.onnx: ") || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("kind %q, message %q; want %q containing %q", le.Kind, err, c.kind, c.msg)
			}
			var u *cpu.UnsupportedError
			if errors.As(err, &u) != (c.kind == KindUnsupported) {
				t.Errorf("errors.As(*cpu.UnsupportedError) = %v for %q", !(c.kind == KindUnsupported), err)
			}
		})
	}
	if _, err := Load(Files{Name: "ok.onnx", Model: tinyModel("GlobalAveragePool"), Labels: []byte("a\nb\nc\n")}); err != nil {
		t.Fatalf("the valid model: %v", err)
	}
}
