//go:build !(js && wasm) || nodecli

package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/glimpse/glimpse/model/tag"
)

// tagPhotos is "glimpse tag": it tags every photo under the given files and
// folders. Bad files are skipped with a warning; the exit status is 0
// unless nothing could be tagged.
func tagPhotos(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tag")
	mf := addModelFlags(fs)
	asJSON := fs.Bool("json", false, "print a JSON array of photos")
	asCSV := fs.Bool("csv", false, "print CSV: file,hash,tags")
	threshold := fs.Float64("threshold", -1, "minimum probability of a tag (default 0.2, or the card's for multi-label models)")
	top := fs.Int("top", tag.DefaultTop, "at most this many tags per photo (single-label models)")
	mapPath := fs.String("map", "", "JSON object mapping labels to your own words")
	prevPath := fs.String("prev", "", "an earlier -json or -csv output: photos already in it are not classified again")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return usageError{"tag: no photos or folders given"}
	case *asJSON && *asCSV:
		return usageError{"tag: -json and -csv are exclusive"}
	case *top < 1:
		return usageError{"tag: -top must be at least 1"}
	case *threshold != -1 && !(*threshold >= 0 && *threshold <= 1):
		return usageError{"tag: -threshold must be between 0 and 1"}
	}
	if err := noneExist(fs.Args()); err != nil {
		return fmt.Errorf("tag: %v", err)
	}
	mapping, err := readMapping(*mapPath)
	if err != nil {
		return err
	}
	var prev map[string]tag.Record
	if *prevPath != "" {
		data, err := os.ReadFile(*prevPath)
		if err != nil {
			return fmt.Errorf("prev: %v", pathErr(err))
		}
		recs, err := tag.Read(data)
		if err != nil {
			return fmt.Errorf("prev: %s: %v", *prevPath, err)
		}
		prev = tag.ByHash(recs)
	}
	c, err := mf.load(stderr)
	if err != nil {
		return err
	}
	opt := tag.ForCard(c.Card.Output)
	opt.Top, opt.Map = *top, mapping
	if *threshold != -1 {
		opt.Threshold = float32(*threshold)
	}
	k := min(max(opt.K(classes(c)), *top, tag.DefaultTop), classes(c))

	photos := findPhotos(fs.Args(), stderr)
	if len(photos) == 0 {
		return fmt.Errorf("tag: no images found in %s", strings.Join(fs.Args(), ", "))
	}
	var recs []tag.Record
	for _, p := range photos {
		if r, ok := reuse(prev, p); ok {
			recs = append(recs, r)
			continue
		}
		hash, res, err := classifyPhoto(c, p, k)
		if err != nil {
			if len(photos) == 1 {
				return fmt.Errorf("%s: %v", p, oneLine(err))
			}
			warn(stderr, p, err)
			continue
		}
		recs = append(recs, tag.Record{File: p, Hash: hash, Tags: opt.Select(res), Scores: res[:min(len(res), max(*top, tag.DefaultTop))]})
	}
	if len(recs) == 0 {
		return fmt.Errorf("tag: none of the %d photos could be tagged", len(photos))
	}
	switch {
	case *asJSON:
		return tag.WriteJSON(stdout, recs)
	case *asCSV:
		return tag.WriteCSV(stdout, recs)
	}
	for _, r := range recs {
		fmt.Fprintf(stdout, "%s: %s\n", r.File, tagLine(r.Tags))
	}
	return nil
}

// reuse returns the earlier record of a photo whose bytes are unchanged,
// under its current path.
func reuse(prev map[string]tag.Record, path string) (tag.Record, bool) {
	if len(prev) == 0 {
		return tag.Record{}, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return tag.Record{}, false
	}
	r, ok := prev[tag.Hash(data)]
	r.File = path
	return r, ok
}

// tagLine is "tag (87%), tag (12%)".
func tagLine(tags []tag.Tag) string {
	if len(tags) == 0 {
		return "(no tags)"
	}
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = fmt.Sprintf("%s (%.0f%%)", t.Tag, 100*t.Score)
	}
	return strings.Join(parts, ", ")
}

// readMapping reads a -map file of label → word; "" is no mapping.
func readMapping(path string) (tag.Mapping, error) {
	if path == "" {
		return tag.Mapping{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return tag.Mapping{}, fmt.Errorf("map: %v", pathErr(err))
	}
	m, err := tag.ParseMapping(data)
	if err != nil {
		return tag.Mapping{}, fmt.Errorf("map: %s: %v", path, err)
	}
	return m, nil
}
