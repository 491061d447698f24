//go:build !(js && wasm) || nodecli

package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/tag"
	"github.com/glimpse/glimpse/model/vision"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

// imageExts are the file name extensions of the formats imagefile.Decode reads.
var imageExts = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".png": true, ".gif": true,
	".bmp": true, ".webp": true, ".tif": true, ".tiff": true,
}

// sniffImage tells image files by their first bytes (the magic numbers
// imagefile.Decode knows), for photos whose name has no or the wrong extension.
func sniffImage(head []byte) bool {
	switch {
	case bytes.HasPrefix(head, []byte("\xFF\xD8\xFF")),
		bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")),
		bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")),
		bytes.HasPrefix(head, []byte("BM")),
		bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return true
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return true
	}
	return false
}

// looksLikeImage is true for an image extension or image magic bytes.
func looksLikeImage(path string) bool {
	if imageExts[strings.ToLower(filepath.Ext(path))] {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	return sniffImage(head[:n])
}

// warn prints a one-line warning: the run goes on.
func warn(stderr io.Writer, path string, err error) {
	fmt.Fprintf(stderr, "glimpse: warning: %s: %s, skipped\n", termSafe(path), oneLine(err))
}

var errNotImage = errors.New("not an image")

// findPhotos expands files and directories (recursively, in lexical order,
// hidden files and folders left out) into the image files among them.
// Files named on the command line are always tried; files found in
// directories are kept when they look like images, and the rest get a
// warning. Arguments that cannot be read get a warning too.
func findPhotos(args []string, stderr io.Writer) (photos []string) {
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			warn(stderr, arg, unwrapPath(err))
			continue
		}
		if !st.IsDir() {
			photos = append(photos, arg)
			continue
		}
		filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				warn(stderr, p, unwrapPath(err))
				return nil
			}
			if p != arg && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() { // follows symlinks
				return nil
			}
			if looksLikeImage(p) {
				photos = append(photos, p)
			} else {
				warn(stderr, p, errNotImage)
			}
			return nil
		})
	}
	return photos
}

// noneExist is an error, naming the first, when no argument exists: then a
// run has nothing to go on, and one line says why.
func noneExist(args []string) error {
	var first error
	for _, a := range args {
		_, err := os.Stat(a)
		if err == nil {
			return nil
		}
		if first == nil {
			first = fmt.Errorf("%s: %v", a, unwrapPath(err))
		}
	}
	return first
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// classifyPhoto is classify's path (read, imagefile.Decode, Classify) plus the
// content hash that keys tags, and a warning when the model's scores are not
// all finite numbers (scoreWarning).
func classifyPhoto(c *model.Classifier, path string, k int) (hash string, res []vision.Result, warning string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, "", unwrapPath(err)
	}
	img, _, err := imagefile.Decode(data)
	if err != nil {
		return "", nil, "", err
	}
	if res, _, err = c.Classify(img, k); err != nil {
		return "", nil, "", err
	}
	return tag.Hash(data), res, scoreWarning(c), nil
}

// scoreWarning says how many of the probabilities of the classifier's last
// run are NaN or infinite, over every class and not only the top K shown
// (NaN ranks last); "" when all are finite numbers.
func scoreWarning(c *model.Classifier) string {
	probs := c.Probabilities(c.Program.Outputs[0].F)
	nan, inf := tag.CountNonFinite(probs)
	return tag.Warning(nan, inf, len(probs))
}

// classes is the number of classes the model outputs.
func classes(c *model.Classifier) int { return c.Program.Outputs[0].Len() }

// inOrder runs job(w, i) for every i in [0, n) on workers goroutines (w,
// the worker's number, picks its own classifier) and calls done(i, r) on
// the calling goroutine for each i in order, as soon as results 0..i are
// in, so output streams in input order. A panic in a job is raised again
// on the calling goroutine when its turn comes, after every earlier result
// has been delivered. done's error stops the run: jobs not started are
// dropped, and inOrder returns it once running jobs end.
func inOrder[T any](n, workers int, job func(w, i int) T, done func(i int, r T) error) error {
	type out struct {
		i     int
		r     T
		panic any
		ok    bool // the job returned (a panic of nil still counts as one)
	}
	workers = max(1, min(workers, n))
	jobs := make(chan int)
	results := make(chan out, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				o := out{i: i}
				func() {
					defer func() {
						if !o.ok {
							o.panic = recover()
						}
					}()
					o.r = job(w, i)
					o.ok = true
				}()
				results <- o
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range n {
			select {
			case jobs <- i:
			case <-stop:
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	pending := map[int]out{}
	next := 0
	var err error
	for o := range results {
		if err != nil {
			continue // drain
		}
		pending[o.i] = o
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if !p.ok {
				close(stop)
				for range results {
				}
				panic(p.panic)
			}
			if err = done(p.i, p.r); err != nil {
				close(stop)
				break
			}
		}
	}
	return err
}

// workersFlag is -workers: how many photos are classified at once, each
// on its own copy of the model (default: one per core).
func workersFlag(f *flag.FlagSet) *int {
	return f.Int("workers", runtime.NumCPU(), "how many photos to classify at once, each on its own copy of the model (default: one per core)")
}

// copies returns n classifiers of c's model: c and n-1 copies.
func copies(c *model.Classifier, n int) ([]*model.Classifier, error) {
	cs := []*model.Classifier{c}
	for len(cs) < n {
		cp, err := c.Copy()
		if err != nil {
			return nil, err
		}
		cs = append(cs, cp)
	}
	return cs, nil
}
