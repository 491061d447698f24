// Package grad computes reverse-mode gradients over a compiled CPU program
// (model/cpu): the gradient of chosen run-time tensors (the seeds, weighted
// by a seed gradient) with respect to other run-time tensors (wrt), from
// the activations a forward run left in the program's buffers.
//
// A Plan is built once per program and choice of tensors: it keeps the
// steps that lie between wrt and the seeds, in reverse order, and one
// gradient buffer per tensor on the way, allocated once. Each
// Plan.Backward then reads the saved activations and allocates nothing.
//
// The activations must still be there when Backward runs: an optimised
// program shares its arena between tensors whose lifetimes do not overlap,
// so New refuses a program that reuses the buffer of an activation the
// backward pass reads. Compile the program with cpu.Options{NoReuse: true}
// (every run-time tensor keeps a buffer of its own: the program holds the
// sum of all its activations, not just the largest live set) and run it
// forward before each Backward.
//
// Gradients flow through Conv and FusedConv (groups, strides, pads,
// dilations; the fused bias, residual and every kern activation), Gemm
// and MatMul (any rank, broadcast batch dimensions, 1-D operands),
// broadcasting Add/Sub/Mul/Div, Pow with a constant exponent (to the base
// only), the elementwise Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid,
// HardSwish, Tanh, Erf, Gelu (exact and tanh), Sqrt, Exp, Log, Neg, Abs,
// Reciprocal, Sin, Cos, Softplus, Softsign, Elu, Selu, Celu, Mish and
// ThresholdedRelu, GlobalAveragePool, 2-D AveragePool and MaxPool,
// Softmax and LogSoftmax, ReduceMean, ReduceSum, ReduceSumSquare,
// ReduceL1, ReduceL2, ReduceLogSumExp, ReduceMax and ReduceMin (to the
// first extreme element), LayerNormalization, inference-mode
// BatchNormalization and InstanceNormalization (to X only: scale, bias,
// mean and variance get none), the shape ops Concat, Split (a gradient
// through any of its outputs), Slice (any axes and steps), Transpose,
// Gather (constant or run-time indices, repeated or negative) and Expand,
// and the aliases (Reshape, Flatten, Squeeze, Unsqueeze, Identity). Other
// multi-output ops take a gradient through their first output only. Any
// other op between wrt and the seeds is an *UnsupportedError naming it.
// Weights get no gradient: constants are not differentiated.
//
// The package is pure Go and does no I/O.
package grad

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

// UnsupportedError names an op that lies between wrt and the seeds and has
// no gradient here.
type UnsupportedError struct {
	Op, Node string
	Why      string // what about it is unsupported, or ""
}

func (e *UnsupportedError) Error() string {
	s := fmt.Sprintf("grad: no gradient for op %s in node %q", e.Op, e.Node)
	if e.Why != "" {
		s += " (" + e.Why + ")"
	}
	return s
}

// Plan is the backward pass of a program for fixed seeds and wrt tensors.
// It is not safe for concurrent use.
type Plan struct {
	prog  *cpu.Program
	seeds map[*graph.Tensor]bool
	wrt   []*graph.Tensor
	grads map[*graph.Tensor][]float32 // every tensor on the way, with its gradient buffer
	bufs  [][]float32
	steps []func() // in reverse order
	out   map[*graph.Tensor][]float32
	// Steps counts the program's steps the backward pass runs through.
	Steps int
}

// New builds the backward plan of p from seeds to wrt (all float32
// run-time tensors of p: step outputs or p.Inputs).
func New(p *cpu.Program, seeds, wrt []*graph.Tensor) (*Plan, error) {
	if p == nil {
		return nil, errors.New("grad: no program")
	}
	if len(seeds) == 0 || len(wrt) == 0 {
		return nil, errors.New("grad: no seeds or no tensors to differentiate")
	}
	plan := p.Plan()
	known := map[*graph.Tensor]bool{}
	for _, t := range p.Inputs {
		known[t] = true
	}
	for _, s := range plan {
		for _, o := range s.Out {
			if o != nil {
				known[o] = true
			}
		}
	}
	for _, t := range append(append([]*graph.Tensor{}, seeds...), wrt...) {
		if t == nil || !known[t] || p.IsConst(t) {
			return nil, errors.New("grad: a seed or wrt tensor is not a run-time tensor of the program")
		}
		if t.DType != graph.Float32 {
			return nil, fmt.Errorf("grad: a %s tensor %v has no gradient", t.DType, t.Shape)
		}
	}
	isFloat := func(t *graph.Tensor) bool { return t != nil && t.DType == graph.Float32 && !p.IsConst(t) }
	// needed: the seeds and what they depend on; reached: wrt and what
	// depends on it.
	needed := Needs(p, seeds...)
	reached := map[*graph.Tensor]bool{}
	for _, t := range wrt {
		reached[t] = true
	}
	for _, s := range plan {
		hit := false
		for _, in := range s.In {
			hit = hit || reached[in]
		}
		if hit {
			for _, o := range s.Out {
				if isFloat(o) {
					reached[o] = true
				}
			}
		}
	}
	g := &Plan{prog: p, seeds: map[*graph.Tensor]bool{}, wrt: wrt, grads: map[*graph.Tensor][]float32{}, out: map[*graph.Tensor][]float32{}}
	buf := func(t *graph.Tensor) []float32 {
		if b, ok := g.grads[t]; ok {
			return b
		}
		b := make([]float32, len(t.F))
		g.grads[t] = b
		g.bufs = append(g.bufs, b)
		return b
	}
	for _, t := range seeds {
		g.seeds[t] = true
		buf(t)
	}
	for _, t := range wrt {
		g.out[t] = buf(t)
	}
	on := func(t *graph.Tensor) bool { return t != nil && needed[t] && reached[t] }
	var saved []*graph.Tensor // activations the backward pass reads
	var savedAt []int
	for i := len(plan) - 1; i >= 0; i-- {
		s := plan[i]
		// dys[k] is the gradient buffer of output k, or nil where no
		// gradient flows back through it.
		var dys [][]float32
		for k, o := range s.Out {
			if on(o) {
				if dys == nil {
					dys = make([][]float32, len(s.Out))
				}
				dys[k] = buf(o)
			}
		}
		if dys == nil {
			continue
		}
		if !multiOutput(s) && (dys[0] == nil || countNonNil(dys) > 1) {
			return nil, &UnsupportedError{Op: s.Node.Op, Node: s.Node.DisplayName(), Why: "a gradient through an output other than the first"}
		}
		dx := make([][]float32, len(s.In))
		anyIn := false
		for j, in := range s.In {
			if on(in) {
				dx[j] = buf(in)
				anyIn = true
			}
		}
		if !anyIn {
			continue
		}
		var f func()
		var reads []*graph.Tensor
		var err error
		if multiOutput(s) {
			f, reads, err = backwardMulti(s, dys, dx)
		} else {
			f, reads, err = backward(s, dys[0], dx)
		}
		if err != nil {
			return nil, err
		}
		g.steps = append(g.steps, f)
		g.Steps++
		for _, t := range reads {
			saved = append(saved, t)
			savedAt = append(savedAt, i)
		}
	}
	if err := checkReuse(p, plan, saved, savedAt); err != nil {
		return nil, err
	}
	return g, nil
}

// checkReuse fails when a later step writes over an activation the
// backward pass of step at reads (float activations, and the int64 ones
// such as run-time Gather indices).
func checkReuse(p *cpu.Program, plan []cpu.Step, saved []*graph.Tensor, at []int) error {
	for k, t := range saved {
		if t == nil || p.IsConst(t) || len(t.F) == 0 && len(t.I) == 0 {
			continue
		}
		for j := at[k]; j < len(plan); j++ {
			s := plan[j]
			if s.Alias {
				continue
			}
			for oi, o := range s.Out {
				if o == nil || o == t || o.DType != t.DType {
					continue
				}
				if j == at[k] && oi == 0 {
					continue // the step's own output is read as it was written
				}
				if t.DType == graph.Float32 && len(o.F) > 0 && overlap(t.F, o.F) ||
					t.DType == graph.Int64 && len(o.I) > 0 && overlapI(t.I, o.I) {
					return fmt.Errorf("grad: %s writes over an activation its backward pass needs; compile the program with cpu.Options{NoReuse: true}", s.Node.Label())
				}
			}
		}
	}
	return nil
}

func overlap(a, b []float32) bool {
	a0 := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	b0 := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	a1, b1 := a0+4*uintptr(len(a)), b0+4*uintptr(len(b))
	return a0 < b1 && b0 < a1
}

func overlapI(a, b []int64) bool {
	a0 := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	b0 := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	a1, b1 := a0+8*uintptr(len(a)), b0+8*uintptr(len(b))
	return a0 < b1 && b0 < a1
}

func countNonNil(v [][]float32) int {
	n := 0
	for _, x := range v {
		if x != nil {
			n++
		}
	}
	return n
}

// Backward runs the plan: seed gives the gradient of each seed tensor
// (as many values as the tensor; seeds left out are zero), and the result
// the gradient of each wrt tensor. The returned slices belong to the plan
// and hold until the next Backward. The program's activations must be
// those of the forward run being differentiated.
func (g *Plan) Backward(seed map[*graph.Tensor][]float32) (map[*graph.Tensor][]float32, error) {
	for _, b := range g.bufs {
		clear(b)
	}
	for t, v := range seed {
		if !g.seeds[t] {
			return nil, errors.New("grad: a seed gradient for a tensor the plan was not built for")
		}
		if len(v) != len(g.grads[t]) {
			return nil, fmt.Errorf("grad: a seed gradient of %d values for a tensor %v", len(v), t.Shape)
		}
		copy(g.grads[t], v)
	}
	for _, f := range g.steps {
		f()
	}
	return g.out, nil
}

// Backward builds a plan and runs it once (see New and Plan.Backward).
func Backward(p *cpu.Program, seed map[*graph.Tensor][]float32, wrt ...*graph.Tensor) (map[*graph.Tensor][]float32, error) {
	seeds := make([]*graph.Tensor, 0, len(seed))
	for t := range seed {
		seeds = append(seeds, t)
	}
	g, err := New(p, seeds, wrt)
	if err != nil {
		return nil, err
	}
	return g.Backward(seed)
}

// backward returns the vector-Jacobian product of step s: it adds to the
// dx[j] that are not nil the gradient of input j, given dy, the gradient
// of the first output; reads are the activations it reads (see
// backwardMulti for the ops that take the gradient of every output).
func backward(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	n := s.Node
	unsupported := func(why string) (func(), []*graph.Tensor, error) {
		return nil, nil, &UnsupportedError{Op: n.Op, Node: n.DisplayName(), Why: why}
	}
	y := s.Out[0]
	in := func(j int) *graph.Tensor {
		if j < len(s.In) {
			return s.In[j]
		}
		return nil
	}
	if s.Alias {
		return aliasBack(dy, dx[0]), nil, nil
	}
	switch n.Op {
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout":
		if dx[0] == nil || len(dx[0]) != len(dy) {
			return unsupported("not an alias")
		}
		return aliasBack(dy, dx[0]), nil, nil
	case "Conv", "FusedConv":
		return convBack(s, dy, dx)
	case "Gemm":
		return gemmBack(s, dy, dx)
	case "MatMul":
		return matmulBack(s, dy, dx)
	case "Pow":
		return powBack(s, dy, dx)
	case "Transpose":
		return transposeBack(s, dy, dx)
	case "Slice":
		return sliceBack(s, dy, dx)
	case "Gather":
		return gatherBack(s, dy, dx)
	case "Expand":
		return expandBack(s, dy, dx)
	case "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceMax", "ReduceMin":
		return reduceBack(s, dy, dx)
	case "LayerNormalization":
		return layerNormBack(s, dy, dx)
	case "BatchNormalization", "InstanceNormalization":
		return batchNormBack(s, dy, dx)
	case "Add", "Sub", "Mul", "Div":
		if len(s.In) != 2 || in(0) == nil || in(1) == nil || in(0).DType != graph.Float32 || in(1).DType != graph.Float32 {
			return unsupported("not two float inputs")
		}
		return binaryBack(n.Op, in(0), in(1), y, dy, dx)
	case "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish",
		"Tanh", "Erf", "Gelu", "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Sin", "Cos",
		"Softplus", "Softsign", "Elu", "Selu", "Celu", "Mish", "ThresholdedRelu":
		x := in(0)
		if x == nil || x.DType != graph.Float32 {
			return unsupported("not a float input")
		}
		d := dx[0]
		if d == nil {
			return func() {}, nil, nil
		}
		df, err := unaryDeriv(s)
		if err != nil {
			return unsupported(err.Error())
		}
		xf, yf := x.F, y.F
		return func() {
			for i, g := range dy {
				if g != 0 {
					d[i] += g * df(xf[i], yf[i])
				}
			}
		}, []*graph.Tensor{x, y}, nil
	case "GlobalAveragePool":
		x := in(0)
		d := dx[0]
		S := len(x.F) / max(len(y.F), 1)
		inv := 1 / float32(S)
		return func() {
			for p, g := range dy {
				g *= inv
				row := d[p*S : (p+1)*S]
				for i := range row {
					row[i] += g
				}
			}
		}, nil, nil
	case "AveragePool", "MaxPool":
		pp, ok := s.Params.(cpu.PoolParams)
		if !ok {
			return unsupported("only 1-D and 2-D pools")
		}
		return poolBack(pp, in(0), dy, dx[0])
	case "Softmax", "LogSoftmax":
		sp, ok := s.Params.(cpu.SoftmaxParams)
		if !ok {
			return unsupported("no resolved parameters")
		}
		return softmaxBack(sp, y, dy, dx[0])
	case "Concat":
		return concatBack(s, dy, dx)
	}
	return unsupported("")
}

func aliasBack(dy, dx []float32) func() {
	return func() {
		for i, g := range dy {
			dx[i] += g
		}
	}
}

// unaryDeriv is dy/dx of an elementwise activation, from x and y.
func unaryDeriv(s cpu.Step) (func(x, y float32) float32, error) {
	n := s.Node
	switch n.Op {
	case "Relu":
		return func(x, _ float32) float32 { return step(x > 0) }, nil
	case "LeakyRelu":
		a := n.Float("alpha", 0.01)
		return func(x, _ float32) float32 {
			if x >= 0 {
				return 1
			}
			return a
		}, nil
	case "Sigmoid":
		return func(_, y float32) float32 { return y * (1 - y) }, nil
	case "HardSigmoid":
		a, b := n.Float("alpha", 0.2), n.Float("beta", 0.5)
		return func(x, _ float32) float32 {
			v := a*x + b
			return a * step(v > 0 && v < 1)
		}, nil
	case "HardSwish":
		return hardSwishDeriv, nil
	case "Clip":
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if n.Has("min") || n.Has("max") {
			lo, hi = n.Float("min", lo), n.Float("max", hi)
		}
		for i, dst := range []*float32{&lo, &hi} {
			if i+1 < len(s.In) && s.In[i+1] != nil {
				t := s.In[i+1]
				if t.Len() != 1 || t.DType != graph.Float32 || len(t.F) != 1 {
					return nil, errors.New("a bound that is not a float scalar")
				}
				*dst = t.F[0]
			}
		}
		return func(x, _ float32) float32 { return step(x > lo && x < hi) }, nil
	}
	if d := smoothDeriv(n); d != nil {
		return d, nil
	}
	return nil, errors.New("no derivative")
}

func step(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// hardSwishDeriv is the derivative of x·max(0, min(1, x/6 + 1/2)).
func hardSwishDeriv(x, _ float32) float32 {
	switch {
	case x <= -3:
		return 0
	case x >= 3:
		return 1
	}
	return x/3 + 0.5
}

// actDeriv is the derivative of a fused activation at pre-activation z,
// with output y; needZ says whether it reads z (else only y).
func actDeriv(a kern.Act) (d func(z, y float32) float32, needZ bool) {
	switch a.Kind {
	case kern.ActRelu:
		return func(_, y float32) float32 { return step(y > 0) }, false
	case kern.ActClip:
		return func(_, y float32) float32 { return step(y > a.A && y < a.B) }, false
	case kern.ActHardSigmoid:
		return func(_, y float32) float32 { return a.A * step(y > 0 && y < 1) }, false
	case kern.ActSigmoid:
		return func(_, y float32) float32 { return y * (1 - y) }, false
	case kern.ActHardSwish:
		return hardSwishDeriv, true
	case kern.ActSiLU:
		return func(z, _ float32) float32 {
			sg := float32(1 / (1 + math.Exp(-float64(z))))
			return sg * (1 + z*(1-sg))
		}, true
	case kern.ActLeakyRelu:
		return func(z, _ float32) float32 {
			if z >= 0 {
				return 1
			}
			return a.A
		}, true
	}
	return func(_, _ float32) float32 { return 1 }, false // none
}

func convBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	n := s.Node
	x, w := s.In[0], s.In[1]
	if w == nil || len(w.F) == 0 || x == nil {
		return nil, nil, &UnsupportedError{Op: n.Op, Node: n.DisplayName(), Why: "weights that are not float constants"}
	}
	if dx[1] != nil || (len(dx) > 2 && dx[2] != nil) {
		return nil, nil, &UnsupportedError{Op: n.Op, Node: n.DisplayName(), Why: "run-time weights or bias"}
	}
	p, act, err := cpu.ConvGeometry(n, x.Shape, w.Shape)
	if err != nil {
		return nil, nil, &UnsupportedError{Op: n.Op, Node: n.DisplayName(), Why: err.Error()}
	}
	var bias, res *graph.Tensor
	if len(s.In) > 2 {
		bias = s.In[2]
	}
	var dres []float32
	if len(s.In) > 3 {
		res = s.In[3]
		dres = dx[3]
	}
	y := s.Out[0]
	deriv, needZ := actDeriv(act)
	hasAct := act.Kind != kern.ActNone
	var dz, z, scratch []float32
	var packed *kern.PackedConv
	if hasAct {
		dz = make([]float32, len(dy))
	}
	reads := []*graph.Tensor{y}
	if needZ {
		z = make([]float32, len(dy))
		packed = kern.PackConv(p, w.F)
		scratch = make([]float32, kern.ScratchSize(p))
		reads = append(reads, x, res)
	}
	ddx := dx[0]
	wf := w.F
	return func() {
		g := dy
		if hasAct {
			if needZ {
				var b, r []float32
				if bias != nil {
					b = bias.F
				}
				if res != nil {
					r = res.F
				}
				kern.Conv(p, packed, x.F, b, r, kern.Act{}, z, scratch)
			}
			yf := y.F
			for i, v := range dy {
				if v == 0 {
					dz[i] = 0
					continue
				}
				var zi float32
				if needZ {
					zi = z[i]
				}
				dz[i] = v * deriv(zi, yf[i])
			}
			g = dz
		}
		if dres != nil {
			for i, v := range g {
				dres[i] += v
			}
		}
		if ddx != nil {
			convTranspose(p, g, wf, ddx)
		}
	}, reads, nil
}

// convTranspose adds to dx the gradient of a convolution's input given
// dz, the gradient of its output (before bias and activation).
func convTranspose(p kern.ConvParams, dz, w, dx []float32) {
	G := p.Group
	Cg, Mg := p.C/G, p.M/G
	osz, isz := p.OH*p.OW, p.H*p.W
	ksz := p.KH * p.KW
	for b := 0; b < p.N; b++ {
		for m := 0; m < p.M; m++ {
			gi := m / Mg
			dzp := dz[(b*p.M+m)*osz : (b*p.M+m+1)*osz]
			if allZero(dzp) {
				continue
			}
			for cg := 0; cg < Cg; cg++ {
				c := gi*Cg + cg
				dxp := dx[(b*p.C+c)*isz : (b*p.C+c+1)*isz]
				wk := w[(m*Cg+cg)*ksz : (m*Cg+cg+1)*ksz]
				for kh := 0; kh < p.KH; kh++ {
					for kw := 0; kw < p.KW; kw++ {
						wv := wk[kh*p.KW+kw]
						if wv == 0 {
							continue
						}
						for oh := 0; oh < p.OH; oh++ {
							ih := oh*p.SH - p.PT + kh*p.DH
							if ih < 0 || ih >= p.H {
								continue
							}
							row := dxp[ih*p.W:]
							drow := dzp[oh*p.OW : (oh+1)*p.OW]
							iw := -p.PL + kw*p.DW
							for _, v := range drow {
								if iw >= 0 && iw < p.W {
									row[iw] += v * wv
								}
								iw += p.SW
							}
						}
					}
				}
			}
		}
	}
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func gemmBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	n := s.Node
	a, b := s.In[0], s.In[1]
	if a == nil || b == nil || len(a.Shape) != 2 || len(b.Shape) != 2 || len(s.Out[0].Shape) != 2 {
		return nil, nil, &UnsupportedError{Op: n.Op, Node: n.DisplayName(), Why: "only 2-D matrices"}
	}
	ta, tb := false, false
	alpha, beta := float32(1), float32(1)
	if n.Op == "Gemm" {
		ta, tb = n.Int("transA", 0) == 1, n.Int("transB", 0) == 1
		alpha, beta = n.Float("alpha", 1), n.Float("beta", 1)
	}
	M, K := a.Shape[0], a.Shape[1]
	if ta {
		M, K = K, M
	}
	N := s.Out[0].Shape[1]
	lda, ldb := a.Shape[1], b.Shape[1]
	// op(A)[i,k] is A[i·ai + k·ak], op(B)[k,j] is B[k·bk + j·bj].
	ai, ak := lda, 1
	if ta {
		ai, ak = 1, lda
	}
	bk, bj := ldb, 1
	if tb {
		bk, bj = 1, ldb
	}
	da, db := dx[0], dx[1]
	var dc []float32
	var cidx []int32
	if n.Op == "Gemm" && len(s.In) > 2 && s.In[2] != nil && dx[2] != nil {
		dc = dx[2]
		cidx = broadcastIndex(s.Out[0].Shape, s.In[2].Shape)
	}
	return func() {
		af, bf := a.F, b.F
		// dop(A) = α·dY·op(B)ᵀ and dop(B) = α·op(A)ᵀ·dY, one nonzero
		// element of dY at a time (a class score's seed is one-hot).
		for i := 0; i < M; i++ {
			for j, g := range dy[i*N : (i+1)*N] {
				if g == 0 {
					continue
				}
				g *= alpha
				if da != nil {
					for k := 0; k < K; k++ {
						da[i*ai+k*ak] += g * bf[k*bk+j*bj]
					}
				}
				if db != nil {
					for k := 0; k < K; k++ {
						db[k*bk+j*bj] += g * af[i*ai+k*ak]
					}
				}
			}
		}
		if dc != nil {
			for i, g := range dy {
				dc[cidx[i]] += beta * g
			}
		}
	}, []*graph.Tensor{a, b}, nil
}

// broadcastIndex maps each element of a tensor of shape out to the element
// of a tensor of shape in (numpy broadcasting) it reads.
func broadcastIndex(out, in []int) []int32 {
	r := len(out)
	st := make([]int, r)
	acc := 1
	for d := len(in) - 1; d >= 0; d-- {
		od := r - len(in) + d
		if od >= 0 && in[d] != 1 {
			st[od] = acc
		}
		acc *= in[d]
	}
	idx := make([]int32, graph.NumElems(out))
	pos := make([]int, r)
	off := 0
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

func binaryBack(op string, a, b, y *graph.Tensor, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	ia := broadcastIndex(y.Shape, a.Shape)
	ib := broadcastIndex(y.Shape, b.Shape)
	da, db := dx[0], dx[1]
	return func() {
		af, bf := a.F, b.F
		for i, g := range dy {
			if g == 0 {
				continue
			}
			x1, x2 := ia[i], ib[i]
			switch op {
			case "Add":
				if da != nil {
					da[x1] += g
				}
				if db != nil {
					db[x2] += g
				}
			case "Sub":
				if da != nil {
					da[x1] += g
				}
				if db != nil {
					db[x2] -= g
				}
			case "Mul":
				if da != nil {
					da[x1] += g * bf[x2]
				}
				if db != nil {
					db[x2] += g * af[x1]
				}
			case "Div":
				q := g / bf[x2]
				if da != nil {
					da[x1] += q
				}
				if db != nil {
					db[x2] -= q * af[x1] / bf[x2]
				}
			}
		}
	}, []*graph.Tensor{a, b}, nil
}

func poolBack(p cpu.PoolParams, x *graph.Tensor, dy, dx []float32) (func(), []*graph.Tensor, error) {
	if dx == nil {
		return func() {}, nil, nil
	}
	isz, osz := p.H*p.W, p.OH*p.OW
	return func() {
		xf := x.F
		for pl := 0; pl < p.Planes; pl++ {
			xp := xf[pl*isz : (pl+1)*isz]
			dp := dx[pl*isz : (pl+1)*isz]
			for oh := 0; oh < p.OH; oh++ {
				bh := oh*p.SH - p.PT
				for ow := 0; ow < p.OW; ow++ {
					g := dy[pl*osz+oh*p.OW+ow]
					if g == 0 {
						continue
					}
					bw := ow*p.SW - p.PL
					best, arg, cnt, padCnt := float32(0), -1, 0, 0
					for kh := 0; kh < p.KH; kh++ {
						ih := bh + kh*p.DH
						for kw := 0; kw < p.KW; kw++ {
							iw := bw + kw*p.DW
							if ih >= -p.PT && ih < p.H+p.PB && iw >= -p.PL && iw < p.W+p.PR {
								padCnt++
							}
							if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
								continue
							}
							cnt++
							if v := xp[ih*p.W+iw]; p.Max && (arg < 0 || v > best || v != v) {
								best, arg = v, ih*p.W+iw
							}
						}
					}
					if p.Max {
						if arg >= 0 {
							dp[arg] += g
						}
						continue
					}
					den := cnt
					if p.CountIncludePad {
						den = padCnt
					}
					if den == 0 {
						continue
					}
					g /= float32(den)
					for kh := 0; kh < p.KH; kh++ {
						ih := bh + kh*p.DH
						if ih < 0 || ih >= p.H {
							continue
						}
						for kw := 0; kw < p.KW; kw++ {
							if iw := bw + kw*p.DW; iw >= 0 && iw < p.W {
								dp[ih*p.W+iw] += g
							}
						}
					}
				}
			}
		}
	}, []*graph.Tensor{x}, nil
}

func softmaxBack(p cpu.SoftmaxParams, y *graph.Tensor, dy, dx []float32) (func(), []*graph.Tensor, error) {
	if dx == nil {
		return func() {}, nil, nil
	}
	return func() {
		yf := y.F
		for o := 0; o < p.Outer; o++ {
			for in := 0; in < p.Inner; in++ {
				base := o*p.Dim*p.Inner + in
				dot := 0.0
				for d := 0; d < p.Dim; d++ {
					i := base + d*p.Inner
					if p.Log {
						dot += float64(dy[i])
					} else {
						dot += float64(dy[i]) * float64(yf[i])
					}
				}
				for d := 0; d < p.Dim; d++ {
					i := base + d*p.Inner
					if p.Log { // y = log softmax: dx = dy − softmax·Σdy
						dx[i] += dy[i] - float32(math.Exp(float64(yf[i]))*dot)
					} else {
						dx[i] += yf[i] * (dy[i] - float32(dot))
					}
				}
			}
		}
	}, []*graph.Tensor{y}, nil
}

func concatBack(s cpu.Step, dy []float32, dx [][]float32) (func(), []*graph.Tensor, error) {
	y := s.Out[0]
	rank := len(y.Shape)
	axis := int(s.Node.Int("axis", 0))
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		return nil, nil, &UnsupportedError{Op: s.Node.Op, Node: s.Node.DisplayName(), Why: "axis out of range"}
	}
	outer := graph.NumElems(y.Shape[:axis])
	inner := graph.NumElems(y.Shape[axis+1:])
	rowOut := y.Shape[axis] * inner
	type part struct {
		d        []float32
		off, len int
	}
	var parts []part
	off := 0
	for j, t := range s.In {
		if t == nil {
			continue
		}
		l := t.Shape[axis] * inner
		if dx[j] != nil {
			parts = append(parts, part{dx[j], off, l})
		}
		off += l
	}
	return func() {
		for o := 0; o < outer; o++ {
			for _, pt := range parts {
				src := dy[o*rowOut+pt.off : o*rowOut+pt.off+pt.len]
				dst := pt.d[o*pt.len : (o+1)*pt.len]
				for i, g := range src {
					dst[i] += g
				}
			}
		}
	}, nil, nil
}

// Needs returns the seeds and the run-time float tensors they depend on
// through the program's steps: what a gradient can flow back to.
func Needs(p *cpu.Program, seeds ...*graph.Tensor) map[*graph.Tensor]bool {
	plan := p.Plan()
	needed := map[*graph.Tensor]bool{}
	for _, t := range seeds {
		needed[t] = true
	}
	for i := len(plan) - 1; i >= 0; i-- {
		s := plan[i]
		hit := false
		for _, o := range s.Out {
			hit = hit || needed[o]
		}
		if hit {
			for _, in := range s.In {
				if in != nil && in.DType == graph.Float32 && !p.IsConst(in) {
					needed[in] = true
				}
			}
		}
	}
	return needed
}
