"""The Python half of tests/test_safetensors_interop.cpp: checks a file adjoint wrote, or
writes one for adjoint to check, with safetensors_io.py. Both halves build the same arrays
from the same rule (CASES and value() below, mirrored in the C++ test) and compare bit
patterns, so -0.0, NaN, denormals and infinities must survive too.

    python3 safetensors_interop.py check FILE   # exit 0 iff FILE holds exactly the cases
    python3 safetensors_interop.py write FILE   # write the cases with metadata {"writer": "numpy"}
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

# (name, dtype, shape), in file order. Names exercise JSON escaping and non-ASCII text.
CASES = [
    ("scalar_f32", "F32", ()),
    ("scalar_f64", "F64", ()),
    ("scalar_i64", "I64", ()),
    ("empty_f32", "F32", (0,)),
    ("empty_f64", "F64", (2, 0, 3)),
    ("empty_i64", "I64", (0, 4)),
    ("layer.0/weight", "F32", (3, 5)),
    ("odd", "F64", (1, 7, 1, 3)),
    ("\u00fcn\u00efcode \"quoted\" \\", "I64", (13,)),
    ("long_f32", "F32", (17, 19)),
]

# Bit patterns first (zero, -0, 1.5, -2.25 or 1/3, the smallest denormal, the largest
# finite, +-inf, NaN), then a ramp that is exact in every dtype.
SPECIALS = {
    "F32": [0x00000000, 0x80000000, 0x3FC00000, 0xC0100000, 0x00000001, 0x7F7FFFFF, 0x7F800000, 0xFF800000,
            0x7FC00000],
    "F64": [0x0000000000000000, 0x8000000000000000, 0x3FF8000000000000, 0x3FD5555555555555, 0x0000000000000001,
            0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000],
    "I64": [0, -1, 1, -(2 ** 63), 2 ** 63 - 1, 2 ** 53 + 1],
}
BITS = {"F32": np.dtype("<u4"), "F64": np.dtype("<u8"), "I64": np.dtype("<i8")}


def value(code, case, i):
    """Element i (row-major) of case number `case`, as its bit pattern (I64: the value)."""
    specials = SPECIALS[code]
    if i < len(specials):
        return specials[(i + case) % len(specials)]   # rotated, so that scalars differ too
    if code == "I64":
        return i * 3 - 7 + 1000 * case
    ramp = np.array([i * 0.5 - 7 + 1000 * case], dtype=safetensors_io.DTYPES[code])
    return int(ramp.view(BITS[code])[0])


def expected():
    arrays = {}
    for case, (name, code, shape) in enumerate(CASES):
        count = int(np.prod(shape, dtype=np.int64))
        bits = np.array([value(code, case, i) for i in range(count)], dtype=BITS[code])
        arrays[name] = bits.view(safetensors_io.DTYPES[code]).reshape(shape)
    return arrays


def check(path):
    arrays, metadata = safetensors_io.read(path)
    problems = []
    if list(arrays) != [name for name, _, _ in CASES]:
        problems.append("names (in order) %r, expected %r" % (list(arrays), [c[0] for c in CASES]))
    want_metadata = {"format": "adjoint-safetensors", "version": "1", "writer": "adjoint \"test\""}
    if metadata != want_metadata:
        problems.append("metadata %r, expected %r" % (metadata, want_metadata))
    with open(path, "rb") as f:
        header_length = int.from_bytes(f.read(8), "little")
    if header_length % 8 != 0:
        problems.append("header length %d is not a multiple of 8" % header_length)
    for name, want in expected().items():
        got = arrays.get(name)
        if got is None:
            continue
        code = next(c for n, c, _ in CASES if n == name)
        if got.dtype != want.dtype or got.shape != want.shape:
            problems.append("%r is %s%r, expected %s%r" % (name, got.dtype, got.shape, want.dtype, want.shape))
            continue
        got_bits, want_bits = got.view(BITS[code]).ravel(), want.view(BITS[code]).ravel()
        for i in np.flatnonzero(got_bits != want_bits)[:5]:
            problems.append("%r[%d] has bits %#x, expected %#x" % (name, i, got_bits[i], want_bits[i]))
    for p in problems:
        print("safetensors_interop:", p)
    return 1 if problems else 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "write"):
        print(__doc__)
        return 2
    if sys.argv[1] == "check":
        return check(sys.argv[2])
    safetensors_io.write(sys.argv[2], expected(), {"writer": "numpy"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
