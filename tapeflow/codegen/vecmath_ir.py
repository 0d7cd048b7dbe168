"""exp and tanh of `tapeflow.codegen.vecmath`, written as LLVM IR into the function calling them.

Why: as @njit kernels, each was a whole Numba compile in every process that used it (bytecode,
type inference, lowering, an LLVM module of its own optimised and turned into machine code),
only for LLVM to inline it into the caller's loop: ~0.15 s of CPU for float32 tanh and the exp
it calls, about a fifth of the deep MLP's first compiled call (L = 32). Written straight into
the caller, they cost only the caller's optimisation, which it paid for them before as well.

The methods are those of vecmath's docstring, and the bodies below are written once for both
widths, on `_Value`s whose Python operators emit instructions: the same operations, operands
and order as the @njit kernels they replace, so the code LLVM makes of them is the same (tests/
codegen/test_vecmath_ir.py compares the results bit for bit with those kernels' source).
- Every floating-point instruction carries the `contract` flag, the kernels' fastmath set
  (FMA contraction only). Explicit flags also keep a caller's fastmath flags off them:
  Numba's fastmath pass only flags instructions that have none.
- A conditional expression `a if c else b` is `where(c, a, b)`, a select (the kernels' branches
  became selects in LLVM too).
- Constants are rounded to the width first, as the float32 kernels' `np.float32` constants were.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

_FLAGS = ("contract",)


class _Emitter:
    """Where the instructions go (an IRBuilder) and in which float type."""

    def __init__(self, builder: ir.IRBuilder, fty):
        self.builder = builder
        self.fty = fty
        self.bits = 32 if isinstance(fty, ir.FloatType) else 64
        self.np_type = np.float32 if self.bits == 32 else np.float64

    def value(self, v) -> _Value:
        """`v` as a _Value: a Python number becomes a constant of the width."""
        if isinstance(v, _Value):
            return v
        return _Value(self, ir.Constant(self.fty, float(self.np_type(v))))


class _Value:
    """A float in the function being built; arithmetic and comparisons emit instructions."""

    __slots__ = ("em", "ir")

    def __init__(self, em: _Emitter, value):
        self.em = em
        self.ir = value

    def _binary(self, op: str, other, reverse: bool = False) -> _Value:
        other = self.em.value(other)
        a, b = (other, self) if reverse else (self, other)
        return _Value(self.em, getattr(self.em.builder, op)(a.ir, b.ir, flags=_FLAGS))

    def __add__(self, other):
        return self._binary("fadd", other)

    def __radd__(self, other):
        return self._binary("fadd", other, reverse=True)

    def __sub__(self, other):
        return self._binary("fsub", other)

    def __rsub__(self, other):
        return self._binary("fsub", other, reverse=True)

    def __mul__(self, other):
        return self._binary("fmul", other)

    def __rmul__(self, other):
        return self._binary("fmul", other, reverse=True)

    def __truediv__(self, other):
        return self._binary("fdiv", other)

    def __rtruediv__(self, other):
        return self._binary("fdiv", other, reverse=True)

    def __neg__(self):
        # as Numba negates a float: -0.0 - x (LLVM makes it an fneg)
        return self._binary("fsub", -0.0, reverse=True)

    def __abs__(self):
        builder = self.em.builder
        fabs = builder.module.declare_intrinsic("llvm.fabs", [self.em.fty])
        return _Value(self.em, builder.call(fabs, [self.ir], fastmath=_FLAGS))

    def _compare(self, op: str, other) -> _Condition:
        other = self.em.value(other)
        return _Condition(self.em.builder.fcmp_ordered(op, self.ir, other.ir, flags=_FLAGS))

    def __lt__(self, other):
        return self._compare("<", other)

    def __gt__(self, other):
        return self._compare(">", other)

    def __ge__(self, other):
        return self._compare(">=", other)

    def __eq__(self, other):
        return self._compare("==", other)

    __hash__ = None


class _Condition:
    """An i1 from a comparison."""

    __slots__ = ("ir",)

    def __init__(self, value):
        self.ir = value


def where(condition: _Condition, a, b) -> _Value:
    """`a if condition else b`, as a select."""
    em = a.em if isinstance(a, _Value) else b.em
    a, b = em.value(a), em.value(b)
    return _Value(em, em.builder.select(condition.ir, a.ir, b.ir))


def isnan(x: _Value) -> _Condition:
    """math.isnan(x), as Numba lowers it."""
    return _Condition(x.em.builder.fcmp_unordered("uno", x.ir, x.ir, flags=_FLAGS))


def pow2(n: _Value) -> _Value:
    """2.0**n for a float n holding an integer in the normal exponent range, from its bits
    (vecmath._pow2)."""
    em, builder = n.em, n.em.builder
    mant_bits, bias = (23, 127) if em.bits == 32 else (52, 1023)
    ity = ir.IntType(em.bits)
    k = builder.add(builder.fptosi(n.ir, ity), ir.Constant(ity, bias))
    return _Value(em, builder.bitcast(builder.shl(k, ir.Constant(ity, mant_bits)), em.fty))


def horner(x: _Value, coeffs) -> _Value:
    """coeffs[0] + x*coeffs[1] + ... by Horner's rule, as vecmath._horner: acc = coeffs[-1],
    then acc = acc*x + coeffs[i] down to i = 0."""
    acc = x.em.value(coeffs[-1])
    for term in reversed(coeffs[:-1]):
        acc = acc * x + term
    return acc


# ---------------------------------------------------------------------------------------------
# Constants per width (vecmath's docstring gives their sources)


class _Constants:
    def __init__(self, **values):
        self.__dict__.update(values)


_C32 = _Constants(
    EXP_LO=-104.0, EXP_HI=89.0, LOG2E=1.4426950408889634, ROUND=1.5 * 2.0**23,
    LN2_HI=0.693359375, LN2_LO=-2.12194440e-4,
    EXP_P=(5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2,
           8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4),
    TANH_SMALL=0.625,
    TANH_P=(-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2,
            2.06390887954e-2, -5.70498872745e-3),
    TANH_Q=None,
)
_C64 = _Constants(
    EXP_LO=-746.0, EXP_HI=710.0, LOG2E=1.4426950408889634, ROUND=1.5 * 2.0**52,
    LN2_HI=6.93147180369123816490e-01, LN2_LO=1.90821492927058770002e-10,
    EXP_P=tuple(1.0 / math.factorial(k) for k in range(2, 14)),
    TANH_SMALL=0.625,
    TANH_P=(-1.61468768441708447952e3, -9.92877231001918586564e1, -9.64399179425052238628e-1),
    TANH_Q=(4.84406305325125486048e3, 2.23548839060100448583e3, 1.12811678491632931402e2, 1.0),
)


def _constants(x: _Value) -> _Constants:
    return _C32 if x.em.bits == 32 else _C64


# ---------------------------------------------------------------------------------------------
# The functions (vecmath's docstring: Methods)


def exp_body(x: _Value) -> _Value:
    c = _constants(x)
    xc = where(x > c.EXP_LO, x, c.EXP_LO)  # nan -> lo here, restored at the end
    xc = where(xc < c.EXP_HI, xc, c.EXP_HI)
    n = (xc * c.LOG2E + c.ROUND) - c.ROUND
    hi = xc - n * c.LN2_HI  # exact: n*hi is exact and close to xc (Sterbenz)
    lo = n * c.LN2_LO
    r = hi - lo
    # e**r = 1 + r + r**2 P(r), with 1 + r kept as t plus its exact rounding error (1 - t) + hi
    t = 1.0 + hi
    p = t + ((((1.0 - t) + hi) - lo) + r * r * horner(r, c.EXP_P))
    n1 = (n * 0.5 + c.ROUND) - c.ROUND  # 2**n = 2**n1 * 2**(n - n1), both normal
    y = p * pow2(n1) * pow2(n - n1)
    return where(isnan(x), x, y)


def tanh_body(x: _Value) -> _Value:
    c = _constants(x)
    ax = abs(x)
    z = x * x
    if c.TANH_Q is None:  # float32: x + x*z*P(z)
        small = x + x * z * horner(z, c.TANH_P)
    else:  # float64: x + x*z*P(z)/Q(z)
        small = x + x * z * (horner(z, c.TANH_P) / horner(z, c.TANH_Q))
    big = 1.0 - 2.0 / (exp_body(2.0 * ax) + 1.0)  # exp -> inf gives 1
    big = where(x > 0.0, big, -big)
    y = where(ax < c.TANH_SMALL, small, big)  # nan takes the exp path and stays nan
    return where(x == 0.0, x, y)  # x + x*z*P(z) would turn -0 into +0


def emit(body, builder: ir.IRBuilder, x):
    """The IR value of `body` (exp_body, tanh_body) at the builder's position, for the LLVM
    float or double `x`."""
    return body(_Value(_Emitter(builder, x.type), x)).ir
