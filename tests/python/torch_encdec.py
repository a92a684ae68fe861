"""The small conv encoder-decoders that tests/test_checkpoint.cpp builds in C++ as EncDec
and EncDecBN (EncDec with a BatchNorm2d after each encoder conv, used in eval mode), written
with torch.nn, for the checkpoint interop tests (torch 1.13, float32):

    generate  OUT_DIR            writes each torch model's state_dict as a safetensors file
                                 (encdec.safetensors, encdecbn.safetensors) and an input /
                                 torch output pair (.npy) per model
    check     CKPT X Y [ARCH]    loads a checkpoint written by adjoint into the torch model
                                 ARCH (EncDec by default, or EncDecBN) and checks that torch's
                                 eval output on X matches adjoint's Y (1e-5)

Key names are torch's own: enc1.weight, dec2.bias, bn1.running_mean, bn1.num_batches_tracked, ...
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


class EncDec(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.enc2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.dec1 = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
        self.dec2 = nn.ConvTranspose2d(8, 2, 4, stride=2, padding=1)

    def forward(self, x):
        x = F.relu(self.enc1(x))
        x = F.relu(self.enc2(x))
        x = F.relu(self.dec1(x))
        return self.dec2(x)


class EncDecBN(EncDec):
    def __init__(self):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(8)
        self.bn2 = nn.BatchNorm2d(16)

    def forward(self, x):
        x = F.relu(self.bn1(self.enc1(x)))
        x = F.relu(self.bn2(self.enc2(x)))
        x = F.relu(self.dec1(x))
        return self.dec2(x)


ARCHS = {"EncDec": EncDec, "EncDecBN": EncDecBN}


def generate_bn(out_dir):
    # Its own seed, after EncDec's files, so those stay byte-identical. A few training-mode
    # batches give the running stats and num_batches_tracked values that are not the defaults;
    # weight and bias are drawn too, so every BatchNorm tensor matters for the output.
    torch.manual_seed(20261205)
    model = EncDecBN()
    with torch.no_grad():
        for bn in (model.bn1, model.bn2):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
        model.train()
        for _ in range(3):
            model(torch.randn(4, 3, 16, 16) * 2.0 + 0.5)
    model.eval()
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    safetensors_io.write(os.path.join(out_dir, "encdecbn.safetensors"), state, {"source": "torch 1.13"})
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        y = model(x)
    np.save(os.path.join(out_dir, "encdecbn_x.npy"), x.numpy())
    np.save(os.path.join(out_dir, "encdecbn_y.npy"), y.numpy())


def generate(out_dir):
    torch.manual_seed(20261201)
    model = EncDec()
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    safetensors_io.write(os.path.join(out_dir, "encdec.safetensors"), state, {"source": "torch 1.13"})
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        y = model(x)
    np.save(os.path.join(out_dir, "encdec_x.npy"), x.numpy())
    np.save(os.path.join(out_dir, "encdec_y.npy"), y.numpy())
    generate_bn(out_dir)


def check(ckpt, x_path, y_path, arch="EncDec"):
    arrays, _ = safetensors_io.read(ckpt)
    model = ARCHS[arch]()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}, strict=True)
    model.eval()
    x = torch.from_numpy(np.load(x_path))
    with torch.no_grad():
        y = model(x).numpy()
    theirs = np.load(y_path)
    err = float(np.max(np.abs(y - theirs)))
    print("max |torch - adjoint| = %.3g" % err)
    return 0 if err <= 1e-5 else 1


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2])
    else:
        sys.exit(check(*sys.argv[2:6]))
