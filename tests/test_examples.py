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


@pytest.mark.slow
def test_the_digits_example_runs_shortened_then_resumes(tmp_path):
    """examples/train_digits.py in a few steps (the README's first command runs it in full):
    custom loop, checkpoint, plot, model.fit; then --resume continues from the checkpoint."""
    pytest.importorskip("sklearn")
    args = [sys.executable, str(ROOT / "examples" / "train_digits.py"), "--epochs", "2",
            "--max-steps", "6", "--fit-epochs", "1", "--checkpoint-dir", str(tmp_path / "ckpt"),
            "--plot", str(tmp_path / "curves.png")]
    env = {**_env(), "TAPEFLOW_CACHE_DIR": str(tmp_path / "cache")}
    first = subprocess.run(args, capture_output=True, text=True, check=False, timeout=900,
                           env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "traces: train_step 1, eval_step 1" in out
    assert "steps/s" in out and "compile time" in out and "model.fit" in out
    assert "checkpoint written to" in out
    if "no plot" not in out:
        assert (tmp_path / "curves.png").stat().st_size > 1000
    second = subprocess.run(args + ["--resume"], capture_output=True, text=True, check=False,
                            timeout=900, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "resumed from" in second.stdout and "at step 6" in second.stdout
    assert "Warning" not in first.stderr + second.stderr


@pytest.mark.slow
def test_the_control_flow_example_matches_eager_on_every_path(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "control_flow.py")], capture_output=True,
        text=True, check=False, timeout=600, env={**_env(), "TAPEFLOW_CACHE_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:8]]
    assert [r[-1] for r in rows] == ["1", "2", "3", "4", "4", "5", "5"]  # paths reused
    for a, value, grad, ratio, _ in rows:
        assert float(grad) == float(ratio)  # df/da = f(a)/a on every path
