"""`tf.nn.dropout`, `tf.random.shuffle`, `tf.random.gamma` and `tf.random.poisson`: tensor
ops over draws of the `random` primitive (tapeflow/tracer/random.py), so each call advances
the generator's state Variable, under `@tf.function` too: a compiled step draws new values
on every call, and `tf.random.set_seed` makes the sequence reproducible. Values need not
equal TensorFlow's draws; the distributions are the same.

Rejection samplers are written without loops: every element takes ATTEMPTS proposals at once
and keeps the first accepted one (the first index of a true along a leading axis, by argmax).
A sampler that accepts with probability >= 0.9 misses all 16 with probability <= 1e-16.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import OpTypeError, canonical_dtype, is_tracer
from tapeflow.tracer import random as _random
from tapeflow.tracer.tensor import constant

ATTEMPTS = 16


def _tensor(x, dtype=None):
    if is_tracer(x):
        return x if dtype is None or x.aval.dtype == dtype else ops.cast(x, dtype)
    return constant(np.asarray(x, dtype=dtype) if dtype is not None else x)


def _draw(dist, shape, dtype, salt, op):
    return _random.get_global_generator()._draw(dist, shape, np.dtype(dtype), 0.0, 1.0,
                                                salt, op)


# --------------------------------------------------------------------------------------------
# dropout
# --------------------------------------------------------------------------------------------


def apply_dropout(x, rate, noise_shape, uniform):
    """x / (1 - rate) where a uniform draw of `noise_shape` (broadcast against x) is >= rate,
    0 elsewhere. `uniform(shape, dtype)` draws; keras' Dropout passes its own generator."""
    shape = tuple(x.aval.shape)
    if noise_shape is not None:
        if is_tracer(noise_shape):
            noise_shape = noise_shape.numpy().tolist()
        noise_shape = list(noise_shape)
        if len(noise_shape) == len(shape):  # None entries take x's size, as TF
            noise_shape = [s if n is None else int(n) for s, n in zip(shape, noise_shape)]
        shape = tuple(int(n) for n in noise_shape)
    dtype = x.aval.dtype
    u = uniform(shape, dtype)
    if isinstance(rate, numbers.Real):
        keep = ops.greater_equal(u, np.asarray(rate, dtype))
        scaled = ops.multiply(x, np.asarray(1.0 / (1.0 - rate), dtype))
    else:
        rate = _tensor(rate, dtype)
        keep = ops.greater_equal(u, rate)
        scaled = ops.divide(x, ops.subtract(np.asarray(1, dtype), rate))
    return ops.where(keep, scaled, ops.zeros_like(scaled))


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """`tf.nn.dropout`: each element zeroed with probability `rate`, the others scaled by
    1 / (1 - rate) so the expected value is unchanged; a fresh mask on every call."""
    x = _tensor(x)
    if x.aval.dtype.kind != "f":
        raise ValueError(f"`x.dtype` must be a floating point tensor as `x` will be scaled. "
                         f"Received: x_dtype={x.aval.dtype.name}")
    if isinstance(rate, numbers.Real) and not isinstance(rate, bool):
        if not 0 <= rate < 1:
            raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). "
                             f"Received: rate={rate}")
        if rate == 0:
            return x
    elif is_tracer(rate) and rate.aval.ndim:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). "
                         f"Received: rate of shape {list(rate.aval.shape)}")
    salt = _random._salt(seed)
    return apply_dropout(x, rate, noise_shape,
                         lambda shape, dt: _draw("uniform", shape, dt, salt, "nn.dropout"))


# --------------------------------------------------------------------------------------------
# shuffle
# --------------------------------------------------------------------------------------------


def shuffle(value, seed=None, name=None):
    """`tf.random.shuffle`: `value` with its first axis in a random order (every order equally
    likely: the order that sorts one random 64-bit integer per row)."""
    x = _tensor(value)
    if x.aval.ndim == 0:
        return x
    n = x.aval.shape[0]
    keys = _draw("bits", (n,), np.int64, _random._salt(seed), "random.shuffle")
    return ops.gather(x, ops.argsort(keys))


# --------------------------------------------------------------------------------------------
# gamma: Marsaglia and Tsang's method
# --------------------------------------------------------------------------------------------


def _out_float(dtype, op) -> np.dtype:
    dt = canonical_dtype(dtype)
    if dt.kind != "f":
        raise OpTypeError(f"{op}: dtype must be a float type, got {dt.name}")
    return dt


def _first_accepted(accepted, proposals):
    """The proposal at the first true of `accepted` along axis 0 (the first one where none
    is, which the callers' ATTEMPTS make a < 1e-16 event)."""
    first = ops.argmax(ops.cast(accepted, np.int32), axis=0, output_type=np.int32)
    index = np.arange(ATTEMPTS, dtype=np.int32).reshape(
        (ATTEMPTS,) + (1,) * (accepted.aval.ndim - 1))
    chosen = ops.equal(index, first)
    return ops.reduce_sum(ops.where(chosen, proposals, ops.zeros_like(proposals)), axis=0)


def gamma(shape, alpha, beta=None, dtype=np.float32, seed=None, name=None):
    """`tf.random.gamma`: draws of shape `shape` + broadcast(alpha, beta).shape from
    Gamma(alpha, rate beta) (density x^(alpha-1) e^(-beta x) beta^alpha / Gamma(alpha)).

    Marsaglia & Tsang (2000): for a >= 1, d = a - 1/3, c = 1 / sqrt(9 d), z ~ N(0, 1),
    v = (1 + c z)^3; accept d v when v > 0 and log u < z^2 / 2 + d - d v + d log v
    (u ~ U(0, 1)); it accepts with probability >= 0.95. For a < 1 a draw of Gamma(a + 1)
    times u^(1/a) is a draw of Gamma(a). As TF, alpha = 0 gives the smallest normal float
    and alpha < 0 nan. Gradients flow to beta (x / beta is exact); alpha's implicit
    reparameterisation gradient is not implemented (alpha is treated as a constant)."""
    op = "random.gamma"
    dt = _out_float(dtype, op)
    salt = _random._salt(seed)
    return gamma_from(lambda dist, shape, dtype: _draw(dist, shape, dtype, salt, op),
                      _random._sizes(shape, op), alpha, beta, dt)


def gamma_from(draw, sizes, alpha, beta, dt):
    """gamma's draws of shape sizes + broadcast(alpha, beta).shape, taking its uniforms and
    normals from `draw(dist, shape, dtype)` (the global generator's, or a stateless seed's:
    tapeflow/tracer/random_stateless.py)."""
    a = _tensor(alpha, dt)
    b = None if beta is None else _tensor(beta, dt)
    param_shape = tuple(np.broadcast_shapes(tuple(a.aval.shape),
                                            () if b is None else tuple(b.aval.shape)))
    full = sizes + param_shape
    a64 = ops.broadcast_to(ops.cast(ops.stop_gradient(a), np.float64), full)
    boosted = ops.where(ops.less(a64, 1.0), ops.add(a64, 1.0), a64)
    d = ops.subtract(boosted, 1.0 / 3.0)
    c = ops.divide(1.0, ops.sqrt(ops.multiply(d, 9.0)))
    z = draw("normal", (ATTEMPTS,) + full, np.float64)
    u = draw("uniform", (ATTEMPTS,) + full, np.float64)
    v = ops.pow(ops.add(ops.multiply(c, z), 1.0), 3.0)
    positive = ops.greater(v, 0.0)
    safe_v = ops.where(positive, v, ops.ones_like(v))  # log v only where v > 0
    bound = ops.add(ops.add(ops.multiply(ops.multiply(z, z), 0.5), d),
                    ops.multiply(d, ops.subtract(ops.log(safe_v), safe_v)))
    accepted = ops.logical_and(positive, ops.less(ops.log(u), bound))
    x = _first_accepted(accepted, ops.multiply(d, safe_v))
    # The boost for a < 1: times u^(1/a), u from one more uniform draw.
    w = draw("uniform", full, np.float64)
    small = ops.logical_and(ops.less(a64, 1.0), ops.greater(a64, 0.0))
    safe_a = ops.where(small, a64, ops.ones_like(a64))
    x = ops.where(small, ops.multiply(x, ops.pow(w, ops.divide(1.0, safe_a))), x)
    tiny = float(np.finfo(dt).tiny)
    x = ops.cast(ops.maximum(x, tiny), dt)
    x = ops.where(ops.greater(a64, 0.0), x, ops.full_like(x, tiny))
    x = ops.where(ops.less(a64, 0.0), ops.full_like(x, np.nan), x)
    return x if b is None else ops.divide(x, b)


# --------------------------------------------------------------------------------------------
# poisson: inversion for small rates, Hörmann's PTRS for large ones
# --------------------------------------------------------------------------------------------

_INVERSION_BELOW = 10.0  # rates below this are drawn by inversion
_INVERSION_TERMS = 48  # P(Poisson(10) >= 48) < 1e-16
_LOG_FACTORIALS = np.array([math.lgamma(k + 1.0) for k in range(_INVERSION_TERMS)])


def _log_factorial(k):
    """log(k!) of a float tensor k >= 0: Stirling's series for lgamma(x + 7), accurate to
    1e-12 there, brought down by log(x (x + 1) ... (x + 6)) with x = k + 1."""
    x = ops.add(k, 1.0)
    y = ops.add(x, 7.0)
    stirling = ops.add(ops.subtract(ops.multiply(ops.subtract(y, 0.5), ops.log(y)), y),
                       0.5 * math.log(2 * math.pi))
    iy = ops.divide(1.0, y)
    iy2 = ops.multiply(iy, iy)
    series = ops.multiply(iy, ops.add(1.0 / 12.0, ops.multiply(iy2, ops.add(
        -1.0 / 360.0, ops.multiply(iy2, ops.add(1.0 / 1260.0, ops.multiply(iy2,
                                                                         -1.0 / 1680.0)))))))
    shift = ops.ones_like(x)
    for j in range(7):
        shift = ops.multiply(shift, ops.add(x, float(j)))
    return ops.subtract(ops.add(stirling, series), ops.log(shift))


def poisson(shape, lam, dtype=np.float32, seed=None, name=None):
    """`tf.random.poisson`: draws of shape `shape` + lam.shape from Poisson(lam), as `dtype`
    (float or integer). A rate <= 0 gives 0, as TF.

    Rates below 10: inversion, the number of k whose cumulative probability P(X <= k) is
    below one uniform u. Larger rates: Hörmann's transformed rejection with squeeze (PTRS,
    1993), which TensorFlow's kernel also uses; it accepts with probability > 0.9."""
    op = "random.poisson"
    dt = canonical_dtype(dtype)
    if dt.kind not in "fiu":
        raise OpTypeError(f"{op}: dtype must be a float or integer type, got {dt.name}")
    salt = _random._salt(seed)
    return poisson_from(lambda dist, shape, dtype: _draw(dist, shape, dtype, salt, op),
                        _random._sizes(shape, op), lam, dt, op)


def poisson_from(draw, sizes, lam, dt, op):
    """poisson's draws of shape sizes + lam.shape, from `draw(dist, shape, dtype)`."""
    rate = _tensor(lam)
    if rate.aval.dtype.kind not in "fiu":
        raise OpTypeError(f"{op}: lam must be numeric, got {rate.aval.dtype.name}")
    full = sizes + tuple(rate.aval.shape)
    lam64 = ops.broadcast_to(ops.cast(ops.stop_gradient(rate), np.float64), full)
    positive = ops.greater(lam64, 0.0)
    safe = ops.where(positive, lam64, ops.ones_like(lam64))  # log(lam) stays finite
    log_lam = ops.log(safe)

    # Inversion: P(X = k) = exp(k log lam - lam - log k!), summed along a leading k axis.
    k = np.arange(_INVERSION_TERMS, dtype=np.float64).reshape(
        (_INVERSION_TERMS,) + (1,) * len(full))
    log_fact = _LOG_FACTORIALS.reshape(k.shape)
    pmf = ops.exp(ops.subtract(ops.subtract(ops.multiply(log_lam, k), safe), log_fact))
    cdf = ops.cumsum(pmf, axis=0)
    u = draw("uniform", full, np.float64)
    small = ops.reduce_sum(ops.cast(ops.less_equal(cdf, u), np.float64), axis=0)

    # PTRS, ATTEMPTS proposals per element.
    sq = ops.sqrt(safe)
    b = ops.add(ops.multiply(sq, 2.53), 0.931)
    a = ops.add(ops.multiply(b, 0.02483), -0.059)
    inv_alpha = ops.add(ops.divide(1.1328, ops.subtract(b, 3.4)), 1.1239)
    vr = ops.subtract(0.9277, ops.divide(3.6224, ops.subtract(b, 2.0)))
    uu = ops.subtract(draw("uniform", (ATTEMPTS,) + full, np.float64), 0.5)
    vv = draw("uniform", (ATTEMPTS,) + full, np.float64)
    us = ops.subtract(0.5, ops.abs(uu))
    safe_us = ops.maximum(us, 1e-300)
    kk = ops.floor(ops.add(ops.multiply(ops.add(ops.divide(ops.multiply(a, 2.0), safe_us), b),
                                        uu), ops.add(safe, 0.43)))
    squeeze = ops.logical_and(ops.greater_equal(us, 0.07), ops.less_equal(vv, vr))
    hopeless = ops.logical_or(ops.less(kk, 0.0),
                              ops.logical_and(ops.less(us, 0.013), ops.greater(vv, us)))
    k_safe = ops.maximum(kk, 0.0)
    lhs = ops.add(ops.log(ops.maximum(vv, 1e-300)), ops.subtract(
        ops.log(inv_alpha), ops.log(ops.add(ops.divide(a, ops.multiply(safe_us, safe_us)), b))))
    rhs = ops.subtract(ops.subtract(ops.multiply(k_safe, log_lam), safe), _log_factorial(k_safe))
    accepted = ops.logical_or(squeeze, ops.logical_and(ops.logical_not(hopeless),
                                                       ops.less_equal(lhs, rhs)))
    large = _first_accepted(accepted, k_safe)

    x = ops.where(ops.less(safe, _INVERSION_BELOW), small, large)
    x = ops.where(positive, x, ops.zeros_like(x))
    return ops.cast(x, dt)
