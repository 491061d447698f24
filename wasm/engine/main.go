//go:build js && wasm

// Command engine is Glimpse's engine as its own wasm binary (web/engine.wasm):
// the model, the CPU kernels with SIMD, WebGPU and the bridge, without the
// UI. web/engine.js runs it in a dedicated Web Worker (or, where there are
// no workers, on the page) and web/glimpse.js talks to it by messages.
package main

import (
	"github.com/glimpse/glimpse/wasm/bridge"
	"github.com/glimpse/glimpse/wasm/simd"
)

func main() {
	simd.Init()
	bridge.Start()
	select {}
}
