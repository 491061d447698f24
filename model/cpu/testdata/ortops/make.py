#!/usr/bin/env python3
"""Small models for the ops of op_groupnorm.go, op_gridsample.go, op_crop.go,
op_col2im.go and Pad, with ONNX Runtime's outputs, for TestORTOps
(model/cpu/ortops_test.go).

    /usr/bin/python3 model/cpu/testdata/ortops/make.py   # from the module root

Debian's python (torch 1.13, onnx 1.12) writes the models and seeded inputs
into .cache/ortops/<case>/ (model.onnx, meta.json, input_K.bin); ort_run.js
then runs onnxruntime-node (testdata/corpus/node_modules: `cd testdata/corpus
&& npm ci --ignore-scripts`) with graph optimisations disabled and writes
output_K.bin. Nothing here is committed but this script and ort_run.js.

The torch cases are nn.GroupNorm exported at opsets below 18, where torch
writes Reshape -> InstanceNormalization -> Reshape -> Mul -> Add.
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
OUT = os.path.join(ROOT, ".cache", "ortops")


def write_case(name, model_bytes, inputs, tol=(1e-5, 1e-4)):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model_bytes)
    meta = {"inputs": [], "atol": tol[0], "rtol": tol[1]}
    for k, (iname, arr) in enumerate(inputs):
        arr = np.ascontiguousarray(arr)
        kind = {np.float32: "float32", np.int64: "int64"}[arr.dtype.type]
        arr.tofile(os.path.join(d, f"input_{k}.bin"))
        meta["inputs"].append({"name": iname, "shape": list(arr.shape), "type": kind})
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return name


def torch_groupnorm(name, groups, shape, opset, seed):
    torch.manual_seed(seed)
    m = torch.nn.GroupNorm(groups, shape[1], eps=1e-3)
    with torch.no_grad():
        m.weight.copy_(torch.randn(shape[1]))
        m.bias.copy_(torch.randn(shape[1]))
    m.eval()
    x = torch.randn(*shape)
    path = os.path.join(OUT, name + ".tmp.onnx")
    os.makedirs(OUT, exist_ok=True)
    torch.onnx.export(m, x, path, opset_version=opset, input_names=["x"], output_names=["y"])
    data = open(path, "rb").read()
    os.remove(path)
    ops = [n.op_type for n in onnx.load_from_string(data).graph.node]
    assert "InstanceNormalization" in ops, ops
    return write_case(name, data, [("x", x.numpy())])


def node_model(name, opset, node, inputs, outputs, inits=(), tol=(1e-5, 1e-4)):
    """inputs: [(name, array)] fed at run time; inits: [(name, array)] constants."""
    vis = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype) if hasattr(helper, "np_dtype_to_tensor_dtype")
                                         else onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], list(a.shape)) for n, a in inputs]
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    g = helper.make_graph([node], name, vis, outs, [numpy_helper.from_array(a, n) for n, a in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="glimpse-ortops")
    m.ir_version = 8 if opset <= 18 else 10
    return write_case(name, m.SerializeToString(), inputs, tol)


def main():
    rng = np.random.default_rng(1)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)
    names = []
    # torch's own GroupNorm export (opsets 11 and 13), 3-D, 4-D and 5-D.
    names.append(torch_groupnorm("torch_groupnorm_op13", 3, (2, 6, 5, 4), 13, 0))
    names.append(torch_groupnorm("torch_groupnorm_op11_3d", 2, (1, 4, 7), 11, 1))
    names.append(torch_groupnorm("torch_groupnorm_op13_5d", 4, (1, 8, 2, 3, 4), 13, 2))
    names.append(torch_groupnorm("torch_groupnorm_op17_instance", 6, (1, 6, 3, 3), 17, 3))

    # GroupNormalization at opsets 18 (per-group affine) and 21 (per-channel).
    x = f32(2, 6, 3, 4)
    gn = lambda: helper.make_node("GroupNormalization", ["x", "scale", "bias"], ["y"], num_groups=3, epsilon=1e-3)
    names.append(node_model("groupnorm_op18", 18, gn(), [("x", x)], ["y"], [("scale", f32(3)), ("bias", f32(3))]))
    names.append(node_model("groupnorm_op21", 21, gn(), [("x", x)], ["y"], [("scale", f32(6)), ("bias", f32(6))]))

    # Pad: every mode with mixed positive/negative pads, axes, wrap (19).
    px = f32(2, 5, 6)
    for mode in ["constant", "reflect", "edge", "wrap"]:
        node = helper.make_node("Pad", ["x", "pads", "value"], ["y"], mode=mode)
        names.append(node_model(f"pad_{mode}_negative_op19", 19, node, [("x", px)], ["y"],
                                [("pads", np.array([0, -1, 3, 1, 2, -2], np.int64)), ("value", np.array(1.5, np.float32))]))
        node = helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode=mode)
        names.append(node_model(f"pad_{mode}_axes_op19", 19, node, [("x", px)], ["y"],
                                [("pads", np.array([2, -1, 1, 3], np.int64)), ("axes", np.array([-1, 1], np.int64))]))

    # CenterCropPad (18): crop one axis, pad another, odd differences.
    node = helper.make_node("CenterCropPad", ["x", "shape"], ["y"], axes=[1, 2])
    names.append(node_model("centercroppad_op18", 18, node, [("x", f32(2, 7, 4))], ["y"], [("shape", np.array([4, 7], np.int64))]))

    # Col2Im (18), 2-D with strides, dilations and pads.
    node = helper.make_node("Col2Im", ["x", "image", "block"], ["y"], strides=[2, 1], dilations=[1, 2], pads=[1, 0, 2, 1])
    # image 7x6, block 3x2: blocks ((7+3-3)//2+1) x ((6+1-3)//1+1) = 4 x 5
    names.append(node_model("col2im_op18", 18, node, [("x", f32(2, 3 * 6, 20))], ["y"],
                            [("image", np.array([7, 6], np.int64)), ("block", np.array([3, 2], np.int64))]))

    # GridSample: opset 16 (4-D, old mode names) and 20 (also 5-D), every
    # mode and padding mode, both align_corners; the grid reaches past the
    # borders.
    gx = f32(2, 3, 5, 6)
    grid = (rng.uniform(-1.6, 1.6, (2, 4, 7, 2))).astype(np.float32)
    vx = f32(1, 2, 4, 3, 5)
    vgrid = (rng.uniform(-1.4, 1.4, (1, 3, 2, 4, 3))).astype(np.float32)
    for opset, modes in [(16, ["bilinear", "nearest", "bicubic"]), (20, ["linear", "nearest", "cubic"])]:
        for mode in modes:
            for pad in ["zeros", "border", "reflection"]:
                for ac in [0, 1]:
                    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode=pad, align_corners=ac)
                    names.append(node_model(f"gridsample_op{opset}_{mode}_{pad}_ac{ac}", opset, node,
                                            [("x", gx), ("grid", grid)], ["y"], tol=(1e-4, 1e-4)))
                    if opset == 20 and mode != "cubic":
                        names.append(node_model(f"gridsample_op20_5d_{mode}_{pad}_ac{ac}", opset, node,
                                                [("x", vx), ("grid", vgrid)], ["y"], tol=(1e-4, 1e-4)))

    js = os.path.join(HERE, "ort_run.js")
    subprocess.run(["node", js, OUT] + names, check=True)


if __name__ == "__main__":
    sys.exit(main())
