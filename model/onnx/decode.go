// Package onnx decodes ONNX model files into Glimpse's graph IR. It drives
// github.com/owulveryck/onnx-go with a backend of our own (never its gorgonnx
// executor) for the node graph: ops, the order and repetition of node
// inputs (onnx-go's weighted edges carry these; a plain gonum graph would
// merge the two edges of Mul(x,x)) and plain attributes. A wire-level scan
// reads what onnx-go drops or cannot decode: the opset version, symbolic
// dimensions, node names, every tensor in every element type and encoding,
// and graph attributes (If/Loop/Scan bodies), which are decoded recursively.
package onnx

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"

	onnxgo "github.com/owulveryck/onnx-go"
	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gorgonia.org/tensor"

	"github.com/glimpse/glimpse/model/graph"
)

// maxGraphDepth bounds the nesting of graph attributes (If inside Loop
// inside If...): real exports nest two or three levels.
const maxGraphDepth = 32

// Decode parses an ONNX model. It never panics: empty, truncated, corrupt
// and non-ONNX input all come back as errors that say what is wrong and
// where.
func Decode(data []byte) (g *graph.Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("decode ONNX: internal error: %v", r)
		}
	}()
	if len(data) == 0 {
		return nil, errors.New("empty ONNX file")
	}
	s, err := scanModel(data)
	if err != nil {
		return nil, fmt.Errorf("not a valid ONNX file: %v", err)
	}
	if !s.hasGraph {
		return nil, errors.New("not a valid ONNX file: it holds no graph")
	}
	opset, ok := s.opsets[""]
	if !ok {
		opset, ok = s.opsets["ai.onnx"]
	}
	if !ok {
		return nil, errors.New("not a valid ONNX file: it imports no ai.onnx opset")
	}
	d := &decoder{scan: s, opset: opset}
	g, err = d.graph(s.graph, 0, "")
	if err != nil {
		return nil, err
	}
	if len(g.Nodes) == 0 {
		return nil, errors.New("not a valid ONNX file: it holds no graph")
	}
	return g, nil
}

type decoder struct {
	scan  *scan
	opset int64
}

// graph decodes one GraphProto: the main graph (depth 0) or the body of a
// graph attribute, named by where for messages.
func (d *decoder) graph(data []byte, depth int, where string) (*graph.Graph, error) {
	if depth > maxGraphDepth {
		return nil, fmt.Errorf("%s: graph attributes nest deeper than %d levels", where, maxGraphDepth)
	}
	sg, err := scanGraph(data)
	if err != nil {
		return nil, fmt.Errorf("not a valid ONNX file: %s%v", prefix(where), err)
	}
	if depth == 0 && len(sg.outputs) == 0 {
		return nil, errors.New("not a valid ONNX file: the graph declares no outputs")
	}
	if sg.sparse > 0 {
		return nil, fmt.Errorf("%sthe graph has %d sparse initializers, which are not supported", prefix(where), sg.sparse)
	}
	g := &graph.Graph{
		Name:         sg.name,
		Producer:     d.scan.producer,
		IRVersion:    d.scan.irVersion,
		Opset:        d.opset,
		Opsets:       maps.Clone(d.scan.opsets),
		Initializers: map[string]*graph.Tensor{},
		ElemTypes:    map[string]int64{},
	}
	for _, in := range sg.inits {
		t, err := in.toTensor()
		if err != nil {
			return nil, fmt.Errorf("%sinitializer %q: %v", prefix(where), in.name, err)
		}
		g.Initializers[in.name] = t
		if in.dataType != elemFloat && in.dataType != elemInt64 && in.dataType != elemBool {
			g.ElemTypes[in.name] = in.dataType
		}
	}
	for _, v := range sg.inputs {
		if _, isInit := g.Initializers[v.name]; isInit {
			continue // IR < 4 lists initializers among the inputs
		}
		g.Inputs = append(g.Inputs, valueInfo(v))
	}
	for _, v := range sg.outputs {
		g.Outputs = append(g.Outputs, valueInfo(v))
	}
	if len(sg.nodes) == 0 {
		return g, nil // a branch that only passes values through
	}

	// onnx-go decodes the node graph: ops, ordered inputs, outputs and the
	// plain attributes. Tensors and graph attributes come from the scan.
	stripped, err := stripForOnnxGo(data, sg.nodes, sg.inputs, sg.outputs)
	if err != nil {
		return nil, fmt.Errorf("not a valid ONNX file: %s%v", prefix(where), err)
	}
	b := newBackend()
	m := onnxgo.NewModel(b)
	if err := safeUnmarshal(m, wrapGraph(stripped, d.scan.irVersion, d.scan.rawOpsets)); err != nil {
		return nil, fmt.Errorf("decode ONNX: %sonnx-go: %v", prefix(where), err)
	}
	if len(b.applied) != len(sg.nodes) {
		return nil, fmt.Errorf("decode ONNX: %s%d nodes decoded of %d in the file", prefix(where), len(b.applied), len(sg.nodes))
	}
	for k, sn := range sg.nodes {
		ap := b.applied[k]
		if ap.op.Name != sn.op {
			return nil, fmt.Errorf("decode ONNX: %snode %d is %s in the file but %s in the decoder", prefix(where), k, sn.op, ap.op.Name)
		}
		n := &graph.Node{Name: sn.name, Op: sn.op, Outputs: sn.outputs, Attrs: map[string]any{}}
		if sn.domain != "" && sn.domain != "ai.onnx" {
			n.Op = sn.domain + "." + sn.op
		}
		if len(sn.inputs) > 0 { // onnx-go invents an input for input-less nodes such as Constant
			for _, in := range ap.inputs {
				n.Inputs = append(n.Inputs, in.name)
			}
			if !slices.Equal(n.Inputs, sn.inputs) {
				return nil, fmt.Errorf("decode ONNX: %s%s: inputs %q decoded as %q", prefix(where), n.Label(), sn.inputs, n.Inputs)
			}
		}
		for _, a := range sn.attrs {
			v, err := d.attr(a, ap.op.Attributes[a.name], depth, where, n)
			if err != nil && (a.typ == attrTypeGraph || a.typ == attrTypeGraphs) {
				return nil, err // it already names the path to the graph
			}
			if err != nil {
				return nil, fmt.Errorf("%s%s: attribute %s: %v", prefix(where), n.Label(), a.name, err)
			}
			n.Attrs[a.name] = v
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g, nil
}

func prefix(where string) string {
	if where == "" {
		return ""
	}
	return where + ": "
}

// attr resolves one attribute: plain ones as onnx-go decoded them (or as
// the scan read them when the file omits the type field), tensors and
// graphs from the scan.
func (d *decoder) attr(a scannedAttr, fromGo any, depth int, where string, n *graph.Node) (any, error) {
	if a.ref != "" {
		return nil, fmt.Errorf("refers to function attribute %q; model-local functions are not supported", a.ref)
	}
	switch a.typ {
	case attrTypeFloat, attrTypeInt, attrTypeString, attrTypeFloats, attrTypeInts, attrTypeStrings:
		switch fromGo.(type) {
		case int64, float32, string, []int64, []float32, []string:
			return fromGo, nil
		}
		switch a.typ { // the type field is missing: onnx-go sees UNDEFINED
		case attrTypeFloat:
			return a.f, nil
		case attrTypeInt:
			return a.i, nil
		case attrTypeString:
			return a.s, nil
		case attrTypeFloats:
			return append([]float32{}, a.floats...), nil
		case attrTypeInts:
			return append([]int64{}, a.ints...), nil
		}
		return append([]string{}, a.strings...), nil
	case attrTypeTensor:
		if a.t == nil {
			return nil, errors.New("tensor attribute without a tensor")
		}
		return a.t.toTensor()
	case attrTypeTensors:
		var ts []*graph.Tensor
		for _, st := range a.tensors {
			t, err := st.toTensor()
			if err != nil {
				return nil, err
			}
			ts = append(ts, t)
		}
		return ts, nil
	case attrTypeGraph:
		return d.graph(a.g, depth+1, subgraphName(where, n, a.name))
	case attrTypeGraphs:
		var gs []*graph.Graph
		for i, gb := range a.graphs {
			sub, err := d.graph(gb, depth+1, fmt.Sprintf("%s[%d]", subgraphName(where, n, a.name), i))
			if err != nil {
				return nil, err
			}
			gs = append(gs, sub)
		}
		return gs, nil
	case attrTypeSparse, attrTypeSparses:
		return nil, errors.New("sparse tensor attributes are not supported")
	case attrTypeProto, attrTypeProtos:
		return nil, errors.New("type-proto attributes are not supported")
	}
	return nil, fmt.Errorf("attribute type %d is unknown or missing", a.typ)
}

func subgraphName(where string, n *graph.Node, attr string) string {
	return fmt.Sprintf("%s%s %q.%s", prefix(where), n.Op, n.DisplayName(), attr)
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
	vi := graph.ValueInfo{Name: v.name, DType: DType(v.elemType), Elem: v.elemType}
	for _, d := range v.dims {
		vi.Dims = append(vi.Dims, graph.Dim{Value: d.value, Param: d.param})
	}
	return vi
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
