// Package oneline makes a message from elsewhere (a panic, onnx-go,
// encoding/json) fit an error of ours: one line, bounded, and without
// pointer addresses. The decoders, the importer and the model check share it.
package oneline

import (
	"fmt"
	"strconv"
	"strings"
)

// Clean is the first line of s, at most most bytes (then "…"), with
// pointer addresses (0x and 4 or more hex digits) written as "0x…".
func Clean(s string, most int) string {
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
	if len(s) > most {
		s = strings.ToValidUTF8(s[:most], "") + "…"
	}
	return s
}

// Panic describes a recovered panic value in one clean line, without
// printing the value when it is not an error or a string (a struct would
// print its fields, pointers included).
func Panic(r any) string {
	switch v := r.(type) {
	case error:
		return Clean(v.Error(), 200)
	case string:
		return Clean(v, 200)
	}
	return fmt.Sprintf("a panic of type %T", r)
}

// maxName is the most of a name from a file that a message prints.
const maxName = 64

// Quote is %q of a name from a model file, shortened to 64 bytes: a
// hostile file may name a node with megabytes, and messages repeat names
// (a nested graph's path names every enclosing node).
func Quote(s string) string {
	if len(s) > maxName {
		return strconv.Quote(strings.ToValidUTF8(s[:maxName], "")) + "…"
	}
	return strconv.Quote(s)
}

// QuoteOp prints an op type, shortened like Quote, unquoted when it is a
// plain identifier (as real op types are).
func QuoteOp(s string) string {
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return Quote(s)
		}
	}
	if len(s) > maxName {
		return s[:maxName] + "…"
	}
	return s
}
