"""`@tf.function` computes what the same Python code computes eagerly.

Each program is built twice from the same seed (fresh Variables each time): once run eagerly,
once under `@tf.function`; outputs (values, dtypes, structure, None gradients) and the final
Variable values must agree to rtol 1e-6 in float32, on the tracing call and on a cached call.
"""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import nest

RTOL = 1e-6
ATOL = 1e-7


def assert_tree_close(got, expected, rtol=RTOL, atol=ATOL):
    got_leaves, expected_leaves = nest.flatten(got), nest.flatten(expected)
    assert len(got_leaves) == len(expected_leaves), (got, expected)
    assert type(got) is type(expected)
    for g, e in zip(got_leaves, expected_leaves):
        if e is None or not isinstance(e, tf.Tensor | tf.Variable):
            assert g == e, (g, e)
            continue
        assert isinstance(g, tf.Tensor), f"expected a Tensor, got {g!r}"
        assert g.shape == e.shape
        assert g.dtype == e.dtype
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=rtol, atol=atol)


def agree(build, *args, calls=2, rtol=RTOL):
    """build() -> (fn, variables); eager and traced runs must match call after call."""
    eager_fn, eager_vars = build()
    traced_fn, traced_vars = build()
    traced = tf.function(traced_fn)
    for _ in range(calls):
        expected = eager_fn(*args)
        got = traced(*args)
        assert_tree_close(got, expected, rtol=rtol)
        for tv, ev in zip(traced_vars, eager_vars):
            np.testing.assert_allclose(tv.numpy(), ev.numpy(), rtol=rtol, atol=ATOL)
    assert traced.experimental_get_tracing_count() == 1
    return traced


def rng(seed=0):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ the seed notebooks


def test_square_gradient():
    def build():
        x = tf.Variable(3.0)

        def f():
            with tf.GradientTape() as tape:
                y = x**2
            return y, tape.gradient(y, x)

        return f, [x]

    traced = agree(build)
    y, dy = traced()
    assert float(y) == 9.0 and float(dy) == 6.0


def test_linear_model_loss_and_gradients_for_w_and_b():
    def build():
        r = rng(1)
        w = tf.Variable(r.normal(size=(3, 2)).astype(np.float32), name="w")
        b = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")

        def f(x):
            with tf.GradientTape(persistent=True) as tape:
                y = x @ w + b
                loss = tf.reduce_mean(y**2)
            dl_dw, dl_db = tape.gradient(loss, [w, b])
            grad = tape.gradient(loss, {"w": w, "b": b})
            return y, loss, [dl_dw, dl_db], grad

        return f, [w, b]

    agree(build, tf.constant([[1.0, 2.0, 3.0]]))


def test_linear_model_with_python_list_input():
    def build():
        w = tf.Variable(rng(2).normal(size=(3, 2)).astype(np.float32), name="w")
        b = tf.Variable(tf.zeros(2), name="b")

        def f():
            x = [[1.0, 2.0, 3.0]]
            with tf.GradientTape() as tape:
                y = x @ w + b
                loss = tf.reduce_mean(y**2)
            return loss, tape.gradient(loss, [w, b])

        return f, [w, b]

    agree(build)


def test_softplus_sin_with_watch_accessed_variables_false():
    def build():
        x0 = tf.Variable(0.0)
        x1 = tf.Variable(10.0)

        def f():
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(x1)
                y0 = tf.math.sin(x0)
                y1 = tf.nn.softplus(x1)
                y = y0 + y1
                ys = tf.reduce_sum(y)
            return ys, tape.gradient(ys, {"x0": x0, "x1": x1})

        return f, [x0, x1]

    traced = agree(build)
    _, grad = traced()
    assert grad["x0"] is None
    np.testing.assert_allclose(grad["x1"].numpy(), 0.9999546, rtol=1e-6)


def test_tensordot_and_reduce_sum_gradients():
    def build():
        x = tf.Variable(tf.range(4, dtype=tf.float32))

        def f():
            with tf.GradientTape() as t:
                y = 2 * tf.tensordot(x, x, axes=1)
            g1 = t.gradient(y, x)
            with tf.GradientTape() as t:
                s = tf.reduce_sum(x)
            g2 = t.gradient(s, x)
            with tf.GradientTape() as t:
                z = x * x
            return y, g1, g2, t.gradient(z, x)

        return f, [x]

    traced = agree(build)
    y, g1, _, _ = traced()
    assert float(y) == 28.0
    np.testing.assert_array_equal(g1.numpy(), [0.0, 4.0, 8.0, 12.0])


def test_stop_gradient():
    def build():
        x = tf.Variable(tf.range(4, dtype=tf.float32))

        def f():
            with tf.GradientTape(persistent=True) as t:
                y = x * x
                u = tf.stop_gradient(y)
                z = u * x
            return u, t.gradient(z, x), t.gradient(y, x)

        return f, [x]

    traced = agree(build)
    u, dz, dy = traced()
    np.testing.assert_array_equal(dz.numpy(), u.numpy())
    np.testing.assert_array_equal(dy.numpy(), [0.0, 2.0, 4.0, 6.0])


def test_indexing_gradient():
    def build():
        x = tf.Variable([3.0, 4.0])

        def f():
            with tf.GradientTape() as tape:
                y = x[0] ** 2 + 4 * x[1] ** 2
            return y, tape.gradient(y, x)

        return f, [x]

    traced = agree(build)
    y, g = traced()
    assert float(y) == 73.0
    np.testing.assert_array_equal(g.numpy(), [6.0, 32.0])


def test_convert_to_tensor_of_a_list():
    def build():
        x = tf.Variable([1.0, 2.0])

        def f():
            with tf.GradientTape() as tape:
                y = tf.convert_to_tensor(
                    [x[0] ** 2 + x[1] ** 2, x[0] ** 2 + 2 * x[1] ** 2, x[0] ** 2 + 3 * x[1] ** 2]
                )
            return y, tape.gradient(y, x)

        return f, [x]

    traced = agree(build)
    y, g = traced()
    np.testing.assert_array_equal(y.numpy(), [5.0, 9.0, 13.0])
    np.testing.assert_array_equal(g.numpy(), [6.0, 24.0])


def test_matmul_of_a_constant_and_variables():
    def build():
        W = tf.Variable(rng(3).uniform(size=(1, 2)).astype(np.float32))
        b = tf.Variable(tf.zeros((2,)))

        def f(x):
            with tf.GradientTape() as tape:
                y = tf.matmul(x, W) + b
            return y, tape.gradient(y, [W, b])

        return f, [W, b]

    agree(build, tf.constant([[2.0], [3.0], [4.0]]))


def test_dense_layer_relu():
    def build():
        layer = tf.keras.layers.Dense(2, activation="relu")
        init = rng(4)
        layer(tf.constant([[1.0, 2.0, 3.0]]))  # creates the variables outside the function
        for v in layer.trainable_variables:
            v.assign(init.normal(size=v.shape).astype(np.float32))

        def f(x):
            with tf.GradientTape() as tape:
                y = layer(x)
                loss = tf.reduce_mean(y**2)
            return y, loss, tape.gradient(loss, layer.trainable_variables)

        return f, list(layer.trainable_variables)

    traced = agree(build, tf.constant([[1.0, 2.0, 3.0]]))
    _, _, grads = traced(tf.constant([[1.0, 2.0, 3.0]]))
    assert [g.shape for g in grads] == [(3, 2), (2,)]


def test_dense_layer_built_on_the_first_trace():
    layer = tf.keras.layers.Dense(2, activation="relu")
    step = tf.function(lambda x: tf.reduce_sum(layer(x)))
    x = tf.constant([[1.0, 2.0, 3.0]])
    out = step(x)  # creating the variables in the first trace is allowed
    kernel, bias = layer.trainable_variables
    expected = np.maximum(x.numpy() @ kernel.numpy() + bias.numpy(), 0).sum()
    np.testing.assert_allclose(out.numpy(), expected, rtol=RTOL)
    np.testing.assert_allclose(step(x * 2).numpy(),
                               np.maximum(2 * x.numpy() @ kernel.numpy() + bias.numpy(), 0).sum(),
                               rtol=RTOL)


def test_norm_gradient_descent_with_assign_add():
    def build():
        A = tf.Variable([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=float)
        x = tf.Variable([[100], [200], [300]], dtype=float)

        def f():
            with tf.GradientTape() as tape:
                b = A @ x
                J = tf.norm(b)
            dJ_dA = tape.gradient(J, A)
            A.assign_add(-0.001 * dJ_dA)
            return J, dJ_dA

        return f, [A, x]

    agree(build, calls=3)
    expected_after_one = np.array(
        [[0.9770461, 1.9540921, 2.9311383],
         [3.9475338, 4.8950677, 5.842602],
         [6.9180217, 7.8360434, 8.7540655]], dtype=np.float32)
    fn, (A, _) = build()
    tf.function(fn)()
    np.testing.assert_allclose(A.numpy(), expected_after_one, rtol=1e-6)


# ------------------------------------------------------------------ training


def test_linear_regression_50_steps_matches_numpy():
    r = rng(5)
    X = r.normal(size=(32, 3)).astype(np.float32)
    true_w = np.array([[2.0], [-1.0], [0.5]], np.float32)
    Y = (X @ true_w + 0.3).astype(np.float32)
    lr = np.float32(0.1)

    w = tf.Variable(np.zeros((3, 1), np.float32), name="w")
    b = tf.Variable(np.zeros((1,), np.float32), name="b")

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            pred = x @ w + b
            loss = tf.reduce_mean((pred - y) ** 2)
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(lr * dw)
        b.assign_sub(lr * db)
        return loss

    nw = np.zeros((3, 1), np.float32)
    nb = np.zeros((1,), np.float32)
    for _ in range(50):
        err = X @ nw + nb - Y
        n_loss = np.mean(err**2)
        grad_w = 2.0 * X.T @ err / err.size
        grad_b = 2.0 * err.sum(axis=0) / err.size
        nw = nw - lr * grad_w
        nb = nb - lr * grad_b
        loss = step(X, Y)
        np.testing.assert_allclose(float(loss), n_loss, rtol=1e-4)
    np.testing.assert_allclose(w.numpy(), nw, rtol=1e-4)
    np.testing.assert_allclose(b.numpy(), nb, rtol=1e-4)
    assert step.experimental_get_tracing_count() == 1
    assert float(loss) < 0.1  # it did train


# ------------------------------------------------------------------ higher order, jacobian


@pytest.mark.parametrize("x0", [0.5, 1.5])
def test_nested_tapes_second_derivative(x0):
    def build():
        def f(x):
            with tf.GradientTape() as t2:
                t2.watch(x)
                with tf.GradientTape() as t1:
                    t1.watch(x)
                    y = x**3 + tf.sin(x)
                dy = t1.gradient(y, x)
            return y, dy, t2.gradient(dy, x)

        return f, []

    traced = agree(build, tf.constant(x0))
    y, dy, d2y = traced(tf.constant(x0))
    np.testing.assert_allclose(dy.numpy(), 3 * x0**2 + np.cos(x0), rtol=1e-6)
    np.testing.assert_allclose(d2y.numpy(), 6 * x0 - np.sin(x0), rtol=1e-6)
    # the cached path, on a new value of the same signature
    _, dy, d2y = traced(tf.constant(2.0))
    np.testing.assert_allclose(dy.numpy(), 12 + np.cos(2.0), rtol=1e-6)
    np.testing.assert_allclose(d2y.numpy(), 12 - np.sin(2.0), rtol=1e-6)
    assert traced.experimental_get_tracing_count() == 1


def test_second_derivative_of_a_variable():
    def build():
        x = tf.Variable(1.25)

        def f():
            with tf.GradientTape() as outer:
                with tf.GradientTape() as inner:
                    y = tf.sin(x) * x**3
                dy = inner.gradient(y, x)
            return dy, outer.gradient(dy, x)

        return f, [x]

    agree(build)


def test_jacobian_inside_a_function():
    def build():
        w = tf.Variable([[1.0, -2.0], [0.5, 3.0]])

        def f(x):
            with tf.GradientTape(persistent=True) as t:
                t.watch(x)
                y = tf.tanh(x @ w)
            return t.jacobian(y, x), t.jacobian(y, w)

        return f, [w]

    traced = agree(build, tf.constant([[0.3, -0.7]]))
    jx, jw = traced(tf.constant([[0.3, -0.7]]))
    assert jx.shape == (1, 2, 1, 2) and jw.shape == (1, 2, 2, 2)


# ------------------------------------------------------------------ structures


def test_returns_dict_tuple_and_python_constant():
    @tf.function
    def f(x):
        return {"sq": x * x, "pair": (x + 1.0, 3), "name": "out", "none": None}

    for value in (2.0, 5.0):
        out = f(tf.constant(value))
        assert set(out) == {"sq", "pair", "name", "none"}
        assert isinstance(out["pair"], tuple)
        assert float(out["sq"]) == value * value
        assert float(out["pair"][0]) == value + 1.0
        # As TF: a Python number returned comes back as a tensor (int32 for an int).
        assert isinstance(out["pair"][1], tf.Tensor) and out["pair"][1].numpy() == 3
        assert out["pair"][1].dtype == tf.int32
        # As TF: returned text is a string tensor, None stays None.
        assert out["name"].numpy() == b"out" and out["none"] is None
    assert f.experimental_get_tracing_count() == 1


def test_returning_a_python_constant_only():
    @tf.function
    def f(x):
        return 42

    assert f(tf.constant(1.0)) == 42
    assert f(tf.constant(2.0)) == 42


def test_structured_arguments():
    @tf.function
    def f(inputs):
        return inputs["a"] * inputs["b"][0] + inputs["b"][1]

    a, b0, b1 = tf.constant([1.0, 2.0]), tf.constant(3.0), tf.constant([0.5, 0.25])
    out = f({"a": a, "b": (b0, b1)})
    np.testing.assert_allclose(out.numpy(), [3.5, 6.25])
    out = f({"a": a * 2, "b": (b0, b1)})
    np.testing.assert_allclose(out.numpy(), [6.5, 12.25])
    assert f.experimental_get_tracing_count() == 1


def test_a_function_returning_none_runs_its_updates_once_per_call():
    # Regression: None was also the "guard failed" answer, so every call retraced and the
    # cached path and the new trace both committed (v went 1 -> 17 in four calls).
    v = tf.Variable(1.0)

    @tf.function
    def step():
        v.assign_add(1.0)

    for _ in range(4):
        assert step() is None
    assert float(v) == 5.0
    assert step.experimental_get_tracing_count() == 1


def test_outputs_do_not_alias_the_callers_array(backend):
    @tf.function(backend=backend)
    def views(x):
        return x, tf.reshape(x, [3, 1]), tf.transpose(tf.reshape(x, [1, 3]))

    arr = np.ones(3, np.float32)
    outs = views(arr)
    outs = views(arr)  # the cached call
    arr[:] = 7.0
    for out in outs:
        np.testing.assert_array_equal(out.numpy().ravel(), [1.0, 1.0, 1.0])


# ------------------------------------------------------------------ under an outer tape


def _sin_model(w):
    def model(x):
        return tf.reduce_sum(tf.sin(w * x) ** 2)

    return model


@pytest.mark.parametrize("cached", [False, True], ids=["tracing-call", "cached-call"])
def test_call_under_outer_tape_is_differentiable(cached):
    w = tf.Variable([1.0, 2.0])
    x = tf.constant([0.5, 0.3])
    model = _sin_model(w)
    traced = tf.function(model)
    if cached:
        traced(tf.constant([0.1, 0.2]))

    with tf.GradientTape() as tape:
        tape.watch(x)
        expected = model(x)
    e_dw, e_dx = tape.gradient(expected, [w, x])

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = traced(x)
    dw, dx = tape.gradient(y, [w, x])

    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=RTOL)
    assert dw is not None and dx is not None
    np.testing.assert_allclose(dw.numpy(), e_dw.numpy(), rtol=RTOL)
    np.testing.assert_allclose(dx.numpy(), e_dx.numpy(), rtol=RTOL)
    assert traced.experimental_get_tracing_count() == 1


def test_call_with_updates_under_outer_tape_commits_once():
    w = tf.Variable([1.0, 2.0])
    counter = tf.Variable(0.0, trainable=False)

    @tf.function
    def f(x):
        counter.assign_add(1.0)
        return tf.reduce_sum(w * x)

    for i in range(1, 3):
        with tf.GradientTape() as tape:
            y = f(tf.constant([3.0, 4.0]))
        np.testing.assert_array_equal(tape.gradient(y, w).numpy(), [3.0, 4.0])
        assert float(counter) == i


def test_outer_tape_second_order_through_a_function():
    x = tf.Variable(0.7)

    @tf.function
    def grad_of_cube(v):
        with tf.GradientTape() as t:
            y = v**3
        return t.gradient(y, v)

    for _ in range(2):  # tracing call, then cached call
        with tf.GradientTape() as outer:
            dy = grad_of_cube(x)
        np.testing.assert_allclose(dy.numpy(), 3 * 0.7**2, rtol=RTOL)
        np.testing.assert_allclose(outer.gradient(dy, x).numpy(), 6 * 0.7, rtol=RTOL)


def test_nested_function_calls_are_inlined():
    @tf.function
    def inner(x):
        return x * 3.0

    @tf.function
    def outer(x):
        return inner(x) + 1.0

    assert float(outer(tf.constant(2.0))) == 7.0
    assert float(outer(tf.constant(3.0))) == 10.0
    assert outer.experimental_get_tracing_count() == 1
    assert inner.experimental_get_tracing_count() == 0


def test_numpy_and_print_inside_the_trace_run_on_real_values(capsys):
    @tf.function
    def f(x):
        print("value", x.numpy())
        return x + 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        assert float(f(tf.constant(2.0))) == 3.0
    assert "value 2.0" in capsys.readouterr().out


def test_reads_after_assignments_see_the_new_values():
    def build():
        v = tf.Variable(1.0)

        def f(x):
            v.assign(x)
            a = v + 1
            v.assign_add(2.0)
            v.assign_add(3.0)
            return a, v.read_value()

        return f, [v]

    traced = agree(build, tf.constant(10.0))
    a, final = traced(tf.constant(1.0))
    assert (float(a), float(final)) == (2.0, 6.0)


def test_integer_and_boolean_outputs():
    def build():
        def f(x):
            return x > 0, tf.cast(x, tf.int32), tf.reduce_sum(tf.cast(x > 0, tf.int32))

        return f, []

    traced = agree(build, tf.constant([1.5, -2.0, 3.0]))
    positive, as_int, count = traced(tf.constant([-1.0, 2.7, 0.0]))
    np.testing.assert_array_equal(positive.numpy(), [False, True, False])
    np.testing.assert_array_equal(as_int.numpy(), [-1, 2, 0])
    assert int(count) == 1
