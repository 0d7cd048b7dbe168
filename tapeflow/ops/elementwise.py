"""Elementwise primitives: unary math, broadcasting binary arithmetic, comparisons, select, cast.

Each primitive is declared and then given its rules, in order: shape rule (through the
`unary`/`binary` helpers), eager numpy kernel, VJP. VJPs return cotangents at the broadcast
(output) shape; `graph/autodiff.py` sums them back to each input's shape.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import (
    BOOL,
    STRING,
    InvalidArgumentError,
    OpTypeError,
    Primitive,
    Scalar,
    ShapedArray,
    bind,
    canonical_dtype,
    default_dtype,
    dtype_name,
    dtype_of,
    is_float,
    is_tracer,
    nondifferentiable,
    per_input,
    promote,
)
from tapeflow.ops.shape import ones_like, zeros_like

# --------------------------------------------------------------------------------------------
# Named rule shapes
# --------------------------------------------------------------------------------------------


def _unary_rule(name: str, float_only: bool):
    def rule(x: ShapedArray) -> ShapedArray:
        if float_only and not is_float(x.dtype):
            raise OpTypeError(f"{name}: expects a float tensor, got {x} (cast it with tf.cast)")
        if x.dtype == BOOL and name not in ("logical_not", "stop_gradient", "identity"):
            raise OpTypeError(f"{name}: not defined for bool tensors, got {x}")
        return x

    return rule


# IEEE results (inf, nan) are the answer, as in TensorFlow: numpy must not warn about them.
_quiet = np.errstate(all="ignore")


def unary(name: str, kernel, doc: str, *, float_only: bool = True) -> Primitive:
    """A primitive `y = f(x)` of one tensor, same shape and dtype."""
    p = Primitive(name, doc=doc)
    p.def_abstract_eval(_unary_rule(name, float_only))
    p.def_impl(_quiet(kernel))
    return p


def broadcast_shapes(name: str, *avals: ShapedArray) -> tuple[int, ...]:
    """numpy's broadcasting rule, with an error that names the op and every operand."""
    ndim = max(a.ndim for a in avals)
    out = []
    for i in range(ndim):
        sizes = [a.shape[i - ndim + a.ndim] for a in avals if i - ndim + a.ndim >= 0]
        # Compare only sizes that differ as written: equal symbolic sizes (n and n) agree
        # without asking whether n == 1, which would tie a trace for any n to n != 1.
        distinct = []
        for d in sizes:
            if not any(d is e or (type(d) is type(e) is int and d == e) for e in distinct):
                distinct.append(d)
        size = distinct[0]
        for d in distinct[1:]:
            if d == 1:
                continue
            if size == 1:
                size = d
            elif d != size:
                raise InvalidArgumentError(
                    f"{name}: shapes {', '.join(map(str, avals))} are not broadcastable "
                    f"(dimension {i - ndim} has sizes {', '.join(map(str, distinct))})"
                )
        out.append(size)
    return tuple(out)


def _binary_rule(name: str, result: str, allow_bool: bool):
    def rule(x: ShapedArray, y: ShapedArray) -> ShapedArray:
        if x.dtype != y.dtype:
            raise OpTypeError(
                f"{name}: operands have different dtypes ({x}, {y}); "
                f"cast one with tf.cast"
            )
        if x.dtype == BOOL and not allow_bool:
            raise OpTypeError(f"{name}: not defined for bool tensors ({x}, {y})")
        if result == "float" and not is_float(x.dtype):
            raise OpTypeError(f"{name}: expects float tensors, got ({x}, {y})")
        shape = broadcast_shapes(name, x, y)
        return ShapedArray(shape, BOOL if result == "bool" else x.dtype)

    return rule


def binary(name: str, kernel, doc: str, *, result: str = "same", allow_bool=False) -> Primitive:
    """A broadcasting primitive `z = f(x, y)`; `result` is 'same', 'float' or 'bool'."""
    p = Primitive(name, doc=doc)
    p.def_abstract_eval(_binary_rule(name, result, allow_bool))
    p.def_impl(_quiet(kernel))
    return p


def _wrap_unary(p: Primitive):
    def op(x, name=None):
        (x,) = promote(p.name, x)
        return bind(p, x)

    op.__name__ = p.name
    op.__doc__ = p.doc
    return op


def _wrap_binary(p: Primitive):
    def op(x, y, name=None):
        x, y = promote(p.name, x, y)
        return bind(p, x, y)

    op.__name__ = p.name
    op.__doc__ = p.doc
    return op


# --------------------------------------------------------------------------------------------
# Unary
# --------------------------------------------------------------------------------------------

neg_p = unary("neg", np.negative, "-x", float_only=False)
neg_p.def_vjp(per_input(lambda g, out, x: negative(g)))  # d(-x) = -dx
# prelude's _neg, not `-x`: Numba negates an int32 in int64, so -MIN would not wrap to MIN
# inside a fused loop as numpy's does (the same holds for add, sub and mul below).
neg_p.def_lowering(Scalar(lambda x: f"_neg({x})"))

abs_p = unary("abs", np.abs, "|x|", float_only=False)
abs_p.def_vjp(per_input(lambda g, out, x: multiply(g, sign(x))))  # |x|' = sign(x); 0 at 0
abs_p.def_lowering(Scalar(lambda x: f"abs({x})"))


# Of a complex tensor, |a + bi| is real: complex64 -> float32, complex128 -> float64, as
# TensorFlow's abs (its ComplexAbs). numpy's abs and Numba's already give the real magnitude;
# the shape rule says so. (Tapes differentiate real floats only: the VJP never sees complex.)
@abs_p.def_abstract_eval
def _abs_rule(x: ShapedArray) -> ShapedArray:
    x = _unary_rule("abs", False)(x)
    if x.dtype.kind == "c":
        return ShapedArray(x.shape, np.dtype(np.float32 if x.dtype == np.complex64
                                             else np.float64))
    return x


sign_p = unary("sign", np.sign, "-1, 0 or 1 by the sign of x", float_only=False)
sign_p.def_vjp(per_input(lambda g, out, x: zeros_like(g)))  # piecewise constant: zero, as TF
# Numba's np.sign(-0.0) is -0.0 where numpy's is 0.0; abs gives +0 (nan != 0 keeps np.sign).
sign_p.def_lowering(Scalar(lambda x: f"(np.sign({x}) if {x} != 0 else abs({x}))"))

exp_p = unary("exp", np.exp, "e**x")
exp_p.def_vjp(per_input(lambda g, out, x: multiply(g, out)))  # exp' = exp: reuse the output
exp_p.def_lowering(Scalar(lambda x: f"vm.exp({x})", transcendental=True))

log_p = unary("log", np.log, "natural logarithm")
log_p.def_vjp(per_input(lambda g, out, x: divide(g, x)))  # log' = 1/x
log_p.def_lowering(Scalar(lambda x: f"vm.log({x})", transcendental=True))

log1p_p = unary("log1p", np.log1p, "log(1 + x), accurate near 0")
log1p_p.def_vjp(per_input(lambda g, out, x: divide(g, add(x, 1))))  # 1/(1+x)
log1p_p.def_lowering(Scalar(lambda x: f"vm.log1p({x})", transcendental=True))

sin_p = unary("sin", np.sin, "sine")
sin_p.def_vjp(per_input(lambda g, out, x: multiply(g, cos(x))))
sin_p.def_lowering(Scalar(lambda x: f"vm.sin({x})", transcendental=True))

cos_p = unary("cos", np.cos, "cosine")
cos_p.def_vjp(per_input(lambda g, out, x: negative(multiply(g, sin(x)))))
cos_p.def_lowering(Scalar(lambda x: f"vm.cos({x})", transcendental=True))

tan_p = unary("tan", np.tan, "tangent")
tan_p.def_vjp(per_input(lambda g, out, x: multiply(g, add(1, multiply(out, out)))))  # 1+tan²
tan_p.def_lowering(Scalar(lambda x: f"math.tan({x})", transcendental=True))

tanh_p = unary("tanh", np.tanh, "hyperbolic tangent")
tanh_p.def_vjp(per_input(lambda g, out, x: multiply(g, subtract(1, multiply(out, out)))))
tanh_p.def_lowering(Scalar(lambda x: f"vm.tanh({x})", transcendental=True))

sqrt_p = unary("sqrt", np.sqrt, "square root")
sqrt_p.def_vjp(per_input(lambda g, out, x: divide(multiply(g, 0.5), out)))  # 1/(2 sqrt x)
sqrt_p.def_lowering(Scalar(lambda x: f"math.sqrt({x})"))


def _logistic(x):
    # exp(-|x|) never overflows: sigmoid(x) = 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


logistic_p = unary("logistic", _logistic, "sigmoid 1/(1+exp(-x))")
logistic_p.def_vjp(per_input(lambda g, out, x: multiply(g, multiply(out, subtract(1, out)))))
logistic_p.def_lowering(Scalar(lambda x: f"vm.sigmoid({x})", transcendental=True))


def _softplus(x):
    # log(1+e^x) = max(x,0) + log1p(e^-|x|): no overflow for large |x|.
    return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype)


softplus_p = unary("softplus", _softplus, "log(1 + exp(x))")
softplus_p.def_vjp(per_input(lambda g, out, x: multiply(g, sigmoid(x))))  # softplus' = sigmoid
softplus_p.def_lowering(Scalar(lambda x: f"vm.softplus({x})", transcendental=True))

identity_p = unary("identity", lambda x: x, "x itself (a named copy)", float_only=False)
identity_p.def_vjp(per_input(lambda g, out, x: g))
identity_p.def_lowering(Scalar(lambda x: x))

stop_gradient_p = unary("stop_gradient", lambda x: x, "x, with no gradient", float_only=False)
stop_gradient_p.def_vjp(nondifferentiable(1))
stop_gradient_p.def_lowering(Scalar(lambda x: x))

logical_not_p = unary("logical_not", np.logical_not, "not x, of a bool tensor", float_only=False)
logical_not_p.def_vjp(nondifferentiable(1))
logical_not_p.def_lowering(Scalar(lambda x: f"(not {x})"))

negative = _wrap_unary(neg_p)
sign = _wrap_unary(sign_p)
exp = _wrap_unary(exp_p)
log = _wrap_unary(log_p)
log1p = _wrap_unary(log1p_p)
sin = _wrap_unary(sin_p)
cos = _wrap_unary(cos_p)
tan = _wrap_unary(tan_p)
tanh = _wrap_unary(tanh_p)
sqrt = _wrap_unary(sqrt_p)
sigmoid = _wrap_unary(logistic_p)
softplus = _wrap_unary(softplus_p)
stop_gradient = _wrap_unary(stop_gradient_p)
identity = _wrap_unary(identity_p)


def abs(x, name=None):  # noqa: A001 - TensorFlow's name
    """|x|, elementwise; of a complex tensor, the real magnitude (TensorFlow's ComplexAbs)."""
    (x,) = promote("abs", x)
    return bind(abs_p, x)


def logical_not(x, name=None):
    (x,) = promote("logical_not", x)
    if x.aval.dtype != BOOL:
        raise OpTypeError(f"logical_not: expects a bool tensor, got {x.aval}")
    return bind(logical_not_p, x)


# --------------------------------------------------------------------------------------------
# Binary, broadcasting
# --------------------------------------------------------------------------------------------

add_p = binary("add", np.add, "x + y")
add_p.def_vjp(per_input(lambda g, out, x, y: g, lambda g, out, x, y: g))
add_p.def_lowering(Scalar(lambda x, y: f"_add({x}, {y})"))

sub_p = binary("sub", np.subtract, "x - y")
sub_p.def_vjp(per_input(lambda g, out, x, y: g, lambda g, out, x, y: negative(g)))
sub_p.def_lowering(Scalar(lambda x, y: f"_sub({x}, {y})"))

mul_p = binary("mul", np.multiply, "x * y")
mul_p.def_vjp(
    per_input(lambda g, out, x, y: multiply(g, y), lambda g, out, x, y: multiply(g, x))
)
mul_p.def_lowering(Scalar(lambda x, y: f"_mul({x}, {y})"))

div_p = binary("div", np.divide, "x / y, of floats", result="float")
div_p.def_vjp(
    per_input(
        lambda g, out, x, y: divide(g, y),  # d(x/y)/dx = 1/y
        lambda g, out, x, y: negative(divide(multiply(g, x), multiply(y, y))),  # -x/y²
    )
)
div_p.def_lowering(Scalar(lambda x, y: f"({x} / {y})"))


def _pow_kernel(x, y):
    if x.dtype.kind in "iu" and np.any(y < 0):
        raise InvalidArgumentError("pow: integers to negative integer powers are not allowed")
    return np.power(x, y)


pow_p = binary("pow", _pow_kernel, "x ** y")


def _pow_grad_y(g, out, x, y):
    # d(x^y)/dy = x^y log x; TF takes log x as 0 where x <= 0 (log undefined) and then
    # multiplies by x^y as it is: -0.0 where x^y < 0, nan where x^y is inf (0 ** -1).
    positive = greater(x, 0)
    safe_x = where(positive, x, ones_like(x))
    return multiply(multiply(g, out), where(positive, log(safe_x), zeros_like(out)))


pow_p.def_vjp(
    per_input(
        lambda g, out, x, y: multiply(g, multiply(y, pow(x, subtract(y, 1)))),  # y x^(y-1)
        _pow_grad_y,
    )
)
pow_p.def_lowering(Scalar(lambda x, y: f"_power({x}, {y})"))

max_p = binary("max", np.maximum, "elementwise maximum; a tie's gradient goes to x")
max_p.def_vjp(
    per_input(
        lambda g, out, x, y: where(greater_equal(x, y), g, zeros_like(g)),
        lambda g, out, x, y: where(less(x, y), g, zeros_like(g)),
    )
)
max_p.def_lowering(Scalar(lambda x, y: f"_maximum({x}, {y})"))

min_p = binary("min", np.minimum, "elementwise minimum; a tie's gradient goes to x")
min_p.def_vjp(
    per_input(
        lambda g, out, x, y: where(less_equal(x, y), g, zeros_like(g)),
        lambda g, out, x, y: where(greater(x, y), g, zeros_like(g)),
    )
)
min_p.def_lowering(Scalar(lambda x, y: f"_minimum({x}, {y})"))


def _checked_int_division(kernel, name):
    def run(x, y):
        if x.dtype.kind in "iu" and np.any(y == 0):
            raise InvalidArgumentError(f"{name}: integer division by zero")
        return kernel(x, y)

    return run


floordiv_p = binary("floordiv", _checked_int_division(np.floor_divide, "floordiv"),
                    "floor(x / y)")
floordiv_p.def_vjp(nondifferentiable(2))
# Through prelude helpers: a zero integer divisor raises as eagerly (Numba's // gives 0).
floordiv_p.def_lowering(Scalar(lambda x, y: f"_floordiv({x}, {y})"))

mod_p = binary("mod", _checked_int_division(np.mod, "mod"),
               "x - floor(x / y) * y (sign of y, as Python)")
mod_p.def_vjp(
    per_input(
        lambda g, out, x, y: g,
        lambda g, out, x, y: multiply(negative(g), floordiv(x, y)),  # d/dy = -floor(x/y)
    )
)
mod_p.def_lowering(Scalar(lambda x, y: f"_mod({x}, {y})"))

add = _wrap_binary(add_p)
subtract = _wrap_binary(sub_p)
multiply = _wrap_binary(mul_p)
pow = _wrap_binary(pow_p)  # noqa: A001 - TensorFlow's name
maximum = _wrap_binary(max_p)
minimum = _wrap_binary(min_p)
floordiv = _wrap_binary(floordiv_p)
mod = _wrap_binary(mod_p)


def true_divide_dtype(dtype: np.dtype) -> np.dtype | None:
    """The float dtype TensorFlow's truediv divides integers of `dtype` in (None: not an
    integer): the 8- and 16-bit integers as float32, wider ones as float64."""
    if dtype.kind not in "iu":
        return None
    return np.dtype(np.float32) if dtype.itemsize <= 2 else np.dtype(np.float64)


def divide(x, y, name=None):
    """x / y. Integer operands are divided as floats, as TensorFlow's truediv does: int8,
    int16, uint8 and uint16 as float32, int32, int64 and the wider unsigned as float64."""
    x, y = promote("divide", x, y)
    as_float = true_divide_dtype(dtype_of(x))
    if as_float is not None:
        x, y = cast(x, as_float), cast(y, as_float)
    return bind(div_p, x, y)


# --------------------------------------------------------------------------------------------
# Comparisons and logic (bool results, no gradient)
# --------------------------------------------------------------------------------------------


def _comparison(name, kernel, doc, op: str):
    p = binary(name, kernel, doc, result="bool", allow_bool=name in ("eq", "ne"))
    p.def_vjp(nondifferentiable(2))
    p.def_lowering(Scalar(lambda x, y: f"({x} {op} {y})"))
    return p


eq_p = _comparison("eq", np.equal, "x == y", "==")
ne_p = _comparison("ne", np.not_equal, "x != y", "!=")
lt_p = _comparison("lt", np.less, "x < y", "<")
le_p = _comparison("le", np.less_equal, "x <= y", "<=")
gt_p = _comparison("gt", np.greater, "x > y", ">")
ge_p = _comparison("ge", np.greater_equal, "x >= y", ">=")

equal = _wrap_binary(eq_p)
not_equal = _wrap_binary(ne_p)
less = _wrap_binary(lt_p)
less_equal = _wrap_binary(le_p)
greater = _wrap_binary(gt_p)
greater_equal = _wrap_binary(ge_p)


def _logical(name, kernel, doc, op: str):
    p = Primitive(name, doc=doc)

    @p.def_abstract_eval
    def rule(x, y):
        if x.dtype != BOOL or y.dtype != BOOL:
            raise OpTypeError(f"{name}: expects bool tensors, got ({x}, {y})")
        return ShapedArray(broadcast_shapes(name, x, y), BOOL)

    p.def_impl(kernel)
    p.def_vjp(nondifferentiable(2))
    p.def_lowering(Scalar(lambda x, y: f"({x} {op} {y})"))
    return p


and_p = _logical("logical_and", np.logical_and, "x and y, of bool tensors", "and")
or_p = _logical("logical_or", np.logical_or, "x or y, of bool tensors", "or")
logical_and = _wrap_binary(and_p)
logical_or = _wrap_binary(or_p)

# --------------------------------------------------------------------------------------------
# select: where(c, x, y)
# --------------------------------------------------------------------------------------------

select_p = Primitive("select", doc="c ? x : y, elementwise with broadcasting")


@select_p.def_abstract_eval
def _select_rule(c: ShapedArray, x: ShapedArray, y: ShapedArray) -> ShapedArray:
    if c.dtype != BOOL:
        raise OpTypeError(f"where: the condition must be a bool tensor, got {c}")
    if x.dtype != y.dtype:
        raise OpTypeError(f"where: branches have different dtypes ({x}, {y})")
    return ShapedArray(broadcast_shapes("where", c, x, y), x.dtype)


select_p.def_impl(np.where)
select_p.def_lowering(Scalar(lambda c, x, y: f"({x} if {c} else {y})"))
select_p.def_vjp(
    per_input(
        None,  # the condition
        lambda g, out, c, x, y: where(c, g, zeros_like(g)),
        lambda g, out, c, x, y: where(c, zeros_like(g), g),
    )
)


def where(condition, x=None, y=None, name=None):
    """`tf.where(c, x, y)`: x where c holds, else y (broadcasting)."""
    if x is None or y is None:
        raise InvalidArgumentError("where: tapeflow needs both x and y (the index form "
                                   "tf.where(c) is not supported)")
    x, y = promote("where", x, y)
    (condition,) = promote("where", condition) if not is_tracer(condition) else (condition,)
    return bind(select_p, condition, x, y)


# --------------------------------------------------------------------------------------------
# cast
# --------------------------------------------------------------------------------------------

cast_p = Primitive("cast", doc="x converted to `dtype`")


@cast_p.def_abstract_eval
def _cast_rule(x: ShapedArray, *, dtype: np.dtype) -> ShapedArray:
    if (x.dtype == STRING) != (dtype == STRING):
        # As TF: text and numbers do not cast into each other (numpy would store the
        # number itself in the object array, or parse the text).
        raise OpTypeError(
            f"cast: casting {dtype_name(x.dtype)} to {dtype_name(dtype)} is not supported; "
            "use tf.strings.to_number or tf.strings.as_string")
    return ShapedArray(x.shape, dtype)


def _cast_kernel(x, *, dtype):
    if x.dtype.kind == "c" and dtype.kind != "c":
        x = x.real  # complex -> real keeps the real part, as TF (without numpy's warning)
    return x.astype(dtype)


cast_p.def_impl(_cast_kernel)
cast_p.def_lowering(
    Scalar(lambda x, *, dtype: f"({x} != 0)" if dtype == BOOL else f"np.{dtype.name}({x})")
)
cast_p.def_vjp(
    per_input(
        # Only float -> float casts carry a gradient (cast back to the input's precision).
        lambda g, out, x, *, dtype: cast(g, x.aval.dtype) if is_float(x.aval.dtype) else None
    )
)


def cast(x, dtype, name=None):
    """`tf.cast`: `x` as `dtype` (float -> int truncates toward zero, as TF)."""
    target = canonical_dtype(dtype)
    if not is_tracer(x):
        x = np.asarray(x, dtype=default_dtype(x))
    elif x.aval.dtype == target:
        return x
    return bind(cast_p, x, dtype=target)


def square(x, name=None):
    """x * x (its gradient, 2x, comes from the product rule)."""
    return multiply(x, x)
