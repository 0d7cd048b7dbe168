"""Small scalar helpers that generated modules import (compiled once, inlined by LLVM)."""

from __future__ import annotations


import numba
from numba.core import types
from numba.extending import overload


@numba.njit(inline="always")
def _maximum(x, y):
    # NaN in either operand gives NaN, as np.maximum does (Python's max would not).
    return x if (x >= y or x != x) else y


@numba.njit(inline="always")
def _minimum(x, y):
    return x if (x <= y or x != x) else y


def _power(x, y):
    """x ** y for generated code (see the overload below)."""
    return x**y


@overload(_power, inline="always")
def _power_overload(x, y):
    # Numba's integer `**` crashes the process under fastmath (seen with numba 0.68.1), so
    # integers use exponentiation by squaring; floats keep `**`.
    if isinstance(x, types.Integer) and isinstance(y, types.Integer):

        def integer_power(x, y):
            if y < 0:
                raise ValueError("pow: integers to negative integer powers are not allowed")
            result = x - x + 1  # one, in x's type
            base = x
            while y > 0:
                if y & 1:
                    result *= base
                base *= base
                y >>= 1
            return result

        return integer_power
    return lambda x, y: x**y
