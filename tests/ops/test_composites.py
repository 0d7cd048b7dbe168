"""Ops written as compositions of primitives (nn activations, linspace, one_hot, ...), driven
from one table like tests/ops/test_op_table.py's: each row is checked (the checks are in
tests/ops/composite_checks.py; tests/ops/composite_rows_sweep.py holds more rows)

a. eagerly against a numpy reference;
b. its gradient against central finite differences in float64;
c. its second-order gradient (nested tapes) against finite differences of the gradient;
d. compiled with `@tapeflow.function` (Numba; slow tier) against eager, value and gradient.

A composite needs no rules of its own (its gradient comes from its parts); these rows pin
that the composition computes what TensorFlow's op computes, kinks and overflow included.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapeflow as tf
from tests.ops.composite_checks import (
    F32,
    F64,
    I32,
    I64,
    Composite,
    args,
    check_compiled,
    check_eager,
    check_gradient,
    check_second_order,
    fixed,
    normal,
    signed,
)
from tests.ops.composite_rows_sweep import ROWS as SWEEP_ROWS

_erf = np.vectorize(math.erf)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _activation_rows(name, fn, ref, gen, order=2):
    return [
        Composite(f"{name}:f64", fn, args(gen((2, 3))), ref, (0,), order),
        Composite(f"{name}:f32", fn, args(gen((5,), F32)), ref, (0,), order, 1e-5, 1e-6),
    ]


ACTIVATIONS = [
    ("elu", tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)),
     lambda s, d=F64: signed(s, 0.1, 3.0, d)),
    ("selu", tf.nn.selu,
     lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x)),
     lambda s, d=F64: signed(s, 0.1, 3.0, d)),
    ("gelu", tf.nn.gelu, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), normal),
    ("gelu-approximate", lambda x: tf.nn.gelu(x, approximate=True),
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), normal),
    ("leaky_relu", tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x),
     lambda s, d=F64: signed(s, 0.1, 3.0, d)),
    ("leaky_relu-alpha", lambda x: tf.nn.leaky_relu(x, alpha=0.05),
     lambda x: np.where(x > 0, x, 0.05 * x), lambda s, d=F64: signed(s, 0.1, 3.0, d)),
    ("relu6", tf.nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6),
     lambda s, d=F64: lambda rng: np.asarray(
         rng.choice([-2.0, 1.5, 3.0, 4.5, 8.0], s) + rng.uniform(-1, 1, s), dtype=d)),
    ("silu", tf.nn.silu, lambda x: x * _sigmoid(x), normal),
    ("swish", tf.nn.swish, lambda x: x * _sigmoid(x), normal),
    ("silu-beta", lambda x: tf.nn.silu(x, beta=1.7), lambda x: x * _sigmoid(1.7 * x), normal),
    ("log_sigmoid", tf.math.log_sigmoid, lambda x: -np.log1p(np.exp(-x)), normal),
    ("softsign", tf.nn.softsign, lambda x: x / (1 + np.abs(x)),
     lambda s, d=F64: signed(s, 0.1, 3.0, d)),
]

ROWS = [row for name, fn, ref, gen in ACTIVATIONS
        for row in _activation_rows(name, fn, ref, gen)] + [
    # Overflow: exp of the unselected branch must not turn into inf or nan.
    Composite("elu:extreme", tf.nn.elu, args(fixed([-800.0, -30.0, 0.0, 30.0, 800.0], F64)),
              lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), (0,),
              order=1),  # elu'' jumps at the 0 in the row
    Composite("log_sigmoid:extreme", tf.math.log_sigmoid,
              args(fixed([-800.0, -30.0, 0.0, 30.0, 800.0], F64)),
              lambda x: np.array([-800.0, -30.0 - 9.357622968840175e-14, -np.log(2.0),
                                  -9.357622968840175e-14, 0.0]), (0,), rtol=1e-12, atol=0),
    Composite("linspace", lambda a, b: tf.linspace(a, b, 5), args(normal(()), normal(())),
              lambda a, b: np.linspace(a, b, 5), (0, 1)),
    Composite("linspace:vector-axis1", lambda a, b: tf.linspace(a, b, 4, axis=1),
              args(normal((3,)), normal((3,))),
              lambda a, b: np.linspace(a, b, 4, axis=1), (0, 1)),
    Composite("linspace:broadcast-axis0", lambda a, b: tf.linspace(a, b, 3),
              args(normal((2,)), normal(())), lambda a, b: np.linspace(a, b, 3), (0, 1)),
    Composite("linspace:num1", lambda a, b: tf.linspace(a, b, 1),
              args(normal(()), normal(())), lambda a, b: np.linspace(a, b, 1), (0,)),
    Composite("linspace:num2-f32", lambda a, b: tf.linspace(a, b, 2),
              args(normal((), F32), normal((), F32)), lambda a, b: np.linspace(a, b, 2), (0, 1),
              rtol=1e-6),
    Composite("linspace:ints", lambda a, b: tf.linspace(a, b, 4),
              args(fixed(1, I32), fixed(10, I32)), lambda a, b: np.linspace(1.0, 10.0, 4)),
    Composite("one_hot", lambda i: tf.one_hot(i, 4), args(fixed([0, 3, -1, 2, 4], I32)),
              lambda i: np.eye(5, 4, dtype=F32)[np.where((i >= 0) & (i < 4), i, 4)]),
    Composite("one_hot:axis0-values",
              lambda i, on, off: tf.one_hot(i, 3, on_value=on, off_value=off, axis=0),
              args(fixed([[0, 2], [1, 1]], I64), normal(()), normal(())),
              lambda i, on, off: np.where(np.arange(3)[:, None, None] == i[None], on, off),
              (1, 2)),
    Composite("meshgrid:xy", lambda x, y: tf.stack(tf.meshgrid(x, y)),
              args(normal((3,)), normal((2,))), lambda x, y: np.stack(np.meshgrid(x, y)),
              (0, 1)),
    Composite("meshgrid:ij", lambda x, y, z: tf.stack(tf.meshgrid(x, y, z, indexing="ij")),
              args(normal((3,)), normal((2,)), normal((2,))),
              lambda x, y, z: np.stack(np.meshgrid(x, y, z, indexing="ij")), (0, 1, 2)),
    Composite("eye", lambda: tf.eye(3, 4, dtype=tf.float64), args(),
              lambda: np.eye(3, 4)),
    Composite("eye:batch", lambda: tf.eye(2, batch_shape=[3]), args(),
              lambda: np.broadcast_to(np.eye(2, dtype=F32), (3, 2, 2))),
]

def _top_k_ref(k):
    def ref(x):
        order = np.array([sorted(range(x.shape[-1]), key=lambda i: (-r[i], i))[:k]
                          for r in x.reshape(-1, x.shape[-1])])
        return order.reshape(x.shape[:-1] + (k,))

    return ref


def _gather_nd_ref(params, idx):
    return np.array([params[tuple(t)] for t in idx.reshape(-1, idx.shape[-1])]).reshape(
        idx.shape[:-1] + params.shape[idx.shape[-1]:])


def _scatter_nd_ref(shape):
    def ref(idx, updates):
        out = np.zeros(shape, updates.dtype)
        k = idx.shape[-1]
        for t, u in zip(idx.reshape(-1, k), updates.reshape((-1,) + shape[k:])):
            out[tuple(t)] += u
        return out

    return ref


def _update_ref(tensor, idx, updates):
    out = tensor.copy()
    k = idx.shape[-1]
    for t, u in zip(idx.reshape(-1, k), updates.reshape((-1,) + tensor.shape[k:])):
        out[tuple(t)] = u
    return out


ROWS += [
    Composite("sort", tf.sort, args(normal((3, 4))), lambda x: np.sort(x, -1), (0,)),
    Composite("sort:descending-axis0", lambda x: tf.sort(x, 0, "DESCENDING"),
              args(normal((4, 3))), lambda x: -np.sort(-x, 0), (0,)),
    Composite("top_k:values", lambda x: tf.math.top_k(x, 2).values, args(normal((3, 5))),
              lambda x: -np.sort(-x, -1)[:, :2], (0,)),
    Composite("top_k:indices-ties", lambda x: tf.math.top_k(x, 3).indices,
              args(fixed([[1.0, 3.0, 3.0, 2.0, 3.0]], F64)), _top_k_ref(3)),
    Composite("reduce_variance", lambda x: tf.math.reduce_variance(x, 1), args(normal((3, 4))),
              lambda x: np.var(x, 1), (0,)),
    Composite("reduce_std:all-keepdims", lambda x: tf.math.reduce_std(x, keepdims=True),
              args(normal((2, 3))), lambda x: np.std(x, keepdims=True), (0,)),
    Composite("logical_xor", tf.math.logical_xor,
              args(fixed([True, False, True, False], bool), fixed([True, True, False, False],
                                                                    bool)), np.logical_xor),
    Composite("pad:constant", lambda x: tf.pad(x, [[1, 0], [2, 1]]), args(normal((2, 3))),
              lambda x: np.pad(x, [[1, 0], [2, 1]]), (0,)),
    Composite("pad:constant-value", lambda x, c: tf.pad(x, [[0, 2]], constant_values=c),
              args(normal((3,)), normal(())),
              lambda x, c: np.pad(x, [[0, 2]], constant_values=c), (0, 1)),
    Composite("pad:reflect", lambda x: tf.pad(x, [[2, 1], [1, 2]], "REFLECT"),
              args(normal((3, 4))), lambda x: np.pad(x, [[2, 1], [1, 2]], "reflect"), (0,)),
    Composite("pad:symmetric", lambda x: tf.pad(x, [[3, 1], [0, 2]], "SYMMETRIC"),
              args(normal((3, 2))), lambda x: np.pad(x, [[3, 1], [0, 2]], "symmetric"), (0,)),
    Composite("reverse", lambda x: tf.reverse(x, [0, -1]), args(normal((2, 3, 2))),
              lambda x: x[::-1, :, ::-1], (0,)),
    Composite("roll", lambda x: tf.roll(x, [1, -2, 1], [0, 1, 0]), args(normal((3, 4))),
              lambda x: np.roll(x, [2, -2], [0, 1]), (0,)),
    Composite("split:num", lambda x: tf.stack(tf.split(x, 2, axis=1)), args(normal((3, 4))),
              lambda x: np.stack(np.split(x, 2, axis=1)), (0,)),
    Composite("split:sizes", lambda x: tf.concat(tf.split(x, [1, -1, 2], 0)[::-1], 0),
              args(normal((5, 2))), lambda x: np.concatenate([x[3:], x[1:3], x[:1]]), (0,)),
    Composite("slice", lambda x: tf.slice(x, [1, 0], [2, -1]), args(normal((4, 3))),
              lambda x: x[1:3, 0:], (0,)),
    Composite("gather_nd:elements", lambda p: tf.gather_nd(p, [[0, 1], [2, 0], [0, 1]]),
              args(normal((3, 2))),
              lambda p: _gather_nd_ref(p, np.array([[0, 1], [2, 0], [0, 1]])), (0,)),
    Composite("gather_nd:slices", lambda p, i: tf.gather_nd(p, i),
              args(normal((3, 2, 4)), fixed([[[1], [0]], [[2], [2]]], I64)),
              _gather_nd_ref, (0,)),
    Composite("gather_nd:batch_dims", lambda p, i: tf.gather_nd(p, i, batch_dims=1),
              args(normal((2, 3, 4)), fixed([[[2], [0]], [[1], [1]]], I32)),
              lambda p, i: np.stack([_gather_nd_ref(p[b], i[b]) for b in range(2)]), (0,)),
    Composite("scatter_nd", lambda i, u: tf.scatter_nd(i, u, [4, 3]),
              args(fixed([[1], [3], [1]], I32), normal((3, 3))), _scatter_nd_ref((4, 3)),
              (1,)),
    Composite("scatter_nd:elements", lambda i, u: tf.scatter_nd(i, u, [2, 3]),
              args(fixed([[0, 2], [1, 1], [0, 2]], I64), normal((3,))),
              _scatter_nd_ref((2, 3)), (1,)),
    Composite("tensor_scatter_nd_update", tf.tensor_scatter_nd_update,
              args(normal((3, 4)), fixed([[0, 1], [2, 3]], I32), normal((2,))), _update_ref,
              (0, 2)),
    Composite("tensor_scatter_nd_update:rows", tf.tensor_scatter_nd_update,
              args(normal((4, 2)), fixed([[3], [0]], I32), normal((2, 2))), _update_ref,
              (0, 2)),
    Composite("tensor_scatter_nd_add", tf.tensor_scatter_nd_add,
              args(normal((4,)), fixed([[1], [1], [3]], I32), normal((3,))),
              lambda t, i, u: t + _scatter_nd_ref((4,))(i, u), (0, 2)),
    Composite("tensor_scatter_nd_sub", tf.tensor_scatter_nd_sub,
              args(normal((4,)), fixed([[2]], I32), normal((1,))),
              lambda t, i, u: t - _scatter_nd_ref((4,))(i, u), (0, 2)),
    Composite("argmax", lambda x: tf.math.argmax(x, 1), args(normal((3, 4))),
              lambda x: np.argmax(x, 1)),
    Composite("argmin:default-axis", tf.argmin, args(normal((3, 4))),
              lambda x: np.argmin(x, 0)),
    Composite("cumsum", lambda x: tf.math.cumsum(x, axis=1, exclusive=True),
              args(normal((2, 3))), lambda x: np.cumsum(x, 1) - x, (0,)),
    Composite("cumprod", lambda x: tf.math.cumprod(x, reverse=True),
              args(signed((4,), 0.5, 2.0)), lambda x: np.cumprod(x[::-1])[::-1], (0,)),
]

def _gram(x):
    return x @ np.swapaxes(x, -1, -2) + x.shape[-1] * np.eye(x.shape[-1])


def _tf_gram(x):
    n = x.shape[-1]
    return tf.matmul(x, x, transpose_b=True) + n * tf.eye(n, dtype=x.dtype)


def _sym(x):
    """A symmetric matrix with well separated eigenvalues, from any square x."""
    n = x.shape[-1]
    return x + np.swapaxes(x, -1, -2) + np.diag(4.0 * np.arange(n))


def _tf_sym(x):
    n = x.shape[-1]
    return x + tf.linalg.matrix_transpose(x) + tf.linalg.diag(4.0 * tf.range(n, dtype=x.dtype))


def _row_and_column_sums(q, r):
    """The first two row sums of Q plus the first two column sums of R (tf or numpy)."""
    return q.sum(-1)[..., :2] + r.sum(-2)[..., :2] if isinstance(q, np.ndarray) else (
        tf.reduce_sum(q, -1)[..., :2] + tf.reduce_sum(r, -2)[..., :2])


def _scaled_gram(e, v):
    """V diag(e) V^T."""
    return tf.matmul(v * e[..., None, :], v, transpose_b=True)


ROWS += [
    # Cholesky of a symmetric input built from x: finite differences stay symmetric.
    Composite("cholesky:gram", lambda x: tf.linalg.cholesky(_tf_gram(x)),
              args(normal((3, 3))), lambda x: np.linalg.cholesky(_gram(x)), (0,)),
    Composite("cholesky:gram-batched", lambda x: tf.linalg.cholesky(_tf_gram(x)),
              args(normal((2, 2, 2))), lambda x: np.linalg.cholesky(_gram(x)), (0,)),
    # Squared singular vectors do not depend on the sign LAPACK picks.
    Composite("svd:u-squared-tall", lambda x: tf.square(tf.linalg.svd(x)[1]),
              args(normal((4, 3))), lambda x: np.linalg.svd(x)[0][:, :3] ** 2, (0,)),
    Composite("svd:v-squared-wide", lambda x: tf.square(tf.linalg.svd(x)[2]),
              args(normal((2, 3))), lambda x: np.linalg.svd(x)[2][:2].T ** 2, (0,)),
    Composite("svd:reconstruct", lambda x: (lambda s, u, v: tf.matmul(
        u * s[..., None, :], v, transpose_b=True))(*tf.linalg.svd(x)),
              args(normal((2, 3, 2))), lambda x: x, (0,)),
    Composite("svd:s-only", lambda x: tf.linalg.svd(x, compute_uv=False),
              args(normal((3, 2))), lambda x: np.linalg.svd(x, compute_uv=False), (0,)),
    # QR: the product gives A back (its gradient is the identity map); sums of Q's rows and
    # R's columns (both parts' VJPs at once) through the public API.
    Composite("qr:reconstruct-tall", lambda x: tf.matmul(*tf.linalg.qr(x)),
              args(normal((2, 4, 3))), lambda x: x, (0,)),
    Composite("qr:reconstruct-wide", lambda x: tf.matmul(*tf.linalg.qr(x)),
              args(normal((2, 4))), lambda x: x, (0,)),
    Composite("qr:q-and-r", lambda x: _row_and_column_sums(*tf.linalg.qr(x)),
              args(normal((3, 2))), lambda x: _row_and_column_sums(*np.linalg.qr(x)),
              (0,)),
    # eigh of a symmetric input built from x (finite differences stay symmetric): the
    # eigenvalues, squared eigenvectors (sign-invariant) and V diag(e) V^T, which is A.
    Composite("eigvalsh:sym", lambda x: tf.linalg.eigvalsh(x + tf.linalg.matrix_transpose(x)),
              args(normal((2, 3, 3))), lambda x: np.linalg.eigvalsh(x + np.swapaxes(x, -1, -2)),
              (0,)),
    Composite("eigh:v-squared", lambda x: tf.square(tf.linalg.eigh(_tf_sym(x))[1]),
              args(normal((3, 3))), lambda x: np.linalg.eigh(_sym(x))[1] ** 2, (0,)),
    Composite("eigh:reconstruct", lambda x: _scaled_gram(*tf.linalg.eigh(_tf_sym(x))),
              args(normal((2, 3, 3))), _sym, (0,)),
    Composite("inv:adjoint", lambda x: tf.linalg.inv(x, adjoint=True),
              args(lambda rng: rng.standard_normal((3, 3)) + 3 * np.eye(3)),
              lambda x: np.linalg.inv(x).T, (0,)),
    Composite("solve:adjoint", lambda a, b: tf.linalg.solve(a, b, adjoint=True),
              args(lambda rng: rng.standard_normal((3, 3)) + 3 * np.eye(3), normal((3, 1))),
              lambda a, b: np.linalg.solve(a.T, b), (0, 1)),
    Composite("det", tf.linalg.det, args(lambda rng: rng.standard_normal((3, 3)) + np.eye(3)),
              np.linalg.det, (0,)),
]

EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
    ("ij,jk,k->i", [(2, 3), (3, 2), (2,)]),
    ("bij->bj", [(2, 3, 2)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("b i j, b j -> b i", [(2, 3, 2), (2, 2)]),
]

ROWS += [
    Composite(f"einsum:{eq.replace(' ', '')}", lambda *xs, eq=eq: tf.einsum(eq, *xs),
              args(*[normal(s) for s in shapes]), lambda *xs, eq=eq: np.einsum(eq, *xs),
              tuple(range(len(shapes))))
    for eq, shapes in EINSUM
] + [
    Composite("einsum:i32", lambda a, b: tf.einsum("ij,j->i", a, b),
              args(fixed([[1, 2], [3, 4]], I32), fixed([5, -1], I32)),
              lambda a, b: np.einsum("ij,j->i", a, b)),
]

def _log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


ROWS += [
    Composite("reciprocal", tf.math.reciprocal, args(signed((2, 3), 0.5, 2.0)),
              lambda x: 1 / x, (0,)),
    Composite("rsqrt", lambda x: tf.math.rsqrt(tf.abs(x)), args(signed((4,), 0.5, 2.0)),
              lambda x: np.abs(x) ** -0.5, (0,)),
    Composite("squared_difference", tf.math.squared_difference,
              args(normal((2, 3)), normal((3,))), lambda x, y: (x - y) ** 2, (0, 1)),
    Composite("divide_no_nan", tf.math.divide_no_nan,
              args(normal((4,)), fixed([0.0, 2.0, -0.5, 0.0], F64)),
              lambda x, y: np.where(y == 0, 0.0, x / np.where(y == 0, 1.0, y)),
              (0,)),  # y jumps at its zeros: its gradient is pinned by the kink test below
    Composite("is_nan", tf.math.is_nan, args(fixed([np.nan, 1.0, np.inf, -np.inf], F64)),
              np.isnan),
    Composite("is_inf", tf.math.is_inf, args(fixed([np.nan, 1.0, np.inf, -np.inf], F32)),
              np.isinf),
    Composite("is_finite", tf.math.is_finite, args(fixed([np.nan, 1.0, np.inf, -0.0], F64)),
              np.isfinite),
    Composite("count_nonzero", lambda x: tf.math.count_nonzero(x, axis=1),
              args(fixed([[0.0, 1.0, 2.0], [0.0, 0.0, -1.0]], F64)),
              lambda x: np.count_nonzero(x, axis=1)),
    Composite("reduce_euclidean_norm", lambda x: tf.math.reduce_euclidean_norm(x, 0),
              args(normal((3, 2))), lambda x: np.linalg.norm(x, axis=0), (0,)),
    Composite("l2_normalize", lambda x: tf.nn.l2_normalize(x, axis=1), args(normal((2, 3))),
              lambda x: x / np.linalg.norm(x, axis=1, keepdims=True), (0,)),
    Composite("moments", lambda x: tf.stack(tf.nn.moments(x, axes=[0])),
              args(normal((4, 2))), lambda x: np.stack([x.mean(0), x.var(0)]), (0,)),
    Composite("softmax_cross_entropy_with_logits",
              lambda z, x: tf.nn.softmax_cross_entropy_with_logits(labels=z, logits=x),
              args(lambda rng: rng.dirichlet(np.ones(4), 3), normal((3, 4))),
              lambda z, x: -(z * _log_softmax(x)).sum(-1), (0, 1)),
    Composite("sigmoid_cross_entropy_with_logits",
              lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
              args(lambda rng: rng.uniform(0, 1, (5,)), signed((5,), 0.1, 4.0)),
              lambda z, x: -z * np.log(_sigmoid(x)) - (1 - z) * np.log(1 - _sigmoid(x)),
              (0, 1)),
    Composite("sigmoid_cross_entropy_with_logits:extreme",
              lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
              args(fixed([1.0, 0.0, 1.0, 0.5], F64), fixed([800.0, -800.0, -30.0, 0.0], F64)),
              lambda z, x: np.array([0.0, 0.0, 30.0 + 9.357622968840175e-14, np.log(2.0)]),
              (0, 1), order=1, rtol=1e-12, atol=1e-12),  # kink of |x| at the row's 0
]


def _truncatediv_ref(x, y):
    q = x / y
    return np.trunc(q).astype(x.dtype) if x.dtype.kind == "f" else (np.sign(x) * np.sign(y) * (
        np.abs(x) // np.abs(y))).astype(x.dtype)


def _int_mean_ref(x, axis=None):
    # TF's integer Mean: the sum in int64, divided rounding toward zero, cast back.
    total = x.astype(np.int64).sum(axis)
    count = x.size if axis is None else x.shape[axis]
    return (np.sign(total) * (np.abs(total) // count)).astype(x.dtype)


ROWS += [
    # C's / and %: the quotient rounds toward zero, the remainder has the sign of x.
    Composite("truncatediv:i32", tf.truncatediv,
              args(fixed([7, -7, 7, -7, 0, 6], I32), fixed([2, 2, -2, -2, 3, -3], I32)),
              _truncatediv_ref),
    Composite("truncatediv:f32", tf.truncatediv,
              args(fixed([7.5, -7.5, 7.5, -0.5], F32), fixed([2.0, 2.0, -2.0, 4.0], F32)),
              _truncatediv_ref),
    Composite("truncatemod:i64", tf.truncatemod,
              args(fixed([7, -7, 7, -7, 0, 6], I64), fixed([2, 2, -2, -2, 3, -3], I64)),
              np.fmod),
    Composite("truncatemod:f64", tf.truncatemod,
              args(fixed([7.5, -7.5, 7.5, -4.0, 0.25], F64),
                   fixed([2.0, 2.0, -2.0, 2.0, -3.0], F64)), np.fmod),
    Composite("add_n", lambda a, b, c: tf.add_n([a, b, c]),
              args(normal((2, 3)), normal((2, 3)), normal((2, 3))),
              lambda a, b, c: a + b + c, (0, 1, 2)),
    Composite("add_n:one", lambda a: tf.add_n([a]), args(normal((3,))), lambda a: a, (0,)),
    Composite("reduce_mean:i8-wide-sum", lambda x: tf.reduce_mean(x, 1),
              args(fixed([[100, 100, 27], [-100, -100, -27]], np.int8)),
              lambda x: _int_mean_ref(x, 1)),
    Composite("reduce_mean:i32-toward-zero", tf.reduce_mean,
              args(fixed([-3, -4, 0], I32)), _int_mean_ref),
    Composite("reduce_mean:u8", tf.reduce_mean, args(fixed([7, 200, 255], np.uint8)),
              _int_mean_ref),
    Composite("divide:i16", tf.divide, args(fixed([7, -7, 1], np.int16), fixed([2, 4, 3],
                                                                               np.int16)),
              lambda x, y: (x / y).astype(F32)),
]

def _spectral(x):
    return np.linalg.svd(x, compute_uv=False)[..., 0]


ROWS += [
    # tf.norm's matrix norms: over the pair of axes (rows, columns); keepdims keeps both.
    Composite("norm:matrix-1", lambda x: tf.norm(x, ord=1, axis=[0, 1]),
              args(signed((3, 4), 0.2, 2.0)), lambda x: np.abs(x).sum(0).max(), (0,)),
    Composite("norm:matrix-inf-swapped", lambda x: tf.norm(x, ord=np.inf, axis=[1, 0]),
              args(signed((3, 4), 0.2, 2.0)), lambda x: np.abs(x).sum(0).max(), (0,)),
    Composite("norm:matrix-inf-batched", lambda x: tf.norm(x, ord=np.inf, axis=[-1, -3],
                                                           keepdims=True),
              args(signed((2, 3, 4), 0.2, 2.0)),
              lambda x: np.abs(x).sum(0, keepdims=True).max(2, keepdims=True), (0,)),
    Composite("norm:spectral", lambda x: tf.norm(x, ord=2, axis=[0, 1]),
              args(normal((3, 2))), _spectral, (0,), order=1),
    Composite("norm:spectral-batched", lambda x: tf.norm(x, ord=2, axis=[2, 0],
                                                         keepdims=True),
              args(normal((2, 4, 3))),
              lambda x: _spectral(np.transpose(x, (1, 2, 0)))[None, :, None], (0,), order=1),
    Composite("norm:p-vector", lambda x: tf.norm(x, ord=3, axis=-1),
              args(signed((2, 3), 0.2, 2.0)), lambda x: (np.abs(x) ** 3).sum(-1) ** (1 / 3),
              (0,)),
    Composite("norm:fractional-p", lambda x: tf.norm(x, ord=0.5),
              args(signed((4,), 0.2, 2.0)), lambda x: np.sqrt(np.abs(x)).sum() ** 2, (0,)),
]

# The four checks as tests over this module's table and the sweep's
# (tests/ops/composite_rows_sweep.py: tf.nn, tf.linalg, tf.math and tf.image composites).
ALL_ROWS = ROWS + SWEEP_ROWS
rows = pytest.mark.parametrize("row", ALL_ROWS, ids=lambda r: r.id)
GRAD_ROWS = [r for r in ALL_ROWS if r.grad_argnums]


def test_ids_are_unique():
    ids = [r.id for r in ALL_ROWS]
    assert len(ids) == len(set(ids))


@rows
def test_eager_matches_numpy(row):
    check_eager(row)


@pytest.mark.parametrize("row", GRAD_ROWS, ids=lambda r: r.id)
def test_gradient_matches_finite_differences(row):
    check_gradient(row)


@pytest.mark.parametrize("row", [r for r in GRAD_ROWS if r.order >= 2], ids=lambda r: r.id)
def test_second_order_matches_finite_differences(row):
    check_second_order(row)


@pytest.mark.slow
@rows
def test_compiled_matches_eager(row):
    check_compiled(row)


# --------------------------------------------------------------------------------------------
# Conventions and bad input
# --------------------------------------------------------------------------------------------


def _grad_at(f, x):
    v = tf.Variable(np.asarray(x, F64))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(f(v))
    return tape.gradient(y, v).numpy()


def test_activation_gradients_at_kinks_follow_tensorflow():
    np.testing.assert_array_equal(_grad_at(tf.nn.relu6, [0.0, 6.0, 3.0, 7.0]), [0, 0, 1, 0])
    np.testing.assert_array_equal(_grad_at(tf.nn.leaky_relu, [0.0, -1.0, 1.0]), [0.2, 0.2, 1])
    np.testing.assert_allclose(_grad_at(tf.nn.elu, [0.0]), [1.0])  # exp(0): both sides agree
    # Overflowing exp in the unselected branch leaves no nan in the gradient.
    np.testing.assert_array_equal(_grad_at(tf.nn.elu, [800.0]), [1.0])
    np.testing.assert_array_equal(_grad_at(tf.nn.selu, [800.0]), [_SELU_SCALE])
    # sigmoid cross-entropy at logit 0: sigmoid(0) - label, not the kinks' -label.
    np.testing.assert_allclose(_grad_at(lambda x: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.constant([1.0, 0.0], tf.float64), logits=x), [0.0, 0.0]), [-0.5, 0.5])
    # divide_no_nan's masked division leaves no nan in the gradient.
    np.testing.assert_array_equal(_grad_at(lambda y: tf.math.divide_no_nan(
        tf.constant([1.0, 2.0], tf.float64), y), [0.0, 2.0]), [0.0, -0.5])


def _second_at(f, x):
    v = tf.Variable(np.asarray(x, F64))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(f(v))
        g = inner.gradient(y, v)
    return g.numpy(), outer.gradient(g, v).numpy()


def test_elu_and_selu_take_the_linear_side_at_zero_as_tensorflow():
    # TF's EluGrad/SeluGrad test the output for < 0, so at x = 0 the slope is the linear
    # side's: selu'(0) = scale (not scale * alpha), and elu''(0) = selu''(0) = 0.
    g, gg = _second_at(tf.nn.selu, [0.0])
    np.testing.assert_allclose(g, [_SELU_SCALE])
    np.testing.assert_array_equal(gg, [0.0])
    g, gg = _second_at(tf.nn.elu, [0.0])
    np.testing.assert_array_equal(g, [1.0])
    np.testing.assert_array_equal(gg, [0.0])


def test_pow_gradient_wrt_the_exponent_where_the_base_is_not_positive():
    # TF: grad * x^y * (log x where x > 0, else 0): -0.0 where x^y < 0, nan where it is inf.
    x = tf.constant([-2.0, 0.0, 0.0, 2.0], tf.float64)
    y = tf.constant([3.0, -1.0, 2.0, 2.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(y)
        z = tf.pow(x, y)
    gy = tape.gradient(z, y).numpy()
    assert gy[0] == 0 and np.signbit(gy[0])
    assert np.isnan(gy[1])
    np.testing.assert_array_equal(gy[2:], [0.0, 4 * np.log(2.0)])


def test_linspace_end_points_are_exact_and_ints_give_float64():
    out = tf.linspace(0.1, 0.7, 7)
    assert out.dtype == tf.float32
    assert out.numpy()[0] == np.float32(0.1) and out.numpy()[-1] == np.float32(0.7)
    out = tf.linspace(1, 10, 4)
    assert out.dtype == tf.float64
    np.testing.assert_array_equal(out.numpy(), [1.0, 4.0, 7.0, 10.0])
    assert tf.linspace(0.0, 1.0, 0).shape == (0,)
    assert tf.linspace(0.0, 1.0, tf.constant(3)).shape == (3,)


@pytest.mark.parametrize("call, match", [
    (lambda: tf.linspace(0.0, 1.0, -1), "linspace: num must be >= 0"),
    (lambda: tf.linspace(0.0, 1.0, 2.5), "linspace: num must be an integer"),
    (lambda: tf.linspace(tf.constant(0.0), tf.constant(1.0, tf.float64), 3), "linspace"),
    (lambda: tf.linspace(tf.zeros([2]), tf.zeros([3]), 3), "not broadcastable"),
    (lambda: tf.nn.elu(tf.constant([1, 2])), r"elu: expects a float tensor, got int32 \[2\]"),
    (lambda: tf.nn.gelu(tf.constant([True])), "gelu: expects a float tensor"),
    (lambda: tf.one_hot(tf.constant([0.5]), 3), "one_hot: indices must be integers"),
    (lambda: tf.one_hot([0, 1], -2), "one_hot: depth must be >= 0"),
    (lambda: tf.eye(-1), "eye: sizes must be >= 0"),
    (lambda: tf.meshgrid([1.0], [2.0], indexing="yx"), "meshgrid: indexing"),
    (lambda: tf.math.argmax(tf.zeros([0, 2])), r"argmax: axis 0 of f32\[0,2\] is empty"),
    (lambda: tf.math.argmax(tf.constant([True])), "argmax: not defined for bool"),
    (lambda: tf.math.argmax(tf.zeros([2]), output_type=tf.float32), "argmax: output_type"),
    (lambda: tf.math.argmin(tf.zeros([2]), axis=1), "argmin: axis 1 is out of range"),
    (lambda: tf.sort(tf.zeros([2]), direction="UP"), "sort: direction"),
    (lambda: tf.math.top_k(tf.zeros([2, 3]), 4), r"top_k: k=4 is out of range .* \[2, 3\]"),
    (lambda: tf.math.cumsum(tf.constant(1.0)), "cumsum: expects a tensor of rank >= 1"),
    (lambda: tf.math.cumprod(tf.constant([True])), "cumprod: not defined for bool"),
    (lambda: tf.math.reduce_variance(tf.constant([1, 2])), "reduce_variance: expects a float"),
    (lambda: tf.pad(tf.zeros([2, 2]), [[1, 1]]), r"pad: paddings must have shape \[2, 2\]"),
    (lambda: tf.pad(tf.zeros([2]), [[2, 0]], "REFLECT"), "pad: REFLECT paddings of axis 0 "
                                                          "must be <= 1"),
    (lambda: tf.pad(tf.zeros([2]), [[1, 0]], "WRAP"), "pad: mode must be"),
    (lambda: tf.pad(tf.zeros([2]), [[-1, 0]]), "pad: paddings must be >= 0"),
    (lambda: tf.reverse(tf.zeros([2]), [0, 0]), "reverse: axis .* repeats"),
    (lambda: tf.roll(tf.zeros([2]), [1, 2], [0]), "roll: shift .* differ in length"),
    (lambda: tf.split(tf.zeros([5]), 2), "split: cannot split axis 0 of size 5"),
    (lambda: tf.split(tf.zeros([5]), [2, 2]), r"split: sizes \[2, 2\] do not add up to 5"),
    (lambda: tf.slice(tf.zeros([3]), [2], [2]), "slice: begin .* out of bounds"),
    (lambda: tf.gather_nd(tf.zeros([2, 3]), [[0, 3]]),
     r"gather_nd: indices\[0, 1\] = 3 is out of range \[0, 3\) \(index \[0, 3\] into"),
    (lambda: tf.gather_nd(tf.zeros([2, 3]), [[0.5]]), "gather_nd: indices must be integers"),
    (lambda: tf.gather_nd(tf.zeros([2]), [[0, 1]]), "gather_nd: index tuples of length 2"),
    (lambda: tf.scatter_nd([[0], [1]], [1.0], [3]), r"scatter_nd: updates of shape \[1\]"),
    (lambda: tf.scatter_nd([[4]], [1.0], [3]), r"scatter_nd: indices\[0, 0\] = 4"),
    (lambda: tf.einsum("ij,jk->ik", tf.zeros([2, 3]), tf.zeros([2, 3])),
     "einsum: 'ij,jk->ik': letter 'j' has sizes 3 and 2"),
    (lambda: tf.einsum("ij->i", tf.zeros([2])), "einsum: term 'ij' of 'ij->i' does not fit"),
    (lambda: tf.einsum("ij,j->i", tf.zeros([2, 2])), "einsum: equation 'ij,j->i' names 2"),
    (lambda: tf.einsum("ij->k", tf.zeros([2, 2])), r"einsum: output letters \['k'\]"),
    (lambda: tf.linalg.inv(tf.zeros([2, 2])), "matrix_inverse: the matrix is not invertible"),
    (lambda: tf.linalg.inv(tf.zeros([2, 3])), r"matrix_inverse: expects square matrices"),
    (lambda: tf.linalg.det(tf.constant([[1, 2], [3, 4]])), "matrix_determinant: expects a "
                                                           "float tensor"),
    (lambda: tf.linalg.solve(tf.eye(2), tf.ones([3, 1])), r"matrix_solve: rhs f32\[3,1\]"),
    (lambda: tf.linalg.cholesky(-tf.eye(2)), "cholesky: the matrix is not positive definite"),
    (lambda: tf.linalg.svd(tf.ones([3])), r"svd: expects matrices"),
    (lambda: tf.linalg.qr(tf.ones([3])), r"qr: input must have rank >= 2 .* f32\[3\]"),
    (lambda: tf.linalg.qr(tf.constant([[1, 2]])), "qr: input must be a float tensor"),
    (lambda: tf.linalg.eigh(tf.ones([2, 3])), r"eigh: tensor must be square .* f32\[2,3\]"),
    (lambda: tf.linalg.eigvalsh(tf.ones([2])), r"eigvalsh: tensor must have rank >= 2"),
    (lambda: tf.tensor_scatter_nd_update(tf.zeros([3]), [[-1]], [1.0]),
     r"tensor_scatter_nd_update: indices\[0, 0\] = -1 is out of range \[0, 3\)"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


@pytest.mark.slow
@pytest.mark.parametrize("call, bad", [
    (lambda p, i: tf.gather_nd(p, i), [[0, 3]]),
    (lambda p, i: tf.scatter_nd(i, tf.ones([1]), [2, 3]), [[2, 0]]),
    (lambda p, i: tf.tensor_scatter_nd_update(p, i, tf.ones([1], tf.float64)), [[-1, 0]]),
], ids=["gather_nd", "scatter_nd", "tensor_scatter_nd_update"])
def test_compiled_index_check_raises_without_a_guard(call, bad):
    # Indices are checked inside the kernel: a fresh, valid index array reuses the trace
    # (nothing read them in Python), and a bad one raises instead of reading out of bounds.
    f = tf.function(call)
    p = tf.constant(np.arange(6.0).reshape(2, 3))
    f(p, tf.constant([[0, 1]]))
    f(p, tf.constant([[1, 2]]))
    with pytest.raises(IndexError, match=r"indices\[0, \d\] = -?\d is out of range .*"
                                         r"\[recorded at test_composites.py:\d+\]"):
        f(p, tf.constant(bad))
    assert f.experimental_get_tracing_count() == 1


@pytest.mark.slow
@pytest.mark.parametrize("call, bad, match", [
    (tf.linalg.inv, np.zeros((2, 2), np.float32), "matrix_inverse at .*: the matrix is not "
                                                   "invertible"),
    (tf.linalg.cholesky, -np.eye(2, dtype=np.float32), "cholesky at .*: the matrix is not "
                                                       "positive definite"),
], ids=["inv", "cholesky"])
def test_compiled_lapack_failure_names_the_op_and_line(call, bad, match):
    f = tf.function(lambda x: call(x))
    f(tf.constant(np.eye(2, dtype=np.float32) * 2))
    f(tf.constant(np.eye(2, dtype=np.float32) * 3))  # compiled
    with pytest.raises(tf.errors.InvalidArgumentError, match=match):
        f(tf.constant(bad))
    assert f.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("dtype, result", [
    (np.int8, F32), (np.uint8, F32), (np.int16, F32), (np.uint16, F32),
    (I32, F64), (I64, F64), (np.uint32, F64), (np.uint64, F64),
])
def test_true_division_of_integers_gives_tensorflows_float_dtype(dtype, result):
    a, b = tf.constant([3, 4], dtype), tf.constant([2, 8], dtype)
    for quotient in (a / b, tf.divide(a, b), tf.math.truediv(a, b), tf.truediv(a, b)):
        assert quotient.dtype == result
        np.testing.assert_array_equal(quotient.numpy(), np.array([1.5, 0.5], result))
    assert (a / 2).dtype == result


def test_integer_means_keep_the_dtype_and_round_toward_zero():
    assert tf.reduce_mean(tf.constant([-1, -2])).numpy() == -1
    mean = tf.reduce_mean(tf.constant([100, 100], tf.int8))
    assert mean.dtype == np.int8 and mean.numpy() == 100


@pytest.mark.parametrize("call", [
    lambda: tf.add_n([]),
    lambda: tf.add_n([tf.constant([1.0]), tf.constant([1.0, 2.0])]),
    lambda: tf.add_n([tf.constant([1.0]), tf.constant([1])]),
])
def test_add_n_refuses_what_tensorflow_refuses(call):
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
        call()


@pytest.mark.parametrize("kw", [
    dict(ord="fro", axis=1), dict(ord=0), dict(ord=-1), dict(ord="nuc", axis=[0, 1]),
    dict(ord=3, axis=[0, 1]), dict(axis=[0, 1, 1]), dict(axis=[1, 1]),
])
def test_norm_refuses_what_tensorflow_refuses(kw):
    with pytest.raises(ValueError):
        tf.norm(tf.ones((2, 2)), **kw)


@pytest.mark.parametrize("call, error", [
    (lambda: tf.reduce_mean(tf.constant([True, False])), tf.errors.InvalidArgumentError),
    (lambda: tf.reduce_any(tf.constant([1, 0])), tf.errors.InvalidArgumentError),
    (lambda: tf.reduce_all(tf.constant([1.0])), tf.errors.InvalidArgumentError),
    (lambda: tf.math.reduce_std(tf.constant([1, 2])), TypeError),
    (lambda: tf.math.reduce_variance(tf.constant([True])), tf.errors.InvalidArgumentError),
])
def test_reductions_refuse_the_dtypes_tensorflow_refuses(call, error):
    with pytest.raises(error):
        call()


def test_integer_euclidean_norm_truncates_in_the_input_dtype():
    norm = tf.math.reduce_euclidean_norm(tf.constant([[3, 4], [2, 3]]), 1)
    assert norm.dtype == tf.int32
    np.testing.assert_array_equal(norm.numpy(), [5, 3])
    assert tf.math.reduce_euclidean_norm(tf.constant([-3, 4], tf.int8)).numpy() == 5


def test_relu6_keeps_integers_and_leaky_relu_casts_them_to_float32():
    six = tf.nn.relu6(tf.constant([-2, 3, 9]))
    assert six.dtype == tf.int32
    np.testing.assert_array_equal(six.numpy(), [0, 3, 6])
    leaky = tf.nn.leaky_relu(tf.constant([-2, 3]))
    assert leaky.dtype == tf.float32
    np.testing.assert_allclose(leaky.numpy(), [-0.4, 3.0])


def test_scalar_mul_is_at_the_top_level_as_in_tensorflow():
    # tf.scalar_mul was only reachable as tf.math.scalar_mul.
    assert tf.scalar_mul is tf.math.scalar_mul
    np.testing.assert_allclose(tf.scalar_mul(2.0, tf.constant([1.0, -3.0])).numpy(),
                               [2.0, -6.0])
