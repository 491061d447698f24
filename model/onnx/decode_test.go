package onnx

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

const shared = "../../../shared"

func readShared(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(shared, rel))
	if err != nil {
		t.Skipf("shared model data not available: %v", err)
	}
	return data
}

// Every shared model decodes, keeps its opset, and its op histogram matches
// what the zoo's meta.json and the model provenance record.
func TestDecodeSharedModels(t *testing.T) {
	cases := []struct {
		path   string
		opset  int64
		nodes  int
		ops    map[string]int
		inputs string
	}{
		{"zoo/squeezenet1_1/model.onnx", 13, 65, map[string]int{"Conv": 26, "Relu": 26, "Concat": 8, "MaxPool": 3}, "input"},
		{"zoo/shufflenet_v2_x0_5/model.onnx", 13, 374, map[string]int{"Constant": 110, "Shape": 13, "Gather": 13}, "input"},
		{"zoo/shufflenet_v2_x0_5_bn/model.onnx", 13, 430, map[string]int{"BatchNormalization": 56}, "input"},
		{"zoo/vit_tiny_p16_opset13/model.onnx", 13, 256, map[string]int{"Pow": 9, "Erf": 4, "Where": 1}, "input"},
		{"zoo/vit_tiny_p16_opset17/model.onnx", 17, 166, map[string]int{"LayerNormalization": 9}, "input"},
		{"models/mobilenet_v2_1.0_224/model.onnx", 13, 0, map[string]int{"Softmax": 1}, "input"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			g, err := Decode(readShared(t, c.path))
			if err != nil {
				t.Fatal(err)
			}
			if g.Opset != c.opset {
				t.Errorf("opset %d, want %d", g.Opset, c.opset)
			}
			if c.nodes > 0 && len(g.Nodes) != c.nodes {
				t.Errorf("%d nodes, want %d", len(g.Nodes), c.nodes)
			}
			h := g.OpHistogram()
			for op, n := range c.ops {
				if h[op] != n {
					t.Errorf("%s: %d nodes, want %d", op, h[op], n)
				}
			}
			if len(g.Inputs) != 1 || g.Inputs[0].Name != c.inputs {
				t.Errorf("inputs %+v", g.Inputs)
			}
			for _, n := range g.Nodes {
				if n.Op == "Constant" && len(n.Inputs) != 0 {
					t.Errorf("%s has invented inputs %q", n.Label(), n.Inputs)
				}
			}
		})
	}
}

// A repeated input (Pow's exponent aside, ONNX's own Mul(x,x) style) keeps
// both slots: the decoded Mul nodes of the opset-13 ViT all have two inputs.
func TestDecodeKeepsInputArity(t *testing.T) {
	g, err := Decode(readShared(t, "zoo/vit_tiny_p16_opset13/model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		switch n.Op {
		case "Mul", "Add", "Div", "Sub", "Pow", "MatMul":
			if len(n.Inputs) != 2 {
				t.Errorf("%s has %d inputs", n.Label(), len(n.Inputs))
			}
		}
	}
}

func TestDecodeBadInput(t *testing.T) {
	good := readShared(t, "models/mobilenet_v1_0.25_128/model.onnx")
	cases := map[string][]byte{
		"empty":     nil,
		"garbage":   []byte(strings.Repeat("this is not a protobuf \xff\xfe", 100)),
		"truncated": good[:len(good)/2],
		"head only": good[:64],
		"png":       []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			g, err := Decode(data)
			if err == nil {
				t.Fatalf("decoded %d nodes from bad input", len(g.Nodes))
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
		})
	}
}

// The three things onnx-go drops are recovered: opset, symbolic dimensions
// and a repeated input.
func TestDecodeRecoversWhatOnnxGoDrops(t *testing.T) {
	m := onnxtest.Model{
		Opset:   11,
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{"N", 3, "H", 5}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{"N", 3, "H", 5}}},
		Nodes:   []onnxtest.Node{{Op: "Mul", Name: "square", Inputs: []string{"x", "x"}, Outputs: []string{"y"}}},
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if g.Opset != 11 {
		t.Errorf("opset %d, want 11", g.Opset)
	}
	want := []graph.Dim{{Param: "N"}, {Value: 3}, {Param: "H"}, {Value: 5}}
	if !reflect.DeepEqual(g.Inputs[0].Dims, want) {
		t.Errorf("dims %+v, want %+v", g.Inputs[0].Dims, want)
	}
	if n := g.Nodes[0]; n.Name != "square" || !reflect.DeepEqual(n.Inputs, []string{"x", "x"}) {
		t.Errorf("node %+v, want square(x, x)", n)
	}
}

// Inputs keep their order and empty optional slots: Clip(x, "", max).
func TestDecodeKeepsEmptyOptionalInputs(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2}}},
		Inits:   []onnxtest.Init{{Name: "hi", Floats: []float32{6}}},
		Nodes:   []onnxtest.Node{{Op: "Clip", Inputs: []string{"x", "", "hi"}, Outputs: []string{"y"}}},
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Nodes[0].Inputs; !reflect.DeepEqual(got, []string{"x", "", "hi"}) {
		t.Errorf("inputs %q", got)
	}
	if len(g.Inputs) != 1 {
		t.Errorf("initializer listed as input: %+v", g.Inputs)
	}
}

// FuzzDecode: no input, however broken, makes the decoder panic.
func FuzzDecode(f *testing.F) {
	f.Add(onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{"N", 4}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{"N", 4}}},
		Inits:   []onnxtest.Init{{Name: "w", Dims: []int64{4}, Floats: []float32{1, 2, 3, 4}}},
		Nodes:   []onnxtest.Node{{Op: "Add", Inputs: []string{"x", "w"}, Outputs: []string{"y"}}},
	}.Bytes())
	f.Add([]byte{})
	f.Add([]byte("\x08\x07\x3a\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Decode(data)
		if err == nil && g == nil {
			t.Fatal("nil graph without error")
		}
	})
}

// An empty initializer (Resize's unused roi in real exports) decodes: onnx-go
// alone rejects it with "No data found".
func TestDecodeEmptyInitializer(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 1, 2, 2}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 1, 4, 4}}},
		Inits:   []onnxtest.Init{{Name: "roi", Dims: []int64{0}}, {Name: "scales", Dims: []int64{4}, Floats: []float32{1, 1, 2, 2}}},
		Nodes:   []onnxtest.Node{{Op: "Resize", Inputs: []string{"x", "roi", "scales"}, Outputs: []string{"y"}}},
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	roi := g.Initializers["roi"]
	if roi == nil || roi.Shape().TotalSize() != 0 || len(g.Initializers["scales"].Data().([]float32)) != 4 {
		t.Fatalf("initializers %v", g.Initializers)
	}
}
