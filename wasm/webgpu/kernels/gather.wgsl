// gather.wgsl: Gather with constant indices of any shape, viewing the data as
// [outer, dim, inner] and the output as [outer, nidx, inner]. The indices are
// checked and made non-negative on the host and uploaded once as u32.

struct Params {
  total: u32, nidx: u32, inner: u32, dim: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 256u);
  if (i >= prm.total) { return; }
  let j = i % prm.inner;
  let t = i / prm.inner;
  let k = t % prm.nidx;
  let b = t / prm.nidx;
  y[i] = x[(b * prm.dim + idx[k]) * prm.inner + j];
}
