"""Vectorisable math kernels against libm calls and numpy, on 1e7 elements.

    python benchmarks/vecmath.py [--all]

Workload: `out[i] = f(x[i])` over 1e7 float32 elements in an `@njit` loop compiled with the
code generator's fastmath set, once with `math.exp` (a scalar libm call per element) and once
with `tapeflow.codegen.vecmath.exp` (inlined and vectorised); the baseline is `np.exp(x, out=out)`
(numpy's own SIMD exp). All three run in this process on the same arrays; prints medians of
repeated timings and their ratios. NUMBA-NOTES measured 9.9 ms (polynomial exp) vs 27 ms
(math.exp). `--all` adds every vecmath function in float32 and float64, each against the
equivalent `math` expression and numpy expression.
"""

from __future__ import annotations

import math
import sys
import time

import numba
import numpy as np

from tapeflow.codegen import vecmath
from _timing import median_time

FASTMATH = {"arcp", "contract", "afn", "reassoc", "nsz"}  # the code generator's flag set
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


def main(argv):
    print(f"1e7 elements, njit(fastmath={sorted(FASTMATH)}), medians of 9 runs")
    (math_s, vec_s, np_s), compile_s = measure("exp", np.float32)
    print(
        f"float32 exp: math.exp loop {math_s * 1e3:.2f} ms, vecmath.exp loop {vec_s * 1e3:.2f} ms, "
        f"np.exp {np_s * 1e3:.2f} ms"
    )
    print(
        f"  math.exp / vecmath.exp = {math_s / vec_s:.1f}x, np.exp / vecmath.exp = "
        f"{np_s / vec_s:.2f}x (first call, with compile: {compile_s:.2f} s)"
    )
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
