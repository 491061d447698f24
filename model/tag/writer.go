package tag

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Format is an output format of Writer.
type Format int

// Formats.
const (
	JSON Format = iota // one indented JSON array, as WriteJSON writes it
	CSV                // a header and one row per photo, as WriteCSV writes it
)

// Writer writes records one at a time, each passed to the underlying writer
// before Write returns (CSV rows are flushed one by one), so the output of a
// run that stops midway holds every photo written so far: whole CSV rows,
// or a JSON array that lacks only its closing bracket, which ReadJSON (and
// so -prev) still reads. The bytes of a finished run are exactly those of
// WriteJSON or WriteCSV.
type Writer struct {
	w      io.Writer
	format Format
	cw     *csv.Writer
	n      int
	closed bool
	err    error
}

// NewWriter returns a Writer of the format to w. Nothing is written before
// the first Write or Close.
func NewWriter(w io.Writer, format Format) *Writer {
	tw := &Writer{w: w, format: format}
	if format == CSV {
		tw.cw = csv.NewWriter(w)
	}
	return tw
}

// N is how many records were written.
func (w *Writer) N() int { return w.n }

var errClosed = errors.New("tag: write to a closed Writer")

// Write writes one record. After an error every call returns it.
func (w *Writer) Write(r Record) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errClosed
	}
	switch w.format {
	case CSV:
		if w.n == 0 {
			w.err = w.cw.Write(csvHeader)
		}
		if w.err == nil {
			w.err = w.cw.Write(csvRow(r))
		}
		if w.err == nil {
			w.cw.Flush()
			w.err = w.cw.Error()
		}
	default:
		b, err := json.MarshalIndent(normal(r), "  ", "  ")
		if err != nil {
			w.err = err
			break
		}
		sep := ",\n  "
		if w.n == 0 {
			sep = "[\n  "
		}
		_, w.err = w.w.Write(append([]byte(sep), b...))
	}
	if w.err == nil {
		w.n++
	}
	return w.err
}

// Close ends the output: the JSON array's closing bracket ("[]" when no
// record was written), or the CSV header alone when no row was. It does not
// close the underlying writer; a second Close does nothing.
func (w *Writer) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	w.closed = true
	switch w.format {
	case CSV:
		if w.n == 0 {
			w.err = w.cw.Write(csvHeader)
		}
		w.cw.Flush()
		if w.err == nil {
			w.err = w.cw.Error()
		}
	default:
		end := "\n]\n"
		if w.n == 0 {
			end = "[]\n"
		}
		_, w.err = io.WriteString(w.w, end)
	}
	return w.err
}

// csvRow is a record's CSV row: file, hash, and the tags as
// "tag:score;tag:score", text cells neutralised (EscapeCell).
func csvRow(r Record) []string {
	parts := make([]string, len(r.Tags))
	for i, t := range r.Tags {
		parts[i] = tagEscaper.Replace(t.Tag) + ":" + strconv.FormatFloat(float64(t.Score), 'g', -1, 32)
	}
	return []string{EscapeCell(r.File), EscapeCell(r.Hash), EscapeCell(strings.Join(parts, ";"))}
}
