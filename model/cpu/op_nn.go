package cpu

import (
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

func init() {
	register(prepPool, "MaxPool", "AveragePool")
	register(prepGlobalPool, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
	register(prepGemm, "Gemm")
	register(prepMatMul, "MatMul")
	register(prepSoftmax, "Softmax", "LogSoftmax")
	register(prepReduce, "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
		"ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ReduceLogSum")
	register(prepLayerNorm, "LayerNormalization")
	register(prepBatchNorm, "BatchNormalization", "InstanceNormalization")
	register(prepPad, "Pad")
}

func prepPool(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType == graph.Int64 && n.Op == "MaxPool" {
		return prepPoolN(c, n, in) // integer MaxPool (uint8 and int8 models)
	}
	if x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs float input", n.Label())
	}
	withIdx := len(n.Outputs) > 1 && n.Outputs[1] != ""
	if withIdx && n.Op != "MaxPool" {
		return nil, fmt.Errorf("%s: has a second output", n.Label())
	}
	colMajor := n.Int("storage_order", 0) == 1
	rank := len(x.Shape)
	dilatedAvg := false
	if n.Op == "AveragePool" {
		for _, d := range n.Ints("dilations") {
			dilatedAvg = dilatedAvg || d != 1
		}
	}
	if rank != 3 && rank != 4 || dilatedAvg {
		// 3-D and higher windows, and dilated average pooling (opset 19).
		return prepPoolN(c, n, in)
	}
	ks := n.Ints("kernel_shape")
	if len(ks) != rank-2 {
		return nil, fmt.Errorf("%s: kernel_shape %v for input %v", n.Label(), ks, x.Shape)
	}
	k := make([]int, len(ks))
	for i, v := range ks {
		k[i] = int(v)
	}
	geo, err := windowGeom(n, x.Shape[2:], k, n.Int("ceil_mode", 0) == 1)
	if err != nil {
		return nil, err
	}
	out := append(copyShape(x.Shape[:2]), geo.out[0], geo.out[1])
	if rank == 3 {
		out = []int{x.Shape[0], x.Shape[1], geo.out[1]}
	}
	if err := c.checkOut(n, 0, x.DType, out); err != nil {
		return nil, err
	}
	isMax := n.Op == "MaxPool"
	includePad := n.Int("count_include_pad", 0) == 1
	planes := x.Shape[0] * x.Shape[1]
	H, W, OH, OW := geo.in[0], geo.in[1], geo.out[0], geo.out[1]
	pr := one(graph.Float32, out, nil)
	if withIdx {
		// Indices index the flattened input, with H and W swapped for storage_order 1.
		pr.outs = append(pr.outs, Value{DType: graph.Int64, Shape: copyShape(out)})
	}
	pr.flops = float64(graph.NumElems(out)) * float64(geo.k[0]) * float64(geo.k[1])
	pr.params = PoolParams{Planes: planes, H: H, W: W, OH: OH, OW: OW,
		KH: geo.k[0], KW: geo.k[1], SH: geo.s[0], SW: geo.s[1], DH: geo.d[0], DW: geo.d[1],
		PT: geo.padBegin[0], PL: geo.padBegin[1], PB: geo.padEnd[0], PR: geo.padEnd[1],
		Max: isMax, CountIncludePad: includePad}
	pr.run = func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, o[0].F
		vy0, vy1, vx0, vx1 := poolVec(pr.params.(PoolParams), withIdx, src, dst) // op_pool.go
		for p := 0; p < planes; p++ {
			plane := src[p*H*W : (p+1)*H*W]
			for oh := 0; oh < OH; oh++ {
				for ow := 0; ow < OW; ow++ {
					if ow == vx0 && oh >= vy0 && oh < vy1 { // done by poolVec
						ow = vx1 - 1
						continue
					}
					h0, w0 := oh*geo.s[0]-geo.padBegin[0], ow*geo.s[1]-geo.padBegin[1]
					acc := float32(0)
					if isMax {
						acc = float32(math.Inf(-1))
					}
					cnt, arg := 0, -1
					// Only the taps inside the input (a window may be far larger).
					khLo, khHi := tapRange(h0, geo.d[0], geo.k[0], 0, H)
					kwLo, kwHi := tapRange(w0, geo.d[1], geo.k[1], 0, W)
					for kh := khLo; kh < khHi; kh++ {
						h := h0 + kh*geo.d[0]
						for kw := kwLo; kw < kwHi; kw++ {
							w := w0 + kw*geo.d[1]
							v := plane[h*W+w]
							if isMax {
								if v > acc || v != v || arg < 0 {
									acc, arg = v, h*W+w
									if colMajor {
										arg = w*H + h
									}
								}
							} else {
								acc += v
							}
							cnt++
						}
					}
					if !isMax {
						if includePad {
							// The window counts the padding it covers, not what lies beyond it.
							hEnd := min(h0+geo.k[0], H+geo.padEnd[0])
							wEnd := min(w0+geo.k[1], W+geo.padEnd[1])
							cnt = (hEnd - h0) * (wEnd - w0)
						}
						if cnt > 0 {
							acc /= float32(cnt)
						}
					}
					dst[(p*OH+oh)*OW+ow] = acc
					if withIdx && o[1] != nil {
						o[1].I[(p*OH+oh)*OW+ow] = int64(p*H*W + arg)
					}
				}
			}
		}
		return nil
	}
	return pr, nil
}

func prepGlobalPool(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if len(x.Shape) < 3 || x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs a float input of rank >= 3, got %v", n.Label(), x)
	}
	out := copyShape(x.Shape[:2])
	for range x.Shape[2:] {
		out = append(out, 1)
	}
	planes, size := x.Shape[0]*x.Shape[1], graph.NumElems(x.Shape[2:])
	if n.Op == "GlobalLpPool" {
		return globalLpPool(n, out, planes, size)
	}
	isMax := n.Op == "GlobalMaxPool"
	return one(graph.Float32, out, func(in, o []*graph.Tensor, _ []float32) error {
		if !isMax && kern.GlobalAvgVec(in[0].F, o[0].F, planes, size) { // SIMD, partial sums
			return nil
		}
		for p := 0; p < planes; p++ {
			s := in[0].F[p*size : (p+1)*size]
			if isMax {
				m := float32(math.Inf(-1))
				for _, v := range s {
					m = max(m, v)
				}
				o[0].F[p] = m
				continue
			}
			var acc float32
			for _, v := range s {
				acc += v
			}
			o[0].F[p] = acc / float32(size)
		}
		return nil
	}), nil
}

func prepGemm(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if len(a.Shape) != 2 || len(b.Shape) != 2 || a.DType != graph.Float32 || b.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs two float matrices, got %v and %v", n.Label(), a, b)
	}
	ta, tb := n.Int("transA", 0) == 1, n.Int("transB", 0) == 1
	alpha, beta := n.Float("alpha", 1), n.Float("beta", 1)
	M, K := a.Shape[0], a.Shape[1]
	if ta {
		M, K = K, M
	}
	K2, N := b.Shape[0], b.Shape[1]
	if tb {
		K2, N = N, K2
	}
	if K != K2 {
		return nil, fmt.Errorf("%s: inner dimensions %v and %v differ", n.Label(), a.Shape, b.Shape)
	}
	out := []int{M, N}
	var bc *bcast
	if len(in) > 2 && in[2] != nil {
		if _, err := broadcastShape(n, out, in[2].Shape); err != nil {
			return nil, err
		}
		bc = newBcast(out, in[2].Shape)
	}
	lda, ldb := a.Shape[1], b.Shape[1]
	if err := c.checkOut(n, 0, graph.Float32, out); err != nil {
		return nil, err
	}
	pr := one(graph.Float32, out, func(in, o []*graph.Tensor, _ []float32) error {
		y := o[0].F
		cbeta := float32(0)
		if bc != nil && beta != 0 {
			cv := in[2].F
			for it := bc.start(); it.more(); it.next() {
				at, off := it.o, it.off[:]
				for i := 0; i < bc.inner; i++ {
					y[at+i] = beta * cv[off[0]+i*bc.istep[0]]
				}
			}
			cbeta = 1
		}
		kern.Gemm(ta, tb, M, N, K, alpha, in[0].F, lda, in[1].F, ldb, cbeta, y, N)
		return nil
	})
	pr.flops = 2 * float64(M) * float64(N) * float64(K)
	return pr, nil
}

func prepMatMul(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if a.DType != graph.Float32 || b.DType != graph.Float32 || len(a.Shape) == 0 || len(b.Shape) == 0 {
		return nil, fmt.Errorf("%s: needs float tensors of rank >= 1, got %v and %v", n.Label(), a, b)
	}
	M, K, N, batch, out, err := matmulShape(n, a, b)
	if err != nil {
		return nil, err
	}
	if err := c.checkOut(n, 0, graph.Float32, out); err != nil {
		return nil, err
	}
	nb, err := checkShape(n, "batch", batch)
	if err != nil {
		return nil, err
	}
	if err := c.checkTables(n, 16*int64(nb)); err != nil {
		return nil, err
	}
	aOff, bOff := matmulOffsets(batch, a.Shape, b.Shape, nb, M*K, K*N)
	pr := one(graph.Float32, out, func(in, o []*graph.Tensor, _ []float32) error {
		for p := 0; p < nb; p++ {
			kern.Gemm(false, false, M, N, K, 1, in[0].F[aOff[p]:], K, in[1].F[bOff[p]:], N, 0, o[0].F[p*M*N:], N)
		}
		return nil
	})
	pr.flops = 2 * float64(nb) * float64(M) * float64(N) * float64(K)
	pr.held = 16 * int64(nb)
	return pr, nil
}

func prepSoftmax(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	def := int64(-1)
	if c.opset < 13 {
		def = 1
	}
	axis, err := normAxis(n, n.Int("axis", def), rank)
	if err != nil {
		return nil, err
	}
	var outer, dim, inner int
	if c.opset < 13 { // coerced to 2-D: [outer, everything from axis on]
		outer, dim, inner = graph.NumElems(x.Shape[:axis]), graph.NumElems(x.Shape[axis:]), 1
	} else {
		outer, dim, inner = graph.NumElems(x.Shape[:axis]), x.Shape[axis], graph.NumElems(x.Shape[axis+1:])
	}
	logSm := n.Op == "LogSoftmax"
	pr := one(graph.Float32, copyShape(x.Shape), nil)
	pr.params = SoftmaxParams{Outer: outer, Dim: dim, Inner: inner, Log: logSm}
	pr.run = func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, o[0].F
		if inner == 1 && !logSm { // contiguous rows: kern's row kernel (float32, vector under wasm)
			kern.SoftmaxRows(dst, src, outer, dim)
			return nil
		}
		for b := 0; b < outer; b++ {
			for j := 0; j < inner; j++ {
				base := b*dim*inner + j
				m := float32(math.Inf(-1))
				for k := 0; k < dim; k++ {
					m = max(m, src[base+k*inner])
				}
				var sum float64
				for k := 0; k < dim; k++ {
					e := math.Exp(float64(src[base+k*inner] - m))
					sum += e
					if !logSm {
						dst[base+k*inner] = float32(e)
					}
				}
				if logSm {
					ls := float32(math.Log(sum))
					for k := 0; k < dim; k++ {
						dst[base+k*inner] = src[base+k*inner] - m - ls
					}
				} else {
					inv := 1 / sum
					for k := 0; k < dim; k++ {
						dst[base+k*inner] = float32(float64(dst[base+k*inner]) * inv)
					}
				}
			}
		}
		return nil
	}
	return pr, nil
}

func prepReduce(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 && !(x.DType == graph.Int64 && (n.Op == "ReduceSum" || n.Op == "ReduceMax" || n.Op == "ReduceMin" || n.Op == "ReduceProd")) {
		return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), x.DType)
	}
	rank := len(x.Shape)
	minOpset := int64(18)
	if n.Op == "ReduceSum" {
		minOpset = 13
	}
	axes, _, err := intsInput(c, n, in, 1, "axes", minOpset)
	if err != nil {
		return nil, err
	}
	keep := n.Int("keepdims", 1) == 1
	red := make([]bool, rank)
	if len(axes) == 0 {
		noop := n.Int("noop_with_empty_axes", 0) == 1
		switch {
		case noop && (n.Op == "ReduceL1" || n.Op == "ReduceL2" || n.Op == "ReduceSumSquare" || n.Op == "ReduceLogSum"):
			// Nothing is reduced, but the elementwise part still applies:
			// |x|, x², log x (onnx/onnx#7137; ONNX Runtime does the same).
		case noop:
			return &prepared{outs: []Value{{DType: x.DType, Shape: copyShape(x.Shape)}}, alias: true}, nil
		default:
			for i := range red {
				red[i] = true
			}
		}
	}
	for _, a := range axes {
		ax, err := normAxis(n, a, rank)
		if err != nil {
			return nil, err
		}
		red[ax] = true
	}
	out := []int{}
	kshape := make([]int, rank) // output shape with kept dims, for strides
	count := 1
	for i, d := range x.Shape {
		if red[i] {
			kshape[i] = 1
			count *= d
			if keep {
				out = append(out, 1)
			}
		} else {
			kshape[i] = d
			out = append(out, d)
		}
	}
	ost := strides(kshape)
	for i := range ost {
		if red[i] {
			ost[i] = 0
		}
	}
	op := n.Op
	total := graph.NumElems(x.Shape)
	nout := graph.NumElems(out)
	var mx []float32 // ReduceLogSumExp's running max, made here so runs allocate nothing
	if op == "ReduceLogSumExp" {
		mx = make([]float32, nout)
	}
	// Mean or sum over trailing axes: contiguous rows, kern's row kernel.
	trailing := x.DType == graph.Float32 && (op == "ReduceMean" || op == "ReduceSum") && count > 0
	for i := 1; i < rank; i++ {
		if red[i-1] && !red[i] {
			trailing = false
		}
	}
	pr := one(x.DType, out, nil)
	pr.params = ReduceParams{Axes: red}
	if trailing {
		div := float32(1)
		if op == "ReduceMean" {
			div = float32(count)
		}
		pr.run = func(in, o []*graph.Tensor, _ []float32) error {
			kern.RowSums(o[0].F, in[0].F, nout, count, div)
			return nil
		}
		return pr, nil
	}
	pr.run = func(in, o []*graph.Tensor, _ []float32) error {
		var cnt [16]int
		if x.DType == graph.Int64 {
			dst := o[0].I
			for i := range dst {
				switch op {
				case "ReduceMax":
					dst[i] = math.MinInt64
				case "ReduceMin":
					dst[i] = math.MaxInt64
				case "ReduceProd":
					dst[i] = 1
				default:
					dst[i] = 0
				}
			}
			oi := 0
			for i := 0; i < total; i++ {
				v := in[0].I[i]
				switch op {
				case "ReduceMax":
					dst[oi] = max(dst[oi], v)
				case "ReduceMin":
					dst[oi] = min(dst[oi], v)
				case "ReduceProd":
					dst[oi] *= v
				default:
					dst[oi] += v
				}
				oi = advance(&cnt, x.Shape, ost, oi)
			}
			return nil
		}
		dst := o[0].F
		init := float32(0)
		switch op {
		case "ReduceMax":
			init = float32(math.Inf(-1))
		case "ReduceMin":
			init = float32(math.Inf(1))
		case "ReduceProd":
			init = 1
		}
		for i := range dst {
			dst[i] = init
		}
		if op == "ReduceLogSumExp" {
			// max-shifted for stability: first the max, then the sum.
			for i := range mx {
				mx[i] = float32(math.Inf(-1))
			}
			oi := 0
			for i := 0; i < total; i++ {
				mx[oi] = max(mx[oi], in[0].F[i])
				oi = advance(&cnt, x.Shape, ost, oi)
			}
			oi = 0
			cnt = [16]int{}
			for i := 0; i < total; i++ {
				dst[oi] += float32(math.Exp(float64(in[0].F[i] - mx[oi])))
				oi = advance(&cnt, x.Shape, ost, oi)
			}
			for i := range dst {
				dst[i] = mx[i] + float32(math.Log(float64(dst[i])))
			}
			return nil
		}
		oi := 0
		for i := 0; i < total; i++ {
			v := in[0].F[i]
			switch op {
			case "ReduceMax":
				dst[oi] = max(dst[oi], v)
			case "ReduceMin":
				dst[oi] = min(dst[oi], v)
			case "ReduceProd":
				dst[oi] *= v
			case "ReduceL1":
				dst[oi] += float32(math.Abs(float64(v)))
			case "ReduceL2", "ReduceSumSquare":
				dst[oi] += v * v
			default:
				dst[oi] += v
			}
			oi = advance(&cnt, x.Shape, ost, oi)
		}
		switch op {
		case "ReduceMean":
			for i := range dst {
				dst[i] /= float32(count)
			}
		case "ReduceL2":
			for i := range dst {
				dst[i] = float32(math.Sqrt(float64(dst[i])))
			}
		case "ReduceLogSum":
			for i := range dst {
				dst[i] = float32(math.Log(float64(dst[i])))
			}
		}
		return nil
	}
	return pr, nil
}

// advance steps a row-major counter over shape and returns the next output
// offset under ost (0 strides on reduced dims).
func advance(cnt *[16]int, shape, ost []int, oi int) int {
	for d := len(shape) - 1; d >= 0; d-- {
		cnt[d]++
		oi += ost[d]
		if cnt[d] < shape[d] {
			return oi
		}
		oi -= ost[d] * cnt[d]
		cnt[d] = 0
	}
	return oi
}

func prepLayerNorm(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	axis, err := normAxis(n, n.Int("axis", -1), len(x.Shape))
	if err != nil {
		return nil, err
	}
	outer, size := graph.NumElems(x.Shape[:axis]), graph.NumElems(x.Shape[axis:])
	norm := x.Shape[axis:]
	var sbc, bbc *bcast
	sbc = newBcast(norm, in[1].Shape)
	if _, err := broadcastShape(n, norm, in[1].Shape); err != nil {
		return nil, err
	}
	if len(in) > 2 && in[2] != nil {
		bbc = newBcast(norm, in[2].Shape)
	}
	eps := float64(n.Float("epsilon", 1e-5))
	statShape := copyShape(x.Shape)
	for i := axis; i < len(statShape); i++ {
		statShape[i] = 1
	}
	pr := one(graph.Float32, copyShape(x.Shape), nil)
	pr.outs = append(pr.outs, Value{DType: graph.Float32, Shape: statShape}, Value{DType: graph.Float32, Shape: statShape})
	// Scale and bias are broadcast to one row's length once per run, into
	// buffers made here, so that a run allocates nothing.
	sRow := make([]float32, size)
	var bRow []float32
	if bbc != nil {
		bRow = make([]float32, size)
	}
	expand := func(row, src []float32, bc *bcast) {
		for it := bc.start(); it.more(); it.next() {
			for i := 0; i < bc.inner; i++ {
				row[it.o+i] = src[it.off[0]+i*bc.istep[0]]
			}
		}
	}
	pr.run = func(in, o []*graph.Tensor, _ []float32) error {
		src, dst := in[0].F, o[0].F
		expand(sRow, in[1].F, sbc)
		if bbc != nil {
			expand(bRow, in[2].F, bbc)
		}
		if size == len(sRow) {
			// float32 statistics, kern's row kernel (vector under wasm).
			var mean, inv []float32
			if len(o) > 1 && o[1] != nil {
				mean = o[1].F
			}
			if len(o) > 2 && o[2] != nil {
				inv = o[2].F
			}
			kern.LayerNormRows(dst, src, sRow, bRow, outer, size, float32(eps), mean, inv)
			return nil
		}
		for b := 0; b < outer; b++ {
			row := src[b*size : (b+1)*size]
			var mean, vr float64
			for _, v := range row {
				mean += float64(v)
			}
			mean /= float64(size)
			for _, v := range row {
				d := float64(v) - mean
				vr += d * d
			}
			vr /= float64(size)
			inv := 1 / math.Sqrt(vr+eps)
			out := dst[b*size : (b+1)*size]
			out = out[:len(sRow)]
			for i, v := range row[:len(sRow)] {
				out[i] = float32((float64(v)-mean)*inv) * sRow[i]
			}
			if bRow != nil {
				for i := range out[:len(bRow)] {
					out[i] += bRow[i]
				}
			}
			if len(o) > 1 && o[1] != nil {
				o[1].F[b] = float32(mean)
			}
			if len(o) > 2 && o[2] != nil {
				o[2].F[b] = float32(inv)
			}
		}
		return nil
	}
	return pr, nil
}

func prepBatchNorm(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	inst := n.Op == "InstanceNormalization"
	minIn := 5
	if inst {
		minIn = 3
	}
	if err := need(n, in, minIn); err != nil {
		return nil, err
	}
	if n.Int("training_mode", 0) == 1 {
		return nil, fmt.Errorf("%s: training mode is not supported", n.Label())
	}
	x := in[0]
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("%s: input %v needs a channel dimension", n.Label(), x.Shape)
	}
	N, C := x.Shape[0], x.Shape[1]
	for i := 1; i < minIn; i++ {
		if graph.NumElems(in[i].Shape) != C {
			return nil, fmt.Errorf("%s: parameter %d has shape %v, not %d values", n.Label(), i, in[i].Shape, C)
		}
	}
	size := graph.NumElems(x.Shape[2:])
	eps := float64(n.Float("epsilon", 1e-5))
	return one(graph.Float32, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		scale, bias := in[1].F, in[2].F
		for b := 0; b < N; b++ {
			for ch := 0; ch < C; ch++ {
				off := (b*C + ch) * size
				src, dst := in[0].F[off:off+size], o[0].F[off:off+size]
				var mean, vr float64
				if inst {
					for _, v := range src {
						mean += float64(v)
					}
					mean /= float64(size)
					for _, v := range src {
						d := float64(v) - mean
						vr += d * d
					}
					vr /= float64(size)
				} else {
					mean, vr = float64(in[3].F[ch]), float64(in[4].F[ch])
				}
				s := float64(scale[ch]) / math.Sqrt(vr+eps)
				sh := float64(bias[ch]) - mean*s
				for i, v := range src {
					dst[i] = float32(float64(v)*s + sh)
				}
			}
		}
		return nil
	}), nil
}

// prepPad implements Pad: the pads attribute (opset 1 "paddings", 2) or
// input (11), the constant_value input (11), the axes input (18) and the
// modes constant, reflect, edge and wrap (19). Negative pads crop: as in
// onnxruntime, an axis is first cropped by its negative pads and then
// padded by its positive ones, the reflect/edge/wrap padding being taken
// from the cropped data.
func prepPad(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	pads, ok, err := intsInput(c, n, in, 1, "pads", 11)
	if c.opset < 11 && !ok {
		pads, ok = n.Ints("paddings"), n.Ints("paddings") != nil
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s: missing pads", n.Label())
	}
	mode := n.String("mode", "constant")
	switch {
	case mode == "constant" || mode == "reflect" || mode == "edge":
	case mode == "wrap" && c.opset >= 19:
	case mode == "wrap":
		return nil, fmt.Errorf("%s: pad mode \"wrap\" needs opset 19, the model has opset %d", n.Label(), c.opset)
	default:
		return nil, fmt.Errorf("%s: unknown pad mode %q (constant, reflect, edge or wrap)", n.Label(), mode)
	}
	if x.DType != graph.Float32 && x.DType != graph.Int64 && x.DType != graph.Bool {
		return nil, fmt.Errorf("%s: %s input is not supported", n.Label(), x.DType)
	}
	var axes []int
	if len(in) > 3 && in[3] != nil {
		if c.opset < 18 {
			return nil, fmt.Errorf("%s: the axes input needs opset 18, the model has opset %d", n.Label(), c.opset)
		}
		t, err := needConst(n, in, 3, "axes")
		if err != nil {
			return nil, err
		}
		if axes, err = uniqueAxes(n, t.AsInts(), true, rank); err != nil {
			return nil, err
		}
	} else {
		axes, _ = uniqueAxes(n, nil, false, rank)
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("%s: %d pads for %d axes", n.Label(), len(pads), len(axes))
	}
	before, after := make([]int, rank), make([]int, rank)
	for i, ax := range axes {
		for _, p := range []int64{pads[i], pads[i+len(axes)]} {
			if p > graph.MaxElems || p < -graph.MaxElems {
				return nil, fmt.Errorf("%s: pad %d is out of range", n.Label(), p)
			}
		}
		before[ax], after[ax] = int(pads[i]), int(pads[i+len(axes)])
	}
	out := make([]int, rank)
	var tables int64
	for d := range out {
		dim := x.Shape[d]
		out[d] = dim + before[d] + after[d]                 // each at most 2³¹ in size: no overflow
		lo, hi := max(-before[d], 0), dim-max(-after[d], 0) // the part kept after cropping
		if out[d] < 0 || hi < lo {
			return nil, fmt.Errorf("%s: pads %v crop axis %d of size %d to a negative size", n.Label(), pads, d, dim)
		}
		if hi == lo && out[d] > 0 && mode != "constant" {
			return nil, fmt.Errorf("%s: cannot pad an empty axis %d in %s mode", n.Label(), d, mode)
		}
		tables += 8 * int64(out[d])
	}
	if err := c.checkOut(n, 0, x.DType, out); err != nil {
		return nil, err
	}
	if graph.NumElems(out) == 0 {
		tables = 0 // no element to gather: no maps
	}
	if err := c.checkTables(n, tables); err != nil {
		return nil, err
	}
	idx := make([]axisMap, rank)
	for d := range out {
		dim := x.Shape[d]
		if tables == 0 {
			idx[d] = axisMap{}
			continue
		}
		lo, hi := max(-before[d], 0), dim-max(-after[d], 0)
		kept := hi - lo
		pb := max(before[d], 0)
		m := make(axisMap, out[d])
		for k := range m {
			j := k - pb
			if j < 0 || j >= kept {
				switch mode {
				case "constant":
					m[k] = -1
					continue
				case "edge":
					j = min(max(j, 0), kept-1)
				case "wrap":
					j = ((j % kept) + kept) % kept
				case "reflect":
					if kept == 1 {
						j = 0
					} else {
						period := 2 * (kept - 1)
						j = ((j % period) + period) % period
						if j >= kept {
							j = period - j
						}
					}
				}
			}
			m[k] = lo + j
		}
		idx[d] = m
	}
	value := n.Float("value", 0)
	hasValue := c.opset >= 11 && len(in) > 2 && in[2] != nil
	if hasValue {
		if in[2].DType != x.DType || graph.NumElems(in[2].Shape) != 1 {
			return nil, fmt.Errorf("%s: constant_value is %v; it must be one %s value", n.Label(), in[2], x.DType)
		}
	}
	fill := func(in []*graph.Tensor) (float32, int64, bool) {
		if hasValue {
			v := in[2]
			switch v.DType {
			case graph.Float32:
				return v.F[0], 0, false
			case graph.Int64:
				return 0, v.I[0], false
			case graph.Bool:
				return 0, 0, v.B[0]
			}
		}
		return value, int64(value), value != 0
	}
	pr := one(x.DType, out, gatherKernel(x.DType, x.Shape, out, idx, fill))
	pr.held = tables
	return pr, nil
}

// globalLpPool is GlobalLpPool's kernel: the Lp norm of each plane.
func globalLpPool(n *graph.Node, out []int, planes, size int) (*prepared, error) {
	p := 2.0
	switch v := n.Attrs["p"].(type) {
	case float32:
		p = float64(v)
	case float64:
		p = v
	case int64:
		p = float64(v)
	}
	if p <= 0 {
		return nil, fmt.Errorf("%s: p = %g must be positive", n.Label(), p)
	}
	return one(graph.Float32, out, func(in, o []*graph.Tensor, _ []float32) error {
		for pl := 0; pl < planes; pl++ {
			var sum float64
			for _, v := range in[0].F[pl*size : (pl+1)*size] {
				a := math.Abs(float64(v))
				if p == 2 {
					sum += a * a
				} else {
					sum += math.Pow(a, p)
				}
			}
			if p == 2 {
				o[0].F[pl] = float32(math.Sqrt(sum))
			} else {
				o[0].F[pl] = float32(math.Pow(sum, 1/p))
			}
		}
		return nil
	}), nil
}

// matmulShape is MatMul's shape rule (numpy's matmul), shared by MatMul
// and the integer MatMuls: a 1-D a is a row and a 1-D b a column, dropped
// from the output again; the batch dimensions broadcast. It returns the
// rows M, the inner size K, the columns N, the broadcast batch shape and
// the output shape.
func matmulShape(n *graph.Node, a, b *Value) (M, K, N int, batch, out []int, err error) {
	as, bs := copyShape(a.Shape), copyShape(b.Shape)
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	M, K, K2, N := as[len(as)-2], as[len(as)-1], bs[len(bs)-2], bs[len(bs)-1]
	if K != K2 {
		return 0, 0, 0, nil, nil, fmt.Errorf("%s: inner dimensions of %v and %v differ", n.Label(), a.Shape, b.Shape)
	}
	if batch, err = broadcastShape(n, as[:len(as)-2], bs[:len(bs)-2]); err != nil {
		return 0, 0, 0, nil, nil, err
	}
	out = append(copyShape(batch), M, N)
	if len(a.Shape) == 1 {
		out = append(copyShape(batch), N)
	}
	if len(b.Shape) == 1 {
		out = out[:len(out)-1]
		if len(a.Shape) == 1 {
			out = copyShape(batch)
		}
	}
	return M, K, N, batch, out, nil
}

// matmulOffsets gives, for each of the nb matrices of a broadcast batch,
// where its a and b matrices start (a's of aSize elements, b's of bSize).
func matmulOffsets(batch, a, b []int, nb, aSize, bSize int) (aOff, bOff []int) {
	aOff, bOff = make([]int, nb), make([]int, nb)
	for _, side := range []struct {
		shape []int
		off   []int
		size  int
	}{{a, aOff, aSize}, {b, bOff, bSize}} {
		dims := []int{}
		if len(side.shape) > 2 {
			dims = side.shape[:len(side.shape)-2]
		}
		bc := newBcast(batch, dims)
		i := 0
		bc.each(func(o int, off []int) {
			for k := 0; k < bc.inner; k++ {
				side.off[i] = (off[0] + k*bc.istep[0]) * side.size
				i++
			}
		})
	}
	if nb == 1 {
		aOff[0], bOff[0] = 0, 0
	}
	return aOff, bOff
}
