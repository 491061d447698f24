// conv.wgsl: Conv/FusedConv as an implicit GEMM, one group at a time.
//
// Layout NCHW, the layout of ONNX and of the CPU engine: no transposes at the
// model's edges or between backends, and a 1×1 convolution is then a plain
// GEMM Y[M×HW] = W[M×C]·X[C×HW] over contiguous rows of X.
//
// Per group g: Y[m, p] = Σ_k W[m, k]·X̂[k, p] with k = (c, kh, kw) over
// Cg·KH·KW and p = (n, oh, ow) over N·OH·OW; X̂ (im2col) is gathered on the
// fly, never stored. A workgroup of 256 computes a 64×64 tile of Y, 4×4 per
// invocation, stepping K by 16 through workgroup memory (2 × 4 KiB).
//
// Weights are packed at upload as Wp[g][k][m] (k padded with zeros to a
// multiple of 16, m to a multiple of 4), so the A tile is one aligned vec4
// load per invocation with no bounds check on k. main_1x1v4 serves 1×1,
// stride-1, unpadded convs whose H·W is a multiple of 4: X̂ is then X itself
// and its tile is loaded as vec4 too.
//
// Epilogue (fused, as onnxruntime's FusedConv): y = act(acc + bias + residual).

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  M: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, SH: u32, SW: u32, PT: u32,
  PL: u32, DH: u32, DW: u32, G: u32,
  Cg: u32, Mg: u32, K: u32, Kp: u32,
  Mg4: u32, act: u32, act_a: f32, act_b: f32,
  has_bias: u32, has_res: u32, P: u32, pad0: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> res: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> x4: array<vec4<f32>>;

var<workgroup> As: array<vec4<f32>, 256>; // [16 k][16 × 4 m]
var<workgroup> Bs: array<vec4<f32>, 256>; // [16 k][16 × 4 p]

fn load_a(g: u32, k0: u32, m0: u32, lid: u32) {
  let k = lid / 16u;
  let m4 = lid % 16u;
  var v = vec4<f32>(0.0);
  if (m0 + m4 * 4u < prm.Mg4) {
    v = w[((g * prm.Kp + k0 + k) * prm.Mg4 + m0) / 4u + m4];
  }
  As[k * 16u + m4] = v;
}

fn store(g: u32, m0: u32, p0: u32, tm: u32, tp: u32, acc: array<vec4<f32>, 4>) {
  let ohw = prm.OH * prm.OW;
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + tm * 4u + i;
    if (m >= prm.Mg) { continue; }
    let mo = g * prm.Mg + m;
    var b = 0.0;
    if (prm.has_bias != 0u) { b = bias[mo]; }
    for (var j = 0u; j < 4u; j++) {
      let p = p0 + tp * 4u + j;
      if (p >= prm.P) { continue; }
      let n = p / ohw;
      let idx = (n * prm.M + mo) * ohw + (p - n * ohw);
      var v = acc[i][j] + b;
      if (prm.has_res != 0u) { v += res[idx]; }
      y[idx] = act(v, prm.act, prm.act_a, prm.act_b);
    }
  }
}

fn mac(tm: u32, tp: u32, acc: ptr<function, array<vec4<f32>, 4>>) {
  for (var k = 0u; k < 16u; k++) {
    let a = As[k * 16u + tm];
    let b = Bs[k * 16u + tp];
    (*acc)[0] += a.x * b;
    (*acc)[1] += a.y * b;
    (*acc)[2] += a.z * b;
    (*acc)[3] += a.w * b;
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.z;
  let p0 = wid.x * 64u;
  let m0 = wid.y * 64u;
  let tm = lid % 16u;
  let tp = lid / 16u;
  let ohw = prm.OH * prm.OW;
  let kk = prm.KH * prm.KW;

  // The four columns this invocation gathers for the B tile stay fixed.
  let bk = lid / 16u;
  let bp = lid % 16u;
  var base: array<i32, 4>; // offset of (n, g·Cg, 0, 0), or -1 past the end
  var ih0: array<i32, 4>;
  var iw0: array<i32, 4>;
  for (var j = 0u; j < 4u; j++) {
    let p = p0 + bp * 4u + j;
    let n = p / ohw;
    let q = p - n * ohw;
    let oh = q / prm.OW;
    let ow = q - oh * prm.OW;
    base[j] = select(-1, i32((n * prm.C + g * prm.Cg) * prm.H * prm.W), p < prm.P);
    ih0[j] = i32(oh * prm.SH) - i32(prm.PT);
    iw0[j] = i32(ow * prm.SW) - i32(prm.PL);
  }

  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < prm.Kp; k0 += 16u) {
    load_a(g, k0, m0, lid);
    let k = k0 + bk;
    var v = vec4<f32>(0.0);
    if (k < prm.K) {
      let c = k / kk;
      let r = k - c * kk;
      let kh = r / prm.KW;
      let kw = r - kh * prm.KW;
      for (var j = 0u; j < 4u; j++) {
        let ih = ih0[j] + i32(kh * prm.DH);
        let iw = iw0[j] + i32(kw * prm.DW);
        if (base[j] >= 0 && ih >= 0 && ih < i32(prm.H) && iw >= 0 && iw < i32(prm.W)) {
          v[j] = x[u32(base[j]) + (c * prm.H + u32(ih)) * prm.W + u32(iw)];
        }
      }
    }
    Bs[bk * 16u + bp] = v;
    workgroupBarrier();
    mac(tm, tp, &acc);
    workgroupBarrier();
  }
  store(g, m0, p0, tm, tp, acc);
}

@compute @workgroup_size(256)
fn main_1x1v4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.z;
  let p0 = wid.x * 64u;
  let m0 = wid.y * 64u;
  let tm = lid % 16u;
  let tp = lid / 16u;
  let hw = prm.H * prm.W; // = OH·OW, a multiple of 4

  let bk = lid / 16u;
  let bp = lid % 16u;
  let p = p0 + bp * 4u; // four columns in one image
  let n = p / hw;
  let inside = p < prm.P;
  let base4 = ((n * prm.C + g * prm.Cg) * hw + (p - n * hw)) / 4u;

  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < prm.Kp; k0 += 16u) {
    load_a(g, k0, m0, lid);
    let k = k0 + bk;
    var v = vec4<f32>(0.0);
    if (inside && k < prm.K) {
      v = x4[base4 + k * hw / 4u];
    }
    Bs[bk * 16u + bp] = v;
    workgroupBarrier();
    mac(tm, tp, &acc);
    workgroupBarrier();
  }
  store(g, m0, p0, tm, tp, acc);
}
