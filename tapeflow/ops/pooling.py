"""`tf.nn` pooling: max_pool2d, avg_pool2d, their 1-D forms and max_pool/avg_pool (by rank),
composites of the window taps conv2d uses (`conv.window_taps`: one strided slice per tap).

Max pooling stacks the taps on a last axis and keeps, in each window, the tap `argmax` picks:
the first maximum in row-major window order. Selecting it with a `where` (not `reduce_max`,
whose gradient splits among ties) sends a window's gradient to that one input, as
TensorFlow's MaxPoolGrad does; overlapping windows add up. SAME padding pads with -inf (the
lowest integer for integer tensors), which no window picks over a real value.

Average pooling sums the taps of the zero-padded input and divides by the number of real
(not padding) inputs in each window, a constant computed once in numpy: TensorFlow's SAME
average leaves the padding out of the count.

Sizes are conv2d's (see tapeflow/ops/conv.py): VALID out = floor((in - k) / s) + 1, SAME
out = ceil(in / s).
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.array import expand_dims, squeeze, stack
from tapeflow.ops.conv import _padding, window_taps
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, dtype_of, promote, shape_of
from tapeflow.ops.elementwise import add, divide, equal, where
from tapeflow.ops.errors import UnimplementedError
from tapeflow.ops.reductions import reduce_sum
from tapeflow.ops.shape import transpose, zeros_like
from tapeflow.ops.sorting import argmax

_SPATIAL_FIRST = {1: "NWC", 2: "NHWC"}
_CHANNELS_FIRST = {1: "NCW", 2: "NCHW"}


def _window(value, spatial: int, what: str, channels_first: bool, op: str) -> tuple:
    """ksize or strides as `spatial` ints: an int, a list of 1, of `spatial`, or of
    spatial + 2 (batch and channel entries included, which must be 1)."""
    values = [int(value)] if isinstance(value, int | np.integer) else [int(v) for v in value]
    n = len(values)
    if n == 1:
        values = values * spatial
    elif n == spatial + 2:
        outer = (values[0], values[1]) if channels_first else (values[0], values[-1])
        if outer != (1, 1):
            raise UnimplementedError(f"{op}: pooling along the batch or channel axis is not "
                                     f"supported: {what}={list(value)}")
        values = values[2:] if channels_first else values[1:-1]
    elif n != spatial:
        raise ValueError(f"{what} should be of length 1, {spatial} or {spatial + 2}. "
                         f"Received: {what}={list(value)} of length {n}")
    if any(v < 1 for v in values):
        raise InvalidArgumentError(f"{op}: sliding window {what} must be positive, got "
                                   f"{what}={list(value) if n > 1 else value}")
    return tuple(values)


def _check_padding(padding, op: str, explicit: bool):
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            raise InvalidArgumentError(f"{op}: padding must be \"SAME\" or \"VALID\" "
                                       f"(upper case), got {padding!r}")
    elif not explicit:
        raise TypeError(f"{op}: expected a string for padding (\"SAME\" or \"VALID\"), got "
                        f"{padding!r}")


def _pool(kind: str, input, ksize, strides, padding, data_format, spatial: int, op: str):
    """The pooling of NHWC / NCHW (spatial 2) or NWC / NCW (spatial 1) `input`."""
    (x,) = promote(op, input)
    dt = dtype_of(x)
    if kind == "avg" and dt.kind != "f":
        raise OpTypeError(f"{op}: averages need a float tensor, got {dt.name} "
                          f"{list(shape_of(x))} (cast it with tf.cast)")
    if kind == "max" and dt.kind not in "fiu":
        raise OpTypeError(f"{op}: expects a numeric tensor, got {dt.name}")
    if data_format not in (_SPATIAL_FIRST[spatial], _CHANNELS_FIRST[spatial]):
        raise InvalidArgumentError(f"{op}: data_format must be {_SPATIAL_FIRST[spatial]!r} or "
                                   f"{_CHANNELS_FIRST[spatial]!r}, got {data_format!r}")
    rank = spatial + 2
    if len(shape_of(x)) != rank:
        raise InvalidArgumentError(f"{op}: input must be {rank}-D "
                                   f"[batch, {'width' if spatial == 1 else 'height, width'}, "
                                   f"channels], got shape {list(shape_of(x))}")
    channels_first = data_format == _CHANNELS_FIRST[spatial]
    k = _window(ksize, spatial, "ksize", channels_first, op)
    s = _window(strides, spatial, "strides", channels_first, op)
    _check_padding(padding, op, explicit=(kind == "max" and spatial == 2))
    if channels_first:
        x = transpose(x, (0, 2, 3, 1) if spatial == 2 else (0, 2, 1))
    if spatial == 1:  # a 1-D pool is the 2-D pool of a height-1 image
        x = expand_dims(x, 1)
        k, s = (1,) + k, (1,) + s
        if not isinstance(padding, str):
            padding = [[0, 0], [0, 0]] + list(padding)[1:]
    if kind == "max":
        y = _max_of_windows(x, k, s, padding, op)
    else:
        y = _mean_of_windows(x, k, s, padding, op)
    if spatial == 1:
        y = squeeze(y, 1)
    if channels_first:
        y = transpose(y, (0, 3, 1, 2) if spatial == 2 else (0, 2, 1))
    return y


def _max_of_windows(x, k, s, padding, op):
    dt = dtype_of(x)
    lowest = -np.inf if dt.kind == "f" else np.iinfo(dt).min
    taps, _, _ = window_taps(x, k, s, (1, 1), padding, op, fill=lowest)
    if len(taps) == 1:
        return taps[0]
    windows = stack(taps, axis=-1)  # [N, Ho, Wo, C, kh * kw]
    # The first maximum of each window (argmax's ties go to the lowest index), selected:
    # the gradient reaches that input only.
    first = expand_dims(argmax(windows, axis=-1, output_type=np.int32), -1)
    picked = equal(first, np.arange(len(taps), dtype=np.int32))
    return reduce_sum(where(picked, windows, zeros_like(windows)), axis=-1)


def _mean_of_windows(x, k, s, padding, op):
    taps, _, _ = window_taps(x, k, s, (1, 1), padding, op)
    total = taps[0]
    for tap in taps[1:]:
        total = add(total, tap)
    # How many real inputs each window holds: the same windows over ones, in numpy.
    counts = np.ones(1, dtype=dtype_of(x))
    for axis in (1, 2):
        counts = np.multiply.outer(counts, _real_counts(shape_of(x)[axis], k[axis - 1],
                                                        s[axis - 1], padding, axis, op))
    return divide(total, counts.reshape(counts.shape + (1,)).astype(dtype_of(x)))


def _real_counts(size: int, k: int, stride: int, padding, axis: int, op: str) -> np.ndarray:
    """How many real (not padding) inputs each window along one axis covers; a window's
    count is the product of its counts along the two axes."""
    before, after, out = _padding(padding, size, k, stride, axis, op)
    real = np.pad(np.ones(size), (before, after))
    return np.array([real[o * stride:o * stride + k].sum() for o in range(out)])


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """`tf.nn.max_pool2d`: the maximum of each window of NHWC (or NCHW) `input`."""
    return _pool("max", input, ksize, strides, padding, data_format, 2, "max_pool2d")


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """`tf.nn.avg_pool2d`: the mean of each window (SAME: of its real inputs)."""
    return _pool("avg", input, ksize, strides, padding, data_format, 2, "avg_pool2d")


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """`tf.nn.max_pool1d`: the maximum of each window of NWC (or NCW) `input`."""
    return _pool("max", input, ksize, strides, padding, data_format, 1, "max_pool1d")


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """`tf.nn.avg_pool1d`: the mean of each window of NWC (or NCW) `input`."""
    return _pool("avg", input, ksize, strides, padding, data_format, 1, "avg_pool1d")


def _by_rank(kind: str, input, ksize, strides, padding, data_format, op: str):
    (x,) = promote(op, input)
    rank = len(shape_of(x))
    if rank not in (3, 4, 5):
        raise ValueError(f"`input.shape.rank` must be 3, 4 or 5. Received: "
                         f"input.shape={tuple(shape_of(x))} of rank {rank}.")
    if rank == 5:
        raise UnimplementedError(f"{op}: 3-D pooling (a rank-5 input, shape "
                                 f"{list(shape_of(x))}) is not implemented in tapeflow")
    spatial = rank - 2
    if data_format is None:
        data_format = _SPATIAL_FIRST[spatial]
    return _pool(kind, x, ksize, strides, padding, data_format, spatial, op)


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """`tf.nn.max_pool`: 1-D or 2-D max pooling, chosen by the input's rank (3 or 4)."""
    return _by_rank("max", input, ksize, strides, padding, data_format, "max_pool")


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    """`tf.nn.avg_pool`: 1-D or 2-D average pooling, chosen by the input's rank (3 or 4)."""
    return _by_rank("avg", input, ksize, strides, padding, data_format, "avg_pool")
