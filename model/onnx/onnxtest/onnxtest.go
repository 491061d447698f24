// Package onnxtest writes small ONNX models for tests: a graph with a few
// nodes, symbolic dimensions or repeated inputs, built field by field with
// protowire so that tests need no model files and no Python.
package onnxtest

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Value is a graph input or output. Dims holds ints (fixed) or strings (symbolic).
type Value struct {
	Name string
	Elem int64 // ONNX element type: 1 float32, 7 int64, 9 bool
	Dims []any
}

// Attr is one node attribute; set exactly one of the value fields.
type Attr struct {
	Name   string
	Int    *int64
	Float  *float32
	Ints   []int64
	Floats []float32
	Str    *string
}

// Node is one operator.
type Node struct {
	Op, Name, Domain string
	Inputs, Outputs  []string
	Attrs            []Attr
}

// Init is a float32 initializer.
type Init struct {
	Name   string
	Dims   []int64
	Floats []float32
}

// Model is a whole model.
type Model struct {
	IRVersion int64 // default 8
	Opset     int64 // default 13
	Inputs    []Value
	Outputs   []Value
	Nodes     []Node
	Inits     []Init
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
	var shape []byte
	for _, d := range v.Dims {
		var dim []byte
		switch x := d.(type) {
		case int:
			dim = varint(dim, 1, uint64(x))
		case string:
			dim = str(dim, 2, x)
		}
		shape = msg(shape, 1, dim)
	}
	elem := v.Elem
	if elem == 0 {
		elem = 1
	}
	var tt []byte
	tt = varint(tt, 1, uint64(elem))
	tt = msg(tt, 2, shape)
	var b []byte
	b = str(b, 1, v.Name)
	return msg(b, 2, msg(nil, 1, tt))
}

func attr(a Attr) []byte {
	var b []byte
	b = str(b, 1, a.Name)
	switch {
	case a.Float != nil:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(*a.Float))
		b = varint(b, 20, 1)
	case a.Int != nil:
		b = varint(b, 3, uint64(*a.Int))
		b = varint(b, 20, 2)
	case a.Str != nil:
		b = str(b, 4, *a.Str)
		b = varint(b, 20, 3)
	case a.Floats != nil:
		var p []byte
		for _, f := range a.Floats {
			p = protowire.AppendFixed32(p, math.Float32bits(f))
		}
		b = msg(b, 7, p)
		b = varint(b, 20, 6)
	case a.Ints != nil:
		var p []byte
		for _, v := range a.Ints {
			p = protowire.AppendVarint(p, uint64(v))
		}
		b = msg(b, 8, p)
		b = varint(b, 20, 7)
	}
	return b
}

// Bytes serializes the model.
func (m Model) Bytes() []byte {
	var g []byte
	for _, n := range m.Nodes {
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
		g = msg(g, 1, nb)
	}
	g = str(g, 2, "test")
	for _, in := range m.Inits {
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
		t = msg(t, 9, raw)
		g = msg(g, 5, t)
	}
	for _, v := range m.Inputs {
		g = msg(g, 11, value(v))
	}
	for _, v := range m.Outputs {
		g = msg(g, 12, value(v))
	}
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
	b = msg(b, 7, g)
	b = msg(b, 8, varint(str(nil, 1, ""), 2, uint64(opset)))
	return b
}

// I64 and F32 make attribute pointers.
func I64(v int64) *int64     { return &v }
func F32(v float32) *float32 { return &v }
func Str(v string) *string   { return &v }
