"""A graph's picture as SVG text, written directly (no Graphviz, no library).

The document is meant to be read by programs as well as people: each equation is a
`<g class="node eqn SIDE" id="eN">` with a `<title>` (its printed line and user line, the
tooltip browsers show), each fused kernel a `<g class="cluster kernel" id="kN">`, each user
line inside one a `<g class="cluster line">`, and every edge a `<path class="edge">`.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from tapeflow.viz import style
from tapeflow.viz.layout import Layout, layout
from tapeflow.viz.model import Model


def render(model: Model, lay: Layout | None = None) -> str:
    lay = lay or layout(model)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        f'font-family={quoteattr(style.FONT)} font-size="{style.FONT_SIZE}">',
        f"<title>{escape(model.title)}</title>",
        "<defs><marker id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" "
        "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" "
        f"fill=\"{style.EDGE_COLOUR}\"/></marker></defs>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    out.append('<g class="clusters">')
    kinds = {g.id: g for g in model.groups}
    # Outer groups first, so inner ones are drawn on top of them.
    for gid in sorted(lay.groups, key=lambda g: kinds[g].parent is not None):
        out.append(_group(kinds[gid], lay.groups[gid]))
    out.append("</g>")
    out.append('<g class="edges">')
    for a, b in model.edges:
        out.append(f'<path class="edge" data-from="{a}" data-to="{b}" d="{edge_path(lay, a, b)}" '
                   f'fill="none" stroke="{style.EDGE_COLOUR}" stroke-width="1" '
                   'marker-end="url(#arrow)"/>')
    out.append("</g>")
    out.append('<g class="nodes">')
    for node in model.nodes:
        out.append(_node(node, lay.nodes[node.id]))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def edge_path(lay: Layout, a: str, b: str) -> str:
    """A cubic curve from the bottom of `a` to the top of `b`."""
    s, t = lay.nodes[a], lay.nodes[b]
    x0, y0, x1, y1 = s.cx, s.y + s.h, t.cx, t.y
    dy = max(20.0, (y1 - y0) / 2)
    return f"M{x0:.1f},{y0:.1f} C{x0:.1f},{y0 + dy:.1f} {x1:.1f},{y1 - dy:.1f} {x1:.1f},{y1:.1f}"


def _group(group, box) -> str:
    fill, stroke, dash = style.GROUP_STYLES[group.kind]
    return (
        f'<g class="cluster {group.kind}" id="{group.id}">'
        f"<title>{escape(group.label)}</title>"
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
        f'rx="6" fill="{fill}" stroke="{stroke}" stroke-dasharray="{dash}"/>'
        f'<text x="{box.x + 6:.1f}" y="{box.y + 12:.1f}" fill="{stroke}" '
        f'font-size="10">{escape(group.label)}</text></g>'
    )


def _node(node, box) -> str:
    fill, stroke = style.colours(node)
    classes = f"node {node.kind}" + (f" {node.side}" if node.kind == "eqn" else "")
    attrs = f'class="{classes}" id="{node.id}"'
    if node.source:
        attrs += f" data-line={quoteattr(node.source)}"
    x, y, w, h = box.x, box.y, box.w, box.h
    if node.kind in ("input", "variable"):
        shape = (f'<ellipse cx="{x + w / 2:.1f}" cy="{y + h / 2:.1f}" rx="{w / 2:.1f}" '
                 f'ry="{h / 2:.1f}" fill="{fill}" stroke="{stroke}"/>')
        if node.kind == "variable":
            shape += (f'<ellipse cx="{x + w / 2:.1f}" cy="{y + h / 2:.1f}" rx="{w / 2 - 3:.1f}" '
                      f'ry="{h / 2 - 3:.1f}" fill="none" stroke="{stroke}"/>')
    elif node.kind in ("update", "guard"):
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in style.shape_points(node.kind, x, y,
                                                                                 w, h))
        shape = f'<polygon points="{points}" fill="{fill}" stroke="{stroke}"/>'
    else:
        width = 2.5 if node.kind == "output" else 1.2
        shape = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" '
                 f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>')
    cx = x + w / 2
    text = (
        f'<text x="{cx:.1f}" y="{y + 14:.1f}" text-anchor="middle" fill="{style.TEXT_COLOUR}" '
        f'font-weight="bold">{escape(node.op)}</text>'
        f'<text x="{cx:.1f}" y="{y + 27:.1f}" text-anchor="middle" fill="#334155" '
        f'font-size="10">{escape(node.type)}</text>'
    )
    return f"<g {attrs}><title>{escape(style.tooltip(node))}</title>{shape}{text}</g>"
