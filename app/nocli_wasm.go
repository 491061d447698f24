//go:build js && wasm && !nodecli

package main

import (
	"fmt"
	"io"
)

// The browser's app.wasm is the UI alone: the engine is engine.wasm, and
// the command line under Node is built with -tags nodecli, so that neither
// the engine nor the CLI weighs on the page's first download.

func initCLI() {}

func runCLI(_ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "glimpse: this build is the browser UI; build with -tags nodecli for the command line under Node")
	return 2
}
