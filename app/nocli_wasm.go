//go:build js && wasm && !nodecli

package main

import (
	"fmt"
	"io"
)

// The browser's app.wasm is the UI and the engine's runtime (engine_wasm.go):
// the command line under Node, with the ONNX importer and the image
// decoders, is built with -tags nodecli so that it does not weigh on the
// page's first download.

func initCLI() {}

func runCLI(_ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "glimpse: this build is the browser UI; build with -tags nodecli for the command line under Node")
	return 2
}
