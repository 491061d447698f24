package cpu_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// The quantized ops' reference cases: small specs with ONNX Runtime's
// outputs, written by testdata/ortops/make_quant.py and committed.
const quantGolden = "testdata/ortops/quant"

type quantTensor struct {
	Name  string    `json:"name"`
	Type  string    `json:"type"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type quantCase struct {
	Opset int64   `json:"opset"`
	Atol  float64 `json:"atol"`
	Rtol  float64 `json:"rtol"`
	Nodes []struct {
		Op      string                     `json:"op"`
		Domain  string                     `json:"domain"`
		Inputs  []string                   `json:"inputs"`
		Outputs []string                   `json:"outputs"`
		Attrs   map[string]json.RawMessage `json:"attrs"`
	} `json:"nodes"`
	Inputs  []quantTensor `json:"inputs"`
	Inits   []quantTensor `json:"inits"`
	Outputs []quantTensor `json:"outputs"`
	Error   string        `json:"error"`
}

var quantElems = map[string]int64{"float32": 1, "uint8": 2, "int8": 3, "int32": 6, "int64": 7}

func (q quantTensor) tensor() *graph.Tensor {
	if q.Type == "float32" {
		t := graph.New(graph.Float32, q.Shape)
		for i, v := range q.Data {
			t.F[i] = float32(v)
		}
		return t
	}
	t := graph.New(graph.Int64, q.Shape)
	for i, v := range q.Data {
		t.I[i] = int64(v)
	}
	return t
}

// graph builds the case's graph as the decoder would.
func (c *quantCase) graph(t *testing.T) *graph.Graph {
	g := &graph.Graph{Name: "quant", Opset: c.Opset, Opsets: map[string]int64{"": c.Opset},
		Initializers: map[string]*graph.Tensor{}, ElemTypes: map[string]int64{}}
	for _, n := range c.Nodes {
		node := &graph.Node{Op: n.Op, Inputs: n.Inputs, Outputs: n.Outputs, Attrs: map[string]any{}}
		if n.Domain != "" {
			node.Op = n.Domain + "." + n.Op
			g.Opsets[n.Domain] = 1
		}
		for k, raw := range n.Attrs {
			var a struct {
				I    *int64   `json:"i"`
				F    *float64 `json:"f"`
				Ints []int64  `json:"ints"`
			}
			if err := json.Unmarshal(raw, &a); err != nil {
				t.Fatal(err)
			}
			switch {
			case a.I != nil:
				node.Attrs[k] = *a.I
			case a.F != nil:
				node.Attrs[k] = float32(*a.F)
			default:
				node.Attrs[k] = a.Ints
			}
		}
		g.Nodes = append(g.Nodes, node)
	}
	for _, in := range c.Inits {
		g.Initializers[in.Name] = in.tensor()
		if e := quantElems[in.Type]; e != 1 && e != 7 {
			g.ElemTypes[in.Name] = e
		}
	}
	for _, in := range c.Inputs {
		vi := graph.ValueInfo{Name: in.Name, DType: graph.ElemDType(quantElems[in.Type]), Elem: quantElems[in.Type]}
		for _, d := range in.Shape {
			vi.Dims = append(vi.Dims, graph.Dim{Value: int64(d)})
		}
		g.Inputs = append(g.Inputs, vi)
	}
	for _, o := range c.Outputs {
		g.Outputs = append(g.Outputs, graph.ValueInfo{Name: o.Name})
	}
	return g
}

// TestORTQuant compares the quantized ops (QuantizeLinear and friends,
// QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger, com.microsoft's
// QLinear* and QGemm, QDQ patterns) with ONNX Runtime: integer outputs
// exactly, with the element type ORT gave them, float outputs within the
// case's tolerance.
func TestORTQuant(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(quantGolden, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases in %s: %v", quantGolden, err)
	}
	sort.Strings(files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			var c quantCase
			readJSON(t, f, &c)
			if c.Error != "" {
				t.Skipf("ONNX Runtime refused the model: %s", c.Error)
			}
			for _, noReuse := range []bool{false, true} {
				runQuantCase(t, &c, cpu.Options{NoReuse: noReuse})
			}
		})
	}
}

func runQuantCase(t *testing.T, c *quantCase, opt cpu.Options) {
	p, err := cpu.Compile(c.graph(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	for k, in := range c.Inputs {
		src := in.tensor()
		copy(p.Inputs[k].F, src.F)
		copy(p.Inputs[k].I, src.I)
	}
	for run := 0; run < 2; run++ {
		if err := p.Execute(); err != nil {
			t.Fatal(err)
		}
		for k, want := range c.Outputs {
			got := p.Outputs[k]
			if !sameInts(got.Shape, want.Shape) {
				t.Fatalf("output %q: shape %v, ONNX Runtime %v", want.Name, got.Shape, want.Shape)
			}
			bad := 0
			if want.Type == "float32" {
				for i, w := range want.Data {
					if g := float64(got.F[i]); math.Abs(g-w) > c.Atol+c.Rtol*math.Abs(w) {
						if bad < 5 {
							t.Errorf("output %q[%d]: got %g, ONNX Runtime %g", want.Name, i, g, w)
						}
						bad++
					}
				}
			} else {
				if e := p.OutputElems[k]; e != quantElems[want.Type] {
					t.Errorf("output %q: element type %d, ONNX Runtime's is %s", want.Name, e, want.Type)
				}
				for i, w := range want.Data {
					if g := got.I[i]; g != int64(w) {
						if bad < 5 {
							t.Errorf("output %q[%d]: got %d, ONNX Runtime %d", want.Name, i, g, int64(w))
						}
						bad++
					}
				}
			}
			if bad > 0 {
				t.Fatalf("output %q: %d of %d values differ", want.Name, bad, len(want.Data))
			}
		}
	}
	if allocs := testing.AllocsPerRun(2, func() { _ = p.Execute() }); allocs != 0 {
		t.Errorf("a run allocates %.0f times", allocs)
	}
}

// An int8 zero point made by a Constant node (value 0, so its values say
// nothing of its type) saturates as int8: -1.0 at scale 0.1 is -10, not
// uint8's 0; and the graph Program.Export writes (what a bundle stores)
// keeps the type, so compiling it again gives the same.
func TestQuantizeConstantZeroPointType(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{4}}},
		Outputs: []onnxtest.Value{{Name: "y", Elem: 3, Dims: []any{4}}},
		Nodes: []onnxtest.Node{
			{Op: "Constant", Name: "zp", Outputs: []string{"z"}, Attrs: []onnxtest.Attr{{Name: "value", Tensor: &onnxtest.Tensor{Elem: 3, Ints: []int64{0}}}}},
			{Op: "Constant", Name: "sc", Outputs: []string{"s"}, Attrs: []onnxtest.Attr{{Name: "value", Tensor: &onnxtest.Tensor{Floats: []float32{0.1}}}}},
			{Op: "QuantizeLinear", Name: "q", Inputs: []string{"x", "s", "z"}, Outputs: []string{"y"}},
		},
	}
	g, err := onnx.Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{-10, -128, 5, 127}
	for _, round := range []string{"file", "exported"} {
		p, err := cpu.Compile(g, cpu.Options{})
		if err != nil {
			t.Fatal(err)
		}
		copy(p.Inputs[0].F, []float32{-1, -50, 0.5, 40})
		if err := p.Execute(); err != nil {
			t.Fatal(err)
		}
		if got := p.Outputs[0].I; !slices.Equal(got, want) || p.OutputElems[0] != 3 {
			t.Errorf("%s: %v (elem %d), want %v (int8)", round, got, p.OutputElems[0], want)
		}
		g = p.Export()
	}
}
