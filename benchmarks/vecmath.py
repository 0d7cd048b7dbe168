"""Vectorisable math kernels against libm calls and numpy, on 1e7 elements.

    python benchmarks/vecmath.py [--all]

Workload: `out[i] = f(x[i])` over 1e7 float32 elements in an `@njit` loop compiled with the
code generator's fastmath flags (none), once with `math.exp` (a scalar libm call per element) and once
with `tapeflow.codegen.vecmath.exp` (inlined and vectorised); the baseline is `np.exp(x, out=out)`
(numpy's own SIMD exp). All three run in this process on the same arrays; prints medians of
repeated timings and their ratios. docs/NUMBA-NOTES.md gives 9.9 ms (polynomial exp) vs 27 ms
(math.exp). `--all` adds every vecmath function in float32 and float64, each against the
equivalent `math` expression and numpy expression. `--full-range` measures what a branch-free
sin correct for every finite argument would cost (see `full_range_costs` below).
"""

from __future__ import annotations

import math
import sys
import time

import numba
import numpy as np
from _timing import median_time
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from tapeflow.codegen import emit, vecmath
from tapeflow.codegen import vecmath_trig as trig

FASTMATH = set(emit.FASTMATH) or False  # the code generator's flags, as Numba takes them
N = 10_000_000


def make_loop(fn):
    @numba.njit(fastmath=FASTMATH)
    def loop(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    return loop


def make_pair_loop(fn):
    """Loop over a kernel with two results (vecmath.sincos), storing their sum."""

    @numba.njit(fastmath=FASTMATH)
    def loop(x, out):
        for i in range(x.size):
            a, b = fn(x[i])
            out[i] = a + b

    return loop


def _math_sincos(x):
    return math.sin(x), math.cos(x)


def _math_sigmoid(x):
    return 1 / (1 + math.exp(-x))


def _math_softplus(x):
    return max(x, 0) + math.log1p(math.exp(-abs(x)))


# name -> (scalar `math` version for the njit baseline, numpy version, input range); numpy
# writes into `out` where it is a single ufunc, the composites allocate temporaries as numpy does

FUNCTIONS = {
    "exp": (math.exp, lambda x, out: np.exp(x, out=out), (-80, 80)),
    "log": (math.log, lambda x, out: np.log(x, out=out), (1e-3, 1e3)),
    "log1p": (math.log1p, lambda x, out: np.log1p(x, out=out), (-0.9, 10)),
    "tanh": (math.tanh, lambda x, out: np.tanh(x, out=out), (-10, 10)),
    "sin": (math.sin, lambda x, out: np.sin(x, out=out), (-100, 100)),
    "cos": (math.cos, lambda x, out: np.cos(x, out=out), (-100, 100)),
    # sin(x) + cos(x) from one call (one range reduction)
    "sincos": (numba.njit(_math_sincos), lambda x, out: np.sin(x) + np.cos(x), (-100, 100)),
    "sigmoid": (numba.njit(_math_sigmoid), lambda x, out: 1 / (1 + np.exp(-x)), (-20, 20)),
    "softplus": (
        numba.njit(_math_softplus),
        lambda x, out: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))),
        (-20, 20),
    ),
}

PAIRS = {"sincos"}  # kernels with two results


def measure(name, dtype):
    """Median seconds for (math loop, vecmath loop, numpy), and the vecmath loop's compile time."""
    scalar_math, numpy_fn, (lo, hi) = FUNCTIONS[name]
    x = np.random.default_rng(0).uniform(lo, hi, N).astype(dtype)
    out = np.empty_like(x)
    make = make_pair_loop if name in PAIRS else make_loop
    math_loop, vec_loop = make(scalar_math), make(getattr(vecmath, name))
    t0 = time.perf_counter()
    vec_loop(x, out)
    compile_s = time.perf_counter() - t0
    math_loop(x, out)
    times = (
        median_time(lambda: math_loop(x, out), number=1, repeat=9),
        median_time(lambda: vec_loop(x, out), number=1, repeat=9),
        median_time(lambda: numpy_fn(x, out), number=1, repeat=9),
    )
    return times, compile_s


# ---------------------------------------------------------------------------------------------
# --full-range: the price of sin correct above |x| = 1e15, where vecmath returns nan.
#
# Branch-free code computes the reduction for huge x in every lane, so its cost lands on ordinary
# arguments too. Two measured variants, against vecmath's own sin on uniform(-100, 100):
# - float32, exact: Payne-Hanek in integers (Payne and Hanek, SIGNUM Newsletter 18, 1983; the
#   scheme of fdlibm's k_rem_pio2.c and ARM optimized-routines' sinf reduce_large, written
#   here from the method): x = m * 2**s, 96 bits of 2/pi from weight 2**(1-s) on, cut out of five
#   constant words with selects and funnel shifts, times m in 32-bit limbs (vpmuludq), selected
#   for |x| > 2**20. Checked against numpy below, so the timing is that of working code.
# - float64, lower bound: only the three table reads (gathers) a float64 window needs (its
#   ~1100 bits of 2/pi are too many for selects), none of the products; not a working kernel.


@intrinsic
def _bits(typingctx, x):
    """A float's representation as a uint64 (float32: zero-extended)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, sig, args):
        raw = builder.bitcast(args[0], ir.IntType(x.bitwidth))
        return raw if x.bitwidth == 64 else builder.zext(raw, ir.IntType(64))

    return types.uint64(x), codegen


@intrinsic
def _flip_sign_by_int(typingctx, y, flip):
    """float64 y with its sign flipped where bit 0 of the uint64 flip is set."""
    if not (y == types.float64 and flip == types.uint64):
        return None

    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        sign = builder.shl(args[1], ir.Constant(i64, 63))
        return builder.bitcast(builder.xor(builder.bitcast(args[0], i64), sign), args[0].type)

    return y(y, flip), codegen


def _two_over_pi_bits(nbits):
    """floor(2/pi * 2**nbits), from Machin's pi = 16 atan(1/5) - 4 atan(1/239) in integers with
    64 guard bits; its hex digits begin a2f9836e 4e441529, as fdlibm's ipio2 table does."""
    guard = nbits + 64
    one = 1 << guard

    def atan_inv(q):
        total, term, n = 0, one // q, 0
        while term:
            total += term // (2 * n + 1) if n % 2 == 0 else -(term // (2 * n + 1))
            term //= q * q
            n += 1
        return total

    return (2 << (guard + nbits)) // (16 * atan_inv(5) - 4 * atan_inv(239))


_U = np.uint64
# 2/pi's bits 1..256 behind 64 zero bits, as five words: bit i of this string has weight 2**(63-i)
_G = tuple(_U((_two_over_pi_bits(256) >> (64 * (3 - j))) & ((1 << 64) - 1)) for j in range(-1, 4))
_PIO2_2M62 = math.pi / 2 * 2.0**-62


@vecmath._kernel
def _quadrants_f32(x):
    """Y with Y * 2**-62 = x*2/pi mod 4 for finite float32 |x| >= 2**-39, to about 1 unit."""
    u = _bits(x) & _U(0x7FFFFFFF)
    e = u >> _U(23)  # x = m * 2**s, s = e - 150
    m = (u & _U(0x7FFFFF)) | _U(0x800000)
    i = e - _U(88) if e > _U(88) else _U(0)  # window = bits i .. i+95 of _G
    w, t = i >> _U(6), i & _U(63)
    a = _G[2] if w == _U(2) else (_G[1] if w == _U(1) else _G[0])
    b = _G[3] if w == _U(2) else (_G[2] if w == _U(1) else _G[1])
    c = _G[4] if w == _U(2) else (_G[3] if w == _U(1) else _G[2])
    hi = (a << t) | ((b >> _U(1)) >> (_U(63) - t))  # (v >> 1) >> (63 - t): no shift by 64
    lo = ((b << t) | ((c >> _U(1)) >> (_U(63) - t))) >> _U(32)
    # x*2/pi mod 4 = (m*W mod 2**96) * 2**-94; keep its top 64 bits (wrapping uint64 sums)
    y = ((m * (hi >> _U(32))) << _U(32)) + m * (hi & _U(0xFFFFFFFF)) + ((m * lo) >> _U(32))
    return _U(0) - y if x < 0 else y


@vecmath._kernel
def _sin_full_f32(x):
    """vecmath's float32 sin (x = r + k*pi), with r and k from _quadrants_f32 for |x| > 2**20."""
    xd = np.float64(x)
    t = xd * trig._INV_PI + vecmath._ROUND_F64
    k = t - vecmath._ROUND_F64
    r = ((xd - k * trig._PI_1) - k * trig._PI_2) - k * trig._PI_2T
    y = _quadrants_f32(x)
    n = (y + _U(1 << 62)) >> _U(63)  # round(y/2) mod 2: x = r + n*pi
    big = abs(xd) > 2.0**20
    r = np.float64(np.int64(y - (n << _U(63)))) * _PIO2_2M62 if big else r
    n = n if big else _bits(t)  # bit 0: k odd
    r = vecmath._NAN if abs(xd) == vecmath._INF else r
    return np.float32(_flip_sign_by_int(r * vecmath._horner(r * r, trig._SIN_PIO2_F32), n))


_TABLE = np.arange(4096, dtype=np.uint64)


@vecmath._kernel
def _sin_gathers_f64(x):
    """vecmath's float64 sin plus three table reads by exponent, used only for |x| > 1e15."""
    e = (_bits(x) >> _U(52)) & _U(2047)
    v = np.float64(np.int64(_TABLE[e] ^ _TABLE[e + _U(1)] ^ _TABLE[e + _U(2)]))
    return v if abs(x) > 1e15 else vecmath.sin(x)


def full_range_costs():
    print("\nbranch-free full-range sin, uniform(-100, 100), medians of 9 runs")
    huge = np.geomspace(1e6, 3.4e38, 1_000_000)
    x = np.concatenate([huge, -huge]).astype(np.float32)
    out = np.empty_like(x)
    make_loop(_sin_full_f32)(x, out)
    exact = np.sin(x.astype(np.float64))
    ulp = np.abs(out - exact) / np.spacing(np.abs(exact).astype(np.float32))
    print(f"  float32 Payne-Hanek: max {ulp.max():.2f} ulp over +-geomspace(1e6, 3.4e38)")
    for dtype, variant in ((np.float32, _sin_full_f32), (np.float64, _sin_gathers_f64)):
        x = np.random.default_rng(0).uniform(-100, 100, N).astype(dtype)
        out = np.empty_like(x)
        base, full = make_loop(vecmath.sin), make_loop(variant)
        base(x, out)
        full(x, out)
        base_s, full_s = (
            median_time(lambda loop=loop, x=x, out=out: loop(x, out), number=1, repeat=9)
            for loop in (base, full)
        )
        what = "Payne-Hanek" if dtype is np.float32 else "3 gathers only (lower bound)"
        print(
            f"  {dtype.__name__} sin {base_s * 1e3:.2f} ms, {what} {full_s * 1e3:.2f} ms "
            f"({full_s / base_s:.2f}x)"
        )


def main(argv):
    print(f"1e7 elements, njit(fastmath={FASTMATH}), medians of 9 runs")
    (math_s, vec_s, np_s), compile_s = measure("exp", np.float32)
    print(
        f"float32 exp: math.exp loop {math_s * 1e3:.2f} ms, vecmath.exp loop {vec_s * 1e3:.2f} ms, "
        f"np.exp {np_s * 1e3:.2f} ms"
    )
    print(
        f"  math.exp / vecmath.exp = {math_s / vec_s:.1f}x, np.exp / vecmath.exp = "
        f"{np_s / vec_s:.2f}x (first call, with compile: {compile_s:.2f} s)"
    )
    if "--full-range" in argv:
        full_range_costs()
    if "--all" not in argv:
        return
    print(
        f"\n{'function':10s}{'dtype':9s}{'math ms':>9s}{'vecmath ms':>12s}{'numpy ms':>10s}"
        f"{'math/vec':>10s}{'numpy/vec':>11s}{'compile s':>11s}"
    )
    for name in FUNCTIONS:
        for dtype in (np.float32, np.float64):
            (math_s, vec_s, np_s), compile_s = measure(name, dtype)
            print(
                f"{name:10s}{dtype.__name__:9s}{math_s * 1e3:9.2f}{vec_s * 1e3:12.2f}"
                f"{np_s * 1e3:10.2f}{math_s / vec_s:10.1f}{np_s / vec_s:11.2f}{compile_s:11.2f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
