package cpu_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
)

// TestORTOps runs the small models of testdata/ortops/make.py (torch's
// export of nn.GroupNorm at opsets 11-17; GroupNormalization 18 and 21,
// Pad with negative pads, axes and wrap, CenterCropPad, Col2Im, GridSample
// 16 and 20 in every mode) and compares with ONNX Runtime's outputs. The
// models live in the git-ignored .cache/ortops; the test is skipped when
// make.py has not been run.
func TestORTOps(t *testing.T) {
	root := filepath.Join("..", "..", ".cache", "ortops")
	entries, err := os.ReadDir(root)
	if err != nil {
		if os.Getenv("GLIMPSE_CORPUS_REQUIRED") == "1" { // make test generates them
			t.Fatalf("no %s (make corpus writes it): %v", root, err)
		}
		t.Skipf("no %s (run /usr/bin/python3 model/cpu/testdata/ortops/make.py): %v", root, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { runORTCase(t, filepath.Join(root, name)) })
	}
}

func runORTCase(t *testing.T, dir string) {
	var meta struct {
		Inputs []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
			Type  string `json:"type"`
		} `json:"inputs"`
		Atol float64 `json:"atol"`
		Rtol float64 `json:"rtol"`
	}
	var res struct {
		Error   string `json:"error"`
		Outputs []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
		} `json:"outputs"`
	}
	readJSON(t, filepath.Join(dir, "meta.json"), &meta)
	readJSON(t, filepath.Join(dir, "outputs.json"), &res)
	if res.Error != "" {
		t.Skipf("ONNX Runtime refused the model: %s", res.Error)
	}
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	opt := cpu.Options{InputShapes: map[string][]int{}}
	for _, in := range meta.Inputs {
		opt.InputShapes[in.Name] = in.Shape
	}
	p, err := cpu.Compile(g, opt)
	if err != nil {
		t.Fatal(err)
	}
	for k, in := range meta.Inputs {
		raw, err := os.ReadFile(filepath.Join(dir, "input_"+itoa(k)+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		dst := p.Inputs[k]
		if p.Names.Inputs[k] != in.Name {
			t.Fatalf("input %d is %q, meta.json says %q", k, p.Names.Inputs[k], in.Name)
		}
		switch dst.DType {
		case graph.Float32:
			for i := range dst.F {
				dst.F[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		case graph.Int64:
			for i := range dst.I {
				dst.I[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
	}
	for run := 0; run < 2; run++ { // twice: buffers reused across runs must not leak
		if err := p.Execute(); err != nil {
			t.Fatal(err)
		}
		for k, o := range res.Outputs {
			got := p.Outputs[k]
			if !sameInts(got.Shape, o.Shape) {
				t.Fatalf("output %q: shape %v, ONNX Runtime %v", o.Name, got.Shape, o.Shape)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "output_"+itoa(k)+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i, g := range got.F {
				w := float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
				if math.Abs(float64(g)-w) > meta.Atol+meta.Rtol*math.Abs(w) {
					if bad < 5 {
						t.Errorf("output %q[%d]: got %g, ONNX Runtime %g", o.Name, i, g, w)
					}
					bad++
				}
			}
			if bad > 0 {
				t.Fatalf("output %q: %d of %d values differ", o.Name, bad, len(got.F))
			}
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
