package cpu

import (
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepUnary, "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Neg", "Abs", "Sqrt", "Erf",
		"Reciprocal", "Floor", "Ceil", "Round", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Selu",
		"Softplus", "Softsign", "Sin", "Cos", "Sign", "Not", "Clip", "Celu", "ThresholdedRelu", "Gelu", "Mish",
		"Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Shrink")
	register(prepBinary, "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater",
		"LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "PRelu", "Mod")
	register(prepVariadic, "Max", "Min", "Sum", "Mean")
	register(prepWhere, "Where")
}

// ---- unary ----

func unaryFloat(n *graph.Node, c *ctx, in []*Value) (func(float32) float32, error) {
	switch n.Op {
	case "Relu":
		return func(x float32) float32 { return max(x, 0) }, nil
	case "Sigmoid":
		return sigmoid, nil
	case "Tanh":
		return func(x float32) float32 { return float32(math.Tanh(float64(x))) }, nil
	case "Exp":
		return func(x float32) float32 { return float32(math.Exp(float64(x))) }, nil
	case "Log":
		return func(x float32) float32 { return float32(math.Log(float64(x))) }, nil
	case "Neg":
		return func(x float32) float32 { return -x }, nil
	case "Abs":
		return func(x float32) float32 { return float32(math.Abs(float64(x))) }, nil
	case "Sqrt":
		return func(x float32) float32 { return float32(math.Sqrt(float64(x))) }, nil
	case "Erf":
		return func(x float32) float32 { return float32(math.Erf(float64(x))) }, nil
	case "Reciprocal":
		return func(x float32) float32 { return 1 / x }, nil
	case "Floor":
		return func(x float32) float32 { return float32(math.Floor(float64(x))) }, nil
	case "Ceil":
		return func(x float32) float32 { return float32(math.Ceil(float64(x))) }, nil
	case "Round":
		return func(x float32) float32 { return float32(math.RoundToEven(float64(x))) }, nil
	case "Sin":
		return func(x float32) float32 { return float32(math.Sin(float64(x))) }, nil
	case "Cos":
		return func(x float32) float32 { return float32(math.Cos(float64(x))) }, nil
	case "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh":
		f := map[string]func(float64) float64{"Tan": math.Tan, "Asin": math.Asin, "Acos": math.Acos, "Atan": math.Atan,
			"Sinh": math.Sinh, "Cosh": math.Cosh, "Asinh": math.Asinh, "Acosh": math.Acosh, "Atanh": math.Atanh}[n.Op]
		return func(x float32) float32 { return float32(f(float64(x))) }, nil
	case "Shrink":
		lambd, bias := n.Float("lambd", 0.5), n.Float("bias", 0)
		return func(x float32) float32 {
			switch {
			case x < -lambd:
				return x + bias
			case x > lambd:
				return x - bias
			}
			return 0
		}, nil
	case "Sign":
		return func(x float32) float32 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		}, nil
	case "HardSigmoid":
		a, b := n.Float("alpha", 0.2), n.Float("beta", 0.5)
		return func(x float32) float32 { return max(0, min(1, a*x+b)) }, nil
	case "HardSwish":
		return func(x float32) float32 { return x * max(0, min(1, x/6+0.5)) }, nil
	case "LeakyRelu":
		a := n.Float("alpha", 0.01)
		return func(x float32) float32 {
			if x < 0 {
				return a * x
			}
			return x
		}, nil
	case "Elu":
		a := float64(n.Float("alpha", 1))
		return func(x float32) float32 {
			if x < 0 {
				return float32(a * (math.Exp(float64(x)) - 1))
			}
			return x
		}, nil
	case "Celu":
		a := float64(n.Float("alpha", 1))
		return func(x float32) float32 {
			return float32(math.Max(0, float64(x)) + math.Min(0, a*(math.Exp(float64(x)/a)-1)))
		}, nil
	case "Selu":
		a, g := float64(n.Float("alpha", 1.67326319217681884765625)), float64(n.Float("gamma", 1.05070102214813232421875))
		return func(x float32) float32 {
			if x <= 0 {
				return float32(g * (a*math.Exp(float64(x)) - a))
			}
			return float32(g * float64(x))
		}, nil
	case "ThresholdedRelu":
		a := n.Float("alpha", 1)
		return func(x float32) float32 {
			if x > a {
				return x
			}
			return 0
		}, nil
	case "Softplus":
		return func(x float32) float32 {
			v := float64(x)
			if v > 20 {
				return x
			}
			return float32(math.Log1p(math.Exp(v)))
		}, nil
	case "Softsign":
		return func(x float32) float32 { return x / (1 + float32(math.Abs(float64(x)))) }, nil
	case "Mish":
		return func(x float32) float32 {
			return float32(float64(x) * math.Tanh(math.Log1p(math.Exp(float64(x)))))
		}, nil
	case "Gelu":
		if n.String("approximate", "none") == "tanh" {
			return func(x float32) float32 {
				v := float64(x)
				return float32(0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))))
			}, nil
		}
		return func(x float32) float32 {
			v := float64(x)
			return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
		}, nil
	case "Clip":
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if c.opset < 11 {
			lo, hi = n.Float("min", lo), n.Float("max", hi)
		} else {
			for i, dst := range []*float32{&lo, &hi} {
				if len(in) > i+1 && in[i+1] != nil {
					t, err := needConst(n, in, i+1, "bound")
					if err != nil {
						return nil, err
					}
					if t.Len() != 1 {
						return nil, fmt.Errorf("%s: bound must be a scalar", n.Label())
					}
					*dst = t.AsFloats()[0]
				}
			}
		}
		return func(x float32) float32 { return min(max(x, lo), hi) }, nil
	}
	return nil, nil
}

func sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}

// polyAct maps the unary ops kern.ActInto vectorises to their activation.
func polyAct(n *graph.Node) (kern.Act, bool) {
	switch n.Op {
	case "Sigmoid":
		return kern.Act{Kind: kern.ActSigmoid}, true
	case "Tanh":
		return kern.Act{Kind: kern.ActTanh}, true
	case "Exp":
		return kern.Act{Kind: kern.ActExp}, true
	case "Erf":
		return kern.Act{Kind: kern.ActErf}, true
	case "Gelu":
		if n.String("approximate", "none") == "tanh" {
			return kern.Act{Kind: kern.ActGeluTanh}, true
		}
		return kern.Act{Kind: kern.ActGelu}, true
	case "HardSigmoid":
		return kern.Act{Kind: kern.ActHardSigmoid, A: n.Float("alpha", 0.2), B: n.Float("beta", 0.5)}, true
	case "HardSwish":
		return kern.Act{Kind: kern.ActHardSwish}, true
	}
	return kern.Act{}, false
}

func prepUnary(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	shape := copyShape(x.Shape)
	if n.Op == "Clip" && c.opset >= 11 && x.DType == graph.Float32 && (runtimeInput(in, 1) || runtimeInput(in, 2)) {
		return prepClipRuntime(n, in)
	}
	switch x.DType {
	case graph.Bool:
		if n.Op != "Not" {
			return nil, fmt.Errorf("%s: bool input is not supported", n.Label())
		}
		return one(graph.Bool, shape, func(in, out []*graph.Tensor, _ []float32) error {
			for i, v := range in[0].B {
				out[0].B[i] = !v
			}
			return nil
		}), nil
	case graph.Int64:
		var f func(int64) int64
		switch n.Op {
		case "Neg":
			f = func(v int64) int64 { return -v }
		case "Abs":
			f = func(v int64) int64 {
				if v < 0 {
					return -v
				}
				return v
			}
		case "Relu":
			f = func(v int64) int64 { return max(v, 0) }
		case "Sign":
			f = func(v int64) int64 {
				switch {
				case v > 0:
					return 1
				case v < 0:
					return -1
				}
				return 0
			}
		case "Clip":
			lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
			for i, dst := range []*int64{&lo, &hi} {
				if len(in) > i+1 && in[i+1] != nil {
					t, err := needConst(n, in, i+1, "bound")
					if err != nil {
						return nil, err
					}
					*dst = t.AsInts()[0]
				}
			}
			f = func(v int64) int64 { return min(max(v, lo), hi) }
		default:
			return nil, fmt.Errorf("%s: int64 input is not supported", n.Label())
		}
		return one(graph.Int64, shape, func(in, out []*graph.Tensor, _ []float32) error {
			for i, v := range in[0].I {
				out[0].I[i] = f(v)
			}
			return nil
		}), nil
	}
	f, err := unaryFloat(n, c, in)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("%s: float input is not supported", n.Label())
	}
	if act, ok := polyAct(n); ok && (kern.PolyActs || kern.VecAct() != nil) { // wasm: float32 polynomials; SIMD (or AVX2 natively) when installed
		return one(graph.Float32, shape, func(in, out []*graph.Tensor, _ []float32) error {
			kern.ActInto(act, out[0].F[:len(in[0].F)], in[0].F)
			return nil
		}), nil
	}
	if n.Op == "Relu" { // the hottest unary op gets a loop without a call per element
		return one(graph.Float32, shape, func(in, out []*graph.Tensor, _ []float32) error {
			src, dst := in[0].F, out[0].F
			dst = dst[:len(src)]
			for i, v := range src {
				dst[i] = max(v, 0)
			}
			return nil
		}), nil
	}
	return one(graph.Float32, shape, func(in, out []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, out[0].F
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = f(v)
		}
		return nil
	}), nil
}

// ---- broadcasting ----

// bcast iterates an output shape over inputs broadcast to it (numpy rules).
// Adjacent dimensions are merged where every input is either contiguous or
// broadcast across both, so the innermost run is as long as possible.
type bcast struct {
	outer   []int   // sizes of the outer dims (innermost excluded)
	ostride [][]int // per input, stride for each outer dim
	inner   int     // innermost run length
	istep   []int   // per input, step within the run (0 or 1)
	total   int
}

func broadcastShape(n *graph.Node, shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch {
			case out[off+i] == 1:
				out[off+i] = d
			case d == 1 || d == out[off+i]:
			default:
				return nil, fmt.Errorf("%s: shapes %v cannot be broadcast together", n.Label(), shapes)
			}
		}
	}
	return out, nil
}

func newBcast(out []int, ins ...[]int) *bcast {
	rank := len(out)
	k := len(ins)
	str := make([][]int, k)
	for j, s := range ins {
		str[j] = make([]int, rank)
		st := strides(s)
		off := rank - len(s)
		for i := range s {
			if s[i] != 1 {
				str[j][off+i] = st[i]
			}
		}
	}
	// Merge dims from the innermost outwards.
	dims := []int{}
	ds := make([][]int, k)
	for i := 0; i < rank; i++ {
		if out[i] == 1 {
			continue
		}
		if len(dims) > 0 {
			last := len(dims) - 1
			ok := true
			for j := 0; j < k; j++ {
				if ds[j][last] != str[j][i]*out[i] {
					ok = false
				}
			}
			if ok {
				dims[last] *= out[i]
				for j := 0; j < k; j++ {
					ds[j][last] = str[j][i]
				}
				continue
			}
		}
		dims = append(dims, out[i])
		for j := 0; j < k; j++ {
			ds[j] = append(ds[j], str[j][i])
		}
	}
	b := &bcast{total: graph.NumElems(out), inner: 1, istep: make([]int, k), ostride: make([][]int, k)}
	if len(dims) == 0 {
		return b
	}
	last := len(dims) - 1
	b.inner = dims[last]
	for j := 0; j < k; j++ {
		b.istep[j] = ds[j][last]
		if b.istep[j] > 1 { // a strided innermost run: iterate it as an outer dim
			b.istep[j] = -1
		}
	}
	strided := false
	for j := 0; j < k; j++ {
		if b.istep[j] < 0 {
			strided = true
		}
	}
	if strided {
		dims = append(dims, 1)
		for j := 0; j < k; j++ {
			ds[j] = append(ds[j], 0)
		}
		last++
		b.inner = 1
		for j := 0; j < k; j++ {
			b.istep[j] = 0
		}
	}
	b.outer = dims[:last]
	for j := 0; j < k; j++ {
		b.ostride[j] = ds[j][:last]
	}
	return b
}

// bcastIter walks the innermost runs of a bcast without a callback, so
// that kernels allocate nothing (a closure over a kernel's locals would):
//
//	for it := bc.start(); it.more(); it.next() { o, off := it.o, it.off[:] ... }
type bcastIter struct {
	b   *bcast
	o   int // output offset of the run
	off [4]int
	cnt [16]int
}

func (b *bcast) start() bcastIter { return bcastIter{b: b} }

func (it *bcastIter) more() bool { return it.o < it.b.total }

func (it *bcastIter) next() {
	b := it.b
	k := len(b.istep)
	it.o += b.inner
	for d := len(b.outer) - 1; d >= 0; d-- {
		it.cnt[d]++
		for j := 0; j < k; j++ {
			it.off[j] += b.ostride[j][d]
		}
		if it.cnt[d] < b.outer[d] {
			break
		}
		for j := 0; j < k; j++ {
			it.off[j] -= b.ostride[j][d] * it.cnt[d]
		}
		it.cnt[d] = 0
	}
}

// each calls fn for every innermost run with the output offset and each
// input's offset; runs have length b.inner and steps b.istep. Kernels use
// start/more/next instead (no closure); each is for preparation.
func (b *bcast) each(fn func(o int, off []int)) {
	var cnt [16]int
	var offs [4]int
	k := len(b.istep)
	if b.total == 0 {
		return
	}
	for o := 0; o < b.total; o += b.inner {
		fn(o, offs[:k])
		// advance the outer counter
		for d := len(b.outer) - 1; d >= 0; d-- {
			cnt[d]++
			for j := 0; j < k; j++ {
				offs[j] += b.ostride[j][d]
			}
			if cnt[d] < b.outer[d] {
				break
			}
			for j := 0; j < k; j++ {
				offs[j] -= b.ostride[j][d] * cnt[d]
			}
			cnt[d] = 0
		}
	}
}

// ---- binary ----

func prepBinary(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	bshape := b.Shape
	if c.opset < 7 {
		// Before opset 7, B broadcasts to A only when broadcast=1, and then
		// with its dims placed from axis (default: aligned to the end);
		// PRelu's 1-D slope is per channel.
		axis, legacy := int64(-1), false
		switch {
		case n.Op == "PRelu" && len(b.Shape) == 1 && b.Shape[0] != 1 && len(a.Shape) >= 2:
			axis, legacy = 1, true
		case n.Int("broadcast", 0) == 1 && n.Has("axis"):
			axis, legacy = n.Int("axis", 0), true
			if axis < 0 {
				axis += int64(len(a.Shape))
			}
		case n.Has("broadcast") && n.Int("broadcast", 0) == 0 && !sameShape(a.Shape, b.Shape):
			return nil, fmt.Errorf("%s: shapes %v and %v differ and broadcast is 0", n.Label(), a.Shape, b.Shape)
		}
		if legacy {
			if axis < 0 || int(axis)+len(b.Shape) > len(a.Shape) {
				return nil, fmt.Errorf("%s: cannot broadcast %v to %v from axis %d", n.Label(), b.Shape, a.Shape, axis)
			}
			bshape = make([]int, len(a.Shape))
			for i := range bshape {
				bshape[i] = 1
			}
			copy(bshape[axis:], b.Shape)
		}
	}
	out, err := broadcastShape(n, a.Shape, bshape)
	if err != nil {
		return nil, err
	}
	bc := newBcast(out, a.Shape, bshape)
	cmp := n.Op == "Equal" || n.Op == "Less" || n.Op == "Greater" || n.Op == "LessOrEqual" || n.Op == "GreaterOrEqual"
	logic := n.Op == "And" || n.Op == "Or" || n.Op == "Xor"
	switch {
	case logic:
		if a.DType != graph.Bool || b.DType != graph.Bool {
			return nil, fmt.Errorf("%s: needs bool inputs", n.Label())
		}
		var f func(x, y bool) bool
		switch n.Op {
		case "And":
			f = func(x, y bool) bool { return x && y }
		case "Or":
			f = func(x, y bool) bool { return x || y }
		default:
			f = func(x, y bool) bool { return x != y }
		}
		return one(graph.Bool, out, func(in, out []*graph.Tensor, _ []float32) error {
			x, y, z := in[0].B, in[1].B, out[0].B
			for it := bc.start(); it.more(); it.next() {
				o, off := it.o, it.off[:]
				for i := 0; i < bc.inner; i++ {
					z[o+i] = f(x[off[0]+i*bc.istep[0]], y[off[1]+i*bc.istep[1]])
				}
			}
			return nil
		}), nil
	case a.DType == graph.Bool && b.DType == graph.Bool && n.Op == "Equal":
		return one(graph.Bool, out, func(in, out []*graph.Tensor, _ []float32) error {
			x, y, z := in[0].B, in[1].B, out[0].B
			for it := bc.start(); it.more(); it.next() {
				o, off := it.o, it.off[:]
				for i := 0; i < bc.inner; i++ {
					z[o+i] = x[off[0]+i*bc.istep[0]] == y[off[1]+i*bc.istep[1]]
				}
			}
			return nil
		}), nil
	case a.DType == graph.Int64 && b.DType == graph.Int64:
		if cmp {
			f := cmpInt(n.Op)
			return one(graph.Bool, out, func(in, out []*graph.Tensor, _ []float32) error {
				x, y, z := in[0].I, in[1].I, out[0].B
				for it := bc.start(); it.more(); it.next() {
					o, off := it.o, it.off[:]
					for i := 0; i < bc.inner; i++ {
						z[o+i] = f(x[off[0]+i*bc.istep[0]], y[off[1]+i*bc.istep[1]])
					}
				}
				return nil
			}), nil
		}
		f, err := arithInt(n)
		if err != nil {
			return nil, err
		}
		return one(graph.Int64, out, func(in, out []*graph.Tensor, _ []float32) error {
			x, y, z := in[0].I, in[1].I, out[0].I
			var ferr error
			for it := bc.start(); it.more(); it.next() {
				o, off := it.o, it.off[:]
				for i := 0; i < bc.inner; i++ {
					v, err := f(x[off[0]+i*bc.istep[0]], y[off[1]+i*bc.istep[1]])
					if err != nil {
						ferr = err
					}
					z[o+i] = v
				}
			}
			return ferr
		}), nil
	case a.DType == graph.Int64 && b.DType == graph.Float32 && n.Op == "Pow":
		// Pow's result has the base's type.
		return one(graph.Int64, out, func(in, out []*graph.Tensor, _ []float32) error {
			x, y, z := in[0].I, in[1].F, out[0].I
			for it := bc.start(); it.more(); it.next() {
				o, off := it.o, it.off[:]
				for i := 0; i < bc.inner; i++ {
					z[o+i] = int64(math.Pow(float64(x[off[0]+i*bc.istep[0]]), float64(y[off[1]+i*bc.istep[1]])))
				}
			}
			return nil
		}), nil
	case a.DType == graph.Float32 && (b.DType == graph.Float32 || n.Op == "Pow" && b.DType == graph.Int64):
		if cmp {
			f := cmpFloat(n.Op)
			return one(graph.Bool, out, func(in, out []*graph.Tensor, _ []float32) error {
				x, y, z := in[0].F, in[1].F, out[0].B
				for it := bc.start(); it.more(); it.next() {
					o, off := it.o, it.off[:]
					for i := 0; i < bc.inner; i++ {
						z[o+i] = f(x[off[0]+i*bc.istep[0]], y[off[1]+i*bc.istep[1]])
					}
				}
				return nil
			}), nil
		}
		if b.DType == graph.Int64 {
			return one(graph.Float32, out, func(in, out []*graph.Tensor, _ []float32) error {
				x, y, z := in[0].F, in[1].I, out[0].F
				for it := bc.start(); it.more(); it.next() {
					o, off := it.o, it.off[:]
					for i := 0; i < bc.inner; i++ {
						z[o+i] = float32(math.Pow(float64(x[off[0]+i*bc.istep[0]]), float64(y[off[1]+i*bc.istep[1]])))
					}
				}
				return nil
			}), nil
		}
		op, f := arithFloat(n)
		if f == nil {
			return nil, fmt.Errorf("%s: float inputs are not supported", n.Label())
		}
		cp, ci, cswap := chanBcast(op, out, a.Shape, bshape)
		br := rowBcast(op, out, a.Shape, bshape) // op_binrows.go (simd3)
		return one(graph.Float32, out, func(in, out []*graph.Tensor, _ []float32) error {
			x, y, z := in[0].F, in[1].F, out[0].F
			if br.ok && kern.BinaryRows(br.op, z, x, y, br.rows, br.n, br.aRep, br.bRep) { // vector rows
				return nil
			}
			if ci > 0 { // [N,C,H,W] op [N,C,1,1] on the vector kernel
				xs, ss := x, y
				if cswap {
					xs, ss = y, x
				}
				if kern.ChanVec(op == opMul, z, xs, ss, cp, ci) {
					return nil
				}
			}
			for it := bc.start(); it.more(); it.next() {
				o, off := it.o, it.off[:]
				binRun(op, f, z[o:o+bc.inner], x[off[0]:], y[off[1]:], bc.istep[0], bc.istep[1])
			}
			return nil
		}), nil
	}
	return nil, fmt.Errorf("%s: input types %s and %s are not supported", n.Label(), a.DType, b.DType)
}

const (
	opOther = iota
	opAdd
	opSub
	opMul
	opDiv
)

// binRun computes one innermost run. The four common ops have loops without
// a call per element for the three stride patterns broadcasting produces.
func binRun(op int, f func(x, y float32) float32, z, x, y []float32, sx, sy int) {
	n := len(z)
	switch {
	case sx == 1 && sy == 1:
		x, y = x[:n], y[:n]
		switch op {
		case opAdd:
			for i := range z {
				z[i] = x[i] + y[i]
			}
		case opSub:
			for i := range z {
				z[i] = x[i] - y[i]
			}
		case opMul:
			for i := range z {
				z[i] = x[i] * y[i]
			}
		case opDiv:
			for i := range z {
				z[i] = x[i] / y[i]
			}
		default:
			for i := range z {
				z[i] = f(x[i], y[i])
			}
		}
	case sx == 1 && sy == 0:
		x = x[:n]
		c := y[0]
		switch op {
		case opAdd:
			for i := range z {
				z[i] = x[i] + c
			}
		case opSub:
			for i := range z {
				z[i] = x[i] - c
			}
		case opMul:
			for i := range z {
				z[i] = x[i] * c
			}
		case opDiv:
			for i := range z {
				z[i] = x[i] / c
			}
		default:
			for i := range z {
				z[i] = f(x[i], c)
			}
		}
	case sx == 0 && sy == 1:
		y = y[:n]
		c := x[0]
		switch op {
		case opAdd:
			for i := range z {
				z[i] = c + y[i]
			}
		case opMul:
			for i := range z {
				z[i] = c * y[i]
			}
		default:
			for i := range z {
				z[i] = f(c, y[i])
			}
		}
	default:
		for i := range z {
			z[i] = f(x[i*sx], y[i*sy])
		}
	}
}

func arithFloat(n *graph.Node) (int, func(x, y float32) float32) {
	switch n.Op {
	case "Add", "Sum":
		return opAdd, func(x, y float32) float32 { return x + y }
	case "Sub":
		return opSub, func(x, y float32) float32 { return x - y }
	case "Mul":
		return opMul, func(x, y float32) float32 { return x * y }
	case "Div":
		return opDiv, func(x, y float32) float32 { return x / y }
	case "Pow":
		return opOther, func(x, y float32) float32 {
			if y == 2 {
				return x * x
			}
			return float32(math.Pow(float64(x), float64(y)))
		}
	case "Max":
		return opOther, func(x, y float32) float32 {
			if x != x || y != y {
				return float32(math.NaN())
			}
			return max(x, y)
		}
	case "Min":
		return opOther, func(x, y float32) float32 {
			if x != x || y != y {
				return float32(math.NaN())
			}
			return min(x, y)
		}
	case "PRelu":
		return opOther, func(x, s float32) float32 {
			if x < 0 {
				return s * x
			}
			return x
		}
	case "Mod":
		if n.Int("fmod", 0) == 1 {
			return opOther, func(x, y float32) float32 { return float32(math.Mod(float64(x), float64(y))) }
		}
		return opOther, func(x, y float32) float32 {
			m := math.Mod(float64(x), float64(y))
			if m != 0 && (m < 0) != (y < 0) {
				m += float64(y)
			}
			return float32(m)
		}
	}
	return opOther, nil
}

func arithInt(n *graph.Node) (func(x, y int64) (int64, error), error) {
	switch n.Op {
	case "Add", "Sum":
		return func(x, y int64) (int64, error) { return x + y, nil }, nil
	case "Sub":
		return func(x, y int64) (int64, error) { return x - y, nil }, nil
	case "Mul":
		return func(x, y int64) (int64, error) { return x * y, nil }, nil
	case "Div":
		return func(x, y int64) (int64, error) {
			if y == 0 {
				return 0, fmt.Errorf("integer division by zero")
			}
			return x / y, nil
		}, nil
	case "Max":
		return func(x, y int64) (int64, error) { return max(x, y), nil }, nil
	case "Min":
		return func(x, y int64) (int64, error) { return min(x, y), nil }, nil
	case "Mod":
		fmod := n.Int("fmod", 0) == 1
		return func(x, y int64) (int64, error) {
			if y == 0 {
				return 0, fmt.Errorf("integer modulo by zero")
			}
			m := x % y
			if !fmod && m != 0 && (m < 0) != (y < 0) {
				m += y
			}
			return m, nil
		}, nil
	case "Pow":
		return func(x, y int64) (int64, error) { return int64(math.Pow(float64(x), float64(y))), nil }, nil
	}
	return nil, fmt.Errorf("%s: int64 inputs are not supported", n.Label())
}

func cmpFloat(op string) func(x, y float32) bool {
	switch op {
	case "Equal":
		return func(x, y float32) bool { return x == y }
	case "Less":
		return func(x, y float32) bool { return x < y }
	case "Greater":
		return func(x, y float32) bool { return x > y }
	case "LessOrEqual":
		return func(x, y float32) bool { return x <= y }
	}
	return func(x, y float32) bool { return x >= y }
}

func cmpInt(op string) func(x, y int64) bool {
	switch op {
	case "Equal":
		return func(x, y int64) bool { return x == y }
	case "Less":
		return func(x, y int64) bool { return x < y }
	case "Greater":
		return func(x, y int64) bool { return x > y }
	case "LessOrEqual":
		return func(x, y int64) bool { return x <= y }
	}
	return func(x, y int64) bool { return x >= y }
}

// prepVariadic folds Max/Min/Sum/Mean over any number of inputs.
func prepVariadic(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	shapes := [][]int{}
	dt := in[0].DType
	for _, v := range in {
		if v == nil {
			return nil, fmt.Errorf("%s: empty input", n.Label())
		}
		if v.DType != dt || (dt != graph.Float32 && dt != graph.Int64) {
			return nil, fmt.Errorf("%s: inputs must all be float32 or all int64", n.Label())
		}
		shapes = append(shapes, v.Shape)
	}
	out, err := broadcastShape(n, shapes...)
	if err != nil {
		return nil, err
	}
	bcs := make([]*bcast, len(in))
	for i, v := range in {
		bcs[i] = newBcast(out, out, v.Shape)
	}
	op := n.Op
	if op == "Mean" {
		op = "Sum"
	}
	opNode := &graph.Node{Op: op, Name: n.Name}
	count := float32(len(in))
	if dt == graph.Int64 {
		f, err := arithInt(opNode)
		if err != nil || n.Op == "Mean" {
			return nil, fmt.Errorf("%s: int64 inputs are not supported", n.Label())
		}
		return one(dt, out, func(in, out []*graph.Tensor, _ []float32) error {
			z := out[0].I
			for i, t := range in {
				bc, x := bcs[i], t.I
				for it := bc.start(); it.more(); it.next() {
					o, off := it.o, it.off[:]
					for k := 0; k < bc.inner; k++ {
						v := x[off[1]+k*bc.istep[1]]
						if i > 0 {
							v, _ = f(z[o+k], v)
						}
						z[o+k] = v
					}
				}
			}
			return nil
		}), nil
	}
	_, f := arithFloat(opNode)
	return one(dt, out, func(in, out []*graph.Tensor, _ []float32) error {
		z := out[0].F
		for i, t := range in {
			bc, x := bcs[i], t.F
			for it := bc.start(); it.more(); it.next() {
				o, off := it.o, it.off[:]
				for k := 0; k < bc.inner; k++ {
					v := x[off[1]+k*bc.istep[1]]
					if i > 0 {
						v = f(z[o+k], v)
					}
					z[o+k] = v
				}
			}
		}
		if n.Op == "Mean" {
			for i := range z {
				z[i] /= count
			}
		}
		return nil
	}), nil
}

func prepWhere(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 3); err != nil {
		return nil, err
	}
	cond, a, b := in[0], in[1], in[2]
	if cond.DType != graph.Bool || a.DType != b.DType {
		return nil, fmt.Errorf("%s: needs a bool condition and two inputs of one type", n.Label())
	}
	out, err := broadcastShape(n, cond.Shape, a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	bc := newBcast(out, cond.Shape, a.Shape, b.Shape)
	return one(a.DType, out, func(in, out []*graph.Tensor, _ []float32) error {
		cd := in[0].B
		for it := bc.start(); it.more(); it.next() {
			o, off := it.o, it.off[:]
			for i := 0; i < bc.inner; i++ {
				ci, ai, bi := off[0]+i*bc.istep[0], off[1]+i*bc.istep[1], off[2]+i*bc.istep[2]
				switch out[0].DType {
				case graph.Float32:
					if cd[ci] {
						out[0].F[o+i] = in[1].F[ai]
					} else {
						out[0].F[o+i] = in[2].F[bi]
					}
				case graph.Int64:
					if cd[ci] {
						out[0].I[o+i] = in[1].I[ai]
					} else {
						out[0].I[o+i] = in[2].I[bi]
					}
				case graph.Bool:
					if cd[ci] {
						out[0].B[o+i] = in[1].B[ai]
					} else {
						out[0].B[o+i] = in[2].B[bi]
					}
				}
			}
		}
		return nil
	}), nil
}

func runtimeInput(in []*Value, i int) bool { return i < len(in) && in[i] != nil && in[i].Const == nil }

// prepClipRuntime is Clip whose bounds are computed at run time (they
// decide no shape, so they need not be known before).
func prepClipRuntime(n *graph.Node, in []*Value) (*prepared, error) {
	for i := 1; i <= 2 && i < len(in); i++ {
		if in[i] != nil && (graph.NumElems(in[i].Shape) != 1 || in[i].DType != graph.Float32) {
			return nil, fmt.Errorf("%s: bound %d must be a float scalar, not %s", n.Label(), i, in[i])
		}
	}
	return one(graph.Float32, copyShape(in[0].Shape), func(in, out []*graph.Tensor, _ []float32) error {
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if len(in) > 1 && in[1] != nil {
			lo = in[1].F[0]
		}
		if len(in) > 2 && in[2] != nil {
			hi = in[2].F[0]
		}
		dst := out[0].F
		for i, v := range in[0].F {
			dst[i] = min(max(v, lo), hi)
		}
		return nil
	}), nil
}

// chanBcast recognises Add and Mul of a tensor and one that broadcasts
// along its trailing dims only (squeeze-and-excitation's [N,C,H,W] ×
// [N,C,1,1]): planes runs of inner elements, each with one value of the
// small input (swap: the small one is the first). inner is 0 otherwise.
func chanBcast(op int, out, a, b []int) (planes, inner int, swap bool) {
	if op != opAdd && op != opMul {
		return 0, 0, false
	}
	big, small := a, b
	if !sameShape(big, out) {
		big, small, swap = b, a, true
	}
	if !sameShape(big, out) || len(small) > len(big) {
		return 0, 0, false
	}
	r := len(big)
	k := r // small's dims [k, r) are 1, [0, k) equal big's
	for k > 0 && (k-1 < r-len(small) || small[k-1-(r-len(small))] == 1) {
		k--
	}
	for i := 0; i < k; i++ {
		d := 1
		if j := i - (r - len(small)); j >= 0 {
			d = small[j]
		}
		if d != big[i] {
			return 0, 0, false
		}
	}
	planes, inner = 1, 1
	for i := range big {
		if i < k {
			planes *= big[i]
		} else {
			inner *= big[i]
		}
	}
	if inner < 4 {
		return 0, 0, false
	}
	return planes, inner, swap
}
