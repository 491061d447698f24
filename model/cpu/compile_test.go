package cpu_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

func compileModel(t *testing.T, m onnxtest.Model, opt cpu.Options) (*cpu.Program, error) {
	t.Helper()
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return cpu.Compile(g, opt)
}

// Mul(x, x) squares: the repeated input reaches the kernel twice.
// The symbolic dims are fixed by Options.InputShapes.
func TestRepeatedInputAndSymbolicDims(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{"N", "K"}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{"N", "K"}}},
		Nodes:   []onnxtest.Node{{Op: "Mul", Inputs: []string{"x", "x"}, Outputs: []string{"y"}}},
	}
	if _, err := compileModel(t, m, cpu.Options{}); err == nil || !strings.Contains(err.Error(), "symbolic dimension 1 (K)") {
		t.Fatalf("want an error naming the symbolic dim K, got %v", err)
	}
	p, err := compileModel(t, m, cpu.Options{InputShapes: map[string][]int{"x": {2, 3}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Run([]float32{1, -2, 3, 0.5, 4, -1})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 4, 9, 0.25, 16, 1}
	if graph.MaxAbsDiff(got, want) != 0 {
		t.Errorf("got %v, want %v", got, want)
	}
}

// A model with an op we lack fails to compile with an error naming the op and node.
func TestUnsupportedOpNamed(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{4}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{4}}},
		Nodes:   []onnxtest.Node{{Op: "NonMaxSuppression", Name: "nms_7", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}
	_, err := compileModel(t, m, cpu.Options{})
	if err == nil || err.Error() != `unsupported op NonMaxSuppression in node "nms_7"` {
		t.Fatalf("got %v", err)
	}
}

// The passes do what they claim on real models: every BatchNormalization of
// ShuffleNet folds into its Conv, every Clip (ReLU6) and residual Add of
// MobileNetV2 fuses into a conv epilogue, SiLU gates of EfficientNet fuse,
// and the buffer plan reuses memory.
func TestPassesOnRealModels(t *testing.T) {
	cases := []struct {
		path    string
		gone    []string // op types that must not remain
		minFuse int
	}{
		{"zoo/shufflenet_v2_x0_5_bn/model.onnx", []string{"BatchNormalization", "Shape", "Gather", "Constant"}, 56},
		{"models/mobilenet_v2_1.0_224/model.onnx", []string{"Clip", "Add"}, 35},
		{"zoo/efficientnet_b0/model.onnx", []string{"HardSigmoid"}, 49},
		{"zoo/mobilenet_v3_small/model.onnx", []string{"Relu"}, 20},
		{"zoo/vit_tiny_p16_opset13/model.onnx", []string{"Shape", "ConstantOfShape", "Equal", "Where", "Constant"}, 0},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			p := compileFile(t, filepath.Join(shared, c.path), cpu.Options{})
			h := p.Graph.OpHistogram()
			for _, op := range c.gone {
				if h[op] > 0 {
					t.Errorf("%d %s nodes remain: %s", h[op], op, p.OpCounts())
				}
			}
			if p.Fused < c.minFuse {
				t.Errorf("%d nodes fused, want >= %d", p.Fused, c.minFuse)
			}
			unfused := compileFile(t, filepath.Join(shared, c.path), cpu.Options{NoFusion: true})
			total := 0
			for _, n := range unfused.Graph.Nodes {
				_ = n
			}
			for _, o := range unfused.Outputs {
				total += 4 * o.Len()
			}
			if p.ArenaBytes <= 0 || p.ArenaBytes > unfused.ArenaBytes {
				t.Errorf("arena %d bytes fused vs %d unfused", p.ArenaBytes, unfused.ArenaBytes)
			}
			t.Logf("%s: %d nodes run (%s); %d folded, %d fused; arena %d KiB", c.path, len(p.Graph.Nodes), p.OpCounts(), p.Folded, p.Fused, p.ArenaBytes/1024)
		})
	}
}

// Initializers become constants of their own: a program never hands out
// the graph's tensors (or the caller's, for Interpret), shapes are copied,
// a scalar's value is copied, and data that does not fill its shape is an
// error naming the initializer.
func TestInitializersAreConstantsOfTheirOwn(t *testing.T) {
	k := graph.Floats([]int{2}, []float32{1, 2})
	s := graph.Floats([]int{}, []float32{3})
	e := graph.New(graph.Int64, []int{0, 2})
	g := &graph.Graph{
		Opset:  17,
		Inputs: []graph.ValueInfo{{Name: "x", DType: graph.Float32, Dims: []graph.Dim{{Value: 2}}}},
		Outputs: []graph.ValueInfo{{Name: "y", DType: graph.Float32}, {Name: "k", DType: graph.Float32},
			{Name: "s", DType: graph.Float32}, {Name: "e", DType: graph.Int64}},
		Nodes:        []*graph.Node{{Op: "Add", Inputs: []string{"x", "k"}, Outputs: []string{"y"}, Attrs: map[string]any{}}},
		Initializers: map[string]*graph.Tensor{"k": k, "s": s, "e": e},
	}
	p, err := cpu.Compile(g, cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pk, ps, pe := p.Outputs[1], p.Outputs[2], p.Outputs[3]
	if pk == k || ps == s || pe == e {
		t.Fatal("the program hands out the graph's initializer tensors")
	}
	pk.Shape[0] = 7
	if k.Shape[0] != 2 {
		t.Error("the program shares the initializer's shape")
	}
	ps.F[0] = 9
	if s.F[0] != 3 {
		t.Error("the program shares a scalar initializer's value")
	}
	if pe.DType != graph.Int64 || len(pe.Shape) != 2 || pe.Len() != 0 || pe.I == nil {
		t.Errorf("empty initializer became %v (I %v)", pe, pe.I)
	}

	x := graph.Floats([]int{2}, []float32{10, 20})
	out, err := cpu.Interpret(&graph.Graph{Opset: 17, Inputs: g.Inputs[:1], Outputs: []graph.ValueInfo{{Name: "x"}},
		Nodes: g.Nodes, Initializers: map[string]*graph.Tensor{"k": k}}, map[string]*graph.Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out["x"]; got == x || got == nil || got.F[1] != 20 {
		t.Errorf("Interpret returned %v for the input itself", got)
	}

	g.Initializers["bad"] = graph.Floats([]int{3}, []float32{1})
	if _, err := cpu.Compile(g, cpu.Options{}); err == nil || err.Error() != `initializer "bad": tensor [3] holds 1 values, its shape needs 3` {
		t.Errorf("short initializer: got error %v", err)
	}
}
