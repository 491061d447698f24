//go:build js && wasm

package bridge

import (
	stdimage "image"
	"syscall/js"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/explain"
	"github.com/glimpse/glimpse/wasm/jsval"
)

// explainBy explains by a method ("": the model's default). Occlusion
// needs only the forward pass, so every engine has it; the gradient
// methods (Grad-CAM, integrated gradients...) and attention rollout carry
// model/grad, which would grow the page's first download, so only
// explainer.wasm (this package built with the tag "gradients", fetched the
// first time someone asks where the model looked) has them
// (explain_gradients.go).
var explainBy = func(c *model.Classifier, img stdimage.Image, method string, o explain.Options) (*explain.Heat, error) {
	if method != "" && method != explain.MethodOcclusion {
		return nil, coded(CodeBadArgument, "this engine explains by occlusion only, not %q: the explainer has the other methods", method)
	}
	return explain.Occlusion(c, img, o)
}

// explainRGBA(pixels, w, h, class, patch, stride[, slot[, method]]) →
// {class, label, prob, method, rows, cols, heat: Float32Array, region:
// [x0, y0, x1, y1] as fractions of the image, ms}: where the model looked
// for that class (-1: its top class), by method ("" or absent: the
// default for the model: Grad-CAM for a CNN where this build has it,
// else occlusion), on the CPU program.
func explainRGBA(args []js.Value) (any, error) {
	pix, w, h, err := pixelsArg(args, "explainRGBA", nil)
	if err != nil {
		return nil, err
	}
	num := func(i int, def int) int {
		if len(args) > i && args[i].Type() == js.TypeNumber {
			return args[i].Int()
		}
		return def
	}
	cl, err := classifier(args, 6)
	if err != nil {
		return nil, err
	}
	method := ""
	if len(args) > 7 && args[7].Type() == js.TypeString {
		method = args[7].String()
	}
	t0 := time.Now()
	img := &stdimage.RGBA{Pix: pix, Stride: 4 * w, Rect: stdimage.Rect(0, 0, w, h)}
	heat, err := explainBy(cl, img, method, explain.Options{Class: num(3, -1), Patch: num(4, 0), Stride: num(5, 0)})
	if err != nil {
		if _, ok := err.(*Error); ok {
			return nil, err
		}
		return nil, &Error{Code: CodeBadArgument, Err: err}
	}
	label := ""
	if heat.Class < len(cl.Labels) {
		label = cl.Labels[heat.Class]
	}
	r := heat.Region
	return map[string]any{"class": heat.Class, "label": label, "prob": heat.Prob, "method": heat.Method, "rows": heat.Rows, "cols": heat.Cols,
		"heat": jsval.Float32Array(heat.Values), "region": []any{float64(r.Min.X) / float64(w), float64(r.Min.Y) / float64(h), float64(r.Max.X) / float64(w), float64(r.Max.Y) / float64(h)},
		"ms": float64(time.Since(t0).Microseconds()) / 1000}, nil
}
