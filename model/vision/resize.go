package vision

// A port of golang.org/x/image/draw's Kernel.Scale and NearestNeighbor.Scale
// (v0.48.0, draw/scale.go and the generated draw/impl.go) for the one way
// Preprocess uses them: op Src, no masks, a destination *image.RGBA of
// exactly the model input size, a source rectangle inside the source bounds.
// The results are bit for bit those of x/image/draw (tests compare the two),
// but
//
//   - the per-axis weights (distrib) are cached by (kernel, sizes), and the
//     float64 buffers are reused across calls, so a steady stream of images
//     of one size allocates nothing;
//   - the horizontal pass is done lazily, row by row, into a ring of only as
//     many rows as one output row needs (x/image allocates and fills a
//     dw x sh [4]float64 temporary per call);
//   - each source row is converted once to premultiplied 16-bit values
//     instead of once per filter tap;
//   - the filter loops are unrolled for the common numbers of taps (loops
//     are particularly costly in Go's WebAssembly port);
//   - alpha is not filtered where x/image's result does not depend on it
//     (see resize);
//   - the 8-bit results go into the tensor row by row (no intermediate
//     *image.RGBA).
//
// Float expressions keep x/image's explicit float64 conversions, which stop
// the compiler from fusing a multiply and an add (FMA) on platforms that
// have one: a fused result would round differently. Every sum starts from
// +0 and adds its terms in x/image's order.

import (
	"encoding/binary"
	"image"
	"math"
	"sync"

	"golang.org/x/image/draw"
)

// pixels reads a source image the way x/image/draw's type-specialised
// scalers do, as premultiplied 16-bit RGBA.
type pixels struct {
	kind   pixKind
	rect   image.Rectangle
	pix    []uint8 // RGBA, NRGBA, Gray: Pix; YCbCr: Y
	stride int     // Stride or YStride
	// YCbCr only.
	cb, cr  []uint8
	cstride int
	ratio   image.YCbCrSubsampleRatio
	// Any other image.RGBA64Image.
	other image.RGBA64Image
}

type pixKind uint8

const (
	pixRGBA pixKind = iota
	pixNRGBA
	pixGray
	pixYCbCr // subsample ratios 4:4:4, 4:2:2, 4:2:0, 4:4:0
	pixOther // image.RGBA64Image, read with RGBA64At
)

// pixelsOf returns how to read img, and false for images x/image/draw does not
// read through one of the paths ported here.
func pixelsOf(img image.Image) (pixels, bool) {
	switch m := img.(type) {
	case *image.RGBA:
		return pixels{kind: pixRGBA, rect: m.Rect, pix: m.Pix, stride: m.Stride}, true
	case *image.NRGBA:
		return pixels{kind: pixNRGBA, rect: m.Rect, pix: m.Pix, stride: m.Stride}, true
	case *image.Gray:
		return pixels{kind: pixGray, rect: m.Rect, pix: m.Pix, stride: m.Stride}, true
	case *image.YCbCr:
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
			image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440:
			return pixels{kind: pixYCbCr, rect: m.Rect, pix: m.Y, stride: m.YStride,
				cb: m.Cb, cr: m.Cr, cstride: m.CStride, ratio: m.SubsampleRatio}, true
		}
		// x/image reads other ratios through At, which for YCbCr gives
		// the same values as RGBA64At (and an alpha that is not the
		// constant 1 of its YCbCr fast paths).
		return pixels{kind: pixOther, rect: m.Rect, other: m}, true
	case *image.Uniform:
		// x/image/draw short-cuts a uniform source to image/draw.
		return pixels{}, false
	case image.RGBA64Image:
		return pixels{kind: pixOther, rect: m.Bounds(), other: m}, true
	}
	return pixels{}, false
}

// alphaOne reports whether x/image's horizontal pass sets alpha to the
// constant 1 instead of filtering it (its Gray and YCbCr paths).
func (p *pixels) alphaOne() bool { return p.kind == pixGray || p.kind == pixYCbCr }

// opaqueIn reports whether the RGBA or NRGBA pixels of r all have alpha 0xff.
func (p *pixels) opaqueIn(r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i := (y-p.rect.Min.Y)*p.stride + (r.Min.X-p.rect.Min.X)*4
		if !opaqueRGBA(p.pix[i : i+4*r.Dx()]) {
			return false
		}
	}
	return true
}

// opaqueRGBA reports whether every alpha byte of the RGBA or NRGBA pixels
// in row is 0xff.
func opaqueRGBA(row []uint8) bool {
	const m = 0xff000000_ff000000
	for len(row) >= 8 {
		if binary.LittleEndian.Uint64(row)&m != m {
			return false
		}
		row = row[8:]
	}
	return len(row) < 4 || row[3] == 0xff
}

// u16f[v] is the 16-bit value of the 8-bit value v (v * 0x101), as float64.
var u16f = func() (t [256]float64) {
	for v := range t {
		t[v] = float64(uint32(v) * 0x101)
	}
	return t
}()

// row3 writes the premultiplied 16-bit R, G, B of the pixels (xs[i], y)
// to out[i], as x/image/draw's scalers read them.
func (p *pixels) row3(out [][3]float64, y int, xs []int) {
	out = out[:len(xs)]
	switch p.kind {
	case pixRGBA:
		base := (y-p.rect.Min.Y)*p.stride - p.rect.Min.X*4
		for i, x := range xs {
			s := p.pix[base+x*4 : base+x*4+3 : base+x*4+3]
			o := &out[i]
			o[0], o[1], o[2] = u16f[s[0]], u16f[s[1]], u16f[s[2]]
		}
	case pixNRGBA:
		base := (y-p.rect.Min.Y)*p.stride - p.rect.Min.X*4
		for i, x := range xs {
			s := p.pix[base+x*4 : base+x*4+4 : base+x*4+4]
			pa := uint32(s[3]) * 0x101
			o := &out[i]
			o[0] = float64(uint32(s[0]) * pa / 0xff)
			o[1] = float64(uint32(s[1]) * pa / 0xff)
			o[2] = float64(uint32(s[2]) * pa / 0xff)
		}
	case pixGray:
		base := (y-p.rect.Min.Y)*p.stride - p.rect.Min.X
		for i, x := range xs {
			v := u16f[p.pix[base+x]]
			o := &out[i]
			o[0], o[1], o[2] = v, v, v
		}
	case pixYCbCr:
		ybase := (y-p.rect.Min.Y)*p.stride - p.rect.Min.X
		var cbase int
		switch p.ratio {
		case image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440:
			cbase = (y/2 - p.rect.Min.Y/2) * p.cstride
		default:
			cbase = (y - p.rect.Min.Y) * p.cstride
		}
		// image/color's YCbCr.RGBA, as inlined by x/image/draw (and here).
		if p.ratio == image.YCbCrSubsampleRatio422 || p.ratio == image.YCbCrSubsampleRatio420 {
			cbase -= p.rect.Min.X / 2
			for i, x := range xs {
				j := cbase + x/2
				yy := int(p.pix[ybase+x]) * 0x10101
				cb, cr := int(p.cb[j])-128, int(p.cr[j])-128
				o := &out[i]
				o[0] = float64(min(max((yy+91881*cr)>>8, 0), 0xffff))
				o[1] = float64(min(max((yy-22554*cb-46802*cr)>>8, 0), 0xffff))
				o[2] = float64(min(max((yy+116130*cb)>>8, 0), 0xffff))
			}
			return
		}
		cbase -= p.rect.Min.X
		for i, x := range xs {
			j := cbase + x
			yy := int(p.pix[ybase+x]) * 0x10101
			cb, cr := int(p.cb[j])-128, int(p.cr[j])-128
			o := &out[i]
			o[0] = float64(min(max((yy+91881*cr)>>8, 0), 0xffff))
			o[1] = float64(min(max((yy-22554*cb-46802*cr)>>8, 0), 0xffff))
			o[2] = float64(min(max((yy+116130*cb)>>8, 0), 0xffff))
		}
	default:
		for i, x := range xs {
			c := p.other.RGBA64At(x, y)
			o := &out[i]
			o[0], o[1], o[2] = float64(c.R), float64(c.G), float64(c.B)
		}
	}
}

// row4 is row3 with alpha, for RGBA, NRGBA and other images.
func (p *pixels) row4(out [][4]float64, y int, xs []int) {
	out = out[:len(xs)]
	switch p.kind {
	case pixRGBA:
		base := (y-p.rect.Min.Y)*p.stride - p.rect.Min.X*4
		for i, x := range xs {
			s := p.pix[base+x*4 : base+x*4+4 : base+x*4+4]
			o := &out[i]
			o[0], o[1], o[2], o[3] = u16f[s[0]], u16f[s[1]], u16f[s[2]], u16f[s[3]]
		}
	case pixNRGBA:
		base := (y-p.rect.Min.Y)*p.stride - p.rect.Min.X*4
		for i, x := range xs {
			s := p.pix[base+x*4 : base+x*4+4 : base+x*4+4]
			pa := uint32(s[3]) * 0x101
			o := &out[i]
			o[0] = float64(uint32(s[0]) * pa / 0xff)
			o[1] = float64(uint32(s[1]) * pa / 0xff)
			o[2] = float64(uint32(s[2]) * pa / 0xff)
			o[3] = float64(pa)
		}
	case pixOther:
		for i, x := range xs {
			c := p.other.RGBA64At(x, y)
			o := &out[i]
			o[0], o[1], o[2], o[3] = float64(c.R), float64(c.G), float64(c.B), float64(c.A)
		}
	default:
		panic("vision: row4 of an image without alpha")
	}
}

// source and contrib are x/image/draw's: the range of contribs of one
// destination column or row, with its inverse total weight (also divided by
// 0xffff); a source column or row and its weight.
type source struct {
	i, j               int32
	invTotalWeight     float64
	invTotalWeightFFFF float64
}

type contrib struct {
	coord  int32
	weight float64
}

// distrib is x/image/draw's distrib plus values derived from it.
type distrib struct {
	sources  []source
	contribs []contrib

	// taps is the number of contribs of each destination column or row
	// in tapCoord and tapWeight: the most any has, padded with zero
	// weights (which change no sum: every term and partial sum of the
	// horizontal pass is finite, and a sum that starts from +0 is never
	// -0). It is at least 2, and even when over 4.
	taps      int
	tapCoord  []int32
	tapWeight []float64

	// span is the most source columns or rows (first to last
	// contributing) that one destination column or row spans.
	span int
	// nonNegative is whether no weight is negative.
	nonNegative bool
	// weightSum[x] is the sum of the weights of sources[x], added in order
	// (the alpha x/image's vertical pass gets from rows of alpha 1).
	weightSum []float64
}

// newDistrib is x/image/draw's newDistrib, plus the derived values.
func newDistrib(q *draw.Kernel, dw, sw int32) *distrib {
	scale := float64(sw) / float64(dw)
	halfWidth, kernelArgScale := q.Support, 1.0
	// When shrinking, broaden the effective kernel support so that we still
	// visit every source pixel.
	if scale > 1 {
		halfWidth *= scale
		kernelArgScale = 1 / scale
	}

	n, sources := int32(0), make([]source, dw)
	for x := range sources {
		center := float64((float64(x)+0.5)*scale) - 0.5
		i := int32(math.Floor(center - halfWidth))
		if i < 0 {
			i = 0
		}
		j := int32(math.Ceil(center + halfWidth))
		if j > sw {
			j = sw
			if j < i {
				j = i
			}
		}
		sources[x] = source{i: i, j: j, invTotalWeight: center}
		n += j - i
	}

	contribs := make([]contrib, 0, n)
	d := &distrib{weightSum: make([]float64, dw), nonNegative: true}
	for k, b := range sources {
		totalWeight := 0.0
		l := int32(len(contribs))
		for coord := b.i; coord < b.j; coord++ {
			t := abs((b.invTotalWeight - float64(coord)) * kernelArgScale)
			if t >= q.Support {
				continue
			}
			weight := q.At(t)
			if weight == 0 {
				continue
			}
			totalWeight += weight
			contribs = append(contribs, contrib{coord, weight})
		}
		d.weightSum[k] = totalWeight
		totalWeight = 1 / totalWeight
		sources[k] = source{
			i:                  l,
			j:                  int32(len(contribs)),
			invTotalWeight:     totalWeight,
			invTotalWeightFFFF: totalWeight / 0xffff,
		}
	}
	d.sources, d.contribs = sources, contribs

	for _, s := range sources {
		c := contribs[s.i:s.j]
		if len(c) > 0 {
			d.span = max(d.span, int(c[len(c)-1].coord-c[0].coord)+1)
		}
		d.taps = max(d.taps, len(c))
		for _, ci := range c {
			if !(ci.weight >= 0) {
				d.nonNegative = false
			}
		}
	}
	d.span = max(d.span, 1)
	d.taps = max(d.taps, 2)
	if d.taps > 4 {
		d.taps += d.taps % 2
	}
	d.tapCoord = make([]int32, len(sources)*d.taps)
	d.tapWeight = make([]float64, len(sources)*d.taps)
	for x, s := range sources {
		c := contribs[s.i:s.j]
		for k := 0; k < d.taps; k++ {
			switch {
			case k < len(c):
				d.tapCoord[x*d.taps+k], d.tapWeight[x*d.taps+k] = c[k].coord, c[k].weight
			case len(c) > 0:
				d.tapCoord[x*d.taps+k] = c[len(c)-1].coord // weight 0
			}
		}
	}
	return d
}

// abs is x/image/draw's: like math.Abs, but it doesn't care about negative
// zero, infinities or NaNs.
func abs(f float64) float64 {
	if f < 0 {
		f = -f
	}
	return f
}

// ftou8 is x/image/draw's ftou (which converts the range [0.0, 1.0] to
// [0, 0xffff]) followed by the >> 8 of its scaleY_RGBA_Src.
func ftou8(f float64) uint8 {
	i := int32(float64(0xffff*f) + 0.5)
	if uint32(i) <= 0xffff {
		return uint8(i >> 8)
	}
	if i < 0 {
		return 0
	}
	return 0xff
}

// clamp is x/image/draw's clamp of colour c to alpha a.
func clamp(c, a float64) float64 {
	if c > a {
		c = a
	}
	return c
}

type distribKey struct {
	k      *draw.Kernel
	dw, sw int32
}

// distribs caches the most recently used distribs. They are immutable once
// made, so callers share them.
var distribs struct {
	sync.Mutex
	keys [8]distribKey
	vals [8]*distrib // most recently used first; nil: unused
}

func getDistrib(k *draw.Kernel, dw, sw int) *distrib {
	key := distribKey{k, int32(dw), int32(sw)}
	c := &distribs
	c.Lock()
	for i, v := range c.vals {
		if v == nil {
			break
		}
		if c.keys[i] == key {
			copy(c.keys[1:i+1], c.keys[:i])
			copy(c.vals[1:i+1], c.vals[:i])
			c.keys[0], c.vals[0] = key, v
			c.Unlock()
			return v
		}
	}
	c.Unlock()
	d := newDistrib(k, key.dw, key.sw)
	c.Lock()
	copy(c.keys[1:], c.keys[:])
	copy(c.vals[1:], c.vals[:])
	c.keys[0], c.vals[0] = key, d
	c.Unlock()
	return d
}

// scratch holds the buffers of one resize; they grow as needed and are
// reused.
type scratch struct {
	xs   []int        // source columns to read
	src3 [][3]float64 // one converted source row
	src4 [][4]float64 // one converted source row, with alpha
	ring []float64    // horizontally filtered rows
	tags []int        // source row held by each ring slot, -1: none
	acc  []float64    // one vertically filtered row
	out  []uint8      // one 8-bit RGBA output row
}

var scratches struct {
	sync.Mutex
	free []*scratch
}

func getScratch() *scratch {
	s := &scratches
	s.Lock()
	defer s.Unlock()
	if n := len(s.free); n > 0 {
		sc := s.free[n-1]
		s.free = s.free[:n-1]
		return sc
	}
	return new(scratch)
}

func putScratch(sc *scratch) {
	s := &scratches
	s.Lock()
	s.free = append(s.free, sc)
	s.Unlock()
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// resize scales the sr part of p to t.w x t.h with sc, exactly like sc.Scale
// into an *image.RGBA with op Src, and writes the normalised result to dst.
// It returns false, doing nothing, for a Scaler it does not know.
func (t *tensor) resize(p *pixels, sr image.Rectangle, sc draw.Scaler, dst []float32) bool {
	switch sc {
	case draw.NearestNeighbor:
		t.resizeNearest(p, sr, dst)
		return true
	}
	k, ok := sc.(*draw.Kernel)
	if !ok {
		return false
	}
	sw, sh, dw, dh := sr.Dx(), sr.Dy(), t.w, t.h
	hd := getDistrib(k, dw, sw)
	vd := hd
	if dh != dw || sh != sw {
		vd = getDistrib(k, dh, sh)
	}

	// Filter cs values per pixel: R, G, B and, where the result depends
	// on it, A.
	//
	// Gray and YCbCr rows have alpha 1 after x/image's horizontal pass,
	// so its vertical pass gives every pixel of output row y the alpha
	// vd.weightSum[y], to which colour is clamped.
	//
	// For opaque RGBA and NRGBA pixels, alpha is 0xffff and colour
	// v*0x101 <= 0xffff. With weights >= 0, each colour product and sum
	// is then <= alpha's (rounding is monotonic), so the clamp of colour
	// to alpha never applies.
	cs, opaque := 4, false
	switch {
	case p.alphaOne():
		cs = 3
	case (p.kind == pixRGBA || p.kind == pixNRGBA) && hd.nonNegative && vd.nonNegative && p.opaqueIn(sr):
		cs, opaque = 3, true
	}
	q := *p
	if opaque {
		q.kind = pixRGBA // same values as NRGBA when opaque, and faster
	}

	s := getScratch()
	defer putScratch(s)
	s.xs = grow(s.xs, sw)
	for i := range s.xs {
		s.xs[i] = sr.Min.X + i
	}
	if cs == 3 {
		s.src3 = grow(s.src3, sw)
	} else {
		s.src4 = grow(s.src4, sw)
	}
	rowLen := cs * dw
	s.ring = grow(s.ring, vd.span*rowLen)
	s.tags = grow(s.tags, vd.span)
	for i := range s.tags {
		s.tags[i] = -1
	}
	s.acc = grow(s.acc, rowLen)
	s.out = grow(s.out, 4*dw)

	var rows [4][]float64
	var weights [4]float64
	for dy := 0; dy < dh; dy++ {
		vs := vd.sources[dy]
		acc := s.acc[:rowLen]
		// x/image's scaleY_RGBA_Src for row dy, up to 4 taps at a time.
		taps := vd.contribs[vs.i:vs.j]
		clear(acc)
		for len(taps) > 0 {
			m := min(len(taps), len(rows))
			for n, c := range taps[:m] {
				slot := int(c.coord) % vd.span
				row := s.ring[slot*rowLen : (slot+1)*rowLen]
				if s.tags[slot] != int(c.coord) {
					if cs == 3 {
						q.row3(s.src3, sr.Min.Y+int(c.coord), s.xs)
						scaleX3(row, s.src3, hd)
					} else {
						q.row4(s.src4, sr.Min.Y+int(c.coord), s.xs)
						scaleX4(row, s.src4, hd)
					}
					s.tags[slot] = int(c.coord)
				}
				rows[n], weights[n] = row, c.weight
			}
			scaleY(acc, rows[:m], weights[:m])
			taps = taps[m:]
		}
		pa := math.Inf(1) // no clamp; with cs 4 round takes alpha from acc
		if cs == 3 && !opaque {
			pa = vd.weightSum[dy]
		}
		round(s.out, acc, cs, vs.invTotalWeight, pa)
		t.fillRow(dst, dy, s.out)
	}
	return true
}

// resizeNearest is x/image/draw's NearestNeighbor.Scale (scale_RGBA_*_Src).
// When the sizes are equal NearestNeighbor.Scale copies with image/draw
// instead, which gives the same pixels.
func (t *tensor) resizeNearest(p *pixels, sr image.Rectangle, dst []float32) {
	dw, dh := t.w, t.h
	dw2, dh2 := uint64(dw)*2, uint64(dh)*2
	sw, sh := uint64(sr.Dx()), uint64(sr.Dy())

	s := getScratch()
	defer putScratch(s)
	s.xs = grow(s.xs, dw)
	for dx := range s.xs {
		s.xs[dx] = sr.Min.X + int((2*uint64(dx)+1)*sw/dw2)
	}
	s.src3 = grow(s.src3, dw)
	s.out = grow(s.out, 4*dw)
	for dy := 0; dy < dh; dy++ {
		sy := (2*uint64(dy) + 1) * sh / dh2
		p.row3(s.src3, sr.Min.Y+int(sy), s.xs)
		for x, v := range s.src3[:dw] {
			o := s.out[4*x : 4*x+3 : 4*x+3]
			o[0] = uint8(uint32(v[0]) >> 8)
			o[1] = uint8(uint32(v[1]) >> 8)
			o[2] = uint8(uint32(v[2]) >> 8)
		}
		t.fillRow(dst, dy, s.out)
	}
}
