package vision

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// refSpec is the pipeline used for /work/shared/photos/expected.tsv.
var refSpec = Spec{Width: 224, Height: 224, Layout: "NCHW", Channels: "RGB",
	Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{127.5, 127.5, 127.5}, Crop: 1, Resize: "bilinear"}

func solid(r image.Rectangle, c color.Color) *image.RGBA {
	m := image.NewRGBA(r)
	draw.Draw(m, r, image.NewUniform(c), image.Point{}, draw.Src)
	return m
}

// asTypes returns m converted to the image types decoders produce.
func asTypes(m *image.RGBA) map[string]image.Image {
	b := m.Bounds()
	nrgba := image.NewNRGBA(b)
	draw.Draw(nrgba, b, m, b.Min, draw.Src)
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := m.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)] = cb
			ycc.Cr[ycc.COffset(x, y)] = cr
		}
	}
	pal := image.NewPaletted(b, color.Palette{color.RGBA{}, m.RGBAAt(b.Min.X, b.Min.Y)})
	draw.Draw(pal, b, m, b.Min, draw.Src)
	return map[string]image.Image{"RGBA": m, "NRGBA": nrgba, "YCbCr": ycc, "Paletted": pal, "custom": customImage{m}}
}

// customImage hides the concrete type so the generic conversion path is used.
type customImage struct{ m *image.RGBA }

func (c customImage) ColorModel() color.Model { return c.m.ColorModel() }
func (c customImage) Bounds() image.Rectangle { return c.m.Bounds() }
func (c customImage) At(x, y int) color.Color { return c.m.At(x, y) }

func TestPreprocessSolid(t *testing.T) {
	c := color.RGBA{10, 128, 250, 255}
	src := solid(image.Rect(3, 7, 103, 67), c) // non-zero origin, 100x60
	for _, layout := range []string{"NCHW", "NHWC"} {
		for _, resize := range []string{"bilinear", "catmullrom", "nearest", "area", ""} {
			for tname, img := range asTypes(src) {
				if tname == "YCbCr" || tname == "Paletted" {
					continue // not exactly representable; covered below
				}
				s := refSpec
				s.Width, s.Height, s.Layout, s.Resize = 5, 4, layout, resize
				dst := make([]float32, 3*5*4)
				if err := Preprocess(img, s, dst); err != nil {
					t.Fatal(err)
				}
				want := [3]float32{(10 - 127.5) / 127.5, (128 - 127.5) / 127.5, (250 - 127.5) / 127.5}
				// float64 reference
				for ch, v := range []float64{10, 128, 250} {
					if d := math.Abs(float64(want[ch]) - (v-127.5)/127.5); d > 1e-7 {
						t.Fatalf("reference mismatch %v", d)
					}
				}
				for i, v := range dst {
					ch := i / 20
					if layout == "NHWC" {
						ch = i % 3
					}
					if v != want[ch] {
						t.Fatalf("%s/%s/%s: dst[%d] = %v, want %v", layout, resize, tname, i, v, want[ch])
					}
				}
			}
		}
	}
}

func TestPreprocessSolidYCbCrAndPaletted(t *testing.T) {
	c := color.RGBA{200, 30, 90, 255}
	for tname, img := range asTypes(solid(image.Rect(0, 0, 64, 48), c)) {
		dst := make([]float32, 3*8*8)
		s := refSpec
		s.Width, s.Height = 8, 8
		if err := Preprocess(img, s, dst); err != nil {
			t.Fatal(err)
		}
		for i, v := range dst {
			want := (float32([3]uint8{c.R, c.G, c.B}[i/64]) - 127.5) / 127.5
			if math.Abs(float64(v-want)) > 3/127.5 { // YCbCr round trip
				t.Fatalf("%s: dst[%d] = %v, want %v", tname, i, v, want)
			}
		}
	}
}

// stripes returns a 3w x w image: red | green | blue vertical stripes.
func stripes(w int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, 3*w, w))
	draw.Draw(m, image.Rect(0, 0, w, w), image.NewUniform(red), image.Point{}, draw.Src)
	draw.Draw(m, image.Rect(w, 0, 2*w, w), image.NewUniform(green), image.Point{}, draw.Src)
	draw.Draw(m, image.Rect(2*w, 0, 3*w, w), image.NewUniform(blue), image.Point{}, draw.Src)
	return m
}

func TestPreprocessOrdering(t *testing.T) {
	// Model input 3x1: one pixel per stripe. Per-channel mean/std (R,G,B
	// order) make every output value identify its source channel.
	mean := [3]float32{1, 2, 3}
	std := [3]float32{1, 0.5, 0.25}
	n := func(v uint8, ch int) float32 { return (float32(v) - mean[ch]) / std[ch] }
	R, G, B := [3]uint8{255, 0, 0}, [3]uint8{0, 255, 0}, [3]uint8{0, 0, 255}
	px := [3][3]uint8{R, G, B} // pixel x -> RGB
	want := map[string][]float32{}
	// NCHW RGB: plane R, plane G, plane B; each plane has pixels red,green,blue.
	for _, layout := range []string{"NCHW", "NHWC"} {
		for _, order := range []string{"RGB", "BGR"} {
			src := [3]int{0, 1, 2}
			if order == "BGR" {
				src = [3]int{2, 1, 0}
			}
			out := make([]float32, 9)
			for c := 0; c < 3; c++ {
				for x := 0; x < 3; x++ {
					v := n(px[x][src[c]], src[c])
					if layout == "NCHW" {
						out[c*3+x] = v
					} else {
						out[x*3+c] = v
					}
				}
			}
			want[layout+"/"+order] = out
		}
	}
	// Spot-check the table against hand-written values.
	if w := want["NCHW/BGR"]; w[0] != n(0, 2) || w[2] != n(255, 2) || w[6] != n(255, 0) {
		t.Fatalf("bad NCHW/BGR table %v", w)
	}
	if w := want["NHWC/BGR"]; w[0] != n(0, 2) || w[2] != n(255, 0) || w[8] != n(0, 0) || w[6] != n(255, 2) {
		t.Fatalf("bad NHWC/BGR table %v", w)
	}
	for key, w := range want {
		layout, order, _ := strings.Cut(key, "/")
		s := Spec{Width: 3, Height: 1, Layout: layout, Channels: order, Mean: mean, Std: std, Crop: 1, Resize: "nearest"}
		dst := make([]float32, 9)
		if err := Preprocess(stripes(10), s, dst); err != nil {
			t.Fatal(err)
		}
		for i := range dst {
			if dst[i] != w[i] {
				t.Errorf("%s: got %v, want %v", key, dst, w)
				break
			}
		}
	}
}

func TestPreprocessCrop(t *testing.T) {
	// 100x100 image: a red 50x50 centre on blue.
	centre := solid(image.Rect(0, 0, 100, 100), blue)
	draw.Draw(centre, image.Rect(25, 25, 75, 75), image.NewUniform(red), image.Point{}, draw.Src)
	// 160x100 image: a red centred 100x100 square on blue side bars.
	wide := solid(image.Rect(0, 0, 160, 100), blue)
	draw.Draw(wide, image.Rect(30, 0, 130, 100), image.NewUniform(red), image.Point{}, draw.Src)
	// 100x100 image: a red 100x50 centre band on blue.
	band := solid(image.Rect(0, 0, 100, 100), blue)
	draw.Draw(band, image.Rect(0, 25, 100, 75), image.NewUniform(red), image.Point{}, draw.Src)
	tests := []struct {
		name string
		img  image.Image
		w, h int
		crop float32
	}{
		{"centre half", centre, 4, 4, 0.5},
		{"wide square crop", wide, 4, 4, 1},
		{"wide square crop unset", wide, 4, 4, 0},
		{"non-square input keeps its aspect", band, 8, 4, 1},
		{"tall portrait via SubImage", centre.SubImage(image.Rect(25, 0, 75, 100)), 4, 4, 0.9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Spec{Width: tc.w, Height: tc.h, Mean: [3]float32{0, 0, 0}, Std: [3]float32{1, 1, 1}, Crop: tc.crop, Resize: "area"}
			dst := make([]float32, 3*tc.w*tc.h)
			if err := Preprocess(tc.img, s, dst); err != nil {
				t.Fatal(err)
			}
			plane := tc.w * tc.h
			for i := 0; i < plane; i++ {
				if dst[i] != 255 || dst[plane+i] != 0 || dst[2*plane+i] != 0 {
					t.Fatalf("pixel %d = (%v,%v,%v), want pure red", i, dst[i], dst[plane+i], dst[2*plane+i])
				}
			}
		})
	}
}

func TestCropRect(t *testing.T) {
	tests := []struct {
		b    image.Rectangle
		w, h int
		crop float32
		want image.Rectangle
	}{
		{image.Rect(0, 0, 768, 576), 224, 224, 1, image.Rect(96, 0, 672, 576)},
		{image.Rect(0, 0, 512, 929), 224, 224, 1, image.Rect(0, 208, 512, 720)},
		{image.Rect(0, 0, 512, 512), 224, 224, 0.875, image.Rect(32, 32, 480, 480)},
		{image.Rect(10, 10, 20, 20), 3, 1, 1, image.Rect(10, 13, 20, 16)},
		{image.Rect(0, 0, 1, 1), 224, 224, 0.1, image.Rect(0, 0, 1, 1)},
	}
	for _, tc := range tests {
		if got := cropRect(tc.b, tc.w, tc.h, tc.crop); got != tc.want {
			t.Errorf("cropRect(%v, %dx%d, %v) = %v, want %v", tc.b, tc.w, tc.h, tc.crop, got, tc.want)
		}
	}
}

func TestPreprocessRGBA(t *testing.T) {
	// 6x4 pixels with a stride of 7 pixels; padding is garbage.
	const w, h, stride = 6, 4, 28
	pix := make([]uint8, stride*h)
	for i := range pix {
		pix[i] = 0xEE
	}
	ref := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(40 * x), uint8(60 * y), uint8(10 * (x + y)), 255}
			copy(pix[y*stride+4*x:], []uint8{c.R, c.G, c.B, c.A})
			ref.SetRGBA(x, y, c)
		}
	}
	s := refSpec
	s.Width, s.Height = 3, 3
	got, want := make([]float32, 27), make([]float32, 27)
	if err := PreprocessRGBA(pix, w, h, stride, s, got); err != nil {
		t.Fatal(err)
	}
	if err := Preprocess(ref, s, want); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("PreprocessRGBA differs from Preprocess at %d: %v vs %v", i, got[i], want[i])
		}
	}
	// The last row may omit the stride padding.
	if err := PreprocessRGBA(pix[:stride*(h-1)+4*w], w, h, stride, s, got); err != nil {
		t.Errorf("short last row: %v", err)
	}
	for _, bad := range []struct {
		name         string
		pix          []uint8
		w, h, stride int
		want         string
	}{
		{"zero width", pix, 0, h, stride, "zero width"},
		{"stride", pix, w, h, 4*w - 1, "stride"},
		{"short buffer", pix[:len(pix)-5], w, h, stride, "pixel buffer"},
		{"nil", nil, w, h, stride, "pixel buffer"},
	} {
		err := PreprocessRGBA(bad.pix, bad.w, bad.h, bad.stride, s, got)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want %q", bad.name, err, bad.want)
		}
	}
}

func TestPreprocessErrors(t *testing.T) {
	img := solid(image.Rect(0, 0, 4, 4), red)
	ok := Spec{Width: 2, Height: 2, Std: [3]float32{1, 1, 1}}
	tests := []struct {
		name string
		img  image.Image
		mod  func(*Spec)
		n    int
		want string
	}{
		{"nil image", nil, nil, 12, "nil image"},
		{"empty image", image.NewRGBA(image.Rect(0, 0, 0, 3)), nil, 12, "zero width"},
		{"dst short", img, nil, 11, "dst has 11 floats"},
		{"dst long", img, nil, 13, "dst has 13 floats"},
		{"zero size", img, func(s *Spec) { s.Width = 0 }, 0, "input size"},
		{"layout", img, func(s *Spec) { s.Layout = "CHW" }, 12, "layout"},
		{"channels", img, func(s *Spec) { s.Channels = "rgb" }, 12, "channel order"},
		{"std zero", img, func(s *Spec) { s.Std[1] = 0 }, 12, "channel 1"},
		{"std NaN", img, func(s *Spec) { s.Std[2] = float32(math.NaN()) }, 12, "channel 2"},
		{"crop", img, func(s *Spec) { s.Crop = 1.5 }, 12, "crop"},
		{"crop negative", img, func(s *Spec) { s.Crop = -0.5 }, 12, "crop"},
		{"resize", img, func(s *Spec) { s.Resize = "lanczos" }, 12, "resize"},
	}
	for _, tc := range tests {
		s := ok
		if tc.mod != nil {
			tc.mod(&s)
		}
		err := Preprocess(tc.img, s, make([]float32, tc.n))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// The reference pipeline on real photos: values stay in [-1,1] and the
// image content survives (photos are not a flat colour).
func TestPreprocessPhotos(t *testing.T) {
	for _, name := range []string{"dog.jpg", "chelsea.png", "bird.bmp", "parrot.jpg"} {
		data := readFile(t, shared(t, filepath.Join("photos", name)))
		img, _, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, 3*224*224)
		if err := Preprocess(img, refSpec, dst); err != nil {
			t.Fatal(err)
		}
		lo, hi := float32(2), float32(-2)
		var sum float64
		for _, v := range dst {
			lo, hi = min(lo, v), max(hi, v)
			sum += float64(v)
		}
		if lo < -1 || hi > 1 || hi-lo < 1 {
			t.Errorf("%s: values in [%v,%v], want a spread inside [-1,1]", name, lo, hi)
		}
		t.Logf("%s: %T range [%.3f,%.3f] mean %.4f", name, img, lo, hi, sum/float64(len(dst)))
	}
}

func BenchmarkPreprocess(b *testing.B) {
	for _, name := range []string{"dog.jpg", "grace_hopper.bmp", "chelsea.png"} {
		img, _, err := Decode(readFile(b, shared(b, filepath.Join("photos", name))))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			dst := make([]float32, 3*224*224)
			for b.Loop() {
				if err := Preprocess(img, refSpec, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	data := readFile(b, shared(b, "photos/dog.jpg"))
	for b.Loop() {
		if _, _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreprocessRGBA is the browser's path: canvas pixels no larger
// than twice the model input (448×336 here) into a 224×224 tensor.
func BenchmarkPreprocessRGBA(b *testing.B) {
	w, h := 448, 336
	pix := make([]uint8, 4*w*h)
	for i := range pix {
		pix[i] = uint8(i * 7)
	}
	dst := make([]float32, 3*224*224)
	b.ReportAllocs()
	for b.Loop() {
		if err := PreprocessRGBA(pix, w, h, 4*w, refSpec, dst); err != nil {
			b.Fatal(err)
		}
	}
}
