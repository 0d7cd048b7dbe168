"""Running sums and products along an axis: the `cumsum` and `cumprod` primitives, with
TensorFlow's `exclusive` (each output leaves out its own element) and `reverse` (run from the
end) flags.

cumsum's transpose is itself run the other way; cumprod's VJP is a cumsum of g * out divided
by x, made exact at zeros (see `_cumprod_vjp`).
"""

from __future__ import annotations

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
    per_input,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import cast, divide, equal, logical_and, multiply, where
from tapeflow.ops.shape import _normalize_axis, ones_like, zeros_like


def _scan_rule(name: str):
    def rule(x: ShapedArray, *, axis: int, exclusive: bool, reverse: bool) -> ShapedArray:
        if x.dtype == BOOL:
            raise OpTypeError(f"{name}: not defined for bool tensors, got {x}")
        if not 0 <= axis < x.ndim:
            raise InvalidArgumentError(f"{name}: axis {axis} is out of range for {x}")
        return x

    return rule


def _scan_kernel(ufunc, identity):
    def run(x, *, axis, exclusive, reverse):
        if reverse:
            x = np.flip(x, axis)
        out = ufunc.accumulate(x, axis=axis, dtype=x.dtype)
        # exclusive: shift by one, the identity first and the last running value dropped
        if exclusive and x.shape[axis]:
            n = x.shape[axis]
            head = np.full_like(np.take(out, [0], axis=axis), identity)
            out = np.concatenate([head, np.take(out, np.arange(n - 1), axis=axis)], axis=axis)
        return np.flip(out, axis) if reverse else out

    return run


def _scan_lowering(op: str, identity: str):
    @LoopKernel
    def emit(out, ins, avals, *, axis, exclusive, reverse):
        (x,) = ins
        out_aval, x_aval = avals
        n = x_aval.shape[axis]
        rest = x_aval.shape[:axis] + x_aval.shape[axis + 1:]
        names = lw.loop_vars(len(rest))
        k = f"{n} - 1 - _k" if reverse else "_k"
        at = lw.index(names[:axis] + ["_j"] + names[axis:])
        dt = lw.dtype_expr(x_aval.dtype)
        # The running value keeps the array's dtype, as numpy's accumulate does.
        step = [f"_acc = {dt}(_acc {op} {x}[{at}])"]
        store = [f"{out}[{at}] = _acc"]
        body = [f"_acc = {dt}({identity})", f"for _k in range({n}):", f"    _j = {k}"]
        body += ["    " + s for s in (store + step if exclusive else step + store)]
        return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(rest, body)

    return emit


cumsum_p = Primitive("cumsum", doc="running sums along `axis` (exclusive: without the element "
                                   "itself; reverse: from the end)")
cumsum_p.def_abstract_eval(_scan_rule("cumsum"))
cumsum_p.def_impl(_scan_kernel(np.add, 0))
# The transpose of a running sum is a running sum the other way, with the same `exclusive`.
cumsum_p.def_vjp(
    per_input(lambda g, out, x, *, axis, exclusive, reverse: bind(
        cumsum_p, g, axis=axis, exclusive=exclusive, reverse=not reverse))
)
cumsum_p.def_lowering(_scan_lowering("+", "0"))

cumprod_p = Primitive("cumprod", doc="running products along `axis` (exclusive: without the "
                                     "element itself; reverse: from the end)")
cumprod_p.def_abstract_eval(_scan_rule("cumprod"))
cumprod_p.def_impl(_scan_kernel(np.multiply, 1))
cumprod_p.def_lowering(_scan_lowering("*", "1"))


def _cumprod_vjp(g, out, x, *, axis, exclusive, reverse):
    # d/dx_i of sum_j g_j out_j = sum over the outputs j that include x_i of g_j times the
    # product of their other factors. Where x_i != 0 that is (cumsum the other way of
    # g * out)_i / x_i, as TensorFlow computes it. Where x_i == 0 the division fails, but:
    # if an earlier zero (in scan order) is in every such product the answer is 0; and at
    # the first zero, the other factors are those of the running product of x with that one
    # zero replaced by 1, which no division needs.
    flags = dict(axis=axis, exclusive=exclusive)
    back = not reverse
    is_zero = equal(x, zeros_like(x))
    ones = ones_like(x)
    safe_x = where(is_zero, ones, x)
    nonzero_part = divide(
        bind(cumsum_p, multiply(g, out), reverse=back, **flags), safe_x)
    zeros_before = bind(cumsum_p, cast(is_zero, np.int32), axis=axis, exclusive=True,
                        reverse=reverse)
    first_zero = logical_and(is_zero, equal(zeros_before, zeros_like(zeros_before)))
    without_first = bind(cumprod_p, where(first_zero, ones, x), reverse=reverse, **flags)
    first_zero_part = bind(cumsum_p, multiply(g, without_first), reverse=back, **flags)
    return where(first_zero, first_zero_part,
                 where(is_zero, zeros_like(x), nonzero_part))


cumprod_p.def_vjp(per_input(_cumprod_vjp))


def _scan_op(p: Primitive, op: str):
    def fn(x, axis=0, exclusive=False, reverse=False, name=None):
        (x,) = promote(op, x)
        ndim = len(shape_of(x))
        if ndim == 0:
            raise InvalidArgumentError(f"{op}: expects a tensor of rank >= 1, got a scalar")
        if hasattr(axis, "numpy"):
            axis = axis.numpy()
        axis = _normalize_axis(int(axis), ndim, op)
        return bind(p, x, axis=axis, exclusive=bool(exclusive), reverse=bool(reverse))

    fn.__name__ = op
    fn.__doc__ = f"`tf.math.{op}`: {p.doc}."
    return fn


cumsum = _scan_op(cumsum_p, "cumsum")
cumprod = _scan_op(cumprod_p, "cumprod")
