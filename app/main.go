// Command glimpse is the Glimpse app binary. In a browser it is the go-app
// PWA, the UI only: the engine is web/engine.wasm (wasm/engine), which
// web/glimpse.js runs in a Web Worker. Natively, and compiled to wasm under
// Node, it is the command line (classify, infer, check, tag, eval) on the
// same engine; natively it also serves the app and writes the static site.
package main

import (
	"os"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	app.Route("/", func() app.Composer { return &page{} })
	if inBrowser() {
		app.RunWhenOnBrowser()
		return
	}
	initCLI()
	os.Exit(runCLI(os.Args[1:], os.Stdout, os.Stderr))
}
