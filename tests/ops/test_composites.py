"""Ops written as compositions of primitives (nn activations, linspace, one_hot, ...), driven
from one table like tests/ops/test_op_table.py's: each row is checked

a. eagerly against a numpy reference;
b. its gradient against central finite differences in float64;
c. its second-order gradient (nested tapes) against finite differences of the gradient;
d. compiled with `@tapeflow.function` (Numba; slow tier) against eager, value and gradient.

A composite needs no rules of its own (its gradient comes from its parts); these rows pin
that the composition computes what TensorFlow's op computes, kinks and overflow included.
"""

from __future__ import annotations

import math
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


def normal(shape, dtype=F64):
    return lambda rng: np.asarray(rng.standard_normal(shape), dtype=dtype)


def signed(shape, lo, hi, dtype=F64):
    return lambda rng: np.asarray(rng.choice([-1.0, 1.0], shape) * rng.uniform(lo, hi, shape),
                                  dtype=dtype)


def fixed(value, dtype):
    return lambda rng: np.array(value, dtype=dtype)


def args(*gens):
    return lambda rng: [g(rng) for g in gens]


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

rows = pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)


def _inputs(row, seed=0):
    return row.make_args(np.random.default_rng(seed))


def test_ids_are_unique():
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids))


@rows
def test_eager_matches_numpy(row):
    xs = _inputs(row)
    got = row.fn(*[tf.constant(x) for x in xs]).numpy()
    want = np.asarray(row.ref(*xs))
    assert got.shape == want.shape
    if xs and all(np.asarray(x).dtype == F32 for x in xs):
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


GRAD_ROWS = [r for r in ROWS if r.grad_argnums]


@pytest.mark.parametrize("row", GRAD_ROWS, ids=lambda r: r.id)
def test_gradient_matches_finite_differences(row):
    xs = _f64(_inputs(row))
    ct = _cotangent(row, xs)
    grads = _gradient(row, xs, ct)
    for i, g in zip(row.grad_argnums, grads):
        def f(xi, i=i):
            values = [tf.constant(xi if k == i else x) for k, x in enumerate(xs)]
            return float(_loss(row, values, ct).numpy())

        np.testing.assert_allclose(g, _central(f, xs[i]), rtol=1e-5, atol=1e-7,
                                   err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("row", [r for r in GRAD_ROWS if r.order >= 2], ids=lambda r: r.id)
def test_second_order_matches_finite_differences(row):
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

        np.testing.assert_allclose(second[k].numpy(), _central(f, xs[i]), rtol=1e-5,
                                   atol=1e-6, err_msg=f"second-order gradient of input {i}")


@pytest.mark.slow
@rows
def test_compiled_matches_eager(row):
    xs = _inputs(row)
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
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
