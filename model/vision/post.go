package vision

import (
	"math"

	"github.com/glimpse/glimpse/model/vision/labels"
)

// Softmax writes softmax(src) into dst. It is numerically stable (the
// maximum is subtracted before exponentiation and the sum is accumulated in
// float64). dst may alias src; it must have at least len(src) elements,
// otherwise Softmax panics. NaN inputs yield NaN outputs.
func Softmax(dst, src []float32) {
	n := len(src)
	if n == 0 {
		return
	}
	if len(dst) < n {
		panic("vision: Softmax: dst shorter than src")
	}
	dst = dst[:n]
	mx := float32(math.Inf(-1))
	nan := false
	for _, v := range src {
		if v != v {
			nan = true
		}
		if v > mx {
			mx = v
		}
	}
	switch {
	case nan:
		for i := range dst {
			dst[i] = float32(math.NaN())
		}
		return
	case math.IsInf(float64(mx), 0):
		// All -Inf: uniform. Some +Inf: they share all the mass.
		cnt := 0
		for _, v := range src {
			if v == mx {
				cnt++
			}
		}
		p := 1 / float32(cnt)
		for i, v := range src {
			if v == mx {
				dst[i] = p
			} else {
				dst[i] = 0
			}
		}
		return
	}
	m := float64(mx)
	var sum float64
	for i, v := range src {
		e := math.Exp(float64(v) - m)
		sum += e
		dst[i] = float32(e)
	}
	inv := 1 / sum
	for i, v := range dst {
		dst[i] = float32(float64(v) * inv)
	}
}

// Sigmoid writes the logistic function of src into dst, computed in a way
// that does not overflow for large |x|. dst may alias src; it must have at
// least len(src) elements, otherwise Sigmoid panics.
func Sigmoid(dst, src []float32) {
	if len(dst) < len(src) {
		panic("vision: Sigmoid: dst shorter than src")
	}
	for i, v := range src {
		x := float64(v)
		if x >= 0 {
			dst[i] = float32(1 / (1 + math.Exp(-x)))
		} else {
			e := math.Exp(x)
			dst[i] = float32(e / (1 + e))
		}
	}
}

// Result is one ranked class (labels.Result).
type Result = labels.Result

// TopK returns the k highest probabilities, highest first (labels.TopK).
func TopK(probs []float32, k int, names []string) []Result { return labels.TopK(probs, k, names) }

// ParseLabels parses a labels file, one label per line (labels.Parse).
func ParseLabels(data []byte) ([]string, error) { return labels.Parse(data) }

// DisplayName returns the first synonym of a comma-separated label, trimmed
// (labels.DisplayName).
func DisplayName(label string) string { return labels.DisplayName(label) }
