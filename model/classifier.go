// Package model ties the engine together for callers (the command line and
// the browser): it loads a compiled bundle (model/bundle) or, when an ONNX
// decoder is linked in (model/importer), an ONNX file, with its labels and
// card, compiles it for the CPU, and turns images into top-K labelled
// results.
package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"time"

	"github.com/glimpse/glimpse/model/bundle"
	"github.com/glimpse/glimpse/model/card"
	"github.com/glimpse/glimpse/model/check"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/vision"
)

// Classifier is a compiled model with what it takes to feed and read it.
// It is not safe for concurrent use.
type Classifier struct {
	Name    string
	Card    card.Card
	Labels  []string
	Graph   *graph.Graph // as decoded (from a bundle: the optimised graph it holds)
	Program *cpu.Program // as it runs
	// Params counts the float weights and Ops the nodes of the ONNX file
	// (for a bundle, of the file it was compiled from); Bytes is the size
	// of the file loaded.
	Params, Ops, Bytes int
	// Bundle is the loaded bundle's meta, nil for an ONNX file.
	Bundle *bundle.Meta
	// Check is the report of the last Verify (nil before).
	Check *check.Report
	// Fallback says why Program is the unoptimised program; empty while
	// the optimised one runs.
	Fallback string
	// Feature is the tensor a feature extractor stops at (Files.Feature),
	// or "" for a classifier; Pooled says it is a feature map that the
	// program averages over its positions (train.Pool).
	Feature string
	Pooled  bool

	probs []float32
}

// Files holds what Load reads (Labels and Card are optional), and whether
// to verify the compiled program.
type Files struct {
	Name   string // shown in messages, e.g. the file name
	Model  []byte
	Labels []byte
	Card   []byte
	// Verify runs Classifier.Verify after compiling: the optimised program
	// is checked against the reference, and replaced by the unoptimised
	// one when they disagree. It costs the reference interpretation, a compile
	// of the unoptimised program and three runs, untimed.
	Verify bool
	// Feature, when set, makes the classifier a feature extractor: the
	// program stops at this tensor (train.Auto: the backbone's penultimate
	// one, found by train.FindFeature) and its output is the features;
	// labels are not read.
	Feature string
	// MaxMemory is the memory budget for the compiled program in bytes (0:
	// cpu.DefaultMaxMemory, 1 GiB): a model that needs more is refused
	// before anything that size is allocated.
	MaxMemory int64
}

// DecodeONNX decodes an ONNX file; nil in a build that loads bundles only.
// model/importer sets it.
var DecodeONNX func([]byte) (*graph.Graph, error)

// Decode reads a model file's graph: a bundle's (its optimised graph and
// constants), or an ONNX file's when DecodeONNX is set.
func Decode(data []byte) (*graph.Graph, error) {
	g, _, err := decode(data)
	return g, err
}

// decode is Decode, with a bundle's meta (nil for ONNX).
func decode(data []byte) (*graph.Graph, *bundle.Meta, error) {
	if bundle.IsBundle(data) {
		g, m, err := bundle.Decode(data)
		if err != nil {
			return nil, nil, err
		}
		return g, &m, nil
	}
	if DecodeONNX == nil {
		return nil, nil, errors.New("this engine loads compiled Glimpse bundles only (compile the ONNX file with 'glimpse compile')")
	}
	g, err := DecodeONNX(data)
	return g, nil, err
}

// Load decodes, checks and compiles a model: a bundle, or an ONNX file
// when DecodeONNX is set. Errors are single lines that
// name the model, and for a missing op the op type and the node.
func Load(f Files) (*Classifier, error) {
	name := f.Name
	if name == "" {
		name = "model"
	}
	g, meta, err := decode(f.Model)
	if err != nil {
		return nil, loadErr(KindInvalid, name, err)
	}
	var bundleCard []byte // a bundle's own card: a card given beside it applies on top
	if meta != nil {
		bundleCard = meta.Card
		if len(f.Labels) == 0 {
			f.Labels = []byte(meta.Labels)
		}
	}
	if err := cpu.CheckSupported(g); err != nil {
		return nil, loadErr(KindUnsupported, name, err)
	}
	if len(g.Inputs) == 0 {
		return nil, loadErrf(KindCompile, name, "the model has no image input")
	}
	c, err := DeriveCard(g)
	if err != nil {
		return nil, loadErr(KindCard, name, err)
	}
	for _, cj := range [][]byte{bundleCard, f.Card} {
		if len(cj) == 0 {
			continue
		}
		o, err := card.Parse(cj)
		if err != nil {
			return nil, loadErr(KindCard, name, err) // card errors say "card: ..."
		}
		c = c.Apply(o)
	}
	if err := c.Validate(); err != nil {
		return nil, loadErr(KindCard, name, err) // card errors say "card: ..."
	}
	if f.Feature != "" {
		f.Labels = nil // a feature extractor has no classes
	}
	shape := []int{1, 3, c.Input.Height, c.Input.Width}
	if c.Input.Layout == "NHWC" {
		shape = []int{1, c.Input.Height, c.Input.Width, 3}
	}
	in := g.Inputs[0]
	for i, d := range in.Dims {
		if d.Value > 0 && i < len(shape) && int(d.Value) != shape[i] {
			return nil, loadErrf(KindCard, name, "the model's input %q is fixed at %v, the card asks for %v", in.Name, dims(in), shape)
		}
	}
	if in.DType != graph.Float32 {
		return nil, loadErrf(KindCompile, name, "input %q is %s; an image input is float32", in.Name, in.DType)
	}
	if len(in.Dims) != 4 {
		return nil, loadErrf(KindCompile, name, "input %q has shape %v; an image input has 4 dimensions", in.Name, dims(in))
	}
	opts := cpu.Options{InputShapes: map[string][]int{in.Name: shape}, MaxMemory: f.MaxMemory}
	var p *cpu.Program
	feature, pooled := "", false
	if f.Feature != "" {
		g, p, feature, pooled, err = compileFeature(g, f.Feature, opts)
	} else {
		p, err = cpu.Compile(g, opts)
	}
	if err != nil {
		return nil, loadErr(KindCompile, name, err)
	}
	if len(p.Outputs) == 0 || p.Outputs[0].DType != graph.Float32 {
		return nil, loadErrf(KindCompile, name, "the first output is not a float tensor")
	}
	cl := &Classifier{Name: name, Card: c, Graph: g, Program: p, Bytes: len(f.Model), Ops: len(g.Nodes), Bundle: meta, Feature: feature, Pooled: pooled}
	classes := p.Outputs[0].Len()
	if n := len(c.Output.Thresholds); n > 0 && n != classes && feature == "" {
		return nil, loadErrf(KindCard, name, "card: output.thresholds has %d values, the model has %d classes", n, classes)
	}
	if len(f.Labels) > 0 {
		labels, err := vision.ParseLabels(f.Labels)
		if err != nil {
			return nil, loadErr(KindLabels, name, fmt.Errorf("labels: %w", err))
		}
		if len(labels) != classes {
			return nil, loadErrf(KindLabels, name, "labels file has %d labels, the model has %d classes", len(labels), classes)
		}
		cl.Labels = labels
	}
	for _, t := range g.Initializers {
		if t.DType == graph.Float32 && len(t.Shape) > 0 { // scalars are not counted
			cl.Params += t.Len()
		}
	}
	if meta != nil {
		cl.Params, cl.Ops = meta.SourceParams, meta.SourceOps
		// The check the importer ran on the ONNX file (against its own
		// reference, fusion included) stands for this program.
		if len(meta.Check) > 0 {
			var r check.Report
			if err := json.Unmarshal(meta.Check, &r); err == nil {
				cl.Check, cl.Fallback = &r, meta.Fallback
			}
		}
	}
	cl.probs = make([]float32, classes)
	if f.Verify {
		if _, err := cl.Verify(check.Options{Runs: -1}); err != nil { // untimed: nobody reads the times here
			return nil, loadErr(KindCompile, name, err)
		}
	}
	return cl, nil
}

// Verify runs the model check (model/check) on the program the classifier
// runs, for its input shape, and keeps the report in c.Check. When the
// optimised program disagrees with the reference, or with itself from one
// run to the next, the classifier switches to the unoptimised program (no
// fusion, no buffer reuse) and c.Fallback says why. opts.Program and
// opts.InputShapes are set here; a report whose verdict is CannotRun is
// returned as an error (the running program failed), leaving c as it was.
func (c *Classifier) Verify(opts check.Options) (*check.Report, error) {
	if c.Check != nil {
		return c.Check, nil
	}
	p := c.Program
	opts.Program = p
	opts.InputShapes = map[string][]int{}
	for i, t := range p.Inputs {
		opts.InputShapes[p.Names.Inputs[i]] = t.Shape
	}
	r, err := check.Run(c.Graph, opts)
	if err != nil {
		return nil, err
	}
	switch r.Verdict {
	case check.CannotRun:
		return r, errors.New(r.Reason)
	case check.Mismatch, check.RunToRun: // check.Run compiled the unoptimised program
		c.Program = r.Unoptimised
		c.Fallback = r.Reason
	default:
		r.Unoptimised = nil // not needed: let it go
	}
	c.Check = r
	return r, nil
}

// Copy returns a classifier of the same model with a program of its own,
// compiled again from c.Graph with c's options (the unoptimised program,
// no fusion and no buffer reuse, when c fell back to it), for another
// goroutine: a Classifier is not safe for concurrent use. The copy holds
// its own activations and packed weights (Program.MemoryBytes more).
func (c *Classifier) Copy() (*Classifier, error) {
	shapes := map[string][]int{}
	for i, t := range c.Program.Inputs {
		shapes[c.Program.Names.Inputs[i]] = t.Shape
	}
	p, err := cpu.Compile(c.Graph, cpu.Options{InputShapes: shapes, NoFusion: c.Fallback != "", NoReuse: c.Fallback != ""})
	if err != nil {
		return nil, loadErr(KindCompile, c.Name, err)
	}
	cp := *c
	cp.Program, cp.probs = p, make([]float32, len(c.probs))
	return &cp, nil
}

// Notice is the line the UI and the CLI show when the unoptimised program
// runs, or "".
func (c *Classifier) Notice() string {
	if c.Fallback == "" {
		return ""
	}
	return "using the unoptimised program because " + c.Fallback
}

func dims(v graph.ValueInfo) []string {
	out := make([]string, len(v.Dims))
	for i, d := range v.Dims {
		if d.Param != "" || d.Value <= 0 {
			out[i] = d.Param
			if out[i] == "" {
				out[i] = "?"
			}
		} else {
			out[i] = fmt.Sprint(d.Value)
		}
	}
	return out
}

// InputShapes gives the first input, when it is an image whose height and
// width are symbolic, the shape Load would compile it for: the card's size
// (cardJSON, optional) or the derived default. It returns nil when there is
// nothing to fix, or the card does not fit the model.
func InputShapes(g *graph.Graph, cardJSON []byte) map[string][]int {
	if len(g.Inputs) == 0 || len(g.Inputs[0].Dims) != 4 {
		return nil
	}
	in := g.Inputs[0]
	symbolic := false
	for _, d := range in.Dims[1:] {
		if d.Value <= 0 {
			symbolic = true
		}
	}
	if !symbolic {
		return nil
	}
	c, err := DeriveCard(g)
	if err != nil {
		return nil
	}
	if len(cardJSON) > 0 {
		if o, err := card.Parse(cardJSON); err == nil {
			c = c.Apply(o)
		}
	}
	shape := []int{1, 3, c.Input.Height, c.Input.Width}
	if c.Input.Layout == card.LayoutNHWC {
		shape = []int{1, c.Input.Height, c.Input.Width, 3}
	}
	for i, d := range in.Dims {
		if d.Value > 0 && int(d.Value) != shape[i] {
			return nil
		}
	}
	return map[string][]int{in.Name: shape}
}

// DeriveCard reads what the model itself says about its input and output.
func DeriveCard(g *graph.Graph) (card.Card, error) {
	if len(g.Inputs) == 0 || len(g.Outputs) == 0 {
		return card.Card{}, errors.New("the model needs an input and an output")
	}
	shape := make([]int, len(g.Inputs[0].Dims))
	for i, d := range g.Inputs[0].Dims {
		shape[i] = int(d.Value)
	}
	last := ""
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == g.Outputs[0].Name {
				last = n.Op
			}
		}
	}
	return card.Derive(shape, last)
}

// Input is the model's input buffer: preprocessing writes here directly.
func (c *Classifier) Input() []float32 { return c.Program.Inputs[0].F }

// Classify preprocesses img, runs the model and returns the top k results
// and the time spent (preprocessing included).
func (c *Classifier) Classify(img image.Image, k int) ([]vision.Result, time.Duration, error) {
	t0 := time.Now()
	if err := vision.Preprocess(img, c.Card.Spec(), c.Input()); err != nil {
		return nil, 0, err
	}
	top, err := c.classifyInput(k)
	return top, time.Since(t0), err
}

// ClassifyRGBA does the same for raw RGBA pixels (a canvas's ImageData).
func (c *Classifier) ClassifyRGBA(pix []uint8, w, h, stride, k int) ([]vision.Result, time.Duration, error) {
	t0 := time.Now()
	if err := vision.PreprocessRGBA(pix, w, h, stride, c.Card.Spec(), c.Input()); err != nil {
		return nil, 0, err
	}
	top, err := c.classifyInput(k)
	return top, time.Since(t0), err
}

func (c *Classifier) classifyInput(k int) ([]vision.Result, error) {
	if err := c.Program.Execute(); err != nil {
		return nil, err
	}
	return c.TopK(c.Program.Outputs[0].F, k), nil
}

// Features preprocesses img and returns the raw output of a feature
// extractor (Files.Feature): a new slice the caller keeps.
func (c *Classifier) Features(img image.Image) ([]float32, error) {
	if err := vision.Preprocess(img, c.Card.Spec(), c.Input()); err != nil {
		return nil, err
	}
	return c.runFeatures()
}

// FeaturesRGBA does the same for raw RGBA pixels.
func (c *Classifier) FeaturesRGBA(pix []uint8, w, h, stride int) ([]float32, error) {
	if err := vision.PreprocessRGBA(pix, w, h, stride, c.Card.Spec(), c.Input()); err != nil {
		return nil, err
	}
	return c.runFeatures()
}

func (c *Classifier) runFeatures() ([]float32, error) {
	if err := c.Program.Execute(); err != nil {
		return nil, err
	}
	out := c.Program.Outputs[0].F
	for _, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, errors.New("the model's features are not finite numbers")
		}
	}
	return slices.Clone(out), nil
}

// Normalize scales v to unit L2 length in place (an embedding) and returns it.
func Normalize(v []float32) []float32 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s > 0 {
		inv := 1 / math.Sqrt(s)
		for i, x := range v {
			v[i] = float32(float64(x) * inv)
		}
	}
	return v
}

// Probabilities maps raw outputs to probabilities as the card says.
func (c *Classifier) Probabilities(out []float32) []float32 {
	switch c.Card.Output.Activation {
	case "softmax":
		vision.Softmax(c.probs, out)
	case "sigmoid":
		vision.Sigmoid(c.probs, out)
	default:
		copy(c.probs, out)
	}
	return c.probs
}

// TopK turns raw outputs into the k most likely labelled classes.
func (c *Classifier) TopK(out []float32, k int) []vision.Result {
	return vision.TopK(c.Probabilities(out), k, c.Labels)
}
