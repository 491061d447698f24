package graph

import (
	"fmt"
	"math"
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

// Size is the number of bytes one element takes (0 for Undefined).
func (d DType) Size() int {
	switch d {
	case Float32:
		return 4
	case Int64:
		return 8
	case Bool:
		return 1
	}
	return 0
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

// NumElems is the product of shape (1 for a scalar). It does not check
// for overflow: use it on shapes that passed Elems (every shape of a
// compiled program has), and Elems on shapes read from a model.
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
