#!/usr/bin/env python3
"""QDQ MobileNetV2 for the QConv fusion benchmarks and the ORT comparison.

Static QDQ quantization of ../shared/models/mobilenet_v2_1.0_224 as ONNX
Runtime's quantizer writes it: per-channel symmetric int8 weights
(DequantizeLinear axis 0), int32 bias (scale x_scale*w_scale), uint8
activations (asymmetric, calibrated on a few photos by the 99.99th
percentile of each tensor over the calibration set; min/max with
--minmax). Conv→Clip(0,6) is quantized after the Clip (the QDQ pair
between Conv and Clip is removed, as ORT does for Relu/Clip). Softmax stays
float. Writes only under .cache/quant/v2 (git-ignored):
mobilenet_v2_qdq.onnx, the test photos as raw float32 (test_*.bin) and ORT's
outputs for them: *.ort0.bin (graph optimizations disabled: float-emulated
QDQ), *.ort.bin (all optimizations: QDQ fused into QLinearConv) and
*.float.bin (the float model). Run with /usr/bin/python3 (python3-onnx,
numpy, PIL)."""
import json, os, subprocess, sys
import numpy as np, onnx
from onnx import helper, numpy_helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
SHARED = os.path.abspath(os.environ.get("SHARED", os.path.join(ROOT, "..", "shared")))
D = os.path.join(ROOT, ".cache", "quant", "v2")
os.makedirs(D, exist_ok=True)
SRC = os.path.join(SHARED, "models", "mobilenet_v2_1.0_224", "model.onnx")
PH = os.path.join(SHARED, "photos")
CAL = ["chelsea.png", "coffee.png", "dog.jpg", "eagle.jpg", "parrot.jpg", "missvickie_potato_chips.bmp"]
TEST = sorted(f for f in os.listdir(PH) if f.split(".")[-1] in ("png", "jpg", "bmp"))
RUN = os.path.join(D, "run.js")
MINMAX = "--minmax" in sys.argv
ENV = dict(os.environ, GLIMPSE_ROOT=ROOT)

def img(name):  # model/card/mobilenet_v2_1.0_224.json: crop 1, bilinear, (p-127.5)/127.5
    im = Image.open(os.path.join(PH, name)).convert("RGB").resize((224, 224), Image.BILINEAR)
    a = (np.asarray(im, np.float32) - 127.5) / 127.5
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None])

open(RUN, "w").write(r"""
const fs = require('fs');
const ort = require(require.resolve('onnxruntime-node', { paths: [process.env.GLIMPSE_ROOT + '/testdata/corpus'] }));
(async () => {
  const [model, level, suffix, ...ins] = process.argv.slice(2);
  const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
  for (const f of ins) {
    const b = fs.readFileSync(f);
    const x = new ort.Tensor('float32', new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)), [1, 3, 224, 224]);
    const r = await s.run({ input: x });
    for (const o of s.outputNames) {
      const d = r[o].data;
      const name = o === 'probs' ? f + suffix : f + '.' + o.replace(/[^A-Za-z0-9_]/g, '_') + suffix;
      fs.writeFileSync(name, Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    }
  }
})().catch(e => { console.error(e); process.exit(1); });
""")

m = onnx.load(SRC)
g = m.graph
inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
cons = {}
for n in g.node:
    for i in n.input: cons.setdefault(i, []).append(n)
prod = {o: n for n in g.node for o in n.output}

# Tensors that get a QDQ pair: the input, and every output except a Conv
# output that only a Clip reads (the pair goes after the Clip).
def absorbed(t):
    return t in prod and prod[t].op_type == "Conv" and len(cons.get(t, [])) == 1 and cons[t][0].op_type == "Clip"
acts = ["input"] + [o for n in g.node for o in n.output
                    if n.op_type in ("Conv", "Clip", "Add", "GlobalAveragePool") and not absorbed(o)]

# 1. Calibration.
cal = onnx.load(SRC)
del cal.graph.output[:]
cal.graph.output.extend([onnx.ValueInfoProto(name=a) for a in acts if a != "input"])
onnx.save(cal, os.path.join(D, "calib.onnx"))
files = []
for k, name in enumerate(CAL):
    f = os.path.join(D, f"cal_{k}.bin"); img(name).tofile(f); files.append(f)
subprocess.run(["node", RUN, os.path.join(D, "calib.onnx"), "disabled", ".cal"] + files, check=True, env=ENV)
rng = {}
for a in acts:
    if a == "input":
        rng[a] = (-1.0, 1.0); continue
    vals = np.concatenate([np.fromfile(f + "." + "".join(c if c.isalnum() or c == "_" else "_" for c in a) + ".cal", np.float32) for f in files])
    lo, hi = (vals.min(), vals.max()) if MINMAX else (np.percentile(vals, 0.01), np.percentile(vals, 99.99))
    rng[a] = (min(0.0, float(lo)), max(0.0, float(hi)))

def uq(name):  # uint8 asymmetric
    lo, hi = rng[name]
    s = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    z = np.uint8(np.clip(np.round(-lo / s), 0, 255))
    return s, z

# 2. The QDQ model.
nodes, new_inits = [], []
def add_init(name, arr):
    new_inits.append(numpy_helper.from_array(arr, name)); return name
def qdq(t):  # Q→DQ pair after t; returns the name of the dequantized tensor
    s, z = uq(t)
    sn, zn = add_init(t + "_scale", np.array(s, np.float32)), add_init(t + "_zp", np.array(z, np.uint8))
    nodes.append(helper.make_node("QuantizeLinear", [t, sn, zn], [t + "_q"]))
    nodes.append(helper.make_node("DequantizeLinear", [t + "_q", sn, zn], [t + "_dq"]))
    return t + "_dq"
dq = {"input": qdq("input")}
used = set()
def src(t):
    return dq.get(t, t)
for n in g.node:
    if n.op_type == "Conv":
        x = src(n.input[0])
        xs, _ = uq(n.input[0])
        w = inits[n.input[1]]; used.add(n.input[1])
        ws = (np.abs(w).reshape(w.shape[0], -1).max(1) / 127.0).astype(np.float32); ws[ws == 0] = 1
        wq = np.clip(np.round(w / ws[:, None, None, None]), -127, 127).astype(np.int8)
        W = n.input[1]
        add_init(W + "_q", wq); add_init(W + "_s", ws); add_init(W + "_z", np.zeros(len(ws), np.int8))
        nodes.append(helper.make_node("DequantizeLinear", [W + "_q", W + "_s", W + "_z"], [W + "_dq"], axis=0))
        ins = [x, W + "_dq"]
        if len(n.input) > 2:
            b = inits[n.input[2]]; used.add(n.input[2])
            bs = (np.float32(xs) * ws).astype(np.float32)
            B = n.input[2]
            add_init(B + "_q", np.round(b / bs).astype(np.int32)); add_init(B + "_s", bs)
            nodes.append(helper.make_node("DequantizeLinear", [B + "_q", B + "_s"], [B + "_dq"], axis=0))
            ins.append(B + "_dq")
        c = helper.make_node("Conv", ins, list(n.output), name=n.name); c.attribute.extend(n.attribute); nodes.append(c)
    else:
        nn = helper.make_node(n.op_type, [src(i) if k == 0 or n.op_type == "Add" else i for k, i in enumerate(n.input)], list(n.output), name=n.name)
        nn.attribute.extend(n.attribute); nodes.append(nn)
    for o in n.output:
        if o in rng and o != "input":
            dq[o] = qdq(o)
keep = [i for i in g.initializer if i.name not in used]
qg = helper.make_graph(nodes, "mobilenet_v2_qdq", list(g.input), list(g.output), keep + new_inits)
qm = helper.make_model(qg, opset_imports=[helper.make_opsetid("", 13)], producer_name="glimpse-qdq")
qm.ir_version = 7
onnx.checker.check_model(qm)
onnx.save(qm, os.path.join(D, "mobilenet_v2_qdq.onnx"))
# 3. ORT's outputs on the photos.
tf = []
for k, name in enumerate(TEST):
    f = os.path.join(D, f"test_{k}.bin"); img(name).tofile(f); tf.append(f)
json.dump(TEST, open(os.path.join(D, "photos.json"), "w"))
qpath = os.path.join(D, "mobilenet_v2_qdq.onnx")
subprocess.run(["node", RUN, qpath, "disabled", ".ort0.bin"] + tf, check=True, env=ENV)
subprocess.run(["node", RUN, qpath, "all", ".ort.bin"] + tf, check=True, env=ENV)
subprocess.run(["node", RUN, SRC, "all", ".float.bin"] + tf, check=True, env=ENV)
for f in files:
    for x in os.listdir(D):
        if x.startswith(os.path.basename(f) + ".") and x.endswith(".cal"): os.remove(os.path.join(D, x))
print("ok:", len(nodes), "nodes,", sum(n.op_type == "QuantizeLinear" for n in nodes), "QuantizeLinear,", len(TEST), "photos")
