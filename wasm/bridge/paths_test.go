//go:build !(js && wasm)

package bridge

import (
	"os"
	"strings"
	"testing"
)

// engine.js fetches the default model while the engine's wasm compiles,
// and glimpse.js hands it to the trainer, each under its own copy of the
// path: a copy that drifted would download a file nobody reads (or none).
func TestEngineJSPrefetchesTheDefaultModel(t *testing.T) {
	for _, f := range []string{"../../web/engine.js", "../../web/glimpse.js"} {
		js, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := "const DEFAULT_MODEL = '" + DefaultModel + "';"
		if !strings.Contains(string(js), want) {
			t.Errorf("%s does not say %s", f, want)
		}
	}
}
