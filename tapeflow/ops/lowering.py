"""Helpers that the loop-template lowerings of structured primitives share.

They build Python source text (statements without indentation, and index expressions);
`tapeflow/codegen` places that text inside the generated entry function.
"""

from __future__ import annotations

import numpy as np


def dtype_expr(dtype: np.dtype) -> str:
    """The numpy scalar type as generated code names it: `np.float32`, `np.bool_`."""
    return "np.bool_" if dtype.kind == "b" else f"np.{dtype.name}"


def empty(shape, dtype: str) -> str:
    """Generated code for an uninitialised array of `shape` (a tuple of sizes, or one size)
    and `dtype` (dtype_expr's text): np.empty, allocated where it is called
    (codegen/prelude.py's `_empty` says why). For an allocation outside any loop; one inside
    a loop body stays np.empty, which Numba's parallel loops know how to hoist."""
    return f"_empty({shape}, {dtype})"


def index(names) -> str:
    """`a[i0, i1]`-style subscript text for loop variables; `()` for a 0-d array."""
    names = list(names)
    return ", ".join(names) if names else "()"


def loop_vars(ndim: int, prefix: str = "i") -> list[str]:
    return [f"{prefix}{k}" for k in range(ndim)]


def loop_nest(shape, body: list[str], prefix: str = "i", parallel: bool = False,
              enter: dict | None = None, leave: dict | None = None,
              block: tuple | None = None) -> list[str]:
    """`for i0 in range(d0): for i1 in range(d1): body` as indented lines, each size an int
    or the text of an expression (a kernel's size argument); with `parallel`
    the outermost loop is a `numba.prange`. `enter[k]` are statements run just before the
    loop over axis k starts (inside the loops over the axes before it), `leave[k]` just
    after it ends: a row's accumulator starts and is stored there.

    `block=(size, start, end)` splits the innermost axis into blocks of `size` elements:
    `start` runs before each block and `end` after it (a float32 partial sum lives there).
    The block loop takes the innermost axis's place (and its prange, for one axis); inside
    it the index is `i = b*size + j` with `j` counting from 0, a form LLVM vectorises (a
    `range(b*size, stop)` loop stayed scalar here: 20 ms instead of 7.6 ms for 1e7
    elements).

    A prange loop's index is made unsigned: inside the body Numba outlines for its threads,
    LLVM cannot see that a signed index is never negative, keeps Numba's negative-index
    wraparound on every access, and the loop vectorises poorly (W3 at 1e7 on 2 threads:
    43 ms signed, 30 ms unsigned; its gradient loop alone 27-41 ms and 22 ms)."""
    enter, leave = enter or {}, leave or {}
    lines = []
    last = len(shape) - 1
    for depth, d in enumerate(shape):
        pad = "    " * depth
        lines += [pad + line for line in enter.get(depth, [])]
        loop = "numba.prange" if parallel and depth == 0 else "range"
        if block is not None and depth == last:
            size, start, _ = block
            blocks = f"({d} + {size - 1}) // {size}" if isinstance(d, str) else -(-d // size)
            lines.append(pad + f"for b{depth} in {loop}({blocks}):")
            lines += [pad + "    " + line for line in start]
            first = f"b{depth} * {size}"  # the block's first index
            lines.append(pad + f"    for j{depth} in range(min({size}, {d} - {first})):")
            lines.append(pad + f"        {prefix}{depth} = numba.uint64({first} + j{depth})")
        elif loop == "numba.prange":
            lines.append(pad + f"for p{depth} in {loop}({d}):")
            lines.append(pad + f"    {prefix}{depth} = numba.uint64(p{depth})")
        else:
            lines.append(pad + f"for {prefix}{depth} in {loop}({d}):")
    inner = len(shape) + (block is not None)
    lines += ["    " * inner + line for line in body]
    if block is not None:
        lines += ["    " * len(shape) + line for line in block[2]]
    for depth in reversed(range(len(shape))):
        lines += ["    " * depth + line for line in leave.get(depth, [])]
    return lines


def broadcast_index(in_shape, out_shape, names) -> str:
    """The subscript reading an operand of `in_shape` broadcast to `out_shape` at `names`."""
    lead = len(out_shape) - len(in_shape)
    parts = [
        names[lead + j] if d == out_shape[lead + j] else "0" for j, d in enumerate(in_shape)
    ]
    return index(parts)


def identity_value(kind: str, dtype: np.dtype) -> str:
    """The start value of a reduction: 0 for sums, 1 for products, -inf/+inf (or the
    integer extremes) for max/min."""
    if kind == "sum":
        return "0"
    if kind == "prod":
        return "1"
    if dtype.kind == "f":
        return "-np.inf" if kind == "max" else "np.inf"
    info = np.iinfo(dtype)
    return str(info.min if kind == "max" else info.max)
