"""Elementwise math beyond ops/elementwise.py: expm1, erf, erfc, hyperbolic and inverse
trigonometric functions, atan2, the rounding functions floor, ceil and round, and the
truncating divisions truncatediv and truncatemod.

Same pattern as ops/elementwise.py (and built with its `unary`/`binary` helpers): each
primitive is declared, then given its VJP and its Numba lowering (a scalar expression that
the code generator fuses into loops).
"""

from __future__ import annotations

import math as _math

import numpy as np

from tapeflow.ops.core import (
    InvalidArgumentError,
    OpTypeError,
    Scalar,
    bind,
    dtype_of,
    is_float,
    nondifferentiable,
    per_input,
    promote,
)
from tapeflow.ops.elementwise import (
    _wrap_binary,
    _wrap_unary,
    abs,
    add,
    binary,
    divide,
    exp,
    floordiv,
    identity,
    less,
    mod,
    multiply,
    negative,
    not_equal,
    sqrt,
    stop_gradient,
    subtract,
    unary,
    where,
)

_TWO_OVER_SQRT_PI = 2.0 / _math.sqrt(_math.pi)

# --------------------------------------------------------------------------------------------
# Exponential and error function
# --------------------------------------------------------------------------------------------

expm1_p = unary("expm1", np.expm1, "exp(x) - 1, accurate near 0")
expm1_p.def_vjp(per_input(lambda g, out, x: multiply(g, add(out, 1))))  # (e^x - 1)' = e^x
expm1_p.def_lowering(Scalar(lambda x: f"math.expm1({x})", transcendental=True))



def _erf(x):
    # scipy.special is imported on first use: it costs about 0.2 s, more than the rest of
    # `import tapeflow` that does not need it.
    import scipy.special

    return scipy.special.erf(x)


erf_p = unary("erf", _erf, "the error function 2/sqrt(pi) * int_0^x exp(-t^2) dt")
erf_p.def_vjp(
    per_input(lambda g, out, x: multiply(g, multiply(_TWO_OVER_SQRT_PI,
                                                     exp(negative(multiply(x, x))))))
)
erf_p.def_lowering(Scalar(lambda x: f"math.erf({x})", transcendental=True))


def _erfc(x):
    import scipy.special

    return scipy.special.erfc(x)


# 1 - erf(x), computed directly: for large x, 1 - erf(x) would cancel to 0 where erfc(x) is
# still a normal float (erfc(5) = 1.5e-12).
erfc_p = unary("erfc", _erfc, "the complementary error function 1 - erf(x)")
erfc_p.def_vjp(
    per_input(lambda g, out, x: negative(multiply(g, multiply(_TWO_OVER_SQRT_PI,
                                                              exp(negative(multiply(x, x)))))))
)
erfc_p.def_lowering(Scalar(lambda x: f"math.erfc({x})", transcendental=True))

# --------------------------------------------------------------------------------------------
# Hyperbolic and inverse trigonometric functions
# --------------------------------------------------------------------------------------------

sinh_p = unary("sinh", np.sinh, "hyperbolic sine")
sinh_p.def_vjp(per_input(lambda g, out, x: multiply(g, cosh(x))))
sinh_p.def_lowering(Scalar(lambda x: f"math.sinh({x})", transcendental=True))

cosh_p = unary("cosh", np.cosh, "hyperbolic cosine")
cosh_p.def_vjp(per_input(lambda g, out, x: multiply(g, sinh(x))))
cosh_p.def_lowering(Scalar(lambda x: f"math.cosh({x})", transcendental=True))


def _one_minus_square(x):
    return subtract(1, multiply(x, x))


asin_p = unary("asin", np.arcsin, "inverse sine, in [-pi/2, pi/2]")
asin_p.def_vjp(per_input(lambda g, out, x: divide(g, sqrt(_one_minus_square(x)))))  # 1/√(1-x²)
# math.asin raises ValueError outside [-1, 1] where numpy gives nan: go through numpy's.
asin_p.def_lowering(Scalar(lambda x: f"np.arcsin({x})", transcendental=True))

acos_p = unary("acos", np.arccos, "inverse cosine, in [0, pi]")
acos_p.def_vjp(
    per_input(lambda g, out, x: negative(divide(g, sqrt(_one_minus_square(x)))))  # -1/√(1-x²)
)
acos_p.def_lowering(Scalar(lambda x: f"np.arccos({x})", transcendental=True))

atan_p = unary("atan", np.arctan, "inverse tangent, in (-pi/2, pi/2)")
atan_p.def_vjp(per_input(lambda g, out, x: divide(g, add(1, multiply(x, x)))))  # 1/(1+x²)
atan_p.def_lowering(Scalar(lambda x: f"math.atan({x})", transcendental=True))

asinh_p = unary("asinh", np.arcsinh, "inverse hyperbolic sine")
asinh_p.def_vjp(
    per_input(lambda g, out, x: divide(g, sqrt(add(multiply(x, x), 1))))  # 1/√(x²+1)
)
asinh_p.def_lowering(Scalar(lambda x: f"math.asinh({x})", transcendental=True))

acosh_p = unary("acosh", np.arccosh, "inverse hyperbolic cosine, of x >= 1")
acosh_p.def_vjp(
    per_input(lambda g, out, x: divide(g, sqrt(subtract(multiply(x, x), 1))))  # 1/√(x²-1)
)
acosh_p.def_lowering(Scalar(lambda x: f"np.arccosh({x})", transcendental=True))

atanh_p = unary("atanh", np.arctanh, "inverse hyperbolic tangent, of |x| < 1")
atanh_p.def_vjp(per_input(lambda g, out, x: divide(g, _one_minus_square(x))))  # 1/(1-x²)
atanh_p.def_lowering(Scalar(lambda x: f"np.arctanh({x})", transcendental=True))

atan2_p = binary("atan2", np.arctan2, "the angle of the point (x, y): atan(y / x) in the "
                 "right quadrant, in [-pi, pi]", result="float")


def _atan2_grad(g, out, y, x):
    # d atan2(y, x) = (x dy - y dx) / (x² + y²)
    return divide(g, add(multiply(x, x), multiply(y, y)))


atan2_p.def_vjp(
    per_input(
        lambda g, out, y, x: multiply(_atan2_grad(g, out, y, x), x),
        lambda g, out, y, x: negative(multiply(_atan2_grad(g, out, y, x), y)),
    )
)
atan2_p.def_lowering(Scalar(lambda y, x: f"math.atan2({y}, {x})", transcendental=True))

expm1 = _wrap_unary(expm1_p)
erf = _wrap_unary(erf_p)
erfc = _wrap_unary(erfc_p)
sinh = _wrap_unary(sinh_p)
cosh = _wrap_unary(cosh_p)
asin = _wrap_unary(asin_p)
acos = _wrap_unary(acos_p)
atan = _wrap_unary(atan_p)
asinh = _wrap_unary(asinh_p)
acosh = _wrap_unary(acosh_p)
atanh = _wrap_unary(atanh_p)
atan2 = _wrap_binary(atan2_p)

# --------------------------------------------------------------------------------------------
# Rounding (piecewise constant: no gradient, as TensorFlow's Floor, Ceil and Round)
# --------------------------------------------------------------------------------------------

floor_p = unary("floor", np.floor, "the largest whole number <= x")
floor_p.def_vjp(nondifferentiable(1))
floor_p.def_lowering(Scalar(lambda x: f"np.floor({x})"))

ceil_p = unary("ceil", np.ceil, "the smallest whole number >= x")
ceil_p.def_vjp(nondifferentiable(1))
ceil_p.def_lowering(Scalar(lambda x: f"np.ceil({x})"))

# TensorFlow's round is numpy's rint: halves go to the even neighbour (banker's rounding).
round_p = unary("round", np.rint, "x rounded to the nearest whole number, halves to even")
round_p.def_vjp(nondifferentiable(1))
round_p.def_lowering(Scalar(lambda x: f"np.rint({x})"))

floor = _wrap_unary(floor_p)
ceil = _wrap_unary(ceil_p)


def round(x, name=None):  # noqa: A001 - TensorFlow's name
    """`tf.round`: to the nearest whole number, halves to even; integers are returned as
    they are."""
    (x,) = promote("round", x)
    dt = dtype_of(x)
    if dt.kind in "iu":
        return identity(x)
    if not is_float(dt):
        raise OpTypeError(f"round: expects a float or integer tensor, got {dt.name}")
    return bind(round_p, x)


def logical_xor(x, y, name=None):
    """x != y, of bool tensors (broadcasting)."""
    x, y = promote("logical_xor", x, y)
    if dtype_of(x) != np.dtype(np.bool_):
        raise OpTypeError(f"logical_xor: expects bool tensors, got {dtype_of(x).name}")
    return not_equal(x, y)


# --------------------------------------------------------------------------------------------
# Truncating division (C's / and %): the quotient rounds toward zero, the remainder takes the
# sign of x. floordiv and mod (Python's // and %) round toward -inf instead.
# --------------------------------------------------------------------------------------------


def truncatemod(x, y, name=None):
    """`tf.truncatemod`: x - truncatediv(x, y) * y, the remainder with the sign of x (C's
    fmod): 7 % -2 is 1 and -7 % 2 is -1. Integer division by zero raises."""
    x, y = promote("truncatemod", x, y)
    _check_numeric("truncatemod", x)
    # mod of the magnitudes is exact (it is fmod for non-negative operands), and the sign of
    # x is put back: -4 % 2 is -0.0 as C's fmod gives.
    magnitude = mod(abs(x), abs(y))
    return where(less(x, 0), negative(magnitude), magnitude)


def truncatediv(x, y, name=None):
    """`tf.truncatediv`: x / y rounded toward zero (-7 / 2 is -3). Integers: exact, and
    division by zero raises; floats: the quotient's whole part. No gradient, as TF."""
    x, y = promote("truncatediv", x, y)
    _check_numeric("truncatediv", x)
    if dtype_of(x).kind in "iu":
        # x minus its truncated remainder is a multiple of y: floor division of it is exact.
        return floordiv(subtract(x, truncatemod(x, y)), y)
    quotient = stop_gradient(divide(x, y))
    return where(less(quotient, 0), ceil(quotient), floor(quotient))


def _check_numeric(op: str, x):
    dt = dtype_of(x)
    if dt.kind not in "iuf" and not is_float(dt):
        raise OpTypeError(f"{op}: expects integer or float tensors, got {dt.name}")


def add_n(inputs, name=None):
    """`tf.add_n`: the elementwise sum of a list of tensors of one shape and dtype (it does
    not broadcast, unlike `+`)."""
    if not isinstance(inputs, list | tuple) or not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    tensors = [promote("add_n", t)[0] for t in inputs]
    first = tensors[0].aval
    for t in tensors[1:]:
        if t.aval.dtype != first.dtype:
            raise OpTypeError(f"add_n: inputs have different dtypes ({first}, {t.aval})")
        if t.aval.shape != first.shape:
            raise InvalidArgumentError(f"add_n: inputs have different shapes ({first}, "
                                       f"{t.aval}); add_n does not broadcast")
    total = tensors[0]
    for t in tensors[1:]:
        total = add(total, t)
    return total if len(tensors) > 1 else identity(total)
