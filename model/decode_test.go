package model

import (
	"errors"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/onnx"
)

// The tests load ONNX files, as the command line does (model/importer sets
// this in a real build; it imports this package, so tests set it here).
func init() { DecodeONNX = onnx.Decode }

// Without an ONNX decoder (the browser's runtime), an ONNX file is refused
// with a clear message (wasm/bridge's tests load bundles that way).
func TestRuntimeLoadsBundlesOnly(t *testing.T) {
	saved := DecodeONNX
	DecodeONNX = nil
	defer func() { DecodeONNX = saved }()
	_, err := Load(Files{Name: "m.onnx", Model: tinyModel("GlobalAveragePool")})
	var le *LoadError
	if !errors.As(err, &le) || le.Kind != KindInvalid || !strings.Contains(err.Error(), "compiled Glimpse bundles only") {
		t.Fatalf("Load(ONNX) without a decoder: %v", err)
	}
	if _, err := Decode(tinyModel("GlobalAveragePool")); err == nil {
		t.Fatal("Decode(ONNX) without a decoder succeeded")
	}
}
