// common.wgsl is prepended to every kernel (kernels.go): the activations a
// fused epilogue can apply (numbered as kern.ActKind) and the flat index of a
// 1-D dispatch whose workgroup count spills into y when it exceeds the
// per-dimension limit (65535 by default).

fn sigmoid_(x: f32) -> f32 {
  // Never exp of a large positive argument: e^-|x| is in (0, 1].
  let t = exp(-abs(x));
  let s = 1.0 / (1.0 + t);
  return select(t * s, s, x >= 0.0);
}

fn act(x: f32, kind: u32, a: f32, b: f32) -> f32 {
  switch kind {
    case 1u: { return max(x, 0.0); }                               // Relu
    case 2u: { return min(max(x, a), b); }                          // Clip
    case 3u: { return clamp(a * x + b, 0.0, 1.0); }                 // HardSigmoid
    case 4u: { return x * clamp(x * (1.0 / 6.0) + 0.5, 0.0, 1.0); } // HardSwish
    case 5u: { return sigmoid_(x); }                                // Sigmoid
    case 6u: { return x * sigmoid_(x); }                            // SiLU
    case 7u: { return select(a * x, x, x >= 0.0); }                 // LeakyRelu
    default: { return x; }
  }
}

fn flat_id(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, wg: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * wg + lid;
}

// dims/strides of up to 8 axes live in uniforms as array<vec4<u32>, 2>.
fn at8(v: array<vec4<u32>, 2>, i: u32) -> u32 {
  return v[i / 4u][i % 4u];
}

const NEG_INF = -3.402823466e+38;

// The quantized ops' arithmetic (model/cpu/kern/qconv.go): quant is
// QuantizeLinear less the zero point, roundEven(clamp(v/s, lo, hi)) with NaN
// quantizing to lo (WGSL's round rounds half to even); requant is
// roundEven(clamp(f32(acc)·mult, lo, hi))·ys, with acc converted exactly
// (two exact halves, one rounding: f32(i32) may round either way past 2²⁴).
fn quant(v: f32, s: f32, lo: f32, hi: f32) -> f32 {
  if ((bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u) { return lo; }
  return round(clamp(v / s, lo, hi));
}

fn i32_to_f32(a: i32) -> f32 {
  return f32(a >> 8u) * 256.0 + f32(a & 255);
}

fn requant(acc: i32, mult: f32, lo: f32, hi: f32, ys: f32) -> f32 {
  return round(clamp(i32_to_f32(acc) * mult, lo, hi)) * ys;
}
