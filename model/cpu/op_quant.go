package cpu

import (
	"fmt"
	"math"
	"slices"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

// Quantized ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv, and the
// com.microsoft ops ONNX Runtime's quantizer writes (QLinearAdd,
// QLinearMul, QLinearGlobalAveragePool, QLinearConcat, QLinearSigmoid,
// QLinearLeakyRelu, QGemm).
//
// Quantized values are int64 at run time, of the element type the
// compiler tracks in Value.Elem (elems.go). Products accumulate in int32,
// exactly; a quantized result is requantized as ONNX Runtime's MLAS does:
// the float32 accumulator times a float32 multiplier (computed in the
// same order as ORT: (x_scale·w_scale)/y_scale), clamped to the output
// type's range less the zero point, rounded half to even, plus the zero
// point. Scales and zero points are read at run time, so they need not be
// constants.

func init() {
	register(prepQuantize, "QuantizeLinear", "com.microsoft.QuantizeLinear")
	register(prepDequantize, "DequantizeLinear", "com.microsoft.DequantizeLinear")
	register(prepDynQuantize, "DynamicQuantizeLinear")
	register(prepQMatMul, "MatMulInteger", "QLinearMatMul")
	register(prepQConv, "ConvInteger", "QLinearConv")
	register(prepQLinearBinary, "com.microsoft.QLinearAdd", "com.microsoft.QLinearMul")
	register(prepQLinearGAP, "com.microsoft.QLinearGlobalAveragePool")
	register(prepQLinearConcat, "com.microsoft.QLinearConcat")
	register(prepQLinearLUT, "com.microsoft.QLinearSigmoid", "com.microsoft.QLinearLeakyRelu")
	register(prepQGemm, "com.microsoft.QGemm")
}

// quantize is MLAS's QuantizeLinear of one value: x/scale in float32,
// clamped to [lo-zp, hi-zp], rounded half to even, plus zp.
func quantize(x, scale float32, zp, lo, hi int64) int64 {
	return requant(x/scale, zp, lo, hi)
}

// requant rounds a value already divided by the output scale.
func requant(v float32, zp, lo, hi int64) int64 {
	f := float64(v)
	if f != f {
		return lo // MLAS clamps with maxps, which yields the bound for NaN
	}
	f = math.Max(f, float64(lo-zp))
	f = math.Min(f, float64(hi-zp))
	return int64(math.RoundToEven(f)) + zp
}

// qaxis maps an element of a tensor, seen as outer × dim × inner around
// an axis, to its quantization parameter: one for the tensor, one per
// index along the axis, or (blocked, opset 21) one per block of block
// indices along the axis and per position elsewhere.
type qaxis struct {
	outer, dim, inner int
	perTensor         bool
	block, nb         int // blocked: block size and blocks along the axis (0: per axis)
}

func (q *qaxis) index(o, d, i int) int {
	switch {
	case q.perTensor:
		return 0
	case q.nb == 0:
		return d
	}
	return (o*q.nb+d/q.block)*q.inner + i
}

func quantAxis(n *graph.Node, what string, x []int, scale, zp *Value) (qaxis, error) {
	var q qaxis
	if scale == nil || scale.DType != graph.Float32 {
		return q, fmt.Errorf("%s: %s scale must be a float tensor, got %v", n.Label(), what, scale)
	}
	if zp != nil {
		if zp.DType != graph.Int64 {
			return q, fmt.Errorf("%s: %s zero point must be an integer tensor, got %v", n.Label(), what, zp)
		}
		if !sameShape(zp.Shape, scale.Shape) && !(graph.NumElems(zp.Shape) == 1 && graph.NumElems(scale.Shape) == 1) {
			return q, fmt.Errorf("%s: %s zero point %v and scale %v differ in shape", n.Label(), what, zp.Shape, scale.Shape)
		}
	}
	if graph.NumElems(scale.Shape) == 1 && len(scale.Shape) <= 1 {
		q.perTensor, q.outer, q.dim, q.inner = true, 1, graph.NumElems(x), 1
		return q, nil
	}
	axis, err := normAxis(n, n.Int("axis", 1), len(x))
	if err != nil {
		return q, err
	}
	q.outer, q.dim, q.inner = graph.NumElems(x[:axis]), x[axis], graph.NumElems(x[axis+1:])
	block := int(n.Int("block_size", 0))
	switch {
	case block <= 0 && len(scale.Shape) == 1 && scale.Shape[0] == x[axis]:
		return q, nil
	case block > 0 && len(scale.Shape) == len(x):
		q.block, q.nb = block, (x[axis]+block-1)/block
		for i, d := range x {
			want := d
			if i == axis {
				want = q.nb
			}
			if scale.Shape[i] != want {
				return q, fmt.Errorf("%s: %s scale %v does not block %v by %d along axis %d", n.Label(), what, scale.Shape, x, block, axis)
			}
		}
		return q, nil
	}
	return q, fmt.Errorf("%s: %s scale %v fits neither per-tensor nor per-axis (axis %d) quantization of %v", n.Label(), what, scale.Shape, axis, x)
}

func present(in []*Value, i int) *Value {
	if i < len(in) {
		return in[i]
	}
	return nil
}

func tensorAt(in []*graph.Tensor, i int) *graph.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// zpAt reads a zero point (0 when it is absent).
func zpAt(t *graph.Tensor, i int) int64 {
	if t == nil {
		return 0
	}
	return t.I[i]
}

func prepQuantize(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, scale, zp := in[0], in[1], present(in, 2)
	if x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs a float input, got %v", n.Label(), x)
	}
	q, err := quantAxis(n, "y", x.Shape, scale, zp)
	if err != nil {
		return nil, err
	}
	elem := int64(elemUint8)
	if zp != nil {
		elem = quantElem(zp)
	} else if e := n.Int("output_dtype", 0); e != 0 {
		elem = e
	}
	switch elem {
	case elemUint8, elemInt8, elemUint16, elemInt16:
	default:
		return nil, fmt.Errorf("%s: quantizing to %s is not supported", n.Label(), graph.ElemName(elem))
	}
	lo, hi := qRange(elem)
	pr := one(graph.Int64, copyShape(x.Shape), func(in, out []*graph.Tensor, _ []float32) error {
		xs, s, z, y := in[0].F, in[1].F, tensorAt(in, 2), out[0].I
		if q.perTensor {
			kern.QuantizeInt64(xs, s[0], zpAt(z, 0), lo, hi, y) // quantize's
			return nil
		}
		k := 0
		for o := 0; o < q.outer; o++ {
			for d := 0; d < q.dim; d++ {
				for i := 0; i < q.inner; i++ {
					p := q.index(o, d, i)
					y[k] = quantize(xs[k], s[p], zpAt(z, p), lo, hi)
					k++
				}
			}
		}
		return nil
	})
	pr.outs[0].Elem = elem
	return pr, nil
}

func prepDequantize(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, scale, zp := in[0], in[1], present(in, 2)
	if x.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: needs an integer input, got %v", n.Label(), x)
	}
	q, err := quantAxis(n, "x", x.Shape, scale, zp)
	if err != nil {
		return nil, err
	}
	if x.Elem == elemInt32 && zp != nil && zp.Const != nil {
		for _, v := range zp.Const.I {
			if v != 0 {
				return nil, fmt.Errorf("%s: an int32 input needs a zero point of 0", n.Label())
			}
		}
	}
	pr := one(graph.Float32, copyShape(x.Shape), func(in, out []*graph.Tensor, _ []float32) error {
		xs, s, z, y := in[0].I, in[1].F, tensorAt(in, 2), out[0].F
		if q.perTensor {
			zp, sc := zpAt(z, 0), s[0]
			for i, v := range xs {
				y[i] = float32(int32(v-zp)) * sc
			}
			return nil
		}
		k := 0
		for o := 0; o < q.outer; o++ {
			for d := 0; d < q.dim; d++ {
				for i := 0; i < q.inner; i++ {
					p := q.index(o, d, i)
					y[k] = float32(int32(xs[k]-zpAt(z, p))) * s[p]
					k++
				}
			}
		}
		return nil
	})
	return pr, nil
}

// prepDynQuantize is DynamicQuantizeLinear as ONNX Runtime computes it:
// the range [min(x,0), max(x,0)] over 255 steps (scale 1 for an all-zero
// input), the zero point 0 - min/scale clamped to [0, 255] and rounded
// half to even, then QuantizeLinear to uint8.
func prepDynQuantize(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs a float input, got %v", n.Label(), x)
	}
	run := func(in, out []*graph.Tensor, _ []float32) error {
		xs := in[0].F
		lo, hi := float32(0), float32(0)
		for _, v := range xs {
			lo, hi = min(lo, v), max(hi, v)
		}
		scale := float32(1)
		if hi != lo {
			scale = (hi - lo) / 255
		}
		zf := float64(0 - lo/scale)
		zp := int64(math.RoundToEven(math.Max(0, math.Min(255, zf))))
		for i, v := range xs {
			out[0].I[i] = quantize(v, scale, zp, 0, 255)
		}
		if len(out) > 1 && out[1] != nil {
			out[1].F[0] = scale
		}
		if len(out) > 2 && out[2] != nil {
			out[2].I[0] = zp
		}
		return nil
	}
	return &prepared{outs: []Value{
		{DType: graph.Int64, Shape: copyShape(x.Shape), Elem: elemUint8},
		{DType: graph.Float32, Shape: []int{}},
		{DType: graph.Int64, Shape: []int{}, Elem: elemUint8},
	}, run: run}, nil
}

// perSet checks that a scale or zero point has one value or count values.
func perSet(n *graph.Node, what string, v *Value, count int) error {
	if v == nil {
		return nil
	}
	if k := graph.NumElems(v.Shape); k != 1 && k != count {
		return fmt.Errorf("%s: %s %v has neither 1 nor %d values", n.Label(), what, v.Shape, count)
	}
	return nil
}

// pick reads value i of a per-tensor or per-channel parameter.
func pickF(s []float32, i int) float32 {
	if len(s) == 1 {
		return s[0]
	}
	return s[i]
}

func pickZ(t *graph.Tensor, i int) int64 {
	if t == nil {
		return 0
	}
	if len(t.I) == 1 {
		return t.I[0]
	}
	return t.I[i]
}

// prepQMatMul is MatMulInteger (A, B, a_zero_point, b_zero_point → int32)
// and QLinearMatMul (a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp).
// Batch dimensions broadcast as MatMul's; a's zero point may be per row,
// b's scale and zero point per column.
func prepQMatMul(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	linear := n.Op == "QLinearMatMul"
	ia, ib, iaz, ibz := 0, 1, 2, 3
	if linear {
		if err := need(n, in, 8); err != nil {
			return nil, err
		}
		ia, ib, iaz, ibz = 0, 3, 2, 5
	} else if err := need(n, in, 2); err != nil {
		return nil, err
	}
	a, b := in[ia], in[ib]
	if a.DType != graph.Int64 || b.DType != graph.Int64 || len(a.Shape) == 0 || len(b.Shape) == 0 {
		return nil, fmt.Errorf("%s: needs integer tensors of rank >= 1, got %v and %v", n.Label(), a, b)
	}
	M, K, N, batch, out, err := matmulShape(n, a, b)
	if err != nil {
		return nil, err
	}
	if err := perSet(n, "a zero point", present(in, iaz), M); err != nil {
		return nil, err
	}
	if err := perSet(n, "b zero point", present(in, ibz), N); err != nil {
		return nil, err
	}
	elem := int64(elemInt32)
	if linear {
		if err := perSet(n, "a scale", in[1], 1); err != nil {
			return nil, err
		}
		if err := perSet(n, "b scale", in[4], N); err != nil {
			return nil, err
		}
		if err := perSet(n, "y scale", in[6], 1); err != nil {
			return nil, err
		}
		elem = quantElem(in[7], a)
	}
	if err := c.checkOut(n, 0, graph.Int64, out); err != nil {
		return nil, err
	}
	nb, err := checkShape(n, "batch", batch)
	if err != nil {
		return nil, err
	}
	if err := c.checkTables(n, 16*int64(nb)+12*int64(N)); err != nil {
		return nil, err
	}
	aOff, bOff := matmulOffsets(batch, a.Shape, b.Shape, nb, M*K, K*N)
	acc := make([]int32, N)
	bz := make([]int32, N)
	mult := make([]float32, N)
	lo, hi := qRange(elem)
	pr := one(graph.Int64, out, func(in, o []*graph.Tensor, _ []float32) error {
		A, B, Y := in[ia].I, in[ib].I, o[0].I
		az, bzt := tensorAt(in, iaz), tensorAt(in, ibz)
		for j := range bz {
			bz[j] = int32(pickZ(bzt, j))
		}
		var yz int64
		if linear {
			as, ys := in[1].F[0], in[6].F[0]
			for j := range mult {
				mult[j] = as * pickF(in[4].F, j) / ys
			}
			yz = in[7].I[0]
		}
		for p := 0; p < nb; p++ {
			for m := 0; m < M; m++ {
				clear(acc)
				za := int32(pickZ(az, m))
				row := A[aOff[p]+m*K : aOff[p]+m*K+K]
				for k, av := range row {
					x := int32(av) - za
					if x == 0 {
						continue
					}
					col := B[bOff[p]+k*N : bOff[p]+k*N+N]
					for j, bv := range col {
						acc[j] += x * (int32(bv) - bz[j])
					}
				}
				dst := Y[(p*M+m)*N : (p*M+m)*N+N]
				if !linear {
					for j, v := range acc {
						dst[j] = int64(v)
					}
					continue
				}
				for j, v := range acc {
					dst[j] = requant(float32(v)*mult[j], yz, lo, hi)
				}
			}
		}
		return nil
	})
	pr.outs[0].Elem = elem
	pr.flops = 2 * float64(nb) * float64(M) * float64(N) * float64(K)
	pr.held = 16*int64(nb) + 12*int64(N)
	return pr, nil
}

// prepQConv is ConvInteger (x, w, x_zero_point, w_zero_point → int32) and
// QLinearConv (x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B): a
// direct 1-D or 2-D convolution with int32 accumulation. Padding holds the
// zero point, so it adds nothing. w's scale and zero point may be per
// output channel; B is int32, added to the accumulator.
func prepQConv(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	linear := n.Op == "QLinearConv"
	if linear {
		if pr := qlinearConvFast(c, n, in); pr != nil {
			return pr, nil
		}
	}
	ix, iw, ixz, iwz := 0, 1, 2, 3
	if linear {
		if err := need(n, in, 8); err != nil {
			return nil, err
		}
		ix, iw, ixz, iwz = 0, 3, 2, 5
	} else if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, w := in[ix], in[iw]
	if x.DType != graph.Int64 || w.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: needs integer input and weights, got %v and %v", n.Label(), x, w)
	}
	if ks := n.Ints("kernel_shape"); ks != nil {
		for i, k := range ks {
			if i+2 >= len(w.Shape) || int(k) != w.Shape[i+2] {
				return nil, fmt.Errorf("%s: kernel_shape %v disagrees with weights %v", n.Label(), ks, w.Shape)
			}
		}
	}
	p, err := convParams(n, []*Value{x, w})
	if err != nil {
		return nil, err
	}
	out := []int{p.N, p.M, p.OH, p.OW}
	if len(x.Shape) == 3 {
		out = []int{p.N, p.M, p.OW}
	}
	if err := perSet(n, "x zero point", present(in, ixz), 1); err != nil {
		return nil, err
	}
	if err := perSet(n, "w zero point", present(in, iwz), p.M); err != nil {
		return nil, err
	}
	elem := int64(elemInt32)
	hasBias := false
	if linear {
		if err := perSet(n, "x scale", in[1], 1); err != nil {
			return nil, err
		}
		if err := perSet(n, "w scale", in[4], p.M); err != nil {
			return nil, err
		}
		if err := perSet(n, "y scale", in[6], 1); err != nil {
			return nil, err
		}
		if b := present(in, 8); b != nil {
			if b.DType != graph.Int64 || graph.NumElems(b.Shape) != p.M {
				return nil, fmt.Errorf("%s: bias %v is not %d integers", n.Label(), b, p.M)
			}
			hasBias = true
		}
		elem = quantElem(in[7], x)
	}
	if err := c.checkOut(n, 0, graph.Int64, out); err != nil {
		return nil, err
	}
	xn, wn := graph.NumElems(x.Shape), graph.NumElems(w.Shape)
	held := 4*int64(xn) + 4*int64(wn) + 8*int64(p.M)
	if err := c.checkTables(n, held); err != nil {
		return nil, err
	}
	xs32, ws32 := make([]int32, xn), make([]int32, wn)
	mult := make([]float32, p.M)
	bias := make([]int32, p.M)
	lo, hi := qRange(elem)
	G, M, C := p.Group, p.M, p.C
	Mg, Cg := M/G, C/G
	H, W, OH, OW, KH, KW := p.H, p.W, p.OH, p.OW, p.KH, p.KW
	ksz := Cg * KH * KW
	pr := one(graph.Int64, out, func(in, o []*graph.Tensor, _ []float32) error {
		xz := int32(pickZ(tensorAt(in, ixz), 0))
		for i, v := range in[ix].I {
			xs32[i] = int32(v) - xz
		}
		wzt := tensorAt(in, iwz)
		for m := 0; m < M; m++ {
			wz := int32(pickZ(wzt, m))
			for i, v := range in[iw].I[m*ksz : (m+1)*ksz] {
				ws32[m*ksz+i] = int32(v) - wz
			}
		}
		var yz int64
		if linear {
			xsc, ysc := in[1].F[0], in[6].F[0]
			for m := range mult {
				mult[m] = xsc * pickF(in[4].F, m) / ysc
			}
			yz = in[7].I[0]
			for m := range bias {
				bias[m] = 0
				if hasBias {
					bias[m] = int32(in[8].I[m])
				}
			}
		}
		Y := o[0].I
		k := 0
		for b := 0; b < p.N; b++ {
			for m := 0; m < M; m++ {
				g := m / Mg
				wm := ws32[m*ksz : (m+1)*ksz]
				xg := xs32[(b*C+g*Cg)*H*W : (b*C+g*Cg+Cg)*H*W]
				for oh := 0; oh < OH; oh++ {
					for ow := 0; ow < OW; ow++ {
						acc := int32(0)
						ih0, iw0 := oh*p.SH-p.PT, ow*p.SW-p.PL
						for ci := 0; ci < Cg; ci++ {
							plane := xg[ci*H*W : (ci+1)*H*W]
							wk := wm[ci*KH*KW : (ci+1)*KH*KW]
							for kh := 0; kh < KH; kh++ {
								ih := ih0 + kh*p.DH
								if ih < 0 || ih >= H {
									continue
								}
								row := plane[ih*W : ih*W+W]
								wr := wk[kh*KW : kh*KW+KW]
								for kw, wv := range wr {
									iw := iw0 + kw*p.DW
									if iw >= 0 && iw < W {
										acc += row[iw] * wv
									}
								}
							}
						}
						if linear {
							Y[k] = requant(float32(acc+bias[m])*mult[m], yz, lo, hi)
						} else {
							Y[k] = int64(acc)
						}
						k++
					}
				}
			}
		}
		return nil
	})
	pr.outs[0].Elem = elem
	pr.flops = 2 * float64(graph.NumElems(out)) * float64(ksz)
	pr.held = held
	return pr, nil
}

// qlinearIn reads a com.microsoft QLinear op's (value, scale, zero point)
// triple starting at input i; the zero point is optional.
func qlinearScalars(n *graph.Node, in []*Value, idx ...int) error {
	for _, i := range idx {
		v := present(in, i)
		if v == nil {
			continue
		}
		if graph.NumElems(v.Shape) != 1 {
			return fmt.Errorf("%s: input %d must be a scalar, got %v", n.Label(), i, v.Shape)
		}
	}
	return nil
}

// prepQLinearBinary is com.microsoft's QLinearAdd and QLinearMul (A,
// A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp) with broadcasting, in
// the arithmetic of MLAS's vector kernels: for QLinearAdd
// fma(A_scale/C_scale, A, fma(B_scale/C_scale, B, fixed)) with fixed =
// C_zp - fma(A_scale/C_scale, A_zp, B_zp·B_scale/C_scale), which is not the
// same float as the reference formula's and decides near-ties; for
// QLinearMul (A-A_zp)(B-B_zp)·(A_scale·B_scale/C_scale).
func prepQLinearBinary(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 7); err != nil {
		return nil, err
	}
	a, b := in[0], in[3]
	if a.DType != graph.Int64 || b.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: needs integer inputs, got %v and %v", n.Label(), a, b)
	}
	if err := qlinearScalars(n, in, 1, 2, 4, 5, 6, 7); err != nil {
		return nil, err
	}
	out, err := broadcastShape(n, a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	if err := c.checkOut(n, 0, graph.Int64, out); err != nil {
		return nil, err
	}
	total := graph.NumElems(out)
	var aIdx, bIdx []int32
	if !sameShape(a.Shape, out) || !sameShape(b.Shape, out) {
		if err := c.checkTables(n, 8*int64(total)); err != nil {
			return nil, err
		}
		aIdx, bIdx = bcastIndex(out, a.Shape), bcastIndex(out, b.Shape)
	}
	elem := quantElem(present(in, 7), a)
	lo, hi := qRange(elem)
	mul := n.Op == "com.microsoft.QLinearMul"
	pr := one(graph.Int64, out, func(in, o []*graph.Tensor, _ []float32) error {
		A, B, Y := in[0].I, in[3].I, o[0].I
		as, bs, cs := in[1].F[0], in[4].F[0], in[6].F[0]
		az, bz, cz := zpAt(tensorAt(in, 2), 0), zpAt(tensorAt(in, 5), 0), zpAt(tensorAt(in, 7), 0)
		rA, rB := as/cs, bs/cs
		// MLAS's AVX2 file is compiled with FMA, and the compiler contracts
		// the fixed part's first product and the sum into one FMA too.
		fixed := float32(cz) - fma32(rA, float32(az), float32(rB*float32(bz)))
		rM := as * bs / cs
		if aIdx == nil && !mul && kern.QLinearAddFMA(A[:total], B[:total], Y[:total], rA, rB, fixed, lo, hi, fma32) {
			return nil // the same operations on the CPU's FMA
		}
		for i := 0; i < total; i++ {
			ia, ib := i, i
			if aIdx != nil {
				ia, ib = int(aIdx[i]), int(bIdx[i])
			}
			if mul {
				v := float32(int32(A[ia]-az)*int32(B[ib]-bz)) * rM
				Y[i] = requant(v, cz, lo, hi)
				continue
			}
			v := fma32(rA, float32(A[ia]), fma32(rB, float32(B[ib]), fixed))
			Y[i] = requant(v, 0, lo, hi)
		}
		return nil
	})
	pr.outs[0].Elem = elem
	pr.held = 8 * int64(len(aIdx))
	return pr, nil
}

// fma32 is a·b+c rounded once to float32, as the fused multiply-add of
// MLAS's AVX2 kernels computes it (QLinearAdd's results depend on it).
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact: 48 significant bits at most
	s := p + float64(c)
	r := float32(s)
	if float64(r) == s || math.IsInf(s, 0) {
		return r
	}
	// s rounded p+c to float64; it decides the float32 rounding unless it
	// lies exactly halfway between two float32s and the sum was inexact.
	other := math.Nextafter32(r, float32(math.Copysign(math.Inf(1), s-float64(r))))
	if (float64(r)+float64(other))/2 != s {
		return r
	}
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb) // TwoSum: p+c = s+e exactly
	if e == 0 {
		return r
	}
	return float32(math.Nextafter(s, math.Copysign(math.Inf(1), e)))
}

// bcastIndex lists, for each element of out, the element of a tensor of
// shape s that broadcasts to it.
func bcastIndex(out, s []int) []int32 {
	idx := make([]int32, graph.NumElems(out))
	st := strides(s)
	off := len(out) - len(s)
	var cnt [16]int
	for i := range idx {
		j := 0
		for d := range s {
			if s[d] != 1 {
				j += cnt[off+d] * st[d]
			}
		}
		idx[i] = int32(j)
		for d := len(out) - 1; d >= 0; d-- {
			cnt[d]++
			if cnt[d] < out[d] {
				break
			}
			cnt[d] = 0
		}
	}
	return idx
}

// prepQLinearGAP is com.microsoft's QLinearGlobalAveragePool (X, x_scale,
// x_zp, y_scale, y_zp; channels_last): MLAS sums each channel in int32,
// subtracts zp·size and requantizes by x_scale/(y_scale·size).
func prepQLinearGAP(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 4); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Int64 || len(x.Shape) < 3 {
		return nil, fmt.Errorf("%s: needs an integer input of rank >= 3, got %v", n.Label(), x)
	}
	if err := qlinearScalars(n, in, 1, 2, 3, 4); err != nil {
		return nil, err
	}
	last := n.Int("channels_last", 0) != 0
	N := x.Shape[0]
	C := x.Shape[1]
	size := graph.NumElems(x.Shape[2:])
	out := []int{N, C}
	for range x.Shape[2:] {
		out = append(out, 1)
	}
	if last {
		C = x.Shape[len(x.Shape)-1]
		size = graph.NumElems(x.Shape[1 : len(x.Shape)-1])
		out = []int{N}
		for range x.Shape[1 : len(x.Shape)-1] {
			out = append(out, 1)
		}
		out = append(out, C)
	}
	elem := quantElem(present(in, 4), x)
	lo, hi := qRange(elem)
	pr := one(graph.Int64, out, func(in, o []*graph.Tensor, _ []float32) error {
		X, Y := in[0].I, o[0].I
		xz, yz := zpAt(tensorAt(in, 2), 0), zpAt(tensorAt(in, 4), 0)
		scale := in[1].F[0] / (in[3].F[0] * float32(size))
		bias := -int32(xz) * int32(size)
		for b := 0; b < N; b++ {
			for ch := 0; ch < C; ch++ {
				acc := bias
				if last {
					for s := 0; s < size; s++ {
						acc += int32(X[(b*size+s)*C+ch])
					}
				} else {
					for _, v := range X[(b*C+ch)*size : (b*C+ch+1)*size] {
						acc += int32(v)
					}
				}
				Y[b*C+ch] = requant(float32(acc)*scale, yz, lo, hi)
			}
		}
		return nil
	})
	pr.outs[0].Elem = elem
	return pr, nil
}

// prepQLinearConcat is com.microsoft's QLinearConcat (Y_scale, Y_zp, then
// X, X_scale, X_zp for each input; axis): an input with the output's
// scale and zero point is copied, any other requantized through float.
func prepQLinearConcat(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if len(in) < 5 || (len(in)-2)%3 != 0 {
		return nil, fmt.Errorf("%s: needs Y_scale, Y_zero_point and triples of inputs, has %d inputs", n.Label(), len(in))
	}
	if err := need(n, in, 1); err != nil {
		return nil, err
	}
	k := (len(in) - 2) / 3
	first := in[2]
	if first == nil || first.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: needs integer inputs", n.Label())
	}
	rank := len(first.Shape)
	axis, err := normAxis(n, n.Int("axis", 0), rank)
	if err != nil {
		return nil, err
	}
	out := copyShape(first.Shape)
	out[axis] = 0
	widths := make([]int, k)
	for j := 0; j < k; j++ {
		v := in[2+3*j]
		if v == nil || v.DType != graph.Int64 || len(v.Shape) != rank {
			return nil, fmt.Errorf("%s: input %d is %v, not an integer tensor of rank %d", n.Label(), 2+3*j, v, rank)
		}
		for d := range v.Shape {
			if d != axis && v.Shape[d] != first.Shape[d] {
				return nil, fmt.Errorf("%s: inputs %v and %v differ off axis %d", n.Label(), first.Shape, v.Shape, axis)
			}
		}
		if err := qlinearScalars(n, in, 3+3*j, 4+3*j); err != nil {
			return nil, err
		}
		out[axis] += v.Shape[axis]
		widths[j] = graph.NumElems(v.Shape[axis:])
	}
	if err := qlinearScalars(n, in, 0, 1); err != nil {
		return nil, err
	}
	if err := c.checkOut(n, 0, graph.Int64, out); err != nil {
		return nil, err
	}
	outer := graph.NumElems(out[:axis])
	row := graph.NumElems(out[axis:])
	elem := quantElem(present(in, 1), first)
	lo, hi := qRange(elem)
	pr := one(graph.Int64, out, func(in, o []*graph.Tensor, _ []float32) error {
		Y := o[0].I
		ys, yz := in[0].F[0], zpAt(tensorAt(in, 1), 0)
		at := 0
		for j := 0; j < k; j++ {
			X := in[2+3*j].I
			xs, xz := in[3+3*j].F[0], zpAt(tensorAt(in, 4+3*j), 0)
			wd := widths[j]
			same := xs == ys && xz == yz
			for r := 0; r < outer; r++ {
				src, dst := X[r*wd:(r+1)*wd], Y[r*row+at:r*row+at+wd]
				if same {
					copy(dst, src)
					continue
				}
				for i, v := range src {
					dst[i] = quantize(float32(v-xz)*xs, ys, yz, lo, hi)
				}
			}
			at += wd
		}
		return nil
	})
	pr.outs[0].Elem = elem
	return pr, nil
}

// prepQLinearLUT is com.microsoft's QLinearSigmoid and QLinearLeakyRelu
// (X, X_scale, X_zp, Y_scale, Y_zp): dequantize, apply, quantize.
func prepQLinearLUT(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 4); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != graph.Int64 {
		return nil, fmt.Errorf("%s: needs an integer input, got %v", n.Label(), x)
	}
	if err := qlinearScalars(n, in, 1, 2, 3, 4); err != nil {
		return nil, err
	}
	f := sigmoid
	if n.Op == "com.microsoft.QLinearLeakyRelu" {
		alpha := n.Float("alpha", 0.01)
		f = func(v float32) float32 {
			if v >= 0 {
				return v
			}
			return v * alpha
		}
	}
	elem := quantElem(present(in, 4), x)
	lo, hi := qRange(elem)
	pr := one(graph.Int64, copyShape(x.Shape), func(in, o []*graph.Tensor, _ []float32) error {
		xs, ys := in[1].F[0], in[3].F[0]
		xz, yz := zpAt(tensorAt(in, 2), 0), zpAt(tensorAt(in, 4), 0)
		for i, v := range in[0].I {
			o[0].I[i] = quantize(f(float32(v-xz)*xs), ys, yz, lo, hi)
		}
		return nil
	})
	pr.outs[0].Elem = elem
	return pr, nil
}

// prepQGemm is com.microsoft's QGemm (A, a_scale, a_zp, B, b_scale, b_zp,
// C, y_scale, y_zp; alpha, transA, transB): an int32 product plus C (int32,
// at scale alpha·a_scale·b_scale), scaled to float, or requantized when
// y_scale is given. b's scale and zero point may be per column.
func prepQGemm(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 6); err != nil {
		return nil, err
	}
	a, b := in[0], in[3]
	if a.DType != graph.Int64 || b.DType != graph.Int64 || len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("%s: needs 2-D integer inputs, got %v and %v", n.Label(), a, b)
	}
	ta, tb := n.Int("transA", 0) != 0, n.Int("transB", 0) != 0
	alpha := n.Float("alpha", 1)
	M, K := a.Shape[0], a.Shape[1]
	if ta {
		M, K = K, M
	}
	K2, N := b.Shape[0], b.Shape[1]
	if tb {
		K2, N = N, K2
	}
	if K != K2 {
		return nil, fmt.Errorf("%s: inner dimensions of %v and %v differ", n.Label(), a.Shape, b.Shape)
	}
	if err := qlinearScalars(n, in, 1, 2); err != nil {
		return nil, err
	}
	if err := perSet(n, "b scale", in[4], N); err != nil {
		return nil, err
	}
	if err := perSet(n, "b zero point", present(in, 5), N); err != nil {
		return nil, err
	}
	out := []int{M, N}
	var cIdx []int32
	if cv := present(in, 6); cv != nil {
		if cv.DType != graph.Int64 {
			return nil, fmt.Errorf("%s: C must be int32, got %v", n.Label(), cv)
		}
		if _, err := broadcastShape(n, cv.Shape, out); err != nil {
			return nil, err
		}
		if len(cv.Shape) > 2 {
			return nil, fmt.Errorf("%s: C %v does not broadcast to %v", n.Label(), cv.Shape, out)
		}
		cIdx = bcastIndex(out, cv.Shape)
	}
	quantOut := present(in, 7) != nil
	dt := graph.Float32
	elem := int64(0)
	if quantOut {
		if err := qlinearScalars(n, in, 7, 8); err != nil {
			return nil, err
		}
		dt = graph.Int64
		elem = quantElem(present(in, 8), a)
	}
	if err := c.checkOut(n, 0, dt, out); err != nil {
		return nil, err
	}
	lo, hi := qRange(elem)
	mult := make([]float32, N)
	bz := make([]int32, N)
	acc := make([]int32, N)
	pr := one(dt, out, func(in, o []*graph.Tensor, _ []float32) error {
		A, B := in[0].I, in[3].I
		az := int32(zpAt(tensorAt(in, 2), 0))
		as := in[1].F[0]
		for j := 0; j < N; j++ {
			bz[j] = int32(pickZ(tensorAt(in, 5), j))
			mult[j] = alpha * as * pickF(in[4].F, j)
			if quantOut {
				mult[j] /= in[7].F[0]
			}
		}
		var yz int64
		if quantOut {
			yz = zpAt(tensorAt(in, 8), 0)
		}
		for m := 0; m < M; m++ {
			for j := range acc {
				acc[j] = 0
				if cIdx != nil {
					acc[j] = int32(in[6].I[cIdx[m*N+j]])
				}
			}
			for k := 0; k < K; k++ {
				ai := m*K + k
				if ta {
					ai = k*M + m
				}
				x := int32(A[ai]) - az
				if x == 0 {
					continue
				}
				for j := 0; j < N; j++ {
					bi := k*N + j
					if tb {
						bi = j*K + k
					}
					acc[j] += x * (int32(B[bi]) - bz[j])
				}
			}
			for j, v := range acc {
				if quantOut {
					o[0].I[m*N+j] = requant(float32(v)*mult[j], yz, lo, hi)
				} else {
					o[0].F[m*N+j] = float32(v) * mult[j]
				}
			}
		}
		return nil
	})
	if quantOut {
		pr.outs[0].Elem = elem
	}
	pr.flops = 2 * float64(M) * float64(N) * float64(K)
	pr.held = 4*int64(len(cIdx)) + 12*int64(N)
	return pr, nil
}

// qlinearConvFast runs QLinearConv with constant quantization parameters
// on the integer kernels of a fused QDQ convolution (QConv, kern.QConv:
// packed weights, SIMD in the browser) instead of the direct loop: the
// input is dequantized into float32 (k·x_scale for |k| ≤ 255 divides back
// to exactly k), QConv requantizes it, sums in int32 and writes the
// dequantized output, which is quantized back as exactly. nil when the
// parameters are not constants or QConv cannot take the convolution (the
// direct loop then does).
func qlinearConvFast(c *ctx, n *graph.Node, in []*Value) *prepared {
	if len(in) < 8 || in[0] == nil || in[0].DType != graph.Int64 || (len(in[0].Shape) != 3 && len(in[0].Shape) != 4) {
		return nil
	}
	for _, i := range []int{1, 4, 6} {
		if in[i] == nil || in[i].Const == nil || in[i].DType != graph.Float32 {
			return nil
		}
	}
	for _, i := range []int{2, 5, 7, 8} {
		if v := present(in, i); v != nil && (v.Const == nil || v.DType != graph.Int64) {
			return nil
		}
	}
	if in[1].Const.Len() != 1 || in[6].Const.Len() != 1 || !(in[1].Const.F[0] > 0) || !(in[6].Const.F[0] > 0) {
		return nil
	}
	fin := slices.Clone(in)
	fin[0] = &Value{DType: graph.Float32, Shape: in[0].Shape}
	fpr, err := prepQConvF(c, n, fin)
	if err != nil {
		return nil
	}
	out := fpr.outs[0].Shape
	pr := one(graph.Int64, out, nil)
	pr.outs[0].Elem = quantElem(present(in, 7), in[0])
	pr.flops, pr.held = fpr.flops, fpr.held
	if fpr.run == nil { // shape inference only
		return pr
	}
	xs, ys := in[1].Const.F[0], in[6].Const.F[0]
	var xz, yz int64
	if z := present(in, 2); z != nil {
		xz = z.Const.I[0]
	}
	if z := present(in, 7); z != nil {
		yz = z.Const.I[0]
	}
	nx, ny := graph.NumElems(in[0].Shape), graph.NumElems(out)
	tx := &graph.Tensor{DType: graph.Float32, Shape: in[0].Shape}
	ty := &graph.Tensor{DType: graph.Float32, Shape: out}
	fin0, fout0 := []*graph.Tensor{tx}, []*graph.Tensor{ty}
	run := fpr.run
	pr.scratch = nx + ny + fpr.scratch
	pr.run = func(in, o []*graph.Tensor, scratch []float32) error {
		tx.F, ty.F = scratch[:nx], scratch[nx:nx+ny]
		kern.DequantInt64(in[0].I, xz, xs, tx.F) // float32(v-xz)·xs
		if err := run(fin0, fout0, scratch[nx+ny:]); err != nil {
			return err
		}
		kern.RequantInt64(ty.F, ys, yz, o[0].I) // round(v/ys) + yz
		return nil
	}
	return pr
}
