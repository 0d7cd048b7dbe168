"""A headless Chromium driven by Selenium, for the viewer's tests, the screenshot in docs/
and benchmarks/viz.py. Needs the `selenium` package and a Chromium with its ChromeDriver
(Debian: packages chromium and chromium-driver); nothing is downloaded.

`why_unavailable()` says what is missing (tests skip with that reason); `open_browser()` starts
one with a fresh profile and the flags this project's machines need.
"""

from __future__ import annotations

import shutil
import tempfile

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def _which(names) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def why_unavailable() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[test]')"
    if _which(BROWSERS) is None:
        return "no Chromium on PATH (apt-get install chromium chromium-driver; .ci/run does)"
    if _which(DRIVERS) is None:
        return "no chromedriver on PATH (apt-get install chromium-driver; .ci/run does)"
    return None


class Browser:
    """A started browser; `close()` (or `with`) ends it and removes its profile."""

    def __init__(self, width: int = 1400, height: int = 900):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="tapeflow-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = _which(BROWSERS)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=_which(DRIVERS)),
                                       options=options)

    def open(self, path: str, timeout: float = 60.0) -> None:
        """Load a local file and wait until the viewer says it is ready."""
        from pathlib import Path

        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.get(Path(path).resolve().as_uri())
        WebDriverWait(self.driver, timeout).until(
            lambda d: d.execute_script("return !!(window.tapeflowViewer && "
                                       "window.tapeflowViewer.ready)"))

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] in ("SEVERE", "ERROR")]

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
