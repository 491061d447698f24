//go:build !(js && wasm) || nodecli

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/quant"
	"github.com/glimpse/glimpse/model/vision"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

// quantizeModel is "glimpse quantize": static post-training quantization
// of an ONNX model, calibrated on the user's photos (model/quant).
func quantizeModel(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quantize")
	labels := fs.String("labels", "", "labels file, one per line")
	cardPath := fs.String("card", "", "model card JSON: how photos are preprocessed (default: the card beside the model, else derived)")
	calib := fs.String("calib", "", "folder (or photo) of photos to calibrate the activation ranges on (required)")
	evalDir := fs.String("eval", "", "folder (or photo) of other photos to measure top-1 agreement with the float model on")
	out := fs.String("o", "", "write the quantized ONNX model to this file (required)")
	format := fs.String("format", string(quant.FormatQDQ), "qdq (QuantizeLinear/DequantizeLinear around float ops) or qoperator (QLinearConv, QGemm, ...)")
	perChannel := fs.Bool("per-channel", true, "quantize Conv and Gemm weights per output channel (else per tensor)")
	method := fs.String("method", string(quant.DefaultMethod), "how activation ranges are taken: percentile or minmax")
	pct := fs.Float64("percentile", quant.DefaultPercentile, "-method percentile: the percentage of values kept in range")
	runs := fs.Int("runs", 5, "runs of each model to time (median)")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{"quantize: one model at a time (flags go before or after it)"}
	}
	if *calib == "" {
		return usageError{"quantize: -calib DIR is required: the photos to calibrate on"}
	}
	if *out == "" {
		return usageError{"quantize: -o FILE.onnx is required"}
	}
	f := quant.Format(*format)
	if f != quant.FormatQDQ && f != quant.FormatQOperator {
		return usageError{fmt.Sprintf("quantize: -format %q: want qdq or qoperator", *format)}
	}
	m := quant.Method(*method)
	if m != quant.MinMax && m != quant.Percentile {
		return usageError{fmt.Sprintf("quantize: -method %q: want percentile or minmax", *method)}
	}
	if *runs < 1 {
		return usageError{"quantize: -runs must be at least 1"}
	}
	files, err := readModelFiles(fs.Arg(0), *labels, *cardPath)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	if bundle.IsBundle(files.Model) {
		return fmt.Errorf("quantize: %s is a compiled bundle; quantize the ONNX file it was compiled from", files.Name)
	}
	c, err := model.Load(files)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}

	calInputs, calNames, err := preprocessPhotos(c, *calib, stderr)
	if err != nil {
		return fmt.Errorf("quantize: -calib %s: %w", *calib, err)
	}
	var evalInputs [][]float32
	if *evalDir != "" {
		if evalInputs, _, err = preprocessPhotos(c, *evalDir, stderr); err != nil {
			return fmt.Errorf("quantize: -eval %s: %w", *evalDir, err)
		}
	}
	shapes := map[string][]int{}
	for i, t := range c.Program.Inputs {
		shapes[c.Program.Names.Inputs[i]] = t.Shape
	}
	cal, err := quant.NewCalibrator(c.Graph, shapes)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	for i, x := range calInputs {
		if err := cal.Add(x); err != nil {
			return fmt.Errorf("quantize: %s: %w", calNames[i], err)
		}
	}
	ranges, err := cal.Ranges(m, *pct)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	res, err := quant.Quantize(files.Model, ranges, quant.Options{Format: f, PerChannel: *perChannel})
	if err != nil {
		return err
	}
	q, err := model.Load(model.Files{Name: filepath.Base(*out), Model: res.Model, Labels: files.Labels, Card: files.Card})
	if err != nil {
		return fmt.Errorf("quantize: the quantized model does not load: %w", err)
	}
	if err := os.WriteFile(*out, res.Model, 0o644); err != nil {
		return fmt.Errorf("quantize: %v", pathErr(err))
	}

	calAgree, err := agreement(c, q, calInputs)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	evalAgree, err := agreement(c, q, evalInputs)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	fms, err := medianMs(c, calInputs[0], *runs)
	if err != nil {
		return fmt.Errorf("quantize: float model: %w", err)
	}
	qms, err := medianMs(q, calInputs[0], *runs)
	if err != nil {
		return fmt.Errorf("quantize: quantized model: %w", err)
	}

	calibWord := "minmax"
	if m == quant.Percentile {
		calibWord = fmt.Sprintf("percentile %g", *pct)
	}
	weights := "per-tensor"
	if *perChannel {
		weights = "per-channel"
	}
	fmt.Fprintf(stdout, "wrote %s: %s, int8 %s weights, uint8 activations, %s calibration on %d photos\n",
		termSafe(*out), f, weights, calibWord, len(calInputs))
	fmt.Fprintf(stdout, "quantized: %s\n", res.Describe())
	if len(res.Float) > 0 {
		var parts []string
		for _, op := range sortedOps(res.Float) {
			parts = append(parts, fmt.Sprintf("%s %d", op, res.Float[op]))
		}
		fmt.Fprintf(stdout, "left in float: %s\n", strings.Join(parts, ", "))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(stdout, "note: %s\n", termSafe(n))
	}
	fmt.Fprintf(stdout, "size: %s → %s (%.0f%%)\n", byteSize(len(files.Model)), byteSize(len(res.Model)),
		100*float64(len(res.Model))/float64(len(files.Model)))
	fmt.Fprintf(stdout, "speed in Glimpse here: float %.1f ms, quantized %.1f ms (median of %d runs)\n", fms, qms, *runs)
	fmt.Fprintf(stdout, "top-1 agreement with the float model: %d/%d calibration photos", calAgree, len(calInputs))
	if *evalDir != "" {
		fmt.Fprintf(stdout, ", %d/%d -eval photos", evalAgree, len(evalInputs))
	}
	fmt.Fprintln(stdout)
	return nil
}

// preprocessPhotos reads the photos under dir as the classifier's card
// preprocesses them; unreadable ones are skipped with a warning.
func preprocessPhotos(c *model.Classifier, dir string, stderr io.Writer) (xs [][]float32, names []string, err error) {
	if err := noneExist([]string{dir}); err != nil {
		return nil, nil, unwrapPath(err)
	}
	for _, p := range findPhotos([]string{dir}, stderr) {
		data, err := os.ReadFile(p)
		if err != nil {
			warn(stderr, p, unwrapPath(err))
			continue
		}
		img, _, err := imagefile.Decode(data)
		if err != nil {
			warn(stderr, p, err)
			continue
		}
		x := make([]float32, len(c.Input()))
		if err := vision.Preprocess(img, c.Card.Spec(), x); err != nil {
			warn(stderr, p, err)
			continue
		}
		xs, names = append(xs, x), append(names, p)
	}
	if len(xs) == 0 {
		return nil, nil, errors.New("no photos")
	}
	return xs, names, nil
}

// agreement counts the inputs on which both models give the same top-1.
func agreement(a, b *model.Classifier, xs [][]float32) (int, error) {
	n := 0
	for _, x := range xs {
		ya, err := a.Program.Run(x)
		if err != nil {
			return 0, err
		}
		ka := top1(ya)
		yb, err := b.Program.Run(x)
		if err != nil {
			return 0, err
		}
		if top1(yb) == ka {
			n++
		}
	}
	return n, nil
}

func top1(v []float32) int {
	k := 0
	for i, x := range v {
		if x > v[k] {
			k = i
		}
	}
	return k
}

// medianMs times runs of the model on x, after a warm-up run.
func medianMs(c *model.Classifier, x []float32, runs int) (float64, error) {
	if _, err := c.Program.Run(x); err != nil {
		return 0, err
	}
	ts := make([]float64, runs)
	for i := range ts {
		t0 := time.Now()
		if err := c.Program.Execute(); err != nil {
			return 0, err
		}
		ts[i] = float64(time.Since(t0).Microseconds()) / 1000
	}
	sort.Float64s(ts)
	return ts[runs/2], nil
}

func sortedOps(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
