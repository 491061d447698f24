//go:build !(js && wasm)

package webgpu

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// Place, natively, makes the decisions TestCPUFallback checks on a device:
// LRN has no kernel, and run-time int64 tensors stay on the host.
func TestPlaceNative(t *testing.T) {
	i64 := func(name string, v int64) onnxtest.Attr { return onnxtest.Attr{Name: name, Int: onnxtest.I64(v)} }
	node := func(op string, in []string, out string, a ...onnxtest.Attr) onnxtest.Node {
		return onnxtest.Node{Op: op, Name: out, Inputs: in, Outputs: []string{out}, Attrs: a}
	}
	cases := []struct {
		name  string
		dims  []any
		nodes []onnxtest.Node
		want  map[string]string // node → where
	}{
		{"LRN between GPU ops", []any{1, 5, 4, 4}, []onnxtest.Node{node("Relu", []string{"x"}, "a"),
			node("LRN", []string{"a"}, "l", i64("size", 3)), node("Sigmoid", []string{"l"}, "y")},
			map[string]string{"a": "gpu", "l": "cpu: no GPU kernel", "y": "gpu"}},
		{"int64 on the host", []any{2, 5, 3}, []onnxtest.Node{node("ArgMax", []string{"x"}, "i", i64("axis", 1)),
			node("Cast", []string{"i"}, "f", i64("to", 1)), node("Add", []string{"x", "f"}, "y")},
			map[string]string{"i": "cpu: int64 output", "f": "cpu: run-time int64 input", "y": "gpu"}},
		// LocalResponseNorm exports pool over a 3-D window; the GPU kernels
		// are 1-D/2-D, so these run on the CPU between GPU ops.
		{"3-D pooling", []any{1, 1, 4, 4, 4}, []onnxtest.Node{node("Relu", []string{"x"}, "a"),
			node("AveragePool", []string{"a"}, "p", onnxtest.Attr{Name: "kernel_shape", Ints: []int64{3, 1, 1}},
				onnxtest.Attr{Name: "pads", Ints: []int64{1, 0, 0, 1, 0, 0}}),
			node("Sigmoid", []string{"p"}, "y")},
			map[string]string{"a": "gpu", "p": "cpu: 3-D pooling", "y": "gpu"}},
		{"dilated average pooling", []any{1, 2, 6, 6}, []onnxtest.Node{node("Relu", []string{"x"}, "a"),
			node("AveragePool", []string{"a"}, "p", onnxtest.Attr{Name: "kernel_shape", Ints: []int64{2, 2}},
				onnxtest.Attr{Name: "dilations", Ints: []int64{2, 2}}),
			node("Sigmoid", []string{"p"}, "y")},
			map[string]string{"a": "gpu", "p": "cpu: dilated average pooling", "y": "gpu"}},
		// Dropout with a mask output: its data output is the input's data
		// on the CPU, so it is an alias unless something reads the mask.
		{"Dropout, mask unused", []any{2, 3, 4}, []onnxtest.Node{node("Relu", []string{"x"}, "a"),
			{Op: "Dropout", Name: "d", Inputs: []string{"a"}, Outputs: []string{"d", "mask"}},
			node("Sigmoid", []string{"d"}, "y")},
			map[string]string{"a": "gpu", "d": "alias", "y": "gpu"}},
		{"Dropout, mask read", []any{2, 3, 4}, []onnxtest.Node{node("Relu", []string{"x"}, "a"),
			{Op: "Dropout", Name: "d", Inputs: []string{"a"}, Outputs: []string{"d", "mask"}},
			node("Cast", []string{"mask"}, "f", i64("to", 1)), node("Add", []string{"d", "f"}, "y")},
			map[string]string{"a": "gpu", "d": "cpu: bool output", "f": "cpu: run-time bool input", "y": "gpu"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := onnxtest.Model{Inputs: []onnxtest.Value{{Name: "x", Dims: c.dims}}, Outputs: []onnxtest.Value{{Name: "y"}}, Nodes: c.nodes}
			g, err := onnx.Decode(m.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			p, err := cpu.Compile(g, cpu.Options{})
			if err != nil {
				t.Fatal(err)
			}
			places, err := Place(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, pl := range places {
				got := pl.Where
				if pl.Why != "" {
					got += ": " + pl.Why
				}
				if want, ok := c.want[pl.Node.Name]; ok && got != want {
					t.Errorf("%s: %q, want %q", pl.Node.Label(), got, want)
				}
			}
		})
	}
}

// Every model of the differential corpus (make corpus) that the CPU backend
// compiles can be placed: the WebGPU backend runs what it has kernels for
// and hands the rest to the CPU, and never refuses the model.
func TestPlaceCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../.cache/corpus/small/*/model.onnx")
	if len(files) == 0 {
		t.Skip("no corpus in .cache/corpus/small (make corpus)")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f))
		g, err := onnx.Decode(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		p, err := cpu.Compile(g, cpu.Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := Place(p); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The int8 MobileNetV2 (QDQ) places every QConv and QuantizeDequantize on
// the GPU, and nothing on the CPU.
func TestPlaceQDQ(t *testing.T) {
	data, err := os.ReadFile("../../.cache/int8/model.onnx") // make models writes it (glimpse quantize, QDQ)
	if err != nil {
		t.Skipf("no int8 MobileNetV2: %v", err)
	}
	g, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	places, err := Place(p)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, pl := range places {
		if pl.Where == "cpu" {
			t.Errorf("%s on the CPU: %s", pl.Node.Label(), pl.Why)
		}
		if pl.Where == "gpu" {
			count[pl.Node.Op]++
		}
	}
	if count["QConv"] != 53 || count["QuantizeDequantize"] != 12 {
		t.Errorf("on the GPU: %v", count)
	}
}
