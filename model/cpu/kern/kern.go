// Package kern holds the numeric hot loops of the CPU backend: GEMM,
// convolution (im2col+GEMM, 1×1 as GEMM, direct depthwise) and the fused
// activation epilogue. It works on plain []float32 slices, allocates nothing
// per call, and knows nothing of graphs or ONNX.
package kern

// ActKind selects the activation fused into a kernel's epilogue.
type ActKind uint8

const (
	ActNone        ActKind = iota
	ActRelu                // max(x, 0)
	ActClip                // min(max(x, A), B)
	ActHardSigmoid         // max(0, min(1, A*x + B))
	ActHardSwish           // x * max(0, min(1, x/6 + 1/2))
	ActSigmoid             // 1 / (1 + exp(-x))
	ActSiLU                // x * sigmoid(x)
	ActLeakyRelu           // x >= 0 ? x : A*x
)

// Act is an activation with its parameters.
type Act struct {
	Kind ActKind
	A, B float32
}

// ConvParams describes one 2-D convolution over NCHW tensors.
// Weights are [M, C/Group, KH, KW] as in ONNX.
type ConvParams struct {
	N, C, H, W     int // input
	M, OH, OW      int // output channels and spatial size
	KH, KW         int
	SH, SW         int // strides
	PT, PL, PB, PR int // pads: top, left, bottom, right
	DH, DW         int // dilations
	Group          int
}
