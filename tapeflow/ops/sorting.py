"""Positions of extremes and orderings: the `argmax`, `argmin` and `argsort` primitives
(integer results, no gradient), and `sort`, `top_k` built on them with a gather, so their
gradients flow to the values that were picked.

Ties go to the lowest index, in both directions, as TensorFlow's ArgMax and TopKV2 do. A nan
never wins an argmax or argmin, as in TensorFlow (whose kernels keep the first index and move
only to a strictly better value, and no comparison with nan holds): nan counts as -inf for
argmax and +inf for argmin, so a row of nothing but nan (or nan and -inf) gives index 0.
numpy's argmax would pick the first nan instead.
"""

from __future__ import annotations

import collections

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    BOOL,
    InvalidArgumentError,
    LoopKernel,
    OpTypeError,
    Primitive,
    ShapedArray,
    bind,
    canonical_dtype,
    nondifferentiable,
    prod,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import add, cast
from tapeflow.ops.shape import _normalize_axis, gather, reshape, strided_slice_p, transpose


def _numeric(op: str, x: ShapedArray):
    if x.dtype == BOOL:
        raise OpTypeError(f"{op}: not defined for bool tensors, got {x}")


def _index_dtype(output_type, op: str) -> np.dtype:
    dt = canonical_dtype(output_type)
    if dt not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise OpTypeError(f"{op}: output_type must be int32 or int64, got {dt.name}")
    return dt


def _at(names, axis, k):
    """Index text reading position `k` along `axis`, at loop variables `names` elsewhere."""
    return lw.index(list(names[:axis]) + [k] + list(names[axis:]))


# --------------------------------------------------------------------------------------------
# argmax / argmin
# --------------------------------------------------------------------------------------------


def _arg_extremum(name: str, kernel, better: str) -> Primitive:
    p = Primitive(name, doc=f"the index of the {name[3:]}imum along `axis` (first of ties; "
                            "a nan never wins)")

    @p.def_abstract_eval
    def rule(x: ShapedArray, *, axis: int, dtype: np.dtype) -> ShapedArray:
        _numeric(name, x)
        if not 0 <= axis < x.ndim:
            raise InvalidArgumentError(f"{name}: axis {axis} is out of range for {x}")
        if x.shape[axis] == 0:
            raise InvalidArgumentError(f"{name}: axis {axis} of {x} is empty (no {name[3:]}imum)")
        return ShapedArray(x.shape[:axis] + x.shape[axis + 1:], dtype)

    # The value a nan stands for: one no other value loses to.
    worst = -np.inf if better == ">" else np.inf

    def impl(x, *, axis, dtype):
        if x.dtype.kind == "f":
            x = np.where(np.isnan(x), worst, x)
        return kernel(x, axis=axis).astype(dtype)

    p.def_impl(impl)
    p.def_vjp(nondifferentiable(1))

    @p.def_lowering
    @LoopKernel
    def lowering(out, ins, avals, *, axis, dtype):
        (x,) = ins
        out_aval, x_aval = avals
        names = lw.loop_vars(out_aval.ndim)
        n = x_aval.shape[axis]
        body = [f"_best = {x}[{_at(names, axis, '0')}]"]
        if x_aval.dtype.kind == "f":
            # A leading nan stands for the worst value; a later one never compares better.
            body.append(f"_best = {'-' if better == '>' else ''}np.inf if _best != _best "
                        "else _best")
        body += [
            "_arg = 0",
            f"for _k in range(1, {n}):",
            f"    _v = {x}[{_at(names, axis, '_k')}]",
            # Strictly better only: the first of equal values keeps the index.
            f"    if _v {better} _best:",
            "        _best = _v",
            "        _arg = _k",
            f"{out}[{lw.index(names)}] = _arg",
        ]
        return [f"{out} = {lw.empty(out_aval.shape, lw.dtype_expr(dtype))}"] + \
            lw.loop_nest(out_aval.shape, body)

    return p


argmax_p = _arg_extremum("argmax", np.argmax, ">")
argmin_p = _arg_extremum("argmin", np.argmin, "<")


def _arg_op(p: Primitive, op: str):
    def fn(input, axis=None, output_type=np.int64, name=None):  # noqa: A002
        (x,) = promote(op, input)
        ndim = len(shape_of(x))
        if ndim == 0:
            raise InvalidArgumentError(f"{op}: expects a tensor of rank >= 1, got a scalar")
        axis = _normalize_axis(0 if axis is None else _static_axis(axis, op), ndim, op)
        return bind(p, x, axis=axis, dtype=_index_dtype(output_type, op))

    fn.__name__ = op
    fn.__doc__ = f"`tf.math.{op}`: {p.doc} (axis 0 unless given; int64 unless output_type)."
    return fn


def _static_axis(axis, op: str) -> int:
    if hasattr(axis, "numpy"):
        axis = axis.numpy()
    if np.ndim(axis) != 0:
        raise InvalidArgumentError(f"{op}: axis must be a single integer, got {axis!r}")
    return int(axis)


argmax = _arg_op(argmax_p, "argmax")
argmin = _arg_op(argmin_p, "argmin")

# --------------------------------------------------------------------------------------------
# argsort
# --------------------------------------------------------------------------------------------

argsort_p = Primitive("argsort", doc="the indices that sort x along `axis` (stable: ties keep "
                                     "index order in both directions)")


@argsort_p.def_abstract_eval
def _argsort_rule(x: ShapedArray, *, axis: int, descending: bool) -> ShapedArray:
    _numeric("argsort", x)
    if not 0 <= axis < x.ndim:
        raise InvalidArgumentError(f"argsort: axis {axis} is out of range for {x}")
    return ShapedArray(x.shape, np.dtype(np.int32))


def _argsort(x, *, axis, descending):
    if not descending:
        return np.argsort(x, axis=axis, kind="stable").astype(np.int32)
    # Descending with ties in index order: sort the reversed array ascending (stably), then
    # reverse the order and map the positions back (negating would overflow integers' min).
    n = x.shape[axis]
    flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return np.flip(n - 1 - flipped, axis).astype(np.int32)


argsort_p.def_impl(_argsort)
argsort_p.def_vjp(nondifferentiable(1))


@argsort_p.def_lowering
@LoopKernel
def _argsort_lowering(out, ins, avals, *, axis, descending):
    (x,) = ins
    out_aval, x_aval = avals
    n = x_aval.shape[axis]
    rest = x_aval.shape[:axis] + x_aval.shape[axis + 1:]
    names = lw.loop_vars(len(rest))
    at = _at(names, axis, "_k")
    if descending:
        fill = f"    _row[_k] = {x}[{_at(names, axis, f'{n} - 1 - _k')}]"
        order = ["_order = np.argsort(_row, kind='mergesort')",
                 f"for _k in range({n}):",
                 f"    {out}[{at}] = {n} - 1 - _order[{n} - 1 - _k]"]
    else:
        fill = f"    _row[_k] = {x}[{at}]"
        order = ["_order = np.argsort(_row, kind='mergesort')",
                 f"for _k in range({n}):",
                 f"    {out}[{at}] = _order[_k]"]
    body = [f"_row = np.empty({n}, dtype={lw.dtype_expr(x_aval.dtype)})",
            f"for _k in range({n}):", fill] + order
    return [f"{out} = {lw.empty(out_aval.shape, 'np.int32')}"] + lw.loop_nest(rest, body)


def _direction(direction, op: str) -> bool:
    if direction not in ("ASCENDING", "DESCENDING"):
        raise InvalidArgumentError(
            f"{op}: direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    return direction == "DESCENDING"


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """`tf.argsort`: int32 indices that sort `values` along `axis` (ties in index order)."""
    (x,) = promote("argsort", values)
    ndim = len(shape_of(x))
    if ndim == 0:
        raise InvalidArgumentError("argsort: expects a tensor of rank >= 1, got a scalar")
    axis = _normalize_axis(_static_axis(axis, "argsort"), ndim, "argsort")
    return bind(argsort_p, x, axis=axis, descending=_direction(direction, "argsort"))


def take_along_axis(x, indices, axis: int):
    """x's elements at `indices` along `axis` (indices shaped like x except along `axis`),
    as one gather from the flattened x: its gradient is gather's (a scatter-add)."""
    shape, ishape = tuple(shape_of(x)), tuple(shape_of(indices))
    ndim = len(shape)
    perm = [a for a in range(ndim) if a != axis] + [axis]
    xt = transpose(x, perm)
    it = transpose(indices, perm)
    n, k = shape[axis], ishape[axis]
    rows = prod(ishape[a] for a in perm[:-1])
    idx_dtype = it.aval.dtype if hasattr(it, "aval") else np.asarray(it).dtype
    offsets = (np.arange(rows, dtype=idx_dtype) * n).reshape(
        tuple(ishape[a] for a in perm[:-1]) + (1,))
    picked = gather(reshape(xt, [-1]), add(it, offsets), axis=0)
    picked = reshape(picked, tuple(ishape[a] for a in perm[:-1]) + (k,))
    inverse = [int(i) for i in np.argsort(perm)]
    return transpose(picked, inverse)


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """`tf.sort`: `values` sorted along `axis`; the gradient goes back to where each value
    came from."""
    (x,) = promote("sort", values)
    order = argsort(x, axis, direction)
    ndim = len(shape_of(x))
    return take_along_axis(x, order, _normalize_axis(_static_axis(axis, "sort"), ndim, "sort"))


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type=np.int32, name=None):  # noqa: A002
    """`tf.math.top_k`: the `k` largest entries along the last axis, largest first (ties: the
    lower index first), and their int32 indices."""
    (x,) = promote("top_k", input)
    shape = tuple(shape_of(x))
    if not shape:
        raise InvalidArgumentError("top_k: expects a tensor of rank >= 1, got a scalar")
    k = int(k.numpy()) if hasattr(k, "numpy") else int(k)
    if not 0 <= k <= shape[-1]:
        raise InvalidArgumentError(
            f"top_k: k={k} is out of range for a last axis of size {shape[-1]} "
            f"(input {list(shape)})")
    axis = len(shape) - 1
    order = bind(argsort_p, x, axis=axis, descending=True)
    if k < shape[-1]:
        slices = tuple((0, d, 1) for d in shape[:-1]) + ((0, k, 1),)
        order = bind(strided_slice_p, order, slices=slices)
    values = take_along_axis(x, order, axis)
    index_type = canonical_dtype(index_type)
    if index_type != np.dtype(np.int32):
        order = cast(order, index_type)
    return TopKV2(values, order)
