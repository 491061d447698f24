package onnx

import (
	"errors"
	"fmt"
	"github.com/glimpse/glimpse/model/internal/oneline"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// Protobuf helpers for files the builder cannot express (it writes what a
// model holds, not how many times).

func pbMsg(b []byte, num protowire.Number, body []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

func pbStr(b []byte, num protowire.Number, s string) []byte { return pbMsg(b, num, []byte(s)) }

func pbVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// pbModel wraps a GraphProto as a model importing opset 13 and opsets
// other domains.
func pbModel(graph []byte, opsets int) []byte {
	b := pbVarint(nil, modelIRVersion, 8)
	b = pbMsg(b, modelGraph, graph)
	b = pbMsg(b, modelOpsetImport, pbVarint(pbStr(nil, opsetDomain, ""), opsetVersion, 13))
	for i := range opsets {
		b = pbMsg(b, modelOpsetImport, pbVarint(pbStr(nil, opsetDomain, fmt.Sprintf("domain%d", i)), opsetVersion, 1))
	}
	return b
}

// pbGraph is a GraphProto with the given nodes (NodeProto bodies) and an
// output y.
func pbGraph(nodes ...[]byte) []byte {
	var g []byte
	for _, n := range nodes {
		g = pbMsg(g, graphNode, n)
	}
	return pbMsg(g, graphOutput, pbStr(nil, valueName, "y"))
}

// pbNode is a NodeProto: op, output y, and attributes (AttributeProto bodies).
func pbNode(op string, attrs ...[]byte) []byte {
	n := pbStr(pbStr(nil, nodeOutput, "y"), nodeOpType, op)
	for _, a := range attrs {
		n = pbMsg(n, nodeAttribute, a)
	}
	return n
}

// withInit is a model y = Add(x, w) with w the given initializer.
func withInit(w onnxtest.Tensor) []byte {
	w.Name = "w"
	return onnxtest.Model{
		Inputs:       []onnxtest.Value{{Name: "x", Dims: []any{2}}},
		Outputs:      []onnxtest.Value{{Name: "y", Dims: []any{2}}},
		Nodes:        []onnxtest.Node{{Op: "Add", Inputs: []string{"x", "w"}, Outputs: []string{"y"}}},
		Initializers: []onnxtest.Tensor{w},
	}.Bytes()
}

// withConstant is a model y = Constant(value=v).
func withConstant(v onnxtest.Tensor) []byte {
	return onnxtest.Model{
		Outputs: []onnxtest.Value{{Name: "y"}},
		Nodes:   []onnxtest.Node{{Op: "Constant", Name: "c", Outputs: []string{"y"}, Attrs: []onnxtest.Attr{{Name: "value", Tensor: &v}}}},
	}.Bytes()
}

// withInput is a model y = Identity(x) with x declared with dims.
func withInput(dims ...any) []byte {
	return onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: dims}},
		Outputs: []onnxtest.Value{{Name: "y"}},
		Nodes:   []onnxtest.Node{{Op: "Identity", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}.Bytes()
}

type hostileCase struct {
	name string
	data func() []byte
	want string // in the error message
}

func hostileCases() []hostileCase {
	const mb = 1 << 20
	f32s := func(n int) []float32 { return make([]float32, n) }
	cases := []hostileCase{
		// Tensors: shapes that are negative, overflow or are huge, and data
		// that does not match them.
		{"initializer dims [0,-5]", func() []byte { return withInit(onnxtest.Tensor{Dims: []int64{0, -5}}) }, "negative"},
		{"initializer dims [0,-5] typed", func() []byte { return withInit(onnxtest.Tensor{Dims: []int64{0, -5}, Enc: onnxtest.Packed}) }, "negative"},
		{"Constant dims [0,-5]", func() []byte { return withConstant(onnxtest.Tensor{Dims: []int64{0, -5}}) }, "negative"},
		{"dims [2^32,2^32,3]", func() []byte { return withInit(onnxtest.Tensor{Dims: []int64{1 << 32, 1 << 32, 3}}) }, "2^31"},
		{"dims [2^62,4]", func() []byte { return withInit(onnxtest.Tensor{Dims: []int64{1 << 62, 4}, Enc: onnxtest.Packed}) }, "2^31"},
		{"dims [0,2^62,2^62]", func() []byte { return withInit(onnxtest.Tensor{Dims: []int64{0, 1 << 62, 1 << 62}}) }, "2^31"},
		{"2.4 GB declared, 1 KB raw", func() []byte {
			return withInit(onnxtest.Tensor{Dims: []int64{600_000_000}, RawData: make([]byte, 1024)})
		}, "raw data is 1024 bytes"},
		{"2.4 GB declared, 4 MB float_data", func() []byte {
			return withInit(onnxtest.Tensor{Dims: []int64{600_000_000}, Enc: onnxtest.Packed, Floats: f32s(mb)})
		}, "holds 1048576 float32 values"},
		{"2.4 GB Constant declared, no data", func() []byte {
			return withConstant(onnxtest.Tensor{Dims: []int64{600_000_000}, Enc: onnxtest.Packed})
		}, "holds 0 float32 values"},
		{"1G int8 declared, 4 MB int32_data", func() []byte {
			return withInit(onnxtest.Tensor{Elem: onnxtest.Int8, Dims: []int64{1 << 30}, Enc: onnxtest.Packed, Ints: make([]int64, 4*mb)})
		}, "holds 4194304 int8 values"},
		{"data longer than dims", func() []byte {
			return withInit(onnxtest.Tensor{Dims: []int64{2}, Enc: onnxtest.Packed, Floats: f32s(mb)})
		}, "holds 1048576 float32 values, its shape [2] needs 2"},
		{"raw data longer than dims", func() []byte {
			return withInit(onnxtest.Tensor{Dims: []int64{2}, RawData: make([]byte, 4*mb)})
		}, "raw data is 4194304 bytes"},
		{"100 dims", func() []byte { return withInit(onnxtest.Tensor{Dims: make([]int64, 100)}) }, "more than 64 dimensions"},
		{"2M dims", func() []byte { return withInit(onnxtest.Tensor{Dims: make([]int64, 2*mb)}) }, "more than 524288 items"},

		// Graph inputs and outputs: negative and overflowing dims.
		{"input dims [0,-5]", func() []byte { return withInput(0, -5) }, `input "x": dimension 1 is negative`},
		{"input dims [N,-1]", func() []byte { return withInput("N", -1) }, "negative"},
		{"input dims [2^62,4]", func() []byte { return withInput(int64(1<<62), 4) }, "2^31"},
		{"input dims [2^32,2^32,3]", func() []byte { return withInput(int64(1<<32), int64(1<<32), 3) }, "2^31"},
		{"input with 100 dims", func() []byte { return withInput(make([]any, 100)...) }, "more than 64 dimensions"},
		{"output dims [-3]", func() []byte {
			return onnxtest.Model{Outputs: []onnxtest.Value{{Name: "y", Dims: []any{-3}}},
				Nodes: []onnxtest.Node{{Op: "Identity", Inputs: []string{"x"}, Outputs: []string{"y"}}}}.Bytes()
		}, `output "y": dimension 0 is negative`},

		// Nesting: fails at level 33 whatever the depth, in bounded time,
		// memory and stack.
		{"nested 100 000 deep", func() []byte { return onnxtest.Nested(100_000) }, "deeper than 32"},
		{"nested 300 000 deep", func() []byte { return onnxtest.Nested(300_000) }, "deeper than 32"},
		{"nested 100 000 deep without types", func() []byte { return onnxtest.Nest{Depth: 100_000, AttrType: -1}.Bytes() }, "deeper than 32"},
		{"nested 100 000 deep declared INT", func() []byte { return onnxtest.Nest{Depth: 100_000, AttrType: 2}.Bytes() }, "INT but holds a tensor or a graph"},
		{"nested 33 deep with 200 KB names", func() []byte {
			return onnxtest.Nest{Depth: 40, NodeName: strings.Repeat("n", 200<<10)}.Bytes()
		}, "deeper than 32"},

		// Amplification: counts that would cost far more decoded than in the file.
		{"5000 graph attributes", func() []byte {
			a := pbStr(nil, attrName, "branches")
			sub := pbGraph(pbNode("Neg"))
			for range 5000 {
				a = pbMsg(a, attrGraphs, sub)
			}
			return pbModel(pbGraph(pbNode("Custom", pbVarint(a, attrType, attrTypeGraphs))), 0)
		}, "more than 4096 graph attributes"},
		{"1M empty graph attributes", func() []byte {
			a := pbStr(nil, attrName, "branches")
			for range mb {
				a = pbMsg(a, attrGraphs, nil)
			}
			return pbModel(pbGraph(pbNode("Custom", pbVarint(a, attrType, attrTypeGraphs))), 0)
		}, "more than 4096 graph attributes"},
		{"70 000 nodes", func() []byte {
			nodes := make([][]byte, 70_000)
			for i := range nodes {
				nodes[i] = pbNode("Neg")
			}
			return pbModel(pbGraph(nodes...), 0)
		}, "more than 65536 nodes"},
		{"a node with 600 000 inputs", func() []byte {
			n := pbNode("Sum")
			for range 600_000 {
				n = pbStr(n, nodeInput, "x")
			}
			return pbModel(pbGraph(n), 0)
		}, "more than 524288 items"},
		{"a node with 300 000 inputs and 300 000 outputs", func() []byte {
			n := pbNode("Split")
			for range 300_000 {
				n = pbStr(pbStr(n, nodeInput, "x"), nodeOutput, "")
			}
			return pbModel(pbGraph(n), 0)
		}, "more than 524288 items"},
		{"an attribute repeated 200 000 times", func() []byte {
			a := pbVarint(pbMsg(pbStr(nil, attrName, "pads"), attrInts, make([]byte, 32)), attrType, attrTypeInts)
			attrs := make([][]byte, 200_000)
			for i := range attrs {
				attrs[i] = a
			}
			return pbModel(pbGraph(pbNode("Pad", attrs...)), 0)
		}, "more than 524288 items"},
		{"8M ints in one attribute", func() []byte {
			a := pbVarint(pbMsg(pbStr(nil, attrName, "pads"), attrInts, make([]byte, 8*mb)), attrType, attrTypeInts)
			return pbModel(pbGraph(pbNode("Pad", a)), 0)
		}, "more than 524288 items"},
		{"4M strings in one attribute", func() []byte {
			a := pbStr(nil, attrName, "s")
			for range 4 * mb {
				a = pbMsg(a, attrStrings, nil)
			}
			return pbModel(pbGraph(pbNode("Custom", pbVarint(a, attrType, attrTypeStrings))), 0)
		}, "more than 524288 items"},
		{"1M empty initializers", func() []byte {
			g := pbGraph(pbNode("Neg"))
			init := pbMsg(nil, graphInitializer, pbVarint(pbMsg(nil, tensorDims, []byte{0}), tensorDataType, elemFloat))
			for range mb {
				g = append(g, init...)
			}
			return pbModel(g, 0)
		}, "more than 524288 items"},
		{"1M graph inputs", func() []byte {
			g := pbGraph(pbNode("Neg"))
			in := pbMsg(nil, graphInput, pbStr(nil, valueName, "x"))
			for range mb {
				g = append(g, in...)
			}
			return pbModel(g, 0)
		}, "more than 524288 items"},
		{"100 opset imports", func() []byte { return pbModel(pbGraph(pbNode("Neg")), 100) }, "more than 64 opset imports"},
	}
	// Truncated files: every cut of a model with a graph attribute, an
	// initializer and a Constant.
	whole := onnxtest.Model{
		Inputs:       []onnxtest.Value{{Name: "x", Dims: []any{"N", 2}}, {Name: "c", Elem: onnxtest.Bool}},
		Outputs:      []onnxtest.Value{{Name: "y", Dims: []any{"N", 2}}},
		Initializers: []onnxtest.Tensor{{Name: "w", Dims: []int64{2}, Floats: []float32{1, 2}}},
		Nodes: []onnxtest.Node{
			{Op: "Constant", Outputs: []string{"k"}, Attrs: []onnxtest.Attr{{Name: "value", Tensor: &onnxtest.Tensor{Dims: []int64{1}, Floats: []float32{3}}}}},
			{Op: "If", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: []onnxtest.Attr{
				{Name: "then_branch", Graph: &onnxtest.Graph{Nodes: []onnxtest.Node{{Op: "Add", Inputs: []string{"x", "w"}, Outputs: []string{"t"}}}, Outputs: []onnxtest.Value{{Name: "t"}}}},
				{Name: "else_branch", Graph: &onnxtest.Graph{Outputs: []onnxtest.Value{{Name: "x"}}}},
			}},
		},
	}.Bytes()
	if _, err := Decode(whole); err != nil {
		panic(err)
	}
	for cut := 1; cut < len(whole); cut += 7 {
		cases = append(cases, hostileCase{fmt.Sprintf("truncated to %d of %d bytes", cut, len(whole)), func() []byte { return whole[:cut] }, ""})
	}
	return cases
}

// Hostile files are refused with a one-line error, fast, and at a cost in
// memory of about their own size: every count and shape is checked before
// anything is allocated for it, nesting is checked level by level.
func TestDecodeHostile(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			data := c.data()
			built := time.Since(start)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start = time.Now()
			g, err := Decode(data)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("decoded %d nodes", len(g.Nodes))
			}
			checkMessage(t, err, c.want)
			if strings.Contains(err.Error(), "internal error") {
				t.Errorf("a panic: %v", err)
			}
			if len(err.Error()) > 4096 {
				t.Errorf("a %d-byte message", len(err.Error()))
			}
			if took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > uint64(len(data))+4<<20 {
				t.Errorf("allocated %d KB for a file of %d KB", alloc>>10, len(data)>>10)
			}
			if testing.Verbose() && len(data) > 1<<20 {
				t.Logf("%d KB built in %v, refused in %v with %d KB allocated: %.120s", len(data)>>10, built, took, alloc>>10, err)
			}
		})
	}
}

// A file at the limits decodes, in bounded memory (most of which is the
// decoded graph itself).
func TestDecodeAtLimits(t *testing.T) {
	cases := []struct {
		name string
		data func() []byte
	}{
		{"nested 32 deep", func() []byte { return nestedIf(maxGraphDepth).Bytes() }},
		{"4096 graph attributes", func() []byte {
			a := pbStr(nil, attrName, "branches")
			sub := pbGraph(pbNode("Neg"))
			for range maxGraphs {
				a = pbMsg(a, attrGraphs, sub)
			}
			return pbModel(pbGraph(pbNode("Custom", pbVarint(a, attrType, attrTypeGraphs))), maxOpsets-1)
		}},
		{"65536 nodes", func() []byte {
			nodes := make([][]byte, maxNodes)
			for i := range nodes {
				nodes[i] = pbNode("Neg")
			}
			return pbModel(pbGraph(nodes...), 0)
		}},
		{"a node with 500 000 inputs", func() []byte {
			n := pbNode("Sum")
			for range 500_000 {
				n = pbStr(n, nodeInput, "x")
			}
			return pbModel(pbGraph(n), 0)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			g, err := Decode(data)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > 200<<20 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
			t.Logf("%d KB decoded in %v, %d MB allocated", len(data)>>10, took, alloc>>20)
			runtime.KeepAlive(g)
		})
	}
}

// Node outputs never reach onnx-go: a node with many inputs and outputs
// costs inputs + outputs, not their product, and nodes that share an
// output name (an omitted optional output) keep their own inputs.
func TestDecodeSharedAndManyOutputs(t *testing.T) {
	n := onnxtest.Node{Op: "Split", Name: "split", Inputs: []string{"x"}}
	for i := range 2000 {
		n.Inputs = append(n.Inputs, fmt.Sprint("in", i))
		n.Outputs = append(n.Outputs, fmt.Sprint("out", i))
	}
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}},
		Outputs: []onnxtest.Value{{Name: "y"}},
		Nodes: []onnxtest.Node{
			n,
			{Op: "Dropout", Inputs: []string{"x"}, Outputs: []string{""}},
			{Op: "Dropout", Inputs: []string{"out1", "r"}, Outputs: []string{""}},
			{Op: "Identity", Inputs: []string{"out0"}, Outputs: []string{"y"}},
		},
	}
	start := time.Now()
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	if got := g.Nodes[0]; len(got.Inputs) != 2001 || len(got.Outputs) != 2000 || got.Outputs[1999] != "out1999" {
		t.Errorf("split: %d inputs, %d outputs", len(got.Inputs), len(got.Outputs))
	}
	if got := g.Nodes[2].Inputs; len(got) != 2 || got[0] != "out1" || got[1] != "r" {
		t.Errorf("second Dropout's inputs %q", got)
	}
}

// A panic's message is one line, names where the decoder was, and prints
// neither Go structs nor pointers.
func TestPanicMessage(t *testing.T) {
	type secret struct {
		p *int
		s string
	}
	x := 1
	for _, c := range []struct {
		r    any
		want string
	}{
		{errors.New("index out of range [5] with length 3"), "index out of range [5] with length 3"},
		{"two\nlines", "two"},
		{fmt.Sprintf("at %p", &x), "at 0x…"},
		{secret{&x, "key"}, "a panic of type onnx.secret"},
		{strings.Repeat("x", 1000), strings.Repeat("x", 200) + "…"},
	} {
		if got := oneline.Panic(c.r); got != c.want {
			t.Errorf("oneline.Panic(%T) = %q, want %q", c.r, got, c.want)
		}
	}
	d := &decoder{where: &path{op: "If", name: strings.Repeat("n", 1000), attr: "then_branch", index: -1}}
	d.atNode = nil
	d.atInit = "w\n"
	if got, want := d.at(), ` in If "`+strings.Repeat("n", 64)+`"….then_branch: initializer "w\n"`; got != want {
		t.Errorf("at() = %q, want %q", got, want)
	}
}
