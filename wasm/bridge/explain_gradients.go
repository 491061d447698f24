//go:build js && wasm && gradients

package bridge

import (
	stdimage "image"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/explain"
)

// With the tag "gradients" (web/explainer.wasm) the engine has every
// method of model/explain; without one asked for, explain.DefaultMethod
// picks Grad-CAM for a CNN, attention rollout for a ViT, else occlusion.
func init() {
	explainBy = func(c *model.Classifier, img stdimage.Image, method string, o explain.Options) (*explain.Heat, error) {
		if method == "" {
			method = explain.DefaultMethod(c)
		}
		return explain.Explain(c, img, method, o)
	}
}
