// quant.wgsl: QuantizeDequantize (per tensor), y = quant(x)·scale, as
// kern.QuantDequant: the value of QuantizeLinear then DequantizeLinear with
// the same scale and zero point (lo, hi: the type's range less the zero
// point).

struct Params {
  n: u32, s: f32, lo: f32, hi: f32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn qdq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 256u);
  if (i >= prm.n) { return; }
  y[i] = quant(x[i], prm.s, prm.lo, prm.hi) * prm.s;
}
