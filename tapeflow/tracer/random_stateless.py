"""The stateless samplers beyond tracer/random.py's: gamma, poisson, binomial and the
parameterized truncated normal, and the seed utilities fold_in, split and create_rng_state.

A stateless op is a pure function of its `seed` (int[2], the Philox state itself): the same
seed gives the same values, eagerly and compiled, and nothing advances. One op makes several
draws (a rejection sampler's proposals, its uniforms); each draw of the call gets its own
salt, the draw's number hashed, so they are independent streams of the same seed. The values
need not equal TensorFlow's (its kernels consume Philox differently); the distributions are
the same.
"""

from __future__ import annotations

import math

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, canonical_dtype, is_tracer
from tapeflow.ops.random import splitmix64
from tapeflow.tracer import random as _random
from tapeflow.tracer import random_more as _more
from tapeflow.tracer.tensor import constant

_MASK63 = (1 << 63) - 1
_STATELESS_RESULT_DTYPES = ("float16", "float32", "float64", "int32", "int64")


class _SeedDraws(_random._Stateless):
    """Draws from a seed, a new salt for each draw of the op (module docstring)."""

    def __init__(self, seed, op: str):
        super().__init__(seed, op)
        self.op = op
        self.count = 0

    def __call__(self, dist, shape, dtype):
        self.count += 1
        return self._draw(dist, shape, np.dtype(dtype), 0.0, 1.0,
                          salt=splitmix64(self.count) & _MASK63, op=self.op)


def _broadcast_params(op: str, sizes: tuple, *params):
    """Each parameter broadcast to the output shape `sizes` (TF: "Shape passed in must end
    with broadcasted shape")."""
    shapes = [tuple(p.aval.shape) for p in params]
    try:
        if tuple(np.broadcast_shapes(tuple(sizes), *shapes)) != tuple(sizes):
            raise ValueError
    except ValueError:
        raise InvalidArgumentError(f"{op}: the parameters' shapes {[list(s) for s in shapes]} "
                                   f"do not broadcast to shape {list(sizes)}") from None
    return [ops.broadcast_to(p, sizes) for p in params]


def _result_dtype(dtype, op: str, arg: str = "dtype") -> np.dtype:
    dt = canonical_dtype(dtype)
    if dt.name not in _STATELESS_RESULT_DTYPES:
        raise OpTypeError(f"{op}: {arg} must be one of {', '.join(_STATELESS_RESULT_DTYPES)}, "
                          f"got {dt.name}")
    return dt


# --------------------------------------------------------------------------------------------
# gamma and poisson: the global samplers' algorithms over seed draws
# --------------------------------------------------------------------------------------------


def stateless_gamma(shape, seed, alpha, beta=None, dtype=np.float32, name=None):
    """`tf.random.stateless_gamma`: Gamma(alpha, rate beta) draws of shape `shape` (which
    ends with alpha's and beta's broadcast shape), Marsaglia and Tsang's method."""
    op = "random.stateless_gamma"
    draws = _SeedDraws(seed, op)
    dt = _more._out_float(dtype, op)
    sizes = _random._sizes(shape, op)
    a = _more._tensor(alpha, dt)
    params = [a] if beta is None else [a, _more._tensor(beta, dt)]
    params = _broadcast_params(op, sizes, *params)
    return _more.gamma_from(draws, (), params[0], None if beta is None else params[1], dt)


def stateless_poisson(shape, seed, lam, dtype=np.int32, name=None):
    """`tf.random.stateless_poisson`: Poisson(lam) draws of shape `shape` (ending with
    lam's shape), as `dtype`."""
    op = "random.stateless_poisson"
    draws = _SeedDraws(seed, op)
    dt = _result_dtype(dtype, op)
    sizes = _random._sizes(shape, op)
    (rate,) = _broadcast_params(op, sizes, _more._tensor(lam))
    return _more.poisson_from(draws, (), rate, dt, op)


# --------------------------------------------------------------------------------------------
# binomial: waiting times for small means, Hörmann's BTRS for large ones
# --------------------------------------------------------------------------------------------

_WAITING_GAPS = 48  # n q < 10 successes: more than 48 has probability < 1e-16


def stateless_binomial(shape, seed, counts, probs, output_dtype=np.int32, name=None):
    """`tf.random.stateless_binomial`: Binomial(counts, probs) draws of shape `shape`.

    With q = min(p, 1 - p) (a draw for p > 1/2 is counts minus one for 1 - p):
    - n q < 10: the number of successes is the number of geometric waiting times (trials
      up to and including a success, floor(log u / log(1 - q)) + 1) whose running sum
      stays within n;
    - otherwise Hörmann's BTRS (transformed rejection with squeeze, 1993), as TF's kernel,
      ATTEMPTS proposals per element at once (it accepts with probability > 0.9)."""
    op = "random.stateless_binomial"
    draws = _SeedDraws(seed, op)
    dt = _result_dtype(output_dtype, op, "output_dtype")
    sizes = _random._sizes(shape, op)
    n, p = _broadcast_params(op, sizes, ops.cast(_more._tensor(counts), np.float64),
                             ops.cast(_more._tensor(probs), np.float64))
    n, p = ops.stop_gradient(n), ops.stop_gradient(p)
    flip = ops.greater(p, 0.5)
    q = ops.where(flip, ops.subtract(1.0, p), p)
    positive = ops.logical_and(ops.greater(q, 0.0), ops.greater(n, 0.0))
    safe_q = ops.where(positive, q, ops.full_like(q, 0.5))
    safe_n = ops.where(positive, n, ops.full_like(n, 1.0))

    # Waiting times, along a leading axis of _WAITING_GAPS.
    u = ops.subtract(1.0, draws("uniform", (_WAITING_GAPS,) + sizes, np.float64))  # (0, 1]
    gaps = ops.add(ops.floor(ops.divide(ops.log(u), ops.log1p(ops.negative(safe_q)))), 1.0)
    waited = ops.cumsum(gaps, axis=0)
    small = ops.reduce_sum(ops.cast(ops.less_equal(waited, safe_n), np.float64), axis=0)

    # BTRS.
    r = ops.divide(safe_q, ops.subtract(1.0, safe_q))
    spq = ops.sqrt(ops.multiply(ops.multiply(safe_n, safe_q), ops.subtract(1.0, safe_q)))
    b = ops.add(1.15, ops.multiply(2.53, spq))
    a = ops.add(ops.add(-0.0873, ops.multiply(0.0248, b)), ops.multiply(0.01, safe_q))
    c = ops.add(ops.multiply(safe_n, safe_q), 0.5)
    v_r = ops.subtract(0.92, ops.divide(4.2, b))
    alpha = ops.multiply(ops.add(2.83, ops.divide(5.1, b)), spq)
    m = ops.floor(ops.multiply(ops.add(safe_n, 1.0), safe_q))
    h = ops.add(_more._log_factorial(m), _more._log_factorial(ops.subtract(safe_n, m)))
    uu = ops.subtract(draws("uniform", (_more.ATTEMPTS,) + sizes, np.float64), 0.5)
    vv = draws("uniform", (_more.ATTEMPTS,) + sizes, np.float64)
    us = ops.maximum(ops.subtract(0.5, ops.abs(uu)), 1e-300)
    k = ops.floor(ops.add(ops.multiply(ops.add(ops.divide(ops.multiply(a, 2.0), us), b), uu),
                          c))
    inside = ops.logical_and(ops.greater_equal(k, 0.0), ops.less_equal(k, safe_n))
    k_safe = ops.minimum(ops.maximum(k, 0.0), safe_n)
    squeeze = ops.logical_and(ops.greater_equal(us, 0.07), ops.less_equal(vv, v_r))
    lhs = ops.log(ops.divide(ops.multiply(ops.maximum(vv, 1e-300), alpha),
                             ops.add(ops.divide(a, ops.multiply(us, us)), b)))
    bound = ops.add(ops.subtract(ops.subtract(h, _more._log_factorial(k_safe)),
                                 _more._log_factorial(ops.subtract(safe_n, k_safe))),
                    ops.multiply(ops.subtract(k_safe, m), ops.log(r)))
    accepted = ops.logical_and(inside, ops.logical_or(squeeze, ops.less_equal(lhs, bound)))
    large = _more._first_accepted(accepted, k_safe)

    x = ops.where(ops.less(ops.multiply(safe_n, safe_q), 10.0), small, large)
    x = ops.where(positive, x, ops.zeros_like(x))
    x = ops.where(flip, ops.subtract(n, x), x)
    return ops.cast(x, dt)


# --------------------------------------------------------------------------------------------
# parameterized truncated normal: inversion of the normal CDF
# --------------------------------------------------------------------------------------------


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0,
                                             minvals=-2.0, maxvals=2.0, name=None):
    """`tf.random.stateless_parameterized_truncated_normal`: N(means, stddevs) draws
    conditioned on [minvals, maxvals], of shape `shape`.

    Inversion: with a, b the standardized bounds, z = ndtri(Phi(a) + u (Phi(b) - Phi(a))).
    Phi(x) = erfc(-x / sqrt 2) / 2 is accurate in the left tail, so an interval right of
    the mean is drawn as the negative of its mirror image."""
    op = "random.stateless_parameterized_truncated_normal"
    draws = _SeedDraws(seed, op)
    sizes = _random._sizes(shape, op)
    params = [x if is_tracer(x) else constant(np.asarray(x, np.float32))
              for x in (means, stddevs, minvals, maxvals)]
    dt = params[0].aval.dtype
    if dt.kind != "f":
        raise OpTypeError(f"{op}: means must be a float tensor, got {dt.name}")
    mean, std, lo, hi = (ops.cast(p, np.float64) for p in
                         _broadcast_params(op, sizes, *[ops.cast(p, dt) for p in params]))
    a = ops.divide(ops.subtract(lo, mean), std)
    b = ops.divide(ops.subtract(hi, mean), std)
    mirror = ops.greater(ops.add(a, b), 0.0)
    a, b = ops.where(mirror, ops.negative(b), a), ops.where(mirror, ops.negative(a), b)
    phi_a = ops.multiply(ops.erfc(ops.multiply(a, -1.0 / math.sqrt(2.0))), 0.5)
    phi_b = ops.multiply(ops.erfc(ops.multiply(b, -1.0 / math.sqrt(2.0))), 0.5)
    u = draws("uniform", sizes, np.float64)
    z = ops.ndtri(ops.add(phi_a, ops.multiply(u, ops.subtract(phi_b, phi_a))))
    z = ops.minimum(ops.maximum(z, a), b)  # rounding can leave [a, b] by an ulp
    z = ops.where(mirror, ops.negative(z), z)
    return ops.cast(ops.add(mean, ops.multiply(std, z)), dt)


# --------------------------------------------------------------------------------------------
# Seeds: fold_in, split, create_rng_state
# --------------------------------------------------------------------------------------------


def _full_int(draws, shape, dtype):
    """Integers over the whole range of an int32 or int64 dtype."""
    bits = draws("bits", shape, np.int64)
    if dtype == np.int64:
        return bits
    return ops.cast(ops.subtract(ops.mod(bits, 1 << 32), 1 << 31), dtype)


def _seed_dtype(seed, op: str) -> np.dtype:
    dt = (seed if is_tracer(seed) else constant(seed)).aval.dtype  # a list: int32, as TF
    if dt.kind not in "iu":
        raise OpTypeError(f"{op}: seed must be integers, got {dt.name}")
    return np.dtype(np.int64) if dt == np.int64 else np.dtype(np.int32)


def split(seed, num=2, alg="auto_select"):
    """`tf.random.split`: `num` new seeds [num, 2] (seed's dtype) from one, as TF: a
    stateless draw of full-range integers."""
    op = "random.split"
    dtype = _seed_dtype(seed, op)
    return _full_int(_SeedDraws(seed, op), (int(num), 2), dtype)


def fold_in(seed, data, alg="auto_select"):
    """`tf.random.fold_in`: a new seed from `seed` and an integer `data`, as TF builds it:
    [a full-range integer drawn from seed, data], in data's dtype."""
    op = "random.fold_in"
    _seed_dtype(seed, op)
    data = data if is_tracer(data) else constant(data)
    if data.aval.dtype.kind not in "iu" or data.aval.ndim:
        raise OpTypeError(f"{op}: data must be an integer scalar, got {data.aval}")
    dtype = np.dtype(np.int64) if data.aval.dtype == np.int64 else np.dtype(np.int32)
    first = _full_int(_SeedDraws(seed, op), (), dtype)
    return ops.stack([first, ops.cast(data, dtype)])


_ALGORITHMS = {"philox": 3, 1: 3, "threefry": 2, 2: 2, "auto_select": 3, 3: 3}


def create_rng_state(seed, alg):
    """`tf.random.create_rng_state`: TF's initial state for `alg` (int64 [seed, 0, 0] for
    philox, [seed, 0] for threefry). tapeflow's Generator keeps its own [key, counter]
    layout: make one with `tf.random.Generator.from_seed(seed)`."""
    key = alg.lower() if isinstance(alg, str) else alg
    if key not in _ALGORITHMS:
        raise InvalidArgumentError(f"random.create_rng_state: unknown algorithm {alg!r} "
                                   "(philox, threefry or auto_select)")
    state = np.zeros(_ALGORITHMS[key], np.int64)
    state[0] = int(np.asarray(seed.numpy() if hasattr(seed, "numpy") else seed))
    return constant(state)
