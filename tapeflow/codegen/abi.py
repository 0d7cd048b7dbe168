"""The calling convention of a generated entry function, in one place for the emitter and
for everything that calls compiled code:

    entry(*inputs, *consts, *output_buffers) -> (the other outputs, in order)

- `consts` are the graph's constants except the 0-d ones, C-contiguous. A 0-d constant
  (a learning rate, a mean's 1/n, relu's 0) is written into the code as a literal: one
  argument fewer to unbox on every call, and LLVM sees the value.
- An output that a fused loop computes, and every 0-d output, is written into a fresh array
  the caller allocates and passes after the constants (`written_outputs`); the entry returns
  the others (a BLAS product, a view, an input returned as it is). Why:
  - Numba boxes a returned array in about 0.3 us; numpy allocates a small one in about
    0.1 us (two 0-d outputs, measured here: 0.72 us returned, 0.30 us written in).
  - numpy asks the kernel for huge pages when it allocates a large array, and Numba's
    allocator does not: a fresh 40 MB result written by compiled code page-faulted for
    ~10 ms per call (W3's gradient at 1e7 elements on 2 threads: 22 ms with the entry's own
    np.empty, 14 ms with a buffer passed in).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tapeflow.graph.ir import Graph
from tapeflow.graph.passes.fuse import is_loop


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


def written_outputs(graph: Graph) -> list[int]:
    """Positions of the outputs the entry writes into caller-allocated buffers: every 0-d
    output, and every output made by an elementwise or reduction equation (the code
    generator's fused loops, and BLAS updates, which write such a value)."""
    made = loop_made(graph)
    return [k for k, v in enumerate(graph.outputs) if v.aval.shape == () or v in made]


def loop_made(graph: Graph) -> set:
    """The values elementwise and reduction equations compute: the ones generated loops
    (or BLAS updates) write, so they can write them into a buffer."""
    return {v for eqn in graph.eqns if is_loop(eqn) for v in eqn.outputs}


@dataclass(frozen=True)
class EntryABI:
    """The arguments and results of one graph's entry function (see the module docstring)."""

    consts: tuple[np.ndarray, ...]  # passed after the inputs
    written: tuple[int, ...]  # output positions written into buffers, in argument order
    buffer_specs: tuple[tuple[tuple[int, ...], np.dtype], ...]  # (shape, dtype) per buffer
    returned: tuple[int, ...]  # output positions the entry returns, in order
    n_outputs: int
    inputs: tuple[tuple[tuple[int, ...], np.dtype], ...] = ()  # (shape, dtype) per input

    @classmethod
    def of(cls, graph: Graph) -> EntryABI:
        consts = tuple(np.asarray(value, order="C") for _, value in graph.consts
                       if literal(np.asarray(value)) is None)
        written = tuple(written_outputs(graph))
        specs = tuple((graph.outputs[k].aval.shape, graph.outputs[k].aval.dtype)
                      for k in written)
        returned = tuple(k for k in range(len(graph.outputs)) if k not in written)
        inputs = tuple((v.aval.shape, np.dtype(v.aval.dtype)) for v in graph.inputs)
        return cls(consts, written, specs, returned, len(graph.outputs), inputs)

    def call(self, entry, inputs) -> list:
        """Run `entry` (the dispatcher or a compiled overload's entry point) on `inputs`,
        refused first unless each is what the entry was compiled for (`check`): all
        outputs, in the graph's order."""
        self.check(inputs)
        buffers = self.buffers()
        return self.outputs(entry(*inputs, *self.consts, *buffers), buffers)

    def check(self, inputs) -> None:
        """Raise unless `inputs` are exactly ndarrays of the graph's input dtypes and shapes,
        C-contiguous, writeable and aligned. Native code trusts them: a compiled kernel's
        entry point reads an array's data pointer, shape and strides without checking its
        dtype or rank (Numba's unbox_array), and the one-function form writes the graph's
        sizes into its loops, so an input of another shape would be read out of bounds
        (a segfault, for inputs passed in the wrong order). The runtime conforms and checks
        its inputs before this (runtime/backends.py), so here they pass at ~0.2 us each."""
        if len(inputs) != len(self.inputs):
            raise TypeError(f"compiled graph: {len(inputs)} inputs, expected "
                            f"{len(self.inputs)}")
        for n, (value, (shape, dtype)) in enumerate(zip(inputs, self.inputs)):
            if (type(value) is not np.ndarray or value.shape != shape
                    or (value.dtype is not dtype and value.dtype != dtype)
                    or not value.flags.carray):
                _refuse(n, value, shape, dtype)

    def buffers(self) -> list[np.ndarray]:
        """Fresh arrays for the written outputs (each call needs its own: they become the
        results)."""
        return [np.empty(shape, dtype) for shape, dtype in self.buffer_specs]

    def outputs(self, returned, buffers) -> list:
        """All outputs in the graph's order, from what the entry returned and the buffers
        it wrote."""
        out = [None] * self.n_outputs
        for k, value in zip(self.returned, returned):
            out[k] = value
        for k, value in zip(self.written, buffers):
            out[k] = value
        return out


def _refuse(n: int, value, shape, dtype) -> None:
    expected = f"a C-contiguous, writeable {dtype}{list(shape)} ndarray"
    if type(value) is not np.ndarray:
        raise TypeError(f"compiled graph: input {n} is a {type(value).__name__}, "
                        f"expected {expected}")
    got = f"{value.dtype}{list(value.shape)}"
    if value.dtype != dtype:
        raise TypeError(f"compiled graph: input {n} is {got}, expected {expected}")
    if value.shape != shape:
        raise ValueError(f"compiled graph: input {n} is {got}, expected {expected}")
    raise ValueError(f"compiled graph: input {n} ({got}) is not C-contiguous, writeable and "
                     f"aligned; expected {expected}")
