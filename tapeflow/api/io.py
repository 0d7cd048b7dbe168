"""`tf.io`, as far as text tensors reach: `decode_raw`."""

import numpy as np

from tapeflow.api.strings import _text
from tapeflow.ops.core import OpTypeError
from tapeflow.ops.core import canonical_dtype as _canonical_dtype
from tapeflow.tracer.tensor import make_constant as _make_constant


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """Each string's bytes reinterpreted as a vector of `out_type` (all strings of one
    length; a scalar gives a vector)."""
    dtype = _canonical_dtype(out_type)
    if dtype.kind not in "fiub":
        raise OpTypeError(f"io.decode_raw: out_type must be numeric, got {dtype.name}")
    arr = _text(input_bytes, "decode_raw", "input_bytes")
    dtype = dtype.newbyteorder("<" if little_endian else ">")
    rows = []
    for b in arr.reshape(-1):
        if fixed_length is not None:
            b = b[:fixed_length].ljust(fixed_length, b"\0")
        if len(b) % dtype.itemsize:
            raise ValueError(f"io.decode_raw: a string of {len(b)} bytes is not a whole "
                             f"number of {dtype.name} ({dtype.itemsize} bytes)")
        rows.append(np.frombuffer(b, dtype=dtype).astype(dtype.newbyteorder("=")))
    if len({r.size for r in rows}) > 1:
        raise ValueError("io.decode_raw: the strings have different lengths")
    out = np.stack(rows) if rows else np.zeros((0, 0), dtype)
    return _make_constant(out.reshape(arr.shape + out.shape[1:]).copy())
