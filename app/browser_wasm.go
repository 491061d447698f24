//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/glimpse/glimpse/wasm/bridge"
)

// inBrowser tells the page (a document exists) from Node running the CLI.
func inBrowser() bool { return js.Global().Get("document").Truthy() }

func startEngine() { bridge.Start() }
