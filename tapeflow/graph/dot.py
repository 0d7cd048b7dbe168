"""A graph as Graphviz DOT text, for drawing: `tapeflow graph ... --dot | dot -Tsvg > g.svg`.

Inputs and constants are ellipses (node ids `v_<name>`, the printer's names), equations boxes labelled with the primitive and the
type it produces, edges follow the data; with a fusion plan, each fused loop is a cluster.
The text is written here (no graphviz package needed); `dot` itself only draws it.
"""

from __future__ import annotations

from tapeflow.graph.ir import Graph
from tapeflow.graph.printer import var_names


def _quote(text: str) -> str:
    """A DOT string literal; a newline in `text` becomes DOT's line break."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: Graph, groups: list[list[int]] | None = None, title: str = "tapeflow") -> str:
    """DOT source for `graph`; `groups` (lists of equation indices, as a FusionPlan's)
    become clusters named `fused N`."""
    names = var_names(graph)
    lines = [f"digraph {_quote(title)} {{", "  rankdir=TB;",
             '  node [fontname="monospace", fontsize=10];']
    labels = dict(zip(graph.inputs, graph.input_names or [None] * len(graph.inputs)))
    for v in graph.inputs:
        label = f"{names[v]}: {v.aval}" + (f"\n{labels[v]}" if labels.get(v) else "")
        lines.append(f"  v_{names[v]} [shape=ellipse, label={_quote(label)}];")
    for v, value in graph.consts:
        shown = str(value.reshape(())[()]) if value.size == 1 else f"const {v.aval}"
        lines.append(f"  v_{names[v]} [shape=ellipse, style=dashed, label={_quote(shown)}];")

    def eqn_node(i: int) -> str:
        eqn = graph.eqns[i]
        outs = ", ".join(f"{names[v]}: {v.aval}" for v in eqn.outputs)
        label = _quote(eqn.prim.name + "\n" + outs)
        return f"e{i} [shape=box, label={label}];"

    grouped = set()
    for n, group in enumerate(groups or []):
        if len(group) < 2:
            continue
        lines.append(f"  subgraph cluster_{n} {{")
        lines.append(f"    label={_quote(f'fused {n}')}; style=rounded; color=blue;")
        lines += [f"    {eqn_node(i)}" for i in group]
        lines.append("  }")
        grouped.update(group)
    lines += [f"  {eqn_node(i)}" for i in range(len(graph.eqns)) if i not in grouped]

    made_by = {v: f"e{i}" for i, eqn in enumerate(graph.eqns) for v in eqn.outputs}
    for i, eqn in enumerate(graph.eqns):
        for v in eqn.inputs:
            lines.append(f"  {made_by.get(v, 'v_' + names[v])} -> e{i};")
    for k, v in enumerate(graph.outputs):
        lines.append(f"  out{k} [shape=plaintext, label={_quote(f'output {k}')}];")
        lines.append(f"  {made_by.get(v, 'v_' + names[v])} -> out{k};")
    lines.append("}")
    return "\n".join(lines) + "\n"
