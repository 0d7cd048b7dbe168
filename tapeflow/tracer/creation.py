"""Tensor creation: zeros, ones, range, and the random namespace (numpy's generator)."""

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
    """Global random state; `set_seed` makes later draws reproducible."""

    def __init__(self):
        self.generator = np.random.default_rng()

    def set_seed(self, seed) -> None:
        self.generator = np.random.default_rng(seed)


_state = _Random()


def set_seed(seed) -> None:
    _state.set_seed(seed)


def _generator(seed):
    return np.random.default_rng(seed) if seed is not None else _state.generator


def normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None) -> Tensor:
    dt = canonical_dtype(dtype)
    if dt.kind != "f":
        raise InvalidArgumentError(f"random.normal: dtype must be float, got {dt.name}")
    values = _generator(seed).normal(mean, stddev, size=_shape(shape))
    return make_constant(np.asarray(values, dtype=dt))


def uniform(shape, minval=0, maxval=None, dtype=np.float32, seed=None, name=None) -> Tensor:
    dt = canonical_dtype(dtype)
    size = _shape(shape)
    if dt.kind in "iu":
        if maxval is None:
            raise InvalidArgumentError("random.uniform: integer dtypes need maxval")
        values = _generator(seed).integers(minval, maxval, size=size)
    else:
        values = _generator(seed).uniform(minval, 1.0 if maxval is None else maxval, size=size)
    return make_constant(np.asarray(values, dtype=dt))
