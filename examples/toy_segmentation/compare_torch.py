"""TinySeg in PyTorch next to adjoint's: loads a toy_segmentation checkpoint through
tests/python/safetensors_io.py into the same network written with torch.nn, runs it on the
validation images the C++ program dumped, and checks that both frameworks give the same
logits (max |difference| <= 1e-4) and hence the same masks.

    compare_torch.py --checkpoint CKPT --dump DIR      # DIR from: toy_segmentation
                                                       #   --checkpoint CKPT --dump-validation DIR
    compare_torch.py --selftest --exe PATH --work DIR  # trains a small checkpoint with the
                                                       # program, dumps, compares (the ctest)

Exits 0 when they agree, 1 when they do not, 77 (ctest's "skipped") when numpy or torch is
missing. Run with /usr/bin/python3 (torch 1.13).
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "python"))

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the machine
    print("compare_torch.py: skipped, %s (install python3-torch to run it)" % e)
    sys.exit(77)

import safetensors_io  # noqa: E402


class ConvReLU(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)

    def forward(self, x):
        return F.relu(self.conv(x))


class UpBlock(nn.Module):
    """convT + ReLU, then the skip tensor (when given) appended along channels."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1)

    def forward(self, x, skip=None):
        y = F.relu(self.conv(x))
        return y if skip is None else torch.cat([y, skip], 1)


class TinySeg(nn.Module):
    """examples/toy_segmentation/tinyseg.hpp, with the same child names."""

    def __init__(self, out_channels=1, unet=False):
        super().__init__()
        widen = 2 if unet else 1
        self.unet = unet
        self.enc1 = ConvReLU(3, 16, 1)
        self.enc2 = ConvReLU(16, 32, 2)
        self.enc3 = ConvReLU(32, 64, 2)
        self.dec1 = UpBlock(64, 32)
        self.dec2 = UpBlock(32 * widen, 16)
        self.head = nn.Conv2d(16 * widen, out_channels, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        d1 = self.dec1(e3, e2 if self.unet else None)
        d2 = self.dec2(d1, e1 if self.unet else None)
        return self.head(d2)


def load(checkpoint):
    arrays, metadata = safetensors_io.read(checkpoint)
    classes = metadata["classes"] == "1"
    if metadata.get("batchnorm") == "1":
        raise SystemExit("compare_torch.py: batchnorm checkpoints are not mirrored here yet")
    model = TinySeg(int(metadata["num_classes"]) if classes else 1, metadata["unet"] == "1")
    state = {k[len("model."):]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("model.")}
    model.load_state_dict(state, strict=True)
    return model.eval(), classes


def compare(checkpoint, dump):
    model, classes = load(checkpoint)
    images = torch.from_numpy(np.load(os.path.join(dump, "images.npy")))
    theirs = np.load(os.path.join(dump, "logits.npy"))
    masks = np.load(os.path.join(dump, "masks.npy"))
    with torch.no_grad():
        ours = model(images).numpy()
    diff = float(np.abs(ours - theirs).max())
    if classes:
        pred_torch, pred_adjoint = ours.argmax(1), theirs.argmax(1)
    else:
        pred_torch, pred_adjoint = ours[:, 0] > 0, theirs[:, 0] > 0
    same = float((pred_torch == pred_adjoint).mean())
    fg = masks > 0
    pred_fg = pred_torch > 0
    iou = float((fg & pred_fg).sum() / max(1, (fg | pred_fg).sum()))
    print("%d validation images %s: max |logit difference| %.3g, identical mask pixels %.6f, "
          "foreground IoU (torch) %.4f" % (images.shape[0], tuple(images.shape[1:]), diff, same, iou))
    ok = diff <= 1e-4
    print("compare_torch.py: %s" % ("adjoint and PyTorch agree" if ok else "MISMATCH (limit 1e-4)"))
    return 0 if ok else 1


def selftest(exe, work):
    os.makedirs(work, exist_ok=True)
    status = 0
    for name, extra in (("plain", []), ("unet_classes", ["--unet", "--classes"])):
        out = os.path.join(work, name)
        common = ["--image-size", "32", "--train-size", "32", "--val-size", "16", "--batch-size", "8",
                  "--epochs", "2", "--threads", "1", "--out", out] + extra
        subprocess.run([exe] + common, check=True, stdout=subprocess.DEVNULL)
        ckpt = os.path.join(out, "last.safetensors")
        dump = os.path.join(out, "validation")
        subprocess.run([exe, "--checkpoint", ckpt, "--dump-validation", dump], check=True, stdout=subprocess.DEVNULL)
        print(name + ":", end=" ")
        status |= compare(ckpt, dump)
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint")
    parser.add_argument("--dump")
    parser.add_argument("--selftest", action="store_true")
    parser.add_argument("--exe")
    parser.add_argument("--work")
    args = parser.parse_args()
    if args.selftest:
        if not args.exe or not args.work:
            parser.error("--selftest needs --exe and --work")
        return selftest(args.exe, args.work)
    if not args.checkpoint or not args.dump:
        parser.error("give --checkpoint and --dump (or --selftest)")
    return compare(args.checkpoint, args.dump)


if __name__ == "__main__":
    sys.exit(main())
