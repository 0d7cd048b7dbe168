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


def test_unknown_sizes_print_the_graph_over_symbols(capsys):
    assert main(["graph", f"{EXAMPLE}::step", "--input", "f32[?,3]"]) == 0
    out = capsys.readouterr().out
    assert "traced with unknown sizes" in out
    assert "a:f32[x.0,3] 'x'" in out and "f32[x.0,2] = matmul(a, b)" in out


def test_fused_shows_the_loops(capsys):
    main(["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--fused"])
    out = capsys.readouterr().out
    assert "fused 1 over [4,2] {" in out and out.count("matmul(") == 2


def test_dot_draws_every_equation_and_edge(capsys):
    import tapeflow as tf
    from tapeflow.graph.dot import to_dot

    main(["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--dot"])
    out = capsys.readouterr().out
    assert out.startswith('digraph "') and out.rstrip().endswith("}")
    assert "subgraph cluster_" in out and 'label="matmul\\nh: f32[4,2]"' in out
    # Every equation is a node, every operand an edge, every output an arrow out.
    g = tf.function(lambda x: (tf.exp(x) * x, x + 1.0)).get_concrete_function(
        tf.constant([1.0, 2.0])).graph
    text = to_dot(g)
    assert text.count("[shape=box") == len(g.eqns)
    assert text.count("-> e") == sum(len(e.inputs) for e in g.eqns)
    assert text.count("-> out") == len(g.outputs)


def test_show_options_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        main(["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--dot", "--passes"])
    assert "not allowed with" in capsys.readouterr().err


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
