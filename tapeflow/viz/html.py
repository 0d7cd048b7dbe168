"""The interactive viewer: one self-contained HTML file (no network; script and style inlined).

The layout is computed here (layout.py) and embedded with the model as JSON; viewer.js draws
it and adds pan and zoom, expand/collapse of groups (kernels, and user lines inside them),
search by op or user line, the forward/adjoint filter, a side panel (shape, dtype, params,
user line, the generated code of the node's kernel) and, from `tapeflow profile --format
html`, each kernel shaded by its share of the step's time. Above `COLLAPSE_ABOVE` nodes the
groups start collapsed, so a large graph opens quickly.
"""

from __future__ import annotations

import json
from importlib import resources
from xml.sax.saxutils import escape

from tapeflow.viz import style
from tapeflow.viz.layout import layout
from tapeflow.viz.model import Model

COLLAPSE_ABOVE = 400
# Nothing may be fetched: the page is one file that works offline.
_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "img-src data:")


def _asset(name: str) -> str:
    return resources.files("tapeflow.viz").joinpath(name).read_text(encoding="utf-8")


def _script_json(data) -> str:
    """JSON safe inside a <script> element (no `</` can end it early)."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def render(model: Model, kernel_sources: dict | None = None, profile: dict | None = None,
           collapse_above: int | None = None) -> str:
    lay = layout(model)
    limit = COLLAPSE_ABOVE if collapse_above is None else collapse_above
    data = {
        "model": model.to_dict(),
        "layout": {
            "nodes": {k: [round(b.x, 1), round(b.y, 1), round(b.w, 1), round(b.h, 1)]
                      for k, b in lay.nodes.items()},
            "groups": {k: [round(b.x, 1), round(b.y, 1), round(b.w, 1), round(b.h, 1)]
                       for k, b in lay.groups.items()},
            "width": round(lay.width, 1), "height": round(lay.height, 1),
        },
        "style": {"side": style.SIDE_COLOURS, "kind": style.KIND_COLOURS,
                  "groups": style.GROUP_STYLES,
                  "edge": style.EDGE_COLOUR, "font": style.FONT},
        "sources": kernel_sources or {},
        "profile": profile,
        "collapsed": len(model.nodes) > limit,
    }
    legend = "".join(
        f'<span><span class="swatch" style="background:{fill};border-color:{stroke}"></span>'
        f"{name}</span>"
        for name, (fill, stroke) in [("forward", style.SIDE_COLOURS["forward"]),
                                     ("adjoint", style.SIDE_COLOURS["adjoint"]),
                                     ("update", style.SIDE_COLOURS["update"]),
                                     ("variable", style.KIND_COLOURS["variable"]),
                                     ("guard", style.KIND_COLOURS["guard"])]
    )
    title = escape(model.title)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{title} - tapeflow graph</title>
<style>{_asset("viewer.css")}</style></head>
<body><div id="app">
<div id="bar"><h1>{title}</h1>
<input id="search" type="search" placeholder="search op or line (step.py:12), Enter"
 aria-label="search">
<span id="count" class="count"></span>
<label><input type="radio" name="side" value="both" checked> both</label>
<label><input type="radio" name="side" value="forward"> forward</label>
<label><input type="radio" name="side" value="adjoint"> adjoint</label>
<button id="fit" type="button">fit</button>
<button id="collapse-all" type="button">collapse all</button>
<button id="expand-all" type="button">expand all</button>
<span class="legend">{legend}</span></div>
<div id="main"><div id="canvas">
<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}"><defs>
<marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7"
 orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{style.EDGE_COLOUR}"/></marker></defs>
</svg></div>
<div id="panel"><h2>{len([n for n in model.nodes if n.kind == "eqn"])} equations</h2>
<p>Click a node for its details; click a group's header to collapse or expand it; drag to
pan, wheel to zoom.</p></div></div></div>
<script id="tapeflow-data" type="application/json">{_script_json(data)}</script>
<script>{_asset("viewer.js")}</script>
</body></html>
"""
