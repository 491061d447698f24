package train

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// augNoise returns a w×h opaque RGBA image of random colours in [lo, hi].
func augNoise(w, h int, lo, hi uint8, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		if i%4 == 3 {
			m.Pix[i] = 255
			continue
		}
		m.Pix[i] = lo + uint8(rng.IntN(int(hi-lo)+1))
	}
	return m
}

// augOff is an Augment that changes nothing for a w×h source.
func augOff(w, h int) Augment {
	r := float64(w) / float64(h)
	return Augment{Scale: [2]float64{1, 1}, Ratio: [2]float64{r, r}}
}

// augNone returns parameters that change nothing, with crop c.
func augNone(c image.Rectangle) augParams {
	return augParams{crop: c, brightness: 1, contrast: 1, saturation: 1}
}

// augEqual fails t unless got's pixels equal want's (both w×h from (0, 0)
// of got, want's from its own Bounds().Min).
func augEqual(t *testing.T, got *image.RGBA, want image.Image) {
	t.Helper()
	wb := want.Bounds()
	if got.Rect.Dx() != wb.Dx() || got.Rect.Dy() != wb.Dy() {
		t.Fatalf("size %v, want %v", got.Rect.Size(), wb.Size())
	}
	for y := range wb.Dy() {
		for x := range wb.Dx() {
			g := got.RGBAAt(x, y)
			w := color.RGBAModel.Convert(want.At(wb.Min.X+x, wb.Min.Y+y)).(color.RGBA)
			if g != w {
				t.Fatalf("pixel (%d, %d) = %v, want %v", x, y, g, w)
			}
		}
	}
}

func augOpaque(t *testing.T, m *image.RGBA) {
	t.Helper()
	for i := 3; i < len(m.Pix); i += 4 {
		if m.Pix[i] != 255 {
			t.Fatalf("alpha at byte %d = %d, want 255", i, m.Pix[i])
		}
	}
}

func augMeanGrey(m *image.RGBA) float64 {
	var s float64
	for i := 0; i < len(m.Pix); i += 4 {
		s += augGrey(float64(m.Pix[i]), float64(m.Pix[i+1]), float64(m.Pix[i+2]))
	}
	return s / float64(len(m.Pix)/4)
}

func TestAugmentDefaultAndValidate(t *testing.T) {
	d := DefaultAugment()
	want := Augment{Scale: [2]float64{0.6, 1}, Ratio: [2]float64{0.75, 4.0 / 3}, Flip: true, Rotate: 15,
		Brightness: 0.2, Contrast: 0.2, Saturation: 0.2}
	if d != want {
		t.Fatalf("DefaultAugment() = %+v, want %+v", d, want)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("DefaultAugment().Validate() = %v", err)
	}
	if err := augOff(3, 5).Validate(); err != nil {
		t.Fatalf("all-off Validate() = %v", err)
	}
	edge := Augment{Scale: [2]float64{1, 1}, Ratio: [2]float64{1e-3, 1e3}, Rotate: 180,
		Brightness: 0.999, Contrast: 0, Saturation: 0.5}
	if err := edge.Validate(); err != nil {
		t.Fatalf("edge values Validate() = %v", err)
	}

	nan := math.NaN()
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		mod  func(*Augment)
		want string
	}{
		{"scale zero", func(a *Augment) { a.Scale[0] = 0 }, "Scale"},
		{"scale negative", func(a *Augment) { a.Scale = [2]float64{-0.5, 1} }, "Scale"},
		{"scale above one", func(a *Augment) { a.Scale[1] = 1.01 }, "Scale"},
		{"scale NaN", func(a *Augment) { a.Scale[1] = nan }, "Scale"},
		{"scale unordered", func(a *Augment) { a.Scale = [2]float64{0.9, 0.5} }, "not ordered"},
		{"ratio zero", func(a *Augment) { a.Ratio[0] = 0 }, "Ratio"},
		{"ratio negative", func(a *Augment) { a.Ratio = [2]float64{-1, 1} }, "Ratio"},
		{"ratio infinite", func(a *Augment) { a.Ratio[1] = inf }, "Ratio"},
		{"ratio NaN", func(a *Augment) { a.Ratio[0] = nan }, "Ratio"},
		{"ratio unordered", func(a *Augment) { a.Ratio = [2]float64{2, 1} }, "not ordered"},
		{"rotate negative", func(a *Augment) { a.Rotate = -1 }, "Rotate"},
		{"rotate above 180", func(a *Augment) { a.Rotate = 181 }, "Rotate"},
		{"rotate NaN", func(a *Augment) { a.Rotate = nan }, "Rotate"},
		{"brightness one", func(a *Augment) { a.Brightness = 1 }, "Brightness"},
		{"brightness negative", func(a *Augment) { a.Brightness = -0.1 }, "Brightness"},
		{"contrast one", func(a *Augment) { a.Contrast = 1 }, "Contrast"},
		{"contrast NaN", func(a *Augment) { a.Contrast = nan }, "Contrast"},
		{"saturation big", func(a *Augment) { a.Saturation = 2 }, "Saturation"},
		{"saturation negative", func(a *Augment) { a.Saturation = -1 }, "Saturation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := DefaultAugment()
			tc.mod(&a)
			err := a.Validate()
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want an error", a)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("Validate() = %q, want one line naming %q", msg, tc.want)
			}
		})
	}

	// Several bad fields are all reported, still in one line.
	a := Augment{Scale: [2]float64{0, 2}, Ratio: [2]float64{1, 0}, Rotate: 200, Brightness: 1, Contrast: -1, Saturation: 1}
	err := a.Validate()
	if err == nil {
		t.Fatal("Validate() = nil for all-bad fields")
	}
	for _, f := range []string{"Scale", "Ratio", "Rotate", "Brightness", "Contrast", "Saturation"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("Validate() = %q, does not name %s", err, f)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("Validate() = %q, not one line", err)
	}
}

// With every change off the output is the source, exactly, whatever its
// type and origin.
func TestAugmentIdentity(t *testing.T) {
	base := augNoise(37, 23, 0, 255, 1)
	nrgba := image.NewNRGBA(base.Rect)
	draw.Draw(nrgba, nrgba.Rect, base, image.Point{}, draw.Src)
	ycc := image.NewYCbCr(base.Rect, image.YCbCrSubsampleRatio420)
	for y := range base.Rect.Dy() {
		for x := range base.Rect.Dx() {
			c := base.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)] = cb
			ycc.Cr[ycc.COffset(x, y)] = cr
		}
	}
	gray := image.NewGray(base.Rect)
	draw.Draw(gray, gray.Rect, base, image.Point{}, draw.Src)
	big := augNoise(60, 50, 0, 255, 2)
	sub := big.SubImage(image.Rect(11, 7, 48, 30)).(*image.RGBA)
	bigN := image.NewNRGBA(image.Rect(-5, -3, 55, 47))
	draw.Draw(bigN, bigN.Rect, big, image.Point{}, draw.Src)
	subN := bigN.SubImage(image.Rect(6, 4, 43, 27))

	for _, tc := range []struct {
		name string
		src  image.Image
	}{
		{"rgba", base},
		{"nrgba", nrgba},
		{"ycbcr", ycc},
		{"gray", gray},
		{"rgba subimage", sub},
		{"nrgba subimage", subN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.src.Bounds()
			before := augClone(tc.src)
			a := augOff(b.Dx(), b.Dy())
			out := a.Apply(tc.src, b.Dx(), b.Dy(), rand.New(rand.NewPCG(7, 7)))
			augEqual(t, out, tc.src)
			augOpaque(t, out)
			augEqual(t, augClone(tc.src), before) // src untouched
		})
	}
}

func augClone(m image.Image) *image.RGBA {
	b := m.Bounds()
	c := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(c, c.Rect, m, b.Min, draw.Src)
	return c
}

// A crop taken at its own size is the sub-image; a crop scaled up by two
// repeats pixels at even positions.
func TestAugmentCrop(t *testing.T) {
	src := augNoise(40, 30, 0, 255, 3)
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, 40, 30), image.Rect(5, 3, 25, 28), image.Rect(39, 29, 40, 30), image.Rect(0, 10, 40, 11),
	} {
		out := augNone(r).apply(src, r.Dx(), r.Dy())
		augEqual(t, out, src.SubImage(r))
	}
	// Upscaled by two: output pixel k samples source position x0 + k/2 - 1/4,
	// a blend of source pixel x0 + k/2 and one neighbour, so its value lies
	// within that 3×3 neighbourhood.
	r := image.Rect(10, 10, 20, 20)
	out := augNone(r).apply(src, 20, 20)
	for y := range 20 {
		for x := range 20 {
			g := out.RGBAAt(x, y)
			s := src.RGBAAt(r.Min.X+x/2, r.Min.Y+y/2)
			lo, hi := s, s
			for _, d := range []image.Point{{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}} {
				n := src.RGBAAt(min(max(r.Min.X+x/2+d.X, 0), 39), min(max(r.Min.Y+y/2+d.Y, 0), 29))
				lo = color.RGBA{min(lo.R, n.R), min(lo.G, n.G), min(lo.B, n.B), 255}
				hi = color.RGBA{max(hi.R, n.R), max(hi.G, n.G), max(hi.B, n.B), 255}
			}
			if g.R < lo.R || g.R > hi.R || g.G < lo.G || g.G > hi.G || g.B < lo.B || g.B > hi.B {
				t.Fatalf("upscaled pixel (%d, %d) = %v outside its neighbourhood [%v, %v]", x, y, g, lo, hi)
			}
		}
	}
}

func TestAugmentFlip(t *testing.T) {
	src := augNoise(31, 17, 0, 255, 4)
	mirror := image.NewRGBA(src.Rect)
	for y := range 17 {
		for x := range 31 {
			mirror.SetRGBA(30-x, y, src.RGBAAt(x, y))
		}
	}
	p := augNone(src.Rect)
	p.flip = true
	augEqual(t, p.apply(src, 31, 17), mirror)

	// Through Apply: every output is the source or its mirror, and both occur
	// about equally often.
	a := augOff(31, 17)
	a.Flip = true
	flips := 0
	const n = 200
	for seed := range uint64(n) {
		out := a.Apply(src, 31, 17, rand.New(rand.NewPCG(seed, 0)))
		switch {
		case bytes.Equal(out.Pix, mirror.Pix):
			flips++
		case bytes.Equal(out.Pix, src.Pix):
		default:
			t.Fatalf("seed %d: output neither the source nor its mirror", seed)
		}
	}
	if flips < n/2-30 || flips > n/2+30 {
		t.Errorf("%d of %d draws flipped, want about half", flips, n)
	}
}

// Rotation is counter-clockwise about the crop's centre; on a square image
// quarter turns move a marked pixel exactly.
func TestAugmentRotate(t *testing.T) {
	const n = 9
	src := image.NewRGBA(image.Rect(0, 0, n, n))
	draw.Draw(src, src.Rect, image.NewUniform(color.RGBA{0, 0, 0, 255}), image.Point{}, draw.Src)
	mark := color.RGBA{250, 40, 90, 255}
	const mx, my = 7, 1 // near the top-right corner
	src.SetRGBA(mx, my, mark)
	for _, tc := range []struct {
		angle  float64
		flip   bool
		wx, wy int
	}{
		{90, false, my, n - 1 - mx},          // top-right → top-left
		{-90, false, n - 1 - my, mx},         // top-right → bottom-right
		{180, false, n - 1 - mx, n - 1 - my}, // → bottom-left
		{270, false, n - 1 - my, mx},
		{90, true, my, mx}, // flipped to top-left, then turned → bottom-left
	} {
		p := augNone(src.Rect)
		p.angle, p.flip = tc.angle, tc.flip
		out := p.apply(src, n, n)
		for y := range n {
			for x := range n {
				want := color.RGBA{0, 0, 0, 255}
				if x == tc.wx && y == tc.wy {
					want = mark
				}
				if g := out.RGBAAt(x, y); g != want {
					t.Fatalf("angle %v flip %v: pixel (%d, %d) = %v, want %v", tc.angle, tc.flip, x, y, g, want)
				}
			}
		}
	}

	// An arbitrary angle on a uniform image stays uniform: samples outside
	// the source take its edge, so there are no black corners.
	grey := color.RGBA{120, 130, 140, 255}
	flat := image.NewRGBA(image.Rect(0, 0, 30, 20))
	draw.Draw(flat, flat.Rect, image.NewUniform(grey), image.Point{}, draw.Src)
	p := augNone(image.Rect(3, 2, 25, 18))
	p.angle = 37
	out := p.apply(flat, 16, 16)
	for y := range 16 {
		for x := range 16 {
			if g := out.RGBAAt(x, y); g != grey {
				t.Fatalf("rotated uniform image: pixel (%d, %d) = %v, want %v", x, y, g, grey)
			}
		}
	}
}

func TestAugmentColour(t *testing.T) {
	src := augNoise(50, 40, 40, 160, 5) // mid-range: brightness ≤ 1.2 does not clamp
	inGrey := augMeanGrey(src)

	t.Run("brightness", func(t *testing.T) {
		a := augOff(50, 40)
		a.Brightness = 0.2
		seen := map[bool]bool{}
		for seed := range uint64(20) {
			p := a.draw(50, 40, rand.New(rand.NewPCG(seed, 9)))
			if p.brightness < 0.8 || p.brightness > 1.2 || p.contrast != 1 || p.saturation != 1 {
				t.Fatalf("seed %d: drawn factors %v %v %v", seed, p.brightness, p.contrast, p.saturation)
			}
			seen[p.brightness > 1] = true
			out := a.Apply(src, 50, 40, rand.New(rand.NewPCG(seed, 9)))
			augEqual(t, out, p.apply(src, 50, 40)) // Apply is draw then apply
			if got, want := augMeanGrey(out), inGrey*p.brightness; math.Abs(got-want) > 0.5 {
				t.Fatalf("seed %d: mean grey %.3f, want %.3f (factor %.4f)", seed, got, want, p.brightness)
			}
		}
		if !seen[true] || !seen[false] {
			t.Errorf("brightness factors all on one side of 1 over 20 draws")
		}
	})

	t.Run("saturation zero is grey", func(t *testing.T) {
		p := augNone(src.Rect)
		p.saturation = 0
		out := p.apply(src, 50, 40)
		for i := 0; i < len(out.Pix); i += 4 {
			if out.Pix[i] != out.Pix[i+1] || out.Pix[i] != out.Pix[i+2] {
				t.Fatalf("pixel %d = %v, want R=G=B", i/4, out.Pix[i:i+4])
			}
			if want := augGrey(float64(src.Pix[i]), float64(src.Pix[i+1]), float64(src.Pix[i+2])); math.Abs(float64(out.Pix[i])-want) > 0.5 {
				t.Fatalf("pixel %d grey %d, want %.2f", i/4, out.Pix[i], want)
			}
		}
	})

	t.Run("contrast zero is the mean grey", func(t *testing.T) {
		p := augNone(src.Rect)
		p.contrast = 0
		out := p.apply(src, 50, 40)
		want := uint8(inGrey + 0.5)
		for i := 0; i < len(out.Pix); i += 4 {
			if out.Pix[i] != want || out.Pix[i+1] != want || out.Pix[i+2] != want {
				t.Fatalf("pixel %d = %v, want grey %d", i/4, out.Pix[i:i+4], want)
			}
		}
	})

	t.Run("contrast scales spread around the mean", func(t *testing.T) {
		p := augNone(src.Rect)
		p.contrast = 0.5
		out := p.apply(src, 50, 40)
		for i := 0; i < len(out.Pix); i += 4 {
			for c := range 3 {
				want := inGrey + 0.5*(float64(src.Pix[i+c])-inGrey)
				if math.Abs(float64(out.Pix[i+c])-want) > 0.5 {
					t.Fatalf("byte %d = %d, want %.2f", i+c, out.Pix[i+c], want)
				}
			}
		}
	})

	t.Run("clamped", func(t *testing.T) {
		bright := augNoise(20, 20, 200, 255, 6)
		p := augNone(bright.Rect)
		p.brightness, p.contrast, p.saturation = 1.5, 1.9, 1.9
		out := p.apply(bright, 20, 20) // would overflow without clamping
		n255 := 0
		for i := 0; i < len(out.Pix); i += 4 {
			if out.Pix[i] == 255 {
				n255++
			}
		}
		if n255 < 300 {
			t.Errorf("only %d of 400 red values at 255 after brightness 1.5 of values ≥ 200", n255)
		}
		augOpaque(t, out)
	})
}

func TestAugmentDrawCrop(t *testing.T) {
	a := DefaultAugment()
	for _, sz := range []image.Point{{448, 448}, {640, 360}, {300, 500}, {7, 3}} {
		area := float64(sz.X * sz.Y)
		for seed := range uint64(300) {
			r := a.drawCrop(sz.X, sz.Y, rand.New(rand.NewPCG(seed, 3)))
			if r.Empty() || !r.In(image.Rect(0, 0, sz.X, sz.Y)) {
				t.Fatalf("%v seed %d: crop %v not inside the source", sz, seed, r)
			}
			if sz.X < 100 {
				continue // rounding dominates on a tiny source
			}
			frac := float64(r.Dx()*r.Dy()) / area
			aspect := float64(r.Dx()) / float64(r.Dy())
			if frac < 0.6-0.01 || frac > 1+1e-9 || aspect < 0.75*0.98 || aspect > 4.0/3*1.02 {
				t.Fatalf("%v seed %d: crop %v: area fraction %.3f, aspect %.3f out of range", sz, seed, r, frac, aspect)
			}
		}
	}

	// Impossible draws fall back to the largest centred crop within Ratio.
	for _, tc := range []struct {
		a      Augment
		sw, sh int
		want   image.Rectangle
	}{
		{Augment{Scale: [2]float64{0.9, 1}, Ratio: [2]float64{10, 10}}, 100, 100, image.Rect(0, 45, 100, 55)},
		{Augment{Scale: [2]float64{0.9, 1}, Ratio: [2]float64{0.25, 0.25}}, 100, 100, image.Rect(37, 0, 62, 100)},
		{Augment{Scale: [2]float64{1, 1}, Ratio: [2]float64{1, 1}}, 120, 80, image.Rect(20, 0, 100, 80)},
		{Augment{Scale: [2]float64{1, 1}, Ratio: [2]float64{0.5, 2}}, 120, 80, image.Rect(0, 0, 120, 80)},
	} {
		got := tc.a.drawCrop(tc.sw, tc.sh, rand.New(rand.NewPCG(1, 2)))
		if got != tc.want {
			t.Errorf("Ratio %v on %d×%d: crop %v, want %v", tc.a.Ratio, tc.sw, tc.sh, got, tc.want)
		}
	}
}

func TestAugmentDeterminism(t *testing.T) {
	a := DefaultAugment()
	src := augNoise(96, 80, 0, 255, 8)
	for _, sz := range []image.Point{{64, 64}, {50, 30}, {1, 1}, {200, 120}} {
		x := a.Apply(src, sz.X, sz.Y, rand.New(rand.NewPCG(42, 1)))
		y := a.Apply(src, sz.X, sz.Y, rand.New(rand.NewPCG(42, 1)))
		if x.Rect != image.Rect(0, 0, sz.X, sz.Y) {
			t.Fatalf("output bounds %v, want %v", x.Rect, image.Rect(0, 0, sz.X, sz.Y))
		}
		augOpaque(t, x)
		if !bytes.Equal(x.Pix, y.Pix) {
			t.Fatalf("%v: same seed gave different images", sz)
		}
		if sz.X*sz.Y > 1 {
			z := a.Apply(src, sz.X, sz.Y, rand.New(rand.NewPCG(43, 1)))
			if bytes.Equal(x.Pix, z.Pix) {
				t.Fatalf("%v: seeds 42 and 43 gave identical images", sz)
			}
		}
	}
	// Translucent and tiny sources still give opaque output of the asked size.
	tr := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range tr.Pix {
		tr.Pix[i] = uint8(40 * i)
	}
	for _, src := range []image.Image{tr, augNoise(1, 1, 0, 255, 9), image.NewRGBA(image.Rectangle{})} {
		out := a.Apply(src, 13, 11, rand.New(rand.NewPCG(5, 5)))
		if out.Rect != image.Rect(0, 0, 13, 11) {
			t.Fatalf("src %v: output bounds %v", src.Bounds(), out.Rect)
		}
		augOpaque(t, out)
	}
	if out := a.Apply(src, 0, 5, rand.New(rand.NewPCG(5, 5))); !out.Rect.Empty() {
		t.Fatalf("0×5 output has bounds %v", out.Rect)
	}
}

func BenchmarkAugment(b *testing.B) {
	a := DefaultAugment()
	rgba := augNoise(448, 448, 0, 255, 10)
	ycc := image.NewYCbCr(rgba.Rect, image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i)
	}
	for _, bc := range []struct {
		name string
		src  image.Image
	}{{"rgba", rgba}, {"ycbcr", ycc}} {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				a.Apply(bc.src, 224, 224, rng)
			}
		})
	}
}
