package opsets

import (
	"math"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// Softmax, reductions, ArgMax/ArgMin, TopK, CumSum.

func init() {
	// Softmax, LogSoftmax: 1 (axis coerces to 2-D), 11 (negative axes), 13 (one axis, default -1).
	for _, op := range []string{"Softmax", "LogSoftmax"} {
		fam(op, ops(7, 11, 13), func(v int64, add func(string, func(*B))) {
			x := func(b *B) string { return b.XF("x", i64s(2, 3, 4), b.randF("x", 24, 2, 0)) }
			add("default_axis", func(b *B) { b.Op(ins(x(b))) })
			add("axis0", func(b *B) { b.Op(ins(x(b)), ai("axis", 0)) })
			add("axis1", func(b *B) { b.Op(ins(x(b)), ai("axis", 1)) })
			add("axis2", func(b *B) { b.Op(ins(x(b)), ai("axis", 2)) })
			add("large", func(b *B) { b.Op(ins(b.XF("x", i64s(2, 5), b.randF("x", 10, 40, 0))), ai("axis", 1)) })
			add("neg_inf", func(b *B) {
				inf := float32(math.Inf(-1))
				b.Op(ins(b.XF("x", i64s(3, 4), f32s(0, inf, 1, 2, inf, inf, 3, -1, 5, 0.5, inf, 7))), ai("axis", 1))
			})
			if v >= 11 {
				add("axis_neg1", func(b *B) { b.Op(ins(x(b)), ai("axis", -1)) })
				add("axis_neg2", func(b *B) { b.Op(ins(x(b)), ai("axis", -2)) })
			}
		})
	}

	// Reductions. The axes attribute became an input at 13 for ReduceSum
	// and at 18 for the others (with noop_with_empty_axes); ReduceMax and
	// ReduceMin took 8-bit integers at 12 and bool at 20.
	reduce := func(op string, opsets []int64, axesInputFrom int64, positive bool) {
		fam(op, opsets, func(v int64, add func(string, func(*B))) {
			x := func(b *B) string {
				if positive {
					return b.XU("x", 0.1, 3, 2, 3, 4)
				}
				return b.X("x", 2, 3, 4)
			}
			axes := func(b *B, keep int64, a ...int64) {
				if v >= axesInputFrom {
					b.Op(ins(x(b), b.CI("axes", a...)), ai("keepdims", keep))
				} else {
					b.Op(ins(x(b)), ais("axes", a...), ai("keepdims", keep))
				}
			}
			add("axis1_keep", func(b *B) { axes(b, 1, 1) })
			add("axes02_nokeep", func(b *B) { axes(b, 0, 0, 2) })
			add("all_default", func(b *B) { b.Op(ins(x(b))) })
			add("all_nokeep", func(b *B) { b.Op(ins(x(b)), ai("keepdims", 0)) })
			if v >= 11 {
				add("neg_axis", func(b *B) { axes(b, 1, -1) })
			}
			// With noop_with_empty_axes and no axes, the reduction is skipped
			// but the elementwise part (abs, square, sqrt, log) still applies:
			// ONNX made that explicit in 2025 (onnx/onnx#7137) and ORT follows.
			if v >= axesInputFrom {
				add("noop_empty_axes", func(b *B) {
					b.Op(ins(x(b)), ai("noop_with_empty_axes", 1))
				})
				add("empty_axes_input", func(b *B) {
					b.Op(ins(x(b), b.CT(onnxtest.Tensor{Name: "axes", Elem: onnxtest.Int64, Dims: i64s(0)})))
				})
				add("noop_empty_axes_input", func(b *B) {
					b.Op(ins(x(b), b.CT(onnxtest.Tensor{Name: "axes", Elem: onnxtest.Int64, Dims: i64s(0)})), ai("noop_with_empty_axes", 1))
				})
				add("runtime_axes", func(b *B) {
					b.Op(ins(x(b), b.XI("axes", i64s(1), i64s(2))))
					b.Fails("axes must be known before run time", "the axes decide the output shape, and shapes are fixed at compile time")
				})
			}
			if op == "ReduceSum" || ((op == "ReduceMax" || op == "ReduceMin") && v >= 12) {
				add("int64", func(b *B) {
					if v >= axesInputFrom {
						b.OpT(onnxtest.Int64, ins(b.XRI("x", -9, 9, 3, 4), b.CI("axes", 1)))
					} else {
						b.OpT(onnxtest.Int64, ins(b.XRI("x", -9, 9, 3, 4)), ais("axes", 1))
					}
				})
			}
			if (op == "ReduceMax" || op == "ReduceMin") && v >= 20 {
				add("bool", func(b *B) {
					b.OpT(onnxtest.Bool, ins(b.XRB("x", 3, 4), b.CI("axes", 1)))
					b.Fails("bool input is not supported", "bool reductions (opset 20) are not implemented")
				})
			}
		})
	}
	reduce("ReduceSum", ops(7, 11, 13), 13, false)
	reduce("ReduceMean", ops(7, 11, 13, 18), 18, false)
	reduce("ReduceMax", ops(7, 11, 12, 13, 18, 20), 18, false)
	reduce("ReduceMin", ops(7, 11, 12, 13, 18, 20), 18, false)
	reduce("ReduceL2", ops(7, 11, 13, 18), 18, false)
	reduce("ReduceLogSumExp", ops(7, 11, 13, 18), 18, false)
	reduce("ReduceProd", ops(13, 18), 18, true)
	reduce("ReduceL1", ops(13, 18), 18, false)
	reduce("ReduceSumSquare", ops(13, 18), 18, false)
	reduce("ReduceLogSum", ops(13, 18), 18, true)

	// ArgMax, ArgMin: 1, 11 (negative axis), 12 (select_last_index), 13.
	for _, op := range []string{"ArgMax", "ArgMin"} {
		fam(op, ops(7, 11, 12, 13), func(v int64, add func(string, func(*B))) {
			add("axis1_keep", func(b *B) { b.OpT(onnxtest.Int64, ins(b.X("x", 2, 3, 4)), ai("axis", 1)) })
			add("axis_default_nokeep", func(b *B) { b.OpT(onnxtest.Int64, ins(b.X("x", 3, 4)), ai("keepdims", 0)) })
			add("ties_first", func(b *B) {
				b.OpT(onnxtest.Int64, ins(b.XF("x", i64s(2, 4), f32s(1, 3, 3, 0, 2, 2, -1, 2))), ai("axis", 1))
			})
			add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", -50, 50, 3, 4)), ai("axis", 1)) })
			if v >= 11 {
				add("neg_axis", func(b *B) { b.OpT(onnxtest.Int64, ins(b.X("x", 2, 3, 4)), ai("axis", -1), ai("keepdims", 0)) })
			}
			if v >= 12 {
				add("ties_last", func(b *B) {
					b.OpT(onnxtest.Int64, ins(b.XF("x", i64s(2, 4), f32s(1, 3, 3, 0, 2, 2, -1, 2))), ai("axis", 1), ai("select_last_index", 1))
				})
			}
		})
	}

	// TopK: 1 (k attribute), 10 (k input), 11 (largest, sorted, negative axis).
	fam("TopK", ops(7, 10, 11), func(v int64, add func(string, func(*B))) {
		topk := func(b *B, x string, k int64, attrs ...onnxtest.Attr) {
			if v >= 10 {
				b.N("TopK", ins(x, b.CI("k", k)), ins("values", "indices"), attrs...)
			} else {
				b.N("TopK", ins(x), ins("values", "indices"), append(attrs, ai("k", k))...)
			}
			b.Out("values", onnxtest.Float)
			b.Out("indices", onnxtest.Int64)
		}
		add("last_axis", func(b *B) { topk(b, b.X("x", 3, 6), 3) })
		add("axis0", func(b *B) { topk(b, b.X("x", 5, 3), 2, ai("axis", 0)) })
		add("ties", func(b *B) {
			topk(b, b.XF("x", i64s(2, 5), f32s(1, 2, 2, 0, 2, 5, 5, 1, 5, 0)), 3)
		})
		if v >= 11 {
			add("smallest", func(b *B) { topk(b, b.X("x", 3, 6), 2, ai("largest", 0)) })
			add("neg_axis_k1", func(b *B) { topk(b, b.X("x", 2, 3, 4), 1, ai("axis", -2)) })
			add("int64", func(b *B) {
				b.N("TopK", ins(b.XRI("x", -99, 99, 2, 6), b.CI("k", 3)), ins("values", "indices"))
				b.Out("values", onnxtest.Int64)
				b.Out("indices", onnxtest.Int64)
			})
		}
	})

	// CumSum: 11, 14 (bfloat16, float16).
	fam("CumSum", ops(11, 14), func(v int64, add func(string, func(*B))) {
		add("axis1", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.CIs("axis", 1))) })
		add("exclusive", func(b *B) { b.Op(ins(b.X("x", 3, 4), b.CIs("axis", 1)), ai("exclusive", 1)) })
		add("reverse", func(b *B) { b.Op(ins(b.X("x", 3, 4), b.CIs("axis", 0)), ai("reverse", 1)) })
		add("exclusive_reverse_neg_axis", func(b *B) {
			b.Op(ins(b.X("x", 3, 4), b.CIs("axis", -1)), ai("exclusive", 1), ai("reverse", 1))
		})
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", -9, 9, 2, 5), b.CIs("axis", 1))) })
	})
}
