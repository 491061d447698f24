package opsets

import (
	"fmt"

	"github.com/glimpse/glimpse/model/onnx/onnxtest"
)

// Cast, Pad, Resize and Upsample, If.

// castTypes are Cast's targets with their names, and the opset that
// brought each one (bfloat16 13, float8 19, int4 21).
var castTypes = []struct {
	name  string
	elem  int64
	since int64
}{
	{"float", onnxtest.Float, 1}, {"uint8", onnxtest.Uint8, 1}, {"int8", onnxtest.Int8, 1},
	{"uint16", onnxtest.Uint16, 1}, {"int16", onnxtest.Int16, 1}, {"int32", onnxtest.Int32, 1},
	{"int64", onnxtest.Int64, 1}, {"bool", onnxtest.Bool, 1}, {"float16", onnxtest.Float16, 1},
	{"double", onnxtest.Double, 1}, {"uint32", onnxtest.Uint32, 1}, {"uint64", onnxtest.Uint64, 1},
	{"string", onnxtest.String, 9}, {"bfloat16", onnxtest.BFloat16, 13},
	{"float8e4m3fn", 17, 19}, {"float8e4m3fnuz", 18, 19}, {"float8e5m2", 19, 19}, {"float8e5m2fnuz", 20, 19},
	{"uint4", 21, 21}, {"int4", 22, 21},
}

func init() {
	// Cast: 6, 9 (string), 13 (bfloat16), 19 (float8, saturate), 21 (int4, uint4).
	fam("Cast", ops(7, 9, 13, 19, 21), func(v int64, add func(string, func(*B))) {
		for _, ct := range castTypes {
			if ct.since > v {
				continue
			}
			// Values every target holds: unsigned types get non-negative
			// ones; the fractions check truncation toward zero, the
			// zeros bool.
			x := func(b *B) string {
				switch {
				case ct.elem >= 17 && ct.elem <= 20: // values beyond float8's range, for saturate
					return b.XF("x", i64s(3, 4), f32s(0, -0.3, 1.75, 1000, -1000, 3.1416, 57000, -0.001, 448, 240, 1e6, 0.0175))
				case ct.elem == 21 || ct.elem == 22:
					return b.XF("x", i64s(2, 4), f32s(0, 1, 2.7, 7, 3.2, 5, 6.9, 4))
				case ct.elem == onnxtest.Uint8 || ct.elem == onnxtest.Uint16 || ct.elem == onnxtest.Uint32 || ct.elem == onnxtest.Uint64:
					return b.XF("x", i64s(3, 4), append(f32s(0, 0.5, 1.75, 127.9), b.randU("x", 8, 0, 120)...))
				}
				return b.XF("x", i64s(3, 4), append(f32s(0, -0.5, 1.75, -127.9), b.randU("x", 8, -120, 120)...))
			}
			switch {
			case ct.elem >= 16:
				// Types ORT's JavaScript API may not hand back: cast back to float.
				for _, sat := range []int64{-1, 0} {
					if sat == 0 && (ct.elem < 17 || ct.elem > 20) {
						continue // saturate applies to float8 only
					}
					name := "to_" + ct.name
					if sat == 0 {
						name += "_nosaturate"
					}
					add(name, func(b *B) {
						var attrs []onnxtest.Attr
						attrs = append(attrs, ai("to", ct.elem))
						if sat == 0 {
							attrs = append(attrs, ai("saturate", 0))
						}
						b.N("Cast", ins(x(b)), ins("c"), attrs...)
						b.N("Cast", ins("c"), ins("y"), ai("to", onnxtest.Float))
						b.Out("y", onnxtest.Float)
						if ct.elem != onnxtest.BFloat16 {
							b.Fails(fmt.Sprintf("cast to element type %d is not supported", ct.elem), ct.name+" is not a type the engine holds")
						}
					})
				}
			default:
				add("to_"+ct.name, func(b *B) {
					b.OpT(ct.elem, ins(x(b)), ai("to", ct.elem))
					if ct.elem == onnxtest.String {
						b.Fails("cast to element type 8 is not supported", "the engine has no string tensors")
					}
				})
			}
		}
		add("int64_to_float", func(b *B) { b.Op(ins(b.XRI("x", -1000, 1000, 2, 3)), ai("to", onnxtest.Float)) })
		add("int64_to_int8_wrap", func(b *B) {
			b.OpT(onnxtest.Int8, ins(b.XI("x", i64s(6), i64s(-129, 128, 255, 300, -1, 127))), ai("to", onnxtest.Int8))
		})
		add("int64_to_uint8_wrap", func(b *B) {
			b.OpT(onnxtest.Uint8, ins(b.XI("x", i64s(6), i64s(-1, 256, 255, 300, -200, 127))), ai("to", onnxtest.Uint8))
		})
		add("bool_to_float", func(b *B) { b.Op(ins(b.XRB("x", 2, 3)), ai("to", onnxtest.Float)) })
		add("bool_to_int64", func(b *B) { b.OpT(onnxtest.Int64, ins(b.XRB("x", 2, 3)), ai("to", onnxtest.Int64)) })
		add("float16_rounding", func(b *B) {
			b.OpT(onnxtest.Float16, ins(b.XF("x", i64s(8), f32s(1.0004883, 1.0014648, 65519, 65520, 1e-8, 6e-5, -2049, 0.1))), ai("to", onnxtest.Float16))
		})
		add("int32_initializer_to_float", func(b *B) {
			b.Op(ins(b.CT(onnxtest.Tensor{Name: "c", Elem: onnxtest.Int32, Dims: i64s(3), Ints: i64s(-5, 0, 70000)})), ai("to", onnxtest.Float))
		})
	})

	// Pad: 2 (attributes), 11 (pads and constant_value inputs, negative pads), 13, 18 (axes), 19 (wrap), 21.
	fam("Pad", ops(7, 11, 13, 18, 19, 21), func(v int64, add func(string, func(*B))) {
		pad := func(b *B, x string, mode string, pads []int64, value *float32) {
			if v < 11 {
				attrs := []onnxtest.Attr{ais("pads", pads...)}
				if mode != "" {
					attrs = append(attrs, as("mode", mode))
				}
				if value != nil {
					attrs = append(attrs, af("value", *value))
				}
				b.Op(ins(x), attrs...)
				return
			}
			in := ins(x, b.CI("pads", pads...))
			if value != nil {
				in = append(in, b.CFs("value", *value))
			}
			var attrs []onnxtest.Attr
			if mode != "" {
				attrs = append(attrs, as("mode", mode))
			}
			b.Op(in, attrs...)
		}
		val := float32(1.5)
		pads := i64s(0, 0, 1, 1, 0, 0, 1, 2)
		add("constant_value", func(b *B) { pad(b, b.X("x", 1, 2, 2, 3), "constant", pads, &val) })
		add("constant_default", func(b *B) { pad(b, b.X("x", 1, 2, 2, 3), "", pads, nil) })
		add("reflect", func(b *B) { pad(b, b.X("x", 1, 2, 2, 3), "reflect", pads, nil) })
		add("edge", func(b *B) { pad(b, b.X("x", 1, 2, 2, 3), "edge", pads, nil) })
		add("2d_all_axes", func(b *B) { pad(b, b.X("x", 3, 2), "constant", i64s(1, 0, 2, 3), &val) })
		if v >= 11 {
			add("negative_crop", func(b *B) { pad(b, b.X("x", 1, 2, 4, 4), "constant", i64s(0, 0, -1, 1, 0, 0, 1, -2), nil) })
			add("int64", func(b *B) {
				b.OpT(onnxtest.Int64, ins(b.XRI("x", 0, 9, 2, 3), b.CI("pads", 1, 0, 0, 2),
					b.CT(onnxtest.Tensor{Name: "value", Elem: onnxtest.Int64, Ints: i64s(-1)})))
			})
			add("runtime_pads", func(b *B) {
				b.Op(ins(b.X("x", 2, 3), b.XI("pads", i64s(4), i64s(1, 0, 0, 1))))
				b.Fails("pads must be known before run time", "the pads decide the output shape, and shapes are fixed at compile time")
			})
		}
		if v >= 18 {
			add("axes", func(b *B) {
				b.Op(ins(b.X("x", 1, 2, 3, 4), b.CI("pads", 1, 2, 2, 1), b.CFs("value", 0.5), b.CI("axes", 2, 3)))
			})
			add("neg_axes_reflect", func(b *B) {
				b.Op(ins(b.X("x", 1, 2, 3, 4), b.CI("pads", 2, 1), "", b.CI("axes", -1)), as("mode", "reflect"))
			})
		}
		if v >= 19 {
			add("wrap", func(b *B) { pad(b, b.X("x", 1, 2, 2, 3), "wrap", pads, nil) })
			add("wrap_axes", func(b *B) {
				b.Op(ins(b.X("x", 2, 3, 4), b.CI("pads", 1, 3, 2, 0), "", b.CI("axes", 1, 2)), as("mode", "wrap"))
			})
		}
	})

	// Upsample: 7 (scales attribute), 9 (scales input); deprecated at 10.
	fam("Upsample", ops(7, 9), func(v int64, add func(string, func(*B))) {
		up := func(b *B, x string, mode string, scales ...float32) {
			if v < 9 {
				b.Op(ins(x), as("mode", mode), afs("scales", scales...))
			} else {
				b.Op(ins(x, b.CF("scales", i64s(int64(len(scales))), scales)), as("mode", mode))
			}
		}
		add("nearest", func(b *B) { up(b, b.X("x", 1, 2, 2, 3), "nearest", 1, 1, 2, 2) })
		add("nearest_fractional", func(b *B) { up(b, b.X("x", 1, 1, 3, 2), "nearest", 1, 1, 1.5, 2.5) })
		add("linear", func(b *B) { up(b, b.X("x", 1, 2, 2, 3), "linear", 1, 1, 2, 2) })
		add("linear_fractional", func(b *B) { up(b, b.X("x", 1, 1, 3, 2), "linear", 1, 1, 1.5, 2.5) })
	})

	// Resize: 10 (scales only, asymmetric), 11 (roi, sizes, coordinate modes, cubic), 13 (optional roi/scales),
	// 18 (antialias, axes, keep_aspect_ratio_policy), 19 (half_pixel_symmetric).
	fam("Resize", ops(10, 11, 13, 18, 19), func(v int64, add func(string, func(*B))) {
		emptyF := func(b *B, name string) string {
			return b.CT(onnxtest.Tensor{Name: name, Elem: onnxtest.Float, Dims: i64s(0)})
		}
		// scales and sizes as this opset wants them: roi and scales
		// are required inputs (empty when unused) at 11, optional from 13.
		byScales := func(b *B, x string, scales []float32, attrs ...onnxtest.Attr) {
			sc := b.CF("scales", i64s(int64(len(scales))), scales)
			switch {
			case v == 10:
				b.Op(ins(x, sc), attrs...)
			case v == 11:
				b.Op(ins(x, emptyF(b, "roi"), sc), attrs...)
			default:
				b.Op(ins(x, "", sc), attrs...)
			}
		}
		bySizes := func(b *B, x string, sizes []int64, attrs ...onnxtest.Attr) {
			sz := b.CI("sizes", sizes...)
			if v == 11 {
				b.Op(ins(x, emptyF(b, "roi"), emptyF(b, "scales"), sz), attrs...)
			} else {
				b.Op(ins(x, "", "", sz), attrs...)
			}
		}
		mode := func(m string) onnxtest.Attr { return as("mode", m) }
		coord := func(m string) onnxtest.Attr { return as("coordinate_transformation_mode", m) }
		x4 := func(b *B) string { return b.X("x", 1, 2, 2, 3) }
		if v == 10 {
			add("nearest_up", func(b *B) { byScales(b, x4(b), f32s(1, 1, 2, 2), mode("nearest")) })
			add("nearest_fractional", func(b *B) { byScales(b, x4(b), f32s(1, 1, 1.5, 2.5), mode("nearest")) })
			add("linear_up", func(b *B) { byScales(b, x4(b), f32s(1, 1, 2, 1.5), mode("linear")) })
			add("linear_down", func(b *B) { byScales(b, b.X("x", 1, 1, 4, 6), f32s(1, 1, 0.5, 0.5), mode("linear")) })
			return
		}
		add("nearest_default", func(b *B) { byScales(b, x4(b), f32s(1, 1, 1.5, 2.5)) })
		add("nearest_asymmetric_floor", func(b *B) {
			byScales(b, x4(b), f32s(1, 1, 2, 2), mode("nearest"), coord("asymmetric"), as("nearest_mode", "floor"))
		})
		add("nearest_round_prefer_ceil_sizes", func(b *B) {
			bySizes(b, x4(b), i64s(1, 2, 5, 7), mode("nearest"), as("nearest_mode", "round_prefer_ceil"))
		})
		add("nearest_ceil_align_corners", func(b *B) {
			bySizes(b, x4(b), i64s(1, 2, 5, 6), mode("nearest"), coord("align_corners"), as("nearest_mode", "ceil"))
		})
		add("nearest_down", func(b *B) { bySizes(b, b.X("x", 1, 1, 5, 6), i64s(1, 1, 2, 3), mode("nearest")) })
		add("linear_half_pixel_up", func(b *B) { byScales(b, x4(b), f32s(1, 1, 2, 2), mode("linear")) })
		add("linear_align_corners", func(b *B) { bySizes(b, x4(b), i64s(1, 2, 5, 6), mode("linear"), coord("align_corners")) })
		add("linear_asymmetric", func(b *B) { byScales(b, x4(b), f32s(1, 1, 1.5, 1.5), mode("linear"), coord("asymmetric")) })
		add("linear_pytorch_half_pixel_down", func(b *B) {
			bySizes(b, b.X("x", 1, 2, 5, 6), i64s(1, 2, 1, 3), mode("linear"), coord("pytorch_half_pixel"))
		})
		add("linear_down", func(b *B) { byScales(b, b.X("x", 1, 1, 6, 8), f32s(1, 1, 0.5, 0.375), mode("linear")) })
		add("cubic", func(b *B) { byScales(b, x4(b), f32s(1, 1, 2, 1.5), mode("cubic")) })
		add("cubic_a05_exclude_outside", func(b *B) {
			byScales(b, x4(b), f32s(1, 1, 2, 2), mode("cubic"), af("cubic_coeff_a", -0.5), ai("exclude_outside", 1))
		})
		add("cubic_align_corners_down", func(b *B) {
			bySizes(b, b.X("x", 1, 1, 6, 6), i64s(1, 1, 4, 3), mode("cubic"), coord("align_corners"))
		})
		// ORT 1.30 ignores the roi of an axis whose size does not change
		// (an input 1×2×2×3 resized to 1×2×3×3 is not cropped along W), so
		// every spatial size changes here.
		add("tf_crop_and_resize", func(b *B) {
			x := x4(b)
			roi := b.CF("roi", i64s(8), f32s(0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2))
			b.Op(ins(x, roi, emptyF(b, "scales"), b.CI("sizes", 1, 2, 3, 4)), mode("linear"), coord("tf_crop_and_resize"),
				af("extrapolation_value", 9))
		})
		if v >= 18 {
			add("antialias_linear_down", func(b *B) {
				byScales(b, b.X("x", 1, 1, 6, 8), f32s(1, 1, 0.5, 0.5), mode("linear"), ai("antialias", 1))
			})
			add("antialias_cubic_down", func(b *B) {
				bySizes(b, b.X("x", 1, 1, 6, 8), i64s(1, 1, 3, 3), mode("cubic"), ai("antialias", 1))
			})
			add("axes_scales", func(b *B) {
				b.Op(ins(x4(b), "", b.CF("scales", i64s(2), f32s(2, 1.5))), mode("linear"), ais("axes", 2, 3))
			})
			add("axes_sizes_not_larger", func(b *B) {
				b.Op(ins(x4(b), "", "", b.CI("sizes", 4, 4)), mode("linear"), ais("axes", 2, 3), as("keep_aspect_ratio_policy", "not_larger"))
			})
			add("axes_sizes_not_smaller_neg_axes", func(b *B) {
				b.WrongInORT("axes_sizes_not_smaller", "ORT 1.30 leaves the input unresized when Resize's axes are negative")
				b.Op(ins(x4(b), "", "", b.CI("sizes", 4, 4)), mode("nearest"), ais("axes", -2, -1), as("keep_aspect_ratio_policy", "not_smaller"))
			})
			add("axes_sizes_not_smaller", func(b *B) {
				b.Op(ins(x4(b), "", "", b.CI("sizes", 4, 4)), mode("nearest"), ais("axes", 2, 3), as("keep_aspect_ratio_policy", "not_smaller"))
			})
		}
		if v >= 19 {
			add("linear_half_pixel_symmetric", func(b *B) {
				byScales(b, x4(b), f32s(1, 1, 1.5, 2.5), mode("linear"), coord("half_pixel_symmetric"))
			})
			add("nearest_half_pixel_symmetric_down", func(b *B) {
				bySizes(b, b.X("x", 1, 1, 5, 7), i64s(1, 1, 3, 4), mode("nearest"), coord("half_pixel_symmetric"))
			})
		}
	})

	// If: 1, 11, 13, 16, 19, 21 (the types the branches may carry).
	fam("If", ops(7, 11, 13, 16, 19, 21), func(v int64, add func(string, func(*B))) {
		// The branches read x from the enclosing graph.
		branches := func() []onnxtest.Attr {
			then := onnxtest.Graph{Name: "then", Outputs: []onnxtest.Value{{Name: "t", Elem: onnxtest.Float, NoShape: true}},
				Nodes: []onnxtest.Node{
					{Op: "Relu", Name: "then_relu", Inputs: ins("x"), Outputs: ins("r")},
					{Op: "Mul", Name: "then_mul", Inputs: ins("r", "two"), Outputs: ins("t")},
				}}
			els := onnxtest.Graph{Name: "else", Outputs: []onnxtest.Value{{Name: "e", Elem: onnxtest.Float, NoShape: true}},
				Nodes: []onnxtest.Node{{Op: "Neg", Name: "else_neg", Inputs: ins("x"), Outputs: ins("e")}}}
			return []onnxtest.Attr{ag("then_branch", then), ag("else_branch", els)}
		}
		for _, cond := range []bool{true, false} {
			add(fmt.Sprintf("const_cond_%v", cond), func(b *B) {
				b.X("x", 2, 3)
				b.CFs("two", 2)
				b.Op(ins(b.CBs("c", cond)), branches()...)
			})
			add(fmt.Sprintf("runtime_cond_%v", cond), func(b *B) {
				b.X("x", 2, 3)
				b.CFs("two", 2)
				b.Op(ins(b.XB("c", nil, []bool{cond})), branches()...)
			})
		}
		// Branches whose outputs differ in shape, with a condition known
		// only at run time: the output's shape depends on the data.
		add("runtime_cond_shapes_differ", func(b *B) {
			x := b.X("x", 2, 3)
			then := onnxtest.Graph{Name: "then", Outputs: []onnxtest.Value{{Name: "t", Elem: onnxtest.Float, NoShape: true}},
				Nodes: []onnxtest.Node{{Op: "Relu", Name: "then_relu", Inputs: ins(x), Outputs: ins("t")}}}
			els := onnxtest.Graph{Name: "else", Outputs: []onnxtest.Value{{Name: "e", Elem: onnxtest.Float, NoShape: true}},
				Nodes: []onnxtest.Node{{Op: "ReduceMax", Name: "else_max", Inputs: ins(x), Outputs: ins("e"), Attrs: []onnxtest.Attr{ai("keepdims", 0)}}}}
			b.Op(ins(b.XB("c", nil, []bool{true})), ag("then_branch", then), ag("else_branch", els))
			b.Fails("the engine needs one static shape", "the output's shape would depend on the data, and shapes are fixed at compile time")
		})
		add("computed_cond", func(b *B) {
			x := b.X("x", 2, 3)
			b.CFs("two", 2)
			b.N("ReduceSum", ins(x), ins("s"), ai("keepdims", 0))
			b.N("Greater", ins("s", b.CFs("zero", 0)), ins("c"))
			b.N("If", ins("c"), ins("y"), branches()...)
			b.Out("y", onnxtest.Float)
		})
	})
}
