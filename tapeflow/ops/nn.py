"""Neural-network functions, all composites of primitives (so their gradients come free)."""

from __future__ import annotations

import numpy as np

from tapeflow.ops.checks import check_range
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, dtype_of, promote, shape_of
from tapeflow.ops.elementwise import (
    cast,
    divide,
    equal,
    exp,
    greater,
    log,
    multiply,
    negative,
    stop_gradient,
    subtract,
    where,
)
from tapeflow.ops.reductions import normalize_axes, reduce_max, reduce_sum
from tapeflow.ops.array import expand_dims
from tapeflow.ops.shape import zeros_like


def relu(features, name=None):
    """max(x, 0), with relu'(0) = 0 as in TensorFlow (a select, not a maximum)."""
    (x,) = promote("relu", features)
    return where(greater(x, zeros_like(x)), x, zeros_like(x))


def _shifted(x, axis):
    # Subtracting the (constant) maximum keeps exp from overflowing; it cancels in the result.
    return subtract(x, stop_gradient(reduce_max(x, axis, keepdims=True)))


def softmax(logits, axis=-1, name=None):
    """exp(x) / sum(exp(x)) along `axis`."""
    (x,) = promote("softmax", logits)
    (axis,) = normalize_axes(axis, len(shape_of(x)), "softmax")
    e = exp(_shifted(x, axis))
    return divide(e, reduce_sum(e, axis, keepdims=True))


def log_softmax(logits, axis=-1, name=None):
    """x - log(sum(exp(x))) along `axis`, computed stably."""
    (x,) = promote("log_softmax", logits)
    (axis,) = normalize_axes(axis, len(shape_of(x)), "log_softmax")
    z = _shifted(x, axis)
    return subtract(z, log(reduce_sum(exp(z), axis, keepdims=True)))


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """-log softmax(logits)[label] per example; labels are class indices."""
    if labels is None or logits is None:
        raise InvalidArgumentError(
            "sparse_softmax_cross_entropy_with_logits: pass labels= and logits="
        )
    (logits,) = promote("sparse_softmax_cross_entropy_with_logits", logits)
    (labels,) = promote("sparse_softmax_cross_entropy_with_logits", labels)
    lshape, zshape = shape_of(labels), shape_of(logits)
    if dtype_of(labels).kind not in "iu":
        raise OpTypeError(
            f"sparse_softmax_cross_entropy_with_logits: labels must be integers, got "
            f"{dtype_of(labels).name}"
        )
    if len(zshape) < 1 or tuple(lshape) != tuple(zshape[:-1]):
        raise InvalidArgumentError(
            f"sparse_softmax_cross_entropy_with_logits: labels of shape {list(lshape)} do not "
            f"match logits of shape {list(zshape)} (expected labels shape {list(zshape[:-1])})"
        )
    depth = zshape[-1]
    # Checked in the kernel (eagerly and in compiled code), never by reading the labels
    # here: a Python read would record a value guard and retrace the step on every batch.
    labels = check_range(labels, 0, depth, op="sparse_softmax_cross_entropy_with_logits",
                         what="labels")
    one_hot = cast(equal(expand_dims(labels, -1), np.arange(depth, dtype=dtype_of(labels))),
                   dtype_of(logits))
    return negative(reduce_sum(multiply(one_hot, log_softmax(logits)), -1))
