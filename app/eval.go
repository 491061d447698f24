//go:build !(js && wasm) || nodecli

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/glimpse/glimpse/model/eval"
	"github.com/glimpse/glimpse/model/vision"
)

// evaluate is "glimpse eval": it scores the model on a folder holding one
// sub-folder of photos per class.
func evaluate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval")
	mf := addModelFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	mapPath := fs.String("map", "", `JSON object mapping folder names to labels or class indices: {"folder": "label"}`)
	workers := workersFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *workers < 1 {
		return usageError{"eval: -workers must be at least 1"}
	}
	if fs.NArg() != 1 {
		return usageError{"eval: give one folder (one sub-folder of photos per class)"}
	}
	dir := fs.Arg(0)
	folders, err := classFolders(dir)
	if err != nil {
		return err
	}
	manual, err := readFolderMap(*mapPath)
	if err != nil {
		return err
	}
	c, err := mf.load(stderr)
	if err != nil {
		return err
	}
	if len(c.Labels) == 0 {
		return fmt.Errorf("eval: %s has no labels file; pass -labels", c.Name)
	}
	truth, err := matchFolders(folders, manual, c.Labels)
	if err != nil {
		return err
	}
	n := classes(c)
	type photo struct{ path, folder string }
	var photos []photo
	for _, f := range folders {
		for _, p := range findPhotos([]string{filepath.Join(dir, f)}, stderr) {
			photos = append(photos, photo{p, f})
		}
	}
	cls, err := copies(c, min(*workers, len(photos)))
	if err != nil {
		return err
	}
	type result struct {
		res     []vision.Result
		warning string
		err     error
	}
	var samples []eval.Sample
	broken := 0 // photos the model scored NaN or ±Inf: left out, and the exit status is 1
	err = inOrder(len(photos), len(cls), func(w, i int) result {
		_, res, warning, err := classifyPhoto(cls[w], photos[i].path, n)
		return result{res, warning, err}
	}, func(i int, x result) error {
		p := photos[i].path
		if x.err != nil {
			warn(stderr, p, x.err)
			return nil
		}
		scores := make([]float32, n)
		for _, r := range x.res {
			scores[r.Index] = r.Prob
		}
		s := eval.Sample{File: p, True: truth[photos[i].folder], Scores: scores, Top: x.res[:min(5, len(x.res))]}
		if x.warning != "" || !s.Finite() {
			if x.warning == "" {
				x.warning = "the model produced scores that are not finite numbers"
			}
			warn(stderr, p, errors.New(x.warning))
			broken++
			return nil
		}
		samples = append(samples, s)
		return nil
	})
	if err != nil {
		return err
	}
	if len(samples) == 0 {
		return fmt.Errorf("eval: no photos could be classified in %s", dir)
	}
	r, err := eval.Evaluate(samples, eval.Options{Labels: c.Labels})
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(r); err != nil {
			return err
		}
	} else {
		writeReport(stdout, r, c.Name)
	}
	if broken > 0 {
		return errReported // the report covers the other photos; each left out has its warning
	}
	return nil
}

// classFolders lists the sub-folders of dir, hidden ones left out.
func classFolders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("eval: %v", pathErr(err))
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("eval: %s has no sub-folders (it needs one folder of photos per class)", dir)
	}
	return out, nil
}

// readFolderMap reads -map: folder name → label (a string) or class index
// (a number).
func readFolderMap(path string) (map[string]json.RawMessage, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("map: %v", pathErr(err))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf(`map: %s: want a JSON object {"folder": "label" or class index}: %v`, path, err)
	}
	return m, nil
}

// matchFolders gives each folder its class: from -map when it names the
// folder, otherwise by eval.MatchLabel. Every folder that matches no label
// or several is listed in one error.
func matchFolders(folders []string, manual map[string]json.RawMessage, labels []string) (map[string]int, error) {
	truth := map[string]int{}
	var unmatched, ambiguous []string
	for _, f := range folders {
		raw, ok := manual[f]
		if !ok {
			for k, v := range manual { // folder names in -map ignore case too
				if strings.EqualFold(k, f) {
					raw, ok = v, true
				}
			}
		}
		var idx []int
		if ok {
			var i int
			var s string
			switch {
			case json.Unmarshal(raw, &i) == nil:
				if i < 0 || i >= len(labels) {
					return nil, fmt.Errorf("map: folder %q: class %d out of range 0..%d", f, i, len(labels)-1)
				}
				idx = []int{i}
			case json.Unmarshal(raw, &s) == nil:
				if idx = eval.MatchLabel(s, labels); idx == nil {
					return nil, fmt.Errorf("map: folder %q: %q is not a label of the model", f, s)
				}
			default:
				return nil, fmt.Errorf("map: folder %q: want a label or a class index, got %s", f, bytes.TrimSpace(raw))
			}
		} else {
			idx = eval.MatchLabel(f, labels)
		}
		switch len(idx) {
		case 0:
			unmatched = append(unmatched, strconv.Quote(f))
		case 1:
			truth[f] = idx[0]
		default:
			var c []string
			for _, i := range idx {
				c = append(c, fmt.Sprintf("%d %q", i, labels[i]))
			}
			ambiguous = append(ambiguous, fmt.Sprintf("%q could be %s", f, strings.Join(c, " or ")))
		}
	}
	var msg []string
	if len(unmatched) > 0 {
		msg = append(msg, "folders that match no label: "+strings.Join(unmatched, ", "))
	}
	if len(ambiguous) > 0 {
		msg = append(msg, "ambiguous folders: "+strings.Join(ambiguous, "; "))
	}
	if msg != nil {
		return nil, fmt.Errorf(`eval: %s (name the label with -map FILE.json: {"folder": "label" or class index})`, strings.Join(msg, "; "))
	}
	return truth, nil
}

// writeReport prints the evaluation for people.
func writeReport(w io.Writer, r *eval.Report, modelName string) {
	pct := func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
	correct := r.N - len(r.Misclassified)
	fmt.Fprintf(w, "%s on %d photos of %d classes\n", termSafe(modelName), r.N, len(r.PR))
	fmt.Fprintf(w, "accuracy        %7s  (%d/%d)\n", pct(r.Accuracy), correct, r.N)
	fmt.Fprintf(w, "top-5 accuracy  %7s\n", pct(r.Top5Accuracy))
	if r.ROCUndefined == "" {
		fmt.Fprintf(w, "ROC AUC (one-vs-rest)   macro %.3f  weighted %.3f\n", r.ROCAUCMacro, r.ROCAUCWeighted)
	} else {
		fmt.Fprintf(w, "ROC AUC: %s\n", r.ROCUndefined)
	}
	fmt.Fprintf(w, "average precision       macro %.3f  weighted %.3f\n", r.APMacro, r.APWeighted)
	if r.Calibration != nil {
		fmt.Fprintf(w, "expected calibration error %.3f (top-1 confidence, %d bins)\n", r.Calibration.ECE, len(r.Calibration.Bins))
	}

	names := make([]string, len(r.PerClass))
	width := len("weighted avg")
	for i, c := range r.PerClass {
		names[i] = termSafe(vision.DisplayName(c.Label))
		width = max(width, len(names[i]))
	}
	fmt.Fprintf(w, "\n%-*s  precision  recall     f1  support\n", width, "class")
	row := func(name string, p, rc, f float64, s int) {
		fmt.Fprintf(w, "%-*s  %9.3f  %6.3f  %5.3f  %7d\n", width, name, p, rc, f, s)
	}
	for i, c := range r.PerClass {
		row(names[i], c.Precision, c.Recall, c.F1, c.Support)
	}
	row("macro avg", r.Macro.Precision, r.Macro.Recall, r.Macro.F1, r.Macro.Support)
	row("weighted avg", r.Weighted.Precision, r.Weighted.Recall, r.Weighted.F1, r.Weighted.Support)

	fmt.Fprintf(w, "\nconfusion matrix (rows: true class, columns: predicted, numbered as the rows)\n")
	cell := len(strconv.Itoa(len(names)))
	for _, row := range r.Confusion.Matrix {
		for _, v := range row {
			cell = max(cell, len(strconv.Itoa(v)))
		}
	}
	fmt.Fprintf(w, "%*s", width+cell+2, "")
	for j := range names {
		fmt.Fprintf(w, " %*d", cell, j+1)
	}
	fmt.Fprintln(w)
	for i, row := range r.Confusion.Matrix {
		fmt.Fprintf(w, "%*d %-*s ", cell, i+1, width, names[i])
		for _, v := range row {
			if v == 0 {
				fmt.Fprintf(w, " %*s", cell, ".")
			} else {
				fmt.Fprintf(w, " %*d", cell, v)
			}
		}
		fmt.Fprintln(w)
	}

	if len(r.Misclassified) > 0 {
		fmt.Fprintf(w, "\nmisclassified, most confident first\n")
		for _, m := range r.Misclassified {
			fmt.Fprintf(w, "  %s: %s, predicted %s (%.0f%%; true class %.0f%%)\n", termSafe(m.File),
				termSafe(vision.DisplayName(m.TrueLabel)), termSafe(vision.DisplayName(m.PredLabel)), 100*m.Confidence, 100*m.TrueScore)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "\nnotes\n")
		for _, s := range r.Warnings {
			fmt.Fprintf(w, "  %s\n", termSafe(s))
		}
	}
}
