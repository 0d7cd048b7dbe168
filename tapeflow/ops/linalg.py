"""Matrix products: the `matmul` primitive (batched over leading axes) and `tensordot`; the
complex conjugate `conj` that conjugate transposes and adjoints apply."""

from __future__ import annotations

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
    dtype_of,
    per_input,
    prod,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import broadcast_shapes
from tapeflow.ops.shape import reshape, transpose

conj_p = Primitive("conj", doc="the complex conjugate of each element of a complex tensor")


@conj_p.def_abstract_eval
def _conj_rule(x: ShapedArray) -> ShapedArray:
    if x.dtype.kind != "c":
        raise OpTypeError(f"conj: expects a complex tensor, got {x} (a real one is its own "
                          "conjugate)")
    return x


conj_p.def_impl(np.conj)
# conj is linear over the reals, so its transpose is itself: the cotangent is conjugated.
conj_p.def_vjp(per_input(lambda g, out, x: conj(g)))
conj_p.def_lowering(Scalar(lambda x: f"({x}).conjugate()"))


def conj(x, name=None):
    """`tf.math.conj`: the conjugate of a complex tensor; other tensors unchanged, as TF."""
    (x,) = promote("conj", x)
    if dtype_of(x).kind != "c":
        return x
    return bind(conj_p, x)


matmul_p = Primitive("matmul", doc="a @ b over the last two axes; leading (batch) axes broadcast")


@matmul_p.def_abstract_eval
def _matmul_rule(a: ShapedArray, b: ShapedArray) -> ShapedArray:
    if a.dtype != b.dtype:
        raise OpTypeError(f"matmul: operands have different dtypes ({a}, {b})")
    if a.dtype.kind == "b":
        raise OpTypeError(f"matmul: not defined for bool tensors ({a}, {b})")
    if a.ndim < 2 or b.ndim < 2:
        raise InvalidArgumentError(
            f"matmul: both operands need rank >= 2, got {a} and {b} "
            "(use tf.tensordot or tf.reshape for vectors)"
        )
    if a.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(
            f"matmul: inner dimensions do not match: {a} @ {b} "
            f"({a.shape[-1]} != {b.shape[-2]})"
        )
    # Batch (leading) dimensions broadcast, as numpy's matmul and TF's BatchMatMulV2; the
    # cotangents come back at the broadcast batch shape and autodiff sums them down.
    batch = broadcast_shapes(
        "matmul", ShapedArray(a.shape[:-2], a.dtype), ShapedArray(b.shape[:-2], b.dtype)
    )
    return ShapedArray(batch + a.shape[-2:-1] + b.shape[-1:], a.dtype)


# As for the elementwise kernels: inf * 0 inside a product is nan, the IEEE answer, and
# OpenBLAS can leave a spurious "invalid" flag behind on finite inputs (numpy issue 24067),
# which numpy would report as a RuntimeWarning. TensorFlow reports neither.
matmul_p.def_impl(np.errstate(all="ignore")(np.matmul))


# At or below this many multiply-adds (m*k*n) a float product is written as loops: a BLAS
# call through np.dot costs ~150-200 ns before any arithmetic, more than a (1,3)@(3,2) or an
# 8x8x8 product takes as a loop; at 16x16x16 BLAS is ahead (measured inside @njit here: 1x3x2
# 0.80 vs 0.66 us per call with the call itself, 8x8x8 0.91 vs 0.76, 16x16x16 1.10 vs 1.21).
TINY_MATMUL = 1024


@matmul_p.def_lowering
@LoopKernel
def _matmul_lowering(out, ins, avals):
    # Floats go to BLAS: through codegen's blas_matmul (np.dot's BLAS call, which returns a
    # fresh C-contiguous product, without np.dot's compile cost), or np.dot writing each
    # batch slice in place through its `out` argument. Operands may be C- or F-contiguous
    # (the emitter passes `x.T` views for transposes that only matmuls read; BLAS gets a
    # transpose flag instead of a copy). Integers, which np.dot refuses inside Numba, and
    # tiny float products get loops.
    a, b = ins
    out_aval, a_aval, b_aval = avals
    dt = lw.dtype_expr(out_aval.dtype)
    batch = out_aval.shape[:-2]
    m, k, n = a_aval.shape[-2], a_aval.shape[-1], b_aval.shape[-1]
    blas = out_aval.dtype.kind == "f" and m * k * n > TINY_MATMUL
    if blas and not batch:
        return [f"{out} = blas_matmul({a}, {b})"]
    names = lw.loop_vars(len(batch), "n")
    ai = lw.broadcast_index(a_aval.shape[:-2], batch, names)
    bi = lw.broadcast_index(b_aval.shape[:-2], batch, names)
    oi = lw.index(names)

    def at(name, lead, rows, cols):  # one element; `lead` indexes the batch axes, if any
        return f"{name}[{'' if lead == '()' else lead + ', '}{rows}, {cols}]"

    if blas:
        sub = lambda name, i: name if not batch else f"{name}[{i}]"  # noqa: E731
        body = [f"np.dot({sub(a, ai)}, {sub(b, bi)}, {sub(out, oi)})"]
    elif out_aval.dtype == np.float32:
        # As float64 below, with each row summed in float64 and rounded once: BLAS's sgemm
        # fuses each multiply into its add (FMA), so a product that overflows float32 on
        # its own (3e38 * 1.2) but not in the sum stays finite there; rounding each product
        # to float32 first would give inf where eager (numpy's BLAS) does not. Where a
        # product or partial sum leaves float32's range, or a sum underflows to zero, the
        # result (inf or nan, the sign of zero) is BLAS's kernel's choice, which these
        # loops do not follow (README, Known limits): numpy's (3,3)@(3,1) goes to sgemv,
        # which rounds each product (-2.5 * -inf + -3e38 * 1.36 is nan; here inf), and
        # -0.18 * 1e-45 is +0.0 in its (2,1)@(1,2) product, -0.0 in a (2,2)@(2,2) one
        # (here -0.0). Handing such products to np.dot made a linear model's step compile
        # in ~4 s instead of 0.9 (np.dot's lowering); blas_matmul is sgemm for any shape.
        body = lw.loop_nest((m,), [
            f"for i1 in range({n}):",
            "    _row[i1] = 0.0",
            f"for _k in range({k}):",
            f"    _a = np.float64({at(a, ai, 'i0', '_k')})",
            f"    for i1 in range({n}):",
            f"        _row[i1] += _a * {at(b, bi, '_k', 'i1')}",
            f"for i1 in range({n}):",
            f"    {at(out, oi, 'i0', 'i1')} = _row[i1]",
        ])
        return ([f"{out} = {lw.empty(out_aval.shape, dt)}",
                 f"_row = {lw.empty(n, 'np.float64')}"]
                + lw.loop_nest(batch, body, "n"))
    elif out_aval.dtype.kind == "f":
        # i-k-j order: the innermost loop runs along a row of b and of the result, so it
        # vectorises; each result element sums over k in order.
        body = lw.loop_nest((m,), [
            f"for i1 in range({n}):",
            f"    {at(out, oi, 'i0', 'i1')} = 0",
            f"for _k in range({k}):",
            f"    _a = {at(a, ai, 'i0', '_k')}",
            f"    for i1 in range({n}):",
            f"        {at(out, oi, 'i0', 'i1')} += _a * {at(b, bi, '_k', 'i1')}",
        ])
    else:
        body = lw.loop_nest((m, n), [
            "_acc = 0",
            f"for _k in range({k}):",
            f"    _acc += {at(a, ai, 'i0', '_k')} * {at(b, bi, '_k', 'i1')}",
            f"{at(out, oi, 'i0', 'i1')} = _acc",
        ])
    return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(batch, body, "n")


def _swap_last(t):
    n = len(t.shape)
    return transpose(t, tuple(range(n - 2)) + (n - 1, n - 2))


matmul_p.def_vjp(
    per_input(
        lambda g, out, a, b: matmul(g, _swap_last(b)),  # dA = G B^T
        lambda g, out, a, b: matmul(_swap_last(a), g),  # dB = A^T G
    )
)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False,
           grad_b=False, name=None):
    """`tf.matmul` / `a @ b` for operands of rank >= 2. adjoint_x is the conjugate
    transpose (the plain transpose for real tensors); the *_is_sparse and grad_* hints
    change nothing here, as in TF's dense kernel."""
    if transpose_a and adjoint_a or transpose_b and adjoint_b:
        raise ValueError("matmul: only one of transpose_a and adjoint_a (transpose_b and "
                         "adjoint_b) can be True")
    if output_type is not None:
        raise InvalidArgumentError("matmul: output_type is not supported (it is for int8 "
                                   "products in TF)")
    a, b = promote("matmul", a, b)
    if transpose_a or adjoint_a:
        a = conj(_swap_last(a)) if adjoint_a else _swap_last(a)
    if transpose_b or adjoint_b:
        b = conj(_swap_last(b)) if adjoint_b else _swap_last(b)
    return bind(matmul_p, a, b)


def tensordot(a, b, axes, name=None):
    """`tf.tensordot`: contract `axes` of a with those of b (an int N means a's last N axes
    with b's first N), as one matmul between transposed, reshaped operands."""
    a, b = promote("tensordot", a, b)
    sa, sb = shape_of(a), shape_of(b)
    if isinstance(axes, int | np.integer):
        n = int(axes)
        if n < 0 or n > len(sa) or n > len(sb):
            raise InvalidArgumentError(f"tensordot: axes={n} is invalid for shapes {sa}, {sb}")
        axes_a, axes_b = list(range(len(sa) - n, len(sa))), list(range(n))
    else:
        axes_a, axes_b = ([int(x)] if np.ndim(x) == 0 else [int(i) for i in x] for x in axes)
        axes_a = [x % len(sa) for x in axes_a]
        axes_b = [x % len(sb) for x in axes_b]
    if [sa[i] for i in axes_a] != [sb[i] for i in axes_b]:
        raise InvalidArgumentError(
            f"tensordot: contracted dimensions differ: {[sa[i] for i in axes_a]} of {sa} vs "
            f"{[sb[i] for i in axes_b]} of {sb}"
        )
    free_a = [i for i in range(len(sa)) if i not in axes_a]
    free_b = [i for i in range(len(sb)) if i not in axes_b]
    m, k, n = (prod(sa[i] for i in free_a), prod(sa[i] for i in axes_a),
               prod(sb[i] for i in free_b))
    a2 = reshape(transpose(a, free_a + axes_a), (m, k))
    b2 = reshape(transpose(b, axes_b + free_b), (k, n))
    return reshape(matmul(a2, b2), [sa[i] for i in free_a] + [sb[i] for i in free_b])
