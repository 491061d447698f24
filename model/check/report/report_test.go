package report

import (
	"strings"
	"testing"
)

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1536: "1.5 KB", 3 << 20: "3.0 MB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestText(t *testing.T) {
	r := &Report{Model: "m", Opset: 13, Nodes: 3,
		Ops:         []Op{{Op: "Relu", Count: 2, CPU: true}, {Op: "FancyWarp", Count: 1}},
		Unsupported: []Unsupported{{Op: "FancyWarp", Count: 1, Nodes: []string{"a", "b", "c", "d"}}},
		Verdict:     CannotRun, Reason: "the CPU backend lacks 1 op"}
	s := r.Text()
	for _, want := range []string{"model     m; IR version 0, opset 13", "3 nodes of 2 types; 1 op type missing", "UNSUPPORTED",
		`FancyWarp: nodes "a", "b", "c" and 1 more`, "verdict   cannot run: the CPU backend lacks 1 op"} {
		if !strings.Contains(s, want) {
			t.Errorf("text lacks %q:\n%s", want, s)
		}
	}
	r.Verdict, r.Reason = Mismatch, "output differs"
	if got := r.Summary(); !strings.HasPrefix(got, "mismatch: output differs; Glimpse falls back") {
		t.Errorf("summary %q", got)
	}
}
