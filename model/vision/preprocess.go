// Package vision turns images into model input tensors (centre crop,
// resize, normalise: Preprocess, and PreprocessRGBA for a canvas's pixels)
// and model outputs into ranked, labelled results (Softmax, Sigmoid,
// TopK). The plain parts live in packages of their own, standard library
// only, for callers that must not link more (the browser's UI, tag, eval,
// card): labels (Result, TopK, DisplayName, labels files) and spec (Spec);
// vision keeps their old names as aliases and wrappers. Image files are
// decoded by model/vision/imagefile, which only the command line links.
//
// It is pure Go (no cgo, no syscall/js) so that it builds for GOOS=js
// GOARCH=wasm as well as natively.
package vision

import (
	"fmt"
	"image"
	stddraw "image/draw"
	"math"

	"github.com/glimpse/glimpse/model/vision/spec"
	"golang.org/x/image/draw"
)

// Spec describes how an image is turned into a model input tensor
// (spec.Spec).
type Spec = spec.Spec

// areaKernel is a box filter. Because x/image/draw widens a kernel's support
// by the scale factor when shrinking, it averages every source pixel that
// falls under a destination pixel (area averaging); when enlarging it is
// equivalent to nearest neighbour.
var areaKernel = &draw.Kernel{Support: 0.5, At: func(t float64) float64 {
	if t < 0.5 {
		return 1
	}
	return 0
}}

func scaler(s Spec) (draw.Scaler, error) {
	switch s.Resize {
	case "", "bilinear":
		return draw.BiLinear, nil
	case "catmullrom":
		return draw.CatmullRom, nil
	case "nearest":
		return draw.NearestNeighbor, nil
	case "area":
		return areaKernel, nil
	}
	return nil, fmt.Errorf("vision: unknown resize method %q (want bilinear, catmullrom, nearest or area)", s.Resize)
}

// tensor holds what Preprocess needs to write values, validated from a Spec.
type tensor struct {
	w, h    int
	nhwc    bool
	srcChan [3]int          // output channel c takes source channel srcChan[c] (0=R,1=G,2=B)
	lut     [3][256]float32 // indexed by source channel, then 8-bit value
}

func (t *tensor) init(s Spec, dst []float32) error {
	if s.Width <= 0 || s.Height <= 0 {
		return fmt.Errorf("vision: invalid model input size %dx%d", s.Width, s.Height)
	}
	if n := 3 * s.Width * s.Height; len(dst) != n {
		return fmt.Errorf("vision: dst has %d floats, want 3*%d*%d = %d", len(dst), s.Width, s.Height, n)
	}
	if s.Crop < 0 || s.Crop > 1 || math.IsNaN(float64(s.Crop)) {
		return fmt.Errorf("vision: crop %v out of range (0,1]", s.Crop)
	}
	t.w, t.h = s.Width, s.Height
	switch s.Layout {
	case "", "NCHW":
	case "NHWC":
		t.nhwc = true
	default:
		return fmt.Errorf("vision: unknown layout %q (want NCHW or NHWC)", s.Layout)
	}
	switch s.Channels {
	case "", "RGB":
		t.srcChan = [3]int{0, 1, 2}
	case "BGR":
		t.srcChan = [3]int{2, 1, 0}
	default:
		return fmt.Errorf("vision: unknown channel order %q (want RGB or BGR)", s.Channels)
	}
	for c := 0; c < 3; c++ {
		m, sd := s.Mean[c], s.Std[c]
		if sd == 0 || math.IsNaN(float64(sd)) || math.IsInf(float64(sd), 0) || math.IsNaN(float64(m)) || math.IsInf(float64(m), 0) {
			return fmt.Errorf("vision: invalid normalisation for channel %d: mean %v std %v", c, m, sd)
		}
		for v := 0; v < 256; v++ {
			t.lut[c][v] = (float32(v) - m) / sd
		}
	}
	return nil
}

// CropRect is the part of an image with bounds b that Preprocess reads for
// a model input of w x h pixels and the centre-crop fraction crop
// (Spec.Crop; outside (0,1] means 1). b must not be empty.
func CropRect(b image.Rectangle, w, h int, crop float32) image.Rectangle {
	return cropRect(b, w, h, crop)
}

// cropRect returns the centred crop of b used for a model input of w x h.
func cropRect(b image.Rectangle, w, h int, crop float32) image.Rectangle {
	if crop <= 0 || crop > 1 {
		crop = 1
	}
	sw, sh := float64(b.Dx()), float64(b.Dy())
	aspect := float64(w) / float64(h)
	cw, ch := sw, sh
	if sw/sh > aspect {
		cw = sh * aspect
	} else {
		ch = sw / aspect
	}
	cw *= float64(crop)
	ch *= float64(crop)
	iw := max(1, min(b.Dx(), int(math.Round(cw))))
	ih := max(1, min(b.Dy(), int(math.Round(ch))))
	x0 := b.Min.X + (b.Dx()-iw)/2
	y0 := b.Min.Y + (b.Dy()-ih)/2
	return image.Rect(x0, y0, x0+iw, y0+ih)
}

// Preprocess centre-crops img (see Spec.Crop), resizes it to the model input
// size, normalises each channel as (pixel - Mean)/Std and writes the result
// into dst, which must hold exactly 3*Width*Height floats (batch 1), in the
// Layout and Channels order of s.
//
// Translucent pixels are composited over black (premultiplied alpha).
//
// The resize gives exactly the pixels of golang.org/x/image/draw's scalers
// (see resize.go). Preprocess is safe for concurrent use; with images of
// sizes seen recently it allocates nothing, except for image types other
// than the standard library's, which are first converted to *image.RGBA.
func Preprocess(img image.Image, s Spec, dst []float32) error {
	return preprocess(img, s, dst, false)
}

// preprocess is Preprocess; with reference set it resizes with
// x/image/draw itself (what tests compare the fast path to).
func preprocess(img image.Image, s Spec, dst []float32, reference bool) error {
	if img == nil {
		return fmt.Errorf("vision: nil image")
	}
	var t tensor
	if err := t.init(s, dst); err != nil {
		return err
	}
	sc, err := scaler(s)
	if err != nil {
		return err
	}
	b := img.Bounds()
	if b.Empty() {
		return fmt.Errorf("vision: image has zero width or height (%dx%d)", b.Dx(), b.Dy())
	}
	sr := cropRect(b, t.w, t.h, s.Crop)

	// Images that are not an image.RGBA64Image (every standard type is)
	// are converted first so they are not read through the slow At method
	// for every filter tap.
	if _, ok := img.(image.RGBA64Image); !ok {
		conv := image.NewRGBA(image.Rect(0, 0, sr.Dx(), sr.Dy()))
		stddraw.Draw(conv, conv.Rect, img, sr.Min, stddraw.Src)
		img, sr = conv, conv.Rect
	}
	if !reference {
		if p, ok := pixelsOf(img); ok && t.resize(&p, sr, sc, dst) {
			return nil
		}
	}
	small := image.NewRGBA(image.Rect(0, 0, t.w, t.h))
	sc.Scale(small, small.Rect, img, sr, draw.Src, nil)
	t.fill(small, dst)
	return nil
}

// PreprocessRGBA is Preprocess for raw 8-bit RGBA pixels, e.g. the data of a
// browser canvas ImageData: w x h pixels, stride bytes per row. Like
// ImageData the colour values are taken as not premultiplied by alpha.
func PreprocessRGBA(pix []uint8, w, h, stride int, s Spec, dst []float32) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("vision: image has zero width or height (%dx%d)", w, h)
	}
	if stride < 4*w {
		return fmt.Errorf("vision: stride %d too small for width %d (want >= %d)", stride, w, 4*w)
	}
	if need := stride*(h-1) + 4*w; len(pix) < need {
		return fmt.Errorf("vision: pixel buffer has %d bytes, want at least %d for %dx%d with stride %d", len(pix), need, w, h, stride)
	}
	// Preprocess(&image.NRGBA{...}) without making that image, which would
	// escape to the heap.
	var t tensor
	if err := t.init(s, dst); err != nil {
		return err
	}
	sc, err := scaler(s)
	if err != nil {
		return err
	}
	p := pixels{kind: pixNRGBA, rect: image.Rect(0, 0, w, h), pix: pix, stride: stride}
	if t.resize(&p, cropRect(p.rect, t.w, t.h, s.Crop), sc, dst) {
		return nil
	}
	return Preprocess(&image.NRGBA{Pix: pix, Stride: stride, Rect: p.rect}, s, dst)
}

// fill writes the normalised pixels of m (exactly t.w x t.h, origin 0,0).
func (t *tensor) fill(m *image.RGBA, dst []float32) {
	for y := 0; y < t.h; y++ {
		t.fillRow(dst, y, m.Pix[y*m.Stride:y*m.Stride+4*t.w])
	}
}

// fillRow writes the normalised pixels of row y, given as 8-bit RGBA
// (t.w pixels; alpha is ignored).
func (t *tensor) fillRow(dst []float32, y int, row []uint8) {
	w := t.w
	row = row[:4*w]
	l0, l1, l2 := &t.lut[t.srcChan[0]], &t.lut[t.srcChan[1]], &t.lut[t.srcChan[2]]
	s0, s1, s2 := t.srcChan[0], t.srcChan[1], t.srcChan[2]
	if t.nhwc {
		out := dst[3*y*w : 3*(y+1)*w]
		for x := 0; x < w; x++ {
			p := row[4*x : 4*x+4 : 4*x+4]
			o := out[3*x : 3*x+3 : 3*x+3]
			o[0] = l0[p[s0]]
			o[1] = l1[p[s1]]
			o[2] = l2[p[s2]]
		}
		return
	}
	plane := w * t.h
	o0 := dst[y*w : (y+1)*w]
	o1 := dst[plane+y*w : plane+(y+1)*w]
	o2 := dst[2*plane+y*w : 2*plane+(y+1)*w]
	for x := 0; x < w; x++ {
		p := row[4*x : 4*x+4 : 4*x+4]
		o0[x] = l0[p[s0]]
		o1[x] = l1[p[s1]]
		o2[x] = l2[p[s2]]
	}
}
