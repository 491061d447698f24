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
	"github.com/glimpse/glimpse/model/internal/oneline"
	"maps"
	"slices"
	"sort"
	"strings"

	onnxgo "github.com/owulveryck/onnx-go"
	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gorgonia.org/tensor"

	"github.com/glimpse/glimpse/model/graph"
)

// Decode parses an ONNX model. It never panics: empty, truncated, corrupt,
// hostile (see limits.go) and non-ONNX input all come back as one-line
// errors that say what is wrong and where.
func Decode(data []byte) (g *graph.Graph, err error) {
	d := &decoder{}
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("decode ONNX: internal error%s: %s", d.at(), oneline.Panic(r))
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
	d.scan, d.opset = s, opset
	g, err = d.graph(s.graph, 0, nil)
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
	count tally // nodes, items and graph attributes in the graphs decoded so far
	// Where the decoder is, for the message of a panic: the graph, and
	// the initializer, or the node and attribute, in it.
	where          *path
	atInit, atAttr string
	atNode         *graph.Node
}

// at says where the decoder was, for a panic's message.
func (d *decoder) at() string {
	s := d.where.prefix()
	switch {
	case d.atInit != "":
		s += "initializer " + oneline.Quote(d.atInit)
	case d.atNode != nil:
		s += label(d.atNode) + " attribute " + oneline.QuoteOp(d.atAttr)
	}
	if s == "" {
		return ""
	}
	return " in " + strings.TrimSuffix(s, ": ")
}

// path names a graph attribute for messages, from the main graph down:
// `If "cond".then_branch: Loop "step".body`. It is formatted only for an
// error, and shortens the names it prints (a hostile file may name nodes
// with megabytes).
type path struct {
	parent         *path
	op, name, attr string
	index          int // in a GRAPHS attribute; -1 for a GRAPH attribute
}

func (p *path) String() string {
	if p == nil {
		return ""
	}
	var levels []string // innermost first
	for q := p; q != nil; q = q.parent {
		s := fmt.Sprintf("%s %s.%s", oneline.QuoteOp(q.op), oneline.Quote(q.name), oneline.QuoteOp(q.attr))
		if q.index >= 0 {
			s += fmt.Sprintf("[%d]", q.index)
		}
		levels = append(levels, s)
	}
	slices.Reverse(levels)
	// A deep path keeps its two outer levels and the innermost one, so
	// that a message stays one short line.
	if n := len(levels); n > 4 {
		levels = append(levels[:2:2], fmt.Sprintf("… %d levels …", n-3), levels[n-1])
	}
	return strings.Join(levels, ": ")
}

// prefix is the path and ": ", or "" for the main graph.
func (p *path) prefix() string {
	if p == nil {
		return ""
	}
	return p.String() + ": "
}

// graph decodes one GraphProto: the main graph (depth 0, where nil) or the
// body of a graph attribute, named by where for messages.
func (d *decoder) graph(data []byte, depth int, where *path) (*graph.Graph, error) {
	if depth > maxGraphDepth {
		return nil, fmt.Errorf("%s: graph attributes nest deeper than %d levels", where, maxGraphDepth)
	}
	d.where, d.atInit, d.atNode = where, "", nil
	size := d.count.graph(data)
	if d.count.nodes > maxNodes {
		return nil, fmt.Errorf("%sthe model holds more than %d nodes, the most Glimpse decodes", prefix(where), maxNodes)
	}
	if d.count.graphs > maxGraphs {
		return nil, fmt.Errorf("%sthe model holds more than %d graph attributes, the most Glimpse decodes", prefix(where), maxGraphs)
	}
	if d.count.items > maxItems {
		return nil, fmt.Errorf("%sthe model holds more than %d items (node inputs and outputs, attributes and their values, graph values, dimensions), the most Glimpse decodes", prefix(where), maxItems)
	}
	sg, err := scanGraph(data, size)
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
		Initializers: make(map[string]*graph.Tensor, len(sg.inits)),
		ElemTypes:    map[string]int64{},
		Inputs:       withCap[graph.ValueInfo](len(sg.inputs)),
		Outputs:      withCap[graph.ValueInfo](len(sg.outputs)),
		Nodes:        withCap[*graph.Node](len(sg.nodes)),
	}
	for _, in := range sg.inits {
		d.atInit = in.name
		t, err := in.toTensor()
		if err != nil {
			return nil, fmt.Errorf("%sinitializer %s: %v", prefix(where), oneline.Quote(in.name), err)
		}
		g.Initializers[in.name] = t
		if in.dataType != elemFloat && in.dataType != elemInt64 && in.dataType != elemBool {
			g.ElemTypes[in.name] = in.dataType
		}
	}
	d.atInit = ""
	for _, v := range sg.inputs {
		if err := checkDims(v); err != nil {
			return nil, fmt.Errorf("%sinput %s: %v", prefix(where), oneline.Quote(v.name), err)
		}
		if _, isInit := g.Initializers[v.name]; isInit {
			continue // IR < 4 lists initializers among the inputs
		}
		g.Inputs = append(g.Inputs, valueInfo(v))
	}
	for _, v := range sg.outputs {
		if err := checkDims(v); err != nil {
			return nil, fmt.Errorf("%soutput %s: %v", prefix(where), oneline.Quote(v.name), err)
		}
		g.Outputs = append(g.Outputs, valueInfo(v))
	}
	if len(sg.nodes) == 0 {
		return g, nil // a branch that only passes values through
	}

	// onnx-go decodes the node graph: ops, ordered inputs and the plain
	// attributes. Outputs, tensors and graph attributes come from the scan.
	b := newBackend(len(sg.nodes))
	m := onnxgo.NewModel(b)
	if err := safeUnmarshal(m, wrapGraph(stripForOnnxGo(sg.nodes, sg.outputs))); err != nil {
		return nil, fmt.Errorf("decode ONNX: %sonnx-go: %v", prefix(where), err)
	}
	if len(b.applied) != len(sg.nodes) {
		return nil, fmt.Errorf("decode ONNX: %s%d nodes decoded of %d in the file", prefix(where), len(b.applied), len(sg.nodes))
	}
	for k, sn := range sg.nodes {
		ap := b.applied[k]
		if ap.op.Name != sn.op {
			return nil, fmt.Errorf("decode ONNX: %snode %d is %s in the file but %s in the decoder", prefix(where), k, oneline.QuoteOp(sn.op), oneline.QuoteOp(ap.op.Name))
		}
		n := &graph.Node{Name: sn.name, Op: sn.op, Outputs: sn.outputs, Attrs: map[string]any{}}
		if sn.domain != "" && sn.domain != "ai.onnx" {
			n.Op = sn.domain + "." + sn.op
		}
		if len(sn.inputs) > 0 { // onnx-go invents an input for input-less nodes such as Constant
			if !slices.EqualFunc(ap.inputs, sn.inputs, func(b *bnode, s string) bool { return b.name == s }) {
				return nil, fmt.Errorf("decode ONNX: %s%s: its %d inputs decoded as %d others", prefix(where), label(n), len(sn.inputs), len(ap.inputs))
			}
			n.Inputs = sn.inputs
		}
		for _, a := range sn.attrs {
			d.where, d.atNode, d.atAttr = where, n, a.name
			v, err := d.attr(a, ap.op.Attributes[a.name], depth, where, n)
			if err != nil && (a.typ == attrTypeGraph || a.typ == attrTypeGraphs) {
				return nil, err // it already names the path to the graph
			}
			if err != nil {
				return nil, fmt.Errorf("%s%s: attribute %s: %v", prefix(where), label(n), oneline.QuoteOp(a.name), err)
			}
			n.Attrs[a.name] = v
			if sn.op == "Constant" && a.name == "value" && a.t != nil && len(n.Outputs) == 1 &&
				a.t.dataType != elemFloat && a.t.dataType != elemInt64 && a.t.dataType != elemBool {
				g.ElemTypes[n.Outputs[0]] = a.t.dataType // as for initializers: int8 vs uint8 decides saturation
			}
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g, nil
}

// withCap is an empty slice with room for n elements; nil for none, as
// appending to nil would leave it.
func withCap[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, 0, n)
}

func prefix(where *path) string { return where.prefix() }

// attr resolves one attribute: plain ones as onnx-go decoded them (or as
// the scan read them when the file omits the type field), tensors and
// graphs from the scan.
func (d *decoder) attr(a scannedAttr, fromGo any, depth int, where *path, n *graph.Node) (any, error) {
	if a.ref != "" {
		return nil, fmt.Errorf("refers to function attribute %s; model-local functions are not supported", oneline.Quote(a.ref))
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
		}
		fs, is, ss, err := a.lists()
		switch a.typ {
		case attrTypeFloats:
			return fs, err
		case attrTypeInts:
			return is, err
		}
		return ss, err
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
		return d.graph(a.g, depth+1, &path{parent: where, op: n.Op, name: n.DisplayName(), attr: a.name, index: -1})
	case attrTypeGraphs:
		var gs []*graph.Graph
		for i, gb := range a.graphs {
			sub, err := d.graph(gb, depth+1, &path{parent: where, op: n.Op, name: n.DisplayName(), attr: a.name, index: i})
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

// label is graph.Node.Label with the names shortened.
func label(n *graph.Node) string {
	return fmt.Sprintf("node %s (%s)", oneline.Quote(n.DisplayName()), oneline.QuoteOp(n.Op))
}

// safeUnmarshal runs onnx-go, whose errors and panics become one-line
// errors: its ErrNotImplemented would print the attribute's Go struct.
func safeUnmarshal(m *onnxgo.Model, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt model: %s", oneline.Panic(r))
		}
	}()
	err = m.UnmarshalBinary(data)
	var ni *onnxgo.ErrNotImplemented
	if errors.As(err, &ni) {
		return fmt.Errorf("attribute %s: %s", oneline.Quote(ni.AttributeName), oneline.Clean(ni.Message, 200))
	}
	if err != nil {
		return errors.New(oneline.Clean(err.Error(), 200))
	}
	return nil
}

// checkDims refuses a graph input's or output's negative dimensions, and
// fixed dimensions that hold more than maxElems elements together;
// symbolic and unknown dimensions are fine.
func checkDims(v scannedValue) error {
	n := int64(1)
	for i, d := range v.dims {
		switch {
		case d.param != "" || d.value == 0:
		case d.value < 0:
			return fmt.Errorf("dimension %d is negative (%d)", i, d.value)
		case n > maxElems/d.value:
			return fmt.Errorf("its dimensions exceed 2^31 elements")
		default:
			n *= d.value
		}
	}
	return nil
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
	pending map[int64][]*bedge // edges out of each output node, in call order
	applied []applied
}

type applied struct {
	op     onnxgo.Operation
	inputs []*bnode
}

func newBackend(nodes int) *backend {
	return &backend{pending: make(map[int64][]*bedge, nodes), applied: make([]applied, 0, nodes), nodes: make([]*bnode, 0, 2*nodes)}
}

type bnode struct {
	id   int64
	name string
	t    tensor.Tensor
	b    *backend
}

func (n *bnode) ID() int64                       { return n.id }
func (n *bnode) SetName(s string)                { n.name = s }
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
	a := applied{op: op, inputs: make([]*bnode, len(edges))}
	for i, e := range edges {
		a.inputs[i] = e.to
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
