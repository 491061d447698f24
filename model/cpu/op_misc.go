package cpu

import (
	"fmt"
	"math"
	"slices"

	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepArgMax, "ArgMax", "ArgMin")
	register(prepHardmax, "Hardmax")
	register(prepDepthToSpace, "DepthToSpace", "SpaceToDepth")
	register(prepLRN, "LRN")
	register(prepTrilu, "Trilu")
	register(prepCumSum, "CumSum")
	register(prepGatherElements, "GatherElements")
	register(prepTopK, "TopK")
	register(prepIsNaN, "IsNaN", "IsInf")
	register(prepEyeLike, "EyeLike")
	register(prepOneHot, "OneHot")
	register(prepCastLike, "CastLike")
	register(prepMVN, "MeanVarianceNormalization")
}

// around splits shape at axis into the sizes before it, of it, and after it.
func around(shape []int, axis int) (outer, dim, inner int) {
	return graph.NumElems(shape[:axis]), shape[axis], graph.NumElems(shape[axis+1:])
}

func prepArgMax(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 && x.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), x.DType)
	}
	axis, err := normAxis(n, n.Int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	keep := n.Int("keepdims", 1) == 1
	last := n.Int("select_last_index", 0) == 1
	isMax := n.Op == "ArgMax"
	out := copyShape(x.Shape[:axis])
	if keep {
		out = append(out, 1)
	}
	out = append(out, x.Shape[axis+1:]...)
	outer, dim, inner := around(x.Shape, axis)
	if dim == 0 {
		return nil, fmt.Errorf("%s: reduces an empty axis", n.Label())
	}
	return one(graph.Int64, out, func(in, o []*graph.Tensor, _ []float32) error {
		vals := in[0].AsFloats()
		if in[0].DType == graph.Int64 {
			vals = nil
		}
		better := func(a, b int) bool { // is element a a better pick than b?
			var d int
			if vals != nil {
				va, vb := vals[a], vals[b]
				switch {
				case va > vb:
					d = 1
				case va < vb:
					d = -1
				}
			} else {
				va, vb := in[0].I[a], in[0].I[b]
				switch {
				case va > vb:
					d = 1
				case va < vb:
					d = -1
				}
			}
			if !isMax {
				d = -d
			}
			return d > 0 || d == 0 && last
		}
		for b := 0; b < outer; b++ {
			for j := 0; j < inner; j++ {
				base := b*dim*inner + j
				best := 0
				for k := 1; k < dim; k++ {
					if better(base+k*inner, base+best*inner) {
						best = k
					}
				}
				o[0].I[b*inner+j] = int64(best)
			}
		}
		return nil
	}), nil
}

func prepHardmax(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs a float input", n.Label())
	}
	def := int64(-1)
	if c.opset < 13 {
		def = 1
	}
	axis, err := normAxis(n, n.Int("axis", def), len(x.Shape))
	if err != nil {
		return nil, err
	}
	outer, dim, inner := around(x.Shape, axis)
	if c.opset < 13 { // coerced to 2-D, as Softmax
		outer, dim, inner = graph.NumElems(x.Shape[:axis]), graph.NumElems(x.Shape[axis:]), 1
	}
	return one(graph.Float32, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, o[0].F
		for b := 0; b < outer; b++ {
			for j := 0; j < inner; j++ {
				base := b*dim*inner + j
				best := 0
				for k := 0; k < dim; k++ {
					dst[base+k*inner] = 0
					if src[base+k*inner] > src[base+best*inner] {
						best = k
					}
				}
				if dim > 0 {
					dst[base+best*inner] = 1
				}
			}
		}
		return nil
	}), nil
}

func prepDepthToSpace(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("%s: needs a 4-D input, got %v", n.Label(), x.Shape)
	}
	b64 := n.Int("blocksize", 0)
	if b64 < 1 || b64 > 1<<16 {
		return nil, fmt.Errorf("%s: blocksize %d must be positive (and at most 65536)", n.Label(), b64)
	}
	b := int(b64)
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	// Both ops are a reshape to 6-D, a transpose, and a reshape back:
	// describe the transposed 6-D view by source strides.
	var view, perm []int
	var out []int
	if n.Op == "DepthToSpace" {
		if C%(b*b) != 0 {
			return nil, fmt.Errorf("%s: %d channels are not a multiple of blocksize² %d", n.Label(), C, b*b)
		}
		switch mode := n.String("mode", "DCR"); mode {
		case "DCR":
			view, perm = []int{N, b, b, C / (b * b), H, W}, []int{0, 3, 4, 1, 5, 2}
		case "CRD":
			view, perm = []int{N, C / (b * b), b, b, H, W}, []int{0, 1, 4, 2, 5, 3}
		default:
			return nil, fmt.Errorf("%s: unknown mode %q", n.Label(), mode)
		}
		out = []int{N, C / (b * b), H * b, W * b}
	} else {
		if H%b != 0 || W%b != 0 {
			return nil, fmt.Errorf("%s: spatial size %dx%d is not a multiple of blocksize %d", n.Label(), H, W, b)
		}
		view, perm = []int{N, C, H / b, b, W / b, b}, []int{0, 3, 5, 1, 2, 4}
		out = []int{N, C * b * b, H / b, W / b}
	}
	vst := strides(view)
	shape, sstr := make([]int, 6), make([]int, 6)
	for i, p := range perm {
		shape[i], sstr[i] = view[p], vst[p]
	}
	return one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		gatherCopy(x.DType, o[0], in[0], shape, sstr, 0)
		return nil
	}), nil
}

func prepLRN(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 || len(x.Shape) < 2 {
		return nil, fmt.Errorf("%s: needs a float input with channels, got %v", n.Label(), x)
	}
	size := int(n.Int("size", 0))
	if size < 1 {
		return nil, fmt.Errorf("%s: size must be positive", n.Label())
	}
	alpha, beta, bias := float64(n.Float("alpha", 1e-4)), float64(n.Float("beta", 0.75)), float64(n.Float("bias", 1))
	lo, hi := (size-1)/2, size-1-(size-1)/2 // channels before and after c in the window
	N, C, sp := x.Shape[0], x.Shape[1], graph.NumElems(x.Shape[2:])
	pr := one(graph.Float32, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, o[0].F
		for b := 0; b < N; b++ {
			for ch := 0; ch < C; ch++ {
				for p := 0; p < sp; p++ {
					var sq float64
					for k := max(0, ch-lo); k <= min(C-1, ch+hi); k++ {
						v := float64(src[(b*C+k)*sp+p])
						sq += v * v
					}
					i := (b*C+ch)*sp + p
					dst[i] = float32(float64(src[i]) / math.Pow(bias+alpha/float64(size)*sq, beta))
				}
			}
		}
		return nil
	})
	pr.flops = float64(graph.NumElems(x.Shape)) * float64(min(size, C))
	return pr, nil
}

func prepTrilu(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	r := len(x.Shape)
	if r < 2 {
		return nil, fmt.Errorf("%s: needs rank >= 2, got %v", n.Label(), x.Shape)
	}
	k := int64(0)
	if len(in) > 1 && in[1] != nil {
		t, err := needConst(n, in, 1, "k")
		if err != nil {
			return nil, err
		}
		k = t.AsInts()[0]
	}
	upper := n.Int("upper", 1) == 1
	rows, cols := x.Shape[r-2], x.Shape[r-1]
	return one(x.DType, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		for i := 0; i < o[0].Len(); i++ {
			row, col := int64(i/cols%rows), int64(i%cols)
			keep := col-row >= k
			if !upper {
				keep = col-row <= k
			}
			switch x.DType {
			case graph.Float32:
				o[0].F[i] = 0
				if keep {
					o[0].F[i] = in[0].F[i]
				}
			case graph.Int64:
				o[0].I[i] = 0
				if keep {
					o[0].I[i] = in[0].I[i]
				}
			case graph.Bool:
				o[0].B[i] = keep && in[0].B[i]
			}
		}
		return nil
	}), nil
}

func prepCumSum(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 && x.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), x.DType)
	}
	at, err := needConst(n, in, 1, "axis")
	if err != nil {
		return nil, err
	}
	axis, err := normAxis(n, at.AsInts()[0], len(x.Shape))
	if err != nil {
		return nil, err
	}
	excl, rev := n.Int("exclusive", 0) == 1, n.Int("reverse", 0) == 1
	outer, dim, inner := around(x.Shape, axis)
	return one(x.DType, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		for b := 0; b < outer; b++ {
			for j := 0; j < inner; j++ {
				var accF float64
				var accI int64
				for s := 0; s < dim; s++ {
					k := s
					if rev {
						k = dim - 1 - s
					}
					i := (b*dim+k)*inner + j
					if x.DType == graph.Float32 {
						v := float64(in[0].F[i])
						if !excl {
							accF += v
						}
						o[0].F[i] = float32(accF)
						if excl {
							accF += v
						}
					} else {
						v := in[0].I[i]
						if !excl {
							accI += v
						}
						o[0].I[i] = accI
						if excl {
							accI += v
						}
					}
				}
			}
		}
		return nil
	}), nil
}

func prepGatherElements(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, idx := in[0], in[1]
	if idx.DType != graph.Int64 || len(idx.Shape) != len(x.Shape) {
		return nil, fmt.Errorf("%s: needs integer indices of the data's rank, got %v for %v", n.Label(), idx, x)
	}
	axis, err := normAxis(n, n.Int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	out := copyShape(idx.Shape)
	xst, ost := strides(x.Shape), strides(out)
	dim := x.Shape[axis]
	return one(x.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		for i, id := range in[1].I {
			if id < 0 {
				id += int64(dim)
			}
			if id < 0 || id >= int64(dim) {
				return fmt.Errorf("index %d out of range for dimension %d", in[1].I[i], dim)
			}
			src := 0
			for d := range out {
				c := i / ost[d] % out[d]
				if d == axis {
					c = int(id)
				}
				src += c * xst[d]
			}
			switch x.DType {
			case graph.Float32:
				o[0].F[i] = in[0].F[src]
			case graph.Int64:
				o[0].I[i] = in[0].I[src]
			case graph.Bool:
				o[0].B[i] = in[0].B[src]
			}
		}
		return nil
	}), nil
}

func prepTopK(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 && x.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), x.DType)
	}
	k := n.Int("k", -1)
	if c.opset >= 10 {
		kt, err := needConst(n, in, 1, "k")
		if err != nil {
			return nil, err
		}
		k = kt.AsInts()[0]
	}
	axis, err := normAxis(n, n.Int("axis", -1), len(x.Shape))
	if err != nil {
		return nil, err
	}
	outer, dim, inner := around(x.Shape, axis)
	if k < 0 || k > int64(dim) {
		return nil, fmt.Errorf("%s: k = %d for an axis of %d", n.Label(), k, dim)
	}
	largest := n.Int("largest", 1) == 1
	out := copyShape(x.Shape)
	out[axis] = int(k)
	K := int(k)
	pr := &prepared{outs: []Value{{DType: x.DType, Shape: out}, {DType: graph.Int64, Shape: copyShape(out)}}}
	// Ties keep the lower index first; NaN counts as the largest. The sort
	// works on buffers made here, so a run allocates nothing.
	order := make([]int, dim)
	keys := make([]float64, dim)
	before := func(vp, vq float64) bool {
		if largest {
			return vp > vq || vp != vp && vq == vq
		}
		return vp < vq || vq != vq && vp == vp
	}
	cmp := func(p, q int) int {
		switch {
		case before(keys[p], keys[q]):
			return -1
		case before(keys[q], keys[p]):
			return 1
		}
		return 0
	}
	pr.run = func(in, o []*graph.Tensor, _ []float32) error {
		for b := 0; b < outer; b++ {
			for j := 0; j < inner; j++ {
				base := b*dim*inner + j
				for i := range order {
					order[i] = i
					if x.DType == graph.Float32 {
						keys[i] = float64(in[0].F[base+i*inner])
					} else {
						keys[i] = float64(in[0].I[base+i*inner])
					}
				}
				slices.SortStableFunc(order, cmp)
				for r := 0; r < K; r++ {
					src, dst := base+order[r]*inner, (b*K+r)*inner+j
					if o[0] != nil {
						if x.DType == graph.Float32 {
							o[0].F[dst] = in[0].F[src]
						} else {
							o[0].I[dst] = in[0].I[src]
						}
					}
					if len(o) > 1 && o[1] != nil {
						o[1].I[dst] = int64(order[r])
					}
				}
			}
		}
		return nil
	}
	return pr, nil
}

func prepIsNaN(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs a float input", n.Label())
	}
	neg, pos := n.Int("detect_negative", 1) == 1, n.Int("detect_positive", 1) == 1
	isNaN := n.Op == "IsNaN"
	return one(graph.Bool, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		for i, v := range in[0].F {
			if isNaN {
				o[0].B[i] = v != v
			} else {
				f := float64(v)
				o[0].B[i] = neg && math.IsInf(f, -1) || pos && math.IsInf(f, 1)
			}
		}
		return nil
	}), nil
}

func prepEyeLike(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) != 2 {
		return nil, fmt.Errorf("%s: needs a 2-D input, got %v", n.Label(), x.Shape)
	}
	dt := x.DType
	if n.Has("dtype") {
		if dt = graph.ElemDType(n.Int("dtype", 0)); dt == graph.Undefined {
			return nil, fmt.Errorf("%s: dtype %d is not supported", n.Label(), n.Int("dtype", 0))
		}
	}
	k := n.Int("k", 0)
	rows, cols := x.Shape[0], x.Shape[1]
	// The output depends on the input's shape only: a kernel that the
	// builder folds, whether or not the input is known, once its size
	// has passed the budget.
	pr := one(dt, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		t := o[0]
		clear(t.F)
		clear(t.I)
		clear(t.B)
		for r := 0; r < rows; r++ {
			if col := int64(r) + k; col >= 0 && col < int64(cols) {
				i := r*cols + int(col)
				switch dt {
				case graph.Float32:
					t.F[i] = 1
				case graph.Int64:
					t.I[i] = 1
				case graph.Bool:
					t.B[i] = true
				}
			}
		}
		return nil
	})
	pr.shapeOnly = true
	return pr, nil
}

func prepOneHot(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 3); err != nil {
		return nil, err
	}
	idx, vals := in[0], in[2]
	dt, err := needConst(n, in, 1, "depth")
	if err != nil {
		return nil, err
	}
	if dt.Len() != 1 {
		return nil, fmt.Errorf("%s: depth must hold one value", n.Label())
	}
	depth, err := graph.CheckDimFloat("depth", float64(dt.AsFloats()[0]), 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", n.Label(), err)
	}
	if vals == nil || graph.NumElems(vals.Shape) != 2 || vals.DType == graph.Bool {
		return nil, fmt.Errorf("%s: values must be two numbers, got %v", n.Label(), vals)
	}
	axis, err := normAxis(n, n.Int("axis", -1), len(idx.Shape)+1)
	if err != nil {
		return nil, err
	}
	out := append(append(copyShape(idx.Shape[:axis]), depth), idx.Shape[axis:]...)
	outer, inner := graph.NumElems(idx.Shape[:axis]), graph.NumElems(idx.Shape[axis:])
	return one(vals.DType, out, func(in, o []*graph.Tensor, _ []float32) error {
		ids := in[0].AsFloats()
		for b := 0; b < outer; b++ {
			for d := 0; d < depth; d++ {
				for j := 0; j < inner; j++ {
					id := int(ids[b*inner+j])
					if id < 0 {
						id += depth
					}
					v := 0
					if id == d {
						v = 1
					}
					at := (b*depth+d)*inner + j
					if vals.DType == graph.Float32 {
						o[0].F[at] = in[2].F[v]
					} else {
						o[0].I[at] = in[2].I[v]
					}
				}
			}
		}
		return nil
	}), nil
}

// prepCastLike is Cast to the type of the second input.
func prepCastLike(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	to := map[graph.DType]int64{graph.Float32: 1, graph.Int64: 7, graph.Bool: 9}[in[1].DType]
	cast := &graph.Node{Name: n.Name, Op: "Cast", Attrs: map[string]any{"to": to}, Inputs: n.Inputs[:1], Outputs: n.Outputs}
	return prepCast(c, cast, in[:1])
}

// prepMVN normalizes to zero mean and unit variance over axes (default N, H, W).
func prepMVN(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs a float input", n.Label())
	}
	axes := n.Ints("axes")
	if axes == nil {
		axes = []int64{0, 2, 3}
	}
	rank := len(x.Shape)
	red := make([]bool, rank)
	for _, a := range axes {
		ax, err := normAxis(n, a, rank)
		if err != nil {
			return nil, err
		}
		red[ax] = true
	}
	kshape := make([]int, rank)
	count := 1
	for i, d := range x.Shape {
		kshape[i] = d
		if red[i] {
			kshape[i] = 1
			count *= d
		}
	}
	ost := strides(kshape)
	for i := range ost {
		if red[i] {
			ost[i] = 0
		}
	}
	nstat := graph.NumElems(kshape)
	total := graph.NumElems(x.Shape)
	mean, sq := make([]float64, nstat), make([]float64, nstat) // made here: runs allocate nothing
	return one(graph.Float32, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		clear(mean)
		clear(sq)
		var cnt [16]int
		oi := 0
		for i := 0; i < total; i++ {
			v := float64(in[0].F[i])
			mean[oi] += v
			sq[oi] += v * v
			oi = advance(&cnt, x.Shape, ost, oi)
		}
		for i := range mean {
			mean[i] /= float64(count)
			sq[i] = math.Sqrt(max(sq[i]/float64(count)-mean[i]*mean[i], 0)) + 1e-9
		}
		cnt = [16]int{}
		oi = 0
		for i := 0; i < total; i++ {
			o[0].F[i] = float32((float64(in[0].F[i]) - mean[oi]) / sq[oi])
			oi = advance(&cnt, x.Shape, ost, oi)
		}
		return nil
	}), nil
}
