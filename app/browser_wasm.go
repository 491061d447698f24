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

// wantUI is false when the page sets window.glimpseConfig = {ui: false}.
func wantUI() bool {
	cfg := js.Global().Get("glimpseConfig")
	return !(cfg.Truthy() && cfg.Get("ui").Type() == js.TypeBoolean && !cfg.Get("ui").Bool())
}
