"""A small safetensors reader and writer on numpy and json alone, for adjoint's interop
tests (the `safetensors` package is not a dependency). It handles the dtypes adjoint
reads, F32, F64 and I64, and checks what a conforming file must satisfy (exact byte
ranges that tile the data section, no duplicate keys); it is not a general library: no
other dtypes, no memory mapping, no lazy loading.

    arrays, metadata = read(path)        # dict name -> numpy array (header order), dict str -> str
    write(path, arrays, metadata=None)   # arrays: dict name -> numpy array, written in order
"""
import json
import math
import os
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8")}
_CODES = {np.dtype(dt).newbyteorder("="): code for code, dt in DTYPES.items()}


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key in header: %r" % keys)
    return dict(pairs)


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: shorter than the 8-byte header length" % path)
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError("%s: header length %d runs past the end" % (path, n))
    header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=_no_duplicates)
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("%s: __metadata__ must map strings to strings" % path)
    body = data[8 + n:]
    arrays, spans = {}, []
    for name, entry in header.items():
        if sorted(entry) != ["data_offsets", "dtype", "shape"]:
            raise ValueError("%s: %r has keys %r" % (path, name, sorted(entry)))
        dt = DTYPES[entry["dtype"]]
        shape = tuple(entry["shape"])
        begin, end = entry["data_offsets"]
        if end - begin != math.prod(shape) * dt.itemsize:
            raise ValueError("%s: %r spans %d bytes for shape %r" % (path, name, end - begin, shape))
        arrays[name] = np.frombuffer(body[begin:end], dtype=dt).reshape(shape).copy()
        spans.append((begin, end, name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise ValueError("%s: %r starts at %d, expected %d" % (path, name, begin, position))
        position = end
    if position != len(body):
        raise ValueError("%s: %d trailing bytes" % (path, len(body) - position))
    return arrays, metadata


def write(path, arrays, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, a in arrays.items():
        a = np.asarray(a)
        code = _CODES[a.dtype.newbyteorder("=")]
        raw = np.ascontiguousarray(a, dtype=DTYPES[code]).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)   # the data section starts 8-byte aligned, as the reference writes
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)
    os.replace(tmp, path)
