"""Specialise a graph traced with symbolic dimensions to the sizes of one call.

A function with `input_signature=[TensorSpec([None], ...)]` is traced once, its shapes and
shape parameters expressions over symbols (`tapeflow/ops/dims.py`). For a call with concrete
sizes, this pass substitutes them into every input type and parameter and runs each
equation's shape rule again, which both gives the concrete types and re-checks the program
(the shape guards the trace recorded say where it would not hold; the caller checks those
first). Python does not run again. The result is an ordinary static graph that the passes
optimise and the backends compile, one per set of sizes.
"""

from __future__ import annotations

from tapeflow.graph.ir import Eqn, Graph, Var, new_var
from tapeflow.ops import dims
from tapeflow.ops.core import ShapedArray


class SpecializationError(ValueError):
    """The graph does not type-check at the given sizes (a shape rule refused them)."""


def symbols_of(graph: Graph) -> list[tuple[int, int, dims.Symbol]]:
    """(input index, axis, symbol) for every input axis that is a bare symbol: where a
    call's argument shapes give the symbols their sizes."""
    found = []
    for i, v in enumerate(graph.inputs):
        for axis, d in enumerate(v.aval.shape):
            if isinstance(d, dims.Dim):
                (symbol,) = d.symbols()
                found.append((i, axis, symbol))
    return found


def is_symbolic(graph: Graph) -> bool:
    return any(dims.is_symbolic(v.aval.shape) for v in graph.inputs)


def specialize(graph: Graph, sizes: dict) -> Graph:
    """`graph` with `sizes` ({Symbol: int}) substituted; raises SpecializationError when a
    shape rule rejects the result."""
    renamed: dict[Var, Var] = {}

    def concrete(v: Var) -> Var:
        if v not in renamed:
            if dims.is_symbolic(v.aval.shape):
                shape = tuple(dims.evaluate(d, sizes) for d in v.aval.shape)
                renamed[v] = new_var(ShapedArray(shape, v.aval.dtype))
            else:
                renamed[v] = v
        return renamed[v]

    inputs = tuple(concrete(v) for v in graph.inputs)
    consts = tuple((concrete(v), value) for v, value in graph.consts)
    eqns = []
    for eqn in graph.eqns:
        params = tuple((k, specialize_param(p, sizes)) for k, p in eqn.params)
        in_vars = tuple(concrete(v) for v in eqn.inputs)
        try:
            out_avals = eqn.prim.out_avals(tuple(v.aval for v in in_vars), dict(params))
        except ValueError as e:
            raise SpecializationError(f"{eqn.prim.name}: {e}") from e
        outs = []
        for v, aval in zip(eqn.outputs, out_avals):
            expected = tuple(dims.evaluate(d, sizes) for d in v.aval.shape)
            if aval.shape != expected:
                raise SpecializationError(
                    f"{eqn.prim.name}: the shape rule gives {aval}, the trace implies "
                    f"{list(expected)}"
                )
            renamed[v] = new_var(aval) if dims.is_symbolic(v.aval.shape) else v
            outs.append(renamed[v])
        eqns.append(Eqn(eqn.prim, in_vars, tuple(outs), params, eqn.source, eqn.adjoint_of,
                        eqn.scope))
    outputs = tuple(renamed.get(v, v) for v in graph.outputs)
    return Graph(inputs, tuple(eqns), outputs, consts, graph.input_names, graph.output_names)


def specialize_param(param, sizes: dict):
    """An equation's param with `sizes` put in; a sub-graph (a graph loop's condition or body, a
    branch: ops/structured.py) is specialised as a whole, its inputs typed over the same
    symbols as the enclosing graph's."""
    if isinstance(param, Graph):
        return specialize(param, sizes) if _mentions_symbols(param) else param
    return dims.substitute(param, sizes)


def _mentions_symbols(graph: Graph) -> bool:
    return (is_symbolic(graph)
            or any(dims.is_symbolic(v.aval.shape) for e in graph.eqns for v in e.outputs)
            or any(dims.holds_dims(p) or isinstance(p, Graph)
                   for e in graph.eqns for _, p in e.params))
