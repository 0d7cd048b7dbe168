"""Parts of matrices and the linear algebra built from other ops: band_part, diag, diag_part,
set_diag, trace, matvec, cross, normalize, triangular_solve, lstsq; and slogdet, whose
log |det| is a primitive (the determinant itself over- or underflows long before its log).

The composites use a fixed numpy mask of the matrix positions they keep (`where`, not a
product, so an inf outside the band does not become nan) or a strided slice of the flattened
matrix (the k-th diagonal of an m x n matrix is every (n+1)-th element from k), so their
gradients and compiled code are those of the ops they are made of.
"""

from __future__ import annotations

import operator

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.array import expand_dims, getitem, squeeze, stack, unstack
from tapeflow.ops.core import (
    InvalidArgumentError,
    LoopKernel,
    Primitive,
    ShapedArray,
    bind,
    per_input,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import add, divide, log, multiply, sign, subtract, where
from tapeflow.ops.layout import pad
from tapeflow.ops.linalg import _swap_last, conj, matmul
from tapeflow.ops.matrix import (
    _matrix,
    _per_matrix,
    _square_float,
    cholesky_p,
    matrix_determinant_p,
    matrix_inverse_p,
    matrix_solve_p,
)
from tapeflow.ops.reductions import norm, reduce_sum
from tapeflow.ops.shape import broadcast_to, reshape


def _static_int(value, op: str, arg: str) -> int:
    value = value.numpy() if hasattr(value, "numpy") else value
    if np.ndim(value) != 0:
        raise InvalidArgumentError(f"{op}: {arg} must be a single int here (a band of "
                                   f"diagonals is not supported), got {value!r}")
    return operator.index(value)


def _matrix_shape(x, op: str):
    shape = tuple(shape_of(x))
    if len(shape) < 2:
        raise ValueError(f"{op}: expects a tensor of rank >= 2, got shape {list(shape)}")
    return shape


def _band_mask(m: int, n: int, lo: int, hi: int) -> np.ndarray:
    """True at (i, j) when -lo <= j - i <= hi (a negative bound: that whole side)."""
    offset = np.arange(n)[None, :] - np.arange(m)[:, None]
    keep = np.ones((m, n), dtype=bool)
    if lo >= 0:
        keep &= offset >= -lo
    if hi >= 0:
        keep &= offset <= hi
    return keep


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    """`tf.linalg.band_part`: the band of each matrix that is num_lower diagonals below the
    main one and num_upper above (-1: all of that side), zeros elsewhere."""
    (x,) = promote("band_part", input)
    m, n = _matrix_shape(x, "band_part")[-2:]
    lo = _static_int(num_lower, "band_part", "num_lower")
    hi = _static_int(num_upper, "band_part", "num_upper")
    if lo > m or hi > n:
        raise InvalidArgumentError(f"band_part: num_lower={lo} and num_upper={hi} must be at "
                                   f"most the matrix sizes {m} and {n}")
    return where(_band_mask(m, n, lo, hi), x, np.zeros((), dtype=_dtype(x)))


def _diagonal_length(m: int, n: int, k: int) -> int:
    return max(0, min(m + min(k, 0), n - max(k, 0)))


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    """`tf.linalg.diag_part`: the k-th diagonal of each matrix (k > 0 above the main one)."""
    (x,) = promote("diag_part", input)
    shape = _matrix_shape(x, "diag_part")
    m, n = shape[-2:]
    k = _static_int(k, "diag_part", "k")
    if not -m < k < n and m and n:
        raise InvalidArgumentError(f"diag_part: k={k} is outside the {m} x {n} matrices")
    length = _diagonal_length(m, n, k)
    flat = reshape(x, shape[:-2] + (m * n,))
    start = k if k >= 0 else -k * n  # element (0, k) or (-k, 0), row-major
    return getitem(flat, (Ellipsis, slice(start, start + length * (n + 1), n + 1)))


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """`tf.linalg.diag`: square matrices (num_rows/num_cols: other sizes) with `diagonal` as
    their k-th diagonal and padding_value elsewhere."""
    (d,) = promote("diag", diagonal)
    shape = tuple(shape_of(d))
    if not shape:
        raise ValueError("diag: expects a tensor of rank >= 1 (the diagonals), got a scalar")
    k = _static_int(k, "diag", "k")
    length = shape[-1]
    # Square by default, as TF: a diagonal of L elements at offset k needs L + |k| rows and
    # columns.
    rows = length + abs(k) if int(num_rows) < 0 else int(num_rows)
    cols = length + abs(k) if int(num_cols) < 0 else int(num_cols)
    if _diagonal_length(rows, cols, k) != length:
        raise InvalidArgumentError(f"diag: a diagonal of {length} elements is not the k={k} "
                                   f"diagonal of {rows} x {cols} matrices")
    return _with_diagonal(broadcast_to(np.array(padding_value, dtype=_dtype(d)),
                                       shape[:-1] + (rows, cols)), d, k)


def _dtype(x) -> np.dtype:
    return x.aval.dtype if hasattr(x, "aval") else np.asarray(x).dtype


def _with_diagonal(x, d, k: int):
    """x with its k-th diagonal replaced by d: where(mask, d spread over the matrix, x). For
    k >= 0 diagonal element i is in row i, so d is padded to the row count and spread along
    the columns; for k < 0 element j is in column j, spread along the rows."""
    m, n = tuple(shape_of(x))[-2:]
    length = tuple(shape_of(d))[-1]
    batch = len(shape_of(d)) - 1
    if k >= 0:
        spread = expand_dims(pad(d, [[0, 0]] * batch + [[0, m - length]]), -1)
    else:
        spread = expand_dims(pad(d, [[0, 0]] * batch + [[0, n - length]]), -2)
    offset = np.arange(n)[None, :] - np.arange(m)[:, None]
    return where(offset == k, spread, x)


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    """`tf.linalg.set_diag`: each matrix with its k-th diagonal replaced by `diagonal`."""
    x, d = promote("set_diag", input, diagonal)
    shape = _matrix_shape(x, "set_diag")
    k = _static_int(k, "set_diag", "k")
    want = shape[:-2] + (_diagonal_length(shape[-2], shape[-1], k),)
    if tuple(shape_of(d)) != want:
        raise InvalidArgumentError(f"set_diag: diagonal of shape {list(shape_of(d))} does not "
                                   f"fit input {list(shape)} (expected {list(want)})")
    return _with_diagonal(x, d, k)


def trace(x, name=None):
    """`tf.linalg.trace`: the sum of each matrix's main diagonal."""
    return reduce_sum(diag_part(x), -1)


def tensor_diag(diagonal, name=None):
    """`tf.linalg.tensor_diag`: out[i..., i...] = diagonal[i...], zeros elsewhere."""
    (d,) = promote("tensor_diag", diagonal)
    shape = tuple(shape_of(d))
    size = int(np.prod(shape, dtype=np.int64))
    return reshape(diag(reshape(d, (size,))), shape + shape)


def tensor_diag_part(input, name=None):  # noqa: A002
    """`tf.linalg.tensor_diag_part`: the inverse of tensor_diag, for shapes [d..., d...]."""
    (x,) = promote("tensor_diag_part", input)
    shape = tuple(shape_of(x))
    half = shape[:len(shape) // 2]
    if len(shape) % 2 or shape[len(half):] != half:
        raise InvalidArgumentError(f"tensor_diag_part: expects a shape [d..., d...], got "
                                   f"{list(shape)}")
    size = int(np.prod(half, dtype=np.int64))
    return reshape(diag_part(reshape(x, (size, size))), half)


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """`tf.linalg.matvec`: a @ b for matrices a [..., m, n] and vectors b [..., n]."""
    a, b = promote("matvec", a, b)
    return squeeze(matmul(a, expand_dims(b, -1), transpose_a=transpose_a,
                          adjoint_a=adjoint_a), -1)


def cross(a, b, name=None):
    """`tf.linalg.cross`: the cross product of 3-vectors along the last axis."""
    a, b = promote("cross", a, b)
    if tuple(shape_of(a))[-1:] != (3,) or tuple(shape_of(b))[-1:] != (3,):
        raise InvalidArgumentError(f"cross: expects vectors of 3 in the last axis, got shapes "
                                   f"{list(shape_of(a))} and {list(shape_of(b))}")
    a1, a2, a3 = unstack(a, axis=-1)
    b1, b2, b3 = unstack(b, axis=-1)
    return stack([subtract(multiply(a2, b3), multiply(a3, b2)),
                  subtract(multiply(a3, b1), multiply(a1, b3)),
                  subtract(multiply(a1, b2), multiply(a2, b1))], axis=-1)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002
    """`tf.linalg.normalize`: (tensor / its norm, the norm), the norm with kept axes."""
    (x,) = promote("normalize", tensor)
    size = norm(x, ord=ord, axis=axis, keepdims=True)
    return divide(x, size), size


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """`tf.linalg.triangular_solve`: X with A X = rhs where A is the lower (or upper)
    triangle of `matrix` (the other triangle is not read); adjoint: A^H X = rhs."""
    a, b = promote("triangular_solve", matrix, rhs)
    m, n = _matrix_shape(a, "triangular_solve")[-2:]
    a = band_part(a, -1, 0) if lower else band_part(a, 0, -1)
    if adjoint:
        a = conj(_swap_last(a))
    return bind(matrix_solve_p, a, b)


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """`tf.linalg.lstsq` (fast=True, TF's default): the least-squares X of matrix X = rhs by
    the regularized normal equations, solved with a Cholesky factor as TF does: (A^T A +
    l2 I) X = A^T B for m >= n, X = A^T (A A^T + l2 I)^-1 B otherwise."""
    if not fast:
        raise InvalidArgumentError("lstsq: fast=False (complete orthogonal decomposition) is "
                                   "not supported")
    a, b = promote("lstsq", matrix, rhs)
    m, n = _matrix_shape(a, "lstsq")[-2:]
    tall = m >= n
    gram = matmul(a, a, adjoint_a=tall, adjoint_b=not tall)
    size = n if tall else m
    if l2_regularizer:
        gram = add(gram, multiply(np.eye(size, dtype=_dtype(a)), float(l2_regularizer)))
    factor = bind(cholesky_p, gram)
    if tall:
        return _cholesky_solve(factor, matmul(a, b, adjoint_a=True))
    return matmul(a, _cholesky_solve(factor, b), adjoint_a=True)


def _cholesky_solve(factor, b):
    """X with L L^T X = B."""
    y = triangular_solve(factor, b, lower=True)
    return triangular_solve(factor, y, lower=True, adjoint=True)


# --------------------------------------------------------------------------------------------
# slogdet: sign(det A) and log |det A|
# --------------------------------------------------------------------------------------------

log_abs_det_p = Primitive("log_abs_det", doc="log |det A| of each square matrix")


@log_abs_det_p.def_abstract_eval
def _log_abs_det_rule(x: ShapedArray) -> ShapedArray:
    _square_float("log_abs_det", x)
    return ShapedArray(x.shape[:-2], x.dtype)


log_abs_det_p.def_impl(_per_matrix(
    lambda x: np.asarray(np.linalg.slogdet(x)[1], dtype=x.dtype), "log_abs_det",
    "LAPACK failed"))
# d log|det A| = tr(A^-1 dA), so Abar = g A^-T.
log_abs_det_p.def_vjp(per_input(lambda g, out, x: multiply(
    expand_dims(expand_dims(g, -1), -1), _swap_last(bind(matrix_inverse_p, x)))))


@log_abs_det_p.def_lowering
@LoopKernel
def _log_abs_det_lowering(out, ins, avals):
    out_aval, x_aval = avals
    batch = x_aval.shape[:-2]
    names = lw.loop_vars(len(batch), "n")
    prefix = (lw.index(names) + ", ") if batch else ""
    body = [f"{out}[{lw.index(names)}] = np.linalg.slogdet({_matrix(ins[0], prefix)})[1]"]
    dt = lw.dtype_expr(out_aval.dtype)
    return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(batch, body, "n")


def slogdet(input, name=None):  # noqa: A002
    """`tf.linalg.slogdet`: (sign of det, log |det|) of each square matrix; the sign has no
    gradient."""
    (x,) = promote("slogdet", input)
    return sign(bind(matrix_determinant_p, x)), bind(log_abs_det_p, x)


def logdet(matrix, name=None):
    """`tf.linalg.logdet`: log det of each Hermitian positive definite matrix, as TF: twice
    the sum of the logs of its Cholesky factor's diagonal."""
    (x,) = promote("logdet", matrix)
    return multiply(reduce_sum(log(diag_part(bind(cholesky_p, x))), -1), 2.0)
