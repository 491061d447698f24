// Package synth generates small labelled image data sets, seeded and
// deterministic, for testing transfer learning (a frozen ImageNet backbone
// with a trained linear head) without shipping photos.
//
// Each image is a photo-like scene: a random background (a random colour, a
// smooth gradient, sometimes a soft blotchy texture), the class's object or
// objects at a random position, scale and rotation in a random colour that
// says nothing about the class, a few small irregular blobs as distractors,
// and per-pixel noise over everything. Edges are anti-aliased (2×2
// supersampling). The classes are visual categories — shapes (circle,
// square, triangle, ring, cross) and patterns (stripes, checker, dots) — so a
// linear probe on ImageNet features separates them well but not perfectly.
//
// The package is pure computation: no I/O, standard library only.
package synth

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// Example is one generated photo and its classes (one for single-label
// sets, one or more for multi-label ones).
type Example struct {
	Image   *image.RGBA
	Classes []int
}

// The classes, in the order Classes names them.
const (
	circle = iota
	square
	triangle
	stripes
	checker
	ring
	cross
	dots
	numClasses
)

var classNames = [numClasses]string{"circle", "square", "triangle", "stripes", "checker", "ring", "cross", "dots"}

// Classes names the single-label categories, in order. Single and Multi use
// the first k of them. The slice is a fresh copy.
func Classes() []string { return append([]string(nil), classNames[:]...) }

// pcgStream is the second PCG word: every generator here is
// rand.NewPCG(seed, pcgStream).
const pcgStream = 0x9e3779b97f4a7c15

// Single returns perClass examples of each of the first k classes
// (1 ≤ k ≤ len(Classes())), size×size pixels, deterministic for seed. The
// examples are interleaved by class: example i is of class i%k. It panics
// when k or size is out of range; perClass ≤ 0 gives none.
func Single(seed uint64, k, perClass, size int) []Example {
	checkArgs("Single", k, size)
	if perClass <= 0 {
		return nil
	}
	n := k * perClass
	seeds := imageSeeds(seed, n)
	out := make([]Example, n)
	for i := range out {
		c := i % k
		r := rand.New(rand.NewPCG(seeds[i], pcgStream))
		out[i] = Example{Image: render(r, size, []int{c}, false), Classes: []int{c}}
	}
	return out
}

// Multi returns n multi-label examples, size×size pixels, deterministic for
// seed: each image holds a random non-empty subset of the first k classes
// (each drawn independently with probability 0.4, redrawn when none is),
// one object per class, placed without much overlap. Classes lists them in
// ascending order. It panics when k or size is out of range; n ≤ 0 gives
// none.
func Multi(seed uint64, k, n, size int) []Example {
	checkArgs("Multi", k, size)
	if n <= 0 {
		return nil
	}
	seeds := imageSeeds(seed, n)
	out := make([]Example, n)
	for i := range out {
		r := rand.New(rand.NewPCG(seeds[i], pcgStream))
		var cls []int
		for len(cls) == 0 {
			for c := 0; c < k; c++ {
				if r.Float64() < 0.4 {
					cls = append(cls, c)
				}
			}
		}
		out[i] = Example{Image: render(r, size, cls, true), Classes: cls}
	}
	return out
}

func checkArgs(fn string, k, size int) {
	if k < 1 || k > numClasses {
		panic(fmt.Sprintf("synth.%s: k = %d, want 1..%d", fn, k, numClasses))
	}
	if size < 1 {
		panic(fmt.Sprintf("synth.%s: size = %d, want ≥ 1", fn, size))
	}
}

// imageSeeds draws one seed per image from the set's generator, so that
// each image has its own stream.
func imageSeeds(seed uint64, n int) []uint64 {
	r := rand.New(rand.NewPCG(seed, pcgStream))
	s := make([]uint64, n)
	for i := range s {
		s[i] = r.Uint64()
	}
	return s
}

// rgb is a colour in 0..255 per channel, unclamped while drawing.
type rgb struct{ r, g, b float64 }

func (c rgb) add(d rgb) rgb             { return rgb{c.r + d.r, c.g + d.g, c.b + d.b} }
func (c rgb) scale(s float64) rgb       { return rgb{c.r * s, c.g * s, c.b * s} }
func (c rgb) lerp(d rgb, t float64) rgb { return c.add(d.add(c.scale(-1)).scale(t)) }
func (c rgb) dist(d rgb) float64 {
	dr, dg, db := c.r-d.r, c.g-d.g, c.b-d.b
	return math.Sqrt(dr*dr + dg*dg + db*db)
}

// randColour draws a colour from random hue, saturation and value.
func randColour(r *rand.Rand) rgb {
	h := r.Float64() * 6
	s := r.Float64()
	v := 0.1 + 0.9*r.Float64()
	i := int(h)
	f := h - float64(i)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var c rgb
	switch i % 6 {
	case 0:
		c = rgb{v, t, p}
	case 1:
		c = rgb{q, v, p}
	case 2:
		c = rgb{p, v, t}
	case 3:
		c = rgb{p, q, v}
	case 4:
		c = rgb{t, p, v}
	default:
		c = rgb{v, p, q}
	}
	return c.scale(255)
}

// contrasting draws a colour at least minDist from every colour in avoid
// (giving up after a few tries: a faint object now and then is fine).
func contrasting(r *rand.Rand, minDist float64, avoid ...rgb) rgb {
	var c rgb
	for try := 0; try < 30; try++ {
		c = randColour(r)
		ok := true
		for _, a := range avoid {
			if c.dist(a) < minDist {
				ok = false
				break
			}
		}
		if ok {
			break
		}
	}
	return c
}

// canvas is a float image being drawn.
type canvas struct {
	size int
	pix  []rgb
}

func (cv *canvas) at(x, y int) rgb {
	x = min(max(x, 0), cv.size-1)
	y = min(max(y, 0), cv.size-1)
	return cv.pix[y*cv.size+x]
}

// background fills the canvas: a colour with a linear gradient towards a
// second one, and sometimes a soft value-noise texture.
func (cv *canvas) background(r *rand.Rand) {
	n := cv.size
	c0 := randColour(r)
	c1 := c0.lerp(randColour(r), 0.2+0.5*r.Float64())
	a := r.Float64() * 2 * math.Pi
	dx, dy := math.Cos(a), math.Sin(a)
	var tex func(x, y float64) float64
	var texAmp float64
	if r.Float64() < 0.4 {
		tex = valueNoise(r, 2+r.IntN(7))
		texAmp = 15 + 45*r.Float64()
	}
	for y := 0; y < n; y++ {
		v := (float64(y) + 0.5) / float64(n)
		for x := 0; x < n; x++ {
			u := (float64(x) + 0.5) / float64(n)
			t := 0.5 + (u-0.5)*dx + (v-0.5)*dy // 0..1 roughly
			c := c0.lerp(c1, t)
			if tex != nil {
				d := (tex(u, v) - 0.5) * 2 * texAmp
				c = c.add(rgb{d, d, d})
			}
			cv.pix[y*n+x] = c
		}
	}
}

// valueNoise returns smooth noise in 0..1 over the unit square, from random
// values on a (cells+1)² grid, interpolated with smoothstep.
func valueNoise(r *rand.Rand, cells int) func(x, y float64) float64 {
	m := cells + 1
	g := make([]float64, m*m)
	for i := range g {
		g[i] = r.Float64()
	}
	return func(x, y float64) float64 {
		fx, fy := x*float64(cells), y*float64(cells)
		ix, iy := min(int(fx), cells-1), min(int(fy), cells-1)
		tx, ty := fx-float64(ix), fy-float64(iy)
		tx, ty = tx*tx*(3-2*tx), ty*ty*(3-2*ty)
		a := g[iy*m+ix] + (g[iy*m+ix+1]-g[iy*m+ix])*tx
		b := g[(iy+1)*m+ix] + (g[(iy+1)*m+ix+1]-g[(iy+1)*m+ix])*tx
		return a + (b-a)*ty
	}
}

// shape is something drawn in a local frame: it says whether the local
// point (u, v), in units of the shape's radius, is covered and by which of
// its colours (0 or 1).
type shape interface {
	cover(u, v float64) (bool, int)
}

// object is a shape placed on the canvas.
type object struct {
	shape
	cx, cy, rad float64 // centre and radius in pixels; the shape lies within the radius
	cos, sin    float64 // rotation
	col         [2]rgb
	second      bool    // colour 1 is drawn; otherwise it is transparent
	lx, ly      float64 // shading: colour × (1 + lx·u + ly·v)
}

// draw paints o with 2×2 supersampling.
func (cv *canvas) draw(o *object) {
	n := cv.size
	x0 := max(int(math.Floor(o.cx-o.rad-1)), 0)
	x1 := min(int(math.Ceil(o.cx+o.rad+1)), n-1)
	y0 := max(int(math.Floor(o.cy-o.rad-1)), 0)
	y1 := min(int(math.Ceil(o.cy+o.rad+1)), n-1)
	inv := 1 / o.rad
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			var sum rgb
			cov := 0
			for s := 0; s < 4; s++ {
				px := float64(x) + 0.25 + 0.5*float64(s&1) - o.cx
				py := float64(y) + 0.25 + 0.5*float64(s>>1) - o.cy
				u := (o.cos*px + o.sin*py) * inv
				v := (-o.sin*px + o.cos*py) * inv
				if u*u+v*v > 1.0001 {
					continue
				}
				in, ci := o.cover(u, v)
				if !in || (ci == 1 && !o.second) {
					continue
				}
				sum = sum.add(o.col[ci].scale(1 + o.lx*u + o.ly*v))
				cov++
			}
			if cov == 0 {
				continue
			}
			p := &cv.pix[y*n+x]
			*p = p.scale(float64(4-cov) / 4).add(sum.scale(0.25))
		}
	}
}

// The shapes. Each lies within the unit disc.

type disc struct{ aspect float64 } // an ellipse, slightly squashed at most

func (s disc) cover(u, v float64) (bool, int) {
	v /= s.aspect
	return u*u+v*v <= 1, 0
}

type annulus struct{ inner2 float64 }

func (s annulus) cover(u, v float64) (bool, int) {
	d := u*u + v*v
	return d <= 1 && d >= s.inner2, 0
}

type rect struct{ hw, hh float64 } // half width and height

func (s rect) cover(u, v float64) (bool, int) {
	return math.Abs(u) <= s.hw && math.Abs(v) <= s.hh, 0
}

type tri struct{ p [3][2]float64 }

func (s tri) cover(u, v float64) (bool, int) {
	var pos, neg bool
	for i := 0; i < 3; i++ {
		a, b := s.p[i], s.p[(i+1)%3]
		e := (b[0]-a[0])*(v-a[1]) - (b[1]-a[1])*(u-a[0])
		pos = pos || e > 0
		neg = neg || e < 0
	}
	return !(pos && neg), 0
}

type plus struct{ arm, half float64 } // arm length and half width

func (s plus) cover(u, v float64) (bool, int) {
	au, av := math.Abs(u), math.Abs(v)
	return (au <= s.half && av <= s.arm) || (av <= s.half && au <= s.arm), 0
}

// region is where a pattern shows: the unit disc or an inscribed square.
type region bool

func (sq region) in(u, v float64) bool {
	if sq {
		return math.Abs(u) <= math.Sqrt2/2 && math.Abs(v) <= math.Sqrt2/2
	}
	return u*u+v*v <= 1
}

type stripePattern struct {
	region
	period, phase float64
}

func (s stripePattern) cover(u, v float64) (bool, int) {
	if !s.in(u, v) {
		return false, 0
	}
	return true, int(math.Floor(u/s.period+s.phase)) & 1
}

type checkerPattern struct {
	region
	period, pu, pv float64
}

func (s checkerPattern) cover(u, v float64) (bool, int) {
	if !s.in(u, v) {
		return false, 0
	}
	return true, (int(math.Floor(u/s.period+s.pu)) + int(math.Floor(v/s.period+s.pv))) & 1
}

type dotPattern struct {
	c  [][2]float64
	r2 float64
}

func (s dotPattern) cover(u, v float64) (bool, int) {
	for _, c := range s.c {
		du, dv := u-c[0], v-c[1]
		if du*du+dv*dv <= s.r2 {
			return true, 0
		}
	}
	return false, 0
}

// blob is an irregular distractor: a disc whose radius wobbles with angle.
type blob struct{ a2, a3, p2, p3 float64 }

func (s blob) cover(u, v float64) (bool, int) {
	t := math.Atan2(v, u)
	rr := 0.7 * (1 + s.a2*math.Sin(2*t+s.p2) + s.a3*math.Sin(3*t+s.p3))
	return u*u+v*v <= rr*rr, 0
}

// newShape draws the shape of class c.
func newShape(r *rand.Rand, c int) (shape, bool) {
	uni := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	switch c {
	case circle:
		return disc{uni(0.8, 1)}, false
	case square:
		return rect{math.Sqrt2 / 2, math.Sqrt2 / 2}, false
	case triangle:
		var t tri
		a := -math.Pi / 2
		for i := range t.p {
			b := a + float64(i)*2*math.Pi/3 + uni(-0.2, 0.2)
			t.p[i] = [2]float64{math.Cos(b), math.Sin(b)}
		}
		return t, false
	case stripes:
		return stripePattern{region(r.IntN(2) == 0), 1 / uni(2, 4), r.Float64()}, r.IntN(2) == 0
	case checker:
		return checkerPattern{region(r.IntN(2) == 0), 1 / uni(1.5, 3), r.Float64(), r.Float64()}, r.IntN(2) == 0
	case ring:
		in := uni(0.55, 0.8)
		return annulus{in * in}, false
	case cross:
		return plus{0.95, uni(0.15, 0.3)}, false
	case dots:
		// A jittered grid of dots, within the unit disc.
		m := 3 + r.IntN(3) // dots per side
		step := 1.6 / float64(m)
		dr := step * uni(0.2, 0.35)
		var p dotPattern
		p.r2 = dr * dr
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				u := -0.8 + step*(float64(i)+0.5) + uni(-0.15, 0.15)*step
				v := -0.8 + step*(float64(j)+0.5) + uni(-0.15, 0.15)*step
				if math.Hypot(u, v)+dr <= 1 && r.Float64() < 0.9 {
					p.c = append(p.c, [2]float64{u, v})
				}
			}
		}
		if len(p.c) < 3 {
			p.c = append(p.c, [2]float64{0, 0}, [2]float64{0.5 - dr, 0}, [2]float64{0, 0.5 - dr})
		}
		return p, false
	}
	panic("synth: bad class")
}

// place puts shape s on the canvas at (cx, cy) with radius rad, in a colour
// (or two) contrasting with the background there.
func place(r *rand.Rand, cv *canvas, s shape, second bool, cx, cy, rad float64, rotate bool) *object {
	o := &object{shape: s, cx: cx, cy: cy, rad: rad, cos: 1, second: second}
	if rotate {
		a := r.Float64() * 2 * math.Pi
		o.cos, o.sin = math.Cos(a), math.Sin(a)
	}
	bg := cv.at(int(cx), int(cy))
	o.col[0] = contrasting(r, 90, bg)
	o.col[1] = contrasting(r, 90, bg, o.col[0])
	shade := 0.25 * r.Float64()
	a := r.Float64() * 2 * math.Pi
	o.lx, o.ly = shade*math.Cos(a), shade*math.Sin(a)
	return o
}

// render draws one image holding one object per class in cls. multi
// shrinks the objects to fit several.
func render(r *rand.Rand, size int, cls []int, multi bool) *image.RGBA {
	n := float64(size)
	cv := &canvas{size: size, pix: make([]rgb, size*size)}
	cv.background(r)

	// Object sizes (diameters as fractions of the image) and positions.
	lo, hi := 0.25, 0.6
	if multi {
		hi = min(0.6, 0.65/math.Sqrt(float64(len(cls))))
		lo = hi * 0.6
	}
	rads := make([]float64, len(cls))
	for i := range rads {
		rads[i] = (lo + (hi-lo)*r.Float64()) * n / 2
	}
	centres := make([][2]float64, len(cls))
	for attempt := 0; ; attempt++ {
		ok := true
		for i := range cls {
			placed := false
			for try := 0; try < 100 && !placed; try++ {
				cx := rads[i] + r.Float64()*(n-2*rads[i])
				cy := rads[i] + r.Float64()*(n-2*rads[i])
				placed = true
				for j := 0; j < i; j++ {
					if math.Hypot(cx-centres[j][0], cy-centres[j][1]) < 0.9*(rads[i]+rads[j]) {
						placed = false
						break
					}
				}
				centres[i] = [2]float64{cx, cy}
			}
			ok = ok && placed
		}
		if ok || attempt == 20 {
			break
		}
		for i := range rads {
			rads[i] *= 0.9
		}
	}

	// Distractors: small blobs, mostly behind the objects.
	nd := 1 + r.IntN(4)
	var front []*object
	for i := 0; i < nd; i++ {
		rad := (0.03 + 0.06*r.Float64()) * n
		b := blob{0.1 + 0.2*r.Float64(), 0.1 * r.Float64(), r.Float64() * 6.3, r.Float64() * 6.3}
		o := place(r, cv, b, false, r.Float64()*n, r.Float64()*n, rad, true)
		if r.Float64() < 0.3 {
			front = append(front, o)
		} else {
			cv.draw(o)
		}
	}
	for i, c := range cls {
		s, second := newShape(r, c)
		cv.draw(place(r, cv, s, second, centres[i][0], centres[i][1], rads[i], c != ring))
	}
	for _, o := range front {
		cv.draw(o)
	}

	// Noise over everything, then quantise.
	sigma := 2 + 10*r.Float64()
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for i, p := range cv.pix {
		q := img.Pix[4*i : 4*i+4 : 4*i+4]
		q[0] = quant(p.r + sigma*r.NormFloat64())
		q[1] = quant(p.g + sigma*r.NormFloat64())
		q[2] = quant(p.b + sigma*r.NormFloat64())
		q[3] = 255
	}
	return img
}

func quant(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}
