package explain

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/grad"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/vision"
)

// MethodRollout is attention rollout (Abnar & Zuidema, 2020), for
// ViT-style models: forward only. Each layer's attention probabilities
// are averaged over heads, mixed with the identity for the residual
// connection (0.5·A + 0.5·I, rows renormalised), and the layers multiplied
// in order; the heat is the class token's row of the product over the
// patch tokens, on the patch grid. It says which patches the class token
// ended up drawing from: it is the same for every class (Class and Prob
// are reported, not used).
const MethodRollout = "rollout"

// attention is what rollout needs on top of the engine: the attention
// probability tensors the output depends on, in order, and its buffers.
type attention struct {
	*engine
	layers        []*graph.Tensor
	heads, tokens int
	grid          int  // patches per side
	cls           bool // token 0 is a class token
	a, r, tmp     []float64
}

// attentionFor returns the (cached) rollout engine for c.
func attentionFor(c *model.Classifier) (*attention, error) {
	engineCache.Lock()
	defer engineCache.Unlock()
	e, err := engineFor(c)
	if err != nil {
		return nil, err
	}
	if !e.attOK {
		e.att, e.attErr = newAttention(e)
		e.attOK = true
	}
	return e.att, e.attErr
}

// errNoAttention is rollout's error for a model without attention.
var errNoAttention = errors.New("explain: rollout: the model has no attention (no Softmax over the last axis of a [heads, T, T] tensor, T a square number of patches, plus one for a class token, that the output depends on); -method gradcam or occlusion explain it")

// tokenGrid says whether T tokens are a square grid of patches (g ≥ 2),
// with or without a class token first.
func tokenGrid(T int) (grid int, cls bool, ok bool) {
	for _, extra := range []int{1, 0} {
		g := int(math.Round(math.Sqrt(float64(T - extra))))
		if g >= 2 && g*g+extra == T {
			return g, extra == 1, true
		}
	}
	return 0, false, false
}

// isAttention says whether step s computes attention probabilities: a
// Softmax over the last axis whose output is [..., T, T] with T tokens of
// a patch grid; it returns the number of heads (the leading dimensions'
// product, for a batch of 1) and T.
func isAttention(s cpu.Step) (heads, T int, ok bool) {
	sp, isSoftmax := s.Params.(cpu.SoftmaxParams)
	if s.Node.Op != "Softmax" || !isSoftmax || sp.Log || sp.Inner != 1 || len(s.Out) == 0 || s.Out[0] == nil {
		return 0, 0, false
	}
	sh := s.Out[0].Shape
	r := len(sh)
	if r < 3 || sh[r-1] != sh[r-2] || sp.Dim != sh[r-1] {
		return 0, 0, false
	}
	if _, _, ok := tokenGrid(sh[r-1]); !ok {
		return 0, 0, false
	}
	return graph.NumElems(sh[:r-2]), sh[r-1], true
}

// HasAttention says whether c's output depends on attention probabilities
// Rollout can use (see MethodRollout); it looks at the classifier's own
// program and compiles nothing.
func HasAttention(c *model.Classifier) bool {
	if c == nil || c.Program == nil || len(c.Program.Outputs) == 0 || c.Feature != "" {
		return false
	}
	needed := grad.Needs(c.Program, c.Program.Outputs[0])
	for _, s := range c.Program.Plan() {
		if _, _, ok := isAttention(s); ok && needed[s.Out[0]] {
			return true
		}
	}
	return false
}

func newAttention(e *engine) (*attention, error) {
	needed := grad.Needs(e.prog, e.out)
	at := &attention{engine: e}
	for _, s := range e.steps {
		heads, T, ok := isAttention(s)
		if !ok || !needed[s.Out[0]] {
			continue
		}
		if len(at.layers) > 0 && (T != at.tokens || heads != at.heads) {
			return nil, fmt.Errorf("explain: rollout: attention layers of %d heads over %d tokens and %d over %d: want the same shape in every layer", at.heads, at.tokens, heads, T)
		}
		at.layers = append(at.layers, s.Out[0])
		at.heads, at.tokens = heads, T
	}
	if len(at.layers) == 0 {
		return nil, errNoAttention
	}
	at.grid, at.cls, _ = tokenGrid(at.tokens)
	if s := e.c.Card.Spec(); at.grid > min(s.Width, s.Height) {
		return nil, fmt.Errorf("explain: rollout: a %dx%d patch grid is finer than the model's %dx%d input", at.grid, at.grid, s.Width, s.Height)
	}
	n := at.tokens * at.tokens
	at.a, at.r, at.tmp = make([]float64, n), make([]float64, n), make([]float64, n)
	return at, nil
}

// rollout multiplies the layers' head-averaged, identity-mixed attention
// (from the last forward run) into at.r, a T×T row-stochastic matrix.
func (at *attention) rollout() {
	T := at.tokens
	a, r, tmp := at.a, at.r, at.tmp
	clear(r)
	for i := 0; i < T; i++ {
		r[i*T+i] = 1
	}
	inv := 1 / float64(at.heads)
	for _, l := range at.layers {
		clear(a)
		for h := 0; h < at.heads; h++ {
			for i, v := range l.F[h*T*T : (h+1)*T*T] {
				a[i] += float64(v)
			}
		}
		for i := 0; i < T; i++ {
			row := a[i*T : (i+1)*T]
			s := 0.0
			for j := range row {
				row[j] *= 0.5 * inv
				if j == i {
					row[j] += 0.5
				}
				s += row[j]
			}
			if s > 0 {
				for j := range row {
					row[j] /= s
				}
			}
		}
		// tmp = a · r
		clear(tmp)
		for i := 0; i < T; i++ {
			out := tmp[i*T : (i+1)*T]
			for k, v := range a[i*T : (i+1)*T] {
				if v == 0 {
					continue
				}
				for j, w := range r[k*T : (k+1)*T] {
					out[j] += v * w
				}
			}
		}
		copy(r, tmp)
	}
}

// Rollout explains c's prediction for img with attention rollout (see
// MethodRollout): a heat on the model's patch grid (Rows = Cols = the
// patches per side), over the same Region as Occlusion's, scaled so its
// maximum is 1. Without a class token (T a square number) the heat is
// the mean of the rolled-out rows. A model without attention is an error
// that says so. o.Class picks the class reported (-1 the top one); the
// other options are not used. It runs the copy of c's program GradCAM
// runs (one program at a time); it is not safe for concurrent use.
func Rollout(c *model.Classifier, img image.Image, o Options) (*Heat, error) {
	in, err := newInput(c, img)
	if err != nil {
		return nil, err
	}
	if err := checkClass(o.Class, in.classes); err != nil {
		return nil, err
	}
	at, err := attentionFor(c)
	if err != nil {
		return nil, err
	}
	if err := vision.Preprocess(img, c.Card.Spec(), at.prog.Inputs[0].F); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	probs, err := at.forward(nil)
	if err != nil {
		return nil, err
	}
	class, prob, err := pick(probs, o.Class)
	if err != nil {
		return nil, err
	}
	at.rollout()
	T, g := at.tokens, at.grid
	h := &Heat{Class: class, Prob: prob, Method: MethodRollout, Baseline: BaselineMean, Rows: g, Cols: g,
		Values: make([]float32, g*g), Region: in.region}
	v := make([]float64, g*g)
	if at.cls {
		copy(v, at.r[1:T])
	} else {
		for i := 0; i < T; i++ {
			for j, w := range at.r[i*T : (i+1)*T] {
				v[j] += w / float64(T)
			}
		}
	}
	top := 0.0
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return nil, fmt.Errorf("explain: rollout: the attention is not a probability (%v)", x)
		}
		top = max(top, x)
	}
	if top > 0 {
		for i, x := range v {
			h.Values[i] = float32(x / top)
		}
	}
	return h, nil
}
