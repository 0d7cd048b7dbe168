"""Rearranging elements along axes: pad (CONSTANT, REFLECT, SYMMETRIC), reverse, roll, split,
slice. All are composites of the shape primitives (strided_slice, pad_strided, concatenate),
whose VJPs are each other's: their gradients come from those parts, to any order.

Sizes, paddings and shifts are static: Python ints, or a tensor read once (under tracing a
read is a guard, as for any Python read of a value).
"""

from __future__ import annotations

import builtins

import numpy as np

from tapeflow.ops.core import (
    InvalidArgumentError,
    OpTypeError,
    bind,
    dtype_of,
    is_tracer,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import add, logical_and, logical_or, multiply
from tapeflow.ops.shape import (
    _as_tensorish,
    _normalize_axis,
    concat,
    pad_strided_p,
    strided_slice_p,
)


def static_ints(value, op: str, arg: str) -> list[int]:
    """An integer or a list/array/tensor of integers as a flat list of Python ints."""
    if is_tracer(value):
        if value.aval.dtype.kind not in "iu":
            raise OpTypeError(f"{op}: {arg} must be integers, got {value.aval}")
        value = value.numpy()
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and arr.size == 0):
        raise OpTypeError(f"{op}: {arg} must be integers, got {arr.dtype.name} {value!r:.60}")
    return [int(v) for v in arr.ravel()]


def _slice_axis(x, axis: int, start: int, stop: int, step: int = 1):
    """x[..., start:stop:step, ...] along `axis` (normalised range() bounds)."""
    shape = shape_of(x)
    slices = tuple((start, stop, step) if a == axis else (0, d, 1) for a, d in enumerate(shape))
    return bind(strided_slice_p, x, slices=slices)


# --------------------------------------------------------------------------------------------
# pad
# --------------------------------------------------------------------------------------------


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """`tf.pad`: `paddings[i] = [before, after]` elements added along axis i; CONSTANT fills
    with `constant_values`, REFLECT mirrors without the edge (before, after <= size - 1),
    SYMMETRIC mirrors with it (before, after <= size)."""
    x = _as_tensorish(tensor, "pad")
    shape = tuple(shape_of(x))
    flat = static_ints(paddings, "pad", "paddings")
    if len(flat) != 2 * len(shape):
        raise InvalidArgumentError(
            f"pad: paddings must have shape [{len(shape)}, 2] for a tensor of shape "
            f"{list(shape)}, got {np.shape(paddings.numpy() if is_tracer(paddings) else paddings)}")
    pairs = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(shape))]
    if any(b < 0 or a < 0 for b, a in pairs):
        raise InvalidArgumentError(f"pad: paddings must be >= 0, got {pairs}")
    mode = str(mode).upper()
    if mode == "CONSTANT":
        return _pad_constant(x, shape, pairs, constant_values)
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise InvalidArgumentError(
            f"pad: mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC', got {mode!r}")
    edge = 1 if mode == "REFLECT" else 0  # REFLECT leaves the edge element out of the mirror
    for axis, (before, after) in enumerate(pairs):
        d = shape[axis]
        if before > d - edge or after > d - edge:
            raise InvalidArgumentError(
                f"pad: {mode} paddings of axis {axis} must be <= {d - edge} for a tensor of "
                f"shape {list(shape)}, got {[before, after]}")
        parts = []
        if before:  # elements before-1+edge, ..., edge, in that order
            parts.append(_slice_axis(x, axis, before - 1 + edge, edge - 1, -1))
        parts.append(x)
        if after:  # elements d-1-edge, ..., d-after-edge
            parts.append(_slice_axis(x, axis, d - 1 - edge, d - 1 - edge - after, -1))
        x = concat(parts, axis) if len(parts) > 1 else x
    return x


def _pad_constant(x, shape, pairs, constant_values):
    slices = tuple((b, b + d, 1) for (b, _), d in zip(pairs, shape))
    out_shape = tuple(b + d + a for (b, a), d in zip(pairs, shape))
    if out_shape == shape and is_tracer(x):
        return x
    # x written into zeros (pad_strided, whose transpose is the slice back out), plus the
    # constant times a fixed mask of the padding.
    padded = bind(pad_strided_p, x, slices=slices, shape=out_shape)
    if not is_tracer(constant_values) and np.all(np.asarray(constant_values) == 0):
        return padded
    dt = dtype_of(x)
    if is_tracer(constant_values):
        if constant_values.aval.ndim or constant_values.aval.dtype != dt:
            raise OpTypeError(f"pad: constant_values must be a scalar of the tensor's dtype "
                              f"{dt.name}, got {constant_values.aval}")
        value = constant_values
    else:
        (value,) = promote("pad", np.asarray(constant_values))
        if np.ndim(value):
            raise InvalidArgumentError(f"pad: constant_values must be a scalar, got shape "
                                       f"{np.shape(value)}")
        value = np.asarray(value).astype(dt) if dt.kind != "b" else np.asarray(value, bool)
    mask = np.ones(out_shape, dtype=dt)
    mask[tuple(builtins.slice(b, b + d) for (b, _), d in zip(pairs, shape))] = 0
    if dt.kind == "b":
        return logical_or(padded, logical_and(mask, value))
    return add(padded, multiply(mask, value))


# --------------------------------------------------------------------------------------------
# reverse, roll
# --------------------------------------------------------------------------------------------


def reverse(tensor, axis, name=None):
    """`tf.reverse`: the order of elements along each axis in `axis` reversed."""
    x = _as_tensorish(tensor, "reverse")
    shape = tuple(shape_of(x))
    axes = [_normalize_axis(a, len(shape), "reverse") for a in static_ints(axis, "reverse",
                                                                            "axis")]
    if len(set(axes)) != len(axes):
        raise InvalidArgumentError(f"reverse: axis {axes} repeats an axis")
    if not axes:
        return x
    slices = tuple((d - 1, -1, -1) if a in axes else (0, d, 1) for a, d in enumerate(shape))
    return bind(strided_slice_p, x, slices=slices)


def roll(input, shift, axis, name=None):  # noqa: A002
    """`tf.roll`: elements shifted by `shift` along `axis` (both scalars or lists of the same
    length), wrapping around: out[(i + shift) % n] = x[i]."""
    x = _as_tensorish(input, "roll")
    shape = tuple(shape_of(x))
    shifts = static_ints(shift, "roll", "shift")
    axes = static_ints(axis, "roll", "axis")
    if len(shifts) != len(axes):
        raise InvalidArgumentError(f"roll: shift {shifts} and axis {axes} differ in length")
    total: dict[int, int] = {}
    for s, a in zip(shifts, axes):  # shifts of one axis add up, as TensorFlow's
        a = _normalize_axis(a, len(shape), "roll")
        total[a] = total.get(a, 0) + s
    for a, s in sorted(total.items()):
        d = shape[a]
        s = s % d if d else 0
        if s:
            x = concat([_slice_axis(x, a, d - s, d), _slice_axis(x, a, 0, d - s)], a)
    return x


# --------------------------------------------------------------------------------------------
# split, slice
# --------------------------------------------------------------------------------------------


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """`tf.split`: `value` cut along `axis` into `num_or_size_splits` equal parts (an int), or
    parts of the given sizes (a list; one size may be -1, the remainder)."""
    x = _as_tensorish(value, "split")
    shape = tuple(shape_of(x))
    if hasattr(axis, "numpy"):
        axis = axis.numpy()
    axis = _normalize_axis(int(axis), len(shape), "split")
    d = shape[axis]
    if np.ndim(num_or_size_splits.numpy() if is_tracer(num_or_size_splits)
               else num_or_size_splits) == 0:
        (n,) = static_ints(num_or_size_splits, "split", "num_or_size_splits")
        if n <= 0 or d % n:
            raise InvalidArgumentError(
                f"split: cannot split axis {axis} of size {d} (shape {list(shape)}) into {n} "
                "equal parts")
        sizes = [d // n] * n
    else:
        sizes = static_ints(num_or_size_splits, "split", "num_or_size_splits")
        unknown = [i for i, s in enumerate(sizes) if s == -1]
        if len(unknown) > 1 or any(s < -1 for s in sizes):
            raise InvalidArgumentError(f"split: sizes {sizes} may hold at most one -1 and no "
                                       "other negative size")
        if unknown:
            sizes[unknown[0]] = d - (sum(sizes) + 1)
        if sum(sizes) != d or any(s < 0 for s in sizes):
            raise InvalidArgumentError(
                f"split: sizes {sizes} do not add up to {d}, the size of axis {axis} of a "
                f"tensor of shape {list(shape)}")
    if num is not None and int(num) != len(sizes):
        raise InvalidArgumentError(f"split: num={num} but {len(sizes)} parts")
    parts, start = [], 0
    for s in sizes:
        parts.append(_slice_axis(x, axis, start, start + s))
        start += s
    return parts


def slice(input_, begin, size, name=None):  # noqa: A001 - TensorFlow's name
    """`tf.slice`: `size[i]` elements from `begin[i]` along each axis (-1: to the end)."""
    x = _as_tensorish(input_, "slice")
    shape = tuple(shape_of(x))
    begin = static_ints(begin, "slice", "begin")
    size = static_ints(size, "slice", "size")
    if len(begin) != len(shape) or len(size) != len(shape):
        raise InvalidArgumentError(
            f"slice: begin {begin} and size {size} must each have {len(shape)} entries for a "
            f"tensor of shape {list(shape)}")
    slices = []
    for a, (b, s, d) in enumerate(zip(begin, size, shape)):
        s = d - b if s == -1 else s
        if b < 0 or s < 0 or b + s > d:
            raise InvalidArgumentError(
                f"slice: begin {begin} and size {size} are out of bounds for shape "
                f"{list(shape)} (axis {a})")
        slices.append((b, b + s, 1))
    return bind(strided_slice_p, x, slices=tuple(slices))
