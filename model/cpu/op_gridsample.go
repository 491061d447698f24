package cpu

import (
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepGridSample, "GridSample")
}

// gridMaxDims bounds the spatial rank GridSample takes (taps live in
// fixed arrays so that the kernel allocates nothing).
const gridMaxDims = 8

// prepGridSample implements GridSample: opset 16 (4-D input; modes
// bilinear, nearest, bicubic) and opset 20 (N×C×D1×…×Dr for any r ≥ 1;
// the same modes named linear, nearest, cubic), with padding_mode zeros,
// border or reflection and align_corners, as ONNX's reference does it:
// grid[..., 0] addresses the last spatial axis; a normalised coordinate
// is mapped to the input (−1 and 1 are the centres of the corner pixels
// with align_corners, their outer edges without); nearest rounds half to
// even (half away from zero for 3 spatial axes, as PyTorch); for linear
// and nearest a coordinate outside the image is clamped (border) or
// reflected (reflection) first; then each tap outside the image reads 0,
// the edge or the reflection. Cubic is Keys' kernel with a = −0.75 over 4
// taps per axis. Checked against ONNX's examples and onnxruntime
// (TestORTOps).
func prepGridSample(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, grid := in[0], in[1]
	if x.DType != graph.Float32 || grid.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs float input and grid, got %v and %v", n.Label(), x, grid)
	}
	r := len(x.Shape) - 2
	if c.opset < 20 && r != 2 {
		return nil, fmt.Errorf("%s: at opset %d the input must be 4-D (N×C×H×W), got %v; N-d input needs opset 20", n.Label(), c.opset, x.Shape)
	}
	if r < 1 || r > gridMaxDims {
		return nil, fmt.Errorf("%s: input %v must have 1 to %d spatial dimensions", n.Label(), x.Shape, gridMaxDims)
	}
	if len(grid.Shape) != r+2 || grid.Shape[0] != x.Shape[0] || grid.Shape[r+1] != r {
		return nil, fmt.Errorf("%s: grid %v does not fit input %v: it must be [%d, <%d output sizes>, %d]",
			n.Label(), grid.Shape, x.Shape, x.Shape[0], r, r)
	}
	// Opset 20 renamed bilinear and bicubic to linear and cubic.
	mode, m := n.String("mode", "bilinear"), ""
	valid := "bilinear, nearest or bicubic"
	if c.opset >= 20 {
		mode, valid = n.String("mode", "linear"), "linear, nearest or cubic"
	}
	switch {
	case mode == "nearest":
		m = "nearest"
	case mode == "bilinear" && c.opset < 20, mode == "linear" && c.opset >= 20:
		m = "linear"
	case mode == "bicubic" && c.opset < 20, mode == "cubic" && c.opset >= 20:
		m = "cubic"
	default:
		return nil, fmt.Errorf("%s: unknown mode %q (at opset %d: %s)", n.Label(), mode, c.opset, valid)
	}
	pad := n.String("padding_mode", "zeros")
	if pad != "zeros" && pad != "border" && pad != "reflection" {
		return nil, fmt.Errorf("%s: unknown padding_mode %q (zeros, border or reflection)", n.Label(), pad)
	}
	gs := &gridSampler{
		r: r, mode: m, pad: pad, align: n.Int("align_corners", 0) != 0,
		N: x.Shape[0], C: x.Shape[1],
		dims:   x.Shape[2:],
		plane:  graph.NumElems(x.Shape[2:]),
		points: graph.NumElems(grid.Shape[1 : r+1]),
	}
	gs.st = strides(gs.dims)
	out := append([]int{gs.N, gs.C}, grid.Shape[1:r+1]...)
	pr := one(graph.Float32, out, gs.run)
	pr.flops = float64(graph.NumElems(out)) * math.Pow(4, float64(r))
	return pr, nil
}

type gridSampler struct {
	r             int
	mode, pad     string
	align         bool
	N, C          int
	dims, st      []int
	plane, points int
}

// gridTaps are the input taps of one output point: per spatial axis (in
// the input's order) up to 4 indices (−1: reads zero) and weights.
type gridTaps struct {
	n  [gridMaxDims]int
	at [gridMaxDims][4]int
	w  [gridMaxDims][4]float32
}

func (gs *gridSampler) run(in, o []*graph.Tensor, _ []float32) error {
	xs, grid, ys := in[0].F, in[1].F, o[0].F
	r := gs.r
	var t gridTaps
	for b := 0; b < gs.N; b++ {
		for p := 0; p < gs.points; p++ {
			coords := grid[(b*gs.points+p)*r : (b*gs.points+p+1)*r]
			for d := 0; d < r; d++ {
				gs.axisTaps(&t, d, coords[r-1-d])
			}
			for ch := 0; ch < gs.C; ch++ {
				src := xs[(b*gs.C+ch)*gs.plane : (b*gs.C+ch+1)*gs.plane]
				ys[(b*gs.C+ch)*gs.points+p] = t.sum(r, gs.st, src)
			}
		}
	}
	return nil
}

// sum is Σ over the tap product of Π weights · src[taps].
func (t *gridTaps) sum(r int, st []int, src []float32) float32 {
	var k [gridMaxDims]int
	var acc float32
	for {
		off, w, inside := 0, float32(1), true
		for d := 0; d < r; d++ {
			j := t.at[d][k[d]]
			if j < 0 {
				inside = false
				break
			}
			off += j * st[d]
			w *= t.w[d][k[d]]
		}
		if inside {
			acc += w * src[off]
		}
		d := r - 1
		for ; d >= 0; d-- {
			k[d]++
			if k[d] < t.n[d] {
				break
			}
			k[d] = 0
		}
		if d < 0 {
			return acc
		}
	}
}

// axisTaps fills the taps of spatial axis d for normalised coordinate g.
func (gs *gridSampler) axisTaps(t *gridTaps, d int, g float32) {
	size := gs.dims[d]
	fs := float32(size)
	// Denormalise, in float32 as the reference and PyTorch do.
	var x float32
	if gs.align {
		x = (g + 1) / 2 * (fs - 1)
	} else {
		x = ((g+1)*fs - 1) / 2
	}
	lo, hi := float32(-0.5), fs-0.5
	if gs.align {
		lo, hi = 0, fs-1
	}
	if gs.mode == "nearest" {
		if gs.r == 3 {
			x = float32(math.Round(float64(x))) // std::round
		} else {
			x = float32(math.RoundToEven(float64(x))) // std::nearbyint
		}
	}
	// Linear and nearest clamp or reflect the coordinate itself; cubic,
	// as PyTorch and onnxruntime do it, leaves the coordinate alone and
	// pads each of its four taps (ONNX's reference clamps the coordinate
	// under border too, which gives other values near the border; under
	// reflection both ways agree, the reflected signal being symmetric).
	if (x < lo || x > hi) && gs.mode != "cubic" {
		switch gs.pad {
		case "border":
			x = min(max(x, 0), fs-1)
		case "reflection":
			x = reflectCoord(x, lo, hi)
		}
	}
	switch gs.mode {
	case "nearest":
		t.n[d] = 1
		t.at[d][0], t.w[d][0] = gs.tap(trunc(x), d), 1
	case "linear":
		x0 := floorInt(x)
		f := x - float32(x0)
		t.n[d] = 2
		t.at[d][0], t.w[d][0] = gs.tap(x0, d), 1-f
		t.at[d][1], t.w[d][1] = gs.tap(x0+1, d), f
	default: // cubic
		x0 := floorInt(x)
		f := float64(x - float32(x0))
		const a = -0.75
		w := [4]float64{
			((a*(f+1)-5*a)*(f+1)+8*a)*(f+1) - 4*a,
			((a+2)*f-(a+3))*f*f + 1,
			((a+2)*(1-f)-(a+3))*(1-f)*(1-f) + 1,
			((a*(2-f)-5*a)*(2-f)+8*a)*(2-f) - 4*a,
		}
		t.n[d] = 4
		for k := 0; k < 4; k++ {
			t.at[d][k], t.w[d][k] = gs.tap(x0-1+k, d), float32(w[k])
		}
	}
}

// tap maps an integer coordinate of axis d to an index of the input, or
// −1 where it reads zero.
func (gs *gridSampler) tap(i, d int) int {
	size := gs.dims[d]
	if i >= 0 && i < size {
		return i
	}
	if size == 0 {
		return -1
	}
	switch gs.pad {
	case "border":
		i = min(max(i, 0), size-1)
	case "reflection":
		// Reflection about −0.5 and size−0.5 (about 0 and size−1 with
		// align_corners), in integers.
		period := 2 * size
		if gs.align {
			period = 2 * (size - 1)
		}
		if period == 0 {
			return 0
		}
		i = ((i % period) + period) % period
		if i >= size {
			i = period - i
			if !gs.align {
				i--
			}
		}
	default:
		return -1
	}
	if i < 0 || i >= size { // a NaN or infinite coordinate
		return -1
	}
	return i
}

// reflectCoord reflects x into [lo, hi] by the nearer border, again and
// again, as ONNX's reference and PyTorch do.
func reflectCoord(x, lo, hi float32) float32 {
	span := hi - lo
	if !(span > 0) {
		return lo
	}
	if x < lo {
		dx := lo - x
		k := trunc(dx / span)
		rem := dx - float32(k)*span
		if k%2 == 0 {
			return lo + rem
		}
		return hi - rem
	}
	dx := x - hi
	k := trunc(dx / span)
	rem := dx - float32(k)*span
	if k%2 == 0 {
		return hi - rem
	}
	return lo + rem
}

// trunc and floorInt convert to int, sending NaN and huge values to a
// far-away index (which reads zero) instead of an undefined conversion.
func trunc(x float32) int {
	if !(x > -1e9 && x < 1e9) {
		return math.MinInt32
	}
	return int(x)
}

func floorInt(x float32) int {
	if !(x > -1e9 && x < 1e9) {
		return math.MinInt32
	}
	return int(math.Floor(float64(x)))
}
