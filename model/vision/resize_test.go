package vision

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// preprocessReference is Preprocess resizing with golang.org/x/image/draw
// itself, the behaviour the fast path must reproduce bit for bit.
func preprocessReference(img image.Image, s Spec, dst []float32) error {
	return preprocess(img, s, dst, true)
}

// resizeSpecs are model inputs covering every resize method, crop, layout
// and channel order, odd and non-square sizes.
var resizeSpecs = []Spec{
	refSpec,
	{Width: 224, Height: 224, Layout: "NHWC", Channels: "BGR", Mean: [3]float32{123.675, 116.28, 103.53}, Std: [3]float32{58.395, 57.12, 57.375}, Crop: 0.875, Resize: "catmullrom"},
	{Width: 97, Height: 61, Layout: "NCHW", Channels: "RGB", Mean: [3]float32{0, 0, 0}, Std: [3]float32{255, 255, 255}, Crop: 0.9, Resize: "area"},
	{Width: 224, Height: 224, Layout: "NHWC", Channels: "RGB", Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{127.5, 127.5, 127.5}, Crop: 1, Resize: "nearest"},
	{Width: 33, Height: 47, Layout: "NCHW", Channels: "BGR", Mean: [3]float32{1, 2, 3}, Std: [3]float32{1, 0.5, 0.25}, Crop: 0.5, Resize: "nearest"},
	{Width: 129, Height: 67, Layout: "NCHW", Channels: "RGB", Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{127.5, 127.5, 127.5}, Crop: 0, Resize: ""},
	{Width: 300, Height: 200, Layout: "NHWC", Channels: "RGB", Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{127.5, 127.5, 127.5}, Crop: 1, Resize: "catmullrom"},
	{Width: 250, Height: 250, Layout: "NCHW", Channels: "BGR", Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{1, 1, 1}, Crop: 0.95, Resize: "area"},
}

// kernelSpecs returns spec at size w x h (crop 1) once per resize method.
func kernelSpecs(w, h int) []Spec {
	var out []Spec
	for i, r := range []string{"bilinear", "catmullrom", "area", "nearest"} {
		s := refSpec
		s.Width, s.Height, s.Resize = w, h, r
		if i%2 == 1 {
			s.Layout, s.Channels = "NHWC", "BGR"
		}
		out = append(out, s)
	}
	return out
}

func specName(s Spec) string {
	return fmt.Sprintf("%dx%d-%s-%s-%s-crop%v", s.Width, s.Height, s.Resize, s.Layout, s.Channels, s.Crop)
}

// assertSame runs Preprocess and preprocessReference and requires bitwise
// equal tensors.
func assertSame(t *testing.T, name string, img image.Image, s Spec) {
	t.Helper()
	got, want := make([]float32, 3*s.Width*s.Height), make([]float32, 3*s.Width*s.Height)
	for i := range got { // both must overwrite everything
		got[i], want[i] = float32(math.NaN()), -1e30
	}
	if err := preprocessReference(img, s, want); err != nil {
		t.Fatalf("%s %s: reference: %v", name, specName(s), err)
	}
	if err := Preprocess(img, s, got); err != nil {
		t.Fatalf("%s %s: %v", name, specName(s), err)
	}
	diff, first := 0, -1
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			if first < 0 {
				first = i
			}
			diff++
		}
	}
	if diff > 0 {
		t.Errorf("%s (%T %v) %s: %d of %d values differ from x/image/draw; first at %d: %v, want %v",
			name, img, img.Bounds(), specName(s), diff, len(got), first, got[first], want[first])
	}
}

// photos decodes every photo in the shared data folder.
func photos(t testing.TB) map[string]image.Image {
	t.Helper()
	dir := shared(t, "photos")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]image.Image{}
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".png", ".bmp":
		default:
			continue
		}
		img, _, err := Decode(readFile(t, filepath.Join(dir, e.Name())))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = img
	}
	if len(out) < 10 {
		t.Fatalf("only %d photos in %s", len(out), dir)
	}
	return out
}

// translucent returns img as *image.NRGBA with an alpha pattern covering
// 0 (with colour left in), 255 and values between.
func translucent(img image.Image) *image.NRGBA {
	b := img.Bounds()
	m := image.NewNRGBA(b)
	draw.Draw(m, b, img, b.Min, draw.Src)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			a := uint8((x*7 + y*13) % 300) // values >= 255 stay opaque
			if (x/16+y/16)%3 == 0 {
				a = 255
			}
			if x%37 == 0 {
				a = 0
			}
			if a < 255 {
				m.Pix[m.PixOffset(x, y)+3] = a
			}
		}
	}
	return m
}

// toRGBA converts img to *image.RGBA with the same bounds.
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	m := image.NewRGBA(b)
	draw.Draw(m, b, img, b.Min, draw.Src)
	return m
}

// toYCbCr converts img to *image.YCbCr with subsample ratio r; a chroma
// sample takes the last pixel it covers.
func toYCbCr(img image.Image, r image.YCbCrSubsampleRatio) *image.YCbCr {
	b := img.Bounds()
	m := image.NewYCbCr(b, r)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			m.Y[m.YOffset(x, y)] = yy
			m.Cb[m.COffset(x, y)] = cb
			m.Cr[m.COffset(x, y)] = cr
		}
	}
	return m
}

// convert draws img into a new image made by mk with the same bounds.
func convert[M draw.Image](img image.Image, mk func(image.Rectangle) M) M {
	m := mk(img.Bounds())
	draw.Draw(m, m.Bounds(), img, img.Bounds().Min, draw.Src)
	return m
}

// rawRGBA reinterprets the bytes of an NRGBA image as RGBA: colour values
// above alpha, which x/image/draw clamps.
func rawRGBA(m *image.NRGBA) *image.RGBA {
	return &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
}

// Every photo, as decoded and as translucent NRGBA, through every spec.
func TestPreprocessMatchesXImagePhotos(t *testing.T) {
	for name, img := range photos(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			imgs := map[string]image.Image{"decoded": img, "translucent": translucent(img)}
			if testing.Short() {
				delete(imgs, "translucent")
			}
			for iname, m := range imgs {
				for _, s := range resizeSpecs {
					assertSame(t, iname, m, s)
				}
			}
		})
	}
}

// Every image type on a part of one photo, with a non-zero (odd) origin.
func TestPreprocessMatchesXImageTypes(t *testing.T) {
	var part image.Image
	for name, img := range photos(t) {
		if name == "dog.jpg" {
			part = toRGBA(img).SubImage(image.Rect(301, 157, 301+211, 157+143))
		}
	}
	nrgba := translucent(part)
	imgs := map[string]image.Image{
		"RGBA":        part,
		"NRGBA":       nrgba,
		"RGBA-raw":    rawRGBA(nrgba),
		"Gray":        convert(part, image.NewGray),
		"Gray16":      convert(part, image.NewGray16),
		"NRGBA64":     convert(nrgba, image.NewNRGBA64),
		"RGBA64":      convert(nrgba, image.NewRGBA64),
		"CMYK":        convert(part, image.NewCMYK),
		"Alpha":       convert(nrgba, image.NewAlpha),
		"Paletted":    convert(part, func(r image.Rectangle) *image.Paletted { return image.NewPaletted(r, paletteOf(part)) }),
		"custom":      customImage{toRGBA(nrgba)},
		"YCbCr444":    toYCbCr(part, image.YCbCrSubsampleRatio444),
		"YCbCr422":    toYCbCr(part, image.YCbCrSubsampleRatio422),
		"YCbCr420":    toYCbCr(part, image.YCbCrSubsampleRatio420),
		"YCbCr440":    toYCbCr(part, image.YCbCrSubsampleRatio440),
		"YCbCr411":    toYCbCr(part, image.YCbCrSubsampleRatio411),
		"YCbCr410":    toYCbCr(part, image.YCbCrSubsampleRatio410),
		"NYCbCrA":     &image.NYCbCrA{YCbCr: *toYCbCr(part, image.YCbCrSubsampleRatio420), A: convert(nrgba, image.NewAlpha).Pix, AStride: part.Bounds().Dx()},
		"YCbCr420sub": toYCbCr(toRGBA(part), image.YCbCrSubsampleRatio420).SubImage(image.Rect(302, 160, 302+150, 160+101)),
	}
	specs := append([]Spec{}, resizeSpecs...)
	specs = append(specs, kernelSpecs(211, 143)...) // same size: no scaling
	specs = append(specs, kernelSpecs(64, 64)...)
	for tname, img := range imgs {
		t.Run(tname, func(t *testing.T) {
			t.Parallel()
			for _, s := range specs {
				assertSame(t, tname, img, s)
			}
		})
	}
}

func paletteOf(img image.Image) color.Palette {
	var p color.Palette
	b := img.Bounds()
	for i := 0; i < 256; i++ {
		p = append(p, img.At(b.Min.X+i*7%b.Dx(), b.Min.Y+i*13%b.Dy()))
	}
	return p
}

// Enlarging tiny images: 1x1, 2x3 (area's half-way sample points have no
// contributing pixel), 7x5 and a 3x40 strip.
func TestPreprocessMatchesXImageUpscale(t *testing.T) {
	var src *image.NRGBA
	for name, img := range photos(t) {
		if name == "parrot.jpg" {
			src = translucent(img)
		}
	}
	for _, r := range []image.Rectangle{
		image.Rect(200, 300, 201, 301),
		image.Rect(200, 300, 202, 303),
		image.Rect(201, 301, 208, 306),
		image.Rect(100, 50, 103, 90),
	} {
		sub := src.SubImage(r).(*image.NRGBA)
		for _, img := range []image.Image{sub, toRGBA(sub), toYCbCr(sub, image.YCbCrSubsampleRatio420)} {
			for _, s := range append(kernelSpecs(224, 224), append(kernelSpecs(3, 3), kernelSpecs(5, 9)...)...) {
				assertSame(t, "tiny", img, s)
			}
		}
		// The browser's path, which wraps the pixels as NRGBA.
		for _, s := range kernelSpecs(224, 224) {
			got, want := make([]float32, 3*224*224), make([]float32, 3*224*224)
			if err := PreprocessRGBA(sub.Pix, r.Dx(), r.Dy(), sub.Stride, s, got); err != nil {
				t.Fatal(err)
			}
			if err := preprocessReference(sub, s, want); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("PreprocessRGBA %v %s: dst[%d] = %v, want %v", r, specName(s), i, got[i], want[i])
				}
			}
		}
	}
}

// A second call with the same sizes allocates nothing.
func TestPreprocessAllocs(t *testing.T) {
	var img image.Image
	for name, m := range photos(t) {
		if name == "dog.jpg" {
			img = m
		}
	}
	imgs := map[string]image.Image{
		"YCbCr": img, "RGBA": toRGBA(img), "NRGBA": translucent(img), "Gray": convert(img, image.NewGray),
		"NRGBA64": convert(img, image.NewNRGBA64),
	}
	if _, ok := img.(*image.YCbCr); !ok {
		t.Fatalf("dog.jpg decoded as %T, want *image.YCbCr", img)
	}
	for name, m := range imgs {
		for _, s := range append(resizeSpecs, kernelSpecs(768, 576)...) {
			dst := make([]float32, 3*s.Width*s.Height)
			if err := Preprocess(m, s, dst); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(3, func() {
				if err := Preprocess(m, s, dst); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("%s %s: %v allocations per call, want 0", name, specName(s), n)
			}
		}
	}
	nrgba := translucent(img)
	b := nrgba.Bounds()
	for _, s := range kernelSpecs(224, 224) {
		dst := make([]float32, 3*224*224)
		if n := testing.AllocsPerRun(3, func() {
			if err := PreprocessRGBA(nrgba.Pix, b.Dx(), b.Dy(), nrgba.Stride, s, dst); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("PreprocessRGBA %s: %v allocations per call, want 0", specName(s), n)
		}
	}
}

// Concurrent calls with different sizes share the caches safely.
func TestPreprocessConcurrent(t *testing.T) {
	var imgs []image.Image
	for _, m := range photos(t) {
		imgs = append(imgs, m)
	}
	specs := append(resizeSpecs, kernelSpecs(50, 40)...)
	want := make([][][]float32, len(imgs))
	for i, img := range imgs {
		for _, s := range specs {
			dst := make([]float32, 3*s.Width*s.Height)
			if err := preprocessReference(img, s, dst); err != nil {
				t.Fatal(err)
			}
			want[i] = append(want[i], dst)
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for k := 0; k < len(imgs)*len(specs); k++ {
				i, j := (k+g*5)%len(imgs), (k*3+g)%len(specs)
				s := specs[j]
				dst := make([]float32, 3*s.Width*s.Height)
				if err := Preprocess(imgs[i], s, dst); err != nil {
					t.Error(err)
					return
				}
				for n := range dst {
					if math.Float32bits(dst[n]) != math.Float32bits(want[i][j][n]) {
						t.Errorf("goroutine %d: image %d %s differs at %d", g, i, specName(s), n)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// rgbaBenchPixels returns the pixels of BenchmarkPreprocessRGBA, opaque or not.
func rgbaBenchPixels(opaque bool) (pix []uint8, w, h int) {
	w, h = 448, 336
	pix = make([]uint8, 4*w*h)
	for i := range pix {
		pix[i] = uint8(i * 7)
		if opaque && i%4 == 3 {
			pix[i] = 0xff
		}
	}
	return pix, w, h
}

// BenchmarkPreprocessRGBAPath compares the browser's path, with the pixels
// of BenchmarkPreprocessRGBA (random alpha) and opaque ones (what a canvas
// holding a photo gives), to x/image/draw's.
func BenchmarkPreprocessRGBAPath(b *testing.B) {
	for _, opaque := range []bool{false, true} {
		pix, w, h := rgbaBenchPixels(opaque)
		img := &image.NRGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
		dst := make([]float32, 3*224*224)
		name := "translucent"
		if opaque {
			name = "opaque"
		}
		b.Run(name+"/fast", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := PreprocessRGBA(pix, w, h, 4*w, refSpec, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/ximage", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := preprocessReference(img, refSpec, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
