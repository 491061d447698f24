package cpu

import (
	"fmt"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepConvTranspose, "ConvTranspose")
}

// prepConvN is Conv (and FusedConv) over three or more spatial axes: a
// direct convolution, tap by tap, reading the weights at run time. 1-D and
// 2-D convolutions take prepConv's im2col+GEMM path instead.
func prepConvN(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	x, w := in[0], in[1]
	rank := len(x.Shape)
	if x.DType != graph.Float32 || w.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs float input and weights, got %v and %v", n.Label(), x, w)
	}
	if rank < 3 {
		return nil, fmt.Errorf("%s: input %v has no spatial dims", n.Label(), x.Shape)
	}
	if len(w.Shape) != rank {
		return nil, fmt.Errorf("%s: weights %v do not match input %v", n.Label(), w.Shape, x.Shape)
	}
	if ks := n.Ints("kernel_shape"); ks != nil {
		for i, k := range ks {
			if i+2 >= len(w.Shape) || int(k) != w.Shape[i+2] {
				return nil, fmt.Errorf("%s: kernel_shape %v disagrees with weights %v", n.Label(), ks, w.Shape)
			}
		}
	}
	group := int(n.Int("group", 1))
	N, C, M, Cg := x.Shape[0], x.Shape[1], w.Shape[0], w.Shape[1]
	if group < 1 || group > max(C, 1) || C != Cg*group || M%group != 0 { // bounded first: Cg·group must not wrap
		return nil, fmt.Errorf("%s: input channels %d, weights %v and group %d disagree", n.Label(), C, w.Shape, group)
	}
	geo, err := windowGeomN(n, x.Shape[2:], w.Shape[2:], false)
	if err != nil {
		return nil, err
	}
	out := append([]int{N, M}, geo.out...)
	if err := c.checkOut(n, 0, graph.Float32, out); err != nil {
		return nil, err
	}
	if err := c.checkTables(n, geo.tapsBytes()); err != nil {
		return nil, err
	}
	hasBias := len(in) > 2 && in[2] != nil
	if hasBias && graph.NumElems(in[2].Shape) != M {
		return nil, fmt.Errorf("%s: bias %v does not have %d values", n.Label(), in[2].Shape, M)
	}
	hasRes := len(in) > 3 && in[3] != nil
	if hasRes && !sameShape(in[3].Shape, out) {
		return nil, fmt.Errorf("%s: residual %v is not the output's shape %v", n.Label(), in[3].Shape, out)
	}
	act, err := fusedAct(n)
	if err != nil {
		return nil, err
	}
	sp := rank - 2
	tp := geo.taps()
	ist, kst := strides(geo.in), strides(geo.k)
	dstep := make([]int, sp)
	for i := range dstep {
		dstep[i] = geo.d[i] * ist[i]
	}
	isz, osz, ksz := graph.NumElems(geo.in), graph.NumElems(geo.out), graph.NumElems(geo.k)
	Mg := M / group
	last := sp - 1
	pr := one(graph.Float32, out, func(in, o []*graph.Tensor, _ []float32) error {
		src, wt, dst := in[0].F, in[1].F, o[0].F
		var oc, kc [maxSpatial]int
		for b := 0; b < N; b++ {
			for m := 0; m < M; m++ {
				g := m / Mg
				bias := float32(0)
				if hasBias {
					bias = in[2].F[m]
				}
				yplane := dst[(b*M+m)*osz : (b*M+m+1)*osz]
				for i := range oc[:sp] {
					oc[i] = 0
				}
				for oi := range yplane {
					off, koff, empty := 0, 0, false
					for i := 0; i < sp; i++ {
						lo, hi := tp.lo[i][oc[i]], tp.hi[i][oc[i]]
						kc[i] = lo
						off += (tp.start[i][oc[i]] + lo*geo.d[i]) * ist[i]
						koff += lo * kst[i]
						empty = empty || hi <= lo
					}
					acc := bias
					if !empty {
						lo, hi := tp.lo[last][oc[last]], tp.hi[last][oc[last]]
						for {
							for ci := 0; ci < Cg; ci++ {
								xp := src[(b*C+g*Cg+ci)*isz:]
								wp := wt[(m*Cg+ci)*ksz:]
								row := off
								for k := lo; k < hi; k++ {
									acc += xp[row] * wp[koff+k-lo]
									row += dstep[last]
								}
							}
							j := last - 1
							for ; j >= 0; j-- {
								kc[j]++
								off += dstep[j]
								koff += kst[j]
								if kc[j] < tp.hi[j][oc[j]] {
									break
								}
								back := kc[j] - tp.lo[j][oc[j]]
								off -= back * dstep[j]
								koff -= back * kst[j]
								kc[j] = tp.lo[j][oc[j]]
							}
							if j < 0 {
								break
							}
						}
					}
					yplane[oi] = acc
					for i := last; i >= 0; i-- {
						oc[i]++
						if oc[i] < geo.out[i] {
							break
						}
						oc[i] = 0
					}
				}
			}
		}
		if hasRes {
			for i, r := range in[3].F {
				dst[i] += r
			}
		}
		kern.ApplyAct(act, dst)
		return nil
	})
	pr.flops = 2 * float64(graph.NumElems(out)) * float64(Cg) * float64(ksz)
	pr.held = geo.tapsBytes()
	return pr, nil
}

// prepConvTranspose is ConvTranspose over any number of spatial axes, with
// groups, strides, dilations, pads, output_padding, output_shape and
// auto_pad: every input element scatters its products with the kernel into
// the output (y[o] += x[i]·w[k] where o = i·stride + k·dilation − pad_begin).
func prepConvTranspose(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	rank := len(x.Shape)
	if x.DType != graph.Float32 || w.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs float input and weights, got %v and %v", n.Label(), x, w)
	}
	if rank < 3 || rank-2 > maxSpatial {
		return nil, fmt.Errorf("%s: input %v: 1 to %d spatial dims are supported", n.Label(), x.Shape, maxSpatial)
	}
	if len(w.Shape) != rank {
		return nil, fmt.Errorf("%s: weights %v do not match input %v", n.Label(), w.Shape, x.Shape)
	}
	group := int(n.Int("group", 1))
	N, C, Mg := x.Shape[0], x.Shape[1], w.Shape[1]
	if group < 1 || group > max(C, 1) || C%group != 0 || w.Shape[0] != C {
		return nil, fmt.Errorf("%s: input channels %d, weights %v and group %d disagree", n.Label(), C, w.Shape, group)
	}
	M, Cg := Mg*group, C/group
	sp := rank - 2
	k := copyShape(w.Shape[2:])
	if ks := n.Ints("kernel_shape"); ks != nil {
		if len(ks) != sp {
			return nil, fmt.Errorf("%s: kernel_shape %v for %d spatial dims", n.Label(), ks, sp)
		}
		for i, v := range ks {
			if int(v) != k[i] {
				return nil, fmt.Errorf("%s: kernel_shape %v disagrees with weights %v", n.Label(), ks, w.Shape)
			}
		}
	}
	ints := func(name string, def int) ([]int, error) { return spatialInts(n, name, sp, def) }
	st, err := ints("strides", 1)
	if err != nil {
		return nil, err
	}
	dil, err := ints("dilations", 1)
	if err != nil {
		return nil, err
	}
	outPad, err := ints("output_padding", 0)
	if err != nil {
		return nil, err
	}
	var outShape []int
	if v := n.Ints("output_shape"); v != nil {
		// output_shape may list the spatial dims only, or N and C too.
		if len(v) == rank {
			v = v[2:]
		}
		if len(v) != sp {
			return nil, fmt.Errorf("%s: output_shape %v for %d spatial dims", n.Label(), n.Ints("output_shape"), sp)
		}
		for _, d := range v {
			if d < 0 || d > graph.MaxElems {
				return nil, fmt.Errorf("%s: output_shape %v: %d is out of range", n.Label(), n.Ints("output_shape"), d)
			}
			outShape = append(outShape, int(d))
		}
	}
	pads := n.Ints("pads")
	if pads != nil && len(pads) != 2*sp {
		return nil, fmt.Errorf("%s: pads has %d values for %d spatial dims", n.Label(), len(pads), sp)
	}
	for _, p := range pads {
		if p > graph.MaxElems || p < -graph.MaxElems {
			return nil, fmt.Errorf("%s: pads %v: %d is out of range", n.Label(), pads, p)
		}
	}
	autoPad := n.String("auto_pad", "NOTSET")
	switch autoPad {
	case "NOTSET", "", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return nil, fmt.Errorf("%s: unknown auto_pad %q", n.Label(), autoPad)
	}
	pb, outSp := make([]int, sp), make([]int, sp)
	for i := 0; i < sp; i++ {
		if st[i] < 1 || dil[i] < 1 || k[i] < 1 || outPad[i] < 0 {
			return nil, fmt.Errorf("%s: kernel %v, strides %v, dilations %v and output_padding %v must be positive", n.Label(), k, st, dil, outPad)
		}
		// Each term is at most 2⁶² (strides, dilations and sizes are at
		// most 2³¹), but their sum might not fit: add them in floating
		// point first.
		if f := float64(st[i])*float64(x.Shape[i+2]-1) + float64(outPad[i]) + float64(k[i]-1)*float64(dil[i]) + 1; f > graph.MaxElems {
			return nil, fmt.Errorf("%s: output size %g along spatial axis %d is out of range", n.Label(), f, i)
		}
		full := st[i]*(x.Shape[i+2]-1) + outPad[i] + (k[i]-1)*dil[i] + 1
		same := autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"
		switch {
		case pads != nil && (autoPad == "NOTSET" || autoPad == ""):
			pb[i] = int(pads[i])
			outSp[i] = full - int(pads[i]) - int(pads[i+sp])
			if outShape != nil {
				outSp[i] = outShape[i]
			}
		case same || outShape != nil:
			// The pads come from the output size: total = full − out,
			// split evenly with the odd one at the end for SAME_UPPER, at
			// the beginning otherwise. A negative total (the output is
			// larger) leaves the extra at the end, as output_padding does.
			target := x.Shape[i+2] * st[i]
			if outShape != nil {
				target = outShape[i]
			}
			total := full - target
			switch {
			case total <= 0:
				pb[i] = 0
			case autoPad == "SAME_UPPER":
				pb[i] = total / 2
			default:
				pb[i] = total - total/2
			}
			outSp[i] = target
		default: // VALID, or no pads
			outSp[i] = full
		}
		if outSp[i] < 1 {
			return nil, fmt.Errorf("%s: output size %d along spatial axis %d", n.Label(), outSp[i], i)
		}
	}
	out := append([]int{N, M}, outSp...)
	if err := c.checkOut(n, 0, graph.Float32, out); err != nil {
		return nil, err
	}
	hasBias := len(in) > 2 && in[2] != nil
	if hasBias && graph.NumElems(in[2].Shape) != M {
		return nil, fmt.Errorf("%s: bias %v does not have %d values", n.Label(), in[2].Shape, M)
	}
	// Per axis and input coordinate, the kernel taps that land inside the
	// output: [lo, hi), and the output coordinate of tap lo.
	var tables int64
	for i := 0; i < sp; i++ {
		tables += 3 * 8 * int64(x.Shape[i+2])
	}
	if err := c.checkTables(n, tables); err != nil {
		return nil, err
	}
	lo, hi, first := make([][]int, sp), make([][]int, sp), make([][]int, sp)
	for i := 0; i < sp; i++ {
		lo[i], hi[i], first[i] = make([]int, x.Shape[i+2]), make([]int, x.Shape[i+2]), make([]int, x.Shape[i+2])
		for xi := 0; xi < x.Shape[i+2]; xi++ {
			l, h := tapRange(xi*st[i]-pb[i], dil[i], k[i], 0, outSp[i])
			if h <= l {
				l, h = 0, 0
			}
			lo[i][xi], hi[i][xi], first[i][xi] = l, h, xi*st[i]+l*dil[i]-pb[i]
		}
	}
	ost, kst := strides(outSp), strides(k)
	dstep := make([]int, sp)
	for i := range dstep {
		dstep[i] = dil[i] * ost[i]
	}
	isz, osz, ksz := graph.NumElems(x.Shape[2:]), graph.NumElems(outSp), graph.NumElems(k)
	inSp := copyShape(x.Shape[2:])
	last := sp - 1
	pr := one(graph.Float32, out, func(in, o []*graph.Tensor, _ []float32) error {
		src, wt, dst := in[0].F, in[1].F, o[0].F
		for b := 0; b < N; b++ {
			for m := 0; m < M; m++ {
				v := float32(0)
				if hasBias {
					v = in[2].F[m]
				}
				yp := dst[(b*M+m)*osz : (b*M+m+1)*osz]
				for i := range yp {
					yp[i] = v
				}
			}
		}
		var xc, kc [maxSpatial]int
		for b := 0; b < N; b++ {
			for ci := 0; ci < C; ci++ {
				g := ci / Cg
				xp := src[(b*C+ci)*isz : (b*C+ci+1)*isz]
				for i := range xc[:sp] {
					xc[i] = 0
				}
				for _, xv := range xp {
					off, koff, empty := 0, 0, false
					for i := 0; i < sp; i++ {
						l, h := lo[i][xc[i]], hi[i][xc[i]]
						kc[i] = l
						off += first[i][xc[i]] * ost[i]
						koff += l * kst[i]
						empty = empty || h <= l
					}
					if !empty {
						l, h := lo[last][xc[last]], hi[last][xc[last]]
						for {
							for mi := 0; mi < Mg; mi++ {
								m := g*Mg + mi
								yp := dst[(b*M+m)*osz:]
								wp := wt[(ci*Mg+mi)*ksz+koff:]
								row := off
								for kk := 0; kk < h-l; kk++ {
									yp[row] += xv * wp[kk]
									row += dstep[last]
								}
							}
							j := last - 1
							for ; j >= 0; j-- {
								kc[j]++
								off += dstep[j]
								koff += kst[j]
								if kc[j] < hi[j][xc[j]] {
									break
								}
								back := kc[j] - lo[j][xc[j]]
								off -= back * dstep[j]
								koff -= back * kst[j]
								kc[j] = lo[j][xc[j]]
							}
							if j < 0 {
								break
							}
						}
					}
					for i := last; i >= 0; i-- {
						xc[i]++
						if xc[i] < inSp[i] {
							break
						}
						xc[i] = 0
					}
				}
			}
		}
		return nil
	})
	pr.flops = 2 * float64(graph.NumElems(x.Shape)) * float64(Mg) * float64(ksz)
	pr.held = tables
	return pr, nil
}
