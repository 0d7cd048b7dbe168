"""The reference interpreter: runs a Graph with the primitives' eager numpy kernels.

It is the backend of `@tapeflow.function` until codegen lands, and the oracle codegen is
tested against. Values are freed after their last use, so peak memory follows the graph's
live set rather than its length. Analyses subclass `Interpreter` and override `run_eqn`
(as torch.fx's ShapeProp extends its Interpreter): one evaluation loop serves them all.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from tapeflow.graph.ir import Eqn, Graph, Var, source_text


class InterpreterError(RuntimeError):
    """An equation failed while the graph ran; names the equation and the user's line."""


def eval_eqn(eqn: Eqn, inputs: list[Any]) -> list[Any]:
    """The outputs of one equation on concrete inputs, by its eager kernel."""
    out = eqn.prim.impl(*inputs, **eqn.params_dict)
    outs = out if eqn.prim.multiple_results else (out,)
    return [np.asarray(o, dtype=v.aval.dtype) for o, v in zip(outs, eqn.outputs)]


class Interpreter:
    """Evaluate `graph` on concrete inputs; `run_eqn` decides what evaluating one Eqn means."""

    def __init__(self, graph: Graph):
        self.graph = graph
        # For each eqn index, the Vars whose last use it is (and which are not outputs).
        last_use: dict[Var, int] = {}
        for i, eqn in enumerate(graph.eqns):
            for v in eqn.inputs:
                last_use[v] = i
        keep = set(graph.outputs)
        self._free_after: list[list[Var]] = [[] for _ in graph.eqns]
        for v, i in last_use.items():
            if v not in keep:
                self._free_after[i].append(v)

    def run_eqn(self, eqn: Eqn, inputs: list[Any]) -> list[Any]:
        return eval_eqn(eqn, inputs)

    def read_const(self, var: Var, value: np.ndarray) -> Any:
        return value

    def run(self, *args) -> list[Any]:
        graph = self.graph
        if len(args) != len(graph.inputs):
            raise TypeError(f"the graph takes {len(graph.inputs)} inputs, got {len(args)}")
        env: dict[Var, Any] = dict(zip(graph.inputs, args))
        for v, value in graph.consts:
            env[v] = self.read_const(v, value)
        for i, eqn in enumerate(graph.eqns):
            try:
                outs = self.run_eqn(eqn, [env[v] for v in eqn.inputs])
            except Exception as e:
                raise _with_context(e, i, eqn) from e
            for v, value in zip(eqn.outputs, outs):
                env[v] = value
            for v in self._free_after[i]:
                del env[v]
        return [env[v] for v in graph.outputs]


def run_checked(graph: Graph, args: Sequence[Any], check) -> bool:
    """Run `graph`'s equations in order with the eager kernels, asking `check(index, env)`
    before equation `index` (and with index = len(graph.eqns) after the last): the run stops
    at the first False and returns False; True when every check passed. An equation that
    raises raises as in `Interpreter.run`, naming the equation and the user's line."""
    env: dict[Var, Any] = dict(zip(graph.inputs, args))
    env.update(graph.consts)
    for i, eqn in enumerate(graph.eqns):
        if not check(i, env):
            return False
        try:
            outs = eval_eqn(eqn, [env[v] for v in eqn.inputs])
        except Exception as e:
            raise _with_context(e, i, eqn) from e
        env.update(zip(eqn.outputs, outs))
    return check(len(graph.eqns), env)


def _with_context(error: Exception, index: int, eqn: Eqn) -> Exception:
    where = f"while running eqn {index} ({eqn.prim.name})"
    if eqn.source is not None:
        where += f", recorded at {source_text(eqn.source)}"
    try:
        return type(error)(f"{error} [{where}]")
    except Exception:
        return InterpreterError(f"{type(error).__name__}: {error} [{where}]")


def evaluate(graph: Graph, args: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run `graph` on numpy `args` with the eager kernels."""
    return Interpreter(graph).run(*args)
