"""Evenly spaced values, identity matrices, one-hot encodings and coordinate grids:
linspace, eye, one_hot, meshgrid. All are composites of primitives (their gradients, where
they have one, come from their parts); the sizes they take are static (Python ints, or a
tensor read once, which under tracing records a guard like any Python read of a value).
"""

from __future__ import annotations

import operator

import numpy as np

from tapeflow.ops.array import expand_dims
from tapeflow.ops.core import (
    InvalidArgumentError,
    OpTypeError,
    ShapedArray,
    bind,
    canonical_dtype,
    dtype_of,
    is_tracer,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import (
    add,
    broadcast_shapes,
    cast,
    divide,
    equal,
    multiply,
    subtract,
    where,
)
from tapeflow.ops.shape import (
    _normalize_axis,
    broadcast_to,
    broadcast_to_p,
    concat,
    reshape,
    strided_slice_p,
)


def static_int(value, op: str, arg: str) -> int:
    """A size argument as a Python int: an int, a 0-d integer array, or a 0-d integer tensor
    (whose value is read: under tracing that read is a guard, as for any Python read)."""
    if is_tracer(value):
        if value.aval.ndim != 0 or value.aval.dtype.kind not in "iu":
            raise OpTypeError(f"{op}: {arg} must be a scalar integer, got a tensor {value.aval}")
        return int(value.numpy())
    try:
        return operator.index(value)
    except TypeError:
        raise OpTypeError(
            f"{op}: {arg} must be an integer, got {type(value).__name__} {value!r:.40}"
        ) from None


def constant_tensor(array: np.ndarray):
    """A numpy array as a tensor (a constant of the graph when tracing)."""
    return bind(broadcast_to_p, array, shape=array.shape)


def linspace(start, stop, num, name=None, axis=0):
    """`tf.linspace`: `num` evenly spaced values from `start` to `stop` (both included) along
    a new `axis`; `start` and `stop` may be tensors (they broadcast), integers give float64.

    As TensorFlow computes it: start + k * (stop - start) / (num - 1) for the inner values,
    with the end points exactly `start` and `stop`.
    """
    start, stop = promote("linspace", start, stop)
    dt = dtype_of(start)
    if dt.kind in "iu":
        start, stop = cast(start, np.float64), cast(stop, np.float64)
        dt = np.dtype(np.float64)
    elif dt.kind != "f":
        raise OpTypeError(f"linspace: start and stop must be numbers, got {dt.name}")
    num = static_int(num, "linspace", "num")
    if num < 0:
        raise InvalidArgumentError(f"linspace: num must be >= 0, got {num}")
    shape = broadcast_shapes("linspace", ShapedArray(tuple(shape_of(start)), dt),
                             ShapedArray(tuple(shape_of(stop)), dt))
    ndim = len(shape) + 1
    axis = _normalize_axis(axis, ndim, "linspace")
    first = expand_dims(broadcast_to(start, shape), axis)
    last = expand_dims(broadcast_to(stop, shape), axis)
    n_steps = max(num - 1, 1)
    parts = [first]
    if n_steps > 1:
        delta = divide(subtract(last, first), n_steps)
        steps_shape = [1] * ndim
        steps_shape[axis] = n_steps - 1
        steps = np.arange(1, n_steps, dtype=dt).reshape(steps_shape)
        parts.append(add(first, multiply(delta, steps)))
    parts.append(last)
    out = concat(parts, axis)
    if num < 2:  # 1: just start; 0: empty
        slices = tuple((0, num if i == axis else d, 1) for i, d in enumerate(shape_of(out)))
        out = bind(strided_slice_p, out, slices=slices)
    return out


def eye(num_rows, num_columns=None, batch_shape=None, dtype=np.float32, name=None):
    """`tf.eye`: ones on the diagonal of a [num_rows, num_columns] matrix, batched over
    `batch_shape`."""
    rows = static_int(num_rows, "eye", "num_rows")
    cols = rows if num_columns is None else static_int(num_columns, "eye", "num_columns")
    if rows < 0 or cols < 0:
        raise InvalidArgumentError(f"eye: sizes must be >= 0, got {rows} x {cols}")
    batch = () if batch_shape is None else tuple(
        static_int(d, "eye", "batch_shape") for d in np.ravel(
            batch_shape.numpy() if is_tracer(batch_shape) else batch_shape))
    matrix = np.eye(rows, cols, dtype=canonical_dtype(dtype))
    return bind(broadcast_to_p, matrix, shape=batch + (rows, cols))


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """`tf.one_hot`: a new axis of size `depth` holding `on_value` at each index and
    `off_value` elsewhere (an index outside [0, depth), such as -1, gives a row of
    `off_value`)."""
    (indices,) = promote("one_hot", indices)
    if dtype_of(indices).kind not in "iu":
        raise OpTypeError(f"one_hot: indices must be integers, got {dtype_of(indices).name} "
                          f"{list(shape_of(indices))}")
    depth = static_int(depth, "one_hot", "depth")
    if depth < 0:
        raise InvalidArgumentError(f"one_hot: depth must be >= 0, got {depth}")
    if dtype is not None:
        dt = canonical_dtype(dtype)
    elif on_value is not None:
        dt = dtype_of(on_value) if is_tracer(on_value) else promote("one_hot", on_value)[0].dtype
    elif off_value is not None:
        dt = dtype_of(off_value) if is_tracer(off_value) else promote("one_hot",
                                                                      off_value)[0].dtype
    else:
        dt = np.dtype(np.float32)
    on = _value_of(1 if on_value is None else on_value, dt, "on_value")
    off = _value_of(0 if off_value is None else off_value, dt, "off_value")
    ndim = len(shape_of(indices)) + 1
    axis = ndim - 1 if axis is None or axis == -1 else _normalize_axis(axis, ndim, "one_hot")
    classes_shape = [1] * ndim
    classes_shape[axis] = depth
    classes = np.arange(depth, dtype=dtype_of(indices)).reshape(classes_shape)
    hit = equal(expand_dims(indices, axis), classes)
    return where(hit, on, off)


def _value_of(value, dt: np.dtype, arg: str):
    if is_tracer(value):
        if value.aval.dtype != dt:
            raise OpTypeError(f"one_hot: {arg} is {value.aval}, but the result is {dt.name}")
        if value.aval.ndim:
            raise InvalidArgumentError(f"one_hot: {arg} must be a scalar, got {value.aval}")
        return value
    arr = np.asarray(value)
    if arr.ndim:
        raise InvalidArgumentError(f"one_hot: {arg} must be a scalar, got shape {arr.shape}")
    if arr.dtype.kind == "f" and dt.kind in "iub" and arr != np.round(arr):
        raise OpTypeError(f"one_hot: {arg}={value!r} does not fit dtype {dt.name}")
    return arr.astype(dt)


def meshgrid(*args, indexing="xy", name=None):
    """`tf.meshgrid`: coordinate arrays from 1-D coordinate vectors; 'xy' (Cartesian)
    indexing swaps the first two output axes, 'ij' (matrix) indexing does not."""
    if indexing not in ("xy", "ij"):
        raise InvalidArgumentError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    vectors = [promote("meshgrid", a)[0] for a in args]
    vectors = [reshape(v, [-1]) for v in vectors]
    if len({dtype_of(v) for v in vectors}) > 1:
        raise OpTypeError("meshgrid: inputs have different dtypes: "
                          + ", ".join(dtype_of(v).name for v in vectors))
    sizes = [shape_of(v)[0] for v in vectors]
    n = len(vectors)
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, v in enumerate(vectors):
        at = i
        if indexing == "xy" and n >= 2 and i < 2:
            at = 1 - i
        shape = [1] * n
        shape[at] = -1
        out.append(broadcast_to(reshape(v, shape), sizes))
    return out
