"""Dead-code elimination: drop equations and constants no output depends on.

Every array primitive is pure, so an equation whose outputs are all unused can go. An
equation with an effect (a `print` inside a loop body, or a loop or branch holding one) stays.
"""

from __future__ import annotations

from tapeflow.graph.ir import Graph
from tapeflow.ops.structured import has_effects


def dce(graph: Graph) -> tuple[Graph, bool]:
    live = set(graph.outputs)
    kept = []
    for eqn in reversed(graph.eqns):
        if any(v in live for v in eqn.outputs) or has_effects(eqn):
            kept.append(eqn)
            live.update(eqn.inputs)
    kept.reverse()
    consts = tuple((v, value) for v, value in graph.consts if v in live)
    changed = len(kept) != len(graph.eqns) or len(consts) != len(graph.consts)
    if not changed:
        return graph, False
    return graph.replace(eqns=tuple(kept), consts=consts), True
