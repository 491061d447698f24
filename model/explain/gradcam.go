package explain

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/grad"
	"github.com/glimpse/glimpse/model/graph"
	"github.com/glimpse/glimpse/model/vision"
)

// MethodGradCAM is Grad-CAM (Selvaraju et al., 2017): the last spatial
// feature map the class score depends on, weighted per channel by the
// spatial mean of the score's gradient, summed over channels and clamped
// at 0. One forward and one (short) backward pass instead of occlusion's
// hundreds of runs, on the feature map's coarse grid.
const MethodGradCAM = "gradcam"

// MethodGradCAMPlusPlus is Grad-CAM++ (Chattopadhyay et al., 2018): as
// Grad-CAM, but a channel's weight sums its positive gradients, each
// weighted by α = g² / (2g² + Σ_ab A_ab·g³), which credits every region
// of a class that appears more than once, not just the strongest.
const MethodGradCAMPlusPlus = "gradcam++"

// gradCAM is what Grad-CAM needs of a classifier, built once: a copy of
// its program compiled with its own buffer for every tensor (the backward
// pass reads activations the shared arena would have overwritten), the
// feature map, the tensor whose gradient seeds the pass, and the backward
// plan between them. The copy holds all of a run's activations — 1.9 MB
// against the shared arena's 0.7 MB for MobileNet v1 0.25 at 128, 27 MB
// against 7.4 MB for v2 1.0 at 224 — and its own packed weights: in all
// 5.8 MB and 55 MB (cpu.Program.MemoryBytes), on top of the classifier's.
type gradCAM struct {
	prog        *cpu.Program
	feature     *graph.Tensor
	name        string // the feature map's tensor name
	seed, out   *graph.Tensor
	plan        *grad.Plan
	seedGrad    []float32
	logitBefore bool // seed is the logits before the model's Softmax
}

// One Grad-CAM engine is cached: the last classifier program and layer
// asked for. Compiling costs far more than a run.
var camCache struct {
	sync.Mutex
	prog  *cpu.Program
	layer string
	cam   *gradCAM
	err   error
}

// gradCAMFor returns the (cached) Grad-CAM engine for c and the feature
// map layer ("" to find it).
func gradCAMFor(c *model.Classifier, layer string) (*gradCAM, error) {
	camCache.Lock()
	defer camCache.Unlock()
	if camCache.prog == c.Program && camCache.layer == layer && (camCache.cam != nil || camCache.err != nil) {
		return camCache.cam, camCache.err
	}
	cam, err := newGradCAM(c, layer)
	camCache.prog, camCache.layer, camCache.cam, camCache.err = c.Program, layer, cam, err
	return cam, err
}

func newGradCAM(c *model.Classifier, layer string) (*gradCAM, error) {
	if c == nil || c.Program == nil || c.Graph == nil || len(c.Program.Inputs) == 0 || len(c.Program.Outputs) == 0 {
		return nil, errors.New("explain: no classifier")
	}
	if c.Feature != "" {
		return nil, errors.New("explain: the model is a feature extractor, it has no classes to explain")
	}
	shapes := map[string][]int{}
	for i, t := range c.Program.Inputs {
		shapes[c.Program.Names.Inputs[i]] = t.Shape
	}
	// The unoptimised program when the classifier fell back to it.
	p, err := cpu.Compile(c.Graph, cpu.Options{InputShapes: shapes, NoReuse: true, NoFusion: c.Fallback != ""})
	if err != nil {
		return nil, fmt.Errorf("explain: gradcam: %w", err)
	}
	cam := &gradCAM{prog: p, out: p.Outputs[0]}
	steps := p.Plan()
	producer := map[*graph.Tensor]int{}
	names := map[*graph.Tensor]string{}
	byName := map[string]*graph.Tensor{}
	for i, s := range steps {
		for j, o := range s.Out {
			if o != nil {
				producer[o] = i
				names[o] = s.Node.Outputs[j]
				byName[s.Node.Outputs[j]] = o
			}
		}
	}
	// The score: the logits when the output is a Softmax's (through
	// aliases), else the output itself.
	cam.seed = cam.out
	for t := cam.out; ; {
		i, ok := producer[t]
		if !ok {
			break
		}
		s := steps[i]
		if s.Alias {
			t = s.In[0]
			continue
		}
		if sp, ok := s.Params.(cpu.SoftmaxParams); ok && s.Node.Op == "Softmax" && sp.Inner == 1 && s.In[0].Len() == cam.out.Len() {
			cam.seed, cam.logitBefore = s.In[0], true
		}
		break
	}
	// What the score depends on.
	needed := grad.Needs(p, cam.seed)
	spatial := func(t *graph.Tensor) bool {
		return t != nil && t.DType == graph.Float32 && len(t.Shape) == 4 && t.Shape[0] == 1 && t.Shape[2]*t.Shape[3] > 1
	}
	if layer != "" {
		t := byName[layer]
		switch {
		case t == nil:
			return nil, fmt.Errorf("explain: gradcam: the model has no tensor %q that a node computes", layer)
		case !spatial(t):
			return nil, fmt.Errorf("explain: gradcam: tensor %q has shape %v, not a spatial feature map [1, C, H, W]", layer, t.Shape)
		case !needed[t]:
			return nil, fmt.Errorf("explain: gradcam: the class score does not depend on tensor %q", layer)
		}
		cam.feature, cam.name = t, layer
	} else {
		for _, s := range steps {
			for _, o := range s.Out {
				if spatial(o) && needed[o] {
					cam.feature, cam.name = o, names[o]
				}
			}
		}
		if cam.feature == nil {
			return nil, errors.New("explain: gradcam: the class score depends on no spatial feature map (a 4-D tensor with more than one position)")
		}
	}
	cam.plan, err = grad.New(p, []*graph.Tensor{cam.seed}, []*graph.Tensor{cam.feature})
	if err != nil {
		return nil, fmt.Errorf("explain: gradcam: %w", err)
	}
	cam.seedGrad = make([]float32, cam.seed.Len())
	return cam, nil
}

// GradCAMSupported says whether GradCAM can explain c (with the feature
// map layer, "" to find it): the score depends on a spatial feature map
// and every op between them has a gradient. The error says why not. It
// compiles what GradCAM needs, which GradCAM then reuses.
func GradCAMSupported(c *model.Classifier, layer string) error {
	_, err := gradCAMFor(c, layer)
	return err
}

// GradCAMLayer is the name of the feature map GradCAM uses for c.
func GradCAMLayer(c *model.Classifier, layer string) (string, error) {
	cam, err := gradCAMFor(c, layer)
	if err != nil {
		return "", err
	}
	return cam.name, nil
}

// GradCAM explains c's prediction for img with Grad-CAM: A is the last
// spatial feature map [1, C, H, W] the class score depends on (or
// o.Layer's tensor), the score is the logit before the model's Softmax
// (the output itself when the model does not end in one), w_c the spatial
// mean of the score's gradient over channel c of A, and the heat
// ReLU(Σ_c w_c·A_c) on A's H×W grid, scaled so its maximum is 1 (all
// zeros when no position counts for the class). Region is the part of the
// photo the model reads, as for Occlusion; o.Class picks the class (-1
// the top one); Patch, Stride and Baseline are not used (Deletion hides
// cells of a Grad-CAM heat with the mean colour). It runs a copy of c's
// program compiled without buffer reuse (built on the first call for c
// and kept until Grad-CAM is asked about another program: one at a
// time), so c's own buffers are left alone. Like the Classifier, it is not
// safe for concurrent use.
func GradCAM(c *model.Classifier, img image.Image, o Options) (*Heat, error) {
	return gradCAMHeat(c, img, o, false)
}

// GradCAMPlusPlus is GradCAM with Grad-CAM++'s channel weights (see
// MethodGradCAMPlusPlus; the gradients are the score's, as in the
// authors' code, rather than of its exponential); Method "gradcam++".
func GradCAMPlusPlus(c *model.Classifier, img image.Image, o Options) (*Heat, error) {
	return gradCAMHeat(c, img, o, true)
}

func gradCAMHeat(c *model.Classifier, img image.Image, o Options, plus bool) (*Heat, error) {
	in, err := newInput(c, img)
	if err != nil {
		return nil, err
	}
	if o.Class < -1 || o.Class >= in.classes {
		return nil, fmt.Errorf("explain: class %d out of range: the model has %d classes (0..%d, or -1 for the top one)", o.Class, in.classes, in.classes-1)
	}
	cam, err := gradCAMFor(c, o.Layer)
	if err != nil {
		return nil, err
	}
	p := cam.prog
	if err := vision.Preprocess(img, c.Card.Spec(), p.Inputs[0].F); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	if err := p.Execute(); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	probs := c.Probabilities(cam.out.F)
	class := o.Class
	if class == -1 {
		class = 0
		for i, v := range probs {
			if v > probs[class] || math.IsNaN(float64(probs[class])) {
				class = i
			}
		}
	}
	prob := probs[class]
	if math.IsNaN(float64(prob)) || math.IsInf(float64(prob), 0) {
		return nil, fmt.Errorf("explain: the model's score for class %d is %v, not a number it can explain", class, prob)
	}
	clear(cam.seedGrad)
	cam.seedGrad[class] = 1
	gs, err := cam.plan.Backward(map[*graph.Tensor][]float32{cam.seed: cam.seedGrad})
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	g := gs[cam.feature]
	A := cam.feature.F
	C, H, W := cam.feature.Shape[1], cam.feature.Shape[2], cam.feature.Shape[3]
	hw := H * W
	heat := make([]float64, hw)
	for ch := 0; ch < C; ch++ {
		w := 0.0
		gc, ac := g[ch*hw:(ch+1)*hw], A[ch*hw:(ch+1)*hw]
		if plus {
			sumA := 0.0
			for _, a := range ac {
				sumA += float64(a)
			}
			for _, v := range gc {
				if v <= 0 {
					continue
				}
				g2 := float64(v) * float64(v)
				den := 2*g2 + sumA*g2*float64(v)
				if den != 0 {
					w += g2 / den * float64(v)
				}
			}
		} else {
			for _, v := range gc {
				w += float64(v)
			}
			w /= float64(hw)
		}
		if w == 0 {
			continue
		}
		for i, a := range A[ch*hw : (ch+1)*hw] {
			heat[i] += w * float64(a)
		}
	}
	top := 0.0
	for i, v := range heat {
		if !(v > 0) { // ReLU, and NaN to 0
			heat[i] = 0
		}
		if math.IsInf(v, 0) {
			return nil, errors.New("explain: gradcam: the heat is not finite")
		}
		top = max(top, heat[i])
	}
	method := MethodGradCAM
	if plus {
		method = MethodGradCAMPlusPlus
	}
	h := &Heat{Class: class, Prob: prob, Method: method, Rows: H, Cols: W, Values: make([]float32, hw), Region: in.region}
	for i, v := range heat {
		if top > 0 {
			h.Values[i] = float32(v / top)
		}
	}
	return h, nil
}
