// Package onnx decodes ONNX model files into Glimpse's graph IR. It drives
// github.com/owulveryck/onnx-go with a backend of our own (never its gorgonnx
// executor) and recovers from a wire-level scan what onnx-go drops: the
// opset version, symbolic dimensions, node names, and the order and
// repetition of node inputs (onnx-go's weighted edges carry these; a plain
// gonum graph would merge the two edges of Mul(x,x)).
package onnx

import (
	"errors"
	"fmt"
	"sort"

	onnxgo "github.com/owulveryck/onnx-go"
	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gorgonia.org/tensor"

	"github.com/glimpse/glimpse/model/graph"
)

// ONNX TensorProto.DataType values the engine meets.
const (
	elemFloat   = 1
	elemUint8   = 2
	elemInt8    = 3
	elemInt32   = 6
	elemInt64   = 7
	elemBool    = 9
	elemFloat16 = 10
	elemDouble  = 11
)

// DType maps an ONNX element type to the engine's run-time type.
func DType(elem int64) graph.DType {
	switch elem {
	case elemFloat, elemDouble:
		return graph.Float32
	case elemInt64, elemInt32:
		return graph.Int64
	case elemBool:
		return graph.Bool
	}
	return graph.Undefined
}

func elemName(elem int64) string {
	names := map[int64]string{1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
		8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16"}
	if s, ok := names[elem]; ok {
		return s
	}
	return fmt.Sprintf("type %d", elem)
}

// Decode parses an ONNX model. It never panics: empty, truncated, corrupt
// and non-ONNX input all come back as errors.
func Decode(data []byte) (g *graph.Graph, err error) {
	if len(data) == 0 {
		return nil, errors.New("empty ONNX file")
	}
	s, err := scanModel(data)
	if err != nil {
		return nil, fmt.Errorf("not a valid ONNX file: %v", err)
	}
	if !s.hasGraph || len(s.nodes) == 0 {
		return nil, errors.New("not a valid ONNX file: it holds no graph")
	}
	if len(s.outputs) == 0 {
		return nil, errors.New("not a valid ONNX file: the graph declares no outputs")
	}
	for _, in := range s.inits {
		if in.external {
			return nil, fmt.Errorf("initializer %q keeps its data in an external file, which is not supported: save the model with its weights inside the .onnx file", in.name)
		}
		if in.dataType == elemFloat16 {
			return nil, fmt.Errorf("initializer %q is float16, which is not supported: export the model in float32", in.name)
		}
	}
	opset, ok := s.opsets[""]
	if !ok {
		opset, ok = s.opsets["ai.onnx"]
	}
	if !ok {
		return nil, errors.New("not a valid ONNX file: it imports no ai.onnx opset")
	}

	// onnx-go cannot decode empty initializers: hand it the model without
	// them and add them back below.
	empty := map[string]scannedInit{}
	for _, in := range s.inits {
		if in.empty() {
			empty[in.name] = in
		}
	}
	dropAttr := map[int]map[string]bool{}
	for k, n := range s.nodes {
		for _, a := range n.emptyAttrs {
			if dropAttr[k] == nil {
				dropAttr[k] = map[string]bool{}
			}
			dropAttr[k][a.name] = true
		}
	}
	if len(empty) > 0 || len(dropAttr) > 0 {
		drop := map[string]bool{}
		for name := range empty {
			drop[name] = true
		}
		if data, err = withoutEmpty(data, drop, dropAttr); err != nil {
			return nil, fmt.Errorf("not a valid ONNX file: %v", err)
		}
	}

	b := newBackend()
	m := onnxgo.NewModel(b)
	if err := safeUnmarshal(m, data); err != nil {
		return nil, fmt.Errorf("decode ONNX: %v", err)
	}
	if len(b.applied) != len(s.nodes) {
		return nil, fmt.Errorf("decode ONNX: %d nodes decoded of %d in the file", len(b.applied), len(s.nodes))
	}

	g = &graph.Graph{
		Name:         s.graphName,
		Producer:     s.producer,
		IRVersion:    s.irVersion,
		Opset:        opset,
		Initializers: map[string]*tensor.Dense{},
	}
	for _, in := range s.inits {
		if in.empty() {
			dt := tensor.Float32
			if DType(in.dataType) == graph.Int64 {
				dt = tensor.Int64
			}
			g.Initializers[in.name] = tensor.New(tensor.Of(dt), tensor.WithShape(dimsOf(in.dims)...))
			continue
		}
		bn := b.byName[in.name]
		if bn == nil || bn.t == nil {
			return nil, fmt.Errorf("decode ONNX: initializer %q has no data", in.name)
		}
		d, ok := bn.t.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("decode ONNX: initializer %q is not a dense tensor", in.name)
		}
		g.Initializers[in.name] = d
	}
	for _, v := range s.inputs {
		if _, isInit := g.Initializers[v.name]; isInit {
			continue // IR < 4 lists initializers among the inputs
		}
		g.Inputs = append(g.Inputs, valueInfo(v))
	}
	for _, v := range s.outputs {
		g.Outputs = append(g.Outputs, valueInfo(v))
	}
	for k, sn := range s.nodes {
		ap := b.applied[k]
		if ap.op.Name != sn.op {
			return nil, fmt.Errorf("decode ONNX: node %d is %s in the file but %s in the decoder", k, sn.op, ap.op.Name)
		}
		n := &graph.Node{Name: sn.name, Op: sn.op, Outputs: sn.outputs, Attrs: map[string]any{}}
		if sn.domain != "" && sn.domain != "ai.onnx" {
			n.Op = sn.domain + "." + sn.op
		}
		if len(sn.inputs) > 0 { // onnx-go invents an input for input-less nodes such as Constant
			for _, in := range ap.inputs {
				n.Inputs = append(n.Inputs, in.name)
			}
			if !equal(n.Inputs, sn.inputs) {
				return nil, fmt.Errorf("decode ONNX: %s: inputs %q decoded as %q", n.Label(), sn.inputs, n.Inputs)
			}
		}
		for _, a := range sn.emptyAttrs {
			n.Attrs[a.name] = graph.New(DType(a.dataType), dimsOf(a.dims))
		}
		for name, v := range ap.op.Attributes {
			a, err := attr(v)
			if err != nil {
				return nil, fmt.Errorf("%s: attribute %s: %v", n.Label(), name, err)
			}
			n.Attrs[name] = a
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g, nil
}

func safeUnmarshal(m *onnxgo.Model, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt model: %v", r)
		}
	}()
	return m.UnmarshalBinary(data)
}

func valueInfo(v scannedValue) graph.ValueInfo {
	vi := graph.ValueInfo{Name: v.name, DType: DType(v.elemType)}
	for _, d := range v.dims {
		vi.Dims = append(vi.Dims, graph.Dim{Value: d.value, Param: d.param})
	}
	return vi
}

// ElemTypeName names an ONNX element type, for messages.
func ElemTypeName(elem int64) string { return elemName(elem) }

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func attr(v any) (any, error) {
	switch x := v.(type) {
	case int64, float32, string, []int64, []float32, []string:
		return x, nil
	case tensor.Tensor:
		d, ok := x.(*tensor.Dense)
		if !ok {
			return nil, errors.New("tensor attribute is not dense")
		}
		return graph.FromDense(d)
	case struct{}:
		return nil, errors.New("undefined attribute type")
	}
	return nil, fmt.Errorf("attribute type %T is not supported", v)
}

// backend receives onnx-go's graph: nodes carry names and tensors, and every
// weighted edge is kept in call order so repeated inputs survive.
type backend struct {
	nodes   []*bnode
	byName  map[string]*bnode
	pending map[int64][]*bedge // edges out of each output node, in call order
	applied []applied
}

type applied struct {
	op     onnxgo.Operation
	inputs []*bnode
}

func newBackend() *backend {
	return &backend{byName: map[string]*bnode{}, pending: map[int64][]*bedge{}}
}

type bnode struct {
	id   int64
	name string
	t    tensor.Tensor
	b    *backend
}

func (n *bnode) ID() int64                       { return n.id }
func (n *bnode) SetName(s string)                { n.name = s; n.b.byName[s] = n }
func (n *bnode) GetName() string                 { return n.name }
func (n *bnode) SetTensor(t tensor.Tensor) error { n.t = t; return nil }
func (n *bnode) GetTensor() tensor.Tensor        { return n.t }

type bedge struct {
	from, to *bnode
	w        float64
}

func (e *bedge) From() gonum.Node         { return e.from }
func (e *bedge) To() gonum.Node           { return e.to }
func (e *bedge) ReversedEdge() gonum.Edge { return &bedge{from: e.to, to: e.from, w: e.w} }
func (e *bedge) Weight() float64          { return e.w }

func (b *backend) NewNode() gonum.Node {
	n := &bnode{id: int64(len(b.nodes)), b: b}
	b.nodes = append(b.nodes, n)
	return n
}

func (b *backend) AddNode(gonum.Node) {}

func (b *backend) NewWeightedEdge(from, to gonum.Node, w float64) gonum.WeightedEdge {
	return &bedge{from: from.(*bnode), to: to.(*bnode), w: w}
}

func (b *backend) SetWeightedEdge(e gonum.WeightedEdge) {
	be := e.(*bedge)
	b.pending[be.from.id] = append(b.pending[be.from.id], be)
}

func (b *backend) ApplyOperation(op onnxgo.Operation, outs ...gonum.Node) error {
	if len(outs) == 0 {
		return fmt.Errorf("operation %s has no outputs", op.Name)
	}
	edges := b.pending[outs[0].ID()]
	sort.SliceStable(edges, func(i, j int) bool { return edges[i].w < edges[j].w })
	a := applied{op: op}
	for _, e := range edges {
		a.inputs = append(a.inputs, e.to)
	}
	b.applied = append(b.applied, a)
	return nil
}

// The read side of gonum's graph interfaces; onnx-go does not query it, but
// the Backend interface requires it.

func (b *backend) Node(id int64) gonum.Node {
	if id < 0 || id >= int64(len(b.nodes)) {
		return nil
	}
	return b.nodes[id]
}

func (b *backend) Nodes() gonum.Nodes {
	ns := make([]gonum.Node, len(b.nodes))
	for i, n := range b.nodes {
		ns[i] = n
	}
	return iterator.NewOrderedNodes(ns)
}

func (b *backend) From(id int64) gonum.Nodes {
	var ns []gonum.Node
	for _, e := range b.pending[id] {
		ns = append(ns, e.to)
	}
	return iterator.NewOrderedNodes(ns)
}

func (b *backend) To(id int64) gonum.Nodes {
	var ns []gonum.Node
	for _, es := range b.pending {
		for _, e := range es {
			if e.to.id == id {
				ns = append(ns, e.from)
			}
		}
	}
	return iterator.NewOrderedNodes(ns)
}

func (b *backend) HasEdgeBetween(x, y int64) bool {
	return b.HasEdgeFromTo(x, y) || b.HasEdgeFromTo(y, x)
}

func (b *backend) HasEdgeFromTo(u, v int64) bool { return b.Edge(u, v) != nil }

func (b *backend) Edge(u, v int64) gonum.Edge {
	for _, e := range b.pending[u] {
		if e.to.id == v {
			return e
		}
	}
	return nil
}

func dimsOf(d []int64) []int {
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out
}
