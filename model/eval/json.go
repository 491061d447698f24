package eval

import (
	"fmt"
	"math"
)

// Float is a float64 that JSON writes as null when it is NaN or infinite
// (an undefined AUC, the +Inf first ROC threshold): JSON has no such
// numbers, and encoding/json would fail on them.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) { return appendFloat(nil, float64(f)), nil }

// Floats is a []float64 written as Float elements.
type Floats []float64

// MarshalJSON implements json.Marshaler.
func (fs Floats) MarshalJSON() ([]byte, error) {
	if fs == nil {
		return []byte("null"), nil
	}
	b := []byte{'['}
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, f)
	}
	return append(b, ']'), nil
}

func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return fmt.Appendf(b, "%v", f) // shortest repr that round-trips
}
