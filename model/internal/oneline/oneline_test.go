package oneline

import "testing"

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"first\nsecond", "first"},
		{"at 0xc000123456 and 0x1f", "at 0x… and 0x1f"},
		{"abcdefghij", "abcde…"},
	} {
		most := 200
		if c.in == "abcdefghij" {
			most = 5
		}
		if got := Clean(c.in, most); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPanic(t *testing.T) {
	type secret struct{ p *int }
	for _, c := range []struct {
		r    any
		want string
	}{
		{"boom\nstack", "boom"},
		{errString("bad 0xc000abcdef"), "bad 0x…"},
		{secret{}, "a panic of type oneline.secret"},
	} {
		if got := Panic(c.r); got != c.want {
			t.Errorf("Panic(%T) = %q, want %q", c.r, got, c.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
