"""A picture's model as PNG, drawn with Pillow from the same layout as the SVG.

Why Pillow: its wheels carry everything they need (FreeType included), whereas rasterising
the SVG with cairosvg needs the system's libcairo, which a fresh machine may lack. Pillow is
the optional extra `viz` (`pip install tapeflow[viz]`).
"""

from __future__ import annotations

import io

from tapeflow.viz import style
from tapeflow.viz.layout import Layout, layout
from tapeflow.viz.model import Model

MAX_PIXELS = 16000  # the longer side of the image; a larger drawing is scaled down


class MissingDependency(ImportError):
    """An optional package a format needs is not installed; says which and how to get it."""


def _pillow():
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise MissingDependency(
            "PNG output needs Pillow: pip install 'tapeflow[viz]' (or pip install pillow)"
        ) from None
    return Image, ImageDraw, ImageFont


def _rgb(colour: str):
    return None if colour == "none" else colour


def render(model: Model, lay: Layout | None = None, scale: float = 1.0) -> bytes:
    Image, ImageDraw, ImageFont = _pillow()
    lay = lay or layout(model)
    scale = min(scale, MAX_PIXELS / max(lay.width, lay.height, 1))
    size = (max(1, int(lay.width * scale)), max(1, int(lay.height * scale)))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = _font(ImageFont, style.FONT_SIZE * scale)
    small = _font(ImageFont, (style.FONT_SIZE - 1) * scale)

    def s(*values):
        return [v * scale for v in values]

    kinds = {g.id: g for g in model.groups}
    for gid in sorted(lay.groups, key=lambda g: kinds[g].parent is not None):
        box, group = lay.groups[gid], kinds[gid]
        fill, stroke, _ = style.GROUP_STYLES[group.kind]
        draw.rounded_rectangle(s(box.x, box.y, box.x + box.w, box.y + box.h),
                               radius=6 * scale, fill=_rgb(fill), outline=stroke)
        draw.text(s(box.x + 6, box.y + 3), group.label, fill=stroke, font=small)
    for a, b in model.edges:
        src, dst = lay.nodes[a], lay.nodes[b]
        points = _curve(src.cx, src.y + src.h, dst.cx, dst.y)
        draw.line([tuple(s(x, y)) for x, y in points], fill=style.EDGE_COLOUR,
                  width=max(1, int(scale)))
        x1, y1 = s(dst.cx, dst.y)
        draw.polygon([(x1, y1), (x1 - 3 * scale, y1 - 6 * scale), (x1 + 3 * scale, y1 - 6 * scale)],
                     fill=style.EDGE_COLOUR)
    for node in model.nodes:
        box = lay.nodes[node.id]
        fill, stroke = style.colours(node)
        rect = s(box.x, box.y, box.x + box.w, box.y + box.h)
        if node.kind in ("input", "variable"):
            draw.ellipse(rect, fill=fill, outline=stroke)
            if node.kind == "variable":
                draw.ellipse(s(box.x + 3, box.y + 3, box.x + box.w - 3, box.y + box.h - 3),
                             outline=stroke)
        elif node.kind in ("update", "guard"):
            corners = style.shape_points(node.kind, box.x, box.y, box.w, box.h)
            draw.polygon([tuple(s(x, y)) for x, y in corners], fill=fill, outline=stroke)
        else:
            draw.rounded_rectangle(rect, radius=5 * scale, fill=fill, outline=stroke,
                                   width=max(1, int((2.5 if node.kind == "output" else 1) * scale)))
        draw.text(tuple(s(box.cx, box.y + 10)), node.op, fill=style.TEXT_COLOUR, font=font,
                  anchor="mm")
        draw.text(tuple(s(box.cx, box.y + 24)), node.type, fill="#334155", font=small,
                  anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # large drawings: speed over size
    return buffer.getvalue()


def _font(ImageFont, size: float):
    try:
        return ImageFont.load_default(size=max(6.0, size))
    except TypeError:  # Pillow < 10.1 has one bitmap size
        return ImageFont.load_default()


def _curve(x0, y0, x1, y1, steps: int = 12):
    """Points along the cubic curve the SVG draws between two nodes."""
    dy = max(20.0, (y1 - y0) / 2)
    c0, c1 = (x0, y0 + dy), (x1, y1 - dy)
    points = []
    for k in range(steps + 1):
        t = k / steps
        u = 1 - t
        points.append((
            u**3 * x0 + 3 * u * u * t * c0[0] + 3 * u * t * t * c1[0] + t**3 * x1,
            u**3 * y0 + 3 * u * u * t * c0[1] + 3 * u * t * t * c1[1] + t**3 * y1,
        ))
    return points
