// Package labels names a model's classes: it parses a labels file, ranks
// probabilities into labelled results (TopK) and shortens a label for
// display. It imports only the standard library, so the browser's UI, tag
// and eval can use it without the image code of package vision.
package labels

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

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

// Parse parses a labels file: one label per line, in class-index
// order. A UTF-8 byte-order mark, "\r" line endings and trailing whitespace
// are removed; empty lines at the end of the file are dropped (empty lines
// in the middle are kept, so indices stay aligned). It is an error if no
// labels remain.
func Parse(data []byte) ([]string, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace) // also removes '\r'
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		// "vision:", as callers have always seen it (vision.ParseLabels).
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
