#!/usr/bin/env python3
"""Interop fixtures between Growda and Python's `safetensors` package (pip install safetensors numpy).

    python3 make_fixtures.py write   # (a) writes python_written.safetensors and expected.json
    python3 make_fixtures.py check   # (b) checks growda_written.safetensors, prints OK

The Swift tests read these committed files and need no Python. After `write`, or after any change
to Growda's encoder, regenerate Growda's file and check it again:

    GROWDA_WRITE_FIXTURES=1 swift test --filter GrowdaSafetensorsTests
    python3 Tests/GrowdaSafetensorsTests/Fixtures/make_fixtures.py check

expected.json holds, per tensor: dtype, shape, the little-endian bytes as hex, and the values
(floats for float types, integers otherwise; booleans as 0/1). Growda encodes exactly these tensors.
"""

import json
import sys
from pathlib import Path

import numpy as np
import safetensors
from safetensors import TensorSpec, safe_open

HERE = Path(__file__).resolve().parent
PYTHON_WRITTEN = HERE / "python_written.safetensors"
GROWDA_WRITTEN = HERE / "growda_written.safetensors"
EXPECTED = HERE / "expected.json"

METADATA = {
    "format": "np",
    "model.version": "7",
    "note": 'ünïcödé ✓ "quoted" back\\slash tab\t newline\n bell\x07',
}

# Names in safetensors dtype spelling; numpy arrays hold the exact bytes.
NUMPY_DTYPE = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "U8": "u1", "BOOL": "?"}
PACKAGE_DTYPE = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "I64": "int64", "U8": "uint8", "BOOL": "bool",
}


def bfloat16_bits(values):
    """bfloat16 bits of values that are exact in bfloat16 (the upper half of their float32)."""
    bits = np.asarray(values, dtype="<f4").view("<u4")
    assert np.all(bits & 0xFFFF == 0), "value not exact in bfloat16"
    return (bits >> 16).astype("<u2")


def known_tensors():
    """name -> (dtype, shape, numpy array of the stored bytes, values for expected.json)."""
    specs = {
        "dense.weight": ("F32", [2, 3], [0.1, -0.2, 0.30000001, 1e-8, -3.4e38, 7.0]),
        "dense.bias": ("F32", [3], [0.0, -0.0, 1.5]),
        "scale": ("F32", [], [2.5]),
        "empty": ("F32", [2, 0], []),
        "half": ("F16", [5], [1.0, -0.5, 65504.0, 2.0**-24, 0.333251953125]),
        "bf16": ("BF16", [2, 2], [1.0, -2.0, 3.140625, 0.0078125]),
        "double": ("F64", [2], [0.1, -1e300]),
        "step": ("I64", [3], [-1, 0, 2**40 + 3]),
        "mask": ("U8", [5], [0, 1, 127, 128, 255]),
        "flags": ("BOOL", [3], [1, 0, 1]),
    }
    tensors = {}
    for name, (dtype, shape, values) in specs.items():
        if dtype == "BF16":
            array = bfloat16_bits(values).reshape(shape)
            stored = [float(v) for v in values]
        else:
            array = np.asarray(values, dtype=NUMPY_DTYPE[dtype]).reshape(shape)
            flat = array.reshape(-1)
            if dtype.startswith("F"):
                stored = [float(v) for v in flat]
            else:
                stored = [int(v) for v in flat]
        tensors[name] = (dtype, shape, np.ascontiguousarray(array), stored)
    return tensors


def package_specs(tensors):
    """TensorSpecs for safetensors.serialize; the arrays must outlive the call."""
    return {
        name: TensorSpec(
            dtype=PACKAGE_DTYPE[dtype], shape=shape, data_ptr=array.ctypes.data, data_len=array.nbytes)
        for name, (dtype, shape, array, _) in tensors.items()
    }


def read_header(data):
    length = int.from_bytes(data[:8], "little")
    return length, json.loads(data[8:8 + length])


def write():
    tensors = known_tensors()
    # serialize_file takes raw specs, so bfloat16 can be written without a bfloat16 numpy type.
    safetensors.serialize_file(package_specs(tensors), str(PYTHON_WRITTEN), METADATA)
    _, header = read_header(PYTHON_WRITTEN.read_bytes())
    expected = {
        "metadata": METADATA,
        "python_header_order": [name for name in header if name != "__metadata__"],
        "tensors": {
            name: {"dtype": dtype, "shape": shape, "hex": array.tobytes().hex(), "values": values}
            for name, (dtype, shape, array, values) in sorted(tensors.items())
        },
    }
    EXPECTED.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {PYTHON_WRITTEN.name} and {EXPECTED.name}")


def check():
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    data = GROWDA_WRITTEN.read_bytes()

    # 1. The package's own parser accepts Growda's file: names, dtypes, shapes and bytes.
    loaded = dict(safetensors.deserialize(data))
    assert sorted(loaded) == sorted(expected["tensors"]), sorted(loaded)
    for name, want in expected["tensors"].items():
        got = loaded[name]
        assert got["dtype"] == want["dtype"], (name, got["dtype"])
        assert list(got["shape"]) == want["shape"], (name, got["shape"])
        assert bytes(got["data"]).hex() == want["hex"], name

    # 2. Through the numpy front end: metadata and values (bfloat16 has no numpy type: skipped).
    with safe_open(str(GROWDA_WRITTEN), framework="numpy") as f:
        assert f.metadata() == expected["metadata"], f.metadata()
        for name, want in expected["tensors"].items():
            if want["dtype"] == "BF16":
                continue
            array = f.get_tensor(name)
            assert list(array.shape) == want["shape"], (name, array.shape)
            values = array.reshape(-1).tolist()
            assert [float(v) if want["dtype"].startswith("F") else int(v) for v in values] == want["values"], name

    # 3. The layout is the reference writer's: same order, offsets, padding and data bytes.
    tensors = known_tensors()
    reference = safetensors.serialize(package_specs(tensors), expected["metadata"])
    ours_length, ours = read_header(data)
    theirs_length, theirs = read_header(reference)
    assert ours_length % 8 == 0, ours_length
    assert ours.pop("__metadata__") == theirs.pop("__metadata__")
    assert list(ours.items()) == list(theirs.items()), (list(ours), list(theirs))
    assert data[8 + ours_length:] == reference[8 + theirs_length:]

    print(f"OK: {GROWDA_WRITTEN.name} loads in safetensors {safetensors.__version__} "
          f"({len(loaded)} tensors, {len(expected['metadata'])} metadata keys, layout identical to the reference)")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    if mode == "write":
        write()
    elif mode == "check":
        check()
    else:
        sys.exit(f"usage: {sys.argv[0]} [write|check]")
