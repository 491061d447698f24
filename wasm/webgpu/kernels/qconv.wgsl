// qconv.wgsl: QConv, the fused QDQ convolution (ops_quant.go explains the
// arithmetic), NCHW, any groups, strides, pads and dilations. Prepended by
// qconv_dp4.wgsl or qconv_i32.wgsl, which define dot4u(a, b): the sum of
// the products of the four byte pairs of a and b.
//
// Two dispatches. pack quantizes the input once into bytes qu, four
// channels of one group per word: xq[n][g][h][w][Cg4] (channels past Cg are
// 0). main4 (four output channels of one group per invocation, when Mg is a
// multiple of 4) and main1 (one) then walk the window's taps (kh, kw) and
// the words c4 of each, summing Σ qu·wu per channel and Σ qu in u32
// (wrapping, as the CPU's int32 sums do); a tap outside the input reads
// zx in each real channel's byte (x' = 0). Weights are [M][KH][KW][Cg4]
// words in the same byte order.

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  M: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, SH: u32, SW: u32, PT: u32,
  PL: u32, DH: u32, DW: u32, G: u32,
  Cg: u32, Mg: u32, Cg4: u32, total: u32,
  xs: f32, xlo: f32, xhi: f32, zx: i32,
  ylo: f32, yhi: f32, ys: f32, pad0: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;         // [M][KH][KW][Cg4] bytes wu
@group(0) @binding(3) var<storage, read> ch: array<vec4<i32>>;  // (bias, folded constant, zw, 0)
@group(0) @binding(4) var<storage, read> mult: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> xq: array<u32>;  // pack's output, main's input

@compute @workgroup_size(64)
fn pack(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= prm.total) { return; }
  let c4 = i % prm.Cg4;
  var t = i / prm.Cg4;
  let iw = t % prm.W;
  t = t / prm.W;
  let ih = t % prm.H;
  t = t / prm.H;
  let g = t % prm.G;
  let n = t / prm.G;
  let hw = prm.H * prm.W;
  var word = 0u;
  for (var j = 0u; j < 4u; j++) {
    let c = c4 * 4u + j;
    if (c >= prm.Cg) { break; }
    let v = x[(n * prm.C + g * prm.Cg + c) * hw + ih * prm.W + iw];
    let qu = u32(i32(quant(v, prm.xs, prm.xlo, prm.xhi)) + prm.zx);
    word |= qu << (8u * j);
  }
  xq[i] = word;
}

// padWord is what a tap outside the input reads: zx in the bytes of real
// channels, 0 past Cg.
fn padWord(c4: u32) -> u32 {
  let real = min(4u, prm.Cg - c4 * 4u);
  let zw = u32(prm.zx) * 0x01010101u;
  if (real == 4u) { return zw; }
  return zw & ((1u << (8u * real)) - 1u);
}

struct Pix { n: u32, oh: u32, ow: u32, ok: bool }

// outputs decodes invocation i of a dispatch over N·(M/mb)·OH·OW into the
// pixel and the first output channel (returned through m0).
fn pixel(i: u32, mb: u32, m0: ptr<function, u32>) -> Pix {
  var p: Pix;
  p.ok = i < prm.total;
  p.ow = i % prm.OW;
  var t = i / prm.OW;
  p.oh = t % prm.OH;
  t = t / prm.OH;
  let nb = prm.M / mb;
  *m0 = (t % nb) * mb;
  p.n = t / nb;
  return p;
}

fn out(p: Pix, m: u32, sqw: u32, sq: u32) {
  let cm = ch[m];
  let acc = i32(sqw) - cm.z * i32(sq) + cm.y;
  y[((p.n * prm.M + m) * prm.OH + p.oh) * prm.OW + p.ow] = requant(acc, mult[m], prm.ylo, prm.yhi, prm.ys);
}

@compute @workgroup_size(64)
fn main4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  var m0 = 0u;
  let p = pixel(flat_id(wid, nwg, lid, 64u), 4u, &m0);
  if (!p.ok) { return; }
  let g = m0 / prm.Mg;
  let kk4 = prm.KH * prm.KW * prm.Cg4;
  var sqw = vec4<u32>(0u);
  var sq = 0u;
  for (var kh = 0u; kh < prm.KH; kh++) {
    let ih = i32(p.oh * prm.SH) - i32(prm.PT) + i32(kh * prm.DH);
    for (var kw = 0u; kw < prm.KW; kw++) {
      let iw = i32(p.ow * prm.SW) - i32(prm.PL) + i32(kw * prm.DW);
      let inside = ih >= 0 && ih < i32(prm.H) && iw >= 0 && iw < i32(prm.W);
      var base = 0u;
      if (inside) { base = (((p.n * prm.G + g) * prm.H + u32(ih)) * prm.W + u32(iw)) * prm.Cg4; }
      let wb = m0 * kk4 + (kh * prm.KW + kw) * prm.Cg4;
      for (var c4 = 0u; c4 < prm.Cg4; c4++) {
        var xw = padWord(c4);
        if (inside) { xw = xq[base + c4]; }
        sq += dot4u(xw, 0x01010101u);
        let wi = wb + c4;
        sqw += vec4<u32>(dot4u(xw, w[wi]), dot4u(xw, w[wi + kk4]), dot4u(xw, w[wi + 2u * kk4]), dot4u(xw, w[wi + 3u * kk4]));
      }
    }
  }
  for (var j = 0u; j < 4u; j++) { out(p, m0 + j, sqw[j], sq); }
}

@compute @workgroup_size(64)
fn main1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  var m = 0u;
  let p = pixel(flat_id(wid, nwg, lid, 64u), 1u, &m);
  if (!p.ok) { return; }
  let g = m / prm.Mg;
  let kk4 = prm.KH * prm.KW * prm.Cg4;
  var sqw = 0u;
  var sq = 0u;
  for (var kh = 0u; kh < prm.KH; kh++) {
    let ih = i32(p.oh * prm.SH) - i32(prm.PT) + i32(kh * prm.DH);
    for (var kw = 0u; kw < prm.KW; kw++) {
      let iw = i32(p.ow * prm.SW) - i32(prm.PL) + i32(kw * prm.DW);
      let inside = ih >= 0 && ih < i32(prm.H) && iw >= 0 && iw < i32(prm.W);
      var base = 0u;
      if (inside) { base = (((p.n * prm.G + g) * prm.H + u32(ih)) * prm.W + u32(iw)) * prm.Cg4; }
      let wb = m * kk4 + (kh * prm.KW + kw) * prm.Cg4;
      for (var c4 = 0u; c4 < prm.Cg4; c4++) {
        var xw = padWord(c4);
        if (inside) { xw = xq[base + c4]; }
        sq += dot4u(xw, 0x01010101u);
        sqw += dot4u(xw, w[wb + c4]);
      }
    }
  }
  out(p, m, sqw, sq);
}
