// pool.wgsl: MaxPool and AveragePool over NCHW planes (1-D pools appear as
// H = 1), one output per invocation. The window is at most a few taps wide,
// so a direct loop beats staging in workgroup memory. Pads, dilations
// (MaxPool), ceil_mode (through the output size the CPU computed) and
// count_include_pad follow the CPU backend: with count_include_pad the
// divisor counts the padding the window covers, not what lies beyond it.

struct Params {
  H: u32, W: u32, OH: u32, OW: u32,
  KH: u32, KW: u32, SH: u32, SW: u32,
  PT: u32, PL: u32, PB: u32, PR: u32,
  DH: u32, DW: u32, is_max: u32, include_pad: u32,
  total: u32, pad0: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= prm.total) { return; }
  let ow = i % prm.OW;
  let t = i / prm.OW;
  let oh = t % prm.OH;
  let plane = t / prm.OH;
  let h0 = i32(oh * prm.SH) - i32(prm.PT);
  let w0 = i32(ow * prm.SW) - i32(prm.PL);
  let H = i32(prm.H);
  let W = i32(prm.W);
  let base = plane * prm.H * prm.W;
  var acc = 0.0;
  if (prm.is_max != 0u) { acc = NEG_INF; }
  var cnt = 0;
  for (var kh = 0u; kh < prm.KH; kh++) {
    let h = h0 + i32(kh * prm.DH);
    if (h < 0 || h >= H) { continue; }
    for (var kw = 0u; kw < prm.KW; kw++) {
      let ww = w0 + i32(kw * prm.DW);
      if (ww < 0 || ww >= W) { continue; }
      let v = x[base + u32(h * W + ww)];
      if (prm.is_max != 0u) { acc = max(acc, v); } else { acc += v; }
      cnt++;
    }
  }
  if (prm.is_max == 0u) {
    if (prm.include_pad != 0u) {
      let hend = min(h0 + i32(prm.KH), H + i32(prm.PB));
      let wend = min(w0 + i32(prm.KW), W + i32(prm.PR));
      cnt = (hend - h0) * (wend - w0);
    }
    if (cnt > 0) { acc = acc / f32(cnt); }
  }
  y[i] = acc;
}
