package explain

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/glimpse/glimpse/model"
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

// gradCAM is what Grad-CAM needs on top of the engine: the feature map
// and the backward plan from the score to it.
type gradCAM struct {
	*engine
	feature *graph.Tensor
	name    string // the feature map's tensor name
	plan    *grad.Plan
}

// gradCAMFor returns the (cached) Grad-CAM engine for c and the feature
// map layer ("" to find it).
func gradCAMFor(c *model.Classifier, layer string) (*gradCAM, error) {
	engineCache.Lock()
	defer engineCache.Unlock()
	e, err := engineFor(c)
	if err != nil {
		return nil, err
	}
	if r, ok := e.cams[layer]; ok {
		return r.cam, r.err
	}
	cam, err := newGradCAM(e, layer)
	e.cams[layer] = camResult{cam, err}
	return cam, err
}

func newGradCAM(e *engine, layer string) (*gradCAM, error) {
	cam := &gradCAM{engine: e}
	spatial := func(t *graph.Tensor) bool {
		return t != nil && t.DType == graph.Float32 && len(t.Shape) == 4 && t.Shape[0] == 1 && t.Shape[2]*t.Shape[3] > 1
	}
	if layer != "" {
		t := e.byName[layer]
		switch {
		case t == nil:
			return nil, fmt.Errorf("explain: gradcam: the model has no tensor %q that a node computes", layer)
		case !spatial(t):
			return nil, fmt.Errorf("explain: gradcam: tensor %q has shape %v, not a spatial feature map [1, C, H, W]", layer, t.Shape)
		case !e.needed[t]:
			return nil, fmt.Errorf("explain: gradcam: the class score does not depend on tensor %q", layer)
		}
		cam.feature, cam.name = t, layer
	} else {
		for _, s := range e.steps {
			for _, o := range s.Out {
				if spatial(o) && e.needed[o] {
					cam.feature, cam.name = o, e.names[o]
				}
			}
		}
		if cam.feature == nil {
			return nil, errors.New("explain: gradcam: the class score depends on no spatial feature map (a 4-D tensor with more than one position)")
		}
	}
	var err error
	cam.plan, err = grad.New(e.prog, []*graph.Tensor{e.seed}, []*graph.Tensor{cam.feature})
	if err != nil {
		return nil, fmt.Errorf("explain: gradcam: %w", err)
	}
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
// and kept until another program is explained: one at a time, shared
// with the other gradient methods and rollout), so c's own buffers are
// left alone. Like the Classifier, it is not safe for concurrent use.
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
	if err := checkClass(o.Class, in.classes); err != nil {
		return nil, err
	}
	cam, err := gradCAMFor(c, o.Layer)
	if err != nil {
		return nil, err
	}
	if err := vision.Preprocess(img, c.Card.Spec(), cam.prog.Inputs[0].F); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	probs, err := cam.forward(nil)
	if err != nil {
		return nil, err
	}
	class, prob, err := pick(probs, o.Class)
	if err != nil {
		return nil, err
	}
	gs, err := cam.backward(cam.plan, class)
	if err != nil {
		return nil, err
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
