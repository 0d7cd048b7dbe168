"""Conformance tally: TensorFlow's own guide notebooks, run under TensorFlow and under tapeflow.

    python benchmarks/guides_tally.py --notebooks DIR --tensorflow-python PATH [--verbose]
    python benchmarks/guides_tally.py --own-cells [--tensorflow-python PATH]

The first form is the README's "real" tally. Each notebook in DIR (the guides of tensorflow/docs,
site/en/guide/*.ipynb; not shipped with this repository) has its code cells executed in order in
one namespace, in a fresh process and a fresh temporary working directory, three times under real
TensorFlow (PATH is the Python of an environment where it is installed; TensorFlow is not a
dependency of this project) and once under tapeflow, where the line `import tensorflow as tf` is
replaced by `import tapeflow as tf` and nothing else changes. Per cell it records everything
written to file descriptors 1 and 2 (so `tf.print`, which TensorFlow writes from C++, is seen) and
the exception, if any; like a notebook, it shows the repr of a cell's last expression.

A cell counts when it runs under TensorFlow here (no exception, no timeout); cells that fail
under TensorFlow here (no network, no GPU, a missing file or package) are left out and listed by
reason. Of those, "runs" counts the cells that run on tapeflow, and "prints the same" those whose
output is the same text after normalising only what is genuinely run-dependent: in a line where
a number differs between TensorFlow's runs (values drawn from unseeded random generators and
everything computed from them, timings, memory addresses, timestamps), the numbers are wildcards
and spacing is free (numpy pads columns by the widths of the values). Nothing else is
normalised (see same_output). A cell whose TensorFlow runs differ in more than numbers (a
different number of lines from an unseeded random loop, a progress bar redrawn by timing) is
nondeterministic under TensorFlow itself: no text can be "the same" there, so it is counted apart
("TF differs from itself"), with a weaker check (equal to one of TensorFlow's runs with every
number a wildcard), and is not listed among the differences.

The second form checks this project's own cells (tests/conformance/guides/cells.py and the op
cells of tests/conformance/tf_ops/, the test suite; --guides picks guides or op areas): with
--tensorflow-python it runs each under real TensorFlow and reports where TensorFlow's text differs
from the cell's `expected` (with --verbose, TensorFlow's text as a literal to paste); without it,
it prints the tally of the own cells on tapeflow.

Notes: IPython magics and shell lines (`%...`, `!...`) are dropped (a cell of nothing else is left
out); the repr of the last expression is plain `repr`, not IPython's pretty printer, for both;
Python warnings and Python-level log records are not part of the output (TensorFlow's
deprecation notices would otherwise count against tapeflow), and TF_CPP_MIN_LOG_LEVEL=3 silences
TensorFlow's native log lines. Network access is refused inside the workers.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import linecache
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GUIDES = ("basics", "tensor", "variable", "autodiff", "advanced_autodiff", "intro_to_graphs",
          "function", "intro_to_modules", "basic_training_loops")
# TensorFlow runs each notebook this many times: the numbers that differ between its runs are
# the run-dependent ones (more runs: fewer random values equal by chance, such as relu zeros).
TF_RUNS = 3
MAGIC = re.compile(r"^\s*[!%]")
IMPORT_TF = re.compile(r"^(\s*)import tensorflow as tf\b", re.MULTILINE)
# A line of TensorFlow's native (absl) logger, which TF_CPP_MIN_LOG_LEVEL does not silence at
# start-up: "I0000 00:00:1796487161.772128   21777 port.cc:153] ...".
NATIVE_LOG = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\] .*|"
    r"WARNING: All log messages before absl::InitializeLog\(\).*)\n", re.MULTILINE)


# ---------------------------------------------------------------- worker (runs in a subprocess)

class CellTimeout(Exception):
    pass


def _refuse_network() -> None:
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network access is disabled by guides_tally")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse


@contextlib.contextmanager
def _captured_fds(box: dict):
    """Everything written to fds 1 and 2 (Python and native code) goes to a temporary file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            sink.seek(0)
            box["output"] = NATIVE_LOG.sub("", sink.read().decode("utf-8", "replace"))


def _run_source(code: str, namespace: dict, filename: str) -> None:
    """exec the cell; like a notebook, print the repr of a final expression (unless `;`)."""
    # As IPython does, keep the cell's source in linecache, so that inspect.getsource works on
    # the functions it defines (TensorFlow's AutoGraph needs it to convert `if` on tensors).
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    tree = ast.parse(code, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not code.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, filename, "exec"), namespace)
    if last is not None:
        value = eval(compile(last, filename, "eval"), namespace)
        if value is not None:
            print(repr(value))


def prepare(source: str, backend: str) -> tuple[str, bool]:
    """The code to run: magics dropped, and for tapeflow only the import line changed."""
    lines = source.splitlines()
    kept = [line for line in lines if not MAGIC.match(line)]
    code = "\n".join(kept)
    if backend == "tapeflow":
        code = IMPORT_TF.sub(r"\1import tapeflow as tf", code)
    return code, len(kept) != len(lines)


def worker(cells: list[dict], backend: str, timeout: float, fresh: bool) -> list[dict]:
    import logging
    import warnings

    _refuse_network()
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)

    def on_alarm(signum, frame):
        raise CellTimeout(f"cell ran over {timeout:g} s")

    signal.signal(signal.SIGALRM, on_alarm)
    # Import the backend before the first cell, so that TensorFlow's start-up log lines (written
    # by its native logger at import) are not taken for the first cell's output.
    __import__(backend)
    preamble = {"tensorflow": "import tensorflow as tf\nimport numpy as np\n",
                "tapeflow": "import tapeflow as tf\nimport numpy as np\n"}[backend]
    namespace: dict = {"__name__": "__main__"}
    results = []
    for index, cell in enumerate(cells):
        if fresh:  # the project's own cells: each in its own namespace, tf and np given
            namespace = {"__name__": "__main__"}
            exec(preamble, namespace)
        code, stripped = prepare(cell["source"], backend)
        result = {"id": cell["id"], "magic": stripped, "status": "ok", "error": None}
        if not code.strip():
            result.update(status="skipped", output="", error="only IPython magics or shell lines")
            results.append(result)
            continue
        box: dict = {}
        start = time.perf_counter()
        with _captured_fds(box):
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                _run_source(code, namespace, f"<cell-{index}>")
            except CellTimeout as e:
                result.update(status="timeout", error=str(e))
            except BaseException as e:  # noqa: BLE001 - a failing cell is a result, not a crash
                first = str(e).strip().splitlines()[0] if str(e).strip() else ""
                result.update(status="error", error=f"{type(e).__name__}: {first}"[:300])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        result["output"] = box.get("output", "")
        result["seconds"] = round(time.perf_counter() - start, 3)
        results.append(result)
    return results


def _worker_main(args) -> int:
    cells = json.loads(Path(args.cells).read_text())
    os.chdir(tempfile.mkdtemp(prefix="guides_tally_"))  # cells write checkpoints and models
    results = worker(cells, args.backend, args.timeout, args.fresh)
    Path(args.out).write_text(json.dumps(results))
    os._exit(0)  # skip interpreter teardown (TensorFlow's threads can hang it)


# ---------------------------------------------------------------- driver

def notebook_cells(path: Path) -> list[dict]:
    notebook = json.loads(path.read_text())
    cells = []
    for i, cell in enumerate(notebook["cells"]):
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"]
        source = "".join(source) if isinstance(source, list) else source
        if source.lstrip().startswith("#@title Licensed"):
            continue  # the licence header
        cells.append({"id": cell.get("metadata", {}).get("id", str(i)), "source": source})
    return cells


def run_backend(python: str, backend: str, cells: list[dict], timeout: float,
                fresh: bool = False, tapeflow_path: Path = REPO) -> list[dict]:
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
               PYTHONPATH=str(tapeflow_path) if backend == "tapeflow" else "")
    with tempfile.TemporaryDirectory() as tmp:
        cells_file, out_file = Path(tmp, "cells.json"), Path(tmp, "out.json")
        cells_file.write_text(json.dumps(cells))
        command = [python, str(Path(__file__).resolve()), "--worker", "--backend", backend,
                   "--cells", str(cells_file), "--out", str(out_file), "--timeout", str(timeout)]
        if fresh:
            command.append("--fresh")
        try:
            proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                                  timeout=timeout * len(cells) + 120)
        except subprocess.TimeoutExpired:
            proc = None
        if not out_file.exists():  # the worker died (a crash in native code, or the backstop)
            why = "worker timed out" if proc is None else \
                f"worker died (rc {proc.returncode}): {proc.stderr.strip()[-300:]}"
            return [{"id": c["id"], "status": "crash", "error": why, "output": "",
                     "magic": False} for c in cells]
        return json.loads(out_file.read_text())


# A number, not part of a name (the 32 of float32 is not one).
NUMBER = re.compile(r"(?<![\w.])(0x[0-9a-fA-F]+|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def _split(line: str) -> list[str]:
    """Alternating text and numbers: even items are text, odd items numbers."""
    return NUMBER.split(line)


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BACKSPACES = re.compile(r"\x08+")


def erasures_as_one(text: str) -> str:
    """`text` with each run of backspaces that erases exactly the progress line drawn before
    it written as one token. Keras' progress bar redraws its line by backspacing over its
    visible width, which holds timings (`4ms/step` or `71ms/step`): the count is as
    run-dependent as those numbers, which are wildcards in that line already."""
    def replace(match) -> str:
        start = text.rfind("\r", 0, match.start())
        if start < 0:
            return match.group(0)
        end = text.find("\n", start)
        drawn = _ANSI.sub("", text[start + 1:end if end >= 0 else match.start()])
        return "\x08*" if len(drawn) == len(match.group(0)) else match.group(0)

    return _BACKSPACES.sub(replace, text)


def same_output(tf_runs: list[str], mine: str) -> bool:
    """Equal to TensorFlow's text, with its run-dependent numbers as wildcards.

    TensorFlow ran the cell several times. Where its runs agree, the text must be equal.
    Where they differ, they must differ line by line in numbers only (else nothing is
    masked: only an exact match counts); a line with a number that differs between the runs
    is run-dependent (a random draw, a timing, an address, a time of day, or anything printed
    beside one), so all its numbers are wildcards and its spacing is free (numpy pads columns
    by the widths of the values); the other lines must be equal."""
    if all(run == tf_runs[0] for run in tf_runs):
        return mine == tf_runs[0]
    runs = [run.split("\n") for run in tf_runs]
    lines = mine.split("\n")
    if any(len(run) != len(runs[0]) for run in runs) or len(lines) != len(runs[0]):
        return False
    for i, line in enumerate(lines):
        versions = [run[i] for run in runs]
        if all(v == versions[0] for v in versions):
            if line != versions[0]:
                return False
            continue
        parts = [_split(v) for v in versions]
        if any(len(p) != len(parts[0]) or [_bare(t) for t in p[0::2]] !=
               [_bare(t) for t in parts[0][0::2]] for p in parts):
            return False  # the runs differ in more than numbers: no masking
        got = _split(line)
        if len(got) != len(parts[0]) or [_bare(t) for t in got[0::2]] != \
                [_bare(t) for t in parts[0][0::2]]:
            return False
    return True


def tf_differs_from_itself(tf_runs: list[str]) -> bool:
    """True when TensorFlow's own runs of a cell differ in more than numbers line by line
    (a different number of lines, different words, different widths of a progress bar): no
    masking can line them up, so the cell's text is nondeterministic under TensorFlow itself
    (an unseeded random loop count, a progress bar redrawn by timing)."""
    runs = [run.split("\n") for run in tf_runs]
    if any(len(run) != len(runs[0]) for run in runs):
        return True
    for versions in zip(*runs):
        if all(v == versions[0] for v in versions):
            continue
        parts = [_split(v) for v in versions]
        if any(len(p) != len(parts[0]) or [_bare(t) for t in p[0::2]] !=
               [_bare(t) for t in parts[0][0::2]] for p in parts):
            return True
    return False


def same_shape_as_one(tf_runs: list[str], mine: str) -> bool:
    """The weaker check for a nondeterministic cell: equal to one of TensorFlow's runs with
    every number a wildcard and spacing free (same lines, same words)."""
    def skeleton(text: str) -> list[list[str]]:
        return [[_bare(t) for t in _split(line)[0::2]] for line in text.split("\n")]

    return any(skeleton(run) == skeleton(mine) for run in tf_runs)


def first_difference(expected: str, got: str) -> str:
    for i, (e, g) in enumerate(zip(expected.splitlines(), got.splitlines())):
        if e != g:
            return f"line {i + 1}: {g[:100]!r}, TensorFlow {e[:100]!r}"
    return f"{len(got.splitlines())} lines, TensorFlow {len(expected.splitlines())}"


def tally_notebook(name: str, cells: list[dict], tf_runs: list[list[dict]],
                   mine: list[dict]) -> dict:
    rows = []
    for i, cell in enumerate(cells):
        tfs, me = [run[i] for run in tf_runs], mine[i]
        row = {"id": cell["id"], "index": i}
        bad = [t for t in tfs if t["status"] != "ok"]
        if bad:
            row.update(counted=False, reason=bad[0]["error"] or bad[0]["status"])
        else:
            outputs = [erasures_as_one(t["output"]) for t in tfs]
            output = erasures_as_one(me["output"])
            row.update(counted=True, runs=me["status"] == "ok",
                       nondeterministic=tf_differs_from_itself(outputs))
            if row["nondeterministic"]:
                # Not "the same" nor "different": reported apart, with the weaker check.
                row["same"] = False
                row["same_shape"] = row["runs"] and same_shape_as_one(outputs, output)
            else:
                row["same"] = row["runs"] and same_output(outputs, output)
            if not row["runs"]:
                row["why"] = me["error"] or me["status"]
            elif not row["same"]:
                row["why"] = first_difference(tfs[0]["output"], me["output"])
                row["tf_output"], row["output"] = tfs[0]["output"], me["output"]
        rows.append(row)
    return {"guide": name, "cells": len(cells), "rows": rows}


def table(reports: list[dict]) -> str:
    lines = ["| guide | code cells | run under TF here | run on tapeflow | print the same "
             "| TF differs from itself |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    totals = [0, 0, 0, 0, 0]
    for r in reports:
        counted = [row for row in r["rows"] if row["counted"]]
        numbers = [r["cells"], len(counted), sum(row["runs"] for row in counted),
                   sum(row["same"] for row in counted),
                   sum(row.get("nondeterministic", False) for row in counted)]
        totals = [t + n for t, n in zip(totals, numbers)]
        lines.append(f"| {r['guide']} | " + " | ".join(map(str, numbers)) + " |")
    lines.append("| all | " + " | ".join(map(str, totals)) + " |")
    return "\n".join(lines)


def real_tally(args) -> int:
    notebooks = Path(args.notebooks)
    cache = Path(args.tf_results) if args.tf_results else None
    cached = json.loads(cache.read_text()) if cache and cache.exists() else {}
    names = args.guides or [g for g in GUIDES if (notebooks / f"{g}.ipynb").exists()]
    reports = []
    for name in names:
        cells = notebook_cells(notebooks / f"{name}.ipynb")
        key = json.dumps([c["source"] for c in cells])
        tf_runs = cached.get(name, {}).get("runs", []) \
            if cached.get(name, {}).get("key") == key else []
        if len(tf_runs) < TF_RUNS:
            if not args.tensorflow_python:
                sys.exit(f"{name}: no cached TensorFlow results; pass --tensorflow-python")
            tf_runs += [run_backend(args.tensorflow_python, "tensorflow", cells, args.timeout)
                        for _ in range(TF_RUNS - len(tf_runs))]
            cached[name] = {"key": key, "runs": tf_runs}
            if cache:
                cache.write_text(json.dumps(cached))
        mine = run_backend(sys.executable, "tapeflow", cells, args.timeout,
                           tapeflow_path=Path(args.tapeflow_path or REPO))
        reports.append(tally_notebook(name, cells, tf_runs, mine))
        print(f"{name}: done", file=sys.stderr)
    print(table(reports))
    print("\nLeft out (fail under TensorFlow here):")
    for r in reports:
        for row in r["rows"]:
            if not row["counted"]:
                print(f"- {r['guide']} [{row['index']}] {row['id']}: {row['reason']}")
    print("\nNondeterministic under TensorFlow (its runs differ in more than numbers; "
          "'same shape': equal to one of its runs with numbers as wildcards):")
    for r in reports:
        for row in r["rows"]:
            if row["counted"] and row.get("nondeterministic"):
                verdict = ("same shape" if row["same_shape"] else "different shape") \
                    if row["runs"] else f"fails: {row['why']}"
                print(f"- {r['guide']} [{row['index']}] {row['id']}: {verdict}")
    print("\nCounted but different on tapeflow:")
    for r in reports:
        for row in r["rows"]:
            if row["counted"] and not row["same"] and not row.get("nondeterministic"):
                print(f"- {r['guide']} [{row['index']}] {row['id']}: {row['why']}")
                if args.verbose and "output" in row:
                    print("  tapeflow:\n" + _indent(row["output"]))
                    print("  TensorFlow:\n" + _indent(row["tf_output"]))
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1))
    return 0


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def own_cells(args) -> int:
    sys.path.insert(0, str(REPO))
    from tests.conformance.guides.cells import ALL as GUIDE_CELLS
    from tests.conformance.guides.run import main as own_main
    from tests.conformance.tf_ops.cells import ALL as OP_CELLS

    chosen = [c for c in GUIDE_CELLS + OP_CELLS if not args.guides or c.guide in args.guides]
    if not args.tensorflow_python:
        return own_main((["--verbose"] if args.verbose else [])
                        + (["--guides", *args.guides] if args.guides else []))
    cells = [{"id": f"{c.guide}: {c.name}", "source": c.code} for c in chosen]
    results = run_backend(args.tensorflow_python, "tensorflow", cells, args.timeout, fresh=True)
    differ = 0
    for cell, result in zip(chosen, results):
        if result["status"] == "ok" and result["output"] == cell.expected:
            print(f"same      {cell.guide}: {cell.name}")
            continue
        differ += 1
        print(f"DIFFERENT {cell.guide}: {cell.name}: "
              + (result["error"] or first_difference(result["output"], cell.expected)))
        if args.verbose:
            # TensorFlow's text as a Python literal: what `expected` should hold.
            print("  TensorFlow:\n" + _indent(result["output"]))
            print("  as expected=: " + repr(result["output"]))
            print("  expected:\n" + _indent(cell.expected))
    print(f"\n{len(chosen) - differ} of {len(chosen)} own cells: TensorFlow prints `expected`")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", help="folder with the guides' .ipynb files")
    parser.add_argument("--tensorflow-python", help="a Python that can import tensorflow")
    parser.add_argument("--tf-results", help="JSON file caching TensorFlow's runs")
    parser.add_argument("--tapeflow-path", help="import tapeflow from this checkout instead")
    parser.add_argument("--guides", nargs="*", help="only these guides")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per cell")
    parser.add_argument("--json", help="write the per-cell report here")
    parser.add_argument("--own-cells", action="store_true", help="the project's own cells")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--cells", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker_main(args)
    if args.own_cells:
        return own_cells(args)
    if not args.notebooks:
        parser.error("--notebooks DIR is needed (or --own-cells)")
    return real_tally(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
