"""Accumulation helpers for generated loops.

`add_to_row` is `acc + x` for a row's running sum kept in a scalar. It is compiled with
its own fastmath set, without `nsz`, and forced inline (LLVM keeps the callee's flags), so
that `reassoc` still lets the loop vectorise but LLVM cannot fold the start value away:
under `nsz`, `0.0 + x` becomes `x`, and a row of -0.0 would sum to -0.0 where numpy, which
starts from +0.0, gives +0.0.
"""

from __future__ import annotations

import numba


@numba.njit(fastmath={"afn", "arcp", "contract", "reassoc"}, error_model="numpy",
            forceinline=True)
def add_to_row(acc, x):
    return acc + x
