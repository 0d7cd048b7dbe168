"""Common-subexpression elimination: one equation per (primitive, inputs, params).

Builds the new graph through an old -> new Var map (as torch.fx's CSE pass does). Equal
constants are merged too, so `x * 2.0` written twice becomes one product.
"""

from __future__ import annotations

from tapeflow.graph.ir import Graph, Var
from tapeflow.ops.structured import has_effects


def cse(graph: Graph) -> tuple[Graph, bool]:
    rename: dict[Var, Var] = {}
    consts, seen_consts = [], {}
    for v, value in graph.consts:
        key = (value.dtype.str, value.shape, value.tobytes())
        if key in seen_consts:
            rename[v] = seen_consts[key]
        else:
            seen_consts[key] = v
            consts.append((v, value))
    seen: dict = {}
    eqns = []
    for eqn in graph.eqns:
        inputs = tuple(rename.get(v, v) for v in eqn.inputs)
        try:
            key = (eqn.prim.name, inputs, eqn.params)
            hash(key)
        except TypeError:  # an unhashable param: keep the equation as it is
            key = None
        if key is not None and has_effects(eqn):
            key = None  # two prints of the same values print twice
        if key is not None and key in seen:
            for old, new in zip(eqn.outputs, seen[key].outputs):
                rename[old] = new
            continue
        new_eqn = eqn if inputs == eqn.inputs else eqn.with_inputs(inputs)
        if key is not None:
            seen[key] = new_eqn
        eqns.append(new_eqn)
    if not rename:
        return graph, False
    outputs = tuple(rename.get(v, v) for v in graph.outputs)
    return graph.replace(eqns=tuple(eqns), outputs=outputs, consts=tuple(consts)), True
