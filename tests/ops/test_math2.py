"""The second math sweep: complex parts, tf.bitwise, special functions, the xlogy family,
saturate_cast, segment reductions, bincount, confusion_matrix, in_top_k.

Values and gradients are pinned to what TensorFlow 2.21 prints for the same calls (the
numbers in the expected arrays below); bad input must raise TF's class with a message that
names the op and the argument. The compiled checks run each op inside `@tf.function` on the
`backend` fixture (the interpreter, and Numba in the slow tier) against eager.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapeflow as tf


def _grads(f, *values, dtype=tf.float32):
    variables = [tf.Variable(v, dtype=dtype) for v in values]
    with tf.GradientTape() as tape:
        y = f(*variables)
    return [None if g is None else g.numpy() for g in tape.gradient(y, variables)]


# --------------------------------------------------------------------------------------------
# Gradients, against TF 2.21's numbers
# --------------------------------------------------------------------------------------------


def test_xlogy_and_multiply_no_nan_gradients_at_zero_are_tfs():
    v, w = [0.0, 1.0, 2.0], [0.0, 0.0, 0.5]
    dv, dw = _grads(lambda a, b: tf.reduce_sum(tf.math.xlogy(a, b)), v, w)
    np.testing.assert_allclose(dv, [0.0, -np.inf, np.log(0.5)], rtol=1e-6)
    np.testing.assert_allclose(dw, [0.0, np.inf, 4.0])
    dv, dw = _grads(lambda a, b: tf.reduce_sum(tf.math.multiply_no_nan(a, b)), v, w)
    np.testing.assert_allclose(dv, [0.0, 0.0, 0.5])
    np.testing.assert_allclose(dw, [0.0, 1.0, 2.0])  # at y == 0 the slope in y is x
    dv, dw = _grads(lambda a, b: tf.reduce_sum(tf.math.xlog1py(a, b)), v, w)
    np.testing.assert_allclose(dv, [0.0, 0.0, 0.4054651], rtol=1e-6)
    np.testing.assert_allclose(dw, [0.0, 1.0, 4 / 3], rtol=1e-6)
    (dw,) = _grads(lambda b: tf.reduce_sum(tf.math.reciprocal_no_nan(b)), w)
    np.testing.assert_allclose(dw, [0.0, 0.0, -4.0])


def test_special_function_gradients():
    (d,) = _grads(lambda a: tf.reduce_sum(tf.math.lgamma(a)), [0.5, 1.5, 2.5])
    np.testing.assert_allclose(d, [-1.9635100, 0.0364899, 0.7031566], rtol=1e-5)  # digamma
    (d,) = _grads(lambda a: tf.reduce_sum(tf.math.digamma(a)), [0.5, 1.5, 2.5])
    np.testing.assert_allclose(d, [4.934802, 0.934802, 0.490358], rtol=1e-5)  # trigamma
    (d,) = _grads(lambda a: tf.reduce_sum(tf.math.erfinv(a)), [0.0, 0.0, 0.5])
    np.testing.assert_allclose(d, [0.886227, 0.886227, 1.112585], rtol=1e-5)
    (d,) = _grads(lambda a: tf.reduce_sum(tf.math.ndtri(a)), [0.1, 0.1, 0.6])
    np.testing.assert_allclose(d, [5.698061, 5.698061, 2.588377], rtol=1e-5)


def test_cumulative_logsumexp_exclusive_gradient():
    # TF 2.21: out = [-inf, x0, logaddexp(x0, x1)] weighted by [1, -2, 3].
    def f(v, w):
        out = tf.math.cumulative_logsumexp(v * w, exclusive=True)
        return tf.reduce_sum(out * tf.constant([1.0, -2.0, 3.0]))

    dv, dw = _grads(f, [0.0, 1.0, 2.0], [0.0, 0.0, 0.5])
    np.testing.assert_allclose(dv, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(dw, [0.0, 1.5, 0.0])


def test_cumulative_logsumexp_does_not_overflow_or_underflow():
    x = tf.constant([[0.0, 1.0, -1000.0], [2.0, 2.0, 3.0]])
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(x, axis=1).numpy(),
                               [[0.0, 1.3132617, 1.3132617], [2.0, 2.6931472, 3.5514448]],
                               rtol=1e-6)
    out = tf.math.cumulative_logsumexp(x, axis=1, exclusive=True, reverse=True).numpy()
    np.testing.assert_allclose(out, [[1.0, -1000.0, -np.inf], [3.3132617, 3.0, -np.inf]])
    big = tf.constant([1000.0, 1000.0], tf.float64)
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(big).numpy(),
                               [1000.0, 1000.0 + np.log(2.0)])


V = [1.0, 3.0, 3.0, 2.0, 0.0, 5.0]
IDS = [0, 0, 0, 1, 2, 2]
W3, W4 = tf.constant([1.0, 2.0, 3.0]), tf.constant([1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("f, expected", [
    (lambda v: tf.math.segment_sum(v, IDS) * W3, [1, 1, 1, 2, 3, 3]),
    (lambda v: tf.math.segment_max(v, IDS) * W3, [0, 0.5, 0.5, 2, 0, 3]),  # ties share
    (lambda v: tf.math.segment_min(v, IDS) * W3, [1, 0, 0, 2, 3, 0]),
    (lambda v: tf.math.segment_prod(v, IDS) * W3, [9, 3, 3, 2, 15, 0]),  # one zero in seg 2
    (lambda v: tf.math.segment_mean(v, IDS) * W3, [1 / 3, 1 / 3, 1 / 3, 2, 1.5, 1.5]),
    (lambda v: tf.math.unsorted_segment_max(v, [0, 0, 0, -1, 2, 2], 4) * W4,
     [0, 0.5, 0.5, 0, 0, 3]),
    (lambda v: tf.math.unsorted_segment_prod(v, [0, 0, 4, -1, 2, 2], 5)
     * tf.constant([1.0, 2.0, 3.0, 4.0, 5.0]), [3, 1, 5, 0, 15, 0]),
    (lambda v: tf.math.unsorted_segment_sqrt_n(v, [0, 0, 0, -1, 2, 2], 4) * W4,
     [0.57735026, 0.57735026, 0.57735026, 0, 2.1213205, 2.1213205]),
    (lambda v: tf.math.unsorted_segment_mean(v, [0, 0, 0, -1, 2, 2], 4) * W4,
     [1 / 3, 1 / 3, 1 / 3, 0, 1.5, 1.5]),
], ids=["sum", "max", "min", "prod", "mean", "unsorted-max", "unsorted-prod",
        "unsorted-sqrt-n", "unsorted-mean"])
def test_segment_gradients_are_tfs(f, expected):
    (d,) = _grads(lambda v: tf.reduce_sum(f(v)), V)
    np.testing.assert_allclose(d, expected, rtol=1e-6)


def test_gradient_through_complex_is_not_taken():
    # The tape differentiates real floats only: a path through a complex tensor gives None
    # (TF would differentiate it). Pinned so that a change here is deliberate.
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.math.real(tf.complex(x, x)))
    assert tape.gradient(loss, x) is None


# --------------------------------------------------------------------------------------------
# Bad input: TF's class, and a message naming the op and the argument
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, words", [
    (lambda: tf.complex(tf.constant([1]), tf.constant([2])), TypeError, ["complex", "int32"]),
    (lambda: tf.complex(tf.constant([1.0]), tf.constant([2.0], tf.float64)), TypeError,
     ["complex", "f64"]),
    (lambda: tf.math.angle(tf.constant([1])), TypeError, ["angle", "int32"]),
    (lambda: tf.bitwise.bitwise_and(tf.constant([1.0]), tf.constant([2.0])),
     tf.errors.InvalidArgumentError, ["bitwise_and", "integer", "f32"]),
    (lambda: tf.bitwise.left_shift(tf.constant([1]), tf.constant([1], tf.int64)),
     tf.errors.InvalidArgumentError, ["left_shift", "i64"]),
    (lambda: tf.bitwise.invert(tf.constant([True])), tf.errors.InvalidArgumentError,
     ["invert", "bool"]),
    (lambda: tf.math.lgamma(tf.constant([1])), tf.errors.InvalidArgumentError, ["lgamma"]),
    (lambda: tf.math.xlogy(tf.constant([1]), tf.constant([2])), tf.errors.InvalidArgumentError,
     ["xlogy", "int32"]),
    (lambda: tf.math.cumulative_logsumexp(tf.constant([1, 2])),
     tf.errors.InvalidArgumentError, ["cumulative_logsumexp", "i32"]),
    (lambda: tf.saturate_cast(tf.constant([1.0]), tf.bool), TypeError,
     ["saturate_cast", "bool"]),
    (lambda: tf.math.scalar_mul(tf.constant([1.0, 2.0]), tf.constant([1.0])), ValueError,
     ["scalar_mul", "0-D", "(2,)"]),
    (lambda: tf.math.polyval(tf.constant([1.0]), 2.0), ValueError, ["polyval", "list"]),
    (lambda: tf.math.accumulate_n([tf.constant([1.0]), tf.constant([1.0, 2.0])]),
     ValueError, ["accumulate_n", "(1,)", "(2,)"]),
    (lambda: tf.math.is_non_decreasing(tf.constant([True])), TypeError,
     ["is_non_decreasing", "bool"]),
    (lambda: tf.math.unsorted_segment_sum(tf.ones([4, 2]), [0, 5, 1, 1], 3),
     tf.errors.InvalidArgumentError, ["unsorted_segment_sum", "segment_ids[1] = 5",
                                      "[0, 3)"]),
    (lambda: tf.math.unsorted_segment_sum(tf.ones([4, 2]), [0, 1, 1], 3),
     tf.errors.InvalidArgumentError, ["unsorted_segment_sum", "[4, 2]", "[3]"]),
    (lambda: tf.math.unsorted_segment_max(tf.ones([2]), [0.0, 1.0], 2),
     tf.errors.InvalidArgumentError, ["unsorted_segment_max", "segment_ids", "float64"]),
    (lambda: tf.math.unsorted_segment_sum(tf.constant([True]), [0], 1),
     tf.errors.InvalidArgumentError, ["unsorted_segment_sum", "bool"]),
    (lambda: tf.math.unsorted_segment_sum(tf.ones([2]), [0, 1], -1),
     tf.errors.InvalidArgumentError, ["num_segments", "-1"]),
    (lambda: tf.math.segment_sum(tf.ones([4]), [0, 2, 1, 2]), tf.errors.InvalidArgumentError,
     ["segment_sum", "not increasing", "segment_ids[1] = 2"]),
    (lambda: tf.math.segment_mean(tf.ones([4]), [0, 1]), tf.errors.InvalidArgumentError,
     ["segment_mean", "[2]", "[4]"]),
    (lambda: tf.math.segment_max(tf.ones([4]), [[0, 0], [1, 1]]),
     tf.errors.InvalidArgumentError, ["segment_max", "vector"]),
    (lambda: tf.math.bincount(tf.constant([-1, 2])), tf.errors.InvalidArgumentError,
     ["bincount", "arr[0] = -1"]),
    (lambda: tf.math.bincount(tf.constant([1, 2]), weights=tf.constant([1.0])),
     tf.errors.InvalidArgumentError, ["bincount", "weights", "[1]", "[2]"]),
    (lambda: tf.math.confusion_matrix([1, 5], [2, 2], num_classes=3),
     tf.errors.InvalidArgumentError, ["confusion_matrix", "labels[1] = 5"]),
    (lambda: tf.math.confusion_matrix([-1, 2], [2, 2]), tf.errors.InvalidArgumentError,
     ["confusion_matrix", "labels", "negative"]),
    (lambda: tf.math.in_top_k([1, 0], tf.ones([4, 3]), 1), tf.errors.InvalidArgumentError,
     ["in_top_k", "[4, 3]", "[2]"]),
    (lambda: tf.math.in_top_k([1], tf.ones([1, 3], tf.float64), 1), TypeError,
     ["in_top_k", "float32", "float64"]),
], ids=lambda v: None)
def test_bad_input_raises_tfs_class_naming_the_op(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_bitwise_operators_of_ints_and_bools():
    a, b = tf.constant([12, 10, -3]), tf.constant([10, 6, 5])
    np.testing.assert_array_equal((a & b).numpy(), [8, 2, 5])
    np.testing.assert_array_equal((a | 1).numpy(), [13, 11, -3])
    np.testing.assert_array_equal((6 & a).numpy(), [4, 2, 4])
    np.testing.assert_array_equal((a ^ b).numpy(), [6, 12, -8])
    np.testing.assert_array_equal((~a).numpy(), [-13, -11, 2])
    t, f = tf.constant([True, False]), tf.constant([True, True])
    np.testing.assert_array_equal((t & f).numpy(), [True, False])
    np.testing.assert_array_equal((~t).numpy(), [False, True])


# --------------------------------------------------------------------------------------------
# Compiled (and interpreted) under tf.function == eager
# --------------------------------------------------------------------------------------------

COMPILED_CASES = {
    "xlogy": lambda x, y: tf.math.xlogy(x, y) + tf.math.xdivy(x, y),
    "xlog1py": lambda x, y: tf.math.xlog1py(x, y),
    "multiply_no_nan": lambda x, y: tf.math.multiply_no_nan(x, y - 1.0),
    "reciprocal_no_nan": lambda x, y: tf.math.reciprocal_no_nan(x),
    "specials": lambda x, y: tf.math.lgamma(y + 0.5) + tf.math.digamma(y + 0.5)
    + tf.math.erfinv(y / 10.0) + tf.math.ndtri(y / 10.0 + 0.01),
    "saturate_cast": lambda x, y: tf.cast(tf.saturate_cast(x * 1e10, tf.int32), tf.float32),
    "polyval": lambda x, y: tf.math.polyval([2.0, -1.0, x], y),
    "cumulative_logsumexp": lambda x, y: tf.math.cumulative_logsumexp(x, axis=1,
                                                                      exclusive=True),
    "unsorted_segments": lambda x, y: tf.math.unsorted_segment_sum(x, [1, -1, 1], 2)
    + tf.math.unsorted_segment_max(y, [0, 0, 1], 2)
    + tf.math.unsorted_segment_prod(x, [1, 0, 1], 2)
    + tf.math.unsorted_segment_mean(y, [1, 0, 0], 2),
    "segments": lambda x, y: tf.math.segment_min(x, [0, 0, 2])
    + tf.math.segment_mean(y, [0, 2, 2]),
    "bitwise": lambda x, y: tf.cast(tf.bitwise.left_shift(tf.cast(y, tf.int32), 3)
                                    ^ tf.bitwise.right_shift(tf.cast(x * 10, tf.int32), 1),
                                    tf.float32),
    "in_top_k": lambda x, y: tf.cast(tf.math.in_top_k([0, 1, 2], x, 2), tf.float32),
    "bincount": lambda x, y: tf.cast(tf.math.bincount(tf.cast(y, tf.int32), minlength=4,
                                                      maxlength=4), tf.float32),
    "confusion_matrix": lambda x, y: tf.cast(tf.math.confusion_matrix(
        tf.cast(y[:, 0], tf.int64), [0, 1, 1], num_classes=4), tf.float32),
    "is_non_decreasing": lambda x, y: tf.cast(tf.math.is_non_decreasing(y), tf.float32),
}


@pytest.mark.parametrize("name", sorted(COMPILED_CASES))
def test_traced_matches_eager(name, backend):
    f = COMPILED_CASES[name]
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1.0, 1.0, (3, 3)).astype(np.float32))
    y = tf.constant(rng.integers(0, 4, (3, 3)).astype(np.float32))
    eager = f(x, y).numpy()
    traced = tf.function(f, backend=backend)(x, y).numpy()
    np.testing.assert_allclose(traced, eager, rtol=2e-6, atol=1e-6)


def test_complex_in_a_traced_function_runs_on_the_interpreter():
    @tf.function(backend="numba")
    def f(re, im):
        z = tf.complex(re, im)
        return tf.abs(z) + tf.math.angle(z) + tf.math.real(tf.math.conj(z))

    re, im = tf.constant([1.0, -2.0]), tf.constant([3.0, 0.5])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f(re, im)  # the first call traces (and runs eagerly)
        got = f(re, im).numpy()
    z = np.array([1 + 3j, -2 + 0.5j])
    np.testing.assert_allclose(got, np.abs(z) + np.angle(z) + z.real, rtol=1e-6)
    assert any("complex" in str(w.message) for w in caught), [str(w.message) for w in caught]


def test_data_dependent_sizes_refuse_traced_values():
    @tf.function
    def f(ids):
        return tf.math.segment_sum(tf.ones([3]), ids)

    with pytest.raises(tf.errors.InvalidArgumentError, match="segment_sum.*segment_ids"):
        f(tf.constant([0, 0, 1]))


def test_lgamma_of_subnormals_is_finite_as_cs():
    # scipy's gammaln gives inf below the smallest normal; lgamma(x) = -log|x| there.
    x = np.array([5e-324, -1.5e-323, 1e-310], np.float64)
    np.testing.assert_allclose(tf.math.lgamma(x).numpy(), -np.log(np.abs(x)), rtol=1e-15)
