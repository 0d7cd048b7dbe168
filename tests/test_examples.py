"""The README's first command runs examples/demo.py: it must keep working."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_the_main_demo_runs_and_the_compiled_step_matches_the_eager_one(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")], capture_output=True, text=True, check=False,
        timeout=600, env={**_env(), "TAPEFLOW_CACHE_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    eager = _weights(out, "linear regression after 50 steps: loss")
    compiled = _weights(out, "@tf.function, 50 steps: loss")
    np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-6)
    assert "traced 1 time(s)" in out and "fused 1 over" in out
    assert "Warning" not in result.stderr


def _weights(out: str, label: str) -> list[float]:
    """The W and c printed after `label`: 'loss L W [w0 w1 w2] c C'."""
    line = out.split(label, 1)[1].splitlines()[0]
    w = line.split("W [", 1)[1].split("]", 1)[0].split()
    return [float(v) for v in w] + [float(line.rsplit("c ", 1)[1])]


def _env():
    import os

    return dict(os.environ)
