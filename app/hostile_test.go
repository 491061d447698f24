//go:build !(js && wasm)

package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// hostileModels are small ONNX files that declare enormous or
// inconsistent work: shapes that need terabytes, products that wrap
// around 64 bits, negative dims, nesting deep enough to blow a stack, and
// constant folding that costs N³. Each is an image classifier on the
// outside (input 1×3×32×32, output [1,3]); the hostile part feeds the
// output, so that no pass may skip it as dead. Generated here, never
// committed.
func hostileModels() []hostile {
	const big = int64(1) << 40
	x := []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 32, 32}}}
	y := []onnxtest.Value{{Name: "y", Dims: []any{1, 3}}}
	// pooled: x → GlobalAveragePool → Flatten = feat [1,3].
	pooled := []onnxtest.Node{
		{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"x"}, Outputs: []string{"g"}},
		{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"feat"}},
	}
	i64 := func(name string, dims []int64, v ...int64) onnxtest.Tensor {
		return onnxtest.Tensor{Name: name, Elem: onnxtest.Int64, Dims: dims, Ints: v}
	}
	f32 := func(name string, dims []int64, v ...float32) onnxtest.Tensor {
		return onnxtest.Tensor{Name: name, Dims: dims, Floats: v}
	}
	ones3 := f32("ones3", []int64{1, 3}, 1, 1, 1)
	// into: reduce a hostile tensor h of shape [K..., 3] to [1,3] and add it
	// to the features.
	into := func(h string, rank int) []onnxtest.Node {
		axes := make([]int64, rank-1)
		for i := range axes {
			axes[i] = int64(i)
		}
		return []onnxtest.Node{
			{Op: "ReduceMax", Name: "reduce", Inputs: []string{h}, Outputs: []string{"r"}, Attrs: []onnxtest.Attr{{Name: "axes", Ints: axes}, {Name: "keepdims", Int: onnxtest.I64(0)}}},
			{Op: "Add", Name: "sum", Inputs: []string{"feat", "r"}, Outputs: []string{"y"}},
		}
	}
	model := func(opset int64, inits []onnxtest.Tensor, nodes ...onnxtest.Node) []byte {
		return onnxtest.Model{Opset: opset, Inputs: x, Outputs: y, Initializers: inits, Nodes: append(append([]onnxtest.Node{}, pooled...), nodes...)}.Bytes()
	}
	// 274177 × 67280421310721 = 2^64 + 1: with 3 in front the product
	// wraps to exactly 3, the element count of the tensor reshaped.
	var out []hostile
	add := func(name string, data []byte) { out = append(out, hostile{name: name, data: data}) }
	add("constantofshape-huge", model(13, []onnxtest.Tensor{i64("shape", []int64{2}, big, 3)},
		append([]onnxtest.Node{{Op: "ConstantOfShape", Name: "cos", Inputs: []string{"shape"}, Outputs: []string{"h"}}}, into("h", 2)...)...))
	add("expand-overflow", model(13, []onnxtest.Tensor{ones3, i64("shape", []int64{3}, 1<<32, 1<<32, 3)},
		append([]onnxtest.Node{{Op: "Expand", Name: "expand", Inputs: []string{"ones3", "shape"}, Outputs: []string{"h"}}}, into("h", 3)...)...))
	add("tile-huge", model(13, []onnxtest.Tensor{ones3, i64("reps", []int64{2}, big, 1)},
		append([]onnxtest.Node{{Op: "Tile", Name: "tile", Inputs: []string{"ones3", "reps"}, Outputs: []string{"h"}}}, into("h", 2)...)...))
	add("reshape-wraps", model(13, []onnxtest.Tensor{ones3, i64("shape", []int64{3}, 3, 274177, 67280421310721)},
		append([]onnxtest.Node{{Op: "Reshape", Name: "reshape", Inputs: []string{"ones3", "shape"}, Outputs: []string{"h"}}}, into("h", 3)...)...))
	add("range-huge", model(13, []onnxtest.Tensor{f32("start", nil, 0), f32("limit", nil, 1e13), f32("delta", nil, 1)},
		onnxtest.Node{Op: "Range", Name: "range", Inputs: []string{"start", "limit", "delta"}, Outputs: []string{"h"}},
		onnxtest.Node{Op: "ReduceMax", Name: "reduce", Inputs: []string{"h"}, Outputs: []string{"r"}, Attrs: []onnxtest.Attr{{Name: "keepdims", Int: onnxtest.I64(0)}}},
		onnxtest.Node{Op: "Add", Name: "sum", Inputs: []string{"feat", "r"}, Outputs: []string{"y"}}))
	add("onehot-huge", model(13, []onnxtest.Tensor{i64("idx", []int64{1}, 0), i64("depth", nil, big), f32("vals", []int64{2}, 0, 1)},
		onnxtest.Node{Op: "OneHot", Name: "onehot", Inputs: []string{"idx", "depth", "vals"}, Outputs: []string{"h"}},
		onnxtest.Node{Op: "ReduceMax", Name: "reduce", Inputs: []string{"h"}, Outputs: []string{"r"}, Attrs: []onnxtest.Attr{{Name: "keepdims", Int: onnxtest.I64(0)}}},
		onnxtest.Node{Op: "Add", Name: "sum", Inputs: []string{"feat", "r"}, Outputs: []string{"y"}}))
	add("pad-huge", onnxtest.Model{Opset: 13, Inputs: x, Outputs: y, Initializers: []onnxtest.Tensor{i64("pads", []int64{8}, 0, 0, 1<<30, 1<<30, 0, 0, 1<<30, 1<<30)},
		Nodes: []onnxtest.Node{
			{Op: "Pad", Name: "pad", Inputs: []string{"x", "pads"}, Outputs: []string{"p"}},
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"p"}, Outputs: []string{"g"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"y"}},
		}}.Bytes())
	add("resize-huge", onnxtest.Model{Opset: 13, Inputs: x, Outputs: y, Initializers: []onnxtest.Tensor{f32("roi", []int64{0}), f32("scales", []int64{4}, 1, 1, 1e5, 1e5)},
		Nodes: []onnxtest.Node{
			{Op: "Resize", Name: "resize", Inputs: []string{"x", "roi", "scales"}, Outputs: []string{"p"}},
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"p"}, Outputs: []string{"g"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"y"}},
		}}.Bytes())
	add("conv-pads-huge", onnxtest.Model{Opset: 13, Inputs: x, Outputs: y, Initializers: []onnxtest.Tensor{f32("w", []int64{3, 1, 1, 1}, 1, 1, 1)},
		Nodes: []onnxtest.Node{
			{Op: "Conv", Name: "conv", Inputs: []string{"x", "w"}, Outputs: []string{"p"}, Attrs: []onnxtest.Attr{{Name: "group", Int: onnxtest.I64(3)}, {Name: "pads", Ints: []int64{1 << 30, 1 << 30, 1 << 30, 1 << 30}}}},
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"p"}, Outputs: []string{"g"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"y"}},
		}}.Bytes())
	add("split-huge", onnxtest.Model{Opset: 18, Inputs: x, Outputs: y, Initializers: []onnxtest.Tensor{ones3},
		Nodes: append(append([]onnxtest.Node{}, pooled...),
			onnxtest.Node{Op: "Split", Name: "split", Inputs: []string{"ones3"}, Outputs: []string{"h"}, Attrs: []onnxtest.Attr{{Name: "axis", Int: onnxtest.I64(1)}, {Name: "num_outputs", Int: onnxtest.I64(big)}}},
			onnxtest.Node{Op: "Add", Name: "sum", Inputs: []string{"feat", "h"}, Outputs: []string{"y"}})}.Bytes())
	add("input-50000", onnxtest.Model{Opset: 13, Inputs: []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 50000, 50000}}}, Outputs: y, Nodes: pooled[:1:1]}.Bytes())
	add("negative-dims", model(13, []onnxtest.Tensor{{Name: "bad", Dims: []int64{0, -5}, RawData: []byte{}}},
		onnxtest.Node{Op: "Identity", Name: "id", Inputs: []string{"feat"}, Outputs: []string{"y"}},
		onnxtest.Node{Op: "Identity", Name: "use", Inputs: []string{"bad"}, Outputs: []string{"unused"}}))
	add("constant-declared-huge", model(13, []onnxtest.Tensor{{Name: "bad", Dims: []int64{1 << 20, 1 << 20}, RawData: make([]byte, 64)}},
		append([]onnxtest.Node{{Op: "Identity", Name: "id", Inputs: []string{"bad"}, Outputs: []string{"h"}}}, into("h", 2)...)...))
	// A constant MatMul of two generated 1500×1500 matrices: folding it at
	// load costs 3.4 GFLOP; it must be left to run time instead.
	add("matmul-fold", model(13, []onnxtest.Tensor{i64("shape", []int64{2}, 1500, 1500), i64("zero2", []int64{2}, 0, 0), i64("cut", []int64{2}, 1500, 3)},
		onnxtest.Node{Op: "ConstantOfShape", Name: "cos", Inputs: []string{"shape"}, Outputs: []string{"a"}, Attrs: []onnxtest.Attr{{Name: "value", Tensor: &onnxtest.Tensor{Dims: []int64{1}, Floats: []float32{0.001}}}}},
		onnxtest.Node{Op: "MatMul", Name: "mm", Inputs: []string{"a", "a"}, Outputs: []string{"m"}},
		onnxtest.Node{Op: "Slice", Name: "slice", Inputs: []string{"m", "zero2", "cut"}, Outputs: []string{"h"}},
		onnxtest.Node{Op: "ReduceMax", Name: "reduce", Inputs: []string{"h"}, Outputs: []string{"r"}, Attrs: []onnxtest.Attr{{Name: "axes", Ints: []int64{0}}, {Name: "keepdims", Int: onnxtest.I64(0)}}},
		onnxtest.Node{Op: "Add", Name: "sum", Inputs: []string{"feat", "r"}, Outputs: []string{"y"}}))
	out[len(out)-1].loads = true // heavy, not invalid: it loads at once and runs
	add("nested-40", nestedIf(40))
	add("nested-100000", onnxtest.Nested(100000))
	return out
}

type hostile struct {
	name  string
	data  []byte
	loads bool // a valid model whose cost must not be paid at load: it classifies (exit 0)
}

// nestedIf is an image classifier whose output comes from an If nested
// depth levels deep (quadratic to write: keep depth small; onnxtest.Nested
// writes 100 000 levels of a plainer model in one pass).
func nestedIf(depth int) []byte {
	inner := onnxtest.Graph{Name: "leaf", Outputs: []onnxtest.Value{{Name: "o", Dims: []any{1, 3}}},
		Nodes: []onnxtest.Node{{Op: "Identity", Name: "leaf", Inputs: []string{"feat"}, Outputs: []string{"o"}}}}
	g := inner
	for i := 0; i < depth; i++ {
		branch := g
		g = onnxtest.Graph{Name: fmt.Sprint("g", i), Outputs: []onnxtest.Value{{Name: "o", Dims: []any{1, 3}}},
			Nodes: []onnxtest.Node{{Op: "If", Name: fmt.Sprint("if", i), Inputs: []string{"cond"}, Outputs: []string{"o"},
				Attrs: []onnxtest.Attr{{Name: "then_branch", Graph: &branch}, {Name: "else_branch", Graph: &inner}}}}}
	}
	return onnxtest.Model{Opset: 13,
		Inputs:       []onnxtest.Value{{Name: "x", Dims: []any{1, 3, 32, 32}}, {Name: "cond", Elem: onnxtest.Bool, Dims: []any{}}},
		Outputs:      []onnxtest.Value{{Name: "y", Dims: []any{1, 3}}},
		Initializers: nil,
		Nodes: append([]onnxtest.Node{
			{Op: "GlobalAveragePool", Name: "gap", Inputs: []string{"x"}, Outputs: []string{"g"}},
			{Op: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"feat"}},
		}, g.Nodes[0], onnxtest.Node{Op: "Identity", Name: "top", Inputs: []string{"o"}, Outputs: []string{"y"}})}.Bytes()
}

var pointer = regexp.MustCompile(`0x[0-9a-f]{6,}`)

// Every hostile model ends the CLI with exit status 1 and one line that
// names the problem, within seconds, without a crash, a fatal
// out-of-memory or a Go value dump; and the process's heap stays small.
func TestHostileModels(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	photo := photo(t, filepath.Join(t.TempDir(), "p.png"), reddish)
	for _, m := range hostileModels() {
		t.Run(m.name, func(t *testing.T) {
			f := write(t, m.name+".onnx", m.data)
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			t0 := time.Now()
			code, stdout, stderr := run("classify", "-model", f, "-verify=false", photo)
			took := time.Since(t0)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if m.loads {
				if code != 0 {
					t.Errorf("exit %d, want 0 (a heavy but valid model); stderr %q", code, stderr)
				}
				t.Logf("%v: %.200s", took.Round(time.Millisecond), stdout)
				return
			}
			if code != 1 {
				t.Errorf("exit %d, want 1; stdout %q stderr %q", code, stdout, stderr)
			}
			msg := strings.TrimRight(stderr, "\n")
			if strings.Count(msg, "\n") != 0 || msg == "" || len(msg) > 400 {
				t.Errorf("stderr is not one short line: %.500q", stderr)
			}
			for _, bad := range []string{"panic", "goroutine", "runtime error", "&{"} {
				if strings.Contains(msg, bad) {
					t.Errorf("stderr looks like a crash or a dump (%q): %q", bad, msg)
				}
			}
			if pointer.MatchString(msg) {
				t.Errorf("stderr shows a pointer: %q", msg)
			}
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
			// The most the run may have allocated: the file itself, decoded,
			// plus slack; a refused model never gets near its declared size.
			if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 256<<20+16*int64(len(m.data)) {
				t.Errorf("allocated %d MB for a %d-byte file", grew>>20, len(m.data))
			}
			t.Logf("%v, %d KB allocated: %s", took.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>10, msg)
		})
	}
}

// The same files through the built binary under a 4 GB address-space
// limit, as a stranger would run it: no fatal error (exit 2), exit 1.
func TestHostileModelsUnderMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	bin := filepath.Join(t.TempDir(), "glimpse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	photo := photo(t, filepath.Join(t.TempDir(), "p.png"), reddish)
	for _, m := range hostileModels() {
		f := write(t, m.name+".onnx", m.data)
		cmd := exec.Command("bash", "-c", `ulimit -v 4194304 && exec "$0" classify -verify=false -model "$1" "$2"`, bin, f, photo)
		out, err := cmd.CombinedOutput()
		code := 0
		if e, ok := err.(*exec.ExitError); ok {
			code = e.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 1, true: 0}[m.loads]; code != want {
			t.Errorf("%s: exit %d under a 4 GB limit, want %d: %.300s", m.name, code, want, out)
		}
	}
}

// -max-memory sets the budget: the small MobileNetV1 (1.9 MB of weights
// plus its working memory) is refused under 1 MB with one line that names
// the budget, and loads under 256 MB.
func TestMaxMemoryFlag(t *testing.T) {
	needShared(t)
	v1 := filepath.Join(shared, "models", "mobilenet_v1_0.25_128", "model.onnx")
	p := photo(t, filepath.Join(t.TempDir(), "p.png"), reddish)
	code, _, stderr := run("classify", "-verify=false", "-max-memory", "1MB", "-model", v1, p)
	if code != 1 || !strings.Contains(stderr, "memory budget") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("under 1MB: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run("classify", "-verify=false", "-max-memory", "256MB", "-model", v1, p); code != 0 {
		t.Errorf("under 256MB: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run("classify", "-max-memory", "lots", "-model", v1, p); code == 0 || !strings.Contains(stderr, "max-memory") {
		t.Errorf("-max-memory lots: exit %d, stderr %q", code, stderr)
	}
}
