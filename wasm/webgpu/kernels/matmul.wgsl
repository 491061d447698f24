// matmul.wgsl: Gemm and batched MatMul, Y[b] = α·op(A[b])·op(B[b]) + β·C.
//
// Row-major operands as ONNX stores them; transA/transB only change the
// index arithmetic of the tile loads, so no operand is ever transposed in
// memory. Batch broadcasting is resolved on the host into a table of
// (A offset, B offset) per batch (binding 4), one batch per workgroup z.
// The tiling is conv.wgsl's: 64×64 outputs per workgroup of 256, 4×4 per
// invocation, K in steps of 16 through workgroup memory. C broadcasts to
// [M, N] through a row and a column stride (0 on broadcast axes).

struct Params {
  M: u32, N: u32, K: u32, ta: u32,
  tb: u32, lda: u32, ldb: u32, has_c: u32,
  csm: u32, csn: u32, alpha: f32, beta: f32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read> offs: array<u32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

var<workgroup> As: array<vec4<f32>, 256>; // [16 k][16 × 4 m]
var<workgroup> Bs: array<vec4<f32>, 256>; // [16 k][16 × 4 n]

fn a_at(off: u32, m: u32, k: u32) -> f32 {
  if (m >= prm.M || k >= prm.K) { return 0.0; }
  if (prm.ta != 0u) { return a[off + k * prm.lda + m]; }
  return a[off + m * prm.lda + k];
}

fn b_at(off: u32, k: u32, n: u32) -> f32 {
  if (n >= prm.N || k >= prm.K) { return 0.0; }
  if (prm.tb != 0u) { return b[off + n * prm.ldb + k]; }
  return b[off + k * prm.ldb + n];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let batch = wid.z;
  let aoff = offs[2u * batch];
  let boff = offs[2u * batch + 1u];
  let n0 = wid.x * 64u;
  let m0 = wid.y * 64u;
  let tm = lid % 16u;
  let tn = lid / 16u;
  let lk = lid / 16u;
  let l4 = (lid % 16u) * 4u;

  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < prm.K; k0 += 16u) {
    let k = k0 + lk;
    As[lk * 16u + lid % 16u] = vec4<f32>(a_at(aoff, m0 + l4, k), a_at(aoff, m0 + l4 + 1u, k),
                                         a_at(aoff, m0 + l4 + 2u, k), a_at(aoff, m0 + l4 + 3u, k));
    Bs[lk * 16u + lid % 16u] = vec4<f32>(b_at(boff, k, n0 + l4), b_at(boff, k, n0 + l4 + 1u),
                                         b_at(boff, k, n0 + l4 + 2u), b_at(boff, k, n0 + l4 + 3u));
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let av = As[kk * 16u + tm];
      let bv = Bs[kk * 16u + tn];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  let yoff = batch * prm.M * prm.N;
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + tm * 4u + i;
    if (m >= prm.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + tn * 4u + j;
      if (n >= prm.N) { continue; }
      var v = prm.alpha * acc[i][j];
      if (prm.has_c != 0u) { v += prm.beta * c[m * prm.csm + n * prm.csn]; }
      y[yoff + m * prm.N + n] = v;
    }
  }
}
