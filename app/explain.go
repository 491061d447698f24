//go:build !(js && wasm) || nodecli

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/explain"
	"github.com/glimpse/glimpse/model/grad"
	"github.com/glimpse/glimpse/model/vision/imagefile"
)

// explainJSON is one line of explain -json.
type explainJSON struct {
	Photo  string    `json:"photo"`
	Class  int       `json:"class"`
	Label  string    `json:"label"`
	Prob   float32   `json:"prob"`
	Method string    `json:"method"`
	Rows   int       `json:"rows"`
	Cols   int       `json:"cols"`
	Heat   []float32 `json:"heat"`   // rows*cols, row-major, non-negative
	Region [4]int    `json:"region"` // x0, y0, x1, y1 in the photo's pixels (after EXIF orientation)
}

// overlayAlpha is how strongly -o draws the heat over the photo.
const overlayAlpha = 0.5

// explainPhotos is "glimpse explain": which parts of each photo the
// prediction rests on (model/explain).
func explainPhotos(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain")
	mf := addModelFlags(fs)
	method := fs.String("method", "", "how to explain: "+strings.Join(explain.Methods, ", ")+
		" (default: rollout for a model with attention (a ViT); gradcam when the class score depends on a spatial feature map through ops it can differentiate; else occlusion."+
		" -patch, -stride or -baseline alone mean occlusion, -layer gradcam, -steps ig, -samples smoothgrad)")
	layer := fs.String("layer", "", "gradcam, gradcam++: the feature map to weight, by tensor name (default: the last spatial one the class score depends on)")
	class := fs.Int("class", -1, "the class to explain (default: each photo's top class)")
	patch := fs.Int("patch", 0, "occlusion: the side of the hidden patch in model-input pixels (default: a seventh of the input)")
	stride := fs.Int("stride", 0, "occlusion: the step between patches in model-input pixels (default: half the patch)")
	baseline := fs.String("baseline", explain.BaselineMean, "occlusion: what hidden pixels become: mean (the photo's mean colour) or blur")
	steps := fs.Int("steps", 0, fmt.Sprintf("ig: the steps from the baseline (the photo's mean colour) to the photo, one forward and backward pass each (default %d)", explain.DefaultSteps))
	samples := fs.Int("samples", 0, fmt.Sprintf("smoothgrad: the noisy copies of the photo to average the gradient over, one forward and backward pass each (default %d)", explain.DefaultSamples))
	asJSON := fs.Bool("json", false, "print one JSON object per photo")
	out := fs.String("o", "", "write the photo with the heat over it as PNG to this file (several photos: OUT-1.png, OUT-2.png, ...)")
	if err := parse(fs, reorder(fs, args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"explain: no photos given"}
	}
	if *method != "" && !slices.Contains(explain.Methods, *method) {
		return usageError{fmt.Sprintf("explain: -method %q: the methods are %s", *method, strings.Join(explain.Methods, ", "))}
	}
	// The flags given that are one method's, and the method they imply.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	occlusionFlags := given["patch"] || given["stride"] || given["baseline"] // the user means occlusion
	gradCAMFamily := *method == "" || *method == explain.MethodGradCAM || *method == explain.MethodGradCAMPlusPlus
	if *layer != "" && !gradCAMFamily {
		return usageError{"explain: -layer is for -method gradcam and gradcam++"}
	}
	for _, f := range []struct{ flag, method string }{{"steps", explain.MethodIG}, {"samples", explain.MethodSmoothGrad}} {
		if given[f.flag] && *method != "" && *method != f.method {
			return usageError{fmt.Sprintf("explain: -%s is for -method %s", f.flag, f.method)}
		}
	}
	if *method == "" {
		var implied []string
		for _, f := range []struct {
			given  bool
			method string
		}{{occlusionFlags, explain.MethodOcclusion}, {*layer != "", explain.MethodGradCAM}, {given["steps"], explain.MethodIG}, {given["samples"], explain.MethodSmoothGrad}} {
			if f.given {
				implied = append(implied, f.method)
			}
		}
		if len(implied) > 1 {
			return usageError{fmt.Sprintf("explain: the flags given are for different methods (%s): choose one with -method", strings.Join(implied, ", "))}
		}
		if len(implied) == 1 {
			*method = implied[0]
		}
	}
	if *class < -1 {
		return usageError{fmt.Sprintf("explain: -class %d: want a class number (0 and up)", *class)}
	}
	if *patch < 0 || *stride < 0 {
		return usageError{"explain: -patch and -stride must be positive"}
	}
	if *steps < 0 || *samples < 0 || (given["steps"] && *steps == 0) || (given["samples"] && *samples == 0) {
		return usageError{"explain: -steps and -samples must be positive"}
	}
	if *baseline != explain.BaselineMean && *baseline != explain.BaselineBlur {
		return usageError{fmt.Sprintf("explain: -baseline %q: want mean or blur", *baseline)}
	}
	c, err := mf.load(stderr)
	if err != nil {
		return err
	}
	o := explain.Options{Class: *class, Patch: *patch, Stride: *stride, Baseline: *baseline, Layer: *layer, Steps: *steps, Samples: *samples}
	if *method == "" {
		*method = explain.DefaultMethod(c)
	}
	switch *method {
	case explain.MethodGradCAM, explain.MethodGradCAMPlusPlus:
		if err := explain.GradCAMSupported(c, *layer); err != nil {
			return fmt.Errorf("%v; -method occlusion explains any model", err)
		}
	}
	if err := explain.CheckOptions(c, o); err != nil {
		// A class, patch or stride that does not fit this model: name the flag.
		msg := err.Error()
		for _, f := range []string{"class", "patch", "stride", "steps", "samples"} {
			msg = strings.Replace(msg, "explain: "+f+" ", "explain: -"+f+" ", 1)
		}
		return usageError{msg}
	}
	failed := 0
	enc := json.NewEncoder(stdout)
	for i, photo := range fs.Args() {
		t0 := time.Now()
		img, h, err := explainFile(c, photo, *method, o)
		if err == nil && *out != "" {
			err = writeOverlay(outName(*out, i+1, fs.NArg()), img, h)
		}
		if err != nil {
			if errors.As(err, new(*grad.UnsupportedError)) {
				err = fmt.Errorf("%v; -method occlusion explains any model", err)
			}
			fmt.Fprintf(stderr, "glimpse: %s: %v\n", termSafe(photo), oneLine(err))
			failed++
			continue
		}
		label := ""
		if h.Class < len(c.Labels) {
			label = c.Labels[h.Class]
		}
		b := img.Bounds()
		g := h.Region.Sub(b.Min)
		if *asJSON {
			if err := enc.Encode(explainJSON{Photo: photo, Class: h.Class, Label: label, Prob: h.Prob, Method: h.Method,
				Rows: h.Rows, Cols: h.Cols, Heat: h.Values, Region: [4]int{g.Min.X, g.Min.Y, g.Max.X, g.Max.Y}}); err != nil {
				return err
			}
			continue
		}
		if label == "" {
			label = fmt.Sprintf("class %d", h.Class)
		}
		fmt.Fprintf(stdout, "%s: %s %s (class %d; %s, %dx%d cells, %.1f s)\n", termSafe(photo), termSafe(label), strings.TrimSpace(percent(h.Prob)),
			h.Class, h.Method, h.Rows, h.Cols, time.Since(t0).Seconds())
		fmt.Fprintf(stdout, "  %s\n", hottest(h, b))
		if *out != "" {
			fmt.Fprintf(stdout, "  wrote %s\n", termSafe(outName(*out, i+1, fs.NArg())))
		}
	}
	if failed > 0 {
		return errReported // each failure already has its own line
	}
	return nil
}

// explainFile reads, decodes (EXIF orientation applied) and explains one photo.
func explainFile(c *model.Classifier, path, method string, o explain.Options) (image.Image, *explain.Heat, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, unwrapPath(err)
	}
	img, _, err := imagefile.Decode(data)
	if err != nil {
		return nil, nil, err
	}
	h, err := explain.Explain(c, img, method, o)
	if err != nil {
		return nil, nil, err
	}
	return img, h, nil
}

// outName is -o's file for the n-th of count photos: OUT itself for one
// photo, else OUT-n with OUT's extension kept (heat.png: heat-1.png).
func outName(out string, n, count int) string {
	if count == 1 {
		return out
	}
	ext := filepath.Ext(out)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(out, ext), n, ext)
}

func writeOverlay(path string, img image.Image, h *explain.Heat) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-o: %v", pathErr(err))
	}
	if err := png.Encode(f, explain.Overlay(img, h, overlayAlpha)); err != nil {
		f.Close()
		return fmt.Errorf("-o: %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("-o: %v", pathErr(err))
	}
	return nil
}

// hottest says in words where the heat is: the ninth of the explained
// region (top left ... bottom right) with the most of it, and the hottest
// cell in the photo's pixels.
func hottest(h *explain.Heat, photo image.Rectangle) string {
	total := h.Total()
	if total <= 0 {
		if h.Method != explain.MethodOcclusion {
			return "no part of the photo counts for the class"
		}
		return "hiding no part of the photo lowers the probability"
	}
	var zone [3][3]float64
	best, bestR, bestC := float32(-1), 0, 0
	for r := 0; r < h.Rows; r++ {
		for c := 0; c < h.Cols; c++ {
			v := h.At(r, c)
			zone[(6*r+3)/(2*h.Rows)][(6*c+3)/(2*h.Cols)] += float64(v) // by the cell's centre
			if v > best {
				best, bestR, bestC = v, r, c
			}
		}
	}
	zr, zc := 0, 0
	for r := range zone {
		for c := range zone[r] {
			if zone[r][c] > zone[zr][zc] {
				zr, zc = r, c
			}
		}
	}
	names := [3][3]string{{"top left", "top", "top right"}, {"left", "centre", "right"}, {"bottom left", "bottom", "bottom right"}}
	part := "photo"
	if h.Region != photo {
		part = "part the model reads"
	}
	cell := h.CellRect(bestR, bestC).Sub(photo.Min)
	if h.Method != explain.MethodOcclusion {
		return fmt.Sprintf("hottest: the %s of the %s (%.0f%% of the heat); the hottest cell is x %d-%d, y %d-%d of %dx%d",
			names[zr][zc], part, 100*zone[zr][zc]/total, cell.Min.X, cell.Max.X, cell.Min.Y, cell.Max.Y, photo.Dx(), photo.Dy())
	}
	return fmt.Sprintf("hottest: the %s of the %s (%.0f%% of the heat); the hottest cell is x %d-%d, y %d-%d of %dx%d (hidden, the probability drops by %.3g)",
		names[zr][zc], part, 100*zone[zr][zc]/total, cell.Min.X, cell.Max.X, cell.Min.Y, cell.Max.Y, photo.Dx(), photo.Dy(), best)
}
