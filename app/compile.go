//go:build !(js && wasm) || nodecli

package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/importer"
	"github.com/glimpse/glimpse/wasm/webgpu"
)

// compileModel is `glimpse compile MODEL.onnx -o MODEL.glimpse [-weights W]`:
// the model, its labels and card (flags, or beside the model) compiled into
// one bundle that the browser's runtime loads without an ONNX decoder.
func compileModel(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compile")
	out := fs.String("o", "", "the bundle to write (default: MODEL.glimpse beside the model)")
	labels := fs.String("labels", "", "labels file, one per line (default: labels.txt beside the model)")
	cardPath := fs.String("card", "", "model card JSON (default: card.json beside the model)")
	weights := fs.String("weights", "auto", "how to store float weights: auto (8-bit palettes where exact, else float32), fp32, fp16 or int8 (lossy)")
	verify := fs.Bool("verify", true, "check the optimised program against the reference first (and store the unoptimised one if they differ)")
	maxMemory := fs.String("max-memory", "", "refuse a model whose program needs more memory than this (e.g. 512MB, 2GB; default 1GB)")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"compile: give one ONNX model"}
	}
	w, err := bundle.ParseWeights(*weights)
	if err != nil {
		return usageError{"compile: " + err.Error()}
	}
	path := fs.Arg(0)
	f, err := readModelFiles(path, *labels, *cardPath)
	if err != nil {
		return err
	}
	if *maxMemory != "" {
		if f.MaxMemory, err = parseBytes(*maxMemory); err != nil {
			return usageError{"compile: " + err.Error()}
		}
	}
	var opts *check.Options
	if *verify {
		opts = &check.Options{Runs: 3, Place: webgpu.Place}
	}
	b, cl, err := importer.Compile(f, w, opts)
	if err != nil {
		return err
	}
	if n := cl.Notice(); n != "" {
		fmt.Fprintf(stderr, "glimpse: %s: %s\n", termSafe(cl.Name), termSafe(n))
	}
	dst := *out
	if dst == "" {
		dst = strings.TrimSuffix(path, filepath.Ext(path)) + ".glimpse"
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		return err
	}
	_, meta, err := bundle.Decode(b)
	if err != nil {
		return fmt.Errorf("%s: the bundle written does not read back: %v", dst, err)
	}
	fmt.Fprintf(stdout, "%s: %d bytes (the ONNX file: %d), %d ops run (%d in the file), weights %s", termSafe(dst), len(b), len(f.Model), len(cl.Program.Graph.Nodes), cl.Ops, meta.Weights)
	if meta.MaxWeightError > 0 {
		fmt.Fprintf(stdout, ", moved by up to %.3g", meta.MaxWeightError)
	}
	fmt.Fprintln(stdout)
	return nil
}

// reorder puts flags before the other arguments, so that both
// `compile MODEL -o OUT` and `compile -o OUT MODEL` work. A flag of fs
// that is boolean takes no value after it.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			boolean := false
			if f := fs.Lookup(name); f != nil {
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
					boolean = true
				}
			}
			if !strings.Contains(a, "=") && !boolean && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}
