"""The HTML viewer in a real browser: headless Chromium driven by Selenium.

Skips, saying why, only where no browser can be had (`.ci/run` installs Debian's chromium
and chromium-driver when they are missing)."""

import io
import runpy
from pathlib import Path

import numpy as np
import pytest

from tapeflow.viz import browser

ROOT = Path(__file__).parent.parent.parent
MLP = ROOT / "examples" / "mlp_step.py"

pytestmark = pytest.mark.skipif(browser.why_unavailable() is not None,
                                reason=str(browser.why_unavailable()))


@pytest.fixture(scope="module")
def mlp_page(tmp_path_factory):
    ns = runpy.run_path(str(MLP))
    graph = ns["step"].get_concrete_function(*ns["make_args"]()).graph
    path = tmp_path_factory.mktemp("viewer") / "mlp_step.html"
    path.write_text(graph.to_html(title="examples/mlp_step.py:step"))
    return path


@pytest.fixture(scope="module")
def page(mlp_page):
    with browser.Browser() as b:
        b.open(str(mlp_page))
        yield b


def test_the_page_loads_without_console_errors(page):
    assert page.console_errors() == []
    assert page.js("return window.tapeflowViewer.nodeCount()") > 45


def test_a_kernel_collapses_and_expands_by_clicking_its_header(page):
    from selenium.webdriver.common.by import By

    kernels = [g for g in page.js("return window.tapeflowViewer.groupIds()") if g.startswith("k")]
    kernel = kernels[0]
    members = page.js("return window.tapeflowViewer.members(arguments[0])", kernel)
    page.js("window.tapeflowViewer.fit()")
    header = page.driver.find_element(By.CSS_SELECTOR, f"#g-{kernel} .header text")
    header.click()
    assert page.js("return window.tapeflowViewer.isCollapsed(arguments[0])", kernel)
    assert not any(page.js("return window.tapeflowViewer.isVisible(arguments[0])", m)
                   for m in members)
    assert not page.driver.find_element(By.ID, f"n-{members[0]}").is_displayed()
    header = page.driver.find_element(By.CSS_SELECTOR, f"#g-{kernel} .header text")
    header.click()
    assert not page.js("return window.tapeflowViewer.isCollapsed(arguments[0])", kernel)
    assert page.driver.find_element(By.ID, f"n-{members[0]}").is_displayed()
    assert page.console_errors() == []


def test_searching_a_user_line_finds_its_nodes(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    line = next(i for i, text in enumerate(MLP.read_text().splitlines(), 1)
                if "tf.nn.relu(x @ w1 + b1)" in text)
    # Collapse everything first: search must open the groups its matches are in.
    page.driver.find_element(By.ID, "collapse-all").click()
    box = page.driver.find_element(By.ID, "search")
    box.clear()
    box.send_keys(f"mlp_step.py:{line}", Keys.ENTER)
    found = page.js("return window.tapeflowViewer.matches()")
    assert found, "no node found for the line"
    # The line's own equations, and the adjoint equations that differentiate them.
    at_line = 0
    for node_id in found:
        element = page.driver.find_element(By.ID, f"n-{node_id}")
        # Shown (its group was opened); the view is centred on the first match.
        assert page.js("return window.tapeflowViewer.isVisible(arguments[0])", node_id)
        assert element.is_displayed() or node_id != found[0]
        if element.get_attribute("data-line") == f"mlp_step.py:{line}":
            at_line += 1
        else:
            tooltip = element.find_element(By.TAG_NAME, "title").get_attribute("textContent")
            assert f"at mlp_step.py:{line}" in tooltip, tooltip
    assert at_line >= 3  # matmul, add, relu's select
    assert "match" in page.driver.find_element(By.ID, f"n-{found[0]}").get_attribute("class")
    assert f"mlp_step.py:{line}" in page.driver.find_element(By.ID, "panel").text
    assert page.driver.find_element(By.ID, "count").text == f"{len(found)} found"
    # A search by op finds every matmul (forward and adjoint).
    box.clear()
    box.send_keys("matmul", Keys.ENTER)
    assert len(page.js("return window.tapeflowViewer.matches()")) >= 4
    page.driver.find_element(By.ID, "expand-all").click()


def test_the_side_panel_shows_the_kernel_code(page):
    from selenium.webdriver.common.by import By

    kernel = next(g for g in page.js("return window.tapeflowViewer.groupIds()")
                  if g.startswith("k"))
    member = page.js("return window.tapeflowViewer.members(arguments[0])", kernel)[0]
    page.js("window.tapeflowViewer.select(arguments[0])", member)
    code = page.driver.find_element(By.ID, "kernel-code").text
    assert "def entry(" in code


def test_forward_and_adjoint_filter(page):
    from selenium.webdriver.common.by import By

    page.driver.find_element(By.CSS_SELECTOR, "input[name=side][value=forward]").click()
    adjoint = page.driver.find_elements(By.CSS_SELECTOR, ".node.eqn.adjoint")
    forward = page.driver.find_elements(By.CSS_SELECTOR, ".node.eqn.forward")
    assert adjoint and not any(e.is_displayed() for e in adjoint[:5])
    page.driver.find_element(By.CSS_SELECTOR, "input[name=side][value=both]").click()
    assert all(e.is_displayed() for e in forward[:5])


def test_a_screenshot_of_the_mlp_step_is_not_blank(page):
    from PIL import Image

    page.js("window.tapeflowViewer.fit()")
    image = Image.open(io.BytesIO(page.driver.get_screenshot_as_png())).convert("RGB")
    pixels = np.asarray(image)
    not_white = np.mean(np.any(pixels < 245, axis=2))
    assert not_white > 0.03, f"only {not_white:.1%} of the screenshot is drawn"
    colours = len(image.getcolors(1 << 22) or [])
    assert colours > 50


def test_a_5000_equation_graph_opens_collapsed_without_errors(tmp_path):
    from tapeflow.viz import html

    from .synthetic import big_model

    model = big_model(5000)
    path = tmp_path / "big.html"
    path.write_text(html.render(model))
    with browser.Browser() as b:
        b.open(str(path), timeout=120)
        assert b.console_errors() == []
        kernels = [g for g in b.js("return window.tapeflowViewer.groupIds()")
                   if g.startswith("k")]
        assert kernels and all(b.js("return window.tapeflowViewer.isCollapsed(arguments[0])",
                                    k) for k in kernels)
        b.js("window.tapeflowViewer.expand(arguments[0])", kernels[0])
        assert not b.js("return window.tapeflowViewer.isCollapsed(arguments[0])", kernels[0])
