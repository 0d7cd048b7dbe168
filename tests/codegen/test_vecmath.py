"""tapeflow.codegen.vecmath: accuracy, special values, loops and SIMD vectorisation.

Every kernel runs where generated code runs it: inside an `@njit` loop compiled with the
generator's fastmath flags (none: emit.FASTMATH), so the kernels meet their documented
accuracy, and vectorise, without the caller's help. The reference is numpy one precision up
(float64 for float32, longdouble for float64); errors are in ulp of the correctly rounded
result.
"""

from __future__ import annotations

import re

import llvmlite.binding as llvm
import numba
import numpy as np
import pytest

from tapeflow.codegen import emit, vecmath

pytestmark = pytest.mark.slow  # every test compiles Numba loops

FASTMATH = set(emit.FASTMATH) or False  # the code generator's flags, as Numba takes them
DTYPES = [np.float32, np.float64]
WIDE = {np.float32: np.float64, np.float64: np.longdouble}  # reference precision per dtype


def _make_loop(fn):
    @numba.njit(fastmath=FASTMATH)
    def loop(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    return loop


NAMES = ["exp", "log", "log1p", "tanh", "sin", "cos", "sigmoid", "softplus"]
# One loop per function, compiled once per dtype on first use and shared by all tests.
LOOPS = {name: _make_loop(getattr(vecmath, name)) for name in NAMES}


def apply(name, x):
    out = np.empty_like(x)
    LOOPS[name](x, out)
    return out


def _make_pair_loop(fn):
    @numba.njit(fastmath=FASTMATH)
    def loop(x, out0, out1):
        for i in range(x.size):
            out0[i], out1[i] = fn(x[i])

    return loop


# Kernels with two results, and the single-result functions whose values they give.
PAIRS = {"sincos": ("sin", "cos")}
PAIR_LOOPS = {name: _make_pair_loop(getattr(vecmath, name)) for name in PAIRS}
PAIR_CASES = [(name, k, dtype) for name in PAIRS for k in (0, 1) for dtype in DTYPES]
PAIR_IDS = [f"{name}[{k}]-{dtype.__name__}" for name, k, dtype in PAIR_CASES]


def apply_pair(name, x):
    out = (np.empty_like(x), np.empty_like(x))
    PAIR_LOOPS[name](x, *out)
    return out


def reference(name, x):
    """numpy's value one precision up (not rounded to x's dtype)."""
    w = x.astype(WIDE[x.dtype.type])
    with np.errstate(all="ignore"):
        if name == "sigmoid":
            return 1 / (1 + np.exp(-w))
        if name == "softplus":
            return np.maximum(w, 0) + np.log1p(np.exp(-np.abs(w)))
        return getattr(np, name)(w)


def ulp_error(actual, exact):
    """|actual - exact| / spacing(exact rounded to actual's dtype); 0 where both are the same
    infinity or both nan, inf where only one of them is."""
    with np.errstate(all="ignore"):
        rounded = exact.astype(actual.dtype)
        err = np.abs(actual.astype(exact.dtype) - exact) / np.spacing(rounded).astype(exact.dtype)
    both_nan = np.isnan(actual) & np.isnan(rounded)
    err[((actual == rounded) & ~np.isfinite(rounded)) | both_nan] = 0
    err[np.isnan(err)] = np.inf
    return err


def _pm(values):
    return [values, -values]


# Dense sweeps of each function's valid range, per dtype (float64 sweeps are 4x sparser: the
# longdouble reference is slow). Each includes the overflow, underflow and denormal regions.
def sweeps(name, dtype):
    f32 = dtype is np.float32
    n = 1_000_000 if f32 else 250_000
    if name == "exp":
        return [np.linspace(-104, 89, n) if f32 else np.linspace(-746, 710, n)]
    if name == "log":
        tiny, big = (1e-45, 3.4e38) if f32 else (5e-324, 1.7e308)
        return [np.geomspace(tiny, big, n), np.linspace(0.5, 2.0, n // 4)]
    if name == "log1p":
        small = np.geomspace(1e-40 if f32 else 1e-300, 1.0, n // 4)
        return [*_pm(small), np.geomspace(1.0, 1e38 if f32 else 1e300, n // 4), small - 1.0]
    if name == "tanh":
        small = np.geomspace(1e-40 if f32 else 1e-300, 1.0, n // 4)
        return [np.linspace(-12, 12, n) if f32 else np.linspace(-25, 25, n), *_pm(small)]
    if name in ("sin", "cos"):  # the documented valid range is |x| <= 2**20 * pi/2
        return [np.linspace(-10, 10, n), np.linspace(-1e4, 1e4, n), np.linspace(-1.6e6, 1.6e6, n)]
    if name == "sigmoid":
        return [np.linspace(-110, 100, n) if f32 else np.linspace(-750, 750, n)]
    if name == "softplus":
        large = np.geomspace(1e-10, 1e38 if f32 else 1e300, n // 4)
        return [np.linspace(-110, 100, n) if f32 else np.linspace(-750, 750, n), large]
    raise KeyError(name)


# Max ulp allowed per dtype: the targets of the Numba-codegen issue.
MAX_ULP = {np.float32: 2.0, np.float64: 4.0}

CASES = [(name, dtype) for name in NAMES for dtype in DTYPES]
IDS = [f"{name}-{dtype.__name__}" for name, dtype in CASES]


@pytest.mark.parametrize("name,dtype", CASES, ids=IDS)
def test_max_ulp_error_over_dense_sweep(name, dtype):
    worst, where = 0.0, None
    for values in sweeps(name, dtype):
        x = values.astype(dtype)
        err = ulp_error(apply(name, x), reference(name, x))
        i = int(np.argmax(err))
        if err[i] > worst:
            worst, where = float(err[i]), x[i]
    assert worst <= MAX_ULP[dtype], f"{name} {dtype.__name__}: max {worst:.3f} ulp at x={where!r}"


# Special values: expected results written out (numpy's), nan compared as nan, zeros by sign.
NAN, INF = np.nan, np.inf
SPECIAL = {
    "exp": [(NAN, NAN), (INF, INF), (-INF, 0.0), (0.0, 1.0), (-0.0, 1.0), (1000.0, INF),
            (-1000.0, 0.0)],
    "log": [(NAN, NAN), (INF, INF), (-INF, NAN), (0.0, -INF), (-0.0, -INF), (-1.0, NAN),
            (1.0, 0.0)],
    "log1p": [(NAN, NAN), (INF, INF), (-INF, NAN), (0.0, 0.0), (-0.0, -0.0), (-1.0, -INF),
              (-2.0, NAN)],
    "tanh": [(NAN, NAN), (INF, 1.0), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (1000.0, 1.0)],
    # sin/cos: nan beyond the documented range |x| <= 1e15
    "sin": [(NAN, NAN), (INF, NAN), (-INF, NAN), (0.0, 0.0), (-0.0, -0.0), (1e16, NAN)],
    "cos": [(NAN, NAN), (INF, NAN), (-INF, NAN), (0.0, 1.0), (-0.0, 1.0), (-1e16, NAN)],
    "sigmoid": [(NAN, NAN), (INF, 1.0), (-INF, 0.0), (0.0, 0.5), (-0.0, 0.5), (-1000.0, 0.0)],
    "softplus": [(NAN, NAN), (INF, INF), (-INF, 0.0), (1e30, 1e30), (-1000.0, 0.0)],
}


def _same(a, b):
    """Equal as floats, with nan == nan and the sign of zero compared."""
    return (np.isnan(a) and np.isnan(b)) or (a == b and np.signbit(a) == np.signbit(b))


@pytest.mark.parametrize("name,dtype", CASES, ids=IDS)
def test_special_values(name, dtype):
    x = np.array([arg for arg, _ in SPECIAL[name]], dtype=dtype)
    got = apply(name, x)
    bad = [(arg, want, got[i]) for i, (arg, want) in enumerate(SPECIAL[name])
           if not _same(got[i], dtype(want))]
    assert not bad, f"{name} {dtype.__name__}: (x, expected, got) {bad}"


@pytest.mark.parametrize("name,dtype", CASES, ids=IDS)
def test_extreme_finite_inputs_match_numpy(name, dtype):
    """Denormals, the largest floats and the edges of overflow/underflow, within the ulp bound."""
    info = np.finfo(dtype)
    edges = [info.smallest_subnormal, info.smallest_normal, info.max, 88.72, 88.73, -87.34,
             -103.97, -104.0, 709.78, 709.79, -745.13, -745.2, 2.0**-30, 2.0**-60]
    x = np.array([v for e in edges for v in (e, -e)], dtype=dtype)
    if name in ("sin", "cos"):
        x = x[np.abs(x) <= 1.6e6]
    err = ulp_error(apply(name, x), reference(name, x))
    i = int(np.argmax(err))
    assert err[i] <= MAX_ULP[dtype], f"{name} {dtype.__name__}: {err[i]:.3f} ulp at x={x[i]!r}"


@pytest.mark.parametrize("name,dtype", CASES, ids=IDS)
def test_loop_matches_scalar_calls_and_numpy(name, dtype):
    """Inlined into the generated code's loop, a kernel gives the same bits as called on its
    own from Python, and both agree with numpy."""
    rng = np.random.default_rng(0)
    sample = np.concatenate([rng.choice(s, 200) for s in sweeps(name, dtype)])
    x = np.concatenate([sample, [a for a, _ in SPECIAL[name]]]).astype(dtype)
    looped = apply(name, x)
    scalar = np.array([getattr(vecmath, name)(v) for v in x])
    assert scalar.dtype == dtype
    differ = [
        (x[i], looped[i], scalar[i]) for i in range(x.size) if not _same(looped[i], scalar[i])
    ]
    assert not differ, f"{name} {dtype.__name__}: (x, loop, scalar) {differ[:5]}"
    swept = looped[: sample.size]  # the special values are checked against their own table
    assert ulp_error(swept, reference(name, x[: sample.size])).max() <= MAX_ULP[dtype]


def _has_avx():
    return bool(llvm.get_host_cpu_features().get("avx", False))


NO_AVX = "this CPU has no AVX: LLVM would not use 256-bit vectors"


@pytest.mark.skipif(not _has_avx(), reason=NO_AVX)
@pytest.mark.parametrize("name,dtype", CASES, ids=IDS)
def test_loop_vectorises(name, dtype):
    """The kernel is inlined into the loop, with no calls left, and the loop uses vector types
    (float32 sin/cos load and store float vectors and compute in double vectors)."""
    x = np.linspace(-1, 1, 64).astype(dtype)
    apply(name, x)  # compile for this dtype
    arr = numba.typeof(x)
    _assert_vectorised(LOOPS[name].inspect_llvm((arr, arr)), name, dtype)


def _assert_vectorised(ir, name, dtype):
    lanes = "float" if dtype is np.float32 else "double"
    assert re.search(rf"<(4|8|16) x {lanes}>", ir), f"{name} {dtype.__name__}: loop not vectorised"
    calls = set(re.findall(r"call [^@]*@([\w.$]+)", ir))
    kernels = r"8tapeflow7codegen(7vecmath|12vecmath_trig)"  # mangled module prefixes
    left = {c for c in calls
            if re.search(kernels, c) or re.match(r"(llvm\.)?(exp|log|sin|cos|tanh)", c)}
    assert not left, f"{name} {dtype.__name__}: calls left in the loop: {left}"


# Two-result kernels: each result as accurate as the single function, the same special values.


@pytest.mark.parametrize("name,k,dtype", PAIR_CASES, ids=PAIR_IDS)
def test_pair_max_ulp_error_over_dense_sweep(name, k, dtype):
    single = PAIRS[name][k]
    worst, where = 0.0, None
    for values in sweeps(single, dtype):
        x = values.astype(dtype)
        err = ulp_error(apply_pair(name, x)[k], reference(single, x))
        i = int(np.argmax(err))
        if err[i] > worst:
            worst, where = float(err[i]), x[i]
    assert worst <= MAX_ULP[dtype], \
        f"{name}[{k}] {dtype.__name__}: max {worst:.3f} ulp at {where!r}"


@pytest.mark.parametrize("name,k,dtype", PAIR_CASES, ids=PAIR_IDS)
def test_pair_special_values_and_scalar_calls(name, k, dtype):
    single = PAIRS[name][k]
    x = np.array([arg for arg, _ in SPECIAL[single]], dtype=dtype)
    got = apply_pair(name, x)[k]
    bad = [(arg, want, got[i]) for i, (arg, want) in enumerate(SPECIAL[single])
           if not _same(got[i], dtype(want))]
    assert not bad, f"{name}[{k}] {dtype.__name__}: (x, expected, got) {bad}"
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.choice(s, 200) for s in sweeps(single, dtype)] + [x]).astype(dtype)
    looped = apply_pair(name, x)[k]
    scalar = np.array([getattr(vecmath, name)(v)[k] for v in x])
    assert scalar.dtype == dtype
    assert all(_same(a, b) for a, b in zip(looped, scalar)), f"{name}[{k}] {dtype.__name__}"


@pytest.mark.skipif(not _has_avx(), reason=NO_AVX)
@pytest.mark.parametrize("name", list(PAIRS))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_pair_loop_vectorises(name, dtype):
    x = np.linspace(-1, 1, 64).astype(dtype)
    apply_pair(name, x)
    arr = numba.typeof(x)
    _assert_vectorised(PAIR_LOOPS[name].inspect_llvm((arr, arr, arr)), name, dtype)


def test_python_level_calls_keep_the_dtype():
    assert isinstance(vecmath.exp(np.float32(1.0)), np.float32)
    assert isinstance(vecmath.exp(1.0), np.float64)
    assert vecmath.log(np.float32(np.e)) == np.float32(1.0)
    s, c = vecmath.sincos(np.float32(1.0))
    assert isinstance(s, np.float32) and isinstance(c, np.float32)
