package train

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
	"strings"
)

// Augment describes random changes made to a training photo before its
// features are extracted, in the manner of torchvision's RandomResizedCrop,
// RandomHorizontalFlip, RandomRotation and ColorJitter.
type Augment struct {
	Scale      [2]float64 // random resized crop: fraction of the source area, e.g. [0.6, 1]
	Ratio      [2]float64 // the crop's aspect ratio (w/h) range, e.g. [3/4, 4/3], sampled log-uniformly
	Flip       bool       // horizontal flip with probability 1/2
	Rotate     float64    // rotation up to ±Rotate degrees, uniform
	Brightness float64    // factor in [1-b, 1+b]
	Contrast   float64    // factor in [1-c, 1+c] around the mean grey level
	Saturation float64    // factor in [1-s, 1+s] around each pixel's grey level
}

// DefaultAugment returns the usual settings for transfer learning: Scale
// [0.6, 1], Ratio [3/4, 4/3], Flip, Rotate 15 and Brightness, Contrast and
// Saturation 0.2.
func DefaultAugment() Augment {
	return Augment{
		Scale:      [2]float64{0.6, 1},
		Ratio:      [2]float64{3.0 / 4, 4.0 / 3},
		Flip:       true,
		Rotate:     15,
		Brightness: 0.2,
		Contrast:   0.2,
		Saturation: 0.2,
	}
}

// Validate reports the out-of-range values of a in one line: Scale must lie
// within (0, 1] with Scale[0] <= Scale[1], Ratio must be positive and finite
// with Ratio[0] <= Ratio[1], Rotate must lie in [0, 180] and Brightness,
// Contrast and Saturation in [0, 1). It returns nil when all are in range.
func (a Augment) Validate() error {
	var bad []string
	if !(a.Scale[0] > 0 && a.Scale[0] <= 1 && a.Scale[1] > 0 && a.Scale[1] <= 1) {
		bad = append(bad, fmt.Sprintf("Scale %v not within (0, 1]", a.Scale))
	} else if a.Scale[0] > a.Scale[1] {
		bad = append(bad, fmt.Sprintf("Scale %v not ordered", a.Scale))
	}
	if !(a.Ratio[0] > 0 && a.Ratio[1] > 0 && !math.IsInf(a.Ratio[0], 1) && !math.IsInf(a.Ratio[1], 1)) {
		bad = append(bad, fmt.Sprintf("Ratio %v not positive and finite", a.Ratio))
	} else if a.Ratio[0] > a.Ratio[1] {
		bad = append(bad, fmt.Sprintf("Ratio %v not ordered", a.Ratio))
	}
	if !(a.Rotate >= 0 && a.Rotate <= 180) {
		bad = append(bad, fmt.Sprintf("Rotate %v not within [0, 180]", a.Rotate))
	}
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"Brightness", a.Brightness}, {"Contrast", a.Contrast}, {"Saturation", a.Saturation}} {
		if !(f.v >= 0 && f.v < 1) {
			bad = append(bad, fmt.Sprintf("%s %v not within [0, 1)", f.name, f.v))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("train: augment: %s", strings.Join(bad, "; "))
}

// Apply returns a new w×h opaque RGBA image made from src by one random draw
// of every change; src is never modified. w or h below one yields an empty
// image; an empty src yields an opaque black one.
//
// The crop (its area fraction and aspect drawn as torchvision's
// RandomResizedCrop does: 10 tries, then a centre crop as the fallback), the
// flip and the rotation (about the crop's centre, counter-clockwise for a
// positive angle) form one inverse affine map from output pixels to source
// pixels, which is sampled bilinearly; samples outside the source take the
// nearest edge pixel. Bilinear sampling does not filter, so callers should
// pass a src that is at most about twice the output size (shrinking large
// photos once beforehand); beyond that the result aliases. Colour jitter
// follows in a fixed order: brightness, contrast (around the image's mean
// grey level), saturation (around each pixel's grey level), each clamped to
// [0, 255]. The source is read as opaque: alpha is ignored and premultiplied
// colour values are used as they are.
//
// The draws come from rng in a fixed order (crop, flip, angle, brightness,
// contrast, saturation; a change that is off draws nothing), so a given seed
// gives the same image. Apply does not validate a; see Validate.
func (a Augment) Apply(src image.Image, w, h int, rng *rand.Rand) *image.RGBA {
	b := src.Bounds()
	p := a.draw(b.Dx(), b.Dy(), rng)
	return p.apply(src, w, h)
}

// augParams is one random draw of an Augment's changes.
type augParams struct {
	crop       image.Rectangle // in source pixels, relative to the source's Bounds().Min
	flip       bool
	angle      float64 // degrees, counter-clockwise
	brightness float64 // factors; 1 leaves the image as it is
	contrast   float64
	saturation float64
}

// draw samples the parameters of one augmentation of a sw×sh source.
func (a Augment) draw(sw, sh int, rng *rand.Rand) augParams {
	p := augParams{
		crop:       a.drawCrop(sw, sh, rng),
		brightness: 1,
		contrast:   1,
		saturation: 1,
	}
	if a.Flip {
		p.flip = rng.Float64() < 0.5
	}
	if a.Rotate != 0 {
		p.angle = a.Rotate * (2*rng.Float64() - 1)
	}
	if a.Brightness != 0 {
		p.brightness = 1 + a.Brightness*(2*rng.Float64()-1)
	}
	if a.Contrast != 0 {
		p.contrast = 1 + a.Contrast*(2*rng.Float64()-1)
	}
	if a.Saturation != 0 {
		p.saturation = 1 + a.Saturation*(2*rng.Float64()-1)
	}
	return p
}

// drawCrop follows torchvision's RandomResizedCrop.get_params.
func (a Augment) drawCrop(sw, sh int, rng *rand.Rand) image.Rectangle {
	if sw <= 0 || sh <= 0 {
		return image.Rectangle{}
	}
	area := float64(sw) * float64(sh)
	logLo, logHi := math.Log(a.Ratio[0]), math.Log(a.Ratio[1])
	for range 10 {
		target := area * (a.Scale[0] + (a.Scale[1]-a.Scale[0])*rng.Float64())
		aspect := math.Exp(logLo + (logHi-logLo)*rng.Float64())
		cw := int(math.Round(math.Sqrt(target * aspect)))
		ch := int(math.Round(math.Sqrt(target / aspect)))
		if 0 < cw && cw <= sw && 0 < ch && ch <= sh {
			y := rng.IntN(sh - ch + 1)
			x := rng.IntN(sw - cw + 1)
			return image.Rect(x, y, x+cw, y+ch)
		}
	}
	// Fallback: the largest centred crop whose aspect is within Ratio.
	cw, ch := sw, sh
	in := float64(sw) / float64(sh)
	lo, hi := min(a.Ratio[0], a.Ratio[1]), max(a.Ratio[0], a.Ratio[1])
	switch {
	case in < lo:
		ch = max(1, min(sh, int(math.Round(float64(cw)/lo))))
	case in > hi:
		cw = max(1, min(sw, int(math.Round(float64(ch)*hi))))
	}
	x, y := (sw-cw)/2, (sh-ch)/2
	return image.Rect(x, y, x+cw, y+ch)
}

// augSource returns src's pixels as RGBA bytes with their stride, the first
// pixel being src.Bounds().Min. An *image.RGBA is used in place (read only);
// anything else is converted once with draw.Draw, which has fast paths for
// *image.NRGBA and *image.YCbCr among others.
func augSource(src image.Image) (pix []uint8, stride int) {
	b := src.Bounds()
	if m, ok := src.(*image.RGBA); ok {
		return m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	}
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Rect, src, b.Min, draw.Src)
	return m.Pix, m.Stride
}

// apply makes the w×h output of src under the drawn parameters p.
func (p augParams) apply(src image.Image, w, h int) *image.RGBA {
	w, h = max(w, 0), max(h, 0)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return out
	}
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	if sw <= 0 || sh <= 0 || p.crop.Empty() {
		for i := 3; i < len(out.Pix); i += 4 {
			out.Pix[i] = 255
		}
		return out
	}
	pix, stride := augSource(src)

	// Output pixel centre (dx+0.5, dy+0.5), taken relative to the output's
	// centre, is un-rotated, un-flipped, scaled to crop pixels and moved to
	// the crop's centre; subtracting 0.5 turns the source position into
	// bilinear sample coordinates. All in one affine map:
	//	fx = ax*dx + bx*dy + cx,  fy = ay*dx + by*dy + cy.
	// With no rotation, no flip and an equal-size crop the map is the
	// identity exactly, so the output copies src bit for bit.
	sin, cos := math.Sincos(p.angle * math.Pi / 180)
	kx := float64(p.crop.Dx()) / float64(w)
	ky := float64(p.crop.Dy()) / float64(h)
	fs := 1.0
	if p.flip {
		fs = -1
	}
	ox, oy := 0.5-float64(w)/2, 0.5-float64(h)/2
	ax, bx := kx*fs*cos, -kx*fs*sin
	ay, by := ky*sin, ky*cos
	cx := float64(p.crop.Min.X) + float64(p.crop.Dx())/2 - 0.5 + kx*fs*(cos*ox-sin*oy)
	cy := float64(p.crop.Min.Y) + float64(p.crop.Dy())/2 - 0.5 + ky*(sin*ox+cos*oy)

	// The loop runs in fixed point: positions with 16 fraction bits (a row
	// of a few hundred steps drifts by well under 1/100 pixel), bilinear
	// weights with 8 and the brightness factor with 16. Whole-pixel
	// positions and a factor of 1 stay exact.
	fix := func(v float64) int64 { return int64(math.Round(v * (1 << 16))) }
	stepX, stepY := fix(ax), fix(ay)
	maxX, maxY := int64(sw-1)<<16, int64(sh-1)<<16
	bq := uint64(fix(max(p.brightness, 0)))
	var greySum uint64 // of 1000 × grey
	op := out.Pix
	for dy := range h {
		fx := fix(bx*float64(dy) + cx)
		fy := fix(by*float64(dy) + cy)
		row := op[dy*out.Stride : dy*out.Stride+4*w]
		for dx := 0; dx < len(row); dx += 4 {
			x, y := fx, fy
			fx += stepX
			fy += stepY
			if x < 0 {
				x = 0
			} else if x > maxX {
				x = maxX
			}
			if y < 0 {
				y = 0
			} else if y > maxY {
				y = maxY
			}
			x, y = (x+1<<7)>>8, (y+1<<7)>>8 // 8 fraction bits, rounded
			x0, y0 := int(x>>8), int(y>>8)
			wx, wy := uint32(x&255), uint32(y&255)
			i00 := y0*stride + 4*x0
			i01, i10 := i00, i00
			if x0 < sw-1 {
				i01 += 4
			}
			if y0 < sh-1 {
				i10 += stride
			}
			i11 := i10 + (i01 - i00)
			p00 := pix[i00 : i00+3 : i00+3]
			p01 := pix[i01 : i01+3 : i01+3]
			p10 := pix[i10 : i10+3 : i10+3]
			p11 := pix[i11 : i11+3 : i11+3]
			vx, vy := 256-wx, 256-wy
			r := (uint32(p00[0])*vx+uint32(p01[0])*wx)*vy + (uint32(p10[0])*vx+uint32(p11[0])*wx)*wy
			g := (uint32(p00[1])*vx+uint32(p01[1])*wx)*vy + (uint32(p10[1])*vx+uint32(p11[1])*wx)*wy
			b := (uint32(p00[2])*vx+uint32(p01[2])*wx)*vy + (uint32(p10[2])*vx+uint32(p11[2])*wx)*wy
			r8 := min((uint64(r)*bq+1<<31)>>32, 255)
			g8 := min((uint64(g)*bq+1<<31)>>32, 255)
			b8 := min((uint64(b)*bq+1<<31)>>32, 255)
			o := row[dx : dx+4 : dx+4]
			o[0], o[1], o[2], o[3] = uint8(r8), uint8(g8), uint8(b8), 255
			greySum += 299*r8 + 587*g8 + 114*b8
		}
	}

	cf, sf := p.contrast, p.saturation
	if cf == 1 && sf == 1 {
		return out
	}
	// Contrast maps each channel value on its own, so it is a table.
	mean := float64(greySum) / 1000 / float64(w*h)
	var lut [256]float64
	for v := range lut {
		lut[v] = augClamp(mean + cf*(float64(v)-mean))
	}
	for dy := range h {
		row := op[dy*out.Stride : dy*out.Stride+4*w]
		for i := 0; i < len(row); i += 4 {
			o := row[i : i+3 : i+3]
			r, g, b := lut[o[0]], lut[o[1]], lut[o[2]]
			if sf != 1 {
				y := augGrey(r, g, b)
				r = augClamp(y + sf*(r-y))
				g = augClamp(y + sf*(g-y))
				b = augClamp(y + sf*(b-y))
			}
			o[0], o[1], o[2] = augByte(r), augByte(g), augByte(b)
		}
	}
	return out
}

// augGrey is the ITU-R BT.601 luma of an RGB colour, as torchvision's
// rgb_to_grayscale computes it.
func augGrey(r, g, b float64) float64 { return 0.299*r + 0.587*g + 0.114*b }

// augClamp clamps v to [0, 255].
func augClamp(v float64) float64 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return v
}

// augByte rounds v, at least zero, to the nearest byte, clamping at 255.
func augByte(v float64) uint8 {
	if v >= 254.5 {
		return 255
	}
	return uint8(v + 0.5)
}
