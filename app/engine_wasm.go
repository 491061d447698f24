//go:build js && wasm && !nodecli

package main

import (
	"os"
	"slices"

	"github.com/glimpse/glimpse/wasm/bridge"
	"github.com/glimpse/glimpse/wasm/simd"
)

// The app's page and the engine workers it starts load this one binary:
// the page runs the UI, and web/engine.js, which starts each Go instance
// with the argument -engine, runs the engine. Sharing one file means a
// first visit downloads (and the browser compiles) the Go runtime and the
// standard library once, not once for the UI and once for the engine.
// Pages that embed the widget load wasm/engine's smaller engine.wasm.

func engineMode() bool { return slices.Contains(os.Args[1:], "-engine") }

func runEngine() {
	simd.Init()
	bridge.Start()
	select {}
}
