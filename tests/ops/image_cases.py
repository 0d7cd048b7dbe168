"""tf.image calls whose values tests/ops/test_image_ops.py compares with TensorFlow's.

Each case is written once against a `tf` module; run under TensorFlow, this file records the
results (`/tmp/tfvenv/bin/python tests/ops/image_cases.py` rewrites
tests/ops/image_tf_reference.npz), and the test runs the same calls with tapeflow. The
inputs are fixed numpy arrays, so both see the same images.
"""

from __future__ import annotations

import os

import numpy as np

_rng = np.random.default_rng(20240601)
RGB = _rng.uniform(0.0, 1.0, (2, 5, 7, 3)).astype(np.float32)
RGB3 = RGB[0]
U8 = (_rng.uniform(0.0, 1.0, (2, 5, 7, 3)) * 255).astype(np.uint8)
OTHER = np.clip(RGB + _rng.normal(0.0, 0.1, RGB.shape), 0, 1).astype(np.float32)
BIG = _rng.uniform(0.0, 1.0, (2, 16, 18, 3)).astype(np.float32)
BIG2 = np.clip(BIG + _rng.normal(0.0, 0.2, BIG.shape), 0, 1).astype(np.float32)
# Pixels with ties among the channels and grey ones (hue 0), for the HSV branches.
TIES = np.array([[[0.5, 0.5, 0.2], [0.2, 0.5, 0.5], [0.5, 0.2, 0.5], [0.3, 0.3, 0.3],
                  [0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.1, 0.9, 0.4]]], np.float32)

CASES = {
    "flip_left_right": lambda tf: tf.image.flip_left_right(RGB),
    "flip_up_down3": lambda tf: tf.image.flip_up_down(RGB3),
    "rot90_1": lambda tf: tf.image.rot90(RGB),
    "rot90_2": lambda tf: tf.image.rot90(RGB3, 2),
    "rot90_m1": lambda tf: tf.image.rot90(RGB, k=-1),
    "transpose": lambda tf: tf.image.transpose(RGB3),
    "central_crop": lambda tf: tf.image.central_crop(RGB, 0.6),
    "crop_box": lambda tf: tf.image.crop_to_bounding_box(RGB, 1, 2, 3, 4),
    "pad_box": lambda tf: tf.image.pad_to_bounding_box(RGB3, 1, 2, 8, 10),
    "crop_or_pad": lambda tf: tf.image.resize_with_crop_or_pad(RGB, 3, 10),
    "crop_or_pad2": lambda tf: tf.image.resize_with_crop_or_pad(RGB3, 8, 4),
    "bilinear_up": lambda tf: tf.image.resize(RGB, [9, 11]),
    "bilinear_down": lambda tf: tf.image.resize(RGB3, [3, 4]),
    "bilinear_u8": lambda tf: tf.image.resize(U8, [7, 5], "bilinear"),
    "nearest_up": lambda tf: tf.image.resize(RGB, [9, 11], "nearest"),
    "nearest_down": lambda tf: tf.image.resize(U8, [3, 4], tf.image.ResizeMethod.NEAREST_NEIGHBOR),
    "resize_aspect": lambda tf: tf.image.resize(RGB, [10, 10], preserve_aspect_ratio=True),
    "resize_with_pad": lambda tf: tf.image.resize_with_pad(RGB3, 9, 9),
    "resize_with_pad_wide": lambda tf: tf.image.resize_with_pad(RGB, 4, 12, "nearest"),
    "u8_to_f32": lambda tf: tf.image.convert_image_dtype(U8, tf.float32),
    "f32_to_u8": lambda tf: tf.image.convert_image_dtype(RGB, tf.uint8),
    "f32_to_u8_sat": lambda tf: tf.image.convert_image_dtype(RGB * 1.5 - 0.2, tf.uint8,
                                                             saturate=True),
    "u8_to_i16": lambda tf: tf.image.convert_image_dtype(U8, tf.int16),
    "i32_to_u8": lambda tf: tf.image.convert_image_dtype(
        np.array([0, 1 << 20, 2 ** 31 - 1], np.int32), tf.uint8),
    "grayscale": lambda tf: tf.image.rgb_to_grayscale(RGB),
    "grayscale_u8": lambda tf: tf.image.rgb_to_grayscale(U8),
    "gray_to_rgb": lambda tf: tf.image.grayscale_to_rgb(tf.constant(RGB[..., :1])),
    "rgb_to_hsv": lambda tf: tf.image.rgb_to_hsv(RGB),
    "rgb_to_hsv_ties": lambda tf: tf.image.rgb_to_hsv(TIES),
    "hsv_to_rgb": lambda tf: tf.image.hsv_to_rgb(RGB),
    "brightness": lambda tf: tf.image.adjust_brightness(RGB, 0.3),
    "brightness_u8": lambda tf: tf.image.adjust_brightness(U8, -0.2),
    "contrast_u8": lambda tf: tf.image.adjust_contrast(U8, 1.8),
    "saturation": lambda tf: tf.image.adjust_saturation(RGB, 1.7),
    "saturation_u8": lambda tf: tf.image.adjust_saturation(U8, 0.4),
    "hue": lambda tf: tf.image.adjust_hue(RGB, 0.3),
    "hue_neg_ties": lambda tf: tf.image.adjust_hue(TIES, -0.45),
    "gamma": lambda tf: tf.image.adjust_gamma(RGB, 2.2, 0.9),
    "gamma_u8": lambda tf: tf.image.adjust_gamma(U8, 0.5),
    "standardization": lambda tf: tf.image.per_image_standardization(RGB),
    "standardization_u8": lambda tf: tf.image.per_image_standardization(U8),
    "total_variation": lambda tf: tf.image.total_variation(tf.constant(RGB)),
    "total_variation3": lambda tf: tf.image.total_variation(tf.constant(RGB3)),
    "image_gradients": lambda tf: tf.stack(tf.image.image_gradients(tf.constant(RGB))),
    "sobel": lambda tf: tf.image.sobel_edges(tf.constant(RGB)),
    "psnr": lambda tf: tf.image.psnr(RGB, OTHER, 1.0),
    "psnr_u8": lambda tf: tf.image.psnr(U8, U8[::-1], 255),
    "ssim": lambda tf: tf.image.ssim(BIG, BIG2, 1.0),
    "ssim_small_filter": lambda tf: tf.image.ssim(RGB, OTHER, 1.0, filter_size=3,
                                                  filter_sigma=0.8),
    "patches_valid": lambda tf: tf.image.extract_patches(RGB, [1, 2, 3, 1], [1, 2, 1, 1],
                                                         [1, 1, 1, 1], "VALID"),
    "patches_same": lambda tf: tf.image.extract_patches(RGB, [1, 3, 2, 1], [1, 2, 3, 1],
                                                        [1, 1, 2, 1], "SAME"),
}

# Gradients of sum(f(x) * weights) with respect to x, for the ops TF differentiates.
WEIGHTS = _rng.normal(0.0, 1.0, 64).astype(np.float32)


def weighted(tf, y):
    flat = tf.reshape(y, [-1])
    n = int(flat.shape[0])
    return tf.reduce_sum(flat * np.resize(WEIGHTS, n))


GRADIENT_CASES = {
    "bilinear_up": lambda tf, x: tf.image.resize(x, [9, 11]),
    "bilinear_down": lambda tf, x: tf.image.resize(x, [3, 4]),
    "nearest": lambda tf, x: tf.image.resize(x, [9, 4], "nearest"),
    "grayscale": lambda tf, x: tf.image.rgb_to_grayscale(x),
    "rgb_to_hsv": lambda tf, x: tf.image.rgb_to_hsv(x),
    "gamma": lambda tf, x: tf.image.adjust_gamma(x, 2.2),
    "brightness": lambda tf, x: tf.image.adjust_brightness(x, 0.1),
    "standardization": lambda tf, x: tf.image.per_image_standardization(x),
    "total_variation": lambda tf, x: tf.image.total_variation(x),
    "sobel": lambda tf, x: tf.image.sobel_edges(x),
    "psnr": lambda tf, x: tf.image.psnr(x, OTHER, 1.0),
    "ssim": lambda tf, x: tf.image.ssim(x, OTHER, 1.0, filter_size=3),
    "crop_or_pad": lambda tf, x: tf.image.resize_with_crop_or_pad(x, 3, 10),
}


def gradient(tf, f):
    x = tf.Variable(RGB)
    with tf.GradientTape() as tape:
        y = weighted(tf, f(tf, x))
    return tape.gradient(y, x)


REFERENCE = os.path.join(os.path.dirname(__file__), "image_tf_reference.npz")

if __name__ == "__main__":
    import tensorflow as tf

    results = {name: np.asarray(f(tf)) for name, f in CASES.items()}
    results.update({"grad_" + name: np.asarray(gradient(tf, f))
                    for name, f in GRADIENT_CASES.items()})
    np.savez_compressed(REFERENCE, **results)
    print(f"wrote {len(results)} arrays to {REFERENCE}")
