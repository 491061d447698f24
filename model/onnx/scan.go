package onnx

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The wire-level scan recovers what onnx-go v0.5.0 drops on the way to its
// backend: the opset version, symbolic input dimensions, node names, and
// which initializers are stored outside the file. It reads only the few
// fields it needs and skips the rest (weights included) without copying.

// ONNX protobuf field numbers (onnx.proto, IR version 3..10).
const (
	modelIRVersion   = 1
	modelProducer    = 2
	modelGraph       = 7
	modelOpsetImport = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName   = 1
	attrTensor = 5

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
	tensorName         = 8
	tensorDataLocation = 14
)

type scannedNode struct {
	name, op, domain string
	inputs, outputs  []string
	// emptyAttrs are tensor attributes with no elements (an empty Constant),
	// which onnx-go cannot decode.
	emptyAttrs []scannedInit
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

type scannedInit struct {
	name     string
	dataType int64
	dims     []int64
	external bool
}

// empty reports whether the initializer holds no elements (a 0 in its dims),
// like the empty roi of an exported Resize. onnx-go cannot decode those.
func (in scannedInit) empty() bool {
	for _, d := range in.dims {
		if d == 0 {
			return true
		}
	}
	return false
}

type scan struct {
	irVersion int64
	producer  string
	opsets    map[string]int64
	graphName string
	nodes     []scannedNode
	inputs    []scannedValue
	outputs   []scannedValue
	inits     []scannedInit
	hasGraph  bool
}

var errTruncated = errors.New("truncated or corrupt protobuf")

// fields walks the top-level fields of one message, calling fn for each.
// Varints arrive in v, length-delimited fields in b.
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
		case num == modelGraph && typ == protowire.BytesType:
			s.hasGraph = true
			return s.scanGraph(b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *scan) scanGraph(data []byte) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphName:
			s.graphName = string(b)
		case graphNode:
			var n scannedNode
			if err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
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
					var name string
					var t *scannedInit
					err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
						if num == attrName && typ == protowire.BytesType {
							name = string(b)
						}
						if num == attrTensor && typ == protowire.BytesType {
							in, err := scanTensor(b)
							t = &in
							return err
						}
						return nil
					})
					if err != nil {
						return err
					}
					if t != nil && t.empty() {
						t.name = name
						n.emptyAttrs = append(n.emptyAttrs, *t)
					}
				}
				return nil
			}); err != nil {
				return err
			}
			s.nodes = append(s.nodes, n)
		case graphInput, graphOutput:
			val, err := scanValue(b)
			if err != nil {
				return err
			}
			if num == graphInput {
				s.inputs = append(s.inputs, val)
			} else {
				s.outputs = append(s.outputs, val)
			}
		case graphInitializer:
			in, err := scanTensor(b)
			if err != nil {
				return err
			}
			s.inits = append(s.inits, in)
		}
		return nil
	})
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

// withoutEmpty rewrites a model without the named initializers and without
// the named tensor attributes of node k (dropAttr[k]).
func withoutEmpty(data []byte, drop map[string]bool, dropAttr map[int]map[string]bool) ([]byte, error) {
	out := make([]byte, 0, len(data))
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if num != modelGraph || typ != protowire.BytesType {
			out = appendField(out, num, typ, v, b)
			return nil
		}
		g := make([]byte, 0, len(b))
		k := -1
		err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
			if num == graphNode && typ == protowire.BytesType {
				k++
				if attrs := dropAttr[k]; attrs != nil {
					node := make([]byte, 0, len(b))
					err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
						if num == nodeAttribute && typ == protowire.BytesType {
							name := ""
							_ = fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
								if num == attrName && typ == protowire.BytesType {
									name = string(b)
								}
								return nil
							})
							if attrs[name] {
								return nil
							}
						}
						node = appendField(node, num, typ, v, b)
						return nil
					})
					g = appendField(g, num, typ, 0, node)
					return err
				}
			}
			if num == graphInitializer && typ == protowire.BytesType {
				name := ""
				_ = fields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
					if num == tensorName && typ == protowire.BytesType {
						name = string(b)
					}
					return nil
				})
				if drop[name] {
					return nil
				}
			}
			g = appendField(g, num, typ, v, b)
			return nil
		})
		out = protowire.AppendTag(out, modelGraph, protowire.BytesType)
		out = protowire.AppendBytes(out, g)
		return err
	})
	return out, err
}

// appendField re-encodes one field as fields() delivered it.
func appendField(out []byte, num protowire.Number, typ protowire.Type, v uint64, b []byte) []byte {
	switch typ {
	case protowire.VarintType:
		out = protowire.AppendTag(out, num, typ)
		return protowire.AppendVarint(out, v)
	case protowire.BytesType:
		out = protowire.AppendTag(out, num, typ)
		return protowire.AppendBytes(out, b)
	}
	return out // fixed-width fields are not used at these levels of ONNX
}

func scanTensor(data []byte) (scannedInit, error) {
	var in scannedInit
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case num == tensorName && typ == protowire.BytesType:
			in.name = string(b)
		case num == tensorDataType && typ == protowire.VarintType:
			in.dataType = int64(v)
		case num == tensorDataLocation && typ == protowire.VarintType:
			in.external = v == 1
		case num == tensorDims && typ == protowire.VarintType:
			in.dims = append(in.dims, int64(v))
		case num == tensorDims && typ == protowire.BytesType: // packed
			for len(b) > 0 {
				d, n := protowire.ConsumeVarint(b)
				if n < 0 {
					return errTruncated
				}
				in.dims = append(in.dims, int64(d))
				b = b[n:]
			}
		}
		return nil
	})
	return in, err
}
