"""`tapeflow` command line: look at what a decorated function compiles to.

    tapeflow graph examples/train.py::step --input f32[1,3] [--passes] [--raw]

`graph` loads the script (running its top level), traces the named function on inputs of the
given types (values drawn uniformly from [-1, 1]; a scalar is `f32[]`), and prints the
optimised graph; `--raw` prints the graph as traced, `--passes` the graph after every pass.
"""

from __future__ import annotations

import argparse
import re
import runpy
import sys

import numpy as np

_TYPE = re.compile(r"^(f32|f64|i32|i64|bool)\[([\d,\s]*)\]$")


def _parse_input(text: str) -> np.ndarray:
    from tapeflow.ops.core import SHORT_TO_DTYPE

    m = _TYPE.match(text.strip())
    if not m:
        raise argparse.ArgumentTypeError(
            f"--input {text!r}: expected a type like f32[3,2] or f64[] (dtypes: "
            f"{', '.join(SHORT_TO_DTYPE)})"
        )
    dtype = SHORT_TO_DTYPE[m.group(1)]
    shape = tuple(int(d) for d in m.group(2).split(",") if d.strip())
    rng = np.random.default_rng(0)
    if dtype.kind == "f":
        return rng.uniform(-1, 1, size=shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(dtype)
    return rng.integers(0, 10, size=shape).astype(dtype)


def _load(target: str):
    path, sep, name = target.rpartition("::")
    if not sep or not path or not name:
        raise SystemExit(f"tapeflow graph: expected SCRIPT.py::FUNCTION, got {target!r}")
    try:
        namespace = runpy.run_path(path, run_name="__tapeflow_cli__")
    except FileNotFoundError:
        raise SystemExit(f"tapeflow graph: no such file: {path}") from None
    if name not in namespace:
        found = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("_"))
        raise SystemExit(f"tapeflow graph: {path} defines no {name!r} (callables: "
                         f"{', '.join(found) or 'none'})")
    return namespace[name]


def _graph(args) -> int:
    import tapeflow as tf
    from tapeflow.graph.passes import optimize

    fn = _load(args.target)
    function = fn if isinstance(fn, tf.Function) else tf.function(fn)
    inputs = [tf.constant(a) for a in args.input]
    concrete = function.get_concrete_function(*inputs)
    if args.passes:
        print("# traced\n" + str(concrete.raw_graph))

        def show(name, graph, changed):
            print(f"\n# after {name}{'' if changed else ' (no change)'}\n{graph}")

        optimize(concrete.raw_graph, on_pass=show)
    elif args.raw:
        print(concrete.raw_graph)
    else:
        print(concrete.graph)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tapeflow", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("graph", help="print the graph a function traces to")
    g.add_argument("target", help="SCRIPT.py::FUNCTION")
    g.add_argument("--input", type=_parse_input, action="append", default=[],
                   metavar="TYPE", help="an argument's type, e.g. f32[3,2]; repeat per argument")
    g.add_argument("--raw", action="store_true", help="the graph as traced, before passes")
    g.add_argument("--passes", action="store_true", help="the graph after every pass")
    args = parser.parse_args(argv)
    return _graph(args)


if __name__ == "__main__":
    sys.exit(main())
