package train

import (
	"fmt"
	"strconv"

	"github.com/glimpse/glimpse/model/graph"
)

// WithHead returns a new graph: g, a feature extractor (Truncate or Pool:
// its one output is the feature), pruned to what that output needs, then
// Flatten(axis=1) → Gemm(transB=1) per layer with Relu between → Softmax
// (axis=1) or Sigmoid, writing output. It is the in-memory twin of the ONNX
// export (model/onnx.ReplaceHead), for the browser, which builds a bundle
// of it. g is not changed; weights are shared.
func WithHead(g *graph.Graph, layers []Dense, activation, output string) (*graph.Graph, error) {
	if len(g.Outputs) != 1 {
		return nil, fmt.Errorf("the feature extractor has %d outputs, not 1", len(g.Outputs))
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("the head has no layers")
	}
	if activation != "softmax" && activation != "sigmoid" {
		return nil, fmt.Errorf("the head's activation must be softmax or sigmoid, not %q", activation)
	}
	for i, l := range layers {
		if l.In <= 0 || l.Out <= 0 || len(l.W) != l.In*l.Out || len(l.B) != l.Out || (i > 0 && l.In != layers[i-1].Out) {
			return nil, fmt.Errorf("head layer %d is not %d×%d", i, l.Out, l.In)
		}
	}
	c := prune(g)
	taken := map[string]bool{}
	for _, n := range c.Nodes {
		for _, o := range n.Outputs {
			taken[o] = true
		}
	}
	for k := range c.Initializers {
		taken[k] = true
	}
	for _, in := range c.Inputs {
		taken[in.Name] = true
	}
	if taken[output] {
		return nil, fmt.Errorf("the backbone already has a tensor named %q", output)
	}
	unique := func(base string) string {
		name := "glimpse_head/" + base
		for i := 1; taken[name]; i++ {
			name = "glimpse_head/" + base + "_" + strconv.Itoa(i)
		}
		taken[name] = true
		return name
	}
	add := func(op string, attrs map[string]any, out string, ins ...string) {
		c.Nodes = append(c.Nodes, &graph.Node{Name: unique(op), Op: op, Attrs: attrs, Inputs: ins, Outputs: []string{out}})
	}
	x := unique("features")
	add("Flatten", map[string]any{"axis": int64(1)}, x, g.Outputs[0].Name)
	for i, l := range layers {
		si := strconv.Itoa(i)
		w, b := unique("W"+si), unique("B"+si)
		c.Initializers[w] = &graph.Tensor{DType: graph.Float32, Shape: []int{l.Out, l.In}, F: l.W}
		c.Initializers[b] = &graph.Tensor{DType: graph.Float32, Shape: []int{l.Out}, F: l.B}
		y := unique("gemm" + si)
		add("Gemm", map[string]any{"transB": int64(1)}, y, x, w, b)
		x = y
		if i < len(layers)-1 {
			y = unique("relu" + si)
			add("Relu", nil, y, x)
			x = y
		}
	}
	if activation == "softmax" {
		add("Softmax", map[string]any{"axis": int64(1)}, output, x)
	} else {
		add("Sigmoid", nil, output, x)
	}
	c.Outputs = []graph.ValueInfo{{Name: output, DType: graph.Float32, Elem: 1,
		Dims: []graph.Dim{{Value: 1}, {Value: int64(layers[len(layers)-1].Out)}}}}
	return c, nil
}

// prune copies g with only the nodes its outputs need and the weights
// those read (a node with subgraphs keeps every outer name they read).
func prune(g *graph.Graph) *graph.Graph {
	need := map[string]bool{}
	for _, o := range g.Outputs {
		need[o.Name] = true
	}
	keep := make([]bool, len(g.Nodes))
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, o := range n.Outputs {
			keep[i] = keep[i] || need[o]
		}
		if !keep[i] {
			continue
		}
		for _, in := range n.Inputs {
			need[in] = true
		}
		for _, sg := range n.Graphs() {
			markOuter(sg, need)
		}
	}
	c := *g
	c.Nodes = nil
	for i, n := range g.Nodes {
		if keep[i] {
			c.Nodes = append(c.Nodes, n)
		}
	}
	c.Initializers = map[string]*graph.Tensor{}
	for k, t := range g.Initializers {
		if need[k] {
			c.Initializers[k] = t
		}
	}
	return &c
}

// markOuter marks every name a subgraph's nodes read (an outer-scope name
// among them is what matters).
func markOuter(g *graph.Graph, need map[string]bool) {
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			need[in] = true
		}
		for _, sg := range n.Graphs() {
			markOuter(sg, need)
		}
	}
}
