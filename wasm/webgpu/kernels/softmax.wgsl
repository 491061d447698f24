// softmax.wgsl: Softmax and LogSoftmax along one axis of a tensor viewed as
// [outer, dim, inner] (the host coerces it to 2-D for opset < 13, as the CPU
// does). One workgroup of 64 per (outer, inner) row: a max pass, a sum of
// exp(x − max) pass, then the write, each reduced in workgroup memory.

struct Params {
  rows: u32, dim: u32, inner: u32, log_: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, 64>;

fn tree(is_max: bool, v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s / 2u) {
    if (lid < s) {
      if (is_max) { red[lid] = max(red[lid], red[lid + s]); } else { red[lid] = red[lid] + red[lid + s]; }
    }
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
  let b = row / prm.inner;
  let j = row - b * prm.inner;
  let base = b * prm.dim * prm.inner + j;
  var m = NEG_INF;
  for (var k = lid; k < prm.dim; k += 64u) { m = max(m, x[base + k * prm.inner]); }
  m = tree(true, m, lid);
  var s = 0.0;
  for (var k = lid; k < prm.dim; k += 64u) { s += exp(x[base + k * prm.inner] - m); }
  s = tree(false, s, lid);
  if (prm.log_ != 0u) {
    let ls = log(s);
    for (var k = lid; k < prm.dim; k += 64u) {
      let i = base + k * prm.inner;
      y[i] = x[i] - m - ls;
    }
  } else {
    let inv = 1.0 / s;
    for (var k = lid; k < prm.dim; k += 64u) {
      let i = base + k * prm.inner;
      y[i] = exp(x[i] - m) * inv;
    }
  }
}
