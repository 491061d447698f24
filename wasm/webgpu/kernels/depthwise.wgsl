// depthwise.wgsl: convolutions with one input channel per group (depthwise,
// channel multiplier Mg = M/G ≥ 1), NCHW like conv.wgsl.
//
// Each invocation computes four neighbouring outputs of one row of one
// output channel, with that channel's KH×KW weights (at most 7×7) held in
// registers, so every weight is read once per four outputs and each input
// row segment is shared by the four. There is no reuse across rows, so no
// workgroup memory and no barriers. Epilogue as conv.wgsl.

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  M: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, SH: u32, SW: u32, PT: u32,
  PL: u32, DH: u32, DW: u32, Mg: u32,
  OWq: u32, total: u32, act: u32, act_a: f32,
  act_b: f32, has_bias: u32, has_res: u32, pad0: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> res: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= prm.total) { return; }
  let owq = i % prm.OWq;
  let t = i / prm.OWq;
  let oh = t % prm.OH;
  let plane = t / prm.OH; // n·M + m
  let m = plane % prm.M;
  let n = plane / prm.M;
  let c = m / prm.Mg;
  let kk = prm.KH * prm.KW;

  var wr: array<f32, 49>;
  for (var k = 0u; k < kk; k++) { wr[k] = w[m * kk + k]; }

  var acc = vec4<f32>(0.0);
  let ow0 = owq * 4u;
  for (var kh = 0u; kh < prm.KH; kh++) {
    let ih = i32(oh * prm.SH) - i32(prm.PT) + i32(kh * prm.DH);
    if (ih < 0 || ih >= i32(prm.H)) { continue; }
    let row = ((n * prm.C + c) * prm.H + u32(ih)) * prm.W;
    for (var kw = 0u; kw < prm.KW; kw++) {
      let wv = wr[kh * prm.KW + kw];
      for (var j = 0u; j < 4u; j++) {
        let iw = i32((ow0 + j) * prm.SW) - i32(prm.PL) + i32(kw * prm.DW);
        if (iw >= 0 && iw < i32(prm.W)) {
          acc[j] += wv * x[row + u32(iw)];
        }
      }
    }
  }
  var b = 0.0;
  if (prm.has_bias != 0u) { b = bias[m]; }
  let orow = (plane * prm.OH + oh) * prm.OW;
  for (var j = 0u; j < 4u; j++) {
    let ow = ow0 + j;
    if (ow >= prm.OW) { break; }
    var v = acc[j] + b;
    if (prm.has_res != 0u) { v += res[orow + ow]; }
    y[orow + ow] = act(v, prm.act, prm.act_a, prm.act_b);
  }
}
