package opsets

import "github.com/glimpse/glimpse/model/onnx/onnxtest"

// Convolution, pooling, normalization and the dense layers.

func init() {
	// Conv: 1 and 11 (11 only clarified auto_pad and kernel_shape inference).
	fam("Conv", ops(7, 11), func(v int64, add func(string, func(*B))) {
		add("pads_strides_bias", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 6, 6), b.W("w", 0.5, 3, 2, 3, 3), b.W("b", 1, 3)),
				ais("pads", 1, 0, 1, 2), ais("strides", 2, 1))
		})
		add("group_dilations", func(b *B) {
			b.Op(ins(b.X("x", 1, 4, 7, 7), b.W("w", 0.5, 4, 2, 3, 3)),
				ai("group", 2), ais("dilations", 2, 1), ais("kernel_shape", 3, 3))
		})
		add("depthwise", func(b *B) {
			b.Op(ins(b.X("x", 1, 3, 5, 5), b.W("w", 0.5, 3, 1, 3, 3), b.W("b", 1, 3)),
				ai("group", 3), ais("pads", 1, 1, 1, 1))
		})
		add("pointwise", func(b *B) {
			b.Op(ins(b.X("x", 1, 4, 3, 3), b.W("w", 0.5, 5, 4, 1, 1), b.W("b", 1, 5)))
		})
		add("autopad_same_upper", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 6, 5), b.W("w", 0.5, 2, 2, 3, 3)), as("auto_pad", "SAME_UPPER"), ais("strides", 2, 2))
		})
		add("autopad_same_lower", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 6, 5), b.W("w", 0.5, 2, 2, 2, 2)), as("auto_pad", "SAME_LOWER"))
		})
		add("autopad_valid", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 5, 5), b.W("w", 0.5, 2, 2, 3, 3)), as("auto_pad", "VALID"), ais("strides", 2, 2))
		})
		add("conv1d", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 9), b.W("w", 0.5, 3, 2, 3), b.W("b", 1, 3)), ais("pads", 1, 1), ais("strides", 2))
		})
		add("conv3d", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 3, 4, 4), b.W("w", 0.5, 2, 2, 2, 3, 3)), ais("pads", 0, 1, 1, 0, 1, 1))
		})
		add("batch2", func(b *B) {
			b.Op(ins(b.X("x", 2, 2, 4, 4), b.W("w", 0.5, 3, 2, 3, 3), b.W("b", 1, 3)), ais("pads", 1, 1, 1, 1))
		})
		// The fusion paths: an epilogue activation and a residual Add.
		add("fused_relu_residual", func(b *B) {
			x := b.X("x", 1, 3, 4, 4)
			b.N("Conv", ins(x, b.W("w", 0.5, 3, 3, 3, 3), b.W("b", 1, 3)), ins("c"), ais("pads", 1, 1, 1, 1))
			b.N("Add", ins("c", x), ins("s"))
			b.N("Relu", ins("s"), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		add("fused_leakyrelu", func(b *B) {
			b.N("Conv", ins(b.X("x", 1, 2, 4, 4), b.W("w", 0.5, 4, 2, 3, 3), b.W("b", 1, 4)), ins("c"))
			b.N("LeakyRelu", ins("c"), ins("y"), af("alpha", 0.2))
			b.Out("y", onnxtest.Float)
		})
		add("fused_sigmoid_mul", func(b *B) { // SiLU
			b.N("Conv", ins(b.X("x", 1, 2, 4, 4), b.W("w", 0.5, 4, 2, 1, 1), b.W("b", 1, 4)), ins("c"))
			b.N("Sigmoid", ins("c"), ins("s"))
			b.N("Mul", ins("c", "s"), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		// What fusion must not take for a residual: a broadcast operand, or
		// the conv output on its own side of the Add.
		add("add_bcast_operand", func(b *B) {
			b.N("Conv", ins(b.X("x", 1, 2, 4, 4), b.W("w", 0.5, 3, 2, 3, 3)), ins("c"), ais("pads", 1, 1, 1, 1))
			b.N("Add", ins("c", b.W("r", 1, 1, 3, 1, 1)), ins("s"))
			b.N("Relu", ins("s"), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		add("add_residual_first", func(b *B) {
			x := b.X("x", 1, 3, 4, 4)
			b.N("Conv", ins(x, b.W("w", 0.5, 3, 3, 1, 1), b.W("b", 1, 3)), ins("c"))
			b.N("Add", ins(x, "c"), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		add("add_same_conv", func(b *B) {
			b.N("Conv", ins(b.X("x", 1, 2, 3, 3), b.W("w", 0.5, 2, 2, 1, 1)), ins("c"))
			b.N("Add", ins("c", "c"), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		// Fusion and folding must leave a conv whose output has other readers.
		add("output_also_read", func(b *B) {
			b.N("Conv", ins(b.X("x", 1, 2, 4, 4), b.W("w", 0.5, 3, 2, 3, 3), b.W("b", 1, 3)), ins("c"))
			b.N("Relu", ins("c"), ins("y"))
			b.Out("c", onnxtest.Float)
			b.Out("y", onnxtest.Float)
		})
		add("batchnorm_shared_input", func(b *B) {
			b.N("Conv", ins(b.X("x", 1, 2, 4, 4), b.W("w", 0.5, 3, 2, 3, 3)), ins("c"))
			b.N("BatchNormalization", ins("c", b.WU("s", 0.5, 1.5, 3), b.W("bb", 1, 3), b.W("m", 0.5, 3), b.WU("var", 0.5, 2, 3)), ins("y"))
			b.N("Sigmoid", ins("c"), ins("z"))
			b.Out("y", onnxtest.Float)
			b.Out("z", onnxtest.Float)
		})
		add("conv_batchnorm", func(b *B) { // BatchNorm folding
			b.N("Conv", ins(b.X("x", 1, 2, 5, 5), b.W("w", 0.5, 3, 2, 3, 3)), ins("c"), ais("pads", 1, 1, 1, 1))
			b.N("BatchNormalization", ins("c", b.WU("s", 0.5, 1.5, 3), b.W("bb", 1, 3), b.W("m", 0.5, 3), b.WU("var", 0.5, 2, 3)),
				ins("y"), af("epsilon", 1e-3))
			b.Out("y", onnxtest.Float)
		})
	})

	// ConvTranspose: 1 and 11.
	fam("ConvTranspose", ops(7, 11), func(v int64, add func(string, func(*B))) {
		add("strides_pads_outpad", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 3, 3), b.W("w", 0.5, 2, 3, 3, 3), b.W("b", 1, 3)),
				ais("strides", 2, 2), ais("pads", 1, 1, 1, 1), ais("output_padding", 1, 1))
		})
		add("group", func(b *B) {
			b.Op(ins(b.X("x", 1, 4, 3, 3), b.W("w", 0.5, 4, 1, 2, 2)), ai("group", 2), ais("strides", 2, 2))
		})
		add("dilations", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 3, 3), b.W("w", 0.5, 2, 2, 2, 2)), ais("dilations", 2, 2))
		})
		add("output_shape", func(b *B) {
			b.Op(ins(b.X("x", 1, 1, 3, 3), b.W("w", 0.5, 1, 2, 3, 3)), ais("strides", 2, 2), ais("output_shape", 8, 7))
		})
		add("autopad_same_upper", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 3, 3), b.W("w", 0.5, 2, 2, 3, 3)), ais("strides", 2, 2), as("auto_pad", "SAME_UPPER"))
		})
		add("autopad_same_lower", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 3, 3), b.W("w", 0.5, 2, 2, 2, 2)), ais("strides", 2, 2), as("auto_pad", "SAME_LOWER"))
		})
		add("asym_pads", func(b *B) {
			b.Op(ins(b.X("x", 1, 1, 3, 3), b.W("w", 0.5, 1, 2, 3, 3)), ais("strides", 2, 2), ais("pads", 0, 1, 1, 0))
		})
		add("conv1d", func(b *B) {
			b.Op(ins(b.X("x", 1, 2, 4), b.W("w", 0.5, 2, 2, 3), b.W("b", 1, 2)), ais("strides", 2))
		})
	})

	pool := func(b *B, attrs ...onnxtest.Attr) { b.Op(ins(b.X("x", 1, 2, 5, 5)), attrs...) }
	// MaxPool: 1, 8 (storage_order, Indices), 10 (ceil_mode, dilations), 11 (pads semantics), 12 (int8/uint8).
	fam("MaxPool", ops(7, 8, 10, 11, 12), func(v int64, add func(string, func(*B))) {
		add("k3s2p1", func(b *B) { pool(b, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1)) })
		add("k2_asym_pads", func(b *B) { pool(b, ais("kernel_shape", 2, 3), ais("pads", 0, 1, 1, 0)) })
		add("autopad_same_upper", func(b *B) { pool(b, ais("kernel_shape", 3, 3), ais("strides", 2, 2), as("auto_pad", "SAME_UPPER")) })
		add("autopad_same_lower", func(b *B) { pool(b, ais("kernel_shape", 2, 2), as("auto_pad", "SAME_LOWER")) })
		add("pool1d", func(b *B) { b.Op(ins(b.X("x", 1, 2, 9)), ais("kernel_shape", 3), ais("strides", 2)) })
		add("pool3d", func(b *B) { b.Op(ins(b.X("x", 1, 1, 3, 4, 4)), ais("kernel_shape", 2, 2, 2)) })
		if v >= 8 {
			indices := func(b *B, attrs ...onnxtest.Attr) {
				b.N("MaxPool", ins(b.X("x", 2, 2, 4, 4)), ins("y", "idx"), append(attrs, ais("kernel_shape", 2, 2))...)
				b.Out("y", onnxtest.Float)
				b.Out("idx", onnxtest.Int64)
			}
			add("indices", func(b *B) { indices(b, ais("strides", 2, 2)) })
			add("indices_pads", func(b *B) { indices(b, ais("strides", 2, 2), ais("pads", 1, 1, 1, 1)) })
			add("indices_storage_order", func(b *B) { indices(b, ai("storage_order", 1)) })
		}
		if v >= 10 {
			add("ceil", func(b *B) { pool(b, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ai("ceil_mode", 1)) })
			add("ceil_pads", func(b *B) {
				b.Op(ins(b.X("x", 1, 2, 6, 6)), ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1), ai("ceil_mode", 1))
			})
			add("dilations", func(b *B) { pool(b, ais("kernel_shape", 2, 2), ais("dilations", 2, 2), ais("strides", 1, 1)) })
			add("ceil_last_window_in_pad", func(b *B) {
				b.Op(ins(b.X("x", 1, 2, 5, 5)), ais("kernel_shape", 2, 2), ais("strides", 3, 3), ais("pads", 1, 1, 1, 1), ai("ceil_mode", 1))
			})
		}
	})

	// AveragePool: 1, 7 (count_include_pad), 10 (ceil_mode), 11 (pads semantics), 19 (dilations).
	fam("AveragePool", ops(7, 10, 11, 19), func(v int64, add func(string, func(*B))) {
		add("k3s2p1", func(b *B) { pool(b, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1)) })
		add("count_include_pad", func(b *B) {
			pool(b, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1), ai("count_include_pad", 1))
		})
		add("asym_pads", func(b *B) { pool(b, ais("kernel_shape", 2, 3), ais("pads", 0, 1, 1, 0)) })
		add("autopad_same_upper", func(b *B) { pool(b, ais("kernel_shape", 3, 3), ais("strides", 2, 2), as("auto_pad", "SAME_UPPER")) })
		add("autopad_same_lower_cip", func(b *B) {
			pool(b, ais("kernel_shape", 2, 2), as("auto_pad", "SAME_LOWER"), ai("count_include_pad", 1))
		})
		add("pool1d", func(b *B) { b.Op(ins(b.X("x", 1, 2, 9)), ais("kernel_shape", 3), ais("strides", 2), ais("pads", 1, 1)) })
		add("pool3d", func(b *B) { b.Op(ins(b.X("x", 1, 1, 3, 4, 4)), ais("kernel_shape", 2, 2, 2), ais("strides", 1, 2, 2)) })
		if v >= 10 {
			add("ceil", func(b *B) { pool(b, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ai("ceil_mode", 1)) })
			add("ceil_pads", func(b *B) {
				b.Op(ins(b.X("x", 1, 2, 6, 6)), ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1), ai("ceil_mode", 1))
			})
			add("ceil_last_window_in_pad", func(b *B) {
				b.Op(ins(b.X("x", 1, 2, 5, 5)), ais("kernel_shape", 2, 2), ais("strides", 3, 3), ais("pads", 1, 1, 1, 1), ai("ceil_mode", 1))
			})
			add("ceil_last_window_in_pad_cip", func(b *B) {
				b.Op(ins(b.X("x", 1, 2, 5, 5)), ais("kernel_shape", 2, 2), ais("strides", 3, 3), ais("pads", 1, 1, 1, 1), ai("ceil_mode", 1),
					ai("count_include_pad", 1))
			})
			add("ceil_pads_cip", func(b *B) {
				b.Op(ins(b.X("x", 1, 2, 6, 6)), ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1),
					ai("ceil_mode", 1), ai("count_include_pad", 1))
			})
		}
		if v >= 19 {
			add("dilations", func(b *B) { pool(b, ais("kernel_shape", 2, 2), ais("dilations", 2, 2)) })
			add("dilations_pads_cip", func(b *B) {
				pool(b, ais("kernel_shape", 3, 3), ais("dilations", 2, 2), ais("pads", 1, 1, 1, 1), ai("count_include_pad", 1))
			})
		}
	})

	fam("GlobalAveragePool", ops(7), func(v int64, add func(string, func(*B))) {
		add("nchw", func(b *B) { b.Op(ins(b.X("x", 1, 3, 4, 5))) })
		add("batch2_1d", func(b *B) { b.Op(ins(b.X("x", 2, 3, 7))) })
	})
	fam("GlobalMaxPool", ops(7), func(v int64, add func(string, func(*B))) {
		add("nchw", func(b *B) { b.Op(ins(b.X("x", 1, 3, 4, 5))) })
	})

	bnInputs := func(b *B, c int64) []string {
		return ins(b.WU("scale", 0.5, 1.5, c), b.W("bias", 1, c), b.W("mean", 0.5, c), b.WU("var", 0.5, 2, c))
	}
	// BatchNormalization: 7 (spatial), 9 (spatial removed, any rank), 14 (training_mode), 15 (types).
	fam("BatchNormalization", ops(7, 9, 14, 15), func(v int64, add func(string, func(*B))) {
		add("nchw", func(b *B) { b.Op(append(ins(b.X("x", 1, 3, 4, 4)), bnInputs(b, 3)...), af("epsilon", 1e-3)) })
		add("nc", func(b *B) { b.Op(append(ins(b.X("x", 2, 3)), bnInputs(b, 3)...)) })
		add("ncd", func(b *B) { b.Op(append(ins(b.X("x", 2, 3, 5)), bnInputs(b, 3)...), af("momentum", 0.8)) })
		if v == 7 {
			add("spatial1", func(b *B) { b.Op(append(ins(b.X("x", 1, 2, 3, 3)), bnInputs(b, 2)...), ai("spatial", 1)) })
			add("spatial0", func(b *B) { // statistics per activation: C×H×W of each
				b.Op(ins(b.X("x", 2, 2, 2, 3), b.WU("scale", 0.5, 1.5, 2, 2, 3), b.W("bias", 1, 2, 2, 3), b.W("mean", 0.5, 2, 2, 3),
					b.WU("var", 0.5, 2, 2, 2, 3)), ai("spatial", 0))
				b.Fails("parameter 1 has shape [2 2 3], not 2 values", "spatial=0 (per-activation statistics, opset 7-8 only) is not implemented")
			})
		}
		if v >= 14 {
			add("training_mode0", func(b *B) { b.Op(append(ins(b.X("x", 1, 3, 2, 2)), bnInputs(b, 3)...), ai("training_mode", 0)) })
			add("training_mode1", func(b *B) {
				b.N("BatchNormalization", append(ins(b.X("x", 2, 3, 2, 2)), bnInputs(b, 3)...), ins("y", "rm", "rv"), ai("training_mode", 1))
				b.Out("y", onnxtest.Float)
				b.Out("rm", onnxtest.Float)
				b.Out("rv", onnxtest.Float)
				b.Fails("training mode is not supported", "training-mode BatchNormalization (batch statistics) is for training, not inference")
			})
		}
	})

	fam("InstanceNormalization", ops(7), func(v int64, add func(string, func(*B))) {
		add("nchw", func(b *B) {
			b.Op(ins(b.X("x", 2, 3, 3, 4), b.WU("s", 0.5, 1.5, 3), b.W("bias", 1, 3)), af("epsilon", 1e-3))
		})
		add("ncd", func(b *B) { b.Op(ins(b.X("x", 1, 2, 6), b.WU("s", 0.5, 1.5, 2), b.W("bias", 1, 2))) })
	})

	fam("LayerNormalization", ops(17), func(v int64, add func(string, func(*B))) {
		add("last_axis", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.WU("s", 0.5, 1.5, 4), b.W("bias", 1, 4))) })
		add("axis1_nobias", func(b *B) {
			b.Op(ins(b.X("x", 2, 3, 4), b.WU("s", 0.5, 1.5, 3, 4)), ai("axis", 1), af("epsilon", 1e-3))
		})
		add("neg_axis", func(b *B) {
			b.Op(ins(b.X("x", 2, 2, 3, 2), b.WU("s", 0.5, 1.5, 3, 2), b.W("bias", 1, 3, 2)), ai("axis", -2))
		})
		add("bcast_scale", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.WU("s", 0.5, 1.5, 1, 4))) })
		add("mean_invstd", func(b *B) {
			b.N("LayerNormalization", ins(b.X("x", 2, 3, 4), b.WU("s", 0.5, 1.5, 4), b.W("bias", 1, 4)), ins("y", "mean", "istd"))
			b.Out("y", onnxtest.Float)
			b.Out("mean", onnxtest.Float)
			b.Out("istd", onnxtest.Float)
		})
	})

	// Gemm: 7 (unidirectional broadcast of C), 9 (types), 11 (C optional), 13 (bfloat16).
	fam("Gemm", ops(7, 9, 11, 13), func(v int64, add func(string, func(*B))) {
		add("bias_vector", func(b *B) { b.Op(ins(b.X("a", 3, 4), b.W("w", 0.5, 4, 5), b.W("c", 1, 5))) })
		add("transB_alpha_beta", func(b *B) {
			b.Op(ins(b.X("a", 2, 4), b.W("w", 0.5, 5, 4), b.W("c", 1, 5)), ai("transB", 1), af("alpha", 0.5), af("beta", 2))
		})
		add("transA_c_matrix", func(b *B) {
			b.Op(ins(b.X("a", 4, 3), b.W("w", 0.5, 4, 2), b.W("c", 1, 3, 2)), ai("transA", 1))
		})
		add("c_scalar", func(b *B) { b.Op(ins(b.X("a", 3, 4), b.W("w", 0.5, 4, 2), b.CF("c", i64s(1), f32s(0.75)))) })
		add("c_column", func(b *B) { b.Op(ins(b.X("a", 3, 4), b.W("w", 0.5, 4, 2), b.W("c", 1, 3, 1))) })
		add("runtime_b", func(b *B) { b.Op(ins(b.X("a", 2, 3), b.X("w", 4, 3), b.X("c", 2, 4)), ai("transB", 1)) })
		if v >= 11 {
			add("no_c", func(b *B) { b.Op(ins(b.X("a", 3, 4), b.W("w", 0.5, 4, 5))) })
		}
	})

	// MatMul: 1, 9 (types), 13 (bfloat16).
	fam("MatMul", ops(7, 9, 13), func(v int64, add func(string, func(*B))) {
		add("2d_weight", func(b *B) { b.Op(ins(b.X("a", 3, 4), b.W("w", 0.5, 4, 5))) })
		add("batched_runtime", func(b *B) { b.Op(ins(b.X("a", 2, 3, 4), b.X("b", 2, 4, 2))) })
		add("broadcast", func(b *B) { b.Op(ins(b.X("a", 2, 1, 2, 3), b.X("b", 3, 3, 2))) })
		add("vec_mat", func(b *B) { b.Op(ins(b.X("a", 4), b.W("w", 0.5, 2, 4, 3))) })
		add("mat_vec", func(b *B) { b.Op(ins(b.X("a", 2, 3, 4), b.W("w", 0.5, 4))) })
		add("vec_vec", func(b *B) { b.Op(ins(b.X("a", 5), b.X("b", 5))) })
	})

	fam("LRN", ops(7, 13), func(v int64, add func(string, func(*B))) {
		add("size3", func(b *B) {
			b.Op(ins(b.X("x", 1, 5, 3, 3)), ai("size", 3), af("alpha", 1e-2), af("beta", 0.75), af("bias", 1))
		})
		add("size5_defaults", func(b *B) { b.Op(ins(b.X("x", 1, 6, 2, 2)), ai("size", 5)) })
		// ONNX allows an even size (the window is then lopsided); ORT refuses it.
		add("size2", func(b *B) { b.Op(ins(b.X("x", 1, 4, 2, 3)), ai("size", 2)) })
	})

	// MeanVarianceNormalization: 9, 13.
	fam("MeanVarianceNormalization", ops(9, 13), func(v int64, add func(string, func(*B))) {
		add("default_axes", func(b *B) { b.Op(ins(b.X("x", 2, 3, 2, 3))) })
		add("axes_1", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4)), ais("axes", 1)) })
	})
}
