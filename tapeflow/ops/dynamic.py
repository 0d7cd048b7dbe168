"""Ops whose result size depends on the values of their input: boolean_mask, where with one
argument, unique, unique_with_counts.

Eagerly they compute their sizes from the values and then use ordinary primitives (a gather
of the selected rows, so boolean_mask and unique carry gradients to the selected values).
A compiled function has one static shape per value, so inside `@tapeflow.function`, on a
value the trace cannot fix (one that derives from the function's arguments or variables),
they raise `DataDependentShapeError` naming the op; a constant input is fine.
"""

from __future__ import annotations

import collections
from typing import Callable

import numpy as np

from tapeflow.ops.core import (
    BOOL,
    InvalidArgumentError,
    OpTypeError,
    canonical_dtype,
    dtype_of,
    is_tracer,
    prod,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import where as select
from tapeflow.ops.ranges import constant_tensor
from tapeflow.ops.shape import _normalize_axis, gather, reshape


class DataDependentShapeError(InvalidArgumentError):
    """An op whose result size depends on values was called on a value that is only known
    when the compiled function runs."""


# Functions (installed by the function tracer, tapeflow/runtime/trace.py) that tell whether
# a tensor's value is only known at run time of the function being traced.
staging_probes: list[Callable] = []


def _refuse_if_staged(op: str, what: str, *xs) -> None:
    if any(probe(x) for x in xs if is_tracer(x) for probe in staging_probes):
        raise DataDependentShapeError(
            f"{op}: the size of its result depends on the values of {what}, which a compiled "
            "tapeflow.function does not know when it is traced; call it outside the "
            "function (eagerly), or keep the shape fixed (e.g. tf.where(mask, x, 0) instead "
            "of tf.boolean_mask)")


def _values(x) -> np.ndarray:
    return np.asarray(x.numpy() if is_tracer(x) else x)


def boolean_mask(tensor, mask, axis=None, name=None):
    """`tf.boolean_mask`: the entries of `tensor` where `mask` (shaped like axes
    [axis, axis + mask.ndim) of tensor) is true, those axes flattened into one."""
    (x,) = promote("boolean_mask", tensor)
    (m,) = promote("boolean_mask", mask)
    if dtype_of(m) != BOOL:
        raise OpTypeError(f"boolean_mask: mask must be bool, got {dtype_of(m).name}")
    shape, mshape = tuple(shape_of(x)), tuple(shape_of(m))
    k = len(mshape)
    if k == 0:
        raise InvalidArgumentError("boolean_mask: mask must have rank >= 1, got a scalar")
    axis = 0 if axis is None else _normalize_axis(axis, len(shape), "boolean_mask")
    if tuple(shape[axis:axis + k]) != mshape:
        raise InvalidArgumentError(
            f"boolean_mask: mask of shape {list(mshape)} does not match axes {axis}.."
            f"{axis + k - 1} of tensor of shape {list(shape)}")
    _refuse_if_staged("boolean_mask", "mask", m)
    rows = np.flatnonzero(_values(m)).astype(np.int64)
    flat = reshape(x, shape[:axis] + (prod(mshape),) + shape[axis + k:])
    return gather(flat, rows, axis=axis)


def where(condition, x=None, y=None, name=None):
    """`tf.where`: with x and y, x where condition holds and y elsewhere (broadcasting);
    with neither, the coordinates of the true elements (see `where_indices`)."""
    if x is None and y is None:
        return where_indices(condition)
    if x is None or y is None:
        raise InvalidArgumentError("where: pass both x and y, or neither")
    return select(condition, x, y)


def where_indices(condition):
    """`tf.where(condition)`: the int64 coordinates [n, rank] of the true (non-zero)
    elements, in row-major order."""
    (c,) = promote("where", condition)
    _refuse_if_staged("where", "condition (tf.where with one argument)", c)
    return constant_tensor(np.argwhere(_values(c)).astype(np.int64))


Unique = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def _unique(x, out_idx, op: str):
    (x,) = promote(op, x)
    if len(shape_of(x)) != 1:
        raise InvalidArgumentError(f"{op}: expects a 1-D tensor, got shape "
                                   f"{list(shape_of(x))}")
    out_dtype = canonical_dtype(out_idx)
    if out_dtype.kind not in "iu":
        raise OpTypeError(f"{op}: out_idx must be int32 or int64, got {out_dtype.name}")
    _refuse_if_staged(op, "x", x)
    values = _values(x)
    # numpy sorts the unique values; TensorFlow keeps the order of first appearance.
    _, first, inverse, counts = np.unique(values, return_index=True, return_inverse=True,
                                          return_counts=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    y = gather(x, first[order].astype(np.int64))
    idx = constant_tensor(rank[inverse.ravel()].astype(out_dtype))
    count = constant_tensor(counts[order].astype(out_dtype))
    return y, idx, count


def unique(x, out_idx=np.int32, name=None):
    """`tf.unique`: the distinct values of a 1-D `x` in order of first appearance, and for
    each element of x the position of its value in them."""
    y, idx, _ = _unique(x, out_idx, "unique")
    return Unique(y, idx)


def unique_with_counts(x, out_idx=np.int32, name=None):
    """`tf.unique_with_counts`: `unique`, and how often each distinct value occurs."""
    return UniqueWithCounts(*_unique(x, out_idx, "unique_with_counts"))
