package tag

import (
	"cmp"
	"slices"
	"strings"
)

// Count is how many photos carry a tag.
type Count struct {
	Tag string `json:"tag"`
	N   int    `json:"n"`
}

// Order sorts counts.
type Order int

// Orders for Counts.
const (
	ByCount Order = iota // most photos first, then by name
	ByName               // by name, case-insensitively
)

// Counts counts photos per tag, for the gallery's tag list. A tag twice on
// one photo counts once.
func Counts(recs []Record, order Order) []Count {
	n := map[string]int{}
	for _, r := range recs {
		seen := map[string]bool{}
		for _, t := range r.Tags {
			if !seen[t.Tag] {
				seen[t.Tag] = true
				n[t.Tag]++
			}
		}
	}
	out := make([]Count, 0, len(n))
	for t, c := range n {
		out = append(out, Count{t, c})
	}
	byName := func(a, b Count) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Tag), strings.ToLower(b.Tag)), strings.Compare(a.Tag, b.Tag))
	}
	slices.SortFunc(out, func(a, b Count) int {
		if order == ByCount && a.N != b.N {
			return cmp.Compare(b.N, a.N)
		}
		return byName(a, b)
	})
	return out
}
