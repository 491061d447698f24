package tag

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/vision/labels"
)

// JSON has no NaN or infinity, and encoding/json fails on them, so one
// broken output of a stranger's model would abort a whole run. Scores that
// are not finite are therefore written as null with a "nonfinite" field that
// says which ("NaN", "+Inf" or "-Inf"), and the record gets a "warning".
// Finite scores are written exactly as before, so readers that never see a
// broken model see no change; ReadJSON turns the pair back into NaN or ±Inf.

// Score is a ranked class as JSON output writes it: labels.Result, with a
// score that is not finite written as null plus NonFinite.
type Score struct {
	Index     int      `json:"index"`
	Label     string   `json:"label"`
	Prob      *float32 `json:"prob"`                // null when the model's score is NaN or ±Inf
	NonFinite string   `json:"nonfinite,omitempty"` // "NaN", "+Inf" or "-Inf" when Prob is null
}

// Scores converts ranked results for JSON output; nil stays nil.
func Scores(rs []labels.Result) []Score {
	if rs == nil {
		return nil
	}
	out := make([]Score, len(rs))
	for i, r := range rs {
		out[i] = Score{Index: r.Index, Label: r.Label}
		if nf := NonFinite(r.Prob); nf != "" {
			out[i].NonFinite = nf
		} else {
			p := r.Prob
			out[i].Prob = &p
		}
	}
	return out
}

// Result is the labels.Result a Score was made from: a null Prob is the
// value NonFinite names, or 0 when it names none (a hand-made file).
func (s Score) Result() labels.Result {
	r := labels.Result{Index: s.Index, Label: s.Label}
	switch {
	case s.Prob != nil:
		r.Prob = *s.Prob
	case s.NonFinite == "NaN":
		r.Prob = float32(math.NaN())
	case s.NonFinite == "+Inf":
		r.Prob = float32(math.Inf(1))
	case s.NonFinite == "-Inf":
		r.Prob = float32(math.Inf(-1))
	}
	return r
}

// NonFinite is "NaN", "+Inf" or "-Inf" for such a score, "" for a number.
func NonFinite(f float32) string {
	switch {
	case f != f:
		return "NaN"
	case math.IsInf(float64(f), 1):
		return "+Inf"
	case math.IsInf(float64(f), -1):
		return "-Inf"
	}
	return ""
}

// Finite is false for NaN and ±Inf.
func Finite(f float32) bool { return NonFinite(f) == "" }

// Warning describes the scores of a model's output that are not finite
// numbers, "" when there are none: nan and inf are how many of n classes
// scored NaN and ±Inf.
func Warning(nan, inf, n int) string {
	if nan == 0 && inf == 0 {
		return ""
	}
	var what string
	switch {
	case inf == 0:
		what = fmt.Sprintf("NaN scores for %d of %d classes", nan, n)
	case nan == 0:
		what = fmt.Sprintf("infinite scores for %d of %d classes", inf, n)
	default:
		what = fmt.Sprintf("NaN scores for %d and infinite scores for %d of %d classes", nan, inf, n)
	}
	return "the model produced " + what
}

// CountNonFinite counts the NaN and the infinite values of probs.
func CountNonFinite(probs []float32) (nan, inf int) {
	for _, p := range probs {
		switch {
		case p != p:
			nan++
		case math.IsInf(float64(p), 0):
			inf++
		}
	}
	return nan, inf
}

// jsonTag is a Tag as JSON holds it: a score that is not finite (which
// Select never picks, but a hand-made record may hold) is null.
type jsonTag struct {
	Tag   string   `json:"tag"`
	Score *float32 `json:"score"`
}

// jsonRecord is a Record as JSON holds it; the field order is the file
// format's.
type jsonRecord struct {
	File    string    `json:"file"`
	Hash    string    `json:"hash"`
	Tags    []jsonTag `json:"tags"`
	Scores  []Score   `json:"scores"`
	Edited  bool      `json:"edited"`
	Warning string    `json:"warning,omitempty"`
}

// MarshalJSON writes a record with scores that are not finite as null (see
// Score); such a record always carries a warning.
func (r Record) MarshalJSON() ([]byte, error) {
	j := jsonRecord{File: r.File, Hash: r.Hash, Edited: r.Edited, Warning: r.Warning, Scores: Scores(r.Scores)}
	bad := 0
	if r.Tags != nil {
		j.Tags = make([]jsonTag, len(r.Tags))
		for i, t := range r.Tags {
			j.Tags[i].Tag = t.Tag
			if Finite(t.Score) {
				s := t.Score
				j.Tags[i].Score = &s
			} else {
				bad++
			}
		}
	}
	nan, inf := CountNonFinite(resultProbs(r.Scores))
	if bad+nan+inf > 0 && j.Warning == "" {
		j.Warning = fmt.Sprintf("%d scores are not finite numbers (NaN or infinite) and are written as null", bad+nan+inf)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote: a null score with "nonfinite"
// becomes NaN or ±Inf again, a bare null score 0.
func (r *Record) UnmarshalJSON(b []byte) error {
	var j jsonRecord
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Record{File: j.File, Hash: j.Hash, Edited: j.Edited, Warning: j.Warning}
	if j.Tags != nil {
		r.Tags = make([]Tag, len(j.Tags))
		for i, t := range j.Tags {
			r.Tags[i].Tag = t.Tag
			if t.Score != nil {
				r.Tags[i].Score = *t.Score
			}
		}
	}
	if j.Scores != nil {
		r.Scores = make([]labels.Result, len(j.Scores))
		for i, s := range j.Scores {
			r.Scores[i] = s.Result()
		}
	}
	return nil
}

func resultProbs(rs []labels.Result) []float32 {
	p := make([]float32, len(rs))
	for i, r := range rs {
		p[i] = r.Prob
	}
	return p
}
