"""Results that used to be silently wrong: each is what TensorFlow returns, eagerly and from
`@tapeflow.function` (its tracing call and later ones), on the interpreter and on Numba.

- the gradient of a target with respect to itself (a Variable, a watched tensor) is ones;
- `return v.assign_add(1)` returns the value after that assignment, not the live Variable;
- with `input_signature` None sizes, results have concrete shapes (never `x.0`).
"""


import numpy as np
import pytest

import tapeflow as tf

pytestmark = pytest.mark.usefixtures("quiet_retraces")


# ---- the gradient of a target with respect to itself --------------------------------------


def test_gradient_of_a_variable_with_respect_to_itself_is_ones():
    v = tf.Variable([3.0, 4.0])
    with tf.GradientTape() as t:
        r = v
    np.testing.assert_array_equal(t.gradient(r, v), [1.0, 1.0])


def test_gradient_of_a_variable_read_on_the_tape_with_respect_to_itself_is_ones():
    # Read on the tape and used: still ones for the variable itself, not twice that.
    v = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        y = v * 2.0
    assert float(t.gradient(v, v)) == 1.0
    assert float(t.gradient([v, y], v)) == 3.0


def test_gradient_of_a_variable_with_respect_to_another_is_none():
    v, w = tf.Variable(3.0), tf.Variable(4.0)
    with tf.GradientTape() as t:
        r = v
    assert t.gradient(r, w) is None


def test_jacobian_of_a_variable_with_respect_to_itself_is_the_identity():
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        pass
    np.testing.assert_array_equal(t.jacobian(v, v), np.eye(3, dtype=np.float32))


def test_gradient_of_a_watched_tensor_with_respect_to_itself_is_ones():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        r = x
    np.testing.assert_array_equal(t.gradient(r, x), [1.0, 1.0])


def test_gradient_of_a_target_with_respect_to_itself_inside_a_function(backend):
    v = tf.Variable([3.0, 4.0])

    @tf.function(backend=backend)
    def grads(x):
        with tf.GradientTape() as t:
            t.watch(x)
            r = v
            s = x
        return t.gradient([r, s], [v, x])

    for _ in range(2):  # the tracing call, then the compiled graph
        gv, gx = grads(tf.constant([1.0, 2.0]))
        np.testing.assert_array_equal(gv, [1.0, 1.0])
        np.testing.assert_array_equal(gx, [1.0, 1.0])


# ---- returning an assignment --------------------------------------------------------------


def test_returning_assign_add_returns_the_value_after_the_assignment(backend):
    v = tf.Variable(1.0)
    f = tf.function(lambda: v.assign_add(1.0), backend=backend)
    first = f()
    assert not isinstance(first, tf.Variable)
    v.assign(10.0)
    assert float(first) == 2.0  # not the live variable's 10.0
    second = f()
    v.assign(20.0)
    assert float(second) == 11.0
    assert float(v) == 20.0


def test_returning_a_variable_in_a_structure_returns_its_value(backend):
    v = tf.Variable([1.0, 2.0])

    @tf.function(backend=backend)
    def f(x):
        v.assign(v * x)
        return {"v": v, "twice": [v * 2.0]}

    out = f(tf.constant(3.0))
    v.assign([0.0, 0.0])
    np.testing.assert_array_equal(out["v"], [3.0, 6.0])
    np.testing.assert_array_equal(out["twice"][0], [6.0, 12.0])
    out = f(tf.constant(2.0))
    np.testing.assert_array_equal(out["v"], [0.0, 0.0])


# ---- input_signature with None: concrete result shapes --------------------------------------


def _assert_concrete(t, shape):
    assert t.shape == shape
    assert all(isinstance(d, int) for d in t.shape)
    assert "x.0" not in repr(t) and "x.0" not in str(t)


def test_results_of_a_none_signature_have_concrete_shapes(backend):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)], backend=backend)
    def f(x):
        return x * 2.0, tf.reduce_sum(x), x[1:]

    for n in (3, 5, 3, 1):
        doubled, total, rest = f(np.arange(n, dtype=np.float32))
        _assert_concrete(doubled, (n,))
        _assert_concrete(rest, (n - 1,))
        assert doubled.shape[0] + 1 == n + 1
        np.testing.assert_array_equal(doubled, 2 * np.arange(n))
        assert float(total) == n * (n - 1) / 2


def test_variables_assigned_in_a_none_signature_trace_keep_concrete_shapes(backend):
    v = tf.Variable(0.0)
    out = tf.Variable([0.0, 0.0])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)], backend=backend)
    def f(x):
        v.assign(tf.reduce_sum(x))
        out.assign(x[:2])
        return v

    result = f(np.arange(4, dtype=np.float32))
    _assert_concrete(result, ())
    _assert_concrete(out.value(), (2,))
    assert float(v) == 6.0
    np.testing.assert_array_equal(out.numpy(), [0.0, 1.0])
