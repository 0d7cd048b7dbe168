"""Special functions and the elementwise ops that need their own primitive: lgamma,
digamma, polygamma, erfinv, ndtri, mul_no_nan, and the running log-sum-exp
`cumlogsumexp`.

The eager kernels are scipy.special's (imported on first use, as ops/mathops.py's erf).
Numba has math.lgamma but none of the others, so their lowerings are loops that compute each
element in float64 with the algorithms written out below (`_digamma_lines`, ...); the op
table checks them against scipy to its tolerances.

Gradients are TensorFlow's: lgamma' = digamma, digamma' = polygamma(1, x), polygamma(n, x)'
= polygamma(n + 1, x) (none for n), erfinv' = sqrt(pi)/2 exp(erfinv(x)^2), ndtri' =
sqrt(2 pi) exp(ndtri(x)^2 / 2), mul_no_nan's (mul_no_nan(g, y), mul_no_nan(x, g)).
"""

from __future__ import annotations

import math

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    InvalidArgumentError,
    LoopKernel,
    OpTypeError,
    Primitive,
    Scalar,
    ShapedArray,
    bind,
    per_input,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import (
    _wrap_binary,
    _wrap_unary,
    add,
    binary,
    equal,
    exp,
    greater,
    less,
    log,
    multiply,
    negative,
    subtract,
    unary,
    where,
)
from tapeflow.ops.shape import _normalize_axis, full_like, ones_like, zeros_like


def _scipy(name: str):
    """scipy.special.<name> as a kernel that keeps the input's dtype (scipy computes
    float32 in float32 where it has a float32 loop, else in float64)."""
    def run(x):
        import scipy.special  # about 0.2 s: imported on first use only

        return np.asarray(getattr(scipy.special, name)(x), dtype=x.dtype)

    return run


def _elementwise_loop(lines, n_inputs: int = 1):
    """A LoopKernel computing each output element by `lines(*input_exprs)`: statements
    that leave the float64 result in `_sp_r` (inputs broadcast to the output's shape)."""

    @LoopKernel
    def emit(out, ins, avals):
        out_aval, *in_avals = avals
        names = lw.loop_vars(out_aval.ndim)
        exprs = [f"{x}[{lw.broadcast_index(a.shape, out_aval.shape, names)}]"
                 for x, a in zip(ins, in_avals)]
        dt = lw.dtype_expr(out_aval.dtype)
        body = lines(*exprs) + [f"{out}[{lw.index(names)}] = {dt}(_sp_r)"]
        return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(out_aval.shape, body)

    return emit


# --------------------------------------------------------------------------------------------
# lgamma, digamma, polygamma
# --------------------------------------------------------------------------------------------

def _lgamma(x):
    import scipy.special

    # scipy's gammaln(-inf) is -inf; TF's (and C's) lgamma is +inf there. scipy's is also
    # inf for subnormal x, where lgamma(x) = -log|x| + O(x) exactly enough (C's gives that).
    with np.errstate(divide="ignore"):
        tiny = -np.log(np.abs(x))
    out = np.where(np.abs(x) < np.finfo(np.float64).tiny, tiny, scipy.special.gammaln(x))
    return np.where(x == -np.inf, np.inf, out).astype(x.dtype)


lgamma_p = unary("lgamma", _lgamma, "log |Gamma(x)|")
lgamma_p.def_vjp(per_input(lambda g, out, x: multiply(g, digamma(x))))
lgamma_p.def_lowering(Scalar(lambda x: f"math.lgamma({x})", transcendental=True))


def _digamma_kernel(x):
    import scipy.special

    # TF's Digamma is nan at 0 and the negative integers (its poles), where scipy's psi
    # gives -inf at 0.
    pole = (x <= 0) & (x == np.floor(x))
    return np.where(pole, np.nan, scipy.special.psi(x)).astype(x.dtype)


def _digamma_lines(v):
    # psi(x) = psi(1 - x) - pi / tan(pi x) for x < 0; psi(x) = psi(x + 1) - 1/x shifts x to
    # >= 10, where the asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k) is accurate
    # to ~1e-16 with terms up to x^-14.
    series = " - _sp_f * (".join(f"{c!r}" for c in (
        1 / 12, 1 / 120, 1 / 252, 1 / 240, 1 / 132, 691 / 32760, 1 / 12)) + ")" * 6
    return [
        f"_sp_x = float({v})",
        "_sp_acc = 0.0",
        "if _sp_x != _sp_x or (_sp_x <= 0.0 and _sp_x == math.floor(_sp_x)):",
        "    _sp_r = math.nan",
        "elif _sp_x == math.inf:",
        "    _sp_r = math.inf",
        "else:",
        "    if _sp_x < 0.0:",
        "        _sp_acc = -math.pi / math.tan(math.pi * _sp_x)",
        "        _sp_x = 1.0 - _sp_x",
        "    while _sp_x < 10.0:",
        "        _sp_acc -= 1.0 / _sp_x",
        "        _sp_x += 1.0",
        "    _sp_f = 1.0 / (_sp_x * _sp_x)",
        f"    _sp_r = _sp_acc + math.log(_sp_x) - 0.5 / _sp_x - _sp_f * ({series})",
    ]


digamma_p = unary("digamma", _digamma_kernel, "psi(x), the derivative of lgamma; nan at the "
                                              "poles 0, -1, -2, ...")
digamma_p.def_vjp(per_input(lambda g, out, x: multiply(g, polygamma(ones_like(x), x))))
digamma_p.def_lowering(_elementwise_loop(_digamma_lines))


def _polygamma_kernel(n, x):
    import scipy.special

    order = np.broadcast_to(n, np.broadcast_shapes(n.shape, x.shape))
    whole = (order >= 0) & (order == np.floor(order))
    safe = np.where(whole, order, 1).astype(np.int64)
    value = np.where(safe == 0, _digamma_kernel(np.asarray(x, np.float64)),
                     scipy.special.polygamma(safe, x))
    return np.where(whole, value, np.nan).astype(x.dtype)


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _polygamma_lines(n, v):
    # n >= 1: psi^(n)(x) = (-1)^(n+1) n! sum_{j>=0} (x + j)^-(n+1). The first terms are
    # summed until x + j >= 15, the rest by the asymptotic series (n-1)!/z^n + n!/(2 z^(n+1))
    # + sum_k B_2k (2k+n-1)!/(2k)! / z^(2k+n). A pole (x a non-positive integer) gives inf.
    lines = [
        f"_sp_n = float({n})",
        "if _sp_n != _sp_n or _sp_n < 0.0 or _sp_n != math.floor(_sp_n):",
        "    _sp_r = math.nan",
        "elif _sp_n == 0.0:",
    ]
    lines += ["    " + s for s in _digamma_lines(v)]
    lines += [
        "else:",
        f"    _sp_z = float({v})",
        "    _sp_fact = math.gamma(_sp_n + 1.0)",
        "    _sp_sum = 0.0",
        "    while _sp_z < 15.0:",
        "        _sp_sum += _sp_z ** -(_sp_n + 1.0)",
        "        _sp_z += 1.0",
        "    _sp_tail = math.gamma(_sp_n) / _sp_z ** _sp_n + _sp_fact / (2.0 * _sp_z ** "
        "(_sp_n + 1.0))",
    ]
    for k, b in enumerate(_BERNOULLI, start=1):
        lines.append(f"    _sp_tail += {b!r} * math.gamma({2 * k}.0 + _sp_n) / "
                     f"{float(math.factorial(2 * k))!r} / _sp_z ** ({2 * k}.0 + _sp_n)")
    lines += [
        "    _sp_sign = 1.0 if _sp_n % 2.0 == 1.0 else -1.0",
        "    _sp_r = _sp_sign * (_sp_fact * _sp_sum + _sp_tail)",
    ]
    return lines


polygamma_p = binary("polygamma", _polygamma_kernel, "the n-th derivative of digamma at x "
                                                     "(n a whole number, else nan)",
                     result="float")
polygamma_p.def_vjp(per_input(
    None,  # TF gives the order no gradient
    lambda g, out, n, x: multiply(g, polygamma(add(n, 1), x)),
))
polygamma_p.def_lowering(_elementwise_loop(_polygamma_lines, 2))

# --------------------------------------------------------------------------------------------
# erfinv, ndtri
# --------------------------------------------------------------------------------------------

# Acklam's rational approximations of the normal quantile (relative error 1.2e-9), refined
# by one Halley step on Phi(x) - q (which makes it exact to rounding).
_ACKLAM_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_ACKLAM_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
             6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
             3.754408661907416e+00, 1.0)


def _horner(coeffs, t: str) -> str:
    text = repr(coeffs[0])
    for c in coeffs[1:]:
        text = f"({text} * {t} + {c!r})"
    return text


def _ndtri_lines(p: str, indent: str = ""):
    lines = [
        f"_sp_p = float({p})",
        "if not (_sp_p >= 0.0 and _sp_p <= 1.0):",
        "    _sp_r = math.nan",
        "elif _sp_p == 0.0:",
        "    _sp_r = -math.inf",
        "elif _sp_p == 1.0:",
        "    _sp_r = math.inf",
        "else:",
        # q = min(p, 1 - p): 1 - p is exact for p >= 0.5, so the upper tail keeps its digits.
        "    _sp_q = min(_sp_p, 1.0 - _sp_p)",
        "    if _sp_q < 0.02425:",
        "        _sp_t = math.sqrt(-2.0 * math.log(_sp_q))",
        f"        _sp_x = {_horner(_ACKLAM_C, '_sp_t')} / {_horner(_ACKLAM_D, '_sp_t')}",
        "    else:",
        "        _sp_t = _sp_q - 0.5",
        "        _sp_s = _sp_t * _sp_t",
        f"        _sp_x = {_horner(_ACKLAM_A, '_sp_s')} * _sp_t / {_horner(_ACKLAM_B, '_sp_s')}",
        f"    _sp_e = 0.5 * math.erfc(-_sp_x / {math.sqrt(2)!r}) - _sp_q",
        f"    _sp_u = _sp_e * {math.sqrt(2 * math.pi)!r} * math.exp(_sp_x * _sp_x / 2.0)",
        "    _sp_x = _sp_x - _sp_u / (1.0 + _sp_x * _sp_u / 2.0)",
        "    _sp_r = _sp_x if _sp_p <= 0.5 else -_sp_x",
    ]
    return [indent + s for s in lines]


# Giles' single-precision erfinv for |y| <= 0.5 ("Approximating the erfinv function", 2010),
# refined by two Newton steps on erf(x) - y.
_GILES = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
          -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)


def _erfinv_lines(v):
    newton = [f"    _sp_x -= (math.erf(_sp_x) - _sp_y) / ({2 / math.sqrt(math.pi)!r} * "
              "math.exp(-_sp_x * _sp_x))"] * 2
    return [
        f"_sp_y = float({v})",
        "if not (_sp_y >= -1.0 and _sp_y <= 1.0):",
        "    _sp_r = math.nan",
        "elif abs(_sp_y) <= 0.5:",
        "    _sp_w = -math.log((1.0 - _sp_y) * (1.0 + _sp_y)) - 2.5",
        f"    _sp_x = {_horner(_GILES, '_sp_w')} * _sp_y",
        *newton,
        "    _sp_r = _sp_x",
        "else:",
        # erfinv(y) = -ndtri((1 - |y|) / 2) / sqrt(2) with y's sign; (1 - |y|) / 2 is exact.
        *_ndtri_lines("(1.0 - abs(_sp_y)) / 2.0", "    "),
        f"    _sp_r = -_sp_r / {math.sqrt(2)!r} if _sp_y > 0.0 else _sp_r / {math.sqrt(2)!r}",
    ]


erfinv_p = unary("erfinv", _scipy("erfinv"), "the inverse of erf, on [-1, 1]")
erfinv_p.def_vjp(per_input(
    lambda g, out, x: multiply(g, multiply(math.sqrt(math.pi) / 2, exp(multiply(out, out))))))
erfinv_p.def_lowering(_elementwise_loop(_erfinv_lines))

ndtri_p = unary("ndtri", _scipy("ndtri"), "the inverse of the standard normal CDF, on [0, 1]")
ndtri_p.def_vjp(per_input(
    lambda g, out, x: multiply(g, multiply(math.sqrt(2 * math.pi),
                                           exp(multiply(multiply(out, out), 0.5))))))
ndtri_p.def_lowering(_elementwise_loop(lambda p: _ndtri_lines(p)))

lgamma = _wrap_unary(lgamma_p)
digamma = _wrap_unary(digamma_p)
polygamma = _wrap_binary(polygamma_p)
erfinv = _wrap_unary(erfinv_p)
ndtri = _wrap_unary(ndtri_p)

# --------------------------------------------------------------------------------------------
# mul_no_nan: x * y, but 0 wherever y == 0 (even where x is inf or nan)
# --------------------------------------------------------------------------------------------


def _mul_no_nan_kernel(x, y):
    return np.where(y == 0, np.zeros((), x.dtype), x * y)


mul_no_nan_p = binary("mul_no_nan", _mul_no_nan_kernel, "x * y, and 0 where y == 0 (even for "
                                                        "an inf or nan x)", result="float")
# TF's: d/dx = mul_no_nan(g, y), d/dy = mul_no_nan(x, g) (at y == 0 the slope in y is x).
mul_no_nan_p.def_vjp(per_input(lambda g, out, x, y: multiply_no_nan(g, y),
                               lambda g, out, x, y: multiply_no_nan(x, g)))
# y - y is y's zero in y's type (a literal 0 would be an int Numba widens the result with).
mul_no_nan_p.def_lowering(Scalar(lambda x, y: f"(({x}) * ({y}) if ({y}) != 0 else ({y}) - ({y}))"))


def multiply_no_nan(x, y, name=None):
    """`tf.math.multiply_no_nan`: x * y, 0 where y is 0 even if x is inf or nan (floats)."""
    x, y = promote("multiply_no_nan", x, y)
    return bind(mul_no_nan_p, x, y)


# --------------------------------------------------------------------------------------------
# cumlogsumexp: log(cumsum(exp(x))), computed stably as a running logaddexp
# --------------------------------------------------------------------------------------------

cumlogsumexp_p = Primitive("cumlogsumexp", doc="running log(sum(exp(x))) along `axis` "
                                               "(exclusive: without the element; reverse: "
                                               "from the end)")


@cumlogsumexp_p.def_abstract_eval
def _cumlogsumexp_rule(x: ShapedArray, *, axis: int, exclusive: bool, reverse: bool):
    if x.dtype.kind != "f":
        raise OpTypeError(f"cumulative_logsumexp: expects a float tensor, got {x}")
    if not 0 <= axis < x.ndim:
        raise InvalidArgumentError(f"cumulative_logsumexp: axis {axis} is out of range for {x}")
    return x


def _cumlogsumexp(x, *, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    with np.errstate(all="ignore"):
        out = np.logaddexp.accumulate(x, axis=axis, dtype=x.dtype)
    if exclusive and x.shape[axis]:
        head = np.full_like(np.take(out, [0], axis=axis), -np.inf)
        out = np.concatenate([head, np.take(out, np.arange(x.shape[axis] - 1), axis=axis)],
                             axis=axis)
    return np.flip(out, axis) if reverse else out


cumlogsumexp_p.def_impl(_cumlogsumexp)


def _cumlogsumexp_vjp(g, out, x, *, axis, exclusive, reverse):
    # TensorFlow's: d out_j / d x_i = exp(x_i - out_j) for the j whose sums hold x_i, so
    # dx_i = exp(x_i) * sum_j g_j exp(-out_j), a running sum the other way. It is taken in
    # log space, with g split by sign (log of a negative g is not real).
    flags = dict(axis=axis, exclusive=exclusive, reverse=not reverse)
    minus_inf = full_like(g, -np.inf)
    log_pos = where(greater(g, 0), log(where(greater(g, 0), g, ones_like(g))), minus_inf)
    log_neg = where(less(g, 0), log(where(less(g, 0), negative(g), ones_like(g))), minus_inf)
    # Where out_j is -inf (every x it sums is -inf, as the first output of an exclusive
    # scan), its terms exp(x_i - out_j) would be nan (-inf + inf): they are taken as 0.
    empty = equal(out, minus_inf)
    safe_out = where(empty, zeros_like(out), out)

    def part(log_g):
        terms = where(empty, minus_inf, subtract(log_g, safe_out))
        return exp(add(bind(cumlogsumexp_p, terms, **flags), x))

    return subtract(part(log_pos), part(log_neg))


cumlogsumexp_p.def_vjp(per_input(_cumlogsumexp_vjp))


@cumlogsumexp_p.def_lowering
@LoopKernel
def _cumlogsumexp_lowering(out, ins, avals, *, axis, exclusive, reverse):
    (x,) = ins
    out_aval, x_aval = avals
    n = x_aval.shape[axis]
    rest = x_aval.shape[:axis] + x_aval.shape[axis + 1:]
    names = lw.loop_vars(len(rest))
    at = lw.index(names[:axis] + ["_j"] + names[axis:])
    dt = lw.dtype_expr(x_aval.dtype)
    # logaddexp(a, b) = hi + log1p(exp(lo - hi)); -inf and +inf are exact ends (inf - inf
    # would be nan), and nan stays nan.
    step = [
        f"_sp_v = {x}[{at}]",
        "if _sp_v != _sp_v or _sp_acc != _sp_acc:",
        "    _sp_acc = _sp_v + _sp_acc",
        "else:",
        "    _sp_hi = max(_sp_acc, _sp_v)",
        "    _sp_lo = min(_sp_acc, _sp_v)",
        "    if _sp_lo != -math.inf and _sp_hi != math.inf:",
        "        _sp_hi = _sp_hi + math.log1p(math.exp(_sp_lo - _sp_hi))",
        f"    _sp_acc = {dt}(_sp_hi)",
    ]
    store = [f"{out}[{at}] = _sp_acc"]
    k = f"{n} - 1 - _k" if reverse else "_k"
    body = [f"_sp_acc = {dt}(-np.inf)", f"for _k in range({n}):", f"    _j = {k}"]
    body += ["    " + s for s in (store + step if exclusive else step + store)]
    return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(rest, body)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """`tf.math.cumulative_logsumexp`: log(cumsum(exp(x))) along `axis`, computed without
    overflow (a running logaddexp); exclusive starts from -inf, reverse runs from the end."""
    (x,) = promote("cumulative_logsumexp", x)
    ndim = len(shape_of(x))
    if ndim == 0:
        raise InvalidArgumentError("cumulative_logsumexp: expects a tensor of rank >= 1, got "
                                   "a scalar")
    if hasattr(axis, "numpy"):
        axis = axis.numpy()
    axis = _normalize_axis(int(axis), ndim, "cumulative_logsumexp")
    return bind(cumlogsumexp_p, x, axis=axis, exclusive=bool(exclusive),
                reverse=bool(reverse))
