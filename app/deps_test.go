//go:build !(js && wasm)

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The browser's UI binary (app.wasm) reads reports, labels and tags but
// must not link the engine (a separate binary, wasm/engine) or the image
// decoders: those packages and their third-party dependencies stay out.
func TestBrowserBuildLeavesOutEngine(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(goBin, "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	banned := []string{
		"github.com/glimpse/glimpse/model/cpu",
		"github.com/glimpse/glimpse/model/graph",
		"github.com/glimpse/glimpse/model/onnx",
		"github.com/glimpse/glimpse/model/check",
		"github.com/glimpse/glimpse/model/vision",
		"github.com/glimpse/glimpse/wasm/",
		"gorgonia.org/",
		"gonum.org/",
		"github.com/owulveryck/",
		"github.com/gogo/protobuf",
		"google.golang.org/protobuf",
		"golang.org/x/image",
		"image/jpeg",
		"image/png",
	}
	allowed := map[string]bool{
		"github.com/glimpse/glimpse/model/check/report":  true,
		"github.com/glimpse/glimpse/model/vision/labels": true,
		"github.com/glimpse/glimpse/model/vision/spec":   true,
	}
	for _, p := range strings.Fields(string(out)) {
		if allowed[p] {
			continue
		}
		for _, b := range banned {
			if p == b || strings.HasPrefix(p, strings.TrimSuffix(b, "/")+"/") {
				t.Errorf("app.wasm links %s", p)
			}
		}
	}
}
