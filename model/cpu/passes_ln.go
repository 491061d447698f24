package cpu

import (
	"math"

	"github.com/glimpse/glimpse/model/graph"
)

// fuseLayerNorm turns the LayerNorm that exporters write for opsets before
// 17 (PyTorch's nn.LayerNorm at opset 13, as in ViT) back into one
// LayerNormalization over the last axis:
//
//	m = ReduceMean(x, [-1]); d = x - m; v = ReduceMean(d^2, [-1])
//	y = d / Sqrt(v + eps) * scale + bias
//
// so that it runs as one row kernel (kern.LayerNormRows: float32 lane
// sums, vector under wasm) instead of nine whole-tensor passes. The
// statistics are computed in float32 as before (the decomposed ops also
// ran in float32), so results stay within the zoo's tolerances; dividing
// by the root and multiplying by 1/root differ by an ulp. It matches only
// the exact chain, with constant eps, scale and bias, the reductions
// over the last axis only, and every intermediate read by the chain alone.
// (simd3; run by fuseTransformer, from fuseConv, so that the compiler
// needs no change.)
func fuseLayerNorm(g *graph.Graph, vals map[string]*Value) {
	cons := g.Consumers()
	removed := map[*graph.Node]bool{}
	// only returns the single consumer of name (nil if there are more, or
	// it is a graph output).
	only := func(name string) *graph.Node {
		if c := cons[name]; len(c) == 1 && !g.IsOutput(name) {
			return c[0]
		}
		return nil
	}
	// constOther: the constant input of a two-input node other than name.
	constOther := func(n *graph.Node, name string) []float32 {
		if len(n.Inputs) != 2 {
			return nil
		}
		o := n.Inputs[0]
		if o == name {
			o = n.Inputs[1]
		} else if n.Inputs[1] != name {
			return nil
		}
		return constF(vals, o)
	}
	lastAxisMean := func(n *graph.Node) bool {
		if n == nil || n.Op != "ReduceMean" || n.Int("keepdims", 1) != 1 || len(n.Outputs) != 1 {
			return false
		}
		x := vals[n.Input(0)]
		if x == nil || x.DType != graph.Float32 || len(x.Shape) == 0 {
			return false
		}
		axes := n.Ints("axes")
		if len(n.Inputs) > 1 && n.Inputs[1] != "" {
			v := vals[n.Inputs[1]]
			if v == nil || v.Const == nil {
				return false
			}
			axes = v.Const.AsInts()
		}
		r := int64(len(x.Shape))
		return len(axes) == 1 && (axes[0] == -1 || axes[0] == r-1)
	}
	for _, rm := range g.Nodes {
		if removed[rm] || !lastAxisMean(rm) {
			continue
		}
		x, m := rm.Input(0), rm.Outputs[0]
		sub := only(m)
		if sub == nil || sub.Op != "Sub" || len(sub.Inputs) != 2 || sub.Inputs[0] != x || sub.Inputs[1] != m {
			continue
		}
		d := sub.Outputs[0]
		dc := cons[d]
		if len(dc) != 2 || g.IsOutput(d) {
			continue
		}
		pow, div := dc[0], dc[1]
		if pow.Op != "Pow" {
			pow, div = div, pow
		}
		if pow.Op != "Pow" || len(pow.Inputs) != 2 || pow.Inputs[0] != d || div.Op != "Div" || len(div.Inputs) != 2 || div.Inputs[0] != d {
			continue
		}
		if e := constF(vals, pow.Inputs[1]); len(e) != 1 || e[0] != 2 {
			continue
		}
		rv := only(pow.Outputs[0])
		if !lastAxisMean(rv) || rv.Input(0) != pow.Outputs[0] {
			continue
		}
		addEps := only(rv.Outputs[0])
		if addEps == nil || addEps.Op != "Add" {
			continue
		}
		eps := constOther(addEps, rv.Outputs[0])
		if len(eps) != 1 {
			continue
		}
		sq := only(addEps.Outputs[0])
		if sq == nil || sq.Op != "Sqrt" || only(sq.Outputs[0]) != div || div.Inputs[1] != sq.Outputs[0] {
			continue
		}
		mul := only(div.Outputs[0])
		if mul == nil || mul.Op != "Mul" {
			continue
		}
		add := only(mul.Outputs[0])
		if add == nil || add.Op != "Add" {
			continue
		}
		xs := vals[x].Shape
		n := xs[len(xs)-1]
		scale, bias := constOther(mul, div.Outputs[0]), constOther(add, mul.Outputs[0])
		if len(scale) != n || len(bias) != n || !sameShape(vals[add.Outputs[0]].Shape, xs) {
			continue
		}
		y := add.Outputs[0]
		sName, bName := y+"#ln_scale", y+"#ln_bias"
		vals[sName] = constValue(graph.Floats([]int{n}, append([]float32(nil), scale...)))
		vals[bName] = constValue(graph.Floats([]int{n}, append([]float32(nil), bias...)))
		ln := &graph.Node{Name: rm.Name, Op: "LayerNormalization",
			Attrs:  map[string]any{"axis": int64(-1), "epsilon": eps[0]},
			Inputs: []string{x, sName, bName}, Outputs: []string{y}}
		for _, a := range []*graph.Node{rm, sub, pow, rv, addEps, sq, div, mul} {
			removed[a] = true
		}
		// The fused node stands where the chain's last node stood.
		for i, nd := range g.Nodes {
			if nd == add {
				g.Nodes[i] = ln
			}
		}
	}
	drop(g, removed)
}

// fuseTransformer runs the fusions for transformer graphs exported at
// opsets without their ops: LayerNormalization and GELU. (simd3)
func fuseTransformer(g *graph.Graph, vals map[string]*Value) {
	fuseLayerNorm(g, vals)
	fuseGelu(g, vals)
}

// fuseGelu turns the erf GELU that exporters write before opset 20,
//
//	y = (x * (Erf(x / √2) + 1)) * 0.5      or      (x * 0.5) * (Erf(x / √2) + 1)
//
// (x / √2 may be x * (1/√2); the adds and muls in either operand order)
// into one Gelu node, which runs as the activation kernel (ops.wasm's
// polynomial under wasm): one pass instead of five.
func fuseGelu(g *graph.Graph, vals map[string]*Value) {
	cons := g.Consumers()
	removed := map[*graph.Node]bool{}
	only := func(name string) *graph.Node {
		if c := cons[name]; len(c) == 1 && !g.IsOutput(name) {
			return c[0]
		}
		return nil
	}
	// scalar: the constant scalar input of two-input n other than name.
	scalar := func(n *graph.Node, name string) (float32, bool) {
		if len(n.Inputs) != 2 || n.Inputs[0] == n.Inputs[1] {
			return 0, false
		}
		o := n.Inputs[0]
		if o == name {
			o = n.Inputs[1]
		} else if n.Inputs[1] != name {
			return 0, false
		}
		c := constF(vals, o)
		if len(c) != 1 {
			return 0, false
		}
		return c[0], true
	}
	near := func(v float32, want float64) bool { return math.Abs(float64(v)-want) <= 1e-6*want }
	other := func(n *graph.Node, name string) string {
		if n.Inputs[0] == name {
			return n.Inputs[1]
		}
		return n.Inputs[0]
	}
	for _, sc := range g.Nodes {
		if removed[sc] || len(sc.Inputs) != 2 || len(sc.Outputs) != 1 || (sc.Op != "Div" && sc.Op != "Mul") {
			continue
		}
		x := sc.Inputs[0]
		if xv := vals[x]; xv == nil || xv.DType != graph.Float32 {
			continue
		}
		k, ok := scalar(sc, x)
		if !ok || sc.Inputs[0] != x || !(sc.Op == "Div" && near(k, math.Sqrt2) || sc.Op == "Mul" && near(k, 1/math.Sqrt2)) {
			continue
		}
		erf := only(sc.Outputs[0])
		if erf == nil || erf.Op != "Erf" {
			continue
		}
		add := only(erf.Outputs[0])
		if add == nil || add.Op != "Add" {
			continue
		}
		if one, ok := scalar(add, erf.Outputs[0]); !ok || one != 1 {
			continue
		}
		m1 := only(add.Outputs[0])
		if m1 == nil || m1.Op != "Mul" || len(m1.Inputs) != 2 {
			continue
		}
		var absorbed []*graph.Node
		var last *graph.Node
		if o := other(m1, add.Outputs[0]); o == x {
			// (x * (erf+1)) * 0.5
			m2 := only(m1.Outputs[0])
			if m2 == nil || m2.Op != "Mul" {
				continue
			}
			if h, ok := scalar(m2, m1.Outputs[0]); !ok || h != 0.5 {
				continue
			}
			absorbed, last = []*graph.Node{sc, erf, add, m1, m2}, m2
		} else {
			// (x * 0.5) * (erf+1)
			hm := producerOf(g, o)
			if hm == nil || hm.Op != "Mul" || only(o) != m1 {
				continue
			}
			if h, ok := scalar(hm, x); !ok || h != 0.5 || other(hm, x) == x {
				continue
			}
			absorbed, last = []*graph.Node{hm, sc, erf, add, m1}, m1
		}
		y := last.Outputs[0]
		if !sameShape(vals[y].Shape, vals[x].Shape) {
			continue
		}
		gl := &graph.Node{Name: sc.Name, Op: "Gelu", Attrs: map[string]any{}, Inputs: []string{x}, Outputs: []string{y}}
		for _, a := range absorbed {
			removed[a] = true
		}
		for i, nd := range g.Nodes {
			if nd == last {
				g.Nodes[i] = gl
			}
		}
	}
	drop(g, removed)
}

// producerOf is the node writing name (nil for inputs and constants).
func producerOf(g *graph.Graph, name string) *graph.Node {
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == name {
				return n
			}
		}
	}
	return nil
}
