"""tf.image.adjust_contrast: TensorFlow's formula, and, as TensorFlow's kernel has no
gradient, a tape asked to differentiate through it raises LookupError naming the op."""

import numpy as np
import pytest

import tapeflow as tf


def _reference(x, factor):
    mean = x.mean(axis=(-3, -2), keepdims=True)
    return (x - mean) * factor + mean


def test_contrast_is_scaled_about_each_channels_mean():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 2)).astype(np.float32)
    got = tf.image.adjust_contrast(x, 1.7)
    assert got.dtype == tf.float32 and got.shape == (2, 3, 4, 2)
    np.testing.assert_allclose(got.numpy(), _reference(x.astype(np.float64), 1.7), rtol=1e-5,
                               atol=1e-6)
    single = tf.image.adjust_contrast(tf.constant([[[0.5, 0.0, 0.0]]]), 0.1)
    assert single.numpy().tolist() == [[[0.5, 0.0, 0.0]]]  # one pixel: its own mean
    x64 = np.random.default_rng(1).standard_normal((5, 5, 3))
    np.testing.assert_allclose(tf.image.adjust_contrast(x64, tf.constant(0.5, tf.float64)),
                               _reference(x64, 0.5), rtol=1e-12)


def test_differentiating_through_it_raises_lookup_error():
    image = tf.Variable([[[0.5, 0.0, 0.0]]])
    delta = tf.Variable(0.1)
    with tf.GradientTape(persistent=True) as tape:
        out = tf.image.adjust_contrast(image, delta)
        other = image * 2.0
    with pytest.raises(LookupError, match="^gradient registry has no entry for: "
                                          "AdjustContrastv2$"):
        tape.gradient(out, [image, delta])
    # Paths that do not go through it are differentiated as usual.
    assert tape.gradient(other, image).numpy().tolist() == [[[2.0, 2.0, 2.0]]]


def test_bad_inputs_are_named():
    # Integer images are TF's too: converted to float32 and back, saturating (values against
    # TF's in tests/ops/test_image_ops.py).
    u8 = tf.constant([[[10, 100, 200]], [[30, 100, 250]]], tf.uint8)
    assert tf.image.adjust_contrast(u8, 2.0).numpy().ravel().tolist() == [0, 100, 175,
                                                                         40, 100, 255]
    with pytest.raises(TypeError, match=r"at least 3 axes.*\[4, 3\]"):
        tf.image.adjust_contrast(tf.zeros((4, 3)), 2.0)
    with pytest.raises(TypeError, match=r"contrast_factor must be a scalar.*\[2\]"):
        tf.image.adjust_contrast(tf.zeros((2, 2, 3)), [1.0, 2.0])


@pytest.mark.slow
def test_compiled_matches_eager():
    x = np.random.default_rng(2).standard_normal((3, 4, 5, 3)).astype(np.float32)
    f = tf.function(lambda x: tf.image.adjust_contrast(x, 0.3))
    np.testing.assert_allclose(f(x).numpy(), tf.image.adjust_contrast(x, 0.3).numpy(),
                               rtol=1e-6, atol=1e-6)
