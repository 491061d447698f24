package webgpu

import (
	"math"

	"github.com/glimpse/glimpse/model/cpu"
	"github.com/glimpse/glimpse/model/graph"
)

// unaryOps maps ONNX ops to elementwise.wgsl's unary op codes.
var unaryOps = map[string]int{
	"Relu": 0, "Sigmoid": 1, "Tanh": 2, "Exp": 3, "Log": 4, "Neg": 5, "Abs": 6, "Sqrt": 7,
	"Erf": 8, "Reciprocal": 9, "Floor": 10, "Ceil": 11, "Round": 12, "HardSigmoid": 13,
	"HardSwish": 14, "LeakyRelu": 15, "Elu": 16, "Selu": 17, "Softplus": 18, "Softsign": 19,
	"Sin": 20, "Cos": 21, "Sign": 22, "Clip": 23, "Celu": 24, "ThresholdedRelu": 25, "Gelu": 26,
	"Mish": 28, "Tan": 29, "Asin": 30, "Acos": 31, "Atan": 32, "Sinh": 33, "Cosh": 34,
	"Asinh": 35, "Acosh": 36, "Atanh": 37, "Shrink": 38,
}

// binaryOps maps ONNX ops to elementwise.wgsl's binary op codes.
var binaryOps = map[string]int{
	"Add": 0, "Sum": 0, "Sub": 1, "Mul": 2, "Div": 3, "Pow": 4, "Max": 5, "Min": 6,
	"PRelu": 7, "Mod": 8, "Mean": 10,
}

func (c *lowering) lowerUnary(s cpu.Step) ([]call, error) {
	n := s.Node
	op := unaryOps[n.Op]
	var alpha, beta float32
	switch n.Op {
	case "HardSigmoid":
		alpha, beta = n.Float("alpha", 0.2), n.Float("beta", 0.5)
	case "LeakyRelu":
		alpha = n.Float("alpha", 0.01)
	case "Elu", "Celu":
		alpha = n.Float("alpha", 1)
	case "ThresholdedRelu":
		alpha = n.Float("alpha", 1)
	case "Selu":
		alpha, beta = n.Float("alpha", 1.67326319217681884765625), n.Float("gamma", 1.05070102214813232421875)
	case "Shrink":
		alpha, beta = n.Float("lambd", 0.5), n.Float("bias", 0)
	case "Gelu":
		if n.String("approximate", "none") == "tanh" {
			op = 27
		}
	case "Clip":
		alpha, beta = float32(math.Inf(-1)), float32(math.Inf(1))
		if c.opset() < 11 {
			alpha, beta = n.Float("min", alpha), n.Float("max", beta)
		} else {
			for i, dst := range []*float32{&alpha, &beta} {
				t := (*graph.Tensor)(nil)
				if len(s.In) > i+1 {
					t = s.In[i+1]
				}
				if t == nil {
					continue
				}
				if !c.p.IsConst(t) || t.Len() != 1 {
					return nil, unsupported("Clip bounds computed at run time")
				}
				*dst = t.AsFloats()[0]
			}
		}
	}
	total := s.Out[0].Len()
	var p params
	p.arr8(nil)
	p.arr8(nil)
	p.arr8(nil)
	p.u(total, 0, op)
	p.f(alpha, beta)
	p.u(0, 0, 0)
	return []call{{kernel: "elementwise", entry: "unary_main", params: p,
		binds: []bind{{t: s.In[0]}, {t: s.Out[0]}}, groups: c.groups1D(ceilDiv(total, 256))}}, nil
}

// bcastStrides gives, for an input of shape in broadcast to out, its stride
// along each output axis (0 where it is broadcast).
func bcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	rs := rowMajor(in)
	off := len(out) - len(in)
	for i, d := range in {
		if d != 1 {
			st[off+i] = rs[i]
		}
	}
	return st
}

func (c *lowering) lowerBinary(s cpu.Step) ([]call, error) {
	n := s.Node
	if c.opset() < 7 {
		return nil, unsupported("legacy (opset < 7) broadcasting")
	}
	op := binaryOps[n.Op]
	if n.Op == "Mod" && n.Int("fmod", 0) == 1 {
		op = 9
	}
	a, b, y := s.In[0], s.In[1], s.Out[0]
	bb := bind{t: b}
	if b.DType == graph.Int64 { // Pow's integer exponent, a constant (run-time ones were refused)
		if n.Op != "Pow" {
			return nil, unsupported("int64 operand")
		}
		bb = bind{data: f32bytes(b.AsFloats())}
	}
	if a.DType != graph.Float32 {
		return nil, unsupported("%s operand", a.DType)
	}
	dims, st := mergeDims(y.Shape, bcastStrides(a.Shape, y.Shape), bcastStrides(b.Shape, y.Shape), rowMajor(y.Shape))
	if len(dims) > 8 {
		return nil, unsupported("more than 8 axes after merging")
	}
	total := y.Len()
	var p params
	p.arr8(dims)
	p.arr8(st[0])
	p.arr8(st[1])
	p.u(total, len(dims), op)
	p.f(0, 0)
	p.u(0, 0, 0)
	return []call{{kernel: "elementwise", entry: "binary_main", params: p,
		binds: []bind{{t: a}, skip, bb, {t: y}}, groups: c.groups1D(ceilDiv(total, 256))}}, nil
}
