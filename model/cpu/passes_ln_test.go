package cpu

import (
	"math/rand"
	"testing"

	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// The LayerNorm and erf-GELU chains of opset-13 exports fuse into one
// LayerNormalization and one Gelu (fusion on), and the fused program
// computes what the unfused one does; a chain with an intermediate read
// elsewhere stays as it is.
func TestFuseTransformer(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	const n = 24
	scale, bias := randTensor(r, n), randTensor(r, n)
	axes := []onnxtest.Attr{{Name: "axes", Ints: []int64{-1}}}
	chain := []onnxtest.Node{
		{Op: "ReduceMean", Inputs: []string{"x"}, Outputs: []string{"m"}, Attrs: axes},
		{Op: "Sub", Inputs: []string{"x", "m"}, Outputs: []string{"d"}},
		{Op: "Pow", Inputs: []string{"d", "two"}, Outputs: []string{"p"}},
		{Op: "ReduceMean", Inputs: []string{"p"}, Outputs: []string{"v"}, Attrs: axes},
		{Op: "Add", Inputs: []string{"v", "eps"}, Outputs: []string{"ve"}},
		{Op: "Sqrt", Inputs: []string{"ve"}, Outputs: []string{"s"}},
		{Op: "Div", Inputs: []string{"d", "s"}, Outputs: []string{"nd"}},
		{Op: "Mul", Inputs: []string{"nd", "scale"}, Outputs: []string{"sc"}},
		{Op: "Add", Inputs: []string{"sc", "bias"}, Outputs: []string{"ln"}},
		{Op: "Div", Inputs: []string{"ln", "sqrt2"}, Outputs: []string{"g1"}},
		{Op: "Erf", Inputs: []string{"g1"}, Outputs: []string{"g2"}},
		{Op: "Add", Inputs: []string{"g2", "one"}, Outputs: []string{"g3"}},
		{Op: "Mul", Inputs: []string{"ln", "g3"}, Outputs: []string{"g4"}},
		{Op: "Mul", Inputs: []string{"g4", "half"}, Outputs: []string{"y"}},
	}
	inits := []onnxtest.Init{{Name: "scale", Dims: []int64{n}, Floats: scale.F}, {Name: "bias", Dims: []int64{n}, Floats: bias.F},
		{Name: "two", Dims: []int64{}, Floats: []float32{2}}, {Name: "eps", Dims: []int64{}, Floats: []float32{1e-6}},
		{Name: "sqrt2", Dims: []int64{}, Floats: []float32{1.4142135}}, {Name: "one", Dims: []int64{}, Floats: []float32{1}},
		{Name: "half", Dims: []int64{}, Floats: []float32{0.5}}}
	x := randTensor(r, 2, 5, n)
	for _, tc := range []struct {
		name     string
		extraOut string // a graph output that breaks the chain
		ln, gelu int
	}{{"whole", "", 1, 1}, {"d read", "d", 0, 1}, {"g3 read", "g3", 1, 0}} {
		outs := []onnxtest.Value{{Name: "y", Dims: []any{2, 5, n}}}
		if tc.extraOut != "" {
			outs = append(outs, onnxtest.Value{Name: tc.extraOut})
		}
		m := onnxtest.Model{Opset: 13, Inputs: []onnxtest.Value{{Name: "x", Dims: []any{2, 5, n}}}, Outputs: outs, Nodes: chain, Inits: inits}
		g, err := onnx.Decode(m.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var res [2][]float32
		for i, opt := range []Options{{}, {NoFusion: true}} {
			p, err := Compile(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			if h := p.Graph.OpHistogram(); i == 0 && (h["LayerNormalization"] != tc.ln || h["Gelu"] != tc.gelu) {
				t.Errorf("%s: fused graph runs %s", tc.name, p.OpCounts())
			}
			y, err := p.Run(x.F)
			if err != nil {
				t.Fatal(err)
			}
			res[i] = append([]float32(nil), y...)
		}
		if !closeTo(res[0], res[1], 1e-5) {
			t.Errorf("%s: fused and unfused differ by %g", tc.name, graph.MaxAbsDiff(res[0], res[1]))
		}
	}
}
