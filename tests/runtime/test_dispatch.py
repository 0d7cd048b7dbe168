"""The generated straight-line call path of compiled graphs (runtime/dispatch.py)."""

import numpy as np
import pytest

import tapeflow as tf

pytestmark = pytest.mark.slow


def test_later_calls_go_through_the_generated_path_and_agree():
    w = tf.Variable(np.full((3, 2), 0.5, np.float32), name="w")

    @tf.function
    def step(x, scale):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((x @ w) ** 2) * scale
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return {"loss": loss, "scale": scale}

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    ref = w.numpy()
    for _ in range(3):
        out = step(x, 2.0)
        g = 2.0 * 2 * x.T @ (x @ ref) / 4
        ref = ref - 0.1 * g
        np.testing.assert_allclose(w.numpy(), ref, rtol=1e-5)
    assert out["scale"] == 2.0 and out["loss"].dtype == tf.float32
    dispatch = step.get_concrete_function(x, 2.0)._static.dispatch
    assert dispatch is not None and "entry(" in dispatch.__tapeflow_source__


def test_the_generated_path_converts_strided_and_wrongly_typed_arrays():
    f = tf.function(lambda x: tf.reduce_sum(x * x, axis=0))
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    f(np.ascontiguousarray(base.T))
    f(np.ascontiguousarray(base.T))  # compiled; the next calls use the generated path
    np.testing.assert_allclose(f(base.T).numpy(), (base.T ** 2).sum(0))  # F-ordered view
    assert f.experimental_get_tracing_count() == 1


def test_guards_and_index_errors_on_the_generated_path():
    v = tf.Variable(0.0)

    @tf.function
    def f(x, i):
        v.assign_add(1.0)
        picked = tf.gather(x, i)
        if tf.reduce_sum(picked) > 0:
            return picked * 2.0
        return picked

    x = np.array([1.0, -5.0, 3.0], np.float32)
    for _ in range(3):
        np.testing.assert_allclose(f(x, np.array([0, 2])).numpy(), [2.0, 6.0])
    with pytest.warns(tf.RetraceWarning, match="a guard failed"):  # the other branch
        np.testing.assert_allclose(f(x, np.array([1, 1])).numpy(), [-5.0, -5.0])
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(x, np.array([0, 7]))
    assert float(v) == 4.0  # the failed call committed nothing
