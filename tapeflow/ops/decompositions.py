"""Matrix decompositions: QR (`tf.linalg.qr`) and the symmetric eigendecomposition
(`tf.linalg.eigh`, `tf.linalg.eigvalsh`), batched over leading axes.

As for the SVD (ops/matrix.py), each is one primitive with a `part` param naming the result it
returns ('q' or 'r'; 'e' or 'v'): codegen compiles single-result equations, and the VJP of
each part is its share of the full rule (the rules are linear in the cotangents, so the sum
over the parts is TensorFlow's rule). The eager kernel is numpy's LAPACK call; the Numba
lowering calls the same np.linalg function inside the compiled code, once per matrix of the
batch. Each VJP is written with tapeflow ops, so gradients of gradients work.

An inf or NaN: eager QR returns NaNs, as TF; compiled QR raises InvalidArgumentError naming
qr (numba's np.linalg refuses non-finite input, as for svd and inv). eigh raises, as TF.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.array import expand_dims, getitem
from tapeflow.ops.core import (
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
from tapeflow.ops.elementwise import add, divide, multiply, subtract, where
from tapeflow.ops.linalg import _swap_last, matmul
from tapeflow.ops.matrix import _diag, _matrix
from tapeflow.ops.matrix_parts import band_part, diag_part, set_diag, triangular_solve
from tapeflow.ops.shape import concat


def _float_matrices(op: str, arg: str, x: ShapedArray, square: bool = False) -> None:
    """TF's checks, with its error class (InvalidArgumentError): float matrices [..., m, n]
    (square ones where `square`)."""
    if x.dtype.kind != "f":
        raise OpTypeError(f"{op}: {arg} must be a float tensor, got {x} (cast it with "
                          "tf.cast)")
    if x.ndim < 2:
        raise InvalidArgumentError(f"{op}: {arg} must have rank >= 2 (matrices [..., m, n]), "
                                   f"got {x} of rank {x.ndim}")
    if square and x.shape[-1] != x.shape[-2]:
        raise InvalidArgumentError(f"{op}: {arg} must be square matrices [..., n, n], got "
                                   f"{x}")


def _batched_part(out, ins, avals, call: str, pick: str) -> list[str]:
    """Lowering lines: for each matrix of the batch, `call` (which decomposes `{x}`) then
    `out[batch] = pick` (an expression over the names `call` bound)."""
    out_aval, x_aval = avals[0], avals[1]
    batch = x_aval.shape[:-2]
    names = lw.loop_vars(len(batch), "n")
    prefix = (lw.index(names) + ", ") if batch else ""
    body = [call.format(x=_matrix(ins[0], prefix)),
            f"{out}[{lw.index(names) if batch else '...'}] = {pick}"]
    dt = lw.dtype_expr(out_aval.dtype)
    return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(batch, body, "n")


# --------------------------------------------------------------------------------------------
# QR: A = Q R, Q with orthonormal columns, R upper triangular (Householder, LAPACK's signs)
# --------------------------------------------------------------------------------------------

qr_p = Primitive("qr", doc="one part of A = Q R (Householder QR, LAPACK's signs): `part` 'q' "
                           "or 'r'; reduced unless full_matrices")


@qr_p.def_abstract_eval
def _qr_rule(x: ShapedArray, *, part: str, full_matrices: bool) -> ShapedArray:
    _float_matrices("qr", "input", x)
    m, n = x.shape[-2:]
    # Reduced: Q [m, k], R [k, n] with k = min(m, n); full: Q [m, m], R [m, n].
    k = m if full_matrices else min(m, n)
    shape = (m, k) if part == "q" else (k, n)
    return ShapedArray(x.shape[:-2] + shape, x.dtype)


def _qr(x, *, part, full_matrices):
    with np.errstate(all="ignore"):
        q, r = np.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return (q if part == "q" else r).astype(x.dtype)


qr_p.def_impl(_qr)


@qr_p.def_lowering
@LoopKernel
def _qr_lowering(out, ins, avals, *, part, full_matrices):
    # Numba's np.linalg.qr has no `mode`: it returns the reduced factors. For a tall matrix
    # in full mode, the reduced QR of [A | 0] (m x m) is numpy's complete QR of A: the zero
    # columns stay zero under A's n reflectors, so LAPACK's geqrf makes them reflectors with
    # tau = 0 (the identity), and Q = H_1 ... H_n, R = [R_A | 0], exactly as orgqr builds
    # numpy's complete Q.
    x_aval = avals[1]
    m, n = x_aval.shape[-2:]
    if full_matrices and m > n:
        dt = lw.dtype_expr(x_aval.dtype)
        call = (f"_qa = np.zeros(({m}, {m}), {dt}); _qa[:, :{n}] = {{x}}; "
                "_q, _r = np.linalg.qr(_qa)")
        pick = "_q" if part == "q" else f"_r[:, :{n}]"
    else:
        call, pick = "_q, _r = np.linalg.qr({x})", "_q" if part == "q" else "_r"
    return _batched_part(out, ins, avals, call, pick)


def _times_r_inv_t(x, r):
    """X R^-T for upper-triangular R: the transpose of R^-1 X^T, a triangular solve."""
    return _swap_last(triangular_solve(r, _swap_last(x), lower=False))


def _qr_grad_square_or_tall(q, r, dq, dr):
    """TensorFlow's _QrGradSquareAndDeepMatrices (Roberts & Roberts, "QR and LQ
    decomposition matrix backpropagation algorithms", arXiv:2009.10071), for m >= n,
    reduced; dq or dr may be None (a zero cotangent):

        M    = tril(Q^T dQ - dQ^T Q + R dR^T - dR R^T)
        Abar = Q (dR + M R^-T) + (dQ - Q Q^T dQ) R^-T
    """
    skew = None
    if dq is not None:
        qdq = matmul(q, dq, transpose_a=True)
        skew = subtract(qdq, _swap_last(qdq))
    if dr is not None:
        rdr = matmul(r, dr, transpose_b=True)
        rdr_skew = subtract(rdr, _swap_last(rdr))
        skew = rdr_skew if skew is None else add(skew, rdr_skew)
    # Everything multiplied by R^-T on the right, gathered into one triangular solve.
    left = matmul(q, band_part(skew, -1, 0))
    if dq is not None:
        left = add(left, subtract(dq, matmul(q, qdq)))
    grad = _times_r_inv_t(left, r)
    return grad if dr is None else add(grad, matmul(q, dr))


def _qr_vjp(g, out, x, *, part, full_matrices):
    m, n = x.aval.shape[-2:]
    if full_matrices and m > n:
        # As TF: Q's extra columns are any orthonormal completion, no function of A.
        raise NotImplementedError(
            f"qr: the gradient is not implemented when nrows > ncols and full_matrices is "
            f"true (input {x.aval}); use full_matrices=False")
    q = out if part == "q" else bind(qr_p, x, part="q", full_matrices=full_matrices)
    r = out if part == "r" else bind(qr_p, x, part="r", full_matrices=full_matrices)
    dq, dr = (g, None) if part == "q" else (None, g)
    if m >= n:
        return _qr_grad_square_or_tall(q, r, dq, dr)
    # Wide (TF's reduction to the square case): A = [X | Y] with X m x m, R = [U | V] where
    # X = Q U and V = Q^T Y. Then Ybar = Q dV and Xbar is the square rule for (Q, U) with
    # the cotangent dQ + Y dV^T (V's dependence on Q).
    y = getitem(x, (Ellipsis, slice(m, None)))
    u = getitem(r, (Ellipsis, slice(None, m)))
    if dr is None:
        dx = _qr_grad_square_or_tall(q, u, dq, None)
        return concat([dx, np.zeros(x.aval.shape[:-1] + (n - m,), x.aval.dtype)], -1)
    du = getitem(dr, (Ellipsis, slice(None, m)))
    dv = getitem(dr, (Ellipsis, slice(m, None)))
    dx = _qr_grad_square_or_tall(q, u, matmul(y, dv, transpose_b=True), du)
    return concat([dx, matmul(q, dv)], -1)


qr_p.def_vjp(per_input(_qr_vjp))

QR = namedtuple("Qr", ["q", "r"])


def qr(input, full_matrices=False, name=None):
    """`tf.linalg.qr`: (q, r) with input = q @ r, q's columns orthonormal and r upper
    triangular; reduced (q [..., m, min(m, n)]) unless full_matrices (q [..., m, m]). The
    signs are LAPACK's, as TF's CPU kernel. A namedtuple `Qr(q, r)`, as TF's."""
    (x,) = promote("qr", input)
    full = bool(full_matrices)
    return QR(bind(qr_p, x, part="q", full_matrices=full),
              bind(qr_p, x, part="r", full_matrices=full))


# --------------------------------------------------------------------------------------------
# eigh: A = V diag(e) V^T for symmetric A (LAPACK's syevd; reads A's lower triangle, as TF)
# --------------------------------------------------------------------------------------------

eigh_p = Primitive("eigh", doc="one part of the symmetric eigendecomposition (lower triangle "
                               "read): `part` 'e' (ascending) or 'v' (columns)")


@eigh_p.def_abstract_eval
def _eigh_rule(x: ShapedArray, *, part: str) -> ShapedArray:
    _float_matrices("eigh", "tensor", x, square=True)
    return ShapedArray(x.shape[:-1] if part == "e" else x.shape, x.dtype)


def _eigh(x, *, part):
    # TF's kernel fails on an inf or NaN in the triangle it reads, where LAPACK would return
    # NaNs; the compiled kernel (numba's eigh) refuses any inf or NaN, upper triangle too.
    if not np.isfinite(np.tril(x)).all():
        raise InvalidArgumentError("eigh: self-adjoint eigen decomposition was not "
                                   "successful: the input has infs or NaNs")
    try:
        with np.errstate(all="ignore"):
            e, v = np.linalg.eigh(x)
    except np.linalg.LinAlgError as err:
        raise InvalidArgumentError(f"eigh: the decomposition did not converge ({err})") \
            from None
    return (e if part == "e" else v).astype(x.dtype)


eigh_p.def_impl(_eigh)


@eigh_p.def_lowering
@LoopKernel
def _eigh_lowering(out, ins, avals, *, part):
    return _batched_part(out, ins, avals, "_e, _v = np.linalg.eigh({x})",
                         "_e" if part == "e" else "_v")


def _safe_reciprocal(x, eps=1e-20):
    """TF's _SafeReciprocal: x / (x^2 + eps), 0 where x is 0 (equal eigenvalues)."""
    return divide(x, add(multiply(x, x), eps))


def _eigh_vjp(g, out, x, *, part):
    # TF's _SelfAdjointEigV2Grad (Giles, "An extended collection of matrix derivative
    # results", 2008): for the symmetric perturbation,
    #   G = V (diag(ebar) + F o (V^T Vbar)) V^T,  F_ij = 1 / (e_j - e_i) (0 for i = j),
    # taken here one part at a time. As TF, F is a safe reciprocal (0 for equal
    # eigenvalues, where the eigenvectors are not unique), and since the kernel reads only
    # A's lower triangle the gradient is that of the lower triangle: tril(G + G^T) with the
    # diagonal halved (G's own diagonal), zero above it.
    v = out if part == "v" else bind(eigh_p, x, part="v")
    if part == "e":
        inner = _diag(g)
    else:
        e = bind(eigh_p, x, part="e")
        n = x.aval.shape[-1]
        f = _safe_reciprocal(subtract(expand_dims(e, -2), expand_dims(e, -1)))
        f = where(np.eye(n, dtype=bool), np.zeros((), x.aval.dtype), f)
        inner = multiply(f, matmul(v, g, transpose_a=True))
    grad = matmul(v, matmul(inner, v, transpose_b=True))
    lower = band_part(add(grad, _swap_last(grad)), -1, 0)
    return set_diag(lower, diag_part(grad))


eigh_p.def_vjp(per_input(_eigh_vjp))


def eigh(tensor, name=None):
    """`tf.linalg.eigh`: (e, v) for each symmetric matrix, eigenvalues ascending and the
    eigenvectors as v's columns; only the lower triangle is read. An eigenvector's sign is
    LAPACK's (numpy's), which can differ from TF's Eigen kernel: compare them up to sign."""
    (x,) = promote("eigh", tensor)
    _float_matrices("eigh", "tensor", _aval(x), square=True)
    return bind(eigh_p, x, part="e"), bind(eigh_p, x, part="v")


def eigvalsh(tensor, name=None):
    """`tf.linalg.eigvalsh`: the eigenvalues of each symmetric matrix, ascending."""
    (x,) = promote("eigvalsh", tensor)
    _float_matrices("eigvalsh", "tensor", _aval(x), square=True)
    return bind(eigh_p, x, part="e")


def _aval(x) -> ShapedArray:
    """x's shape and dtype, checked by the API functions before binding so that an error
    names the TF op the user called (eigh's primitive serves eigvalsh too)."""
    return ShapedArray(tuple(shape_of(x)), x.aval.dtype if hasattr(x, "aval")
                       else np.asarray(x).dtype)
