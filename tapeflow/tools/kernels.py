"""A fused plan's groups as graphs of their own: what each kernel reads, computes and hands on.

The viewer shows each kernel's generated code and the profiler times each kernel alone; both
need a group as a stand-alone graph: its inputs are the values it reads from outside (graph
inputs, constants stay constants, other groups' results), its outputs the values it makes that
are used after it or returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from tapeflow.graph.ir import Graph, Var, source_text
from tapeflow.graph.passes.fuse import FusionPlan


@dataclass
class KernelPart:
    id: str  # `k3` for a fused group (the model's group id), `e12` for a lone equation
    indices: tuple[int, ...]
    graph: Graph
    label: str  # "kernel 3 (BLAS): matmul, mul, sub" / "kernel 1: add, gt, select" / "transpose"
    lines: list[str]  # user lines, in order of first appearance

    @property
    def is_blas(self) -> bool:
        return _calls_blas(self.graph.eqns[0])


def _calls_blas(eqn) -> bool:
    """A float matrix product above the size codegen writes as loops (ops/linalg.py)."""
    from tapeflow.ops.linalg import TINY_MATMUL

    if eqn.prim.name != "matmul" or eqn.outputs[0].aval.dtype.kind != "f":
        return False
    a, b = eqn.inputs[0].aval.shape, eqn.inputs[1].aval.shape
    return a[-2] * a[-1] * b[-1] > TINY_MATMUL


def parts(graph: Graph, plan: FusionPlan) -> list[KernelPart]:
    consts = {v: value for v, value in graph.consts}
    readers: dict[Var, list[int]] = {}
    for i, eqn in enumerate(graph.eqns):
        for v in eqn.inputs:
            readers.setdefault(v, []).append(i)
    outputs = set(graph.outputs)
    result = []
    for k, group in enumerate(plan.groups):
        members = set(group)
        defined: dict[Var, None] = {}
        for i in group:
            for v in graph.eqns[i].outputs:
                defined[v] = None
        reads: dict[Var, None] = {}
        for i in group:
            for v in graph.eqns[i].inputs:
                if v not in defined:
                    reads[v] = None
        outs = [v for v in defined
                if v in outputs or any(j not in members for j in readers.get(v, ()))]
        sub = Graph(
            tuple(v for v in reads if v not in consts),
            tuple(graph.eqns[i] for i in group),
            tuple(outs),
            tuple((v, consts[v]) for v in reads if v in consts),
        )
        names = [graph.eqns[i].prim.name for i in group]
        lines: list[str] = []
        for i in group:
            src = graph.eqns[i].source
            if src is not None and source_text(src) not in lines:
                lines.append(source_text(src))
        gid = f"k{k}" if len(group) > 1 else f"e{group[0]}"
        blas = " (BLAS)" if _calls_blas(graph.eqns[group[0]]) else ""
        label = (f"kernel {k}{blas}: " if len(group) > 1 else "") + ", ".join(names) + \
            ("" if len(group) > 1 else blas)
        result.append(KernelPart(gid, tuple(group), sub, label, lines))
    return result


def sources(graph: Graph, plan: FusionPlan) -> dict[str, str]:
    """Generated code per part id (a lone equation and its kernel share the text)."""
    from tapeflow.codegen.emit import LoweringError, generate_source

    out = {}
    for part in parts(graph, plan):
        try:
            text = generate_source(part.graph, cache=False, title=part.label)
            # The function itself: the imports every generated module starts with say nothing.
            start = text.find("@numba.")
            text = text[start:] if start >= 0 else text
        except LoweringError as e:
            text = f"# not compiled: {e}"
        out[part.id] = text
        for i in part.indices:
            out.setdefault(f"e{i}", text)
    return out
