#!/usr/bin/env python3
"""Checks that PyTorch rejects every row of tests/test_bad_input_table.cpp (same order).

Run by hand with PyTorch installed (python3 tests/python/bad_input_table_torch.py); prints each
row with PyTorch's exception and exits 1 if PyTorch accepts one. Reference only: the C++ test
does not need torch.
"""
import sys

import torch
import torch.nn.functional as F

z = torch.zeros
z64 = lambda *s: torch.zeros(*s, dtype=torch.float64)
lab = lambda *s: torch.zeros(*s, dtype=torch.int64)

ROWS = [
    ("conv2d", "2-d input", lambda: F.conv2d(z(3, 4), z(1, 1, 1, 1))),
    ("conv2d", "3-d weight", lambda: F.conv2d(z(1, 1, 4, 4), z(1, 1, 3))),
    ("conv2d", "input channels", lambda: F.conv2d(z(1, 3, 5, 5), z(4, 2, 3, 3))),
    ("conv2d", "stride 0", lambda: F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), stride=0)),
    ("conv2d", "negative padding", lambda: F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), padding=-1)),
    ("conv2d", "dilation 0", lambda: F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), dilation=0)),
    ("conv2d", "groups 0", lambda: F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), groups=0)),
    ("conv2d", "out channels % groups", lambda: F.conv2d(z(1, 2, 5, 5), z(3, 1, 3, 3), groups=2)),
    ("conv2d", "kernel too big", lambda: F.conv2d(z(1, 1, 2, 2), z(1, 1, 3, 3))),
    ("conv2d", "bias length", lambda: F.conv2d(z(1, 1, 5, 5), z(2, 1, 3, 3), z(3))),
    ("conv2d", "same with stride 2", lambda: F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), stride=2, padding="same")),
    ("conv2d", "padding string", lambda: F.conv2d(z(1, 1, 5, 5), z(1, 1, 3, 3), padding="full")),
    ("conv2d", "mixed dtypes", lambda: F.conv2d(z(1, 1, 5, 5), z64(1, 1, 3, 3))),
    ("conv_transpose2d", "2-d input", lambda: F.conv_transpose2d(z(3, 4), z(1, 1, 1, 1))),
    ("conv_transpose2d", "input channels", lambda: F.conv_transpose2d(z(1, 3, 4, 4), z(2, 1, 3, 3))),
    ("conv_transpose2d", "stride 0", lambda: F.conv_transpose2d(z(1, 1, 4, 4), z(1, 1, 3, 3), stride=0)),
    ("conv_transpose2d", "output_padding", lambda: F.conv_transpose2d(z(1, 1, 4, 4), z(1, 1, 3, 3), stride=2,
                                                                       output_padding=2)),
    ("conv_transpose2d", "output below 1", lambda: F.conv_transpose2d(z(1, 1, 1, 1), z(1, 1, 1, 1), padding=1)),
    ("conv_transpose2d", "groups", lambda: F.conv_transpose2d(z(1, 3, 4, 4), z(3, 1, 3, 3), groups=2)),
    ("conv_transpose2d", "output_size", lambda: torch.nn.ConvTranspose2d(1, 1, 3, stride=2, bias=False)(
        z(1, 1, 4, 4), output_size=[20, 20])),
    ("max_pool2d", "2-d input", lambda: F.max_pool2d(z(4, 4), 2)),
    ("max_pool2d", "kernel 0", lambda: F.max_pool2d(z(1, 1, 4, 4), 0)),
    ("max_pool2d", "stride 0", lambda: F.max_pool2d(z(1, 1, 4, 4), 2, stride=0)),
    ("max_pool2d", "padding", lambda: F.max_pool2d(z(1, 1, 4, 4), 2, padding=2)),
    ("max_pool2d", "dilation 0", lambda: F.max_pool2d(z(1, 1, 4, 4), 2, dilation=0)),
    ("max_pool2d", "window too big", lambda: F.max_pool2d(z(1, 1, 2, 2), 3)),
    ("avg_pool2d", "2-d input", lambda: F.avg_pool2d(z(4, 4), 2)),
    ("avg_pool2d", "kernel 0", lambda: F.avg_pool2d(z(1, 1, 4, 4), 0)),
    ("avg_pool2d", "stride 0", lambda: F.avg_pool2d(z(1, 1, 4, 4), 2, stride=0)),
    ("avg_pool2d", "padding", lambda: F.avg_pool2d(z(1, 1, 4, 4), 2, padding=2)),
    ("avg_pool2d", "window too big", lambda: F.avg_pool2d(z(1, 1, 2, 2), 3)),
    ("cross_entropy", "batch", lambda: F.cross_entropy(z(4, 3), lab(5))),
    ("cross_entropy", "probabilities shape", lambda: F.cross_entropy(z(4, 3), z(4, 2))),
    ("cross_entropy", "weight length", lambda: F.cross_entropy(z(4, 3), lab(4), weight=torch.ones(2))),
    ("cross_entropy", "label_smoothing", lambda: F.cross_entropy(z(4, 3), lab(4), label_smoothing=1.5)),
    ("cross_entropy", "float (N, H, W) target", lambda: F.cross_entropy(z(2, 3, 4, 4), z(2, 4, 4))),
    ("bce_with_logits", "shape", lambda: F.binary_cross_entropy_with_logits(z(4, 3), z(4, 2))),
    ("mse_loss", "no broadcast", lambda: F.mse_loss(z(4, 3), z(4, 2))),
    ("batch_norm", "1-d input", lambda: F.batch_norm(z(4), z(4), torch.ones(4), training=True)),
    ("batch_norm", "running_mean length", lambda: F.batch_norm(z(2, 3, 4, 4), z(4), torch.ones(3), training=True)),
    ("batch_norm", "weight length", lambda: F.batch_norm(z(2, 3, 4, 4), z(3), torch.ones(3), torch.ones(2))),
    ("batch_norm", "bias length", lambda: F.batch_norm(z(2, 3, 4, 4), z(3), torch.ones(3), torch.ones(3), z(4))),
    ("batch_norm", "one value per channel", lambda: F.batch_norm(z(1, 3), z(3), torch.ones(3), training=True)),
    ("batch_norm", "eval without stats", lambda: F.batch_norm(z(2, 3), None, None, training=False)),
    ("cat", "no tensors", lambda: torch.cat([])),
    ("cat", "sizes", lambda: torch.cat([z(2, 3), z(2, 4)], 0)),
    ("cat", "ranks", lambda: torch.cat([z(2, 3), z(3)])),
    ("cat", "axis", lambda: torch.cat([z(2, 3), z(2, 3)], 2)),
    ("cat", "dtypes", None),   # PyTorch 1.13 promotes; this library asks for .to() (see below)
    ("reshape", "count", lambda: z(2, 5).reshape(3, 3)),
    ("reshape", "two -1", lambda: z(2, 6).reshape(-1, -1)),
    ("reshape", "below -1", lambda: z(2, 6).reshape(-2, -6)),
    ("reshape", "-1 not inferable", lambda: z(2, 5).reshape(3, -1)),
    ("linear", "in features", lambda: F.linear(z(4, 3), z(2, 5))),
    ("linear", "bias", lambda: F.linear(z(4, 3), z(2, 3), z(3))),
    ("linear", "1-d weight", None),   # PyTorch 1.13 accepts a 1-d weight (a dot product)
    ("linear", "0-d input", lambda: F.linear(z(()), z(2, 3))),
]

accepted = []
for op, what, call in ROWS:
    if call is None:
        print(f"{op}: {what}: (deliberately stricter than PyTorch)")
        continue
    try:
        call()
    except Exception as e:  # noqa: BLE001 - any rejection counts
        print(f"{op}: {what}: {type(e).__name__}: {str(e).splitlines()[0][:100]}")
    else:
        accepted.append(f"{op}: {what}")
        print(f"{op}: {what}: ACCEPTED")
sys.exit(1 if accepted else 0)
