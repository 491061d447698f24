// copy.wgsl: every op that only moves elements — Transpose, Slice, Concat
// (one dispatch per input into its part of the output), Split, Expand,
// DepthToSpace/SpaceToDepth, Gather with a scalar index, Identity-like
// copies. The host describes the move as a shape (adjacent axes merged, at
// most 8) walked in row-major order, with a source and a destination base
// and stride per axis; source strides are signed for negative Slice steps
// and 0 for broadcast axes. One element per invocation.

struct Params {
  dims: array<vec4<u32>, 2>, sstr: array<vec4<i32>, 2>, dstr: array<vec4<u32>, 2>,
  total: u32, rank: u32, sbase: i32, dbase: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 256u);
  if (i >= prm.total) { return; }
  var rem = i;
  var src = prm.sbase;
  var dst = prm.dbase;
  for (var d = i32(prm.rank) - 1; d >= 0; d--) {
    let n = at8(prm.dims, u32(d));
    let c = rem % n;
    rem = rem / n;
    src += i32(c) * prm.sstr[u32(d) / 4u][u32(d) % 4u];
    dst += c * at8(prm.dstr, u32(d));
  }
  y[dst] = x[u32(src)];
}
