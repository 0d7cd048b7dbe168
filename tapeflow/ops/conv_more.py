"""`tf.nn.conv1d`, `conv2d_transpose` and `depthwise_conv2d`, composites over conv2d's pieces
(tapeflow/ops/conv.py), so their gradients and compiled forms come from the ops they use.

- conv1d is conv2d of a height-1 image: input [N, W, C] -> [N, 1, W, C], filters
  [kw, C, F] -> [1, kw, C, F].
- conv2d_transpose is the gradient of conv2d with respect to its input: each input pixel
  spreads its value, weighted by the filter, over the output pixels whose window contains it.
  Written as a convolution: the input is dilated (s - 1 zeros between neighbours, the
  `pad_strided` primitive places it at stride s in a zero array) and padded by k' - 1 - p
  before (p: the forward convolution's padding before, k' the dilated kernel size), then
  convolved (VALID, stride 1) with the filter flipped in both spatial axes and its channel
  axes swapped: out[i] = sum_k x'[i + p - k] w[k] = sum_k' x'[i + p - (K-1) + k'] w[K-1-k'].
- depthwise_conv2d convolves each input channel with its own M filters: output channel
  c * M + m is channel c of the window taps times filter[:, :, c, m], summed over the taps.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.array import expand_dims, squeeze
from tapeflow.ops.conv import _padding, _pair, conv2d, window_taps
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, bind, dtype_of, promote, shape_of
from tapeflow.ops.elementwise import add, multiply
from tapeflow.ops.shape import pad_strided_p, reshape, transpose


def _floats(op: str, x, w):
    x, w = promote(op, x, w)
    if dtype_of(x).kind != "f":
        raise OpTypeError(f"{op}: input and filters must be float, got "
                          f"{dtype_of(x).name}{list(shape_of(x))}")
    return x, w


def _formats(data_format, allowed: tuple, op: str) -> bool:
    """Whether `data_format` (one of `allowed`, channels-last first) puts channels first."""
    if data_format not in allowed:
        raise InvalidArgumentError(f"{op}: data_format must be {allowed[0]!r} or "
                                   f"{allowed[1]!r}, got {data_format!r}")
    return data_format == allowed[1]


def _one(value, what: str, op: str, channels_first: bool) -> int:
    """conv1d's stride / dilation: an int, a list of 1, or of 3 with 1 for batch and
    channels."""
    if value is None:
        return 1
    values = [int(value)] if isinstance(value, int | np.integer) else [int(v) for v in value]
    if len(values) == 3:
        outer = (values[0], values[1]) if channels_first else (values[0], values[2])
        if outer != (1, 1):
            raise InvalidArgumentError(f"{op}: {what} along the batch and channel axes must "
                                       f"be 1, got {list(value)}")
        values = [values[2] if channels_first else values[1]]
    if len(values) != 1 or values[0] < 1:
        raise InvalidArgumentError(f"{op}: {what} must be a positive int (or a list of 1 or "
                                   f"3), got {value!r}")
    return values[0]


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None,
           name=None):
    """`tf.nn.conv1d`: input [N, W, C] (or NCW), filters [kw, C, F] -> [N, Wo, F]."""
    op = "conv1d"
    x, w = _floats(op, input, filters)
    channels_first = _formats(data_format, ("NWC", "NCW"), op)
    if len(shape_of(x)) != 3 or len(shape_of(w)) != 3:
        raise InvalidArgumentError(f"{op}: input must be 3-D [batch, width, channels] and "
                                   f"filters 3-D [width, in_channels, out_channels], got "
                                   f"{list(shape_of(x))} and {list(shape_of(w))}")
    if channels_first:
        x = transpose(x, (0, 2, 1))
    if shape_of(x)[2] != shape_of(w)[1]:
        raise InvalidArgumentError(f"{op}: the input has {shape_of(x)[2]} channels, the "
                                   f"filters expect {shape_of(w)[1]} (input "
                                   f"{list(shape_of(x))}, filters {list(shape_of(w))})")
    s = _one(stride, "stride", op, channels_first)
    d = _one(dilations, "dilations", op, channels_first)
    if not isinstance(padding, str):  # explicit [[0, 0], [left, right], [0, 0]]
        padding = [[0, 0], [0, 0]] + [list(p) for p in padding][1:]
    y = conv2d(expand_dims(x, 1), expand_dims(w, 0), strides=(1, s), padding=padding,
               dilations=(1, d))
    y = squeeze(y, 1)
    return transpose(y, (0, 2, 1)) if channels_first else y


def _static_shape(output_shape, op: str) -> list[int]:
    value = output_shape.numpy() if hasattr(output_shape, "numpy") else output_shape
    sizes = [int(v) for v in np.ravel(np.asarray(value))]
    if len(sizes) != 4 or any(v < 1 for v in sizes):
        raise InvalidArgumentError(f"{op}: output_shape must be 4 positive sizes, got "
                                   f"{sizes}")
    return sizes


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NHWC", dilations=None, name=None):
    """`tf.nn.conv2d_transpose`: input [N, H, W, C_in], filters [kh, kw, C_out, C_in] ->
    `output_shape` [N, Ho, Wo, C_out], the input's gradient of a conv2d (module docstring)."""
    op = "conv2d_transpose"
    x, w = _floats(op, input, filters)
    channels_first = _formats(data_format, ("NHWC", "NCHW"), op)
    if len(shape_of(x)) != 4 or len(shape_of(w)) != 4:
        raise InvalidArgumentError(f"{op}: input must be 4-D and filters 4-D [height, width, "
                                   f"out_channels, in_channels], got {list(shape_of(x))} and "
                                   f"{list(shape_of(w))}")
    if not isinstance(padding, str):
        raise InvalidArgumentError(f"{op}: padding must be 'SAME' or 'VALID' in tapeflow, "
                                   f"got {padding!r}")
    out = _static_shape(output_shape, op)
    if channels_first:
        x = transpose(x, (0, 2, 3, 1))
        out = [out[0], out[2], out[3], out[1]]
    n, h, wd, c = shape_of(x)
    kh, kw, c_out, c_in = shape_of(w)
    if c_in != c or out[3] != c_out or out[0] != n:
        raise InvalidArgumentError(
            f"{op}: input {list(shape_of(x))} (NHWC), filters {list(shape_of(w))} and "
            f"output_shape {out} (NHWC) disagree: the filters' last axis must be the input's "
            f"channels, their third the output's, and the batch sizes must match")
    sh, sw = _pair(strides, "strides", op)
    dh, dw = _pair(dilations, "dilations", op)
    slices, padded = [(0, n, 1)], [n]
    for axis, size, k, s, got in ((1, out[1], (kh - 1) * dh + 1, sh, h),
                                  (2, out[2], (kw - 1) * dw + 1, sw, wd)):
        before, _, back = _padding(padding, size, k, s, axis, op)
        if back != got:
            raise InvalidArgumentError(
                f"{op}: an output of size {size} along axis {axis} convolves back to size "
                f"{back} ({padding}, kernel {k}, stride {s}), not the input's {got} (input "
                f"{list(shape_of(x))}, output_shape {out})")
        start = k - 1 - before
        slices.append((start, start + (got - 1) * s + 1, s))
        padded.append(size + k - 1)
    slices.append((0, c, 1))
    padded.append(c)
    # The input dilated by the stride and padded, in one op whose gradient is the slice back.
    xp = bind(pad_strided_p, x, slices=tuple(slices), shape=tuple(padded))
    flipped = transpose(w[::-1, ::-1], (0, 1, 3, 2))  # [kh, kw, C_in, C_out]
    y = conv2d(xp, flipped, strides=1, padding="VALID", dilations=(dh, dw))
    return transpose(y, (0, 3, 1, 2)) if channels_first else y


def depthwise_conv2d(input, filter, strides, padding, data_format=None,
                     dilations=None, name=None):
    """`tf.nn.depthwise_conv2d`: input [N, H, W, C], filter [kh, kw, C, M] ->
    [N, Ho, Wo, C * M], channel c * M + m the convolution of channel c with filter[..., c, m].
    `strides` is a list of 4 in data_format's order; `dilations` (TF's `rate`) a list of 2."""
    op = "depthwise_conv2d"
    x, w = _floats(op, input, filter)
    channels_first = _formats(data_format or "NHWC", ("NHWC", "NCHW"), op)
    if isinstance(strides, int | np.integer) or len(list(strides)) != 4:
        raise TypeError(f"{op}: strides must be a list of 4 ints, got {strides!r}")
    strides = [int(v) for v in strides]
    if len(shape_of(x)) != 4 or len(shape_of(w)) != 4:
        raise InvalidArgumentError(f"{op}: input must be 4-D and filter 4-D [height, width, "
                                   f"in_channels, channel_multiplier], got "
                                   f"{list(shape_of(x))} and {list(shape_of(w))}")
    if channels_first:
        x = transpose(x, (0, 2, 3, 1))
        strides = [strides[0], strides[2], strides[3], strides[1]]
    c = shape_of(x)[3]
    kh, kw, fc, m = shape_of(w)
    if fc != c:
        raise InvalidArgumentError(f"{op}: the input has {c} channels, the filter expects "
                                   f"{fc} (input {list(shape_of(x))}, filter "
                                   f"{list(shape_of(w))})")
    s = _pair(strides, "strides", op)
    d = _pair(dilations, "dilations", op)
    taps, ho, wo = window_taps(x, (kh, kw), s, d, padding, op)
    total = None
    for t, tap in enumerate(taps):
        # [N, Ho, Wo, C, 1] * [C, M]: each channel times its M weights of this tap.
        term = multiply(expand_dims(tap, -1), w[t // kw, t % kw])
        total = term if total is None else add(total, term)
    y = reshape(total, (-1, ho, wo, c * m))
    return transpose(y, (0, 3, 1, 2)) if channels_first else y
