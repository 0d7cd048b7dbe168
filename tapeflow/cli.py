"""`tapeflow` command line: look at what a decorated function compiles to.

    tapeflow graph examples/train_step.py::step --input f32[1,3] [--raw|--passes|--fused|--dot]

`graph` loads the script (running its top level), traces the named function on inputs of the
given types (values drawn uniformly from [-1, 1]; a scalar is `f32[]`; `?` is a size left
unknown, as None in an input_signature), and prints the optimised graph; `--raw` prints the
graph as traced, `--passes` the graph after every pass, `--fused` the loops the code
generator will write, and `--dot` Graphviz text to draw (`... --dot | dot -Tsvg > g.svg`).
"""

from __future__ import annotations

import argparse
import re
import runpy
import sys

import numpy as np

_TYPE = re.compile(r"^(f32|f64|i32|i64|bool)\[([\d,?\s]*)\]$")
UNKNOWN_SIZE_SAMPLE = 3  # the size a `?` has in the sample input (not 0 or 1: see dims.py)


def _parse_input(text: str) -> tuple[np.ndarray, tuple]:
    """(a sample array, the declared shape with None for `?`) for `--input f32[?,3]`."""
    from tapeflow.ops.core import SHORT_TO_DTYPE

    m = _TYPE.match(text.strip())
    if not m:
        raise argparse.ArgumentTypeError(
            f"--input {text!r}: expected a type like f32[3,2], f32[?,3] or f64[] (dtypes: "
            f"{', '.join(SHORT_TO_DTYPE)})"
        )
    dtype = SHORT_TO_DTYPE[m.group(1)]
    declared = tuple(None if d.strip() == "?" else int(d)
                     for d in m.group(2).split(",") if d.strip())
    shape = tuple(UNKNOWN_SIZE_SAMPLE if d is None else d for d in declared)
    rng = np.random.default_rng(0)
    if dtype.kind == "f":
        sample = rng.uniform(-1, 1, size=shape).astype(dtype)
    elif dtype.kind == "b":
        sample = rng.integers(0, 2, size=shape).astype(dtype)
    else:
        sample = rng.integers(0, 10, size=shape).astype(dtype)
    return sample, declared


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
    inputs = [tf.constant(sample) for sample, _ in args.input]
    symbolic = any(None in declared for _, declared in args.input)
    if symbolic:  # trace for any size: the function again, with an input_signature
        signature = [tf.TensorSpec(declared, sample.dtype) for sample, declared in args.input]
        python_fn = fn.python_function if isinstance(fn, tf.Function) else fn
        function = tf.function(python_fn, input_signature=signature)
    else:
        function = fn if isinstance(fn, tf.Function) else tf.function(fn)
    concrete = function.get_concrete_function(*inputs)
    if symbolic and not args.raw:
        # Passes and fusion work on static shapes: they run on each size's specialisation.
        comment = "//" if args.dot else "#"  # stays a comment in DOT text as well
        print(f"{comment} traced with unknown sizes; the passes and fusion run per size, so "
              "this is the graph as traced")
        args.raw, args.passes, args.fused = True, False, False
    if args.dot or args.fused:
        from tapeflow.graph.dot import to_dot
        from tapeflow.graph.passes.fuse import fuse, print_fused

        graph = concrete.raw_graph if args.raw else concrete.graph
        plan = None if symbolic else fuse(graph)
        if args.dot:
            print(to_dot(graph, plan.groups if plan else None, title=args.target), end="")
        else:
            print(print_fused(plan) if plan else graph)
    elif args.passes:
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
    show = g.add_mutually_exclusive_group()
    show.add_argument("--passes", action="store_true", help="the graph after every pass")
    show.add_argument("--fused", action="store_true",
                      help="the optimised graph grouped into the loops codegen writes")
    show.add_argument("--dot", action="store_true",
                      help="Graphviz DOT text of the graph (fused loops as clusters)")
    c = sub.add_parser("cache", help="the compile cache: list its entries, or clear it")
    c.add_argument("action", choices=["info", "clear"])
    c.add_argument("--dir", default=None, help="the cache directory (default: the user's)")
    args = parser.parse_args(argv)
    if args.command == "cache":
        from tapeflow.codegen import cache

        return cache.command(args.action, args.dir)
    return _graph(args)


if __name__ == "__main__":
    sys.exit(main())
