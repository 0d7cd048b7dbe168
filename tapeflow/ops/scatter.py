"""N-dimensional indexing: gather_nd, scatter_nd, tensor_scatter_nd_update/add/sub/max/min.

An index tuple (i_0, ..., i_{K-1}) into the first K axes becomes one flat row number
(`ravel_index`, which checks every component against its axis inside its kernel, so a bad
index raises at run time and nothing reads the values in Python: no guard is recorded); the
rest is the 1-D gather and scatter_add of ops/shape.py, `scatter_set` (rows replaced),
whose VJPs are each other and gather, and `scatter_extremum` (rows kept or replaced by the
larger, or smaller, of them and the updates).
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    InvalidArgumentError,
    LoopKernel,
    OpTypeError,
    Primitive,
    ShapedArray,
    bind,
    dtype_of,
    nondifferentiable,
    per_input,
    prod,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import add, cast, divide, equal, multiply, subtract
from tapeflow.ops.shape import (
    IndexOutOfRangeError,
    _as_tensorish,
    broadcast_to,
    check_in_range,
    concat,
    gather_p,
    raise_out_of_range,
    range_message,
    reshape,
    scatter_add_p,
    zeros_like,
)

# --------------------------------------------------------------------------------------------
# ravel_index: index tuples -> flat row numbers, checked
# --------------------------------------------------------------------------------------------

ravel_index_p = Primitive("ravel_index", doc="the row-major flat position (int64) of each "
                                             "index tuple in the last axis, for axes `dims`")


@ravel_index_p.def_abstract_eval
def _ravel_index_rule(indices: ShapedArray, *, dims: tuple, op: str) -> ShapedArray:
    if indices.dtype.kind not in "iu":
        raise OpTypeError(f"{op}: indices must be integers, got {indices}")
    if indices.ndim < 1 or indices.shape[-1] != len(dims):
        raise InvalidArgumentError(f"{op}: indices {indices} must end in an axis of "
                                   f"{len(dims)} (one entry per indexed axis)")
    return ShapedArray(indices.shape[:-1], np.dtype(np.int64))


def _ravel_index(indices, *, dims, op):
    # The first bad component in C order, as the compiled loop finds it.
    bad = (indices < 0) | (indices >= np.asarray(dims, dtype=np.int64))
    if bad.any():
        position = np.unravel_index(int(np.argmax(bad)), indices.shape)
        raise IndexOutOfRangeError(
            range_message(op, "indices", position, indices[position].item(), 0,
                          dims[position[-1]])
            + f" (index {indices[position[:-1]].tolist()} into shape {list(dims)})")
    flat = np.zeros(indices.shape[:-1], dtype=np.int64)
    for k, d in enumerate(dims):
        flat = flat * d + indices[..., k]
    return flat


ravel_index_p.def_impl(_ravel_index)
ravel_index_p.def_vjp(nondifferentiable(1))


@ravel_index_p.def_lowering
@LoopKernel
def _ravel_index_lowering(out, ins, avals, *, dims, op):
    (idx,) = ins
    out_aval = avals[0]
    names = lw.loop_vars(out_aval.ndim)
    body = ["_flat = 0"]
    for k, d in enumerate(dims):
        body += [f"_i = {idx}[{lw.index(names + [str(k)])}]",
                 f"if _i < 0 or _i >= {d}:",
                 "    " + raise_out_of_range(op, "indices", 0, d, "_i", names + [str(k)]),
                 f"_flat = _flat * {d} + _i"]
    body.append(f"{out}[{lw.index(names)}] = _flat")
    return [f"{out} = {lw.empty(out_aval.shape, 'np.int64')}"] + \
        lw.loop_nest(out_aval.shape, body)


# --------------------------------------------------------------------------------------------
# scatter_set: rows of a tensor replaced
# --------------------------------------------------------------------------------------------

scatter_set_p = Primitive("scatter_set", doc="x with rows idx (axis 0) replaced by updates; of "
                                             "repeated rows the last update is kept")


@scatter_set_p.def_abstract_eval
def _scatter_set_rule(x: ShapedArray, idx: ShapedArray, updates: ShapedArray) -> ShapedArray:
    if idx.dtype.kind not in "iu":
        raise OpTypeError(f"tensor_scatter_nd_update: indices must be integers, got {idx}")
    if x.dtype != updates.dtype:
        raise OpTypeError(f"tensor_scatter_nd_update: updates {updates} do not have the "
                          f"tensor's dtype ({x})")
    if x.ndim < 1 or updates.shape != idx.shape + x.shape[1:]:
        raise InvalidArgumentError(
            f"tensor_scatter_nd_update: updates {updates} must have shape "
            f"{list(idx.shape + x.shape[1:])} for rows {idx} of {x}")
    return x


def _scatter_set(x, idx, updates):
    n = x.shape[0]
    check_in_range(idx, 0, n, "scatter_set", "indices")
    out = x.copy()
    flat_idx = idx.ravel()
    flat_updates = updates.reshape((flat_idx.size,) + x.shape[1:])
    for j, i in enumerate(flat_idx):  # in order, so the last of repeated rows wins
        out[i] = flat_updates[j]
    return out


scatter_set_p.def_impl(_scatter_set)
scatter_set_p.def_vjp(
    per_input(
        # x's rows that were replaced get no gradient; the others pass it through.
        lambda g, out, x, idx, u: bind(scatter_set_p, g, idx, zeros_like(u)),
        None,
        # Every update gets its row of g (also one a later repeat overwrote, as TensorFlow).
        lambda g, out, x, idx, u: bind(gather_p, g, idx, axis=0),
    )
)


@scatter_set_p.def_lowering
@LoopKernel
def _scatter_set_lowering(out, ins, avals):
    x, idx, updates = ins
    out_aval, x_aval, idx_aval, _ = avals
    names = lw.loop_vars(idx_aval.ndim, "n")
    rest = lw.loop_vars(x_aval.ndim - 1, "r")
    n = x_aval.shape[0]
    inner = lw.loop_nest(x_aval.shape[1:], [
        f"{out}[{lw.index(['_j'] + rest)}] = {updates}[{lw.index(names + rest)}]"], "r")
    body = [f"_j = {idx}[{lw.index(names)}]",
            f"if _j < 0 or _j >= {n}:",
            "    " + raise_out_of_range("scatter_set", "indices", 0, n, "_j", names)] + inner
    return [f"{out} = {x}.copy()"] + lw.loop_nest(idx_aval.shape, body, "n")


# --------------------------------------------------------------------------------------------
# scatter_extremum: rows combined with updates by max or min
# --------------------------------------------------------------------------------------------

scatter_extremum_p = Primitive("scatter_extremum", doc="x with rows idx (axis 0) combined with "
                                                       "updates by `kind` (max or min)")


@scatter_extremum_p.def_abstract_eval
def _scatter_extremum_rule(x: ShapedArray, idx: ShapedArray, updates: ShapedArray, *,
                           kind: str) -> ShapedArray:
    op = f"tensor_scatter_nd_{kind}"
    if idx.dtype.kind not in "iu":
        raise OpTypeError(f"{op}: indices must be integers, got {idx}")
    if x.dtype != updates.dtype:
        raise OpTypeError(f"{op}: updates {updates} do not have the tensor's dtype ({x})")
    if x.dtype.kind == "b":
        raise OpTypeError(f"{op}: not defined for bool tensors ({x})")
    if x.ndim < 1 or updates.shape != idx.shape + x.shape[1:]:
        raise InvalidArgumentError(f"{op}: updates {updates} must have shape "
                                   f"{list(idx.shape + x.shape[1:])} for rows {idx} of {x}")
    return x


def _scatter_extremum(x, idx, updates, *, kind):
    check_in_range(idx, 0, x.shape[0], f"tensor_scatter_nd_{kind}", "indices")
    out = x.copy()
    flat = updates.reshape((idx.size,) + x.shape[1:])
    (np.maximum if kind == "max" else np.minimum).at(out, idx.ravel(), flat)
    return out


scatter_extremum_p.def_impl(_scatter_extremum)


def _scatter_extremum_vjp(cts, out, inputs, wanted, *, kind):
    # As TF's TensorScatterMax/Min gradient: g goes to every value equal to the result (x's
    # element or updates), shared equally between ties.
    (g,) = cts
    x, idx, u = inputs
    n = x.aval.shape[0]
    x_won = cast(equal(x, out), g.aval.dtype)
    u_won = cast(equal(u, bind(gather_p, out, idx, axis=0)), g.aval.dtype)
    winners = add(x_won, bind(scatter_add_p, u_won, idx, axis=0, size=n))  # >= 1 everywhere
    share = divide(g, winners)
    return (multiply(share, x_won) if wanted[0] else None, None,
            multiply(bind(gather_p, share, idx, axis=0), u_won) if wanted[2] else None)


scatter_extremum_p.def_vjp(_scatter_extremum_vjp)


@scatter_extremum_p.def_lowering
@LoopKernel
def _scatter_extremum_lowering(out, ins, avals, *, kind):
    x, idx, updates = ins
    out_aval, x_aval, idx_aval, _ = avals
    names = lw.loop_vars(idx_aval.ndim, "n")
    rest = lw.loop_vars(x_aval.ndim - 1, "r")
    n = x_aval.shape[0]
    target = f"{out}[{lw.index(['_j'] + rest)}]"
    inner = lw.loop_nest(x_aval.shape[1:], [
        f"_u = {updates}[{lw.index(names + rest)}]",
        f"if _u {'>' if kind == 'max' else '<'} {target}:",
        f"    {target} = _u"], "r")
    body = [f"_j = {idx}[{lw.index(names)}]",
            f"if _j < 0 or _j >= {n}:",
            "    " + raise_out_of_range(f"tensor_scatter_nd_{kind}", "indices", 0, n, "_j",
                                        names)] + inner
    return [f"{out} = {x}.copy()"] + lw.loop_nest(idx_aval.shape, body, "n")


# --------------------------------------------------------------------------------------------
# The TensorFlow ops
# --------------------------------------------------------------------------------------------


def _indices(indices, op: str):
    if hasattr(indices, "aval"):
        if indices.aval.dtype.kind not in "iu":
            raise OpTypeError(f"{op}: indices must be integers, got {indices.aval}")
        return indices
    arr = np.asarray(indices)
    if arr.dtype.kind not in "iu":
        raise OpTypeError(f"{op}: indices must be integers, got {arr.dtype.name} "
                          f"{list(arr.shape)}")
    return arr.astype(np.int64 if arr.dtype == np.int64 else np.int32)


def _flat_rows(indices, shape, op: str):
    """(flat row numbers, K) for index tuples `indices` into the first K axes of `shape`."""
    ishape = tuple(shape_of(indices))
    if not ishape:
        raise InvalidArgumentError(f"{op}: indices must have rank >= 1, got a scalar")
    k = ishape[-1]
    if k > len(shape):
        raise InvalidArgumentError(
            f"{op}: index tuples of length {k} (indices shape {list(ishape)}) are too long "
            f"for a tensor of shape {list(shape)}")
    return bind(ravel_index_p, indices, dims=tuple(shape[:k]), op=op), k


def gather_nd(params, indices, batch_dims=0, name=None):
    """`tf.gather_nd`: out[i...] = params[indices[i...]] where each innermost row of `indices`
    indexes the leading axes of `params`; its gradient is a scatter-add."""
    params = _as_tensorish(params, "gather_nd")
    indices = _indices(indices, "gather_nd")
    shape = tuple(shape_of(params))
    batch_dims = int(batch_dims)
    if batch_dims:
        indices = _with_batch_coordinates(indices, shape, batch_dims)
    flat, k = _flat_rows(indices, shape, "gather_nd")
    rows = reshape(params, (prod(shape[:k]),) + shape[k:])
    return bind(gather_p, rows, flat, axis=0)


def _with_batch_coordinates(indices, shape, batch_dims: int):
    # Batched gather_nd == plain gather_nd with the batch position prepended to each tuple.
    ishape = tuple(shape_of(indices))
    if batch_dims < 0 or batch_dims >= len(ishape) or tuple(ishape[:batch_dims]) != tuple(
            shape[:batch_dims]):
        raise InvalidArgumentError(
            f"gather_nd: batch_dims={batch_dims} needs indices {list(ishape)} and params "
            f"{list(shape)} to share their first {batch_dims} sizes")
    dt = dtype_of(indices)
    grids = np.indices(ishape[:batch_dims], dtype=dt)  # [batch_dims, *batch]
    grids = np.moveaxis(grids, 0, -1).reshape(
        ishape[:batch_dims] + (1,) * (len(ishape) - 1 - batch_dims) + (batch_dims,))
    coords = broadcast_to(grids, ishape[:-1] + (batch_dims,))
    return concat([coords, indices], -1)


def scatter_nd(indices, updates, shape, name=None):
    """`tf.scatter_nd`: zeros of `shape` with `updates` added at the index tuples of
    `indices` (repeated tuples add up)."""
    indices = _indices(indices, "scatter_nd")
    updates = _as_tensorish(updates, "scatter_nd")
    shape = tuple(int(d) for d in np.ravel(shape.numpy() if hasattr(shape, "numpy") else shape))
    flat, k = _flat_rows(indices, shape, "scatter_nd")
    expected = tuple(shape_of(indices))[:-1] + shape[k:]
    if tuple(shape_of(updates)) != expected:
        raise InvalidArgumentError(
            f"scatter_nd: updates of shape {list(shape_of(updates))} do not match indices of "
            f"shape {list(shape_of(indices))} into shape {list(shape)} (expected updates of "
            f"shape {list(expected)})")
    rows = bind(scatter_add_p, updates, flat, axis=0, size=prod(shape[:k]))
    return reshape(rows, shape)


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """`tf.tensor_scatter_nd_update`: `tensor` with the elements (or slices) at the index
    tuples of `indices` replaced by `updates`."""
    rows, flat, updates, shape = _scatter_rows("tensor_scatter_nd_update", tensor, indices,
                                               updates)
    return reshape(bind(scatter_set_p, rows, flat, updates), shape)


def _scatter_rows(op: str, tensor, indices, updates):
    """(tensor as rows, the flat row index of each update, updates, tensor's shape) for a
    scatter into `tensor` at the index tuples of `indices`, after checking that `updates`
    has the shape they address."""
    tensor, updates = promote(op, tensor, updates)
    indices = _indices(indices, op)
    shape = tuple(shape_of(tensor))
    flat, k = _flat_rows(indices, shape, op)
    expected = tuple(shape_of(indices))[:-1] + shape[k:]
    if tuple(shape_of(updates)) != expected:
        raise InvalidArgumentError(
            f"{op}: updates of shape {list(shape_of(updates))} do not match indices of shape "
            f"{list(shape_of(indices))} into shape {list(shape)} (expected {list(expected)})")
    rows = reshape(tensor, (prod(shape[:k]),) + shape[k:])
    return rows, flat, updates, shape


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """`tf.tensor_scatter_nd_add`: `tensor` plus `updates` added at `indices`."""
    (tensor,) = promote("tensor_scatter_nd_add", tensor)
    return add(tensor, scatter_nd(indices, updates, shape_of(tensor)))


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """`tf.tensor_scatter_nd_sub`: `tensor` minus `updates` at `indices`."""
    (tensor,) = promote("tensor_scatter_nd_sub", tensor)
    return subtract(tensor, scatter_nd(indices, updates, shape_of(tensor)))


def _tensor_scatter_extremum(kind: str):
    op = f"tensor_scatter_nd_{kind}"

    def scatter(tensor, indices, updates, name=None):
        rows, flat, updates, shape = _scatter_rows(op, tensor, indices, updates)
        return reshape(bind(scatter_extremum_p, rows, flat, updates, kind=kind), shape)

    scatter.__name__ = op
    scatter.__doc__ = (f"`tf.{op}`: `tensor` with the elements (or slices) at `indices` "
                       f"the {kind} of themselves and every update to them.")
    return scatter


tensor_scatter_nd_max = _tensor_scatter_extremum("max")
tensor_scatter_nd_min = _tensor_scatter_extremum("min")
