//go:build !(js && wasm) || nodecli

package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/image/draw"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/eval"
	"github.com/glimpse/glimpse/model/importer"
	"github.com/glimpse/glimpse/model/onnx"
	"github.com/glimpse/glimpse/model/train"
	"github.com/glimpse/glimpse/model/vision"
	"github.com/glimpse/glimpse/model/vision/imagefile"
	"github.com/glimpse/glimpse/wasm/webgpu"
)

// trainPhoto is one photo of a training folder and its classes.
type trainPhoto struct {
	path    string
	classes []int
}

// trainModel is "glimpse train": a new head on a backbone's features,
// fitted on TRAINDIR's photos, exported as DIR/model.onnx (+ labels.txt,
// card.json and the compiled model.glimpse).
func trainModel(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train")
	modelPath := fs.String("model", "", "the backbone: an ONNX classifier (default: the shipped MobileNetV2)")
	cardPath := fs.String("card", "", "the backbone's model card JSON (default: card.json beside it)")
	feature := fs.String("feature", "", "the backbone tensor to train on (default: the input of its classifier layer, found automatically)")
	out := fs.String("out", "", "the folder to write model.onnx, labels.txt, card.json and model.glimpse into (required)")
	multi := fs.Bool("multi", false, "multi-label: photos may have several classes (sigmoid outputs, a threshold per class); implied by a CSV with several labels on a photo")
	val := fs.Float64("val", 0.2, "fraction of each class's photos held out for validation (0: none)")
	augment := fs.Int("augment", 4, "augmented variants of each training photo (random crop, flip, rotation, colour jitter)")
	epochs := fs.Int("epochs", 300, "the most iterations (L-BFGS) or epochs (Adam); early stopping usually ends sooner")
	seed := fs.Uint64("seed", 1, "random seed: the same seed and photos give the same model")
	mode := fs.String("mode", "auto", "the head: auto (ncm under 6 photos a class, else linear), linear, mlp or ncm")
	hidden := fs.Int("hidden", 256, "hidden units of an mlp head")
	decay := fs.Float64("weight-decay", 0, "L2 weight decay (default: chosen on the validation photos)")
	noWeights := fs.Bool("no-class-weights", false, "do not weigh classes by the inverse of their frequency")
	maxMemory := fs.String("max-memory", "", "refuse a backbone whose program needs more memory than this (default 1GB)")
	quiet := fs.Bool("q", false, "no progress lines")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"train: give one folder of photos (one sub-folder per class, or photos and a CSV of their labels)"}
	}
	if *out == "" {
		return usageError{"train: -out DIR is required"}
	}
	if *val < 0 || *val >= 1 || math.IsNaN(*val) {
		return usageError{fmt.Sprintf("train: -val %v: want a fraction in [0, 1)", *val)}
	}
	if *augment < 0 || *augment > 64 {
		return usageError{fmt.Sprintf("train: -augment %d: want 0..64", *augment)}
	}
	switch *mode {
	case train.Auto, train.Linear, train.MLP, train.NCM:
	default:
		return usageError{fmt.Sprintf("train: -mode %q: want auto, linear, mlp or ncm", *mode)}
	}
	progress := stderr
	if *quiet {
		progress = io.Discard
	}
	dir := fs.Arg(0)
	names, photos, csvMulti, err := readTrainDir(dir, stderr)
	if err != nil {
		return err
	}
	isMulti := *multi || csvMulti

	f, err := readModelFiles(*modelPath, "", *cardPath)
	if err != nil {
		return err
	}
	if bundle.IsBundle(f.Model) {
		return fmt.Errorf("train: %s is a compiled bundle; training exports an ONNX model, so give the backbone's ONNX file", f.Name)
	}
	if *maxMemory != "" {
		if f.MaxMemory, err = parseBytes(*maxMemory); err != nil {
			return usageError{"train: " + err.Error()}
		}
	}
	f.Feature = train.Auto
	if *feature != "" {
		f.Feature = *feature
	}
	cfg := train.Config{Classes: len(names), Multi: isMulti, Mode: *mode, Hidden: *hidden, Val: *val, WeightDecay: *decay,
		NoClassWeights: *noWeights, Epochs: *epochs, Seed: *seed}
	if *val == 0 {
		cfg.Val = -1
	}
	// Features: every photo as it is, and -augment variants of each (the
	// validation photos' variants wait for the final fit on every photo).
	workers := max(1, min(runtime.NumCPU(), 4, len(photos)))
	exts := make([]*model.Classifier, workers)
	t0 := time.Now()
	for i := range exts {
		if exts[i], err = model.Load(f); err != nil {
			return err
		}
	}
	ext := exts[0]
	dim := ext.Program.Outputs[0].Len()
	pooled := ""
	if ext.Pooled {
		pooled = ", averaged over its positions"
	}
	fmt.Fprintf(progress, "glimpse: %d photos of %d classes; backbone %s, features %q (%d values%s); %d workers\n",
		len(photos), len(names), termSafe(ext.Name), termSafe(ext.Feature), dim, pooled, workers)
	aug := train.DefaultAugment()
	examples := make([]train.Example, len(photos))
	failed := make([]error, len(photos))
	var mu sync.Mutex
	done, last := 0, time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(c *model.Classifier) {
			defer wg.Done()
			for i := range jobs {
				feats, err := photoFeatures(c, photos[i].path, *augment, aug, *seed+uint64(i)*7919)
				mu.Lock()
				examples[i], failed[i] = train.Example{Features: feats, Classes: photos[i].classes}, err
				done++
				if time.Since(last) > 2*time.Second || done == len(photos) {
					last = time.Now()
					fmt.Fprintf(progress, "glimpse: features %d/%d photos, %.1f s\n", done, len(photos), time.Since(t0).Seconds())
				}
				mu.Unlock()
			}
		}(exts[w])
	}
	for i := range photos {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	extractTime := time.Since(t0)
	var kept []train.Example
	var keptPhotos []trainPhoto
	for i, err := range failed {
		if err != nil {
			warn(stderr, photos[i].path, err)
			continue
		}
		kept = append(kept, examples[i])
		keptPhotos = append(keptPhotos, photos[i])
	}

	t1 := time.Now()
	every := 0
	r, err := train.Fit(kept, cfg, func(p train.Progress) {
		every++
		if p.Epoch == 1 || p.Epoch%10 == 0 {
			fmt.Fprintf(progress, "glimpse: %s, %s %d: train loss %.4f acc %.3f", p.Phase, epochWord(cfg, p), p.Epoch, p.TrainLoss, p.TrainAcc)
			if !math.IsNaN(p.ValLoss) {
				fmt.Fprintf(progress, ", validation loss %.4f acc %.3f", p.ValLoss, p.ValAcc)
			}
			fmt.Fprintln(progress)
		}
	})
	if err != nil {
		var ce *train.ClassError
		if errors.As(err, &ce) {
			return fmt.Errorf("train: class %q has %d photo(s) that could be read; every class needs at least %d (add photos to %s)", names[ce.Class], ce.Count, ce.Least, filepath.Join(dir, names[ce.Class]))
		}
		return fmt.Errorf("train: %v", err)
	}
	fitTime := time.Since(t1)
	h := r.Head
	fmt.Fprintf(progress, "glimpse: features %.1f s, fit %.2f s: %s head, %d training rows, best %s %d of %d\n",
		extractTime.Seconds(), fitTime.Seconds(), h.Mode, r.Rows, epochWord(cfg, train.Progress{}), r.BestEpoch, len(r.History))

	// The validation report.
	metrics := map[string]float64{}
	if len(r.Val) > 0 {
		best := r.History[r.BestEpoch-1]
		metrics["loss"] = best.ValLoss
		if isMulti {
			writeMultiReport(stdout, names, kept, r, metrics)
		} else {
			var samples []eval.Sample
			for j, i := range r.Val {
				samples = append(samples, eval.Sample{File: keptPhotos[i].path, True: kept[i].Classes[0], Scores: r.ValProbs[j],
					Top: vision.TopK(r.ValProbs[j], min(5, len(names)), names)})
			}
			rep, err := eval.Evaluate(samples, eval.Options{Labels: names})
			if err != nil {
				return err
			}
			metrics["accuracy"], metrics["macro_f1"] = rep.Accuracy, rep.Macro.F1
			fmt.Fprintln(stdout, "validation")
			writeReport(stdout, rep, "the new head")
		}
	} else {
		fmt.Fprintln(stdout, "no validation photos (-val 0): nothing measures this model yet; run glimpse eval on photos it has not seen")
	}

	// Export: ONNX, labels, card, bundle.
	layers := h.Dense()
	oh := onnx.Head{Feature: ext.Feature, Activation: h.Activation(), Output: "probs", Pool: ext.Pooled}
	for _, l := range layers {
		oh.Layers = append(oh.Layers, onnx.Dense{In: l.In, Out: l.Out, W: l.W, B: l.B})
	}
	exported, err := onnx.ReplaceHead(f.Model, oh)
	if err != nil {
		return fmt.Errorf("train: %v", err)
	}
	c := trainedCard(ext, names, kept, r, cfg, *augment, aug, metrics, filepath.Base(filepath.Clean(*out)))
	cardJSON, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	labelsTxt := []byte(strings.Join(names, "\n") + "\n")
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("train: %v", pathErr(err))
	}
	files := model.Files{Name: "model.onnx", Model: exported, Labels: labelsTxt, Card: cardJSON}
	// The exported model must give what the head gave.
	diff, n, err := checkExport(files, keptPhotos, kept, r, h)
	if err != nil {
		return fmt.Errorf("train: the exported model: %v", err)
	}
	if diff > 1e-4 {
		return fmt.Errorf("train: the exported model's probabilities differ from the head's by %.3g (over %d photos); nothing written", diff, n)
	}
	b, _, err := importer.Compile(files, bundle.Auto, &check.Options{Runs: 1, Place: webgpu.Place})
	if err != nil {
		return fmt.Errorf("train: compiling the bundle: %v", err)
	}
	for _, w := range []struct {
		name string
		data []byte
	}{{"model.onnx", exported}, {"labels.txt", labelsTxt}, {"card.json", append(cardJSON, '\n')}, {"model.glimpse", b}} {
		if err := os.WriteFile(filepath.Join(*out, w.name), w.data, 0o644); err != nil {
			return fmt.Errorf("train: %v", pathErr(err))
		}
	}
	fmt.Fprintf(stdout, "\nwrote %s: model.onnx (%d bytes), labels.txt, card.json, model.glimpse (%d bytes); the exported model matches the head within %.2g on %d photos\n",
		termSafe(*out), len(exported), len(b), diff, n)
	return nil
}

func epochWord(cfg train.Config, p train.Progress) string {
	if cfg.Mode == train.MLP || cfg.Adam {
		return "epoch"
	}
	return "iteration"
}

// photoFeatures decodes a photo and returns its features, then those of n
// augmented variants (drawn from a copy no larger than twice the model's
// input, so that bilinear sampling does not alias).
func photoFeatures(c *model.Classifier, path string, n int, aug train.Augment, seed uint64) ([][]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	img, _, err := imagefile.Decode(data)
	if err != nil {
		return nil, err
	}
	f, err := c.Features(img)
	if err != nil {
		return nil, err
	}
	out := [][]float32{f}
	if n == 0 {
		return out, nil
	}
	w, h := c.Card.Input.Width, c.Card.Input.Height
	small := shrink(img, 2*max(w, h))
	rng := rand.New(rand.NewPCG(seed, 0x617567))
	for range n {
		f, err := c.Features(aug.Apply(small, w, h, rng))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// shrink scales img down so its shorter side is at most side pixels.
func shrink(img image.Image, side int) image.Image {
	b := img.Bounds()
	short := min(b.Dx(), b.Dy())
	if short <= side {
		return img
	}
	w, h := b.Dx()*side/short, b.Dy()*side/short
	dst := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// readTrainDir lists the photos of a training folder and their classes:
// one sub-folder per class, or photos with a CSV (the folder's only .csv
// file) whose rows are a photo's path and its labels, in further columns
// or separated by ';' or '|' in one. multi is set when a photo has
// several labels.
func readTrainDir(dir string, stderr io.Writer) (names []string, photos []trainPhoto, multi bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, false, fmt.Errorf("train: %v", pathErr(err))
	}
	var csvs, folders []string
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.IsDir():
			folders = append(folders, e.Name())
		case strings.EqualFold(filepath.Ext(e.Name()), ".csv"):
			csvs = append(csvs, e.Name())
		}
	}
	switch {
	case len(csvs) > 1:
		return nil, nil, false, fmt.Errorf("train: %s has %d CSV files (%s); keep one, with a photo and its labels on each row", dir, len(csvs), strings.Join(csvs, ", "))
	case len(csvs) == 1:
		return readTrainCSV(dir, csvs[0])
	case len(folders) == 0:
		return nil, nil, false, fmt.Errorf("train: %s has no class folders and no CSV: put each class's photos in a folder named after it", dir)
	}
	for ci, name := range folders {
		found := findPhotos([]string{filepath.Join(dir, name)}, stderr)
		for _, p := range found {
			photos = append(photos, trainPhoto{p, []int{ci}})
		}
	}
	if len(folders) < 2 {
		return nil, nil, false, fmt.Errorf("train: %s has one class folder (%s); training needs at least two classes", dir, folders[0])
	}
	return folders, photos, false, nil
}

func readTrainCSV(dir, name string) (names []string, photos []trainPhoto, multi bool, err error) {
	path := filepath.Join(dir, name)
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("train: %v", pathErr(err))
	}
	defer fh.Close()
	rd := csv.NewReader(io.LimitReader(fh, 64<<20))
	rd.FieldsPerRecord = -1
	rd.TrimLeadingSpace = true
	rows, err := rd.ReadAll()
	if err != nil {
		return nil, nil, false, fmt.Errorf("train: %s: %v", path, err)
	}
	index := map[string]int{}
	var labelsOf [][]string
	var files []string
	for i, row := range rows {
		if len(row) == 0 || strings.TrimSpace(row[0]) == "" {
			continue
		}
		file := strings.TrimSpace(row[0])
		if i == 0 && !exists(filepath.Join(dir, file)) && slices.Contains([]string{"file", "filename", "path", "image", "photo"}, strings.ToLower(file)) {
			continue // a header
		}
		var ls []string
		for _, cell := range row[1:] {
			for _, l := range strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == '|' }) {
				if l = strings.TrimSpace(l); l != "" && !slices.Contains(ls, l) {
					ls = append(ls, l)
				}
			}
		}
		if len(ls) == 0 {
			return nil, nil, false, fmt.Errorf("train: %s line %d: %q has no label", path, i+1, file)
		}
		multi = multi || len(ls) > 1
		files = append(files, file)
		labelsOf = append(labelsOf, ls)
		for _, l := range ls {
			index[l] = 0
		}
	}
	if len(files) == 0 {
		return nil, nil, false, fmt.Errorf("train: %s lists no photos", path)
	}
	for l := range index {
		names = append(names, l)
	}
	sort.Strings(names)
	for i, l := range names {
		index[l] = i
	}
	for i, file := range files {
		p := file
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, file)
		}
		var cs []int
		for _, l := range labelsOf[i] {
			cs = append(cs, index[l])
		}
		sort.Ints(cs)
		photos = append(photos, trainPhoto{p, cs})
	}
	if !multi && len(names) < 2 {
		return nil, nil, false, fmt.Errorf("train: %s has one label (%s); training needs at least two classes", path, names[0])
	}
	return names, photos, multi, nil
}

// writeMultiReport prints per-class precision, recall and F1 at the tuned
// thresholds, the mean per-photo F1 and the exact-match accuracy.
func writeMultiReport(w io.Writer, names []string, ex []train.Example, r *train.Result, metrics map[string]float64) {
	k := len(names)
	tp, fp, fn := make([]float64, k), make([]float64, k), make([]float64, k)
	exact, sampleF1 := 0.0, 0.0
	for j, i := range r.Val {
		var got []int
		for c, p := range r.ValProbs[j] {
			if p >= r.Head.Thresholds[c] {
				got = append(got, c)
			}
		}
		want := ex[i].Classes
		if slices.Equal(got, want) {
			exact++
		}
		t := 0.0
		for c := 0; c < k; c++ {
			g, wv := slices.Contains(got, c), slices.Contains(want, c)
			switch {
			case g && wv:
				tp[c]++
				t++
			case g:
				fp[c]++
			case wv:
				fn[c]++
			}
		}
		if d := float64(len(got) + len(want)); d > 0 {
			sampleF1 += 2 * t / d
		} else {
			sampleF1++
		}
	}
	n := float64(len(r.Val))
	metrics["accuracy"], metrics["sample_f1"] = exact/n, sampleF1/n
	width := len("class")
	for _, s := range names {
		width = max(width, len(termSafe(s)))
	}
	fmt.Fprintf(w, "validation: %d photos, exact-match accuracy %.1f%%, mean per-photo F1 %.3f\n\n", len(r.Val), 100*exact/n, sampleF1/n)
	fmt.Fprintf(w, "%-*s  threshold  precision  recall     f1  support\n", width, "class")
	macro := 0.0
	for c, s := range names {
		div := func(a, b float64) float64 {
			if b == 0 {
				return 0
			}
			return a / b
		}
		p, rc := div(tp[c], tp[c]+fp[c]), div(tp[c], tp[c]+fn[c])
		f1 := div(2*tp[c], 2*tp[c]+fp[c]+fn[c])
		macro += f1
		fmt.Fprintf(w, "%-*s  %9.3f  %9.3f  %6.3f  %5.3f  %7d\n", width, termSafe(s), r.Head.Thresholds[c], p, rc, f1, int(tp[c]+fn[c]))
	}
	metrics["macro_f1"] = macro / float64(k)
}

// trainedCard is the new model's card: the backbone's input, the head's
// output, and how it was trained.
func trainedCard(ext *model.Classifier, names []string, ex []train.Example, r *train.Result, cfg train.Config, variants int, aug train.Augment, metrics map[string]float64, name string) card.Card {
	c := card.Card{Name: name, Input: ext.Card.Input, Labels: "labels.txt", License: ext.Card.License,
		Source: "trained with glimpse train on the features of " + ext.Name}
	c.Output.Activation = card.ActivationNone // the model ends in its softmax or sigmoid
	if cfg.Multi {
		c.Output.MultiLabel, c.Output.Threshold, c.Output.Thresholds = true, card.DefaultThreshold, r.Head.Thresholds
	}
	tr := &card.Training{Date: time.Now().UTC().Format(time.RFC3339), Backbone: ext.Name, Feature: ext.Feature, Seed: cfg.Seed,
		Split: card.TrainingSplit{Train: len(r.Train), Validation: len(r.Val), Fraction: max(cfg.Val, 0), Rows: r.Rows}}
	if len(metrics) > 0 {
		tr.Validation = metrics
	}
	counts, valCounts := make([]int, len(names)), make([]int, len(names))
	for _, e := range ex {
		for _, k := range e.Classes {
			counts[k]++
		}
	}
	for _, i := range r.Val {
		for _, k := range ex[i].Classes {
			valCounts[k]++
		}
	}
	for i, s := range names {
		tr.Classes = append(tr.Classes, card.TrainingClass{Name: s, Photos: counts[i], Validation: valCounts[i]})
	}
	opt := "L-BFGS"
	if r.Head.Mode == train.MLP || cfg.Adam {
		opt = "Adam"
	} else if r.Head.Mode == train.NCM {
		opt = "class means"
	}
	tr.Head = card.TrainingHead{Mode: r.Head.Mode, Optimizer: opt, WeightDecay: r.WeightDecay, Epochs: len(r.History), BestEpoch: r.BestEpoch, ClassWeight: !cfg.NoClassWeights}
	if r.Head.Mode == train.MLP {
		tr.Head.Hidden = r.Head.Sizes[1]
	}
	if variants > 0 {
		tr.Augment = &card.Augmentation{Variants: variants, Scale: aug.Scale, Ratio: aug.Ratio, Flip: aug.Flip, Rotate: aug.Rotate,
			Brightness: aug.Brightness, Contrast: aug.Contrast, Saturation: aug.Saturation}
	}
	c.Training = tr
	return c
}

// checkExport loads the exported model and runs it on up to 16 photos
// (validation ones first): the largest difference between its
// probabilities and the head's on the same features.
func checkExport(f model.Files, photos []trainPhoto, ex []train.Example, r *train.Result, h *train.Head) (float64, int, error) {
	c, err := model.Load(f)
	if err != nil {
		return 0, 0, err
	}
	order := append(slices.Clone(r.Val), r.Train...)
	worst, n := 0.0, 0
	for _, i := range order[:min(16, len(order))] {
		data, err := os.ReadFile(photos[i].path)
		if err != nil {
			return 0, 0, err
		}
		img, _, err := imagefile.Decode(data)
		if err != nil {
			return 0, 0, err
		}
		if err := vision.Preprocess(img, c.Card.Spec(), c.Input()); err != nil {
			return 0, 0, err
		}
		if err := c.Program.Execute(); err != nil {
			return 0, 0, err
		}
		got := c.Probabilities(c.Program.Outputs[0].F)
		want := h.Probs(ex[i].Features[0])
		for k := range want {
			worst = max(worst, math.Abs(float64(got[k])-float64(want[k])))
		}
		n++
	}
	return worst, n, nil
}

// embedPhotos is "glimpse embed": each photo's L2-normalised feature
// vector (the backbone's penultimate tensor), as JSON lines or TSV.
func embedPhotos(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("embed")
	modelPath := fs.String("model", "", "ONNX model or compiled bundle (default: the shipped MobileNetV2)")
	cardPath := fs.String("card", "", "model card JSON (default: card.json beside the model)")
	feature := fs.String("feature", "", "the tensor to read (default: the input of the classifier layer)")
	asJSON := fs.Bool("json", false, `one JSON object per photo: {"file", "dim", "embedding"}`)
	raw := fs.Bool("raw", false, "the feature values as they are, not L2-normalised")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"embed: give photos or folders"}
	}
	f, err := readModelFiles(*modelPath, "", *cardPath)
	if err != nil {
		return err
	}
	f.Feature = train.Auto
	if *feature != "" {
		f.Feature = *feature
	}
	c, err := model.Load(f)
	if err != nil {
		return err
	}
	photos := findPhotos(fs.Args(), stderr)
	if len(photos) == 0 {
		if err := noneExist(fs.Args()); err != nil {
			return err
		}
		return errors.New("embed: no photos found")
	}
	failed := 0
	enc := json.NewEncoder(stdout)
	for _, p := range photos {
		data, err := os.ReadFile(p)
		if err == nil {
			var img image.Image
			if img, _, err = imagefile.Decode(data); err == nil {
				var v []float32
				if v, err = c.Features(img); err == nil {
					if !*raw {
						model.Normalize(v)
					}
					if *asJSON {
						err = enc.Encode(struct {
							File      string    `json:"file"`
							Dim       int       `json:"dim"`
							Embedding []float32 `json:"embedding"`
						}{p, len(v), v})
					} else {
						var sb strings.Builder
						sb.WriteString(termSafe(p))
						for _, x := range v {
							fmt.Fprintf(&sb, "\t%.6g", x)
						}
						_, err = fmt.Fprintln(stdout, sb.String())
					}
				}
			}
		}
		if err != nil {
			warn(stderr, p, unwrapPath(err))
			failed++
		}
	}
	if failed > 0 {
		return errReported
	}
	return nil
}
