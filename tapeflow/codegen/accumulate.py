"""Accumulation helpers for generated loops.

`add_to_row(acc, x)` is `acc + x` and `multiply_to_row(acc, x)` is `acc * x`, for the
running value of a float sum or product (a row's, a block's, a whole array's). They are
lowered as that one operation with one fastmath flag, `reassoc`, so a reduction loop
vectorises (several partial results, combined at the end) while the generated code around
it keeps strict IEEE semantics (emit.FASTMATH is empty). Without them the loop stays
scalar, and with it every operation fused into it: W3's forward and gradient loop ran ~7x
slower.

Why this one flag may stay: it changes only the order in which a reduction's terms are
combined, and a reduction has no one IEEE result to keep: numpy's own sum adds pairwise, in
8 lanes, and a plain loop would add in yet another order. Rounding and overflow of
intermediate results depend on that order (within the reduction tolerance); infinite and nan
terms do not: any order gives nan for a nan term or for +inf with -inf, and inf for +inf
alone. Finite terms whose partial sums overflow do: 3e38 + 3e38 + -inf is nan in float32 in
that order, -inf in another (README's known limits). Without `nsz`, `0.0 + x` is not folded
to `x`, so a row of -0.0 sums to +0.0 as in numpy, which starts from +0.0.
"""

from __future__ import annotations

import operator

from numba.core import types
from numba.extending import lower_builtin, type_callable


def add_to_row(acc, x):
    return acc + x


def multiply_to_row(acc, x):
    return acc * x


# Lowered as the one instruction, with `reassoc` on it, at the call site: what the former
# `@njit(fastmath={"reassoc"}, forceinline=True)` functions became once LLVM inlined them,
# without a Numba compile per signature and process (~50 ms each here).
def _reassociable(public, op, instruction: str):
    @type_callable(public)
    def _typer(context):
        def typer(acc, x):
            resolved = context.resolve_function_type(op, (acc, x), {})
            return resolved.return_type if resolved is not None else None

        return typer

    @lower_builtin(public, types.Any, types.Any)
    def _lower(context, builder, sig, args):
        resolved = context.typing_context.resolve_function_type(op, sig.args, {})
        acc, x = (context.cast(builder, a, t, r)
                  for a, t, r in zip(args, sig.args, resolved.args))
        if isinstance(resolved.return_type, types.Float) and all(
                t == resolved.return_type for t in resolved.args):
            result = getattr(builder, instruction)(acc, x, flags=("reassoc",))
        else:  # (not a float sum: Numba's own operator, no flag)
            result = context.get_function(op, resolved)(builder, (acc, x))
        return context.cast(builder, result, resolved.return_type, sig.return_type)


_reassociable(add_to_row, operator.add, "fadd")
_reassociable(multiply_to_row, operator.mul, "fmul")
