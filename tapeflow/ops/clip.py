"""Gradient clipping by norm: `tf.clip_by_norm` and `tf.clip_by_global_norm`, composites of
primitives (so they trace, compile and differentiate like any other ops)."""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, dtype_of, promote
from tapeflow.ops.elementwise import (
    add,
    cast,
    divide,
    greater,
    maximum,
    minimum,
    multiply,
    sqrt,
    subtract,
    where,
)
from tapeflow.ops.reductions import reduce_sum
from tapeflow.ops.shape import ones_like


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t * clip_norm / max(||t||, clip_norm): `t` scaled down to L2 norm `clip_norm` (over
    `axes`, all of them by default) when its norm is larger, unchanged otherwise."""
    (x,) = promote("clip_by_norm", t)
    if dtype_of(x).kind != "f":
        raise InvalidArgumentError(f"clip_by_norm: t must be a float tensor, got "
                                   f"{dtype_of(x).name}")
    x, c = promote("clip_by_norm", x, clip_norm)
    squares = reduce_sum(multiply(x, x), axes, keepdims=True)
    # sqrt'(0) is infinite: take the root of 1 where the sum is 0, so an all-zero `t` gets a
    # zero gradient instead of nan (its norm is 0 either way).
    positive = greater(squares, 0)
    norm = where(positive, sqrt(where(positive, squares, ones_like(squares))), squares)
    return divide(multiply(x, c), maximum(norm, c))


def global_norm(t_list, name=None):
    """sqrt(sum of squares of every element of every tensor in `t_list`); None entries are
    skipped. The result has the first tensor's dtype (float32 0.0 when every entry is None,
    as TF)."""
    if isinstance(t_list, str) or not isinstance(t_list, list | tuple):
        raise TypeError(f"global_norm: t_list must be a sequence of tensors, got "
                        f"{type(t_list).__name__}")
    tensors = [promote("global_norm", t)[0] for t in t_list if t is not None]
    if not tensors:
        return sqrt(np.zeros((), np.float32))
    dtype = dtype_of(tensors[0])
    total = None
    for t in tensors:
        s = cast(reduce_sum(multiply(t, t)), dtype)
        total = s if total is None else add(total, s)
    return sqrt(total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """(tensors scaled by clip_norm / max(global_norm, clip_norm), global_norm), as TF: each
    tensor is multiplied by one common factor, so their directions and ratios are kept. None
    entries stay None; a non-finite global norm makes every result nan."""
    if isinstance(t_list, str) or not isinstance(t_list, list | tuple):
        raise TypeError(f"clip_by_global_norm: t_list must be a list or tuple of tensors, got "
                        f"{type(t_list).__name__}")
    norm = global_norm(t_list) if use_norm is None else promote("clip_by_global_norm",
                                                                  use_norm)[0]
    norm, c = promote("clip_by_global_norm", norm, clip_norm)
    # min(clip_norm / norm, 1) (1 for a zero norm); adding norm - norm turns an inf norm into nan.
    scale = minimum(divide(c, norm), 1.0)
    scale = add(scale, subtract(norm, norm))
    clipped = []
    for t in t_list:
        if t is None:
            clipped.append(None)
            continue
        (x,) = promote("clip_by_global_norm", t)
        clipped.append(multiply(x, cast(scale, dtype_of(x))))
    return clipped, norm


__all__ = ["clip_by_global_norm", "clip_by_norm", "global_norm"]
