package labels

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestTopK(t *testing.T) {
	probs := []float32{0.1, 0.3, 0.05, 0.3, 0.25, float32(math.NaN())}
	labels := []string{"a", "b", "c", "", "e"} // shorter than probs; one empty
	tests := []struct {
		k    int
		want []Result
	}{
		{3, []Result{{1, "b", 0.3}, {3, "class 3", 0.3}, {4, "e", 0.25}}},
		{0, []Result{}},
		{-2, []Result{}},
		{100, []Result{{1, "b", 0.3}, {3, "class 3", 0.3}, {4, "e", 0.25}, {0, "a", 0.1}, {2, "c", 0.05}, {5, "class 5", float32(math.NaN())}}},
	}
	for _, tc := range tests {
		got := TopK(probs, tc.k, labels)
		if len(got) != len(tc.want) {
			t.Fatalf("k=%d: got %v, want %v", tc.k, got, tc.want)
		}
		for i := range got {
			g, w := got[i], tc.want[i]
			if g.Index != w.Index || g.Label != w.Label || (g.Prob != w.Prob && !(g.Prob != g.Prob && w.Prob != w.Prob)) {
				t.Errorf("k=%d [%d]: got %+v, want %+v", tc.k, i, g, w)
			}
		}
	}
	// Ties by lower index, regardless of input order.
	eq := []float32{0.2, 0.2, 0.2, 0.2, 0.2}
	for i, r := range TopK(eq, 5, nil) {
		if r.Index != i || r.Label != "class "+string(rune('0'+i)) {
			t.Errorf("tie order: %+v at %d", r, i)
		}
	}
	if got := TopK(nil, 5, nil); len(got) != 0 {
		t.Errorf("empty probs: %v", got)
	}
	// Input is not modified.
	if probs[0] != 0.1 || probs[4] != 0.25 {
		t.Errorf("TopK modified its input")
	}
	b, err := json.Marshal(TopK([]float32{0.5}, 1, []string{"x"}))
	if err != nil || string(b) != `[{"index":0,"label":"x","prob":0.5}]` {
		t.Errorf("JSON = %s, %v", b, err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "a\nb\nc", []string{"a", "b", "c"}},
		{"final newline", "a\nb\n", []string{"a", "b"}},
		{"crlf", "a\r\nb c\r\n", []string{"a", "b c"}},
		{"trailing space", "a  \t\nb \r\n\n\n", []string{"a", "b"}},
		{"inner empty kept", "a\n\nc\n", []string{"a", "", "c"}},
		{"leading space kept", "  a\n", []string{"  a"}},
		{"bom", "\uFEFFtench\ngoldfish\n", []string{"tench", "goldfish"}},
	}
	for _, tc := range tests {
		got, err := Parse([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "\n", "\r\n\r\n", "  \n \n"} {
		if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("Parse(%q) err = %v, want empty error", bad, err)
		}
	}
}

func TestDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"tabby, tabby cat":                     "tabby",
		"malamute, malemute, Alaskan malamute": "malamute",
		"espresso":                             "espresso",
		"  spaced , x":                         "spaced",
		"":                                     "",
		", leading comma":                      "",
	} {
		if got := DisplayName(in); got != want {
			t.Errorf("DisplayName(%q) = %q, want %q", in, got, want)
		}
	}
}
