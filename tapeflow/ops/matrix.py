"""Matrix functions over the last two axes (leading axes are a batch): inverse, determinant,
solve, Cholesky factor and the singular value decomposition.

Each is a primitive whose eager kernel is numpy's LAPACK call and whose Numba lowering calls
the same function inside the compiled code (np.linalg in @njit, once per matrix of the
batch); each VJP is written with tapeflow ops (matmul, transposes, these primitives), so
gradients of gradients work. A singular or not positive definite input raises
InvalidArgumentError naming the op (compiled code raises numpy's LinAlgError, a ValueError).
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.array import expand_dims
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
from tapeflow.ops.elementwise import add, divide, multiply, negative, subtract, where
from tapeflow.ops.linalg import _swap_last, conj, matmul


def _square_float(op: str, x: ShapedArray):
    if x.dtype.kind != "f":
        raise OpTypeError(f"{op}: expects a float tensor, got {x} (cast it with tf.cast)")
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise InvalidArgumentError(f"{op}: expects square matrices [..., n, n], got {x}")


def _per_matrix(kernel, op: str, failure: str):
    """A numpy kernel applied to the stacked matrices, LinAlgError made the op's error."""
    def run(*xs, **params):
        try:
            with np.errstate(all="ignore"):
                return kernel(*xs, **params)
        except np.linalg.LinAlgError as e:
            raise InvalidArgumentError(f"{op}: {failure} ({e})") from None

    return run


def _batched_call(out, out_aval, batch, call: str, dtype) -> list[str]:
    """`out[b] = call(b)` for every batch position b (call's text uses `{b}` for the batch
    subscript prefix, empty without a batch)."""
    names = lw.loop_vars(len(batch), "n")
    prefix = (lw.index(names) + ", ") if batch else ""
    target = f"{out}[{lw.index(names)}]" if batch else out
    if not batch:
        return [f"{out} = {lw.empty(out_aval.shape, dtype)}",
                f"{out}[...] = {call.format(b=prefix)}"]
    return [f"{out} = {lw.empty(out_aval.shape, dtype)}"] + lw.loop_nest(
        batch, [f"{target} = {call.format(b=prefix)}"], "n")


def _matrix(x: str, b: str) -> str:
    """The matrix at batch prefix `b` of array `x`, C-contiguous for LAPACK."""
    return f"np.ascontiguousarray({x}[{b}:, :])" if b else x


# --------------------------------------------------------------------------------------------
# inverse
# --------------------------------------------------------------------------------------------

matrix_inverse_p = Primitive("matrix_inverse", doc="the inverse of each square matrix")


@matrix_inverse_p.def_abstract_eval
def _inverse_rule(x: ShapedArray) -> ShapedArray:
    _square_float("matrix_inverse", x)
    return x


matrix_inverse_p.def_impl(_per_matrix(np.linalg.inv, "matrix_inverse",
                                      "the matrix is not invertible"))
# d(A^-1) = -A^-1 dA A^-1, so Abar = -A^-T G A^-T.
matrix_inverse_p.def_vjp(
    per_input(lambda g, out, x: negative(matmul(matmul(_swap_last(out), g), _swap_last(out))))
)


@matrix_inverse_p.def_lowering
@LoopKernel
def _inverse_lowering(out, ins, avals):
    out_aval = avals[0]
    return _batched_call(out, out_aval, out_aval.shape[:-2],
                         f"np.linalg.inv({_matrix(ins[0], '{b}')})",
                         lw.dtype_expr(out_aval.dtype))


# --------------------------------------------------------------------------------------------
# determinant
# --------------------------------------------------------------------------------------------

matrix_determinant_p = Primitive("matrix_determinant", doc="the determinant of each square "
                                                           "matrix")


@matrix_determinant_p.def_abstract_eval
def _det_rule(x: ShapedArray) -> ShapedArray:
    _square_float("matrix_determinant", x)
    return ShapedArray(x.shape[:-2], x.dtype)


matrix_determinant_p.def_impl(
    _per_matrix(lambda x: np.asarray(np.linalg.det(x), dtype=x.dtype), "matrix_determinant",
                "LAPACK failed"))


def _det_vjp(g, out, x):
    # d det A = det A * tr(A^-1 dA), so Abar = g det(A) A^-T (A singular: no gradient, as TF).
    scale = expand_dims(expand_dims(multiply(g, out), -1), -1)
    return multiply(scale, _swap_last(bind(matrix_inverse_p, x)))


matrix_determinant_p.def_vjp(per_input(_det_vjp))


@matrix_determinant_p.def_lowering
@LoopKernel
def _det_lowering(out, ins, avals):
    out_aval, x_aval = avals
    batch = x_aval.shape[:-2]
    dt = lw.dtype_expr(out_aval.dtype)
    names = lw.loop_vars(len(batch), "n")
    prefix = (lw.index(names) + ", ") if batch else ""
    body = [f"{out}[{lw.index(names)}] = np.linalg.det({_matrix(ins[0], prefix)})"]
    return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(batch, body, "n")


# --------------------------------------------------------------------------------------------
# solve
# --------------------------------------------------------------------------------------------

matrix_solve_p = Primitive("matrix_solve", doc="X with A X = B, for each square A [..., n, n] "
                                               "and B [..., n, k]")


@matrix_solve_p.def_abstract_eval
def _solve_rule(a: ShapedArray, b: ShapedArray) -> ShapedArray:
    _square_float("matrix_solve", a)
    if b.dtype != a.dtype:
        raise OpTypeError(f"matrix_solve: matrix {a} and rhs {b} have different dtypes")
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] or b.shape[-2] != a.shape[-1]:
        raise InvalidArgumentError(
            f"matrix_solve: rhs {b} does not fit matrix {a} (expected [..., "
            f"{a.shape[-1]}, k] with the matrix's batch shape {list(a.shape[:-2])})")
    return b


matrix_solve_p.def_impl(_per_matrix(np.linalg.solve, "matrix_solve",
                                    "the matrix is not invertible"))


def _solve_grad_b(g, out, a, b):
    return bind(matrix_solve_p, _swap_last(a), g)  # Bbar = A^-T G


matrix_solve_p.def_vjp(
    per_input(
        # Abar = -Bbar X^T
        lambda g, out, a, b: negative(matmul(_solve_grad_b(g, out, a, b), _swap_last(out))),
        _solve_grad_b,
    )
)


@matrix_solve_p.def_lowering
@LoopKernel
def _solve_lowering(out, ins, avals):
    out_aval = avals[0]
    a, b = ins
    return _batched_call(out, out_aval, out_aval.shape[:-2],
                         f"np.linalg.solve({_matrix(a, '{b}')}, {_matrix(b, '{b}')})",
                         lw.dtype_expr(out_aval.dtype))


# --------------------------------------------------------------------------------------------
# Cholesky
# --------------------------------------------------------------------------------------------

cholesky_p = Primitive("cholesky", doc="the lower-triangular L with L L^T = A, for each "
                                       "symmetric positive definite A (reads A's lower half)")


@cholesky_p.def_abstract_eval
def _cholesky_rule(x: ShapedArray) -> ShapedArray:
    _square_float("cholesky", x)
    return x


cholesky_p.def_impl(_per_matrix(np.linalg.cholesky, "cholesky",
                                "the matrix is not positive definite"))


def _cholesky_vjp(g, out, x):
    # Murray (2016), as TensorFlow's: P = Phi(L^T G) (lower triangle, diagonal halved),
    # S = L^-T P L^-1, Abar = (S + S^T) / 2 -- the gradient for a symmetric perturbation.
    n = x.aval.shape[-1]
    phi = np.tril(np.ones((n, n), dtype=x.aval.dtype), -1) + 0.5 * np.eye(n,
                                                                          dtype=x.aval.dtype)
    middle = multiply(matmul(_swap_last(out), g), phi)
    l_inv = bind(matrix_inverse_p, out)
    s = matmul(matmul(_swap_last(l_inv), middle), l_inv)
    return multiply(add(s, _swap_last(s)), 0.5)


cholesky_p.def_vjp(per_input(_cholesky_vjp))


@cholesky_p.def_lowering
@LoopKernel
def _cholesky_lowering(out, ins, avals):
    out_aval = avals[0]
    return _batched_call(out, out_aval, out_aval.shape[:-2],
                         f"np.linalg.cholesky({_matrix(ins[0], '{b}')})",
                         lw.dtype_expr(out_aval.dtype))


# --------------------------------------------------------------------------------------------
# SVD: one primitive per result (s, u or v), each computing the decomposition
# --------------------------------------------------------------------------------------------

svd_p = Primitive("svd", doc="one part of A = U diag(s) V^T: `part` 's' (descending), 'u' or "
                             "'v' (columns are singular vectors)")


@svd_p.def_abstract_eval
def _svd_rule(x: ShapedArray, *, part: str, full_matrices: bool) -> ShapedArray:
    if x.dtype.kind != "f":
        raise OpTypeError(f"svd: expects a float tensor, got {x} (cast it with tf.cast)")
    if x.ndim < 2:
        raise InvalidArgumentError(f"svd: expects matrices [..., m, n], got {x}")
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = x.shape[:-2]
    if part == "s":
        return ShapedArray(batch + (k,), x.dtype)
    cols = (m if part == "u" else n) if full_matrices else k
    return ShapedArray(batch + ((m if part == "u" else n), cols), x.dtype)


def _svd(x, *, part, full_matrices):
    try:
        u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    except np.linalg.LinAlgError as e:
        raise InvalidArgumentError(f"svd: the decomposition did not converge ({e})") from None
    if part == "s":
        return s.astype(x.dtype)
    return (u if part == "u" else np.swapaxes(vh, -1, -2)).astype(x.dtype)


svd_p.def_impl(_svd)


@svd_p.def_lowering
@LoopKernel
def _svd_lowering(out, ins, avals, *, part, full_matrices):
    out_aval, x_aval = avals
    batch = x_aval.shape[:-2]
    names = lw.loop_vars(len(batch), "n")
    prefix = (lw.index(names) + ", ") if batch else ""
    pick = {"s": "_s", "u": "_u", "v": "_vh.T"}[part]
    body = [f"_u, _s, _vh = np.linalg.svd({_matrix(ins[0], prefix)}, "
            f"full_matrices={bool(full_matrices)})",
            f"{out}[{lw.index(names) if batch else '...'}] = {pick}"]
    dt = lw.dtype_expr(out_aval.dtype)
    return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(batch, body, "n")


def _svd_parts(x, full_matrices):
    u = bind(svd_p, x, part="u", full_matrices=False)
    s = bind(svd_p, x, part="s", full_matrices=False)
    v = bind(svd_p, x, part="v", full_matrices=False)
    return u, s, v


def _diag(s):
    """[..., k] -> [..., k, k] with s on the diagonal."""
    k = s.aval.shape[-1]
    return multiply(expand_dims(s, -1), np.eye(k, dtype=s.aval.dtype))


def _f_matrix(s):
    # F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it (distinct singular values).
    k = s.aval.shape[-1]
    sq = multiply(s, s)
    diff = subtract(expand_dims(sq, -2), expand_dims(sq, -1))
    eye = np.eye(k, dtype=bool)
    safe = where(eye, np.ones((k, k), s.aval.dtype), diff)  # no 1/0 even where unused
    return where(eye, np.zeros((k, k), s.aval.dtype), divide(1, safe))


def _svd_vjp(g, out, x, *, part, full_matrices):
    # Townsend, "Differentiating the singular value decomposition" (2016), split by which
    # result the cotangent belongs to (the full rule is the sum of the three):
    #   s: U diag(sbar) V^T
    #   u: U (F o (U^T Ubar - Ubar^T U)) S V^T + (I - U U^T) Ubar S^-1 V^T
    #   v: U S (F o (V^T Vbar - Vbar^T V)) V^T + U S^-1 Vbar^T (I - V V^T)
    m, n = x.aval.shape[-2:]
    if full_matrices and part != "s" and m != n:
        raise InvalidArgumentError(
            f"svd: the gradient of u and v with full_matrices=True needs square matrices, "
            f"got {x.aval} (use full_matrices=False)")
    u, s, v = _svd_parts(x, full_matrices)
    ut, vt = _swap_last(u), _swap_last(v)
    if part == "s":
        return matmul(matmul(u, _diag(g)), vt)
    f = _f_matrix(s)
    inv_s = _diag(divide(1, s))
    if part == "u":
        inner = multiply(f, subtract(matmul(ut, g), matmul(_swap_last(g), u)))
        core = matmul(matmul(u, matmul(inner, _diag(s))), vt)
        if m > n:  # the part of Ubar outside U's span
            core = add(core, matmul(matmul(subtract(g, matmul(u, matmul(ut, g))), inv_s), vt))
        return core
    inner = multiply(f, subtract(matmul(vt, g), matmul(_swap_last(g), v)))
    core = matmul(matmul(u, matmul(_diag(s), inner)), vt)
    if n > m:
        extra = subtract(_swap_last(g), matmul(matmul(_swap_last(g), v), vt))
        core = add(core, matmul(matmul(u, inv_s), extra))
    return core


svd_p.def_vjp(per_input(_svd_vjp))

# --------------------------------------------------------------------------------------------
# The TensorFlow ops
# --------------------------------------------------------------------------------------------


def inv(input, adjoint=False, name=None):  # noqa: A002
    """`tf.linalg.inv`: the inverse of each square matrix (adjoint: of its transpose)."""
    (x,) = promote("inv", input)
    out = bind(matrix_inverse_p, x)
    return _swap_last(out) if adjoint else out


def det(input, name=None):  # noqa: A002
    """`tf.linalg.det`: the determinant of each square matrix."""
    (x,) = promote("det", input)
    return bind(matrix_determinant_p, x)


def solve(matrix, rhs, adjoint=False, name=None):
    """`tf.linalg.solve`: X with matrix @ X = rhs (adjoint: matrix^T @ X = rhs)."""
    a, b = promote("solve", matrix, rhs)
    if adjoint:
        a = _swap_last(a)
    return bind(matrix_solve_p, a, b)


def cholesky(input, name=None):  # noqa: A002
    """`tf.linalg.cholesky`: the lower-triangular factor of each symmetric positive definite
    matrix."""
    (x,) = promote("cholesky", input)
    return bind(cholesky_p, x)


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """`tf.linalg.svd`: s (descending) and, with compute_uv, u and v such that
    tensor = u @ diag(s) @ v^T. Returns s, or (s, u, v)."""
    (x,) = promote("svd", tensor)
    s = bind(svd_p, x, part="s", full_matrices=False)
    if not compute_uv:
        return s
    u = bind(svd_p, x, part="u", full_matrices=bool(full_matrices))
    v = bind(svd_p, x, part="v", full_matrices=bool(full_matrices))
    return s, u, v


def matrix_transpose(a, name=None, conjugate=False):
    """`tf.linalg.matrix_transpose`: the last two axes swapped (conjugate=True: and each
    complex element conjugated, `tf.linalg.adjoint`)."""
    (a,) = promote("matrix_transpose", a)
    if len(shape_of(a)) < 2:
        raise ValueError(f"matrix_transpose: expects a tensor of rank >= 2, got shape "
                         f"{list(shape_of(a))}")
    out = _swap_last(a)
    return conj(out) if conjugate else out


def adjoint(matrix, name=None):
    """`tf.linalg.adjoint`: the conjugate transpose of the last two axes."""
    return matrix_transpose(matrix, conjugate=True)



# The primitives whose compiled LAPACK call can fail, and what a failure means for each: the
# runtime names them when numpy's LinAlgError comes out of compiled code.
LAPACK_FAILURES = {
    "matrix_inverse": "the matrix is not invertible",
    "matrix_determinant": "LAPACK failed",
    "matrix_solve": "the matrix is not invertible",
    "cholesky": "the matrix is not positive definite",
    "svd": "the decomposition did not converge",
    # ops/decompositions.py: numba's qr and eigh refuse infs and NaNs (LinAlgError).
    "qr": "the input is not finite",
    "eigh": "the input is not finite or the decomposition did not converge",
    # ops/matrix_functions.py: a zero pivot; expm's Padé denominator V - U singular.
    "lu": "the matrix is not invertible",
    "expm": "the Padé denominator is singular",
}
