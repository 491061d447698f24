package quant

import (
	"errors"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The ONNX protobuf field numbers this package reads and writes.
const (
	modelIRVersion   = 1
	modelGraph       = 7
	modelOpsetImport = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode              = 1
	graphInitializer       = 5
	graphInput             = 11
	graphOutput            = 12
	graphValueInfo         = 13
	graphSparseInitializer = 15

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName   = 1
	attrF      = 2
	attrI      = 3
	attrInts   = 8
	attrType   = 20
	attrTypeF  = 1
	attrTypeI  = 2
	valueName  = 1
	tensorDims = 1
	tensorType = 2
	tensorName = 8
	tensorRaw  = 9

	elemFloat = 1
	elemUint8 = 2
	elemInt8  = 3
	elemInt32 = 6
)

var errTruncated = errors.New("truncated or malformed protobuf")

// field is one field of a message: number, wire type, its bytes with the
// tag (raw) and, when length-delimited, its payload (b).
type field struct {
	num    protowire.Number
	typ    protowire.Type
	raw, b []byte
	v      uint64 // varint and fixed values
}

// fields splits one message into its top-level fields.
func fields(data []byte) ([]field, error) {
	var fs []field
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil, errTruncated
		}
		m := protowire.ConsumeFieldValue(num, typ, data[n:])
		if m < 0 {
			return nil, errTruncated
		}
		f := field{num: num, typ: typ, raw: data[:n+m]}
		switch typ {
		case protowire.BytesType:
			f.b, _ = protowire.ConsumeBytes(data[n:])
		case protowire.VarintType:
			f.v, _ = protowire.ConsumeVarint(data[n:])
		case protowire.Fixed32Type:
			v, _ := protowire.ConsumeFixed32(data[n:])
			f.v = uint64(v)
		case protowire.Fixed64Type:
			f.v, _ = protowire.ConsumeFixed64(data[n:])
		}
		data = data[n+m:]
		fs = append(fs, f)
	}
	return fs, nil
}

// stringOf is the last string field num of a message ("" when absent).
func stringOf(data []byte, num protowire.Number) string {
	fs, _ := fields(data)
	s := ""
	for _, f := range fs {
		if f.num == num && f.typ == protowire.BytesType {
			s = string(f.b)
		}
	}
	return s
}

func msgField(b []byte, num protowire.Number, body []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

func strField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func varintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// tensorProto is a TensorProto with raw_data.
func tensorProto(name string, elem int64, dims []int, raw []byte) []byte {
	var t []byte
	if len(dims) > 0 {
		var packed []byte
		for _, d := range dims {
			packed = protowire.AppendVarint(packed, uint64(d))
		}
		t = msgField(t, tensorDims, packed)
	}
	t = varintField(t, tensorType, uint64(elem))
	t = strField(t, tensorName, name)
	return msgField(t, tensorRaw, raw)
}

func floatsRaw(vs []float32) []byte {
	raw := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		raw = protowire.AppendFixed32(raw, math.Float32bits(v))
	}
	return raw
}

func int32sRaw(vs []int32) []byte {
	raw := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		raw = protowire.AppendFixed32(raw, uint32(v))
	}
	return raw
}

func int8sRaw(vs []int8) []byte {
	raw := make([]byte, len(vs))
	for i, v := range vs {
		raw[i] = byte(v)
	}
	return raw
}

// intAttr is an AttributeProto of type INT.
func intAttr(name string, v int64) []byte {
	a := strField(nil, attrName, name)
	a = varintField(a, attrI, uint64(v))
	return varintField(a, attrType, attrTypeI)
}

// attr is the part of an AttributeProto this package reads.
type attr struct {
	name string
	f    float32
	i    int64
	ints []int64
	raw  []byte // the whole field, tag included
}

func parseAttr(f field) attr {
	a := attr{raw: f.raw}
	fs, _ := fields(f.b)
	for _, x := range fs {
		switch {
		case x.num == attrName && x.typ == protowire.BytesType:
			a.name = string(x.b)
		case x.num == attrF && x.typ == protowire.Fixed32Type:
			a.f = math.Float32frombits(uint32(x.v))
		case x.num == attrI && x.typ == protowire.VarintType:
			a.i = int64(x.v)
		case x.num == attrInts && x.typ == protowire.VarintType:
			a.ints = append(a.ints, int64(x.v))
		case x.num == attrInts && x.typ == protowire.BytesType:
			for b := x.b; len(b) > 0; {
				v, n := protowire.ConsumeVarint(b)
				if n < 0 {
					break
				}
				a.ints, b = append(a.ints, int64(v)), b[n:]
			}
		}
	}
	return a
}
