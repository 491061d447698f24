//go:build js && wasm

package bridge

import (
	stdimage "image"
	"syscall/js"
	"time"

	"github.com/glimpse/glimpse/model/explain"
	"github.com/glimpse/glimpse/wasm/jsval"
)

// explainRGBA(pixels, w, h, class, patch, stride[, slot]) → {class, label,
// prob, method, rows, cols, heat: Float32Array, region: [x0, y0, x1, y1]
// as fractions of the image, ms}: where the model looked for that class
// (-1: its top class), by occlusion (model/explain), on the CPU program.
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
	t0 := time.Now()
	img := &stdimage.RGBA{Pix: pix, Stride: 4 * w, Rect: stdimage.Rect(0, 0, w, h)}
	heat, err := explain.Occlusion(cl, img, explain.Options{Class: num(3, -1), Patch: num(4, 0), Stride: num(5, 0)})
	if err != nil {
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
