package onnx

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/glimpse/glimpse/model/internal/oneline"
	"google.golang.org/protobuf/encoding/protowire"
)

// ReplaceHead works on the protobuf wire, like the scan: it copies every
// field of the ModelProto it does not rebuild byte for byte, and in the
// graph it rebuilds it keeps each node, initializer and value as it was
// written, so that nothing the decoder does not read (doc strings,
// metadata, training info, unknown fields) is lost.

// Dense is one fully connected layer: y = W·x + b, W row-major [Out][In].
type Dense struct {
	In, Out int
	W, B    []float32
}

// Head is a classifier head to put on a backbone's feature tensor.
type Head struct {
	Feature    string  // the backbone tensor the head reads; its elements past the first (batch) dim number Layers[0].In, e.g. [1,C,1,1] or [1,C]
	Layers     []Dense // in order, with Relu between consecutive layers
	Activation string  // "softmax", "sigmoid" or "" (raw logits)
	Output     string  // the new graph output's name; "" means "probs"
	// Pool averages a feature map [N,C,H,W] over its positions first
	// (GlobalAveragePool), for a feature taken before global pooling.
	Pool bool
}

// More GraphProto and related field numbers (see scan.go for the rest).
const (
	graphValueInfo      = 13
	graphQuantAnnot     = 14 // TensorAnnotation: tensor_name = 1
	sparseValues        = 1  // SparseTensorProto.values, a TensorProto
	tensorAnnotTensorID = 1
)

// headPrefix starts the names of what ReplaceHead adds.
const headPrefix = "glimpse_head/"

// ReplaceHead returns a copy of the ONNX model whose graph computes Feature as before and then the head, with the head's result as its one output.
//
// The graph keeps, in their order, only the nodes Feature depends on
// (through node inputs and, for If/Loop/Scan, the outer-scope names their
// bodies read), the initializers and value infos they still use, and its
// inputs; then Flatten(Feature, axis=1), a Gemm (transB=1) per layer with
// Relu between them, and Softmax(axis=1) or Sigmoid. The one output is
// float32 [batch, classes], batch as the first input's first dimension.
// Errors are one line; it never panics.
func ReplaceHead(model []byte, h Head) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("replace head: internal error: %s", oneline.Panic(r))
		}
	}()
	out, err = replaceHead(model, h)
	if err != nil {
		return nil, fmt.Errorf("replace head: %w", err)
	}
	return out, nil
}

func replaceHead(model []byte, h Head) ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	if h.Output == "" {
		h.Output = "probs"
	}
	s, err := scanModel(model)
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
		return nil, errors.New("the model imports no ai.onnx opset")
	}
	if opset < 7 {
		return nil, fmt.Errorf("the model's ai.onnx opset is %d; the head's Gemm needs opset 7 or later", opset)
	}
	// Repeated occurrences of a message field merge: as one message whose
	// bytes are theirs concatenated. It goes where the first one was.
	var graphBytes, m []byte
	var rest []field // the other fields, and the graph's place (raw nil)
	seen := false
	if err := rawFields(model, func(f field) error {
		if f.num != modelGraph || f.typ != protowire.BytesType {
			rest = append(rest, f)
		} else if graphBytes = append(graphBytes, f.b...); !seen {
			rest, seen = append(rest, field{}), true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("not a valid ONNX file: %v", err)
	}
	g, err := rebuildGraph(graphBytes, h, s.irVersion)
	if err != nil {
		return nil, err
	}
	for _, f := range rest {
		if f.raw == nil {
			m = msgField(m, modelGraph, g)
		}
		m = append(m, f.raw...)
	}
	return m, nil
}

// check validates the head alone.
func (h *Head) check() error {
	switch h.Activation {
	case "softmax", "sigmoid", "":
	default:
		return fmt.Errorf("activation %s is not \"softmax\", \"sigmoid\" or \"\"", oneline.Quote(h.Activation))
	}
	if len(h.Layers) == 0 {
		return errors.New("the head has no layers")
	}
	for i, l := range h.Layers {
		if l.In <= 0 || l.Out <= 0 {
			return fmt.Errorf("layer %d: In (%d) and Out (%d) must be positive", i, l.In, l.Out)
		}
		if i > 0 && l.In != h.Layers[i-1].Out {
			return fmt.Errorf("layer %d: In is %d but layer %d's Out is %d", i, l.In, i-1, h.Layers[i-1].Out)
		}
		if int64(len(l.W)) != int64(l.In)*int64(l.Out) {
			return fmt.Errorf("layer %d: W has %d values, want In×Out = %d×%d", i, len(l.W), l.In, l.Out)
		}
		if len(l.B) != l.Out {
			return fmt.Errorf("layer %d: B has %d values, want Out = %d", i, len(l.B), l.Out)
		}
		for _, p := range []struct {
			name string
			vs   []float32
		}{{"W", l.W}, {"B", l.B}} {
			for k, v := range p.vs {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("layer %d: %s[%d] is %v; weights must be finite", i, p.name, k, v)
				}
			}
		}
	}
	return nil
}

// field is one field of a message: its number and wire type, its bytes
// with the tag (raw) and, for a length-delimited field, its payload (b).
type field struct {
	num    protowire.Number
	typ    protowire.Type
	raw, b []byte
}

// rawFields walks the top-level fields of one message, calling fn for each.
func rawFields(data []byte, fn func(field) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return errTruncated
		}
		m := protowire.ConsumeFieldValue(num, typ, data[n:])
		if m < 0 {
			return errTruncated
		}
		f := field{num: num, typ: typ, raw: data[:n+m]}
		if typ == protowire.BytesType {
			f.b, _ = protowire.ConsumeBytes(data[n:])
		}
		data = data[n+m:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// headNode is one node of the main graph, as far as pruning needs it.
type headNode struct {
	name            string
	inputs, outputs []string
	free            []string // outer-scope names its graph attributes read
	inner           []string // every name in its graph attributes
}

// nameOf reads a string field (a name) out of a message; "" when absent.
func nameOf(data []byte, num protowire.Number) (string, error) {
	var s string
	err := rawFields(data, func(f field) error {
		if f.num == num && f.typ == protowire.BytesType {
			s = string(f.b)
		}
		return nil
	})
	return s, err
}

// parseNode reads a NodeProto: its inputs and outputs, and the names its
// graph attributes (at depth+1) use.
func parseNode(data []byte, depth int) (headNode, error) {
	var n headNode
	err := rawFields(data, func(f field) error {
		if f.typ != protowire.BytesType {
			return nil
		}
		switch f.num {
		case nodeInput:
			n.inputs = append(n.inputs, string(f.b))
		case nodeOutput:
			n.outputs = append(n.outputs, string(f.b))
		case nodeName:
			n.name = string(f.b)
		case nodeAttribute:
			return rawFields(f.b, func(a field) error {
				if a.typ != protowire.BytesType || a.num != attrG && a.num != attrGraphs {
					return nil
				}
				free, names, err := subgraphNames(a.b, depth+1)
				n.free = append(n.free, free...)
				n.inner = append(n.inner, names...)
				return err
			})
		}
		return nil
	})
	return n, err
}

// subgraphNames reads a graph attribute's GraphProto: the names it reads
// from enclosing scopes (node inputs and graph outputs it does not define
// itself, its nested graphs' included), and every name it holds.
func subgraphNames(data []byte, depth int) (free, names []string, err error) {
	if depth > maxGraphDepth {
		return nil, nil, fmt.Errorf("graph attributes nest deeper than %d levels", maxGraphDepth)
	}
	defined := map[string]bool{}
	var refs []string
	err = rawFields(data, func(f field) error {
		if f.typ != protowire.BytesType {
			return nil
		}
		switch f.num {
		case graphNode:
			n, err := parseNode(f.b, depth)
			if err != nil {
				return err
			}
			refs = append(append(refs, n.inputs...), n.free...)
			for _, o := range n.outputs {
				defined[o] = true
			}
			names = append(append(append(names, n.inputs...), n.outputs...), n.inner...)
		case graphInput, graphInitializer, graphSparseInitializer, graphOutput:
			name, err := fieldName(f)
			if err != nil {
				return err
			}
			if f.num == graphOutput {
				refs = append(refs, name)
			} else {
				defined[name] = true
			}
			names = append(names, name)
		}
		return nil
	})
	for _, r := range refs {
		if r != "" && !defined[r] {
			free = append(free, r)
		}
	}
	return free, names, err
}

// fieldName is the name of a graph's input, output, value info,
// initializer, sparse initializer or quantization annotation.
func fieldName(f field) (string, error) {
	switch f.num {
	case graphInitializer:
		return nameOf(f.b, tensorName)
	case graphSparseInitializer:
		var name string
		err := rawFields(f.b, func(v field) error {
			if v.num == sparseValues && v.typ == protowire.BytesType {
				var err error
				name, err = nameOf(v.b, tensorName)
				return err
			}
			return nil
		})
		return name, err
	case graphQuantAnnot:
		return nameOf(f.b, tensorAnnotTensorID)
	}
	return nameOf(f.b, valueName)
}

// rebuildGraph prunes the main graph to what Feature needs and adds the head.
func rebuildGraph(data []byte, h Head, irVersion int64) ([]byte, error) {
	var (
		fields   []field
		fname    []string   // the value name of each field that has one
		nodes    []headNode // the graph's nodes, in order
		nodeAt   []int      // each field's index in nodes (node fields only)
		all      = map[string]bool{}
		inits    = map[string]bool{}
		inputs   = map[string]bool{}
		producer = map[string]int{}
	)
	err := rawFields(data, func(f field) error {
		fields, fname, nodeAt = append(fields, f), append(fname, ""), append(nodeAt, -1)
		if f.typ != protowire.BytesType {
			return nil
		}
		switch f.num {
		case graphNode:
			n, err := parseNode(f.b, 0)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(nodes), err)
			}
			nodeAt[len(nodeAt)-1] = len(nodes)
			for _, o := range n.outputs {
				if o != "" {
					producer[o] = len(nodes)
				}
			}
			all[n.name] = true
			for _, s := range [][]string{n.inputs, n.outputs, n.inner} {
				for _, name := range s {
					all[name] = true
				}
			}
			nodes = append(nodes, n)
		case graphInitializer, graphSparseInitializer, graphInput, graphOutput, graphValueInfo, graphQuantAnnot:
			name, err := fieldName(f)
			if err != nil {
				return err
			}
			fname[len(fname)-1] = name
			all[name] = true
			switch f.num {
			case graphInitializer, graphSparseInitializer:
				inits[name] = true
			case graphInput:
				inputs[name] = true
			}
		}
		return nil
	})
	if errors.Is(err, errTruncated) {
		return nil, fmt.Errorf("not a valid ONNX file: %v", err)
	}
	if err != nil {
		return nil, err
	}
	_, produced := producer[h.Feature]
	if !produced && !inputs[h.Feature] && !inits[h.Feature] {
		return nil, fmt.Errorf("feature %s is not produced by any node and is not a graph input or initializer", oneline.Quote(h.Feature))
	}

	// needed: the names the kept graph reads, Feature included; keep: the
	// nodes that make them.
	needed := map[string]bool{h.Feature: true}
	keep := make([]bool, len(nodes))
	for work := []string{h.Feature}; len(work) > 0; {
		k, ok := producer[work[len(work)-1]]
		work = work[:len(work)-1]
		if !ok || keep[k] {
			continue
		}
		keep[k] = true
		for _, s := range [][]string{nodes[k].inputs, nodes[k].free} {
			for _, in := range s {
				if in != "" && !needed[in] {
					needed[in] = true
					work = append(work, in)
				}
			}
		}
	}
	// live: what the kept graph reads, makes or takes as input; taken:
	// that and every name inside kept nodes' graph attributes, which the
	// new output may not reuse.
	live, taken := map[string]bool{}, map[string]bool{}
	for name := range needed {
		live[name] = true
	}
	for name := range inputs {
		if !inits[name] {
			live[name] = true
		}
	}
	for k, n := range nodes {
		if keep[k] {
			for _, o := range n.outputs {
				live[o] = true
			}
			for _, name := range n.inner {
				taken[name] = true
			}
		}
	}
	for name := range live {
		taken[name] = true
	}
	if taken[h.Output] {
		return nil, fmt.Errorf("output %s already names a tensor the graph keeps", oneline.Quote(h.Output))
	}

	var g, batch []byte
	haveBatch := false
	for k, f := range fields {
		if f.typ == protowire.BytesType {
			name := fname[k]
			switch f.num {
			case graphNode:
				if !keep[nodeAt[k]] {
					continue
				}
			case graphOutput:
				continue
			case graphInitializer, graphSparseInitializer:
				if !needed[name] {
					continue
				}
			case graphInput:
				if inits[name] && !needed[name] {
					continue
				}
				if !inits[name] && !haveBatch {
					batch, haveBatch = firstDim(f.b), true
				}
			case graphValueInfo, graphQuantAnnot:
				if !live[name] {
					continue
				}
			}
		}
		g = append(g, f.raw...)
	}
	all[h.Output] = true
	return appendHead(g, h, batch, irVersion < 4, all), nil
}

// firstDim is the first TensorShapeProto.Dimension of a ValueInfoProto, as
// written (dim_value or dim_param); nil when it has none.
func firstDim(value []byte) []byte {
	// ValueInfoProto.type → TypeProto.tensor_type → shape → dim
	path := []protowire.Number{valueType, typeTensor, tensorTypeShape, shapeDim}
	for _, num := range path {
		var next []byte
		found := false
		rawFields(value, func(f field) error {
			if !found && f.num == num && f.typ == protowire.BytesType {
				next, found = f.b, true
			}
			return nil
		})
		if !found {
			return nil
		}
		value = next
	}
	return value
}

// appendHead appends the head's nodes, initializers and output to a
// GraphProto. batch is the output's first dimension (nil: unknown);
// asInputs lists the new initializers among the graph inputs too, as IR
// versions before 4 require. taken holds every name in the model: new
// names are made unique against it.
func appendHead(g []byte, h Head, batch []byte, asInputs bool, taken map[string]bool) []byte {
	unique := func(base string) string {
		name := headPrefix + base
		for i := 1; taken[name]; i++ {
			name = headPrefix + base + "_" + strconv.Itoa(i)
		}
		taken[name] = true
		return name
	}
	node := func(op, out string, attrs []byte, ins ...string) {
		var n []byte
		for _, in := range ins {
			n = strField(n, nodeInput, in)
		}
		n = strField(n, nodeOutput, out)
		n = strField(n, nodeName, unique(op))
		n = strField(n, nodeOpType, op)
		if attrs != nil {
			n = msgField(n, nodeAttribute, attrs)
		}
		g = msgField(g, graphNode, n)
	}
	intAttr := func(name string, v int64) []byte {
		a := strField(nil, attrName, name)
		a = protowire.AppendTag(a, attrI, protowire.VarintType)
		a = protowire.AppendVarint(a, uint64(v))
		a = protowire.AppendTag(a, attrType, protowire.VarintType)
		return protowire.AppendVarint(a, attrTypeInt)
	}
	last := func(out string, final bool) string {
		if final {
			return h.Output
		}
		return unique(out)
	}

	in := h.Feature
	if h.Pool {
		in = unique("pooled")
		node("GlobalAveragePool", in, nil, h.Feature)
	}
	x := last("features", false)
	node("Flatten", x, intAttr("axis", 1), in)
	var inits, inputs []byte
	for i, l := range h.Layers {
		si := strconv.Itoa(i)
		w, b := unique("W"+si), unique("B"+si)
		inits = msgField(inits, graphInitializer, floatTensor(w, []int64{int64(l.Out), int64(l.In)}, l.W))
		inits = msgField(inits, graphInitializer, floatTensor(b, []int64{int64(l.Out)}, l.B))
		inputs = msgField(inputs, graphInput, floatValue(w, dimBytes(int64(l.Out)), dimBytes(int64(l.In))))
		inputs = msgField(inputs, graphInput, floatValue(b, dimBytes(int64(l.Out))))
		lastLayer := i == len(h.Layers)-1
		y := last("gemm"+si, lastLayer && h.Activation == "")
		node("Gemm", y, intAttr("transB", 1), x, w, b)
		x = y
		if !lastLayer {
			y = last("relu"+si, false)
			node("Relu", y, nil, x)
			x = y
		}
	}
	switch h.Activation {
	case "softmax":
		node("Softmax", h.Output, intAttr("axis", 1), x)
	case "sigmoid":
		node("Sigmoid", h.Output, nil, x)
	}
	g = append(g, inits...)
	if asInputs {
		g = append(g, inputs...)
	}
	if batch == nil {
		batch = []byte{} // an unknown dimension
	}
	return msgField(g, graphOutput, floatValue(h.Output, batch, dimBytes(int64(h.Layers[len(h.Layers)-1].Out))))
}

// floatTensor is a float32 TensorProto with its values in raw_data.
func floatTensor(name string, dims []int64, vs []float32) []byte {
	var packed []byte
	for _, d := range dims {
		packed = protowire.AppendVarint(packed, uint64(d))
	}
	t := msgField(nil, tensorDims, packed)
	t = protowire.AppendTag(t, tensorDataType, protowire.VarintType)
	t = protowire.AppendVarint(t, elemFloat)
	t = strField(t, tensorName, name)
	raw := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		raw = protowire.AppendFixed32(raw, math.Float32bits(v))
	}
	return msgField(t, tensorRawData, raw)
}

// floatValue is a ValueInfoProto of a float32 tensor with the given
// TensorShapeProto.Dimension messages.
func floatValue(name string, dims ...[]byte) []byte {
	var shape []byte
	for _, d := range dims {
		shape = msgField(shape, shapeDim, d)
	}
	tt := protowire.AppendTag(nil, tensorTypeElem, protowire.VarintType)
	tt = protowire.AppendVarint(tt, elemFloat)
	tt = msgField(tt, tensorTypeShape, shape)
	return msgField(strField(nil, valueName, name), valueType, msgField(nil, typeTensor, tt))
}

// dimBytes is a Dimension with dim_value v.
func dimBytes(v int64) []byte {
	d := protowire.AppendTag(nil, dimValue, protowire.VarintType)
	return protowire.AppendVarint(d, uint64(v))
}

func msgField(b []byte, num protowire.Number, body []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

func strField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}
