package cpu

import (
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepPoolN, "LpPool")
}

// maxSpatial bounds the spatial rank of N-d windows (kernels keep their
// counters in fixed arrays so that they allocate nothing).
const maxSpatial = 12

// windowN is the geometry of a sliding window over any number of spatial
// axes: kernel, strides, dilations, begin and end pads, input and output
// sizes, one entry per spatial axis.
type windowN struct {
	k, s, d, pb, pe, in, out []int
}

// spatialInts reads an int-list attribute with one value per spatial axis
// (strides, dilations...), def for each when it is absent.
func spatialInts(n *graph.Node, name string, sp, def int) ([]int, error) {
	v := n.Ints(name)
	out := make([]int, sp)
	for i := range out {
		out[i] = def
	}
	if v == nil {
		return out, nil
	}
	if len(v) != sp {
		return nil, fmt.Errorf("%s: %s has %d values for %d spatial dims", n.Label(), name, len(v), sp)
	}
	for i := range v {
		// Bounded so that sums and products of two of them fit an int.
		if v[i] > graph.MaxElems || v[i] < -graph.MaxElems {
			return nil, fmt.Errorf("%s: %s %v: %d is out of range", n.Label(), name, v, v[i])
		}
		out[i] = int(v[i])
	}
	return out, nil
}

// windowGeomN reads strides/dilations/pads/auto_pad for a window of size k
// over the spatial dims in, as windowGeom does for one or two axes.
func windowGeomN(n *graph.Node, in, k []int, ceil bool) (windowN, error) {
	sp := len(in)
	var w windowN
	if sp < 1 || sp > maxSpatial {
		return w, fmt.Errorf("%s: %d spatial dims (1 to %d are supported)", n.Label(), sp, maxSpatial)
	}
	if len(k) != sp {
		return w, fmt.Errorf("%s: kernel %v for %d spatial dims", n.Label(), k, sp)
	}
	ints := func(name string, def int) ([]int, error) { return spatialInts(n, name, sp, def) }
	var err error
	if w.s, err = ints("strides", 1); err != nil {
		return w, err
	}
	if w.d, err = ints("dilations", 1); err != nil {
		return w, err
	}
	pads := n.Ints("pads")
	if pads != nil && len(pads) != 2*sp {
		return w, fmt.Errorf("%s: pads has %d values for %d spatial dims", n.Label(), len(pads), sp)
	}
	for _, p := range pads {
		if p > graph.MaxElems {
			return w, fmt.Errorf("%s: pads %v: %d is out of range", n.Label(), pads, p)
		}
	}
	autoPad := n.String("auto_pad", "NOTSET")
	w.k, w.in = copyShape(k), copyShape(in)
	w.pb, w.pe, w.out = make([]int, sp), make([]int, sp), make([]int, sp)
	for i := 0; i < sp; i++ {
		if w.s[i] < 1 || w.d[i] < 1 || w.k[i] < 1 {
			return w, fmt.Errorf("%s: kernel %v, strides %v and dilations %v must be positive", n.Label(), w.k, w.s, w.d)
		}
		if w.k[i] > graph.MaxElems {
			return w, fmt.Errorf("%s: kernel %v: %d is out of range", n.Label(), w.k, w.k[i])
		}
		ext := w.d[i]*(w.k[i]-1) + 1
		switch autoPad {
		case "NOTSET", "":
			if pads != nil {
				w.pb[i], w.pe[i] = int(pads[i]), int(pads[i+sp])
				if w.pb[i] < 0 || w.pe[i] < 0 {
					return w, fmt.Errorf("%s: negative pads %v", n.Label(), pads)
				}
			}
		case "VALID":
		case "SAME_UPPER", "SAME_LOWER":
			outSz := (in[i] + w.s[i] - 1) / w.s[i]
			total := max(0, (outSz-1)*w.s[i]+ext-in[i])
			if autoPad == "SAME_UPPER" {
				w.pb[i], w.pe[i] = total/2, total-total/2
			} else {
				w.pb[i], w.pe[i] = total-total/2, total/2
			}
		default:
			return w, fmt.Errorf("%s: unknown auto_pad %q", n.Label(), autoPad)
		}
		span := in[i] + w.pb[i] + w.pe[i] - ext
		if span < 0 {
			return w, fmt.Errorf("%s: window %d larger than padded input %d", n.Label(), ext, in[i]+w.pb[i]+w.pe[i])
		}
		if ceil {
			w.out[i] = (span+w.s[i]-1)/w.s[i] + 1
			// The last window must start inside the input or its begin padding.
			if (w.out[i]-1)*w.s[i] >= in[i]+w.pb[i] {
				w.out[i]--
			}
		} else {
			w.out[i] = span/w.s[i] + 1
		}
	}
	return w, nil
}

// windowTaps lists, for every output coordinate of every axis, where the
// window starts in the input and which of its taps fall inside the input
// ([lo, hi)) and inside the padded input (padded, for count_include_pad).
type windowTaps struct {
	start, lo, hi, padded [][]int
}

// tapsBytes is the size of the tables taps builds.
func (w *windowN) tapsBytes() int64 {
	var b int64
	for _, o := range w.out {
		b += 4 * 8 * int64(o)
	}
	return b
}

func (w *windowN) taps() windowTaps {
	sp := len(w.in)
	t := windowTaps{start: make([][]int, sp), lo: make([][]int, sp), hi: make([][]int, sp), padded: make([][]int, sp)}
	for i := 0; i < sp; i++ {
		t.start[i], t.lo[i], t.hi[i], t.padded[i] = make([]int, w.out[i]), make([]int, w.out[i]), make([]int, w.out[i]), make([]int, w.out[i])
		for o := 0; o < w.out[i]; o++ {
			b := o*w.s[i] - w.pb[i]
			t.start[i][o] = b
			// The taps k in [0, K) with b + k·d in [0, in), and those in the
			// padded input [-pb, in+pe): computed, not counted, since a
			// model may ask for a window of 2³¹ taps.
			lo, hi := tapRange(b, w.d[i], w.k[i], 0, w.in[i])
			if hi <= lo {
				lo, hi = 0, 0
			}
			plo, phi := tapRange(b, w.d[i], w.k[i], -w.pb[i], w.in[i]+w.pe[i])
			t.lo[i][o], t.hi[i][o], t.padded[i][o] = lo, hi, max(phi-plo, 0)
		}
	}
	return t
}

// tapRange is the range [lo, hi) of taps k in [0, K) whose position
// b + k·d (d ≥ 1) lies in [from, to); hi <= lo when there is none.
func tapRange(b, d, K, from, to int) (lo, hi int) {
	lo = max(ceilDiv(from-b, d), 0)
	hi = min(floorDiv(to-1-b, d)+1, K)
	return lo, hi
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }

// poolKind is what a window reduces to.
type poolKind uint8

const (
	poolMax poolKind = iota
	poolAvg
	poolLp
)

// prepPoolN is MaxPool, AveragePool and LpPool over any number of spatial
// axes, with dilations, pads, auto_pad and ceil_mode. prepPool keeps its
// own faster loop for the common 1-D and 2-D cases.
func prepPoolN(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	if rank < 3 {
		return nil, fmt.Errorf("%s: input %v has no spatial dims", n.Label(), x.Shape)
	}
	kind := poolMax
	switch n.Op {
	case "AveragePool":
		kind = poolAvg
	case "LpPool":
		kind = poolLp
	}
	// Integer MaxPool (uint8 and int8 models) compares int64s.
	isInt := x.DType == graph.Int64 && kind == poolMax
	if x.DType != graph.Float32 && !isInt {
		return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), x.DType)
	}
	withIdx := len(n.Outputs) > 1 && n.Outputs[1] != ""
	if withIdx && kind != poolMax {
		return nil, fmt.Errorf("%s: has a second output", n.Label())
	}
	ks := n.Ints("kernel_shape")
	if len(ks) != rank-2 {
		return nil, fmt.Errorf("%s: kernel_shape %v for input %v", n.Label(), ks, x.Shape)
	}
	k := make([]int, len(ks))
	for i, v := range ks {
		k[i] = int(v)
	}
	geo, err := windowGeomN(n, x.Shape[2:], k, n.Int("ceil_mode", 0) == 1)
	if err != nil {
		return nil, err
	}
	p := 2.0
	switch v := n.Attrs["p"].(type) {
	case float32: // LpPool-1 had a float p
		p = float64(v)
	case float64:
		p = v
	case int64:
		p = float64(v)
	}
	if kind == poolLp && p <= 0 {
		return nil, fmt.Errorf("%s: p = %g must be positive", n.Label(), p)
	}
	includePad := n.Int("count_include_pad", 0) == 1
	colMajor := n.Int("storage_order", 0) == 1
	sp := rank - 2
	out := append(copyShape(x.Shape[:2]), geo.out...)
	if err := c.checkOut(n, 0, x.DType, out); err != nil {
		return nil, err
	}
	if err := c.checkTables(n, geo.tapsBytes()); err != nil {
		return nil, err
	}
	tp := geo.taps()
	ist := strides(geo.in) // spatial strides within a plane
	colSt := make([]int, sp)
	acc := 1
	for i := 0; i < sp; i++ {
		colSt[i] = acc
		acc *= geo.in[i]
	}
	dstep := make([]int, sp) // flat step from one tap to the next, per axis
	for i := range dstep {
		dstep[i] = geo.d[i] * ist[i]
	}
	planes := x.Shape[0] * x.Shape[1]
	isz, osz := graph.NumElems(geo.in), graph.NumElems(geo.out)
	pr := one(x.DType, out, nil)
	if withIdx {
		pr.outs = append(pr.outs, Value{DType: graph.Int64, Shape: copyShape(out)})
	}
	pr.flops = float64(graph.NumElems(out)) * float64(graph.NumElems(geo.k))
	pr.held = geo.tapsBytes()
	last := sp - 1
	pr.run = func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, o[0].F
		var idx []int64
		if withIdx && len(o) > 1 && o[1] != nil {
			idx = o[1].I
		}
		var oc, kc [maxSpatial]int
		for pl := 0; pl < planes; pl++ {
			var plane []float32
			var iplane []int64
			if isInt {
				iplane = in[0].I[pl*isz : (pl+1)*isz]
			} else {
				plane = src[pl*isz : (pl+1)*isz]
			}
			for i := range oc[:sp] {
				oc[i] = 0
			}
			for oi := 0; oi < osz; oi++ {
				// The window's first valid tap, and whether it has any.
				off, cnt, padCnt := 0, 1, 1
				for i := 0; i < sp; i++ {
					lo, hi := tp.lo[i][oc[i]], tp.hi[i][oc[i]]
					kc[i] = lo
					off += (tp.start[i][oc[i]] + lo*geo.d[i]) * ist[i]
					cnt *= hi - lo
					padCnt *= tp.padded[i][oc[i]]
				}
				var sum float64
				best, arg := float32(math.Inf(-1)), -1
				ibest := int64(math.MinInt64)
				if cnt > 0 {
					lo, hi := tp.lo[last][oc[last]], tp.hi[last][oc[last]]
					for {
						row := off
						for k := lo; k < hi; k++ {
							if isInt {
								if v := iplane[row]; v > ibest || arg < 0 {
									ibest, arg = v, row
								}
								row += dstep[last]
								continue
							}
							v := plane[row]
							switch kind {
							case poolMax:
								if v > best || v != v || arg < 0 {
									best, arg = v, row
								}
							case poolAvg:
								sum += float64(v)
							default:
								a := math.Abs(float64(v))
								if p == 2 {
									sum += a * a
								} else {
									sum += math.Pow(a, p)
								}
							}
							row += dstep[last]
						}
						j := last - 1
						for ; j >= 0; j-- {
							kc[j]++
							off += dstep[j]
							if kc[j] < tp.hi[j][oc[j]] {
								break
							}
							off -= (kc[j] - tp.lo[j][oc[j]]) * dstep[j]
							kc[j] = tp.lo[j][oc[j]]
						}
						if j < 0 {
							break
						}
					}
				}
				at := pl*osz + oi
				switch kind {
				case poolMax:
					if isInt {
						o[0].I[at] = ibest
					} else {
						dst[at] = best
					}
					if idx != nil {
						flat := arg
						if colMajor && arg >= 0 {
							flat = 0
							for i := 0; i < sp; i++ {
								flat += arg / ist[i] % geo.in[i] * colSt[i]
							}
						}
						idx[at] = int64(pl*isz + flat)
					}
				case poolAvg:
					div := cnt
					if includePad {
						div = padCnt
					}
					if div > 0 {
						sum /= float64(div)
					}
					dst[at] = float32(sum)
				default:
					if p == 2 {
						dst[at] = float32(math.Sqrt(sum))
					} else {
						dst[at] = float32(math.Pow(sum, 1/p))
					}
				}
				for i := last; i >= 0; i-- {
					oc[i]++
					if oc[i] < geo.out[i] {
						break
					}
					oc[i] = 0
				}
			}
		}
		return nil
	}
	return pr, nil
}

// poolVec runs the interior of a 2-D MaxPool or AveragePool (no indices,
// no dilation, equal strides 1 or 2) on kern's vector kernel when one is
// installed, and returns the outputs it computed, rows [oy0, oy1) by
// columns [ox0, ox1) of every plane; ox0 is -1 when it computed none.
func poolVec(pp PoolParams, withIdx bool, src, dst []float32) (oy0, oy1, ox0, ox1 int) {
	if withIdx || pp.DH != 1 || pp.DW != 1 || pp.SH != pp.SW {
		return 0, 0, -1, -1
	}
	a := kern.PoolArgs{Planes: pp.Planes, H: pp.H, W: pp.W, OH: pp.OH, OW: pp.OW,
		KH: pp.KH, KW: pp.KW, S: pp.SH, PT: pp.PT, PL: pp.PL, Max: pp.Max}
	if y0, y1, x0, x1, ok := kern.PoolVec(a, src, dst); ok {
		return y0, y1, x0, x1
	}
	return 0, 0, -1, -1
}
