package explain

import (
	"errors"
	"fmt"
	"sync"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/grad"
	"github.com/glimpse/glimpse/model/graph"
)

// engine is what the gradient methods and attention rollout need of a
// classifier, built once: a copy of its program compiled with its own
// buffer for every tensor (a backward pass reads activations the shared
// arena would have overwritten, and rollout reads every layer's attention
// after the run), the output, the class score (the logits before the
// model's Softmax, or the output itself), and what each method builds on
// top of it, on first use: Grad-CAM's plan per feature map, the plan from
// the score to the input, the attention tensors.
//
// The copy holds all of a run's activations — 1.9 MB against the shared
// arena's 0.7 MB for MobileNet v1 0.25 at 128, 27 MB against 7.4 MB for
// v2 1.0 at 224 — and its own packed weights: in all 5.8 MB and 55 MB
// (cpu.Program.MemoryBytes), on top of the classifier's. Each backward
// plan adds one gradient buffer per tensor it passes through.
type engine struct {
	c           *model.Classifier
	prog        *cpu.Program
	out, seed   *graph.Tensor
	logitBefore bool // seed is the logits before the model's Softmax
	steps       []cpu.Step
	names       map[*graph.Tensor]string // step outputs' tensor names
	byName      map[string]*graph.Tensor
	needed      map[*graph.Tensor]bool // what the score depends on
	seedGrad    []float32              // one-hot at the class explained

	cams   map[string]camResult // by layer ("" for the default one)
	in     *inputGrad
	inOK   bool // in (or inErr) is built
	inErr  error
	att    *attention
	attOK  bool
	attErr error
}

type camResult struct {
	cam *gradCAM
	err error
}

// One engine is cached: the last classifier program asked about.
// Compiling costs far more than a run.
var engineCache struct {
	sync.Mutex
	prog     *cpu.Program
	fallback bool
	e        *engine
	err      error
}

// engineFor returns the (cached) engine for c. The caller holds
// engineCache's lock while it looks the engine up and builds what it needs
// of it; running it is not safe for concurrent use, like the Classifier.
func engineFor(c *model.Classifier) (*engine, error) {
	if c == nil || c.Program == nil || c.Graph == nil || len(c.Program.Inputs) == 0 || len(c.Program.Outputs) == 0 {
		return nil, errors.New("explain: no classifier")
	}
	if c.Feature != "" {
		return nil, errors.New("explain: the model is a feature extractor, it has no classes to explain")
	}
	ec := &engineCache
	if ec.prog == c.Program && ec.fallback == (c.Fallback != "") && (ec.e != nil || ec.err != nil) {
		if ec.e != nil {
			ec.e.c = c // the same program under another Classifier value
		}
		return ec.e, ec.err
	}
	ec.prog, ec.fallback, ec.e, ec.err = nil, false, nil, nil // drop the old one before compiling
	e, err := newEngine(c)
	ec.prog, ec.fallback, ec.e, ec.err = c.Program, c.Fallback != "", e, err
	return e, err
}

func newEngine(c *model.Classifier) (*engine, error) {
	shapes := map[string][]int{}
	for i, t := range c.Program.Inputs {
		shapes[c.Program.Names.Inputs[i]] = t.Shape
	}
	// The unoptimised program when the classifier fell back to it.
	p, err := cpu.Compile(c.Graph, cpu.Options{InputShapes: shapes, NoReuse: true, NoFusion: c.Fallback != ""})
	if err != nil {
		return nil, fmt.Errorf("explain: compiling the model for explaining: %w", err)
	}
	if len(p.Inputs) == 0 || len(p.Outputs) == 0 || p.Inputs[0].DType != graph.Float32 || p.Outputs[0].DType != graph.Float32 {
		return nil, errors.New("explain: the model's first input and output are not float32 tensors")
	}
	e := &engine{c: c, prog: p, out: p.Outputs[0], steps: p.Plan(), names: map[*graph.Tensor]string{},
		byName: map[string]*graph.Tensor{}, cams: map[string]camResult{}}
	producer := map[*graph.Tensor]int{}
	for i, s := range e.steps {
		for j, o := range s.Out {
			if o != nil {
				producer[o] = i
				e.names[o] = s.Node.Outputs[j]
				e.byName[s.Node.Outputs[j]] = o
			}
		}
	}
	// The score: the logits when the output is a Softmax's (through
	// aliases), else the output itself.
	e.seed = e.out
	for t := e.out; ; {
		i, ok := producer[t]
		if !ok {
			break
		}
		s := e.steps[i]
		if s.Alias {
			t = s.In[0]
			continue
		}
		if sp, ok := s.Params.(cpu.SoftmaxParams); ok && s.Node.Op == "Softmax" && sp.Inner == 1 && s.In[0].Len() == e.out.Len() {
			e.seed, e.logitBefore = s.In[0], true
		}
		break
	}
	e.needed = grad.Needs(p, e.seed)
	e.seedGrad = make([]float32, e.seed.Len())
	return e, nil
}

// forward runs the engine's program on x (the model's input, normalised;
// nil: the input buffer is already filled) and returns the probabilities
// (the classifier's buffer, valid until its next use).
func (e *engine) forward(x []float32) ([]float32, error) {
	if x != nil {
		copy(e.prog.Inputs[0].F, x)
	}
	if err := e.prog.Execute(); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	return e.c.Probabilities(e.out.F), nil
}

// pick is the class o asks for (-1: the top one of probs) and its
// probability, checked to be a number.
func pick(probs []float32, class int) (int, float32, error) {
	if class == -1 {
		class = 0
		for i, v := range probs {
			if v > probs[class] || probs[class] != probs[class] {
				class = i
			}
		}
	}
	p := probs[class]
	if p != p || p > 1e38 || p < -1e38 {
		return 0, 0, fmt.Errorf("explain: the model's score for class %d is %v, not a number it can explain", class, p)
	}
	return class, p, nil
}

// backward runs plan with the score of class as the seed (the forward
// run must be the one differentiated).
func (e *engine) backward(plan *grad.Plan, class int) (map[*graph.Tensor][]float32, error) {
	clear(e.seedGrad)
	e.seedGrad[class] = 1
	gs, err := plan.Backward(map[*graph.Tensor][]float32{e.seed: e.seedGrad})
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	return gs, nil
}

// checkClass says whether o.Class suits a model of n classes.
func checkClass(class, n int) error {
	if class < -1 || class >= n {
		return fmt.Errorf("explain: class %d out of range: the model has %d classes (0..%d, or -1 for the top one)", class, n, n-1)
	}
	return nil
}
