package explain

import (
	"fmt"
	"image"
	"strings"

	"github.com/glimpse/glimpse/model"
)

// Explain explains c's prediction for img with the named method (one of
// Methods; "" means DefaultMethod(c)).
func Explain(c *model.Classifier, img image.Image, method string, o Options) (*Heat, error) {
	if method == "" {
		method = DefaultMethod(c)
	}
	switch method {
	case MethodOcclusion:
		return Occlusion(c, img, o)
	case MethodGradCAM:
		return GradCAM(c, img, o)
	case MethodGradCAMPlusPlus:
		return GradCAMPlusPlus(c, img, o)
	case MethodGradInput, MethodIG, MethodSmoothGrad:
		return InputGradient(c, img, method, o)
	case MethodRollout:
		return Rollout(c, img, o)
	}
	return nil, fmt.Errorf("explain: unknown method %q (the methods are %s)", method, strings.Join(Methods, ", "))
}

// DefaultMethod is the method that suits c best of those that can explain
// it: rollout for a model whose output depends on attention (a ViT: its
// patch embedding is a spatial map Grad-CAM could weight, but attention
// is what mixes the patches), else Grad-CAM when it can explain c (a CNN
// whose class score depends on a spatial feature map through ops with
// gradients; this compiles what Grad-CAM then reuses), else occlusion,
// which explains any model.
func DefaultMethod(c *model.Classifier) string {
	switch {
	case HasAttention(c):
		return MethodRollout
	case GradCAMSupported(c, "") == nil:
		return MethodGradCAM
	}
	return MethodOcclusion
}
