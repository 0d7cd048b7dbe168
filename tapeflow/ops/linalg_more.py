"""The rest of `tf.linalg`, composites of existing ops written as TF writes them
(linalg_impl.py): pinv and matrix_rank from the SVD, cholesky_solve and the LU family from
triangular solves, tridiagonal and banded triangular systems as the dense matrices their
diagonals make (solved with LAPACK, which pivots as TF's default partial_pivoting does).

Their gradients are those of the ops they are made of (svd, matrix_solve, matmul, gather).
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.array import expand_dims, getitem, squeeze, stack
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, bind, promote, shape_of
from tapeflow.ops.elementwise import cast, divide, greater, multiply, where
from tapeflow.ops.linalg import _swap_last, conj, matmul
from tapeflow.ops.matrix import solve, svd_p
from tapeflow.ops.matrix_parts import (
    _cholesky_solve,
    _dtype,
    _with_diagonal,
    band_part,
    set_diag,
    triangular_solve,
)
from tapeflow.ops.reductions import reduce_max, reduce_sum
from tapeflow.ops.shape import broadcast_to, gather
from tapeflow.ops.sorting import argsort


def _float_matrix(op: str, x, arg: str = "a"):
    """TF's static check (ValueError) for ops that take matrices [..., m, n]."""
    shape = tuple(shape_of(x))
    if len(shape) < 2:
        raise ValueError(f"{op}: input `{arg}` must have at least 2 dimensions (saw: "
                         f"{len(shape)}, shape {list(shape)})")
    if _dtype(x).kind != "f":
        raise OpTypeError(f"{op}: `{arg}` must be a float tensor, got {_dtype(x).name}")
    return shape


# --------------------------------------------------------------------------------------------
# From the SVD: pinv, matrix_rank
# --------------------------------------------------------------------------------------------


def pinv(a, rcond=None, validate_args=False, name=None):
    """`tf.linalg.pinv`: the Moore-Penrose pseudo-inverse V diag(1/s) U^T, singular values
    at or below rcond * max(s) counted as zero (default rcond: 10 max(m, n) eps, TF's)."""
    (x,) = promote("pinv", a)
    shape = _float_matrix("pinv", x)
    dtype = _dtype(x)
    if rcond is None:
        rcond = 10.0 * max(shape[-2:]) * float(np.finfo(dtype).eps)
    s = bind(svd_p, x, part="s", full_matrices=False)
    u = bind(svd_p, x, part="u", full_matrices=False)
    v = bind(svd_p, x, part="v", full_matrices=False)
    cutoff = multiply(cast(rcond, dtype), reduce_max(s, axis=-1, keepdims=True))
    # A dropped singular value becomes inf, so its 1/s is 0 (TF's where).
    s = where(greater(s, cutoff), s, np.array(np.inf, dtype))
    return matmul(divide(v, expand_dims(s, -2)), u, adjoint_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """`tf.linalg.matrix_rank`: the number of singular values above tol (default eps
    max(m, n) max(s), TF's), as int32."""
    (x,) = promote("matrix_rank", a)
    shape = _float_matrix("matrix_rank", x)
    dtype = _dtype(x)
    s = bind(svd_p, x, part="s", full_matrices=False)
    if tol is None:
        tol = multiply(reduce_max(s, axis=-1, keepdims=True),
                       float(np.finfo(dtype).eps) * max(shape[-2:]))
    else:
        tol = cast(tol, dtype)
    return reduce_sum(cast(greater(s, tol), np.int32), axis=-1)


# --------------------------------------------------------------------------------------------
# cholesky_solve and the LU family
# --------------------------------------------------------------------------------------------


def _solve_shapes(op: str, matrix_name: str, matrix, rhs, error=InvalidArgumentError):
    m, r = tuple(shape_of(matrix)), tuple(shape_of(rhs))
    if len(m) < 2 or m[-1] != m[-2]:
        raise error(f"{op}: `{matrix_name}` must be square matrices [..., n, n], got shape "
                    f"{list(m)}")
    if len(r) < 2 or r[-2] != m[-1]:
        raise error(f"{op}: `rhs` must be [..., {m[-1]}, k] for `{matrix_name}` of shape "
                    f"{list(m)}, got shape {list(r)}")


def cholesky_solve(chol, rhs, name=None):
    """`tf.linalg.cholesky_solve`: X with A X = rhs given A's Cholesky factor L (A = L L^T):
    two triangular solves, L Y = rhs then L^T X = Y."""
    c, b = promote("cholesky_solve", chol, rhs)
    _solve_shapes("cholesky_solve", "chol", c, b)
    cshape, bshape = tuple(shape_of(c)), tuple(shape_of(b))
    batch = _batch_of("cholesky_solve", cshape[:-2], bshape[:-2])
    return _cholesky_solve(broadcast_to(c, batch + cshape[-2:]),
                           broadcast_to(b, batch + bshape[-2:]))


def _unit_lower(lower_upper):
    """L of a packed LU: its strict lower triangle, ones on the diagonal."""
    ones = np.ones(tuple(shape_of(lower_upper))[:-1], _dtype(lower_upper))
    return set_diag(band_part(lower_upper, -1, 0), ones)


def _rows(x, index, batch: tuple):
    """x[..., index[...], :]: the rows of each matrix of x picked by the batch's indices."""
    x = broadcast_to(x, batch + tuple(shape_of(x))[-2:])
    index = broadcast_to(index, batch + tuple(shape_of(index))[-1:])
    return gather(x, index, axis=len(batch), batch_dims=len(batch))


def _batch_of(op: str, *shapes) -> tuple:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise InvalidArgumentError(f"{op}: batch shapes {[list(s) for s in shapes]} do not "
                                   "broadcast") from None


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """`tf.linalg.lu_solve`: X with A X = rhs from A's `tf.linalg.lu` factors: the rows of
    rhs permuted by perm, then L Y = P rhs and U X = Y."""
    lu, b = promote("lu_solve", lower_upper, rhs)
    _solve_shapes("lu_solve", "lower_upper", lu, b, error=ValueError)
    p = tuple(shape_of(perm))
    lshape, bshape = tuple(shape_of(lu)), tuple(shape_of(b))
    if not p or p[-1] != lshape[-1]:
        raise ValueError(f"lu_solve: `perm` must be [..., {lshape[-1]}], got shape {list(p)}")
    batch = _batch_of("lu_solve", lshape[:-2], p[:-1], bshape[:-2])
    permuted = _rows(b, perm, batch)
    lu = broadcast_to(lu, batch + lshape[-2:])  # matrix_solve wants one batch shape
    y = triangular_solve(_unit_lower(lu), permuted, lower=True)
    return triangular_solve(lu, y, lower=False)


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """`tf.linalg.lu_reconstruct`: the matrix A = P^-1 L U whose `tf.linalg.lu` factors
    these are (row i of L U is row perm[i] of A, so A's rows are L U's at argsort(perm))."""
    (lu,) = promote("lu_reconstruct", lower_upper)
    shape = _float_matrix("lu_reconstruct", lu, "lower_upper")
    product = matmul(_unit_lower(lu), band_part(lu, 0, -1))
    p = tuple(shape_of(perm))
    batch = _batch_of("lu_reconstruct", shape[:-2], p[:-1])
    return _rows(product, argsort(perm, axis=-1), batch)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """`tf.linalg.lu_matrix_inverse`: A^-1 from A's LU factors (lu_solve of the identity)."""
    (lu,) = promote("lu_matrix_inverse", lower_upper)
    shape = _float_matrix("lu_matrix_inverse", lu, "lower_upper")
    eye = np.eye(shape[-1], dtype=_dtype(lu))
    return lu_solve(lu, perm, broadcast_to(eye, shape))


# --------------------------------------------------------------------------------------------
# Banded systems: tridiagonal_solve, banded_triangular_solve
# --------------------------------------------------------------------------------------------


def _from_diagonals(template, diagonals: dict):
    """The matrices with `diagonals[k]` (its last axis) as their k-th diagonal, zeros
    elsewhere; `template` gives the matrix shape and dtype."""
    dense = np.zeros(tuple(shape_of(template)), _dtype(template))
    for k, d in diagonals.items():
        dense = _with_diagonal(dense, d, k)
    return dense


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """`tf.linalg.tridiagonal_solve`: X with A X = rhs for tridiagonal A given as
    'compact' [..., 3, M] (superdiagonal, diagonal, subdiagonal; the superdiagonal's last
    and the subdiagonal's first element unused), 'sequence' (the three [..., M]) or
    'matrix' [..., M, M]. rhs is [..., M, K], or [..., M] for one right-hand side."""
    op = "tridiagonal_solve"
    if perturb_singular:
        raise InvalidArgumentError(f"{op}: perturb_singular is not supported")
    if diagonals_format == "sequence":
        if not isinstance(diagonals, list | tuple) or len(diagonals) != 3:
            raise ValueError(f"{op}: expected a list of 3 diagonals, got {diagonals!r}")
        diagonals = [promote(op, d)[0] for d in diagonals]
        diagonals = stack(diagonals, axis=-2)
        diagonals_format = "compact"
    if diagonals_format not in ("compact", "matrix"):
        raise ValueError(f"{op}: unrecognized diagonals_format {diagonals_format!r}")
    d, b = promote(op, diagonals, rhs)
    dshape = tuple(shape_of(d))
    if diagonals_format == "compact":
        if len(dshape) < 2 or dshape[-2] != 3:
            raise ValueError(f"{op}: expected 3 diagonals got "
                             f"{dshape[-2] if len(dshape) >= 2 else dshape}")
        m = dshape[-1]
        sup, main, sub = (getitem(d, (Ellipsis, i, slice(None))) for i in range(3))
        template = broadcast_to(expand_dims(main, -1), dshape[:-2] + (m, m))
        matrix = _from_diagonals(template, {
            0: main, 1: getitem(sup, (Ellipsis, slice(None, m - 1))),
            -1: getitem(sub, (Ellipsis, slice(1, None)))})
    else:
        if len(dshape) < 2 or dshape[-1] != dshape[-2]:
            raise ValueError(f"{op}: expected square matrices [..., M, M], got {list(dshape)}")
        m, matrix = dshape[-1], band_part(d, 1, 1)
    vector = len(shape_of(b)) == len(dshape) - 1
    if vector:
        b = expand_dims(b, -1)
    if transpose_rhs:
        b = _swap_last(b)
    if conjugate_rhs:
        b = conj(b)
    if tuple(shape_of(b))[-2] != m:
        raise ValueError(f"{op}: rhs of shape {list(shape_of(rhs))} does not fit "
                         f"{m} x {m} matrices")
    x = solve(matrix, b)
    return squeeze(x, -1) if vector else x


def banded_triangular_solve(bands, rhs, lower=True, adjoint=False, name=None):
    """`tf.linalg.banded_triangular_solve`: X with A X = rhs for triangular A with K
    diagonals given as bands [..., K, M]: lower, bands[k] is the k-th subdiagonal (its
    element i in row i, so its first k elements unused); upper, bands[K-1-k] is the k-th
    superdiagonal (element i in row i, its last k unused)."""
    op = "banded_triangular_solve"
    a, b = promote(op, bands, rhs)
    shape, bshape = tuple(shape_of(a)), tuple(shape_of(b))
    if len(shape) < 2 or len(bshape) < 2:
        raise ValueError(f"{op}: bands and rhs must have rank >= 2, got {list(shape)} and "
                         f"{list(bshape)}")
    k_count, m = shape[-2:]
    if k_count > m or bshape[-2] != m:
        raise InvalidArgumentError(f"{op}: bands of shape {list(shape)} and rhs of shape "
                                   f"{list(bshape)} do not fit (need K <= M = rhs rows)")
    template = broadcast_to(expand_dims(getitem(a, (Ellipsis, 0, slice(None))), -1),
                            shape[:-2] + (m, m))
    diagonals = {}
    for k in range(k_count):
        if lower:
            diagonals[-k] = getitem(a, (Ellipsis, k, slice(k, None)))
        else:
            diagonals[k] = getitem(a, (Ellipsis, k_count - 1 - k, slice(None, m - k)))
    matrix = _from_diagonals(template, diagonals)
    return triangular_solve(matrix, b, lower=bool(lower), adjoint=bool(adjoint))
