package onnx

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The wire-level scan reads every field of the model that onnx-go v0.5.0
// drops or cannot decode: the opset version, symbolic dimensions, node
// names, every tensor (initializers and tensor attributes, in every element
// type and both encodings: raw_data and the typed fields), graph-valued
// attributes (If/Loop/Scan bodies, kept as raw bytes and decoded
// recursively) and attributes whose type field is missing. Payloads are
// sliced out of the file, not copied.

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
// leaves it out.
type scannedAttr struct {
	name    string
	typ     int64
	f       float32
	i       int64
	s       string
	t       *scannedTensor
	g       []byte // a GraphProto, decoded later
	floats  []float32
	ints    []int64
	strings []string
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

// scannedTensor is a TensorProto: its header and its payload, still in
// wire form. Exactly one payload field is normally set.
type scannedTensor struct {
	name     string
	dataType int64
	dims     []int64
	external bool
	segment  bool
	raw      []byte
	hasRaw   bool
	floats   []uint32 // float_data, as bits
	varints  []uint64 // int32_data (also int8..uint16, bool, float16, bfloat16)
	int64s   []uint64 // int64_data
	doubles  []uint64 // double_data, as bits
	uint64s  []uint64 // uint64_data
	strings  int      // count of string_data entries
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
	rawOpsets [][]byte // the OperatorSetIdProto messages, to re-emit for subgraphs
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

// varints appends a repeated varint field, packed (b) or not (v).
func varints(dst []uint64, typ protowire.Type, v uint64, b []byte) ([]uint64, error) {
	if typ == protowire.VarintType {
		return append(dst, v), nil
	}
	if typ != protowire.BytesType {
		return dst, errTruncated
	}
	for len(b) > 0 {
		x, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, errTruncated
		}
		dst = append(dst, x)
		b = b[n:]
	}
	return dst, nil
}

// fixed32s appends a repeated fixed32 field, packed or not.
func fixed32s(dst []uint32, typ protowire.Type, v uint64, b []byte) ([]uint32, error) {
	if typ == protowire.Fixed32Type {
		return append(dst, uint32(v)), nil
	}
	if typ != protowire.BytesType || len(b)%4 != 0 {
		return dst, errTruncated
	}
	for ; len(b) > 0; b = b[4:] {
		x, _ := protowire.ConsumeFixed32(b)
		dst = append(dst, x)
	}
	return dst, nil
}

// fixed64s appends a repeated fixed64 field, packed or not.
func fixed64s(dst []uint64, typ protowire.Type, v uint64, b []byte) ([]uint64, error) {
	if typ == protowire.Fixed64Type {
		return append(dst, v), nil
	}
	if typ != protowire.BytesType || len(b)%8 != 0 {
		return dst, errTruncated
	}
	for ; len(b) > 0; b = b[8:] {
		x, _ := protowire.ConsumeFixed64(b)
		dst = append(dst, x)
	}
	return dst, nil
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
			s.rawOpsets = append(s.rawOpsets, b)
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

func scanGraph(data []byte) (*scannedGraph, error) {
	g := &scannedGraph{}
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
				return err
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
	a := scannedAttr{typ: -1}
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
			var bits []uint32
			bits, err = fixed32s(nil, typ, v, b)
			for _, x := range bits {
				a.floats = append(a.floats, float32frombits(x))
			}
			inferred = attrTypeFloats
		case attrInts:
			var xs []uint64
			xs, err = varints(nil, typ, v, b)
			for _, x := range xs {
				a.ints = append(a.ints, int64(x))
			}
			inferred = attrTypeInts
		case attrStrings:
			a.strings, inferred = append(a.strings, string(b)), attrTypeStrings
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
	if err != nil {
		return a, fmt.Errorf("attribute %q: %w", a.name, err)
	}
	return a, nil
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
	t := &scannedTensor{}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		var err error
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
			var ds []uint64
			ds, err = varints(nil, typ, v, b)
			for _, d := range ds {
				t.dims = append(t.dims, int64(d))
			}
		case tensorRawData:
			t.raw, t.hasRaw = b, true
		case tensorFloatData:
			t.floats, err = fixed32s(t.floats, typ, v, b)
		case tensorInt32Data:
			t.varints, err = varints(t.varints, typ, v, b)
		case tensorInt64Data:
			t.int64s, err = varints(t.int64s, typ, v, b)
		case tensorDoubleData:
			t.doubles, err = fixed64s(t.doubles, typ, v, b)
		case tensorUint64Data:
			t.uint64s, err = varints(t.uint64s, typ, v, b)
		case tensorStringData:
			t.strings++
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.name, err)
	}
	return t, nil
}

// stripForOnnxGo rewrites a GraphProto into what onnx-go v0.5.0 can read:
// the nodes with only their int, float, string and list attributes, and the
// inputs and outputs by name alone. Initializers, tensor and graph
// attributes and element types are read by the scan instead; leaving them
// out also spares onnx-go from decoding the weights a second time.
func stripForOnnxGo(graphBytes []byte, nodes []scannedNode, inputs, outputs []scannedValue) ([]byte, error) {
	g := make([]byte, 0, 64*len(nodes))
	k := -1
	err := fields(graphBytes, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if num != graphNode || typ != protowire.BytesType {
			return nil
		}
		k++
		node := make([]byte, 0, len(b))
		err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
			if num == nodeAttribute && typ == protowire.BytesType {
				a, err := scanAttr(b)
				if err != nil {
					return err
				}
				switch a.typ {
				case attrTypeFloat, attrTypeInt, attrTypeString, attrTypeFloats, attrTypeInts, attrTypeStrings:
				default:
					return nil
				}
			}
			node = appendField(node, num, typ, v, b)
			return nil
		})
		g = protowire.AppendTag(g, graphNode, protowire.BytesType)
		g = protowire.AppendBytes(g, node)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, in := range inputs {
		g = appendNamedValue(g, graphInput, in.name)
	}
	for _, out := range outputs {
		g = appendNamedValue(g, graphOutput, out.name)
	}
	return g, nil
}

func appendNamedValue(g []byte, num protowire.Number, name string) []byte {
	var v []byte
	v = protowire.AppendTag(v, valueName, protowire.BytesType)
	v = protowire.AppendString(v, name)
	g = protowire.AppendTag(g, num, protowire.BytesType)
	return protowire.AppendBytes(g, v)
}

// wrapGraph makes a ModelProto around a GraphProto, with the given IR
// version and opset imports.
func wrapGraph(graphBytes []byte, irVersion int64, rawOpsets [][]byte) []byte {
	var m []byte
	m = protowire.AppendTag(m, modelIRVersion, protowire.VarintType)
	m = protowire.AppendVarint(m, uint64(irVersion))
	for _, o := range rawOpsets {
		m = protowire.AppendTag(m, modelOpsetImport, protowire.BytesType)
		m = protowire.AppendBytes(m, o)
	}
	m = protowire.AppendTag(m, modelGraph, protowire.BytesType)
	return protowire.AppendBytes(m, graphBytes)
}

// appendField re-encodes one field as fields() delivered it.
func appendField(out []byte, num protowire.Number, typ protowire.Type, v uint64, b []byte) []byte {
	out = protowire.AppendTag(out, num, typ)
	switch typ {
	case protowire.VarintType:
		return protowire.AppendVarint(out, v)
	case protowire.BytesType:
		return protowire.AppendBytes(out, b)
	case protowire.Fixed32Type:
		return protowire.AppendFixed32(out, uint32(v))
	case protowire.Fixed64Type:
		return protowire.AppendFixed64(out, v)
	}
	return out
}
