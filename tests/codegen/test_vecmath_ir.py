"""vecmath's exp and tanh written as LLVM IR at their call site (codegen/vecmath_ir.py): the
same bits as the @njit kernels they replaced, and no Numba compile of their own.

REFERENCE holds those kernels' source as it was (the oracle): each case runs both in the same
kind of loop generated code runs them in, and compares the results bit for bit."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from numba.core import event

from tapeflow.codegen import vecmath
from tapeflow.codegen.vecmath import _f32, _horner, _pow2

pytestmark = pytest.mark.slow

_KERNEL = {"fastmath": {"contract"}, "error_model": "numpy", "forceinline": True}

# --- the former kernels, verbatim but for the constants' names -------------------------------
_ONE, _TWO, _HALF, _ZERO = _f32(1.0), _f32(2.0), _f32(0.5), _f32(0.0)
_LO32, _HI32, _LOG2E32, _R32 = _f32(-104.0), _f32(89.0), _f32(1.4426950408889634), _f32(1.5 * 2.0**23)
_LN2_HI32, _LN2_LO32 = _f32(0.693359375), _f32(-2.12194440e-4)
_P32 = tuple(_f32(v) for v in (5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2,
                               8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4))
_R64 = 1.5 * 2.0**52
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_P64 = tuple(1.0 / math.factorial(k) for k in range(2, 14))
_T32 = tuple(_f32(v) for v in (-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2,
                               2.06390887954e-2, -5.70498872745e-3))
_TP = (-1.61468768441708447952e3, -9.92877231001918586564e1, -9.64399179425052238628e-1)
_TQ = (4.84406305325125486048e3, 2.23548839060100448583e3, 1.12811678491632931402e2, 1.0)


@numba.njit(**_KERNEL)
def _exp_f32(x):
    xc = x if x > _LO32 else _LO32
    xc = xc if xc < _HI32 else _HI32
    n = (xc * _LOG2E32 + _R32) - _R32
    hi = xc - n * _LN2_HI32
    lo = n * _LN2_LO32
    r = hi - lo
    t = _ONE + hi
    p = t + ((((_ONE - t) + hi) - lo) + r * r * _horner(r, _P32))
    n1 = (n * _HALF + _R32) - _R32
    y = p * _pow2(n1) * _pow2(n - n1)
    return x if math.isnan(x) else y


@numba.njit(**_KERNEL)
def _exp_f64(x):
    xc = x if x > -746.0 else -746.0
    xc = xc if xc < 710.0 else 710.0
    n = (xc * 1.4426950408889634 + _R64) - _R64
    hi = xc - n * _LN2_HI
    lo = n * _LN2_LO
    r = hi - lo
    t = 1.0 + hi
    p = t + ((((1.0 - t) + hi) - lo) + r * r * _horner(r, _P64))
    n1 = (n * 0.5 + _R64) - _R64
    y = p * _pow2(n1) * _pow2(n - n1)
    return x if math.isnan(x) else y


@numba.njit(**_KERNEL)
def _tanh_f32(x):
    ax = abs(x)
    z = x * x
    small = x + x * z * _horner(z, _T32)
    big = _ONE - _TWO / (_exp_f32(_TWO * ax) + _ONE)
    big = big if x > _ZERO else -big
    y = small if ax < _f32(0.625) else big
    return x if x == _ZERO else y


@numba.njit(**_KERNEL)
def _tanh_f64(x):
    ax = abs(x)
    z = x * x
    small = x + x * z * (_horner(z, _TP) / _horner(z, _TQ))
    big = 1.0 - 2.0 / (_exp_f64(2.0 * ax) + 1.0)
    big = big if x > 0.0 else -big
    y = small if ax < 0.625 else big
    return x if x == 0.0 else y


REFERENCE = {("exp", np.float32): _exp_f32, ("exp", np.float64): _exp_f64,
             ("tanh", np.float32): _tanh_f32, ("tanh", np.float64): _tanh_f64}


def _loop(fn):
    @numba.njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    return loop


def _inputs(dtype):
    """Random bit patterns (every exponent, nan payloads, denormals), the ranges where the
    methods switch, and the special values."""
    rng = np.random.default_rng(11)
    if dtype is np.float32:
        bits = rng.integers(0, 2**32, 2**21, dtype=np.uint64).astype(np.uint32).view(np.float32)
    else:
        bits = rng.integers(0, 2**64, 2**20, dtype=np.uint64, endpoint=False).view(np.float64)
    edges = [0.625, 89.0, 104.0, 710.0, 746.0, 44.5, 9.0]
    near = np.concatenate([np.linspace(e * 0.99, e * 1.01, 4001) for e in edges])
    special = [0.0, np.inf, np.nan, np.finfo(dtype).tiny, np.finfo(dtype).max,
               np.finfo(dtype).smallest_subnormal]
    values = np.concatenate([bits.astype(dtype), rng.uniform(-30, 30, 2**18).astype(dtype),
                             rng.uniform(-1, 1, 2**18).astype(dtype), near.astype(dtype),
                             np.array(special, dtype)])
    return np.concatenate([values, -values])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["exp", "tanh"])
def test_same_bits_as_the_former_kernels(name, dtype):
    x = _inputs(dtype)
    got, want = np.empty_like(x), np.empty_like(x)
    _loop(getattr(vecmath, name))(x, got)
    _loop(REFERENCE[name, dtype])(x, want)
    uint = np.uint32 if dtype is np.float32 else np.uint64
    differ = got.view(uint) != want.view(uint)
    assert not differ.any(), (name, x[differ][:5], got[differ][:5], want[differ][:5])
    # and one at a time, outside a loop, from Python
    for v in x[::max(1, x.size // 200)]:
        one = getattr(vecmath, name)(v)
        assert isinstance(one, dtype)
        assert np.asarray(one).view(uint) == np.asarray(dtype(REFERENCE[name, dtype](v))).view(uint)


def test_a_function_calling_them_compiles_nothing_else():
    # One Numba compile: the caller's (the kernels used to be two or three more per process).
    @numba.njit
    def f(x32, x64):
        return (vecmath.tanh(x32) + vecmath.exp(x32), vecmath.tanh(x64) * vecmath.exp(x64))

    compiled = []

    class Listener(event.Listener):
        def on_start(self, ev):
            compiled.append(ev.data["dispatcher"].py_func.__name__)

        def on_end(self, ev):
            pass

    listener = Listener()
    event.register("numba:compile", listener)
    try:
        a, b = f(np.float32(0.3), 2.0)
    finally:
        event.unregister("numba:compile", listener)
    assert compiled == ["f"]
    assert a == pytest.approx(np.tanh(0.3) + np.exp(0.3), rel=1e-6)
    assert b == pytest.approx(np.tanh(2.0) * np.exp(2.0), rel=1e-15)


def test_a_caller_s_fastmath_flags_do_not_reach_them():
    # reassoc in the caller would fold (x + M) - M to x in exp's rounding: explicit flags
    # keep Numba's fastmath pass off their instructions.
    @numba.njit(fastmath=True)
    def loop(x, out):
        for i in range(x.size):
            out[i] = vecmath.exp(x[i])

    x = np.linspace(-80, 80, 10001).astype(np.float32)
    got, want = np.empty_like(x), np.empty_like(x)
    loop(x, got)
    _loop(_exp_f32)(x, want)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
