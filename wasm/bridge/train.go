//go:build js && wasm

package bridge

import (
	stdimage "image"
	"math/rand/v2"
	"syscall/js"
	"time"

	"github.com/glimpse/glimpse/model"
	"github.com/glimpse/glimpse/model/train"
	"github.com/glimpse/glimpse/wasm/jsval"
)

// Features of photos, for training a head (web/trainer.wasm fits it) and
// for embeddings (similar photos), as one job of the actor like every
// other call.

var extractors = map[*model.Classifier]*model.Classifier{}

// extractor is the page model's (or a slot's) feature extractor, made once.
func extractor(cl *model.Classifier) (*model.Classifier, error) {
	if e := extractors[cl]; e != nil {
		return e, nil
	}
	for k := range extractors { // one model's at a time: the others may be gone
		delete(extractors, k)
	}
	e, err := cl.Extractor()
	if err != nil {
		return nil, &Error{Code: CodeBadArgument, Err: err}
	}
	extractors[cl] = e
	return e, nil
}

// pixelsArg copies RGBA pixels (args[0], w = args[1], h = args[2]) into
// Go, into *buf (grown as needed) when buf is not nil.
func pixelsArg(args []js.Value, what string, buf *[]byte) ([]byte, int, int, error) {
	if len(args) < 3 || args[0].Type() != js.TypeObject || args[1].Type() != js.TypeNumber || args[2].Type() != js.TypeNumber {
		return nil, 0, 0, coded(CodeBadArgument, "%s needs RGBA pixels, a width and a height", what)
	}
	w, h := args[1].Int(), args[2].Int()
	n := args[0].Get("length").Int()
	if n != 4*w*h || w <= 0 || h <= 0 {
		return nil, 0, 0, coded(CodeBadArgument, "%d bytes of pixels for a %dx%d image", n, w, h)
	}
	src := args[0]
	switch src.Get("constructor").Get("name").String() {
	case "Uint8Array":
	case "Uint8ClampedArray":
		src = js.Global().Get("Uint8Array").New(src.Get("buffer"), src.Get("byteOffset"), n)
	default:
		return nil, 0, 0, coded(CodeBadArgument, "pixels must be a Uint8Array or Uint8ClampedArray of RGBA bytes")
	}
	var pix []byte
	if buf != nil {
		if cap(*buf) < n {
			*buf = make([]byte, n)
		}
		pix = (*buf)[:n]
	} else {
		pix = make([]byte, n)
	}
	js.CopyBytesToGo(pix, src)
	return pix, w, h, nil
}

// featuresRGBA(pixels, w, h, variants, seed, normalize[, slot]) →
// {dim, rows, features: Float32Array (rows×dim), feature, pooled, ms}: the
// backbone's features of the image and of `variants` augmented versions
// of it (train.DefaultAugment, seeded); normalize makes each row unit
// length (an embedding).
func featuresRGBA(args []js.Value) (any, error) {
	pix, w, h, err := pixelsArg(args, "featuresRGBA", nil)
	if err != nil {
		return nil, err
	}
	num := func(i int) float64 {
		if len(args) > i && args[i].Type() == js.TypeNumber {
			return args[i].Float()
		}
		return 0
	}
	variants := int(num(3))
	if variants < 0 || variants > 64 {
		return nil, coded(CodeBadArgument, "variants must be 0 to 64, not %d", variants)
	}
	normalize := len(args) > 5 && args[5].Truthy()
	cl, err := classifier(args, 6)
	if err != nil {
		return nil, err
	}
	ext, err := extractor(cl)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	f, err := ext.FeaturesRGBA(pix, w, h, 4*w)
	if err != nil {
		return nil, &Error{Code: CodeClassify, Err: err}
	}
	rows := [][]float32{f}
	if variants > 0 {
		img := &stdimage.RGBA{Pix: pix, Stride: 4 * w, Rect: stdimage.Rect(0, 0, w, h)}
		rng := rand.New(rand.NewPCG(uint64(num(4)), 0x617567))
		aug := train.DefaultAugment()
		for range variants {
			a := aug.Apply(img, ext.Card.Input.Width, ext.Card.Input.Height, rng)
			v, err := ext.FeaturesRGBA(a.Pix, a.Rect.Dx(), a.Rect.Dy(), a.Stride)
			if err != nil {
				return nil, &Error{Code: CodeClassify, Err: err}
			}
			rows = append(rows, v)
		}
	}
	flat := make([]float32, 0, len(rows)*len(f))
	for _, r := range rows {
		if normalize {
			model.Normalize(r)
		}
		flat = append(flat, r...)
	}
	return map[string]any{"dim": len(f), "rows": len(rows), "features": jsval.Float32Array(flat), "feature": ext.Feature,
		"pooled": ext.Pooled, "ms": float64(time.Since(t0).Microseconds()) / 1000}, nil
}
