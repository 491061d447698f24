package tag

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/vision"
)

func res(i int, label string, p float32) vision.Result {
	return vision.Result{Index: i, Label: label, Prob: p}
}

var cats = []vision.Result{
	res(281, "tabby, tabby cat", 0.45),
	res(282, "tiger cat", 0.30),
	res(285, "Egyptian cat", 0.15),
	res(287, "lynx, catamount", 0.06),
	res(904, "window screen", 0.02),
	res(905, "window shade", 0.01),
}

func mustMap(t *testing.T, m map[string]string) Mapping {
	t.Helper()
	mp, err := NewMapping(m)
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

func TestSelect(t *testing.T) {
	catMap := mustMap(t, map[string]string{"Tabby": "cat", "tiger cat": "cat", "egyptian CAT": "cat", "catamount": "big cat"})
	cases := []struct {
		name   string
		opt    Options
		ranked []vision.Result
		want   []Tag
	}{
		{"defaults: threshold 0.2, first synonym", ForCard(card.Output{Activation: "softmax"}), cats, []Tag{{"tabby", 0.45}, {"tiger cat", 0.30}}},
		{"lower threshold, top cut", Options{Top: 3, Threshold: 0.01}, cats, []Tag{{"tabby", 0.45}, {"tiger cat", 0.30}, {"Egyptian cat", 0.15}}},
		{"threshold is inclusive", Options{Threshold: 0.15}, cats, []Tag{{"tabby", 0.45}, {"tiger cat", 0.30}, {"Egyptian cat", 0.15}}},
		{"mapping merges with max", Options{Threshold: 0.05, Map: catMap}, cats, []Tag{{"cat", 0.45}, {"big cat", 0.06}}},
		{"a synonym maps too", Options{Threshold: 0.05, Map: mustMap(t, map[string]string{"tabby cat": "kitty"})}, cats[:1], []Tag{{"kitty", 0.45}}},
		{"nothing above", Options{Threshold: 0.9}, cats, []Tag{}},
		{"NaN never passes", Options{Threshold: 0}, []vision.Result{res(0, "x", float32(math.NaN()))}, []Tag{}},
		{"multi-label: all above, no top cut", Options{MultiLabel: true, Threshold: 0.01, Top: 1}, cats, []Tag{{"tabby", 0.45}, {"tiger cat", 0.30}, {"Egyptian cat", 0.15}, {"lynx", 0.06}, {"window screen", 0.02}, {"window shade", 0.01}}},
		{"multi-label per-class thresholds", Options{MultiLabel: true, Threshold: 0.5, ClassThresholds: map[int]float32{285: 0.1, 904: 0.02}}, cats, []Tag{{"Egyptian cat", 0.15}, {"window screen", 0.02}}},
		{"equal scores by name", Options{Threshold: 0.1}, []vision.Result{res(1, "b", 0.5), res(0, "a", 0.5)}, []Tag{{"a", 0.5}, {"b", 0.5}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.opt.Select(c.ranked); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestForCardAndK(t *testing.T) {
	multi := ForCard(card.Output{Activation: "none", MultiLabel: true, Threshold: 0.3})
	if !multi.MultiLabel || multi.Threshold != 0.3 || multi.K(80) != 80 {
		t.Errorf("multi-label %+v", multi)
	}
	if sig := ForCard(card.Output{Activation: "sigmoid"}); !sig.MultiLabel || sig.Threshold != card.DefaultThreshold {
		t.Errorf("sigmoid %+v", sig)
	}
	single := ForCard(card.Output{Activation: "softmax"})
	if single.MultiLabel || single.Threshold != DefaultThreshold || single.K(1000) != DefaultTop || single.K(3) != 3 {
		t.Errorf("single-label %+v", single)
	}
	if (Options{Top: 2}).K(1000) != 2 || (Options{}).K(1000) != DefaultTop {
		t.Error("K")
	}
}

func TestMappingErrors(t *testing.T) {
	for _, bad := range []string{`[1,2]`, `{"a": 1}`, `{"": "x"}`, `{"a": "  "}`, `{"Cat": "x", "cat": "y"}`, `not json`} {
		if _, err := ParseMapping([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: multi-line error %q", bad, err)
		}
	}
	m, err := ParseMapping([]byte(`{"Cat": "x", "cat": "x"}`))
	if err != nil || m.Len() != 1 || m.Word("CAT") != "x" || m.Word("dog, doggy") != "dog" {
		t.Errorf("%v %v", m, err)
	}
	if (Mapping{}).Word("tabby, tabby cat") != "tabby" {
		t.Error("zero mapping")
	}
}

func TestHash(t *testing.T) {
	if h := Hash([]byte("abc")); h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("sha256(abc) = %s", h)
	}
	recs := []Record{{File: "a", Hash: "h1"}, {File: "b", Hash: "h2"}, {File: "c", Hash: "h1"}, {File: "d"}}
	m := ByHash(recs)
	if len(m) != 2 || m["h1"].File != "c" {
		t.Errorf("%v", m)
	}
}

var h1, h2 = Hash([]byte("one")), Hash([]byte("two"))

var sample = []Record{
	{File: "photos/cat.jpg", Hash: h1, Tags: []Tag{{"cat", 0.87}, {"tiger cat", 0.12}},
		Scores: []vision.Result{res(281, "tabby, tabby cat", 0.87), res(282, "tiger cat", 0.12)}},
	{File: `odd, "name"; with:colon.png`, Hash: h2, Tags: []Tag{{"a;b:c%d", 1}, {"3:30", 0.5}}, Scores: []vision.Result{}, Edited: true},
	{File: "line\nbreak.gif", Hash: "", Tags: []Tag{}, Scores: []vision.Result{}},
	{File: "tiny.bmp", Hash: h1, Tags: []Tag{{"x", 1e-7}, {"y", 0.1}}, Scores: []vision.Result{}},
}

func TestJSONRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, sample)
	}
	b.Reset()
	WriteJSON(&b, []Record{{File: "x"}})
	if !strings.Contains(b.String(), `"tags": []`) || !strings.Contains(b.String(), `"scores": []`) {
		t.Errorf("nil slices written as %s", b.String())
	}
}

func TestCSVRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, sample); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	want := make([]Record, len(sample))
	for i, r := range sample { // CSV carries file, hash and tags
		want[i] = Record{File: r.File, Hash: r.Hash, Tags: r.Tags, Scores: []vision.Result{}}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v\n%s", got, want, b.String())
	}
	if !strings.HasPrefix(b.String(), "file,hash,tags\n") {
		t.Errorf("no header: %q", b.String())
	}
	if viaRead, err := Read(b.Bytes()); err != nil || !reflect.DeepEqual(viaRead, want) {
		t.Errorf("Read(CSV): %v", err)
	}
}

func TestCSVTolerant(t *testing.T) {
	in := "\uFEFF\"my photo, 2.jpg\", " + strings.ToUpper(h1) + " , cat:0.5 ; dog ;; \r\n\r\nb.jpg,,\r\n"
	got, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{
		{File: "my photo, 2.jpg", Hash: h1, Tags: []Tag{{"cat", 0.5}, {"dog", 1}}, Scores: []vision.Result{}},
		{File: "b.jpg", Tags: []Tag{}, Scores: []vision.Result{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestMalformed(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"csv two fields", "file,hash,tags\na.jpg,x\n", "line 2: 2 fields"},
		{"csv bad score", "a.jpg,,cat:lots\n", `line 1: tag "cat:lots": score "lots"`},
		{"csv bad hash", "a.jpg,abc,cat:1\n", `line 1: hash "abc"`},
		{"csv bare quote", "\"a.jpg,,cat\n", "CSV"},
		{"csv empty tag", "a.jpg,,:0.5\n", "empty tag"},
		{"json not array", `{"file": "a"}`, "not a JSON array"},
		{"json truncated", `[{"file": "a"`, "not a JSON array"},
		{"json trailing", `[] []`, "after the JSON array"},
		{"json bad hash", `[{"file": "a", "hash": "zz"}]`, `photo 1: hash "zz"`},
		{"json no file", `[{"tags": []}]`, "photo 1: neither file nor hash"},
		{"json empty tag", `[{"file": "a", "tags": [{"tag": " ", "score": 1}]}]`, "empty tag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, c.want)
			}
		})
	}
	if recs, err := Read([]byte("  \n")); err != nil || len(recs) != 0 {
		t.Errorf("empty input: %v %v", recs, err)
	}
}

func TestCounts(t *testing.T) {
	recs := []Record{
		{Tags: []Tag{{"cat", 1}, {"sofa", 0.3}}},
		{Tags: []Tag{{"cat", 0.9}, {"cat", 0.2}}}, // twice on one photo counts once
		{Tags: []Tag{{"Dog", 0.8}, {"apple", 0.5}}},
		{},
	}
	want := map[Order][]Count{
		ByCount: {{"cat", 2}, {"apple", 1}, {"Dog", 1}, {"sofa", 1}},
		ByName:  {{"apple", 1}, {"cat", 2}, {"Dog", 1}, {"sofa", 1}},
	}
	for o, w := range want {
		if got := Counts(recs, o); !reflect.DeepEqual(got, w) {
			t.Errorf("order %d: %v, want %v", o, got, w)
		}
	}
	if got := Counts(nil, ByCount); got == nil || len(got) != 0 {
		t.Errorf("no records: %#v", got)
	}
}
