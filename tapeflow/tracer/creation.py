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


# tf.range's dtype without `dtype=`: the widest of its arguments' (Python ints int32, Python
# floats float32, tensors their own), in TF's order.
_RANGE_DTYPES = [np.dtype(t) for t in (np.int32, np.int64, np.float16, np.float32, np.float64)]


def _range_dtype(values) -> np.dtype:
    widest = 0
    for v in values:
        if hasattr(v, "dtype"):
            dt = np.dtype(getattr(v.dtype, "as_numpy_dtype", v.dtype))
        else:
            dt = np.dtype(np.float32 if isinstance(v, float) else np.int32)
        if dt in _RANGE_DTYPES:
            widest = max(widest, _RANGE_DTYPES.index(dt))
    return _RANGE_DTYPES[widest]


def range(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:  # noqa: A001
    """`tf.range`: like Python's range; int32 for ints, float32 for floats, unless `dtype`
    (without it, the widest dtype of the arguments)."""
    if limit is None:
        start, limit = 0, start
    dt = canonical_dtype(dtype) if dtype is not None else _range_dtype((start, limit, delta))
    start, limit, delta = (np.asarray(v.numpy() if hasattr(v, "numpy") else v).astype(dt)[()]
                           for v in (start, limit, delta))
    if delta == 0:
        raise InvalidArgumentError("range: delta must not be 0")
    if (delta > 0 and start > limit) or (delta < 0 and start < limit):
        raise InvalidArgumentError(f"range: start {start} must not be past limit {limit} "
                                   f"in the direction of delta {delta}")
    if dt.kind != "f":
        return make_constant(np.arange(start, limit, delta, dtype=dt))
    # As TF's kernel: the size is ceil(|limit - start| / |delta|) and value i is
    # start + i * delta, both computed in the dtype (float32 rounding, not float64's).
    size = int(np.ceil(np.abs((limit - start) / delta)))
    return make_constant(np.arange(size).astype(dt) * delta + start)


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
