//go:build js && wasm

package main

import "syscall/js"

// inBrowser tells the page (a document exists) from Node running the CLI.
func inBrowser() bool { return js.Global().Get("document").Truthy() }
