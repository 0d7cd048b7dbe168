"""Constant folding: evaluate equations whose inputs are all constants, at compile time.

Results larger than their inputs (a broadcast of a scalar, say) are not folded: the loop
that computes them is cheaper than a big constant baked into the compiled code.
"""

from __future__ import annotations

import numpy as np

from tapeflow.graph.ir import Graph
from tapeflow.ops.structured import STRUCTURED

FOLD_LIMIT = 1024  # elements a folded constant may have beyond the size of its inputs


def fold_constants(graph: Graph) -> tuple[Graph, bool]:
    values = dict(graph.consts)
    consts = list(graph.consts)
    eqns = []
    changed = False
    for eqn in graph.eqns:
        outs = _try_fold(eqn, values)
        if outs is not None:
            for v, o in zip(eqn.outputs, outs):
                value = np.array(o, dtype=v.aval.dtype)  # a copy: constants own their data
                values[v] = value
                consts.append((v, value))
            changed = True
        else:
            eqns.append(eqn)
    if not changed:
        return graph, False
    return graph.replace(eqns=tuple(eqns), consts=tuple(consts)), True


def _try_fold(eqn, values):
    """The equation's outputs when it can be folded, else None. Loops, branches and prints
    are not folded: they run (and print) when the graph runs."""
    if eqn.prim.name in STRUCTURED and eqn.prim is STRUCTURED[eqn.prim.name]:
        return None
    if not all(v in values for v in eqn.inputs) or not _small(eqn, values):
        return None
    try:
        out = eqn.prim.impl(*[values[v] for v in eqn.inputs], **eqn.params_dict)
    except Exception:  # e.g. an index out of range: leave it to fail at run time, as written
        return None
    return out if eqn.prim.multiple_results else (out,)


def _small(eqn, values) -> bool:
    in_size = sum(values[v].size for v in eqn.inputs)
    out_size = sum(v.aval.size for v in eqn.outputs)
    return out_size <= max(in_size, FOLD_LIMIT)
