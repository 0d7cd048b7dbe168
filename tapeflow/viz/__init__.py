"""Pictures of a graph: SVG, PNG, DOT, JSON and a self-contained HTML viewer.

    from tapeflow import viz
    viz.to_svg(graph)                      # forward and adjoint, fused kernels as boxes
    concrete.graph.to_svg()                # the same, from a ConcreteFunction's graph

Everything starts from `model.build` (what is drawn) and `layout.layout` (where): both pure
Python, so a picture needs no system binary. `to_dot` writes Graphviz text for those who have
Graphviz. PNG needs Pillow (the optional extra `viz`).
"""

from __future__ import annotations

from tapeflow.graph.ir import Graph
from tapeflow.viz import model as _model

SIDES = ("both", "forward", "adjoint")


def fusion_plan(graph: Graph):
    """The fusion plan of `graph`, or None where it has symbolic sizes (fusion plans one
    specialisation at a time)."""
    from tapeflow.graph.passes.fuse import fuse
    from tapeflow.ops import dims

    if any(dims.is_symbolic(v.aval.shape) for v in graph.inputs):
        return None
    return fuse(graph)


def fusion_groups(graph: Graph):
    """The fusion plan's groups (tuples of equation indices), or None (see fusion_plan)."""
    plan = fusion_plan(graph)
    return None if plan is None else plan.groups


def build(graph: Graph, title: str = "graph", sides: str = "both", fused: bool = True,
          groups=None) -> _model.Model:
    if sides not in SIDES:
        raise ValueError(f"sides must be one of {', '.join(SIDES)}, got {sides!r}")
    if groups is None and fused:
        groups = fusion_groups(graph)
    return _model.build(graph, groups, title, sides)


def to_svg(graph: Graph, title: str = "graph", sides: str = "both", fused: bool = True) -> str:
    from tapeflow.viz import svg

    return svg.render(build(graph, title, sides, fused))


def to_png(graph: Graph, title: str = "graph", sides: str = "both", fused: bool = True,
           scale: float = 1.0) -> bytes:
    from tapeflow.viz import png

    return png.render(build(graph, title, sides, fused), scale=scale)


def to_dot(graph: Graph, title: str = "graph", sides: str = "both", fused: bool = True) -> str:
    from tapeflow.viz import dot

    return dot.render(build(graph, title, sides, fused))


def to_json(graph: Graph) -> str:
    from tapeflow.viz import jsonio

    return jsonio.dumps(graph)


def from_json(text: str) -> Graph:
    from tapeflow.viz import jsonio

    return jsonio.loads(text)


def to_html(graph: Graph, title: str = "graph", sides: str = "both", fused: bool = True,
            kernel_sources: dict | None = None, profile: dict | None = None,
            collapse_above: int | None = None) -> str:
    """The interactive viewer as one HTML file. `kernel_sources` maps a kernel group id
    (`k3`) or an equation id (`e12`) to generated code shown in the side panel; `profile` maps
    the same ids to seconds per step (each kernel shaded by its share)."""
    from tapeflow.viz import html

    plan = fusion_plan(graph) if fused else None
    if kernel_sources is None and plan is not None:
        from tapeflow.tools.kernels import sources

        kernel_sources = sources(graph, plan)
    groups = plan.groups if plan is not None else None
    model = build(graph, title, sides, fused=groups is not None, groups=groups)
    return html.render(model, kernel_sources=kernel_sources, profile=profile,
                       collapse_above=collapse_above)
