"""`tf.image` geometry: flips, rotations, crops and pads, as TensorFlow computes them.

Images are 3-D [height, width, channels] or 4-D [batch, height, width, channels]; every op
here works on the last three axes, so it is written once with negative axes (-3 is height,
-2 width). They are composites of reverse, transpose, slice and pad: no new primitives,
gradients and compiled code come with them. Sizes and offsets are static (Python ints, or
tensors read when the op is called, as TF's `constant_value` does); a bad one raises
ValueError naming the op, the argument and the image's shape, where TF raises ValueError.
"""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import is_tracer, shape_of


def as_image(image):
    """`image` as an op operand: a tensor as it is; anything else as TF's convert_to_tensor
    makes it (Python floats float32, ints int32, numpy arrays keep their dtype)."""
    if is_tracer(image) or isinstance(image, np.ndarray):
        return image
    array = np.asarray(image)
    if array.dtype == np.float64:
        return array.astype(np.float32)
    if array.dtype == np.int64:
        return array.astype(np.int32)
    return array


def check_rank(op: str, image, ranks=(3, 4), arg: str = "image"):
    """`image` as an operand, after checking it is an image of one of `ranks`."""
    image = as_image(image)
    shape = list(shape_of(image))
    if len(shape) < 3:
        raise ValueError(f"{op}: '{arg}' (shape {shape}) must be at least three-dimensional "
                         "[height, width, channels]")
    if len(shape) not in ranks:
        wanted = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{op}: '{arg}' (shape {shape}) must have {wanted} dimensions "
                         "([height, width, channels] or [batch, height, width, channels])")
    return image


def static_int(value, op: str, arg: str) -> int:
    """A size or offset argument as a Python int (a tensor's value is read)."""
    if is_tracer(value):
        value = value.numpy()
    value = np.asarray(value)
    if value.ndim != 0 or not (np.issubdtype(value.dtype, np.integer)
                               or float(value) == int(value)):
        raise ValueError(f"{op}: {arg} must be an integer scalar, got {value!r}")
    return int(value)


def _hw(image) -> tuple[int, int]:
    shape = shape_of(image)
    return int(shape[-3]), int(shape[-2])


def _swap_hw(image):
    rank = len(shape_of(image))
    perm = list(range(rank))
    perm[-3], perm[-2] = perm[-2], perm[-3]
    return ops.transpose(image, perm)


def flip_left_right(image):
    """The width axis reversed (the columns mirrored)."""
    return ops.reverse(check_rank("flip_left_right", image), [-2])


def flip_up_down(image):
    """The height axis reversed (the rows mirrored)."""
    return ops.reverse(check_rank("flip_up_down", image), [-3])


def transpose_image(image, name=None):
    """Height and width swapped (`tf.image.transpose`)."""
    return _swap_hw(check_rank("transpose", image))


def rot90(image, k=1, name=None):
    """`image` rotated k quarter turns counter-clockwise (k may be negative), as TF's
    _rot90_3D: one turn is transpose(flip_left_right(x)), three are flip_left_right of the
    transpose, two reverse both axes."""
    image = check_rank("rot90", image)
    k = static_int(k, "rot90", "k") % 4
    if k == 0:
        return image
    if k == 1:
        return _swap_hw(ops.reverse(image, [-2]))
    if k == 2:
        return ops.reverse(image, [-3, -2])
    return ops.reverse(_swap_hw(image), [-2])


def _crop(image, top: int, left: int, height: int, width: int):
    rank = len(shape_of(image))
    begin = [0] * (rank - 3) + [top, left, 0]
    size = [-1] * (rank - 3) + [height, width, -1]
    return ops.slice(image, begin, size)


def central_crop(image, central_fraction):
    """The central `central_fraction` of the height and width: int((size - size * fraction)
    / 2) rows (columns) dropped on each side, as TF computes it in float64."""
    image = check_rank("central_crop", image)
    fraction = float(central_fraction.numpy() if is_tracer(central_fraction)
                     else central_fraction)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"central_crop: central_fraction must be within (0, 1], got "
                         f"{fraction}")
    if fraction == 1.0:
        return image
    h, w = _hw(image)
    top = int((h - h * fraction) / 2)
    left = int((w - w * fraction) / 2)
    return _crop(image, top, left, h - 2 * top, w - 2 * left)


def _box_args(op, offset_height, offset_width, target_height, target_width):
    return (static_int(offset_height, op, "offset_height"),
            static_int(offset_width, op, "offset_width"),
            static_int(target_height, op, "target_height"),
            static_int(target_width, op, "target_width"))


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The [target_height, target_width] window whose top-left corner is at (offset_height,
    offset_width); the window must lie inside the image."""
    op = "crop_to_bounding_box"
    image = check_rank(op, image)
    top, left, height, width = _box_args(op, offset_height, offset_width, target_height,
                                         target_width)
    shape = list(shape_of(image))
    h, w = _hw(image)
    for arg, value in (("offset_width", left), ("offset_height", top)):
        if value < 0:
            raise ValueError(f"{op}: {arg} must be >= 0, got {value} (image shape {shape})")
    for arg, value in (("target_width", width), ("target_height", height)):
        if value <= 0:
            raise ValueError(f"{op}: {arg} must be > 0, got {value} (image shape {shape})")
    if w < left + width:
        raise ValueError(f"{op}: the image width {w} must be >= offset_width + target_width "
                         f"= {left} + {width} (image shape {shape})")
    if h < top + height:
        raise ValueError(f"{op}: the image height {h} must be >= offset_height + "
                         f"target_height = {top} + {height} (image shape {shape})")
    return _crop(image, top, left, height, width)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """`image` placed at (offset_height, offset_width) in a zero image of [target_height,
    target_width]; it must fit."""
    op = "pad_to_bounding_box"
    image = check_rank(op, image)
    top, left, height, width = _box_args(op, offset_height, offset_width, target_height,
                                         target_width)
    shape = list(shape_of(image))
    h, w = _hw(image)
    for arg, value in (("offset_height", top), ("offset_width", left)):
        if value < 0:
            raise ValueError(f"{op}: {arg} must be >= 0, got {value} (image shape {shape})")
    bottom, right = height - top - h, width - left - w
    if right < 0:
        raise ValueError(f"{op}: the image width {w} must be <= target_width - offset_width "
                         f"= {width} - {left} (image shape {shape})")
    if bottom < 0:
        raise ValueError(f"{op}: the image height {h} must be <= target_height - "
                         f"offset_height = {height} - {top} (image shape {shape})")
    rank = len(shape)
    paddings = [[0, 0]] * (rank - 3) + [[top, bottom], [left, right], [0, 0]]
    return ops.pad(image, paddings)


def target_size(op: str, image, target_height, target_width):
    """(image, height, width) for an op that makes `image` [target_height, target_width]:
    the rank checked, the sizes Python ints > 0 (TF's ValueError otherwise)."""
    image = check_rank(op, image)
    height = static_int(target_height, op, "target_height")
    width = static_int(target_width, op, "target_width")
    for arg, value in (("target_width", width), ("target_height", height)):
        if value <= 0:
            raise ValueError(f"{op}: {arg} must be > 0, got {value} (image shape "
                             f"{list(shape_of(image))})")
    return image, height, width


def resize_with_crop_or_pad(image, target_height, target_width):
    """`image` centrally cropped and/or zero-padded to [target_height, target_width]: the
    crop drops (size - target) // 2 leading rows, the pad adds (target - size) // 2."""
    op = "resize_with_crop_or_pad"
    image, height, width = target_size(op, image, target_height, target_width)
    h, w = _hw(image)
    cropped = _crop(image, max((h - height) // 2, 0), max((w - width) // 2, 0),
                    min(height, h), min(width, w))
    return pad_to_bounding_box(cropped, max((height - h) // 2, 0), max((width - w) // 2, 0),
                               height, width)


__all__ = ["central_crop", "crop_to_bounding_box", "flip_left_right", "flip_up_down",
           "pad_to_bounding_box", "resize_with_crop_or_pad", "rot90", "transpose_image"]
