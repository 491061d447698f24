package onnx

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

var encodings = []struct {
	name string
	enc  onnxtest.Encoding
}{
	{"raw", onnxtest.Raw},
	{"packed", onnxtest.Packed},
	{"unpacked", onnxtest.Unpacked},
}

func pow2(e int) float32 { return float32(math.Ldexp(1, e)) }

var (
	negZero32 = float32(math.Copysign(0, -1))
	nan32     = float32(math.NaN())
	inf32     = float32(math.Inf(1))
)

// sameTensor reports how got differs from want: dtype, shape, and values
// bit for bit (a NaN matches any NaN; -0 does not match +0).
func sameTensor(got, want *graph.Tensor) error {
	if got == nil {
		return fmt.Errorf("nil tensor")
	}
	if got.DType != want.DType {
		return fmt.Errorf("dtype %s, want %s", got.DType, want.DType)
	}
	if len(got.Shape) != len(want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	for i := range got.Shape {
		if got.Shape[i] != want.Shape[i] {
			return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
		}
	}
	switch want.DType {
	case graph.Float32:
		if len(got.F) != len(want.F) || got.I != nil || got.B != nil {
			return fmt.Errorf("values F%v I%v B%v, want F%v", got.F, got.I, got.B, want.F)
		}
		for i := range want.F {
			g, w := got.F[i], want.F[i]
			if w != w {
				if g == g {
					return fmt.Errorf("element %d is %v, want NaN", i, g)
				}
				continue
			}
			if math.Float32bits(g) != math.Float32bits(w) {
				return fmt.Errorf("element %d is %v (%#08x), want %v (%#08x)", i, g, math.Float32bits(g), w, math.Float32bits(w))
			}
		}
	case graph.Int64:
		if len(got.I) != len(want.I) || got.F != nil || got.B != nil {
			return fmt.Errorf("values F%v I%v B%v, want I%v", got.F, got.I, got.B, want.I)
		}
		for i := range want.I {
			if got.I[i] != want.I[i] {
				return fmt.Errorf("values %v, want %v", got.I, want.I)
			}
		}
	case graph.Bool:
		if len(got.B) != len(want.B) || got.F != nil || got.I != nil {
			return fmt.Errorf("values F%v I%v B%v, want B%v", got.F, got.I, got.B, want.B)
		}
		for i := range want.B {
			if got.B[i] != want.B[i] {
				return fmt.Errorf("values %v, want %v", got.B, want.B)
			}
		}
	}
	return nil
}

func floats(shape []int, v ...float32) *graph.Tensor {
	return &graph.Tensor{DType: graph.Float32, Shape: shape, F: v}
}

func ints(shape []int, v ...int64) *graph.Tensor {
	return &graph.Tensor{DType: graph.Int64, Shape: shape, I: v}
}

func bools(shape []int, v ...bool) *graph.Tensor {
	return &graph.Tensor{DType: graph.Bool, Shape: shape, B: v}
}

// valueCases hold, for every element type, values that probe its range and
// its encoding: sign extension, wrap-around, float16 subnormals, infinities,
// NaN and -0, and float64 → float32 rounding (ties to even, overflow,
// underflow).
var valueCases = []struct {
	name string
	t    onnxtest.Tensor
	want *graph.Tensor
}{
	{"float32", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{10},
		Floats: []float32{0, negZero32, 1.5, -3.25, math.MaxFloat32, math.SmallestNonzeroFloat32, inf32, -inf32, nan32, math.Float32frombits(0x7fc00123)}},
		floats([]int{10}, 0, negZero32, 1.5, -3.25, math.MaxFloat32, math.SmallestNonzeroFloat32, inf32, -inf32, nan32, nan32)},
	{"float32 2x3", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{2, 3}, Floats: []float32{1, 2, 3, 4, 5, 6}},
		floats([]int{2, 3}, 1, 2, 3, 4, 5, 6)},
	{"float64 rounds to float32", onnxtest.Tensor{Elem: onnxtest.Double, Dims: []int64{19}, Doubles: []float64{
		0, math.Copysign(0, -1), 1.5, -2.25,
		0.1,                      // → 0x3dcccccd
		1 + math.Ldexp(1, -24),   // a tie: to even, 1
		1 + 3*math.Ldexp(1, -24), // a tie: to even, 1+2^-22
		1 + math.Ldexp(1, -24) + math.Ldexp(1, -52), // just above the tie
		-(1 + 3*math.Ldexp(1, -24)),
		1e300, -1e300, // overflow
		math.MaxFloat32 + math.Ldexp(1, 102),    // below the overflow threshold
		math.Ldexp(1, 128) - math.Ldexp(1, 103), // the threshold, a tie: infinity
		1e-50, -1e-50,                           // underflow to ±0
		math.Ldexp(1, -149), math.Ldexp(1, -150), 1.5 * math.Ldexp(1, -150), // float32 subnormals
		math.NaN(),
	}}, floats([]int{19},
		0, negZero32, 1.5, -2.25,
		math.Float32frombits(0x3dcccccd),
		1, 1+pow2(-22), 1+pow2(-23), -(1 + pow2(-22)),
		inf32, -inf32,
		math.MaxFloat32, inf32,
		0, negZero32,
		pow2(-149), 0, pow2(-149),
		nan32)},
	{"float16", onnxtest.Tensor{Elem: onnxtest.Float16, Dims: []int64{16}, Halves: []uint16{
		0x0000, 0x8000, 0x0001, 0x8001, 0x0200, 0x03ff, 0x0400, 0x3c00,
		0x3555, 0xc000, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfc01,
	}}, floats([]int{16},
		0, negZero32, pow2(-24), -pow2(-24), pow2(-15), 1023*pow2(-24), pow2(-14), 1,
		0.333251953125, -2, 65504, -65504, inf32, -inf32, nan32, nan32)},
	{"bfloat16", onnxtest.Tensor{Elem: onnxtest.BFloat16, Dims: []int64{12}, Halves: []uint16{
		0x0000, 0x8000, 0x3f80, 0xc040, 0x3eab, 0x4049, 0x7f7f, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0xffc1,
	}}, floats([]int{12},
		0, negZero32, 1, -3, 0.333984375, 3.140625, math.Float32frombits(0x7f7f0000), pow2(-133), inf32, -inf32, nan32, nan32)},
	{"int8", onnxtest.Tensor{Elem: onnxtest.Int8, Dims: []int64{6}, Ints: []int64{-128, -100, -1, 0, 1, 127}},
		ints([]int{6}, -128, -100, -1, 0, 1, 127)},
	{"uint8", onnxtest.Tensor{Elem: onnxtest.Uint8, Dims: []int64{5}, Ints: []int64{0, 1, 127, 128, 255}},
		ints([]int{5}, 0, 1, 127, 128, 255)},
	{"int16", onnxtest.Tensor{Elem: onnxtest.Int16, Dims: []int64{5}, Ints: []int64{-32768, -300, -1, 0, 32767}},
		ints([]int{5}, -32768, -300, -1, 0, 32767)},
	{"uint16", onnxtest.Tensor{Elem: onnxtest.Uint16, Dims: []int64{4}, Ints: []int64{0, 255, 32768, 65535}},
		ints([]int{4}, 0, 255, 32768, 65535)},
	{"int32", onnxtest.Tensor{Elem: onnxtest.Int32, Dims: []int64{6}, Ints: []int64{math.MinInt32, -70000, -1, 0, 1, math.MaxInt32}},
		ints([]int{6}, math.MinInt32, -70000, -1, 0, 1, math.MaxInt32)},
	{"int64", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: []int64{6}, Ints: []int64{math.MinInt64, -1 << 40, -1, 0, 1 << 40, math.MaxInt64}},
		ints([]int{6}, math.MinInt64, -1<<40, -1, 0, 1<<40, math.MaxInt64)},
	{"uint32", onnxtest.Tensor{Elem: onnxtest.Uint32, Dims: []int64{4}, Ints: []int64{0, 1 << 31, 1<<32 - 2, math.MaxUint32}},
		ints([]int{4}, 0, 1<<31, 1<<32-2, math.MaxUint32)},
	// uint64 computes as int64: values from 2^63 up wrap around.
	{"uint64", onnxtest.Tensor{Elem: onnxtest.Uint64, Dims: []int64{5}, Ints: []int64{0, 1 << 40, math.MaxInt64, math.MinInt64, -1}},
		ints([]int{5}, 0, 1<<40, math.MaxInt64, math.MinInt64, -1)},
	{"bool", onnxtest.Tensor{Elem: onnxtest.Bool, Dims: []int64{2, 2}, Ints: []int64{0, 1, 1, 0}},
		bools([]int{2, 2}, false, true, true, false)},

	// Scalars: no dims, one value.
	{"scalar float32", onnxtest.Tensor{Elem: onnxtest.Float, Floats: []float32{-7.5}}, floats([]int{}, -7.5)},
	{"scalar float64", onnxtest.Tensor{Elem: onnxtest.Double, Doubles: []float64{0.5}}, floats([]int{}, 0.5)},
	{"scalar float16", onnxtest.Tensor{Elem: onnxtest.Float16, Halves: []uint16{0x3800}}, floats([]int{}, 0.5)},
	{"scalar bfloat16", onnxtest.Tensor{Elem: onnxtest.BFloat16, Halves: []uint16{0xbf00}}, floats([]int{}, -0.5)},
	{"scalar int8", onnxtest.Tensor{Elem: onnxtest.Int8, Ints: []int64{-3}}, ints([]int{}, -3)},
	{"scalar uint8", onnxtest.Tensor{Elem: onnxtest.Uint8, Ints: []int64{200}}, ints([]int{}, 200)},
	{"scalar int16", onnxtest.Tensor{Elem: onnxtest.Int16, Ints: []int64{-3}}, ints([]int{}, -3)},
	{"scalar uint16", onnxtest.Tensor{Elem: onnxtest.Uint16, Ints: []int64{60000}}, ints([]int{}, 60000)},
	{"scalar int32", onnxtest.Tensor{Elem: onnxtest.Int32, Ints: []int64{-3}}, ints([]int{}, -3)},
	{"scalar int64", onnxtest.Tensor{Elem: onnxtest.Int64, Ints: []int64{-3}}, ints([]int{}, -3)},
	{"scalar uint32", onnxtest.Tensor{Elem: onnxtest.Uint32, Ints: []int64{3}}, ints([]int{}, 3)},
	{"scalar uint64", onnxtest.Tensor{Elem: onnxtest.Uint64, Ints: []int64{3}}, ints([]int{}, 3)},
	{"scalar bool", onnxtest.Tensor{Elem: onnxtest.Bool, Ints: []int64{1}}, bools([]int{}, true)},
	{"one-element vector", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: []int64{1}, Ints: []int64{9}}, ints([]int{1}, 9)},

	// Empty tensors: a zero dimension, no values.
	{"empty float32", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{0}}, floats([]int{0})},
	{"empty float32 2x0x3", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{2, 0, 3}}, floats([]int{2, 0, 3})},
	{"empty float16", onnxtest.Tensor{Elem: onnxtest.Float16, Dims: []int64{0, 4}}, floats([]int{0, 4})},
	{"empty float64", onnxtest.Tensor{Elem: onnxtest.Double, Dims: []int64{3, 0}}, floats([]int{3, 0})},
	{"empty int64", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: []int64{0}}, ints([]int{0})},
	{"empty int8", onnxtest.Tensor{Elem: onnxtest.Int8, Dims: []int64{0}}, ints([]int{0})},
	{"empty uint64", onnxtest.Tensor{Elem: onnxtest.Uint64, Dims: []int64{0}}, ints([]int{0})},
	{"empty bool", onnxtest.Tensor{Elem: onnxtest.Bool, Dims: []int64{1, 0}}, bools([]int{1, 0})},
}

// Every element type decodes to the exact values in every encoding:
// raw_data, the typed field packed, the typed field one tag per value.
func TestDecodeTensorValues(t *testing.T) {
	for _, c := range valueCases {
		for _, e := range encodings {
			t.Run(c.name+"/"+e.name, func(t *testing.T) {
				tp := c.t
				tp.Enc = e.enc
				tp.Name = "w"
				got, elem, name, err := DecodeTensor(tp.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				if elem != c.t.Elem || name != "w" {
					t.Errorf("element type %d name %q, want %d %q", elem, name, c.t.Elem, "w")
				}
				if err := sameTensor(got, c.want); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// The builder writes what the test means it to: negative values of signed
// types go in int32_data as 10-byte varints, as protobuf writes int32.
func TestBuilderSignExtendsInt32Data(t *testing.T) {
	for _, elem := range []int64{onnxtest.Int8, onnxtest.Int16, onnxtest.Int32} {
		b := onnxtest.Tensor{Elem: elem, Dims: []int64{1}, Ints: []int64{-1}, Enc: onnxtest.Unpacked}.Bytes()
		want := protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), math.MaxUint64)
		if len(want) != 11 || !bytes.Contains(b, want) {
			t.Errorf("element type %d: -1 is not a 10-byte varint in int32_data: % x", elem, b)
		}
	}
}

// Lenient readings of values that exporters write in more than one way.
func TestDecodeTensorLenient(t *testing.T) {
	cases := []struct {
		name string
		t    onnxtest.Tensor
		want *graph.Tensor
	}{
		// int8 -1 written zero-extended (255) rather than sign-extended.
		{"int8 in int32_data as unsigned", onnxtest.Tensor{Elem: onnxtest.Int8, Dims: []int64{2}, Enc: onnxtest.Packed, Ints: []int64{255, 128}},
			ints([]int{2}, -1, -128)},
		{"int16 in int32_data as unsigned", onnxtest.Tensor{Elem: onnxtest.Int16, Dims: []int64{1}, Enc: onnxtest.Packed, Ints: []int64{65535}},
			ints([]int{1}, -1)},
		{"bool raw byte 2", onnxtest.Tensor{Elem: onnxtest.Bool, Dims: []int64{3}, RawData: []byte{0, 2, 255}},
			bools([]int{3}, false, true, true)},
		{"bool int32_data 7", onnxtest.Tensor{Elem: onnxtest.Bool, Dims: []int64{2}, Enc: onnxtest.Packed, Halves: []uint16{0, 7}},
			bools([]int{2}, false, true)},
		{"scalar bool 1-byte raw_data", onnxtest.Tensor{Elem: onnxtest.Bool, RawData: []byte{1}}, bools([]int{}, true)},
		{"scalar bool false", onnxtest.Tensor{Elem: onnxtest.Bool, RawData: []byte{0}}, bools([]int{}, false)},
		// float16 bits written as int16 values (sign-extended) in int32_data.
		{"float16 in int32_data sign-extended", onnxtest.Tensor{Elem: onnxtest.Float16, Dims: []int64{2}, Enc: onnxtest.Packed, Ints: []int64{-32768, -17408}},
			floats([]int{2}, negZero32, -1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, _, err := DecodeTensor(c.t.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if err := sameTensor(got, c.want); err != nil {
				t.Error(err)
			}
		})
	}

	// raw_data wins over a typed field when both are present.
	both := onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{1}, Floats: []float32{1}}.Bytes()
	both = withField(both, 4, protowire.BytesType, protowire.AppendFixed32(nil, math.Float32bits(2)))
	got, _, _, err := DecodeTensor(both)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameTensor(got, floats([]int{1}, 1)); err != nil {
		t.Errorf("raw and typed: %v", err)
	}
}

// withField appends one raw field to a message, for payloads the builder
// cannot express.
func withField(b []byte, num protowire.Number, typ protowire.Type, payload []byte) []byte {
	b = protowire.AppendTag(b, num, typ)
	if typ == protowire.BytesType {
		return protowire.AppendBytes(b, payload)
	}
	return append(b, payload...)
}

// badTensors are tensors the decoder must refuse, each with a word its
// message must contain.
var badTensors = []struct {
	name string
	t    onnxtest.Tensor
	want string
}{
	{"negative dim", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{2, -1}, RawData: []byte{}}, "negative"},
	{"negative dim typed", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: []int64{-3}, Enc: onnxtest.Packed}, "negative"},
	{"raw too short", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{3}, RawData: make([]byte, 8)}, "raw data is 8 bytes"},
	{"raw too long", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: []int64{1}, RawData: make([]byte, 16)}, "raw data is 16 bytes"},
	{"raw odd float16", onnxtest.Tensor{Elem: onnxtest.Float16, Dims: []int64{2}, RawData: make([]byte, 3)}, "raw data is 3 bytes"},
	{"raw scalar empty", onnxtest.Tensor{Elem: onnxtest.Bool, RawData: []byte{}}, "raw data is 0 bytes"},
	{"raw for empty tensor", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{0}, RawData: make([]byte, 4)}, "raw data is 4 bytes"},
	{"float_data short", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{3}, Enc: onnxtest.Packed, Floats: []float32{1, 2}}, "holds 2 float32 values"},
	{"float_data long", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{1}, Enc: onnxtest.Unpacked, Floats: []float32{1, 2}}, "holds 2 float32 values"},
	{"double_data short", onnxtest.Tensor{Elem: onnxtest.Double, Dims: []int64{2}, Enc: onnxtest.Packed, Doubles: []float64{1}}, "holds 1 float64 values"},
	{"int32_data short", onnxtest.Tensor{Elem: onnxtest.Int8, Dims: []int64{2, 2}, Enc: onnxtest.Packed, Ints: []int64{1, 2, 3}}, "holds 3 int8 values"},
	{"int32_data float16 long", onnxtest.Tensor{Elem: onnxtest.Float16, Dims: []int64{1}, Enc: onnxtest.Packed, Halves: []uint16{1, 2}}, "holds 2 float16 values"},
	{"int64_data short", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: []int64{2}, Enc: onnxtest.Unpacked, Ints: []int64{1}}, "holds 1 int64 values"},
	{"uint64_data short", onnxtest.Tensor{Elem: onnxtest.Uint32, Dims: []int64{2}, Enc: onnxtest.Packed, Ints: []int64{1}}, "holds 1 uint32 values"},
	{"scalar without data", onnxtest.Tensor{Elem: onnxtest.Float, Enc: onnxtest.Packed}, "holds 0 float32 values"},
	{"dims overflow", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{1 << 20, 1 << 20, 1 << 20}, RawData: []byte{}}, "2^31"},
	{"dims overflow int64", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{1 << 62, 4}, Enc: onnxtest.Packed}, "2^31"},
	{"dims overflow wraps to zero", onnxtest.Tensor{Elem: onnxtest.Uint8, Dims: []int64{1 << 32, 1 << 32}, RawData: []byte{}}, "2^31"},
	{"dims max int64", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: []int64{math.MaxInt64}, Enc: onnxtest.Packed}, "2^31"},
	{"string", onnxtest.Tensor{Elem: onnxtest.String, Dims: []int64{2}, Strings: []string{"a", "b"}}, "string"},
	{"external", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{2}, External: true, RawData: nil}, "external"},
	{"segment", onnxtest.Tensor{Elem: onnxtest.Float, Dims: []int64{1}, Segment: true, Floats: []float32{1}}, "segment"},
	{"undefined type", onnxtest.Tensor{NoElem: true, Dims: []int64{1}, RawData: make([]byte, 4)}, "not supported"},
	{"complex64", onnxtest.Tensor{Elem: 14, Dims: []int64{1}, RawData: make([]byte, 8)}, "complex64"},
	{"float8", onnxtest.Tensor{Elem: 17, Dims: []int64{1}, RawData: make([]byte, 1)}, "float8e4m3fn"},
	{"int4", onnxtest.Tensor{Elem: 22, Dims: []int64{2}, RawData: make([]byte, 1)}, "int4"},
	{"unknown type 99", onnxtest.Tensor{Elem: 99, Dims: []int64{1}, RawData: make([]byte, 4)}, "type 99"},
}

// checkMessage fails unless err is a one-line error that names what it is
// about and never prints a nil.
func checkMessage(t *testing.T, err error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
	if strings.Contains(msg, "<nil>") || strings.Contains(msg, "\n") || strings.Contains(msg, "%!") {
		t.Errorf("badly formatted error %q", msg)
	}
}

// Bad tensors are errors that name the tensor and say why, as serialized
// tensors, as initializers and as Constant values.
func TestDecodeBadTensors(t *testing.T) {
	for _, c := range badTensors {
		t.Run(c.name, func(t *testing.T) {
			tp := c.t
			tp.Name = "bad_weight"
			got, _, _, err := DecodeTensor(tp.Bytes())
			if err == nil {
				t.Fatalf("decoded %v", got)
			}
			checkMessage(t, err, `"bad_weight"`, c.want)

			m := onnxtest.Model{
				Inputs:       []onnxtest.Value{{Name: "x", Dims: []any{2}}},
				Outputs:      []onnxtest.Value{{Name: "y", Dims: []any{2}}},
				Nodes:        []onnxtest.Node{{Op: "Add", Inputs: []string{"x", "bad_weight"}, Outputs: []string{"y"}}},
				Initializers: []onnxtest.Tensor{tp},
			}
			g, err := Decode(m.Bytes())
			if err == nil {
				t.Fatalf("decoded a model with a bad initializer: %v", g.Initializers)
			}
			checkMessage(t, err, `initializer "bad_weight"`, c.want)

			tp.Name = ""
			m = onnxtest.Model{
				Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2}}},
				Nodes:   []onnxtest.Node{{Op: "Constant", Name: "const0", Outputs: []string{"y"}, Attrs: []onnxtest.Attr{{Name: "value", Tensor: &tp}}}},
			}
			g, err = Decode(m.Bytes())
			if err == nil {
				t.Fatalf("decoded a Constant with a bad value: %v", g.Nodes[0].Attrs)
			}
			checkMessage(t, err, `"const0"`, "Constant", "value", c.want)
		})
	}
}

// Payloads in the wrong field or broken on the wire are errors that name
// the tensor.
func TestDecodeTensorBadWire(t *testing.T) {
	head := onnxtest.Tensor{Name: "w", Elem: onnxtest.Float, Dims: []int64{2}, Enc: onnxtest.Packed}.Bytes()
	head64 := onnxtest.Tensor{Name: "w", Elem: onnxtest.Int64, Dims: []int64{1}, Enc: onnxtest.Packed}.Bytes()
	f32 := func(v ...float32) []byte {
		var b []byte
		for _, x := range v {
			b = protowire.AppendFixed32(b, math.Float32bits(x))
		}
		return b
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"int64 values in float_data", withField(append([]byte{}, head64...), 4, protowire.BytesType, f32(1)), "holds 0 int64 values"},
		{"float values in int64_data", withField(append([]byte{}, head...), 7, protowire.BytesType, []byte{1, 2}), "holds 0 float32 values"},
		{"packed float_data not a multiple of 4", withField(append([]byte{}, head...), 4, protowire.BytesType, f32(1, 2)[:7]), "truncated"},
		{"packed double_data not a multiple of 8", withField(append([]byte{}, head...), 10, protowire.BytesType, make([]byte, 12)), "truncated"},
		{"packed int64_data cut in a varint", withField(append([]byte{}, head64...), 7, protowire.BytesType, []byte{0xff, 0xff}), "truncated"},
		{"float_data as a varint", withField(append([]byte{}, head...), 4, protowire.VarintType, protowire.AppendVarint(nil, 1)), "truncated"},
		{"raw_data cut short", append(append([]byte{}, head...), 0x4a, 8, 0, 0), "truncated"},
		{"dims cut in a varint", append(append([]byte{}, head...), 0x0a, 2, 0x80, 0x80), "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, _, err := DecodeTensor(c.data)
			if err == nil {
				t.Fatalf("decoded %v %v %v", got, got.F, got.I)
			}
			checkMessage(t, err, `"w"`, c.want)
		})
	}
}

// The same values decode as initializers: the Dense the graph holds has the
// values, and ElemTypes records the file's element type wherever the engine
// computes in another.
func TestDecodeInitializerTypes(t *testing.T) {
	m := onnxtest.Model{
		Inputs:  []onnxtest.Value{{Name: "x", Dims: []any{2}}},
		Outputs: []onnxtest.Value{{Name: "y", Dims: []any{2}}},
		Nodes:   []onnxtest.Node{{Op: "Identity", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}
	for i, c := range valueCases {
		for _, e := range encodings {
			tp := c.t
			tp.Enc = e.enc
			tp.Name = fmt.Sprintf("init%d_%s", i, e.name)
			m.Initializers = append(m.Initializers, tp)
		}
	}
	g, err := Decode(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Inputs) != 1 {
		t.Errorf("inputs %+v", g.Inputs)
	}
	for i, c := range valueCases {
		for _, e := range encodings {
			name := fmt.Sprintf("init%d_%s", i, e.name)
			got := g.Initializers[name]
			if got == nil {
				t.Errorf("%s (%s/%s): missing", name, c.name, e.name)
				continue
			}
			if err := sameTensor(got, c.want); err != nil {
				t.Errorf("%s/%s: %v", c.name, e.name, err)
			}
			elem, recorded := g.ElemTypes[name]
			switch c.t.Elem {
			case onnxtest.Float, onnxtest.Int64, onnxtest.Bool:
				if recorded {
					t.Errorf("%s/%s: ElemTypes records %d for a type the engine computes in", c.name, e.name, elem)
				}
			default:
				if elem != c.t.Elem {
					t.Errorf("%s/%s: ElemTypes has %d (recorded %v), want %d", c.name, e.name, elem, recorded, c.t.Elem)
				}
			}
		}
	}
}

// An empty tensor is refused or accepted whatever the order of its
// dimensions, and never with dimensions whose strides overflow: the
// element count alone (0) must not let 2^62×2^62 through.
func TestDecodeTensorHugeEmptyDims(t *testing.T) {
	for _, dims := range [][]int64{{1 << 40, 0}, {0, 1 << 40}, {0, 1 << 62, 1 << 62}, {0, math.MaxInt64}} {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			got, _, _, err := DecodeTensor(onnxtest.Tensor{Name: "w", Elem: onnxtest.Float, Dims: dims}.Bytes())
			if err == nil {
				t.Fatalf("decoded %v", got)
			}
			checkMessage(t, err, `"w"`)
		})
	}
}

// FuzzDecodeTensor: no serialized tensor makes DecodeTensor panic, and
// what it decodes holds as many values as its shape needs.
func FuzzDecodeTensor(f *testing.F) {
	for _, c := range valueCases {
		for _, e := range encodings {
			tp := c.t
			tp.Enc, tp.Name = e.enc, "w"
			f.Add(tp.Bytes())
		}
	}
	for _, c := range badTensors {
		f.Add(c.t.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, _, err := DecodeTensor(data)
		if err != nil {
			if strings.Contains(err.Error(), "<nil>") {
				t.Fatalf("error %q", err)
			}
			return
		}
		n := got.Len()
		if len(got.F)+len(got.I)+len(got.B) != n {
			t.Fatalf("%v holds %d+%d+%d values", got, len(got.F), len(got.I), len(got.B))
		}
	})
}
