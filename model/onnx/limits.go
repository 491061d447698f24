package onnx

import (
	"fmt"
	"strconv"
	"strings"
)

// Glimpse decodes model files that strangers send, in a browser tab where a
// panic, a stack overflow or an allocation of gigabytes ends the program.
// The decoder checks these limits before it allocates what a count or a
// shape declares (tally counts a graph before the scan reads it), so that
// a hostile file over them fails fast, having cost next to nothing; one
// just under them costs at most about 100 MB beyond its weights. Each is
// far above what real models hold: the largest of the 1 300 ONNX files
// the tests can reach (the corpus, the zoo, ONNX's node tests), swin_t,
// holds 6 500 nodes and 28 000 items; the most graph attributes any holds
// is 4.
const (
	// maxGraphDepth bounds the nesting of graph attributes (If inside Loop
	// inside If...): real exports nest two or three levels. It is checked
	// before a nested graph is read, so a file nested 300 000 levels deep
	// costs 32 levels.
	maxGraphDepth = 32
	// maxNodes bounds the nodes of a model, in all its graphs together:
	// a node costs a few bytes of file and about a kilobyte decoded
	// (onnx-go's share included).
	maxNodes = 1 << 16
	// maxGraphs bounds the graph attributes of a model, at every depth
	// together (an empty GRAPHS entry is 2 bytes of file, a decoded graph
	// a few kilobytes).
	maxGraphs = 4096
	// maxItems bounds what the decoder makes an object for, counted over
	// the whole model: nodes, node inputs and outputs, attributes, values
	// of list attributes, tensors and graphs in TENSORS and GRAPHS
	// attributes, graph inputs, outputs and initializers, and dimensions.
	// Each costs one or two bytes of file and tens to a few hundred bytes
	// decoded.
	maxItems = 1 << 19
	// maxRank bounds the dimensions of one tensor or value.
	maxRank = 64
	// maxElems bounds the elements of one tensor (2^31-1); a tensor's data
	// must also be in the file, so no tensor is larger than the file.
	maxElems = 1<<31 - 1
	// maxOpsets bounds the opset imports (every graph keeps a copy).
	maxOpsets = 64
)

// oneLine makes a message from elsewhere (a panic, onnx-go) fit an
// error of ours: its first line, at most 200 bytes, without pointer
// addresses (0x and 4 or more hex digits).
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '0' && i+1 < len(s) && s[i+1] == 'x' {
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'f' || s[j] >= 'A' && s[j] <= 'F') {
				j++
			}
			if j-i-2 >= 4 {
				b.WriteString("0x…")
				i = j - 1
				continue
			}
		}
		b.WriteByte(s[i])
	}
	s = b.String()
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// maxName is the most of a name a message prints.
const maxName = 64

// quote is %q of a name from the file, shortened to maxName bytes: a
// hostile file may name a node with megabytes, and messages repeat names
// (a nested graph's path names every enclosing node).
func quote(s string) string {
	if len(s) > maxName {
		return strconv.Quote(strings.ToValidUTF8(s[:maxName], "")) + "…"
	}
	return strconv.Quote(s)
}

// quoteOp prints an op type, shortened like quote, unquoted when it is a
// plain identifier (as real op types are).
func quoteOp(s string) string {
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return quote(s)
		}
	}
	if len(s) > maxName {
		return s[:maxName] + "…"
	}
	return s
}

// panicText describes a recovered panic without printing its value when
// that is not an error or a string (a struct would print its fields,
// pointers included).
func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return oneLine(v.Error())
	case string:
		return oneLine(v)
	}
	return fmt.Sprintf("a panic of type %T", r)
}
