//go:build !(js && wasm)

package main

func inBrowser() bool { return false }

func startEngine() {}

func wantUI() bool { return true }

func initCLI() {}
