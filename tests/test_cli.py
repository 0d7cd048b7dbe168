"""The `tapeflow` command: every subcommand and format on the examples, and its errors."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tapeflow.cli import main
from tapeflow.graph.passes.fuse import fuse
from tapeflow.graph.printer import parse_graph, print_graph

ROOT = Path(__file__).parent.parent
EXAMPLE = str(ROOT / "examples" / "train_step.py")
MLP = str(ROOT / "examples" / "mlp_step.py")
CONTROL = str(ROOT / "examples" / "control_flow.py")
SVG = "{http://www.w3.org/2000/svg}"
ORIGINAL_PATH = os.environ.get("PATH", "")


@pytest.fixture(autouse=True)
def no_graphviz(monkeypatch, tmp_path):
    """Everything works with no `dot` on PATH."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def mlp_graph():
    import runpy

    ns = runpy.run_path(MLP)
    return ns["step"].get_concrete_function(*ns["make_args"]()).graph


# ---- graph: text ------------------------------------------------------------------------------


def test_graph_prints_forward_and_adjoint_with_source_lines(capsys):
    code, out, _ = run(["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]"], capsys)
    assert code == 0
    assert out.startswith("graph(a:f32[4,3] 'x', b:f32[3,2] 'w:0', c:f32[2] 'b:0')")
    assert out.count("matmul(") == 2  # forward x@w and the adjoint x^T @ g
    assert "# train_step.py:" in out and "(adjoint of matmul at train_step.py:14)" in out
    assert "'loss'" in out and "'new w:0'" in out


@pytest.mark.parametrize("target", [f"{EXAMPLE}::step", f"{EXAMPLE}:step"])
def test_text_parses_back(target, capsys):
    code, out, _ = run(["graph", target, "--input", "x=float32[4,3]"], capsys)
    assert code == 0
    assert print_graph(parse_graph(out)) == out.rstrip("\n")


def test_stage_traced_and_pass(capsys):
    _, traced, _ = run(["graph", EXAMPLE + ":step", "--input", "x=f32[4,3]", "--stage",
                        "traced"], capsys)
    _, after_cse, _ = run(["graph", EXAMPLE + ":step", "--input", "x=f32[4,3]", "--pass", "cse"],
                          capsys)
    _, optimized, _ = run(["graph", EXAMPLE + ":step", "--input", "x=f32[4,3]"], capsys)
    assert "pow(" in traced and "pow(" not in optimized  # simplify: x**2 -> x*x
    assert "pow(" not in after_cse  # cse runs after simplify
    assert len(traced.splitlines()) > len(optimized.splitlines())


def test_graph_passes_shows_each_pass(capsys):
    _, out, _ = run(["graph", f"{EXAMPLE}::step", "--input", "f32[2,3]", "--passes"], capsys)
    for name in ("traced", "after verify", "after simplify", "after cse", "after dce"):
        assert f"# {name}" in out


def test_unknown_sizes_print_the_graph_over_symbols(capsys):
    code, out, _ = run(["graph", f"{EXAMPLE}::step", "--input", "f32[?,3]"], capsys)
    assert code == 0
    assert "traced with unknown sizes" in out
    assert "a:f32[x.0,3] 'x'" in out and "f32[x.0,2] = matmul(a, b)" in out


def test_fused_shows_the_loops(capsys):
    _, out, _ = run(["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--stage", "fused"],
                    capsys)
    assert "fused 1 over [4,2] {" in out and out.count("matmul(") == 2


def test_input_signature_gives_the_types_and_example_gives_the_arguments(capsys):
    code, out, _ = run(["graph", MLP + ":step"], capsys)
    assert code == 0 and out.startswith("graph(a:f32[128,784] 'x', b:i32[128] 'labels'")
    code, out2, _ = run(["graph", MLP + ":step", "--example", MLP + ":make_args"], capsys)
    assert code == 0 and out2 == out


def test_forward_only_and_adjoint_only(capsys):
    _, forward, _ = run(["graph", EXAMPLE + ":step", "--input", "x=f32[4,3]",
                         "--forward-only"], capsys)
    _, adjoint, _ = run(["graph", EXAMPLE + ":step", "--input", "x=f32[4,3]",
                         "--adjoint-only"], capsys)
    assert "(adjoint of" not in forward and forward.count("matmul(") == 1
    assert "(adjoint of" in adjoint and "# train_step.py:14\n" not in adjoint
    _, svg, _ = run(["graph", EXAMPLE + ":step", "--input", "x=f32[4,3]", "--format", "svg",
                     "--forward-only"], capsys)
    assert "node eqn forward" in svg and "node eqn adjoint" not in svg


def test_plain_function_and_module_targets(tmp_path, monkeypatch, capsys):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "steps.py").write_text(
        "import tapeflow as tf\n\ndef double(x):\n    return tf.exp(x) * 2.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, _ = run(["graph", "mypkg.steps:double", "--input", "x=f64[3]"], capsys)
    assert code == 0 and "exp(a)" in out and "'result'" not in out and "f64[3]" in out
    code, out2, _ = run(["graph", str(package / "steps.py") + "::double", "--input", "f64[3]"],
                        capsys)
    assert code == 0 and out2 == out


def test_control_flow_example_shows_its_guards(capsys):
    code, out, _ = run(["graph", CONTROL + ":value_and_gradient", "--input", "a=f32[]"], capsys)
    assert code == 0
    assert "'guard at control_flow.py:" in out
    _, svg, _ = run(["graph", CONTROL + ":value_and_gradient", "--input", "a=f32[]", "--format",
                     "svg"], capsys)
    assert 'class="node guard"' in svg


# ---- graph: other formats -----------------------------------------------------------------------


def test_json_round_trips_to_the_same_graph(tmp_path, capsys):
    out_file = tmp_path / "g.json"
    assert main(["graph", MLP + ":step", "--format", "json", "-o", str(out_file)]) == 0
    text = out_file.read_text()
    assert json.loads(text)["format"] == "tapeflow-graph/1"
    graph = mlp_graph()
    from tapeflow.graph.ir import Graph

    again = Graph.from_json(text)
    assert print_graph(again) == print_graph(graph)
    assert again.to_json() == text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's use of pyparsing
def test_dot_is_read_back_by_networkx(capsys):
    import networkx as nx

    pytest.importorskip("pydot")
    code, out, _ = run(["graph", MLP + ":step", "--format", "dot"], capsys)
    assert code == 0
    graph = mlp_graph()
    g = nx.nx_pydot.from_pydot(__import__("pydot").graph_from_dot_data(out)[0])
    eqn_nodes = [n for n in g.nodes if n.startswith("e")]
    assert len(eqn_nodes) == len(graph.eqns)
    assert g.number_of_edges() >= len(graph.eqns)
    assert "subgraph cluster_k" in out


def test_svg_is_xml_with_a_node_per_equation_and_a_group_per_kernel(tmp_path):
    out_file = tmp_path / "step.svg"
    assert main(["graph", MLP + ":step", "--format", "svg", "-o", str(out_file)]) == 0
    root = ET.parse(out_file).getroot()
    assert root.tag == SVG + "svg"
    groups = [g for g in root.iter(SVG + "g")]
    eqn_nodes = [g for g in groups if g.get("class", "").startswith("node eqn")]
    kernels = [g for g in groups if g.get("class") == "cluster kernel"]
    graph = mlp_graph()
    assert len(eqn_nodes) == len(graph.eqns)
    assert len(kernels) == len(fuse(graph).fused())
    sides = {g.get("class").split()[-1] for g in eqn_nodes}
    assert sides == {"forward", "adjoint", "update"}
    # Each node's tooltip has its user line.
    first = eqn_nodes[0]
    assert "mlp_step.py:" in first.find(SVG + "title").text


def test_png_has_a_header_and_a_plausible_size(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    out_file = tmp_path / "step.png"
    assert main(["graph", MLP + ":step", "--format", "png", "-o", str(out_file)]) == 0
    data = out_file.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with pil.open(out_file) as image:
        width, height = image.size
        assert 300 < width < 16001 and 300 < height < 16001
        # Not blank: more than a few colours.
        assert len(image.convert("RGB").getcolors(1 << 20)) > 20


def test_html_is_self_contained(tmp_path):
    out_file = tmp_path / "step.html"
    assert main(["graph", MLP + ":step", "--format", "html", "-o", str(out_file)]) == 0
    text = out_file.read_text()
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    assert "https://" not in text and "http://" not in text.replace(
        "http://www.w3.org/2000/svg", "")
    assert '"sources":{"' in text  # the kernels' generated code for the side panel


def test_python_api_draws_the_same(capsys):
    graph = mlp_graph()
    assert graph.to_svg().startswith("<?xml")
    assert graph.to_dot().startswith("digraph")
    assert "<!DOCTYPE html>" in graph.to_html()
    assert json.loads(graph.to_json())["eqns"]


def test_layout_graphviz_needs_dot_on_path(capsys):
    code, out, err = run(["graph", EXAMPLE + ":step", "--input", "f32[4,3]", "--format", "svg",
                          "--layout", "graphviz"], capsys)
    assert code != 0 and out == ""
    assert err.strip().splitlines() == [
        "tapeflow graph: error: --layout graphviz: Graphviz's `dot` is not on PATH (leave the "
        "option out to lay the graph out without it)"]


def test_layout_graphviz_uses_dot_when_it_is_on_path(monkeypatch, tmp_path):
    import shutil

    monkeypatch.setenv("PATH", ORIGINAL_PATH)
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed here")
    out_file = tmp_path / "g.svg"
    assert main(["graph", EXAMPLE + ":step", "--input", "f32[4,3]", "--format", "svg",
                 "--layout", "graphviz", "-o", str(out_file)]) == 0
    root = ET.parse(out_file).getroot()
    assert "Generated by graphviz" in out_file.read_text()
    assert root.tag == SVG + "svg"


# ---- source, precompile, profile ---------------------------------------------------------------


def test_source_prints_the_generated_module(capsys):
    code, out, _ = run(["source", EXAMPLE + ":step", "--input", "x=f32[4,3]"], capsys)
    assert code == 0
    assert "def entry(" in out and "# h:f32[4,2] = matmul(a, b)" in out
    compile(out, "generated", "exec")


@pytest.mark.slow
def test_precompile_fills_the_cache_with_a_progress_bar(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run(["precompile", EXAMPLE + ":step", "--input", "x=f32[4,3]"], capsys)
    assert code == 0, err
    assert "[" in err and "compiled into the cache" in err
    assert list((tmp_path / "cache").rglob("*.py"))


@pytest.mark.slow
def test_profile_reports_kernels_with_user_lines(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run(["profile", EXAMPLE + ":step", "--input", "x=f32[64,3]", "--steps",
                          "5", "--quiet", "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["step_seconds"] > 0 and report["kernel_seconds"] > 0
    labels = " ".join(k["label"] for k in report["kernels"])
    assert "matmul" in labels and "kernel" in labels
    assert all(k["lines"] for k in report["kernels"])
    html_file = tmp_path / "p.html"
    assert main(["profile", EXAMPLE + ":step", "--input", "x=f32[64,3]", "--steps", "3",
                 "--quiet", "--format", "html", "-o", str(html_file)]) == 0
    assert '"profile":{"' in html_file.read_text()


# ---- bad input: one line on stderr, non-zero, no file -----------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["graph", f"{EXAMPLE}::nope"], "defines no 'nope' (functions there: step)"),
        (["graph", "missing.py::f"], "no such file: missing.py"),
        (["graph", "examples"], "expected path/file.py:function"),
        (["graph", "no_such_module_xyz:f"], "no module named 'no_such_module_xyz'"),
        (["graph", f"{EXAMPLE}:w"], "is a ResourceVariable, not a function"),
        (["graph", f"{EXAMPLE}::step", "--input", "q[3]"], "unknown dtype 'q'"),
        (["graph", f"{EXAMPLE}::step", "--input", "x=f32[3"], "expected NAME=TYPE"),
        (["graph", f"{EXAMPLE}::step", "--input", "y=f32[3]"], "has no parameter 'y'"),
        (["graph", f"{EXAMPLE}::step"], "no input_signature: give each argument's type"),
        (["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--format", "gif"],
         "invalid choice: 'gif'"),
        (["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--pass", "nope"],
         "--pass nope: unknown pass"),
        (["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "-o", "/no/such/dir/g.svg"],
         "no such directory"),
        (["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--dot", "--passes"],
         "not allowed with"),
        (["profile", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--steps", "0"],
         "--steps 0: must be at least 1"),
    ],
)
def test_bad_arguments_say_what_is_wrong_in_one_line(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert code != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err


def test_a_function_raising_while_traced_shows_the_users_traceback(tmp_path, capsys):
    script = tmp_path / "broken.py"
    script.write_text(
        "import tapeflow as tf\n\n"
        "def helper(x):\n"
        "    return x @ tf.ones((5, 2))  # shapes do not match\n\n"
        "def step(x):\n"
        "    return helper(x) * 2.0\n")
    out_file = tmp_path / "out.svg"
    code, out, err = run(["graph", f"{script}:step", "--input", "x=f32[4,3]", "--format", "svg",
                          "-o", str(out_file)], capsys)
    assert code == 1 and out == ""
    assert not out_file.exists()  # no partial file
    assert not list(tmp_path.glob(".tapeflow-*"))
    assert "broken.py\", line 4, in helper" in err and "broken.py\", line 7, in step" in err
    assert f"{os.sep}tapeflow{os.sep}" not in err.split("error:")[0]  # none of our frames
    last = err.strip().splitlines()[-1]
    assert last.startswith("tapeflow graph: error: step raised while it was traced: ")
    # --verbose shows the whole traceback, ours included.
    _, _, verbose = run(["graph", f"{script}:step", "--input", "x=f32[4,3]", "--verbose"],
                        capsys)
    assert f"{os.sep}tapeflow{os.sep}" in verbose


def test_an_existing_output_survives_a_failed_run(tmp_path, capsys):
    out_file = tmp_path / "g.svg"
    out_file.write_text("old")
    code, _, _ = run(["graph", f"{EXAMPLE}::step", "--input", "f32[4,3]", "--pass", "nope",
                      "-o", str(out_file)], capsys)
    assert code != 0 and out_file.read_text() == "old"


def test_python_m_tapeflow_is_the_command():
    result = subprocess.run(
        [sys.executable, "-m", "tapeflow", "graph", f"{EXAMPLE}::step", "--input", "f32[2,3]"],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("graph(")
    bad = subprocess.run([sys.executable, "-m", "tapeflow", "graph", "missing.py:f"],
                         capture_output=True, text=True, check=False, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "tapeflow graph: error: no such file: missing.py"]
