"""Array manipulation users know from TensorFlow, built from the shape primitives:
expand_dims, squeeze, stack, unstack, tile, shape, and `x[key]` indexing; and `dim`, the
primitive that turns a symbolic size into a value."""

from __future__ import annotations

import operator

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    InvalidArgumentError,
    LoopKernel,
    Primitive,
    ShapedArray,
    bind,
    canonical_dtype,
    is_tracer,
    nondifferentiable,
    promote,
    shape_of,
)
from tapeflow.ops.dims import Dim, hint_of, is_symbolic
from tapeflow.ops.shape import (
    IndexOutOfRangeError,
    _as_tensorish,
    _normalize_axis,
    _remember_sizes,
    _sizes,
    _slice_len,
    broadcast_to,
    broadcast_to_p,
    concat,
    gather,
    reshape,
    strided_slice_p,
)


def expand_dims(input, axis, name=None):  # noqa: A002
    shape = list(shape_of(input))
    axis = operator.index(axis)
    if not -len(shape) - 1 <= axis <= len(shape):
        raise InvalidArgumentError(f"expand_dims: axis {axis} is out of range for rank "
                                   f"{len(shape)}")
    shape.insert(axis if axis >= 0 else len(shape) + 1 + axis, 1)
    return reshape(input, shape)


def squeeze(input, axis=None, name=None):  # noqa: A002
    shape = shape_of(input)
    if axis is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    else:
        axes = [_normalize_axis(a, len(shape), "squeeze")
                for a in (axis if isinstance(axis, list | tuple) else [axis])]
        for a in axes:
            if shape[a] != 1:
                raise InvalidArgumentError(
                    f"squeeze: cannot squeeze axis {a} of shape {list(shape)}: its size is "
                    f"{shape[a]}, not 1"
                )
    return reshape(input, [d for i, d in enumerate(shape) if i not in axes])


def stack(values, axis=0, name=None):
    """`tf.stack`: join tensors of one shape along a new axis."""
    values = list(promote("stack", *values))
    if not values:
        raise InvalidArgumentError("stack: needs at least one tensor")
    shapes = [shape_of(v) for v in values]
    if any(s != shapes[0] for s in shapes):
        raise InvalidArgumentError(f"stack: shapes differ: {[list(s) for s in shapes]}")
    ndim = len(shapes[0]) + 1
    axis = _normalize_axis(axis, ndim, "stack")
    return concat([expand_dims(v, axis) for v in values], axis)


def unstack(value, num=None, axis=0, name=None):
    """`tf.unstack`: the slices of `value` along `axis`, as a list."""
    shape = shape_of(value)
    axis = _normalize_axis(axis, len(shape), "unstack")
    index = [slice(None)] * len(shape)
    out = []
    for i in range(shape[axis]):
        index[axis] = i
        out.append(getitem(value, tuple(index)))
    return out


def tile(input, multiples, name=None):  # noqa: A002
    """`tf.tile`: repeat `input` `multiples[i]` times along axis i."""
    shape = shape_of(input)
    multiples = list(_sizes(multiples))
    if len(multiples) != len(shape):
        raise InvalidArgumentError(
            f"tile: {len(multiples)} multiples for a tensor of rank {len(shape)}"
        )
    # (d0, d1) tiled (m0, m1) = broadcast (1, d0, 1, d1) -> (m0, d0, m1, d1), then merge.
    interleaved = [v for d in shape for v in (1, d)]
    target = [v for m, d in zip(multiples, shape) for v in (m, d)]
    out = broadcast_to(reshape(input, interleaved), target)
    return reshape(out, [m * d for m, d in zip(multiples, shape)])


dim_p = Primitive("dim", doc="a size of the call as a scalar of `dtype`: `value` is an "
                  "expression over the symbolic sizes of an input_signature with None")


@dim_p.def_abstract_eval
def _dim_rule(*, value, dtype) -> ShapedArray:
    return ShapedArray((), dtype)


dim_p.def_impl(lambda *, value, dtype: np.array(value, dtype=dtype))
dim_p.def_vjp(nondifferentiable(0))


@dim_p.def_lowering
@LoopKernel
def _dim_lowering(out, ins, avals, *, value, dtype):
    # Sizes are static in a specialised graph (constant folding usually got here first).
    return [f"{out} = {lw.empty((), lw.dtype_expr(dtype))}",
            f"{out}[()] = {int(value)}"]


def size_value(d, dtype):
    """A size (an int, or a symbolic `Dim` while tracing for any size) as a scalar value:
    a constant, or a `dim` equation that each specialisation evaluates for its sizes."""
    dtype = canonical_dtype(dtype)
    if isinstance(d, Dim):
        return bind(dim_p, value=d, dtype=dtype)
    return np.array(d, dtype=dtype)


def shape(input, out_type=None, name=None):  # noqa: A002
    """`tf.shape`: the shape as an int32 tensor (computed per call for None sizes)."""
    dt = canonical_dtype(out_type) if out_type is not None else np.dtype(np.int32)
    sizes = shape_of(input)
    if is_symbolic(sizes):
        out = stack([size_value(d, dt) for d in sizes])
        _remember_sizes(out, sizes)
        return out
    return bind(broadcast_to_p, np.array(sizes, dtype=dt), shape=(len(sizes),))


def getitem(x, key):
    """`x[key]` with ints, slices (any step), `...`, `None`, and one integer-array index."""
    shape = shape_of(x)
    key = key if isinstance(key, tuple) else (key,)
    n_ellipsis = sum(k is Ellipsis for k in key)
    if n_ellipsis > 1:
        raise InvalidArgumentError("index: an index can only have a single ellipsis ('...')")
    used = sum(k is not None and k is not Ellipsis for k in key)
    if used > len(shape):
        raise IndexOutOfRangeError(
            f"index: too many indices ({used}) for a tensor of rank {len(shape)}"
        )
    if n_ellipsis:
        i = next(j for j, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - used) + key[i + 1:]
    else:
        key = key + (slice(None),) * (len(shape) - used)

    # `gathers`: (position in out_shape, index) of the indices applied after the slicing:
    # one integer-array index, and each scalar index whose value is the trace's (`x[i]`
    # with i a loop counter or an argument), which, as in TensorFlow, is data and not a
    # value to specialise on: a gather (its indices are checked), not a guard per value.
    slices, out_shape, gathers, arrays = [], [], [], 0
    axis = 0
    for k in key:
        if k is None:
            out_shape.append(1)
            continue
        dim = shape[axis]
        if isinstance(k, slice):
            start, stop, step = _slice_indices(k, dim)
            slices.append((start, stop, step))
            out_shape.append(_slice_len(start, stop, step))
        elif _is_int_index(k) and _is_traced(k):
            slices.append((0, dim, 1))
            gathers.append((len(out_shape), _wrapped(k, dim)))
            out_shape.append(dim)
        elif _is_int_index(k):
            i = operator.index(k)
            if not -dim <= i < dim:
                raise IndexOutOfRangeError(
                    f"index {i} is out of bounds for axis {axis} with size {hint_of(dim)}"
                )
            if i < 0:
                i += dim
            slices.append((i, i + 1, 1))
        else:
            if arrays:
                raise InvalidArgumentError("index: only one integer-array index is supported")
            arrays += 1
            slices.append((0, dim, 1))
            gathers.append((len(out_shape), k))
            out_shape.append(dim)
        axis += 1

    x = _as_tensorish(x, "index")
    if any(s != (0, d, 1) for s, d in zip(slices, shape)):
        x = bind(strided_slice_p, x, slices=tuple(slices))
    x = reshape(x, out_shape)
    # Last position first: a gather changes only the axes from its own position on.
    for position, index in reversed(gathers):
        x = gather(x, index, axis=position)
    return x


def _is_traced(k) -> bool:
    from tapeflow.tracer.tensor import is_traced_value

    return is_tracer(k) and is_traced_value(k)


def _wrapped(index, dim):
    """A traced scalar index with Python's negative indices: `index + dim` where negative
    (TensorFlow's strided_slice counts from the end as Python does)."""
    from tapeflow.ops.elementwise import add, less, where

    size = size_value(dim, index.aval.dtype)
    return where(less(index, np.zeros((), index.aval.dtype)), add(index, size), index)


def _slice_indices(k: slice, dim) -> tuple:
    """`k.indices(dim)` (Python's clamping rules), also for a symbolic size: the clamps
    compare with the size, which records what the trace assumed (x[1:] assumes len >= 1)."""
    if not isinstance(dim, Dim):
        return k.indices(dim)
    step = 1 if k.step is None else operator.index(k.step)
    if step == 0:
        raise InvalidArgumentError("index: slice step cannot be zero")
    # Bounds as range() wants them: [0, dim] going forward, [-1, dim - 1] going backward.
    low, high = (0, dim) if step > 0 else (-1, dim - 1)

    def clamp(bound, default):
        if bound is None:
            return default
        bound = operator.index(bound)
        if bound < 0:
            return max(bound + dim, low)
        return min(bound, high)

    start = clamp(k.start, low if step > 0 else high)
    stop = clamp(k.stop, high if step > 0 else low)
    return start, stop, step


def _is_int_index(k) -> bool:
    if isinstance(k, bool):
        return False
    if isinstance(k, int | np.integer):
        return True
    return is_tracer(k) and k.aval.ndim == 0 and k.aval.dtype.kind in "iu"


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """`tf.strided_slice`: the index `x[key]` spelled as begin/end/strides vectors and bit
    masks; bit i of a mask applies to entry i (begin/end ignored, `...`, a new axis, or an
    integer index that removes the axis)."""
    def ints(v, what):
        v = v.numpy() if hasattr(v, "numpy") else v
        return [operator.index(i) for i in np.ravel(np.asarray(v))] if v is not None else None

    begin, end = ints(begin, "begin"), ints(end, "end")
    strides = ints(strides, "strides") or [1] * len(begin)
    if not len(begin) == len(end) == len(strides):
        raise InvalidArgumentError(
            f"strided_slice: begin, end and strides must have the same length, got "
            f"{len(begin)}, {len(end)} and {len(strides)}")
    key = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(b)
        else:
            key.append(slice(None if begin_mask & bit else b, None if end_mask & bit else e,
                             s))
    return getitem(input_, tuple(key))
