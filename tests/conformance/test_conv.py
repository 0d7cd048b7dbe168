"""tf.nn.conv2d and tf.keras.layers.Conv2D: TensorFlow's cross-correlation, sizes and
padding rules, differentiable to second order, eager and compiled alike."""

import numpy as np
import pytest

import tapeflow as tf


def _reference(x, w, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    """The definition, loop by loop (SAME pads the smaller half before, as TF)."""
    (sh, sw), (dh, dw) = strides, dilations
    kh, kw = w.shape[:2]
    if padding == "SAME":
        pads = []
        for size, k, s, d in ((x.shape[1], kh, sh, dh), (x.shape[2], kw, sw, dw)):
            out = -(-size // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    elif padding != "VALID":
        x = np.pad(x, padding)
    ho = (x.shape[1] - ((kh - 1) * dh + 1)) // sh + 1
    wo = (x.shape[2] - ((kw - 1) * dw + 1)) // sw + 1
    y = np.zeros((x.shape[0], ho, wo, w.shape[3]))
    for a in range(ho):
        for b in range(wo):
            for i in range(kh):
                for j in range(kw):
                    y[:, a, b, :] += x[:, a * sh + i * dh, b * sw + j * dw, :] @ w[i, j]
    return y


CASES = [((1, 1), "VALID", (1, 1)), ((2, 1), "SAME", (1, 1)), ((1, 2), "VALID", (2, 1)),
         ((2, 2), "SAME", (1, 2)), ((1, 1), [[0, 0], [1, 2], [0, 1], [0, 0]], (1, 1))]


@pytest.mark.parametrize("strides, padding, dilations", CASES)
def test_conv2d_is_the_cross_correlation(strides, padding, dilations):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    got = tf.nn.conv2d(x, w, strides=[1, *strides, 1], padding=padding,
                       dilations=[1, *dilations, 1])
    np.testing.assert_allclose(got.numpy(), _reference(x, w, strides, padding, dilations),
                               rtol=1e-12, atol=1e-12)


def test_nchw_is_the_transpose_and_float32_stays_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 3, 5, 5)).astype(np.float32)
    w = rng.standard_normal((2, 2, 3, 2)).astype(np.float32)
    got = tf.nn.conv2d(x, w, 1, "VALID", data_format="NCHW")
    assert got.dtype == tf.float32 and got.shape == (1, 2, 4, 4)
    np.testing.assert_allclose(got.numpy(), _reference(x.transpose(0, 2, 3, 1), w)
                               .transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)


def test_gradients_match_finite_differences_to_second_order():
    rng = np.random.default_rng(2)
    x = tf.Variable(rng.standard_normal((1, 4, 4, 2)))
    w = tf.Variable(rng.standard_normal((2, 2, 2, 2)))

    def loss():
        return tf.reduce_sum(tf.nn.conv2d(x, w, 2, "SAME") ** 2)

    with tf.GradientTape() as tape:
        value = loss()
    gx, gw = tape.gradient(value, [x, w])
    eps = 1e-6
    for var, grad in ((x, gx), (w, gw)):
        flat = var.numpy().ravel()
        for k in (0, flat.size // 2, flat.size - 1):
            bumped = flat.copy()
            bumped[k] += eps
            var.assign(bumped.reshape(var.shape))
            up = float(loss().numpy())
            bumped[k] -= 2 * eps
            var.assign(bumped.reshape(var.shape))
            down = float(loss().numpy())
            var.assign(flat.reshape(var.shape))
            np.testing.assert_allclose(grad.numpy().ravel()[k], (up - down) / (2 * eps),
                                       rtol=1e-5)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            value = loss()
        g = inner.gradient(value, w)
        s = tf.reduce_sum(g * g)
    assert outer.gradient(s, w) is not None


def test_bad_arguments_are_named():
    x, w = tf.zeros((1, 4, 4, 3)), tf.zeros((2, 2, 2, 5))
    with pytest.raises(tf.errors.InvalidArgumentError, match="3 channels.*expect 2"):
        tf.nn.conv2d(x, w, 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="padding must be"):
        tf.nn.conv2d(x, tf.zeros((2, 2, 3, 5)), 1, "FULL")
    with pytest.raises(tf.errors.InvalidArgumentError, match="strides along the batch"):
        tf.nn.conv2d(x, tf.zeros((2, 2, 3, 5)), [2, 1, 1, 1], "VALID")
    with pytest.raises(TypeError, match="must be 4-D"):
        tf.nn.conv2d(tf.zeros((4, 4, 3)), tf.zeros((2, 2, 3, 5)), 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not fit"):
        tf.nn.conv2d(tf.zeros((1, 2, 2, 3)), tf.zeros((3, 3, 3, 1)), 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="filters must be positive"):
        tf.keras.layers.Conv2D(0, 3)


def test_the_keras_layer_builds_its_weights_and_applies_bias_and_activation():
    layer = tf.keras.layers.Conv2D(5, 3, strides=2, padding="same", activation="relu")
    y = layer(tf.ones((2, 8, 8, 3)))
    assert y.shape == (2, 4, 4, 5)
    assert [(v.name, tuple(v.shape)) for v in layer.weights] == [("kernel", (3, 3, 3, 5)),
                                                                 ("bias", (5,))]
    assert layer.count_params() == 140  # as TF's
    layer.bias.assign(np.full(5, -1e3, np.float32))
    assert float(tf.reduce_max(layer(tf.ones((1, 8, 8, 3)))).numpy()) == 0.0  # relu


@pytest.mark.slow
def test_compiled_matches_eager():
    layer = tf.keras.layers.Conv2D(4, (3, 2), strides=(1, 2), padding="same")
    x = np.random.default_rng(3).standard_normal((2, 9, 8, 3)).astype(np.float32)
    eager = layer(x).numpy()
    step = tf.function(lambda t: layer(t))
    np.testing.assert_allclose(step(x).numpy(), eager, rtol=1e-5, atol=1e-5)
