"""Small functions TensorFlow code reaches for, composed of primitives (their gradients come
from their parts): reciprocal, rsqrt, squared_difference, divide_no_nan, is_nan/is_inf/
is_finite, count_nonzero, reduce_euclidean_norm, l2_normalize, moments, and the
cross-entropies softmax_cross_entropy_with_logits and sigmoid_cross_entropy_with_logits.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, OpTypeError, dtype_of, promote, shape_of
from tapeflow.ops.elementwise import (
    abs,
    add,
    cast,
    divide,
    equal,
    exp,
    greater_equal,
    log1p,
    logical_not,
    logical_or,
    maximum,
    multiply,
    negative,
    not_equal,
    sqrt,
    subtract,
    where,
)
from tapeflow.ops.nn import log_softmax
from tapeflow.ops.reductions import normalize_axes, reduce_mean, reduce_sum, reduce_variance
from tapeflow.ops.shape import ones_like, zeros_like


def float_operand(op: str, x):
    """`x` as a tensor of a float dtype (TypeError naming the op otherwise)."""
    (x,) = promote(op, x)
    if dtype_of(x).kind != "f":
        raise OpTypeError(f"{op}: expects a float tensor, got {dtype_of(x).name} "
                          f"{list(shape_of(x))} (cast it with tf.cast)")
    return x


def reciprocal(x, name=None):
    """1 / x."""
    x = float_operand("reciprocal", x)
    return divide(ones_like(x), x)


def rsqrt(x, name=None):
    """1 / sqrt(x)."""
    x = float_operand("rsqrt", x)
    return divide(ones_like(x), sqrt(x))


def squared_difference(x, y, name=None):
    """(x - y)^2, elementwise with broadcasting."""
    d = subtract(x, y)
    return multiply(d, d)


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y is 0 (also for x = 0 or inf); no nan from the masked division in
    the gradient either (the divisor there is replaced by 1)."""
    x, y = promote("divide_no_nan", x, y)
    if dtype_of(x).kind != "f":
        raise OpTypeError(f"divide_no_nan: expects float tensors, got {dtype_of(x).name}")
    zero = equal(y, zeros_like(y))
    safe = where(zero, ones_like(y), y)
    quotient = divide(x, safe)
    return where(zero, zeros_like(quotient), quotient)


def is_nan(x, name=None):
    """Whether each element is nan (nan is the one value not equal to itself)."""
    x = float_operand("is_nan", x)
    return not_equal(x, x)


def is_inf(x, name=None):
    """Whether each element is +inf or -inf."""
    x = float_operand("is_inf", x)
    return equal(abs(x), np.array(np.inf, dtype=dtype_of(x)))


def is_finite(x, name=None):
    """Whether each element is neither nan nor infinite."""
    x = float_operand("is_finite", x)
    return logical_not(logical_or(is_nan(x), is_inf(x)))


def count_nonzero(input, axis=None, keepdims=None, dtype=np.int64, name=None):  # noqa: A002
    """The number of non-zero (true) elements over `axis`, as `dtype` (int64)."""
    (x,) = promote("count_nonzero", input)
    nonzero = not_equal(x, zeros_like(x))
    return cast(reduce_sum(cast(nonzero, np.int64), axis, bool(keepdims)), dtype)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x^2)) over `axis`. Of integers, as TF: the sum of squares in the tensor's
    dtype, its square root truncated to that dtype (the norm of [2, 3] is 3)."""
    (x,) = promote("reduce_euclidean_norm", input_tensor)
    if x.aval.dtype.kind in "iu":
        squares = reduce_sum(multiply(x, x), axis, keepdims)
        return cast(sqrt(cast(squares, np.float64)), x.aval.dtype)
    x = float_operand("reduce_euclidean_norm", x)
    return sqrt(reduce_sum(multiply(x, x), axis, keepdims))


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x^2 over axis), epsilon))."""
    x = float_operand("l2_normalize", x)
    axis = dim if axis is None else axis
    square_sum = reduce_sum(multiply(x, x), axis, keepdims=True)
    return divide(x, sqrt(maximum(square_sum, float(epsilon))))


def moments(x, axes, shift=None, keepdims=False, name=None):
    """`tf.nn.moments`: (mean, variance) over `axes`."""
    x = float_operand("moments", x)
    axes = normalize_axes(axes, len(shape_of(x)), "moments")
    return reduce_mean(x, axes, keepdims), reduce_variance(x, axes, keepdims)


def _labels_and_logits(op: str, labels, logits):
    """The checks both cross-entropies from logits share: both given, one float dtype (after
    promotion), one shape. The promoted (labels, logits)."""
    if labels is None or logits is None:
        raise InvalidArgumentError(f"{op}: pass labels= and logits=")
    labels, logits = promote(op, labels, logits)
    if dtype_of(logits).kind != "f":
        raise OpTypeError(f"{op}: expects float logits, got {dtype_of(logits).name}")
    if tuple(shape_of(labels)) != tuple(shape_of(logits)):
        raise InvalidArgumentError(
            f"{op}: labels of shape {list(shape_of(labels))} do not match logits of shape "
            f"{list(shape_of(logits))}")
    return labels, logits


def softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1, name=None):
    """-sum(labels * log_softmax(logits)) along `axis`: the cross-entropy of each row of
    class probabilities `labels` (gradients flow to both, as TensorFlow's v2 op)."""
    labels, logits = _labels_and_logits("softmax_cross_entropy_with_logits", labels, logits)
    return negative(reduce_sum(multiply(labels, log_softmax(logits, axis)), axis))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """-z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)) for labels z and logits x, computed as
    max(x, 0) - x z + log(1 + exp(-|x|)), which neither overflows nor loses precision."""
    z, x = _labels_and_logits("sigmoid_cross_entropy_with_logits", labels, logits)
    # Both pieces select on x >= 0 (as TensorFlow's): at x = 0 their kinks cancel and the
    # gradient is sigmoid(0) - z, where max(x, 0) and |x| alone would give -z.
    nonnegative = greater_equal(x, zeros_like(x))
    relu_x = where(nonnegative, x, zeros_like(x))
    minus_abs_x = where(nonnegative, negative(x), x)
    return add(subtract(relu_x, multiply(x, z)), log1p(exp(minus_abs_x)))
