"""Segment reductions: tf.math.segment_* (sorted ids) and unsorted_segment_* (num_segments
given); bincount and confusion_matrix, which are segment sums.

Rows of `data` whose segment id is i are reduced into row i of the result. Sums are
ops/shape.py's `scatter_add` (its VJP is a gather), max and min ops/scatter.py's
`scatter_extremum` into rows holding the dtype's lowest (highest) value, whose VJP shares
the gradient among ties as TF does; products are `scatter_mul`, declared here, with TF's
gradient (exact at zeros).

unsorted_segment_*: a negative id drops its row, as TF; an id >= num_segments raises
InvalidArgumentError (checked in the kernel by `check_range`, so a traced function records no
guard). An empty segment holds the identity of the reduction: 0, 1, the dtype's lowest
(max) or highest (min). Each id is routed to row `num_segments` when negative, and that
extra row is sliced off.

segment_* (sorted ids): the result has ids[-1] + 1 rows, so its size depends on the ids'
values: they are read (eagerly; inside a compiled function, constant ids only), checked to
be a non-decreasing vector of non-negative ints, and an empty segment holds 0 (1 for
prod), as TF's sorted kernels.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.checks import check_range
from tapeflow.ops.core import (
    BOOL,
    InvalidArgumentError,
    LoopKernel,
    OpTypeError,
    Primitive,
    ShapedArray,
    bind,
    dtype_name,
    dtype_of,
    is_tracer,
    per_input,
    promote,
    shape_of,
)
from tapeflow.ops.dynamic import _refuse_if_staged, _values
from tapeflow.ops.elementwise import (
    cast,
    divide,
    equal,
    greater,
    less,
    maximum,
    multiply,
    sqrt,
    where,
)
from tapeflow.ops.layout import slice as slice_
from tapeflow.ops.mathops import truncatediv
from tapeflow.ops.shape import (
    check_in_range,
    gather_p,
    ones_like,
    raise_out_of_range,
    reshape,
    scatter_add_p,
    zeros_like,
)
from tapeflow.ops.scatter import scatter_extremum_p

# --------------------------------------------------------------------------------------------
# scatter_mul: ones with `size` rows, each row multiplied by the updates routed to it
# --------------------------------------------------------------------------------------------

scatter_mul_p = Primitive("scatter_mul", doc="ones with `size` rows (axis 0), each the product "
                                             "of the updates at its indices")


@scatter_mul_p.def_abstract_eval
def _scatter_mul_rule(u: ShapedArray, idx: ShapedArray, *, size: int) -> ShapedArray:
    if idx.dtype.kind not in "iu":
        raise OpTypeError(f"unsorted_segment_prod: segment ids must be integers, got {idx}")
    if u.shape[:idx.ndim] != idx.shape:
        raise InvalidArgumentError(f"unsorted_segment_prod: data {u} does not start with the "
                                   f"shape of segment ids {idx}")
    return ShapedArray((size,) + u.shape[idx.ndim:], u.dtype)


def _scatter_mul(u, idx, *, size):
    check_in_range(idx, 0, size, "scatter_mul", "indices")
    out = np.ones((size,) + u.shape[idx.ndim:], dtype=u.dtype)
    np.multiply.at(out, idx.ravel(), u.reshape((idx.size,) + u.shape[idx.ndim:]))
    return out


scatter_mul_p.def_impl(_scatter_mul)


def _scatter_mul_vjp(g, out, u, idx, *, size):
    # TensorFlow's UnsortedSegmentProd gradient: d out_s / d u_i is the product of the
    # segment's other entries: out_s / u_i where u_i != 0; where u_i is the segment's only
    # zero, the product of its non-zero entries; with two zeros or more, 0.
    is_zero = equal(u, zeros_like(u))
    zeros_per_row = bind(scatter_add_p, cast(is_zero, u.aval.dtype), idx, axis=0, size=size)
    g = where(greater(zeros_per_row, 1), zeros_like(g), g)
    nonzero_prod = bind(scatter_mul_p, where(is_zero, ones_like(u), u), idx, size=size)
    safe_u = where(is_zero, ones_like(u), u)
    partial = where(is_zero, bind(gather_p, nonzero_prod, idx, axis=0),
                    divide(bind(gather_p, out, idx, axis=0), safe_u))
    return multiply(bind(gather_p, g, idx, axis=0), partial)


scatter_mul_p.def_vjp(per_input(_scatter_mul_vjp, None))


@scatter_mul_p.def_lowering
@LoopKernel
def _scatter_mul_lowering(out, ins, avals, *, size):
    u, idx = ins
    out_aval, u_aval, idx_aval = avals
    names = lw.loop_vars(idx_aval.ndim, "n")
    rest = lw.loop_vars(out_aval.ndim - 1, "r")
    dt = lw.dtype_expr(out_aval.dtype)
    target = f"{out}[{lw.index(['_j'] + rest)}]"
    inner = lw.loop_nest(out_aval.shape[1:], [
        f"{target} = {dt}({target} * {u}[{lw.index(names + rest)}])"], "r")
    body = [f"_j = {idx}[{lw.index(names)}]",
            f"if _j < 0 or _j >= {size}:",
            "    " + raise_out_of_range("scatter_mul", "indices", 0, size, "_j", names)] + inner
    fill = lw.loop_nest(out_aval.shape, [f"{out}[{lw.index(lw.loop_vars(out_aval.ndim))}] = 1"])
    return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + fill + \
        lw.loop_nest(idx_aval.shape, body, "n")


# --------------------------------------------------------------------------------------------
# unsorted_segment_*
# --------------------------------------------------------------------------------------------


def _data(data, op: str):
    (data,) = promote(op, data)
    dt = dtype_of(data)
    if dt == BOOL:
        raise OpTypeError(f"{op}: data must be numbers, got bool {list(shape_of(data))}")
    return data


def _ids(segment_ids, op: str):
    (ids,) = (segment_ids,) if is_tracer(segment_ids) else (np.asarray(segment_ids),)
    dt = dtype_of(ids)
    if dt.kind not in "iu":
        raise OpTypeError(f"{op}: segment_ids must be int32 or int64, got {dtype_name(dt)} "
                          f"{list(shape_of(ids))}")
    if not is_tracer(ids):
        ids = ids.astype(np.int64 if dt == np.int64 else np.int32)
    return ids


def _num_segments(num_segments, op: str) -> int:
    _refuse_if_staged(op, "num_segments", num_segments)
    num = int(_values(num_segments))
    if num < 0:
        raise InvalidArgumentError(f"{op}: num_segments == {num} must not be negative")
    return num


def _routed(data, segment_ids, num_segments, op: str):
    """(data, ids, num): ids checked (< num_segments) and the negative ones routed to the
    extra row num; data's leading axes must be ids' shape."""
    data, ids = _data(data, op), _ids(segment_ids, op)
    num = _num_segments(num_segments, op)
    dshape, ishape = tuple(shape_of(data)), tuple(shape_of(ids))
    if dshape[:len(ishape)] != ishape:
        raise InvalidArgumentError(f"{op}: data.shape = {list(dshape)} does not start with "
                                   f"segment_ids.shape = {list(ishape)}")
    negative = less(ids, zeros_like(ids))
    checked = check_range(where(negative, zeros_like(ids), ids), 0, num, op=op,
                          what="segment_ids")
    return data, where(negative, full_ids(ids, num), checked), num


def full_ids(ids, value):
    return zeros_like(ids) + np.asarray(value, dtype=dtype_of(ids))


def _first_rows(x, num: int):
    shape = tuple(shape_of(x))
    return slice_(x, [0] * len(shape), [num] + list(shape[1:]))


def _segment_sum(data, ids, num):
    return _first_rows(bind(scatter_add_p, data, ids, axis=0, size=num + 1), num)


def _segment_count(data, ids, num):
    """How many rows each segment has, at least 1, shaped to broadcast against the sums."""
    n = _segment_sum(ones_like(ids) if dtype_of(ids) == dtype_of(data)
                     else cast(ones_like(ids), dtype_of(data)), ids, num)
    extra = len(shape_of(data)) - len(shape_of(ids))
    n = reshape(n, (num,) + (1,) * extra)
    return maximum(n, ones_like(n))


def _extremum(data, ids, num, kind: str):
    dt = dtype_of(data)
    info = np.iinfo(dt) if dt.kind in "iu" else np.finfo(dt)
    start = np.full((num + 1,) + tuple(shape_of(data))[len(shape_of(ids)):],
                    info.min if kind == "max" else info.max, dtype=dt)
    return _first_rows(bind(scatter_extremum_p, start, ids, data, kind=kind), num)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_sum`: out[i] = sum of data[j] with segment_ids[j] == i."""
    data, ids, num = _routed(data, segment_ids, num_segments, "unsorted_segment_sum")
    return _segment_sum(data, ids, num)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_prod`: the product of each segment's rows (1 if empty)."""
    data, ids, num = _routed(data, segment_ids, num_segments, "unsorted_segment_prod")
    return _first_rows(bind(scatter_mul_p, data, ids, size=num + 1), num)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_max`: each segment's maximum (the dtype's lowest value if
    empty); the gradient goes to the maxima, shared among ties."""
    data, ids, num = _routed(data, segment_ids, num_segments, "unsorted_segment_max")
    return _extremum(data, ids, num, "max")


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_min`: each segment's minimum (the dtype's highest value if
    empty)."""
    data, ids, num = _routed(data, segment_ids, num_segments, "unsorted_segment_min")
    return _extremum(data, ids, num, "min")


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_mean`: sum / count (0 for an empty segment); integers
    divide as TF's truediv (int32 -> float64)."""
    data, ids, num = _routed(data, segment_ids, num_segments, "unsorted_segment_mean")
    return divide(_segment_sum(data, ids, num), _segment_count(data, ids, num))


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """`tf.math.unsorted_segment_sqrt_n`: sum / sqrt(count) (floats)."""
    data, ids, num = _routed(data, segment_ids, num_segments, "unsorted_segment_sqrt_n")
    return divide(_segment_sum(data, ids, num), sqrt(_segment_count(data, ids, num)))


# --------------------------------------------------------------------------------------------
# segment_* (sorted ids)
# --------------------------------------------------------------------------------------------


def _sorted(data, segment_ids, op: str):
    data, ids = _data(data, op), _ids(segment_ids, op)
    _refuse_if_staged(op, "segment_ids", ids)
    values = _values(ids)
    if values.ndim != 1:
        raise InvalidArgumentError(f"{op}: segment_ids should be a vector, got shape "
                                   f"{list(values.shape)}")
    if not shape_of(data) or values.shape[0] != shape_of(data)[0]:
        raise InvalidArgumentError(
            f"{op}: segment_ids (shape {list(values.shape)}) should be the same size as "
            f"dimension 0 of data (shape {list(shape_of(data))})")
    if values.size and values.min() < 0:
        raise InvalidArgumentError(f"{op}: segment id {values.min()} is negative")
    if np.any(np.diff(values) < 0):
        at = int(np.argmax(np.diff(values) < 0))
        raise InvalidArgumentError(f"{op}: segment ids are not increasing (segment_ids"
                                   f"[{at}] = {values[at]} > segment_ids[{at + 1}] = "
                                   f"{values[at + 1]})")
    num = int(values[-1]) + 1 if values.size else 0
    return data, ids, num


def _empty_to_zero(data, ids, num, result):
    """result, with the rows of ids that do not occur set to 0 (TF's sorted max and min)."""
    present = bind(scatter_add_p, ones_like(ids), ids, axis=0, size=num)
    extra = len(shape_of(data)) - 1
    present = reshape(greater(present, zeros_like(present)), (num,) + (1,) * extra)
    return where(present, result, zeros_like(result))


def segment_sum(data, segment_ids, name=None):
    """`tf.math.segment_sum`: sums of the rows of each segment of sorted ids."""
    data, ids, num = _sorted(data, segment_ids, "segment_sum")
    return bind(scatter_add_p, data, ids, axis=0, size=num)


def segment_prod(data, segment_ids, name=None):
    """`tf.math.segment_prod`: products of each segment's rows (1 for a missing id)."""
    data, ids, num = _sorted(data, segment_ids, "segment_prod")
    return bind(scatter_mul_p, data, ids, size=num)


def segment_max(data, segment_ids, name=None):
    """`tf.math.segment_max`: each segment's maximum (0 for a missing id, as TF)."""
    data, ids, num = _sorted(data, segment_ids, "segment_max")
    return _empty_to_zero(data, ids, num, _extremum(data, ids, num, "max"))


def segment_min(data, segment_ids, name=None):
    """`tf.math.segment_min`: each segment's minimum (0 for a missing id, as TF)."""
    data, ids, num = _sorted(data, segment_ids, "segment_min")
    return _empty_to_zero(data, ids, num, _extremum(data, ids, num, "min"))


def segment_mean(data, segment_ids, name=None):
    """`tf.math.segment_mean`: each segment's mean (0 for a missing id); integer data keeps
    its dtype and the division truncates, as TF's kernel."""
    data, ids, num = _sorted(data, segment_ids, "segment_mean")
    total = bind(scatter_add_p, data, ids, axis=0, size=num)
    count = _segment_count(data, ids, num)
    if dtype_of(data).kind in "iu":
        return truncatediv(total, count)
    return divide(total, count)

