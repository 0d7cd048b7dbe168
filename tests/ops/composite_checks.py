"""The composite table's row type and its four checks (tests/ops/test_composites.py runs
them over its own rows and those of tests/ops/composite_rows_sweep.py):

a. eagerly against a numpy reference;
b. the gradient against central finite differences in float64;
c. the second-order gradient (nested tapes) against finite differences of the gradient;
d. compiled with `@tapeflow.function` (Numba; slow tier) against eager, value and gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import tapeflow as tf

F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64


@dataclass(frozen=True)
class Composite:
    id: str
    fn: Callable  # tensors -> tensor, through the public API
    make_args: Callable  # rng -> list of numpy arrays
    ref: Callable  # numpy reference of the same arguments
    grad_argnums: tuple = ()  # float inputs differentiated in checks b-d
    order: int = 2  # highest derivative checked
    rtol: float = 1e-6
    atol: float = 1e-6
    kw: dict = field(default_factory=dict)
    # Finite differences (checks b and c): step and tolerances, looser only for ops that
    # compute in float32 whatever the input (tf.image's, as TensorFlow's).
    fd_eps: float = 1e-6
    fd_rtol: float = 1e-5
    fd_atol: float = 1e-7


def normal(shape, dtype=F64):
    return lambda rng: np.asarray(rng.standard_normal(shape), dtype=dtype)


def signed(shape, lo, hi, dtype=F64):
    return lambda rng: np.asarray(rng.choice([-1.0, 1.0], shape) * rng.uniform(lo, hi, shape),
                                  dtype=dtype)


def fixed(value, dtype):
    return lambda rng: np.array(value, dtype=dtype)


def args(*gens):
    return lambda rng: [g(rng) for g in gens]


def _inputs(row, seed=0):
    return row.make_args(np.random.default_rng(seed))


def check_eager(row):
    """a. eager against the numpy reference (float32 inputs keep float32)."""
    xs = _inputs(row)
    got = row.fn(*[tf.constant(x) for x in xs]).numpy()
    want = np.asarray(row.ref(*xs))
    assert got.shape == want.shape
    if xs and all(np.asarray(x).dtype == F32 for x in xs) and got.dtype.kind == "f":
        assert got.dtype == F32
    np.testing.assert_allclose(got, want, rtol=row.rtol, atol=row.atol)


def _loss(row, values, ct):
    return tf.reduce_sum(tf.cast(row.fn(*values), tf.float64) * ct)


def _gradient(row, xs, ct):
    variables = {i: tf.Variable(xs[i]) for i in row.grad_argnums}
    values = [variables.get(i, tf.constant(x)) for i, x in enumerate(xs)]
    with tf.GradientTape() as tape:
        loss = _loss(row, values, ct)
    return [g.numpy() for g in tape.gradient(loss, [variables[i] for i in row.grad_argnums])]


def _f64(xs):
    return [x.astype(F64) if x.dtype.kind == "f" else x for x in xs]


def _cotangent(row, xs):
    shape = np.shape(row.ref(*xs))
    return np.random.default_rng(7).standard_normal(shape)


def _central(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for j in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[j] += eps
        down[j] -= eps
        grad[j] = (f(up) - f(down)) / (2 * eps)
    return grad


def check_gradient(row):
    """b. the taped gradient against central finite differences, in float64."""
    xs = _f64(_inputs(row))
    ct = _cotangent(row, xs)
    grads = _gradient(row, xs, ct)
    for i, g in zip(row.grad_argnums, grads):
        def f(xi, i=i):
            values = [tf.constant(xi if k == i else x) for k, x in enumerate(xs)]
            return float(_loss(row, values, ct).numpy())

        np.testing.assert_allclose(g, _central(f, xs[i], row.fd_eps), rtol=row.fd_rtol,
                                   atol=row.fd_atol, err_msg=f"gradient of input {i}")


def check_second_order(row):
    """c. the gradient of the gradient (nested tapes) against finite differences of it."""
    xs = _f64(_inputs(row))
    ct = _cotangent(row, xs)
    rng = np.random.default_rng(3)
    w = [rng.standard_normal(xs[i].shape) for i in row.grad_argnums]
    variables = [tf.Variable(xs[i]) for i in row.grad_argnums]
    by_index = dict(zip(row.grad_argnums, variables))
    values = [by_index.get(i, tf.constant(x)) for i, x in enumerate(xs)]
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = _loss(row, values, ct)
        grads = inner.gradient(loss, variables)
        projected = tf.reduce_sum(grads[0] * w[0])
        for g, wi in zip(grads[1:], w[1:]):
            projected = projected + tf.reduce_sum(g * wi)
    second = outer.gradient(projected, variables,
                            unconnected_gradients=tf.UnconnectedGradients.ZERO)
    for k, i in enumerate(row.grad_argnums):
        def f(xi, i=i):
            shifted = [xi if m == i else x for m, x in enumerate(xs)]
            return sum(float(np.sum(g * wj)) for g, wj in zip(_gradient(row, shifted, ct), w))

        np.testing.assert_allclose(second[k].numpy(), _central(f, xs[i], row.fd_eps),
                                   rtol=row.fd_rtol, atol=max(row.fd_atol, 1e-6),
                                   err_msg=f"second-order gradient of input {i}")


def check_compiled(row):
    """d. `@tf.function` (Numba) against eager, value and gradient."""
    xs = _inputs(row)
    if any(np.asarray(x).dtype.itemsize < 4 and np.asarray(x).dtype != np.bool_ for x in xs):
        pytest.skip("compiled code takes 32- and 64-bit numbers (8/16-bit run interpreted)")
    if any(np.asarray(x).dtype.kind == "c" for x in xs):
        pytest.skip("compiled code takes real numbers (complex graphs run interpreted)")
    ct = _cotangent(row, xs)

    def step(*values):
        variables = [values[i] for i in row.grad_argnums]
        with tf.GradientTape() as tape:
            tape.watch(variables)
            out = row.fn(*values)
            loss = tf.reduce_sum(tf.cast(out, tf.float64) * ct)
        return out, tape.gradient(loss, variables) if variables else []

    eager_out, eager_grads = step(*[tf.constant(x) for x in xs])
    compiled = tf.function(step)
    compiled(*[tf.constant(x) for x in xs])  # traces (the tracing call runs eagerly)
    out, grads = compiled(*[tf.constant(x) for x in xs])  # compiled code
    assert compiled.experimental_get_tracing_count() == 1
    np.testing.assert_allclose(out.numpy(), eager_out.numpy(), rtol=2e-6, atol=1e-6)
    for g, e in zip(grads, eager_grads):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=2e-6, atol=1e-6)
