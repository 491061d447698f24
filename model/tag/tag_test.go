package tag

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
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
		{"±Inf never passes", Options{MultiLabel: true, Threshold: 0.5}, []vision.Result{res(0, "x", float32(math.Inf(1))), res(1, "y", float32(math.Inf(-1))), res(2, "z", 0.75)}, []Tag{{"z", 0.75}}},
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

func TestEscapeCell(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+1", "'+1"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"'=x", "''=x"},   // typed as text before: one more, so it reads back
		{"''-x", "'''-x"}, // and so on
		{"'80s.jpg", "'80s.jpg"},
		{"'", "'"},
		{"photo.jpg", "photo.jpg"},
		{"a=b", "a=b"},
		{"", ""},
		{"\x1b[31m", "\x1b[31m"}, // a spreadsheet shows it; terminals are the CLI's concern
	}
	for _, c := range cases {
		if got := EscapeCell(c.in); got != c.want {
			t.Errorf("EscapeCell(%q) = %q, want %q", c.in, got, c.want)
		}
		if back := UnescapeCell(EscapeCell(c.in)); back != c.in {
			t.Errorf("UnescapeCell(EscapeCell(%q)) = %q", c.in, back)
		}
	}
	if got := UnescapeCell("'=1+1"); got != "=1+1" { // typed by hand in a spreadsheet
		t.Errorf("hand-typed: %q", got)
	}
}

// No cell of WriteCSV starts like a formula, and ReadCSV gives back the
// names as they were.
func TestCSVFormulaInjection(t *testing.T) {
	recs := []Record{
		{File: "=cmd|' /C calc'!A0", Hash: h1, Tags: []Tag{{"=HYPERLINK(\"http://x\")", 0.5}, {"ok", 0.25}}, Scores: []vision.Result{}},
		{File: "+1.jpg", Tags: []Tag{{"-5 °C", 1}}, Scores: []vision.Result{}},
		{File: "@x.jpg", Tags: []Tag{{"@home", 1}}, Scores: []vision.Result{}},
		{File: "\ttab.jpg", Tags: []Tag{}, Scores: []vision.Result{}},
		{File: "\rcr.jpg", Tags: []Tag{{"'=quoted", 1}}, Scores: []vision.Result{}},
		{File: "-", Tags: []Tag{}, Scores: []vision.Result{}},
		{File: "'80s.jpg", Tags: []Tag{{"plain", 0.125}}, Scores: []vision.Result{}},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, recs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q starts like a formula", cell)
			}
		}
	}
	if rows[1][0] != "'=cmd|' /C calc'!A0" || rows[6][0] != "'-" || rows[7][0] != "'80s.jpg" || rows[1][1] != h1 {
		t.Errorf("rows %q", rows)
	}
	got, err := ReadCSV(bytes.NewReader(b.Bytes()))
	if err != nil || !reflect.DeepEqual(got, recs) {
		t.Errorf("read back %v:\n got %+v\nwant %+v", err, got, recs)
	}
}

// Scores that are NaN or infinite are written as null with "nonfinite" and
// a warning, never fail the write, and read back as they were.
func TestNonFiniteJSON(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	recs := []Record{
		{File: "ok.jpg", Hash: h1, Tags: []Tag{{"cat", 0.5}}, Scores: []vision.Result{res(1, "cat", 0.5)}},
		{File: "nan.jpg", Hash: h2, Tags: []Tag{}, Scores: []vision.Result{res(2, "x", inf), res(0, "y", -inf), res(1, "z", nan)},
			Warning: "the model produced NaN scores for 1 and infinite scores for 2 of 3 classes"},
		{File: "tag.jpg", Tags: []Tag{{"t", nan}}, Scores: []vision.Result{}}, // hand-made: a warning is added
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, recs); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b.Bytes()) {
		t.Fatalf("invalid JSON %s", b.String())
	}
	var raw []map[string]any
	json.Unmarshal(b.Bytes(), &raw)
	if _, ok := raw[0]["warning"]; ok {
		t.Errorf("warning on a finite record: %v", raw[0])
	}
	scores := raw[1]["scores"].([]any)
	for i, want := range []string{"+Inf", "-Inf", "NaN"} {
		s := scores[i].(map[string]any)
		if s["prob"] != nil || s["nonfinite"] != want {
			t.Errorf("score %d: %v, want prob null, nonfinite %s", i, s, want)
		}
	}
	if raw[1]["warning"] != recs[1].Warning {
		t.Errorf("warning %v", raw[1]["warning"])
	}
	if tags := raw[2]["tags"].([]any); tags[0].(map[string]any)["score"] != nil || raw[2]["warning"] == nil {
		t.Errorf("NaN tag score: %v", raw[2])
	}
	got, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	s := got[1].Scores
	if !math.IsInf(float64(s[0].Prob), 1) || !math.IsInf(float64(s[1].Prob), -1) || !math.IsNaN(float64(s[2].Prob)) || got[1].Warning != recs[1].Warning {
		t.Errorf("read back %+v", got[1])
	}
	if !reflect.DeepEqual(got[0], recs[0]) {
		t.Errorf("finite record: %+v", got[0])
	}
}

// Writer hands each record to the output as it is written, so what a run
// that stops leaves behind reads back; a finished run's bytes are those
// json.MarshalIndent gives the whole array of plain structs (the format
// before Writer and before Record.MarshalJSON).
func TestWriterStreams(t *testing.T) {
	for _, f := range []Format{JSON, CSV} {
		var b bytes.Buffer
		w := NewWriter(&b, f)
		if b.Len() != 0 {
			t.Errorf("format %d: wrote before the first record", f)
		}
		for i, r := range sample {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
			got, err := Read(b.Bytes()) // what a run killed now leaves
			if err != nil || len(got) != i+1 || got[i].File != r.File {
				t.Fatalf("format %d after %d records: %v %+v\n%s", f, i+1, err, got, b.String())
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if f == JSON {
			type plain Record // Record's fields without its MarshalJSON: the format before
			old := make([]plain, len(sample))
			for i, r := range sample {
				old[i] = plain(normal(r))
			}
			want, _ := json.MarshalIndent(old, "", "  ")
			if b.String() != string(want)+"\n" {
				t.Errorf("JSON:\n%s\nwant\n%s", b.String(), want)
			}
		}
	}
	var b bytes.Buffer
	NewWriter(&b, JSON).Close()
	if b.String() != "[]\n" {
		t.Errorf("no records: %q", b.String())
	}
	b.Reset()
	NewWriter(&b, CSV).Close()
	if b.String() != "file,hash,tags\n" {
		t.Errorf("no records: %q", b.String())
	}
	w := NewWriter(&failAfter{n: 1}, JSON)
	if err := w.Write(sample[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sample[1]); err == nil || w.Close() == nil || w.N() != 1 {
		t.Errorf("write error lost: %v, n %d", err, w.N())
	}
}

// failAfter accepts n writes, then fails.
type failAfter struct{ n, writes int }

func (f *failAfter) Write(p []byte) (int, error) {
	f.writes++
	if f.writes > f.n {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// A JSON array cut off after a whole record reads as the records before;
// one cut inside a record is still an error.
func TestReadJSONCutOff(t *testing.T) {
	var b bytes.Buffer
	WriteJSON(&b, sample[:2])
	full := b.String()
	end := strings.Index(full, "\n  },\n") + len("\n  }")
	for _, cut := range []string{full[:end], full[:end+1], full[:end+2]} {
		got, err := ReadJSON(strings.NewReader(cut))
		if err != nil || len(got) != 1 || got[0].File != sample[0].File {
			t.Errorf("%q: %v %+v", cut[len(cut)-5:], err, got)
		}
	}
	if _, err := ReadJSON(strings.NewReader(full[:end-3])); err == nil {
		t.Error("a record cut in half read without error")
	}
	if got, err := ReadJSON(strings.NewReader("[")); err != nil || len(got) != 0 {
		t.Errorf("only the bracket: %v %v", got, err)
	}
}
