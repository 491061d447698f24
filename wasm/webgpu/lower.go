package webgpu

import (
	"math"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// lower turns one step of the plan into dispatches, or returns an
// errUnsupported for ops that run on the CPU. The GPU holds float32 only:
// any run-time int64 or bool input or output sends the op to the CPU
// (constant int64 inputs such as Slice bounds are read here, on the host).
func (c *lowering) lower(s cpu.Step) ([]call, error) {
	for _, t := range s.In {
		if t != nil && !c.p.IsConst(t) && t.DType != graph.Float32 {
			return nil, unsupported("run-time %s input", t.DType)
		}
	}
	for _, t := range s.Out {
		if t != nil && t.DType != graph.Float32 {
			return nil, unsupported("%s output", t.DType)
		}
	}
	n := s.Node
	switch n.Op {
	case "Conv", "FusedConv":
		return c.lowerConv(s)
	case "QConv":
		return c.lowerQConv(s)
	case "QuantizeDequantize":
		return c.lowerQuantDequant(s)
	case "MaxPool", "AveragePool":
		return c.lowerPool(s)
	case "GlobalAveragePool", "GlobalMaxPool":
		return c.lowerGlobalPool(s)
	case "Gemm":
		return c.lowerGemm(s)
	case "MatMul":
		return c.lowerMatMul(s)
	case "Softmax", "LogSoftmax":
		return c.lowerSoftmax(s)
	case "LayerNormalization":
		return c.lowerLayerNorm(s)
	case "Transpose":
		return c.lowerTranspose(s)
	case "Slice":
		return c.lowerSlice(s)
	case "Concat":
		return c.lowerConcat(s)
	case "Split":
		return c.lowerSplit(s)
	case "Gather":
		return c.lowerGather(s)
	case "Expand":
		return c.lowerExpand(s)
	case "Tile":
		return c.lowerTile(s)
	case "DepthToSpace", "SpaceToDepth":
		return c.lowerDepthToSpace(s)
	case "Cast":
		return c.copyAll(s.In[0], s.Out[0]), nil
	case "Max", "Min", "Sum", "Mean":
		switch len(s.In) {
		case 1:
			return c.copyAll(s.In[0], s.Out[0]), nil
		case 2:
			return c.lowerBinary(s)
		}
		return nil, unsupported("%d inputs", len(s.In))
	}
	if _, ok := reduceOps[n.Op]; ok {
		return c.lowerReduce(s)
	}
	if _, ok := unaryOps[n.Op]; ok {
		return c.lowerUnary(s)
	}
	if _, ok := binaryOps[n.Op]; ok {
		return c.lowerBinary(s)
	}
	return nil, unsupported("no GPU kernel")
}

func f32bits(v float32) uint32 { return math.Float32bits(v) }

// constInts reads a constant int64 input, or reports that it is not constant.
func (c *lowering) constInts(s cpu.Step, i int) ([]int64, bool) {
	if i >= len(s.In) || s.In[i] == nil || !c.p.IsConst(s.In[i]) {
		return nil, false
	}
	return s.In[i].AsInts(), true
}

func (c *lowering) opset() int64 { return c.p.Graph.Opset }
