"""Small scalar helpers that generated modules import (compiled once, inlined by LLVM).

Each one exists because the obvious Python expression differs from numpy, and generated code
must compute what the eager (numpy) kernels compute, special values and errors included:

- `_maximum`, `_minimum`: NaN in either operand gives NaN (Python's `max` would not);
- `_power`: integer powers by squaring (Numba's integer `**` crashes under fastmath), with
  numpy's wrap-around on overflow and the eager kernel's error for negative exponents;
- `_floordiv`, `_mod`: integer division by zero raises the eager kernel's error instead of
  Numba's silent 0, and `MIN // -1` wraps to MIN as numpy's does;
- `_add`, `_sub`, `_mul`, `_neg`: integer arithmetic wraps as numpy's; floats keep the
  plain operator.

Integer results keep their operand's type: Numba computes `int32 op int32` in int64, so
without the conversion an int32 intermediate inside a fused loop would not wrap around where
numpy's does, and a later comparison or division would see a different value.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.core import types
from numba.extending import overload

from tapeflow.ops.core import InvalidArgumentError


@numba.njit(inline="always")
def _maximum(x, y):
    # NaN in either operand gives NaN, as np.maximum does (Python's max would not). A tie
    # (only -0.0 against 0.0 can be told apart) gives y, as np.maximum does on x86-64.
    return x if (x > y or x != x) else y


@numba.njit(inline="always")
def _minimum(x, y):
    return x if (x < y or x != x) else y


def _power(x, y):
    """x ** y for generated code (see the overload below)."""
    return x**y


@overload(_power, inline="always")
def _power_overload(x, y):
    # Numba's integer `**` crashes the process under fastmath (seen with numba 0.68.1), so
    # integers use exponentiation by squaring; floats keep `**`.
    if isinstance(x, types.Integer) and isinstance(y, types.Integer):
        result_type = x

        def integer_power(x, y):
            if y < 0:
                raise InvalidArgumentError(
                    "pow: integers to negative integer powers are not allowed")
            result = x - x + 1  # one (in int64 for int32 x: wrapped once at the end)
            base = x
            while y > 0:
                if y & 1:
                    result *= base
                base *= base
                y >>= 1
            # Products wrap modulo 2**bits, so wrapping the int64 result once is numpy's value.
            return result_type(result)

        return integer_power
    return lambda x, y: x**y


def _floordiv(x, y):
    """floor(x / y) for generated code (see the overload below)."""
    return x // y


def _mod(x, y):
    """x - floor(x / y) * y for generated code (see the overload below)."""
    return x % y


@overload(_floordiv, inline="always")
def _floordiv_overload(x, y):
    if isinstance(x, types.Integer) and isinstance(y, types.Integer):
        result_type = x

        def integer_floordiv(x, y):
            if y == 0:
                raise InvalidArgumentError("floordiv: integer division by zero")
            # MIN // -1 = -MIN overflows: numpy wraps it to MIN, Numba's `//` gives 0 for
            # int64. Negation wraps (in int64 for int32 x, then converted back).
            if y == -1:
                return result_type(-x)
            return result_type(x // y)

        return integer_floordiv
    # Floats: Python's `//` under error_model='numpy' is numpy's floor_divide, inf and nan
    # included (checked by tests/codegen/test_special_values.py).
    return lambda x, y: x // y


@overload(_mod, inline="always")
def _mod_overload(x, y):
    if isinstance(x, types.Integer) and isinstance(y, types.Integer):
        result_type = x

        def integer_mod(x, y):
            if y == 0:
                raise InvalidArgumentError("mod: integer division by zero")
            return result_type(x % y)  # MIN % -1 is 0 in both

        return integer_mod
    return lambda x, y: x % y


# Wrapping integer arithmetic. Numba computes `x + y` on two int32 values in int64 and marks
# signed integer arithmetic as never overflowing, so MAX + 1 > MAX could hold inside a fused
# loop where numpy's wraps; np.add & co. keep the type and wrap. On floats, though, they cost
# W3's loop ~1.5x against the plain operator, so integers go through np.* and floats keep
# the operator, inlined into the caller (and under its fastmath flags).


def _add(x, y):
    return x + y


def _sub(x, y):
    return x - y


def _mul(x, y):
    return x * y


def _neg(x):
    return -x


def _both_integers(x, y) -> bool:
    return isinstance(x, types.Integer) and isinstance(y, types.Integer)


@overload(_add, inline="always")
def _add_overload(x, y):
    if _both_integers(x, y):
        return lambda x, y: np.add(x, y)
    return lambda x, y: x + y


@overload(_sub, inline="always")
def _sub_overload(x, y):
    if _both_integers(x, y):
        return lambda x, y: np.subtract(x, y)
    return lambda x, y: x - y


@overload(_mul, inline="always")
def _mul_overload(x, y):
    if _both_integers(x, y):
        return lambda x, y: np.multiply(x, y)
    return lambda x, y: x * y


@overload(_neg, inline="always")
def _neg_overload(x):
    if isinstance(x, types.Integer):
        return lambda x: np.negative(x)
    return lambda x: -x
