"""More of `tf.nn`: bias_add, losses (l2, weighted sigmoid cross-entropy, log-Poisson, the
distribution-aware averages), batch normalization from moments, embedding lookup and crelu.
All are composites of primitives, so their gradients come from the ops they are made of.
"""

from __future__ import annotations

import math

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, OpTypeError, dtype_of, promote, shape_of
from tapeflow.ops.elementwise import (
    abs,
    add,
    cast,
    divide,
    exp,
    greater,
    greater_equal,
    less_equal,
    log,
    log1p,
    logical_and,
    maximum,
    minimum,
    multiply,
    negative,
    sqrt,
    subtract,
    where,
)
from tapeflow.ops.extras import divide_no_nan, float_operand, rsqrt
from tapeflow.ops.nn import relu
from tapeflow.ops.reductions import reduce_sum
from tapeflow.ops.shape import concat, gather, reshape, zeros_like


def bias_add(value, bias, data_format=None, name=None):
    """`tf.nn.bias_add`: value + bias along the channel axis: the last one for data_format
    None or 'N...C' (NHWC, NWC, ...), axis 1 for 'NC...' (NCHW, ...). bias is 1-D."""
    op = "bias_add"
    if data_format is not None:
        if data_format.startswith("NC"):
            channels_first = True
        elif data_format.startswith("N") and data_format.endswith("C"):
            channels_first = False
        else:
            raise ValueError(f"`data_format` must be of the form `N...C` or `NC...`. "
                             f"Received: data_format={data_format}")
    else:
        channels_first = False
    x, b = promote(op, value, bias)
    xs, bs = tuple(shape_of(x)), tuple(shape_of(b))
    if len(bs) != 1:
        raise InvalidArgumentError(f"{op}: biases must be 1-D, got shape {list(bs)}")
    if len(xs) < 2:
        raise InvalidArgumentError(f"{op}: the input must be at least 2-D, got shape "
                                   f"{list(xs)}")
    axis = 1 if channels_first else len(xs) - 1
    if xs[axis] != bs[0]:
        raise InvalidArgumentError(f"{op}: {bs[0]} biases for {xs[axis]} channels (axis "
                                   f"{axis} of the input of shape {list(xs)})")
    if channels_first:  # [C] -> [C, 1, ..., 1]: broadcast along the axes after the channels
        b = reshape(b, (bs[0],) + (1,) * (len(xs) - 2))
    return add(x, b)


def l2_loss(t, name=None):
    """`tf.nn.l2_loss`: sum(t^2) / 2."""
    x = float_operand("l2_loss", t)
    return multiply(reduce_sum(multiply(x, x)), 0.5)


def crelu(features, axis=-1, name=None):
    """`tf.nn.crelu`: [relu(x), relu(-x)] concatenated along `axis` (twice its size)."""
    (x,) = promote("crelu", features)
    rank = len(shape_of(x))
    if not -rank <= int(axis) < rank:
        raise InvalidArgumentError(f"crelu: axis {axis} is out of range for a tensor of "
                                   f"shape {list(shape_of(x))}")
    return concat([relu(x), relu(negative(x))], int(axis))


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """`tf.nn.batch_normalization`: scale * (x - mean) / sqrt(variance + epsilon) + offset,
    computed as TF's x * inv + (offset - mean * inv) with inv = scale * rsqrt(var + eps)."""
    op = "batch_normalization"
    x = float_operand(op, x)
    x, mean, variance = promote(op, x, mean, variance)
    inv = rsqrt(add(variance, variance_epsilon))
    if scale is not None:
        inv = multiply(inv, promote(op, x, scale)[1])
    shift = negative(multiply(mean, inv))
    if offset is not None:
        shift = add(shift, promote(op, x, offset)[1])
    return add(multiply(x, cast(inv, dtype_of(x))), cast(shift, dtype_of(x)))


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """`tf.nn.normalize_moments`: (mean, variance) from sufficient statistics: the count, the
    sum of (x - shift) and of (x - shift)^2. mean = sum / n + shift, variance =
    sumsq / n - (sum / n)^2."""
    op = "normalize_moments"
    mean_ss, variance_ss = promote(op, mean_ss, variance_ss)
    mean_ss = float_operand(op, mean_ss)
    divisor = divide(1.0, promote(op, mean_ss, counts)[1])
    shifted_mean = multiply(mean_ss, divisor)
    mean = shifted_mean if shift is None else add(shifted_mean, promote(op, mean_ss, shift)[1])
    variance = subtract(multiply(variance_ss, divisor), multiply(shifted_mean, shifted_mean))
    return mean, variance


def _same_shape(op: str, a, b, what: tuple[str, str]):
    if tuple(shape_of(a)) != tuple(shape_of(b)):
        raise ValueError(f"`{what[0]}` and `{what[1]}` must have the same shape, received "
                         f"({tuple(shape_of(a))} vs {tuple(shape_of(b))}).")


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """`tf.nn.weighted_cross_entropy_with_logits`: sigmoid cross-entropy whose positive term
    is weighted: -pos_weight z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)), computed as
    (1 - z) x + (1 + (pos_weight - 1) z) (log1p(exp(-|x|)) + max(-x, 0)), which neither
    overflows nor loses precision (TF's formula)."""
    op = "weighted_cross_entropy_with_logits"
    z, x = promote(op, labels, logits)
    x = float_operand(op, x)
    _same_shape(op, x, z, ("logits", "labels"))
    log_weight = add(multiply(subtract(promote(op, x, pos_weight)[1], 1), z), 1)
    softplus_neg = add(log1p(exp(negative(abs(x)))), relu(negative(x)))
    return add(multiply(subtract(1, z), x), multiply(log_weight, softplus_neg))


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """`tf.nn.log_poisson_loss`: exp(c) - z c, the negative log-likelihood of targets z under
    a Poisson of log-rate c, up to the constant log(z!); with `compute_full_loss`, Stirling's
    z log z - z + 0.5 log(2 pi z) for it, added where z > 1 (as TF)."""
    op = "log_poisson_loss"
    z, c = promote(op, targets, log_input)
    c = float_operand(op, c)
    _same_shape(op, c, z, ("log_input", "targets"))
    loss = subtract(exp(c), multiply(c, z))
    if not compute_full_loss:
        return loss
    # log of a clamped z: the unselected branch at z <= 1 (0 or below) stays finite, so its
    # gradient does not poison the select's with nan.
    safe = maximum(z, 1.0)
    stirling = add(subtract(multiply(z, log(safe)), z), multiply(log(multiply(safe, 2 * math.pi)),
                                                                 0.5))
    small = logical_and(greater_equal(z, zeros_like(z)), less_equal(z, 1.0))
    return add(loss, where(small, zeros_like(stirling), stirling))


def _sum_over_batch(op: str, values, batch_size):
    """sum(values) / batch_size (0 where batch_size is 0, as TF's div_no_nan); integer
    sums divide to float64, as TF's true division."""
    total = reduce_sum(values)
    dt = dtype_of(total)
    if dt.kind in "iub":
        total = cast(total, np.float64)
        dt = np.dtype(np.float64)
    return divide_no_nan(total, np.asarray(batch_size, dtype=dt))


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None,
                         name=None):
    """`tf.nn.compute_average_loss`: sum(per_example_loss * sample_weight) divided by the
    global batch size (the first axis's size times the replicas, 1 here)."""
    op = "compute_average_loss"
    (loss,) = promote(op, per_example_loss)
    if len(shape_of(loss)) == 0:
        raise ValueError(f"Invalid value passed for `per_example_loss`. Expected a tensor "
                         f"with at least rank 1. Received per_example_loss={loss} with rank 0")
    if sample_weight is not None:
        loss = multiply(loss, promote(op, loss, sample_weight)[1])
    if global_batch_size is None:
        global_batch_size = shape_of(loss)[0]
    else:
        if hasattr(global_batch_size, "numpy"):
            global_batch_size = global_batch_size.numpy()
        if not isinstance(global_batch_size, int | np.integer):
            raise TypeError(f"{op}: global_batch_size must be an integer, got "
                            f"{global_batch_size!r}")
        if global_batch_size < 0:
            raise InvalidArgumentError(f"{op}: global_batch_size must be non-negative, got "
                                       f"{global_batch_size}")
    return _sum_over_batch(op, loss, int(global_batch_size))


def scale_regularization_loss(regularization_loss, name=None):
    """`tf.nn.scale_regularization_loss`: the summed loss divided by the number of replicas
    (one: tapeflow runs on one), so it adds to compute_average_loss's result."""
    (loss,) = promote("scale_regularization_loss", regularization_loss)
    return _sum_over_batch("scale_regularization_loss", loss, 1)


def embedding_lookup(params, ids, max_norm=None, name=None):
    """`tf.nn.embedding_lookup`: the rows params[ids] (shape ids.shape + params.shape[1:]),
    a gather whose gradient reaches only the looked-up rows. A list of params is TF's "div"
    partition: the shards' rows in order, i.e. their concatenation. With `max_norm`, rows of
    larger L2 norm are scaled down to it."""
    op = "embedding_lookup"
    if isinstance(params, list | tuple):
        if not params:
            raise ValueError(f"{op}: params must not be an empty list")
        table = params[0] if len(params) == 1 else concat(list(params), 0)
    else:
        table = params
    if hasattr(table, "read_value"):
        table = table.read_value()
    (table,) = promote(op, table)
    if len(shape_of(table)) < 1:
        raise InvalidArgumentError(f"{op}: params must have rank >= 1, got a scalar")
    (ids,) = promote(op, ids) if hasattr(ids, "aval") else (np.asarray(ids),)
    if dtype_of(ids).kind not in "iu":
        raise OpTypeError(f"{op}: ids must be integers, got {dtype_of(ids).name}")
    rows = gather(table, ids)
    if max_norm is None:
        return rows
    axes = tuple(range(len(shape_of(ids)), len(shape_of(rows))))
    if not axes:
        return rows
    norm = sqrt(reduce_sum(multiply(rows, rows), axes, keepdims=True))
    # min(1, max_norm / norm), as tf.clip_by_norm (a zero row stays zero).
    ratio = minimum(divide_no_nan(promote(op, norm, max_norm)[1], norm), 1.0)
    return multiply(rows, where(greater(norm, zeros_like(norm)), ratio, add(zeros_like(ratio), 1)))
