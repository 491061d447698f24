//go:build !(js && wasm)

package main

func inBrowser() bool { return false }

func initCLI() {}
