// reduce.wgsl: ReduceMean/Sum/Max/Min/Prod/L1/L2/SumSquare/LogSumExp/LogSum
// and GlobalAverage/MaxPool. One workgroup of 64 per output element: the
// invocations stride over the reduced elements, then a tree in workgroup
// memory combines them. Axes are described by the host as two lists of
// (size, input stride): the kept axes, which number the outputs in order,
// and the reduced ones (adjacent axes of one kind merged, at most 6 each).

struct Params {
  kdim: array<vec4<u32>, 2>, kstr: array<vec4<u32>, 2>,
  rdim: array<vec4<u32>, 2>, rstr: array<vec4<u32>, 2>,
  nout: u32, nred: u32, nk: u32, nr: u32,
  op: u32, scale: f32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, 64>;

const OP_SUM = 0u;
const OP_MEAN = 1u;
const OP_MAX = 2u;
const OP_MIN = 3u;
const OP_PROD = 4u;
const OP_L1 = 5u;
const OP_L2 = 6u;
const OP_SUMSQ = 7u;
const OP_LOGSUMEXP = 8u;
const OP_LOGSUM = 9u;

fn offset_of(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  for (var d = i32(prm.nr) - 1; d >= 0; d--) {
    let n = at8(prm.rdim, u32(d));
    off += (rem % n) * at8(prm.rstr, u32(d));
    rem = rem / n;
  }
  return off;
}

fn combine(op: u32, a: f32, b: f32) -> f32 {
  switch op {
    case 2u: { return max(a, b); }
    case 3u: { return min(a, b); }
    case 4u: { return a * b; }
    default: { return a + b; }
  }
}

fn identity(op: u32) -> f32 {
  switch op {
    case 2u: { return NEG_INF; }
    case 3u: { return -NEG_INF; }
    case 4u: { return 1.0; }
    default: { return 0.0; }
  }
}

fn tree(op: u32, v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = combine(op, red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  if (o >= prm.nout) { return; } // uniform across the workgroup
  var rem = o;
  var base = 0u;
  for (var d = i32(prm.nk) - 1; d >= 0; d--) {
    let n = at8(prm.kdim, u32(d));
    base += (rem % n) * at8(prm.kstr, u32(d));
    rem = rem / n;
  }
  let op = prm.op;
  // The combining op of the first pass.
  var cop = OP_SUM;
  if (op == OP_MAX || op == OP_LOGSUMEXP) { cop = OP_MAX; }
  if (op == OP_MIN) { cop = OP_MIN; }
  if (op == OP_PROD) { cop = OP_PROD; }
  var acc = identity(cop);
  for (var r = lid; r < prm.nred; r += 64u) {
    var v = x[base + offset_of(r)];
    if (op == OP_L1) { v = abs(v); }
    if (op == OP_L2 || op == OP_SUMSQ) { v = v * v; }
    acc = combine(cop, acc, v);
  }
  var total = tree(cop, acc, lid);
  if (op == OP_LOGSUMEXP) {
    let mx = total;
    var s = 0.0;
    for (var r = lid; r < prm.nred; r += 64u) {
      s += exp(x[base + offset_of(r)] - mx);
    }
    total = mx + log(tree(OP_SUM, s, lid));
  }
  if (lid == 0u) {
    var v = total;
    if (op == OP_MEAN) { v = v * prm.scale; }
    if (op == OP_L2) { v = sqrt(v); }
    if (op == OP_LOGSUM) { v = log(v); }
    y[o] = v;
  }
}
