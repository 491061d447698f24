package cpu

import (
	"fmt"
	"slices"

	"github.com/glimpse/glimpse/model/graph"
)

// Value is what the compiler knows about one tensor: its type and static
// shape, and its data when it is a compile-time constant.
type Value struct {
	DType graph.DType
	Shape []int
	Const *graph.Tensor
	// Elem is the ONNX element type of an Int64 value when the compiler
	// knows it (2 uint8, 3 int8, 6 int32, ...; 0: unknown or plain int64):
	// it decides the saturation range of the quantized ops. It comes from
	// initializers (Graph.ElemTypes), graph inputs (ValueInfo.Elem), the
	// op that made the value (QuantizeLinear takes its zero point's type,
	// Cast its "to") and passes through data-movement ops; see elems.go.
	Elem int64
}

func (v *Value) String() string {
	if v == nil {
		return "<absent>"
	}
	return fmt.Sprintf("%s%v", v.DType, v.Shape)
}

func constValue(t *graph.Tensor) *Value {
	return &Value{DType: t.DType, Shape: t.Shape, Const: t}
}

// initValue makes an initializer a constant of the program being compiled:
// a tensor of its own, so that the program never shares a tensor with the
// graph or with another program. Its shape is copied and its data shared
// with the graph, except a scalar's one value, which is copied, and an
// empty tensor, which gets a fresh empty slice. It checks that the data
// fills the shape.
func initValue(t *graph.Tensor) (*Value, error) {
	if t == nil {
		return nil, fmt.Errorf("no tensor")
	}
	shape := append([]int{}, t.Shape...)
	n, err := graph.Elems(shape)
	if err != nil {
		return nil, err
	}
	if n == 0 && len(shape) > 0 {
		switch t.DType {
		case graph.Float32, graph.Int64, graph.Bool:
			return constValue(graph.New(t.DType, shape)), nil
		}
	}
	c := &graph.Tensor{DType: t.DType, Shape: shape}
	got := 0
	switch t.DType {
	case graph.Float32:
		c.F, got = t.F, len(t.F)
	case graph.Int64:
		c.I, got = t.I, len(t.I)
	case graph.Bool:
		c.B, got = t.B, len(t.B)
	default:
		return nil, fmt.Errorf("tensor of type %v is not supported", t.DType)
	}
	if got != n {
		return nil, fmt.Errorf("tensor %v holds %d values, its shape needs %d", shape, got, n)
	}
	if len(shape) == 0 {
		c.F, c.I, c.B = slices.Clone(c.F), slices.Clone(c.I), slices.Clone(c.B)
	}
	return constValue(c), nil
}

// Kernel runs one prepared node. Inputs and outputs are allocated by the
// executor (or by constant folding); a kernel writes every output element.
// scratch holds at least the number of floats the node asked for.
type Kernel func(in, out []*graph.Tensor, scratch []float32) error

// prepared is one node made ready to run for fixed input shapes.
type prepared struct {
	outs    []Value // types and shapes; Const set when known without running
	run     Kernel
	scratch int  // float32s of scratch the kernel needs
	alias   bool // output 0 is input 0's data under a new shape (Reshape and friends)
	params  any  // resolved parameters other backends read (params.go), or nil
	// shapeOnly is set when the outputs depend on the inputs' shapes only
	// (EyeLike): the node folds even when its inputs are not known.
	shapeOnly bool
	// flops estimates one run's work when it exceeds one operation per
	// element read and written (products, windows, loops); folding
	// compares it with MaxFoldFLOPs.
	flops float64
	// held is the memory the prepared kernel keeps beyond its outputs
	// (packed weights, compiled subgraphs, loop state), in bytes.
	held int64
	// qconv is a QConv's weights, scratch and parameters (handoff.go)
	qconv *qconvRun
}

// ctx carries what an op's preparation may need beyond its node.
type ctx struct {
	opset int64
	// shapesOnly is set during shape inference: an op may skip expensive
	// preparation (weight packing) and return no kernel unless folding.
	shapesOnly bool
	// mem is the compilation's memory budget (nil in op tests: the default
	// budget, nothing counted).
	mem *memory
	// depth is how deep the graph being compiled is nested in others.
	depth int
	// foldAll folds every node whose inputs are known, whatever it costs
	// (Interpret, which runs the graph once at compile time anyway).
	foldAll bool
}

type prepFunc func(c *ctx, n *graph.Node, in []*Value) (*prepared, error)

var registry = map[string]prepFunc{}

func register(fn prepFunc, ops ...string) {
	for _, op := range ops {
		registry[op] = fn
	}
}

// Supported reports whether the CPU backend implements op.
func Supported(op string) bool {
	_, ok := registry[op]
	return ok
}

// SupportedOps lists the op types the CPU backend implements.
func SupportedOps() []string {
	ops := make([]string, 0, len(registry))
	for op := range registry {
		ops = append(ops, op)
	}
	return ops
}

// helpers shared by op preparations

func one(dt graph.DType, shape []int, run Kernel) *prepared {
	return &prepared{outs: []Value{{DType: dt, Shape: shape}}, run: run}
}

func need(n *graph.Node, in []*Value, min int) error {
	present := 0
	for i := 0; i < min && i < len(in); i++ {
		if in[i] != nil {
			present++
		}
	}
	if present < min {
		return fmt.Errorf("%s needs %d inputs, has %d", n.Label(), min, present)
	}
	return nil
}

func needConst(n *graph.Node, in []*Value, i int, what string) (*graph.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("%s: missing %s input", n.Label(), what)
	}
	if in[i].Const == nil {
		return nil, fmt.Errorf("%s: %s must be known before run time (dynamic shapes are not supported)", n.Label(), what)
	}
	return in[i].Const, nil
}

func normAxis(n *graph.Node, axis int64, rank int) (int, error) {
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis >= int64(rank) && !(rank == 0 && axis == 0) {
		return 0, fmt.Errorf("%s: axis %d out of range for rank %d", n.Label(), axis, rank)
	}
	return int(axis), nil
}

func strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

func copyShape(s []int) []int { return append([]int{}, s...) }
