package graph

import "fmt"

// ONNX element types (TensorProto.DataType) and the engine types they
// compute in: every floating type in float32, every integer type in int64.
// The decoder, Cast and EyeLike all go through ElemDType and WrapInt.

// ElemDType maps an ONNX element type to the engine's run-time type
// (Undefined for strings, complex and 8- or 4-bit types).
func ElemDType(elem int64) DType {
	switch elem {
	case 1, 10, 11, 16: // float, float16, double, bfloat16
		return Float32
	case 2, 3, 4, 5, 6, 7, 12, 13: // uint8, int8, uint16, int16, int32, int64, uint32, uint64
		return Int64
	case 9:
		return Bool
	}
	return Undefined
}

// WrapInt wraps v to the integer type elem, as a C cast does; types of 64
// bits keep v as it is.
func WrapInt(elem int64, v int64) int64 {
	switch elem {
	case 2:
		return int64(uint8(v))
	case 3:
		return int64(int8(v))
	case 4:
		return int64(uint16(v))
	case 5:
		return int64(int16(v))
	case 6:
		return int64(int32(v))
	case 12:
		return int64(uint32(v))
	}
	return v
}

var elemNames = map[int64]string{1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
	8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64",
	15: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2",
	20: "float8e5m2fnuz", 21: "uint4", 22: "int4"}

// ElemName names an ONNX element type, for messages ("float16", or
// "type 99" for one it does not know).
func ElemName(elem int64) string {
	if s, ok := elemNames[elem]; ok {
		return s
	}
	return fmt.Sprintf("type %d", elem)
}
