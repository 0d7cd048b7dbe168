"""Shape primitives: reshape, transpose, broadcast_to, concatenate, strided slices, gather.

Each primitive's VJP is another primitive of this file (reshape <-> reshape, slice <-> pad,
gather <-> scatter_add), so adjoints stay first-class IR. The composites users know from
TensorFlow (expand_dims, stack, tile, indexing, ...) are in `ops/array.py`.
"""

from __future__ import annotations

import operator
import weakref

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    InvalidArgumentError,
    LoopKernel,
    OpTypeError,
    Primitive,
    Scalar,
    ShapedArray,
    bind,
    canonical_dtype,
    default_dtype,
    dtype_of,
    is_tracer,
    per_input,
    prod,
    promote,
    shape_of,
)
from tapeflow.ops.dims import Dim, as_size, hint_of, same_shape, same_size


class IndexOutOfRangeError(InvalidArgumentError, IndexError):
    """An index past a dimension's end: a ValueError for TF users and an IndexError for Python.

    It is TensorFlow's InvalidArgumentError (what TF raises for an out-of-range gather index)
    and prints as that class (`type(e).__name__`), as code written for TensorFlow shows it;
    being an IndexError too is tapeflow's addition."""


IndexOutOfRangeError.__name__ = IndexOutOfRangeError.__qualname__ = "InvalidArgumentError"


# Range checks of values (gather's indices, tapeflow/ops/checks.py's check_range) run inside
# kernels. Compiled code raises IndexError(RANGE_ERROR, op, what, lo, hi, value, *position),
# data rather than text, which the runtime formats as the eager kernel does.
RANGE_ERROR = "tapeflow:range"


def range_message(op: str, what: str, position, value, lo, hi) -> str:
    """`gather: indices[1, 0] = 7 is out of range [0, 5)`."""
    where = f"{what}[{', '.join(str(int(i)) for i in position)}]" if len(position) else what
    return f"{op}: {where} = {value} is out of range [{lo}, {hi})"


def check_in_range(values: np.ndarray, lo, hi, op: str, what: str) -> None:
    """Raise IndexOutOfRangeError naming the first element (in C order) outside [lo, hi)."""
    bad = (values < lo) | (values >= hi)
    if bad.any():
        position = np.unravel_index(int(np.argmax(bad)), values.shape)
        raise IndexOutOfRangeError(range_message(op, what, position, values[position].item(),
                                                 lo, hi))


def raise_out_of_range(op: str, what: str, lo, hi, value: str, position) -> str:
    """The statement a lowering writes where an element is outside [lo, hi): `value` and
    `position` are the generated code's names for it and its index."""
    args = "".join(f", {p}" for p in position)
    return (f"raise IndexError({RANGE_ERROR!r}, {op!r}, {what!r}, {int(lo)}, {int(hi)}, "
            f"{value}{args})")




def _as_tensorish(x, op: str):
    """Operands that are not tapeflow tensors become numpy constants of their TF dtype."""
    return x if is_tracer(x) else promote(op, x)[0]


# --------------------------------------------------------------------------------------------
# reshape
# --------------------------------------------------------------------------------------------

reshape_p = Primitive("reshape", doc="the same elements, row-major, in `new_sizes`")


@reshape_p.def_abstract_eval
def _reshape_rule(x: ShapedArray, *, new_sizes: tuple[int, ...]) -> ShapedArray:
    if prod(new_sizes) != x.size:
        raise InvalidArgumentError(
            f"reshape: cannot reshape {x} ({x.size} elements) into shape {list(new_sizes)}"
        )
    return ShapedArray(new_sizes, x.dtype)


reshape_p.def_impl(lambda x, *, new_sizes: x.reshape(new_sizes))
reshape_p.def_vjp(per_input(lambda g, out, x, *, new_sizes: reshape(g, x.aval.shape)))


@reshape_p.def_lowering
@LoopKernel
def _reshape_lowering(out, ins, avals, *, new_sizes):
    (x,) = ins
    out_aval, x_aval = avals
    if out_aval.ndim and x_aval.ndim:
        return [f"{out} = np.ascontiguousarray({x}).reshape({tuple(new_sizes)})"]
    # To or from a 0-d array: copy the one element (numba's reshape needs a non-empty shape).
    src = f"{x}[()]" if not x_aval.ndim else f"{x}.ravel()[0]"
    dst = "()" if not out_aval.ndim else lw.index(["0"] * out_aval.ndim)
    return [f"{out} = {lw.empty(tuple(new_sizes), lw.dtype_expr(out_aval.dtype))}",
            f"{out}[{dst}] = {src}"]


# The symbolic sizes behind tensors that `shape` made, by id (tensors compare elementwise,
# so they cannot key a dict): ops that take a shape argument (reshape, fill, random draws)
# read the sizes from here instead of the tensor's values, which would record a value guard
# and tie the trace to this call's sizes.
_sizes_of: dict[int, tuple] = {}


def _remember_sizes(tensor, sizes) -> None:
    key = id(tensor)
    _sizes_of[key] = (weakref.ref(tensor, lambda _: _sizes_of.pop(key, None)), tuple(sizes))


def known_sizes(tensor) -> tuple | None:
    """The sizes (ints or symbolic `Dim`s) a `shape(x)` tensor holds, if `shape` made it."""
    entry = _sizes_of.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    return entry[1]


def _sizes(shape) -> tuple:
    """A shape argument (a list, tuple or array of sizes; symbolic ones stay symbolic, also
    in a tensor that `shape` made)."""
    if is_tracer(shape) and known_sizes(shape) is not None:
        return known_sizes(shape)
    if isinstance(shape, list | tuple) and all(
        isinstance(d, Dim) or np.ndim(d) == 0 for d in shape
    ):
        return tuple(as_size(d) for d in shape)
    return tuple(int(d) for d in np.ravel(shape))


def reshape(x, shape, name=None):
    """`tf.reshape`; one dimension may be -1 (inferred)."""
    x = _as_tensorish(x, "reshape")
    shape = _sizes(shape)
    size = prod(shape_of(x))
    # -1 is only ever written as an int; a symbolic size is never compared with it.
    inferred = [i for i, d in enumerate(shape) if not isinstance(d, Dim) and d == -1]
    if len(inferred) > 1:
        raise InvalidArgumentError(f"reshape: at most one dimension may be -1, got {list(shape)}")
    if inferred:
        known = prod(d for i, d in enumerate(shape) if i != inferred[0])
        if known == 0 or size % known:
            raise InvalidArgumentError(
                f"reshape: cannot reshape {hint_of(size)} elements into shape {list(shape)}"
            )
        shape = tuple(size // known if i == inferred[0] else d for i, d in enumerate(shape))
    if any(not isinstance(d, Dim) and d < 0 for d in shape):
        raise InvalidArgumentError(f"reshape: negative dimension in {list(shape)}")
    if is_tracer(x) and same_shape(shape, x.aval.shape):
        return x
    return bind(reshape_p, x, new_sizes=shape)


# --------------------------------------------------------------------------------------------
# transpose
# --------------------------------------------------------------------------------------------

transpose_p = Primitive("transpose", doc="axes permuted: out.shape[i] = x.shape[perm[i]]")


@transpose_p.def_abstract_eval
def _transpose_rule(x: ShapedArray, *, perm: tuple[int, ...]) -> ShapedArray:
    if sorted(perm) != list(range(x.ndim)):
        raise InvalidArgumentError(f"transpose: perm {list(perm)} is not a permutation of "
                                   f"the {x.ndim} axes of {x}")
    return ShapedArray(tuple(x.shape[p] for p in perm), x.dtype)


transpose_p.def_impl(lambda x, *, perm: np.transpose(x, perm))
transpose_p.def_vjp(
    per_input(lambda g, out, x, *, perm: transpose(g, tuple(int(i) for i in np.argsort(perm))))
)


@transpose_p.def_lowering
@LoopKernel
def _transpose_lowering(out, ins, avals, *, perm):
    (x,) = ins
    out_aval = avals[0]
    names = lw.loop_vars(out_aval.ndim)
    src = [""] * len(perm)
    for k, p in enumerate(perm):  # out[i_k] reads x at axis perm[k]
        src[p] = names[k]
    body = [f"{out}[{lw.index(names)}] = {x}[{lw.index(src)}]"]
    return [f"{out} = {lw.empty(out_aval.shape, lw.dtype_expr(out_aval.dtype))}"] + \
        lw.loop_nest(out_aval.shape, body)


def transpose(a, perm=None, conjugate=False, name=None):
    """`tf.transpose`; without `perm`, the axes are reversed. conjugate=True also
    conjugates a complex tensor (a real one is its own conjugate)."""
    a = _as_tensorish(a, "transpose")
    ndim = len(shape_of(a))
    perm = tuple(reversed(range(ndim))) if perm is None else tuple(int(p) for p in perm)
    perm = tuple(p + ndim if p < 0 else p for p in perm)
    out = a if perm == tuple(range(ndim)) and is_tracer(a) else bind(transpose_p, a, perm=perm)
    if conjugate:
        from tapeflow.ops.linalg import conj  # linalg imports this module

        out = conj(out)
    return out


# --------------------------------------------------------------------------------------------
# broadcast_to
# --------------------------------------------------------------------------------------------

broadcast_to_p = Primitive("broadcast_to", doc="x repeated along new or size-1 axes to `shape`")


@broadcast_to_p.def_abstract_eval
def _broadcast_to_rule(x: ShapedArray, *, shape: tuple[int, ...]) -> ShapedArray:
    lead = len(shape) - x.ndim
    if lead < 0 or any(not (same_size(d, shape[lead + i]) or d == 1 or d == shape[lead + i])
                       for i, d in enumerate(x.shape)):
        raise InvalidArgumentError(f"broadcast_to: cannot broadcast {x} to shape {list(shape)}")
    return ShapedArray(tuple(shape), x.dtype)


broadcast_to_p.def_impl(lambda x, *, shape: np.broadcast_to(x, shape))
# The cotangent stays at the broadcast shape: autodiff sums it down, as for every op.
broadcast_to_p.def_vjp(per_input(lambda g, out, x, *, shape: g))
broadcast_to_p.def_lowering(Scalar(lambda x, *, shape: x))  # the loop's indexing broadcasts


def broadcast_to(input, shape, name=None):  # noqa: A002 - TensorFlow's argument name
    input = _as_tensorish(input, "broadcast_to")
    shape = _sizes(shape)
    if is_tracer(input) and same_shape(input.aval.shape, shape):
        return input
    return bind(broadcast_to_p, input, shape=shape)


def full_like(x, value, dtype=None):
    """A tensor of `x`'s shape filled with `value` (one scalar constant, broadcast)."""
    x = _as_tensorish(x, "full_like")  # a Python list has TF's dtype (int32), not numpy's
    dt = canonical_dtype(dtype) if dtype is not None else dtype_of(x)
    return bind(broadcast_to_p, np.array(value, dtype=dt), shape=tuple(shape_of(x)))


def zeros_like(input, dtype=None, name=None):  # noqa: A002
    return full_like(input, 0, dtype)


def ones_like(input, dtype=None, name=None):  # noqa: A002
    return full_like(input, 1, dtype)


def fill(dims, value, name=None):
    """`tf.fill`: shape `dims` filled with `value` (its dtype as tf.constant gives it)."""
    value = value if is_tracer(value) else np.array(value, dtype=default_dtype(value))
    return broadcast_to(value, _sizes(dims))


# --------------------------------------------------------------------------------------------
# concatenate
# --------------------------------------------------------------------------------------------

concatenate_p = Primitive("concatenate", doc="inputs joined along `axis`")


@concatenate_p.def_abstract_eval
def _concatenate_rule(*xs: ShapedArray, axis: int) -> ShapedArray:
    first = xs[0]
    if not 0 <= axis < first.ndim:
        raise InvalidArgumentError(f"concat: axis {axis} is out of range for {first}")
    for x in xs[1:]:
        if x.dtype != first.dtype:
            raise OpTypeError(f"concat: inputs have different dtypes ({first}, {x})")
        if x.ndim != first.ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, first.shape)) if i != axis
        ):
            raise InvalidArgumentError(
                f"concat: shapes {', '.join(map(str, xs))} differ outside axis {axis}"
            )
    shape = list(first.shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return ShapedArray(tuple(shape), first.dtype)


concatenate_p.def_impl(lambda *xs, axis: np.concatenate(xs, axis=axis))


@concatenate_p.def_lowering
@LoopKernel
def _concatenate_lowering(out, ins, avals, *, axis):
    out_aval = avals[0]
    lines = [f"{out} = {lw.empty(out_aval.shape, lw.dtype_expr(out_aval.dtype))}"]
    start = 0
    for name, aval in zip(ins, avals[1:]):
        stop = start + aval.shape[axis]
        where = [":"] * out_aval.ndim
        where[axis] = f"{start}:{stop}"
        lines.append(f"{out}[{', '.join(where)}] = {name}")
        start = stop
    return lines


@concatenate_p.def_vjp
def _concatenate_vjp(cts, out, inputs, wanted, *, axis):
    (g,) = cts
    results, start = [], 0
    for x, want in zip(inputs, wanted):
        n = x.aval.shape[axis]
        if want:
            slices = tuple((start, start + n, 1) if i == axis else (0, d, 1)
                           for i, d in enumerate(g.aval.shape))  # sizes, symbolic ones too
            results.append(bind(strided_slice_p, g, slices=slices))
        else:
            results.append(None)
        start += n
    return tuple(results)


def concat(values, axis, name=None):
    """`tf.concat`: join tensors along an existing axis."""
    values = list(values)
    if not values:
        raise InvalidArgumentError("concat: needs at least one tensor")
    values = list(promote("concat", *values))
    ndim = len(shape_of(values[0]))
    axis = _normalize_axis(axis, ndim, "concat")
    if len(values) == 1 and is_tracer(values[0]):
        return values[0]
    return bind(concatenate_p, *values, axis=axis)


# --------------------------------------------------------------------------------------------
# strided_slice and its transpose
# --------------------------------------------------------------------------------------------

strided_slice_p = Primitive(
    "strided_slice", doc="x[start:stop:step, ...] with one normalised (start, stop, step) per axis"
)


def _slice_len(start: int, stop: int, step: int) -> int:
    """len(range(start, stop, step)), written so that a symbolic size passes through."""
    if step > 0:
        return max((stop - start + step - 1) // step, 0)
    return max((start - stop - step - 1) // -step, 0)


@strided_slice_p.def_abstract_eval
def _strided_slice_rule(x: ShapedArray, *, slices) -> ShapedArray:
    if len(slices) != x.ndim:
        raise InvalidArgumentError(f"strided_slice: {len(slices)} slices for {x}")
    return ShapedArray(tuple(_slice_len(*s) for s in slices), x.dtype)


def _np_slices(slices):
    # (start, stop, step) from slice.indices() follow range() semantics, but numpy reads a
    # negative start or stop as counted from the end: a stop of -1 with a negative step means
    # "past the front" (numpy: None), and an empty range may start at -1 (x[-10::-1] on 5
    # elements gives (-1, -1, -1)), which numpy would read as the last element: spell it 0:0.
    return tuple(
        slice(a, None if b < 0 else b, c) if _slice_len(a, b, c) else slice(0, 0, 1)
        for a, b, c in slices
    )


strided_slice_p.def_impl(lambda x, *, slices: x[_np_slices(slices)])
strided_slice_p.def_vjp(
    per_input(lambda g, out, x, *, slices: bind(pad_strided_p, g, slices=slices,
                                                shape=x.aval.shape))
)


def _slice_text(slices) -> str:
    """The same slices as `_np_slices`, as source text for generated code."""
    def text(s: slice) -> str:
        return f"{s.start}:{'' if s.stop is None else s.stop}:{s.step}"

    return ", ".join(text(s) for s in _np_slices(slices))


@strided_slice_p.def_lowering
@LoopKernel
def _strided_slice_lowering(out, ins, avals, *, slices):
    return [f"{out} = np.ascontiguousarray({ins[0]}[{_slice_text(slices)}])"]

pad_strided_p = Primitive(
    "pad_strided", doc="zeros of `shape` with x written at the strided slice (slice's transpose)"
)


@pad_strided_p.def_abstract_eval
def _pad_strided_rule(x: ShapedArray, *, slices, shape) -> ShapedArray:
    expected = tuple(_slice_len(*s) for s in slices)
    if expected != x.shape:
        raise InvalidArgumentError(f"pad_strided: {x} does not fit the slices {slices}")
    return ShapedArray(tuple(shape), x.dtype)


def _pad_strided(x, *, slices, shape):
    out = np.zeros(shape, dtype=x.dtype)
    out[_np_slices(slices)] = x
    return out


pad_strided_p.def_impl(_pad_strided)
pad_strided_p.def_vjp(per_input(lambda g, out, x, *, slices, shape: bind(strided_slice_p, g,
                                                                         slices=slices)))


@pad_strided_p.def_lowering
@LoopKernel
def _pad_strided_lowering(out, ins, avals, *, slices, shape):
    dt = lw.dtype_expr(avals[0].dtype)
    return [f"{out} = np.zeros({tuple(shape)}, dtype={dt})",
            f"{out}[{_slice_text(slices)}] = {ins[0]}"]

# --------------------------------------------------------------------------------------------
# gather and its transpose
# --------------------------------------------------------------------------------------------

gather_p = Primitive("gather", doc="x.take(indices, axis): out.shape = x[:axis]+idx+x[axis+1:]")


@gather_p.def_abstract_eval
def _gather_rule(x: ShapedArray, indices: ShapedArray, *, axis: int) -> ShapedArray:
    if indices.dtype.kind not in "iu":
        raise OpTypeError(f"gather: indices must be integers, got {indices}")
    if not 0 <= axis < x.ndim:
        raise InvalidArgumentError(f"gather: axis {axis} is out of range for {x}")
    return ShapedArray(x.shape[:axis] + indices.shape + x.shape[axis + 1:], x.dtype)


def _check_indices(indices, size: int, op: str):
    check_in_range(indices, 0, size, op, "indices")


def _gather(x, indices, *, axis):
    _check_indices(indices, x.shape[axis], "gather")
    return np.take(x, indices, axis=axis)


gather_p.def_impl(_gather)
gather_p.def_vjp(
    per_input(
        lambda g, out, x, idx, *, axis: bind(scatter_add_p, g, idx, axis=axis,
                                             size=x.aval.shape[axis]),
        None,
    )
)


@gather_p.def_lowering
@LoopKernel
def _gather_lowering(out, ins, avals, *, axis):
    # Indices are data: each is checked before it is read, so a bad one raises, never reads
    # out of bounds.
    x, idx = ins
    out_aval, x_aval, idx_aval = avals
    names = lw.loop_vars(out_aval.ndim)
    k = idx_aval.ndim
    j = f"{idx}[{lw.index(names[axis:axis + k])}]"
    src = names[:axis] + ["_j"] + names[axis + k:]
    body = [
        f"_j = {j}",
        f"if _j < 0 or _j >= {x_aval.shape[axis]}:",
        "    " + raise_out_of_range("gather", "indices", 0, x_aval.shape[axis], "_j",
                                    names[axis:axis + k]),
        f"{out}[{lw.index(names)}] = {x}[{lw.index(src)}]",
    ]
    return [f"{out} = {lw.empty(out_aval.shape, lw.dtype_expr(out_aval.dtype))}"] + \
        lw.loop_nest(out_aval.shape, body)

scatter_add_p = Primitive(
    "scatter_add", doc="zeros with `size` rows on `axis`, g's slices added at indices (gather's "
    "transpose)"
)


@scatter_add_p.def_abstract_eval
def _scatter_add_rule(g: ShapedArray, indices: ShapedArray, *, axis: int, size: int):
    k = indices.ndim
    return ShapedArray(g.shape[:axis] + (size,) + g.shape[axis + k:], g.dtype)


def _scatter_add(g, indices, *, axis, size):
    _check_indices(indices, size, "scatter_add")
    k = indices.ndim
    shape = g.shape[:axis] + (size,) + g.shape[axis + k:]
    out = np.zeros(shape, dtype=g.dtype)
    # Move the indexed axis first so np.add.at accumulates repeated indices.
    moved = np.moveaxis(out, axis, 0)
    # The index axes flattened to one (by its size: -1 cannot be inferred when g is empty).
    flat_g = np.moveaxis(g.reshape(g.shape[:axis] + (indices.size,) + g.shape[axis + k:]),
                         axis, 0)
    np.add.at(moved, indices.ravel(), flat_g)
    return out


scatter_add_p.def_impl(_scatter_add)
scatter_add_p.def_vjp(
    per_input(lambda ct, out, g, idx, *, axis, size: bind(gather_p, ct, idx, axis=axis), None)
)


@scatter_add_p.def_lowering
@LoopKernel
def _scatter_add_lowering(out, ins, avals, *, axis, size):
    g, idx = ins
    out_aval, g_aval, idx_aval = avals
    names = lw.loop_vars(g_aval.ndim)
    k = idx_aval.ndim
    dst = names[:axis] + ["_j"] + names[axis + k:]
    body = [
        f"_j = {idx}[{lw.index(names[axis:axis + k])}]",
        f"if _j < 0 or _j >= {size}:",
        "    " + raise_out_of_range("scatter_add", "indices", 0, size, "_j", names[axis:axis + k]),
        f"{out}[{lw.index(dst)}] += {g}[{lw.index(names)}]",
    ]
    return [f"{out} = np.zeros({out_aval.shape}, dtype={lw.dtype_expr(out_aval.dtype)})"] + \
        lw.loop_nest(g_aval.shape, body)


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """`tf.gather`: slices of `params` at integer `indices` along `axis` (default 0, or
    batch_dims: then the first batch_dims axes of params and indices are a batch, and each
    batch element's indices pick from its own params)."""
    params = _as_tensorish(params, "gather")
    if not is_tracer(indices):
        if isinstance(indices, list | tuple) and np.size(indices) == 0:
            indices = np.zeros(np.shape(indices), np.int32)  # `[]`: no indices, not floats
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu":
            raise OpTypeError(f"gather: indices must be integers, got {indices.dtype}")
        indices = indices.astype(np.int64 if indices.dtype == np.int64 else np.int32)
    if batch_dims:
        return _batched_gather(params, indices, axis, int(batch_dims))
    axis = _normalize_axis(0 if axis is None else axis, len(shape_of(params)), "gather")
    return bind(gather_p, params, indices, axis=axis)


def _batched_gather(params, indices, axis, batch_dims: int):
    """gather with a batch: gather_nd of one-element index tuples with the same batch_dims,
    on params whose `axis` is moved to just after the batch (then moved back)."""
    from tapeflow.ops.scatter import gather_nd  # scatter imports this module

    pshape, ishape = tuple(shape_of(params)), tuple(shape_of(indices))
    b = batch_dims + len(ishape) if batch_dims < 0 else batch_dims
    axis = _normalize_axis(b if axis is None else axis, len(pshape), "gather")
    if not 0 <= b <= len(ishape) or b > axis:
        raise ValueError(f"gather: batch_dims={batch_dims} must be in [-{len(ishape)}, "
                         f"{len(ishape)}] for indices of rank {len(ishape)}, and at most "
                         f"axis={axis}")
    if pshape[:b] != ishape[:b]:
        raise InvalidArgumentError(f"gather: params {list(pshape)} and indices {list(ishape)} "
                                   f"must share their first {b} (batch) sizes")
    moved = list(range(b)) + [axis] + [i for i in range(b, len(pshape)) if i != axis]
    source = params if axis == b else transpose(params, moved)
    tuples = reshape(indices, ishape + (1,))
    out = gather_nd(source, tuples, batch_dims=b)  # batch + I + params[b:axis] + rest
    if axis == b:
        return out
    n_idx, n_mid = len(ishape) - b, axis - b
    perm = (list(range(b)) + list(range(b + n_idx, b + n_idx + n_mid))
            + list(range(b, b + n_idx)) + list(range(b + n_idx + n_mid, len(shape_of(out)))))
    return transpose(out, perm)


def _normalize_axis(axis, ndim: int, op: str) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < max(ndim, 1):
        raise InvalidArgumentError(f"{op}: axis {axis} is out of range for rank {ndim}")
    return axis % ndim if ndim else 0
