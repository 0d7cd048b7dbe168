"""The calling convention of a generated entry function, in one place for the emitter and
for everything that calls compiled code:

    entry(*inputs, *consts, *scalar_buffers) -> (the other outputs, in order)

- `consts` are the graph's constants except the 0-d ones, C-contiguous. A 0-d constant
  (a learning rate, a mean's 1/n, relu's 0) is written into the code as a literal: one
  argument fewer to unbox on every call, and LLVM sees the value.
- Each 0-d output is written into a fresh 0-d array passed after the constants, instead of
  being returned. Numba boxes a returned array in about 0.3 us; numpy allocates a 0-d one in
  about 0.1 us (two 0-d outputs, measured here: 0.72 us returned, 0.30 us written in). Losses,
  `y = x**2` and its gradient, and guard values are all 0-d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tapeflow.graph.ir import Graph


def literal(value: np.ndarray) -> str | None:
    """How generated code writes the 0-d constant `value` (`np.float32(0.1)`), or None when
    it stays an argument (an array, or a dtype without a literal form)."""
    if value.shape != ():
        return None
    kind, name = value.dtype.kind, value.dtype.name
    if kind == "b":
        return f"np.bool_({bool(value)})"
    if kind in "iu":
        return f"np.{name}({int(value)})"
    if kind != "f" or value.dtype.itemsize not in (4, 8):
        return None
    x = float(value)  # exact: float32 and float64 values are doubles
    if math.isnan(x):
        text = "np.nan"
    elif math.isinf(x):
        text = "np.inf" if x > 0 else "-np.inf"
    else:
        text = repr(x)  # round-trips the double, so np.float32(text) is the float32 itself
    return f"np.{name}({text})"


@dataclass(frozen=True)
class EntryABI:
    """The arguments and results of one graph's entry function (see the module docstring)."""

    consts: tuple[np.ndarray, ...]  # passed after the inputs
    scalar_outputs: tuple[int, ...]  # output positions written into 0-d buffers, in order
    scalar_dtypes: tuple[np.dtype, ...]
    returned: tuple[int, ...]  # output positions the entry returns, in order
    n_outputs: int

    @classmethod
    def of(cls, graph: Graph) -> EntryABI:
        consts = tuple(np.asarray(value, order="C") for _, value in graph.consts
                       if literal(np.asarray(value)) is None)
        scalar = tuple(k for k, v in enumerate(graph.outputs) if v.aval.shape == ())
        returned = tuple(k for k in range(len(graph.outputs)) if k not in scalar)
        dtypes = tuple(graph.outputs[k].aval.dtype for k in scalar)
        return cls(consts, scalar, dtypes, returned, len(graph.outputs))

    def buffers(self) -> list[np.ndarray]:
        """Fresh 0-d arrays for the scalar outputs (each call needs its own: they become
        the results)."""
        return [np.empty((), dtype) for dtype in self.scalar_dtypes]

    def outputs(self, returned, buffers) -> list:
        """All outputs in the graph's order, from what the entry returned and the buffers
        it wrote."""
        out = [None] * self.n_outputs
        for k, value in zip(self.returned, returned):
            out[k] = value
        for k, value in zip(self.scalar_outputs, buffers):
            out[k] = value
        return out
