"""Small scalar helpers that generated modules import (compiled once, inlined by LLVM)."""

from __future__ import annotations

import math

import numba


@numba.njit(inline="always")
def _maximum(x, y):
    # NaN in either operand gives NaN, as np.maximum does (Python's max would not).
    return x if (x >= y or x != x) else y


@numba.njit(inline="always")
def _minimum(x, y):
    return x if (x <= y or x != x) else y


@numba.njit(inline="always")
def _sigmoid(x):
    # exp(-|x|) never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    e = math.exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


@numba.njit(inline="always")
def _softplus(x):
    # log(1+e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
