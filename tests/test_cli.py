"""The `tapeflow` command."""

import subprocess
import sys
from pathlib import Path

import pytest

from tapeflow.cli import main

EXAMPLE = str(Path(__file__).parent.parent / "examples" / "train_step.py")


def test_graph_prints_forward_and_adjoint_with_source_lines(capsys):
    assert main(["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("graph(a:f32[4,3] 'x', b:f32[3,2] 'w:0', c:f32[2] 'b:0')")
    assert out.count("matmul(") == 2  # forward x@w and the adjoint x^T @ g
    assert "# train_step.py:" in out


def test_graph_passes_shows_each_pass(capsys):
    main(["graph", f"{EXAMPLE}::step", "--input", "f32[2,3]", "--passes"])
    out = capsys.readouterr().out
    for name in ("traced", "after verify", "after simplify", "after cse", "after dce"):
        assert f"# {name}" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["graph", f"{EXAMPLE}::nope"], "defines no 'nope'"),
        (["graph", "missing.py::f"], "no such file"),
        (["graph", "examples"], "expected SCRIPT.py::FUNCTION"),
        (["graph", f"{EXAMPLE}::step", "--input", "q[3]"], "expected a type like f32[3,2]"),
    ],
)
def test_bad_arguments_say_what_is_wrong(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    text = str(info.value.code) + capsys.readouterr().err
    assert message in text


def test_console_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "tapeflow", "--help"], capture_output=True,
                            text=True, check=True)
    assert "graph" in result.stdout
