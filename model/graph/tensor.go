package graph

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// DType is the element type of a run-time tensor. The engine computes in
// float32; int64 and bool exist for shape arithmetic, indices and masks.
type DType uint8

const (
	Undefined DType = iota
	Float32
	Int64
	Bool
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	case Bool:
		return "bool"
	}
	return "undefined"
}

// Tensor is the engine's flat run-time tensor: a shape and one typed slice.
// Exactly one of F, I, B is used, according to DType.
type Tensor struct {
	DType DType
	Shape []int
	F     []float32
	I     []int64
	B     []bool
}

// NumElems is the product of shape (1 for a scalar).
func NumElems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return NumElems(t.Shape) }

// New allocates a zeroed tensor.
func New(dt DType, shape []int) *Tensor {
	t := &Tensor{DType: dt, Shape: append([]int{}, shape...)}
	n := NumElems(shape)
	switch dt {
	case Float32:
		t.F = make([]float32, n)
	case Int64:
		t.I = make([]int64, n)
	case Bool:
		t.B = make([]bool, n)
	}
	return t
}

// Floats builds a float32 tensor over data (not copied).
func Floats(shape []int, data []float32) *Tensor {
	return &Tensor{DType: Float32, Shape: shape, F: data}
}

// Ints builds an int64 tensor over data (not copied).
func Ints(shape []int, data []int64) *Tensor {
	return &Tensor{DType: Int64, Shape: shape, I: data}
}

// AsInts returns the values of an integer (or float) tensor as int64s.
func (t *Tensor) AsInts() []int64 {
	switch t.DType {
	case Int64:
		return t.I
	case Float32:
		out := make([]int64, len(t.F))
		for i, v := range t.F {
			out[i] = int64(v)
		}
		return out
	case Bool:
		out := make([]int64, len(t.B))
		for i, v := range t.B {
			if v {
				out[i] = 1
			}
		}
		return out
	}
	return nil
}

// AsFloats returns the values as float32s (converting ints).
func (t *Tensor) AsFloats() []float32 {
	switch t.DType {
	case Float32:
		return t.F
	case Int64:
		out := make([]float32, len(t.I))
		for i, v := range t.I {
			out[i] = float32(v)
		}
		return out
	case Bool:
		out := make([]float32, len(t.B))
		for i, v := range t.B {
			if v {
				out[i] = 1
			}
		}
		return out
	}
	return nil
}

// Clone deep-copies the tensor.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int{}, t.Shape...)}
	c.F = append([]float32(nil), t.F...)
	c.I = append([]int64(nil), t.I...)
	c.B = append([]bool(nil), t.B...)
	return c
}

func (t *Tensor) String() string {
	return fmt.Sprintf("%s%v", t.DType, t.Shape)
}

// FromDense converts a gorgonia tensor into the engine's tensor. float32,
// int64 and bool data are shared, not copied; float64 and the narrower
// integer types are converted.
func FromDense(d *tensor.Dense) (*Tensor, error) {
	shape := append([]int{}, d.Shape()...)
	if d.IsScalar() {
		shape = []int{}
	}
	n := NumElems(shape)
	if n == 0 && len(shape) > 0 {
		// An empty tensor: gorgonia's Data panics on it, and there is nothing to copy.
		switch d.Dtype() {
		case tensor.Float32, tensor.Float64:
			return New(Float32, shape), nil
		case tensor.Int64, tensor.Int32:
			return New(Int64, shape), nil
		case tensor.Bool:
			return New(Bool, shape), nil
		}
		return nil, fmt.Errorf("tensor of type %v is not supported", d.Dtype())
	}
	// gorgonia gives a vector of one element the shape (1); keep ONNX's view.
	switch v := d.Data().(type) {
	case []float32:
		return checkLen(&Tensor{DType: Float32, Shape: shape, F: v}, len(v), n)
	case float32:
		return &Tensor{DType: Float32, Shape: shape, F: []float32{v}}, nil
	case []float64:
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return checkLen(&Tensor{DType: Float32, Shape: shape, F: f}, len(f), n)
	case float64:
		return &Tensor{DType: Float32, Shape: shape, F: []float32{float32(v)}}, nil
	case []int64:
		return checkLen(&Tensor{DType: Int64, Shape: shape, I: v}, len(v), n)
	case int64:
		return &Tensor{DType: Int64, Shape: shape, I: []int64{v}}, nil
	case []int32:
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return checkLen(&Tensor{DType: Int64, Shape: shape, I: out}, len(out), n)
	case int32:
		return &Tensor{DType: Int64, Shape: shape, I: []int64{int64(v)}}, nil
	case []bool:
		return checkLen(&Tensor{DType: Bool, Shape: shape, B: v}, len(v), n)
	case bool:
		return &Tensor{DType: Bool, Shape: shape, B: []bool{v}}, nil
	}
	return nil, fmt.Errorf("tensor of type %v is not supported", d.Dtype())
}

func checkLen(t *Tensor, got, want int) (*Tensor, error) {
	if got != want {
		if got == 1 && want == 1 {
			return t, nil
		}
		return nil, fmt.Errorf("tensor %v holds %d values, its shape needs %d", t.Shape, got, want)
	}
	return t, nil
}

// ToDense wraps a float32, int64 or bool tensor as a gorgonia Dense (sharing data).
func (t *Tensor) ToDense() *tensor.Dense {
	shape := t.Shape
	if t.Len() == 0 && len(shape) > 0 { // empty: gorgonia wants no backing
		dt := tensor.Float32
		switch t.DType {
		case Int64:
			dt = tensor.Int64
		case Bool:
			dt = tensor.Bool
		}
		return tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	switch t.DType {
	case Float32:
		if len(shape) == 0 {
			return tensor.New(tensor.FromScalar(t.F[0]))
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(t.F))
	case Int64:
		if len(shape) == 0 {
			return tensor.New(tensor.FromScalar(t.I[0]))
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(t.I))
	case Bool:
		if len(shape) == 0 {
			return tensor.New(tensor.FromScalar(t.B[0]))
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(t.B))
	}
	return nil
}

// MaxAbsDiff is the largest |a-b| over two equal-length slices (NaN counts as +Inf).
func MaxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d != d {
			return math.Inf(1)
		}
		if d > m {
			m = d
		}
	}
	return m
}
