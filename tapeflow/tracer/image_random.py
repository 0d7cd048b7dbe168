"""`tf.image`'s random augmentations: the deterministic ops of tapeflow/ops/image_*.py
applied with parameters drawn by `tf.random.uniform` from the global generator.

Each call draws afresh (the generator's state is a Variable, so a compiled tf.function
advances it on every call, tapeflow/tracer/random.py) and `tf.random.set_seed` makes the
sequence reproducible; an op-level `seed` is mixed in as tf.random.uniform's. The draws are
not TensorFlow's numbers; the distributions are. The `stateless_*` forms draw from their
`seed` argument and change no state.
"""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import InvalidArgumentError, shape_of
from tapeflow.ops.image_color import (
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
)
from tapeflow.ops.image_geometry import as_image, check_rank
from tapeflow.tracer import random as _random


def _flip(op: str, image, axis: int, coin):
    """`image` reversed along `axis` where coin(shape) < 0.5: one draw for a 3-D image, one
    per image for a 4-D batch."""
    image = check_rank(op, image)
    shape = list(shape_of(image))
    if len(shape) == 3:
        flip = ops.less(coin([]), np.float32(0.5))
    else:
        flip = ops.reshape(ops.less(coin([shape[0]]), np.float32(0.5)), [shape[0], 1, 1, 1])
        flip = ops.broadcast_to(flip, shape)
    return ops.where(flip, ops.reverse(image, [axis]), image)


def random_flip_left_right(image, seed=None):
    """`image` mirrored left to right with probability 1/2 (per image of a batch)."""
    return _flip("random_flip_left_right", image, -2,
                 lambda shape: _random.uniform(shape, 0.0, 1.0, seed=seed))


def random_flip_up_down(image, seed=None):
    """`image` mirrored top to bottom with probability 1/2 (per image of a batch)."""
    return _flip("random_flip_up_down", image, -3,
                 lambda shape: _random.uniform(shape, 0.0, 1.0, seed=seed))


def stateless_random_flip_left_right(image, seed):
    """random_flip_left_right with the draws made from `seed` (shape [2])."""
    return _flip("stateless_random_flip_left_right", image, -2,
                 lambda shape: _random.stateless_uniform(shape, seed, 0.0, 1.0))


def stateless_random_flip_up_down(image, seed):
    """random_flip_up_down with the draws made from `seed` (shape [2])."""
    return _flip("stateless_random_flip_up_down", image, -3,
                 lambda shape: _random.stateless_uniform(shape, seed, 0.0, 1.0))


def _check_delta(op: str, max_delta, upper=None):
    max_delta = float(max_delta)
    if max_delta < 0:
        raise ValueError(f"{op}: max_delta must be non-negative, got {max_delta}")
    if upper is not None and max_delta > upper:
        raise ValueError(f"{op}: max_delta must be <= {upper}, got {max_delta}")
    return max_delta


def _check_range(op: str, lower, upper):
    lower, upper = float(lower), float(upper)
    if upper <= lower:
        raise ValueError(f"{op}: upper must be > lower, got lower={lower}, upper={upper}")
    if lower < 0:
        raise ValueError(f"{op}: lower must be non-negative, got {lower}")
    return lower, upper


def random_brightness(image, max_delta, seed=None):
    """adjust_brightness by a delta uniform in [-max_delta, max_delta)."""
    max_delta = _check_delta("random_brightness", max_delta)
    return adjust_brightness(image, _random.uniform([], -max_delta, max_delta, seed=seed))


def stateless_random_brightness(image, max_delta, seed):
    """random_brightness with the delta drawn from `seed` (shape [2])."""
    max_delta = _check_delta("stateless_random_brightness", max_delta)
    return adjust_brightness(image, _random.stateless_uniform([], seed, -max_delta, max_delta))


def random_contrast(image, lower, upper, seed=None):
    """adjust_contrast by a factor uniform in [lower, upper)."""
    lower, upper = _check_range("random_contrast", lower, upper)
    return adjust_contrast(image, _random.uniform([], lower, upper, seed=seed))


def random_saturation(image, lower, upper, seed=None):
    """adjust_saturation by a factor uniform in [lower, upper)."""
    lower, upper = _check_range("random_saturation", lower, upper)
    return adjust_saturation(image, _random.uniform([], lower, upper, seed=seed))


def random_hue(image, max_delta, seed=None):
    """adjust_hue by a delta uniform in [-max_delta, max_delta), max_delta <= 0.5."""
    max_delta = _check_delta("random_hue", max_delta, upper=0.5)
    return adjust_hue(image, _random.uniform([], -max_delta, max_delta, seed=seed))


def random_crop(value, size, seed=None, name=None):
    """A window of shape `size` at a uniformly drawn offset of `value` (any rank; the size
    must fit). The offsets are data, so the window is taken with gathers of offset +
    range(size) along each cropped axis: a compiled step crops somewhere new on every call."""
    op = "random_crop"
    value = as_image(value)
    shape = [int(d) for d in shape_of(value)]
    size = [int(s) for s in (size.numpy() if hasattr(size, "numpy") else np.asarray(size))]
    if len(size) != len(shape) or any(s > d or s < 0 for s, d in zip(size, shape)):
        raise InvalidArgumentError(f"{op}: Need value.shape >= size, got value shape {shape} "
                                   f"and size {size}")
    limit = np.array([d - s + 1 for d, s in zip(shape, size)], np.int32)
    # Uniform offsets in [0, d - s]: a draw over [0, 2^31 - 1) taken modulo the count, as TF.
    offsets = ops.mod(_random.uniform([len(shape)], 0, np.iinfo(np.int32).max,
                                      dtype=np.int32, seed=seed), limit)
    out = value
    for axis, (s, d) in enumerate(zip(size, shape)):
        if s == d:
            continue
        index = ops.add(ops.gather(offsets, axis), np.arange(s, dtype=np.int32))
        out = ops.gather(out, index, axis=axis)
    return out


__all__ = ["random_brightness", "random_contrast", "random_crop", "random_flip_left_right",
           "random_flip_up_down", "random_hue", "random_saturation",
           "stateless_random_brightness", "stateless_random_flip_left_right",
           "stateless_random_flip_up_down"]
