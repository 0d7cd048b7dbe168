"""The sweep's composites (tf.nn losses, pooling and convolutions, tf.linalg's matrix parts,
tf.math's no-nan and segment ops, tf.image): rows that tests/ops/test_composites.py checks with
the table's four checks (tests/ops/composite_checks.py): eager against an independent numpy reference (brute-force loops for convolutions
and pooling), the gradient against central finite differences in float64, the second-order
gradient against finite differences of the gradient (rows with order=2), and `@tf.function`
(Numba; slow tier) against eager.

Inputs stay away from kinks and ties (max pooling, segment max, abs in total_variation, the
channel maximum of rgb_to_hsv) so finite differences see one smooth piece.
"""

from __future__ import annotations

import math

import numpy as np

import tapeflow as tf
from tests.ops.composite_checks import (
    F32,
    F64,
    I32,
    I64,
    Composite,
    args,
    fixed,
    normal,
    signed,
)


def uniform(shape, lo, hi, dtype=F64):
    return lambda rng: np.asarray(rng.uniform(lo, hi, shape), dtype=dtype)


def spread(shape, dtype=F64):
    """Distinct values at least 0.1 apart (a shuffled grid plus small noise): no ties for
    max pooling or segment max, whatever the window."""
    def make(rng):
        n = int(np.prod(shape))
        grid = rng.permutation(n) * 0.2 - 0.1 * n + rng.uniform(-0.04, 0.04, n)
        return np.asarray(grid.reshape(shape), dtype=dtype)

    return make


def _relu(x):
    return np.maximum(x, 0)


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + _relu(x)


# --------------------------------------------------------------------------------------------
# tf.nn
# --------------------------------------------------------------------------------------------


def _same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2


def _pool_ref(kind, k, s, padding):
    """Brute-force pooling over the spatial axes of NW..C input; SAME windows drop the
    padding (max ignores it, avg divides by the count of real elements)."""
    def ref(x):
        spatial = x.shape[1:-1]
        ks = (k,) * len(spatial) if np.isscalar(k) else tuple(k)
        ss = (s,) * len(spatial) if np.isscalar(s) else tuple(s)
        outs, pads = [], []
        for n, kk, st in zip(spatial, ks, ss):
            if padding == "VALID":
                outs.append((n - kk) // st + 1)
                pads.append(0)
            else:
                o, p = _same_pads(n, kk, st)
                outs.append(o)
                pads.append(p)
        y = np.zeros((x.shape[0],) + tuple(outs) + (x.shape[-1],))
        for b in range(x.shape[0]):
            for pos in np.ndindex(*outs):
                window = []
                for off in np.ndindex(*ks):
                    src = tuple(p * st - pd + o for p, st, pd, o in zip(pos, ss, pads, off))
                    if all(0 <= i < n for i, n in zip(src, spatial)):
                        window.append(x[(b,) + src])
                window = np.array(window)
                y[(b,) + pos] = window.max(0) if kind == "max" else window.mean(0)
        return y.astype(x.dtype)

    return ref


def _conv_ref(stride, padding, dilation=1):
    """conv1d / conv2d, NW..C input and (k..., in, out) filters, as a loop over taps."""
    def ref(x, w):
        spatial = x.shape[1:-1]
        ks = w.shape[:-2]
        eff = [(kk - 1) * dilation + 1 for kk in ks]
        outs, pads = [], []
        for n, e in zip(spatial, eff):
            if padding == "VALID":
                outs.append((n - e) // stride + 1)
                pads.append(0)
            else:
                o, p = _same_pads(n, e, stride)
                outs.append(o)
                pads.append(p)
        y = np.zeros((x.shape[0],) + tuple(outs) + (w.shape[-1],))
        for b in range(x.shape[0]):
            for pos in np.ndindex(*outs):
                for off in np.ndindex(*ks):
                    src = tuple(p * stride - pd + o * dilation
                                for p, pd, o in zip(pos, pads, off))
                    if all(0 <= i < n for i, n in zip(src, spatial)):
                        y[(b,) + pos] += x[(b,) + src] @ w[off]
        return y

    return ref


def _depthwise_ref(stride, padding):
    def ref(x, w):
        _, h, wd, c = x.shape
        kh, kw, _, mult = w.shape
        if padding == "VALID":
            (oh, ph), (ow, pw) = ((h - kh) // stride + 1, 0), ((wd - kw) // stride + 1, 0)
        else:
            (oh, ph), (ow, pw) = _same_pads(h, kh, stride), _same_pads(wd, kw, stride)
        y = np.zeros((x.shape[0], oh, ow, c * mult))
        for b, i, j, ch, m in np.ndindex(x.shape[0], oh, ow, c, mult):
            for a, e in np.ndindex(kh, kw):
                r, q = i * stride - ph + a, j * stride - pw + e
                if 0 <= r < h and 0 <= q < wd:
                    y[b, i, j, ch * mult + m] += x[b, r, q, ch] * w[a, e, ch, m]
        return y

    return ref


def _conv_transpose_ref(out_shape, stride, padding):
    """conv2d_transpose: each input pixel scatters its filter-weighted values into the
    output (the adjoint of conv2d of an `out_shape` image)."""
    def ref(x, w):
        _, oh, ow, _ = out_shape
        kh, kw = w.shape[:2]
        ph = 0 if padding == "VALID" else _same_pads(oh, kh, stride)[1]
        pw = 0 if padding == "VALID" else _same_pads(ow, kw, stride)[1]
        y = np.zeros(out_shape)
        for b, i, j in np.ndindex(*x.shape[:3]):
            for a, e in np.ndindex(kh, kw):
                r, q = i * stride - ph + a, j * stride - pw + e
                if 0 <= r < oh and 0 <= q < ow:
                    y[b, r, q] += w[a, e] @ x[b, i, j]
        return y

    return ref


def _weighted_ce_ref(z, x, q):
    p = 1 / (1 + np.exp(-x))
    return -q * z * np.log(p) - (1 - z) * np.log(1 - p)


def _log_poisson_ref(full):
    def ref(t, c):
        loss = np.exp(c) - c * t
        if full:
            with np.errstate(divide="ignore", invalid="ignore"):
                stirling = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
            loss = loss + np.where(t > 1, stirling, 0.0)
        return loss

    return ref


def _embedding_max_norm_ref(p, ids, max_norm):
    rows = p[ids]
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows * np.where(norms > max_norm, max_norm / norms, 1.0)


def _targets_around_one(shape):
    """Poisson targets in (0.1, 0.8) or (1.5, 4): away from the kink of the Stirling term."""
    def make(rng):
        low = rng.uniform(0.1, 0.8, shape)
        return np.where(rng.random(shape) < 0.5, low, low * 3.5 + 1.15)

    return make


NN_ROWS = [
    Composite("bias_add", tf.nn.bias_add, args(normal((2, 3, 4)), normal((4,))),
              lambda x, b: x + b, (0, 1)),
    Composite("bias_add:nchw", lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"),
              args(normal((2, 3, 2, 2)), normal((3,))),
              lambda x, b: x + b[:, None, None], (0, 1)),
    Composite("l2_loss", tf.nn.l2_loss, args(normal((3, 4))), lambda x: np.sum(x * x) / 2,
              (0,)),
    Composite("l2_loss:f32", tf.nn.l2_loss, args(normal((5,), F32)),
              lambda x: np.float32(np.sum(x * x) / 2), (0,), rtol=1e-5),
    Composite("crelu", tf.nn.crelu, args(signed((2, 3), 0.1, 2.0)),
              lambda x: np.concatenate([_relu(x), _relu(-x)], -1), (0,)),
    Composite("crelu:axis0", lambda x: tf.nn.crelu(x, axis=0), args(signed((2, 3), 0.1, 2.0)),
              lambda x: np.concatenate([_relu(x), _relu(-x)], 0), (0,)),
    Composite("batch_normalization",
              lambda x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
              args(normal((3, 4)), normal((4,)), uniform((4,), 0.5, 2.0), normal((4,)),
                   normal((4,))),
              lambda x, m, v, o, s: (x - m) / np.sqrt(v + 1e-3) * s + o, (0, 1, 2, 3, 4)),
    Composite("batch_normalization:no-offset-scale",
              lambda x, m, v: tf.nn.batch_normalization(x, m, v, None, None, 0.01),
              args(normal((2, 3)), normal((3,)), uniform((3,), 0.5, 2.0)),
              lambda x, m, v: (x - m) / np.sqrt(v + 0.01), (0, 1, 2)),
    Composite("normalize_moments",
              lambda n, m, v, s: tf.stack(tf.nn.normalize_moments(n, m, v, s)),
              args(fixed(4.0, F64), normal((3,)), uniform((3,), 4.0, 8.0), normal((3,))),
              lambda n, m, v, s: np.stack([m / n + s, v / n - (m / n) ** 2]), (0, 1, 2, 3)),
    Composite("normalize_moments:no-shift",
              lambda n, m, v: tf.stack(tf.nn.normalize_moments(n, m, v, None)),
              args(fixed(5.0, F64), normal((2,)), uniform((2,), 5.0, 9.0)),
              lambda n, m, v: np.stack([m / n, v / n - (m / n) ** 2]), (0, 1, 2)),
    Composite("weighted_cross_entropy_with_logits",
              lambda z, x, q: tf.nn.weighted_cross_entropy_with_logits(z, x, q),
              args(uniform((2, 3), 0.0, 1.0), signed((2, 3), 0.1, 4.0), fixed(2.5, F64)),
              _weighted_ce_ref, (0, 1, 2)),
    Composite("weighted_cross_entropy_with_logits:extreme",
              lambda z, x: tf.nn.weighted_cross_entropy_with_logits(z, x, 0.5),
              args(fixed([1.0, 0.0, 1.0, 0.0], F64), fixed([-800.0, 800.0, 40.0, -40.0], F64)),
              lambda z, x: np.array([400.0, 800.0, 0.5 * math.exp(-40.0),
                                     math.exp(-40.0)]), (1,), order=1, rtol=1e-12),
    Composite("log_poisson_loss", tf.nn.log_poisson_loss,
              args(uniform((2, 3), 0.0, 4.0), normal((2, 3))), _log_poisson_ref(False),
              (0, 1)),
    Composite("log_poisson_loss:full",
              lambda t, c: tf.nn.log_poisson_loss(t, c, compute_full_loss=True),
              args(_targets_around_one((2, 3)), normal((2, 3))), _log_poisson_ref(True),
              (0, 1)),
    Composite("log_poisson_loss:full-at-0-and-1",
              lambda t, c: tf.nn.log_poisson_loss(t, c, compute_full_loss=True),
              args(fixed([0.0, 1.0, 2.0], F64), fixed([0.5, -0.5, 1.0], F64)),
              _log_poisson_ref(True), (1,)),
    Composite("embedding_lookup", tf.nn.embedding_lookup,
              args(normal((5, 3)), fixed([[4, 0], [2, 2]], I32)), lambda p, i: p[i], (0,)),
    Composite("embedding_lookup:max_norm",
              lambda p, i: tf.nn.embedding_lookup(p, i, max_norm=1.5),
              args(lambda rng: np.array([[0.3, 0.4, 0.0], [2.0, 1.0, -2.0], [0.1, -0.9, 0.5],
                                         [1.5, 1.5, 0.5]]), fixed([1, 0, 3, 1, 2], I64)),
              lambda p, i: _embedding_max_norm_ref(p, i, 1.5), (0,)),
    Composite("compute_average_loss", tf.nn.compute_average_loss, args(normal((4,))),
              lambda x: np.sum(x) / 4, (0,)),
    Composite("compute_average_loss:weights-global",
              lambda x, w: tf.nn.compute_average_loss(x, sample_weight=w, global_batch_size=8),
              args(normal((4, 2)), uniform((4, 2), 0.0, 1.0)),
              lambda x, w: np.sum(x * w) / 8, (0, 1)),
]

POOL_ROWS = [
    Composite(f"{kind}_pool2d:{pad.lower()}-s{s}",
              lambda x, kind=kind, s=s, pad=pad: getattr(tf.nn, f"{kind}_pool2d")(
                  x, 2 if s == 1 else 3, s, pad),
              args(spread((1, 5, 4, 2))), _pool_ref(kind, 2 if s == 1 else 3, s, pad), (0,))
    for kind in ("max", "avg") for pad in ("VALID", "SAME") for s in (1, 2)
] + [
    Composite("max_pool2d:rect-window",
              lambda x: tf.nn.max_pool2d(x, [2, 3], [2, 1], "SAME"),
              args(spread((2, 4, 4, 1))), _pool_ref("max", (2, 3), (2, 1), "SAME"), (0,)),
    Composite("avg_pool2d:f32", lambda x: tf.nn.avg_pool2d(x, 2, 2, "SAME"),
              args(normal((1, 3, 3, 2), F32)), _pool_ref("avg", 2, 2, "SAME"), (0,),
              rtol=1e-5),
] + [
    Composite(f"{kind}_pool1d:{pad.lower()}",
              lambda x, kind=kind, pad=pad: getattr(tf.nn, f"{kind}_pool1d")(x, 3, 2, pad),
              args(spread((2, 7, 2))), _pool_ref(kind, 3, 2, pad), (0,))
    for kind in ("max", "avg") for pad in ("VALID", "SAME")
]

CONV_ROWS = [
    Composite("conv1d:valid", lambda x, w: tf.nn.conv1d(x, w, 1, "VALID"),
              args(normal((2, 6, 2)), normal((3, 2, 3))), _conv_ref(1, "VALID"), (0, 1)),
    Composite("conv1d:same-s2", lambda x, w: tf.nn.conv1d(x, w, 2, "SAME"),
              args(normal((1, 7, 2)), normal((3, 2, 2))), _conv_ref(2, "SAME"), (0, 1)),
    Composite("conv1d:dilated", lambda x, w: tf.nn.conv1d(x, w, 1, "SAME", dilations=2),
              args(normal((1, 6, 1)), normal((2, 1, 2))), _conv_ref(1, "SAME", 2), (0, 1)),
    Composite("conv2d_transpose:same-s2",
              lambda x, w: tf.nn.conv2d_transpose(x, w, [1, 5, 5, 2], 2, "SAME"),
              args(normal((1, 3, 3, 3)), normal((3, 3, 2, 3))),
              _conv_transpose_ref((1, 5, 5, 2), 2, "SAME"), (0, 1)),
    Composite("conv2d_transpose:valid-s2",
              lambda x, w: tf.nn.conv2d_transpose(x, w, [1, 7, 6, 1], [2, 2], "VALID"),
              args(normal((1, 3, 3, 2)), normal((3, 2, 1, 2))),
              _conv_transpose_ref((1, 7, 6, 1), 2, "VALID"), (0, 1)),
    Composite("conv2d_transpose:same-s1",
              lambda x, w: tf.nn.conv2d_transpose(x, w, [2, 3, 3, 1], 1),
              args(normal((2, 3, 3, 2)), normal((2, 2, 1, 2))),
              _conv_transpose_ref((2, 3, 3, 1), 1, "SAME"), (0, 1)),
    Composite("depthwise_conv2d:valid",
              lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"),
              args(normal((1, 4, 4, 2)), normal((2, 2, 2, 2))), _depthwise_ref(1, "VALID"),
              (0, 1)),
    Composite("depthwise_conv2d:same-s2",
              lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME"),
              args(normal((1, 5, 4, 2)), normal((3, 3, 2, 1))), _depthwise_ref(2, "SAME"),
              (0, 1)),
]


# --------------------------------------------------------------------------------------------
# tf.linalg
# --------------------------------------------------------------------------------------------


def _band_ref(lower, upper):
    def ref(x):
        i, j = np.indices(x.shape[-2:])
        keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
        return np.where(keep, x, 0)

    return ref


def _diag_ref(d, k=0):
    n = d.shape[-1] + abs(k)
    out = np.zeros(d.shape[:-1] + (n, n))
    for idx in np.ndindex(*d.shape[:-1]):
        out[idx] = np.diag(d[idx], k)
    return out


def _diag_part_ref(x, k=0):
    return np.stack([np.diag(x[idx], k) for idx in np.ndindex(*x.shape[:-2])]).reshape(
        x.shape[:-2] + (-1,))


def _set_diag_ref(x, d):
    out = x.copy()
    for idx in np.ndindex(*x.shape[:-2]):
        np.fill_diagonal(out[idx], d[idx])
    return out


def _tensor_diag_ref(d):
    out = np.zeros(d.shape + d.shape)
    for idx in np.ndindex(*d.shape):
        out[idx + idx] = d[idx]
    return out


def _tensor_diag_part_ref(x):
    half = x.shape[:x.ndim // 2]
    return np.array([x[idx + idx] for idx in np.ndindex(*half)]).reshape(half)


def _triangular_ref(lower, adjoint):
    def ref(a, b):
        t = np.tril(a) if lower else np.triu(a)
        if adjoint:
            t = np.swapaxes(t, -1, -2)
        return np.linalg.solve(t, b)

    return ref


def _well_conditioned(shape):
    return lambda rng: rng.standard_normal(shape) * 0.5 + 3 * np.eye(shape[-1])


def _lstsq_ref(lam):
    def ref(a, b):
        if lam == 0:
            return np.linalg.lstsq(a, b, rcond=None)[0]
        n = a.shape[-1]
        return np.linalg.solve(a.T @ a + lam * np.eye(n), a.T @ b)

    return ref


def _tf_gram(x):
    return tf.matmul(x, x, transpose_b=True) + tf.eye(x.shape[-1], dtype=x.dtype)


def _gram(x):
    return x @ np.swapaxes(x, -1, -2) + np.eye(x.shape[-1])


LINALG_ROWS = [
    Composite("band_part", lambda x: tf.linalg.band_part(x, 1, 2), args(normal((4, 5))),
              _band_ref(1, 2), (0,)),
    Composite("band_part:lower-batched", lambda x: tf.linalg.band_part(x, -1, 0),
              args(normal((2, 3, 3))), _band_ref(-1, 0), (0,)),
    Composite("band_part:upper-all", lambda x: tf.linalg.band_part(x, 0, -1),
              args(normal((3, 2))), _band_ref(0, -1), (0,)),
    Composite("diag", tf.linalg.diag, args(normal((2, 3))), _diag_ref, (0,)),
    Composite("diag:k-1", lambda d: tf.linalg.diag(d, k=-1), args(normal((3,))),
              lambda d: _diag_ref(d, -1), (0,)),
    Composite("diag_part", tf.linalg.diag_part, args(normal((2, 3, 4))), _diag_part_ref,
              (0,)),
    Composite("diag_part:k1", lambda x: tf.linalg.diag_part(x, k=1), args(normal((3, 4))),
              lambda x: _diag_part_ref(x, 1), (0,)),
    Composite("set_diag", tf.linalg.set_diag, args(normal((2, 3, 3)), normal((2, 3))),
              _set_diag_ref, (0, 1)),
    Composite("set_diag:wide", tf.linalg.set_diag, args(normal((2, 4)), normal((2,))),
              _set_diag_ref, (0, 1)),
    Composite("trace", tf.linalg.trace, args(normal((2, 3, 3))),
              lambda x: np.trace(x, axis1=-2, axis2=-1), (0,)),
    Composite("trace:tall", tf.linalg.trace, args(normal((4, 2))), np.trace, (0,)),
    Composite("tensor_diag", tf.linalg.tensor_diag, args(normal((2, 3))), _tensor_diag_ref,
              (0,)),
    Composite("tensor_diag_part", tf.linalg.tensor_diag_part, args(normal((2, 3, 2, 3))),
              _tensor_diag_part_ref, (0,)),
    Composite("matvec", tf.linalg.matvec, args(normal((2, 3, 4)), normal((2, 4))),
              lambda a, b: np.einsum("bij,bj->bi", a, b), (0, 1)),
    Composite("matvec:transpose_a", lambda a, b: tf.linalg.matvec(a, b, transpose_a=True),
              args(normal((3, 4)), normal((3,))), lambda a, b: a.T @ b, (0, 1)),
    Composite("matvec:broadcast", tf.linalg.matvec, args(normal((3, 2)), normal((4, 2))),
              lambda a, b: b @ a.T, (0, 1)),
    Composite("cross", tf.linalg.cross, args(normal((2, 3)), normal((2, 3))), np.cross,
              (0, 1)),
    Composite("normalize:tensor", lambda x: tf.linalg.normalize(x, axis=1)[0],
              args(normal((2, 3))),
              lambda x: x / np.linalg.norm(x, axis=1, keepdims=True), (0,)),
    Composite("normalize:norm", lambda x: tf.linalg.normalize(x, axis=1)[1],
              args(normal((2, 3))), lambda x: np.linalg.norm(x, axis=1, keepdims=True), (0,)),
    Composite("normalize:ord1-all", lambda x: tf.linalg.normalize(x, ord=1)[0],
              args(signed((2, 3), 0.2, 2.0)), lambda x: x / np.abs(x).sum(), (0,)),
    Composite("l2_normalize:axes", lambda x: tf.linalg.l2_normalize(x, axis=[0, 2]),
              args(normal((2, 2, 3))),
              lambda x: x / np.sqrt((x * x).sum((0, 2), keepdims=True)), (0,)),
    Composite("triangular_solve:lower", tf.linalg.triangular_solve,
              args(_well_conditioned((3, 3)), normal((3, 2))), _triangular_ref(True, False),
              (0, 1)),
    Composite("triangular_solve:upper-adjoint",
              lambda a, b: tf.linalg.triangular_solve(a, b, lower=False, adjoint=True),
              args(_well_conditioned((2, 3, 3)), normal((2, 3, 1))),
              _triangular_ref(False, True), (0, 1)),
    Composite("triangular_solve:lower-adjoint",
              lambda a, b: tf.linalg.triangular_solve(a, b, adjoint=True),
              args(_well_conditioned((3, 3)), normal((3, 2))), _triangular_ref(True, True),
              (0, 1)),
    Composite("triangular_solve:upper",
              lambda a, b: tf.linalg.triangular_solve(a, b, lower=False),
              args(_well_conditioned((3, 3)), normal((3, 1))), _triangular_ref(False, False),
              (0, 1)),
    Composite("lstsq:tall", tf.linalg.lstsq, args(normal((5, 3)), normal((5, 2))),
              _lstsq_ref(0), (0, 1), rtol=1e-8, atol=1e-8),
    Composite("lstsq:l2", lambda a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.5),
              args(normal((4, 3)), normal((4, 1))), _lstsq_ref(0.5), (0, 1), rtol=1e-8,
              atol=1e-8),
    Composite("lstsq:wide", tf.linalg.lstsq, args(normal((2, 4)), normal((2, 1))),
              _lstsq_ref(0), (0, 1), rtol=1e-8, atol=1e-8),
    Composite("slogdet:log", lambda x: tf.linalg.slogdet(x)[1], args(normal((3, 3, 3))),
              lambda x: np.linalg.slogdet(x)[1], (0,)),
    Composite("slogdet:sign", lambda x: tf.linalg.slogdet(x)[0], args(normal((4, 3, 3))),
              lambda x: np.linalg.slogdet(x)[0]),
    Composite("logdet:gram", lambda x: tf.linalg.logdet(_tf_gram(x)), args(normal((2, 3, 3))),
              lambda x: np.linalg.slogdet(_gram(x))[1], (0,)),
    Composite("adjoint", tf.linalg.adjoint, args(normal((2, 3, 4))),
              lambda x: np.swapaxes(x, -1, -2), (0,)),
    Composite("adjoint:complex", tf.linalg.adjoint,
              args(lambda rng: rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))),
              lambda x: x.conj().T),
]


# --------------------------------------------------------------------------------------------
# tf.math
# --------------------------------------------------------------------------------------------


def _segment_ref(kind, n):
    def ref(data, ids):
        out = []
        for s in range(n):
            rows = data[ids == s]
            if kind == "sum":
                out.append(rows.sum(0))
            elif kind == "prod":
                out.append(rows.prod(0))
            elif kind == "mean":
                out.append(rows.sum(0) / max(len(rows), 1))
            elif kind == "sqrt_n":
                out.append(rows.sum(0) / math.sqrt(max(len(rows), 1)))
            elif kind == "max":
                out.append(rows.max(0) if len(rows) else
                           np.full(data.shape[1:], np.finfo(data.dtype).min))
            else:
                out.append(rows.min(0) if len(rows) else
                           np.full(data.shape[1:], np.finfo(data.dtype).max))
        return np.array(out, data.dtype)

    return ref


def _batched_gather_ref(axis):
    def ref(p, idx):
        return np.stack([np.take(p[b], idx[b], axis=axis - 1) for b in range(p.shape[0])])

    return ref


def _scatter_nd_extremum_ref(kind):
    def ref(t, idx, u):
        out = t.copy()
        for i, v in zip(idx, u):
            out[tuple(i)] = (np.maximum if kind == "max" else np.minimum)(out[tuple(i)], v)
        return out

    return ref


def _stitch_ref(i0, i1, d0, d1):
    out = np.zeros((max(i0.max(), i1.max()) + 1,) + d0.shape[i0.ndim:])
    for ids, data in ((i0, d0), (i1, d1)):
        for j, v in zip(ids.ravel(), data.reshape((-1,) + out.shape[1:])):
            out[j] = v
    return out


MATH_ROWS = [
    Composite("xlogy", tf.math.xlogy, args(normal((2, 3)), uniform((2, 3), 0.2, 3.0)),
              lambda x, y: x * np.log(y), (0, 1)),
    Composite("xlogy:zeros", tf.math.xlogy,
              args(fixed([0.0, 0.0, 0.0, 2.0], F64), fixed([0.0, 2.0, np.inf, 0.5], F64)),
              lambda x, y: np.array([0.0, 0.0, 0.0, 2 * np.log(0.5)])),
    Composite("xlog1py", tf.math.xlog1py, args(normal((2, 3)), uniform((2, 3), -0.8, 3.0)),
              lambda x, y: x * np.log1p(y), (0, 1)),
    Composite("xlog1py:zeros", tf.math.xlog1py,
              args(fixed([0.0, 0.0, 3.0], F32), fixed([-1.0, 4.0, 1e-8], F32)),
              lambda x, y: np.array([0.0, 0.0, 3e-8], F32), rtol=1e-6, atol=0),
    Composite("xdivy", tf.math.xdivy, args(normal((2, 3)), signed((2, 3), 0.5, 2.0)),
              lambda x, y: x / y, (0, 1)),
    Composite("xdivy:zeros", tf.math.xdivy,
              args(fixed([0.0, 0.0, 1.0], F64), fixed([0.0, 3.0, 4.0], F64)),
              lambda x, y: np.array([0.0, 0.0, 0.25])),
    Composite("reciprocal_no_nan", tf.math.reciprocal_no_nan, args(signed((2, 3), 0.5, 2.0)),
              lambda x: 1 / x, (0,)),
    Composite("reciprocal_no_nan:zero", tf.math.reciprocal_no_nan,
              args(fixed([0.0, -2.0, 4.0], F32)), lambda x: np.array([0.0, -0.5, 0.25], F32)),
    Composite("polyval", lambda a, b, c, x: tf.math.polyval([a, b, c], x),
              args(normal(()), normal(()), normal(()), normal((4,))),
              lambda a, b, c, x: np.polyval([a, b, c], x), (0, 1, 2, 3)),
    Composite("polyval:vector-coeffs", lambda a, b, x: tf.math.polyval([a, b], x),
              args(normal((3,)), normal((3,)), normal((3,))),
              lambda a, b, x: a * x + b, (0, 1, 2)),
    Composite("scalar_mul", tf.math.scalar_mul, args(normal(()), normal((2, 3))),
              lambda a, x: a * x, (0, 1)),
    Composite("scalar_mul:toplevel", lambda x: tf.scalar_mul(-1.5, x), args(normal((3,))),
              lambda x: -1.5 * x, (0,)),
    Composite("accumulate_n", lambda a, b, c: tf.math.accumulate_n([a, b, c]),
              args(normal((2, 3)), normal((2, 3)), normal((2, 3))),
              lambda a, b, c: a + b + c, (0, 1, 2)),
] + [
    Composite(f"unsorted_segment_{kind}",
              lambda d, i, kind=kind: getattr(tf.math, f"unsorted_segment_{kind}")(d, i, 4),
              args(spread((6, 2)), fixed([2, 0, -1, 2, 0, 2], I32)), _segment_ref(kind, 4),
              (0,))
    for kind in ("sum", "mean", "prod", "sqrt_n")
] + [
    # max and min: every segment filled in the gradient rows (an empty one holds the dtype's
    # lowest or highest value, whose finite differences overflow), an empty one eagerly.
    Composite(f"unsorted_segment_{kind}",
              lambda d, i, kind=kind: getattr(tf.math, f"unsorted_segment_{kind}")(d, i, 3),
              args(spread((6, 2)), fixed([2, 0, -1, 2, 1, 0], I32)), _segment_ref(kind, 3),
              (0,))
    for kind in ("max", "min")
] + [
    Composite(f"unsorted_segment_{kind}:empty",
              lambda d, i, kind=kind: getattr(tf.math, f"unsorted_segment_{kind}")(d, i, 4),
              args(spread((4, 2), dtype), fixed([2, 0, -1, 2], I32)), _segment_ref(kind, 4))
    for kind in ("max", "min") for dtype in (F32,)
] + [
    Composite("unsorted_segment_sum:nd-ids",
              lambda d, i: tf.math.unsorted_segment_sum(d, i, 3),
              args(normal((2, 2, 3)), fixed([[1, 0], [1, 1]], I64)),
              lambda d, i: _segment_ref("sum", 3)(d.reshape(4, 3), i.ravel()), (0,)),
    Composite("gather:batch_dims", lambda p, i: tf.gather(p, i, axis=1, batch_dims=1),
              args(normal((2, 3, 4)), fixed([[2, 0], [1, 1]], I32)), _batched_gather_ref(1),
              (0,)),
    Composite("gather:batch_dims-axis2", lambda p, i: tf.gather(p, i, axis=2, batch_dims=1),
              args(normal((2, 3, 4)), fixed([[3, 0, 3], [1, 2, 0]], I64)),
              _batched_gather_ref(2), (0,)),
    Composite("gather:batch_dims-negative",
              lambda p, i: tf.gather(p, i, axis=-1, batch_dims=-1),
              args(normal((2, 4)), fixed([[1, 3, 1], [0, 0, 2]], I32)),
              lambda p, i: np.take_along_axis(p, i, 1), (0,)),
    Composite("strided_slice", lambda x: tf.strided_slice(x, [1, 0], [4, 3], [2, 1]),
              args(normal((5, 4))), lambda x: x[1:4:2, 0:3], (0,)),
    Composite("strided_slice:masks",
              lambda x: tf.strided_slice(x, [0, 3, 0], [0, 0, 2], [1, -1, 1], begin_mask=1,
                                         end_mask=3, shrink_axis_mask=4),
              args(normal((2, 4, 3))), lambda x: x[:, 3::-1, 0], (0,)),
    Composite("strided_slice:ellipsis-newaxis",
              lambda x: tf.strided_slice(x, [0, 0, 1], [0, 0, 3], [1, 1, 1], ellipsis_mask=1,
                                         new_axis_mask=2),
              args(normal((2, 3, 4))), lambda x: x[..., None, 1:3], (0,)),
    # Indices are constants: the result's size depends on their values, which a compiled
    # function refuses to read from a traced argument (DataDependentShapeError).
    Composite("dynamic_stitch",
              lambda d0, d1: tf.dynamic_stitch([[0, 3], [[1, 4], [2, 5]]], [d0, d1]),
              args(normal((2, 2)), normal((2, 2, 2))),
              lambda d0, d1: _stitch_ref(np.array([0, 3]), np.array([[1, 4], [2, 5]]), d0, d1),
              (0, 1)),
    # Index 2 is written twice and the later write wins: the overwritten value gets a zero
    # gradient, as finite differences say (TF's gather of the gradient gives it one too).
    Composite("dynamic_stitch:overlap",
              lambda d0, d1: tf.dynamic_stitch([[0, 2, 1], [2, 3]], [d0, d1]),
              args(normal((3,)), normal((2,))),
              lambda d0, d1: _stitch_ref(np.array([0, 2, 1]), np.array([2, 3]), d0, d1),
              (0, 1)),
    Composite("tensor_scatter_nd_max", tf.tensor_scatter_nd_max,
              args(spread((3, 2)), fixed([[0, 1], [2, 0], [1, 1]], I32), spread((3,))),
              _scatter_nd_extremum_ref("max"), (0, 2)),
    Composite("tensor_scatter_nd_min:rows", tf.tensor_scatter_nd_min,
              args(spread((3, 2)), fixed([[2], [0]], I64), spread((2, 2))),
              _scatter_nd_extremum_ref("min"), (0, 2)),
]


# --------------------------------------------------------------------------------------------
# tf.image
# --------------------------------------------------------------------------------------------


def _resize_ref(size, method):
    """TF2's resize (half-pixel centres, no antialiasing): the source coordinate of output
    pixel i is (i + 0.5) * in / out - 0.5; bilinear mixes its two neighbours (clamped at the
    border), nearest takes floor((i + 0.5) * in / out)."""
    def ref(img):
        x = img if img.ndim == 4 else img[None]
        _, h, w, _ = x.shape

        def axis(n_in, n_out):
            src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
            lo = np.floor(src)
            frac = src - lo
            lo_i = np.clip(lo, 0, n_in - 1).astype(int)
            hi_i = np.clip(lo + 1, 0, n_in - 1).astype(int)
            near = np.minimum(np.floor((np.arange(n_out) + 0.5) * n_in / n_out),
                              n_in - 1).astype(int)
            return lo_i, hi_i, frac, near

        (y0, y1, fy, ny), (x0, x1, fx, nx) = axis(h, size[0]), axis(w, size[1])
        if method == "nearest":
            out = x[:, ny][:, :, nx]
        else:
            fy, fx = fy[None, :, None, None], fx[None, None, :, None]
            top = x[:, y0][:, :, x0] * (1 - fx) + x[:, y0][:, :, x1] * fx
            bottom = x[:, y1][:, :, x0] * (1 - fx) + x[:, y1][:, :, x1] * fx
            out = top * (1 - fy) + bottom * fy
        return out if img.ndim == 4 else out[0]

    return ref


def _rgb_to_hsv_ref(x):
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = x.max(-1)
    delta = v - x.min(-1)
    s = delta / v
    h = np.where(v == r, (g - b) / delta, np.where(v == g, 2 + (b - r) / delta,
                                                   4 + (r - g) / delta))
    return np.stack([(h / 6) % 1.0, s, v], -1)


def _distinct_rgb(shape):
    """Pixels whose channels are at least 0.15 apart: one channel is the maximum, one the
    minimum, on a neighbourhood."""
    def make(rng):
        base = rng.uniform(0.05, 0.3, shape[:-1] + (1,))
        steps = np.stack([rng.permutation(3) for _ in range(int(np.prod(shape[:-1])))])
        steps = steps.reshape(shape[:-1] + (3,)) * 0.25
        return base + steps + rng.uniform(0, 0.05, shape)

    return make


def _standardize_ref(x):
    axes = tuple(range(x.ndim - 3, x.ndim))
    n = np.prod(x.shape[-3:])
    mean = x.mean(axes, keepdims=True)
    std = np.maximum(x.std(axes, keepdims=True), 1 / math.sqrt(n))
    return (x - mean) / std


def _sobel_ref(x):
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], F64)
    pad = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    b, h, w, c = x.shape
    out = np.zeros((b, h, w, c, 2))
    for i, j in np.ndindex(h, w):
        window = pad[:, i:i + 3, j:j + 3]
        out[:, i, j, :, 0] = np.einsum("bhwc,hw->bc", window, ky)
        out[:, i, j, :, 1] = np.einsum("bhwc,hw->bc", window, ky.T)
    return out


def _image_gradients_ref(x):
    dy, dx = np.zeros_like(x), np.zeros_like(x)
    dy[:, :-1] = x[:, 1:] - x[:, :-1]
    dx[:, :, :-1] = x[:, :, 1:] - x[:, :, :-1]
    return np.stack([dy, dx])


def _total_variation_ref(x):
    axes = (-3, -2, -1)
    return (np.abs(np.diff(x, axis=-3)).sum(axes) + np.abs(np.diff(x, axis=-2)).sum(axes))


def _psnr_ref(a, b, max_val):
    mse = ((a - b) ** 2).mean((-3, -2, -1))
    return 20 * np.log10(max_val) - 10 * np.log10(mse)


def _ssim_ref(size, sigma, max_val=1.0, k1=0.01, k2=0.03):
    """SSIM per image: a size x size Gaussian window (VALID), luminance times contrast-
    structure at each position, averaged over positions and channels."""
    coords = np.arange(size) - (size - 1) / 2
    g = np.exp(-coords**2 / (2 * sigma**2))
    g /= g.sum()
    window = np.outer(g, g)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2

    def blur(z):
        b, h, w, c = z.shape
        out = np.zeros((b, h - size + 1, w - size + 1, c))
        for i, j in np.ndindex(*out.shape[1:3]):
            out[:, i, j] = np.einsum("bhwc,hw->bc", z[:, i:i + size, j:j + size], window)
        return out

    def ref(x, y):
        mx, my = blur(x), blur(y)
        vx, vy, cxy = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
        lum = (2 * mx * my + c1) / (mx**2 + my**2 + c1)
        cs = (2 * cxy + c2) / (vx + vy + c2)
        return (lum * cs).mean((1, 2)).mean(-1)

    return ref


def _extract_patches_ref(k, s, r, padding):
    """Patches of k = (kh, kw) pixels, strides s = (sh, sw), rate r, flattened in (row,
    column, channel) order; SAME fills with zeros outside the image."""
    def ref(x):
        b, h, w, c = x.shape
        (kh, kw), (sh, sw) = k, s
        eh, ew = (kh - 1) * r + 1, (kw - 1) * r + 1
        if padding == "VALID":
            (oh, ph), (ow, pw) = ((h - eh) // sh + 1, 0), ((w - ew) // sw + 1, 0)
        else:
            (oh, ph), (ow, pw) = _same_pads(h, eh, sh), _same_pads(w, ew, sw)
        out = np.zeros((b, oh, ow, kh, kw, c))
        for i, j, a, e in np.ndindex(oh, ow, kh, kw):
            y, z = i * sh - ph + a * r, j * sw - pw + e * r
            if 0 <= y < h and 0 <= z < w:
                out[:, i, j, a, e] = x[:, y, z]
        return out.reshape(b, oh, ow, kh * kw * c)

    return ref


# tf.image's resize (bilinear), colour adjustments, per_image_standardization, psnr and ssim
# compute in float32 whatever the input, as TensorFlow's (convert_image_dtype to float32 and
# back, or a float32 kernel): their finite differences take a larger step and looser bounds.
F32_INSIDE = {"fd_eps": 1e-3, "fd_rtol": 1e-2, "fd_atol": 1e-3}

IMAGE_ROWS = [
    Composite("resize:bilinear-up", lambda x: tf.image.resize(x, [5, 6]),
              args(normal((1, 3, 4, 2))), _resize_ref((5, 6), "bilinear"), (0,), **F32_INSIDE),
    Composite("resize:bilinear-down", lambda x: tf.image.resize(x, [2, 3]),
              args(normal((2, 5, 4, 1))), _resize_ref((2, 3), "bilinear"), (0,), **F32_INSIDE),
    Composite("resize:bilinear-unbatched", lambda x: tf.image.resize(x, [4, 3]),
              args(normal((3, 2, 1))), _resize_ref((4, 3), "bilinear"), (0,), **F32_INSIDE),
    Composite("resize:nearest-up", lambda x: tf.image.resize(x, [5, 7], "nearest"),
              args(normal((1, 3, 4, 2))), _resize_ref((5, 7), "nearest"), (0,)),
    Composite("resize:nearest-down", lambda x: tf.image.resize(x, [2, 3], "nearest"),
              args(normal((1, 5, 7, 1))), _resize_ref((2, 3), "nearest"), (0,)),
    Composite("rgb_to_grayscale", tf.image.rgb_to_grayscale, args(uniform((2, 2, 3, 3), 0, 1)),
              lambda x: x @ np.array([[0.2989], [0.5870], [0.1140]]), (0,), **F32_INSIDE),
    Composite("grayscale_to_rgb", tf.image.grayscale_to_rgb, args(normal((2, 3, 1))),
              lambda x: np.repeat(x, 3, -1), (0,)),
    Composite("rgb_to_hsv", tf.image.rgb_to_hsv, args(_distinct_rgb((2, 3, 3))),
              _rgb_to_hsv_ref, (0,)),
    Composite("adjust_brightness", tf.image.adjust_brightness,
              args(normal((2, 2, 3)), normal(())), lambda x, d: x + d, (0, 1), **F32_INSIDE),
    Composite("adjust_contrast", tf.image.adjust_contrast,
              args(normal((2, 3, 2, 3)), fixed(1.7, F64)),
              lambda x, f: (x - x.mean((1, 2), keepdims=True)) * f
              + x.mean((1, 2), keepdims=True), rtol=1e-6, atol=1e-6),  # no gradient in TF
    Composite("adjust_gamma", lambda x, g, k: tf.image.adjust_gamma(x, g, k),
              args(uniform((2, 3, 1), 0.2, 1.0), fixed(1.8, F64), fixed(0.7, F64)),
              lambda x, g, k: k * x**g, (0, 1, 2), **F32_INSIDE),
    Composite("per_image_standardization", tf.image.per_image_standardization,
              args(normal((2, 3, 2, 2))), _standardize_ref, (0,), **F32_INSIDE),
    Composite("per_image_standardization:constant-image", tf.image.per_image_standardization,
              args(fixed(np.full((2, 2, 1), 3.0), F64)), _standardize_ref),
    Composite("total_variation", tf.image.total_variation, args(spread((2, 3, 3, 2))),
              _total_variation_ref, (0,)),
    Composite("total_variation:unbatched", tf.image.total_variation, args(spread((3, 2, 2))),
              _total_variation_ref, (0,)),
    Composite("flip_left_right", tf.image.flip_left_right, args(normal((2, 2, 3, 1))),
              lambda x: x[:, :, ::-1], (0,)),
    Composite("flip_up_down", tf.image.flip_up_down, args(normal((3, 2, 2))),
              lambda x: x[::-1], (0,)),
] + [
    Composite(f"rot90:k{k}", lambda x, k=k: tf.image.rot90(x, k), args(normal((2, 3, 1))),
              lambda x, k=k: np.rot90(x, k, axes=(0, 1)), (0,))
    for k in (1, 2, 3)
] + [
    Composite("rot90:batched-k-1", lambda x: tf.image.rot90(x, -1), args(normal((2, 2, 3, 1))),
              lambda x: np.rot90(x, -1, axes=(1, 2)), (0,)),
    Composite("central_crop", lambda x: tf.image.central_crop(x, 0.5),
              args(normal((6, 8, 1))), lambda x: x[1:5, 2:6], (0,)),
    Composite("central_crop:batched-odd", lambda x: tf.image.central_crop(x, 0.6),
              args(normal((2, 5, 7, 1))),
              lambda x: x[:, int((5 - 5 * 0.6) / 2):5 - int((5 - 5 * 0.6) / 2),
                          int((7 - 7 * 0.6) / 2):7 - int((7 - 7 * 0.6) / 2)], (0,)),
    Composite("crop_to_bounding_box", lambda x: tf.image.crop_to_bounding_box(x, 1, 0, 2, 2),
              args(normal((4, 3, 2))), lambda x: x[1:3, 0:2], (0,)),
    Composite("pad_to_bounding_box", lambda x: tf.image.pad_to_bounding_box(x, 1, 2, 4, 5),
              args(normal((1, 2, 2, 1))),
              lambda x: np.pad(x, [(0, 0), (1, 1), (2, 1), (0, 0)]), (0,)),
    Composite("sobel_edges", tf.image.sobel_edges, args(normal((1, 4, 3, 2))), _sobel_ref,
              (0,)),
    Composite("image_gradients", lambda x: tf.stack(tf.image.image_gradients(x)),
              args(normal((2, 3, 3, 1))), _image_gradients_ref, (0,)),
    Composite("psnr", lambda a, b: tf.image.psnr(a, b, 1.0),
              args(uniform((2, 3, 2, 1), 0, 1), uniform((2, 3, 2, 1), 0, 1)),
              lambda a, b: _psnr_ref(a, b, 1.0), (0, 1), **F32_INSIDE),
    Composite("psnr:max255", lambda a, b: tf.image.psnr(a, b, 255.0),
              args(uniform((3, 3, 2), 0, 255), uniform((3, 3, 2), 0, 255)),
              lambda a, b: _psnr_ref(a, b, 255.0), (0, 1), **F32_INSIDE),
    Composite("ssim", lambda a, b: tf.image.ssim(a, b, 1.0, filter_size=3),
              args(uniform((2, 4, 4, 2), 0, 1), uniform((2, 4, 4, 2), 0, 1)),
              _ssim_ref(3, 1.5), (0, 1), order=1, **F32_INSIDE),
    Composite("ssim:sigma", lambda a, b: tf.image.ssim(a, b, 1.0, filter_size=4,
                                                       filter_sigma=0.8),
              args(uniform((1, 5, 4, 1), 0, 1), uniform((1, 5, 4, 1), 0, 1)),
              _ssim_ref(4, 0.8), (0,), order=1, **F32_INSIDE),
    Composite("extract_patches:valid",
              lambda x: tf.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 1, 1], [1, 1, 1, 1],
                                                 "VALID"),
              args(normal((1, 4, 3, 2))), _extract_patches_ref((2, 2), (2, 1), 1, "VALID"),
              (0,)),
    Composite("extract_patches:same-rate2",
              lambda x: tf.image.extract_patches(x, [1, 2, 3, 1], [1, 2, 2, 1], [1, 2, 2, 1],
                                                 "SAME"),
              args(normal((2, 4, 5, 1))), _extract_patches_ref((2, 3), (2, 2), 2, "SAME"),
              (0,)),
]

ROWS = NN_ROWS + POOL_ROWS + CONV_ROWS + LINALG_ROWS + MATH_ROWS + IMAGE_ROWS
