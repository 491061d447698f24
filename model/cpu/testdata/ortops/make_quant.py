#!/usr/bin/env python3
"""Quantized single-op and QDQ models with ONNX Runtime's outputs, for
TestORTQuant (model/cpu/quant_test.go).

    /usr/bin/python3 model/cpu/testdata/ortops/make_quant.py   # from the module root

Each case is a small spec (nodes, initializers, seeded random inputs): this
script builds the model with onnx.helper into the git-ignored
.cache/ortquant/<case>/, runs it through onnxruntime-node with ort_run.js
(graph optimisations off, so Q/DQ pairs run as written) and writes the spec
with ORT's outputs to testdata/ortops/quant/<case>.json, a few KB each.
Those JSON files are committed: the Go test rebuilds each graph from its
spec, so it needs neither Python nor node. Rerun this script after changing
a case; a case ORT refuses is written with its error and skipped.
"""
import json
import os
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
CACHE = os.path.join(ROOT, ".cache", "ortquant")
GOLD = os.path.join(HERE, "quant")

TYPES = {"float32": (TensorProto.FLOAT, np.float32), "int8": (TensorProto.INT8, np.int8),
         "uint8": (TensorProto.UINT8, np.uint8), "int32": (TensorProto.INT32, np.int32),
         "int64": (TensorProto.INT64, np.int64)}

rng = np.random.default_rng(7)


def tname(a):
    return {np.float32: "float32", np.int8: "int8", np.uint8: "uint8", np.int32: "int32", np.int64: "int64"}[a.dtype.type]


def rint(dtype, *shape, lo=None, hi=None):
    info = np.iinfo(dtype)
    lo = info.min if lo is None else lo
    hi = info.max if hi is None else hi
    return rng.integers(lo, hi + 1, size=shape).astype(dtype)


def rf(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def scal(v, dtype=np.float32):
    return np.array(v, dtype)


def N(op, ins, outs, domain="", **attrs):
    return {"op": op, "domain": domain, "inputs": ins, "outputs": outs, "attrs": attrs}


CASES = []


def case(name, nodes, inputs, inits, outputs, opset=13, tol=(1e-5, 1e-4)):
    CASES.append(dict(name=name, nodes=nodes, inputs=inputs, inits=inits, outputs=outputs, opset=opset, tol=tol))


def tensor_json(name, a):
    a = np.asarray(a)
    data = [float(v) for v in a.ravel()] if a.dtype == np.float32 else [int(v) for v in a.ravel()]
    return {"name": name, "type": tname(a), "shape": list(a.shape), "data": data}


def attr_json(v):
    if isinstance(v, float):
        return {"f": v}
    if isinstance(v, int):
        return {"i": v}
    return {"ints": [int(x) for x in v]}


def build(c):
    nodes = [helper.make_node(n["op"], n["inputs"], n["outputs"], domain=n["domain"] or None, **n["attrs"]) for n in c["nodes"]]
    vis = [helper.make_tensor_value_info(k, TYPES[tname(a)][0], list(a.shape)) for k, a in c["inputs"]]
    outs = [onnx.ValueInfoProto(name=o) for o in c["outputs"]]
    inits = [helper.make_tensor(k, TYPES[tname(a)][0], list(a.shape), a.ravel().tolist()) for k, a in c["inits"]]
    g = helper.make_graph(nodes, c["name"], vis, outs, inits)
    ops = [helper.make_opsetid("", c["opset"])]
    if any(n["domain"] == "com.microsoft" for n in c["nodes"]):
        ops.append(helper.make_opsetid("com.microsoft", 1))
    m = helper.make_model(g, opset_imports=ops, producer_name="glimpse-ortquant")
    m.ir_version = 8 if c["opset"] <= 18 else 10
    return m.SerializeToString()


def cases():
    u8, i8, i32 = np.uint8, np.int8, np.int32
    # QuantizeLinear / DequantizeLinear, per tensor and per axis, with ties
    # (x/scale = k + 1/2) and saturation.
    x = np.concatenate([rf(60, scale=40), (np.arange(-20, 20) + 0.5).astype(np.float32) * 0.5]).astype(np.float32).reshape(4, 25)
    for t in (u8, i8):
        zp = scal(3 if t == u8 else -2, t)
        case(f"quantize_{tname(zp)}_per_tensor", [N("QuantizeLinear", ["x", "s", "z"], ["y"])], [("x", x)], [("s", scal(0.5)), ("z", zp)], ["y"])
    case("quantize_no_zp", [N("QuantizeLinear", ["x", "s"], ["y"])], [("x", x)], [("s", scal(0.25))], ["y"])
    x4 = rf(2, 3, 4, 5, scale=3)
    case("quantize_int8_axis1", [N("QuantizeLinear", ["x", "s", "z"], ["y"], axis=1)], [("x", x4)],
         [("s", np.array([0.02, 0.05, 0.1], np.float32)), ("z", np.array([-5, 0, 7], i8))], ["y"])
    case("quantize_uint8_axis_neg1", [N("QuantizeLinear", ["x", "s", "z"], ["y"], axis=-1)], [("x", x4)],
         [("s", np.array([0.02, 0.05, 0.1, 0.03, 0.2], np.float32)), ("z", np.array([128, 0, 7, 255, 100], u8))], ["y"])
    case("dequantize_int8_axis0", [N("DequantizeLinear", ["x", "s", "z"], ["y"], axis=0)], [("x", rint(i8, 3, 4, 5))],
         [("s", np.array([0.02, 0.5, 1e-3], np.float32)), ("z", np.array([-5, 0, 127], i8))], ["y"])
    case("dequantize_int32", [N("DequantizeLinear", ["x", "s"], ["y"])], [("x", rint(i32, 40, lo=-10**6, hi=10**6))], [("s", scal(3e-4))], ["y"])
    case("dequantize_uint8_runtime_params", [N("DequantizeLinear", ["x", "s", "z"], ["y"])],
         [("x", rint(u8, 6, 7)), ("s", scal(0.07)), ("z", scal(77, u8))], [], ["y"])
    # QuantizeLinear-21 blocked.
    case("quantize_blocked_op21", [N("QuantizeLinear", ["x", "s", "z"], ["y"], axis=1, block_size=2)], [("x", rf(3, 5, scale=4))],
         [("s", np.abs(rf(3, 3)) + 0.05), ("z", rint(i8, 3, 3, lo=-10, hi=10))], ["y"], opset=21)
    case("dequantize_blocked_op21", [N("DequantizeLinear", ["x", "s", "z"], ["y"], axis=0, block_size=2)], [("x", rint(u8, 5, 3))],
         [("s", np.abs(rf(3, 3)) + 0.05), ("z", rint(u8, 3, 3))], ["y"], opset=21)
    case("dynamicquantizelinear", [N("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])], [("x", rf(3, 37, scale=2) + 0.7)], [], ["y", "s", "z"])
    case("dynamicquantizelinear_positive", [N("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])], [("x", np.abs(rf(50)) + 0.1)], [], ["y", "s", "z"])

    # QLinearConv: per-tensor and per-channel, uint8/int8 activations,
    # grouped and depthwise, strides, dilations, pads, bias.
    def qconv(name, xt, C, M, group, k, hw, per_channel, bias, **attrs):
        xq = rint(xt, 1, C, hw, hw)
        w = rint(i8, M, C // group, k, k, lo=-127)
        ws = (np.abs(rf(M)) * 0.02 + 0.005) if per_channel else scal(0.013)
        wz = np.zeros(M, i8) if per_channel else scal(0, i8)
        ins = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"] + (["b"] if bias else [])
        inits = [("xs", scal(0.02)), ("xz", scal(128 if xt == u8 else 3, xt)), ("w", w), ("ws", ws.astype(np.float32)), ("wz", wz),
                 ("ys", scal(0.15)), ("yz", scal(120 if xt == u8 else -3, xt))]
        if bias:
            inits.append(("b", rint(i32, M, lo=-5000, hi=5000)))
        case(name, [N("QLinearConv", ins, ["y"], group=group, **attrs)], [("x", xq)], inits, ["y"])
    qconv("qlinearconv_u8_per_tensor", u8, 4, 8, 1, 3, 9, False, True, pads=[1, 1, 1, 1])
    qconv("qlinearconv_u8_per_channel", u8, 6, 10, 1, 3, 11, True, True, pads=[1, 0, 2, 1], strides=[2, 1])
    qconv("qlinearconv_u8_depthwise", u8, 8, 8, 8, 3, 10, True, True, pads=[1, 1, 1, 1], strides=[2, 2])
    qconv("qlinearconv_u8_grouped_dilated", u8, 6, 4, 2, 3, 9, True, False, dilations=[2, 2])
    qconv("qlinearconv_s8_per_channel", i8, 5, 7, 1, 1, 6, True, True)
    case("convinteger_u8", [N("ConvInteger", ["x", "w", "xz", "wz"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2])], [("x", rint(u8, 1, 3, 7, 7))],
         [("w", rint(u8, 4, 3, 3, 3)), ("xz", scal(100, u8)), ("wz", scal(120, u8))], ["y"])
    # QLinearMatMul / MatMulInteger.
    case("qlinearmatmul_u8_3d", [N("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])], [("a", rint(u8, 2, 5, 19))],
         [("as", scal(0.03)), ("az", scal(113, u8)), ("b", rint(i8, 19, 21)), ("bs", scal(0.011)), ("bz", scal(0, i8)),
          ("ys", scal(0.2)), ("yz", scal(100, u8))], ["y"])
    case("qlinearmatmul_s8_per_column", [N("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])], [("a", rint(i8, 6, 17))],
         [("as", scal(0.03)), ("az", scal(-4, i8)), ("b", rint(i8, 17, 9)), ("bs", (np.abs(rf(9)) * 0.02 + 0.001).astype(np.float32)),
          ("bz", np.zeros(9, i8)), ("ys", scal(0.2)), ("yz", scal(5, i8))], ["y"])
    case("matmulinteger_u8_batched", [N("MatMulInteger", ["a", "b", "az", "bz"], ["y"])], [("a", rint(u8, 2, 3, 4, 13))],
         [("b", rint(u8, 3, 13, 6)), ("az", scal(17, u8)), ("bz", scal(140, u8))], ["y"])
    case("matmulinteger_s8_per_column", [N("MatMulInteger", ["a", "b", "az", "bz"], ["y"])], [("a", rint(u8, 5, 13))],
         [("b", rint(i8, 13, 6)), ("az", scal(17, u8)), ("bz", rint(i8, 6))], ["y"])

    # com.microsoft ops.
    ms = "com.microsoft"
    for t in (u8, i8):
        tn = tname(scal(0, t))
        for op in ("QLinearAdd", "QLinearMul"):
            for bshape, bname in (((2, 3, 8, 9), "same"), ((3, 1, 1), "bcast"), ((), "scalar")):
                a = rint(t, 2, 3, 8, 9)
                b = rint(t, *bshape)
                zs = (5, 200, 128) if t == u8 else (5, -100, 0)
                case(f"{op.lower()}_{tn}_{bname}", [N(op, ["a", "as", "az", "b", "bs", "bz", "cs", "cz"], ["c"], domain=ms)],
                     [("a", a), ("b", b)], [("as", scal(0.031)), ("az", scal(zs[0], t)), ("bs", scal(0.017)), ("bz", scal(zs[1], t)),
                                            ("cs", scal(0.05 if op == "QLinearAdd" else 0.4)), ("cz", scal(zs[2], t))], ["c"])
        for cl in (0, 1):
            shape = (2, 7, 5, 6) if cl == 0 else (2, 5, 6, 7)
            case(f"qlinearglobalaveragepool_{tn}_cl{cl}", [N("QLinearGlobalAveragePool", ["x", "xs", "xz", "ys", "yz"], ["y"], domain=ms, channels_last=cl)],
                 [("x", rint(t, *shape))], [("xs", scal(0.07)), ("xz", scal(9, t)), ("ys", scal(0.03)), ("yz", scal(-7 if t == i8 else 7, t))], ["y"])
        case(f"qlinearconcat_{tn}", [N("QLinearConcat", ["ys", "yz", "a", "as", "az", "b", "bs", "bz", "c", "ys", "yz"], ["y"], domain=ms, axis=1)],
             [("a", rint(t, 2, 3, 5)), ("b", rint(t, 2, 4, 5)), ("c", rint(t, 2, 2, 5))],
             [("ys", scal(0.05)), ("yz", scal(10, t)), ("as", scal(0.02)), ("az", scal(3, t)), ("bs", scal(0.11)), ("bz", scal(-4 if t == i8 else 200, t))], ["y"])
        case(f"qlinearsigmoid_{tn}", [N("QLinearSigmoid", ["x", "xs", "xz", "ys", "yz"], ["y"], domain=ms)], [("x", rint(t, 4, 64))],
             [("xs", scal(0.05)), ("xz", scal(0 if t == i8 else 128, t)), ("ys", scal(1 / 256)), ("yz", scal(-128 if t == i8 else 0, t))], ["y"])
        case(f"qlinearleakyrelu_{tn}", [N("QLinearLeakyRelu", ["x", "xs", "xz", "ys", "yz"], ["y"], domain=ms, alpha=0.1)], [("x", rint(t, 4, 64))],
             [("xs", scal(0.05)), ("xz", scal(0 if t == i8 else 128, t)), ("ys", scal(0.04)), ("yz", scal(-20 if t == i8 else 30, t))], ["y"])
    qg_inits = lambda N_, per: [("as", scal(0.03)), ("az", scal(120, u8)), ("b", rint(i8, N_, 23)),
                                ("bs", (np.abs(rf(N_)) * 0.02 + 0.001).astype(np.float32) if per else scal(0.01)),
                                ("bz", np.zeros(N_, i8) if per else scal(0, i8)), ("c", rint(i32, N_, lo=-3000, hi=3000))]
    case("qgemm_float_out", [N("QGemm", ["a", "as", "az", "b", "bs", "bz", "c"], ["y"], domain=ms, transB=1, alpha=0.5)], [("a", rint(u8, 5, 23))],
         qg_inits(11, True), ["y"])
    case("qgemm_quant_out", [N("QGemm", ["a", "as", "az", "b", "bs", "bz", "c", "ys", "yz"], ["y"], domain=ms, transB=1)], [("a", rint(u8, 5, 23))],
         qg_inits(11, False) + [("ys", scal(0.3)), ("yz", scal(100, u8))], ["y"])

    # QDQ patterns as ORT's quantizer writes them: uint8 activations, int8
    # per-channel weights, int32 bias, float Conv between Q/DQ pairs.
    C, M = 4, 6
    w = rint(i8, M, C, 3, 3, lo=-127)
    ws = (np.abs(rf(M)) * 0.02 + 0.005).astype(np.float32)
    qdq_nodes = [N("QuantizeLinear", ["x", "xs", "xz"], ["xq"]), N("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
                 N("DequantizeLinear", ["w", "ws", "wz"], ["wd"], axis=0), N("DequantizeLinear", ["b", "bs"], ["bd"], axis=0),
                 N("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1]), N("Relu", ["c"], ["r"]),
                 N("QuantizeLinear", ["r", "ys", "yz"], ["yq"]), N("DequantizeLinear", ["yq", "ys", "yz"], ["y"])]
    case("qdq_conv_per_channel", qdq_nodes, [("x", rf(1, C, 8, 8))],
         [("xs", scal(0.02)), ("xz", scal(128, u8)), ("w", w), ("ws", ws), ("wz", np.zeros(M, i8)),
          ("b", rint(i32, M, lo=-2000, hi=2000)), ("bs", (ws * np.float32(0.02)).astype(np.float32)), ("ys", scal(0.03)), ("yz", scal(0, u8))],
         ["y", "yq"], tol=(1e-6, 1e-5))
    mm_nodes = [N("QuantizeLinear", ["x", "xs", "xz"], ["xq"]), N("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
                N("DequantizeLinear", ["w", "ws", "wz"], ["wd"], axis=1), N("MatMul", ["xd", "wd"], ["m"]),
                N("QuantizeLinear", ["m", "ys", "yz"], ["yq"]), N("DequantizeLinear", ["yq", "ys", "yz"], ["y"])]
    case("qdq_matmul_per_column", mm_nodes, [("x", rf(3, 16))],
         [("xs", scal(0.02)), ("xz", scal(128, u8)), ("w", rint(i8, 16, 7, lo=-127)), ("ws", (np.abs(rf(7)) * 0.02 + 0.001).astype(np.float32)),
          ("wz", np.zeros(7, i8)), ("ys", scal(0.01)), ("yz", scal(120, u8))], ["y"], tol=(1e-6, 1e-5))


def main():
    cases()
    os.makedirs(GOLD, exist_ok=True)
    names = []
    for c in CASES:
        d = os.path.join(CACHE, c["name"])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(build(c))
        meta = {"inputs": [], "atol": c["tol"][0], "rtol": c["tol"][1]}
        for k, (iname, a) in enumerate(c["inputs"]):
            np.ascontiguousarray(a).tofile(os.path.join(d, f"input_{k}.bin"))
            meta["inputs"].append({"name": iname, "shape": list(a.shape), "type": tname(a)})
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump(meta, f)
        names.append(c["name"])
    subprocess.run(["node", os.path.join(HERE, "ort_run.js"), CACHE] + names, check=True)
    for c in CASES:
        d = os.path.join(CACHE, c["name"])
        res = json.load(open(os.path.join(d, "outputs.json")))
        gold = {"opset": c["opset"], "atol": c["tol"][0], "rtol": c["tol"][1],
                "nodes": [dict(n, attrs={k: attr_json(v) for k, v in n["attrs"].items()}) for n in c["nodes"]],
                "inputs": [tensor_json(k, a) for k, a in c["inputs"]],
                "inits": [tensor_json(k, a) for k, a in c["inits"]]}
        if "error" in res:
            gold["error"] = res["error"]
        else:
            gold["outputs"] = []
            for k, o in enumerate(res["outputs"]):
                t = o.get("type", "float32")
                a = np.fromfile(os.path.join(d, f"output_{k}.bin"), TYPES[t][1]).reshape(o["shape"])
                gold["outputs"].append(tensor_json(o["name"], a))
        with open(os.path.join(GOLD, c["name"] + ".json"), "w") as f:
            json.dump(gold, f, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
