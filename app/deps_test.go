//go:build !(js && wasm)

package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The browser's app.wasm is the UI and the engine's runtime, which loads
// compiled bundles: the ONNX importer (onnx-go, protobuf, gorgonia, gonum,
// fetched as importer.wasm only when someone brings an ONNX file) and the
// image decoders (the browser decodes images) stay out.
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
		"github.com/glimpse/glimpse/model/onnx",
		"github.com/glimpse/glimpse/model/importer",
		"github.com/glimpse/glimpse/model/vision/imagefile",
		"github.com/glimpse/glimpse/wasm/importer",
		"gorgonia.org/",
		"gonum.org/",
		"github.com/owulveryck/",
		"github.com/gogo/protobuf",
		"google.golang.org/protobuf",
		"golang.org/x/image/bmp",
		"golang.org/x/image/tiff",
		"golang.org/x/image/webp",
		"image/gif",
		"image/jpeg",
		"image/png",
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/glimpse/glimpse/wasm/bridge") {
		t.Errorf("app.wasm does not link the engine (wasm/bridge): its workers run it")
	}
	for _, p := range deps {
		for _, b := range banned {
			if p == b || strings.HasPrefix(p, strings.TrimSuffix(b, "/")+"/") {
				t.Errorf("app.wasm links %s", p)
			}
		}
	}
}
