"""tf.image's random augmentations: shapes, the statistics of their draws, seeding, and a
fresh draw on every call of a compiled tf.function."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.backends import set_default_backend

IMAGE = np.arange(2 * 3 * 4 * 3, dtype=np.float32).reshape(2, 3, 4, 3) / 72.0


def _flipped(out, image, axis):
    return np.array_equal(out, np.flip(image, axis))


def test_random_flips_flip_about_half_the_images_each_independently():
    tf.random.set_seed(7)
    batch = np.repeat(IMAGE[:1], 400, axis=0)
    out = tf.image.random_flip_left_right(batch).numpy()
    flipped = [_flipped(o, batch[0], 1) for o in out]
    unchanged = [np.array_equal(o, batch[0]) for o in out]
    assert all(f or u for f, u in zip(flipped, unchanged))
    assert 150 < sum(flipped) < 250
    out = tf.image.random_flip_up_down(IMAGE[0]).numpy()
    assert _flipped(out, IMAGE[0], 0) or np.array_equal(out, IMAGE[0])


def test_random_adjustments_stay_within_their_ranges():
    tf.random.set_seed(3)
    for _ in range(20):
        delta = (tf.image.random_brightness(IMAGE, 0.2).numpy() - IMAGE).ravel()
        assert np.allclose(delta, delta[0], atol=1e-6) and -0.2 <= delta[0] < 0.2
        contrast = tf.image.random_contrast(IMAGE[0], 0.5, 1.5).numpy()
        mean = IMAGE[0].mean(axis=(0, 1))
        factor = (contrast - mean) / (IMAGE[0] - mean + 1e-12)
        assert 0.5 - 1e-3 <= np.median(factor) < 1.5 + 1e-3
    hue = tf.image.random_hue(IMAGE, 0.1).numpy()
    assert hue.shape == IMAGE.shape
    assert tf.image.random_saturation(IMAGE, 0.5, 1.5).shape == IMAGE.shape


def test_random_crop_windows_are_uniform_over_the_offsets():
    tf.random.set_seed(11)
    image = np.arange(6 * 5, dtype=np.int32).reshape(6, 5, 1)
    corners = [int(tf.image.random_crop(image, [3, 2, 1]).numpy()[0, 0, 0])
               for _ in range(400)]
    starts = {(c // 5, c % 5) for c in corners}
    assert starts == {(r, c) for r in range(4) for c in range(4)}  # every offset, no other
    crop = tf.image.random_crop(image, [3, 2, 1]).numpy()
    r, c = divmod(int(crop[0, 0, 0]), 5)
    assert np.array_equal(crop, image[r:r + 3, c:c + 2])


def test_the_global_seed_makes_the_draws_reproducible():
    def draws():
        tf.random.set_seed(5)
        return [tf.image.random_brightness(IMAGE, 0.3).numpy(),
                tf.image.random_crop(IMAGE, [1, 2, 2, 3]).numpy(),
                tf.image.random_flip_left_right(IMAGE).numpy()]

    for a, b in zip(draws(), draws()):
        np.testing.assert_array_equal(a, b)


def test_stateless_forms_depend_only_on_the_seed():
    a = tf.image.stateless_random_brightness(IMAGE, 0.3, seed=(1, 2)).numpy()
    b = tf.image.stateless_random_brightness(IMAGE, 0.3, seed=(1, 2)).numpy()
    np.testing.assert_array_equal(a, b)
    flips = {tf.image.stateless_random_flip_left_right(IMAGE[:1], seed=(s, 0)).numpy()
             .tobytes() for s in range(20)}
    assert len(flips) == 2


def test_bad_arguments_raise_tensorflows_errors():
    with pytest.raises(ValueError, match="random_brightness: max_delta must be non-negative"):
        tf.image.random_brightness(IMAGE, -1.0)
    with pytest.raises(ValueError, match=r"random_contrast: upper must be > lower"):
        tf.image.random_contrast(IMAGE, 0.5, 0.2)
    with pytest.raises(ValueError, match=r"random_saturation: lower must be non-negative"):
        tf.image.random_saturation(IMAGE, -0.5, 0.2)
    with pytest.raises(ValueError, match=r"random_hue: max_delta must be <= 0.5, got 0.6"):
        tf.image.random_hue(IMAGE, 0.6)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"random_crop: Need value.shape >= size, got value shape "
                             r"\[2, 3, 4, 3\] and size \[1, 4, 2, 3\]"):
        tf.image.random_crop(IMAGE, [1, 4, 2, 3])


def test_a_compiled_step_draws_afresh_on_every_call(backend):
    previous = set_default_backend(backend)
    try:
        @tf.function
        def augment(x):
            x = tf.image.random_flip_left_right(x)
            x = tf.image.random_crop(x, [2, 2, 3, 3])
            return tf.image.random_brightness(x, 0.5)

        tf.random.set_seed(1)
        outs = [augment(tf.constant(IMAGE)).numpy() for _ in range(6)]
        tf.random.set_seed(1)
        again = [augment(tf.constant(IMAGE)).numpy() for _ in range(6)]
    finally:
        set_default_backend(previous)
    assert augment.experimental_get_tracing_count() == 1
    assert len({o.tobytes() for o in outs}) == 6
    for a, b in zip(outs, again):
        np.testing.assert_array_equal(a, b)
