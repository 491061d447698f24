package cpu

import (
	"fmt"
	"math"
	"sort"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepResize, "Resize", "Upsample")
}

// tap is one input index and its weight in an output coordinate.
type tap struct {
	at int
	w  float32
}

// resizeAxis is the resampling of one axis: for every output coordinate,
// its taps (taps[start[o]:start[o+1]]) or, under tf_crop_and_resize, that
// it lies outside the input (outside[o]).
type resizeAxis struct {
	axis, in, out int
	start         []int
	taps          []tap
	outside       []bool
}

// identity reports whether the axis maps every output coordinate to the
// same input coordinate with weight 1.
func (r *resizeAxis) identity() bool {
	if r.in != r.out {
		return false
	}
	for o := 0; o < r.out; o++ {
		t := r.taps[r.start[o]:r.start[o+1]]
		if r.outside[o] || len(t) != 1 || t[0].at != o || t[0].w != 1 {
			return false
		}
	}
	return true
}

// resizeParams is what a Resize or Upsample node asks for, read from its
// attributes and constant inputs.
type resizeParams struct {
	mode, coord, nearest string
	cubicA               float64
	exclude, antialias   bool
	extrapolation        float32
	scale                []float64 // per axis of the input
	out                  []int
	roi                  []float64 // start and end per axis (2·rank), nil for none
}

// prepResize implements Resize (opset 10, 11, 13, 18, 19) and Upsample
// (opset 7 and 9): nearest (all four nearest_mode values), (n-)linear and
// cubic interpolation, every coordinate_transformation_mode, antialiasing,
// axes and keep_aspect_ratio_policy, over any rank. Nearest resampling
// gathers directly; linear and cubic resample one axis at a time through
// scratch, each output coordinate's taps and weights fixed at compile time.
func prepResize(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rp, err := resizeAttrs(c, n, in)
	if err != nil {
		return nil, err
	}
	if x.DType != graph.Float32 && !(x.DType == graph.Int64 && rp.mode == "nearest") {
		return nil, fmt.Errorf("%s: %s input is supported for nearest resizing only", n.Label(), x.DType)
	}
	rank := len(x.Shape)
	out := copyShape(rp.out)
	if err := c.checkOut(n, 0, x.DType, out); err != nil {
		return nil, err
	}
	// The tables of taps, per output coordinate of every axis: checked
	// before they are built (a small scale with antialiasing widens the
	// taps to 2/scale per coordinate).
	var tables, work float64
	for a := 0; a < rank; a++ {
		per := 1.0
		if rp.mode != "nearest" {
			sc := 1.0
			if rp.antialias {
				sc = min(rp.scale[a], 1)
			}
			per = 4 / sc
			if rp.mode == "cubic" {
				per = 8 / sc
			}
		}
		tables += float64(rp.out[a]) * (48 + 16*per)
		work += per
	}
	if graph.NumElems(out) == 0 {
		tables = 0
	}
	if tables > float64(c.limit()) {
		return nil, c.checkTables(n, int64(min(tables, 1<<62)))
	}
	axes := make([]*resizeAxis, rank)
	for a := 0; a < rank; a++ {
		if axes[a], err = resizeTaps(n, rp, a, x.Shape[a]); err != nil {
			return nil, err
		}
	}
	var pr *prepared
	if rp.mode == "nearest" {
		pr = one(x.DType, out, resizeGather(x.Shape, axes, rp.extrapolation))
	} else {
		pr = resizeSeparable(x.Shape, axes, rp.extrapolation)
	}
	pr.flops = float64(graph.NumElems(out)) * max(work, 1)
	pr.held = int64(tables)
	return pr, nil
}

// resizeAttrs reads the mode, scales or sizes, roi and the options.
func resizeAttrs(c *ctx, n *graph.Node, in []*Value) (*resizeParams, error) {
	x := in[0]
	rank := len(x.Shape)
	rp := &resizeParams{
		mode:          n.String("mode", "nearest"),
		coord:         n.String("coordinate_transformation_mode", "half_pixel"),
		nearest:       n.String("nearest_mode", "round_prefer_floor"),
		cubicA:        float64(n.Float("cubic_coeff_a", -0.75)),
		exclude:       n.Int("exclude_outside", 0) != 0,
		antialias:     n.Int("antialias", 0) != 0,
		extrapolation: n.Float("extrapolation_value", 0),
	}
	legacy := n.Op == "Upsample" || c.opset < 11
	if legacy {
		// Upsample and Resize-10 map coordinates asymmetrically and, as
		// onnxruntime does, pick the nearest pixel by flooring when
		// enlarging and ceiling when shrinking.
		rp.coord, rp.nearest = "asymmetric", "simple"
	}
	switch rp.mode {
	case "nearest", "linear", "cubic":
	case "bilinear", "trilinear": // Upsample-1's names
		rp.mode = "linear"
	default:
		return nil, fmt.Errorf("%s: mode %q is not supported", n.Label(), rp.mode)
	}
	if rp.antialias && rp.mode == "nearest" {
		rp.antialias = false // antialias applies to linear and cubic only
	}
	// Inputs: Upsample-7 has scales as an attribute, Upsample-9 and
	// Resize-10 as input 1; Resize-11+ has roi, scales, sizes.
	var scales, sizes, roi []float32
	scalesAt, sizesAt, roiAt := 1, -1, -1
	if !legacy {
		scalesAt, sizesAt, roiAt = 2, 3, 1
	}
	if n.Op == "Upsample" && c.opset < 9 {
		scales = n.Floats("scales")
	} else if scalesAt < len(in) && in[scalesAt] != nil {
		t, err := needConst(n, in, scalesAt, "scales")
		if err != nil {
			return nil, err
		}
		scales = t.AsFloats()
	}
	if sizesAt > 0 && sizesAt < len(in) && in[sizesAt] != nil {
		t, err := needConst(n, in, sizesAt, "sizes")
		if err != nil {
			return nil, err
		}
		sizes = t.AsFloats()
	}
	if roiAt > 0 && roiAt < len(in) && in[roiAt] != nil && rp.coord == "tf_crop_and_resize" {
		t, err := needConst(n, in, roiAt, "roi")
		if err != nil {
			return nil, err
		}
		roi = t.AsFloats()
	}
	if len(scales) > 0 && len(sizes) > 0 {
		return nil, fmt.Errorf("%s: has both scales %v and sizes %v; only one may be given", n.Label(), scales, sizes)
	}
	// axes (opset 18) name the axes that scales, sizes and roi describe.
	axes := make([]int, 0, rank)
	if v := n.Ints("axes"); v != nil {
		seen := make([]bool, rank)
		for _, a := range v {
			ax, err := normAxis(n, a, rank)
			if err != nil {
				return nil, err
			}
			if seen[ax] {
				return nil, fmt.Errorf("%s: axis %d repeats in axes %v", n.Label(), ax, v)
			}
			seen[ax] = true
			axes = append(axes, ax)
		}
	} else {
		for a := 0; a < rank; a++ {
			axes = append(axes, a)
		}
	}
	rp.scale, rp.out = make([]float64, rank), copyShape(x.Shape)
	for a := range rp.scale {
		rp.scale[a] = 1
	}
	switch {
	case len(sizes) > 0:
		if len(sizes) != len(axes) {
			return nil, fmt.Errorf("%s: %d sizes for %d axes", n.Label(), len(sizes), len(axes))
		}
		for i, a := range axes {
			if !(sizes[i] >= 1) || x.Shape[a] < 1 {
				return nil, fmt.Errorf("%s: size %g for an axis of %d", n.Label(), sizes[i], x.Shape[a])
			}
			o, err := graph.CheckDimFloat("size", float64(sizes[i]), 1)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", n.Label(), err)
			}
			rp.out[a] = o
			rp.scale[a] = float64(rp.out[a]) / float64(x.Shape[a])
		}
		switch policy := n.String("keep_aspect_ratio_policy", "stretch"); policy {
		case "stretch":
		case "not_larger", "not_smaller":
			s := rp.scale[axes[0]]
			for _, a := range axes {
				if policy == "not_larger" {
					s = min(s, rp.scale[a])
				} else {
					s = max(s, rp.scale[a])
				}
			}
			for _, a := range axes {
				rp.scale[a] = s
				o, err := graph.CheckDimFloat("size", s*float64(x.Shape[a])+0.5, 0)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", n.Label(), err)
				}
				rp.out[a] = o
			}
		default:
			return nil, fmt.Errorf("%s: unknown keep_aspect_ratio_policy %q", n.Label(), policy)
		}
	case len(scales) > 0:
		if len(scales) != len(axes) {
			return nil, fmt.Errorf("%s: %d scales for %d axes", n.Label(), len(scales), len(axes))
		}
		for i, a := range axes {
			if !(scales[i] > 0) || math.IsInf(float64(scales[i]), 0) {
				return nil, fmt.Errorf("%s: scale %g must be positive", n.Label(), scales[i])
			}
			rp.scale[a] = float64(scales[i])
			o, err := graph.CheckDimFloat("output size", math.Floor(float64(x.Shape[a])*rp.scale[a]), 0)
			if err != nil {
				return nil, fmt.Errorf("%s: scale %g: %v", n.Label(), scales[i], err)
			}
			rp.out[a] = o
			if rp.out[a] < 1 && x.Shape[a] > 0 {
				return nil, fmt.Errorf("%s: scale %g leaves no element of an axis of %d", n.Label(), scales[i], x.Shape[a])
			}
		}
	default:
		return nil, fmt.Errorf("%s: needs scales or sizes", n.Label())
	}
	if rp.coord == "tf_crop_and_resize" {
		rp.roi = make([]float64, 2*rank)
		for a := 0; a < rank; a++ {
			rp.roi[a], rp.roi[rank+a] = 0, 1
		}
		if roi != nil {
			if len(roi) != 2*len(axes) {
				return nil, fmt.Errorf("%s: roi has %d values for %d axes", n.Label(), len(roi), len(axes))
			}
			for i, a := range axes {
				rp.roi[a], rp.roi[rank+a] = float64(roi[i]), float64(roi[len(axes)+i])
			}
		}
	}
	return rp, nil
}

// resizeTaps computes the taps of every output coordinate along axis a, as
// ONNX's reference does: the output coordinate maps to x in the input; the
// taps are the input pixels around x (clamped to the edge) with the mode's
// weights, stretched by 1/scale when antialiasing a reduction.
func resizeTaps(n *graph.Node, rp *resizeParams, a, inSz int) (*resizeAxis, error) {
	outSz, s := rp.out[a], rp.scale[a]
	r := &resizeAxis{axis: a, in: inSz, out: outSz, start: make([]int, outSz+1), outside: make([]bool, outSz)}
	// The resized length the coordinate maps use is in·scale, unrounded
	// (as in ONNX's reference), where the output has floor of it.
	outLen := float64(inSz) * s
	rank := len(rp.scale)
	var w []float64
	for o := 0; o < outSz; o++ {
		r.start[o] = len(r.taps)
		xo := float64(o)
		var xi float64
		switch rp.coord {
		case "half_pixel":
			xi = (xo+0.5)/s - 0.5
		case "half_pixel_symmetric":
			adj := float64(outSz) / outLen
			center := float64(inSz) / 2
			xi = center*(1-adj) + (xo+0.5)/s - 0.5
		case "pytorch_half_pixel":
			if outSz > 1 {
				xi = (xo+0.5)/s - 0.5
			}
		case "align_corners":
			if outLen != 1 {
				xi = xo * float64(inSz-1) / (outLen - 1)
			}
		case "asymmetric":
			xi = xo / s
		case "tf_half_pixel_for_nn":
			xi = (xo + 0.5) / s
		case "tf_crop_and_resize":
			start, end := rp.roi[a], rp.roi[a+rank]
			if outLen != 1 {
				xi = start*float64(inSz-1) + xo*(end-start)*float64(inSz-1)/(outLen-1)
			} else {
				xi = 0.5 * (start + end) * float64(inSz-1)
			}
			if xi < 0 || xi > float64(inSz-1) {
				r.outside[o] = true
				continue
			}
		default:
			return nil, fmt.Errorf("%s: coordinate_transformation_mode %q is not supported", n.Label(), rp.coord)
		}
		clampIdx := func(i int) int { return min(max(i, 0), inSz-1) }
		if rp.mode == "nearest" {
			var i float64
			switch rp.nearest {
			case "round_prefer_floor":
				if xi == math.Floor(xi)+0.5 {
					i = math.Floor(xi)
				} else {
					i = math.Round(xi)
				}
			case "round_prefer_ceil":
				i = math.Floor(xi + 0.5)
			case "floor":
				i = math.Floor(xi)
			case "ceil":
				i = math.Ceil(xi)
			case "simple":
				if s < 1 {
					i = math.Ceil(xi)
				} else {
					i = math.Floor(xi)
				}
			default:
				return nil, fmt.Errorf("%s: nearest_mode %q is not supported", n.Label(), rp.nearest)
			}
			r.taps = append(r.taps, tap{clampIdx(int(i)), 1})
			continue
		}
		// The taps sit at base+first, base+first+1, ...; ratio = x − base
		// lies in (0, 1] (an integer x counts as base x−1, ratio 1).
		base := math.Floor(xi)
		ratio := xi - base
		if ratio == 0 {
			base, ratio = base-1, 1
		}
		w = w[:0]
		var first int
		sc := 1.0
		if rp.antialias {
			sc = min(s, 1)
		}
		if rp.mode == "linear" {
			first = int(math.Floor(-1/sc)) + 1
			for i := first; i < 2-first; i++ {
				w = append(w, max(0, 1-math.Abs((float64(i)-ratio)*sc)))
			}
		} else {
			first = int(math.Floor(-2/sc)) + 1
			A := rp.cubicA
			for i := first; i < 2-first; i++ {
				d := math.Abs((float64(i) - ratio) * sc)
				var c float64
				switch {
				case d <= 1:
					c = ((A+2)*d-(A+3))*d*d + 1
				case d < 2:
					c = ((A*d-5*A)*d+8*A)*d - 4*A
				}
				w = append(w, c)
			}
		}
		ib := int(base)
		sum := 0.0
		for k := range w {
			if j := ib + first + k; rp.exclude && (j < 0 || j >= inSz) {
				w[k] = 0
			}
			sum += w[k]
		}
		norm := rp.antialias || rp.exclude
		for k, wk := range w {
			if wk == 0 {
				continue
			}
			if norm && sum != 0 {
				wk /= sum
			}
			j := clampIdx(ib + first + k)
			// Taps clamped onto one pixel become one tap.
			if t := r.taps[r.start[o]:]; len(t) > 0 && t[len(t)-1].at == j {
				r.taps[len(r.taps)-1].w += float32(wk)
				continue
			}
			r.taps = append(r.taps, tap{j, float32(wk)})
		}
	}
	r.start[outSz] = len(r.taps)
	return r, nil
}

// resizeGather is the nearest-neighbour kernel: every output element copies
// one input element (or the extrapolation value outside the crop).
func resizeGather(shape []int, axes []*resizeAxis, extrapolation float32) Kernel {
	rank := len(shape)
	ist := strides(shape)
	off := make([][]int, rank) // per axis and output coordinate: input offset, or -1
	outShape := make([]int, rank)
	for a, r := range axes {
		outShape[a] = r.out
		off[a] = make([]int, r.out)
		for o := 0; o < r.out; o++ {
			if r.outside[o] {
				off[a][o] = -1
			} else {
				off[a][o] = r.taps[r.start[o]].at * ist[a]
			}
		}
	}
	total := graph.NumElems(outShape)
	if rank == 0 {
		return func(in, o []*graph.Tensor, _ []float32) error {
			copyRange(o[0], 0, in[0], 0, 1)
			return nil
		}
	}
	inner := outShape[rank-1]
	lastOff := off[rank-1]
	return func(in, o []*graph.Tensor, _ []float32) error {
		if total == 0 {
			return nil
		}
		var cnt [16]int
		isInt := in[0].DType == graph.Int64
		for row := 0; row < total; row += inner {
			base, outside := 0, false
			for a := 0; a < rank-1; a++ {
				v := off[a][cnt[a]]
				outside = outside || v < 0
				base += v
			}
			for i, lo := range lastOff {
				if isInt {
					if outside || lo < 0 {
						o[0].I[row+i] = int64(extrapolation)
					} else {
						o[0].I[row+i] = in[0].I[base+lo]
					}
				} else if outside || lo < 0 {
					o[0].F[row+i] = extrapolation
				} else {
					o[0].F[row+i] = in[0].F[base+lo]
				}
			}
			for a := rank - 2; a >= 0; a-- {
				cnt[a]++
				if cnt[a] < outShape[a] {
					break
				}
				cnt[a] = 0
			}
		}
		return nil
	}
}

// resizeSeparable resamples one axis at a time, the axes that shrink most
// first, through two scratch buffers; the last pass writes the output.
// Extrapolated coordinates (tf_crop_and_resize) are filled in their pass
// and stay so, since every later pass's weights sum to 1.
func resizeSeparable(shape []int, axes []*resizeAxis, extrapolation float32) *prepared {
	rank := len(shape)
	outShape := make([]int, rank)
	var work []*resizeAxis
	for a, r := range axes {
		outShape[a] = r.out
		if !r.identity() {
			work = append(work, r)
		}
	}
	sort.SliceStable(work, func(i, j int) bool {
		return float64(work[i].out)*float64(work[j].in) < float64(work[j].out)*float64(work[i].in)
	})
	type pass struct {
		r                  *resizeAxis
		outer, inner, size int // size: elements the pass writes
	}
	passes := make([]pass, len(work))
	cur := copyShape(shape)
	biggest := 0
	for i, r := range work {
		outer, inner := graph.NumElems(cur[:r.axis]), graph.NumElems(cur[r.axis+1:])
		cur[r.axis] = r.out
		passes[i] = pass{r: r, outer: outer, inner: inner, size: graph.NumElems(cur)}
		if i < len(work)-1 {
			biggest = max(biggest, passes[i].size)
		}
	}
	bufs := min(len(work)-1, 2)
	total := graph.NumElems(outShape)
	pr := one(graph.Float32, outShape, func(in, o []*graph.Tensor, scratch []float32) error {
		if len(passes) == 0 {
			copy(o[0].F, in[0].F[:total])
			return nil
		}
		src := in[0].F
		for i, p := range passes {
			var dst []float32
			if i == len(passes)-1 {
				dst = o[0].F
			} else {
				b := i % 2
				dst = scratch[b*biggest : b*biggest+p.size]
			}
			resizePass(p.r, p.outer, p.inner, src, dst, extrapolation)
			src = dst
		}
		return nil
	})
	pr.scratch = max(bufs, 0) * biggest
	return pr
}

// resizePass resamples axis r of src, viewed as [outer, r.in, inner], into
// dst, viewed as [outer, r.out, inner].
func resizePass(r *resizeAxis, outer, inner int, src, dst []float32, extrapolation float32) {
	for b := 0; b < outer; b++ {
		s := src[b*r.in*inner : (b+1)*r.in*inner]
		d := dst[b*r.out*inner : (b+1)*r.out*inner]
		for o := 0; o < r.out; o++ {
			taps := r.taps[r.start[o]:r.start[o+1]]
			if inner == 1 {
				if r.outside[o] {
					d[o] = extrapolation
					continue
				}
				var acc float32
				for _, t := range taps {
					acc += t.w * s[t.at]
				}
				d[o] = acc
				continue
			}
			row := d[o*inner : (o+1)*inner]
			if r.outside[o] || len(taps) == 0 {
				for i := range row {
					row[i] = extrapolation
				}
				continue
			}
			t0 := taps[0]
			x0 := s[t0.at*inner : (t0.at+1)*inner]
			for i := range row {
				row[i] = t0.w * x0[i]
			}
			for _, t := range taps[1:] {
				xr := s[t.at*inner : (t.at+1)*inner]
				for i := range row {
					row[i] += t.w * xr[i]
				}
			}
		}
	}
}
