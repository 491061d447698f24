package cpu

import "github.com/glimpse/glimpse/model/cpu/kern"

// Resolved parameters: what an op means for its fixed input shapes, worked
// out once by the compiler (attributes, inputs and opset semantics,
// defaults, negative axes, clamping) and read by every backend — the CPU
// kernels and wasm/webgpu's lowering alike — so that no backend re-derives
// an op's semantics and drifts from the others. A Step's Params holds one
// of these, or nil for ops that have none (yet).

// SliceParams is a Slice as a strided copy: output element (i0, i1, …)
// is input element Base + Σ ik·Strides[k] (Strides in elements of the
// input; the output shape gives the counts).
type SliceParams struct {
	Base    int
	Strides []int
}

// ReduceParams marks the input axes a Reduce* op reduces. None marked
// means nothing is reduced but the op's elementwise part still applies
// (ReduceL1, L2, SumSquare, LogSum with noop_with_empty_axes).
type ReduceParams struct {
	Axes []bool
}

// SoftmaxParams is Softmax or LogSoftmax over Dim elements, Inner apart,
// for each of Outer×Inner rows (opsets before 13 coerce to 2-D: Inner 1).
type SoftmaxParams struct {
	Outer, Dim, Inner int
	Log               bool
}

// PoolParams is a 1-D or 2-D MaxPool or AveragePool over NCHW planes (a
// 1-D pool has H = OH = KH = 1): window KH×KW, strides, dilations, the
// padding before (PT, PL) and after (PB, PR) that count_include_pad counts.
type PoolParams struct {
	Planes, H, W, OH, OW   int
	KH, KW, SH, SW, DH, DW int
	PT, PL, PB, PR         int
	Max, CountIncludePad   bool
}

// QConvParams is a QConv (passes_quant.go): its geometry, the scales, zero
// points, ranges and int32 bias kern.QConv reads, and the 8-bit weights
// [M, C/Group, KH, KW] as stored with their zero points (one per output
// channel, one for all, or none: 0).
type QConvParams struct {
	Conv  kern.ConvParams
	Quant *kern.QuantParams
	W     []int64
	WZero []int64
}

// QuantDequantParams is a QuantizeDequantize (per tensor): y =
// roundEven(clamp(x/Scale, Lo, Hi))·Scale, NaN quantizing to Lo; Lo and Hi
// are the quantized type's range less the zero point.
type QuantDequantParams struct {
	Scale  float32
	Lo, Hi int32
}
