// Command glimpse is the Glimpse app binary. In a browser it is the go-app
// PWA; natively, and compiled to wasm under Node, it is the command line
// (classify, infer) on the same engine; natively it also serves the app and
// writes the static site.
package main

import (
	"os"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	app.Route("/", func() app.Composer { return &page{} })
	if inBrowser() {
		startEngine()
		if !wantUI() { // a page that only wants window.glimpse (benchmarks, embedding)
			select {}
		}
		app.RunWhenOnBrowser()
		return
	}
	initCLI()
	os.Exit(runCLI(os.Args[1:], os.Stdout, os.Stderr))
}
