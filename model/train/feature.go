package train

import (
	"fmt"
	"strings"

	"github.com/glimpse/glimpse/model/graph"
)

// The ops between a classifier layer and the graph's output that only
// reshape or normalise its result: FindFeature walks back over them.
var afterClassifier = map[string]bool{
	"Softmax": true, "LogSoftmax": true, "Sigmoid": true, "Reshape": true, "Flatten": true,
	"Squeeze": true, "Unsqueeze": true, "Identity": true, "Dropout": true,
	// A convolutional classifier pools its class maps (SqueezeNet: 1×1
	// Conv → Relu → GlobalAveragePool → Flatten).
	"GlobalAveragePool": true, "Relu": true,
}

// FindFeature finds a backbone's penultimate tensor (it may be a feature
// map, which Pool averages): the input of the
// final classifier layer (a Gemm, a MatMul with a constant weight, with or
// without a bias Add, or a 1×1 Conv, fused or not) that the first output
// is computed from through reshapes and a softmax or sigmoid. It returns
// the tensor's name, or an error that says what it found instead and how
// to choose a tensor by hand.
func FindFeature(g *graph.Graph) (string, error) {
	if len(g.Outputs) == 0 {
		return "", fmt.Errorf("the model has no output")
	}
	producer := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	isConst := func(name string) bool {
		if _, ok := g.Initializers[name]; ok {
			return true
		}
		n := producer[name]
		return n != nil && n.Op == "Constant"
	}
	name := g.Outputs[0].Name
	var path []string
	for range 64 {
		n := producer[name]
		if n == nil {
			break
		}
		path = append(path, n.Op)
		switch {
		case afterClassifier[n.Op] && len(n.Inputs) > 0:
			name = n.Inputs[0]
			continue
		case n.Op == "Gemm" && len(n.Inputs) >= 2 && isConst(n.Inputs[1]):
			return n.Inputs[0], nil
		case n.Op == "MatMul" && len(n.Inputs) == 2 && isConst(n.Inputs[1]):
			return n.Inputs[0], nil
		case n.Op == "Add" && len(n.Inputs) == 2:
			// MatMul + bias, either way round.
			for i, in := range n.Inputs {
				if m := producer[in]; m != nil && m.Op == "MatMul" && isConst(n.Inputs[1-i]) && len(m.Inputs) == 2 && isConst(m.Inputs[1]) {
					return m.Inputs[0], nil
				}
			}
		case (n.Op == "Conv" || n.Op == "FusedConv") && len(n.Inputs) >= 2 && isConst(n.Inputs[1]):
			if w := g.Initializers[n.Inputs[1]]; w != nil && len(w.Shape) == 4 && w.Shape[2] == 1 && w.Shape[3] == 1 && n.Int("group", 1) == 1 {
				return n.Inputs[0], nil
			}
		}
		break
	}
	return "", fmt.Errorf("cannot find the backbone's feature tensor: the output %q comes from %s, not from a Gemm, MatMul or 1×1 Conv classifier; name the tensor to train on (the input of the model's classifier layer, after global pooling) with -feature", g.Outputs[0].Name, describePath(path))
}

func describePath(ops []string) string {
	if len(ops) == 0 {
		return "no node"
	}
	return strings.Join(ops, " ← ")
}

// Truncate returns a shallow copy of g whose only output is the tensor
// feature, so that compiling it runs the backbone alone (the compiler
// drops the nodes the output no longer needs). The copy shares g's nodes
// and weights.
func Truncate(g *graph.Graph, feature string) (*graph.Graph, error) {
	known := false
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			known = known || o == feature
		}
	}
	for _, in := range g.Inputs {
		known = known || in.Name == feature
	}
	if !known {
		return nil, fmt.Errorf("the model has no tensor named %q to train on", feature)
	}
	c := *g
	c.Outputs = []graph.ValueInfo{{Name: feature, DType: graph.Float32}}
	return &c, nil
}

// PoolName is the name Pool gives the pooled feature.
func PoolName(feature string) string { return "glimpse_pool/" + feature }

// Pool returns a shallow copy of a truncated graph whose output, a feature
// map [N,C,H,W], is averaged over its positions (GlobalAveragePool) into
// PoolName(feature).
func Pool(g *graph.Graph, feature string) *graph.Graph {
	c := *g
	out := PoolName(feature)
	c.Nodes = append(append([]*graph.Node{}, g.Nodes...), &graph.Node{Name: out, Op: "GlobalAveragePool", Inputs: []string{feature}, Outputs: []string{out}})
	c.Outputs = []graph.ValueInfo{{Name: out, DType: graph.Float32}}
	return &c
}
