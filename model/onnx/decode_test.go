package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
