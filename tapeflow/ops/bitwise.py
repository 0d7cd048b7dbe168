"""Bitwise operations on integer tensors (`tf.bitwise`): bitwise_and, bitwise_or,
bitwise_xor, invert, left_shift, right_shift; the `&`, `|`, `^` and `~` operators of an
integer tensor call them (of a bool tensor they stay logical: `logical_operator` below).

As TensorFlow's kernels: every integer dtype and no other (bool and floats are refused),
both operands of one dtype, broadcasting; a shift amount is clamped to [0, bits - 1] (a
negative shift is 0, a shift of 40 on int32 is 31), and right_shift of a signed integer is
arithmetic (it keeps the sign). None has a gradient: integers carry none.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    LoopKernel,
    OpTypeError,
    Primitive,
    Scalar,
    ShapedArray,
    bind,
    dtype_of,
    nondifferentiable,
    promote,
)
from tapeflow.ops.elementwise import broadcast_shapes

_quiet = np.errstate(all="ignore")


def _integer_rule(name: str):
    def rule(*xs: ShapedArray) -> ShapedArray:
        if any(x.dtype != xs[0].dtype for x in xs):
            raise OpTypeError(f"{name}: operands have different dtypes "
                              f"({', '.join(map(str, xs))}); cast one with tf.cast")
        if xs[0].dtype.kind not in "iu":
            raise OpTypeError(f"{name}: expects integer tensors (int8 to int64, uint8 to "
                              f"uint64), got {', '.join(map(str, xs))}")
        return ShapedArray(broadcast_shapes(name, *xs), xs[0].dtype)

    return rule


def _primitive(name: str, kernel, doc: str, lowering) -> Primitive:
    p = Primitive(name, doc=doc)
    p.def_abstract_eval(_integer_rule(name))
    p.def_impl(_quiet(kernel))
    p.def_vjp(nondifferentiable(2 if name != "invert" else 1))
    p.def_lowering(lowering)
    return p


# Numba types int32 op int32 as int64, but the low 32 bits of &, |, ^ and ~ of sign-extended
# values are those of the int32 operation, and the store into the int32 result truncates.
bitwise_and_p = _primitive("bitwise_and", np.bitwise_and, "x & y, bit by bit, of integers",
                           Scalar(lambda x, y: f"({x} & {y})"))
bitwise_or_p = _primitive("bitwise_or", np.bitwise_or, "x | y, bit by bit, of integers",
                          Scalar(lambda x, y: f"({x} | {y})"))
bitwise_xor_p = _primitive("bitwise_xor", np.bitwise_xor, "x ^ y, bit by bit, of integers",
                           Scalar(lambda x, y: f"({x} ^ {y})"))
invert_p = _primitive("invert", np.invert, "~x, every bit flipped, of integers",
                      Scalar(lambda x: f"(~{x})"))


def _clamped(y, dtype):
    # TF clamps the shift to [0, bits - 1] (C leaves other shifts undefined).
    return np.clip(y, 0, dtype.itemsize * 8 - 1).astype(dtype)


def _shift_lowering(op: str):
    # A loop of its own rather than a Scalar: x << y must wrap in x's width, and Numba
    # computes int32 << int32 in int64; the loop knows the dtype to truncate to.
    @LoopKernel
    def emit(out, ins, avals):
        out_aval, x_aval, y_aval = avals
        x, y = ins
        names = lw.loop_vars(out_aval.ndim)
        xi = lw.broadcast_index(x_aval.shape, out_aval.shape, names)
        yi = lw.broadcast_index(y_aval.shape, out_aval.shape, names)
        dt = lw.dtype_expr(out_aval.dtype)
        bits = out_aval.dtype.itemsize * 8
        body = [f"_s = min(max({y}[{yi}], 0), {bits - 1})",
                f"{out}[{lw.index(names)}] = {dt}({x}[{xi}] {op} _s)"]
        return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + \
            lw.loop_nest(out_aval.shape, body)

    return emit


left_shift_p = _primitive(
    "left_shift", lambda x, y: np.left_shift(x, _clamped(y, x.dtype)),
    "x shifted left by y bits (y clamped to [0, bits - 1]), wrapping", _shift_lowering("<<"))
right_shift_p = _primitive(
    "right_shift", lambda x, y: np.right_shift(x, _clamped(y, x.dtype)),
    "x shifted right by y bits (y clamped to [0, bits - 1]); arithmetic for signed x",
    _shift_lowering(">>"))


def _binary_op(p: Primitive):
    def op(x, y, name=None):
        x, y = promote(p.name, x, y)
        return bind(p, x, y)

    op.__name__ = p.name
    op.__doc__ = f"`tf.bitwise.{p.name}`: {p.doc} (broadcasting)."
    return op


bitwise_and = _binary_op(bitwise_and_p)
bitwise_or = _binary_op(bitwise_or_p)
bitwise_xor = _binary_op(bitwise_xor_p)
left_shift = _binary_op(left_shift_p)
right_shift = _binary_op(right_shift_p)


def invert(x, name=None):
    """`tf.bitwise.invert`: ~x, every bit flipped (-x - 1 for signed integers)."""
    (x,) = promote("invert", x)
    return bind(invert_p, x)


def logical_operator(op: str, x, y=None):
    """What `&`, `|`, `^` (and `~`, with y None) mean for these operands, as TF's operators:
    logical for bool tensors, bitwise for integer ones. Decided by the tensor's dtype (the
    other operand may be a Python value)."""
    from tapeflow.ops import logical_and, logical_not, logical_or, logical_xor

    operands = (x,) if y is None else (x, y)
    tensor = next((a for a in operands if hasattr(a, "aval")), operands[0])
    if dtype_of(tensor).kind in "iu":
        bitwise = {"and": bitwise_and, "or": bitwise_or, "xor": bitwise_xor}
        return invert(x) if y is None else bitwise[op](x, y)
    logical = {"and": logical_and, "or": logical_or, "xor": logical_xor}
    return logical_not(x) if y is None else logical[op](x, y)

