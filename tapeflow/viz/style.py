"""Colours and shapes shared by every drawing, so the SVG, the PNG and the HTML viewer look
alike: forward blue, adjoint orange, updates green, guards red."""

SIDE_COLOURS = {  # (fill, stroke)
    "forward": ("#dbeafe", "#2563eb"),
    "adjoint": ("#ffedd5", "#ea580c"),
    "update": ("#dcfce7", "#16a34a"),
}
KIND_COLOURS = {
    "input": ("#f1f5f9", "#475569"),
    "variable": ("#fef9c3", "#a16207"),
    "output": ("#f1f5f9", "#0f172a"),
    "update": ("#bbf7d0", "#15803d"),
    "guard": ("#fee2e2", "#dc2626"),
}
KERNEL_COLOURS = ("#f8fafc", "#64748b")
LINE_COLOURS = ("none", "#94a3b8")
SCOPE_COLOURS = ("#fffbeb", "#b45309")
# Per group kind: (fill, stroke, dash pattern).
GROUP_STYLES = {
    "scope": (*SCOPE_COLOURS, "none"),
    "kernel": (*KERNEL_COLOURS, "6 3"),
    "line": (*LINE_COLOURS, "2 3"),
}
EDGE_COLOUR = "#64748b"
TEXT_COLOUR = "#0f172a"
FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
FONT_SIZE = 11

# Shapes: inputs and variables are ellipses (a variable's border doubled), equations rounded
# boxes, outputs boxes with a heavy border, updates parallelograms, guards hexagons.


def colours(node) -> tuple[str, str]:
    if node.kind == "eqn":
        return SIDE_COLOURS[node.side]
    return KIND_COLOURS[node.kind]


def tooltip(node) -> str:
    """The text a node's tooltip shows: what it is and where it came from."""
    lines = [node.text or f"{node.op}: {node.type}"]
    if node.source:
        lines.append(f"line {node.source}")
    if node.adjoint_of:
        lines.append(node.adjoint_of)
    return "\n".join(lines)


def shape_points(kind: str, x: float, y: float, w: float, h: float) -> list[tuple[float, float]]:
    """Polygon corners for the kinds drawn as polygons (update, guard)."""
    if kind == "update":
        s = min(12.0, w / 6)
        return [(x + s, y), (x + w, y), (x + w - s, y + h), (x, y + h)]
    s = min(12.0, w / 6)  # guard: a hexagon
    return [(x + s, y), (x + w - s, y), (x + w, y + h / 2), (x + w - s, y + h), (x + s, y + h),
            (x, y + h / 2)]
