package onnx

import (
	"errors"
	"fmt"
	"github.com/glimpse/glimpse/model/internal/oneline"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// The wire-level scan reads every field of the model that onnx-go v0.5.0
// drops or cannot decode: the opset version, symbolic dimensions, node
// names, every tensor (initializers and tensor attributes, in every element
// type and both encodings: raw_data and the typed fields), graph-valued
// attributes (If/Loop/Scan bodies, kept as raw bytes and decoded
// recursively) and attributes whose type field is missing. Payloads are
// sliced out of the file, not copied; typed tensor payloads and list
// attributes are counted and checked, and decoded later, once (see
// scannedTensor). Before the scan allocates for a graph, tally counts what
// it holds against the limits (limits.go).

// ONNX protobuf field numbers (onnx.proto, IR version 3..10).
const (
	modelIRVersion   = 1
	modelProducer    = 2
	modelGraph       = 7
	modelOpsetImport = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode              = 1
	graphName              = 2
	graphInitializer       = 5
	graphInput             = 11
	graphOutput            = 12
	graphSparseInitializer = 15

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName    = 1
	attrF       = 2
	attrI       = 3
	attrS       = 4
	attrT       = 5
	attrG       = 6
	attrFloats  = 7
	attrInts    = 8
	attrStrings = 9
	attrTensors = 10
	attrGraphs  = 11
	attrType    = 20
	attrRef     = 21
	attrSparseT = 22

	valueName = 1
	valueType = 2

	typeTensor = 1

	tensorTypeElem  = 1
	tensorTypeShape = 2

	shapeDim = 1

	dimValue = 1
	dimParam = 2

	tensorDims         = 1
	tensorDataType     = 2
	tensorSegment      = 3
	tensorFloatData    = 4
	tensorInt32Data    = 5
	tensorStringData   = 6
	tensorInt64Data    = 7
	tensorName         = 8
	tensorRawData      = 9
	tensorDoubleData   = 10
	tensorUint64Data   = 11
	tensorDataLocation = 14
)

// AttributeProto.AttributeType values.
const (
	attrTypeUndefined = 0
	attrTypeFloat     = 1
	attrTypeInt       = 2
	attrTypeString    = 3
	attrTypeTensor    = 4
	attrTypeGraph     = 5
	attrTypeFloats    = 6
	attrTypeInts      = 7
	attrTypeStrings   = 8
	attrTypeTensors   = 9
	attrTypeGraphs    = 10
	attrTypeSparse    = 11
	attrTypeSparses   = 12
	attrTypeProto     = 13
	attrTypeProtos    = 14
)

type scannedNode struct {
	name, op, domain string
	inputs, outputs  []string
	attrs            []scannedAttr
}

// scannedAttr is one attribute, read field by field. typ is the declared
// type, or the one inferred from the field that is set when the file
// leaves it out. List values (floats, ints, strings) are only counted:
// onnx-go decodes them, and lists decodes them when it cannot.
type scannedAttr struct {
	name    string
	typ     int64
	raw     []byte // the AttributeProto, as in the file
	f       float32
	i       int64
	s       string
	t       *scannedTensor
	g       []byte // a GraphProto, decoded later
	tensors []*scannedTensor
	graphs  [][]byte
	ref     string // ref_attr_name: only inside functions
}

type scannedValue struct {
	name     string
	elemType int64
	dims     []scannedDim
	hasShape bool
}

type scannedDim struct {
	value int64
	param string
}

// scannedTensor is a TensorProto: its header, and its payload still in
// wire form: raw_data sliced out of the file, the typed fields counted
// (and checked on the wire) but decoded only once the count has been
// checked against the shape, straight into the tensor.
type scannedTensor struct {
	name     string
	dataType int64
	dims     []int64
	external bool
	segment  bool
	data     []byte // the TensorProto, to decode the typed fields from
	raw      []byte
	hasRaw   bool
	nFloats  int // float_data values
	nVarints int // int32_data values (also int8..uint16, bool, float16, bfloat16)
	nInt64s  int // int64_data values
	nDoubles int // double_data values
	nUint64s int // uint64_data values
	strings  int // string_data entries
}

// scannedGraph is one GraphProto.
type scannedGraph struct {
	name    string
	nodes   []scannedNode
	inputs  []scannedValue
	outputs []scannedValue
	inits   []*scannedTensor
	sparse  int // sparse initializers (not supported)
}

type scan struct {
	irVersion int64
	producer  string
	opsets    map[string]int64
	graph     []byte
	hasGraph  bool
}

var errTruncated = errors.New("truncated or corrupt protobuf")

// fields walks the top-level fields of one message, calling fn for each.
// Varints and fixed-width values arrive in v, length-delimited fields in b.
func fields(data []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return errTruncated
		}
		data = data[n:]
		var v uint64
		var b []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(data)
		case protowire.BytesType:
			b, n = protowire.ConsumeBytes(data)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(data)
			v = uint64(x)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(data)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return errTruncated
		}
		data = data[n:]
		if err := fn(num, typ, v, b); err != nil {
			return err
		}
	}
	return nil
}

// eachVarint walks one occurrence of a repeated varint field: a value (v)
// or a packed run (b). It returns how many values it holds, calling fn
// (when not nil) for each.
func eachVarint(typ protowire.Type, v uint64, b []byte, fn func(uint64)) (int, error) {
	if typ == protowire.VarintType {
		if fn != nil {
			fn(v)
		}
		return 1, nil
	}
	if typ != protowire.BytesType {
		return 0, errTruncated
	}
	n := 0
	for len(b) > 0 {
		x, k := protowire.ConsumeVarint(b)
		if k < 0 {
			return n, errTruncated
		}
		if fn != nil {
			fn(x)
		}
		n++
		b = b[k:]
	}
	return n, nil
}

// eachFixed32 walks one occurrence of a repeated fixed32 field, packed or not.
func eachFixed32(typ protowire.Type, v uint64, b []byte, fn func(uint32)) (int, error) {
	if typ == protowire.Fixed32Type {
		if fn != nil {
			fn(uint32(v))
		}
		return 1, nil
	}
	if typ != protowire.BytesType || len(b)%4 != 0 {
		return 0, errTruncated
	}
	if fn != nil {
		for i := 0; i < len(b); i += 4 {
			x, _ := protowire.ConsumeFixed32(b[i:])
			fn(x)
		}
	}
	return len(b) / 4, nil
}

// eachFixed64 walks one occurrence of a repeated fixed64 field, packed or not.
func eachFixed64(typ protowire.Type, v uint64, b []byte, fn func(uint64)) (int, error) {
	if typ == protowire.Fixed64Type {
		if fn != nil {
			fn(v)
		}
		return 1, nil
	}
	if typ != protowire.BytesType || len(b)%8 != 0 {
		return 0, errTruncated
	}
	if fn != nil {
		for i := 0; i < len(b); i += 8 {
			x, _ := protowire.ConsumeFixed64(b[i:])
			fn(x)
		}
	}
	return len(b) / 8, nil
}

func scanModel(data []byte) (*scan, error) {
	s := &scan{opsets: map[string]int64{}}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case num == modelIRVersion && typ == protowire.VarintType:
			s.irVersion = int64(v)
		case num == modelProducer && typ == protowire.BytesType:
			s.producer = string(b)
		case num == modelOpsetImport && typ == protowire.BytesType:
			var domain string
			var version int64
			if err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num == opsetDomain && typ == protowire.BytesType {
					domain = string(b)
				}
				if num == opsetVersion && typ == protowire.VarintType {
					version = int64(v)
				}
				return nil
			}); err != nil {
				return err
			}
			s.opsets[domain] = version
			if len(s.opsets) > maxOpsets {
				return fmt.Errorf("more than %d opset imports", maxOpsets)
			}
		case num == modelGraph && typ == protowire.BytesType:
			s.hasGraph = true
			s.graph = b
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// scanGraph reads a GraphProto of (about) the given size.
func scanGraph(data []byte, size graphSize) (*scannedGraph, error) {
	g := &scannedGraph{
		nodes:   withCap[scannedNode](size.nodes),
		inputs:  withCap[scannedValue](size.inputs),
		outputs: withCap[scannedValue](size.outputs),
		inits:   withCap[*scannedTensor](size.inits),
	}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphName:
			g.name = string(b)
		case graphNode:
			n, err := scanNode(b)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.nodes), err)
			}
			g.nodes = append(g.nodes, n)
		case graphInput, graphOutput:
			val, err := scanValue(b)
			if err != nil {
				return err
			}
			if num == graphInput {
				g.inputs = append(g.inputs, val)
			} else {
				g.outputs = append(g.outputs, val)
			}
		case graphInitializer:
			t, err := scanTensor(b)
			if err != nil {
				return err
			}
			g.inits = append(g.inits, t)
		case graphSparseInitializer:
			g.sparse++
		}
		return nil
	})
	return g, err
}

func scanNode(data []byte) (scannedNode, error) {
	var n scannedNode
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case nodeInput:

			n.inputs = append(n.inputs, string(b))
		case nodeOutput:

			n.outputs = append(n.outputs, string(b))
		case nodeName:
			n.name = string(b)
		case nodeOpType:
			n.op = string(b)
		case nodeDomain:
			n.domain = string(b)
		case nodeAttribute:
			a, err := scanAttr(b)
			if err != nil {
				return err
			}
			n.attrs = append(n.attrs, a)
		}
		return nil
	})
	return n, err
}

func scanAttr(data []byte) (scannedAttr, error) {
	a := scannedAttr{typ: -1, raw: data}
	inferred := int64(attrTypeUndefined)
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		var err error
		switch num {
		case attrName:
			a.name = string(b)
		case attrType:
			a.typ = int64(v)
		case attrF:
			a.f, inferred = float32frombits(uint32(v)), attrTypeFloat
		case attrI:
			a.i, inferred = int64(v), attrTypeInt
		case attrS:
			a.s, inferred = string(b), attrTypeString
		case attrT:
			a.t, err = scanTensor(b)
			inferred = attrTypeTensor
		case attrG:
			a.g, inferred = b, attrTypeGraph
		case attrFloats:
			_, err = eachFixed32(typ, v, b, nil)
			inferred = attrTypeFloats
		case attrInts:
			_, err = eachVarint(typ, v, b, nil)
			inferred = attrTypeInts
		case attrStrings:
			inferred = attrTypeStrings
		case attrTensors:
			var t *scannedTensor
			t, err = scanTensor(b)
			a.tensors, inferred = append(a.tensors, t), attrTypeTensors
		case attrGraphs:
			a.graphs, inferred = append(a.graphs, b), attrTypeGraphs
		case attrRef:
			a.ref = string(b)
		case attrSparseT:
			inferred = attrTypeSparse
		}
		return err
	})
	if a.typ < 0 {
		a.typ = inferred
	}
	if err == nil && a.plain() && (a.t != nil || a.g != nil || len(a.tensors) > 0 || len(a.graphs) > 0) {
		// Only a broken or hostile file does this: one that hides graphs
		// (nested 100 000 deep) from a decoder that trusts the type.
		err = fmt.Errorf("it is %s but holds a tensor or a graph", attrTypeNames[a.typ])
	}
	if err != nil {
		return a, fmt.Errorf("attribute %s: %w", oneline.Quote(a.name), err)
	}
	return a, nil
}

// tally counts what a GraphProto holds, without allocating, so that the
// limits are checked before the scan allocates for it: nodes, and items
// (see maxItems), and graph attributes. What a graph attribute holds is
// counted when it is decoded. It stops at the first wire error, which the
// scan then reports with its context.
type tally struct{ nodes, items, graphs int }

// graphSize is what one GraphProto holds, for the scan to allocate.
type graphSize struct{ nodes, inputs, outputs, inits int }

func (c *tally) graph(data []byte) graphSize {
	var s graphSize
	fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphNode, graphInput, graphOutput, graphInitializer:
			c.items++
		}
		switch num {
		case graphNode:
			c.nodes++
			s.nodes++
			return c.node(b)
		case graphInput:
			s.inputs++
			return c.value(b)
		case graphOutput:
			s.outputs++
			return c.value(b)
		case graphInitializer:
			s.inits++
			return c.tensor(b)
		}
		return nil
	})
	return s
}

func (c *tally) node(data []byte) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch num {
		case nodeInput, nodeOutput:
			c.items++
		case nodeAttribute:
			c.items++
			return c.attr(b)
		}
		return nil
	})
}

func (c *tally) attr(data []byte) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		var n int
		var err error
		switch num {
		case attrFloats:
			n, err = eachFixed32(typ, v, b, nil)
		case attrInts:
			n, err = eachVarint(typ, v, b, nil)
		case attrStrings:
			n = 1
		case attrG:
			c.graphs++
		case attrGraphs:
			n = 1
			c.graphs++
		case attrT:
			err = c.tensor(b)
		case attrTensors:
			n, err = 1, c.tensor(b)
		}
		c.items += n
		return err
	})
}

func (c *tally) value(data []byte) error {
	// ValueInfoProto.type → TypeProto.tensor_type → shape → dim
	path := []protowire.Number{valueType, typeTensor, tensorTypeShape, shapeDim}
	var walk func(data []byte, depth int) error
	walk = func(data []byte, depth int) error {
		return fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
			if num != path[depth] || typ != protowire.BytesType {
				return nil
			}
			if depth == len(path)-1 {
				c.items++
				return nil
			}
			return walk(b, depth+1)
		})
	}
	return walk(data, 0)
}

func (c *tally) tensor(data []byte) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if num != tensorDims {
			return nil
		}
		n, err := eachVarint(typ, v, b, nil)
		c.items += n
		return err
	})
}

var attrTypeNames = map[int64]string{attrTypeFloat: "FLOAT", attrTypeInt: "INT", attrTypeString: "STRING",
	attrTypeFloats: "FLOATS", attrTypeInts: "INTS", attrTypeStrings: "STRINGS"}

// plain reports whether the attribute is a number, a string or a list of
// them: what onnx-go decodes.
func (a *scannedAttr) plain() bool {
	switch a.typ {
	case attrTypeFloat, attrTypeInt, attrTypeString, attrTypeFloats, attrTypeInts, attrTypeStrings:
		return true
	}
	return false
}

// lists decodes the attribute's list fields, which the scan only counted.
func (a *scannedAttr) lists() (fs []float32, is []int64, ss []string, err error) {
	fs, is, ss = []float32{}, []int64{}, []string{}
	err = fields(a.raw, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		var err error
		switch num {
		case attrFloats:
			_, err = eachFixed32(typ, v, b, func(x uint32) { fs = append(fs, float32frombits(x)) })
		case attrInts:
			_, err = eachVarint(typ, v, b, func(x uint64) { is = append(is, int64(x)) })
		case attrStrings:
			ss = append(ss, string(b))
		}
		return err
	})
	return fs, is, ss, err
}

func scanValue(data []byte) (scannedValue, error) {
	var val scannedValue
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case valueName:
			val.name = string(b)
		case valueType:
			return fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num != typeTensor || typ != protowire.BytesType {
					return nil
				}
				return fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
					switch {
					case num == tensorTypeElem && typ == protowire.VarintType:
						val.elemType = int64(v)
					case num == tensorTypeShape && typ == protowire.BytesType:
						val.hasShape = true
						return fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
							if num != shapeDim || typ != protowire.BytesType {
								return nil
							}
							if len(val.dims) == maxRank {
								return fmt.Errorf("%s has more than %d dimensions", oneline.Quote(val.name), maxRank)
							}
							var d scannedDim
							err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
								if num == dimValue && typ == protowire.VarintType {
									d.value = int64(v)
								}
								if num == dimParam && typ == protowire.BytesType {
									d.param = string(b)
								}
								return nil
							})
							val.dims = append(val.dims, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	if err != nil {
		return val, fmt.Errorf("value info: %w", err)
	}
	return val, nil
}

func scanTensor(data []byte) (*scannedTensor, error) {
	t := &scannedTensor{data: data}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		var err error
		var n int
		switch num {
		case tensorName:
			t.name = string(b)
		case tensorDataType:
			t.dataType = int64(v)
		case tensorDataLocation:
			t.external = v == 1
		case tensorSegment:
			t.segment = true
		case tensorDims:
			if n, err = eachVarint(typ, v, b, nil); err != nil {
				return err
			}
			if len(t.dims)+n > maxRank {
				return fmt.Errorf("more than %d dimensions", maxRank)
			}
			_, err = eachVarint(typ, v, b, func(d uint64) { t.dims = append(t.dims, int64(d)) })
		case tensorRawData:
			t.raw, t.hasRaw = b, true
		case tensorFloatData:
			n, err = eachFixed32(typ, v, b, nil)
			t.nFloats += n
		case tensorInt32Data:
			n, err = eachVarint(typ, v, b, nil)
			t.nVarints += n
		case tensorInt64Data:
			n, err = eachVarint(typ, v, b, nil)
			t.nInt64s += n
		case tensorDoubleData:
			n, err = eachFixed64(typ, v, b, nil)
			t.nDoubles += n
		case tensorUint64Data:
			n, err = eachVarint(typ, v, b, nil)
			t.nUint64s += n
		case tensorStringData:
			t.strings++
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tensor %s: %w", oneline.Quote(t.name), err)
	}
	return t, nil
}

// each calls fn for every value of the typed payload field num, in order.
func (t *scannedTensor) each(num protowire.Number, fn func(uint64)) error {
	return fields(t.data, func(n protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if n != num {
			return nil
		}
		var err error
		switch num {
		case tensorFloatData:
			_, err = eachFixed32(typ, v, b, func(x uint32) { fn(uint64(x)) })
		case tensorDoubleData:
			_, err = eachFixed64(typ, v, b, fn)
		default:
			_, err = eachVarint(typ, v, b, fn)
		}
		return err
	})
}

// stripForOnnxGo writes the GraphProto that onnx-go v0.5.0 reads: each node
// with its inputs, its op type, only its int, float, string and list
// attributes (and only their plain fields), and one output of its own, and
// the graph's first output, which onnx-go requires. Initializers, tensor
// and graph attributes, element types, shapes and graph inputs are read by
// the scan instead; leaving them out also spares onnx-go from decoding the
// weights (and nested graphs) a second time. A node's output is a name no
// other node has: onnx-go links every input of a node to each of its
// outputs (inputs × outputs edges), and merges the edges of nodes that
// share an output name (an omitted optional output, ""); node outputs
// come from the scan.
func stripForOnnxGo(nodes []scannedNode, outputs []scannedValue) []byte {
	var g, node, attr []byte
	for k, n := range nodes {
		node = node[:0]
		for _, in := range n.inputs {
			node = protowire.AppendTag(node, nodeInput, protowire.BytesType)
			node = protowire.AppendString(node, in)
		}
		node = protowire.AppendTag(node, nodeOutput, protowire.BytesType)
		node = protowire.AppendString(node, "\x00"+strconv.Itoa(k))
		node = protowire.AppendTag(node, nodeOpType, protowire.BytesType)
		node = protowire.AppendString(node, n.op)
		for _, a := range n.attrs {
			if a.plain() {
				attr = plainAttr(attr[:0], a.raw)
				node = protowire.AppendTag(node, nodeAttribute, protowire.BytesType)
				node = protowire.AppendBytes(node, attr)
			}
		}
		g = protowire.AppendTag(g, graphNode, protowire.BytesType)
		g = protowire.AppendBytes(g, node)
	}
	if len(outputs) > 0 { // onnx-go wants one; a branch without outputs is an error
		g = appendNamedValue(g, graphOutput, outputs[0].name)
	}
	return g
}

// plainAttr appends an AttributeProto's name, type and plain values: a
// file may declare an attribute an INT and give it a tensor or a graph
// too (graphs nested 100 000 deep), which onnx-go would then decode.
func plainAttr(out, raw []byte) []byte {
	fields(raw, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch num {
		case attrName, attrType, attrF, attrI, attrS, attrFloats, attrInts, attrStrings:
			out = protowire.AppendTag(out, num, typ)
			switch typ {
			case protowire.VarintType:
				out = protowire.AppendVarint(out, v)
			case protowire.BytesType:
				out = protowire.AppendBytes(out, b)
			case protowire.Fixed32Type:
				out = protowire.AppendFixed32(out, uint32(v))
			case protowire.Fixed64Type:
				out = protowire.AppendFixed64(out, v)
			default: // a group, which the scan does not keep: drop the tag again
				out = out[:len(out)-protowire.SizeTag(num)]
			}
		}
		return nil
	})
	return out
}

func appendNamedValue(g []byte, num protowire.Number, name string) []byte {
	var v []byte
	v = protowire.AppendTag(v, valueName, protowire.BytesType)
	v = protowire.AppendString(v, name)
	g = protowire.AppendTag(g, num, protowire.BytesType)
	return protowire.AppendBytes(g, v)
}

// wrapGraph makes a ModelProto around a GraphProto (onnx-go reads neither
// the IR version nor the opset imports).
func wrapGraph(graphBytes []byte) []byte {
	m := protowire.AppendTag(nil, modelGraph, protowire.BytesType)
	return protowire.AppendBytes(m, graphBytes)
}
