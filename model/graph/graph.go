// Package graph is Glimpse's own intermediate representation of an ONNX model:
// nodes with typed attributes and ordered inputs, initializers held as the
// engine's own flat Tensor, and the passes that turn a decoded model into
// something a backend can run without allocating.
package graph

import (
	"fmt"
	"sort"
)

// Dim is one dimension of a declared input or output shape. Param is set when
// the dimension is symbolic (for example "N" or "batch"); Value is then 0.
type Dim struct {
	Value int64
	Param string
}

// ValueInfo is a declared graph input or output.
type ValueInfo struct {
	Name  string
	DType DType // the type the engine computes in
	Elem  int64 // the ONNX element type declared in the file (0: none)
	Dims  []Dim
}

// Node is one operator application. Inputs keep ONNX order: a repeated input
// (Mul(x,x)) appears twice and an absent optional input is "".
type Node struct {
	Name    string
	Op      string
	Attrs   map[string]any
	Inputs  []string
	Outputs []string
}

// Graph is a decoded model.
type Graph struct {
	Name      string
	Producer  string
	IRVersion int64
	// Opset is the default-domain ("ai.onnx") opset version the model was exported for.
	Opset int64
	// Opsets lists every imported operator set by domain ("" is ai.onnx).
	Opsets  map[string]int64
	Inputs  []ValueInfo // real inputs only: initializers are not listed here
	Outputs []ValueInfo
	Nodes   []*Node
	// Initializers are the model's weights, keyed by value name, in the
	// type the engine computes in (see ElemTypes for the file's type).
	Initializers map[string]*Tensor
	// ElemTypes records the ONNX element type of initializers stored in
	// another type than the engine computes in (float16 or float64 as
	// float32, int8..int32 as int64).
	ElemTypes map[string]int64
}

// Graphs returns the graph-valued attributes of a node (If branches,
// Loop and Scan bodies), in attribute-name order.
func (n *Node) Graphs() []*Graph {
	var names []string
	for k, v := range n.Attrs {
		switch v.(type) {
		case *Graph, []*Graph:
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var gs []*Graph
	for _, k := range names {
		switch v := n.Attrs[k].(type) {
		case *Graph:
			gs = append(gs, v)
		case []*Graph:
			gs = append(gs, v...)
		}
	}
	return gs
}

// Graph returns a graph attribute, or nil when it is absent.
func (n *Node) Graph(name string) *Graph {
	g, _ := n.Attrs[name].(*Graph)
	return g
}

// DisplayName is the node's name, or its first output when it has none
// (exporters often leave names out).
func (n *Node) DisplayName() string {
	if n.Name == "" && len(n.Outputs) > 0 {
		return n.Outputs[0]
	}
	return n.Name
}

// Label describes a node for error messages: `node "conv1" (Conv)`.
func (n *Node) Label() string {
	return fmt.Sprintf("node %q (%s)", n.DisplayName(), n.Op)
}

// Input returns the i-th input name, or "" when it is absent.
func (n *Node) Input(i int) string {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return ""
}

// Int returns an integer attribute, or def when it is absent.
func (n *Node) Int(name string, def int64) int64 {
	switch v := n.Attrs[name].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	}
	return def
}

// Float returns a float attribute, or def when it is absent.
func (n *Node) Float(name string, def float32) float32 {
	switch v := n.Attrs[name].(type) {
	case float32:
		return v
	case float64:
		return float32(v)
	}
	return def
}

// String returns a string attribute, or def when it is absent.
func (n *Node) String(name, def string) string {
	if v, ok := n.Attrs[name].(string); ok {
		return v
	}
	return def
}

// Ints returns an integer-list attribute, or nil when it is absent.
func (n *Node) Ints(name string) []int64 {
	switch v := n.Attrs[name].(type) {
	case []int64:
		return v
	case int64:
		return []int64{v}
	}
	return nil
}

// Floats returns a float-list attribute, or nil when it is absent.
func (n *Node) Floats(name string) []float32 {
	if v, ok := n.Attrs[name].([]float32); ok {
		return v
	}
	return nil
}

// Has reports whether the attribute is present.
func (n *Node) Has(name string) bool {
	_, ok := n.Attrs[name]
	return ok
}

// Consumers maps each value name to the nodes that read it (once per node).
func (g *Graph) Consumers() map[string][]*Node {
	m := map[string][]*Node{}
	for _, n := range g.Nodes {
		seen := map[string]bool{}
		for _, in := range n.Inputs {
			if in == "" || seen[in] {
				continue
			}
			seen[in] = true
			m[in] = append(m[in], n)
		}
	}
	return m
}

// IsOutput reports whether name is a graph output.
func (g *Graph) IsOutput(name string) bool {
	for _, o := range g.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// OpHistogram counts nodes per op type.
func (g *Graph) OpHistogram() map[string]int {
	h := map[string]int{}
	for _, n := range g.Nodes {
		h[n.Op]++
	}
	return h
}

// Clone copies a node so that passes can rewrite it without touching the
// decoded graph.
func (n *Node) Clone() *Node {
	c := &Node{Name: n.Name, Op: n.Op, Attrs: map[string]any{}}
	for k, v := range n.Attrs {
		c.Attrs[k] = v
	}
	c.Inputs = append([]string{}, n.Inputs...)
	c.Outputs = append([]string{}, n.Outputs...)
	return c
}
