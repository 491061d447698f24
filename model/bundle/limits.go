package bundle

import (
	"fmt"

	"github.com/glimpse/glimpse/model/graph"
)

// A bundle may come from anyone: its checksum catches damage, not intent
// (a forged file only needs a valid CRC-32C). Decode checks these limits
// before it allocates what the header declares, so that a hostile bundle
// fails fast with an error. The header's JSON is measured before it is
// decoded: decoding costs up to about 0.5 KB per object and 16 bytes per
// value, so what passes these checks costs at most about 80 MB however it
// is built. Each limit is far above what real bundles hold: the largest of
// the test corpus's (maxvit_t, with ImageNet's labels) has a header of 650
// KB, 38 000 JSON values and 3 600 objects nested 7 deep, and 1 500 nodes;
// unoptimised (the fallback a bundle holds when its check fails), swin_t
// has 1.7 MB, 142 000 values, 17 000 objects and 6 500 nodes.
const (
	// maxHeader bounds the JSON header (the graph, card, labels, stats and
	// tensor directory; the weights are in the data section).
	maxHeader = 16 << 20
	// maxJSONDepth bounds the nesting of the header's JSON: a graph
	// attribute nests 5 levels below its node, MaxDepth of them 160.
	maxJSONDepth = 256
	// maxJSONValues bounds the header's JSON values (numbers, strings,
	// objects, arrays, keys).
	maxJSONValues = 1 << 20
	// maxJSONObjects bounds the header's JSON objects: nodes, attributes,
	// tensors, values and graphs are objects, and cost the most decoded.
	maxJSONObjects = 1 << 17
	// maxGraphs bounds the graph attributes of a bundle, at every depth.
	maxGraphs = 4096
	// maxNodes bounds the nodes of a bundle, in all its graphs.
	maxNodes = 1 << 16
	// maxRank bounds the dimensions of one tensor or value.
	maxRank = 64
	// maxElems bounds the elements of one tensor, as the engine does; its
	// payload must also be in the file.
	maxElems = graph.MaxElems
	// ransMaxElemsPerByte bounds a pal8r or pal8rs tensor's elements by
	// its payload (an element a bit or more): decoding allocates 4 bytes
	// an element, and rANS could otherwise code a constant tensor of any
	// size in a few bytes. The default model's densest pal8r tensor has
	// 1.8 elements a byte.
	ransMaxElemsPerByte = 8
)

// checkJSON measures a header without decoding it: how deep its arrays and
// objects nest and how many values it holds, refusing what is over the
// limits. It only counts (strings are skipped, escapes included); whether
// the JSON is valid is for encoding/json to say.
func checkJSON(b []byte) error {
	depth, values, objects := 0, 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if depth++; depth > maxJSONDepth {
				return fmt.Errorf("its header nests deeper than %d levels", maxJSONDepth)
			}
			if b[i] == '{' {
				if objects++; objects > maxJSONObjects {
					return fmt.Errorf("its header holds more than %d objects", maxJSONObjects)
				}
			}
			values++ // the object or array; with its first member or element
		case '}', ']':
			depth--
		case ',', ':':
			values++ // the next member (a key and its value count as two) or element
		}
		if values > maxJSONValues {
			return fmt.Errorf("its header holds more than %d values", maxJSONValues)
		}
	}
	return nil
}
