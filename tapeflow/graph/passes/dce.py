"""Dead-code elimination: drop equations and constants no output depends on.

Every primitive is pure, so an equation whose outputs are all unused can go.
"""

from __future__ import annotations

from tapeflow.graph.ir import Graph


def dce(graph: Graph) -> tuple[Graph, bool]:
    live = set(graph.outputs)
    kept = []
    for eqn in reversed(graph.eqns):
        if any(v in live for v in eqn.outputs):
            kept.append(eqn)
            live.update(eqn.inputs)
    kept.reverse()
    consts = tuple((v, value) for v, value in graph.consts if v in live)
    changed = len(kept) != len(graph.eqns) or len(consts) != len(graph.consts)
    if not changed:
        return graph, False
    return graph.replace(eqns=tuple(kept), consts=consts), True
