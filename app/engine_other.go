//go:build !(js && wasm) || nodecli

package main

// Only the browser's app.wasm also runs as the engine (engine_wasm.go).
func engineMode() bool { return false }

func runEngine() {}
