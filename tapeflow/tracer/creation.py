"""Tensor creation: zeros, ones, range; and the numpy generator that layers draw their initial
weights from (tf.random.set_seed reseeds it; tf.random's ops are in tracer/random.py)."""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, canonical_dtype
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


def range(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:  # noqa: A001
    """`tf.range`: like Python's range; int32 for ints, float32 for floats, unless `dtype`."""
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, limit, delta))
        dtype = np.float32 if floats else np.int32
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
