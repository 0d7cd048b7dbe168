"""Executors of an optimised graph: the reference interpreter, and Numba-compiled code.

An executor is called with the graph's input arrays (arguments, then captured variables)
and returns its output arrays. The Numba one checks what it hands to native code (dtype,
C-contiguity) and falls back to the interpreter, with a warning naming the cause, when the
graph cannot be compiled.
"""

from __future__ import annotations

import warnings

import numpy as np

from tapeflow.graph.interp import Interpreter
from tapeflow.ops.shape import IndexOutOfRangeError

BACKENDS = ("numba", "interpreter")


class CompileFallbackWarning(RuntimeWarning):
    """A graph could not be compiled with Numba; it runs on the interpreter instead."""


class InterpreterExecutor:
    def __init__(self, graph):
        self._interpreter = Interpreter(graph)

    def __call__(self, inputs: list) -> list:
        return self._interpreter.run(*inputs)


class NumbaExecutor:
    """Compiles on first use (so tracing alone never pays for Numba)."""

    def __init__(self, graph):
        self.graph = graph
        self._entry = None
        self._fallback: InterpreterExecutor | None = None
        self._consts = [np.asarray(value, order="C") for _, value in graph.consts]
        self._avals = [v.aval for v in graph.inputs]

    def __call__(self, inputs: list) -> list:
        if self._fallback is not None:
            return self._fallback(inputs)
        # Validate before entering native code: exact dtype and shape, C-contiguous memory.
        args = []
        for value, aval in zip(inputs, self._avals):
            value = np.asarray(value, dtype=aval.dtype, order="C")
            if value.shape != aval.shape:
                raise ValueError(f"compiled graph: input of shape {value.shape}, expected "
                                 f"{aval.shape}")
            args.append(value)
        if self._entry is None:
            entry = self._compile()
            if entry is None:
                return self._fallback(inputs)
            try:
                outs = entry(*args, *self._consts)  # the first call compiles
            except IndexError as e:
                raise IndexOutOfRangeError(str(e)) from None
            except Exception as e:  # a Numba typing/lowering error: keep the program running
                return self._fall_back(f"Numba could not compile it ({type(e).__name__}: "
                                       f"{str(e).splitlines()[0] if str(e) else ''})", inputs)
            self._entry = entry
            return list(outs)
        try:
            return list(self._entry(*args, *self._consts))
        except IndexError as e:
            raise IndexOutOfRangeError(str(e)) from None

    def _compile(self):
        from tapeflow.codegen.compile import compile_graph
        from tapeflow.codegen.emit import LoweringError

        try:
            return compile_graph(self.graph)
        except LoweringError as e:
            self._fall_back(str(e), None)
            return None

    def _fall_back(self, why: str, inputs):
        warnings.warn(f"tapeflow: running a graph on the interpreter instead of Numba: {why}",
                      CompileFallbackWarning, stacklevel=4)
        self._fallback = InterpreterExecutor(self.graph)
        return self._fallback(inputs) if inputs is not None else None


def make_executor(backend: str, graph):
    if backend == "numba":
        return NumbaExecutor(graph)
    if backend == "interpreter":
        return InterpreterExecutor(graph)
    raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
