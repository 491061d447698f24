// elementwise.wgsl: unary ops and broadcasting binary ops, one element per
// invocation. Broadcasting is numpy's: the host merges adjacent axes where it
// can and passes, per input, a stride for each output axis (0 where the input
// is broadcast), at most 6 axes after merging. The op is a uniform, so one
// pipeline per entry point serves every op with no divergence.

struct Params {
  dims: array<vec4<u32>, 2>, astr: array<vec4<u32>, 2>, bstr: array<vec4<u32>, 2>,
  total: u32, rank: u32, op: u32, alpha: f32,
  beta: f32, pad0: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> yb: array<f32>;

// erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), odd-extended.
fn erf_(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - p * exp(-z * z));
}

fn tanh_(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }

fn softplus_(x: f32) -> f32 {
  if (x > 20.0) { return x; }
  return log(1.0 + exp(x));
}

fn unary(op: u32, x: f32, al: f32, be: f32) -> f32 {
  switch op {
    case 0u: { return max(x, 0.0); }                                // Relu
    case 1u: { return sigmoid_(x); }                                // Sigmoid
    case 2u: { return tanh_(x); }                                   // Tanh
    case 3u: { return exp(x); }                                     // Exp
    case 4u: { return log(x); }                                     // Log
    case 5u: { return -x; }                                         // Neg
    case 6u: { return abs(x); }                                     // Abs
    case 7u: { return sqrt(x); }                                    // Sqrt
    case 8u: { return erf_(x); }                                    // Erf
    case 9u: { return 1.0 / x; }                                    // Reciprocal
    case 10u: { return floor(x); }                                  // Floor
    case 11u: { return ceil(x); }                                   // Ceil
    case 12u: { return round(x); }                                  // Round (half to even)
    case 13u: { return clamp(al * x + be, 0.0, 1.0); }              // HardSigmoid
    case 14u: { return x * clamp(x / 6.0 + 0.5, 0.0, 1.0); }        // HardSwish
    case 15u: { return select(al * x, x, x >= 0.0); }               // LeakyRelu
    case 16u: { return select(al * (exp(x) - 1.0), x, x >= 0.0); }  // Elu
    case 17u: { return select(be * (al * exp(x) - al), be * x, x > 0.0); } // Selu (al, gamma)
    case 18u: { return softplus_(x); }                              // Softplus
    case 19u: { return x / (1.0 + abs(x)); }                        // Softsign
    case 20u: { return sin(x); }
    case 21u: { return cos(x); }
    case 22u: { return sign(x); }
    case 23u: { return min(max(x, al), be); }                       // Clip
    case 24u: { return max(0.0, x) + min(0.0, al * (exp(x / al) - 1.0)); } // Celu
    case 25u: { return select(0.0, x, x > al); }                    // ThresholdedRelu
    case 26u: { return 0.5 * x * (1.0 + erf_(x * 0.70710678118654752)); } // Gelu
    case 27u: { return 0.5 * x * (1.0 + tanh_(0.79788456080286536 * (x + 0.044715 * x * x * x))); } // Gelu tanh
    case 28u: { return x * tanh_(softplus_(x)); }                   // Mish
    case 29u: { return tan(x); }
    case 30u: { return asin(x); }
    case 31u: { return acos(x); }
    case 32u: { return atan(x); }
    case 33u: { return sinh(x); }
    case 34u: { return cosh(x); }
    case 35u: { return asinh(x); }
    case 36u: { return acosh(x); }
    case 37u: { return atanh(x); }
    case 38u: {                                                     // Shrink (lambd, bias)
      if (x < -al) { return x + be; }
      if (x > al) { return x - be; }
      return 0.0;
    }
    default: { return x; }                                          // Identity
  }
}

fn pow_(x: f32, e: f32) -> f32 {
  if (e == 2.0) { return x * x; }
  if (e == 0.0) { return 1.0; }
  if (e == 1.0) { return x; }
  if (e == 0.5) { return sqrt(x); }
  let r = pow(abs(x), e);
  if (x < 0.0) {
    if (e != floor(e)) { return bitcast<f32>(0x7fc00000u | (bitcast<u32>(x) & 0u)); } // NaN, as math.Pow (not a constant expression, which may not be NaN)
    if (e * 0.5 != floor(e * 0.5)) { return -r; }
  }
  return r;
}

fn binary(op: u32, x: f32, z: f32) -> f32 {
  switch op {
    case 0u: { return x + z; }
    case 1u: { return x - z; }
    case 2u: { return x * z; }
    case 3u: { return x / z; }
    case 4u: { return pow_(x, z); }
    case 5u: { return max(x, z); }
    case 6u: { return min(x, z); }
    case 7u: { return select(z * x, x, x >= 0.0); }                 // PRelu
    case 8u: {                                                      // Mod (Python sign)
      var m = x - z * trunc(x / z);
      if (m != 0.0 && ((m < 0.0) != (z < 0.0))) { m += z; }
      return m;
    }
    case 9u: { return x - z * trunc(x / z); }                       // Mod fmod=1
    case 10u: { return (x + z) * 0.5; }                             // Mean of two
    default: { return x; }
  }
}

@compute @workgroup_size(256)
fn unary_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 256u);
  if (i >= prm.total) { return; }
  y[i] = unary(prm.op, a[i], prm.alpha, prm.beta);
}

@compute @workgroup_size(256)
fn binary_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 256u);
  if (i >= prm.total) { return; }
  var rem = i;
  var ao = 0u;
  var bo = 0u;
  for (var d = i32(prm.rank) - 1; d >= 0; d--) {
    let n = at8(prm.dims, u32(d));
    let c = rem % n;
    rem = rem / n;
    ao += c * at8(prm.astr, u32(d));
    bo += c * at8(prm.bstr, u32(d));
  }
  yb[i] = binary(prm.op, a[ao], b[bo]);
}
