"""Rendering time of the pictures for graphs of about 100, 1,000 and 5,000 equations.

    python benchmarks/viz.py [--repeats 5] [--browser]

Graphs: a deep residual MLP's training step (forward, adjoint, SGD updates), traced,
optimised and fused (tests/viz/synthetic.py). For each size it prints the median time of:
printing the graph as text (the baseline, measured in the same run), building the picture's
model, the layout, the whole SVG, the whole HTML file, and the PNG (Pillow), with each one's
ratio to the text. The goal is the 1,000-equation SVG and HTML under 2 s. `--browser` also
times headless Chromium opening the HTML until the viewer is ready (needs selenium and
chromium with chromedriver).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "viz"))

from synthetic import graph_of_about  # noqa: E402

from tapeflow import viz  # noqa: E402
from tapeflow.graph.printer import print_graph  # noqa: E402
from tapeflow.viz import html, layout, model, png  # noqa: E402


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--browser", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.repeats}")
    print(f"{'eqns':>6} {'text':>8} {'model':>8} {'layout':>8} {'svg':>8} {'html':>8} "
          f"{'png':>8}   svg/text html/text" + ("   browser" if args.browser else ""))
    for size in (100, 1000, 5000):
        graph = graph_of_about(size)
        groups = viz.fusion_groups(graph)
        built = model.build(graph, groups)
        t_text = median_time(lambda: print_graph(graph), args.repeats)
        t_model = median_time(lambda: model.build(graph, groups), args.repeats)
        t_layout = median_time(lambda: layout.layout(built), args.repeats)
        # The whole path from a graph, as `Graph.to_svg()` / `to_html()` take it (fusion
        # plan, model, layout, text; the HTML also generates each kernel's code).
        t_svg = median_time(lambda: viz.to_svg(graph), args.repeats)
        t_html = median_time(lambda: viz.to_html(graph), args.repeats)
        t_png = median_time(lambda: png.render(built), max(1, args.repeats // 2))
        row = (f"{len(graph.eqns):>6} {t_text:8.3f} {t_model:8.3f} {t_layout:8.3f} "
               f"{t_svg:8.3f} {t_html:8.3f} {t_png:8.3f}   {t_svg / t_text:7.0f}x "
               f"{t_html / t_text:8.0f}x")
        if args.browser:
            row += f"   {browser_load(graph):7.2f}"
        print(row, flush=True)
    print("seconds; goal: 1,000 equations' svg and html under 2 s each")
    return 0


def browser_load(graph) -> float:
    from tapeflow.viz import browser

    why = browser.why_unavailable()
    if why:
        print(f"(no browser: {why})")
        return float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "g.html"
        page.write_text(html.render(model.build(graph, viz.fusion_groups(graph))))
        with browser.Browser() as b:
            start = time.perf_counter()
            b.open(str(page), timeout=300)
            loaded = time.perf_counter() - start
            # Interactions, timed inside the page: expand everything, collapse everything,
            # search a user line (ms).
            ms = b.js("""
                const v = window.tapeflowViewer, t = [];
                let s = performance.now(); document.getElementById('expand-all').click();
                t.push(performance.now() - s);
                s = performance.now(); document.getElementById('collapse-all').click();
                t.push(performance.now() - s);
                s = performance.now(); v.search('synthetic.py:23'); t.push(performance.now() - s);
                return t;""")
            print(f"  (browser, {len(graph.eqns)} eqns: expand all {ms[0]:.0f} ms, collapse all "
                  f"{ms[1]:.0f} ms, search {ms[2]:.0f} ms)")
            return loaded


if __name__ == "__main__":
    sys.exit(main())
