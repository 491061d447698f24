// Command glimpse is the Glimpse app binary. Natively it offers the command
// line (classify, infer) on the same engine the browser runs.
package main

import "os"

func main() {
	os.Exit(runCLI(os.Args[1:], os.Stdout, os.Stderr))
}
