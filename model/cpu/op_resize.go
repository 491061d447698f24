package cpu

import (
	"fmt"
	"math"

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

// prepResize implements Resize (opset 10+) and Upsample (opset 7-9) with
// nearest, (n-)linear and cubic interpolation. Every axis is resampled
// separately: each output coordinate gets its input taps and weights at
// compile time, and the kernel sums their products.
func prepResize(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs a float input", n.Label())
	}
	rank := len(x.Shape)
	mode := n.String("mode", "nearest")
	coord := n.String("coordinate_transformation_mode", "half_pixel")
	nearest := n.String("nearest_mode", "round_prefer_floor")
	if n.Op == "Upsample" || c.opset < 11 {
		// Upsample and Resize-10 map coordinates asymmetrically and pick
		// the nearest pixel by flooring when enlarging, ceiling when shrinking.
		coord, nearest = "asymmetric", "simple"
	}
	if n.Int("antialias", 0) != 0 {
		return nil, fmt.Errorf("%s: antialias is not supported", n.Label())
	}
	if n.Has("axes") {
		return nil, fmt.Errorf("%s: the axes attribute is not supported", n.Label())
	}
	if p := n.String("keep_aspect_ratio_policy", "stretch"); p != "stretch" {
		return nil, fmt.Errorf("%s: keep_aspect_ratio_policy %q is not supported", n.Label(), p)
	}
	// Inputs: Upsample-7 has scales as an attribute, Upsample-9 and
	// Resize-10 as input 1; Resize-11+ has roi, scales, sizes.
	var scales []float32
	var sizes, roiIn []float32
	scalesAt, sizesAt, roiAt := 1, -1, -1
	if n.Op == "Resize" && c.opset >= 11 {
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
	if roiAt > 0 && roiAt < len(in) && in[roiAt] != nil && coord == "tf_crop_and_resize" {
		t, err := needConst(n, in, roiAt, "roi")
		if err != nil {
			return nil, err
		}
		roiIn = t.AsFloats()
		if len(roiIn) != 2*rank {
			return nil, fmt.Errorf("%s: roi has %d values for rank %d", n.Label(), len(roiIn), rank)
		}
	}
	if len(sizes) > 0 {
		scales = nil
	}
	out := make([]int, rank)
	scale := make([]float64, rank)
	switch {
	case len(sizes) == rank:
		for i := range out {
			out[i] = int(sizes[i])
			scale[i] = float64(out[i]) / float64(x.Shape[i])
		}
	case len(scales) == rank:
		for i := range out {
			scale[i] = float64(scales[i])
			if scale[i] <= 0 {
				return nil, fmt.Errorf("%s: scale %g must be positive", n.Label(), scales[i])
			}
			out[i] = int(math.Floor(float64(x.Shape[i]) * scale[i]))
		}
	default:
		return nil, fmt.Errorf("%s: needs %d scales or sizes, has scales %v and sizes %v", n.Label(), rank, scales, sizes)
	}

	cubicA := float64(n.Float("cubic_coeff_a", -0.75))
	exclude := n.Int("exclude_outside", 0) == 1
	extrapolation := n.Float("extrapolation_value", 0)
	taps := make([][][]tap, rank) // per axis, per output coordinate
	outside := make([][]bool, rank)
	for ax := 0; ax < rank; ax++ {
		inSz, outSz, s := x.Shape[ax], out[ax], scale[ax]
		// The resized length the coordinate maps use is in·scale, unrounded
		// (as in ONNX's reference), where the output has floor of it.
		outLen := float64(inSz) * s
		taps[ax] = make([][]tap, outSz)
		outside[ax] = make([]bool, outSz)
		for o := 0; o < outSz; o++ {
			xo := float64(o)
			var xi float64
			switch coord {
			case "half_pixel":
				xi = (xo+0.5)/s - 0.5
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
				start, end := 0.0, 1.0
				if roiIn != nil {
					start, end = float64(roiIn[ax]), float64(roiIn[ax+rank])
				}
				if outLen != 1 {
					xi = start*float64(inSz-1) + xo*(end-start)*float64(inSz-1)/(outLen-1)
				} else {
					xi = 0.5 * (start + end) * float64(inSz-1)
				}
				if xi < 0 || xi > float64(inSz-1) {
					outside[ax][o] = true
				}
			default:
				return nil, fmt.Errorf("%s: coordinate_transformation_mode %q is not supported", n.Label(), coord)
			}
			clampIdx := func(i int) int { return min(max(i, 0), inSz-1) }
			var t []tap
			switch mode {
			case "nearest":
				var i float64
				switch nearest {
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
					return nil, fmt.Errorf("%s: nearest_mode %q is not supported", n.Label(), nearest)
				}
				t = []tap{{clampIdx(int(i)), 1}}
			case "linear", "bilinear", "trilinear":
				xc := min(max(xi, 0), float64(inSz-1))
				i0 := int(math.Floor(xc))
				r := xc - float64(i0)
				t = []tap{{i0, float32(1 - r)}}
				if r > 0 {
					t = append(t, tap{clampIdx(i0 + 1), float32(r)})
				}
			case "cubic":
				i0 := int(math.Floor(xi))
				r := xi - float64(i0)
				A := cubicA
				cf := [4]float64{
					((A*(r+1)-5*A)*(r+1)+8*A)*(r+1) - 4*A,
					((A+2)*r-(A+3))*r*r + 1,
					((A+2)*(1-r)-(A+3))*(1-r)*(1-r) + 1,
					((A*(2-r)-5*A)*(2-r)+8*A)*(2-r) - 4*A,
				}
				sum := 0.0
				for k := 0; k < 4; k++ {
					j := i0 - 1 + k
					if exclude && (j < 0 || j >= inSz) {
						cf[k] = 0
					}
					sum += cf[k]
				}
				for k := 0; k < 4; k++ {
					if cf[k] == 0 {
						continue
					}
					w := cf[k]
					if exclude {
						w /= sum
					}
					t = append(t, tap{clampIdx(i0 - 1 + k), float32(w)})
				}
			default:
				return nil, fmt.Errorf("%s: mode %q is not supported", n.Label(), mode)
			}
			taps[ax][o] = t
		}
	}
	ist := strides(x.Shape)
	total := graph.NumElems(out)
	crop := coord == "tf_crop_and_resize"
	return one(graph.Float32, out, func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, o[0].F
		var idx [16]int
		// sum over the taps of axes ax.. for output coordinates idx
		var sum func(ax, off int) float64
		sum = func(ax, off int) float64 {
			if ax == rank {
				return float64(src[off])
			}
			acc := 0.0
			for _, t := range taps[ax][idx[ax]] {
				acc += float64(t.w) * sum(ax+1, off+t.at*ist[ax])
			}
			return acc
		}
		for i := 0; i < total; i++ {
			out := false
			if crop {
				for ax := 0; ax < rank; ax++ {
					out = out || outside[ax][idx[ax]]
				}
			}
			if out {
				dst[i] = extrapolation
			} else {
				dst[i] = float32(sum(0, 0))
			}
			for ax := rank - 1; ax >= 0; ax-- {
				idx[ax]++
				if idx[ax] < o[0].Shape[ax] {
					break
				}
				idx[ax] = 0
			}
		}
		return nil
	}), nil
}
