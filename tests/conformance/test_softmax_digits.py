"""float32 softmax carries TensorFlow's last digits (its CPU kernel's rounding), eagerly and
compiled, and its gradient is still the softmax gradient.

The expected values were computed by TensorFlow 2.21 (tf.nn.softmax on an AVX-512 CPU): bit
patterns for small inputs, a crc32 of the result's bytes for seeded random ones."""

import zlib

import numpy as np
import pytest

import tapeflow as tf

# (seed, shape, scale) -> crc32 of TensorFlow's float32 result for
# rng(seed).standard_normal(shape) * scale: rows narrower and wider than the kernel's blocks,
# and inputs spread far enough that exps underflow and results flush to zero.
TF_CRC = {
    (7, (64, 100), 5.0): 3916373870,
    (8, (33, 17), 30.0): 3740577143,
    (9, (5, 1000), 3.0): 423722086,
    (10, (40, 3), 100.0): 3648850875,
}


def _inputs(seed, shape, scale):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _bits(t):
    return np.asarray(t).view(np.uint32).tolist()


def test_small_rows_have_tensorflows_bits():
    assert _bits(tf.nn.softmax(tf.constant([1.0, 2.0, 3.0]))) == [
        1035493874, 1048222234, 1059736890]
    assert _bits(tf.nn.softmax(tf.constant([[-1.0, 0.0], [3.0, -6.0]]))) == [
        [1049211569, 1060841127], [1065351146, 956392315]]


def test_printed_like_tensorflow():
    got = repr(tf.nn.softmax(tf.constant([[1.0, 2.0, 3.0]])))
    assert "0.09003057, 0.24472848, 0.6652409 " in got


@pytest.mark.parametrize("key", list(TF_CRC), ids=lambda k: f"{k[1]}x{k[2]}")
def test_random_rows_have_tensorflows_bits(key):
    x = _inputs(*key)
    assert zlib.crc32(np.asarray(tf.nn.softmax(x)).tobytes()) == TF_CRC[key]


def test_other_axes_are_the_last_axis_of_a_transpose():
    x = _inputs(3, (4, 5, 6), 2.0)
    got = np.asarray(tf.nn.softmax(x, axis=1))
    want = np.asarray(tf.nn.softmax(np.swapaxes(x, 1, 2))).swapaxes(1, 2)
    assert np.array_equal(got, want)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)


def test_float64_and_float16_are_plain_softmax():
    x = np.random.default_rng(1).standard_normal((3, 7))
    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(tf.nn.softmax(x), e / e.sum(-1, keepdims=True), rtol=1e-15)
    half = tf.nn.softmax(tf.constant(x, tf.float16))
    assert half.dtype == tf.float16
    np.testing.assert_allclose(np.asarray(half, np.float64), e / e.sum(-1, keepdims=True),
                               rtol=2e-3)


def test_special_values():
    got = np.asarray(tf.nn.softmax(tf.constant(
        [[-np.inf, 0.0, 1.0], [100.0, -100.0, 0.0], [np.nan, 1.0, 2.0]])))
    assert _bits(got[0]) == [0, 1049211569, 1060841127]  # as TensorFlow's
    assert got[1].tolist() == [1.0, 0.0, 0.0]
    # A NaN makes its row NaN. (TensorFlow's kernel gives NaN at the NaN and 0 elsewhere, an
    # artefact of its clamping; NaN everywhere does not hide that the row is undefined.)
    assert np.isnan(got[2]).all()
    assert tf.nn.softmax(tf.zeros((2, 0))).shape == (2, 0)


def test_bad_input_names_the_op():
    with pytest.raises(tf.errors.InvalidArgumentError, match="softmax"):
        tf.nn.softmax(tf.constant([1, 2, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="softmax"):
        tf.nn.softmax(tf.constant([1.0, 2.0]), axis=3)


def test_gradient_is_the_softmax_jacobian_product():
    x = tf.Variable(np.random.default_rng(2).standard_normal((3, 5)))
    w = tf.constant(np.random.default_rng(3).standard_normal((3, 5)))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.softmax(x) * w)
    g = np.asarray(tape.gradient(y, x))
    s = np.asarray(tf.nn.softmax(x))
    want = s * (np.asarray(w) - (np.asarray(w) * s).sum(-1, keepdims=True))
    np.testing.assert_allclose(g, want, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("key", list(TF_CRC), ids=lambda k: f"{k[1]}x{k[2]}")
def test_compiled_softmax_has_the_same_bits(key):
    f = tf.function(lambda x: tf.nn.softmax(x))
    x = _inputs(*key)
    assert zlib.crc32(np.asarray(f(x)).tobytes()) == TF_CRC[key]


@pytest.mark.slow
def test_compiled_special_values_and_float64_match_eager():
    f = tf.function(lambda x: tf.nn.softmax(x, axis=0))
    x = np.array([[-np.inf, 0.0, 1.0], [100.0, -100.0, 0.0], [np.nan, 1.0, 2.0]], np.float32)
    assert np.array_equal(np.asarray(f(x)), np.asarray(tf.nn.softmax(x, axis=0)),
                          equal_nan=True)
    x64 = np.random.default_rng(4).standard_normal((6, 9))
    np.testing.assert_allclose(f(x64), tf.nn.softmax(x64, axis=0), rtol=1e-14)
