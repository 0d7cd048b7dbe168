"""Small scalar helpers that generated modules import (typed and lowered at each call site).

Each one exists because the obvious Python expression differs from numpy, and generated code
must compute what the eager (numpy) kernels compute, special values and errors included:

- `_maximum`, `_minimum`: NaN in either operand gives NaN (Python's `max` would not);
- `_power`: integer powers by squaring (Numba's integer `**` crashes under fastmath), with
  numpy's wrap-around on overflow and the eager kernel's error for negative exponents;
- `_floordiv`, `_mod`: integer division by zero raises the eager kernel's error instead of
  Numba's silent 0, and `MIN // -1` wraps to MIN as numpy's does;
- `_add`, `_sub`, `_mul`, `_neg`: integer arithmetic wraps as numpy's; floats keep the
  plain operator.

And one that computes nothing: `_empty(shape, dtype)` is `np.empty(shape, dtype=dtype)`
allocated at the call site. np.empty's overload is a function of its own that Numba compiles
for every (number of dimensions, dtype) in every process that has no cache entry for the
graph: 25-70 ms each, about a tenth of a small training step's first compile.

Integer results keep their operand's type: Numba computes `int32 op int32` in int64, so
without the conversion an int32 intermediate inside a fused loop would not wrap around where
numpy's does, and a later comparison or division would see a different value.
"""

from __future__ import annotations

import operator

import numpy as np
from numba.core import cgutils, types
from numba.core.imputils import impl_ret_new_ref
from numba.core.typing.templates import signature
from numba.extending import intrinsic, lower_builtin, overload, type_callable
from numba.np.numpy_support import as_dtype, from_dtype

from tapeflow.ops.core import InvalidArgumentError

try:  # Numba's own allocation, which np.empty's overload calls (internal, stable since 0.3x)
    from numba.np.arrayobj import _empty_nd_impl
except ImportError:  # pragma: no cover - a Numba without it: _empty is np.empty (see below)
    _empty_nd_impl = None


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
# loop where numpy's wraps. On integers these keep numpy's type and wrap; on anything else
# they are the plain operator, lowered by Numba's own implementation of it (so floats keep
# exactly the IEEE operation, and the caller's fastmath flags).
#
# Why typing templates and LLVM lowerings rather than `@overload(inline="always")` or
# `@njit(inline="always")` functions: Numba inlines those at the level of its own IR, which
# costs ~13 ms of compile per call site (typing and rewriting a copy of the callee each time);
# a fused loop of ten operations paid ~0.13 s for it. A lowering emits the one instruction
# at the call site, for nothing. (An `@njit(forceinline=True)` helper instead costs a whole
# Numba compile per signature and process.)


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


def _wrapped_type(*args):
    """numpy's result type of integer scalars `args` (np.add(int32, int32) is int32)."""
    return from_dtype(np.result_type(*(as_dtype(a) for a in args)))


def _as_operator(op, context, builder, sig, args):
    """Numba's own lowering of `op(*args)` for the argument types of `sig`: what the plain
    Python operator compiles to."""
    resolved = context.typing_context.resolve_function_type(op, sig.args, {})
    args = [context.cast(builder, a, t, r) for a, t, r in zip(args, sig.args, resolved.args)]
    result = context.get_function(op, resolved)(builder, args)
    return context.cast(builder, result, resolved.return_type, sig.return_type)


def _binary(public, op, wrapping: str):
    """Type and lower `public(x, y)`: integers wrap (LLVM's `wrapping` instruction without
    overflow flags, in numpy's result type), anything else is `op(x, y)`."""

    @type_callable(public)
    def _typer(context):
        def typer(x, y):
            if _both_integers(x, y):
                return _wrapped_type(x, y)
            resolved = context.resolve_function_type(op, (x, y), {})
            return resolved.return_type if resolved is not None else None

        return typer

    @lower_builtin(public, types.Any, types.Any)
    def _lower(context, builder, sig, args):
        if _both_integers(*sig.args):
            rt = sig.return_type
            x, y = (context.cast(builder, a, t, rt) for a, t in zip(args, sig.args))
            return getattr(builder, wrapping)(x, y)
        return _as_operator(op, context, builder, sig, args)


_binary(_add, operator.add, "add")
_binary(_sub, operator.sub, "sub")
_binary(_mul, operator.mul, "mul")


@type_callable(_neg)
def _neg_typer(context):
    def typer(x):
        if isinstance(x, types.Integer):
            return _wrapped_type(x)
        resolved = context.resolve_function_type(operator.neg, (x,), {})
        return resolved.return_type if resolved is not None else None

    return typer


@lower_builtin(_neg, types.Any)
def _neg_lower(context, builder, sig, args):
    if isinstance(sig.args[0], types.Integer):
        x = context.cast(builder, args[0], sig.args[0], sig.return_type)
        return builder.neg(x)  # 0 - x without overflow flags: -MIN wraps to MIN
    return _as_operator(operator.neg, context, builder, sig, args)


# _maximum, _minimum: `x if (x > y or x != x) else y` (and `<` for the minimum), written as
# the select it compiles to: NaN in either operand gives NaN, as np.maximum does (Python's
# max would not). A tie (only -0.0 against 0.0 can be told apart) gives y, as np.maximum
# does on x86-64. The comparisons are Numba's own, in the operands' common type.


def _maximum(x, y):
    return x if (x > y or x != x) else y  # noqa: PLR0124 - x != x: x is NaN


def _minimum(x, y):
    return x if (x < y or x != x) else y  # noqa: PLR0124 - x != x: x is NaN


def _extremum(public, op):
    @type_callable(public)
    def _typer(context):
        def typer(x, y):
            return context.unify_types(x, y)

        return typer

    @lower_builtin(public, types.Any, types.Any)
    def _lower(context, builder, sig, args):
        rt = sig.return_type
        x, y = (context.cast(builder, a, t, rt) for a, t in zip(args, sig.args))
        cmp = signature(types.boolean, rt, rt)
        wins = context.get_function(op, cmp)(builder, (x, y))
        nan = context.get_function(operator.ne, cmp)(builder, (x, x))
        return builder.select(builder.or_(wins, nan), x, y)


_extremum(_maximum, operator.gt)
_extremum(_minimum, operator.lt)


def _empty_as_np_empty(shape, dtype):
    """_empty where Numba has no _empty_nd_impl: np.empty itself, compiled per signature."""


@overload(_empty_as_np_empty, inline="always")
def _empty_as_np_empty_overload(shape, dtype):
    return lambda shape, dtype: np.empty(shape, dtype)


@intrinsic
def _empty_intrinsic(typingctx, shape, dtype):
    """An uninitialised C-contiguous array of `shape` (an integer or a tuple of integers,
    all non-negative: generated code passes the graph's sizes) and `dtype` (a numpy scalar
    class, `np.float32`), built with the allocation np.empty itself uses."""
    dims = list(shape) if isinstance(shape, types.BaseTuple) else [shape]
    if not all(isinstance(d, types.Integer) for d in dims):
        return None
    if not isinstance(dtype, types.NumberClass):
        return None
    array_type = types.Array(dtype.instance_type, len(dims), "C")

    def codegen(context, builder, sig, args):
        values = (cgutils.unpack_tuple(builder, args[0])
                  if isinstance(shape, types.BaseTuple) else [args[0]])
        sizes = [context.cast(builder, v, t, types.intp) for v, t in zip(values, dims)]
        array = _empty_nd_impl(context, builder, array_type, sizes)
        return impl_ret_new_ref(context, builder, array_type, array._getvalue())

    return array_type(shape, dtype), codegen


_empty = _empty_intrinsic if _empty_nd_impl is not None else _empty_as_np_empty
