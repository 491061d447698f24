// Command glimpse is the Glimpse app binary. In a browser it is the go-app
// PWA on the page and, started by web/engine.js with -engine, the engine in
// the Web Workers web/glimpse.js runs (embeds load wasm/engine instead).
// Natively, and compiled to wasm under Node, it is the command line (classify, infer, check, tag, eval) on the
// same engine; natively it also serves the app and writes the static site.
package main

import (
	"os"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	if engineMode() {
		runEngine()
		return
	}
	app.Route("/", func() app.Composer { return &page{} })
	if inBrowser() {
		app.RunWhenOnBrowser()
		return
	}
	initCLI()
	os.Exit(runCLI(os.Args[1:], os.Stdout, os.Stderr))
}
