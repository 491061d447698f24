// Command gen writes the opset sweep's models and their inputs for
// onnxruntime-node: <out>/<Op>_<opset>_<variant>.onnx for every case of
// package opsets, and <out>/manifest.json with each case's op, opset,
// variant, hash, input values and output names. model/cpu/testdata/opsets/ort.mjs
// reads them and writes the golden file. `make opsets-golden` runs both.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/glimpse/glimpse/model/cpu/internal/opsets"
)

type input struct {
	Name string  `json:"name"`
	Type string  `json:"type"` // float32, int64 or bool
	Dims []int64 `json:"dims"`
	// Data: float32 values as their bit patterns (exact), int64 values
	// as decimal strings (exact beyond 2^53), bools as 0/1.
	Data []any `json:"data"`
}

type entry struct {
	Name    string   `json:"name"`
	Op      string   `json:"op"`
	Opset   int64    `json:"opset"`
	Variant string   `json:"variant"`
	Hash    string   `json:"hash"`
	File    string   `json:"file"`
	Inputs  []input  `json:"inputs"`
	Outputs []string `json:"outputs"`
	// EngineFails: the engine cannot run the case (Case.EngineFails), so
	// the golden file records only that ORT runs it, not its outputs
	// (which may be random: training-mode Dropout).
	EngineFails bool `json:"engine_fails,omitempty"`
}

func main() {
	out := flag.String("out", ".cache/opsets", "directory for the models and manifest.json")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	// Remove models of cases that no longer exist.
	old, _ := filepath.Glob(filepath.Join(*out, "*.onnx"))
	keep := map[string]bool{}
	var entries []entry
	for _, c := range opsets.All() {
		file := c.Name() + ".onnx"
		if keep[file] {
			fail(fmt.Errorf("case %s twice", c.Name()))
		}
		keep[file] = true
		if err := os.WriteFile(filepath.Join(*out, file), c.Bytes(), 0o644); err != nil {
			fail(err)
		}
		e := entry{Name: c.Name(), Op: c.Op, Opset: c.Opset, Variant: c.Variant, Hash: c.Hash(), File: file, Inputs: []input{}, Outputs: c.Outputs,
			EngineFails: c.EngineFails != ""}
		for _, in := range c.Inputs {
			ji := input{Name: in.Name, Dims: in.Dims, Data: []any{}}
			if ji.Dims == nil {
				ji.Dims = []int64{}
			}
			switch {
			case in.F != nil:
				ji.Type = "float32"
				for _, f := range in.F {
					ji.Data = append(ji.Data, math.Float32bits(f))
				}
			case in.I != nil:
				ji.Type = "int64"
				for _, v := range in.I {
					ji.Data = append(ji.Data, fmt.Sprint(v))
				}
			default:
				ji.Type = "bool"
				for _, v := range in.B {
					if v {
						ji.Data = append(ji.Data, 1)
					} else {
						ji.Data = append(ji.Data, 0)
					}
				}
			}
			e.Inputs = append(e.Inputs, ji)
		}
		entries = append(entries, e)
	}
	for _, f := range old {
		if !keep[filepath.Base(f)] {
			os.Remove(f)
		}
	}
	var sb strings.Builder
	sb.WriteString("[\n")
	for i, e := range entries {
		line, err := json.Marshal(e)
		if err != nil {
			fail(err)
		}
		sb.Write(line)
		if i < len(entries)-1 {
			sb.WriteString(",")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("]\n")
	if err := os.WriteFile(filepath.Join(*out, "manifest.json"), []byte(sb.String()), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("opsets: %d cases in %s\n", len(entries), *out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
