"""Neural-network functions, all composites of primitives (so their gradients come free,
to any order, and their elementwise parts fuse into one compiled loop)."""

from __future__ import annotations

import numpy as np

from tapeflow.ops.array import expand_dims
from tapeflow.ops.checks import check_range
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, dtype_of, promote, shape_of
from tapeflow.ops.elementwise import (
    abs,
    add,
    cast,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    log,
    minimum,
    multiply,
    negative,
    sigmoid,
    softplus,
    stop_gradient,
    subtract,
    tanh,
    where,
)
from tapeflow.ops.mathops import erf, expm1
from tapeflow.ops.reductions import normalize_axes, reduce_max, reduce_sum
from tapeflow.ops.shape import full_like, transpose, zeros_like
from tapeflow.ops.softmax import softmax_last


def relu(features, name=None):
    """max(x, 0), with relu'(0) = 0 as in TensorFlow (a select, not a maximum)."""
    (x,) = promote("relu", features)
    return where(greater(x, zeros_like(x)), x, zeros_like(x))


def _float_features(op: str, features):
    (x,) = promote(op, features)
    if dtype_of(x).kind != "f":
        raise OpTypeError(f"{op}: expects a float tensor, got {dtype_of(x).name} "
                          f"{list(shape_of(x))} (cast it with tf.cast)")
    return x


def _negative_part(x):
    # exp of the clamped input: an unselected exp(x) of a large x would overflow to inf, and
    # its gradient (0 * inf) would poison the select's cotangent with nan.
    return expm1(minimum(x, zeros_like(x)))


def elu(features, name=None):
    """x for x >= 0, exp(x) - 1 otherwise.

    At 0 the linear side is the one taken, as in TensorFlow's EluGrad (which tests the
    output for < 0): the first derivative there is 1 either way, the second is 0, not 1."""
    x = _float_features("elu", features)
    return where(greater_equal(x, zeros_like(x)), x, _negative_part(x))


# SELU's constants (Klambauer et al. 2017), as TensorFlow's kernel has them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(features, name=None):
    """scale * (x for x >= 0, alpha * (exp(x) - 1) otherwise), self-normalising.

    At 0 the linear side is the one taken, as in TensorFlow's SeluGrad (which tests the
    output for < 0): the gradient there is scale, not scale * alpha."""
    x = _float_features("selu", features)
    negative_part = multiply(_negative_part(x), _SELU_ALPHA)
    return multiply(where(greater_equal(x, zeros_like(x)), x, negative_part), _SELU_SCALE)


_SQRT_HALF = 0.7071067811865476
_SQRT_TWO_OVER_PI = 0.7978845608028654


def gelu(features, approximate=False, name=None):
    """x * P(X <= x) for X ~ N(0, 1): 0.5 x (1 + erf(x / sqrt 2)); with `approximate`,
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))."""
    x = _float_features("gelu", features)
    if approximate:
        inner = multiply(add(x, multiply(multiply(multiply(x, x), x), 0.044715)),
                         _SQRT_TWO_OVER_PI)
        return multiply(multiply(x, 0.5), add(tanh(inner), 1))
    return multiply(multiply(x, 0.5), add(erf(multiply(x, _SQRT_HALF)), 1))


def leaky_relu(features, alpha=0.2, name=None):
    """x for x > 0, alpha * x otherwise (the gradient at 0 is alpha, as TensorFlow's).
    Integer features are cast to float32 first, as TF does (alpha is a float)."""
    (x,) = promote("leaky_relu", features)
    if dtype_of(x).kind in "iu":
        x = cast(x, np.float32)
    x = _float_features("leaky_relu", x)
    return where(greater(x, zeros_like(x)), x, multiply(x, float(alpha)))


def relu6(features, name=None):
    """min(max(x, 0), 6); the gradient is 1 strictly inside (0, 6), 0 elsewhere (as TF).
    Integer tensors stay integers, as TF's Relu6."""
    (x,) = promote("relu6", features)
    if dtype_of(x).kind not in "iu":
        x = _float_features("relu6", x)
    zeros = zeros_like(x)
    six = full_like(x, 6)
    return where(greater(x, zeros), where(less(x, six), x, six), zeros)


def silu(features, beta=1.0, name=None):
    """x * sigmoid(beta * x) (swish)."""
    x = _float_features("silu", features)
    if beta == 1.0:
        return multiply(x, sigmoid(x))
    return multiply(x, sigmoid(multiply(x, beta)))


swish = silu


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    x = _float_features("log_sigmoid", x)
    return negative(softplus(negative(x)))


def softsign(features, name=None):
    """x / (1 + |x|)."""
    x = _float_features("softsign", features)
    return divide(x, add(abs(x), 1))


def _shifted(x, axis):
    # Subtracting the (constant) maximum keeps exp from overflowing; it cancels in the result.
    return subtract(x, stop_gradient(reduce_max(x, axis, keepdims=True)))


def softmax(logits, axis=-1, name=None):
    """exp(x) / sum(exp(x)) along `axis`. float32 and float64 go through one primitive over
    the last axis (float32 rounded as TensorFlow's CPU kernel rounds: tapeflow/ops/softmax.py);
    other float dtypes are the composite."""
    x = _float_features("softmax", logits)
    (axis,) = normalize_axes(axis, len(shape_of(x)), "softmax")
    if dtype_of(x) in (np.float32, np.float64):
        last = len(shape_of(x)) - 1
        if axis == last:
            return softmax_last(x)
        perm = list(range(last + 1))
        perm[axis], perm[last] = last, axis  # a swap: its own inverse
        return transpose(softmax_last(transpose(x, perm)), perm)
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
