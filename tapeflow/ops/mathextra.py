"""tf.math ops built from existing primitives (no rules of their own: their gradients and
compiled code come from the ops they are made of): xlogy, xlog1py, xdivy,
reciprocal_no_nan, saturate_cast, scalar_mul, polyval, accumulate_n, is_non_decreasing,
is_strictly_increasing.

The "x op y, but 0 where x == 0" ops use the double `where`: the masked branch divides or
takes the log of a safe value (1) instead of y, so that neither the value nor the gradient
sees a nan from the branch not taken. That gives TensorFlow's gradients: for xlogy,
d/dx = log(y) where x != 0 (else 0) and d/dy = x / y where x != 0 (else 0).
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import (
    BOOL,
    STRING,
    OpTypeError,
    canonical_dtype,
    dtype_name,
    dtype_of,
    is_float,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import (
    cast,
    divide,
    equal,
    greater,
    greater_equal,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    not_equal,
    where,
)
from tapeflow.ops.extras import divide_no_nan
from tapeflow.ops.mathops import add_n
from tapeflow.ops.ranges import constant_tensor
from tapeflow.ops.reductions import reduce_all
from tapeflow.ops.shape import ones_like, reshape, zeros_like


def _float_pair(op: str, x, y):
    x, y = promote(op, x, y)
    if not is_float(dtype_of(x)):
        raise OpTypeError(f"{op}: expects float tensors, got {dtype_name(dtype_of(x))} "
                          f"{list(shape_of(x))} and {dtype_name(dtype_of(y))} "
                          f"{list(shape_of(y))}")
    return x, y


def _zero_where_x_is_zero(op: str, x, y, f):
    """f(x, y), and 0 where x == 0 (whatever y is: nan, inf, 0)."""
    x, y = _float_pair(op, x, y)
    x_zero = equal(x, zeros_like(x))
    safe_y = where(x_zero, ones_like(y), y)
    value = f(x, safe_y)
    return where(x_zero, zeros_like(value), value)


def xlogy(x, y, name=None):
    """`tf.math.xlogy`: x * log(y), and 0 where x == 0 (even if y is 0 or nan)."""
    return _zero_where_x_is_zero("xlogy", x, y, lambda a, b: multiply(a, log(b)))


def xlog1py(x, y, name=None):
    """`tf.math.xlog1py`: x * log1p(y), and 0 where x == 0."""
    return _zero_where_x_is_zero("xlog1py", x, y, lambda a, b: multiply(a, log1p(b)))


def xdivy(x, y, name=None):
    """`tf.math.xdivy`: x / y, and 0 where x == 0 (even if y is 0)."""
    return _zero_where_x_is_zero("xdivy", x, y, divide)


def reciprocal_no_nan(x, name=None):
    """`tf.math.reciprocal_no_nan`: 1 / x, and 0 where x == 0 (floats)."""
    (x,) = promote("reciprocal_no_nan", x)
    if not is_float(dtype_of(x)):
        raise OpTypeError(f"reciprocal_no_nan: expects a float tensor, got "
                          f"{dtype_name(dtype_of(x))} {list(shape_of(x))}")
    return divide_no_nan(ones_like(x), x)


# --------------------------------------------------------------------------------------------
# saturate_cast
# --------------------------------------------------------------------------------------------


def _range(dtype: np.dtype):
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
    else:
        info = np.finfo(dtype)
    return info.min, info.max


def _nearest_inside(bound, dtype: np.dtype, direction: float):
    """The value of `dtype` nearest to `bound` on its inner side (direction -1: the largest
    one <= bound, +1: the smallest one >= bound). float32(2**31 - 1) rounds up to 2**31,
    which would overflow an int32; the float below it, 2147483520, does not."""
    value = dtype.type(bound)
    exact = int(value) if dtype.kind in "iu" or np.isfinite(value) else value
    if dtype.kind == "f" and (exact > bound if direction < 0 else exact < bound):
        value = np.nextafter(value, dtype.type(direction * np.inf))
    return value


def saturate_cast(value, dtype, name=None):
    """`tf.saturate_cast`: `value` as `dtype`, clamped to the target's range first (300.0
    as uint8 is 255, 1e10 as int32 the largest float32 below 2**31); complex to real keeps
    the real part."""
    from tapeflow.ops.complex import complex as make_complex, imag, real

    target = canonical_dtype(dtype)
    (x,) = promote("saturate_cast", value)
    source = dtype_of(x)
    if target == BOOL or source == BOOL or STRING in (source, target):
        raise OpTypeError(f"saturate_cast: cannot saturate {dtype_name(source)} to "
                          f"{dtype_name(target)} (numbers only, not bool or string)")
    if source.kind == "c":
        if target.kind == "c":  # each part clamped to the target's parts' range
            part = np.dtype(np.float32 if target == np.complex64 else np.float64)
            return cast(make_complex(saturate_cast(real(x), part),
                                     saturate_cast(imag(x), part)), target)
        x, source = real(x), dtype_of(real(x))
    if target.kind != "c":
        if source.kind == "f" and target.kind in "iu":
            x = where(not_equal(x, x), zeros_like(x), x)  # nan has no integer: 0, as TF
        (low, high), (in_low, in_high) = _range(target), _range(source)
        if in_low < low:
            x = maximum(x, _nearest_inside(low, source, +1.0))
        if in_high > high:
            x = minimum(x, _nearest_inside(high, source, -1.0))
    return cast(x, target)


# --------------------------------------------------------------------------------------------
# scalar_mul, polyval, accumulate_n
# --------------------------------------------------------------------------------------------


def scalar_mul(scalar, x, name=None):
    """`tf.math.scalar_mul`: scalar * x, where `scalar` must be 0-D."""
    shape = tuple(shape_of(scalar)) if hasattr(scalar, "aval") else np.shape(scalar)
    if shape != ():
        raise ValueError(f"scalar_mul: the input scalar must be a 0-D value. Received shape "
                         f"{tuple(shape)}.")
    return multiply(scalar, x)


def polyval(coeffs, x, name=None):
    """`tf.math.polyval`: coeffs[0] * x**(n-1) + ... + coeffs[n-1], by Horner's rule;
    zeros like x for no coefficients."""
    if not isinstance(coeffs, list | tuple):
        raise ValueError(f"polyval: argument coeffs must be list type. Received type "
                         f"{type(coeffs).__name__}.")
    (x,) = promote("polyval", x)
    if not coeffs:
        return zeros_like(x)
    p = promote("polyval", coeffs[0])[0]
    for c in coeffs[1:]:
        p = c + multiply(p, x) if hasattr(c, "aval") else multiply(p, x) + c
    return p


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """`tf.math.accumulate_n` (deprecated in TF for add_n): the sum of tensors of one shape
    and dtype; `shape` and `tensor_dtype`, when given, must be theirs."""
    if not isinstance(inputs, list | tuple) or not inputs:
        raise ValueError("accumulate_n: inputs must be a list of at least one Tensor with the "
                         "same dtype and shape")
    tensors = [promote("accumulate_n", t)[0] for t in inputs]
    first = tensors[0]
    for t in tensors[1:]:
        if tuple(shape_of(t)) != tuple(shape_of(first)):
            raise ValueError(f"accumulate_n: shapes {tuple(shape_of(first))} and "
                             f"{tuple(shape_of(t))} are not compatible")
        if dtype_of(t) != dtype_of(first):
            raise ValueError("accumulate_n: inputs must be a list of at least one Tensor "
                             f"with the same dtype and shape (got {dtype_of(first).name} "
                             f"and {dtype_of(t).name})")
    if shape is not None and tuple(int(d) for d in shape) != tuple(shape_of(first)):
        raise ValueError(f"accumulate_n: shapes {tuple(int(d) for d in shape)} and "
                         f"{tuple(shape_of(first))} are not compatible")
    if tensor_dtype is not None and canonical_dtype(tensor_dtype) != dtype_of(first):
        raise TypeError(f"accumulate_n: the tensor_dtype argument is "
                        f"{dtype_name(canonical_dtype(tensor_dtype))}, but the inputs are "
                        f"{dtype_name(dtype_of(first))}; they must be equal")
    return add_n(tensors)


# --------------------------------------------------------------------------------------------
# is_non_decreasing, is_strictly_increasing
# --------------------------------------------------------------------------------------------


def _monotone(op: str, x, compare):
    (x,) = promote(op, x)
    dt = dtype_of(x)
    if dt == BOOL or dt == STRING or dt.kind == "c":
        raise OpTypeError(f"{op}: expected x to be numeric, got {dtype_name(dt)} "
                          f"{list(shape_of(x))}")
    flat = reshape(x, (-1,))
    n = int(np.prod(shape_of(x), dtype=np.int64))
    if n < 2:
        return constant_tensor(np.asarray(True))  # no pair can be out of order
    return reduce_all(compare(flat[1:], flat[:-1]))


def is_non_decreasing(x, name=None):
    """`tf.math.is_non_decreasing`: whether x (flattened) has x[i] <= x[i+1] throughout; a
    tensor of fewer than two elements is."""
    return _monotone("is_non_decreasing", x, greater_equal)


def is_strictly_increasing(x, name=None):
    """`tf.math.is_strictly_increasing`: whether x (flattened) has x[i] < x[i+1]."""
    return _monotone("is_strictly_increasing", x, greater)

