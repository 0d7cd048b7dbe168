"""Accumulation helpers for generated loops.

`add_to_row(acc, x)` is `acc + x` and `multiply_to_row(acc, x)` is `acc * x`, for the
running value of a float sum or product (a row's, a block's, a whole array's). They are
compiled with their own fastmath set, `reassoc` alone, and forced inline (LLVM keeps the
callee's flags on that one operation), so a reduction loop vectorises (several partial
results, combined at the end) while the generated code around it keeps strict IEEE
semantics (emit.FASTMATH is empty). Without them the loop stays scalar, and with it every
operation fused into it: W3's forward and gradient loop ran ~7x slower.

Why this one flag may stay: it changes only the order in which a reduction's terms are
combined, and a reduction has no one IEEE result to keep: numpy's own sum adds pairwise, in
8 lanes, and a plain loop would add in yet another order. Rounding and overflow of
intermediate results depend on that order (within the reduction tolerance); nan and
infinities do not: any order gives nan for a nan term or for +inf with -inf, and inf for
+inf alone. Without `nsz`, `0.0 + x` is not folded to `x`, so a row of -0.0 sums to +0.0 as
in numpy, which starts from +0.0.
"""

from __future__ import annotations

import numba


@numba.njit(fastmath={"reassoc"}, error_model="numpy",
            forceinline=True)
def add_to_row(acc, x):
    return acc + x


@numba.njit(fastmath={"reassoc"}, error_model="numpy", forceinline=True)
def multiply_to_row(acc, x):
    return acc * x
