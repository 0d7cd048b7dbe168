"""tf.image: values and gradients against TensorFlow 2.21's (recorded by
tests/ops/image_cases.py), compiled against eager on both backends, and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.backends import set_default_backend
from tests.ops import image_cases as cases

REFERENCE = np.load(cases.REFERENCE)


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_values_match_tensorflow(name):
    expected = REFERENCE[name]
    got = cases.CASES[name](tf)
    got = got.numpy()
    assert got.shape == expected.shape and got.dtype == expected.dtype, (got.shape, got.dtype)
    if expected.dtype.kind in "iu":
        # Integer results of float arithmetic may round the other way at .5 by one unit.
        assert np.abs(got.astype(np.int64) - expected.astype(np.int64)).max(initial=0) <= 1
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(cases.GRADIENT_CASES))
def test_gradients_match_tensorflow(name):
    got = cases.gradient(tf, cases.GRADIENT_CASES[name]).numpy()
    np.testing.assert_allclose(got, REFERENCE["grad_" + name], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("op, op_name", [
    (lambda x: tf.image.adjust_saturation(x, 0.5), "AdjustSaturation"),
    (lambda x: tf.image.adjust_hue(x, 0.1), "AdjustHue"),
])
def test_saturation_and_hue_have_no_gradient_as_in_tensorflow(op, op_name):
    x = tf.Variable(cases.RGB)
    with tf.GradientTape() as tape:
        y = op(x)
    with pytest.raises(LookupError, match=f"no entry for: {op_name}$"):
        tape.gradient(y, x)


def _compiled_steps():
    def step(x, u8, big):
        return {
            "geometry": tf.image.rot90(tf.image.flip_left_right(
                tf.image.resize_with_crop_or_pad(x, 4, 9)), 3),
            "bilinear": tf.image.resize(x, [9, 4]),
            "nearest": tf.image.resize(u8, [3, 11], "nearest"),
            "pad": tf.image.resize_with_pad(x, 8, 8),
            "hsv": tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(x)),
            "hue": tf.image.adjust_hue(tf.image.adjust_saturation(x, 1.3), 0.2),
            "u8": tf.image.adjust_brightness(tf.image.adjust_gamma(u8, 0.7), 0.1),
            "gray": tf.image.rgb_to_grayscale(tf.image.convert_image_dtype(u8, tf.float32)),
            "std": tf.image.per_image_standardization(x),
            "tv": tf.image.total_variation(x),
            "sobel": tf.image.sobel_edges(x),
            "psnr": tf.image.psnr(x, x * 0.9, 1.0),
            "ssim": tf.image.ssim(big, big * 0.8, 1.0),
            "patches": tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 2, 1], [1, 1, 1, 1],
                                                "SAME"),
        }
    return step


def test_compiled_matches_eager(backend):
    previous = set_default_backend(backend)
    try:
        step = _compiled_steps()
        args = (cases.RGB, cases.U8, cases.BIG)
        eager = step(*[tf.constant(a) for a in args])
        compiled = tf.function(step)(*[tf.constant(a) for a in args])
    finally:
        set_default_backend(previous)
    for key, value in eager.items():
        np.testing.assert_allclose(compiled[key].numpy(), value.numpy(), rtol=1e-5,
                                   atol=1e-5, err_msg=key)


def test_resize_gradient_compiled_matches_eager(backend):
    previous = set_default_backend(backend)
    try:
        @tf.function
        def grad(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = cases.weighted(tf, tf.image.resize(x, [9, 11]))
            return tape.gradient(y, x)

        got = grad(tf.constant(cases.RGB)).numpy()
    finally:
        set_default_backend(previous)
    np.testing.assert_allclose(got, REFERENCE["grad_bilinear_up"], rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------------------------
# bad inputs: TF's error class, a message naming the op, the argument and the shape
# --------------------------------------------------------------------------------------------

BAD = [
    (lambda: tf.image.flip_left_right(np.zeros((4, 5), np.float32)), ValueError,
     r"flip_left_right: 'image' \(shape \[4, 5\]\) must be at least three-dimensional"),
    (lambda: tf.image.rot90(np.zeros((1, 1, 4, 5, 3), np.float32)), ValueError,
     r"rot90: 'image' \(shape \[1, 1, 4, 5, 3\]\) must have 3 or 4 dimensions"),
    (lambda: tf.image.central_crop(cases.RGB, 1.5), ValueError,
     r"central_crop: central_fraction must be within \(0, 1\], got 1.5"),
    (lambda: tf.image.crop_to_bounding_box(cases.RGB3, 3, 0, 3, 7), ValueError,
     (r"crop_to_bounding_box: the image height 5 must be >= offset_height \+ target_height "
      r"= 3 \+ 3 \(image shape \[5, 7, 3\]\)")),
    (lambda: tf.image.crop_to_bounding_box(cases.RGB3, 0, -1, 3, 3), ValueError,
     r"crop_to_bounding_box: offset_width must be >= 0, got -1"),
    (lambda: tf.image.crop_to_bounding_box(cases.RGB3, 0, 0, 3, 0), ValueError,
     r"crop_to_bounding_box: target_width must be > 0, got 0"),
    (lambda: tf.image.pad_to_bounding_box(cases.RGB, 0, 2, 6, 8), ValueError,
     (r"pad_to_bounding_box: the image width 7 must be <= target_width - offset_width = "
      r"8 - 2 \(image shape \[2, 5, 7, 3\]\)")),
    (lambda: tf.image.resize_with_crop_or_pad(cases.RGB, 0, 3), ValueError,
     r"resize_with_crop_or_pad: target_height must be > 0"),
    (lambda: tf.image.resize(cases.RGB, [2, 2, 2]), ValueError,
     r"resize: 'size' must be a 1-D Tensor of 2 elements"),
    (lambda: tf.image.resize(cases.RGB, [0, 2]), tf.errors.InvalidArgumentError,
     (r"resize: output dimensions must be positive, got size \[0, 2\] for images of shape "
      r"\[2, 5, 7, 3\]")),
    (lambda: tf.image.resize(cases.RGB, [3, 3], "cubic"), ValueError,
     r"resize: Resize method is not implemented: cubic"),
    (lambda: tf.image.resize(cases.RGB, [3, 3], "area"), NotImplementedError,
     r"resize: method 'area' is not implemented in tapeflow"),
    (lambda: tf.image.convert_image_dtype(np.array([True]), tf.float32), AttributeError,
     r"convert_image_dtype: image dtype must be either floating point or integer, got bool"),
    (lambda: tf.image.rgb_to_grayscale(cases.RGB[..., :2]), tf.errors.InvalidArgumentError,
     (r"rgb_to_grayscale: images must have 3 channels \(the last axis\), got shape "
      r"\[2, 5, 7, 2\]")),
    (lambda: tf.image.grayscale_to_rgb(cases.RGB), ValueError,
     (r"grayscale_to_rgb: the last dimension of a grayscale image should be size 1, got "
      r"shape \[2, 5, 7, 3\]")),
    (lambda: tf.image.rgb_to_hsv(cases.RGB[..., :2]), tf.errors.FailedPreconditionError,
     r"rgb_to_hsv: images must have 3 channels"),
    (lambda: tf.image.rgb_to_hsv(cases.U8), TypeError,
     r"rgb_to_hsv: images must be float .*uint8\[2, 5, 7, 3\]"),
    (lambda: tf.image.adjust_saturation(cases.RGB[..., :1], 2.0),
     tf.errors.InvalidArgumentError, r"adjust_saturation: images must have 3 channels"),
    (lambda: tf.image.adjust_hue(cases.RGB, 1.5), ValueError,
     r"adjust_hue: delta must be in the interval \[-1, 1\], got 1.5"),
    (lambda: tf.image.adjust_gamma(cases.RGB, -1.0), ValueError,
     r"adjust_gamma: Gamma should be a non-negative real number, got -1.0"),
    (lambda: tf.image.total_variation(np.zeros((2, 2), np.float32)), ValueError,
     r"total_variation: 'images' \(shape \[2, 2\]\) must be 3 or 4-dimensional"),
    (lambda: tf.image.image_gradients(cases.RGB3), ValueError,
     r"image_gradients expects a 4D tensor \[batch_size, h, w, d\], not \[5, 7, 3\]"),
    (lambda: tf.image.sobel_edges(cases.RGB3), tf.errors.InvalidArgumentError,
     (r"sobel_edges: image must be 4-D \[batch, height, width, channels\], got shape "
      r"\[5, 7, 3\]")),
    (lambda: tf.image.psnr(cases.RGB, cases.RGB3[:4], 1.0), ValueError,
     (r"psnr: a and b must be images of the same \[height, width, channels\], got shapes "
      r"\[2, 5, 7, 3\] and \[4, 7, 3\]")),
    (lambda: tf.image.ssim(cases.RGB, cases.OTHER, 1.0), tf.errors.InvalidArgumentError,
     r"ssim: images of shape \[2, 5, 7, 3\] are smaller than the filter \(11x11\)"),
    (lambda: tf.image.extract_patches(cases.RGB, [2, 2], [1, 1, 1, 1], [1, 1, 1, 1],
                                      "VALID"), ValueError,
     r"extract_patches: sizes must be \[1, rows, cols, 1\], got \[2, 2\]"),
]


@pytest.mark.parametrize("call, error, message", BAD)
def test_bad_inputs_raise_tensorflows_class_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
