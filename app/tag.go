//go:build !(js && wasm) || nodecli

package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/glimpse/glimpse/model/tag"
)

// tagPhotos is "glimpse tag": it tags every photo under the given files and
// folders, writing each photo's result as soon as it is done (JSON record by
// record, CSV row by row, text line by line), so a run that stops midway
// keeps every photo before it. Bad files are skipped with a warning; the
// exit status is 0 unless nothing could be tagged, or the model produced
// scores that are NaN or infinite for some photo (each is still written,
// with a warning, and makes the status 1).
func tagPhotos(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tag")
	mf := addModelFlags(fs)
	asJSON := fs.Bool("json", false, "print a JSON array of photos")
	asCSV := fs.Bool("csv", false, "print CSV: file,hash,tags")
	threshold := fs.Float64("threshold", -1, "minimum probability of a tag (default 0.2, or the card's for multi-label models)")
	top := fs.Int("top", tag.DefaultTop, "at most this many tags per photo (single-label models)")
	mapPath := fs.String("map", "", "JSON object mapping labels to your own words")
	var prevPaths []string
	fs.Func("prev", "an earlier -json or -csv output: photos already in it are not classified again; repeat it (or separate files by commas) to merge the outputs of several runs, such as the shards of one folder", func(v string) error {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				prevPaths = append(prevPaths, p)
			}
		}
		return nil
	})
	shardFlag := fs.String("shard", "", "I/N: tag only the photos of shard I of N (0 ≤ I < N), chosen by a hash of each photo's content, so N runs on any machines split a folder between them without overlap; merge their outputs with -prev")
	workers := workersFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	sh, err := parseShard(*shardFlag)
	if err != nil {
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
	case *workers < 1:
		return usageError{"tag: -workers must be at least 1"}
	}
	if err := noneExist(fs.Args()); err != nil {
		return fmt.Errorf("tag: %v", err)
	}
	mapping, err := readMapping(*mapPath)
	if err != nil {
		return err
	}
	var prev map[string]tag.Record
	if len(prevPaths) > 0 {
		var all []tag.Record
		for _, p := range prevPaths {
			data, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("prev: %v", pathErr(err))
			}
			recs, err := tag.Read(data)
			if err != nil {
				return fmt.Errorf("prev: %s: %v", p, err)
			}
			all = append(all, recs...)
		}
		prev = tag.ByHash(all) // a later file wins
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
	out := newRecordWriter(stdout, *asJSON, *asCSV)
	defer func() {
		if out.N() > 0 {
			out.Close() // a run that stops (a panic) still ends its JSON array
		}
	}()
	cls, err := copies(c, min(*workers, len(photos)))
	if err != nil {
		return err
	}
	type result struct {
		r    tag.Record
		skip bool // another shard's
		err  error
	}
	broken, failed := 0, 0
	err = inOrder(len(photos), len(cls), func(w, i int) result {
		p := photos[i]
		if sh.n > 0 || prev != nil {
			data, err := os.ReadFile(p)
			if err != nil {
				return result{err: unwrapPath(err)}
			}
			hash := tag.Hash(data)
			if sh.n > 0 && !sh.has(hash) {
				return result{skip: true}
			}
			if r, ok := prev[hash]; ok && (r.Warning == "" || r.Edited) { // one the model failed on last time is tried again
				r.File = p
				return result{r: r}
			}
		}
		hash, res, warning, err := tagClassify(cls[w], p, k)
		if err != nil {
			return result{err: err}
		}
		return result{r: tag.Record{File: p, Hash: hash, Tags: opt.Select(res), Scores: res[:min(len(res), max(*top, tag.DefaultTop))], Warning: warning}}
	}, func(i int, x result) error {
		p := photos[i]
		switch {
		case x.skip:
			return nil
		case x.err != nil:
			if len(photos) == 1 {
				return fmt.Errorf("%s: %v", p, oneLine(x.err))
			}
			warn(stderr, p, x.err)
			failed++
			return nil
		}
		if x.r.Warning != "" && !x.r.Edited { // an edited record's tags are the user's
			fmt.Fprintf(stderr, "glimpse: warning: %s: %s\n", termSafe(p), termSafe(x.r.Warning))
			broken++
		}
		if err := out.Write(x.r); err != nil {
			return fmt.Errorf("tag: writing the output: %v", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if out.N() == 0 && sh.n > 0 && failed == 0 {
		return out.Close() // no photo of this shard here: an empty result, not a failure
	}
	if out.N() == 0 {
		return fmt.Errorf("tag: none of the %d photos could be tagged", len(photos))
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("tag: writing the output: %v", err)
	}
	if broken > 0 {
		return errReported // each has its warning; every result is written
	}
	return nil
}

// tagClassify classifies one photo for tag; tests replace it to make a
// photo fail midway through a run.
var tagClassify = classifyPhoto

// recordWriter writes tag's output one photo at a time.
type recordWriter interface {
	Write(tag.Record) error
	Close() error
	N() int // records written
}

func newRecordWriter(w io.Writer, asJSON, asCSV bool) recordWriter {
	switch {
	case asJSON:
		return tag.NewWriter(w, tag.JSON)
	case asCSV:
		return tag.NewWriter(w, tag.CSV)
	}
	return &textWriter{w: w}
}

// textWriter writes "file: tag (87%), tag (12%)" lines, made safe for a
// terminal (termSafe).
type textWriter struct {
	w io.Writer
	n int
}

func (t *textWriter) Write(r tag.Record) error {
	line := tagLine(r.Tags)
	if r.Warning != "" && len(r.Tags) == 0 {
		line = "(no tags: the model's scores are not numbers)"
	}
	if _, err := fmt.Fprintf(t.w, "%s: %s\n", termSafe(r.File), line); err != nil {
		return err
	}
	t.n++
	return nil
}

func (t *textWriter) Close() error { return nil }
func (t *textWriter) N() int       { return t.n }

// shard is -shard I/N (n 0: every photo).
type shard struct{ i, n uint64 }

func parseShard(v string) (shard, error) {
	if v == "" {
		return shard{}, nil
	}
	a, b, ok := strings.Cut(v, "/")
	i, err1 := strconv.ParseUint(a, 10, 32)
	n, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil || n == 0 || i >= n {
		return shard{}, usageError{fmt.Sprintf("tag: -shard %q: want I/N with 0 ≤ I < N, such as 0/4", v)}
	}
	return shard{i, n}, nil
}

// has says whether the photo with this content hash (tag.Hash, hex
// SHA-256) is in the shard: its first 64 bits modulo N.
func (s shard) has(hash string) bool {
	v, err := strconv.ParseUint(hash[:16], 16, 64)
	return err == nil && v%s.n == s.i
}

// tagLine is "tag (87%), tag (12%)".
func tagLine(tags []tag.Tag) string {
	if len(tags) == 0 {
		return "(no tags)"
	}
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = fmt.Sprintf("%s (%.0f%%)", termSafe(t.Tag), 100*t.Score)
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
