"""A function traced with `input_signature` None sizes, called at sizes its trace did not
see, gives eager's result or raises eager's error, on the interpreter and on Numba: never
a read outside the array, never an internal error (SpecializationError, AssertionError,
numpy's reshape error), never a symbolic size in a message.

The trace runs at one size and records what it assumed about the size (shape guards); a
call at a size those assumptions exclude traces again, where eager's error is raised. The
bug this guards against: `x[-1]` asks `-1 >= -n`, and that comparison was decided for
every n (without a guard) although it fails at n = 0, so a call at size 0 ran the size-3
trace and read the element before the array.
"""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops.dims import Dim, ShapeEnv, pop_env, push_env

SIGNATURE = [tf.TensorSpec([None], tf.float32)]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def outcome(fn, *args):
    """("ok", value) or ("error", exception type) of fn(*args)."""
    try:
        return "ok", np.asarray(fn(*args))
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return "error", e


def assert_same_outcome(got, want, what: str):
    if want[0] == "error":
        assert got[0] == "error", f"{what}: eager raises {want[1]!r}, got {got[1]!r}"
        # The same kind of error as eager: its type, or one a user's `except` for it catches.
        assert isinstance(got[1], type(want[1])), f"{what}: {got[1]!r}, eager {want[1]!r}"
        assert "x.0" not in str(got[1]), f"{what}: a symbolic size in {got[1]}"
        return
    assert got[0] == "ok", f"{what}: eager gives {want[1]!r}, got {got[1]!r}"
    # Compiled exp (softmax) may differ from numpy's by an ulp; values here are O(1).
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-6, err_msg=what)
    assert got[1].shape == want[1].shape, what


def test_the_reported_out_of_bounds_read_raises_eagers_error():
    f = tf.function(lambda x: x[-1] * tf.ones(3), input_signature=SIGNATURE)
    np.testing.assert_array_equal(f(np.arange(3, dtype=np.float32)), [2, 2, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds") as raised:
        f(np.zeros(0, np.float32))
    assert isinstance(raised.value, IndexError)
    np.testing.assert_array_equal(f(np.arange(1, dtype=np.float32)), [0, 0, 0])


def test_comparisons_of_a_size_that_differ_at_zero_record_a_guard():
    # n - 1 >= -1 for every size, but it is negative at n = 0: not decidable without a guard.
    env = ShapeEnv()
    push_env(env)
    try:
        n = Dim.symbol("n", 3)
        assert (n - 1 < 0) is False
        assert (-1 >= -n) is True
        assert (n >= 0) is True  # always: no guard
        assert (n + 1 > 0) is True  # always: no guard
        assert (-n - 1 < 0) is True  # always: no guard
    finally:
        pop_env(env)
    (symbol,) = n.symbols()
    (guard,) = env.guards  # n - 1 < 0 is False, asked twice; the rest needs no guard
    assert guard.holds({symbol: 1}) and guard.holds({symbol: 7})
    assert not guard.holds({symbol: 0})


INDEXING = {
    "x[-1]": lambda x: x[-1] * tf.ones(3),
    "x[0]": lambda x: x[0],
    "x[2]": lambda x: x[2],
    "x[-3]": lambda x: x[-3],
    "x[0] + x[-1]": lambda x: x[0] + x[-1],
    "x[1:]": lambda x: x[1:],
    "x[:-1]": lambda x: x[:-1],
    "x[-2:]": lambda x: x[-2:],
    "x[1:-1]": lambda x: x[1:-1],
    "x[::-1]": lambda x: x[::-1],
    "x[::2]": lambda x: x[::2],
    "x[-1::-2]": lambda x: x[-1::-2],
    "x[2:1]": lambda x: x[2:1],
    "x[:3]": lambda x: x[:3],
    "x[None, 1:]": lambda x: x[None, 1:],
    "reshape(x, [-1, 2])": lambda x: tf.reshape(x, [-1, 2]),
    "reshape(x, [2, -1])": lambda x: tf.reshape(x, [2, -1]),
    "gather(x, [0])": lambda x: tf.gather(x, [0]),
    "reduce_max(x)": lambda x: tf.reduce_max(x),
    "reduce_mean(x)": lambda x: tf.reduce_mean(x),
    "reduce_prod(x)": lambda x: tf.reduce_prod(x),
    "softmax(x)": lambda x: tf.nn.softmax(x),
    "x / size": lambda x: x / tf.cast(tf.shape(x)[0], tf.float32),
    "stack(unstack)": lambda x: tf.stack([x[0], x[-1]]),
    "concat": lambda x: tf.concat([x[1:], x[:1]], 0),
    "x - mean": lambda x: x - tf.reduce_mean(x),
    "squeeze": lambda x: tf.squeeze(tf.reshape(x, [1, -1])),
    "expand_dims": lambda x: tf.expand_dims(x, 0)[:, 1:],
    "tile": lambda x: tf.tile(x[:2], [2]),
}


@pytest.mark.parametrize("name", list(INDEXING))
def test_indexing_at_sizes_the_trace_did_not_see(name, backend):
    fn = INDEXING[name]
    f = tf.function(fn, input_signature=SIGNATURE, backend=backend)
    for n in (3, 0, 1, 2, 4, 0, 3, 5):
        x = np.arange(n, dtype=np.float32) + 1
        want = outcome(fn, tf.constant(x))
        assert_same_outcome(outcome(f, x), want, f"{name} at size {n}")


def test_a_gradient_at_size_zero_after_a_trace_at_size_three(backend):
    def grads(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(x[1:] * x[:-1]) + tf.reduce_max(x)
        return t.gradient(y, x)

    f = tf.function(grads, input_signature=SIGNATURE, backend=backend)
    for n in (3, 0, 1, 2, 6):
        x = np.linspace(1, 2, n).astype(np.float32)
        assert_same_outcome(outcome(f, x), outcome(grads, tf.constant(x)), f"size {n}")


MATRIX_OPS = {
    "reduce_mean(m, 0)": lambda m: tf.reduce_mean(m, axis=0),
    "reduce_max(m, 0)": lambda m: tf.reduce_max(m, axis=0),
    "logsumexp(m, 1)": lambda m: tf.reduce_logsumexp(m, axis=1),
    "softmax": lambda m: tf.nn.softmax(m),
    "m @ ones": lambda m: tf.matmul(m, tf.ones([3, 2])),
    "m.T @ m": lambda m: tf.matmul(tf.transpose(m), m),
    "m[0]": lambda m: m[0],
    "m[-1:, 1:]": lambda m: m[-1:, 1:],
    "reshape(m, [3, -1])": lambda m: tf.reshape(m, [3, -1]),
    "concat": lambda m: tf.concat([m, m[:1]], 0),
    "stack": lambda m: tf.stack([m, m], 1),
    "tile": lambda m: tf.tile(m, [2, 1]),
    "gather": lambda m: tf.gather(m, [0, 0]),
    "m + sum(m, 0)": lambda m: m + tf.reduce_sum(m, axis=0),
    "where": lambda m: tf.where(m > 1, m, -m),
}


def _summed_gradient(fn):
    def grad(m):
        with tf.GradientTape() as t:
            t.watch(m)
            y = tf.reduce_sum(fn(m))
        return t.gradient(y, m)

    return grad


@pytest.mark.parametrize("gradient", [False, True], ids=["value", "gradient"])
@pytest.mark.parametrize("name", list(MATRIX_OPS))
def test_matrices_with_a_none_batch_at_sizes_the_trace_did_not_see(name, gradient, backend):
    fn = _summed_gradient(MATRIX_OPS[name]) if gradient else MATRIX_OPS[name]
    f = tf.function(fn, input_signature=[tf.TensorSpec([None, 3], tf.float32)],
                    backend=backend)
    for n in (4, 0, 1, 2, 5, 0):
        m = np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 7
        assert_same_outcome(outcome(f, m), outcome(fn, tf.constant(m)), f"{name} at {n}")


def test_two_none_axes_at_zero_sizes(backend):
    def fn(m):
        return tf.matmul(m, tf.transpose(m))[:, -1], tf.reduce_sum(m[1:, :-1], axis=0)

    f = tf.function(fn, input_signature=[tf.TensorSpec([None, None], tf.float32)],
                    backend=backend)
    for shape in [(3, 2), (0, 2), (3, 0), (0, 0), (1, 1), (2, 3)]:
        m = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        got, want = outcome(f, m), outcome(fn, tf.constant(m))
        if want[0] == "error":
            assert_same_outcome(got, want, str(shape))
        else:
            assert got[0] == "ok", f"{shape}: {got[1]!r}"
            for g, w in zip(f(m), fn(tf.constant(m))):
                np.testing.assert_allclose(g, w, rtol=1e-6, err_msg=str(shape))
                assert g.shape == w.shape
