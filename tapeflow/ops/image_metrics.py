"""`tf.image` measures and filters: total_variation, image_gradients, sobel_edges, psnr,
ssim and extract_patches, composites of slices, pads, reductions and depthwise_conv2d.
"""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.ops.conv_more import depthwise_conv2d
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, dtype_of, shape_of
from tapeflow.ops.image_color import convert_image_dtype
from tapeflow.ops.image_geometry import as_image


def _float_images(op: str, images, ranks):
    images = as_image(images)
    shape = list(shape_of(images))
    if len(shape) not in ranks:
        wanted = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{op}: 'images' (shape {shape}) must be {wanted}-dimensional")
    if dtype_of(images).kind == "u":
        raise OpTypeError(f"{op}: images of dtype {dtype_of(images).name} are not supported "
                          "(as in TF); convert them first, e.g. with convert_image_dtype")
    return images


def total_variation(images, name=None):
    """The sum of |differences| between vertically and horizontally neighbouring pixels:
    a scalar for a 3-D image, one value per image for a 4-D batch."""
    images = _float_images("total_variation", images, (3, 4))
    rank = len(shape_of(images))
    rows = ops.subtract(images[..., 1:, :, :], images[..., :-1, :, :])
    columns = ops.subtract(images[..., :, 1:, :], images[..., :, :-1, :])
    axis = None if rank == 3 else [1, 2, 3]
    return ops.add(ops.reduce_sum(ops.abs(rows), axis=axis),
                   ops.reduce_sum(ops.abs(columns), axis=axis))


def image_gradients(image):
    """(dy, dx): the forward differences x[i+1] - x[i] along height and width of a 4-D
    batch, each zero in its last row (column) so that both keep the image's shape."""
    image = as_image(image)
    shape = list(shape_of(image))
    if len(shape) != 4:
        raise ValueError(f"image_gradients expects a 4D tensor [batch_size, h, w, d], not "
                         f"{shape}")
    dy = ops.subtract(image[:, 1:, :, :], image[:, :-1, :, :])
    dx = ops.subtract(image[:, :, 1:, :], image[:, :, :-1, :])
    dy = ops.concat([dy, ops.zeros_like(image[:, :1, :, :])], axis=1)
    dx = ops.concat([dx, ops.zeros_like(image[:, :, :1, :])], axis=2)
    return dy, dx


# Sobel's kernels: vertical change (dy) then horizontal change (dx).
_SOBEL = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                   [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])


def sobel_edges(image):
    """[batch, h, w, d, 2]: each channel filtered by Sobel's dy and dx kernels, the image
    padded by reflection (as TF's REFLECT MirrorPad) so the output keeps its size."""
    op = "sobel_edges"
    image = as_image(image)
    shape = list(shape_of(image))
    if len(shape) != 4:
        raise InvalidArgumentError(f"{op}: image must be 4-D [batch, height, width, "
                                   f"channels], got shape {shape}")
    if dtype_of(image).kind != "f":
        raise OpTypeError(f"{op}: image must be float, got {dtype_of(image).name}")
    h, w = shape[1], shape[2]
    padded = ops.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    dt = dtype_of(image)
    outputs = []
    for kernel in _SOBEL:
        total = None
        for i in range(3):
            for j in range(3):
                if kernel[i, j] == 0:
                    continue
                term = ops.multiply(padded[:, i:i + h, j:j + w, :],
                                    np.asarray(kernel[i, j], dt))
                total = term if total is None else ops.add(total, term)
        outputs.append(total)
    return ops.stack(outputs, axis=-1)


def _check_pair(op: str, a, b):
    a, b = as_image(a), as_image(b)
    sa, sb = list(shape_of(a)), list(shape_of(b))
    if len(sa) < 3 or len(sb) < 3 or sa[-3:] != sb[-3:]:
        raise ValueError(f"{op}: a and b must be images of the same [height, width, "
                         f"channels], got shapes {sa} and {sb}")
    if dtype_of(a) != dtype_of(b):
        raise OpTypeError(f"{op}: a and b must have one dtype, got {dtype_of(a).name} and "
                          f"{dtype_of(b).name}")
    return a, b


def _max_val(max_val, dtype):
    """max_val cast to the images' dtype and then converted to float32 as an image value
    (255 for uint8 images becomes 1.0, as TF does)."""
    return convert_image_dtype(ops.cast(as_image(max_val), dtype), np.float32)


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio 20 log10(max_val) - 10 log10(mse) per image, mse the mean
    squared difference over height, width and channels."""
    a, b = _check_pair("psnr", a, b)
    peak = _max_val(max_val, dtype_of(a))
    a, b = convert_image_dtype(a, np.float32), convert_image_dtype(b, np.float32)
    mse = ops.reduce_mean(ops.squared_difference(a, b), axis=[-3, -2, -1])
    log10 = np.float32(np.log(10.0))
    return ops.subtract(ops.divide(ops.multiply(np.float32(20), ops.log(peak)), log10),
                        ops.multiply(np.float32(10 / np.log(10)), ops.log(mse)))


def _gaussian(size: int, sigma: float) -> np.ndarray:
    """TF's _fspecial_gauss: a softmax over -(x^2 + y^2) / (2 sigma^2), in float32."""
    coords = np.arange(size, dtype=np.float32) - np.float32(size - 1) / np.float32(2)
    g = np.square(coords) * np.float32(-0.5 / np.square(np.float32(sigma)))
    g = (g[None, :] + g[:, None]).ravel()
    g = np.exp(g - g.max())
    return (g / g.sum()).astype(np.float32).reshape(size, size, 1, 1)


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """Structural similarity per image (the mean over channels of the mean over the VALID
    window positions of luminance * contrast-structure, windows weighted by an 11x11
    Gaussian of sigma 1.5), as TF's ssim:

        luminance = (2 mu1 mu2 + c1) / (mu1^2 + mu2^2 + c1)
        cs        = (2 s12 + c2) / (s1^2 + s2^2 + c2),    c1 = (k1 L)^2, c2 = (k2 L)^2
    """
    op = "ssim"
    img1, img2 = _check_pair(op, img1, img2)
    peak = _max_val(max_val, dtype_of(img1))
    x, y = convert_image_dtype(img1, np.float32), convert_image_dtype(img2, np.float32)
    shape = list(shape_of(x))
    if shape[-3] < filter_size or shape[-2] < filter_size:
        raise InvalidArgumentError(f"{op}: images of shape {shape} are smaller than the "
                                   f"filter ({filter_size}x{filter_size})")
    kernel = np.tile(_gaussian(filter_size, filter_sigma), [1, 1, shape[-1], 1])

    def reducer(t):
        batch = shape[:-3]
        flat = ops.reshape(t, [-1] + shape[-3:])
        out = depthwise_conv2d(flat, kernel, strides=[1, 1, 1, 1], padding="VALID")
        return ops.reshape(out, batch + list(shape_of(out))[1:])

    c1 = ops.square(ops.multiply(np.float32(k1), peak))
    c2 = ops.square(ops.multiply(np.float32(k2), peak))
    mean_x, mean_y = reducer(x), reducer(y)
    num0 = ops.multiply(ops.multiply(mean_x, mean_y), np.float32(2))
    den0 = ops.add(ops.square(mean_x), ops.square(mean_y))
    luminance = ops.divide(ops.add(num0, c1), ops.add(den0, c1))
    num1 = ops.multiply(reducer(ops.multiply(x, y)), np.float32(2))
    den1 = reducer(ops.add(ops.square(x), ops.square(y)))
    cs = ops.divide(ops.add(ops.subtract(num1, num0), c2),
                    ops.add(ops.subtract(den1, den0), c2))
    per_position = ops.multiply(luminance, cs)
    if return_index_map:
        return ops.reduce_mean(per_position, axis=[-1])
    return ops.reduce_mean(ops.reduce_mean(per_position, axis=[-3, -2]), axis=[-1])


def _four(op: str, arg: str, value) -> list[int]:
    value = [int(v) for v in value]
    if len(value) != 4 or value[0] != 1 or value[3] != 1:
        raise ValueError(f"{op}: {arg} must be [1, rows, cols, 1], got {value}")
    return value


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """[batch, out_rows, out_cols, ksize_rows * ksize_cols * depth]: the patches of a 4-D
    batch, each flattened row by row, as TF's ExtractImagePatches (padding "VALID" or
    "SAME", the latter zero-padding as a convolution does)."""
    op = "extract_patches"
    images = as_image(images)
    shape = list(shape_of(images))
    if len(shape) != 4:
        raise ValueError(f"{op}: images must be 4-D [batch, height, width, depth], got "
                         f"shape {shape}")
    _, kh, kw, _ = _four(op, "sizes", sizes)
    _, sh, sw, _ = _four(op, "strides", strides)
    _, rh, rw, _ = _four(op, "rates", rates)
    padding = padding.upper() if isinstance(padding, str) else padding
    if padding not in ("VALID", "SAME"):
        raise ValueError(f"{op}: padding must be 'VALID' or 'SAME', got {padding!r}")
    h, w = shape[1], shape[2]
    eh, ew = (kh - 1) * rh + 1, (kw - 1) * rw + 1  # the dilated patch's extent
    if padding == "VALID":
        out_h, out_w = max((h - eh) // sh + 1, 0), max((w - ew) // sw + 1, 0)
    else:
        out_h, out_w = -(-h // sh), -(-w // sw)
        pad_h = max((out_h - 1) * sh + eh - h, 0)
        pad_w = max((out_w - 1) * sw + ew - w, 0)
        images = ops.pad(images, [[0, 0], [pad_h // 2, pad_h - pad_h // 2],
                                  [pad_w // 2, pad_w - pad_w // 2], [0, 0]])
    pieces = []
    for i in range(kh):
        for j in range(kw):
            top, left = i * rh, j * rw
            pieces.append(images[:, top:top + (out_h - 1) * sh + 1:sh,
                                 left:left + (out_w - 1) * sw + 1:sw, :])
    stacked = ops.stack(pieces, axis=3)  # [batch, out_h, out_w, kh * kw, depth]
    return ops.reshape(stacked, [shape[0], out_h, out_w, kh * kw * shape[3]])


__all__ = ["extract_patches", "image_gradients", "psnr", "sobel_edges", "ssim",
           "total_variation"]
