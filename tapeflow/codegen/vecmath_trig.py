"""sin, cos and sincos kernels of `tapeflow.codegen.vecmath` (methods and measured errors are in
vecmath's module docstring). Import them through vecmath, which imports this module once its
shared helpers (`_kernel`, `_horner`, the rounding constants) exist: importing this module
before vecmath fails with a circular import."""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from tapeflow.codegen.vecmath import _NAN, _ROUND_F64, _horner, _kernel


@intrinsic
def _flip_sign_by_bit(typingctx, y, t, bit):
    """y with its sign flipped where bit number `bit` (a literal) of t's representation is set;
    y and t are floats of the same width. An xor on the sign bit, so no select is needed."""
    if not (isinstance(y, types.Float) and y == t and isinstance(bit, types.IntegerLiteral)):
        return None
    width, shift = y.bitwidth, bit.literal_value

    def codegen(context, builder, sig, args):
        ity = ir.IntType(width)
        bits = builder.lshr(builder.bitcast(args[1], ity), ir.Constant(ity, shift))
        sign = builder.shl(bits, ir.Constant(ity, width - 1))
        return builder.bitcast(builder.xor(builder.bitcast(args[0], ity), sign), args[0].type)

    return y(y, t, bit), codegen


# ---------------------------------------------------------------------------------------------
# Reduction constants (float64, shared by the float32 and float64 kernels)

_INV_PI = 0.31830988618379067154  # 1/pi
_TWO_OVER_PI = 0.63661977236758134308  # 2/pi
# Beyond this k = round(x*2/pi) is no longer reliable (near 2**51): nan, see vecmath's docstring.
_TRIG_MAX = 1e15
# fdlibm e_rem_pio2.c: pi/2 = PIO2_1 + PIO2_2 + PIO2_3 + PIO2_3T, and PIO2_2T is the tail after
# PIO2_1 + PIO2_2 (PIO2_3 + PIO2_3T rounded to one double). PIO2_1, PIO2_2 and PIO2_3 have at
# most 33 significant bits, so k*PIO2_i is exact for |k| < 2**20 (|x| < 1.6e6) with or without
# FMA. Beyond that, with FMA, (x - k*PIO2_1) - k*PIO2_2 is still exact whenever r is small, and
# the three-part tail leaves an error of up to |k| * 2**-122 in r: fine for float32 sin up to
# 1e15 (k ~ x/pi); cos and sincos (k ~ 2x/pi) take four parts to be safe.
_PIO2_1 = 1.57079632673412561417e00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_2T = 2.02226624879595063154e-21
_PIO2_3 = 2.02226624871116645580e-21
_PIO2_3T = 8.47842766036889956997e-32
# pi in the same parts (times 2: still 33 bits, exact products for |k| < 2**20, |x| < 3.3e6)
_PI_1, _PI_2, _PI_2T = 2.0 * _PIO2_1, 2.0 * _PIO2_2, 2.0 * _PIO2_2T

# Below this |x| every kernel here reduces exactly on any machine: the largest multiple of the
# pi/2 parts used is k*PIO2_i with |k| <= 2**20 - 1 (cos's j = 2n - 1 reaches that first, at
# |x| = (2**19 - 1)*pi ~ 1.647e6), so each product is exact without FMA. Above it the results
# are accurate only where LLVM fuses the products (up to _TRIG_MAX), and nan past _TRIG_MAX.
# Generated loops count their sin/cos arguments beyond it (`beyond_exact_reduction`) and hand
# such a call to numpy, whose libm reduces exactly (codegen/loops.py: why not in the kernel).
TRIG_EXACT_MAX = 1.6e6


@_kernel
def beyond_exact_reduction(x):
    """1 where x is finite and |x| > TRIG_EXACT_MAX (sin/cos here may be inexact or nan), else
    0; nan and +-inf give 0: the kernels already return numpy's nan for them."""
    a = abs(x)
    return 1 if (a > TRIG_EXACT_MAX) & (a < np.inf) else 0


@_kernel
def _reduce_pio2(x, k):
    """x - k*pi/2 with the four-part pi/2; nan beyond _TRIG_MAX (and for x = +-inf)."""
    r = (((x - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3) - k * _PIO2_3T
    return _NAN if abs(x) > _TRIG_MAX else r


# ---------------------------------------------------------------------------------------------
# float32: reduced and evaluated in float64, rounded once at the end. Computing r and the
# polynomial in float32 instead needs r as a float32 pair (r rounded alone costs 0.5 ulp
# before the polynomial starts), and the float64 <-> float32 conversions of that pair made it
# slower (measured 4.7 vs 3.8 ms for 1e7 sines) than staying in float64 until the end.

# sin(r) = r * P(r**2) on |r| <= pi/2 + 0.2, P lowest degree first: a near-minimax fit in
# relative error on r**2 in [0, (pi/2 + 0.2)**2] (Lawson's iteratively reweighted least squares
# against a longdouble reference, 4000 points); max relative error 2.1e-8 = 2**-25.5, <= 0.36
# ulp of a float32 result before the final rounding. The 0.2 of margin: k = round(x/pi) comes
# from the rounded product x*(1/pi), up to 0.06 off near |x| = 1e15 (its ulp there is 1/16),
# so at a near-tie k can be off by one and |r| reach pi/2 + 0.19 (measured 5.8 ulp for cos
# with a fit on pi/2 only).
_SIN_PIO2_F32 = (
    1.0, -0.16666647556964226, 0.008332776982911698, -0.0001978986257936649,
    2.565295241029053e-06,
)
# Same fit on |r| <= pi/4 for sincos: sin(r) = r * S(r**2), max relative error 2**-37.5
# (the bound FreeBSD's k_sinf.c states for its degree-9 polynomial); cos(r) = 1 + r**2 * C(r**2),
# max relative error 2**-33.9. (An off-by-one k, as above, stretches |r| to pi/4 + 0.1, where
# both are still far below an ulp: measured 0.52 ulp up to 1e15.)
_SIN_PIO4_F32 = (
    1.0, -0.16666666640796496, 0.008333329304778807, -0.00019839312248852827,
    2.7181214300778765e-06,
)
_COS_PIO4_F32 = (
    -0.49999999694469505, 0.041666620356398884, -0.0013886681624806184, 2.4383565127938586e-05,
)


@_kernel
def _sin_f32(x):
    # x = r + k*pi with |r| <= pi/2, sin(x) = (-1)**k sin(r): one polynomial, no quadrant select.
    xd = np.float64(x)
    t = xd * _INV_PI + _ROUND_F64  # k in the low mantissa bits of t (bit 0: k odd)
    k = t - _ROUND_F64
    r = ((xd - k * _PI_1) - k * _PI_2) - k * _PI_2T  # three parts: see above
    r = _NAN if abs(xd) > _TRIG_MAX else r  # nan for x = +-inf too
    y = r * _horner(r * r, _SIN_PIO2_F32)  # r * P keeps the sign of r = -0 for x = -0
    return np.float32(_flip_sign_by_bit(y, t, 0))


@_kernel
def _cos_f32(x):
    # x = r + (n - 1/2)*pi with n = round(x/pi + 1/2), |r| <= pi/2: cos(x) = (-1)**n sin(r).
    # The reduction subtracts j = 2n - 1 times the parts of pi/2 (j*PIO2_1 exact for
    # |x| < 1.6e6), so r is as accurate as sin's near the zeros of cos.
    xd = np.float64(x)
    t = (xd * _INV_PI + 0.5) + _ROUND_F64  # n in the low bits of t
    j = 2.0 * (t - _ROUND_F64) - 1.0
    r = _reduce_pio2(xd, j)
    y = r * _horner(r * r, _SIN_PIO2_F32)
    return np.float32(_flip_sign_by_bit(y, t, 0))


@_kernel
def _sincos_f32(x):
    # Both from one reduction x = r + k*pi/2, |r| <= pi/4, and the two quadrant polynomials:
    # (sin, cos)(x) = (s, c), (c, -s), (-s, -c), (-c, s) for k mod 4 = 0, 1, 2, 3.
    xd = np.float64(x)
    t = xd * _TWO_OVER_PI + _ROUND_F64  # k in the low bits of t
    k = t - _ROUND_F64
    r = _reduce_pio2(xd, k)
    z = r * r
    s = r * _horner(z, _SIN_PIO4_F32)
    c = 1.0 + z * _horner(z, _COS_PIO4_F32)
    odd = _flip_sign_by_bit(1.0, t, 0) < 0.0  # k odd: swap
    sin_x = _flip_sign_by_bit(c if odd else s, t, 1)  # bit 1 of k: k mod 4 in {2, 3}
    cos_x = _flip_sign_by_bit(s if odd else c, t + 1.0, 1)  # (k + 1) mod 4 in {2, 3}
    return np.float32(sin_x), np.float32(cos_x)


# ---------------------------------------------------------------------------------------------
# float64: x - k*pi/2 with fdlibm's four-part pi/2, fdlibm's sin/cos polynomials on
# [-pi/4, pi/4], quadrant chosen with selects.

# fdlibm k_sin.c S1..S6: sin(r) = r + r**3 * S(r**2) on |r| <= pi/4, lowest degree first
_SIN_S = (
    -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
    2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10,
)
# fdlibm k_cos.c C1..C6: cos(r) = 1 - r**2/2 + r**4 * C(r**2) on |r| <= pi/4
_COS_C = (
    4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
    -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11,
)


@_kernel
def _sin_cos_reduced(x):
    """(sin r, cos r, q) with x = r + k*pi/2, |r| <= pi/4 and q = k mod 4 in {-2, ..., 2}."""
    k = (x * _TWO_OVER_PI + _ROUND_F64) - _ROUND_F64
    r = _reduce_pio2(x, k)
    q = k - 4.0 * ((k * 0.25 + _ROUND_F64) - _ROUND_F64)
    z = r * r
    s = r + r * z * _horner(z, _SIN_S)
    hz = 0.5 * z
    w = 1.0 - hz
    c = w + (((1.0 - w) - hz) + z * z * _horner(z, _COS_C))  # fdlibm's compensated 1 - hz
    return s, c, q


@_kernel
def _sincos_f64(x):
    s, c, q = _sin_cos_reduced(x)
    sin_x = c if q == 1.0 else s
    sin_x = -c if q == -1.0 else sin_x
    sin_x = -s if abs(q) == 2.0 else sin_x
    cos_x = -s if q == 1.0 else c
    cos_x = s if q == -1.0 else cos_x
    cos_x = -c if abs(q) == 2.0 else cos_x
    return (x if x == 0.0 else sin_x), cos_x  # r + r*z*S(z) would turn -0 into +0


@_kernel
def _sin_f64(x):
    return _sincos_f64(x)[0]  # the unused cos select is dead code once inlined


@_kernel
def _cos_f64(x):
    return _sincos_f64(x)[1]
