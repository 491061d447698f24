package vision

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
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

// Result is one ranked class.
type Result struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Prob  float32 `json:"prob"`
}

// TopK returns the k highest probabilities, highest first; equal
// probabilities are ordered by lower index, and NaN ranks lowest. k is
// clamped to [0, len(probs)]. Labels come from labels[i]; when labels is
// shorter than probs or the label is empty, the label is "class <i>".
func TopK(probs []float32, k int, labels []string) []Result {
	k = max(0, min(k, len(probs)))
	if k == 0 {
		return []Result{}
	}
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	cmp := func(a, b int) int { // negative if a ranks before b
		pa, pb := probs[a], probs[b]
		na, nb := pa != pa, pb != pb
		switch {
		case na != nb:
			if na {
				return 1
			}
			return -1
		case !na && pa != pb:
			if pa > pb {
				return -1
			}
			return 1
		}
		return a - b
	}
	slices.SortFunc(idx, cmp)
	out := make([]Result, k)
	for r, i := range idx[:k] {
		label := ""
		if i < len(labels) {
			label = labels[i]
		}
		if label == "" {
			label = "class " + strconv.Itoa(i)
		}
		out[r] = Result{Index: i, Label: label, Prob: probs[i]}
	}
	return out
}

// ParseLabels parses a labels file: one label per line, in class-index
// order. A UTF-8 byte-order mark, "\r" line endings and trailing whitespace
// are removed; empty lines at the end of the file are dropped (empty lines
// in the middle are kept, so indices stay aligned). It is an error if no
// labels remain.
func ParseLabels(data []byte) ([]string, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace) // also removes '\r'
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, errors.New("vision: labels file is empty")
	}
	return lines, nil
}

// DisplayName returns the first synonym of a comma-separated label, trimmed:
// "tabby, tabby cat" -> "tabby".
func DisplayName(label string) string {
	if i := strings.IndexByte(label, ','); i >= 0 {
		label = label[:i]
	}
	return strings.TrimSpace(label)
}
