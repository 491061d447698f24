#!/usr/bin/env python3
"""Build Glimpse's differential corpus: torchvision classifiers with ONNX Runtime references.

Adapted from the shared zoo's make_zoo.py (same seeding, same randomize_params, same
tolerance rule).  Every classification architecture family of torchvision 0.14 is built
with seeded random weights (weights=None, never pretrained), exported with
torch.onnx.export, and run by ONNX Runtime (onnxruntime-node 1.30.0, ort_ref.js) with
graph optimizations disabled and one thread: those outputs are the reference.  torch's
own outputs and ORT's fully optimised outputs only widen the tolerance.

Sets:
  small  narrowed / shallowed versions of every family (same layer patterns), small
         inputs, each exported at opsets 11, 13 and 17, with a fixed batch of 1 and with a
         dynamic batch dimension: folders <name>_op<opset>_<fixed|dyn>.  `make test` uses it.
  full   the real torchvision constructors at their default widths, opset 13, fixed
         batch (`--set full`, for `make test-corpus`).

Output (git-ignored), for every model folder:
  .cache/corpus/<set>/<folder>/model.onnx
  .cache/corpus/<set>/<folder>/input_K.bin, output_K.bin   raw little-endian float32, C order
  .cache/corpus/<set>/<folder>/meta.json                   shapes, opset, op histogram, tolerance
  .cache/corpus/<set>/<folder>/failure.json                instead of the above when export/ORT failed
  .cache/corpus/<set>/MANIFEST.json                        every model and every failure

Generation is incremental: a folder whose meta.json (or failure.json) carries the same
parameters hash (model parameters, the generator's code, package versions) is kept.

Requirements (Debian 12): python3-torch python3-torchvision python3-onnx, nodejs, npm;
(cd testdata/corpus && npm ci --ignore-scripts).  Use /usr/bin/python3.

Usage:
  /usr/bin/python3 testdata/corpus/make_corpus.py [--set small|full] [--only NAME...] [--force]
"""
import argparse
import copy
import hashlib
import inspect
import json
import math
import os
import shutil
import subprocess
import sys
import time
import warnings
from collections import Counter
from functools import partial

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision
from torchvision.models import efficientnet as tv_eff
from torchvision.models import mobilenetv3 as tv_mnv3
from torchvision.models import regnet as tv_regnet
from torchvision.models import resnet as tv_resnet
from torchvision.models import vgg as tv_vgg
from torchvision.models.convnext import CNBlockConfig
from torchvision.models.swin_transformer import (PatchMergingV2, SwinTransformerBlockV2)

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_ROOT = os.path.dirname(os.path.dirname(HERE))
CACHE = os.path.join(MODULE_ROOT, ".cache", "corpus")
GEN_VERSION = 1                              # bump to invalidate every cached folder
MODEL_SEED = 0                               # torch.manual_seed before building each model
NORM_SEED = 1234                             # generator for BatchNorm/LayerNorm parameters and statistics
INPUT_SEEDS = [1000, 1001]                   # numpy default_rng seeds of input_0, input_1
INPUT_NAME, OUTPUT_NAME = "input", "logits"
NODE = shutil.which("node") or "node"
NUM_CLASSES = 10
SMALL_OPSETS = (11, 13, 17)

tvm = torchvision.models


# --------------------------------------------------------------------------------------
# Narrowing where torchvision's constructors have no width parameter
# --------------------------------------------------------------------------------------
def slim(model, k, keep_out=NUM_CLASSES):
    """Divide every channel / feature count of model by k, in place.

    For families whose constructors fix their widths (AlexNet, ResNet/ResNeXt/Wide-ResNet,
    GoogLeNet, Inception-v3, SqueezeNet).  Their forward passes keep no widths of their
    own, so dividing every Conv2d/BatchNorm2d/Linear width by the same k (except the 3 image
    channels and the num_classes outputs) keeps the topology: concatenations, residual
    adds, flatten+Linear.  Grouped convs keep their channels per group (groups / k), so
    ResNeXt stays grouped.  Each new layer's weights are a slice of torchvision's own
    random init, times sqrt(old fan_in / new fan_in), which is what re-running a
    fan-based init on the narrower layer gives in distribution.
    """
    def div(c):
        if c == 3 or c == keep_out:
            return c
        assert c % k == 0, (c, k)
        return c // k

    def replace(parent):
        for name, m in list(parent.named_children()):
            if isinstance(m, nn.Conv2d):
                ci, co = div(m.in_channels), div(m.out_channels)
                g = m.groups // k if m.groups % k == 0 else m.groups
                new = nn.Conv2d(ci, co, m.kernel_size, m.stride, m.padding, m.dilation, g,
                                m.bias is not None, m.padding_mode)
                w = m.weight.data[:co, : ci // g]
                new.weight.data.copy_(w * math.sqrt(m.weight[0].numel() / new.weight[0].numel()))
                if m.bias is not None:
                    new.bias.data.copy_(m.bias.data[:co])
                setattr(parent, name, new)
            elif isinstance(m, nn.BatchNorm2d):
                c = div(m.num_features)
                new = nn.BatchNorm2d(c, m.eps, m.momentum, m.affine, m.track_running_stats)
                if m.affine:
                    new.weight.data.copy_(m.weight.data[:c])
                    new.bias.data.copy_(m.bias.data[:c])
                setattr(parent, name, new)
            elif isinstance(m, nn.Linear):
                fi, fo = div(m.in_features), div(m.out_features)
                new = nn.Linear(fi, fo, m.bias is not None)
                new.weight.data.copy_(m.weight.data[:fo, :fi] * math.sqrt(m.in_features / fi))
                if m.bias is not None:
                    new.bias.data.copy_(m.bias.data[:fo])
                setattr(parent, name, new)
            else:
                replace(m)

    replace(model)
    return model


# --------------------------------------------------------------------------------------
# Builders (each takes only JSON-able keyword parameters, which go into the hash)
# --------------------------------------------------------------------------------------
def b_alexnet(k, num_classes=NUM_CLASSES):
    return slim(tvm.AlexNet(num_classes=num_classes), k)


def b_vgg(cfg, batch_norm, hidden, num_classes=NUM_CLASSES):
    """torchvision VGG around make_layers(cfg); its classifier (Linear 512*7*7 -> 4096 -> 4096
    -> classes, hard-coded) rebuilt with the same pattern at width `hidden`."""
    m = tv_vgg.VGG(tv_vgg.make_layers(cfg, batch_norm=batch_norm), num_classes=num_classes)
    last = [c for c in cfg if c != "M"][-1]
    lin = []
    for fi, fo in ((last * 7 * 7, hidden), (hidden, hidden), (hidden, num_classes)):
        layer = nn.Linear(fi, fo)
        nn.init.normal_(layer.weight, 0, 0.01 * math.sqrt(25088 / (last * 49)) if fi == last * 49 else 0.01)
        nn.init.constant_(layer.bias, 0)
        lin.append(layer)
    for i, layer in zip((0, 3, 6), lin):
        m.classifier[i] = layer
    return m


def b_resnet(block, layers, k=1, groups=1, width_per_group=64, num_classes=NUM_CLASSES):
    blk = {"basic": tv_resnet.BasicBlock, "bottleneck": tv_resnet.Bottleneck}[block]
    m = tv_resnet.ResNet(blk, layers, num_classes=num_classes, groups=groups, width_per_group=width_per_group)
    return slim(m, k) if k > 1 else m


def b_tv(fn, **kw):
    """A torchvision builder by name, weights=None."""
    return getattr(tvm, fn)(weights=None, **kw)


def b_googlenet(k=1, num_classes=NUM_CLASSES):
    m = tvm.GoogLeNet(num_classes=num_classes, aux_logits=False, transform_input=True, init_weights=True)
    return slim(m, k) if k > 1 else m


def b_inception3(k=1, num_classes=NUM_CLASSES):
    m = tvm.Inception3(num_classes=num_classes, aux_logits=False, transform_input=True, init_weights=True)
    return slim(m, k) if k > 1 else m


def b_squeezenet(version, k=1, num_classes=NUM_CLASSES):
    m = tvm.SqueezeNet(version=version, num_classes=num_classes)
    return slim(m, k) if k > 1 else m


def b_densenet(growth_rate, block_config, num_init_features, bn_size=4, num_classes=NUM_CLASSES):
    return tvm.DenseNet(growth_rate=growth_rate, block_config=tuple(block_config),
                        num_init_features=num_init_features, bn_size=bn_size, num_classes=num_classes)


def b_mobilenet_v2(width_mult, setting, num_classes=NUM_CLASSES):
    return tvm.MobileNetV2(num_classes=num_classes, width_mult=width_mult, inverted_residual_setting=setting)


def b_mobilenet_v3(arch, width_mult, reduced_tail, num_classes=NUM_CLASSES):
    setting, last = tv_mnv3._mobilenet_v3_conf(arch, width_mult=width_mult, reduced_tail=reduced_tail)
    return tv_mnv3.MobileNetV3(setting, last, num_classes=num_classes)


def b_mnasnet(alpha, num_classes=NUM_CLASSES):
    return tvm.MNASNet(alpha, num_classes=num_classes)


def b_shufflenet(repeats, channels, num_classes=NUM_CLASSES):
    return tvm.ShuffleNetV2(repeats, channels, num_classes=num_classes)


# torchvision's efficientnet_bN constructors: (width_mult, depth_mult, dropout, BN eps)
EFF_V1 = {0: (1.0, 1.0, 0.2, 1e-5), 1: (1.0, 1.1, 0.2, 1e-5), 2: (1.1, 1.2, 0.3, 1e-5), 3: (1.2, 1.4, 0.3, 1e-5),
          4: (1.4, 1.8, 0.4, 1e-5), 5: (1.6, 2.2, 0.4, 1e-3), 6: (1.8, 2.6, 0.5, 1e-3), 7: (2.0, 3.1, 0.5, 1e-3)}


def b_efficientnet_v1(b, width_scale, depth_scale, num_classes=NUM_CLASSES):
    """efficientnet_bN's recipe with its width/depth multipliers times width_scale/depth_scale."""
    w, d, drop, eps = EFF_V1[b]
    setting, last = tv_eff._efficientnet_conf(f"efficientnet_b{b}", width_mult=w * width_scale,
                                              depth_mult=d * depth_scale)
    return tv_eff.EfficientNet(setting, drop, num_classes=num_classes, last_channel=last,
                               norm_layer=partial(nn.BatchNorm2d, eps=eps) if eps != 1e-5 else None)


def b_efficientnet_v2(arch, width_scale, depth_scale, num_classes=NUM_CLASSES):
    """efficientnet_v2_{s,m,l}'s stage table (Fused-MBConv then MBConv) with channels times
    width_scale (rounded to multiples of 8) and layers times depth_scale (at least 1)."""
    setting, last = tv_eff._efficientnet_conf(arch)
    small = []
    for c in setting:
        ci = tv_eff._make_divisible(c.input_channels * width_scale, 8)
        co = tv_eff._make_divisible(c.out_channels * width_scale, 8)
        n = max(1, int(math.ceil(c.num_layers * depth_scale)))
        cls = type(c)
        small.append(cls(c.expand_ratio, c.kernel, c.stride, ci, co, n))
    drop = {"efficientnet_v2_s": 0.2, "efficientnet_v2_m": 0.3, "efficientnet_v2_l": 0.4}[arch]
    return tv_eff.EfficientNet(small, drop, num_classes=num_classes,
                               last_channel=tv_eff._make_divisible(last * width_scale, 8),
                               norm_layer=partial(nn.BatchNorm2d, eps=1e-03))


def b_regnet(depth, w_0, w_a, w_m, group_width, se_ratio=None, stem_width=32, num_classes=NUM_CLASSES):
    params = tv_regnet.BlockParams.from_init_params(depth=depth, w_0=w_0, w_a=w_a, w_m=w_m,
                                                    group_width=group_width, se_ratio=se_ratio)
    return tv_regnet.RegNet(params, num_classes=num_classes, stem_width=stem_width)


def b_convnext(stages, stochastic_depth_prob, layer_scale=1e-6, num_classes=NUM_CLASSES):
    setting = [CNBlockConfig(*s) for s in stages]
    return tvm.ConvNeXt(setting, stochastic_depth_prob=stochastic_depth_prob, layer_scale=layer_scale,
                        num_classes=num_classes)


def b_swin(embed_dim, depths, num_heads, window_size, v2=False, patch_size=(4, 4), num_classes=NUM_CLASSES):
    kw = dict(block=SwinTransformerBlockV2, downsample_layer=PatchMergingV2) if v2 else {}
    return tvm.SwinTransformer(patch_size=list(patch_size), embed_dim=embed_dim, depths=depths,
                               num_heads=num_heads, window_size=window_size, stochastic_depth_prob=0.2,
                               num_classes=num_classes, **kw)


def b_vit(image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, num_classes=NUM_CLASSES):
    return tvm.VisionTransformer(image_size=image_size, patch_size=patch_size, num_layers=num_layers,
                                 num_heads=num_heads, hidden_dim=hidden_dim, mlp_dim=mlp_dim,
                                 num_classes=num_classes)


def b_maxvit(input_size, stem_channels, partition_size, block_channels, block_layers, head_dim,
             num_classes=NUM_CLASSES):
    return tvm.MaxVit(input_size=(input_size, input_size), stem_channels=stem_channels,
                      partition_size=partition_size, block_channels=block_channels, block_layers=block_layers,
                      head_dim=head_dim, stochastic_depth_prob=0.2, num_classes=num_classes)


class LRNNet(nn.Module):
    """AlexNet-v1-style CNN with nn.LocalResponseNorm (torch exports LRN's padding through an If)."""

    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 5, stride=2, padding=2), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(3, alpha=1e-3, beta=0.75, k=1.0),
            nn.MaxPool2d(3, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def b_lrn():
    return LRNNet()


class DropoutWindowBlock(nn.Module):
    """Swin-like block: window partition, attention with nn.Dropout modules and
    F.dropout(training=True, p=0) (what torchvision's shifted_window_attention calls),
    shifted windows through torch.roll, MLP with nn.Dropout, residuals."""

    def __init__(self, dim, heads, window, shift):
        super().__init__()
        self.heads, self.window, self.shift = heads, window, shift
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(0.1)
        self.proj_drop = nn.Dropout(0.1)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(0.1), nn.Linear(2 * dim, dim),
                                 nn.Dropout(0.1))

    def forward(self, x):                                   # B, H, W, C
        B, H, W, C = x.shape
        w = self.window
        y = self.norm1(x)
        if self.shift:
            y = torch.roll(y, shifts=(-self.shift, -self.shift), dims=(1, 2))
        y = y.view(B, H // w, w, W // w, w, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, w * w, C)
        qkv = self.qkv(y).reshape(y.size(0), w * w, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = (q * (C // self.heads) ** -0.5) @ k.transpose(-2, -1)
        a = self.attn_drop(a.softmax(dim=-1))
        a = nn.functional.dropout(a, p=0.0)               # training=True: Dropout with a bool Constant
        y = (a @ v).transpose(1, 2).reshape(y.size(0), w * w, C)
        y = self.proj_drop(self.proj(y))
        y = y.view(B, H // w, W // w, w, w, C).permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, C)
        if self.shift:
            y = torch.roll(y, shifts=(self.shift, self.shift), dims=(1, 2))
        x = x + y
        return x + self.mlp(self.norm2(x))


class DropoutSwin(nn.Module):
    def __init__(self, dim=16, num_classes=NUM_CLASSES):
        super().__init__()
        self.embed = nn.Conv2d(3, dim, 4, 4)
        self.blocks = nn.Sequential(DropoutWindowBlock(dim, 2, 4, 0), DropoutWindowBlock(dim, 2, 4, 2))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.embed(x).permute(0, 2, 3, 1)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=(1, 2)))


def b_dropout_swin():
    return DropoutSwin()


# --------------------------------------------------------------------------------------
# The sets
# --------------------------------------------------------------------------------------
def S(name, family, size, build, desc, **params):
    return dict(name=name, family=family, size=size, build=build, params=params, desc=desc)


VGG_CFG_S = [8, "M", 16, "M", 32, 32, "M", 64, 64, "M", 64, 64]   # VGG-11 ("A") / 8, one pool fewer (7x7 at 112)
SMALL = [
    S("alexnet_s", "AlexNet", 224, b_alexnet, "AlexNet, every width / 16 (224: AdaptiveAvgPool 6x6 is exact)", k=16),
    S("vgg_s", "VGG", 112, b_vgg, "VGG-11 pattern, widths / 8, classifier 3136-64-64", cfg=VGG_CFG_S,
      batch_norm=False, hidden=64),
    S("vgg_bn_s", "VGG", 112, b_vgg, "VGG-11-BN pattern, widths / 8", cfg=VGG_CFG_S, batch_norm=True, hidden=64),
    S("resnet_s", "ResNet", 64, b_resnet, "ResNet(BasicBlock, [1,1,1,1]), widths / 8", block="basic",
      layers=[1, 1, 1, 1], k=8),
    S("resnet_bottleneck_s", "ResNet", 64, b_resnet, "ResNet(Bottleneck, [1,1,1,1]) (resnet50 pattern), widths / 8",
      block="bottleneck", layers=[1, 1, 1, 1], k=8),
    S("resnext_s", "ResNeXt", 64, b_resnet, "ResNeXt 32x4d pattern, [1,1,1,1], widths / 8 (4 groups of 4..32)",
      block="bottleneck", layers=[1, 1, 1, 1], groups=32, width_per_group=4, k=8),
    S("wide_resnet_s", "Wide-ResNet", 64, b_resnet, "Wide-ResNet-50-2 pattern, [1,1,1,1], widths / 8",
      block="bottleneck", layers=[1, 1, 1, 1], width_per_group=128, k=8),
    S("densenet_s", "DenseNet", 64, b_densenet, "DenseNet(growth 8, blocks (2,2,2,2), 16 init features)",
      growth_rate=8, block_config=[2, 2, 2, 2], num_init_features=16),
    S("googlenet_s", "GoogLeNet", 64, b_googlenet, "GoogLeNet (transform_input, no aux), widths / 8", k=8),
    S("inception_v3_s", "Inception-v3", 96, b_inception3, "Inception-v3 (transform_input, no aux), widths / 8", k=8),
    S("mobilenet_v2_s", "MobileNetV2", 64, b_mobilenet_v2, "MobileNetV2 width 0.25, one block per stage but 2",
      width_mult=0.25, setting=[[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 1, 2], [6, 64, 1, 2], [6, 96, 1, 1],
                                [6, 160, 1, 2], [6, 320, 1, 1]]),
    S("mobilenet_v3_small_s", "MobileNetV3", 64, b_mobilenet_v3, "MobileNetV3-Small width 0.25, reduced tail",
      arch="mobilenet_v3_small", width_mult=0.25, reduced_tail=True),
    S("mobilenet_v3_large_s", "MobileNetV3", 64, b_mobilenet_v3, "MobileNetV3-Large width 0.25, reduced tail",
      arch="mobilenet_v3_large", width_mult=0.25, reduced_tail=True),
    S("mnasnet_s", "MNASNet", 64, b_mnasnet, "MNASNet alpha 0.25", alpha=0.25),
] + [
    S(f"efficientnet_b{b}_s", "EfficientNet", 64, b_efficientnet_v1,
      f"efficientnet_b{b} recipe, width x0.125, depth x0.3", b=b, width_scale=0.125, depth_scale=0.3)
    for b in range(8)
] + [
    S(f"efficientnet_v2_{v}_s", "EfficientNetV2", 64, b_efficientnet_v2,
      f"efficientnet_v2_{v} stage table, width x0.125, depth x0.15", arch=f"efficientnet_v2_{v}",
      width_scale=0.125, depth_scale=0.15)
    for v in "sml"
] + [
    S("regnet_x_s", "RegNet", 64, b_regnet, "RegNetX: depth 4, w0 8, wa 8, wm 2, group width 4",
      depth=4, w_0=8, w_a=8.0, w_m=2.0, group_width=4, stem_width=8),
    S("regnet_y_s", "RegNet", 64, b_regnet, "RegNetY (SE 0.25): depth 4, w0 8, wa 8, wm 2, group width 4",
      depth=4, w_0=8, w_a=8.0, w_m=2.0, group_width=4, se_ratio=0.25, stem_width=8),
    S("shufflenet_v2_s", "ShuffleNetV2", 64, b_shufflenet, "ShuffleNetV2 repeats [1,2,1], channels 8-16-32-64-128",
      repeats=[1, 2, 1], channels=[8, 16, 32, 64, 128]),
    S("squeezenet1_0_s", "SqueezeNet", 64, b_squeezenet, "SqueezeNet 1.0, widths / 4", version="1_0", k=4),
    S("squeezenet1_1_s", "SqueezeNet", 64, b_squeezenet, "SqueezeNet 1.1, widths / 4", version="1_1", k=4),
    S("convnext_s", "ConvNeXt", 64, b_convnext, "ConvNeXt: 3 stages 16-32-64, depths 1-2-1, layer scale 1e-6 "
      "(re-randomised), stochastic depth", stages=[[16, 32, 1], [32, 64, 2], [64, None, 1]],
      stochastic_depth_prob=0.1),
    S("swin_s", "Swin", 64, b_swin, "Swin-T pattern: dim 16, depths 2-2-1-1, heads 1-2-4-8, window 4 "
      "(shifted windows 16x16 and 8x8, window = map at 4x4, padded at 2x2)",
      embed_dim=16, depths=[2, 2, 1, 1], num_heads=[1, 2, 4, 8], window_size=[4, 4]),
    S("swin_v2_s", "SwinV2", 64, b_swin, "Swin-V2-T pattern (cosine attention, log-CPB MLP, res-post-norm, "
      "PatchMergingV2): dim 16, depths 2-2-1-1, heads 1-2-4-8, window 4",
      embed_dim=16, depths=[2, 2, 1, 1], num_heads=[1, 2, 4, 8], window_size=[4, 4], v2=True),
    S("vit_s", "ViT", 64, b_vit, "VisionTransformer image 64, patch 16, 2 layers, 2 heads, dim 32, MLP 64",
      image_size=64, patch_size=16, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64),
    S("maxvit_s", "MaxViT", 64, b_maxvit, "MaxViT: stem 16, blocks 16-32-64 x1, partition 4, head dim 8",
      input_size=64, stem_channels=16, partition_size=4, block_channels=[16, 32, 64], block_layers=[1, 1, 1],
      head_dim=8),
    S("lrn_cnn_s", "LocalResponseNorm", 64, b_lrn, "small CNN with nn.LocalResponseNorm (exported with an If)"),
    S("dropout_swin_s", "Dropout", 64, b_dropout_swin,
      "Swin-like window-attention blocks with nn.Dropout and F.dropout(p=0) (bool scalar Constants), torch.roll"),
]

FULL = [
    S("alexnet", "AlexNet", 224, b_tv, "torchvision alexnet", fn="alexnet"),
    S("vgg11", "VGG", 224, b_tv, "torchvision vgg11", fn="vgg11"),
    S("vgg16_bn", "VGG", 224, b_tv, "torchvision vgg16_bn", fn="vgg16_bn"),
    S("resnet18", "ResNet", 224, b_tv, "torchvision resnet18", fn="resnet18"),
    S("resnet50", "ResNet", 224, b_tv, "torchvision resnet50", fn="resnet50"),
    S("resnext50_32x4d", "ResNeXt", 224, b_tv, "torchvision resnext50_32x4d", fn="resnext50_32x4d"),
    S("wide_resnet50_2", "Wide-ResNet", 224, b_tv, "torchvision wide_resnet50_2", fn="wide_resnet50_2"),
    S("densenet121", "DenseNet", 224, b_tv, "torchvision densenet121", fn="densenet121"),
    S("googlenet", "GoogLeNet", 224, b_tv, "torchvision googlenet (no aux, transform_input)", fn="googlenet",
      aux_logits=False, transform_input=True, init_weights=True),
    S("inception_v3", "Inception-v3", 299, b_tv, "torchvision inception_v3 at 299 (no aux, transform_input)",
      fn="inception_v3", aux_logits=False, transform_input=True, init_weights=True),
    S("mobilenet_v2", "MobileNetV2", 224, b_tv, "torchvision mobilenet_v2", fn="mobilenet_v2"),
    S("mobilenet_v3_small", "MobileNetV3", 224, b_tv, "torchvision mobilenet_v3_small", fn="mobilenet_v3_small"),
    S("mobilenet_v3_large", "MobileNetV3", 224, b_tv, "torchvision mobilenet_v3_large", fn="mobilenet_v3_large"),
    S("mnasnet1_0", "MNASNet", 224, b_tv, "torchvision mnasnet1_0", fn="mnasnet1_0"),
] + [
    S(f"efficientnet_b{b}", "EfficientNet", 224, b_tv, f"torchvision efficientnet_b{b} (at 224, not its native size)",
      fn=f"efficientnet_b{b}") for b in range(8)
] + [
    S(f"efficientnet_v2_{v}", "EfficientNetV2", 224, b_tv, f"torchvision efficientnet_v2_{v} (at 224)",
      fn=f"efficientnet_v2_{v}") for v in "sml"
] + [
    S("regnet_x_400mf", "RegNet", 224, b_tv, "torchvision regnet_x_400mf", fn="regnet_x_400mf"),
    S("regnet_y_400mf", "RegNet", 224, b_tv, "torchvision regnet_y_400mf", fn="regnet_y_400mf"),
    S("shufflenet_v2_x1_0", "ShuffleNetV2", 224, b_tv, "torchvision shufflenet_v2_x1_0", fn="shufflenet_v2_x1_0"),
    S("squeezenet1_0", "SqueezeNet", 224, b_tv, "torchvision squeezenet1_0", fn="squeezenet1_0"),
    S("squeezenet1_1", "SqueezeNet", 224, b_tv, "torchvision squeezenet1_1", fn="squeezenet1_1"),
    S("convnext_tiny", "ConvNeXt", 224, b_tv, "torchvision convnext_tiny", fn="convnext_tiny"),
    S("swin_t", "Swin", 224, b_tv, "torchvision swin_t", fn="swin_t"),
    S("swin_v2_t", "SwinV2", 256, b_tv, "torchvision swin_v2_t at 256", fn="swin_v2_t"),
    S("vit_b_16", "ViT", 224, b_tv, "torchvision vit_b_16", fn="vit_b_16"),
    S("maxvit_t", "MaxViT", 224, b_tv, "torchvision maxvit_t", fn="maxvit_t"),
]

SETS = {"small": dict(specs=SMALL, opsets=SMALL_OPSETS, dynamic=(False, True)),
        "full": dict(specs=FULL, opsets=(13,), dynamic=(False,))}

NOT_AVAILABLE = []   # families missing from Debian's torchvision (0.14.1 has them all, MaxViT included)


# --------------------------------------------------------------------------------------
# Seeding, export, reference
# --------------------------------------------------------------------------------------
def randomize_params(model, size, seed=NORM_SEED):
    """Make biases and normalisation layers non-trivial, from one seeded generator
    (as the shared zoo's make_zoo.py; plus ConvNeXt's layer_scale, which torchvision
    initialises to 1e-6 and would hide its blocks from the comparison).

    1. Conv/Linear biases that torchvision initialises to exactly zero get PyTorch's default
       bias init instead, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    2. BatchNorm: gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1); running statistics estimated from 3
       batches of 8 seeded N(0,1) images (BN layers in train mode, cumulative average).
    3. LayerNorm: gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1).
    4. Parameters named layer_scale: U(0.1, 0.5).
    5. Conv/Linear weights that torchvision initialises to exactly zero (ViT's head) get
       PyTorch's default weight bound, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from a generator
       of their own: with a zero head the logits would not depend on the input at all.
    """
    g = torch.Generator().manual_seed(seed)
    gw = torch.Generator().manual_seed(seed + 1)
    zero_biases = zero_weights = 0
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and not bool(m.weight.any()):
                bound = 1.0 / math.sqrt(m.weight[0].numel())
                m.weight.copy_(torch.empty(m.weight.shape).uniform_(-bound, bound, generator=gw))
                zero_weights += 1
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None and not bool(m.bias.any()):
                bound = 1.0 / math.sqrt(m.weight[0].numel())
                m.bias.copy_(torch.empty(m.bias.shape).uniform_(-bound, bound, generator=g))
                zero_biases += 1
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    lns = [m for m in model.modules() if isinstance(m, nn.LayerNorm)]
    scales = [p for n, p in model.named_parameters() if n.endswith("layer_scale")]
    with torch.no_grad():
        for m in bns + lns:
            if getattr(m, "weight", None) is not None:
                m.weight.copy_(torch.empty(m.weight.shape).uniform_(0.5, 1.5, generator=g))
                m.bias.copy_(torch.empty(m.bias.shape).normal_(0.0, 0.1, generator=g))
        for p in scales:
            p.copy_(torch.empty(p.shape).uniform_(0.1, 0.5, generator=g))
    info = dict(zero_biases_replaced=zero_biases, zero_weights_replaced=zero_weights, batchnorm=len(bns),
                layernorm=len(lns), layer_scale=len(scales))
    if not bns:
        return info
    momenta = [m.momentum for m in bns]
    model.eval()
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, size, size, generator=g))
    model.eval()
    for m, mom in zip(bns, momenta):
        m.momentum = mom
        assert bool((m.running_var > 0).all()) and bool(m.running_mean.any())
    info["min_running_var"] = float(min(m.running_var.min() for m in bns))
    return info


def make_input(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def write_bin(path, arr):
    np.ascontiguousarray(arr, dtype="<f4").tofile(path)


def read_bin(path, shape):
    return np.fromfile(path, dtype="<f4").reshape(shape)


def op_histogram(m):
    c = Counter(n.op_type for n in m.graph.node)
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def round_up_1sig(x):
    e = math.floor(math.log10(x))
    m = math.ceil(x / 10 ** e - 1e-9)
    if m >= 10:
        m, e = 1, e + 1
    return float(f"{m}e{e}")


def folder_name(spec, opset, dynamic):
    return f"{spec['name']}_op{opset}_{'dyn' if dynamic else 'fixed'}"


_CODE_HASH = None


def code_hash():
    """What every folder depends on besides its own parameters: the shared code paths
    (seeding, slimming, export), ort_ref.js, and the package versions."""
    global _CODE_HASH
    if _CODE_HASH is None:
        h = hashlib.sha256()
        for fn in (slim, randomize_params, make_input, export_variant, finalize, folder_name):
            h.update(inspect.getsource(fn).encode())
        with open(os.path.join(HERE, "ort_ref.js"), "rb") as f:
            h.update(f.read())
        h.update(json.dumps([GEN_VERSION, MODEL_SEED, NORM_SEED, INPUT_SEEDS, torch.__version__,
                             torchvision.__version__, onnx.__version__, np.__version__]).encode())
        _CODE_HASH = h.hexdigest()
    return _CODE_HASH


def params_hash(spec, opset, dynamic):
    src = inspect.getsource(spec["build"])
    if spec["build"] in (b_lrn,):
        src += inspect.getsource(LRNNet)
    if spec["build"] in (b_dropout_swin,):
        src += inspect.getsource(DropoutWindowBlock) + inspect.getsource(DropoutSwin)
    d = dict(params=spec["params"], size=spec["size"], opset=opset, dynamic=dynamic, build=src,
             code=code_hash(), num_classes=NUM_CLASSES)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def is_done(d, h):
    """The folder is complete for hash h (a model with its reference, or a recorded failure)."""
    meta = load_json(os.path.join(d, "meta.json"))
    if meta and meta.get("params_hash") == h and meta.get("complete"):
        return all(os.path.exists(os.path.join(d, f)) for f in
                   ["model.onnx"] + [f"{s}_{k}.bin" for s in ("input", "output") for k in range(len(INPUT_SEEDS))])
    fail = load_json(os.path.join(d, "failure.json"))
    return bool(fail and fail.get("params_hash") == h)


def record_failure(d, spec, opset, dynamic, h, stage, reason):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    rec = dict(model=spec["name"], family=spec["family"], opset=opset, dynamic=dynamic, stage=stage,
               reason=reason, params_hash=h)
    with open(os.path.join(d, "failure.json"), "w") as f:
        json.dump(rec, f, indent=2)
    print(f"  FAILED {os.path.basename(d)} ({stage}): {reason}", flush=True)


def first_line(e):
    s = f"{type(e).__name__}: {e}".strip()
    return s.splitlines()[0][:400] if s else type(e).__name__


def export_variant(model, spec, opset, dynamic, d, work, torch_outs, norms, n_params):
    """Export one (opset, batch) variant into d; torch's outputs go to work."""
    shape = (1, 3, spec["size"], spec["size"])
    os.makedirs(d, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    kw = {}
    if dynamic:
        kw["dynamic_axes"] = {INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(shape), path, export_params=True, opset_version=opset,
                          do_constant_folding=True, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          training=torch.onnx.TrainingMode.EVAL, **kw)
    m = onnx.load(path)
    onnx.checker.check_model(m)

    def dims(vi):
        return [x.dim_param if x.dim_param else x.dim_value for x in vi.type.tensor_type.shape.dim]

    for k, y in enumerate(torch_outs):
        write_bin(os.path.join(d, f"input_{k}.bin"), make_input(INPUT_SEEDS[k], shape))
        write_bin(os.path.join(work, f"torch_output_{k}.bin"), y)
    meta = dict(
        model=spec["name"], family=spec["family"], description=spec["desc"], params=spec["params"],
        file="model.onnx", file_size_bytes=os.path.getsize(path),
        opset=max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
        requested_opset=opset, dynamic_batch=dynamic, ir_version=m.ir_version,
        producer=f"{m.producer_name} {m.producer_version}",
        export=dict(torch=torch.__version__, torchvision=torchvision.__version__, training_mode="EVAL",
                    do_constant_folding=True, dynamic_axes=kw.get("dynamic_axes")),
        input=dict(name=INPUT_NAME, shape=list(shape), onnx_shape=dims(m.graph.input[0]), dtype="float32"),
        output=dict(name=OUTPUT_NAME, shape=list(torch_outs[0].shape), onnx_shape=dims(m.graph.output[0]),
                    dtype="float32"),
        num_cases=len(INPUT_SEEDS), input_seeds=INPUT_SEEDS,
        input_distribution="numpy.random.default_rng(seed).standard_normal(shape, dtype=float32)",
        torch_parameters=n_params, randomized=norms, num_nodes=len(m.graph.node), ops=op_histogram(m),
        complete=False)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta


def finalize(d, work, info, h):
    """Check ORT's outputs against torch's and ORT-optimised, write the tolerance, mark complete."""
    meta = load_json(os.path.join(d, "meta.json"))
    ishape, oshape = meta["input"]["shape"], meta["output"]["shape"]
    if info["output_dims"] != oshape:
        raise RuntimeError(f"ORT output dims {info['output_dims']}, torch {oshape}")
    d_torch, d_opt, absmax, stats = 0.0, 0.0, 0.0, []
    for k in range(meta["num_cases"]):
        y = read_bin(os.path.join(d, f"output_{k}.bin"), oshape)
        yt = read_bin(os.path.join(work, f"torch_output_{k}.bin"), oshape)
        yo = read_bin(os.path.join(work, f"ort_all_output_{k}.bin"), oshape)
        if not np.isfinite(y).all():
            raise RuntimeError("ORT output is not finite")
        d_torch = max(d_torch, float(np.abs(y - yt).max()))
        d_opt = max(d_opt, float(np.abs(y - yo).max()))
        absmax = max(absmax, float(np.abs(y).max()))
        stats.append(dict(case=k, min=float(y.min()), max=float(y.max()), mean=float(y.mean()),
                          std=float(y.std()), argmax=int(y.reshape(-1).argmax())))
    atol = round_up_1sig(max(1e-5, 1e-5 * absmax, 10 * d_torch, 10 * d_opt))
    meta.update(
        ort=dict(package="onnxruntime-node", version=info["version"], execution_provider="cpu",
                 graph_optimization_level="disabled", intra_op_num_threads=1),
        output_stats=stats, max_abs_output=absmax,
        max_abs_diff=dict(torch_vs_ort=d_torch, ort_optimized_all_vs_ort_disabled=d_opt),
        tolerance=dict(atol=atol, rtol=1e-4,
                       rule="atol = max(1e-5, 1e-5*max|ref|, 10*torch_vs_ort, 10*ort_all_vs_disabled) rounded "
                            "up to 1 significant digit; compare |got-ref| <= atol + rtol*|ref|"),
        params_hash=h, complete=True)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta


def build_model(spec):
    torch.manual_seed(MODEL_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = spec["build"](**spec["params"])
    model.eval()
    norms = randomize_params(model, spec["size"])
    model.eval()
    return model, norms


def run_set(set_name, only, force):
    cfg = SETS[set_name]
    root = os.path.join(CACHE, set_name)
    work_root = os.path.join(CACHE, ".work", set_name)
    os.makedirs(root, exist_ok=True)
    specs = [s for s in cfg["specs"] if not only or s["name"] in only]
    if only and len(specs) != len(set(only)):
        known = {s["name"] for s in cfg["specs"]}
        sys.exit(f"unknown model(s) for set {set_name}: {sorted(set(only) - known)}")
    t0 = time.time()
    pending = []                                      # (folder, spec, opset, dynamic, hash)
    for spec in specs:
        variants = []
        for opset in cfg["opsets"]:
            for dyn in cfg["dynamic"]:
                name = folder_name(spec, opset, dyn)
                h = params_hash(spec, opset, dyn)
                if force or not is_done(os.path.join(root, name), h):
                    variants.append((name, opset, dyn, h))
        if not variants:
            continue
        t1 = time.time()
        try:
            model, norms = build_model(spec)
            n_params = sum(p.numel() for p in model.parameters())
            shape = (1, 3, spec["size"], spec["size"])
            torch_outs = []
            with torch.no_grad():
                for seed in INPUT_SEEDS:
                    torch_outs.append(model(torch.from_numpy(make_input(seed, shape))).numpy().astype(np.float32))
        except Exception as e:  # noqa: BLE001 -- recorded, the rest goes on
            for name, opset, dyn, h in variants:
                record_failure(os.path.join(root, name), spec, opset, dyn, h, "build", first_line(e))
            continue
        for name, opset, dyn, h in variants:
            d = os.path.join(root, name)
            shutil.rmtree(d, ignore_errors=True)
            try:
                meta = export_variant(model, spec, opset, dyn, d, os.path.join(work_root, name), torch_outs,
                                      norms, n_params)
                pending.append((name, spec, opset, dyn, h))
            except Exception as e:  # noqa: BLE001
                record_failure(d, spec, opset, dyn, h, "export", first_line(e))
        print(f"exported {spec['name']}: {n_params:,} params, {len(variants)} variants, "
              f"{time.time() - t1:.1f}s", flush=True)
    t_export = time.time() - t0
    if pending:
        info_path = os.path.join(work_root, "ort_info.json")
        os.makedirs(work_root, exist_ok=True)
        subprocess.run([NODE, os.path.join(HERE, "ort_ref.js"), "--root", root, "--work", work_root,
                        "--info", info_path] + [p[0] for p in pending], check=True)
        ort_info = load_json(info_path)
        for name, spec, opset, dyn, h in pending:
            d = os.path.join(root, name)
            info = ort_info.get(name, {})
            try:
                if info.get("error"):
                    raise RuntimeError(info["error"])
                finalize(d, os.path.join(work_root, name), info, h)
            except Exception as e:  # noqa: BLE001
                record_failure(d, spec, opset, dyn, h, "onnxruntime", str(e).splitlines()[0][:400])
    shutil.rmtree(os.path.join(CACHE, ".work", set_name), ignore_errors=True)
    write_manifest(set_name, root, cfg)
    print(f"{set_name}: {len(pending)} folders (re)generated in {time.time() - t0:.1f}s "
          f"(export {t_export:.1f}s)", flush=True)


def write_manifest(set_name, root, cfg):
    models, failures = [], []
    wanted = {folder_name(s, o, d) for s in cfg["specs"] for o in cfg["opsets"] for d in cfg["dynamic"]}
    total = 0
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if not os.path.isdir(d) or name not in wanted:
            continue
        meta = load_json(os.path.join(d, "meta.json"))
        fail = load_json(os.path.join(d, "failure.json"))
        if meta and meta.get("complete"):
            size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
            total += size
            models.append(dict(folder=name, model=meta["model"], family=meta["family"], opset=meta["opset"],
                               dynamic_batch=meta["dynamic_batch"], input_shape=meta["input"]["shape"],
                               onnx_bytes=meta["file_size_bytes"], folder_bytes=size, nodes=meta["num_nodes"],
                               atol=meta["tolerance"]["atol"], rtol=meta["tolerance"]["rtol"],
                               max_abs_output=meta["max_abs_output"]))
        elif fail:
            failures.append(dict(folder=name, **{k: v for k, v in fail.items() if k != "params_hash"}))
    manifest = dict(
        set=set_name, generator="testdata/corpus/make_corpus.py",
        versions=dict(torch=torch.__version__, torchvision=torchvision.__version__, onnx=onnx.__version__),
        families=sorted({s["family"] for s in cfg["specs"]}),
        not_available=NOT_AVAILABLE,
        notes=["MaxViT (maxvit_t) is present in Debian's torchvision 0.14.1 and is covered."],
        total_bytes=total, models=models, failures=failures)
    with open(os.path.join(root, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=sorted(SETS), default="small")
    ap.add_argument("--only", nargs="*", help="model names (without _opN_...) to (re)build")
    ap.add_argument("--force", action="store_true", help="regenerate even when the cache is up to date")
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    run_set(args.set, args.only, args.force)


if __name__ == "__main__":
    main()
