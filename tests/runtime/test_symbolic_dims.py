"""`input_signature` with None sizes: one trace for every size, specialised per call.

The trace runs Python once with symbolic sizes (TF's `x.shape[0] is None`); each new size
is a substitution into the stored graph, never a new run of Python, unless the trace had to
decide something about the size (a broadcast against size 1, a Python int of it): then the
shape guards fail for sizes where the decision differs, and that call traces again.
"""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.graph.interp import Interpreter
from tapeflow.graph.passes import verify
from tapeflow.graph.specialize import specialize, symbols_of

RNG = np.random.default_rng(0)


def counted(fn, signature, **options):
    """tf.function(fn) whose Python body counts its runs (each run is a trace)."""
    runs = []

    def body(*args):
        runs.append(1)
        return fn(*args)

    return tf.function(body, input_signature=signature, **options), runs


def linear_step(x, y, w, b):
    """A regression step over a batch of any size: forward, adjoint, SGD update."""
    with tf.GradientTape() as tape:
        pred = x @ w + b
        loss = tf.reduce_mean((pred - y) ** 2) + 0.1 * tf.reduce_mean(tf.nn.relu(pred))
    gw, gb = tape.gradient(loss, [w, b])
    w.assign_sub(0.1 * gw)
    b.assign_sub(0.1 * gb)
    return loss, pred


def batch(n):
    return (RNG.normal(size=(n, 3)).astype(np.float32),
            RNG.normal(size=(n, 2)).astype(np.float32))


def test_training_step_over_batches_of_any_size_traces_once(backend):
    init = RNG.normal(size=(3, 2)).astype(np.float32)
    w, b = tf.Variable(init), tf.Variable(np.zeros(2, np.float32))
    w_ref, b_ref = tf.Variable(init), tf.Variable(np.zeros(2, np.float32))
    signature = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None, 2], tf.float32)]
    step, runs = counted(lambda x, y: linear_step(x, y, w, b), signature, backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        for n in (4, 7, 2, 7, 16):
            x, y = batch(n)
            loss, pred = step(x, y)
            loss_ref, pred_ref = linear_step(tf.constant(x), tf.constant(y), w_ref, b_ref)
            np.testing.assert_allclose(loss.numpy(), loss_ref.numpy(), rtol=1e-5)
            np.testing.assert_allclose(pred.numpy(), pred_ref.numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(w.numpy(), w_ref.numpy(), rtol=1e-5, atol=1e-7)
            np.testing.assert_allclose(b.numpy(), b_ref.numpy(), rtol=1e-5, atol=1e-7)
    assert len(runs) == 1 and step.experimental_get_tracing_count() == 1


def test_inside_the_trace_sizes_are_none_and_tf_shape_is_a_value():
    seen = []

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):
        seen.append(x.shape)
        n = tf.cast(tf.shape(x)[0], tf.float32)  # the size as a value, computed per call
        return tf.reduce_sum(x) / n, tf.shape(x)

    for n in (3, 5, 8):
        x = RNG.normal(size=(n, 2)).astype(np.float32)
        mean, shape = f(x)
        np.testing.assert_allclose(mean.numpy(), x.sum() / n, rtol=1e-5)
        np.testing.assert_array_equal(shape.numpy(), [n, 2])
    assert seen == [(None, 2)]


def test_slices_reshapes_and_concatenation_follow_the_size():
    def body(x):
        diff = x[1:] - x[:-1]                 # n - 1 elements
        evens = tf.reshape(x[::2], [-1, 1])  # (n + 1) // 2 rows
        doubled = tf.concat([x, x * 2.0], axis=0)
        return diff, tf.reduce_sum(evens, axis=0), doubled, tf.transpose(tf.reshape(doubled, [2, -1]))

    f, runs = counted(body, [tf.TensorSpec([None], tf.float32)])
    for n in (5, 8, 9, 12):
        x = np.arange(n, dtype=np.float32) ** 2
        got = f(x)
        want = body(tf.constant(x))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6)
    assert len(runs) == 1


def test_gradient_through_a_none_signature_function_under_an_outer_tape():
    f = tf.function(lambda x: tf.reduce_mean(tf.sin(x) * x),
                    input_signature=[tf.TensorSpec([None], tf.float64)])
    for n in (3, 6):
        x = tf.Variable(RNG.normal(size=n))
        with tf.GradientTape() as tape:
            y = f(x.read_value())
        g = tape.gradient(y, x)
        xv = x.numpy()
        np.testing.assert_allclose(g.numpy(), (np.cos(xv) * xv + np.sin(xv)) / n, rtol=1e-10)
    assert f.experimental_get_tracing_count() == 1


def test_size_one_broadcasting_is_a_shape_guard_and_traces_again():
    # pred - y with sizes n and m is only valid where n == m (or one is 1); the trace
    # assumed n == m != 1, so size 1 takes its own trace, and mismatched sizes fail as
    # eagerly.
    runs = []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)] * 2)
    def f(a, b):
        runs.append(1)
        return a - b

    np.testing.assert_array_equal(f(np.ones(4, np.float32), np.zeros(4, np.float32)), 1)
    np.testing.assert_array_equal(f(np.ones(6, np.float32), np.zeros(6, np.float32)), 1)
    assert len(runs) == 1
    with pytest.warns(tf.RetraceWarning, match=r"the sizes \(a\.0 != 1\)"):
        out = f(np.ones(1, np.float32), np.zeros(5, np.float32))
    np.testing.assert_array_equal(out, np.ones(5))
    assert len(runs) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        with pytest.raises(tf.errors.InvalidArgumentError, match="not broadcastable"):
            f(np.ones(3, np.float32), np.ones(4, np.float32))


def test_a_python_int_of_the_size_specialises_and_stays_correct():
    def body(x):
        total = tf.zeros([])
        for i in range(len(x)):  # Python needs the size: this trace is for this size only
            total = total + x[i] * float(i)
        return total

    f, runs = counted(body, [tf.TensorSpec([None], tf.float32)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        for n in (3, 4, 3):
            x = np.arange(n, dtype=np.float32)
            assert float(f(x)) == float(np.sum(x * np.arange(n)))
    assert len(runs) == 2  # 3 and 4; the second call with 3 reuses the first trace


def test_specialising_the_stored_graph_gives_a_static_graph_that_verifies():
    f = tf.function(lambda x: tf.reduce_mean(tf.reshape(x, [-1]) ** 2),
                    input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    generic = f.get_concrete_function(np.ones((2, 3), np.float32)).graph
    assert "f32[x.0,3]" in str(generic)
    ((_, _, symbol),) = symbols_of(generic)
    static = specialize(generic, {symbol: 5})
    verify(static)
    assert "f32[5,3]" in str(static) and "x.0" not in str(static)
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    (out,) = Interpreter(static).run(x)
    np.testing.assert_allclose(out, np.mean(x**2), rtol=1e-6)
