"""The small conv encoder-decoder that tests/test_checkpoint.cpp builds in C++ as EncDec,
written with torch.nn, for the checkpoint interop tests (torch 1.13, float32):

    generate  OUT_DIR       writes the torch model's state_dict as a safetensors file
                            (encdec.safetensors) and an input / torch output pair (.npy)
    check     CKPT X Y      loads a checkpoint written by adjoint into the torch model and
                            checks that torch's output on X matches adjoint's Y (1e-5)

Key names are torch's own: enc1.weight, dec2.bias, ...
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


def check(ckpt, x_path, y_path):
    arrays, _ = safetensors_io.read(ckpt)
    model = EncDec()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}, strict=True)
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
        sys.exit(check(*sys.argv[2:5]))
