"""`tf.image.resize` (bilinear and nearest neighbour, TF 2's half-pixel centres) and
`resize_with_pad`.

TensorFlow 2 maps output pixel i of a size-`out` axis to the input coordinate

    bilinear:  in = (i + 0.5) * scale - 0.5      scale = in_size / out_size  (float32)
    nearest:   in = floor((i + 0.5) * scale), clamped to [0, in_size - 1]

Bilinear reads the two neighbours lower = max(floor(in), 0), upper = min(ceil(in),
in_size - 1) with weight lerp = in - floor(in), and blends the rows first and then the
columns exactly as TF's kernel: top = tl + (tr - tl) * x_lerp, bottom likewise, out =
top + (bottom - top) * y_lerp. The indices and weights depend only on the sizes, so they are
computed here in numpy (float32, as TF) and the op is gathers and elementwise arithmetic:
differentiable (the gradient scatters back through the gathers) and compiled like any
composite. Bilinear returns float32 for every input dtype; nearest keeps the dtype.
"""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import InvalidArgumentError, dtype_of, is_tracer, shape_of
from tapeflow.ops.image_geometry import check_rank, pad_to_bounding_box, target_size


class ResizeMethod:
    """`tf.image.ResizeMethod`: the method names TF accepts, as plain strings (as TF's)."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


_METHODS = {v for k, v in vars(ResizeMethod).items() if not k.startswith("_")}
_IMPLEMENTED = ("bilinear", "nearest")


def _bilinear_weights(in_size: int, out_size: int):
    """(lower, upper, lerp) for each output index, as TF's compute_interpolation_weights."""
    scale = np.float32(in_size) / np.float32(out_size)
    position = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale \
        - np.float32(0.5)
    floor = np.floor(position)
    lower = np.maximum(floor, 0).astype(np.int32)
    upper = np.minimum(np.ceil(position), in_size - 1).astype(np.int32)
    lerp = (position - floor).astype(np.float32)
    return lower, upper, lerp


def _nearest_index(in_size: int, out_size: int):
    scale = np.float32(in_size) / np.float32(out_size)
    position = np.floor((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale)
    return np.clip(position, 0, in_size - 1).astype(np.int32)


def _lerp_along(x, axis: int, lower, upper, lerp):
    """Linear interpolation of x along `axis`: x[lower] + (x[upper] - x[lower]) * lerp."""
    shape = [1] * len(shape_of(x))
    shape[axis] = len(lerp)
    low = ops.gather(x, lower, axis=axis)
    high = ops.gather(x, upper, axis=axis)
    return ops.add(low, ops.multiply(ops.subtract(high, low), lerp.reshape(shape)))


def _size_arg(size, op: str) -> tuple[int, int]:
    if is_tracer(size):
        size = size.numpy()
    size = np.asarray(size)
    if size.shape != (2,):
        raise ValueError(f"{op}: 'size' must be a 1-D Tensor of 2 elements: new_height, "
                         f"new_width; got {size.tolist()!r}")
    return int(size[0]), int(size[1])


def _method_name(method, op: str) -> str:
    name = str(method)
    if name not in _METHODS:
        raise ValueError(f"{op}: Resize method is not implemented: {name}")
    if name not in _IMPLEMENTED:
        raise NotImplementedError(f"{op}: method {name!r} is not implemented in tapeflow "
                                  f"(it has {', '.join(_IMPLEMENTED)})")
    return name


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """`images` resized to `size` = [new_height, new_width] (see the module docstring)."""
    op = "resize"
    images = check_rank(op, images, arg="images")
    name = _method_name(method, op)
    if antialias and name != "nearest":
        raise NotImplementedError(f"{op}: antialias=True is not implemented in tapeflow")
    new_h, new_w = _size_arg(size, op)
    h, w = (int(d) for d in shape_of(images)[-3:-1])
    if preserve_aspect_ratio:
        # The largest size of the image's aspect ratio inside `size`, rounded half to even
        # in float32 as TF's math_ops.round.
        scale = min(np.float32(new_h) / np.float32(h), np.float32(new_w) / np.float32(w))
        new_h = int(np.round(scale * np.float32(h)))
        new_w = int(np.round(scale * np.float32(w)))
    if new_h <= 0 or new_w <= 0:
        raise InvalidArgumentError(f"{op}: output dimensions must be positive, got size "
                                   f"[{new_h}, {new_w}] for images of shape "
                                   f"{list(shape_of(images))}")
    rank = len(shape_of(images))
    h_axis, w_axis = rank - 3, rank - 2
    if name == "nearest":
        out = ops.gather(images, _nearest_index(h, new_h), axis=h_axis)
        return ops.gather(out, _nearest_index(w, new_w), axis=w_axis)
    if dtype_of(images) != np.float32:
        images = ops.cast(images, np.float32)
    # Columns first (top and bottom rows of each output pixel), then the rows, as TF does.
    y_lower, y_upper, y_lerp = _bilinear_weights(h, new_h)
    x_lower, x_upper, x_lerp = _bilinear_weights(w, new_w)
    top = _lerp_along(ops.gather(images, y_lower, axis=h_axis), w_axis, x_lower, x_upper, x_lerp)
    bottom = _lerp_along(ops.gather(images, y_upper, axis=h_axis), w_axis, x_lower, x_upper,
                         x_lerp)
    return ops.add(top, ops.multiply(ops.subtract(bottom, top), y_lerp.reshape(new_h, 1, 1)))


def resize_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR,
                    antialias=False):
    """`image` resized to fit [target_height, target_width] keeping its aspect ratio, then
    zero-padded (centred) to that size; the arithmetic in float32, as TF's."""
    op = "resize_with_pad"
    image, height, width = target_size(op, image, target_height, target_width)
    batched = len(shape_of(image)) == 4
    if not batched:
        image = ops.expand_dims(image, 0)
    h, w = (np.float32(d) for d in shape_of(image)[1:3])
    f_height, f_width = np.float32(height), np.float32(width)
    ratio = max(w / f_width, h / f_height)
    resized_h, resized_w = h / ratio, w / ratio
    pad_h = max(0, int(np.floor((f_height - resized_h) / np.float32(2))))
    pad_w = max(0, int(np.floor((f_width - resized_w) / np.float32(2))))
    resized = resize(image, [int(np.floor(resized_h)), int(np.floor(resized_w))], method,
                     antialias=antialias)
    padded = pad_to_bounding_box(resized, pad_h, pad_w, height, width)
    return padded if batched else ops.squeeze(padded, [0])


__all__ = ["ResizeMethod", "resize", "resize_with_pad"]
