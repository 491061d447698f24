package grad

import (
	"math"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

// The vector-Jacobian products of the smooth elementwise ops, of the shape
// ops (Transpose, Slice, Gather, Expand, Split), of batched MatMul, Pow
// with a constant exponent, the reductions and the normalisations.

func unsupportedIn(s cpu.Step, why string) (func(), []*graph.Tensor, error) {
	return nil, nil, &UnsupportedError{Op: s.Node.Op, Node: s.Node.DisplayName(), Why: why}
}

func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// smoothDeriv is dy/dx of a smooth (or piecewise smooth) elementwise op
// from x and y, or nil.
func smoothDeriv(n *graph.Node) func(x, y float32) float32 {
	switch n.Op {
	case "Tanh":
		return func(_, y float32) float32 { return 1 - y*y }
	case "Erf":
		const c = 2 / 1.7724538509055159 // 2/√π
		return func(x, _ float32) float32 { v := float64(x); return float32(c * math.Exp(-v*v)) }
	case "Gelu":
		if n.String("approximate", "none") == "tanh" {
			k := math.Sqrt(2 / math.Pi)
			return func(x, _ float32) float32 {
				v := float64(x)
				t := math.Tanh(k * (v + 0.044715*v*v*v))
				return float32(0.5*(1+t) + 0.5*v*(1-t*t)*k*(1+3*0.044715*v*v))
			}
		}
		return func(x, _ float32) float32 {
			v := float64(x)
			return float32(0.5*(1+math.Erf(v/math.Sqrt2)) + v*math.Exp(-v*v/2)/math.Sqrt(2*math.Pi))
		}
	case "Sqrt":
		return func(_, y float32) float32 { return 0.5 / y }
	case "Exp":
		return func(_, y float32) float32 { return y }
	case "Log":
		return func(x, _ float32) float32 { return 1 / x }
	case "Neg":
		return func(_, _ float32) float32 { return -1 }
	case "Abs":
		return func(x, _ float32) float32 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		}
	case "Reciprocal":
		return func(_, y float32) float32 { return -y * y }
	case "Sin":
		return func(x, _ float32) float32 { return float32(math.Cos(float64(x))) }
	case "Cos":
		return func(x, _ float32) float32 { return float32(-math.Sin(float64(x))) }
	case "Softplus":
		return func(x, _ float32) float32 {
			if x > 20 { // the forward pass returns x there
				return 1
			}
			return float32(sigmoid64(float64(x)))
		}
	case "Softsign":
		return func(x, _ float32) float32 {
			d := 1 + float32(math.Abs(float64(x)))
			return 1 / (d * d)
		}
	case "Elu":
		a := float64(n.Float("alpha", 1))
		return func(x, _ float32) float32 {
			if x < 0 {
				return float32(a * math.Exp(float64(x)))
			}
			return 1
		}
	case "Selu":
		a, g := float64(n.Float("alpha", 1.67326319217681884765625)), float64(n.Float("gamma", 1.05070102214813232421875))
		return func(x, _ float32) float32 {
			if x <= 0 {
				return float32(g * a * math.Exp(float64(x)))
			}
			return float32(g)
		}
	case "Celu":
		a := float64(n.Float("alpha", 1))
		return func(x, _ float32) float32 {
			if x < 0 {
				return float32(math.Exp(float64(x) / a))
			}
			return 1
		}
	case "Mish":
		return func(x, _ float32) float32 {
			v := float64(x)
			sp := math.Log1p(math.Exp(v))
			t := math.Tanh(sp)
			return float32(t + v*(1-t*t)*sigmoid64(v))
		}
	case "ThresholdedRelu":
		a := n.Float("alpha", 1)
		return func(x, _ float32) float32 { return step(x > a) }
	}
	return nil
}

// stridedIndex maps each element of a tensor of shape out to the input
// element base + Σ i_k·st[k] it copies (Transpose, Slice).
func stridedIndex(out, st []int, base int) []int32 {
	r := len(out)
	idx := make([]int32, graph.NumElems(out))
	pos := make([]int, r)
	off := base
	for i := range idx {
		idx[i] = int32(off)
		for d := r - 1; d >= 0; d-- {
			pos[d]++
			off += st[d]
			if pos[d] < out[d] {
				break
			}
			off -= st[d] * pos[d]
			pos[d] = 0
		}
	}
	return idx
}

// scatterBack adds dy[i] to dx[idx[i]].
func scatterBack(idx []int32, dy, dx []float32) (func(), []*graph.Tensor, error) {
	if dx == nil {
		return func() {}, nil, nil
	}
	return func() {
		for i, g := range dy {
			if g != 0 {
				dx[idx[i]] += g
			}
		}
	}, nil, nil
}

func rowStrides(shape []int) []int {
	st := make([]int, len(shape))
	acc := 1
	for d := len(shape) - 1; d >= 0; d-- {
		st[d] = acc
		acc *= shape[d]
	}
	return st
}

func normAxis(a int64, rank int) (int, bool) {
	if a < 0 {
		a += int64(rank)
	}
	return int(a), a >= 0 && a < int64(rank)
}

func transposeBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	x := s.In[0]
	rank := len(x.Shape)
	perm := s.Node.Ints("perm")
	if perm == nil {
		for i := rank - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != rank {
		return unsupportedIn(s, "a perm that does not match the rank")
	}
	st := rowStrides(x.Shape)
	out := make([]int, rank)
	sst := make([]int, rank)
	for i, p := range perm {
		if p < 0 || int(p) >= rank {
			return unsupportedIn(s, "a bad perm")
		}
		out[i], sst[i] = x.Shape[p], st[p]
	}
	return scatterBack(stridedIndex(out, sst, 0), dy, dx[0])
}

func sliceBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	sp, ok := s.Params.(cpu.SliceParams)
	y := s.Out[0]
	if !ok || len(sp.Strides) != len(y.Shape) {
		return unsupportedIn(s, "no resolved parameters")
	}
	if len(dy) == 0 {
		return func() {}, nil, nil
	}
	return scatterBack(stridedIndex(y.Shape, sp.Strides, sp.Base), dy, dx[0])
}

func expandBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	return scatterBack(broadcastIndex(s.Out[0].Shape, s.In[0].Shape), dy, dx[0])
}

// gatherBack scatter-adds the gradient of a Gather back to the rows its
// (constant or run-time) indices picked; indices may repeat or be negative.
func gatherBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	x, ix := s.In[0], s.In[1]
	if ix == nil || ix.DType != graph.Int64 {
		return unsupportedIn(s, "indices that are not int64")
	}
	axis, ok := normAxis(s.Node.Int("axis", 0), len(x.Shape))
	if !ok {
		return unsupportedIn(s, "axis out of range")
	}
	d := dx[0]
	if d == nil {
		return func() {}, nil, nil
	}
	outer := graph.NumElems(x.Shape[:axis])
	inner := graph.NumElems(x.Shape[axis+1:])
	dim := x.Shape[axis]
	return func() {
		ids := ix.I
		for b := 0; b < outer; b++ {
			for k, id := range ids {
				if id < 0 {
					id += int64(dim)
				}
				if id < 0 || id >= int64(dim) {
					continue
				}
				src := dy[(b*len(ids)+k)*inner : (b*len(ids)+k+1)*inner]
				dst := d[(b*dim+int(id))*inner : (b*dim+int(id)+1)*inner]
				for i, g := range src {
					dst[i] += g
				}
			}
		}
	}, []*graph.Tensor{ix}, nil
}

// multiOutput says whether backwardMulti takes the gradients of every
// output of s.
func multiOutput(s cpu.Step) bool {
	return !s.Alias && s.Node.Op == "Split"
}

// backwardMulti is backward for the ops whose every output may carry a
// gradient: dys[k] is output k's, or nil.
func backwardMulti(s cpu.Step, dys [][]float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	switch s.Node.Op {
	case "Split":
		return splitBack(s, dys, dx)
	}
	return unsupportedIn(s, "")
}

func splitBack(s cpu.Step, dys [][]float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	x := s.In[0]
	axis, ok := normAxis(s.Node.Int("axis", 0), len(x.Shape))
	if !ok {
		return unsupportedIn(s, "axis out of range")
	}
	dim := x.Shape[axis]
	k := len(s.Out)
	// The split sizes: from the outputs that were computed, else from the
	// split input or attribute, else equal parts.
	sizes := make([]int, k)
	known := true
	for i, o := range s.Out {
		if o == nil {
			known = false
			break
		}
		sizes[i] = o.Shape[axis]
	}
	if !known {
		var sp []int64
		if len(s.In) > 1 && s.In[1] != nil && s.In[1].DType == graph.Int64 {
			sp = s.In[1].I
		} else if s.Node.Has("split") {
			sp = s.Node.Ints("split")
		}
		switch {
		case sp != nil:
			if len(sp) != k {
				return unsupportedIn(s, "split sizes that do not match the outputs")
			}
			for i, v := range sp {
				sizes[i] = int(v)
			}
		default:
			chunk := (dim + k - 1) / k
			for i := range sizes {
				sizes[i] = max(0, min(chunk, dim-i*chunk))
			}
		}
	}
	d := dx[0]
	if d == nil {
		return func() {}, nil, nil
	}
	outer := graph.NumElems(x.Shape[:axis])
	inner := graph.NumElems(x.Shape[axis+1:])
	offs := make([]int, k)
	at := 0
	for i, n := range sizes {
		offs[i] = at
		at += n
	}
	if at != dim {
		return unsupportedIn(s, "split sizes that do not add up")
	}
	return func() {
		for i, g := range dys {
			if g == nil {
				continue
			}
			l := sizes[i] * inner
			for o := 0; o < outer; o++ {
				src := g[o*l : (o+1)*l]
				dst := d[(o*dim+offs[i])*inner:]
				for j, v := range src {
					dst[j] += v
				}
			}
		}
	}, nil, nil
}

// matmulBack is MatMul of any rank with broadcast batch dimensions (numpy
// matmul): per batch, dA += dY·Bᵀ and dB += Aᵀ·dY, accumulated into the
// (possibly broadcast) batch of each operand.
func matmulBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	a, b := s.In[0], s.In[1]
	if a == nil || b == nil || a.DType != graph.Float32 || b.DType != graph.Float32 || len(a.Shape) == 0 || len(b.Shape) == 0 {
		return unsupportedIn(s, "not two float tensors of rank >= 1")
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	M, K, N := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	if bs[len(bs)-2] != K {
		return unsupportedIn(s, "inner dimensions differ")
	}
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	r := max(len(ab), len(bb))
	batch := make([]int, r)
	for i := range batch {
		da, db := 1, 1
		if j := i - (r - len(ab)); j >= 0 {
			da = ab[j]
		}
		if j := i - (r - len(bb)); j >= 0 {
			db = bb[j]
		}
		batch[i] = max(da, db)
		if da != db && da != 1 && db != 1 {
			return unsupportedIn(s, "batch dimensions that do not broadcast")
		}
	}
	nb := graph.NumElems(batch)
	if nb*M*N != len(dy) {
		return unsupportedIn(s, "an output shape that is not the operands' product")
	}
	ai := broadcastIndex(batch, ab)
	bi := broadcastIndex(batch, bb)
	da, db := dx[0], dx[1]
	var reads []*graph.Tensor
	if da != nil {
		reads = append(reads, b)
	}
	if db != nil {
		reads = append(reads, a)
	}
	return func() {
		af, bf := a.F, b.F
		for p := 0; p < nb; p++ {
			g := dy[p*M*N : (p+1)*M*N]
			if allZero(g) {
				continue
			}
			ao, bo := int(ai[p])*M*K, int(bi[p])*K*N
			if da != nil {
				kern.Gemm(false, true, M, K, N, 1, g, N, bf[bo:], N, 1, da[ao:], K)
			}
			if db != nil {
				kern.Gemm(true, false, K, N, M, 1, af[ao:], K, g, N, 1, db[bo:], N)
			}
		}
	}, reads, nil
}

// powBack is Pow with a constant exponent: d(x^p)/dx = p·x^(p−1).
func powBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	x, e, y := s.In[0], s.In[1], s.Out[0]
	if x == nil || e == nil || x.DType != graph.Float32 || e.DType != graph.Float32 && e.DType != graph.Int64 {
		return unsupportedIn(s, "not a float base and a float or int exponent")
	}
	if len(dx) > 1 && dx[1] != nil {
		return unsupportedIn(s, "a gradient to a run-time exponent")
	}
	d := dx[0]
	if d == nil {
		return func() {}, nil, nil
	}
	ix := broadcastIndex(y.Shape, x.Shape)
	ie := broadcastIndex(y.Shape, e.Shape)
	return func() {
		xf := x.F
		for i, g := range dy {
			if g == 0 {
				continue
			}
			var p float64
			if e.DType == graph.Int64 {
				p = float64(e.I[ie[i]])
			} else {
				p = float64(e.F[ie[i]])
			}
			v := xf[ix[i]]
			var dv float32
			switch p {
			case 0:
				dv = 0
			case 1:
				dv = 1
			case 2:
				dv = 2 * v
			default:
				dv = float32(p * math.Pow(float64(v), p-1))
			}
			d[ix[i]] += g * dv
		}
	}, []*graph.Tensor{x, e}, nil
}

// reduceBack spreads the gradient of a reduction over the elements it
// reduced. ReduceMax and ReduceMin send it to the first extreme element.
func reduceBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	rp, ok := s.Params.(cpu.ReduceParams)
	x, y := s.In[0], s.Out[0]
	if !ok || x == nil || x.DType != graph.Float32 || len(rp.Axes) != len(x.Shape) {
		return unsupportedIn(s, "no resolved parameters")
	}
	d := dx[0]
	if d == nil {
		return func() {}, nil, nil
	}
	kshape := make([]int, len(x.Shape))
	count := 1
	for i, n := range x.Shape {
		kshape[i] = n
		if rp.Axes[i] {
			kshape[i] = 1
			count *= n
		}
	}
	oi := broadcastIndex(x.Shape, kshape)
	op := s.Node.Op
	var taken []bool
	if op == "ReduceMax" || op == "ReduceMin" {
		taken = make([]bool, len(y.F))
	}
	inv := 1 / float32(count)
	return func() {
		xf, yf := x.F, y.F
		clear(taken)
		for i, o := range oi {
			g := dy[o]
			if g == 0 {
				continue
			}
			switch op {
			case "ReduceSum":
				d[i] += g
			case "ReduceMean":
				d[i] += g * inv
			case "ReduceSumSquare":
				d[i] += 2 * g * xf[i]
			case "ReduceL1":
				if xf[i] > 0 {
					d[i] += g
				} else if xf[i] < 0 {
					d[i] -= g
				}
			case "ReduceL2":
				if yf[o] != 0 {
					d[i] += g * xf[i] / yf[o]
				}
			case "ReduceLogSumExp":
				d[i] += g * float32(math.Exp(float64(xf[i])-float64(yf[o])))
			case "ReduceMax", "ReduceMin":
				if !taken[o] && xf[i] == yf[o] {
					taken[o] = true
					d[i] += g
				}
			}
		}
	}, []*graph.Tensor{x, y}, nil
}

// normRowBack adds to dx the gradient of one row normalised to zero mean
// and unit variance (before the scale, already folded into g = dy·scale):
// dx = inv·(g − mean(g) − x̂·mean(g·x̂)).
func normRowBack(x, g, dx []float32, eps float64) {
	n := float64(len(x))
	var mean, vr float64
	for _, v := range x {
		mean += float64(v)
	}
	mean /= n
	for _, v := range x {
		d := float64(v) - mean
		vr += d * d
	}
	vr /= n
	inv := 1 / math.Sqrt(vr+eps)
	var mg, mgx float64
	for i, v := range x {
		xh := (float64(v) - mean) * inv
		mg += float64(g[i])
		mgx += float64(g[i]) * xh
	}
	mg /= n
	mgx /= n
	for i, v := range x {
		xh := (float64(v) - mean) * inv
		dx[i] += float32(inv * (float64(g[i]) - mg - xh*mgx))
	}
}

// layerNormBack differentiates LayerNormalization's first output with
// respect to X; scale and bias get no gradient.
func layerNormBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	x, sc := s.In[0], s.In[1]
	if x == nil || sc == nil || x.DType != graph.Float32 || sc.DType != graph.Float32 {
		return unsupportedIn(s, "not float inputs")
	}
	for j := 1; j < len(dx); j++ {
		if dx[j] != nil {
			return unsupportedIn(s, "a gradient to a run-time scale or bias")
		}
	}
	axis, ok := normAxis(s.Node.Int("axis", -1), len(x.Shape))
	if !ok {
		return unsupportedIn(s, "axis out of range")
	}
	d := dx[0]
	if d == nil {
		return func() {}, nil, nil
	}
	eps := float64(s.Node.Float("epsilon", 1e-5))
	norm := x.Shape[axis:]
	size := graph.NumElems(norm)
	outer := graph.NumElems(x.Shape[:axis])
	si := broadcastIndex(norm, sc.Shape)
	g := make([]float32, size)
	return func() {
		xf, sf := x.F, sc.F
		for b := 0; b < outer; b++ {
			dr := dy[b*size : (b+1)*size]
			if allZero(dr) {
				continue
			}
			for i, v := range dr {
				g[i] = v * sf[si[i]]
			}
			normRowBack(xf[b*size:(b+1)*size], g, d[b*size:(b+1)*size], eps)
		}
	}, []*graph.Tensor{x, sc}, nil
}

// batchNormBack is inference-mode BatchNormalization, an affine map per
// channel (x·scale/√(var+ε) + …), and InstanceNormalization, which
// normalises each plane by its own statistics. The parameters get no
// gradient.
func batchNormBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	x := s.In[0]
	inst := s.Node.Op == "InstanceNormalization"
	nin := 5
	if inst {
		nin = 3
	}
	if x == nil || x.DType != graph.Float32 || len(x.Shape) < 2 || len(s.In) < nin {
		return unsupportedIn(s, "not a float input with channels")
	}
	for j := 1; j < nin; j++ {
		if s.In[j] == nil || s.In[j].DType != graph.Float32 {
			return unsupportedIn(s, "parameters that are not float")
		}
		if j < len(dx) && dx[j] != nil {
			return unsupportedIn(s, "a gradient to run-time parameters")
		}
	}
	d := dx[0]
	if d == nil {
		return func() {}, nil, nil
	}
	N, C := x.Shape[0], x.Shape[1]
	size := graph.NumElems(x.Shape[2:])
	eps := float64(s.Node.Float("epsilon", 1e-5))
	scale := s.In[1]
	if !inst {
		vr := s.In[4]
		return func() {
			for b := 0; b < N; b++ {
				for c := 0; c < C; c++ {
					k := float32(float64(scale.F[c]) / math.Sqrt(float64(vr.F[c])+eps))
					off := (b*C + c) * size
					dst := d[off : off+size]
					for i, g := range dy[off : off+size] {
						dst[i] += g * k
					}
				}
			}
		}, []*graph.Tensor{scale, vr}, nil
	}
	g := make([]float32, size)
	return func() {
		for b := 0; b < N; b++ {
			for c := 0; c < C; c++ {
				off := (b*C + c) * size
				dr := dy[off : off+size]
				if allZero(dr) {
					continue
				}
				k := scale.F[c]
				for i, v := range dr {
					g[i] = v * k
				}
				normRowBack(x.F[off:off+size], g, d[off:off+size], eps)
			}
		}
	}, []*graph.Tensor{x, scale}, nil
}
