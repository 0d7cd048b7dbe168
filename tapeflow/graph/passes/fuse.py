"""Fusion: group equations that the code generator turns into one loop nest.

A group is a run of elementwise equations (primitives with a `Scalar` lowering) over one
iteration space, the shape of their outputs, ending in any reductions of values of that
shape (which accumulate inside the same loop); operands of smaller shapes are read through
broadcasting. Values made and used only inside a group live in registers; a value used after
the group, or returned, is also stored to its array. Equations are first put in an order that
keeps each iteration space's work together (a stable topological sort that prefers the
current group's shape), so a forward loss and the first steps of its adjoint, which share
their shape, land in one group.

The result annotates the graph without changing it: `FusionPlan.groups` lists equation
indices in execution order; `print_fused` shows the grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

from tapeflow.graph.ir import Eqn, Graph, Var
from tapeflow.graph.printer import format_eqn, print_graph, var_names
from tapeflow.ops.core import Reduction, Scalar


@dataclass(frozen=True)
class FusionPlan:
    """`order` is the execution order of the graph's equations (indices); `groups` splits
    it into consecutive runs, each one loop nest (a lone structured eqn is its own group)."""

    graph: Graph
    groups: tuple[tuple[int, ...], ...]

    def fused(self) -> list[tuple[int, ...]]:
        return [g for g in self.groups if len(g) > 1]


def is_elementwise(eqn: Eqn) -> bool:
    return isinstance(eqn.prim.lowering, Scalar) and len(eqn.outputs) == 1


def is_reduction(eqn: Eqn) -> bool:
    return isinstance(eqn.prim.lowering, Reduction)


def is_loop(eqn: Eqn) -> bool:
    """Equations a fused loop nest can hold: elementwise ones and reductions."""
    return is_elementwise(eqn) or is_reduction(eqn)


def iteration_shape(eqn: Eqn):
    """The loop an equation runs over: its output's shape, or a reduction's input's."""
    return eqn.inputs[0].aval.shape if is_reduction(eqn) else eqn.outputs[0].aval.shape


def fuse(graph: Graph) -> FusionPlan:
    eqns = graph.eqns
    producer: dict[Var, int] = {v: i for i, e in enumerate(eqns) for v in e.outputs}
    deps = [sorted({producer[v] for v in e.inputs if v in producer}) for e in eqns]
    users: list[list[int]] = [[] for _ in eqns]
    for i, ds in enumerate(deps):
        for d in ds:
            users[d].append(i)
    waiting = [len(ds) for ds in deps]
    ready = [i for i, n in enumerate(waiting) if n == 0]

    groups: list[list[int]] = []
    current: list[int] = []
    reduced: set[Var] = set()  # results of the open group's reductions: complete only after it

    def joins(i: int) -> bool:
        e = eqns[i]
        return (is_loop(e) and iteration_shape(e) == iteration_shape(eqns[current[0]])
                and not any(v in reduced for v in e.inputs))

    def close():
        nonlocal current
        if current:
            groups.append(current)
            current = []
            reduced.clear()

    while ready:
        # Prefer an equation that joins the open loop nest; else the earliest ready one.
        pick = next((i for i in ready if joins(i)), None) if current else None
        if pick is None:
            pick = min(ready)
            close()
        ready.remove(pick)
        if is_loop(eqns[pick]):
            current.append(pick)
            if is_reduction(eqns[pick]):
                reduced.update(eqns[pick].outputs)
        else:
            close()
            groups.append([pick])
        for u in users[pick]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    close()
    return FusionPlan(graph, tuple(tuple(g) for g in groups))


def print_fused(plan: FusionPlan) -> str:
    """The graph with its fused groups marked (the order is the fused execution order)."""
    graph = plan.graph
    names = var_names(graph)
    lines = print_graph(graph.replace(eqns=(), outputs=())).splitlines()[:-1]
    for n, group in enumerate(plan.groups):
        if len(group) > 1:
            shape = ",".join(map(str, iteration_shape(graph.eqns[group[0]])))
            lines.append(f"  fused {n} over [{shape}] {{")
            lines += ["    " + format_eqn(graph.eqns[i], names) for i in group]
            lines.append("  }")
        else:
            lines.append("  " + format_eqn(graph.eqns[group[0]], names))
    outs = ", ".join(names[v] for v in graph.outputs)
    lines.append(f"  return ({outs},)" if len(graph.outputs) == 1 else f"  return ({outs})")
    return "\n".join(lines)
