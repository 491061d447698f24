package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/glimpse/glimpse/model/internal/oneline"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/glimpse/glimpse/model/graph"
)

// ONNX TensorProto.DataType values.
const (
	elemFloat    = 1
	elemUint8    = 2
	elemInt8     = 3
	elemUint16   = 4
	elemInt16    = 5
	elemInt32    = 6
	elemInt64    = 7
	elemString   = 8
	elemBool     = 9
	elemFloat16  = 10
	elemDouble   = 11
	elemUint32   = 12
	elemUint64   = 13
	elemBFloat16 = 16
)

// DType maps an ONNX element type to the engine's run-time type: every
// floating type computes in float32, every integer type in int64.
func DType(elem int64) graph.DType { return graph.ElemDType(elem) }

func float32frombits(b uint32) float32 { return math.Float32frombits(b) }

// Float16 and BFloat16 convert 16-bit float bits to float32 (exactly).
func Float16(h uint16) float32  { return graph.Float16(h) }
func BFloat16(h uint16) float32 { return graph.BFloat16(h) }

// elemSize is the byte width of an element in raw_data (0: not fixed-width).
func elemSize(elem int64) int {
	switch elem {
	case elemUint8, elemInt8, elemBool:
		return 1
	case elemUint16, elemInt16, elemFloat16, elemBFloat16:
		return 2
	case elemFloat, elemInt32, elemUint32:
		return 4
	case elemInt64, elemDouble, elemUint64:
		return 8
	}
	return 0
}

// numElems is the element count of dims, refusing negative dimensions and
// counts over maxElems.
func numElems(dims []int64) (int, error) {
	// Each dimension is checked, whatever its neighbours: [0, 2^62] holds
	// no elements but would still overflow stride arithmetic later.
	n, empty := int64(1), false
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in %v", dims)
		}
		if d == 0 {
			empty = true
			continue
		}
		if n > maxElems/d {
			return 0, fmt.Errorf("dimensions %v exceed 2^31 elements", dims)
		}
		n *= d
	}
	if empty {
		return 0, nil
	}
	return int(n), nil
}

// toTensor decodes a scanned TensorProto into the engine's tensor. Every
// payload is checked against the element count of dims before anything is
// allocated, so the allocation is never larger than the file (times the
// widening to the engine's types: 8 bytes for a 1-byte int8).
func (t *scannedTensor) toTensor() (*graph.Tensor, error) {
	if t.external {
		return nil, errors.New("its data is in an external file, which is not supported: save the model with its weights inside the .onnx file")
	}
	if t.segment {
		return nil, errors.New("it is stored in segments, which is not supported")
	}
	dt := DType(t.dataType)
	if dt == graph.Undefined {
		return nil, fmt.Errorf("its element type %s is not supported", elemName(t.dataType))
	}
	n, err := numElems(t.dims)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(t.dims))
	for i, d := range t.dims {
		shape[i] = int(d)
	}
	out := &graph.Tensor{DType: dt, Shape: shape}
	if t.hasRaw {
		size := elemSize(t.dataType)
		if int64(len(t.raw)) != int64(n)*int64(size) {
			return nil, fmt.Errorf("its raw data is %d bytes, its shape %v needs %d×%d", len(t.raw), shape, n, size)
		}
		return out, fillRaw(out, t.dataType, t.raw, n)
	}
	// The typed field that holds this element type, and its count.
	var num protowire.Number
	var got int
	switch t.dataType {
	case elemFloat:
		num, got = tensorFloatData, t.nFloats
	case elemDouble:
		num, got = tensorDoubleData, t.nDoubles
	case elemInt64:
		num, got = tensorInt64Data, t.nInt64s
	case elemUint32, elemUint64:
		num, got = tensorUint64Data, t.nUint64s
	default: // int32_data carries every type narrower than 32 bits
		num, got = tensorInt32Data, t.nVarints
	}
	if got != n {
		return nil, fmt.Errorf("it holds %d %s values, its shape %v needs %d", got, elemName(t.dataType), shape, n)
	}
	i := 0
	var put func(uint64)
	switch {
	case t.dataType == elemFloat:
		out.F = make([]float32, n)
		put = func(b uint64) { out.F[i] = math.Float32frombits(uint32(b)); i++ }
	case t.dataType == elemDouble:
		out.F = make([]float32, n)
		put = func(b uint64) { out.F[i] = float32(math.Float64frombits(b)); i++ }
	case t.dataType == elemInt64, t.dataType == elemUint32, t.dataType == elemUint64:
		out.I = make([]int64, n)
		put = func(v uint64) { out.I[i] = int64(v); i++ }
	case dt == graph.Float32 && t.dataType == elemBFloat16:
		out.F = make([]float32, n)
		put = func(v uint64) { out.F[i] = BFloat16(uint16(v)); i++ }
	case dt == graph.Float32:
		out.F = make([]float32, n)
		put = func(v uint64) { out.F[i] = Float16(uint16(v)); i++ }
	case dt == graph.Int64:
		out.I = make([]int64, n)
		put = func(v uint64) { out.I[i] = graph.WrapInt(t.dataType, int64(int32(v))); i++ }
	case dt == graph.Bool:
		out.B = make([]bool, n)
		put = func(v uint64) { out.B[i] = v != 0; i++ }
	default:
		return nil, fmt.Errorf("its element type %s has no typed field", elemName(t.dataType))
	}
	if n == 0 {
		return out, nil
	}
	if err := t.each(num, put); err != nil {
		return nil, err
	}
	return out, nil
}

func fillRaw(out *graph.Tensor, elem int64, raw []byte, n int) error {
	le := binary.LittleEndian
	switch out.DType {
	case graph.Float32:
		out.F = make([]float32, n)
		for i := range out.F {
			switch elem {
			case elemFloat:
				out.F[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
			case elemDouble:
				out.F[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
			case elemFloat16:
				out.F[i] = Float16(le.Uint16(raw[2*i:]))
			case elemBFloat16:
				out.F[i] = BFloat16(le.Uint16(raw[2*i:]))
			}
		}
	case graph.Int64:
		out.I = make([]int64, n)
		for i := range out.I {
			var v int64
			switch elem {
			case elemInt8:
				v = int64(int8(raw[i]))
			case elemUint8:
				v = int64(raw[i])
			case elemInt16:
				v = int64(int16(le.Uint16(raw[2*i:])))
			case elemUint16:
				v = int64(le.Uint16(raw[2*i:]))
			case elemInt32:
				v = int64(int32(le.Uint32(raw[4*i:])))
			case elemUint32:
				v = int64(le.Uint32(raw[4*i:]))
			case elemInt64, elemUint64:
				v = int64(le.Uint64(raw[8*i:]))
			}
			out.I[i] = v
		}
	case graph.Bool:
		out.B = make([]bool, n)
		for i := range out.B {
			out.B[i] = raw[i] != 0
		}
	}
	return nil
}

func elemName(elem int64) string { return graph.ElemName(elem) }

// ElemTypeName names an ONNX element type, for messages (graph.ElemName).
func ElemTypeName(elem int64) string { return graph.ElemName(elem) }

// DecodeTensor decodes one serialized TensorProto (the format of ONNX's
// test data, input_0.pb), returning the tensor, its ONNX element type and
// its name.
func DecodeTensor(data []byte) (t *graph.Tensor, elem int64, name string, err error) {
	var st *scannedTensor
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("decode tensor: internal error: %s", oneline.Panic(r))
			if st != nil {
				err = fmt.Errorf("tensor %s: internal error: %s", oneline.Quote(st.name), oneline.Panic(r))
			}
		}
	}()
	st, err = scanTensor(data)
	if err != nil {
		return nil, 0, "", err
	}
	t, err = st.toTensor()
	if err != nil {
		return nil, st.dataType, st.name, fmt.Errorf("tensor %s: %v", oneline.Quote(st.name), err)
	}
	return t, st.dataType, st.name, nil
}
