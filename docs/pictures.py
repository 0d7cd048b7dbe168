"""Make the pictures docs/ and the README show, from examples/mlp_step.py:

    python docs/pictures.py        # docs/mlp_step.svg, docs/viewer.png

The SVG is `tapeflow graph examples/mlp_step.py:step --format svg`; the PNG is a screenshot
of the HTML viewer of the same graph in headless Chromium (see tapeflow/viz/browser.py).
"""

import runpy
import sys
import tempfile
from pathlib import Path

from tapeflow.viz import browser

DOCS = Path(__file__).parent
EXAMPLE = DOCS.parent / "examples" / "mlp_step.py"


def main() -> int:
    ns = runpy.run_path(str(EXAMPLE))
    graph = ns["step"].get_concrete_function(*ns["make_args"]()).graph
    title = "examples/mlp_step.py:step"
    (DOCS / "mlp_step.svg").write_text(graph.to_svg(title=title))
    why = browser.why_unavailable()
    if why:
        print(f"no screenshot: {why}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "mlp_step.html"
        page.write_text(graph.to_html(title=title))
        with browser.Browser(width=1400, height=860) as b:
            b.open(str(page))
            line = next(i for i, text in enumerate(EXAMPLE.read_text().splitlines(), 1)
                        if "tf.nn.relu(x @ w1 + b1)" in text)
            b.js("window.tapeflowViewer.fit()")
            # Select the forward matmul of that line: the side panel shows its kernel's code.
            b.js("window.tapeflowViewer.search(arguments[0])", f"mlp_step.py:{line}")
            b.js("window.tapeflowViewer.fit()")
            b.driver.save_screenshot(str(DOCS / "viewer.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
