//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/glimpse/glimpse/wasm/bridge"
	"github.com/glimpse/glimpse/wasm/simd"
)

// inBrowser tells the page (a document exists) from Node running the CLI.
func inBrowser() bool { return js.Global().Get("document").Truthy() }

func startEngine() { simd.Init(); bridge.Start() }

// initCLI turns on the SIMD kernels for the command line under Node when a
// preload recorded Go's memory (wasm/simd/testdata/node-mem.mjs); without
// one the scalar kernels run.
func initCLI() { simd.Init() }

// wantUI is false when the page sets window.glimpseConfig = {ui: false}.
func wantUI() bool {
	cfg := js.Global().Get("glimpseConfig")
	return !(cfg.Truthy() && cfg.Get("ui").Type() == js.TypeBoolean && !cfg.Get("ui").Bool())
}
