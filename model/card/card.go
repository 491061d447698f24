// Package card describes how to feed a model and how to read its output: the
// input size, tensor layout, channel order and normalisation, the crop and
// resize method, and the activation to apply to the output.
//
// A card is usually derived from the model graph (Derive), optionally
// overridden by a JSON file shipped beside the model (Parse, Apply), and
// checked with Validate. Resolve does all three.
package card

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/glimpse/glimpse/model/vision/spec"
)

// Card says how to feed and read a model.
type Card struct {
	Name    string `json:"name,omitempty"`
	Input   Input  `json:"input"`
	Output  Output `json:"output"`
	Labels  string `json:"labels,omitempty"`  // labels file name, relative to the card/model
	License string `json:"license,omitempty"` // short credit line shown in UI
	Source  string `json:"source,omitempty"`
	// Training records how a model trained by Glimpse was made (nil for
	// any other model).
	Training *Training `json:"training,omitempty"`
}

// Training is what `glimpse train` and the Train view record in the card
// of a model they make: the classes with their photo counts, the backbone,
// the head, the augmentation, the validation metrics and the date.
type Training struct {
	Date     string          `json:"date"` // RFC 3339
	Backbone string          `json:"backbone"`
	Feature  string          `json:"feature"` // the backbone tensor the head reads
	Classes  []TrainingClass `json:"classes"`
	Head     TrainingHead    `json:"head"`
	Augment  *Augmentation   `json:"augment,omitempty"`
	Split    TrainingSplit   `json:"split"`
	// Validation holds the metrics on the held-out photos (absent without
	// a validation split): accuracy, macro_f1, loss; multi-label adds
	// sample_f1.
	Validation map[string]float64 `json:"validation,omitempty"`
	Seed       uint64             `json:"seed"`
}

// TrainingClass is one class and how many photos it had.
type TrainingClass struct {
	Name       string `json:"name"`
	Photos     int    `json:"photos"`
	Validation int    `json:"validation"` // of which held out
}

// TrainingHead describes the trained head.
type TrainingHead struct {
	Mode        string  `json:"mode"` // linear, mlp or ncm
	Hidden      int     `json:"hidden,omitempty"`
	Optimizer   string  `json:"optimizer"`
	WeightDecay float64 `json:"weight_decay"`
	Epochs      int     `json:"epochs"`       // iterations run
	BestEpoch   int     `json:"best_epoch"`   // the one kept (early stopping)
	ClassWeight bool    `json:"class_weight"` // balanced class weights
}

// Augmentation records the augmented variants made of each training photo.
type Augmentation struct {
	Variants   int        `json:"variants"`
	Scale      [2]float64 `json:"scale"`
	Ratio      [2]float64 `json:"ratio"`
	Flip       bool       `json:"flip"`
	Rotate     float64    `json:"rotate"`
	Brightness float64    `json:"brightness"`
	Contrast   float64    `json:"contrast"`
	Saturation float64    `json:"saturation"`
}

// TrainingSplit is how the photos were divided.
type TrainingSplit struct {
	Train      int     `json:"train"`
	Validation int     `json:"validation"`
	Fraction   float64 `json:"fraction"`
	Rows       int     `json:"rows"` // training feature rows, augmented variants included
}

// Input describes the model's image input tensor.
type Input struct {
	Width    int        `json:"width"`
	Height   int        `json:"height"`
	Layout   string     `json:"layout"`   // NCHW | NHWC
	Channels string     `json:"channels"` // RGB | BGR
	Mean     [3]float32 `json:"mean"`     // 0..255 units, R,G,B order
	Std      [3]float32 `json:"std"`      // 0..255 units, R,G,B order
	Crop     float32    `json:"crop"`     // centre crop fraction of the shorter side, (0,1]
	Resize   string     `json:"resize"`   // bilinear | catmullrom | nearest | area
}

// Output describes how to turn the model's first output into probabilities.
type Output struct {
	Activation string  `json:"activation"`          // softmax | sigmoid | none (already probabilities)
	Threshold  float32 `json:"threshold,omitempty"` // multi-label decision threshold, default 0.5
	MultiLabel bool    `json:"multi_label,omitempty"`
	// Thresholds, when present, holds each class's own multi-label
	// threshold (tuned on validation photos), in class order.
	Thresholds []float32 `json:"thresholds,omitempty"`
}

// Allowed values.
const (
	LayoutNCHW = "NCHW"
	LayoutNHWC = "NHWC"

	ActivationSoftmax = "softmax"
	ActivationSigmoid = "sigmoid"
	ActivationNone    = "none"

	// DefaultSize is used for symbolic or unknown spatial dimensions.
	DefaultSize = 224
	// DefaultThreshold is the multi-label threshold used when none is given.
	DefaultThreshold = 0.5
	// MaxSize bounds the input width and height accepted by Validate.
	MaxSize = 4096
	// MinStd and MaxNorm bound the normalisation Validate accepts: every
	// std in [MinStd, MaxNorm] and every |mean| at most MaxNorm, in 0..255
	// units. Real cards use std 1 (raw pixels) to 255 (0..1 input) and mean
	// 0..255; the bounds are loose enough for any of those and tight enough
	// that (pixel − mean)/std stays within ±1e12, far inside float32, so a
	// card cannot turn every input into ±Inf or NaN (mean 3e38, std 1e-38).
	MinStd  = 1e-6
	MaxNorm = 1e6
)

var (
	resizes = []string{"bilinear", "catmullrom", "nearest", "area"}
	// ImageNet (torchvision) normalisation in 0..255 units.
	imagenetMean = [3]float32{123.675, 116.28, 103.53}
	imagenetStd  = [3]float32{58.395, 57.12, 57.375}
)

// Derive builds a card from the model's first input shape and the op type of
// the node producing its first output.
//
// The shape must be 4-D: [N,3,H,W] gives NCHW and [N,H,W,3] gives NHWC
// (NCHW wins if both positions hold 3). H or W <= 0 (symbolic or unknown)
// becomes DefaultSize. A graph ending in Softmax gets activation "none"; one
// ending in Sigmoid gets "none" with MultiLabel and Threshold 0.5; anything
// else gets "softmax". What cannot be derived gets defaults: RGB, ImageNet
// mean/std, crop 0.875, bilinear.
func Derive(inputShape []int, lastOp string) (Card, error) {
	if len(inputShape) != 4 {
		return Card{}, fmt.Errorf("card: model input shape %v is not 4-D (want [N,3,H,W] or [N,H,W,3])", inputShape)
	}
	c := Card{Input: Input{
		Channels: "RGB",
		Mean:     imagenetMean,
		Std:      imagenetStd,
		Crop:     0.875,
		Resize:   "bilinear",
	}}
	var h, w int
	switch {
	case inputShape[1] == 3:
		c.Input.Layout = LayoutNCHW
		h, w = inputShape[2], inputShape[3]
	case inputShape[3] == 3:
		c.Input.Layout = LayoutNHWC
		h, w = inputShape[1], inputShape[2]
	default:
		return Card{}, fmt.Errorf("card: model input shape %v has no 3-channel dimension (want [N,3,H,W] or [N,H,W,3])", inputShape)
	}
	if h <= 0 {
		h = DefaultSize
	}
	if w <= 0 {
		w = DefaultSize
	}
	c.Input.Width, c.Input.Height = w, h
	switch lastOp {
	case "Softmax":
		c.Output.Activation = ActivationNone
	case "Sigmoid":
		c.Output.Activation = ActivationNone
		c.Output.MultiLabel = true
		c.Output.Threshold = DefaultThreshold
	default:
		c.Output.Activation = ActivationSoftmax
	}
	return c, nil
}

// Vec3 is a per-channel value (R,G,B order) in an override file. In JSON it
// is either an array of exactly three numbers or a single number used for
// all three channels.
type Vec3 [3]float32

// UnmarshalJSON implements json.Unmarshaler.
func (v *Vec3) UnmarshalJSON(b []byte) error {
	var f float32
	if err := json.Unmarshal(b, &f); err == nil {
		*v = Vec3{f, f, f}
		return nil
	}
	var s []float32
	if err := json.Unmarshal(b, &s); err != nil || len(s) != 3 {
		return fmt.Errorf("want a number or an array of 3 numbers, got %s", b)
	}
	copy(v[:], s)
	return nil
}

// Overrides is a parsed override file. A nil field was absent from the JSON
// and leaves the derived value alone. The JSON shape is the same as Card's,
// so a complete card is also a valid override file.
type Overrides struct {
	Name     *string          `json:"name"`
	Input    *InputOverrides  `json:"input"`
	Output   *OutputOverrides `json:"output"`
	Labels   *string          `json:"labels"`
	License  *string          `json:"license"`
	Source   *string          `json:"source"`
	Training *Training        `json:"training"`
}

// InputOverrides overrides fields of Input.
type InputOverrides struct {
	Width    *int     `json:"width"`
	Height   *int     `json:"height"`
	Layout   *string  `json:"layout"`
	Channels *string  `json:"channels"`
	Mean     *Vec3    `json:"mean"`
	Std      *Vec3    `json:"std"`
	Crop     *float32 `json:"crop"`
	Resize   *string  `json:"resize"`
}

// OutputOverrides overrides fields of Output.
type OutputOverrides struct {
	Activation *string   `json:"activation"`
	Threshold  *float32  `json:"threshold"`
	MultiLabel *bool     `json:"multi_label"`
	Thresholds []float32 `json:"thresholds"`
}

// Parse parses an override file. Unknown fields (typos), a malformed value
// or trailing data are errors. Values are not checked here; call Validate
// on the card after Apply.
func Parse(data []byte) (Overrides, error) {
	var o Overrides
	if len(bytes.TrimSpace(data)) == 0 {
		return o, errors.New("card: empty model card file")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Overrides{}, fmt.Errorf("card: invalid model card JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Overrides{}, errors.New("card: invalid model card JSON: unexpected data after the top-level object")
	}
	return o, nil
}

// Apply returns c with every field present in o replaced.
//
// Setting the activation to "sigmoid" also turns on MultiLabel unless
// multi_label is given; when the result is multi-label or sigmoid and has no
// threshold, the threshold becomes DefaultThreshold.
func (c Card) Apply(o Overrides) Card {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, o.Name)
	set(&c.Labels, o.Labels)
	set(&c.License, o.License)
	set(&c.Source, o.Source)
	if o.Training != nil {
		c.Training = o.Training
	}
	if in := o.Input; in != nil {
		if in.Width != nil {
			c.Input.Width = *in.Width
		}
		if in.Height != nil {
			c.Input.Height = *in.Height
		}
		set(&c.Input.Layout, in.Layout)
		set(&c.Input.Channels, in.Channels)
		if in.Mean != nil {
			c.Input.Mean = *in.Mean
		}
		if in.Std != nil {
			c.Input.Std = *in.Std
		}
		if in.Crop != nil {
			c.Input.Crop = *in.Crop
		}
		set(&c.Input.Resize, in.Resize)
	}
	if out := o.Output; out != nil {
		set(&c.Output.Activation, out.Activation)
		if out.Threshold != nil {
			c.Output.Threshold = *out.Threshold
		}
		if out.Thresholds != nil {
			c.Output.Thresholds = out.Thresholds
		}
		if out.MultiLabel != nil {
			c.Output.MultiLabel = *out.MultiLabel
		} else if out.Activation != nil && *out.Activation == ActivationSigmoid {
			c.Output.MultiLabel = true
		}
	}
	if (c.Output.MultiLabel || c.Output.Activation == ActivationSigmoid) && c.Output.Threshold == 0 {
		c.Output.Threshold = DefaultThreshold
	}
	return c
}

func finite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// Validate reports every invalid value in one error of one line, each part
// naming its field: sizes in 1..MaxSize, mean and std finite and within
// MinStd and MaxNorm, crop in (0,1], threshold in [0,1), known names.
func (c Card) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	in := c.Input
	if in.Width <= 0 || in.Width > MaxSize || in.Height <= 0 || in.Height > MaxSize {
		bad("input size %dx%d out of range 1..%d", in.Width, in.Height, MaxSize)
	}
	if in.Layout != LayoutNCHW && in.Layout != LayoutNHWC {
		bad("input.layout %q unknown (want NCHW or NHWC)", in.Layout)
	}
	if in.Channels != "RGB" && in.Channels != "BGR" {
		bad("input.channels %q unknown (want RGB or BGR)", in.Channels)
	}
	for i := 0; i < 3; i++ {
		switch m := in.Mean[i]; {
		case !finite(m):
			bad("input.mean[%d] %v is not a finite number", i, m)
		case m < -MaxNorm || m > MaxNorm:
			bad("input.mean[%d] %v out of range [%g, %g]", i, m, -MaxNorm, MaxNorm)
		}
		switch sd := in.Std[i]; {
		case !finite(sd) || sd <= 0:
			bad("input.std[%d] %v must be a positive number", i, sd)
		case sd < MinStd || sd > MaxNorm:
			bad("input.std[%d] %v out of range [%g, %g]", i, sd, MinStd, MaxNorm)
		}
	}
	if !(in.Crop > 0 && in.Crop <= 1) {
		bad("input.crop %v out of range (0,1]", in.Crop)
	}
	known := false
	for _, r := range resizes {
		known = known || in.Resize == r
	}
	if !known {
		bad("input.resize %q unknown (want %s)", in.Resize, strings.Join(resizes, ", "))
	}
	switch c.Output.Activation {
	case ActivationSoftmax, ActivationSigmoid, ActivationNone:
	default:
		bad("output.activation %q unknown (want softmax, sigmoid or none)", c.Output.Activation)
	}
	if th := c.Output.Threshold; !(th >= 0 && th < 1) {
		bad("output.threshold %v out of range [0,1)", th)
	} else if c.Output.MultiLabel && th == 0 {
		bad("output.threshold must be in (0,1) for a multi-label model")
	}
	for i, th := range c.Output.Thresholds {
		if !(th > 0 && th < 1) {
			bad("output.thresholds[%d] %v out of range (0,1)", i, th)
			break
		}
	}
	if len(errs) == 0 {
		return nil
	}
	name := ""
	if c.Name != "" {
		name = " " + c.Name
	}
	return fmt.Errorf("card: invalid model card%s: %s", name, strings.Join(errs, "; "))
}

// Spec converts the card's input description to a spec.Spec (vision.Spec).
func (c Card) Spec() spec.Spec {
	in := c.Input
	return spec.Spec{
		Width:    in.Width,
		Height:   in.Height,
		Layout:   in.Layout,
		Channels: in.Channels,
		Mean:     in.Mean,
		Std:      in.Std,
		Crop:     in.Crop,
		Resize:   in.Resize,
	}
}

// Resolve derives a card from the graph, applies the override file if
// overrides is non-nil, and validates the result.
func Resolve(inputShape []int, lastOp string, overrides []byte) (Card, error) {
	c, err := Derive(inputShape, lastOp)
	if err != nil {
		return Card{}, err
	}
	if overrides != nil {
		o, err := Parse(overrides)
		if err != nil {
			return Card{}, err
		}
		c = c.Apply(o)
	}
	if err := c.Validate(); err != nil {
		return Card{}, err
	}
	return c, nil
}

//go:embed mobilenet_v2_1.0_224.json
var defaultJSON []byte

// DefaultJSON returns the embedded card of the default model
// (mobilenet_v2_1.0_224) as JSON.
func DefaultJSON() []byte { return bytes.Clone(defaultJSON) }

var defaultCard = sync.OnceValue(func() Card {
	c, err := ParseCard(defaultJSON)
	if err != nil {
		panic(err)
	}
	return c
})

// Default returns the card of the default model, mobilenet_v2_1.0_224
// (embedded from mobilenet_v2_1.0_224.json). It panics if the embedded card
// is invalid, which the tests rule out.
func Default() Card { return defaultCard() }

// ParseCard decodes a complete card (not overrides) strictly: unknown
// fields, wrong-length mean/std and missing required fields are errors, and
// the result is validated. A missing output.threshold gets the default rule
// of Apply.
func ParseCard(data []byte) (Card, error) {
	o, err := Parse(data)
	if err != nil {
		return Card{}, err
	}
	if o.Input == nil || o.Output == nil || o.Input.Width == nil || o.Input.Height == nil ||
		o.Input.Layout == nil || o.Input.Channels == nil || o.Input.Mean == nil || o.Input.Std == nil ||
		o.Input.Crop == nil || o.Input.Resize == nil || o.Output.Activation == nil {
		return Card{}, errors.New("card: incomplete model card (input.width, height, layout, channels, mean, std, crop, resize and output.activation are required)")
	}
	c := Card{}.Apply(o)
	return c, c.Validate()
}

// Merge lays the card file over's fields on base's (a model's own card):
// objects are merged field by field one level down ("input", "output"),
// other fields replaced. Both must be card files (Parse), and so is the
// result. A model trained on a backbone gets the backbone's card (its
// input) with its own output and training record this way.
func Merge(base, over []byte) ([]byte, error) {
	if _, err := Parse(over); err != nil {
		return nil, err
	}
	m := map[string]any{}
	if len(bytes.TrimSpace(base)) > 0 {
		if _, err := Parse(base); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(base, &m); err != nil {
			return nil, err
		}
	}
	var o map[string]any
	if err := json.Unmarshal(over, &o); err != nil {
		return nil, err
	}
	for k, v := range o {
		sub, ok := v.(map[string]any)
		if dst, isMap := m[k].(map[string]any); ok && isMap {
			for sk, sv := range sub {
				dst[sk] = sv
			}
			continue
		}
		m[k] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if _, err := Parse(out); err != nil {
		return nil, err
	}
	return out, nil
}
