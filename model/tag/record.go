package tag

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/glimpse/glimpse/model/vision/labels"
)

// Record is one tagged photo. Hash, not File, identifies it: a photo that is
// renamed or moved keeps its tags, and a re-run skips it.
type Record struct {
	File   string          `json:"file"`
	Hash   string          `json:"hash"` // Hash of the file's bytes
	Tags   []Tag           `json:"tags"`
	Scores []labels.Result `json:"scores"` // the model's raw top-K
	Edited bool            `json:"edited"` // the user changed Tags by hand
	// Warning says what was wrong with the model's output for this photo
	// (scores that are NaN or infinite); JSON only, omitted when "".
	Warning string `json:"warning,omitempty"`
}

// Hash is the content key of a file: its SHA-256 as lower-case hex.
func Hash(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// ByHash indexes records by hash (a later record wins), for skipping photos
// already tagged.
func ByHash(recs []Record) map[string]Record {
	m := make(map[string]Record, len(recs))
	for _, r := range recs {
		if r.Hash != "" {
			m[r.Hash] = r
		}
	}
	return m
}

// WriteJSON writes records as one indented JSON array; missing tags and
// scores are written as [] so readers need not expect null, and scores that
// are not finite as null (see Score). Writer writes the same record by record.
func WriteJSON(w io.Writer, recs []Record) error {
	return writeAll(NewWriter(w, JSON), recs)
}

func writeAll(w *Writer, recs []Record) error {
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return w.Close()
}

func normal(r Record) Record {
	if r.Tags == nil {
		r.Tags = []Tag{}
	}
	if r.Scores == nil {
		r.Scores = []labels.Result{}
	}
	return r
}

// ReadJSON reads what WriteJSON wrote. Unknown fields are ignored (a newer
// version may add some); malformed JSON and invalid records are errors
// that name the record. An array that ends after a whole record without its
// closing bracket is what Writer leaves of a run that stopped midway: it is
// read as the records it holds.
func ReadJSON(r io.Reader) ([]Record, error) {
	dec := json.NewDecoder(r)
	notArray := func(err error) error { return fmt.Errorf("tag: not a JSON array of photos: %v", err) }
	tok, err := dec.Token()
	switch {
	case err != nil:
		return nil, notArray(err)
	case tok == nil: // null, as json.Unmarshal reads it into a nil slice
		return endOfJSON(dec, []Record{})
	case tok != json.Delim('['):
		return nil, notArray(fmt.Errorf("found %v, want [", tokenText(tok)))
	}
	recs := []Record{}
	for dec.More() {
		var rec Record
		if err := dec.Decode(&rec); err == io.EOF && len(recs) > 0 {
			return recs, nil // cut off after a comma, before the next record
		} else if err != nil {
			return nil, notArray(fmt.Errorf("photo %d: %v", len(recs)+1, err))
		}
		rec = normal(rec)
		if err := check(rec); err != nil {
			return nil, fmt.Errorf("tag: photo %d: %v", len(recs)+1, err)
		}
		recs = append(recs, rec)
	}
	switch tok, err := dec.Token(); {
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF): // a run that stopped: no closing bracket
		return recs, nil
	case err != nil:
		return nil, notArray(err)
	case tok != json.Delim(']'):
		return nil, notArray(fmt.Errorf("found %v, want ]", tokenText(tok)))
	}
	return endOfJSON(dec, recs)
}

func endOfJSON(dec *json.Decoder, recs []Record) ([]Record, error) {
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("tag: unexpected data after the JSON array")
	}
	return recs, nil
}

func tokenText(t json.Token) string {
	if d, ok := t.(json.Delim); ok {
		return string(d)
	}
	b, _ := json.Marshal(t)
	return string(b)
}

// check validates a record read from outside and lower-cases its hash.
func check(r Record) error {
	if r.File == "" && r.Hash == "" {
		return errors.New("neither file nor hash")
	}
	if r.Hash != "" {
		if len(r.Hash) != 64 {
			return fmt.Errorf("hash %q is not a SHA-256 (64 hex digits)", r.Hash)
		}
		if _, err := hex.DecodeString(r.Hash); err != nil {
			return fmt.Errorf("hash %q is not a SHA-256 (64 hex digits)", r.Hash)
		}
	}
	for _, t := range r.Tags {
		if strings.TrimSpace(t.Tag) == "" {
			return errors.New("empty tag")
		}
		if f := float64(t.Score); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("tag %q: score is not a number", t.Tag)
		}
	}
	return nil
}

// csvHeader is the first row WriteCSV writes.
var csvHeader = []string{"file", "hash", "tags"}

// WriteCSV writes a header and one row per photo: file, hash, and the tags
// as "tag:score;tag:score" (scores as short as round-trips float32). In tag
// names '%', ':' and ';' are written as %25, %3A and %3B so any word
// survives, and a cell that a spreadsheet would run as a formula gets a
// leading apostrophe (EscapeCell). CSV holds what a spreadsheet needs: raw
// scores, warnings and the edited flag are JSON only. Writer writes the same
// row by row.
func WriteCSV(w io.Writer, recs []Record) error {
	return writeAll(NewWriter(w, CSV), recs)
}

var (
	tagEscaper   = strings.NewReplacer("%", "%25", ":", "%3A", ";", "%3B")
	tagUnescaper = strings.NewReplacer("%25", "%", "%3A", ":", "%3a", ":", "%3B", ";", "%3b", ";")
)

// ReadCSV reads what WriteCSV wrote, and what a spreadsheet makes of it:
// the header row is optional, a byte-order mark, CRLF line ends, quoted
// fields (commas and quotes in file names), blank lines and spaces around
// tags are fine, a tag without ":score" (typed by hand) gets score 1, and the
// apostrophe of a neutralised cell is removed (UnescapeCell).
// Rows with other than three fields, bad scores and bad hashes are errors
// that give the line.
func ReadCSV(r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\uFEFF")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	recs := []Record{}
	for first := true; ; first = false {
		row, err := cr.Read()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tag: CSV: %v", err)
		}
		line, _ := cr.FieldPos(0)
		if first && len(row) == 3 && slices.EqualFunc(row, csvHeader, strings.EqualFold) {
			continue
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		if len(row) != 3 {
			return nil, fmt.Errorf("tag: CSV line %d: %d fields, want 3 (file,hash,tags)", line, len(row))
		}
		for i := range row {
			row[i] = UnescapeCell(row[i])
		}
		rec := Record{File: row[0], Hash: strings.ToLower(strings.TrimSpace(row[1])), Tags: []Tag{}, Scores: []labels.Result{}}
		for _, part := range strings.Split(row[2], ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, score := part, float32(1)
			if i := strings.LastIndexByte(part, ':'); i >= 0 {
				name = part[:i]
				f, err := strconv.ParseFloat(strings.TrimSpace(part[i+1:]), 32)
				if err != nil {
					return nil, fmt.Errorf("tag: CSV line %d: tag %q: score %q is not a number", line, part, part[i+1:])
				}
				score = float32(f)
			}
			rec.Tags = append(rec.Tags, Tag{Tag: tagUnescaper.Replace(strings.TrimSpace(name)), Score: score})
		}
		if err := check(rec); err != nil {
			return nil, fmt.Errorf("tag: CSV line %d: %v", line, err)
		}
		recs = append(recs, rec)
	}
}

// Read reads records in either format: JSON when the first non-space byte
// is '[' (or '{', to say it is not an array), CSV otherwise.
func Read(data []byte) ([]Record, error) {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n")
	if len(t) > 0 && (t[0] == '[' || t[0] == '{') {
		return ReadJSON(bytes.NewReader(t))
	}
	return ReadCSV(bytes.NewReader(data))
}
