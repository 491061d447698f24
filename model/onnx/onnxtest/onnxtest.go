// Package onnxtest writes small ONNX models for tests: a graph with a few
// nodes, symbolic dimensions or repeated inputs, tensors of every element
// type in every encoding, tensor- and graph-valued attributes (If branches,
// Loop bodies), built field by field with protowire so that tests need no
// model files and no Python. It writes what it is told, malformed tensors
// included (see Tensor's RawData, Strings, External).
package onnxtest

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// ONNX element types (TensorProto.DataType).
const (
	Float    = 1
	Uint8    = 2
	Int8     = 3
	Uint16   = 4
	Int16    = 5
	Int32    = 6
	Int64    = 7
	String   = 8
	Bool     = 9
	Float16  = 10
	Double   = 11
	Uint32   = 12
	Uint64   = 13
	BFloat16 = 16
)

// Value is a graph input or output. Dims holds ints (fixed) or strings (symbolic).
type Value struct {
	Name    string
	Elem    int64 // ONNX element type: 1 float32, 7 int64, 9 bool (0: float32)
	Dims    []any
	NoShape bool // a tensor type without a shape (rank unknown)
	NoType  bool // the name alone, as some exporters write subgraph values
}

// Attr is one node attribute; set exactly one of the value fields.
type Attr struct {
	Name    string
	Int     *int64
	Float   *float32
	Ints    []int64
	Floats  []float32
	Str     *string
	Strs    []string
	Tensor  *Tensor  // a TENSOR attribute (Constant's value)
	Tensors []Tensor // a TENSORS attribute
	Graph   *Graph   // a GRAPH attribute (If's branches, Loop's body)
	Graphs  []Graph  // a GRAPHS attribute

	Unpacked bool  // write Ints and Floats one tag per value, as proto2 does, not packed
	NoType   bool  // leave out the type field, as old exporters did
	Type     int64 // write this type instead of the one that fits the value (0: the one that fits)
}

// Node is one operator.
type Node struct {
	Op, Name, Domain string
	Inputs, Outputs  []string
	Attrs            []Attr
}

// Init is a float32 initializer stored as raw_data.
type Init struct {
	Name   string
	Dims   []int64
	Floats []float32
}

// Encoding says where a Tensor's values are written.
type Encoding int

const (
	// Raw writes the values little-endian in raw_data, and dims packed.
	Raw Encoding = iota
	// Packed writes the values in the typed field (float_data, int32_data,
	// int64_data, double_data or uint64_data) as one packed run, and dims
	// packed.
	Packed
	// Unpacked writes the values in the typed field one tag per value, and
	// dims one tag per dimension (proto2's default).
	Unpacked
)

// Tensor is a TensorProto of any element type. The values go in the field
// that suits Elem: Floats for float32, Doubles for float64, Halves (the
// 16-bit patterns) for float16 and bfloat16, Ints for every integer type and
// bool. In int32_data, signed types are sign-extended (a negative value is a
// 10-byte varint, as protobuf writes int32) and unsigned ones are not;
// uint32 and uint64 go in uint64_data.
type Tensor struct {
	Name string
	Elem int64   // ONNX element type (0: float32)
	Dims []int64 // nil: a scalar
	Enc  Encoding

	Floats  []float32
	Doubles []float64
	Halves  []uint16
	Ints    []int64

	// For malformed and unsupported tensors:
	RawData  []byte   // when not nil, written as raw_data as is, instead of the values
	Strings  []string // string_data entries
	External bool     // data_location EXTERNAL, with a "location" entry in external_data
	Segment  bool     // a segment field (begin 0, end 1)
	NoElem   bool     // leave out data_type (UNDEFINED)
}

// Graph is a GraphProto: the main graph, an If branch or a Loop body.
// Nodes may refer to values of enclosing graphs.
type Graph struct {
	Name         string
	Inputs       []Value
	Outputs      []Value
	Nodes        []Node
	Inits        []Init   // float32 initializers
	Initializers []Tensor // initializers of any type and encoding
}

// Model is a whole model.
type Model struct {
	IRVersion    int64 // default 8
	Opset        int64 // default 13
	Inputs       []Value
	Outputs      []Value
	Nodes        []Node
	Inits        []Init   // float32 initializers
	Initializers []Tensor // initializers of any type and encoding, written after Inits
}

func msg(b []byte, num protowire.Number, body []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

func str(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func varint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func value(v Value) []byte {
	var b []byte
	b = str(b, 1, v.Name)
	if v.NoType {
		return b
	}
	elem := v.Elem
	if elem == 0 {
		elem = 1
	}
	var tt []byte
	tt = varint(tt, 1, uint64(elem))
	if !v.NoShape {
		var shape []byte
		for _, d := range v.Dims {
			var dim []byte
			switch x := d.(type) {
			case int:
				dim = varint(dim, 1, uint64(x))
			case int64:
				dim = varint(dim, 1, uint64(x))
			case string:
				dim = str(dim, 2, x)
			}
			shape = msg(shape, 1, dim)
		}
		tt = msg(tt, 2, shape)
	}
	return msg(b, 2, msg(nil, 1, tt))
}

func attr(a Attr) []byte {
	var b []byte
	b = str(b, 1, a.Name)
	var typ uint64
	switch {
	case a.Float != nil:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(*a.Float))
		typ = 1
	case a.Int != nil:
		b = varint(b, 3, uint64(*a.Int))
		typ = 2
	case a.Str != nil:
		b = str(b, 4, *a.Str)
		typ = 3
	case a.Tensor != nil:
		b = msg(b, 5, a.Tensor.Bytes())
		typ = 4
	case a.Graph != nil:
		b = msg(b, 6, a.Graph.Bytes())
		typ = 5
	case a.Floats != nil:
		if a.Unpacked {
			for _, f := range a.Floats {
				b = protowire.AppendTag(b, 7, protowire.Fixed32Type)
				b = protowire.AppendFixed32(b, math.Float32bits(f))
			}
		} else {
			var p []byte
			for _, f := range a.Floats {
				p = protowire.AppendFixed32(p, math.Float32bits(f))
			}
			b = msg(b, 7, p)
		}
		typ = 6
	case a.Ints != nil:
		if a.Unpacked {
			for _, v := range a.Ints {
				b = varint(b, 8, uint64(v))
			}
		} else {
			var p []byte
			for _, v := range a.Ints {
				p = protowire.AppendVarint(p, uint64(v))
			}
			b = msg(b, 8, p)
		}
		typ = 7
	case a.Strs != nil:
		for _, s := range a.Strs {
			b = str(b, 9, s)
		}
		typ = 8
	case a.Tensors != nil:
		for _, t := range a.Tensors {
			b = msg(b, 10, t.Bytes())
		}
		typ = 9
	case a.Graphs != nil:
		for _, g := range a.Graphs {
			b = msg(b, 11, g.Bytes())
		}
		typ = 10
	}
	if a.Type != 0 {
		typ = uint64(a.Type)
	}
	if !a.NoType && typ != 0 {
		b = varint(b, 20, typ)
	}
	return b
}

func (in Init) bytes() []byte {
	var t []byte
	var dims []byte
	for _, d := range in.Dims {
		dims = protowire.AppendVarint(dims, uint64(d))
	}
	t = msg(t, 1, dims)
	t = varint(t, 2, 1)
	t = str(t, 8, in.Name)
	raw := make([]byte, 0, 4*len(in.Floats))
	for _, f := range in.Floats {
		raw = protowire.AppendFixed32(raw, math.Float32bits(f))
	}
	return msg(t, 9, raw)
}

// ElemSize is the byte width of an element type in raw_data (0: not fixed-width).
func ElemSize(elem int64) int {
	switch elem {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16, BFloat16:
		return 2
	case Float, Int32, Uint32:
		return 4
	case Int64, Double, Uint64:
		return 8
	}
	return 0
}

// words returns the values as bit patterns: what raw_data holds (truncated
// to the element width) and what the typed field holds.
func (t Tensor) words(elem int64) []uint64 {
	var w []uint64
	switch {
	case t.Floats != nil:
		for _, f := range t.Floats {
			w = append(w, uint64(math.Float32bits(f)))
		}
	case t.Doubles != nil:
		for _, f := range t.Doubles {
			w = append(w, math.Float64bits(f))
		}
	case t.Halves != nil:
		for _, h := range t.Halves {
			w = append(w, uint64(h))
		}
	default:
		for _, v := range t.Ints {
			switch elem {
			case Uint8:
				w = append(w, uint64(uint8(v)))
			case Uint16:
				w = append(w, uint64(uint16(v)))
			case Uint32:
				w = append(w, uint64(uint32(v)))
			case Bool:
				if v != 0 {
					v = 1
				}
				w = append(w, uint64(v))
			default: // signed types are sign-extended, as protobuf writes int32
				w = append(w, uint64(v))
			}
		}
	}
	return w
}

// typedField is the TensorProto field that holds elem's values when
// raw_data is not used, and its wire type.
func typedField(elem int64) (protowire.Number, protowire.Type) {
	switch elem {
	case Float:
		return 4, protowire.Fixed32Type
	case Double:
		return 10, protowire.Fixed64Type
	case Int64:
		return 7, protowire.VarintType
	case Uint32, Uint64:
		return 11, protowire.VarintType
	}
	return 5, protowire.VarintType // int32_data: every type narrower than 32 bits, and int32
}

// Bytes serializes the TensorProto.
func (t Tensor) Bytes() []byte {
	elem := t.Elem
	if elem == 0 {
		elem = Float
	}
	var b []byte
	if t.Enc == Unpacked {
		for _, d := range t.Dims {
			b = varint(b, 1, uint64(d))
		}
	} else if len(t.Dims) > 0 {
		var dims []byte
		for _, d := range t.Dims {
			dims = protowire.AppendVarint(dims, uint64(d))
		}
		b = msg(b, 1, dims)
	}
	if !t.NoElem {
		b = varint(b, 2, uint64(elem))
	}
	if t.Segment {
		b = msg(b, 3, varint(varint(nil, 1, 0), 2, 1))
	}
	if t.Name != "" {
		b = str(b, 8, t.Name)
	}
	for _, s := range t.Strings {
		b = str(b, 6, s)
	}
	words := t.words(elem)
	switch {
	case t.RawData != nil:
		b = msg(b, 9, t.RawData)
	case t.Enc == Raw:
		size := ElemSize(elem)
		raw := make([]byte, 0, size*len(words))
		for _, w := range words {
			for i := 0; i < size; i++ {
				raw = append(raw, byte(w>>(8*i)))
			}
		}
		if len(raw) > 0 || t.Strings == nil {
			b = msg(b, 9, raw)
		}
	default:
		num, wt := typedField(elem)
		var p []byte
		for _, w := range words {
			if t.Enc == Unpacked {
				p = protowire.AppendTag(p, num, wt)
			}
			switch wt {
			case protowire.Fixed32Type:
				p = protowire.AppendFixed32(p, uint32(w))
			case protowire.Fixed64Type:
				p = protowire.AppendFixed64(p, w)
			default:
				p = protowire.AppendVarint(p, w)
			}
		}
		if t.Enc == Unpacked {
			b = append(b, p...)
		} else if len(p) > 0 {
			b = msg(b, num, p)
		}
	}
	if t.External {
		entry := str(str(nil, 1, "location"), 2, t.Name+".bin")
		b = msg(b, 13, entry)
		b = varint(b, 14, 1)
	}
	return b
}

// Bytes serializes the GraphProto.
func (g Graph) Bytes() []byte {
	var b []byte
	for _, n := range g.Nodes {
		var nb []byte
		for _, in := range n.Inputs {
			nb = str(nb, 1, in)
		}
		for _, out := range n.Outputs {
			nb = str(nb, 2, out)
		}
		if n.Name != "" {
			nb = str(nb, 3, n.Name)
		}
		nb = str(nb, 4, n.Op)
		for _, a := range n.Attrs {
			nb = msg(nb, 5, attr(a))
		}
		if n.Domain != "" {
			nb = str(nb, 7, n.Domain)
		}
		b = msg(b, 1, nb)
	}
	b = str(b, 2, g.Name)
	for _, in := range g.Inits {
		b = msg(b, 5, in.bytes())
	}
	for _, t := range g.Initializers {
		b = msg(b, 5, t.Bytes())
	}
	for _, v := range g.Inputs {
		b = msg(b, 11, value(v))
	}
	for _, v := range g.Outputs {
		b = msg(b, 12, value(v))
	}
	return b
}

// Graph is the model's main graph.
func (m Model) Graph() Graph {
	return Graph{Name: "test", Inputs: m.Inputs, Outputs: m.Outputs, Nodes: m.Nodes, Inits: m.Inits, Initializers: m.Initializers}
}

// Bytes serializes the model.
func (m Model) Bytes() []byte {
	ir, opset := m.IRVersion, m.Opset
	if ir == 0 {
		ir = 8
	}
	if opset == 0 {
		opset = 13
	}
	var b []byte
	b = varint(b, 1, uint64(ir))
	b = str(b, 2, "onnxtest")
	b = msg(b, 7, m.Graph().Bytes())
	b = msg(b, 8, varint(str(nil, 1, ""), 2, uint64(opset)))
	return b
}

// I64 and F32 make attribute pointers.
func I64(v int64) *int64     { return &v }
func F32(v float32) *float32 { return &v }
func Str(v string) *string   { return &v }

// Nest is a model whose main graph holds an If node (its input c, its
// output y) whose then_branch holds another, Depth graph attributes deep;
// the innermost graph passes x through. Real models nest two or three
// levels; hostile ones nest hundreds of thousands. Nesting Graph values
// would copy every level into its parent (quadratic in depth); Bytes
// computes each level's length from the inside out and writes the file in
// one pass, so 100 000 levels (4 MB) take milliseconds.
type Nest struct {
	Depth int
	// AttrType is written as each attribute's type field: 0 is GRAPH, -1
	// leaves the field out. A hostile file may declare a graph attribute
	// an INT (2), so that a decoder that trusts the type hands the nested
	// graphs to something else.
	AttrType int64
	// NodeName names every If node (none when empty): hostile files name
	// nodes with megabytes, which messages about nested graphs repeat.
	NodeName string
}

// Nested is Nest{Depth: depth}.Bytes().
func Nested(depth int) []byte { return Nest{Depth: depth}.Bytes() }

// Bytes serializes the model.
func (n Nest) Bytes() []byte {
	leaf := Graph{Name: "leaf", Outputs: []Value{{Name: "x", NoType: true}}}.Bytes()
	headA := protowire.AppendTag(str(nil, 1, "then_branch"), 6, protowire.BytesType)
	var tailA []byte
	switch {
	case n.AttrType == 0:
		tailA = varint(nil, 20, 5) // GRAPH
	case n.AttrType > 0:
		tailA = varint(nil, 20, uint64(n.AttrType))
	}
	headN := str(str(nil, 1, "c"), 2, "y")
	if n.NodeName != "" {
		headN = str(headN, 3, n.NodeName)
	}
	headN = protowire.AppendTag(str(headN, 4, "If"), 5, protowire.BytesType)
	headG := protowire.AppendTag(nil, 1, protowire.BytesType)
	tailG := msg(nil, 12, value(Value{Name: "y", NoType: true}))
	// lens[k] is the length of the GraphProto k levels above the leaf.
	lens := make([]int, n.Depth+1)
	lens[0] = len(leaf)
	lenA := func(child int) int { return len(headA) + protowire.SizeVarint(uint64(child)) + child + len(tailA) }
	lenN := func(child int) int { a := lenA(child); return len(headN) + protowire.SizeVarint(uint64(a)) + a }
	for k := 1; k <= n.Depth; k++ {
		nl := lenN(lens[k-1])
		lens[k] = len(headG) + protowire.SizeVarint(uint64(nl)) + nl + len(tailG)
	}
	g := make([]byte, 0, lens[n.Depth])
	for k := n.Depth; k >= 1; k-- {
		g = append(g, headG...)
		g = protowire.AppendVarint(g, uint64(lenN(lens[k-1])))
		g = append(g, headN...)
		g = protowire.AppendVarint(g, uint64(lenA(lens[k-1])))
		g = append(g, headA...)
		g = protowire.AppendVarint(g, uint64(lens[k-1]))
	}
	g = append(g, leaf...)
	for k := 1; k <= n.Depth; k++ {
		g = append(g, tailA...)
		g = append(g, tailG...)
	}
	var b []byte
	b = varint(b, 1, 8)
	b = str(b, 2, "onnxtest")
	b = msg(b, 7, g)
	return msg(b, 8, varint(str(nil, 1, ""), 2, 13))
}
