// layernorm.wgsl: LayerNormalization over the trailing `size` elements of
// each row. One workgroup of 64 per row: the mean, then the variance as the
// mean of (x − mean)² (two passes, as the CPU, rather than E[x²] − E[x]²
// which cancels badly), then y = (x − mean)/√(var + ε)·scale + bias. Scale
// and bias hold either `size` values or one.

struct Params {
  rows: u32, size: u32, eps: f32, scale_full: u32,
  has_bias: u32, bias_full: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, 64>;

fn sum64(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= prm.rows) { return; }
  let base = row * prm.size;
  let n = f32(prm.size);
  var s = 0.0;
  for (var k = lid; k < prm.size; k += 64u) { s += x[base + k]; }
  let mean = sum64(s, lid) / n;
  var q = 0.0;
  for (var k = lid; k < prm.size; k += 64u) {
    let d = x[base + k] - mean;
    q += d * d;
  }
  let inv = 1.0 / sqrt(sum64(q, lid) / n + prm.eps);
  for (var k = lid; k < prm.size; k += 64u) {
    var v = (x[base + k] - mean) * inv * scale[select(0u, k, prm.scale_full != 0u)];
    if (prm.has_bias != 0u) { v += bias[select(0u, k, prm.bias_full != 0u)]; }
    y[base + k] = v;
  }
}
