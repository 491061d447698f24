package model_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
)

// The differential corpus (testdata/corpus/make_corpus.py, `make corpus`):
// torchvision architectures with seeded random weights and ONNX Runtime's
// outputs for two seeded inputs, in .cache/corpus/<set>/<model>/.
// GLIMPSE_CORPUS_SETS (comma-separated) narrows the sets; make test uses
// "small" so that a full set made locally does not slow it down.
func corpusSets() []string {
	if s := os.Getenv("GLIMPSE_CORPUS_SETS"); s != "" {
		return strings.Split(s, ",")
	}
	return []string{"small", "full"}
}

type corpusMeta struct {
	Model        string `json:"model"`
	Family       string `json:"family"`
	Opset        int    `json:"opset"`
	DynamicBatch bool   `json:"dynamic_batch"`
	NumNodes     int    `json:"num_nodes"`
	NumCases     int    `json:"num_cases"`
	Complete     bool   `json:"complete"`
	Input        struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	} `json:"input"`
	Output struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	} `json:"output"`
	Tolerance struct {
		Atol float64 `json:"atol"`
		Rtol float64 `json:"rtol"`
	} `json:"tolerance"`
}

type corpusFailure struct {
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
}

// corpusRoot is $GLIMPSE_CORPUS, or .cache/corpus under the module root.
func corpusRoot() (string, error) {
	if d := os.Getenv("GLIMPSE_CORPUS"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache", "corpus"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func corpusF32(path string, n int) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) != 4*n {
		return nil, fmt.Errorf("%s: %d bytes, want %d", filepath.Base(path), len(b), 4*n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

var corpusNumber = regexp.MustCompile(`[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?`)

type corpusModel struct{ set, name, dir string }

type corpusResult struct {
	name  string
	worst float64
	atol  float64
	err   string // first error line; "" when it passed
}

// TestCorpus runs every model of the corpus (.cache/corpus/small, and
// .cache/corpus/full when present) through onnx.Decode and cpu.Compile
// (a dynamic batch dimension compiles as 1), then executes the compiled
// program on input_0, input_1, input_0, input_1, each time writing the input,
// and after each run once more without rewriting it, which must reproduce
// the run before it exactly. Every output value must agree with ONNX
// Runtime's: |got-ref| <= atol + rtol*|ref|, the tolerance in meta.json.
//
// Without a corpus the test skips (it fails with GLIMPSE_CORPUS_REQUIRED=1);
// GLIMPSE_CORPUS names another corpus folder (holding small/, full/).
// Models the generator could not export are listed in the log, not failed.
func TestCorpus(t *testing.T) {
	root, err := corpusRoot()
	if err != nil {
		t.Fatal(err)
	}
	var models []corpusModel
	var exportFailures []string
	sets := corpusSets()
	for _, set := range sets {
		dir := filepath.Join(root, set)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			d := filepath.Join(dir, e.Name())
			if _, err := os.Stat(filepath.Join(d, "meta.json")); err == nil {
				models = append(models, corpusModel{set, e.Name(), d})
			} else if b, err := os.ReadFile(filepath.Join(d, "failure.json")); err == nil {
				var f corpusFailure
				_ = json.Unmarshal(b, &f)
				exportFailures = append(exportFailures, fmt.Sprintf("%s/%s (%s): %s", set, e.Name(), f.Stage, f.Reason))
			}
		}
	}
	if len(models) == 0 {
		msg := fmt.Sprintf("no corpus models in %s/{%s}: make it with `make corpus` "+
			"(/usr/bin/python3 testdata/corpus/make_corpus.py --set small; `make corpus-full` for the full set)",
			root, strings.Join(sets, ","))
		if os.Getenv("GLIMPSE_CORPUS_REQUIRED") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, f := range exportFailures {
		t.Logf("not in the corpus (generator failure): %s", f)
	}

	var results []corpusResult
	for _, m := range models {
		r := corpusResult{name: m.set + "/" + m.name}
		ran := false
		t.Run(m.set+"/"+m.name, func(t *testing.T) {
			ran = true
			r.worst, r.atol, r.err = runCorpusModel(t, m.dir)
			if r.err != "" {
				t.Error(r.err)
			} else {
				t.Logf("worst |diff| %.3g (atol %g)", r.worst, r.atol)
			}
		})
		if ran { // not filtered out by -run
			results = append(results, r)
		}
	}

	// One summary: passes, then failures grouped by their first error line
	// with the numbers masked (the first model's line is shown).
	pass := 0
	groups := map[string][]string{}
	example := map[string]string{}
	for _, r := range results {
		if r.err == "" {
			pass++
			continue
		}
		k := corpusNumber.ReplaceAllString(r.err, "#")
		if _, ok := example[k]; !ok {
			example[k] = r.err
		}
		groups[k] = append(groups[k], r.name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "corpus %s: %d of %d models pass", root, pass, len(results))
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(groups[keys[i]]) != len(groups[keys[j]]) {
			return len(groups[keys[i]]) > len(groups[keys[j]])
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %d × %s\n      %s", len(groups[k]), example[k], strings.Join(groups[k], " "))
	}
	t.Log(b.String())
}

// runCorpusModel checks one model folder. It returns the worst |got-ref| over
// every run, the model's atol, and the first error line ("" when it passed).
func runCorpusModel(t *testing.T, dir string) (worst, atol float64, firstErr string) {
	fail := func(format string, a ...any) (float64, float64, string) {
		s := fmt.Sprintf(format, a...)
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[:i]
		}
		return worst, atol, s
	}
	var meta corpusMeta
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return fail("meta.json: %v", err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return fail("meta.json: %v", err)
	}
	atol = meta.Tolerance.Atol
	if !meta.Complete || atol == 0 {
		return fail("meta.json is incomplete (generation interrupted?): re-run make corpus")
	}
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return fail("%v", err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		return fail("decode: %v", err)
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		return fail("compile: %v", err)
	}
	if len(p.Inputs) != 1 || len(p.Outputs) < 1 {
		return fail("compiled program has %d inputs, %d outputs", len(p.Inputs), len(p.Outputs))
	}
	in, out := p.Inputs[0], p.Outputs[0]
	nIn, nOut := graph.NumElems(meta.Input.Shape), graph.NumElems(meta.Output.Shape)
	if in.DType != graph.Float32 || len(in.F) != nIn {
		return fail("input %v %s, want float32 %v", in.Shape, in.DType, meta.Input.Shape)
	}
	if out.DType != graph.Float32 || len(out.F) != nOut {
		return fail("output %v %s, want float32 %v", out.Shape, out.DType, meta.Output.Shape)
	}
	cases := meta.NumCases
	if cases == 0 {
		cases = 2
	}
	inputs := make([][]float32, cases)
	refs := make([][]float32, cases)
	for k := 0; k < cases; k++ {
		if inputs[k], err = corpusF32(filepath.Join(dir, fmt.Sprintf("input_%d.bin", k)), nIn); err != nil {
			return fail("%v", err)
		}
		if refs[k], err = corpusF32(filepath.Join(dir, fmt.Sprintf("output_%d.bin", k)), nOut); err != nil {
			return fail("%v", err)
		}
	}
	// A reference that does not depend on the input (a zero-initialised
	// head) would test nothing but a bias: the generator must avoid it.
	if cases > 1 && slices.Equal(refs[0], refs[1]) {
		return fail("ONNX Runtime gives the same outputs for both inputs: the model's output does not depend on its input (regenerate the corpus)")
	}

	// compare checks out.F against ref within the tolerance and returns a
	// one-line description of the first run that missed it.
	compare := func(what string, ref []float32) string {
		bad, at := 0, -1
		w := 0.0
		for i, r := range ref {
			d := math.Abs(float64(out.F[i]) - float64(r))
			if !(d <= atol+meta.Tolerance.Rtol*math.Abs(float64(r))) {
				bad++
			}
			if !(d <= w) { // NaN counts as worst
				w, at = d, i
			}
		}
		if !(w <= worst) {
			worst = w
		}
		if bad == 0 {
			return ""
		}
		return fmt.Sprintf("%s: %d of %d values outside atol %g rtol %g; worst |diff| %.3g at %d (got %g, ORT %g)",
			what, bad, len(ref), atol, meta.Tolerance.Rtol, w, at, out.F[at], ref[at])
	}

	prev := make([]float32, nOut)
	var errs []string
	run := 0
	for round := 0; round < 2; round++ {
		for k := 0; k < cases; k++ {
			run++
			copy(in.F, inputs[k])
			if err := p.Execute(); err != nil {
				return fail("run %d (input_%d): %v", run, k, err)
			}
			if e := compare(fmt.Sprintf("run %d (input_%d)", run, k), refs[k]); e != "" {
				errs = append(errs, e)
			}
			copy(prev, out.F)
			inputChanged := false
			for i, v := range inputs[k] {
				if math.Float32bits(in.F[i]) != math.Float32bits(v) {
					inputChanged = true
					break
				}
			}
			if inputChanged {
				errs = append(errs, fmt.Sprintf("run %d (input_%d): the run overwrote the program's input", run, k))
			}
			if err := p.Execute(); err != nil {
				return fail("run %d again (input_%d, not rewritten): %v", run, k, err)
			}
			same, firstDiff := true, -1
			for i := range prev {
				if math.Float32bits(prev[i]) != math.Float32bits(out.F[i]) {
					same, firstDiff = false, i
					break
				}
			}
			if !same {
				errs = append(errs, fmt.Sprintf("run %d again (input_%d, not rewritten) differs from run %d: value %d %g, was %g",
					run, k, run, firstDiff, out.F[firstDiff], prev[firstDiff]))
			}
			if e := compare(fmt.Sprintf("run %d again (input_%d)", run, k), refs[k]); e != "" {
				errs = append(errs, e)
			}
		}
	}
	// Runs allocate nothing: the plan fixed every buffer at compile time.
	if allocs := testing.AllocsPerRun(1, func() { _ = p.Execute() }); allocs != 0 {
		errs = append(errs, fmt.Sprintf("a run allocates %.0f times", allocs))
	}
	if len(errs) > 0 {
		for _, e := range errs[1:] {
			t.Log(e) // the first is returned, and reported, by the caller
		}
		return fail("%s", errs[0])
	}
	t.Logf("%s opset %d dyn=%v: %d nodes in the file, %d run (%d folded, %d fused)",
		meta.Family, meta.Opset, meta.DynamicBatch, meta.NumNodes, len(p.Graph.Nodes), p.Folded, p.Fused)
	return worst, atol, ""
}
