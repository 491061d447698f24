package cpu

import (
	"fmt"
	"math"

	"github.com/glimpse/glimpse/model/cpu/kern"
	"github.com/glimpse/glimpse/model/graph"
)

// QDQ fusion. A QDQ model (as ONNX Runtime's quantizer writes it) keeps
// float Convs between QuantizeLinear/DequantizeLinear pairs:
//
//	DQ(xq) → Conv(·, DQ(w_int8), DQ(b_int32)) [→ Relu | Clip] → Q → DQ
//
// Constant folding has already turned DQ(w) and DQ(b) into float
// constants; the builder remembers the folded DequantizeLinear nodes, so
// fuseQDQ finds the integer weights and bias again and rewrites the chain
// into one internal "QConv" node, as ONNX Runtime fuses it into
// QLinearConv. QConv has QLinearConv's inputs (x, x_scale, x_zp, w,
// w_scale, w_zp, y_scale, y_zp, B) but reads and writes float32: it
// quantizes x as QuantizeLinear does (x is the input DQ's output, on the
// grid, so this gives xq back exactly), convolves with int32 accumulation,
// requantizes as QLinearConv does, clamps as the fused Relu/Clip implies
// (attribute "activation", with "activation_params" for Clip), and writes
// the output DQ's float32 values. Activations stay float32 between ops,
// so nothing else changes; Program.Export writes QConv with its integer
// weights (their element types recorded in ElemTypes), and compiling the
// exported graph again prepares the same node.
//
// The result is the integer QLinearConv's: an element whose float sum
// lies within rounding of a quantization step's midpoint can differ from
// the float-emulated QDQ graph (NoFusion) by one step.

func init() {
	register(prepQConvF, "QConv")
	register(prepQuantDequant, "QuantizeDequantize")
}

// qdqParams are a Q or DQ node's constant per-tensor scale and zero point.
type qdqParams struct {
	scale      string // input names ("" for an absent zero point)
	zp         string
	s          float32
	z          int64
	elem       int64
	ok         bool
	perChannel bool
}

// perTensorQ reads node n's (Q or DQ) scale and zero point, when both are
// constant scalars.
func perTensorQ(n *graph.Node, vals map[string]*Value) qdqParams {
	var q qdqParams
	s := constF(vals, n.Input(1))
	if len(s) != 1 || n.Int("block_size", 0) != 0 {
		return q
	}
	if len(vals[n.Input(1)].Shape) > 1 {
		return q
	}
	q.scale, q.s = n.Input(1), s[0]
	if !(q.s > 0) || math.IsInf(float64(q.s), 0) {
		return q
	}
	q.elem = elemUint8
	if zn := n.Input(2); zn != "" {
		v := vals[zn]
		if v == nil || v.Const == nil || v.DType != graph.Int64 || len(v.Const.I) != 1 || len(v.Shape) > 1 {
			return q
		}
		q.zp, q.z = zn, v.Const.I[0]
		q.elem = quantElem(v, vals[n.Input(0)])
	} else if n.Op == "QuantizeLinear" {
		if e := n.Int("output_dtype", 0); e != 0 {
			q.elem = e
		}
	} else if v := vals[n.Input(0)]; v != nil && v.DType == graph.Int64 && v.Elem != 0 {
		q.elem = v.Elem
	}
	q.ok = q.elem == elemUint8 || q.elem == elemInt8
	return q
}

// fuseQDQ rewrites QDQ Convs into QConv (see above). dqs are the folded
// DequantizeLinear nodes by output name.
func fuseQDQ(g *graph.Graph, vals map[string]*Value, dqs map[string]*graph.Node) {
	defer fuseQDQPairs(g, vals)
	if len(dqs) == 0 {
		return
	}
	producer := producers(g)
	cons := g.Consumers()
	removed := map[*graph.Node]bool{}
	single := func(name string) *graph.Node {
		if g.IsOutput(name) || len(cons[name]) != 1 {
			return nil
		}
		return cons[name][0]
	}
	for _, cv := range append([]*graph.Node{}, g.Nodes...) {
		if cv.Op != "Conv" || removed[cv] || len(cv.Outputs) != 1 {
			continue
		}
		x := vals[cv.Input(0)]
		if x == nil || x.DType != graph.Float32 || (len(x.Shape) != 4 && len(x.Shape) != 3) {
			continue
		}
		// The input: a DequantizeLinear of uint8/int8 per tensor.
		xdq := producer[cv.Input(0)]
		if xdq == nil || xdq.Op != "DequantizeLinear" {
			continue
		}
		xq := perTensorQ(xdq, vals)
		if !xq.ok {
			continue
		}
		// The weights: a folded DequantizeLinear of int8/uint8 constants,
		// per tensor or per output channel (axis 0).
		wdq := dqs[cv.Input(1)]
		if wdq == nil {
			continue
		}
		wv := vals[wdq.Input(0)]
		if wv == nil || wv.Const == nil || wv.DType != graph.Int64 || len(wv.Shape) != len(x.Shape) {
			continue
		}
		if e := quantElem(wv, vals[wdq.Input(2)]); e != elemInt8 && e != elemUint8 {
			continue
		}
		M := wv.Shape[0]
		ws := constF(vals, wdq.Input(1))
		if ws == nil || (len(ws) != 1 && len(ws) != M) || wdq.Int("block_size", 0) != 0 {
			continue
		}
		if len(ws) > 1 && (len(vals[wdq.Input(1)].Shape) != 1 || (wdq.Int("axis", 1) != 0 && wdq.Int("axis", 1) != -int64(len(wv.Shape)))) {
			continue
		}
		if zn := wdq.Input(2); zn != "" {
			z := vals[zn]
			if z == nil || z.Const == nil || z.DType != graph.Int64 || len(z.Const.I) != len(ws) {
				continue
			}
		}
		// The bias: a folded DequantizeLinear of int32 constants whose
		// scale is x_scale·w_scale (as the quantizer writes it).
		bname := ""
		if cv.Input(2) != "" {
			bdq := dqs[cv.Input(2)]
			if bdq == nil || !qdqBias(bdq, vals, xq.s, ws, M) {
				continue
			}
			bname = bdq.Input(0)
		}
		p, err := convParams(cv, []*Value{x, wv})
		if err != nil || !kern.QConvOK(p) {
			continue
		}
		// The output: [Relu | Clip] → Q → DQ with the same parameters.
		next := single(cv.Outputs[0])
		var act *graph.Node
		var lo, hi float32
		if next != nil && (next.Op == "Relu" || next.Op == "Clip") {
			act = next
			if act.Op == "Clip" {
				var ok bool
				if lo, hi, ok = clipBounds(act, vals); !ok {
					continue
				}
			}
			next = single(act.Outputs[0])
		}
		if next == nil || next.Op != "QuantizeLinear" {
			continue
		}
		q := next
		yq := perTensorQ(q, vals)
		dq := single(q.Outputs[0])
		if !yq.ok || dq == nil || dq.Op != "DequantizeLinear" || dq.Input(0) != q.Outputs[0] || len(dq.Outputs) != 1 {
			continue
		}
		if d := perTensorQ(dq, vals); !d.ok || d.s != yq.s || d.z != yq.z || d.elem != yq.elem {
			continue
		}
		attrs := map[string]any{}
		for k, v := range cv.Attrs {
			attrs[k] = v
		}
		if act != nil {
			attrs["activation"] = act.Op
			attrs["activation_params"] = []float32{lo, hi}
			removed[act] = true
		}
		cv.Attrs = attrs
		cv.Op = "QConv"
		cv.Inputs = []string{cv.Input(0), xq.scale, xq.zp, wdq.Input(0), wdq.Input(1), wdq.Input(2), yq.scale, yq.zp, bname}
		cv.Outputs = []string{dq.Outputs[0]}
		removed[q], removed[dq] = true, true
		moveTo(g, cv, dq)
	}
	drop(g, removed)
}

// fuseQDQPairs rewrites the Q→DQ pairs left (on a graph input, after an
// Add or a pool) into one internal "QuantizeDequantize" node (x, scale,
// zero point): float in, float out, the two ops' values bit for bit,
// without the int64 tensor between them.
func fuseQDQPairs(g *graph.Graph, vals map[string]*Value) {
	cons := g.Consumers()
	removed := map[*graph.Node]bool{}
	for _, q := range append([]*graph.Node{}, g.Nodes...) {
		if q.Op != "QuantizeLinear" || len(q.Outputs) != 1 || g.IsOutput(q.Outputs[0]) || len(cons[q.Outputs[0]]) != 1 {
			continue
		}
		if x := vals[q.Input(0)]; x == nil || x.DType != graph.Float32 {
			continue
		}
		dq := cons[q.Outputs[0]][0]
		if dq.Op != "DequantizeLinear" || dq.Input(0) != q.Outputs[0] || len(dq.Outputs) != 1 {
			continue
		}
		qp, dp := perTensorQ(q, vals), perTensorQ(dq, vals)
		if !qp.ok || !dp.ok || qp.s != dp.s || qp.z != dp.z || qp.elem != dp.elem || (qp.zp == "" && qp.elem != elemUint8) {
			continue
		}
		q.Op = "QuantizeDequantize"
		q.Inputs = []string{q.Input(0), qp.scale, qp.zp}
		q.Attrs = nil
		q.Outputs = []string{dq.Outputs[0]}
		removed[dq] = true
		moveTo(g, q, dq)
	}
	drop(g, removed)
}

// prepQuantDequant prepares QuantizeDequantize (see fuseQDQPairs).
func prepQuantDequant(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	if err := need(n, in, 2); err != nil {
		return nil, err
	}
	x, zp := in[0], present(in, 2)
	if x.DType != graph.Float32 {
		return nil, fmt.Errorf("%s: needs a float input, got %v", n.Label(), x)
	}
	if err := c.checkOut(n, 0, graph.Float32, x.Shape); err != nil {
		return nil, err
	}
	if c.shapesOnly && x.Const == nil {
		return one(graph.Float32, copyShape(x.Shape), nil), nil
	}
	sc, err := needConst(n, in, 1, "scale")
	if err != nil {
		return nil, err
	}
	if len(sc.F) != 1 || (zp != nil && (zp.Const == nil || zp.DType != graph.Int64 || len(zp.Const.I) != 1)) {
		return nil, fmt.Errorf("%s: needs a constant per-tensor scale and zero point", n.Label())
	}
	elem := quantElem(zp)
	if elem != elemUint8 && elem != elemInt8 {
		return nil, fmt.Errorf("%s: quantizing to %s is not supported", n.Label(), graph.ElemName(elem))
	}
	lo, hi := qRange(elem)
	var z int64
	if zp != nil {
		z = zp.Const.I[0]
	}
	if z < lo || z > hi {
		return nil, fmt.Errorf("%s: the zero point lies outside its type's range", n.Label())
	}
	s := sc.F[0]
	pr := one(graph.Float32, copyShape(x.Shape), func(in, out []*graph.Tensor, _ []float32) error {
		kern.QuantDequant(in[0].F, out[0].F, s, int32(lo-z), int32(hi-z))
		return nil
	})
	pr.params = QuantDequantParams{Scale: s, Lo: int32(lo - z), Hi: int32(hi - z)}
	return pr, nil
}

// qdqBias checks a folded bias DequantizeLinear: int32 data of m values,
// zero point 0, scale x_scale·w_scale (to a float32 rounding).
func qdqBias(b *graph.Node, vals map[string]*Value, xs float32, ws []float32, m int) bool {
	v := vals[b.Input(0)]
	if v == nil || v.Const == nil || v.DType != graph.Int64 || len(v.Const.I) != m || v.Elem != elemInt32 {
		return false
	}
	if zn := b.Input(2); zn != "" {
		z := vals[zn]
		if z == nil || z.Const == nil {
			return false
		}
		for _, x := range z.Const.I {
			if x != 0 {
				return false
			}
		}
	}
	bs := constF(vals, b.Input(1))
	if len(bs) != 1 && len(bs) != m || b.Int("block_size", 0) != 0 {
		return false
	}
	for i := 0; i < m; i++ {
		want := float64(xs * pickF(ws, i))
		if math.Abs(float64(pickF(bs, i))-want) > 1e-6*want {
			return false
		}
	}
	return true
}

// prepQConvF prepares QConv: QLinearConv's inputs (x, x_scale, x_zp, w,
// w_scale, w_zp, y_scale, y_zp, B) with x and y float32 (see fuseQDQ).
func prepQConvF(c *ctx, n *graph.Node, in []*Value) (*prepared, error) {
	// x, the scales and w are required; the zero points (2, 5, 7) and the
	// bias (8) are optional, as in QLinearConv and DequantizeLinear.
	for _, i := range []int{0, 1, 3, 4, 6} {
		if present(in, i) == nil {
			return nil, fmt.Errorf("%s: input %d is missing", n.Label(), i)
		}
	}
	x, w := in[0], in[3]
	if x.DType != graph.Float32 || w.DType != graph.Int64 || (len(x.Shape) != 3 && len(x.Shape) != 4) {
		return nil, fmt.Errorf("%s: needs a float input and integer weights, got %v and %v", n.Label(), x, w)
	}
	p, err := convParams(n, []*Value{x, w})
	if err != nil {
		return nil, err
	}
	if !kern.QConvOK(p) {
		return nil, fmt.Errorf("%s: a reduction of %d products may overflow int32", n.Label(), p.C/p.Group*p.KH*p.KW)
	}
	out := []int{p.N, p.M, p.OH, p.OW}
	if len(x.Shape) == 3 {
		out = []int{p.N, p.M, p.OW}
	}
	if err := c.checkOut(n, 0, graph.Float32, out); err != nil {
		return nil, err
	}
	ksz := p.C / p.Group * p.KH * p.KW
	flops := 2 * float64(graph.NumElems(out)) * float64(ksz)
	if c.shapesOnly && x.Const == nil {
		pr := one(graph.Float32, out, nil)
		pr.flops = flops
		return pr, nil
	}
	for _, i := range []int{1, 3, 4, 6} {
		if _, err := needConst(n, in, i, "quantization parameter"); err != nil {
			return nil, err
		}
	}
	for _, i := range []int{2, 5, 7, 8} {
		if v := present(in, i); v != nil && (v.Const == nil || v.DType != graph.Int64) {
			return nil, fmt.Errorf("%s: input %d must be a constant integer tensor", n.Label(), i)
		}
	}
	if err := perSet(n, "x scale", in[1], 1); err != nil {
		return nil, err
	}
	if err := perSet(n, "x zero point", present(in, 2), 1); err != nil {
		return nil, err
	}
	if err := perSet(n, "w scale", in[4], p.M); err != nil {
		return nil, err
	}
	if err := perSet(n, "w zero point", present(in, 5), p.M); err != nil {
		return nil, err
	}
	if err := perSet(n, "y scale", in[6], 1); err != nil {
		return nil, err
	}
	if err := perSet(n, "y zero point", present(in, 7), 1); err != nil {
		return nil, err
	}
	if b := present(in, 8); b != nil && graph.NumElems(b.Shape) != p.M {
		return nil, fmt.Errorf("%s: bias %v is not %d integers", n.Label(), b, p.M)
	}
	xe, ye := quantElem(present(in, 2)), quantElem(present(in, 7))
	q := &kern.QuantParams{XScale: in[1].Const.F[0], YScale: in[6].Const.F[0], Mult: make([]float32, p.M)}
	xlo, xhi := qRange(xe)
	q.XLo, q.XHi = int32(xlo), int32(xhi)
	if z := present(in, 2); z != nil {
		q.XZero = int32(z.Const.I[0])
	}
	ylo, yhi := qRange(ye)
	var yz int64
	if z := present(in, 7); z != nil {
		yz = z.Const.I[0]
	}
	if yz < ylo || yz > yhi || int64(q.XZero) < xlo || int64(q.XZero) > xhi {
		return nil, fmt.Errorf("%s: a zero point lies outside its type's range", n.Label())
	}
	switch a := n.String("activation", ""); a {
	case "":
	case "Relu":
		ylo = max(ylo, yz)
	case "Clip":
		ps := n.Floats("activation_params")
		if len(ps) != 2 {
			return nil, fmt.Errorf("%s: Clip needs two activation_params", n.Label())
		}
		ylo = max(ylo, quantize(ps[0], q.YScale, yz, ylo, yhi))
		yhi = min(yhi, quantize(ps[1], q.YScale, yz, ylo, yhi))
		ylo = min(ylo, yhi)
	default:
		return nil, fmt.Errorf("%s: unknown fused activation %q", n.Label(), a)
	}
	q.YZero, q.YLo, q.YHi = int32(yz), int32(ylo), int32(yhi)
	for m := range q.Mult {
		q.Mult[m] = q.XScale * pickF(in[4].Const.F, m) / q.YScale
	}
	if b := present(in, 8); b != nil {
		q.Bias = make([]int32, p.M)
		for m := range q.Bias {
			q.Bias[m] = int32(b.Const.I[m])
		}
	}
	var wz []int64
	if z := present(in, 5); z != nil {
		wz = z.Const.I
	}
	for _, v := range w.Const.I {
		if v < -255 || v > 255 {
			return nil, fmt.Errorf("%s: weights must be 8-bit", n.Label())
		}
	}
	packed := kern.PackQConv(p, w.Const.I, wz, max(q.XHi-q.XZero, q.XZero-q.XLo))
	work := packed.NewWork()
	held := packed.Bytes() + work.Bytes() + 8*int64(p.M)
	if err := c.checkTables(n, held); err != nil {
		return nil, err
	}
	pr := one(graph.Float32, out, func(in, out []*graph.Tensor, _ []float32) error {
		kern.QConv(p, packed, q, in[0].F, out[0].F, work)
		return nil
	})
	pr.flops = flops
	pr.held = held
	pr.params = QConvParams{Conv: p, Quant: q, W: w.Const.I, WZero: wz}
	pr.qconv = &qconvRun{packed: packed, work: work, q: q}
	return pr, nil
}
