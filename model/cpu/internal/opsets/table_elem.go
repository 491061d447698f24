package opsets

import "github.com/glimpse/glimpse/model/onnx/onnxtest"

// Elementwise ops: activations, unary math, binary arithmetic,
// comparisons, the variadic ops and Where.

// edgeValues are inputs that probe the ends of activation functions:
// zero, exact halves (rounding), large magnitudes (saturation).
var edgeValues = f32s(0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1, -1, 3, -3, 6, -6, 8, -8, 20, -20, 40, -40, 100)

func init() {
	unary := func(op string, opsets []int64, variants map[string][]onnxtest.Attr) {
		fam(op, opsets, func(v int64, add func(string, func(*B))) {
			add("random", func(b *B) { b.Op(ins(b.XF("x", i64s(2, 3, 4), b.randF("x", 24, 2, 0)))) })
			add("edges", func(b *B) { b.Op(ins(b.XF("x", i64s(4, 5), edgeValues))) })
			for name, attrs := range variants {
				add(name, func(b *B) { b.Op(ins(b.XF("x", i64s(2, 3, 4), b.randF("x", 24, 2, 0))), attrs...) })
			}
		})
	}
	// Since-versions: Relu 6, 13, 14; LeakyRelu 6, 16; Elu, Selu, HardSigmoid 6;
	// Sigmoid, Tanh, Exp, Floor, Ceil 6, 13; Softplus 1; HardSwish 14; Mish 18; Gelu 20.
	unary("Relu", ops(7, 13, 14), nil)
	unary("LeakyRelu", ops(7, 16), map[string][]onnxtest.Attr{"alpha": {af("alpha", 0.1)}})
	unary("Elu", ops(7), map[string][]onnxtest.Attr{"alpha": {af("alpha", 0.5)}})
	unary("Selu", ops(7), map[string][]onnxtest.Attr{"alpha_gamma": {af("alpha", 1.5), af("gamma", 0.9)}})
	unary("Sigmoid", ops(7, 13), nil)
	unary("HardSigmoid", ops(7), map[string][]onnxtest.Attr{"alpha_beta": {af("alpha", 0.3), af("beta", 0.4)}})
	unary("HardSwish", ops(14), nil)
	// The activations the conv epilogue fuses, with their parameters.
	fusedAct := func(op string, opsets []int64, attrs ...onnxtest.Attr) {
		fam(op, opsets, func(v int64, add func(string, func(*B))) {
			add("after_conv", func(b *B) {
				b.N("Conv", ins(b.X("x", 1, 2, 4, 4), b.W("w", 2, 3, 2, 3, 3), b.W("b", 1, 3)), ins("c"), ais("pads", 1, 1, 1, 1))
				b.N(op, ins("c"), ins("y"), attrs...)
				b.Out("y", onnxtest.Float)
			})
		})
	}
	fusedAct("HardSwish", ops(14))
	fusedAct("HardSigmoid", ops(7), af("alpha", 0.3), af("beta", 0.4))
	fusedAct("Sigmoid", ops(7, 13))
	fusedAct("LeakyRelu", ops(7, 16), af("alpha", 0.15))
	fusedAct("Relu", ops(7, 14))
	unary("Softplus", ops(7), nil)
	unary("Mish", ops(18), nil)
	unary("Gelu", ops(20), map[string][]onnxtest.Attr{"tanh": {as("approximate", "tanh")}})
	unary("Tanh", ops(7, 13), nil)
	unary("Floor", ops(7, 13), nil)
	unary("Ceil", ops(7, 13), nil)
	unary("Round", ops(11), nil)
	unary("Erf", ops(9, 13), nil)

	positive := func(op string, opsets []int64) {
		fam(op, opsets, func(v int64, add func(string, func(*B))) {
			add("random", func(b *B) { b.Op(ins(b.XU("x", 0.01, 5, 2, 3, 4))) })
			add("edges", func(b *B) { b.Op(ins(b.XF("x", i64s(2, 4), f32s(0, 1e-6, 0.25, 1, 2, 100, 1e4, 1e30)))) })
			add("negative_nan", func(b *B) { b.Op(ins(b.XF("x", i64s(3), f32s(-1, -1e-3, 4)))) })
		})
	}
	positive("Sqrt", ops(7, 13))
	positive("Log", ops(7, 13))
	fam("Exp", ops(7, 13), func(v int64, add func(string, func(*B))) {
		add("random", func(b *B) { b.Op(ins(b.XF("x", i64s(2, 3, 4), b.randF("x", 24, 2, 0)))) })
		add("edges", func(b *B) { b.Op(ins(b.XF("x", i64s(2, 4), f32s(0, -1, 1, 10, -10, 80, -80, -200)))) })
	})

	// PRelu: 7 (unidirectional broadcast of slope), 9 (types), 16 (bfloat16).
	fam("PRelu", ops(7, 9, 16), func(v int64, add func(string, func(*B))) {
		add("channel_slope", func(b *B) { b.Op(ins(b.X("x", 1, 3, 2, 2), b.W("s", 0.5, 3, 1, 1))) })
		add("scalar_slope", func(b *B) { b.Op(ins(b.X("x", 2, 3), b.CF("s", i64s(1), f32s(0.25)))) })
		add("last_axis_slope", func(b *B) { b.Op(ins(b.X("x", 2, 3, 4), b.W("s", 0.5, 4))) })
		add("full_slope", func(b *B) { b.Op(ins(b.X("x", 2, 3), b.X("s", 2, 3))) })
	})

	// Clip: 6 (min/max attributes), 11 (min/max inputs), 12 (integer types), 13.
	fam("Clip", ops(7, 11, 12, 13), func(v int64, add func(string, func(*B))) {
		x := func(b *B) string { return b.XF("x", i64s(3, 5), b.randF("x", 15, 3, 0)) }
		if v < 11 {
			add("min_max", func(b *B) { b.Op(ins(x(b)), af("min", -1), af("max", 1.5)) })
			add("min_only", func(b *B) { b.Op(ins(x(b)), af("min", 0)) })
			add("max_only", func(b *B) { b.Op(ins(x(b)), af("max", 0.5)) })
			add("none", func(b *B) { b.Op(ins(x(b))) })
			add("relu6_conv", func(b *B) {
				b.N("Conv", ins(b.X("x", 1, 2, 4, 4), b.W("w", 2, 3, 2, 3, 3)), ins("c"))
				b.N("Clip", ins("c"), ins("y"), af("min", 0), af("max", 6))
				b.Out("y", onnxtest.Float)
			})
			return
		}
		add("min_max", func(b *B) { b.Op(ins(x(b), b.CFs("lo", -1), b.CFs("hi", 1.5))) })
		add("min_only", func(b *B) { b.Op(ins(x(b), b.CFs("lo", 0))) })
		add("max_only", func(b *B) { b.Op(ins(x(b), "", b.CFs("hi", 0.5))) })
		add("none", func(b *B) { b.Op(ins(x(b))) })
		add("runtime_min_max", func(b *B) {
			b.Op(ins(x(b), b.XF("lo", nil, f32s(-0.5)), b.XF("hi", nil, f32s(2))))
		})
		add("relu6_conv", func(b *B) {
			b.N("Conv", ins(b.X("x", 1, 2, 4, 4), b.W("w", 2, 3, 2, 3, 3)), ins("c"))
			b.N("Clip", ins("c", b.CFs("lo", 0), b.CFs("hi", 6)), ins("y"))
			b.Out("y", onnxtest.Float)
		})
		if v >= 12 {
			add("int64", func(b *B) {
				b.OpT(onnxtest.Int64, ins(b.XRI("x", -10, 10, 3, 4), b.CT(onnxtest.Tensor{Name: "lo", Elem: onnxtest.Int64, Ints: i64s(-3)}),
					b.CT(onnxtest.Tensor{Name: "hi", Elem: onnxtest.Int64, Ints: i64s(5)})))
			})
		}
	})

	// Add, Sub, Mul, Div: 7 (numpy broadcasting), 13 (bfloat16), 14 (8- and 16-bit integers).
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		fam(op, ops(7, 13, 14), func(v int64, add func(string, func(*B))) {
			add("same_shape", func(b *B) { b.Op(ins(b.X("a", 2, 3, 4), b.XU("b", 0.5, 2, 2, 3, 4))) })
			add("bcast_const", func(b *B) { b.Op(ins(b.X("a", 2, 3, 4), b.WU("b", 0.5, 2, 3, 1))) })
			add("bcast_both", func(b *B) { b.Op(ins(b.X("a", 2, 1, 4), b.XU("b", 0.5, 2, 3, 1))) })
			add("scalar_first", func(b *B) { b.Op(ins(b.CFs("s", 1.25), b.X("a", 3, 4))) })
			add("same_input", func(b *B) {
				x := b.XU("x", 0.5, 2, 3, 4)
				b.Op(ins(x, x))
			})
			add("int64", func(b *B) {
				b.OpT(onnxtest.Int64, ins(b.XRI("a", -20, 20, 3, 4), b.XI("b", i64s(4), i64s(3, -2, 5, -7))))
			})
			if op == "Div" {
				add("by_zero", func(b *B) { b.Op(ins(b.XF("a", i64s(4), f32s(1, -2, 0, 3)), b.XF("b", i64s(4), f32s(0, 0, 0, -0.0)))) })
			}
		})
	}

	// Pow: 7 (broadcasting), 12 (exponent of another type), 13, 15 (bfloat16).
	fam("Pow", ops(7, 12, 13, 15), func(v int64, add func(string, func(*B))) {
		add("float", func(b *B) { b.Op(ins(b.XU("a", 0.1, 3, 2, 3), b.XU("b", -2, 2, 2, 3))) })
		add("square", func(b *B) { b.Op(ins(b.X("a", 3, 4), b.CFs("p", 2))) })
		add("sqrt", func(b *B) { b.Op(ins(b.XU("a", 0, 4, 3, 4), b.CF("p", i64s(1), f32s(0.5)))) })
		add("neg_base_int_exp", func(b *B) { b.Op(ins(b.X("a", 3, 4), b.CF("p", i64s(4), f32s(3, 2, 1, 0)))) })
		add("neg_base_frac_exp_nan", func(b *B) { b.Op(ins(b.XF("a", i64s(3), f32s(-2, 2, 0)), b.CF("p", i64s(3), f32s(0.5, -0.5, -1)))) })
		if v >= 12 {
			add("int64_exponent", func(b *B) {
				b.Op(ins(b.X("a", 2, 3), b.CT(onnxtest.Tensor{Name: "p", Elem: onnxtest.Int64, Ints: i64s(3)})))
			})
			add("int64_both", func(b *B) {
				b.OpT(onnxtest.Int64, ins(b.XRI("a", -5, 5, 2, 3), b.XI("p", i64s(3), i64s(0, 2, 3))))
			})
		}
	})

	// Comparisons. Equal: 7 (bool and integers only), 11 (floats), 13, 19 (strings).
	// Greater, Less: 7 (floats only), 9 (integers), 13.
	cmp := func(op string, opsets []int64, floatFrom, intFrom int64) {
		fam(op, opsets, func(v int64, add func(string, func(*B))) {
			if v >= intFrom {
				add("int64_bcast", func(b *B) { b.OpT(onnxtest.Bool, ins(b.XRI("a", -2, 2, 3, 4), b.XRI("b", -2, 2, 4))) })
			}
			if v >= floatFrom {
				add("float", func(b *B) {
					// Small integers, so that equal values occur.
					a := b.randI("a", 12, -2, 2)
					c := b.randI("b", 12, -2, 2)
					fa, fc := make([]float32, 12), make([]float32, 12)
					for i := range a {
						fa[i], fc[i] = float32(a[i]), float32(c[i])
					}
					b.OpT(onnxtest.Bool, ins(b.XF("a", i64s(3, 4), fa), b.XF("b", i64s(3, 4), fc)))
				})
				add("float_scalar", func(b *B) { b.OpT(onnxtest.Bool, ins(b.X("a", 2, 5), b.CFs("t", 0))) })
			}
		})
	}
	cmp("Equal", ops(7, 11, 13, 19), 11, 7)
	cmp("Greater", ops(7, 9, 13), 7, 9)
	cmp("Less", ops(7, 9, 13), 7, 9)
	cmp("GreaterOrEqual", ops(12, 16), 12, 12)
	cmp("LessOrEqual", ops(12, 16), 12, 12)
	fam("Equal", ops(11), func(v int64, add func(string, func(*B))) {
		add("bool", func(b *B) { b.OpT(onnxtest.Bool, ins(b.XRB("a", 2, 3), b.XRB("b", 2, 3))) })
	})

	// Sum, Mean: 6, 8 (broadcasting), 13. Max, Min: 6, 8, 12 (integers), 13.
	variadic := func(op string, opsets []int64, intFrom int64) {
		fam(op, opsets, func(v int64, add func(string, func(*B))) {
			add("three_same", func(b *B) { b.Op(ins(b.X("a", 2, 3), b.X("b", 2, 3), b.X("c", 2, 3))) })
			add("one", func(b *B) { b.Op(ins(b.X("a", 2, 3))) })
			add("two_const", func(b *B) { b.Op(ins(b.X("a", 2, 3), b.W("w", 1, 2, 3))) })
			if v >= 8 {
				add("bcast", func(b *B) { b.Op(ins(b.X("a", 2, 1, 4), b.X("b", 3, 1), b.X("c", 4))) })
			}
			if v >= intFrom {
				add("int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRI("a", -9, 9, 2, 3), b.XRI("b", -9, 9, 3))) })
			}
		})
	}
	variadic("Sum", ops(7, 8, 13), 99)
	variadic("Mean", ops(7, 8, 13), 99)
	variadic("Max", ops(7, 8, 12, 13), 12)
	variadic("Min", ops(7, 8, 12, 13), 12)

	// Where: 9, 16 (bfloat16).
	fam("Where", ops(9, 16), func(v int64, add func(string, func(*B))) {
		add("bcast", func(b *B) { b.Op(ins(b.XRB("c", 2, 3, 1), b.X("a", 3, 4), b.X("b", 1, 4))) })
		add("const_cond", func(b *B) {
			b.Op(ins(b.CT(onnxtest.Tensor{Name: "c", Elem: onnxtest.Bool, Dims: i64s(4), Ints: i64s(1, 0, 0, 1)}), b.X("a", 3, 4), b.CFs("z", -1)))
		})
		add("int64", func(b *B) {
			b.OpT(onnxtest.Int64, ins(b.XRB("c", 2, 3), b.XRI("a", -9, 9, 2, 3), b.XRI("b", -9, 9, 3)))
		})
		add("mask_from_greater", func(b *B) {
			x := b.X("x", 3, 4)
			b.N("Greater", ins(x, b.CFs("t", 0)), ins("m"))
			b.N("Where", ins("m", x, b.CFs("z", 0)), ins("y"))
			b.Out("y", onnxtest.Float)
		})
	})
}
