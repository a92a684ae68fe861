#!/usr/bin/env python3
"""Writes the committed seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

Deterministic: running it again rewrites the same bytes. Seeds are small valid files plus the
hostile cases a loader must refuse without allocating: long headers, huge and overflowing
shapes, negative sizes, lying lengths and offsets. Needs only the Python standard library.
Files named regression_* are inputs that once crashed a target, kept as found (not written here).
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- .npy ----
def npy(header_text, data=b"", version=(1, 0), pad_to=64):
    text = header_text.encode("latin1")
    size_len = 2 if version[0] == 1 else 4
    total = 6 + 2 + size_len + len(text) + 1
    text += b" " * ((-total) % pad_to) + b"\n"
    length = struct.pack("<H" if size_len == 2 else "<I", len(text))
    return b"\x93NUMPY" + bytes(version) + length + text + data


def npy_dict(descr, shape, fortran=False):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    return "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (descr, "True" if fortran else "False", dims)


floats = struct.pack("<6f", *[0.5 * i for i in range(6)])
doubles = struct.pack("<6d", *[0.25 * i for i in range(6)])
write("npy", "f32_2x3", npy(npy_dict("<f4", (2, 3)), floats))
write("npy", "f64_6", npy(npy_dict("<f8", (6,)), doubles))
write("npy", "i64_scalar", npy(npy_dict("<i8", ()), struct.pack("<q", 7)))
write("npy", "v2_header", npy(npy_dict("<f4", (2, 3)), floats, version=(2, 0)))
write("npy", "v3_header", npy(npy_dict("<f4", (3, 2)), floats, version=(3, 0)))
write("npy", "long_header", npy(npy_dict("<f4", (6,)) + " " * 70000, floats, version=(2, 0)))
write("npy", "huge_shape", npy(npy_dict("<f4", (9223372036854775807,)), floats))
write("npy", "overflowing_shape", npy(npy_dict("<f8", (4294967296, 4294967296, 16)), doubles))
write("npy", "many_dims", npy(npy_dict("<f4", (1,) * 64), floats[:4]))
write("npy", "negative_dim", npy(npy_dict("<f4", (-1, 6)), floats))
write("npy", "short_data", npy(npy_dict("<f8", (100,)), doubles))
write("npy", "fortran", npy(npy_dict("<f4", (2, 3), fortran=True), floats))
write("npy", "big_endian", npy(npy_dict(">f4", (6,)), floats))
write("npy", "header_len_past_end", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{")
write("npy", "truncated_magic", b"\x93NUM")

# ---- safetensors ----
def safetensors(header, data=b""):
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + data


valid = {"__metadata__": {"format": "adjoint-safetensors", "version": "1"},
         "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
         "b": {"dtype": "F64", "shape": [6], "data_offsets": [24, 72]},
         "step": {"dtype": "I64", "shape": [], "data_offsets": [72, 80]}}
write("safetensors", "valid", safetensors(valid, floats + doubles + struct.pack("<q", 3)))
write("safetensors", "empty_tensor", safetensors({"e": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]}}))
write("safetensors", "long_header",
      safetensors({"__metadata__": {"pad": "x" * 100000},
                   "a": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]}}, floats))
write("safetensors", "huge_shape",
      safetensors({"a": {"dtype": "F32", "shape": [9223372036854775807], "data_offsets": [0, 24]}}, floats))
write("safetensors", "overflowing_shape",
      safetensors({"a": {"dtype": "F64", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 48]}}, doubles))
write("safetensors", "offsets_past_end",
      safetensors({"a": {"dtype": "F32", "shape": [6], "data_offsets": [0, 1 << 62]}}, floats))
write("safetensors", "overlapping",
      safetensors({"a": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]},
                   "b": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]}}, floats))
write("safetensors", "negative_dim",
      safetensors({"a": {"dtype": "F32", "shape": [-1, 6], "data_offsets": [0, 24]}}, floats))
write("safetensors", "header_len_huge", struct.pack("<Q", 1 << 63) + b"{}")
write("safetensors", "header_len_past_end", struct.pack("<Q", 4096) + b'{"a":')
write("safetensors", "bad_dtype", safetensors({"a": {"dtype": "BF16", "shape": [6], "data_offsets": [0, 12]}},
                                              floats[:12]))
write("safetensors", "deep_json", struct.pack("<Q", 20000) + b"[" * 10000 + b"]" * 10000)

# ---- conv: parameter bytes, in the order fuzz_conv.cpp's read_config reads them ----
# transpose, batched, n, groups, consistent, per_group_in, ... (see read_config).
write("conv", "plain_3x3", bytes([0, 1, 0, 1, 1, 0, 1, 1, 8, 8, 2, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1, 0]))
write("conv", "grouped_strided", bytes([0, 1, 1, 2, 1, 2, 0, 7, 6, 3, 1, 2, 1, 3, 1, 2, 2, 1, 1, 1, 1, 1]))
write("conv", "same_dilated", bytes([0, 1, 0, 1, 1, 1, 1, 1, 6, 5, 3, 2, 1, 1, 1, 1, 2, 3, 1, 1, 0, 1]))
write("conv", "transpose", bytes([1, 1, 0, 1, 1, 1, 1, 1, 4, 4, 2, 2, 2, 2, 2, 1, 1, 1, 2, 1, 1, 1]))
write("conv", "transpose_groups", bytes([1, 1, 1, 2, 1, 1, 1, 1, 3, 5, 3, 3, 2, 3, 1, 2, 1, 2, 1, 2, 2, 1]))
write("conv", "bad_stride", bytes([0, 1, 0, 1, 1, 0, 1, 1, 4, 4, 2, 2, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]))
write("conv", "kernel_too_big", bytes([0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 3, 3, 1, 1, 1, 1, 3, 3, 1, 1, 1, 0]))

# ---- image: PNG files for the examples' image / mask reader (no .png suffix: .gitignore) ----
import zlib


def png(width, height, color_type, rows, declared=None):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    w, h = declared or (width, height)
    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


write("image", "gray_2x2", png(2, 2, 0, [b"\x00\x01", b"\x02\x03"]))
write("image", "rgb_3x1", png(3, 1, 2, [b"\xff\x00\x00\x00\xff\x00\x00\x00\xff"]))
write("image", "rgba_1x2", png(1, 2, 6, [b"\x10\x20\x30\x40", b"\x50\x60\x70\x80"]))
write("image", "mask_4x4", png(4, 4, 0, [bytes([0, 1, 2, 3])] * 4))
write("image", "huge_dimensions", png(1, 1, 0, [b"\x00"], declared=(100000, 100000)))
write("image", "max_dimensions", png(1, 1, 2, [b"\x00\x00\x00"], declared=(0x7FFFFFFF, 0x7FFFFFFF)))
write("image", "zero_width", png(1, 1, 0, [b"\x00"], declared=(0, 1)))
write("image", "truncated", png(2, 2, 0, [b"\x00\x01", b"\x02\x03"])[:40])
