//go:build js && wasm && nodecli

package main

import "github.com/glimpse/glimpse/wasm/simd"

// initCLI turns on the SIMD kernels for the command line under Node when a
// preload recorded Go's memory (wasm/simd/testdata/node-mem.mjs); without
// one the scalar kernels run.
func initCLI() { simd.Init() }
