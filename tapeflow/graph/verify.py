"""The verifier: a Graph is well formed when it is SSA and every type agrees with its rule."""

from __future__ import annotations

from tapeflow.graph.ir import Graph, Var


class GraphError(ValueError):
    """A malformed graph; the message names the equation and what is wrong with it."""


def verify(graph: Graph) -> Graph:
    """Check `graph`; return it unchanged, or raise GraphError naming the first problem.

    Checks: every variable is defined exactly once and before use; every equation's output
    types are what its primitive's shape rule says for its input types; outputs are defined.
    A loop's or branch's sub-graphs are closed graphs, each verified the same way (the shape
    rule of `while` checks that the body keeps every loop variable's dtype and shape).
    """
    defined: dict[Var, str] = {}

    def define(v: Var, where: str):
        if not isinstance(v, Var):
            raise GraphError(f"{where}: {v!r} is not a Var")
        if v in defined:
            raise GraphError(f"{where}: {v} is defined twice (first by {defined[v]})")
        defined[v] = where

    for v in graph.inputs:
        define(v, "graph input")
    for v, value in graph.consts:
        define(v, "constant")
        if value.shape != v.aval.shape or value.dtype != v.aval.dtype:
            raise GraphError(
                f"constant {v}: value is {value.dtype}{list(value.shape)}, binder says {v.aval}"
            )
    for i, eqn in enumerate(graph.eqns):
        where = f"eqn {i} ({eqn.prim.name})"
        for v in eqn.inputs:
            if v not in defined:
                raise GraphError(f"{where}: input {v} is used before it is defined")
        try:
            expected = eqn.prim.out_avals(tuple(v.aval for v in eqn.inputs), eqn.params_dict)
        except (TypeError, ValueError) as e:
            raise GraphError(f"{where}: its shape rule rejects the inputs: {e}") from e
        actual = tuple(v.aval for v in eqn.outputs)
        if expected != actual:
            raise GraphError(
                f"{where}: outputs are typed {', '.join(map(str, actual))} but the shape rule "
                f"gives {', '.join(map(str, expected))}"
            )
        for name, sub in _sub_graph_params(eqn):
            try:
                verify(sub)
            except GraphError as e:
                raise GraphError(f"{where}: in its {name}: {e}") from e
        for v in eqn.outputs:
            define(v, where)
    for v in graph.outputs:
        if v not in defined:
            raise GraphError(f"graph output {v} is never defined")
    return graph


def _sub_graph_params(eqn) -> list[tuple[str, Graph]]:
    return [(name, value) for name, value in eqn.params if isinstance(value, Graph)]
