package graph

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// Limits on the shapes the engine accepts. A model file is untrusted: its
// shape tensors and attributes may ask for any size, and a product of
// dimensions taken in int wraps silently (a shape [2³², 2³², 3] has "0"
// elements). Every shape the compiler derives from a model goes through
// Elems (or Bytes, or Dims) before anything is allocated for it or loops
// over it.
const (
	// MaxRank is the most dimensions a tensor may have. Kernels keep their
	// counters in fixed arrays of this size.
	MaxRank = 16
	// MaxElems bounds the elements of one tensor (2³¹: 8 GiB of float32,
	// far above any memory budget). It also bounds the product of the
	// non-zero dimensions, so that every partial product a kernel loops
	// over (the dimensions before an axis, after it) fits too, even when
	// another dimension is 0.
	MaxElems = 1 << 31
)

// ShapeError reports a shape the engine refuses: too many dimensions, a
// negative dimension, or more elements than MaxElems (which includes a
// product that overflows 64 bits).
type ShapeError struct {
	Shape  []int64 // the dimensions as given (at most MaxRank+1 of them kept)
	Rank   int     // the full rank
	Reason string
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("shape %s %s", FormatDims(e.Shape, e.Rank), e.Reason)
}

// FormatDims writes dims as [a b c], eliding the middle of a long list so
// that a hostile shape gives a short, one-line message.
func FormatDims(dims []int64, rank int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range dims {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 8 && rank > MaxRank {
			fmt.Fprintf(&b, "... (%d dimensions)", rank)
			break
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(']')
	return b.String()
}

func shapeError(dims []int64, reason string, args ...any) *ShapeError {
	kept := dims
	if len(kept) > MaxRank+1 {
		kept = kept[:MaxRank+1]
	}
	return &ShapeError{Shape: append([]int64(nil), kept...), Rank: len(dims), Reason: fmt.Sprintf(reason, args...)}
}

func toInt64s(shape []int) []int64 {
	n := min(len(shape), MaxRank+1)
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(shape[i])
	}
	return out
}

// checkDims is Elems over int64 dimensions: the element count, or why the
// shape is refused.
func checkDims(dims []int64, rank int) (int64, error) {
	if rank > MaxRank {
		return 0, shapeError(dims, "has %d dimensions; at most %d are supported", rank, MaxRank)
	}
	var prod uint64 = 1 // of the non-zero dimensions
	zero := false
	for _, d := range dims {
		if d < 0 {
			return 0, shapeError(dims, "has a negative dimension")
		}
		if d == 0 {
			zero = true
			continue
		}
		hi, lo := bits.Mul64(prod, uint64(d))
		if hi != 0 || lo > MaxElems {
			return 0, shapeError(dims, "has more than %d elements (the engine's limit)", MaxElems)
		}
		prod = lo
	}
	if zero {
		return 0, nil
	}
	return int64(prod), nil
}

// Elems is the number of elements of shape (1 for a scalar), or a
// *ShapeError when the shape has more than MaxRank dimensions, a negative
// dimension, or more than MaxElems elements, counting a zero dimension as
// one for that limit. Unlike NumElems it never wraps.
func Elems(shape []int) (int, error) {
	if len(shape) > MaxRank {
		return 0, shapeError(toInt64s(shape), "has %d dimensions; at most %d are supported", len(shape), MaxRank)
	}
	var dims [MaxRank]int64
	for i, d := range shape {
		dims[i] = int64(d)
	}
	n, err := checkDims(dims[:len(shape)], len(shape))
	return int(n), err
}

// Bytes is the size in bytes of a tensor of type dt and the given shape,
// with Elems' checks (0 bytes for Undefined).
func Bytes(dt DType, shape []int) (int64, error) {
	n, err := Elems(shape)
	if err != nil {
		return 0, err
	}
	return int64(n) * int64(dt.Size()), nil
}

// Dims turns the values of a shape tensor (or shape attribute) into a
// shape, refusing what Elems refuses. It is how Expand, Tile,
// ConstantOfShape and the like read the sizes a model asks for.
func Dims(v []int64) ([]int, error) {
	if _, err := checkDims(v, len(v)); err != nil {
		return nil, err
	}
	out := make([]int, len(v))
	for i, d := range v {
		out[i] = int(d)
	}
	return out, nil
}

// CheckDim checks one size read from a model (a repeat count, a pad, a stride,
// a depth): it must lie in [lo, MaxElems] (lo is 0 or 1, or a negative
// bound for pads). It returns it as an int.
func CheckDim(what string, d int64, lo int64) (int, error) {
	if d < lo {
		return 0, fmt.Errorf("%s %d is below %d", what, d, lo)
	}
	if d > MaxElems || d < -MaxElems {
		return 0, fmt.Errorf("%s %d is out of range (the engine's limit is %d)", what, d, int64(MaxElems))
	}
	return int(d), nil
}

// CheckDimFloat is CheckDim for a size computed in floating point (Resize's output
// sizes, OneHot's depth): NaN and values out of range are refused before
// the conversion to int, whose result Go leaves undefined for them.
func CheckDimFloat(what string, f float64, lo int64) (int, error) {
	if math.IsNaN(f) || f < float64(lo) || f > MaxElems {
		return 0, fmt.Errorf("%s %g is out of range [%d, %d]", what, f, lo, int64(MaxElems))
	}
	return int(f), nil
}
