"""`tf.nn.conv2d`: 2-D convolution (TensorFlow's cross-correlation) as a composite.

Each output pixel is the dot product of a kh x kw x C patch of the (padded) input with each
filter. The composite gathers the patches as kh * kw strided slices of the input, one per
filter tap, concatenated along the channels (an "im2col" of shape [N, Ho, Wo, kh*kw*C] whose
channel order is (tap row, tap column, channel), the order of the filter's first three
axes), and multiplies that by the filter reshaped to [kh*kw*C, F]: one matmul (BLAS) does the
arithmetic. Being a composite, its gradients (to any order) and its compiled form come from
the slices, the concatenation, the reshapes and the matmul.

Sizes, as TensorFlow computes them (with the dilated kernel size k' = (k - 1) * d + 1):
VALID: out = floor((in - k') / s) + 1; SAME: out = ceil(in / s), the input padded by
max((out - 1) * s + k' - in, 0) in total, the smaller half before; explicit padding
[[0, 0], [top, bottom], [left, right], [0, 0]] pads as given, then VALID.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, OpTypeError, dtype_of, promote, shape_of
from tapeflow.ops.elementwise import where
from tapeflow.ops.layout import pad
from tapeflow.ops.linalg import matmul
from tapeflow.ops.shape import concat, full_like, reshape, transpose

OP = "conv2d"


def _pair(value, what: str, op: str) -> tuple[int, int]:
    """(height, width) from an int, a pair, or TF's four-element NHWC list [1, h, w, 1]."""
    if value is None:
        return 1, 1
    if isinstance(value, int):
        values = [value, value]
    else:
        values = [int(v) for v in value]
        if len(values) == 1:
            values = values * 2
        elif len(values) == 4:
            if values[0] != 1 or values[3] != 1:
                raise InvalidArgumentError(f"{op}: {what} along the batch and channel axes must "
                                           f"be 1, got {list(value)}")
            values = values[1:3]
    if len(values) != 2 or any(v < 1 for v in values):
        raise InvalidArgumentError(f"{op}: {what} must be positive ints (1, 2 or 4 of them), "
                                   f"got {value!r}")
    return values[0], values[1]


def _padding(padding, size: int, k: int, stride: int, axis: int, op: str):
    """(pad before, pad after, output size) along one spatial axis."""
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            before = after = 0
        elif mode == "SAME":
            out = -(-size // stride)
            total = max((out - 1) * stride + k - size, 0)
            before, after = total // 2, total - total // 2
        else:
            raise InvalidArgumentError(f"{op}: padding must be 'VALID', 'SAME' or explicit "
                                       f"pairs, got {padding!r}")
    else:
        try:
            pairs = [tuple(int(v) for v in p) for p in padding]
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"{op}: explicit padding must be 4 pairs of ints, got "
                                       f"{padding!r}") from None
        if len(pairs) != 4 or any(len(p) != 2 for p in pairs) or pairs[0] != (0, 0) or \
                pairs[3] != (0, 0) or any(v < 0 for p in pairs for v in p):
            raise InvalidArgumentError(
                f"{op}: explicit padding must be [[0, 0], [top, bottom], [left, right], "
                f"[0, 0]] with non-negative sizes, got {padding!r}")
        before, after = pairs[axis]
    out = (size + before + after - k) // stride + 1
    if out <= 0:
        raise InvalidArgumentError(
            f"{op}: the (dilated) kernel of size {k} does not fit the padded input of size "
            f"{size + before + after} along axis {axis}")
    return before, after, out


def window_taps(x, ksize, strides, dilations, padding, op: str, fill=None):
    """The kh * kw taps of every window of NHWC `x`: for tap (i, j), in row-major order, the
    strided slice [N, Ho, Wo, C] of the (zero-padded) input that tap sees in each output
    position. Returns (taps, Ho, Wo). conv2d concatenates them (im2col); the pools and the
    depthwise convolution (tapeflow/ops/pooling.py, conv_more.py) combine them otherwise, so
    the window arithmetic lives only here. `fill` (a scalar, default 0) is the padding's
    value: max pooling pads with -inf, which a window then never picks."""
    (kh, kw), (sh, sw), (dh, dw) = ksize, strides, dilations
    _, h, wd, _ = shape_of(x)
    top, bottom, ho = _padding(padding, h, (kh - 1) * dh + 1, sh, 1, op)
    left, right, wo = _padding(padding, wd, (kw - 1) * dw + 1, sw, 2, op)
    if top or bottom or left or right:
        paddings = [[0, 0], [top, bottom], [left, right], [0, 0]]
        x = pad(x, paddings)
        if fill is not None:
            # A select on a constant mask, not pad's constant_values: that adds mask * value,
            # and 0 * -inf would be nan inside the input.
            inside = np.pad(np.ones((1, h, wd, 1), dtype=bool),
                            paddings)
            x = where(inside, x, full_like(x, fill))
    taps = [x[:, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw, :]
            for i in range(kh) for j in range(kw)]
    return taps, ho, wo


def conv2d(input, filters, strides=1, padding="VALID", data_format="NHWC", dilations=None,
           name=None):
    """TensorFlow's tf.nn.conv2d: `input` [N, H, W, C] (NHWC; NCHW is transposed to it),
    `filters` [kh, kw, C, F] -> [N, Ho, Wo, F] (see the module docstring)."""
    x, w = promote(OP, input, filters)
    if dtype_of(x).kind != "f":
        raise OpTypeError(f"{OP}: input and filters must be float, got "
                          f"{dtype_of(x).name}{list(shape_of(x))}")
    if data_format not in ("NHWC", "NCHW"):
        raise InvalidArgumentError(f"{OP}: data_format must be 'NHWC' or 'NCHW', got "
                                   f"{data_format!r}")
    if len(shape_of(x)) != 4 or len(shape_of(w)) != 4:
        raise OpTypeError(f"{OP}: input must be 4-D [batch, height, width, channels] and "
                          f"filters 4-D [height, width, in_channels, out_channels], got "
                          f"{list(shape_of(x))} and {list(shape_of(w))}")
    if data_format == "NCHW":
        x = transpose(x, (0, 2, 3, 1))
    c = shape_of(x)[3]
    kh, kw, fc, f = shape_of(w)
    if fc != c:
        raise InvalidArgumentError(f"{OP}: the input has {c} channels, the filters expect "
                                   f"{fc} (input {list(shape_of(x))}, filters "
                                   f"{list(shape_of(w))})")
    sh, sw = _pair(strides, "strides", OP)
    dh, dw = _pair(dilations, "dilations", OP)
    taps, ho, wo = window_taps(x, (kh, kw), (sh, sw), (dh, dw), padding, OP)
    patches = taps[0] if len(taps) == 1 else concat(taps, axis=3)
    y = matmul(reshape(patches, (-1, kh * kw * c)), reshape(w, (kh * kw * c, f)))
    y = reshape(y, (-1, ho, wo, f))
    if data_format == "NCHW":
        y = transpose(y, (0, 3, 1, 2))
    return y
