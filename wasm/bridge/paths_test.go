//go:build !(js && wasm)

package bridge

import (
	"os"
	"strings"
	"testing"
)

// engine.js fetches the default model while the engine's wasm compiles,
// under its own copy of the path: a copy that drifted would download a
// file nobody reads and leave the real one to be fetched late.
func TestEngineJSPrefetchesTheDefaultModel(t *testing.T) {
	js, err := os.ReadFile("../../web/engine.js")
	if err != nil {
		t.Fatal(err)
	}
	want := "const DEFAULT_MODEL = '" + DefaultModel + "';"
	if !strings.Contains(string(js), want) {
		t.Errorf("web/engine.js does not say %s", want)
	}
}
