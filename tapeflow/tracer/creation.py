"""Tensor creation: zeros, ones, range; and the numpy generator that layers draw their initial
weights from (tf.random.set_seed reseeds it; tf.random's ops are in tracer/random.py)."""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, canonical_dtype, dtype_name
from tapeflow.tracer.tensor import Tensor, make_constant


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer):
        return (int(shape),)
    dims = tuple(int(d) for d in np.ravel(shape.numpy() if hasattr(shape, "numpy") else shape))
    if any(d < 0 for d in dims):
        raise InvalidArgumentError(f"shape {list(dims)} has a negative dimension")
    return dims


def zeros(shape, dtype=np.float32, name=None) -> Tensor:
    return make_constant(np.zeros(_shape(shape), dtype=canonical_dtype(dtype)))


def ones(shape, dtype=np.float32, name=None) -> Tensor:
    return make_constant(np.ones(_shape(shape), dtype=canonical_dtype(dtype)))


# tf.range's inferred dtype: the latest of its arguments' dtypes in this order (a Python int
# counts as int32, a float as float32; a tensor brings its own dtype).
# (By name: naming bfloat16's dtype here would import ml_dtypes with tapeflow.)
_RANGE_DTYPES = ["int32", "int64", "float16", "bfloat16", "float32", "float64"]


def _range_dtype(values) -> np.dtype:
    found = []
    for v in values:
        if hasattr(v, "_tapeflow_tensor"):
            found.append(v.aval.dtype)
        elif isinstance(v, np.ndarray | np.generic):
            found.append(v.dtype)
        else:
            found.append(np.dtype(np.float32 if isinstance(v, float) else np.int32))
    known = [d for d in found if dtype_name(d) in _RANGE_DTYPES]
    if not known:
        return np.dtype(np.int32)
    return max(known, key=lambda d: _RANGE_DTYPES.index(dtype_name(d)))


def range(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:  # noqa: A001
    """`tf.range`: like Python's range; unless `dtype` is given, of the widest of the
    arguments' dtypes (int32 < int64 < float16 < bfloat16 < float32 < float64: Python ints
    are int32, floats float32, an int64 tensor limit gives int64)."""
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        dtype = _range_dtype((start, limit, delta))
    # Tensor arguments as their values (numpy's arange would do arithmetic on the tensors).
    start, limit, delta = (v.numpy() if hasattr(v, "_tapeflow_tensor") else v
                           for v in (start, limit, delta))
    if delta == 0:
        raise InvalidArgumentError("range: delta must not be 0")
    return make_constant(np.arange(start, limit, delta).astype(canonical_dtype(dtype)))


class _Random:
    """Global random state; `set_seed` makes later draws reproducible. The unseeded
    generator is made on first use: importing numpy.random is ~10 ms of `import tapeflow`,
    which a process that draws nothing need not pay."""

    def __init__(self):
        self._generator = None

    @property
    def generator(self):
        if self._generator is None:
            self._generator = np.random.default_rng()
        return self._generator

    def set_seed(self, seed) -> None:
        self._generator = np.random.default_rng(seed)


_state = _Random()
