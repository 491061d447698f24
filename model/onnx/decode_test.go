package onnx

import (
	"fmt"
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
	// Tensors of every type in every encoding, as initializers.
	for _, e := range encodings {
		m := onnxtest.Model{
			Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}},
			Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2}}},
			Nodes:   []onnxtest.Node{{Op: "Identity", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		}
		m.Initializers = []onnxtest.Tensor{
			{Name: "a", Elem: onnxtest.Float16, Dims: []int64{2}, Halves: []uint16{0x3c00, 0x8001}},
			{Name: "b", Elem: onnxtest.BFloat16, Dims: []int64{1}, Halves: []uint16{0xbf80}},
			{Name: "c", Elem: onnxtest.Int8, Dims: []int64{2}, Ints: []int64{-1, 5}},
			{Name: "d", Elem: onnxtest.Uint8, Ints: []int64{255}},
			{Name: "e", Elem: onnxtest.Double, Dims: []int64{1}, Doubles: []float64{0.1}},
			{Name: "f", Elem: onnxtest.Bool, Ints: []int64{1}},
			{Name: "g", Elem: onnxtest.Uint64, Dims: []int64{1}, Ints: []int64{1 << 40}},
			{Name: "h", Elem: onnxtest.Int32, Dims: []int64{1, 0}},
		}
		for i := range m.Initializers {
			m.Initializers[i].Enc = e.enc
		}
		f.Add(m.Bytes())
	}
	// Graph attributes, tensor attributes, untyped attributes.
	f.Add(ifModel().Bytes())
	f.Add(nestedIf(3).Bytes())
	f.Add(onnxtest.Model{
		Outputs: []onnxtest.Value{{Name: "y"}},
		Nodes: []onnxtest.Node{
			{Op: "Constant", Outputs: []string{"tm"}, Attrs: []onnxtest.Attr{{Name: "value", Tensor: &onnxtest.Tensor{Elem: onnxtest.Bool, RawData: []byte{1}}}}},
			{Op: "Loop", Inputs: []string{"", "tm"}, Outputs: []string{"y"}, Attrs: []onnxtest.Attr{{Name: "body", Graph: &onnxtest.Graph{
				Inputs:  []onnxtest.Value{{Name: "i", Elem: onnxtest.Int64}, {Name: "c", Elem: onnxtest.Bool}},
				Outputs: []onnxtest.Value{{Name: "c2", Elem: onnxtest.Bool}, {Name: "s"}},
				Nodes: []onnxtest.Node{
					{Op: "Identity", Inputs: []string{"c"}, Outputs: []string{"c2"}},
					{Op: "Cast", Inputs: []string{"i"}, Outputs: []string{"s"}, Attrs: []onnxtest.Attr{{Name: "to", Int: onnxtest.I64(1), NoType: true}}},
				},
			}}}},
			{Op: "Custom", Inputs: []string{"y"}, Outputs: []string{"z"}, Attrs: []onnxtest.Attr{
				{Name: "ints", Ints: []int64{-1, 2}, Unpacked: true, NoType: true},
				{Name: "floats", Floats: []float32{1}, Unpacked: true},
				{Name: "strs", Strs: []string{"a"}},
				{Name: "ts", Tensors: []onnxtest.Tensor{{Elem: onnxtest.Float16, Dims: []int64{1}, Halves: []uint16{0x3c00}, Enc: onnxtest.Unpacked}}},
			}},
		},
	}.Bytes())
	// Hostile files (hostile_test.go), the small ones: nesting, shapes,
	// counts, truncations.
	for _, c := range hostileCases() {
		if data := c.data(); len(data) <= 16<<10 {
			f.Add(data)
		}
	}
	f.Add(onnxtest.Nested(40))
	f.Add(onnxtest.Nest{Depth: 40, AttrType: 2}.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Decode(data)
		if err == nil && g == nil {
			t.Fatal("nil graph without error")
		}
		if err != nil && (strings.Contains(err.Error(), "<nil>") || strings.Contains(err.Error(), "internal error") || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("error %q", err)
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
	if roi == nil || roi.Len() != 0 || len(g.Initializers["scales"].F) != 4 {
		t.Fatalf("initializers %v", g.Initializers)
	}
}

// A scalar bool Constant stored as one byte of raw_data (what torch writes
// for Dropout's training_mode, and what onnx-go misread) decodes as a bool
// with one element, and the Constant → Dropout → Identity model decodes.
func TestDecodeScalarBoolConstant(t *testing.T) {
	m := onnxtest.Model{
		Opset:   13,
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1, 4}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1, 4}}},
		Nodes: []onnxtest.Node{
			{Op: "Constant", Name: "/Constant", Outputs: []string{"training_mode"}, Attrs: []onnxtest.Attr{
				{Name: "value", Tensor: &onnxtest.Tensor{Elem: onnxtest.Bool, RawData: []byte{0}}}}},
			{Op: "Constant", Name: "/Constant_1", Outputs: []string{"ratio"}, Attrs: []onnxtest.Attr{
				{Name: "value", Tensor: &onnxtest.Tensor{Elem: onnxtest.Float, Floats: []float32{0.25}}}}},
			{Op: "Dropout", Name: "/Dropout", Inputs: []string{"x", "ratio", "training_mode"}, Outputs: []string{"d", "mask"}},
			{Op: "Identity", Name: "/Identity", Inputs: []string{"d"}, Outputs: []string{"y"}},
		},
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 4 {
		t.Fatalf("%d nodes", len(g.Nodes))
	}
	v, ok := g.Nodes[0].Attrs["value"].(*graph.Tensor)
	if !ok {
		t.Fatalf("value is %T", g.Nodes[0].Attrs["value"])
	}
	if err := sameTensor(v, bools([]int{}, false)); err != nil {
		t.Error(err)
	}
	if v.Len() != 1 {
		t.Errorf("%d elements", v.Len())
	}
	r, _ := g.Nodes[1].Attrs["value"].(*graph.Tensor)
	if err := sameTensor(r, floats([]int{}, 0.25)); err != nil {
		t.Error(err)
	}
	d := g.Nodes[2]
	if d.Op != "Dropout" || !reflect.DeepEqual(d.Inputs, []string{"x", "ratio", "training_mode"}) || !reflect.DeepEqual(d.Outputs, []string{"d", "mask"}) {
		t.Errorf("dropout %+v", d)
	}
	for _, n := range g.Nodes[:2] {
		if len(n.Inputs) != 0 {
			t.Errorf("%s has inputs %q", n.Label(), n.Inputs)
		}
	}
}

// A Constant's value in every element type, and the other Constant forms.
func TestDecodeConstantValues(t *testing.T) {
	m := onnxtest.Model{Outputs: []onnxtest.Value{{Name: "c0"}}}
	for i, c := range valueCases {
		tp := c.t
		tp.Enc = onnxtest.Encoding(i % 3)
		m.Nodes = append(m.Nodes, onnxtest.Node{Op: "Constant", Outputs: []string{fmt.Sprintf("c%d", i)},
			Attrs: []onnxtest.Attr{{Name: "value", Tensor: &tp}}})
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range valueCases {
		v, ok := g.Nodes[i].Attrs["value"].(*graph.Tensor)
		if !ok {
			t.Errorf("%s: value is %T", c.name, g.Nodes[i].Attrs["value"])
			continue
		}
		if err := sameTensor(v, c.want); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// ifModel: y = If(cond) with then = x + k (k an initializer of the branch)
// and else = x passed through by a branch with no nodes.
func ifModel() onnxtest.Model {
	return onnxtest.Model{
		Opset:   16,
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}, {Name: "cond", Elem: onnxtest.Bool}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2}}},
		Nodes: []onnxtest.Node{{Op: "If", Name: "branch", Inputs: []string{"cond"}, Outputs: []string{"y"}, Attrs: []onnxtest.Attr{
			{Name: "then_branch", Graph: &onnxtest.Graph{
				Name:         "then",
				Nodes:        []onnxtest.Node{{Op: "Add", Name: "add", Inputs: []string{"x", "k"}, Outputs: []string{"t"}}},
				Initializers: []onnxtest.Tensor{{Name: "k", Elem: onnxtest.Float16, Dims: []int64{2}, Halves: []uint16{0x3c00, 0xc000}}},
				Outputs:      []onnxtest.Value{{Name: "t", Dims: []any{2}}},
			}},
			{Name: "else_branch", Graph: &onnxtest.Graph{
				Name:    "else",
				Outputs: []onnxtest.Value{{Name: "x", NoType: true}},
			}},
		}}},
	}
}

func TestDecodeIf(t *testing.T) {
	g, err := Decode(ifModel().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 1 || g.Nodes[0].Op != "If" {
		t.Fatalf("nodes %+v", g.Nodes)
	}
	n := g.Nodes[0]
	if !reflect.DeepEqual(n.Inputs, []string{"cond"}) {
		t.Errorf("If inputs %q", n.Inputs)
	}
	th, el := n.Graph("then_branch"), n.Graph("else_branch")
	if th == nil || el == nil {
		t.Fatalf("attributes %v", n.Attrs)
	}
	if gs := n.Graphs(); len(gs) != 2 || gs[0] != el || gs[1] != th {
		t.Errorf("Graphs() %v, want [else then]", gs)
	}
	if th.Name != "then" || len(th.Nodes) != 1 || len(th.Inputs) != 0 || th.Opset != 16 {
		t.Errorf("then branch %+v", th)
	}
	if a := th.Nodes[0]; a.Op != "Add" || a.Name != "add" || !reflect.DeepEqual(a.Inputs, []string{"x", "k"}) || !reflect.DeepEqual(a.Outputs, []string{"t"}) {
		t.Errorf("then node %+v", a)
	}
	if len(th.Outputs) != 1 || th.Outputs[0].Name != "t" || th.Outputs[0].DType != graph.Float32 {
		t.Errorf("then outputs %+v", th.Outputs)
	}
	k := th.Initializers["k"]
	if k == nil {
		t.Fatalf("then initializers %v", th.Initializers)
	}
	if err := sameTensor(k, floats([]int{2}, 1, -2)); err != nil {
		t.Error(err)
	}
	if th.ElemTypes["k"] != onnxtest.Float16 {
		t.Errorf("then ElemTypes %v", th.ElemTypes)
	}
	if _, leaked := g.Initializers["k"]; leaked {
		t.Error("a branch initializer is in the main graph")
	}
	if el.Name != "else" || len(el.Nodes) != 0 || len(el.Inputs) != 0 || len(el.Outputs) != 1 || el.Outputs[0].Name != "x" {
		t.Errorf("else branch %+v", el)
	}
	if el.Outputs[0].DType != graph.Undefined {
		t.Errorf("untyped output decoded as %s", el.Outputs[0].DType)
	}
}

// An If inside an If: the inner branches reach values of both enclosing
// graphs.
func TestDecodeNestedIf(t *testing.T) {
	inner := onnxtest.Node{Op: "If", Name: "inner", Inputs: []string{"c2"}, Outputs: []string{"u"}, Attrs: []onnxtest.Attr{
		{Name: "then_branch", Graph: &onnxtest.Graph{Name: "inner_then",
			Nodes:   []onnxtest.Node{{Op: "Mul", Inputs: []string{"x", "h"}, Outputs: []string{"it"}}},
			Outputs: []onnxtest.Value{{Name: "it", Dims: []any{2}}}}},
		{Name: "else_branch", Graph: &onnxtest.Graph{Name: "inner_else",
			Nodes:   []onnxtest.Node{{Op: "Neg", Inputs: []string{"h"}, Outputs: []string{"ie"}}},
			Outputs: []onnxtest.Value{{Name: "ie", Dims: []any{2}}}}},
	}}
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}, {Name: "c1", Elem: onnxtest.Bool}, {Name: "c2", Elem: onnxtest.Bool}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2}}},
		Nodes: []onnxtest.Node{{Op: "If", Name: "outer", Inputs: []string{"c1"}, Outputs: []string{"y"}, Attrs: []onnxtest.Attr{
			{Name: "then_branch", Graph: &onnxtest.Graph{Name: "outer_then",
				Nodes: []onnxtest.Node{
					{Op: "Abs", Inputs: []string{"x"}, Outputs: []string{"h"}},
					inner,
				},
				Outputs: []onnxtest.Value{{Name: "u", Dims: []any{2}}}}},
			{Name: "else_branch", Graph: &onnxtest.Graph{Name: "outer_else", Outputs: []onnxtest.Value{{Name: "x", Dims: []any{2}}}}},
		}}},
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ot := g.Nodes[0].Graph("then_branch")
	if ot == nil || len(ot.Nodes) != 2 || ot.Nodes[1].Op != "If" {
		t.Fatalf("outer then %+v", ot)
	}
	it, ie := ot.Nodes[1].Graph("then_branch"), ot.Nodes[1].Graph("else_branch")
	if it == nil || ie == nil {
		t.Fatalf("inner If attributes %v", ot.Nodes[1].Attrs)
	}
	if it.Name != "inner_then" || len(it.Nodes) != 1 || !reflect.DeepEqual(it.Nodes[0].Inputs, []string{"x", "h"}) {
		t.Errorf("inner then %+v", it)
	}
	if ie.Name != "inner_else" || len(ie.Nodes) != 1 || !reflect.DeepEqual(ie.Nodes[0].Inputs, []string{"h"}) || ie.Outputs[0].Name != "ie" {
		t.Errorf("inner else %+v", ie)
	}
}

// nestedIf is a model whose If nodes nest depth graph attributes deep: the
// innermost branch computes Identity(x).
func nestedIf(depth int) onnxtest.Model {
	body := onnxtest.Graph{Name: "leaf",
		Nodes:   []onnxtest.Node{{Op: "Identity", Inputs: []string{"x"}, Outputs: []string{"leaf_out"}}},
		Outputs: []onnxtest.Value{{Name: "leaf_out"}}}
	for level := depth; level > 1; level-- {
		o := fmt.Sprintf("out%d", level)
		b := body
		body = onnxtest.Graph{Name: fmt.Sprintf("level%d", level),
			Nodes: []onnxtest.Node{{Op: "If", Inputs: []string{"c"}, Outputs: []string{o}, Attrs: []onnxtest.Attr{
				{Name: "then_branch", Graph: &b}, {Name: "else_branch", Graph: &onnxtest.Graph{Outputs: []onnxtest.Value{{Name: "x"}}}}}}},
			Outputs: []onnxtest.Value{{Name: o}}}
	}
	return onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{1}}, {Name: "c", Elem: onnxtest.Bool}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{1}}},
		Nodes: []onnxtest.Node{{Op: "If", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: []onnxtest.Attr{
			{Name: "then_branch", Graph: &body}, {Name: "else_branch", Graph: &onnxtest.Graph{Outputs: []onnxtest.Value{{Name: "x"}}}}}}},
	}
}

// Graph attributes nest up to 32 levels; deeper is an error, however deep,
// and never a stack overflow.
func TestDecodeGraphNestingLimit(t *testing.T) {
	g, err := Decode(nestedIf(maxGraphDepth).Bytes())
	if err != nil {
		t.Fatalf("%d levels: %v", maxGraphDepth, err)
	}
	levels := 0
	for sub := g; sub != nil && len(sub.Nodes) > 0; sub = sub.Nodes[0].Graph("then_branch") {
		levels++
	}
	if levels != maxGraphDepth+1 { // the main graph and 32 nested ones
		t.Errorf("%d graphs deep, want %d", levels, maxGraphDepth+1)
	}
	for _, depth := range []int{maxGraphDepth + 1, 200, 2000} {
		_, err := Decode(nestedIf(depth).Bytes())
		checkMessage(t, err, "deeper than 32")
	}
}

// An error inside a graph attribute names the path to it once: each
// enclosing node and attribute appears once; a deep path keeps its two
// outer levels and the innermost, so the message stays one short line.
func TestDecodeSubgraphErrorNamesPathOnce(t *testing.T) {
	m := ifModel()
	m.Nodes[0].Attrs[0].Graph.Initializers[0].Dims = []int64{-1}
	_, err := Decode(m.Bytes())
	checkMessage(t, err, `"branch"`, "then_branch", `initializer "k"`, "negative")
	if n := strings.Count(err.Error(), "then_branch"); n != 1 {
		t.Errorf("then_branch appears %d times in %q", n, err)
	}

	_, err = Decode(nestedIf(maxGraphDepth + 1).Bytes())
	checkMessage(t, err, "deeper than 32")
	msg := err.Error()
	if !strings.Contains(msg, "… 30 levels …") {
		t.Errorf("the deep path is not shortened: %.300s", msg)
	}
	if len(msg) > 400 {
		t.Errorf("a %d-byte message for %d levels: %.300s...", len(msg), maxGraphDepth+1, msg)
	}
}

// IR version 3 lists initializers among the graph inputs: they are not
// inputs of the decoded graph.
func TestDecodeIR3InitializersAsInputs(t *testing.T) {
	m := onnxtest.Model{
		IRVersion:    3,
		Opset:        8,
		Inputs:       []onnxtest.Value{{Name: "x", Dims: []any{2}}, {Name: "w", Elem: onnxtest.Int8, Dims: []any{2}}},
		Outputs:      []onnxtest.Value{{Name: "y", Dims: []any{2}}},
		Initializers: []onnxtest.Tensor{{Name: "w", Elem: onnxtest.Int8, Dims: []int64{2}, Ints: []int64{-1, 1}, Enc: onnxtest.Packed}},
		Nodes:        []onnxtest.Node{{Op: "Add", Inputs: []string{"x", "w"}, Outputs: []string{"y"}}},
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" || g.IRVersion != 3 || g.Opset != 8 {
		t.Errorf("inputs %+v, IR %d, opset %d", g.Inputs, g.IRVersion, g.Opset)
	}
	w := g.Initializers["w"]
	if w == nil {
		t.Fatalf("initializers %v", g.Initializers)
	}
	if err := sameTensor(w, ints([]int{2}, -1, 1)); err != nil {
		t.Error(err)
	}
}

// A Loop body has inputs (iteration number, condition, carried values),
// outputs and nodes that read outer values.
func TestDecodeLoop(t *testing.T) {
	body := onnxtest.Graph{
		Name: "body",
		Inputs: []onnxtest.Value{
			{Name: "i", Elem: onnxtest.Int64},
			{Name: "cond_in", Elem: onnxtest.Bool},
			{Name: "v_in", Dims: []any{"N"}},
		},
		Outputs: []onnxtest.Value{
			{Name: "cond_out", Elem: onnxtest.Bool},
			{Name: "v_out", Dims: []any{"N"}},
			{Name: "scan_out", Dims: []any{"N"}},
		},
		Nodes: []onnxtest.Node{
			{Op: "Identity", Inputs: []string{"cond_in"}, Outputs: []string{"cond_out"}},
			{Op: "Add", Inputs: []string{"v_in", "step"}, Outputs: []string{"v_out"}},
			{Op: "Identity", Inputs: []string{"v_out"}, Outputs: []string{"scan_out"}},
		},
	}
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "v0", Dims: []any{"N"}}},
		Outputs: []onnxtest.Value{{Name: "v", Dims: []any{"N"}}, {Name: "scan", Dims: []any{"T", "N"}}},
		Initializers: []onnxtest.Tensor{
			{Name: "M", Elem: onnxtest.Int64, Ints: []int64{3}},
			{Name: "cond", Elem: onnxtest.Bool, RawData: []byte{1}},
			{Name: "step", Elem: onnxtest.Float, Floats: []float32{0.5}},
		},
		Nodes: []onnxtest.Node{{Op: "Loop", Name: "loop", Inputs: []string{"M", "cond", "v0"}, Outputs: []string{"v", "scan"},
			Attrs: []onnxtest.Attr{{Name: "body", Graph: &body}}}},
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	n := g.Nodes[0]
	if !reflect.DeepEqual(n.Inputs, []string{"M", "cond", "v0"}) || !reflect.DeepEqual(n.Outputs, []string{"v", "scan"}) {
		t.Errorf("loop %+v", n)
	}
	b := n.Graph("body")
	if b == nil {
		t.Fatalf("attributes %v", n.Attrs)
	}
	var names []string
	var types []graph.DType
	for _, in := range b.Inputs {
		names = append(names, in.Name)
		types = append(types, in.DType)
	}
	if !reflect.DeepEqual(names, []string{"i", "cond_in", "v_in"}) || !reflect.DeepEqual(types, []graph.DType{graph.Int64, graph.Bool, graph.Float32}) {
		t.Errorf("body inputs %+v", b.Inputs)
	}
	if want := []graph.Dim{{Param: "N"}}; !reflect.DeepEqual(b.Inputs[2].Dims, want) {
		t.Errorf("v_in dims %+v", b.Inputs[2].Dims)
	}
	if len(b.Outputs) != 3 || b.Outputs[1].Name != "v_out" || len(b.Nodes) != 3 {
		t.Errorf("body %+v", b)
	}
	if !reflect.DeepEqual(b.Nodes[1].Inputs, []string{"v_in", "step"}) {
		t.Errorf("body add inputs %q", b.Nodes[1].Inputs)
	}
	cond := g.Initializers["cond"]
	if cond == nil {
		t.Fatalf("initializers %v", g.Initializers)
	}
	if err := sameTensor(cond, bools([]int{}, true)); err != nil {
		t.Error(err)
	}
}

// Attributes of every kind, packed or not, and without the type field
// (files from old exporters) decode to the same values.
func TestDecodeAttributeKinds(t *testing.T) {
	branch := &onnxtest.Graph{Name: "g", Nodes: []onnxtest.Node{{Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}}},
		Outputs: []onnxtest.Value{{Name: "r"}}}
	attrs := func(noType, unpacked bool) []onnxtest.Attr {
		return []onnxtest.Attr{
			{Name: "i", Int: onnxtest.I64(-5), NoType: noType},
			{Name: "f", Float: onnxtest.F32(0.125), NoType: noType},
			{Name: "s", Str: onnxtest.Str("same"), NoType: noType},
			{Name: "ints", Ints: []int64{1, -1, 1 << 40}, NoType: noType, Unpacked: unpacked},
			{Name: "floats", Floats: []float32{1.5, -2}, NoType: noType, Unpacked: unpacked},
			{Name: "strs", Strs: []string{"a", "", "c"}, NoType: noType},
			{Name: "t", Tensor: &onnxtest.Tensor{Elem: onnxtest.Int32, Dims: []int64{2}, Ints: []int64{-7, 7}, Enc: onnxtest.Packed}, NoType: noType},
			{Name: "ts", Tensors: []onnxtest.Tensor{{Elem: onnxtest.Bool, Ints: []int64{1}}, {Elem: onnxtest.Double, Dims: []int64{1}, Doubles: []float64{2}}}, NoType: noType},
			{Name: "g", Graph: branch, NoType: noType},
			{Name: "gs", Graphs: []onnxtest.Graph{*branch, *branch}, NoType: noType},
		}
	}
	for _, c := range []struct {
		name             string
		noType, unpacked bool
	}{{"typed packed", false, false}, {"typed unpacked", false, true}, {"untyped packed", true, false}, {"untyped unpacked", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			m := onnxtest.Model{
				Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}},
				Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2}}},
				Nodes:   []onnxtest.Node{{Op: "Custom", Domain: "test.domain", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: attrs(c.noType, c.unpacked)}},
			}
			g, err := Decode(m.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			n := g.Nodes[0]
			if n.Op != "test.domain.Custom" {
				t.Errorf("op %q", n.Op)
			}
			want := map[string]any{
				"i": int64(-5), "f": float32(0.125), "s": "same",
				"ints": []int64{1, -1, 1 << 40}, "floats": []float32{1.5, -2}, "strs": []string{"a", "", "c"},
			}
			for k, v := range want {
				if !reflect.DeepEqual(n.Attrs[k], v) {
					t.Errorf("%s = %#v, want %#v", k, n.Attrs[k], v)
				}
			}
			if tt, _ := n.Attrs["t"].(*graph.Tensor); sameTensor(tt, ints([]int{2}, -7, 7)) != nil {
				t.Errorf("t = %#v", n.Attrs["t"])
			}
			ts, _ := n.Attrs["ts"].([]*graph.Tensor)
			if len(ts) != 2 || sameTensor(ts[0], bools([]int{}, true)) != nil || sameTensor(ts[1], floats([]int{1}, 2)) != nil {
				t.Errorf("ts = %#v", n.Attrs["ts"])
			}
			if sub := n.Graph("g"); sub == nil || len(sub.Nodes) != 1 || sub.Nodes[0].Op != "Relu" {
				t.Errorf("g = %#v", n.Attrs["g"])
			}
			gs, _ := n.Attrs["gs"].([]*graph.Graph)
			if len(gs) != 2 || len(gs[1].Nodes) != 1 {
				t.Errorf("gs = %#v", n.Attrs["gs"])
			}
			if len(n.Graphs()) != 3 {
				t.Errorf("Graphs() has %d graphs, want 3", len(n.Graphs()))
			}
			if len(n.Attrs) != len(want)+4 {
				t.Errorf("attributes %v", n.Attrs)
			}
		})
	}
}

// Attributes the decoder cannot use are errors that name the node, the
// attribute and the reason; so are bad tensors and graphs inside graph
// attributes, which also name the branch.
func TestDecodeBadAttributes(t *testing.T) {
	badBranch := func(g onnxtest.Graph) []onnxtest.Attr {
		return []onnxtest.Attr{{Name: "then_branch", Graph: &g}, {Name: "else_branch", Graph: &onnxtest.Graph{Outputs: []onnxtest.Value{{Name: "x"}}}}}
	}
	cases := []struct {
		name  string
		attrs []onnxtest.Attr
		want  []string
	}{
		{"unknown type", []onnxtest.Attr{{Name: "odd", Int: onnxtest.I64(1), Type: 99}}, []string{"attribute odd", "99"}},
		{"sparse tensor", []onnxtest.Attr{{Name: "sp", Type: 11}}, []string{"attribute sp", "sparse"}},
		{"type proto", []onnxtest.Attr{{Name: "tp", Type: 13}}, []string{"attribute tp", "type-proto"}},
		{"no value no type", []onnxtest.Attr{{Name: "empty"}}, []string{"attribute empty"}},
		{"tensor type without tensor", []onnxtest.Attr{{Name: "value", Type: 4}}, []string{"attribute value", "without a tensor"}},
		{"bad tensor in tensors", []onnxtest.Attr{{Name: "ts", Tensors: []onnxtest.Tensor{{Elem: onnxtest.Float, Dims: []int64{2}, Floats: []float32{1}}}}}, []string{"attribute ts", "raw data is 4 bytes"}},
		{"bad initializer in a branch", badBranch(onnxtest.Graph{
			Nodes:        []onnxtest.Node{{Op: "Add", Inputs: []string{"x", "k"}, Outputs: []string{"t"}}},
			Initializers: []onnxtest.Tensor{{Name: "k", Elem: onnxtest.Float, Dims: []int64{-2}}},
			Outputs:      []onnxtest.Value{{Name: "t"}},
		}), []string{"then_branch", `initializer "k"`, "negative"}},
		{"bad Constant in a branch", badBranch(onnxtest.Graph{
			Nodes: []onnxtest.Node{{Op: "Constant", Name: "inner_const", Outputs: []string{"t"}, Attrs: []onnxtest.Attr{
				{Name: "value", Tensor: &onnxtest.Tensor{Elem: onnxtest.String, Strings: []string{"s"}}}}}},
			Outputs: []onnxtest.Value{{Name: "t"}},
		}), []string{"then_branch", `"inner_const"`, "string"}},
		{"branch with nodes and no outputs", badBranch(onnxtest.Graph{
			Nodes: []onnxtest.Node{{Op: "Neg", Inputs: []string{"x"}, Outputs: []string{"t"}}},
		}), []string{"then_branch"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := onnxtest.Model{
				Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}, {Name: "c", Elem: onnxtest.Bool}},
				Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2}}},
				Nodes:   []onnxtest.Node{{Op: "If", Name: "the_if", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: c.attrs}},
			}
			g, err := Decode(m.Bytes())
			if err == nil {
				t.Fatalf("decoded %v", g.Nodes[0].Attrs)
			}
			checkMessage(t, err, append([]string{`"the_if"`}, c.want...)...)
		})
	}
}
