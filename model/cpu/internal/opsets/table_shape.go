package opsets

import (
	"math"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// Shape manipulation, indexing and constants.

func init() {
	// Reshape: 5 (shape input), 13, 14 (allowzero), 19, 21 (types).
	fam("Reshape", ops(7, 13, 14, 19, 21), func(v int64, add func(string, func(*B))) {
		add("infer_dim", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.CI("shape", 4, -1))) })
		add("copy_dim", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.CI("shape", 0, 4, 3))) })
		add("to_1d", func(b *B) { b.Op(ins(b.X("x", 2, 3, 2), b.CI("shape", -1))) })
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", -9, 9, 2, 3), b.CI("shape", 3, 1, 2))) })
		add("shape_subgraph", func(b *B) { // the flatten pattern exporters write
			x := b.X("x", 2, 3, 2)
			b.N("Shape", ins(x), ins("s"))
			b.N("Gather", ins("s", b.CIs("zero", 0)), ins("n"), ai("axis", 0))
			b.N("Unsqueeze", unsqueezeIns(b, v, "n", "u", 0), ins("u"), unsqueezeAttrs(v, 0)...)
			b.N("Concat", ins("u", b.CI("minus1", -1)), ins("shape"), ai("axis", 0))
			b.N("Reshape", ins(x, "shape"), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		if v >= 14 {
			add("allowzero_no_zero", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.CI("shape", 6, 4)), ai("allowzero", 1)) })
			add("allowzero0_copy", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.CI("shape", 0, 0, -1)), ai("allowzero", 0)) })
		}
		add("runtime_shape", func(b *B) {
			b.Op(ins(b.X("x", 2, 3, 4), b.XI("shape", i64s(2), i64s(6, 4))))
			b.Fails("shape must be known before run time", "the target shape must be known at compile time")
		})
	})

	// Flatten: 1, 9 (types), 11 (negative axis), 13, 21.
	fam("Flatten", ops(7, 9, 11, 13, 21), func(v int64, add func(string, func(*B))) {
		add("default", func(b *B) { b.Op(ins(b.X("x", 2, 3, 2, 2))) })
		add("axis0", func(b *B) { b.Op(ins(b.X("x", 2, 3, 2)), ai("axis", 0)) })
		add("axis2", func(b *B) { b.Op(ins(b.X("x", 2, 3, 2, 2)), ai("axis", 2)) })
		add("axis_rank", func(b *B) { b.Op(ins(b.X("x", 2, 3, 2)), ai("axis", 3)) })
		if v >= 11 {
			add("neg_axis", func(b *B) { b.Op(ins(b.X("x", 2, 3, 2, 2)), ai("axis", -1)) })
		}
	})

	// Squeeze, Unsqueeze: 1, 11 (negative axes), 13 (axes input), 21.
	fam("Squeeze", ops(7, 11, 13, 21), func(v int64, add func(string, func(*B))) {
		sq := func(b *B, x string, axes ...int64) {
			if v >= 13 {
				b.Op(ins(x, b.CI("axes", axes...)))
			} else {
				b.Op(ins(x), ais("axes", axes...))
			}
		}
		add("axes", func(b *B) { sq(b, b.X("x", 1, 3, 1, 2), 0, 2) })
		add("all", func(b *B) { b.Op(ins(b.X("x", 1, 3, 1, 2))) })
		add("to_scalar", func(b *B) { b.Op(ins(b.X("x", 1, 1))) })
		if v >= 11 {
			add("neg_axis", func(b *B) { sq(b, b.X("x", 2, 3, 1), -1) })
		}
		if v >= 13 {
			add("axes_from_constant_node", func(b *B) {
				b.N("Constant", nil, ins("axes"), at("value", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: i64s(1), Ints: i64s(0)}))
				b.Op(ins(b.X("x", 1, 3, 1), "axes"))
			})
		}
	})
	fam("Unsqueeze", ops(7, 11, 13, 21), func(v int64, add func(string, func(*B))) {
		add("axes", func(b *B) { b.Op(unsqueezeIns(b, v, b.X("x", 3, 2), "y", 0, 3), unsqueezeAttrs(v, 0, 3)...) })
		add("middle", func(b *B) { b.Op(unsqueezeIns(b, v, b.X("x", 3, 2), "y", 1), unsqueezeAttrs(v, 1)...) })
		add("scalar", func(b *B) { b.Op(unsqueezeIns(b, v, b.XF("x", nil, f32s(2.5)), "y", 0), unsqueezeAttrs(v, 0)...) })
		if v >= 11 {
			add("neg_axes", func(b *B) { b.Op(unsqueezeIns(b, v, b.X("x", 3, 2), "y", -1, -4), unsqueezeAttrs(v, -1, -4)...) })
		}
		if v >= 13 {
			add("axes_from_constant_node", func(b *B) {
				b.N("Constant", nil, ins("axes"), at("value", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: i64s(1), Ints: i64s(1)}))
				b.Op(ins(b.X("x", 3, 2), "axes"))
			})
		}
	})

	// Concat: 4, 11 (negative axis), 13.
	fam("Concat", ops(7, 11, 13), func(v int64, add func(string, func(*B))) {
		add("axis1_three", func(b *B) { b.Op(ins(b.X("a", 1, 2, 3), b.X("b", 1, 1, 3), b.X("c", 1, 3, 3)), ai("axis", 1)) })
		add("axis0_const", func(b *B) { b.Op(ins(b.X("a", 2, 3), b.W("w", 1, 1, 3)), ai("axis", 0)) })
		add("last_axis", func(b *B) { b.Op(ins(b.X("a", 2, 2, 1), b.X("b", 2, 2, 2)), ai("axis", 2)) })
		add("one", func(b *B) { b.Op(ins(b.X("a", 2, 3)), ai("axis", 1)) })
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("a", 0, 9, 2), b.CI("c", 7, 8, 9)), ai("axis", 0)) })
		if v >= 11 {
			add("neg_axis", func(b *B) { b.Op(ins(b.X("a", 2, 1, 2), b.X("b", 2, 2, 2)), ai("axis", -2)) })
		}
	})

	// Split: 2, 11 (negative axis), 13 (split input), 18 (num_outputs).
	fam("Split", ops(7, 11, 13, 18), func(v int64, add func(string, func(*B))) {
		outs := func(b *B, n int, elem int64) []string {
			var names []string
			for i := 0; i < n; i++ {
				name := string(rune('p' + i))
				names = append(names, name)
			}
			return names
		}
		declare := func(b *B, names []string, elem int64) {
			for _, n := range names {
				b.Out(n, elem)
			}
		}
		sizes := func(b *B, x string, axis int64, sz ...int64) {
			names := outs(b, len(sz), onnxtest.Float)
			if v >= 13 {
				b.N("Split", ins(x, b.CI("split", sz...)), names, ai("axis", axis))
			} else {
				b.N("Split", ins(x), names, ai("axis", axis), ais("split", sz...))
			}
			declare(b, names, onnxtest.Float)
		}
		equal := func(b *B, x string, axis int64, n int) {
			names := outs(b, n, onnxtest.Float)
			if v >= 18 {
				b.N("Split", ins(x), names, ai("axis", axis), ai("num_outputs", int64(n)))
			} else {
				b.N("Split", ins(x), names, ai("axis", axis))
			}
			declare(b, names, onnxtest.Float)
		}
		add("equal_axis1", func(b *B) { equal(b, b.X("x", 2, 6), 1, 3) })
		add("equal_default_axis", func(b *B) { equal(b, b.X("x", 4, 3), 0, 2) })
		add("sizes", func(b *B) { sizes(b, b.X("x", 2, 6), 1, 1, 2, 3) })
		if v >= 11 {
			add("neg_axis_sizes", func(b *B) { sizes(b, b.X("x", 2, 3, 5), -1, 4, 1) })
		}
		if v >= 18 {
			add("num_outputs_uneven", func(b *B) { equal(b, b.X("x", 2, 7), 1, 3) })
		}
	})

	// Slice: 1 (attributes), 10 (inputs, steps), 11 (negative axes), 13.
	fam("Slice", ops(7, 10, 11, 13), func(v int64, add func(string, func(*B))) {
		slice := func(b *B, x string, starts, ends, axes, steps []int64) {
			if v < 10 {
				attrs := []onnxtest.Attr{ais("starts", starts...), ais("ends", ends...)}
				if axes != nil {
					attrs = append(attrs, ais("axes", axes...))
				}
				b.Op(ins(x), attrs...)
				return
			}
			in := ins(x, b.CI("starts", starts...), b.CI("ends", ends...))
			if axes != nil || steps != nil {
				if axes != nil {
					in = append(in, b.CI("axes", axes...))
				} else {
					in = append(in, "")
				}
			}
			if steps != nil {
				in = append(in, b.CI("steps", steps...))
			}
			b.Op(in)
		}
		add("axes", func(b *B) { slice(b, b.X("x", 3, 4, 5), i64s(1, 1), i64s(3, 4), i64s(1, 2), nil) })
		add("no_axes", func(b *B) { slice(b, b.X("x", 3, 4), i64s(0, 1), i64s(2, 3), nil, nil) })
		add("neg_starts_clamp", func(b *B) { slice(b, b.X("x", 3, 6), i64s(-4), i64s(1000), i64s(1), nil) })
		add("neg_ends", func(b *B) { slice(b, b.X("x", 3, 6), i64s(0, 1), i64s(-1, -2), i64s(0, 1), nil) })
		add("axes_unordered", func(b *B) { slice(b, b.X("x", 3, 4, 5), i64s(1, 0), i64s(4, 2), i64s(2, 0), nil) })
		add("int64_max_end", func(b *B) { slice(b, b.X("x", 4, 3), i64s(1), i64s(math.MaxInt64), i64s(0), nil) })
		add("int64_data", func(b *B) {
			if v < 10 {
				b.OpT(onnxtest.Int64, ins(b.XRI("x", 0, 9, 6)), ais("starts", 1), ais("ends", 4))
			} else {
				b.OpT(onnxtest.Int64, ins(b.XRI("x", 0, 9, 6), b.CI("starts", 1), b.CI("ends", 4)))
			}
		})
		if v >= 10 {
			add("steps", func(b *B) { slice(b, b.X("x", 3, 8), i64s(0, 1), i64s(3, 8), i64s(0, 1), i64s(2, 3)) })
			add("reverse", func(b *B) { slice(b, b.X("x", 3, 5), i64s(-1), i64s(math.MinInt64), i64s(1), i64s(-1)) })
			add("neg_step_clamp", func(b *B) { slice(b, b.X("x", 2, 6), i64s(100), i64s(1), i64s(1), i64s(-2)) })
			add("runtime_starts", func(b *B) {
				b.Op(ins(b.X("x", 3, 4), b.XI("starts", i64s(1), i64s(1)), b.CI("ends", 3)))
				b.Fails("starts must be known before run time", "slice bounds decide the output shape, and shapes are fixed at compile time")
			})
		}
		if v >= 11 {
			add("neg_axes", func(b *B) { slice(b, b.X("x", 3, 4, 5), i64s(1), i64s(-1), i64s(-1), nil) })
		}
	})

	// Transpose: 1, 13, 21.
	fam("Transpose", ops(7, 13, 21), func(v int64, add func(string, func(*B))) {
		add("nhwc", func(b *B) { b.Op(ins(b.X("x", 1, 2, 3, 4)), ais("perm", 0, 2, 3, 1)) })
		add("default_reverse", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4))) })
		add("2d", func(b *B) { b.Op(ins(b.X("x", 3, 5)), ais("perm", 1, 0)) })
		add("5d_channel_shuffle", func(b *B) { b.Op(ins(b.X("x", 1, 2, 3, 2, 2)), ais("perm", 0, 2, 1, 3, 4)) })
		add("6d", func(b *B) { b.Op(ins(b.X("x", 1, 2, 1, 3, 2, 2)), ais("perm", 5, 3, 1, 0, 4, 2)) })
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", 0, 99, 2, 3, 2)), ais("perm", 2, 0, 1)) })
	})

	// Gather: 1, 11 (negative indices), 13.
	fam("Gather", ops(7, 11, 13), func(v int64, add func(string, func(*B))) {
		add("axis0", func(b *B) { b.Op(ins(b.X("x", 4, 3), b.CI("i", 3, 0, 2, 0))) })
		add("axis1_2d_indices", func(b *B) {
			b.Op(ins(b.X("x", 2, 4, 3), b.CT(onnxtest.Tensor{Name: "i", Elem: onnxtest.Int64, Dims: i64s(2, 2), Ints: i64s(0, 3, 1, 1)})), ai("axis", 1))
		})
		add("scalar_index", func(b *B) { b.Op(ins(b.X("x", 2, 5), b.CIs("i", 3)), ai("axis", 1)) })
		add("int32_indices", func(b *B) {
			b.Op(ins(b.X("x", 5, 2), b.CT(onnxtest.Tensor{Name: "i", Elem: onnxtest.Int32, Dims: i64s(3), Ints: i64s(4, 0, 1)})))
		})
		add("runtime_indices", func(b *B) { b.Op(ins(b.X("x", 5, 3), b.XI("i", i64s(4), i64s(1, 4, 0, 1)))) })
		add("int64_data", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", 0, 99, 6), b.CI("i", 5, 1))) })
		if v >= 11 {
			add("neg_indices", func(b *B) { b.Op(ins(b.X("x", 4, 3), b.CI("i", -1, -4, 2)), ai("axis", 0)) })
			add("neg_axis", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.CI("i", 2, 0)), ai("axis", -1)) })
		}
	})

	// Expand: 8, 13.
	fam("Expand", ops(8, 13), func(v int64, add func(string, func(*B))) {
		add("bcast", func(b *B) { b.Op(ins(b.X("x", 3, 1), b.CI("shape", 2, 3, 4))) })
		add("shape_smaller", func(b *B) { b.Op(ins(b.X("x", 2, 1, 3), b.CI("shape", 4, 1))) })
		add("ones", func(b *B) { b.Op(ins(b.X("x", 2, 3), b.CI("shape", 1, 1))) })
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", 0, 9, 3), b.CI("shape", 2, 3))) })
	})

	// Tile: 6, 13.
	fam("Tile", ops(7, 13), func(v int64, add func(string, func(*B))) {
		add("repeats", func(b *B) { b.Op(ins(b.X("x", 2, 1, 3), b.CI("r", 2, 3, 1))) })
		add("ones", func(b *B) { b.Op(ins(b.X("x", 2, 3), b.CI("r", 1, 1))) })
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", 0, 9, 3), b.CI("r", 2))) })
	})

	// Shape: 1, 13, 15 (start, end), 19, 21.
	fam("Shape", ops(7, 13, 15, 19, 21), func(v int64, add func(string, func(*B))) {
		add("full", func(b *B) { b.OpT(onnxtest.Int64, ins(b.X("x", 2, 3, 4))) })
		add("scalar", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XF("x", nil, f32s(1)))) })
		if v >= 15 {
			add("start1", func(b *B) { b.OpT(onnxtest.Int64, ins(b.X("x", 2, 3, 4)), ai("start", 1)) })
			add("start_end_neg", func(b *B) { b.OpT(onnxtest.Int64, ins(b.X("x", 2, 3, 4, 1)), ai("start", -3), ai("end", -1)) })
			add("clamped", func(b *B) { b.OpT(onnxtest.Int64, ins(b.X("x", 2, 3)), ai("start", -10), ai("end", 10)) })
			add("empty", func(b *B) { b.OpT(onnxtest.Int64, ins(b.X("x", 2, 3)), ai("start", 2), ai("end", 1)) })
		}
	})

	// Range: 11.
	fam("Range", ops(11), func(v int64, add func(string, func(*B))) {
		add("float", func(b *B) { b.Op(ins(b.CFs("start", 0.5), b.CFs("limit", 3.2), b.CFs("delta", 0.5))) })
		add("float_neg_delta", func(b *B) { b.Op(ins(b.CFs("start", 2), b.CFs("limit", -1), b.CFs("delta", -0.75))) })
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.CIs("start", -3), b.CIs("limit", 7), b.CIs("delta", 2))) })
		add("from_shape", func(b *B) { // arange(x.shape[1]) as exporters write it
			x := b.X("x", 2, 5)
			b.N("Shape", ins(x), ins("s"))
			b.N("Gather", ins("s", b.CIs("one", 1)), ins("n"), ai("axis", 0))
			b.N("Range", ins(b.CIs("zero", 0), "n", b.CIs("step", 1)), ins("y"))
			b.Out("y", onnxtest.Int64)
		})
	})

	// ConstantOfShape: 9, 20 (float8, int4 values), 21.
	fam("ConstantOfShape", ops(9, 20, 21), func(v int64, add func(string, func(*B))) {
		add("float", func(b *B) {
			b.Op(ins(b.CI("shape", 2, 3)), at("value", onnxtest.Tensor{Elem: onnxtest.Float, Dims: i64s(1), Floats: f32s(1.5)}))
		})
		add("default_zero", func(b *B) { b.Op(ins(b.CI("shape", 3))) })
		add("int64", func(b *B) {
			b.OpT(onnxtest.Int64, ins(b.CI("shape", 2, 2)), at("value", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: i64s(1), Ints: i64s(-7)}))
		})
		add("bool", func(b *B) {
			b.OpT(onnxtest.Bool, ins(b.CI("shape", 4)), at("value", onnxtest.Tensor{Elem: onnxtest.Bool, Dims: i64s(1), Ints: i64s(1)}))
		})
		add("from_shape", func(b *B) {
			b.N("Shape", ins(b.X("x", 2, 3)), ins("s"))
			b.N("ConstantOfShape", ins("s"), ins("y"), at("value", onnxtest.Tensor{Elem: onnxtest.Float, Dims: i64s(1), Floats: f32s(-2)}))
			b.Out("y", onnxtest.Float)
		})
	})

	// Constant: 1, 9 (types), 11 (sparse_value), 12 (value_float(s), value_int(s)), 13, 19, 21.
	fam("Constant", ops(7, 9, 11, 12, 13, 19, 21), func(v int64, add func(string, func(*B))) {
		add("tensor_float", func(b *B) {
			b.N("Constant", nil, ins("c"), at("value", onnxtest.Tensor{Elem: onnxtest.Float, Dims: i64s(2, 3), Floats: f32s(1, -2, 3.5, 0, 0.25, -7)}))
			b.N("Add", ins(b.X("x", 2, 3), "c"), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		add("tensor_output", func(b *B) {
			b.N("Constant", nil, ins("y"), at("value", onnxtest.Tensor{Elem: onnxtest.Float, Dims: i64s(4), Floats: f32s(1, 2, 3, 4)}))
			b.Out("y", onnxtest.Float)
		})
		add("tensor_int64", func(b *B) {
			b.N("Constant", nil, ins("y"), at("value", onnxtest.Tensor{Elem: onnxtest.Int64, Dims: i64s(3), Ints: i64s(5, -1, 9)}))
			b.Out("y", onnxtest.Int64)
		})
		if v >= 9 {
			add("tensor_scalar_double", func(b *B) {
				b.N("Constant", nil, ins("c"), at("value", onnxtest.Tensor{Elem: onnxtest.Double, Doubles: []float64{0.125}}))
				b.N("Cast", ins("c"), ins("y"), ai("to", onnxtest.Float))
				b.Out("y", onnxtest.Float)
			})
		}
		if v >= 12 {
			add("value_float", func(b *B) {
				b.N("Constant", nil, ins("c"), af("value_float", 2.5))
				b.N("Mul", ins(b.X("x", 2, 3), "c"), ins("y"))
				b.Out("y", onnxtest.Float)
			})
			add("value_floats", func(b *B) {
				b.N("Constant", nil, ins("y"), afs("value_floats", 1.5, -2, 3))
				b.Out("y", onnxtest.Float)
			})
			add("value_int", func(b *B) {
				b.N("Constant", nil, ins("y"), ai("value_int", 42))
				b.Out("y", onnxtest.Int64)
			})
			add("value_ints_reshape", func(b *B) {
				b.N("Constant", nil, ins("s"), ais("value_ints", 3, -1))
				b.N("Reshape", ins(b.X("x", 2, 3), "s"), ins("y"))
				b.Out("y", onnxtest.Float)
			})
		}
	})

	// Identity: 1, 13, 14 (sequences), 16 (optionals), 19, 21.
	fam("Identity", ops(7, 13, 14, 16, 19, 21), func(v int64, add func(string, func(*B))) {
		add("float", func(b *B) { b.Op(ins(b.X("x", 2, 3))) })
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", -9, 9, 4))) })
		add("chain", func(b *B) {
			b.N("Identity", ins(b.X("x", 2, 3)), ins("a"))
			b.N("Relu", ins("a"), ins("r"))
			b.N("Identity", ins("r"), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		add("of_initializer", func(b *B) { b.Op(ins(b.W("w", 1, 3))) })
	})

	// Dropout: 7 (no is_test), 10 (bool mask), 12 (ratio and training_mode inputs), 13.
	fam("Dropout", ops(7, 10, 12, 13), func(v int64, add func(string, func(*B))) {
		add("default", func(b *B) { b.Op(ins(b.X("x", 2, 3))) })
		if v < 12 {
			add("ratio", func(b *B) { b.Op(ins(b.X("x", 2, 3)), af("ratio", 0.3)) })
		} else {
			add("ratio_input", func(b *B) { b.Op(ins(b.X("x", 2, 3), b.CFs("r", 0.3))) })
			add("training_false", func(b *B) { b.Op(ins(b.X("x", 2, 3), b.CFs("r", 0.3), b.CBs("t", false))) })
			add("training_true_ratio0", func(b *B) { b.Op(ins(b.X("x", 2, 3), b.CFs("r", 0), b.CBs("t", true))) })
			add("training_true", func(b *B) {
				b.Op(ins(b.X("x", 2, 3), b.CFs("r", 0.5), b.CBs("t", true)))
				b.Fails("training-mode Dropout", "random masking is for training, not inference")
			})
		}
		// The mask is checked from 12, where ONNX says it is all true in
		// inference. Before, its values were unspecified (ORT writes all
		// zeros at 7 to 11) and at 7 its type was the input's (float), not
		// bool.
		if v >= 12 {
			add("mask", func(b *B) {
				b.N("Dropout", ins(b.X("x", 2, 3)), ins("y", "mask"))
				b.Out("y", onnxtest.Float)
				b.Out("mask", onnxtest.Bool)
			})
		}
	})

	// DepthToSpace: 1, 11 (mode), 13. SpaceToDepth: 1, 13.
	fam("DepthToSpace", ops(7, 11, 13), func(v int64, add func(string, func(*B))) {
		add("dcr", func(b *B) { b.Op(ins(b.X("x", 1, 8, 2, 3)), ai("blocksize", 2)) })
		if v >= 11 {
			add("crd", func(b *B) { b.Op(ins(b.X("x", 1, 8, 2, 3)), ai("blocksize", 2), as("mode", "CRD")) })
			add("dcr_explicit", func(b *B) { b.Op(ins(b.X("x", 2, 9, 1, 2)), ai("blocksize", 3), as("mode", "DCR")) })
		}
	})
	fam("SpaceToDepth", ops(7, 13), func(v int64, add func(string, func(*B))) {
		add("block2", func(b *B) { b.Op(ins(b.X("x", 1, 2, 4, 6)), ai("blocksize", 2)) })
		add("block3", func(b *B) { b.Op(ins(b.X("x", 2, 1, 3, 6)), ai("blocksize", 3)) })
	})

	// Trilu: 14.
	fam("Trilu", ops(14), func(v int64, add func(string, func(*B))) {
		add("upper", func(b *B) { b.Op(ins(b.X("x", 4, 5))) })
		add("lower_k1", func(b *B) { b.Op(ins(b.X("x", 4, 5), b.CIs("k", 1)), ai("upper", 0)) })
		add("upper_kneg_batched", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.CIs("k", -1))) })
		add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("x", 1, 9, 3, 3)), ai("upper", 0)) })
	})

	// Einsum: 12.
	fam("Einsum", ops(12), func(v int64, add func(string, func(*B))) {
		eq := func(e string) onnxtest.Attr { return as("equation", e) }
		add("matmul", func(b *B) { b.Op(ins(b.X("a", 3, 4), b.X("b", 4, 2)), eq("ij,jk->ik")) })
		add("batched", func(b *B) { b.Op(ins(b.X("a", 2, 3, 4), b.X("b", 2, 4, 2)), eq("bij,bjk->bik")) })
		add("transpose", func(b *B) { b.Op(ins(b.X("a", 3, 4)), eq("ij->ji")) })
		add("dot", func(b *B) { b.Op(ins(b.X("a", 5), b.X("b", 5)), eq("i,i->")) })
		add("sum_axis", func(b *B) { b.Op(ins(b.X("a", 3, 4)), eq("ij->i")) })
		add("implicit", func(b *B) { b.Op(ins(b.X("a", 2, 3), b.X("b", 3, 4)), eq("ij,jk")) })
		add("attention", func(b *B) { b.Op(ins(b.X("q", 1, 2, 3, 4), b.X("k", 1, 2, 5, 4)), eq("bhqd,bhkd->bhqk")) })
		add("ellipsis", func(b *B) { b.Op(ins(b.X("a", 2, 3, 4), b.X("b", 4, 2)), eq("...ij,jk->...ik")) })
		add("diagonal", func(b *B) { b.Op(ins(b.X("a", 3, 3)), eq("ii->i")) })
		add("outer", func(b *B) { b.Op(ins(b.X("a", 3), b.X("b", 4)), eq("i,j->ij")) })
	})

	// GatherElements: 11, 13.
	fam("GatherElements", ops(11, 13), func(v int64, add func(string, func(*B))) {
		idx := func(b *B, name string, dims []int64, vals ...int64) string {
			return b.CT(onnxtest.Tensor{Name: name, Elem: onnxtest.Int64, Dims: dims, Ints: vals})
		}
		add("axis0", func(b *B) { b.Op(ins(b.X("x", 3, 3), idx(b, "i", i64s(2, 3), 1, 2, 0, 2, 0, 0))) })
		add("axis1_neg_indices", func(b *B) { b.Op(ins(b.X("x", 2, 4), idx(b, "i", i64s(2, 2), -1, 0, 3, -4)), ai("axis", 1)) })
		add("neg_axis_3d", func(b *B) {
			b.Op(ins(b.X("x", 2, 2, 3), idx(b, "i", i64s(2, 2, 1), 2, 0, 1, 1)), ai("axis", -1))
		})
		add("runtime_indices", func(b *B) { b.Op(ins(b.X("x", 3, 3), b.XI("i", i64s(1, 3), i64s(2, 0, 1))), ai("axis", 0)) })
	})

	// GatherND: 11, 12 (batch_dims), 13.
	fam("GatherND", ops(11, 12, 13), func(v int64, add func(string, func(*B))) {
		idx := func(b *B, dims []int64, vals ...int64) string {
			return b.CT(onnxtest.Tensor{Name: "i", Elem: onnxtest.Int64, Dims: dims, Ints: vals})
		}
		add("elements", func(b *B) { b.Op(ins(b.X("x", 2, 3), idx(b, i64s(3, 2), 0, 0, 1, 2, 1, 0))) })
		add("slices", func(b *B) { b.Op(ins(b.X("x", 3, 2, 2), idx(b, i64s(2, 1), 2, 0))) })
		add("neg_indices", func(b *B) { b.Op(ins(b.X("x", 3, 4), idx(b, i64s(2, 2), -1, -2, 0, -4))) })
		if v >= 12 {
			add("batch_dims1", func(b *B) { b.Op(ins(b.X("x", 2, 3, 2), idx(b, i64s(2, 2, 1), 2, 0, 1, 1)), ai("batch_dims", 1)) })
		}
	})

	// ScatterElements: 11, 13, 16 (reduction add/mul), 18 (max/min).
	fam("ScatterElements", ops(11, 13, 16, 18), func(v int64, add func(string, func(*B))) {
		idx := func(b *B, dims []int64, vals ...int64) string {
			return b.CT(onnxtest.Tensor{Name: "i", Elem: onnxtest.Int64, Dims: dims, Ints: vals})
		}
		add("axis0", func(b *B) { b.Op(ins(b.X("x", 3, 3), idx(b, i64s(2, 3), 1, 0, 2, 0, 2, 1), b.X("u", 2, 3))) })
		add("axis1_neg_indices", func(b *B) { b.Op(ins(b.X("x", 2, 5), idx(b, i64s(2, 2), -1, 1, 0, -2), b.X("u", 2, 2)), ai("axis", 1)) })
		add("runtime_indices", func(b *B) { b.Op(ins(b.X("x", 4), b.XI("i", i64s(2), i64s(3, 0)), b.X("u", 2))) })
		if v >= 16 {
			add("add_dup", func(b *B) {
				b.Op(ins(b.X("x", 2, 4), idx(b, i64s(2, 3), 1, 1, 3, 0, 0, 0), b.X("u", 2, 3)), ai("axis", 1), as("reduction", "add"))
			})
			add("mul_dup", func(b *B) {
				b.Op(ins(b.X("x", 2, 4), idx(b, i64s(2, 3), 1, 1, 3, 0, 0, 0), b.X("u", 2, 3)), ai("axis", 1), as("reduction", "mul"))
			})
		}
		if v >= 18 {
			for _, r := range []string{"max", "min"} {
				add(r+"_dup", func(b *B) {
					b.Op(ins(b.X("x", 2, 4), idx(b, i64s(2, 3), 1, 1, 3, 0, 0, 0), b.X("u", 2, 3)), ai("axis", 1), as("reduction", r))
				})
			}
		}
	})

	// ScatterND: 11, 13, 16 (reduction add/mul), 18 (max/min).
	fam("ScatterND", ops(11, 13, 16, 18), func(v int64, add func(string, func(*B))) {
		idx := func(b *B, dims []int64, vals ...int64) string {
			return b.CT(onnxtest.Tensor{Name: "i", Elem: onnxtest.Int64, Dims: dims, Ints: vals})
		}
		add("elements", func(b *B) { b.Op(ins(b.X("x", 3, 3), idx(b, i64s(2, 2), 0, 1, 2, 2), b.X("u", 2))) })
		add("rows", func(b *B) { b.Op(ins(b.X("x", 4, 2, 2), idx(b, i64s(2, 1), 3, 1), b.X("u", 2, 2, 2))) })
		add("neg_index", func(b *B) { b.Op(ins(b.X("x", 5), idx(b, i64s(1, 1), -2), b.X("u", 1))) })
		if v >= 16 {
			for _, r := range []string{"add", "mul"} {
				add(r+"_dup", func(b *B) {
					b.Op(ins(b.X("x", 3, 2), idx(b, i64s(3, 1), 1, 1, 0), b.X("u", 3, 2)), as("reduction", r))
				})
			}
		}
		if v >= 18 {
			for _, r := range []string{"max", "min"} {
				add(r+"_dup", func(b *B) {
					b.Op(ins(b.X("x", 3, 2), idx(b, i64s(3, 1), 1, 1, 0), b.X("u", 3, 2)), as("reduction", r))
				})
			}
		}
	})
}

// unsqueezeIns is Unsqueeze's inputs at opset v: the axes as an input from 13.
func unsqueezeIns(b *B, v int64, x, out string, axes ...int64) []string {
	if v >= 13 {
		return ins(x, b.CI(out+"_axes", axes...))
	}
	return ins(x)
}

// unsqueezeAttrs is Unsqueeze's attributes at opset v: the axes before 13.
func unsqueezeAttrs(v int64, axes ...int64) []onnxtest.Attr {
	if v >= 13 {
		return nil
	}
	return []onnxtest.Attr{ais("axes", axes...)}
}
