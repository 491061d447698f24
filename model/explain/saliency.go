package explain

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/grad"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/vision"
)

// The input-gradient methods: the gradient of the class score (the logit
// before the model's Softmax, as for Grad-CAM) with respect to the model's
// input, normalised as the model reads it. Their heat has one cell per
// model-input pixel (Rows, Cols = the input's height and width) over the
// same Region as Occlusion's and Grad-CAM's; a pixel's attribution is
// summed over its three channels and the heat scaled so its maximum is 1
// (all zeros when nothing counts). They need a gradient through every op
// of the model (model/grad); where one has none, the error wraps a
// *grad.UnsupportedError and Occlusion (or Rollout, for a ViT) is the way.
const (
	// MethodGradInput is gradient × input (Shrikumar et al., 2016): one
	// forward and one backward pass. A pixel's weight is |Σ_c x_c·∂s/∂x_c|,
	// the first-order share of the score at the pixel. The input is the
	// normalised one, so a pixel at the normalisation's mean (grey, for
	// most cards) counts for nothing whatever its gradient.
	MethodGradInput = "gradinput"
	// MethodIG is integrated gradients (Sundararajan et al., 2017): the
	// gradient averaged along the straight path from a baseline x' to the
	// input x, times x − x', with the trapezoid rule over Options.Steps
	// intervals (Steps+1 forward and backward passes; default 32). The
	// baseline is the photo's mean colour (normalised; the colour Deletion
	// and Occlusion hide with, so the attributions say what hiding would
	// cost), not black, which gives no weight to dark parts of the object.
	// The attributions sum to about score(x) − score(x') (completeness);
	// they are signed, and the heat keeps the positive part, max(0, Σ_c),
	// the evidence for the class.
	MethodIG = "ig"
	// MethodSmoothGrad is SmoothGrad (Smilkov et al., 2017): the gradient
	// averaged over Options.Samples copies of the input (default 16) with
	// Gaussian noise of σ = 15% of the input's range (max − min of the
	// normalised values) added, seeded by Options.Seed, so the same photo
	// and options give the same heat. A pixel's weight is Σ_c |ḡ_c|, the
	// size of the mean gradient.
	MethodSmoothGrad = "smoothgrad"
)

// Defaults of Options.Steps and Options.Samples.
const (
	DefaultSteps   = 32
	DefaultSamples = 16
	smoothSigma    = 0.15
)

// inputGrad is what the input-gradient methods need on top of the engine:
// the backward plan from the score to the model's input and the buffers
// they work in, allocated once.
type inputGrad struct {
	*engine
	x         *graph.Tensor // the program's input
	plan      *grad.Plan
	w, h      int
	nhwc      bool
	base, ref []float32 // the photo as the model reads it; IG's baseline
	acc       []float64 // gradients summed (per input value)
	pix       []float64 // attributions per pixel
}

// inputGradFor returns the (cached) input-gradient engine for c.
func inputGradFor(c *model.Classifier) (*inputGrad, error) {
	engineCache.Lock()
	defer engineCache.Unlock()
	e, err := engineFor(c)
	if err != nil {
		return nil, err
	}
	if !e.inOK {
		e.in, e.inErr = newInputGrad(e)
		e.inOK = true
	}
	return e.in, e.inErr
}

func newInputGrad(e *engine) (*inputGrad, error) {
	s := e.c.Card.Spec()
	x := e.prog.Inputs[0]
	if s.Width < 1 || s.Height < 1 || len(x.F) != 3*s.Width*s.Height {
		return nil, fmt.Errorf("explain: the model's input holds %d values, not 3x%dx%d", len(x.F), s.Width, s.Height)
	}
	plan, err := grad.New(e.prog, []*graph.Tensor{e.seed}, []*graph.Tensor{x})
	if err != nil {
		return nil, fmt.Errorf("explain: input gradients: %w", err)
	}
	n := len(x.F)
	return &inputGrad{engine: e, x: x, plan: plan, w: s.Width, h: s.Height, nhwc: s.Layout == "NHWC",
		base: make([]float32, n), ref: make([]float32, n), acc: make([]float64, n), pix: make([]float64, s.Width*s.Height)}, nil
}

// at is the index of channel ch of pixel i in the input tensor.
func (g *inputGrad) at(ch, i int) int {
	if g.nhwc {
		return 3*i + ch
	}
	return ch*g.w*g.h + i
}

// gradient runs the model on x and the backward pass for class (-1: the
// top class, picked from this run) and returns the class, its
// probability, its score and the gradient (the plan's buffer, valid
// until the next pass).
func (g *inputGrad) gradient(x []float32, class int) (int, float32, float32, []float32, error) {
	probs, err := g.forward(x)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	class, prob, err := pick(probs, class)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	score := g.seed.F[class]
	gs, err := g.backward(g.plan, class)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return class, prob, score, gs[g.x], nil
}

// saliency is the result of an input-gradient method before it becomes a
// heat: per-value attributions (in g.acc) and the scores at the ends of
// IG's path.
type saliency struct {
	class           int
	prob            float32
	score, baseline float32 // score(x), and score(x') for IG
}

// attribute runs method on img and leaves the attributions per input
// value in g.acc.
func (g *inputGrad) attribute(img image.Image, method string, o Options) (saliency, error) {
	var r saliency
	if err := vision.Preprocess(img, g.c.Card.Spec(), g.base); err != nil {
		return r, fmt.Errorf("explain: %w", err)
	}
	clear(g.acc)
	x := g.x.F // the program's input buffer, written before each run
	var err error
	var grads []float32
	switch method {
	case MethodGradInput:
		r.class, r.prob, r.score, grads, err = g.gradient(g.base, o.Class)
		if err != nil {
			return r, err
		}
		for i, v := range grads {
			g.acc[i] = float64(v) * float64(g.base[i])
		}
	case MethodIG:
		steps := o.Steps
		if steps == 0 {
			steps = DefaultSteps
		}
		// The baseline: the photo's mean colour. Normalisation is affine
		// per channel, so the mean of the normalised values is the
		// normalised mean colour.
		for ch := 0; ch < 3; ch++ {
			s := 0.0
			for i := 0; i < g.w*g.h; i++ {
				s += float64(g.base[g.at(ch, i)])
			}
			m := float32(s / float64(g.w*g.h))
			for i := 0; i < g.w*g.h; i++ {
				g.ref[g.at(ch, i)] = m
			}
		}
		// The input itself first: it picks the class. Then the rest of
		// the path, down to the baseline, trapezoid weights 1/2 at the ends.
		for k := steps; k >= 0; k-- {
			a := float32(k) / float32(steps)
			for i := range x {
				x[i] = g.ref[i] + a*(g.base[i]-g.ref[i])
			}
			cls := o.Class
			if k < steps {
				cls = r.class
			}
			class, prob, score, grads, err := g.gradient(nil, cls)
			if err != nil {
				return r, err
			}
			if k == steps {
				r.class, r.prob, r.score = class, prob, score
			}
			if k == 0 {
				r.baseline = score
			}
			wt := 1 / float64(steps)
			if k == 0 || k == steps {
				wt /= 2
			}
			for i, v := range grads {
				g.acc[i] += wt * float64(v)
			}
		}
		for i := range g.acc {
			g.acc[i] *= float64(g.base[i]) - float64(g.ref[i])
		}
	case MethodSmoothGrad:
		samples := o.Samples
		if samples == 0 {
			samples = DefaultSamples
		}
		lo, hi := g.base[0], g.base[0]
		for _, v := range g.base {
			lo, hi = min(lo, v), max(hi, v)
		}
		sigma := smoothSigma * float64(hi-lo)
		// The class (and its probability) from the photo itself.
		probs, err := g.forward(g.base)
		if err != nil {
			return r, err
		}
		if r.class, r.prob, err = pick(probs, o.Class); err != nil {
			return r, err
		}
		r.score = g.seed.F[r.class]
		rng := rand.New(rand.NewPCG(o.Seed, 0x5300_7468_6772_6164))
		for range samples {
			for i, v := range g.base {
				x[i] = v + float32(sigma*rng.NormFloat64())
			}
			_, _, _, grads, err := g.gradient(nil, r.class)
			if err != nil {
				return r, err
			}
			for i, v := range grads {
				g.acc[i] += float64(v)
			}
		}
		for i := range g.acc {
			g.acc[i] /= float64(samples)
		}
	default:
		return r, fmt.Errorf("explain: %q is not an input-gradient method", method)
	}
	return r, nil
}

// InputGradient explains c's prediction for img with one of the
// input-gradient methods: MethodGradInput, MethodIG or MethodSmoothGrad
// (see them). o.Class picks the class (-1 the top one, as the photo itself
// gives it); o.Steps is IG's, o.Samples and o.Seed SmoothGrad's; Patch,
// Stride, Baseline and Layer are not used (Deletion hides cells of these
// heats, single pixels, with the mean colour). It runs the copy of c's
// program GradCAM runs (built on the first call for c, one program at a
// time), so c's own buffers are left alone; it is not safe for concurrent
// use. Time: one forward and backward pass for gradinput, Steps+1 for ig,
// Samples+1 (one forward only) for smoothgrad.
func InputGradient(c *model.Classifier, img image.Image, method string, o Options) (*Heat, error) {
	switch method {
	case MethodGradInput, MethodIG, MethodSmoothGrad:
	default:
		return nil, fmt.Errorf("explain: %q is not an input-gradient method (want %s, %s or %s)", method, MethodGradInput, MethodIG, MethodSmoothGrad)
	}
	in, err := newInput(c, img)
	if err != nil {
		return nil, err
	}
	if err := checkGradOptions(o, in.classes); err != nil {
		return nil, err
	}
	g, err := inputGradFor(c)
	if err != nil {
		return nil, err
	}
	r, err := g.attribute(img, method, o)
	if err != nil {
		return nil, err
	}
	return g.heat(r, method, in.region)
}

// checkGradOptions checks what the input-gradient methods read of o.
func checkGradOptions(o Options, classes int) error {
	if err := checkClass(o.Class, classes); err != nil {
		return err
	}
	if o.Steps < 0 {
		return fmt.Errorf("explain: steps %d: want at least 1 (0 for the default, %d)", o.Steps, DefaultSteps)
	}
	if o.Samples < 0 {
		return fmt.Errorf("explain: samples %d: want at least 1 (0 for the default, %d)", o.Samples, DefaultSamples)
	}
	return nil
}

// heat sums g.acc's attributions per pixel over channels and turns them
// into a heat: |Σ| for gradinput, Σ|·| for smoothgrad, max(0, Σ) for ig,
// scaled to a maximum of 1.
func (g *inputGrad) heat(r saliency, method string, region image.Rectangle) (*Heat, error) {
	top := 0.0
	for i := range g.pix {
		s := 0.0
		for ch := 0; ch < 3; ch++ {
			v := g.acc[g.at(ch, i)]
			if method == MethodSmoothGrad {
				v = math.Abs(v)
			}
			s += v
		}
		switch method {
		case MethodGradInput:
			s = math.Abs(s)
		case MethodIG:
			s = max(s, 0)
		}
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("explain: %s: the attributions are not finite", method)
		}
		g.pix[i] = s
		top = max(top, s)
	}
	h := &Heat{Class: r.class, Prob: r.prob, Method: method, Baseline: BaselineMean, Rows: g.h, Cols: g.w,
		Values: make([]float32, len(g.pix)), Region: region}
	if top > 0 {
		for i, v := range g.pix {
			h.Values[i] = float32(v / top)
		}
	}
	return h, nil
}
