"""Compiled execution of a graph holding graph loops (`while_loop`, `cond`, `print`).

Codegen compiles straight-line graphs: its entry has no way to call back into a loop's
condition, and a `print` has no Numba lowering. So a graph with structured equations is cut
into segments: each run of ordinary equations is its own graph, compiled through the usual
path (NumbaExecutor: kernels, cache, tiering), and each structured equation runs here, in
Python, between them. A loop's condition and body (a branch's two graphs) are compiled the
same way, each as its own graph, and so is the loop's step, the body followed by the
condition on its results: the loop is driven from Python with one native call per iteration
(plus one for the first test), so the rest of the graph loses nothing and the loop's
arithmetic runs compiled. (A native loop over native sub-graphs would save the calls' Python
overhead, a few microseconds each; it would take a second code generator.)
"""

from __future__ import annotations

import types

import numpy as np

from tapeflow.graph.interp import eval_eqn
from tapeflow.graph.ir import Graph, Var
from tapeflow.ops import structured


def has_structured(graph: Graph) -> bool:
    return any(eqn.prim.name in structured.STRUCTURED
               and eqn.prim is structured.STRUCTURED[eqn.prim.name] for eqn in graph.eqns)


def _is_structured(eqn) -> bool:
    return structured.STRUCTURED.get(eqn.prim.name) is eqn.prim


def graph_executor(graph: Graph, compile: str):
    """An executor for `graph` (already optimised): compiled whole, or in segments when it
    holds structured equations."""
    from tapeflow.runtime.backends import NumbaExecutor

    if has_structured(graph):
        return SegmentedExecutor(graph, compile)
    return NumbaExecutor(graph, compile)


class SegmentedExecutor:
    """Runs `graph` as compiled segments and structured equations in order; outputs are
    fresh arrays (so no output aliases an input: `abi.written` is empty)."""

    abi = types.SimpleNamespace(written=())
    # No single native entry (runs_native is False, and no generated call path is made):
    # the loop driver and the prints are Python.
    entry = None

    def __init__(self, graph: Graph, compile: str = "sync"):
        from tapeflow.graph.passes import optimize

        self.graph = graph
        self.steps: list = []
        eqns = list(graph.eqns)
        consts = dict(graph.consts)
        # Where each Var is last needed: a segment outputs what a later step or the graph
        # returns.
        needed_after: dict[Var, int] = {v: len(eqns) for v in graph.outputs}
        for i, eqn in enumerate(eqns):
            for v in eqn.inputs:
                needed_after[v] = max(needed_after.get(v, -1), i)
        start = 0
        for i in range(len(eqns) + 1):
            if i < len(eqns) and not _is_structured(eqns[i]):
                continue
            if i > start:
                self.steps.append(self._segment(eqns[start:i], i, consts, needed_after,
                                                compile))
            if i < len(eqns):
                eqn = eqns[i]
                for sub in structured.sub_graphs(eqn):
                    _compile_sub_graph(optimize(sub), sub, compile)
                if eqn.prim is structured.while_p:
                    _compile_step(eqn, compile)
                self.steps.append(("eqn", eqn))
            start = i + 1

    @staticmethod
    def _segment(eqns, end: int, consts, needed_after, compile):
        defined = [v for e in eqns for v in e.outputs]
        inside = set(defined)
        inputs, seg_consts = [], []
        for e in eqns:
            for v in e.inputs:
                if v in inside or v in inputs or any(v is c for c, _ in seg_consts):
                    continue
                if v in consts:
                    seg_consts.append((v, consts[v]))
                else:
                    inputs.append(v)
        outputs = [v for v in defined if needed_after.get(v, -1) >= end]
        graph = Graph(tuple(inputs), tuple(eqns), tuple(outputs), tuple(seg_consts))
        return ("segment", graph_executor(graph, compile) if outputs else None, inputs,
                outputs)

    def __call__(self, inputs: list) -> list:
        env = dict(zip(self.graph.inputs, inputs))
        env.update(self.graph.consts)
        for step in self.steps:
            if step[0] == "eqn":
                eqn = step[1]
                env.update(zip(eqn.outputs, eval_eqn(eqn, [env[v] for v in eqn.inputs])))
                continue
            _, executor, ins, outs = step
            if executor is not None:
                env.update(zip(outs, executor([env[v] for v in ins])))
        return [np.array(env[v]) for v in self.graph.outputs]

    def wait_compiled(self, timeout: float | None = None) -> bool:
        for step in self.steps:
            if step[0] == "segment" and step[1] is not None:
                wait = getattr(step[1], "wait_compiled", None)
                if wait is not None:
                    wait(timeout)
        return True


def _compile_sub_graph(optimized: Graph, original: Graph, compile: str) -> None:
    """Run the loop's (or branch's) `original` sub-graph with compiled code from now on."""
    executor = graph_executor(optimized, compile)
    structured.set_graph_runner(original, lambda values: executor(list(values)))


def _compile_step(eqn, compile: str) -> None:
    """Compile a loop's body followed by its condition as one graph (one native call per
    iteration), where the condition's value is a value of its own."""
    from tapeflow.graph.passes import optimize

    params = eqn.params_dict
    body, cond = params["body_graph"], params["cond_graph"]
    n = len(body.outputs)
    # The condition reads the body's results (carried) and the body's own operands.
    renamed = dict(zip(cond.inputs, list(body.outputs) + list(body.inputs[n:])))
    pred = renamed.get(cond.outputs[0], cond.outputs[0])
    if pred in body.outputs or pred in body.inputs:
        return  # the condition is a loop value itself: the two calls are as cheap
    eqns = list(body.eqns) + [e.with_inputs(tuple(renamed.get(v, v) for v in e.inputs))
                              for e in cond.eqns]
    step = Graph(body.inputs, tuple(eqns), tuple(body.outputs) + (pred,),
                 tuple(body.consts) + tuple(cond.consts))
    executor = graph_executor(optimize(step), compile)
    structured.set_loop_stepper(body, lambda values: executor(list(values)))
