"""Vectorisable elementwise math for Numba-generated loops: exp, log, log1p, tanh, sin, cos,
sigmoid and softplus on float32 and float64 scalars.

Why: Numba lowers `math.exp` and friends to scalar libm calls, and the pip llvmlite has no SVML,
so any loop that calls them stays scalar. These kernels use only arithmetic, comparisons that
LLVM turns into selects, and bit reinterpretation, so LLVM inlines them into the caller's loop
and vectorises it (`<8 x float>` on AVX2/AVX-512).

Use from generated code (float32 in -> float32 out, float64 -> float64):

    from tapeflow.codegen import vecmath

    @numba.njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = vecmath.exp(x[i])

The public functions also work from plain Python on numpy scalars. In compiled code each one
is typed and lowered as a call of the float32 or float64 kernel (`_register`), except exp and
tanh, whose instructions are written straight into the caller (vecmath_ir.py, `_register_ir`):
no Numba compile of their own in each process, which was a fifth of a deep MLP's first
compiled call. The kernels are compiled with their own fastmath set, `{"contract"}` (FMA
contraction only), so the caller's `reassoc`/`nsz`, which would rewrite `(x + M) - M` or
`(u - 1) - x` to 0, never reach them: Numba's callees inherit the caller's fastmath only when
they do not set their own.

Methods
- exp: n = round(x*log2(e)) via the 1.5*2**p magic-number add; r = x - n*ln2 with a two-part
  (Cody-Waite) ln2; e**r by a polynomial (Cephes expf for float32, Taylor to degree 13 for
  float64); times 2**n built by writing n + bias into the exponent bits (`_pow2`). 2**n is
  applied as two halves so that overflow gives inf and underflow rounds once into denormals.
  The input is clamped first (that also makes exp(inf) = inf and exp(-inf) = 0).
- log: exponent and mantissa read from the bits (denormals are scaled by 2**24 / 2**54 first),
  mantissa reduced to [sqrt(1/2), sqrt(2)); log(1+f) by Cephes logf (float32) or fdlibm's
  s = f/(2+f) series (float64).
- log1p: u = 1 + x, log(u) + (x - (u - 1))/u; the second term is the rounding error of 1 + x.
- tanh: odd polynomial (Cephes tanhf) / rational (Cephes tanh) for |x| < 0.625, else
  1 - 2/(exp(2|x|) + 1) with the sign of x.
- sin, cos (float64): x - k*pi/2 with fdlibm's four-part pi/2, fdlibm's sin/cos polynomials on
  [-pi/4, pi/4], quadrant chosen with selects.
- sin, cos (float32, in vecmath_trig): reduced and evaluated in float64, rounded once at the
  end; a float32 Cody-Waite reduction loses thousands of ulp near multiples of pi/2 at 1e4.
  sin: x = r + k*pi, |r| <= pi/2 (fdlibm's 33-bit parts of pi/2, doubled), sin(x) = (-1)**k
  sin(r) with one degree-9 polynomial fitted on [-pi/2, pi/2]; the sign is flipped by xor-ing
  bit 0 of k (read from the magic-number sum) into the sign bit, so no quadrant selects.
  cos: the same with x = r + (n - 1/2)*pi, cos(x) = (-1)**n sin(r).
- sincos: one reduction x = r + k*pi/2, |r| <= pi/4, both polynomials (fdlibm's in float64,
  degree 9 and 8 fits in float32), quadrant by a swap select and sign-bit xors.
- sigmoid: e = exp(-|x|); num/(1+e) with num = 1 for x >= 0, e otherwise, corrected for the
  rounding of 1 + e.
- softplus: max(x, 0) + log1p(exp(-|x|)). float32: log1p specialised to [0, 1] (1 + e is in
  [1, 2]: no exponent or special cases to read from the bits, no division).
Special values (nan, +-inf, +-0, denormals, overflow, underflow) follow numpy, with selects
instead of early returns so that loops stay branch-free.

Measured max error in ulp of the correctly rounded result, against numpy one precision up
(float64 for float32, longdouble for float64). float32: every float32 input (exhaustive, sin/cos
for |x| <= 1e15); float64: the sweeps of tests/codegen/test_vecmath.py. On an AMD Zen 4 (FMA).

    function  float32  float64  range
    exp       0.78     0.74     all x (overflow -> inf, denormal results, underflow -> 0)
    log       0.83     0.77     all x (denormals included; x < 0 -> nan)
    log1p     1.25     1.09     all x
    tanh      1.34     1.19     all x
    sin       0.85     2.13     |x| <= 2**20*pi/2 ~ 1.6e6 on any machine, 1e15 with FMA
    cos       0.85     2.13     same
    sincos    0.52     2.13     same (float32: each of the two results)
    sigmoid   1.97     1.43     all x
    softplus  1.60     1.77     all x

sin/cos range: k*PIO2_i is exact for |k| < 2**20, so the reduction is exact to |x| ~ 1.6e6 on
any machine. With FMA, which LLVM uses when the CPU has it (the kernels allow `contract`),
each x - k*PIO2_i is fused and stays accurate further: the float32 numbers above hold for every
float32 |x| <= 1e15 (measured), float64 measured <= 3.9 ulp up to |x| = 1e15. Without FMA the
absolute error grows like |x| * 2**-54 beyond 1.6e6. Above |x| = 1e15 (where k stops being
exact) both return nan, a deliberate compromise: a libm fallback there would cost a scalar call
per element (measured 16x slower loops), and a branch-free Payne-Hanek reduction is paid for by
every lane, ordinary arguments included. Measured (`benchmarks/vecmath.py --full-range`, medians
of 3 runs of 9, 1e7 elements of uniform(-100, 100)): float32 sin with an exact integer
Payne-Hanek (96 bits of 2/pi cut from constants by selects, 32-bit limb products; 0.85 ulp up
to the float32 max) 2.65x slower (3.05 -> 7.8 ms), the same with the window from a table
(gathers) ~3x; float64 needs a table (~1100 bits of 2/pi), and its three gathers alone, without
the products, already make sin 1.9x slower (6.5 -> 12.5 ms). Generated loops instead count the
arguments above TRIG_EXACT_MAX (1.6e6, exact on any machine) and hand such a call to numpy
(codegen/loops.py).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, lower_builtin, type_callable

from tapeflow.codegen import vecmath_ir

# Kernels set their own fastmath so they never inherit the caller's (see the module docstring);
# use the numpy error model, since Python's raises ZeroDivisionError on x/0, a branch that stops
# vectorisation (our divisions by 0 are meant to give inf/nan); and are forceinline (LLVM
# alwaysinline): tanh, softplus etc. exceed LLVM's inlining threshold, and a call left in the
# loop keeps it scalar (measured 15x slower).
#
# They are only ever called from compiled code (a Python-level call goes through a wrapper
# made on first use: `_call`), so no Python or C entry point is made for them: that
# wrapper code was about a fifth of each kernel's compile.
_KERNEL_OPTIONS = {"fastmath": {"contract"}, "error_model": "numpy", "forceinline": True,
                   "no_cpython_wrapper": True, "no_cfunc_wrapper": True}
# Every kernel, in the order defined: their compiled code is cached on disk per install
# (codegen/helper_cache.py).
KERNELS: list = []


def _kernel(function):
    """`function` as a vecmath kernel: @njit with _KERNEL_OPTIONS, listed in KERNELS."""
    dispatcher = numba.njit(**_KERNEL_OPTIONS)(function)
    KERNELS.append(dispatcher)
    return dispatcher


_f32 = np.float32


def _f32s(*values):
    """A tuple of float32 constants (Numba types it as UniTuple(float32))."""
    return tuple(_f32(v) for v in values)


# ---------------------------------------------------------------------------------------------
# Bit-level helpers: LLVM bitcasts between a float and the integer of the same width.

# bitwidth -> (mantissa bits, exponent bias) of the IEEE binary32 / binary64 formats
_FORMAT = {32: (23, 127), 64: (52, 1023)}


@intrinsic
def _pow2(typingctx, n):
    """2.0**n for a float n holding an integer in the normal exponent range, from its bits."""
    if not isinstance(n, types.Float):
        return None
    mant_bits, bias = _FORMAT[n.bitwidth]

    def codegen(context, builder, sig, args):
        ity = ir.IntType(n.bitwidth)
        k = builder.add(builder.fptosi(args[0], ity), ir.Constant(ity, bias))
        return builder.bitcast(builder.shl(k, ir.Constant(ity, mant_bits)), args[0].type)

    return n(n), codegen


@intrinsic
def _exponent(typingctx, x):
    """Unbiased exponent field of a positive normal x, as a float (garbage for other x)."""
    if not isinstance(x, types.Float):
        return None
    mant_bits, bias = _FORMAT[x.bitwidth]

    def codegen(context, builder, sig, args):
        ity = ir.IntType(x.bitwidth)
        field = builder.lshr(builder.bitcast(args[0], ity), ir.Constant(ity, mant_bits))
        return builder.sitofp(builder.sub(field, ir.Constant(ity, bias)), args[0].type)

    return x(x), codegen


@intrinsic
def _mantissa(typingctx, x):
    """x with its exponent field replaced by the bias: the significand, in [1, 2)."""
    if not isinstance(x, types.Float):
        return None
    mant_bits, bias = _FORMAT[x.bitwidth]

    def codegen(context, builder, sig, args):
        ity = ir.IntType(x.bitwidth)
        frac = builder.and_(builder.bitcast(args[0], ity), ir.Constant(ity, (1 << mant_bits) - 1))
        bits = builder.or_(frac, ir.Constant(ity, bias << mant_bits))
        return builder.bitcast(bits, args[0].type)

    return x(x), codegen


@intrinsic
def _horner(typingctx, x, coeffs):
    """coeffs[0] + x*coeffs[1] + x**2*coeffs[2] + ... (lowest degree first), by Horner's rule:
    acc = coeffs[-1], then acc = acc*x + coeffs[i] down to i = 0, in the common type of x
    and the coefficients.

    An intrinsic (the instructions written into the caller, which gives them its fastmath
    flags) rather than an @njit function: that one was a whole Numba compile per
    polynomial length and dtype in every process (~40 ms each here)."""
    if not (isinstance(x, types.Float) and isinstance(coeffs, types.UniTuple)
            and isinstance(coeffs.dtype, types.Float) and coeffs.count >= 1):
        return None
    rt = typingctx.unify_types(x, coeffs.dtype)

    def codegen(context, builder, sig, args):
        xv = context.cast(builder, args[0], x, rt)
        terms = [context.cast(builder, builder.extract_value(args[1], i), coeffs.dtype, rt)
                 for i in range(coeffs.count)]
        acc = terms[-1]
        for term in reversed(terms[:-1]):
            acc = builder.fadd(builder.fmul(acc, xv), term)
        return acc

    return rt(x, coeffs), codegen


# ---------------------------------------------------------------------------------------------
# Constants shared by several kernels

_HALF_F32, _ONE_F32, _TWO_F32, _ZERO_F32 = _f32(0.5), _f32(1.0), _f32(2.0), _f32(0.0)
_INF_F32, _NAN_F32 = _f32(np.inf), _f32(np.nan)
_INF, _NAN = math.inf, math.nan

# Adding then subtracting 1.5*2**23 (1.5*2**52) rounds a float32 (float64) with |y| < 2**22
# (2**51) to the nearest integer, in the current rounding mode, without a conversion to int.
_ROUND_F32 = _f32(1.5 * 2.0**23)
_ROUND_F64 = 1.5 * 2.0**52

# ---------------------------------------------------------------------------------------------
# exp and tanh are written as LLVM IR where they are called (vecmath_ir.py; `exp` and `tanh`
# below), not compiled as kernels of their own.

# Cody-Waite ln2 = hi + lo (log's reduction; exp's in vecmath_ir). Cephes: hi = 0.693359375 has
# 9 significant bits, so n*hi is exact for |n| < 2**15. fdlibm: hi has 32 bits, exact for 2**21.
_LN2_HI_F32, _LN2_LO_F32 = _f32(0.693359375), _f32(-2.12194440e-4)
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10


# ---------------------------------------------------------------------------------------------
# log

_SQRT2_F32, _SQRT2 = _f32(math.sqrt(2.0)), math.sqrt(2.0)
# Denormal inputs are scaled by 2**24 (2**54) into the normal range before reading the bits.
_MIN_NORMAL_F32, _MIN_NORMAL = _f32(np.finfo(np.float32).tiny), np.finfo(np.float64).tiny
_DENORM_SCALE_F32, _DENORM_BITS_F32 = _f32(2.0**24), _f32(24.0)
_DENORM_SCALE, _DENORM_BITS = 2.0**54, 54.0
# Cephes logf.c minimax polynomial: log(1+f) = f - f**2/2 + f**3 * P(f) on
# f in [sqrt(1/2)-1, sqrt(2)-1], P lowest degree first
_LOG_P_F32 = _f32s(
    3.3333331174e-1, -2.4999993993e-1, 2.0000714765e-1,
    -1.6668057665e-1, 1.4249322787e-1, -1.2420140846e-1,
    1.1676998740e-1, -1.1514610310e-1, 7.0376836292e-2,
)
# fdlibm e_log.c Lg1..Lg7: log(1+f) = 2s + s*R(s**2), s = f/(2+f), R(z) = z*(Lg1 + Lg2*z + ...)
_LOG_LG = (
    6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
    2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
    1.479819860511658591e-01,
)


@_kernel
def _log_f32(x):
    tiny = x < _MIN_NORMAL_F32
    xs = x * _DENORM_SCALE_F32 if tiny else x
    e = _exponent(xs) - (_DENORM_BITS_F32 if tiny else _ZERO_F32)
    m = _mantissa(xs)
    big = m > _SQRT2_F32  # reduce m to [sqrt(1/2), sqrt(2)) so that f = m - 1 is small
    f = (m * _HALF_F32 if big else m) - _ONE_F32  # exact (Sterbenz)
    e = e + _ONE_F32 if big else e
    z = f * f
    y = f * z * _horner(f, _LOG_P_F32) + e * _LN2_LO_F32 - _HALF_F32 * z
    y = (f + y) + e * _LN2_HI_F32
    y = -_INF_F32 if x == _ZERO_F32 else y
    y = _NAN_F32 if x < _ZERO_F32 else y
    return x if (x == _INF_F32) | math.isnan(x) else y


@_kernel
def _log_f64(x):
    tiny = x < _MIN_NORMAL
    xs = x * _DENORM_SCALE if tiny else x
    e = _exponent(xs) - (_DENORM_BITS if tiny else 0.0)
    m = _mantissa(xs)
    big = m > _SQRT2  # reduce m to [sqrt(1/2), sqrt(2)) so that f = m - 1 is small
    f = (m * 0.5 if big else m) - 1.0  # exact (Sterbenz)
    e = e + 1.0 if big else e
    s = f / (2.0 + f)
    z = s * s
    hfsq = 0.5 * f * f
    r = z * _horner(z, _LOG_LG)
    # fdlibm: log(1+f) = f - hfsq + s*(hfsq + R), summed small terms first
    y = e * _LN2_HI - ((hfsq - (s * (hfsq + r) + e * _LN2_LO)) - f)
    y = -_INF if x == 0.0 else y
    y = _NAN if x < 0.0 else y
    return x if (x == _INF) | math.isnan(x) else y


# ---------------------------------------------------------------------------------------------
# log1p: log(u) + (x - (u - 1))/u with u = fl(1 + x). x - (u - 1) is exactly the rounding
# error of 1 + x, and log(u + d) ~ log(u) + d/u. Selects fix the cases where that term is nan
# (x = inf, x = -1) and keep the sign of -0.


@_kernel
def _log1p_f32(x):
    u = x + _ONE_F32
    y = _log_f32(u) + (x - (u - _ONE_F32)) / u
    y = -_INF_F32 if u == _ZERO_F32 else y
    return x if (x == _ZERO_F32) | (x == _INF_F32) else y


@_kernel
def _log1p_f64(x):
    u = x + 1.0
    y = _log_f64(u) + (x - (u - 1.0)) / u
    y = -_INF if u == 0.0 else y
    return x if (x == 0.0) | (x == _INF) else y


# ---------------------------------------------------------------------------------------------
# sigmoid, softplus: exp(-|x|) is in [0, 1], so nothing overflows.


# sigmoid = num/(1 + e) with num = 1 (x >= 0) or e (x < 0, also nan). d = fl(1 + e) has the
# exact rounding error dl = (1 - d) + e, and num/(d + dl) ~ q - q*dl/d with q = num/d.


@_kernel
def _sigmoid_f32(x):
    e = exp(-abs(x))
    d = _ONE_F32 + e
    q = (_ONE_F32 if x >= _ZERO_F32 else e) / d
    return q - q * (((_ONE_F32 - d) + e) / d)


@_kernel
def _sigmoid_f64(x):
    e = exp(-abs(x))
    d = 1.0 + e
    q = (1.0 if x >= 0.0 else e) / d
    return q - q * (((1.0 - d) + e) / d)


# softplus = max(x, 0) + log1p(e), e = exp(-|x|) in [0, 1]. float32 uses a log1p for that
# interval: u = 1 + e in [1, 2], so no exponent or mantissa has to be read from the bits, and
# no special case remains but nan (which propagates). The rounding error c of 1 + e is put back
# to first order, log(u + c) ~ log(u) + c/u, as in _log1p_f32.


@_kernel
def _log1p_unit_f32(e):
    """log(1 + e) for e in [0, 1] (or nan)."""
    u = _ONE_F32 + e
    c = e - (u - _ONE_F32)  # exact: u - 1 is exact (Sterbenz), so is e - (u - 1)
    big = u > _SQRT2_F32  # as in _log_f32: m = u/2**k in [sqrt(1/2), sqrt(2)), f = m - 1
    m = u * _HALF_F32 if big else u
    c = c * _HALF_F32 if big else c
    k = _ONE_F32 if big else _ZERO_F32
    f = m - _ONE_F32  # exact
    z = f * f
    # c/m = c/(1 + f) ~ c*(1 - f + f**2), no division: the neglected c*f**3/(1 + f) is below
    # 0.1 ulp of the result (at f = sqrt(2) - 1, where |c| <= 2**-24)
    y = f * z * _horner(f, _LOG_P_F32) + k * _LN2_LO_F32 - _HALF_F32 * z + c * ((_ONE_F32 - f) + z)
    return (f + y) + k * _LN2_HI_F32


@_kernel
def _softplus_f32(x):
    return (x if x > _ZERO_F32 else _ZERO_F32) + _log1p_unit_f32(exp(-abs(x)))


@_kernel
def _softplus_f64(x):
    return (x if x > 0.0 else 0.0) + _log1p_f64(exp(-abs(x)))


# ---------------------------------------------------------------------------------------------
# sin, cos, sincos live in vecmath_trig, which imports the helpers above (hence not at the top).
from tapeflow.codegen import vecmath_trig as _trig  # noqa: E402

# For generated loops: which sin/cos arguments these kernels may not reduce exactly.
TRIG_EXACT_MAX, beyond_exact_reduction = _trig.TRIG_EXACT_MAX, _trig.beyond_exact_reduction

# ---------------------------------------------------------------------------------------------
# Public functions: one name per operation, dispatching on the argument's dtype.


def _call(x, public):
    """Python-level call of `public`: float32 scalars in float32, anything else in float64.
    A function with two results (sincos) gives a pair of that dtype."""
    dtype = np.float32 if isinstance(x, np.float32) else np.float64
    y = _python_entry(public)(x if dtype is np.float32 else float(x))
    return tuple(dtype(v) for v in y) if isinstance(y, tuple) else dtype(y)


_python_entries: dict = {}  # public function -> the @njit function calling it from Python


def _python_entry(public):
    """An @njit function calling `public` (the kernels have no Python entry points)."""
    entry = _python_entries.get(public)
    if entry is None:
        entry = _python_entries[public] = numba.njit(error_model="numpy")(lambda x: public(x))
    return entry


def _register(public, kernel_f32, kernel_f64):
    """Make `public` callable from njit code on float32 and float64 scalars: a call is
    typed as a call of the dtype's kernel and lowered as one (an `@overload` returning
    `lambda x: kernel(x)` cost one more Numba compile per function, dtype and process)."""
    kernels = {types.float32: kernel_f32, types.float64: kernel_f64}

    @type_callable(public)
    def _typer(context):
        def typer(x):
            kernel = kernels.get(x)
            if kernel is None:
                return None
            # (Compiles the kernel for x, or finds it compiled.)
            return context.resolve_function_type(context.resolve_value_type(kernel),
                                                 (x,), {}).return_type

        return typer

    for argument, kernel in kernels.items():
        @lower_builtin(public, argument)
        def _lower(context, builder, sig, args, kernel=kernel):
            kernel_type = context.typing_context.resolve_value_type(kernel)
            call = context.typing_context.resolve_function_type(kernel_type, sig.args, {})
            return context.get_function(kernel_type, call)(builder, args)

    return public


def _register_ir(public, body):
    """Make `public` callable from njit code on float32 and float64 scalars, its `body`
    (vecmath_ir) written as instructions where it is called: nothing to compile of its
    own, nothing for the caller to link."""

    @type_callable(public)
    def _typer(context):
        def typer(x):
            return x if x in (types.float32, types.float64) else None

        return typer

    for argument in (types.float32, types.float64):
        @lower_builtin(public, argument)
        def _lower(context, builder, sig, args):
            return vecmath_ir.emit(body, builder, args[0])

    return public


def exp(x):
    """e**x."""
    return _call(x, exp)


def log(x):
    """Natural logarithm; -inf at 0, nan below 0."""
    return _call(x, log)


def log1p(x):
    """log(1 + x), accurate for small |x|."""
    return _call(x, log1p)


def tanh(x):
    """Hyperbolic tangent."""
    return _call(x, tanh)


def sin(x):
    """Sine; accurate for |x| <= 1.6e6 (1e15 with FMA), nan above 1e15 (see the top); generated
    loops hand arguments above TRIG_EXACT_MAX to numpy."""
    return _call(x, sin)


def cos(x):
    """Cosine; accurate for |x| <= 1.6e6 (1e15 with FMA), nan above 1e15 (see the top); generated
    loops hand arguments above TRIG_EXACT_MAX to numpy."""
    return _call(x, cos)


def sincos(x):
    """(sin(x), cos(x)) from one range reduction; each within 1 ulp (float32) of the exact value,
    like sin and cos, but not always the same bits as sin(x) and cos(x) in float32."""
    return _call(x, sincos)


def sigmoid(x):
    """1 / (1 + exp(-x)), without overflow for large |x|."""
    return _call(x, sigmoid)


def softplus(x):
    """log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|))."""
    return _call(x, softplus)


for _public, _k32, _k64 in [
    (log, _log_f32, _log_f64),
    (log1p, _log1p_f32, _log1p_f64),
    (sin, _trig._sin_f32, _trig._sin_f64),
    (cos, _trig._cos_f32, _trig._cos_f64),
    (sincos, _trig._sincos_f32, _trig._sincos_f64),
    (sigmoid, _sigmoid_f32, _sigmoid_f64),
    (softplus, _softplus_f32, _softplus_f64),
]:
    _register(_public, _k32, _k64)
_register_ir(exp, vecmath_ir.exp_body)
_register_ir(tanh, vecmath_ir.tanh_body)

__all__ = ["cos", "exp", "log", "log1p", "sigmoid", "sin", "sincos", "softplus", "tanh"]
