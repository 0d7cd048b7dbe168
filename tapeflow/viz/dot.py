"""A picture's model as Graphviz DOT text (`tapeflow graph ... --format dot`).

The same nodes, colours, groups and tooltips as the SVG; Graphviz lays it out. tapeflow
writes the text itself and runs Graphviz's `dot` only when asked (`--layout graphviz`).
"""

from __future__ import annotations

from tapeflow.viz import style
from tapeflow.viz.model import Model


def quote(text: str) -> str:
    """A DOT string literal; a newline in `text` becomes DOT's line break."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


_SHAPES = {"input": "ellipse", "variable": "doublecircle", "eqn": "box", "output": "box",
           "update": "parallelogram", "guard": "hexagon"}


def render(model: Model) -> str:
    lines = [f"digraph {quote(model.title)} {{", "  rankdir=TB;",
             '  node [fontname="monospace", fontsize=10, style="filled,rounded"];',
             '  edge [color="#64748b", arrowsize=0.6];']
    by_group: dict[str | None, list] = {}
    for node in model.nodes:
        by_group.setdefault(node.group, []).append(node)
    children: dict[str | None, list] = {}
    for g in model.groups:
        children.setdefault(g.parent, []).append(g)

    def emit(parent: str | None, indent: str) -> None:
        for node in by_group.get(parent, []):
            lines.append(indent + _node(node))
        for g in children.get(parent, []):
            fill, stroke, dash = style.GROUP_STYLES[g.kind]
            look = "rounded" if dash == "none" else "dashed,rounded"
            lines.append(f"{indent}subgraph cluster_{g.id} {{")
            lines.append(f"{indent}  label={quote(g.label)}; style=\"{look}\"; "
                         f"color={quote(stroke)}; fontsize=9;")
            emit(g.id, indent + "  ")
            lines.append(f"{indent}}}")

    emit(None, "  ")
    for a, b in model.edges:
        lines.append(f"  {a} -> {b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(node) -> str:
    fill, stroke = style.colours(node)
    shape = _SHAPES[node.kind]
    if node.kind == "variable":
        shape = "ellipse"
    attrs = [f"shape={shape}", f"label={quote(node.op + chr(10) + node.type)}",
             f"fillcolor={quote(fill)}", f"color={quote(stroke)}",
             f"tooltip={quote(style.tooltip(node))}"]
    if node.kind == "variable":
        attrs.append("peripheries=2")
    return f"{node.id} [{', '.join(attrs)}];"
