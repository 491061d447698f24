// Package tag turns classifier results into a photo's tags, keeps them under
// a content hash so a re-run skips photos already done, and moves them in
// and out as JSON and CSV.
//
// It is pure Go with no file system access (callers hand it bytes and
// readers), so the browser can run it in wasm on photos that never leave the
// device.
package tag

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/vision/labels"
)

// Defaults for single-label (softmax) models: a photo gets at most
// DefaultTop tags, each with probability at least DefaultThreshold. Five
// ImageNet classes above 0.2 cannot all happen, so in practice the
// threshold decides; the cap matters when a user lowers it.
const (
	DefaultTop       = 5
	DefaultThreshold = 0.2
)

// Tag is one word on a photo with the model's score for it.
type Tag struct {
	Tag   string  `json:"tag"`
	Score float32 `json:"score"`
}

// Options decide which classes become tags.
type Options struct {
	// MultiLabel models (sigmoid outputs) tag every class at or above its
	// threshold; single-label models tag their first Top classes at or above
	// Threshold.
	MultiLabel bool
	Top        int     // single-label only; 0 means DefaultTop
	Threshold  float32 // the minimum probability; classes in ClassThresholds use theirs
	// ClassThresholds overrides Threshold for some classes (by index);
	// multi-label models are often tuned per class.
	ClassThresholds map[int]float32
	Map             Mapping // the user's own words; the zero Mapping keeps display names
}

// ForCard returns the options a model's card implies: multi-label cards
// keep their threshold, single-label ones get the defaults.
func ForCard(out card.Output) Options {
	if out.MultiLabel || out.Activation == card.ActivationSigmoid {
		th := out.Threshold
		if th == 0 {
			th = card.DefaultThreshold
		}
		o := Options{MultiLabel: true, Threshold: th}
		if len(out.Thresholds) > 0 {
			o.ClassThresholds = map[int]float32{}
			for i, t := range out.Thresholds {
				o.ClassThresholds[i] = t
			}
		}
		return o
	}
	return Options{Top: DefaultTop, Threshold: DefaultThreshold}
}

// K is how many ranked results Select needs from a model with the given
// number of classes: all of them for a multi-label model.
func (o Options) K(classes int) int {
	if o.MultiLabel {
		return classes
	}
	return min(o.top(), classes)
}

func (o Options) top() int {
	if o.Top <= 0 {
		return DefaultTop
	}
	return o.Top
}

// Select picks tags from ranked results (best first, as Classifier.Classify
// returns them). Labels become their first synonym ("tabby, tabby cat" →
// "tabby"), then the user's word; tags that end up with the same word keep
// the highest score. Tags come best first, equal scores by name. Scores
// that are NaN or infinite (a broken model) never make a tag.
func (o Options) Select(ranked []labels.Result) []Tag {
	if !o.MultiLabel && len(ranked) > o.top() {
		ranked = ranked[:o.top()]
	}
	best := map[string]float32{}
	for _, r := range ranked {
		th, ok := o.ClassThresholds[r.Index]
		if !ok {
			th = o.Threshold
		}
		if !(r.Prob >= th) || !Finite(r.Prob) { // NaN and ±Inf are no probability: never a tag
			continue
		}
		w := o.Map.Word(r.Label)
		if s, ok := best[w]; !ok || r.Prob > s {
			best[w] = r.Prob
		}
	}
	tags := make([]Tag, 0, len(best))
	for w, s := range best {
		tags = append(tags, Tag{w, s})
	}
	slices.SortFunc(tags, func(a, b Tag) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	return tags
}

// Mapping maps model labels to the user's own words, e.g. "tabby", "tiger
// cat" and "Egyptian cat" to "cat". Keys match case-insensitively against
// the full label or any of its comma-separated synonyms.
type Mapping struct{ m map[string]string }

// NewMapping checks and normalises a mapping: keys and words are trimmed;
// an empty key or word, or two keys that differ only in case but map to
// different words, are errors.
func NewMapping(m map[string]string) (Mapping, error) {
	out := Mapping{m: make(map[string]string, len(m))}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		key, word := norm(k), strings.TrimSpace(m[k])
		if key == "" {
			return Mapping{}, fmt.Errorf("tag: mapping has an empty label (mapped to %q)", m[k])
		}
		if word == "" {
			return Mapping{}, fmt.Errorf("tag: mapping gives label %q an empty word", k)
		}
		if w, ok := out.m[key]; ok && w != word {
			return Mapping{}, fmt.Errorf("tag: mapping gives label %q two words: %q and %q", k, w, word)
		}
		out.m[key] = word
	}
	return out, nil
}

// ParseMapping reads a mapping from a JSON object {"label": "word", ...}.
func ParseMapping(data []byte) (Mapping, error) {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return Mapping{}, fmt.Errorf("tag: mapping is not a JSON object of label to word: %v", err)
	}
	return NewMapping(m)
}

// Word is the tag for a label: the user's word if the mapping has the full
// label or one of its synonyms (first match in label order), otherwise the
// label's first synonym.
func (m Mapping) Word(label string) string {
	if len(m.m) > 0 {
		if w, ok := m.m[norm(label)]; ok {
			return w
		}
		for _, syn := range strings.Split(label, ",") {
			if w, ok := m.m[norm(syn)]; ok {
				return w
			}
		}
	}
	return labels.DisplayName(label)
}

// Len is the number of labels mapped.
func (m Mapping) Len() int { return len(m.m) }

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
