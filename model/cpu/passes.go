package cpu

import (
	"math"

	"github.com/glimpse/glimpse/model/graph"
)

// Graph passes that run after constant folding. They rewrite g.Nodes in
// place and may add constants to vals. Each keeps the graph topologically
// ordered: a fused node takes the position of the last node it absorbs.

// removeIdentities drops Identity and inference-time Dropout by pointing
// their readers at their input.
func removeIdentities(g *graph.Graph, vals map[string]*Value) {
	rename := map[string]string{}
	out := g.Nodes[:0]
	for _, n := range g.Nodes {
		for i, in := range n.Inputs {
			if r, ok := rename[in]; ok {
				n.Inputs[i] = r
			}
		}
		isId := n.Op == "Identity" || (n.Op == "Dropout" && (len(n.Outputs) < 2 || n.Outputs[1] == ""))
		if isId && !g.IsOutput(n.Outputs[0]) {
			rename[n.Outputs[0]] = n.Inputs[0]
			continue
		}
		out = append(out, n)
	}
	g.Nodes = out
}

// foldBatchNorm merges BatchNormalization into the Conv that feeds it:
// W' = W·s, B' = (B − mean)·s + beta with s = scale/√(var+ε) per channel.
func foldBatchNorm(g *graph.Graph, vals map[string]*Value) {
	producer := producers(g)
	cons := g.Consumers()
	removed := map[*graph.Node]bool{}
	for _, bn := range g.Nodes {
		if bn.Op != "BatchNormalization" || len(bn.Inputs) < 5 || (len(bn.Outputs) > 1 && bn.Outputs[1] != "") {
			continue
		}
		cv := producer[bn.Inputs[0]]
		if cv == nil || cv.Op != "Conv" || len(cons[bn.Inputs[0]]) != 1 || g.IsOutput(bn.Inputs[0]) {
			continue
		}
		w := constF(vals, cv.Input(1))
		scale, beta, mean, vr := constF(vals, bn.Inputs[1]), constF(vals, bn.Inputs[2]), constF(vals, bn.Inputs[3]), constF(vals, bn.Inputs[4])
		if w == nil || scale == nil || beta == nil || mean == nil || vr == nil {
			continue
		}
		m := vals[cv.Input(1)].Shape[0]
		if len(scale) != m || len(beta) != m || len(mean) != m || len(vr) != m {
			continue
		}
		var b []float32
		if cv.Input(2) != "" {
			if b = constF(vals, cv.Input(2)); b == nil {
				continue
			}
		}
		eps := float64(bn.Float("epsilon", 1e-5))
		per := len(w) / m
		nw := make([]float32, len(w))
		nb := make([]float32, m)
		for o := 0; o < m; o++ {
			s := float64(scale[o]) / math.Sqrt(float64(vr[o])+eps)
			for k := 0; k < per; k++ {
				nw[o*per+k] = float32(float64(w[o*per+k]) * s)
			}
			bias := 0.0
			if b != nil {
				bias = float64(b[o])
			}
			nb[o] = float32((bias-float64(mean[o]))*s + float64(beta[o]))
		}
		wName, bName := bn.Outputs[0]+"#bn_w", bn.Outputs[0]+"#bn_b"
		vals[wName] = constValue(graph.Floats(vals[cv.Input(1)].Shape, nw))
		vals[bName] = constValue(graph.Floats([]int{m}, nb))
		cv.Inputs = []string{cv.Inputs[0], wName, bName}
		cv.Outputs = []string{bn.Outputs[0]}
		removed[bn] = true
		moveTo(g, cv, bn)
	}
	drop(g, removed)
}

// fuseConv turns Conv into FusedConv with a residual Add and an activation
// in its epilogue, the way onnxruntime's FusedConv does: y = act(conv + b + r).
func fuseConv(g *graph.Graph, vals map[string]*Value) {
	fuseTransformer(g, vals) // passes_ln.go (simd3): LayerNorm and GELU chains, run with the fusions
	removed := map[*graph.Node]bool{}
	for _, cv := range append([]*graph.Node{}, g.Nodes...) {
		if cv.Op != "Conv" || removed[cv] {
			continue
		}
		act, res := "", ""
		var alpha, beta float32
		for {
			y := cv.Outputs[0]
			if g.IsOutput(y) {
				break
			}
			cons := g.Consumers()[y]
			if len(cons) == 0 {
				break
			}
			c := cons[0]
			absorbed := []*graph.Node{c}
			next := ""
			switch {
			case len(cons) == 1 && act == "" && res == "" && c.Op == "Add" && len(c.Inputs) == 2 && c.Inputs[0] != c.Inputs[1]:
				r := c.Inputs[0]
				if r == y {
					r = c.Inputs[1]
				}
				if vals[r].Const != nil || !sameShape(vals[r].Shape, vals[y].Shape) || vals[r].DType != graph.Float32 {
					break
				}
				res, next = r, c.Outputs[0]
			case len(cons) == 1 && act == "" && c.Op == "Relu":
				act, next = "Relu", c.Outputs[0]
			case len(cons) == 1 && act == "" && c.Op == "LeakyRelu":
				act, alpha, next = "LeakyRelu", c.Float("alpha", 0.01), c.Outputs[0]
			case len(cons) == 1 && act == "" && c.Op == "Sigmoid":
				act, next = "Sigmoid", c.Outputs[0]
			case len(cons) == 1 && act == "" && c.Op == "HardSwish":
				act, next = "HardSwish", c.Outputs[0]
			case len(cons) == 1 && act == "" && c.Op == "HardSigmoid":
				act, alpha, beta, next = "HardSigmoid", c.Float("alpha", 0.2), c.Float("beta", 0.5), c.Outputs[0]
			case len(cons) == 1 && act == "" && c.Op == "Clip":
				lo, hi, ok := clipBounds(c, vals)
				if ok {
					act, alpha, beta, next = "Clip", lo, hi, c.Outputs[0]
				}
			case len(cons) == 2 && act == "":
				// x·sigmoid(x) (SiLU) and x·hardsigmoid(x) with α=1/6, β=½ (HardSwish).
				gate, mul := cons[0], cons[1]
				if gate.Op == "Mul" {
					gate, mul = mul, gate
				}
				if mul.Op != "Mul" || len(mul.Inputs) != 2 || len(gate.Outputs) == 0 {
					break
				}
				gy := gate.Outputs[0]
				if !(mul.Inputs[0] == y && mul.Inputs[1] == gy || mul.Inputs[1] == y && mul.Inputs[0] == gy) {
					break
				}
				if len(g.Consumers()[gy]) != 1 || g.IsOutput(gy) {
					break
				}
				switch {
				case gate.Op == "Sigmoid":
					act = "SiLU"
				case gate.Op == "HardSigmoid" && math.Abs(float64(gate.Float("alpha", 0.2))-1.0/6) < 1e-6 && gate.Float("beta", 0.5) == 0.5:
					act = "HardSwish"
				default:
					break
				}
				if act != "" {
					absorbed = []*graph.Node{gate, mul}
					next = mul.Outputs[0]
				}
			}
			if next == "" {
				break
			}
			for _, a := range absorbed {
				removed[a] = true
			}
			cv.Outputs = []string{next}
			moveTo(g, cv, absorbed[len(absorbed)-1])
		}
		if act == "" && res == "" {
			continue
		}
		attrs := map[string]any{}
		for k, v := range cv.Attrs {
			attrs[k] = v
		}
		attrs["activation"] = act
		attrs["activation_params"] = []float32{alpha, beta}
		cv.Attrs = attrs
		cv.Op = "FusedConv"
		ins := []string{cv.Input(0), cv.Input(1), cv.Input(2), res}
		cv.Inputs = ins
	}
	drop(g, removed)
}

// clipBounds reads Clip's bounds from attributes (opset < 11) or constant inputs.
func clipBounds(c *graph.Node, vals map[string]*Value) (lo, hi float32, ok bool) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	if c.Has("min") || c.Has("max") {
		return c.Float("min", lo), c.Float("max", hi), true
	}
	for i, dst := range []*float32{&lo, &hi} {
		name := c.Input(i + 1)
		if name == "" {
			continue
		}
		f := constF(vals, name)
		if len(f) != 1 {
			return 0, 0, false
		}
		*dst = f[0]
	}
	return lo, hi, true
}

func constF(vals map[string]*Value, name string) []float32 {
	if name == "" {
		return nil
	}
	v := vals[name]
	if v == nil || v.Const == nil || v.Const.DType != graph.Float32 {
		return nil
	}
	return v.Const.F
}

func producers(g *graph.Graph) map[string]*graph.Node {
	m := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			m[o] = n
		}
	}
	return m
}

// moveTo places n where at stands, and at where n stood (at is about to be dropped).
func moveTo(g *graph.Graph, n, at *graph.Node) {
	i, j := -1, -1
	for k, x := range g.Nodes {
		if x == n {
			i = k
		}
		if x == at {
			j = k
		}
	}
	if i >= 0 && j >= 0 {
		g.Nodes[i], g.Nodes[j] = g.Nodes[j], g.Nodes[i]
	}
}

func drop(g *graph.Graph, removed map[*graph.Node]bool) {
	out := g.Nodes[:0]
	for _, n := range g.Nodes {
		if !removed[n] {
			out = append(out, n)
		}
	}
	g.Nodes = out
}

// removeDead drops nodes whose outputs nobody reads.
func removeDead(g *graph.Graph) {
	for {
		cons := g.Consumers()
		out := g.Nodes[:0]
		changed := false
		for _, n := range g.Nodes {
			live := false
			for _, o := range n.Outputs {
				if o != "" && (len(cons[o]) > 0 || g.IsOutput(o)) {
					live = true
				}
			}
			if live {
				out = append(out, n)
			} else {
				changed = true
			}
		}
		g.Nodes = out
		if !changed {
			return
		}
	}
}
