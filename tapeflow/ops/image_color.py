"""`tf.image` dtypes and colour: convert_image_dtype, grayscale, HSV and the adjust_* ops.

Image dtypes follow TF's convention: a float image holds values in [0, 1], an integer one
values in [0, dtype.max] (uint8: [0, 255]). `convert_image_dtype` maps between them exactly
as TF's Python code does (the scale factors are in the function). The adjust_* ops compute in
float32 (float16 and float32 images as they are, others converted) and convert back,
saturating, to the input's dtype.

HSV (hue, saturation, value, each in [0, 1]) as TF's RGBToHSV / HSVToRGB kernels:

    V = max(R, G, B)    range = V - min(R, G, B)    S = range / V  (0 where V = 0)
    H = (G - B) / (6 range)          where R is the maximum
      = (B - R) / (6 range) + 2/6    where G is (and R is not)
      = (R - G) / (6 range) + 4/6    otherwise;   H = 0 where range = 0;  H += 1 where H < 0

    and back, with h6 = 6 H:  R = V (1 - S + S clamp(|h6 - 3| - 1, 0, 1))
                              G = V (1 - S + S clamp(2 - |h6 - 2|, 0, 1))
                              B = V (1 - S + S clamp(2 - |h6 - 4|, 0, 1))

The divisions are taken of safe denominators (1 where they would be 0) so that gradients
stay finite where a branch is not taken.
"""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import OpTypeError, canonical_dtype, dtype_of, is_tracer, shape_of
from tapeflow.ops.errors import FailedPreconditionError, InvalidArgumentError
from tapeflow.ops.image import adjust_contrast as _adjust_contrast_float
from tapeflow.ops.image import no_gradient
from tapeflow.ops.image_geometry import as_image, check_rank

_SIXTH = 1.0 / 6.0


def _is_image_dtype(dt: np.dtype) -> bool:
    return dt.kind in "fiu"


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """`image` in `dtype`, its values rescaled from one image range to the other:

    - float -> float: a cast;
    - int -> float: cast, then * 1 / in.max;
    - float -> int: * (out.max + 0.5), then cast (saturating if asked);
    - int -> wider int: cast, then * (out.max + 1) // (in.max + 1) (a left shift);
    - int -> narrower int: // (in.max + 1) // (out.max + 1), then cast.
    """
    image = as_image(image)
    source = dtype_of(image)
    target = canonical_dtype(dtype)
    if not _is_image_dtype(source):
        raise AttributeError(f"convert_image_dtype: image dtype must be either floating "
                             f"point or integer, got {source.name}")
    if not _is_image_dtype(target):
        raise AttributeError(f"convert_image_dtype: dtype must be either floating point or "
                             f"integer, got {target.name}")
    if source == target:
        return image if is_tracer(image) else ops.identity(image)
    to = ops.saturate_cast if saturate else ops.cast
    if source.kind in "iu" and target.kind in "iu":
        in_max, out_max = int(np.iinfo(source).max), int(np.iinfo(target).max)
        if in_max > out_max:
            scale = (in_max + 1) // (out_max + 1)
            return to(ops.floordiv(image, np.asarray(scale, source)), target)
        scale = (out_max + 1) // (in_max + 1)
        return ops.multiply(to(image, target), np.asarray(scale, target))
    if source.kind == "f" and target.kind == "f":
        return ops.cast(image, target)
    if source.kind in "iu":
        return ops.multiply(ops.cast(image, target),
                            np.asarray(1.0 / np.iinfo(source).max, target))
    scaled = ops.multiply(image, np.asarray(np.iinfo(target).max + 0.5, source))
    return to(scaled, target)


def _to_float(image):
    """(float image, its original dtype): float16/float32 as they are, others float32."""
    image = as_image(image)
    dt = dtype_of(image)
    if dt in (np.float16, np.float32):
        return image, dt
    return convert_image_dtype(image, np.float32), dt


def _from_float(image, dtype):
    return convert_image_dtype(image, dtype, saturate=True)


def _scalar(value, dtype, op: str, arg: str):
    value = as_image(value)
    if shape_of(value) != ():
        raise ValueError(f"{op}: {arg} must be a scalar, got shape {list(shape_of(value))}")
    return ops.cast(value, dtype) if dtype_of(value) != dtype else value


def _check_channels(op: str, images, error=InvalidArgumentError):
    shape = list(shape_of(images))
    if len(shape) < 1 or shape[-1] != 3:
        raise error(f"{op}: images must have 3 channels (the last axis), got shape {shape}")


def rgb_to_grayscale(images, name=None):
    """The luma 0.2989 R + 0.5870 G + 0.1140 B, as [..., 1], in the input's dtype."""
    images = as_image(images)
    _check_channels("rgb_to_grayscale", images)
    flt, dtype = as_image(convert_image_dtype(images, np.float32)), dtype_of(images)
    weights = np.array([0.2989, 0.5870, 0.1140], np.float32)
    gray = ops.reduce_sum(ops.multiply(flt, weights), axis=-1, keepdims=True)
    return convert_image_dtype(gray, dtype)


def grayscale_to_rgb(images, name=None):
    """The single channel repeated three times."""
    images = as_image(images)
    shape = list(shape_of(images))
    if len(shape) < 2:
        raise ValueError(f"grayscale_to_rgb: a grayscale image (shape {shape}) must be at "
                         "least two-dimensional")
    if shape[-1] != 1:
        raise ValueError(f"grayscale_to_rgb: the last dimension of a grayscale image should "
                         f"be size 1, got shape {shape}")
    return ops.tile(images, [1] * (len(shape) - 1) + [3])


def _check_float(op: str, images):
    images = as_image(images)
    if dtype_of(images).kind != "f":
        raise OpTypeError(f"{op}: images must be float (float16, float32, float64), got "
                          f"{dtype_of(images).name}{list(shape_of(images))}")
    return images


def _channels(images):
    return ops.unstack(images, axis=-1)


def _safe(denominator):
    """`denominator` with its zeros replaced by ones (callers mask those entries)."""
    zero = ops.equal(denominator, np.asarray(0, dtype_of(denominator)))
    return ops.where(zero, ops.ones_like(denominator), denominator)


def _hsv(images):
    """(H, S, V) of float RGB images (the formulas in the module docstring)."""
    r, g, b = _channels(images)
    dt = dtype_of(images)
    value = ops.maximum(ops.maximum(r, g), b)
    spread = ops.subtract(value, ops.minimum(ops.minimum(r, g), b))
    zero = np.asarray(0, dt)
    saturation = ops.where(ops.greater(value, zero), ops.divide(spread, _safe(value)),
                           ops.zeros_like(value))
    norm = ops.divide(np.asarray(_SIXTH, dt), _safe(spread))
    hue = ops.where(
        ops.equal(r, value), ops.multiply(norm, ops.subtract(g, b)),
        ops.where(ops.equal(g, value),
                  ops.add(ops.multiply(norm, ops.subtract(b, r)), np.asarray(2 * _SIXTH, dt)),
                  ops.add(ops.multiply(norm, ops.subtract(r, g)), np.asarray(4 * _SIXTH, dt))))
    hue = ops.where(ops.greater(spread, zero), hue, ops.zeros_like(hue))
    hue = ops.where(ops.less(hue, zero), ops.add(hue, np.asarray(1, dt)), hue)
    return hue, saturation, value


def _rgb(hue, saturation, value):
    """Float RGB images of (H, S, V) (the formulas in the module docstring)."""
    dt = dtype_of(hue)

    def const(v):
        return np.asarray(v, dt)

    h6 = ops.multiply(hue, const(6))
    red = ops.subtract(ops.abs(ops.subtract(h6, const(3))), const(1))
    green = ops.subtract(const(2), ops.abs(ops.subtract(h6, const(2))))
    blue = ops.subtract(const(2), ops.abs(ops.subtract(h6, const(4))))
    one_minus_s = ops.subtract(const(1), saturation)
    channels = [ops.multiply(ops.add(one_minus_s, ops.multiply(
        saturation, ops.clip_by_value(c, const(0), const(1)))), value)
        for c in (red, green, blue)]
    return ops.stack(channels, axis=-1)


def rgb_to_hsv(images, name=None):
    """RGB float images as HSV, each in [0, 1] (see the module docstring)."""
    images = _check_float("rgb_to_hsv", images)
    _check_channels("rgb_to_hsv", images, FailedPreconditionError)
    return ops.stack(list(_hsv(images)), axis=-1)


def hsv_to_rgb(images, name=None):
    """HSV float images as RGB (see the module docstring)."""
    images = _check_float("hsv_to_rgb", images)
    _check_channels("hsv_to_rgb", images, FailedPreconditionError)
    return _rgb(*_channels(images))


def adjust_brightness(image, delta):
    """`image` + delta in float, then back to its dtype (saturating)."""
    flt, dtype = _to_float(image)
    delta = _scalar(delta, dtype_of(flt), "adjust_brightness", "delta")
    return _from_float(ops.add(flt, delta), dtype)


def adjust_contrast(images, contrast_factor, name=None):
    """(x - mean) * contrast_factor + mean per image and channel. Integer images are
    converted to float32 and back, saturating, as TF; float images are computed in their
    own dtype (float64 too, where TF would round through float32)."""
    images = as_image(images)
    if dtype_of(images).kind == "f":
        return _adjust_contrast_float(images, contrast_factor)
    flt, dtype = _to_float(images)
    return _from_float(_adjust_contrast_float(flt, contrast_factor), dtype)


def adjust_saturation(image, saturation_factor, name=None):
    """The saturation of each pixel scaled by `saturation_factor` and clipped to [0, 1].
    TF's kernel (AdjustSaturation) has no gradient, and neither has this."""
    op = "adjust_saturation"
    flt, dtype = _to_float(check_rank(op, image, ranks=(3, 4, 5, 6, 7, 8)))
    _check_channels(op, flt)
    factor = _scalar(saturation_factor, dtype_of(flt), op, "saturation_factor")
    hue, saturation, value = _hsv(flt)
    saturation = ops.clip_by_value(ops.multiply(saturation, factor), np.asarray(0, dtype_of(flt)),
                                   np.asarray(1, dtype_of(flt)))
    return _from_float(no_gradient(_rgb(hue, saturation, value), "AdjustSaturation"), dtype)


def adjust_hue(image, delta, name=None):
    """The hue of each pixel rotated by `delta` (in [-1, 1]; hue wraps around 1). TF's
    kernel (AdjustHue) has no gradient, and neither has this."""
    op = "adjust_hue"
    flt, dtype = _to_float(check_rank(op, image, ranks=(3, 4, 5, 6, 7, 8)))
    _check_channels(op, flt)
    if not is_tracer(delta) and not -1 <= float(delta) <= 1:
        raise ValueError(f"{op}: delta must be in the interval [-1, 1], got {float(delta)}")
    delta = _scalar(delta, dtype_of(flt), op, "delta")
    hue, saturation, value = _hsv(flt)
    hue = ops.mod(ops.add(hue, delta), np.asarray(1, dtype_of(flt)))  # floor mod: [0, 1)
    return _from_float(no_gradient(_rgb(hue, saturation, value), "AdjustHue"), dtype)


def adjust_gamma(image, gamma=1, gain=1):
    """gain * image ** gamma in float, then back to the image's dtype (saturating)."""
    op = "adjust_gamma"
    flt, dtype = _to_float(image)
    if not is_tracer(gamma) and float(gamma) < 0:
        raise ValueError(f"{op}: Gamma should be a non-negative real number, got "
                         f"{float(gamma)}")
    gamma = _scalar(gamma, dtype_of(flt), op, "gamma")
    gain = _scalar(gain, dtype_of(flt), op, "gain")
    return _from_float(ops.multiply(gain, ops.pow(flt, gamma)), dtype)


def per_image_standardization(image):
    """(x - mean) / max(stddev, 1 / sqrt(N)) over each image's N = height * width *
    channels values, in float32 (any input dtype is cast, as TF 2.21 does)."""
    image = check_rank("per_image_standardization", image, ranks=range(3, 9))
    if dtype_of(image) != np.float32:
        image = ops.cast(image, np.float32)
    count = int(np.prod(shape_of(image)[-3:]))
    axes = [-1, -2, -3]
    mean = ops.reduce_mean(image, axis=axes, keepdims=True)
    stddev = ops.reduce_std(image, axis=axes, keepdims=True)
    # The floor 1/sqrt(N) keeps a uniform image (stddev 0) from dividing by zero.
    floor = np.asarray(1.0 / np.sqrt(np.float32(count)), np.float32)
    return ops.divide(ops.subtract(image, mean), ops.maximum(stddev, floor))


__all__ = ["adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
           "adjust_saturation", "convert_image_dtype", "grayscale_to_rgb", "hsv_to_rgb",
           "per_image_standardization", "rgb_to_grayscale", "rgb_to_hsv"]
