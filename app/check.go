//go:build !(js && wasm) || nodecli

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/wasm/webgpu"
)

// shapeFlags collects repeated -input-shape name=1,3,224,224 flags.
type shapeFlags map[string][]int

func (s shapeFlags) String() string { return "" }

func (s shapeFlags) Set(v string) error {
	name, dims, ok := strings.Cut(v, "=")
	if !ok || name == "" || dims == "" {
		return fmt.Errorf("want name=d1,d2,..., not %q", v)
	}
	var shape []int
	for _, d := range strings.Split(dims, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil || n <= 0 {
			return fmt.Errorf("%q: dimension %q is not a positive integer", v, d)
		}
		shape = append(shape, n)
	}
	s[name] = shape
	return nil
}

// checkModel is "glimpse check": will this model run here, and how well?
func checkModel(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	shapes := shapeFlags{}
	fs.Var(shapes, "input-shape", "fix an input's shape: name=1,3,224,224 (repeatable)")
	runs := fs.Int("runs", 5, "timed runs per program (the median is shown)")
	seed := fs.Uint64("seed", 1, "seed of the check's input")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"check: give one model file"}
	}
	if *runs < 1 {
		return usageError{"check: -runs must be at least 1"}
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("model: %v", pathErr(err))
	}
	name := termSafe(filepath.Base(path))
	g, err := model.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if err := inputShapes("check", path, g, shapes); err != nil {
		return err
	}
	r, err := check.Run(g, check.Options{InputShapes: shapes, Runs: *runs, Seed: *seed, Place: webgpu.Place})
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if *asJSON {
		out := struct {
			File string `json:"file"`
			*check.Report
		}{path, r}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		// The report quotes the model's own names (graph, producer, domains):
		// a stranger's file must not reach the terminal raw.
		fmt.Fprintf(stdout, "%-9s %s (%s)\n", "file", termSafe(path), check.Bytes(int64(len(data))))
		fmt.Fprint(stdout, termText(r.Text()))
	}
	if r.Verdict == check.CannotRun {
		return fmt.Errorf("%s: cannot run: %s", name, r.Reason)
	}
	return nil
}

func hasInput(ins []graph.ValueInfo, name string) bool {
	for _, in := range ins {
		if in.Name == name {
			return true
		}
	}
	return false
}
