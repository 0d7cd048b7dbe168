"""`tapeflow` command line: see what a function compiles to, and where its time goes.

    tapeflow graph TARGET [--input NAME=TYPE ... | --example MOD:FN] [--stage S] [--pass P]
                          [--format text|json|dot|svg|png|html] [-o FILE]
                          [--forward-only | --adjoint-only] [--layout graphviz]
    tapeflow source TARGET [...]        the generated module (readable Python for Numba)
    tapeflow precompile TARGET [...]    compile into the on-disk cache, with a progress bar
    tapeflow profile TARGET --steps N   time per kernel and BLAS call, with their user lines
    tapeflow cache info|clear           the on-disk compile cache

TARGET is `path/file.py:function`, `path/file.py::function` or `package.module:function`, a
`@tapeflow.function` or a plain function (wrapped). The argument types come from its
`input_signature`, from `--input x=float32[128,784]` (repeatable; short `f32[?,3]`, `?` a
size left unknown; without `NAME=` the arguments in order), or from `--example
module:make_args` (a function returning the arguments). Sample values are uniform in [-1, 1]
(integers 0..9).

Bad input (an unknown file or function, a malformed --input, an unwritable -o, a function that
raises while it is traced) exits non-zero with one line on stderr (the user's own traceback
above it when their code raised; tapeflow's only with --verbose), and writes no file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

from tapeflow.tools.target import TargetError, UserCodeError

STAGES = ("traced", "optimized", "fused")
FORMATS = ("text", "json", "dot", "svg", "png", "html")
BINARY_FORMATS = ("png",)


class CommandError(Exception):
    """A problem to report as one line (no traceback)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CommandError(message)


# --------------------------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------------------------


def _call(args):
    """(Function, Call) for the target and its input types."""
    from tapeflow.tools.target import load_function, make_call, parse_input

    inputs = [parse_input(text) for text in args.input]
    fn = load_function(args.target)
    return fn, make_call(fn, inputs, args.example)


def _concrete(fn, call):
    try:
        return call.function.get_concrete_function(*call.args, **call.kwargs)
    except (TargetError, CommandError):
        raise
    except Exception as e:
        raise UserCodeError(f"{fn.__name__} raised while it was traced", e) from e


def _check_writable(path: str | None) -> None:
    """Refuse an -o we could not write before doing any work."""
    if path is None:
        return
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CommandError(f"-o {path}: is a directory")
    if not os.path.isdir(directory):
        raise CommandError(f"-o {path}: no such directory {directory}")
    if not os.access(directory, os.W_OK) or (os.path.exists(path) and
                                             not os.access(path, os.W_OK)):
        raise CommandError(f"-o {path}: not writable")


def _write(path: str | None, data: str | bytes) -> None:
    """Write all of `data` or nothing: a temporary file beside `path`, renamed over it."""
    if path is None:
        if isinstance(data, bytes):
            if sys.stdout.isatty():
                raise CommandError("binary output (png) needs -o FILE, or a pipe")
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
        return
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tapeflow-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would have made it (mkstemp makes 0600)
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise CommandError(f"-o {path}: {e.strerror or e}") from None


def _add_target_options(p) -> None:
    p.add_argument("target", help="path/file.py:function, path/file.py::function or "
                                  "package.module:function")
    p.add_argument("--input", action="append", default=[], metavar="[NAME=]TYPE",
                   help="an argument's type, e.g. x=float32[128,784] or f32[?,3]; repeat per "
                        "argument")
    p.add_argument("--example", metavar="MODULE:FUNCTION",
                   help="a function whose result is the arguments (a tuple, or a dict)")
    p.add_argument("--verbose", action="store_true", help="tapeflow's traceback on errors")


# --------------------------------------------------------------------------------------------
# tapeflow graph
# --------------------------------------------------------------------------------------------


def _graph_stage(concrete, stage: str, pass_name: str | None):
    """(graph, fusion plan or None, note) for the stage asked for."""
    from tapeflow.graph.passes import PIPELINE, optimize
    from tapeflow.viz import fusion_plan

    symbolic = bool(getattr(concrete, "_symbols", None))
    if pass_name is not None:
        names = [name for name, _ in PIPELINE] + ["fuse"]
        if pass_name not in names:
            raise CommandError(f"--pass {pass_name}: unknown pass (passes: {', '.join(names)})")
        if pass_name == "fuse":
            stage = "fused"
        else:
            after = []
            optimize(concrete.raw_graph,
                     on_pass=lambda name, g, changed: after.append(g) if name == pass_name
                     else None)
            return after[0], None, None
    if symbolic and stage != "traced":
        # Passes and fusion work on static shapes: they run on each size's specialisation.
        return concrete.raw_graph, None, ("traced with unknown sizes; the passes and fusion "
                                          "run per size, so this is the graph as traced")
    if stage == "traced":
        return concrete.raw_graph, None, None
    if stage == "optimized":
        return concrete.graph, None, None
    return concrete.graph, fusion_plan(concrete.graph), None


def _text(graph, plan, sides: str) -> str:
    from tapeflow.graph.passes.fuse import print_fused
    from tapeflow.graph.printer import print_graph

    if plan is not None and sides == "both":
        return print_fused(plan)
    text = print_graph(graph)
    if sides == "both":
        return text
    from tapeflow.viz import build

    kept = {n.index for n in build(graph, sides=sides, fused=False).nodes if n.kind == "eqn"}
    lines = text.splitlines()
    n_head = 1 + len(graph.consts)
    body = [ln for i, ln in enumerate(lines[n_head:-1]) if i in kept]
    return "\n".join(lines[:n_head] + body + lines[-1:])


def _render(graph, plan, fmt: str, title: str, sides: str, layout: str | None,
            kernel_sources=None, profile=None) -> str | bytes:
    from tapeflow import viz

    if fmt == "text":
        return _text(graph, plan, sides)
    if fmt == "json":
        if sides != "both":
            raise CommandError("--format json writes the whole graph (no --forward-only or "
                               "--adjoint-only)")
        return viz.to_json(graph)
    groups = plan.groups if plan is not None else None
    model = viz.build(graph, title, sides, fused=groups is not None, groups=groups)
    if fmt == "dot":
        from tapeflow.viz import dot

        return dot.render(model)
    if layout == "graphviz":
        if fmt not in ("svg", "png"):
            raise CommandError("--layout graphviz draws svg or png")
        return _graphviz(model, fmt)
    if fmt == "svg":
        from tapeflow.viz import svg

        return svg.render(model)
    if fmt == "png":
        from tapeflow.viz import png

        try:
            return png.render(model)
        except png.MissingDependency as e:
            raise CommandError(str(e)) from None
    from tapeflow.viz import html

    return html.render(model, kernel_sources=kernel_sources, profile=profile)


def _graphviz(model, fmt: str) -> bytes | str:
    from tapeflow.viz import dot

    exe = shutil.which("dot")
    if exe is None:
        raise CommandError("--layout graphviz: Graphviz's `dot` is not on PATH (leave the "
                           "option out to lay the graph out without it)")
    done = subprocess.run([exe, f"-T{fmt}"], input=dot.render(model).encode(),
                          capture_output=True, check=False, timeout=600)
    if done.returncode != 0:
        raise CommandError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode() if fmt == "svg" else done.stdout


def _cmd_graph(args) -> int:
    if args.raw:
        args.stage = "traced"
    if args.fused:
        args.stage = "fused"
    if args.dot:
        args.format = "dot"
    fmt = args.format
    stage = args.stage or ("fused" if fmt in ("svg", "png", "html", "dot") else "optimized")
    sides = "forward" if args.forward_only else "adjoint" if args.adjoint_only else "both"
    _check_writable(args.output)
    fn, call = _call(args)
    concrete = _concrete(fn, call)
    if args.passes:
        return _print_passes(concrete, args.output)
    graph, plan, note = _graph_stage(concrete, stage, args.pass_name)
    sources = None
    if fmt == "html" and plan is not None:
        from tapeflow.tools.kernels import sources as kernel_sources

        sources = kernel_sources(graph, plan)
    data = _render(graph, plan, fmt, args.target, sides, args.layout, sources)
    if note and fmt in ("text", "dot"):
        comment = "//" if fmt == "dot" else "#"  # stays a comment in DOT text as well
        data = f"{comment} {note}\n{data}"
    elif note:
        print(f"tapeflow graph: note: {note}", file=sys.stderr)
    _write(args.output, data)
    return 0


def _print_passes(concrete, output) -> int:
    from tapeflow.graph.passes import optimize

    parts = ["# traced\n" + str(concrete.raw_graph)]

    def show(name, graph, changed):
        parts.append(f"\n# after {name}{'' if changed else ' (no change)'}\n{graph}")

    optimize(concrete.raw_graph, on_pass=show)
    _write(output, "\n".join(parts))
    return 0


# --------------------------------------------------------------------------------------------
# tapeflow source / precompile / profile
# --------------------------------------------------------------------------------------------


def _cmd_source(args) -> int:
    from tapeflow.codegen.emit import LoweringError, generate_source

    _check_writable(args.output)
    fn, call = _call(args)
    concrete = _concrete(fn, call)
    if getattr(concrete, "_symbols", None):
        raise CommandError("the function was traced with unknown sizes (?): code is generated "
                           "per size; give every size")
    try:
        text = generate_source(concrete.graph, cache=True, title=args.target)
    except LoweringError as e:
        raise CommandError(f"no Numba code for this graph: {e}") from None
    _write(args.output, text)
    return 0


def _cmd_precompile(args) -> int:
    from tapeflow.tools.profile import precompile

    fn, call = _call(args)
    precompile(fn, call, lambda: _concrete(fn, call), stream=sys.stderr,
               quiet=args.quiet)
    return 0


def _cmd_profile(args) -> int:
    from tapeflow.tools.profile import profile_step

    if args.steps < 1:
        raise CommandError(f"--steps {args.steps}: must be at least 1")
    if args.format not in ("text", "json", "html"):
        raise CommandError(f"--format {args.format}: profile writes text, json or html")
    _check_writable(args.output)
    fn, call = _call(args)
    report = profile_step(fn, call, lambda: _concrete(fn, call), steps=args.steps,
                          progress=None if args.quiet else sys.stderr)
    if args.format == "text":
        data = report.text()
    elif args.format == "json":
        data = report.json()
    else:
        data = _render(report.graph, report.plan, "html", args.target, "both", None,
                       report.sources, report.seconds_by_part())
    _write(args.output, data)
    return 0


def _cmd_cache(args) -> int:
    from tapeflow.codegen import cache

    return cache.command(args.action, args.dir)


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tapeflow", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    g = sub.add_parser("graph", help="the graph a function traces to, as text or a picture")
    _add_target_options(g)
    g.add_argument("--stage", choices=STAGES, help="traced (before the passes), optimized "
                   "(the default for text) or fused (kernels as groups; the default for "
                   "pictures)")
    g.add_argument("--pass", dest="pass_name", metavar="NAME",
                   help="the graph after one pass (verify, simplify, fold_constants, cse, dce, "
                        "fuse)")
    g.add_argument("--format", default="text", choices=FORMATS)
    g.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    side = g.add_mutually_exclusive_group()
    side.add_argument("--forward-only", action="store_true")
    side.add_argument("--adjoint-only", action="store_true")
    g.add_argument("--layout", choices=("builtin", "graphviz"), default="builtin",
                   help="graphviz: lay out svg/png with Graphviz's `dot` (must be on PATH)")
    show = g.add_mutually_exclusive_group()
    show.add_argument("--passes", action="store_true", help="the graph after every pass")
    show.add_argument("--raw", action="store_true", help="same as --stage traced")
    show.add_argument("--fused", action="store_true", help="same as --stage fused")
    show.add_argument("--dot", action="store_true", help="same as --format dot")
    g.set_defaults(run=_cmd_graph)

    s = sub.add_parser("source", help="the generated module")
    _add_target_options(s)
    s.add_argument("-o", "--output", metavar="FILE")
    s.set_defaults(run=_cmd_source)

    c = sub.add_parser("precompile", help="compile into the on-disk cache")
    _add_target_options(c)
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(run=_cmd_precompile)

    p = sub.add_parser("profile", help="time per kernel and BLAS call, with user lines")
    _add_target_options(p)
    p.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    p.add_argument("--format", default="text", choices=("text", "json", "html"))
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(run=_cmd_profile)

    k = sub.add_parser("cache", help="the compile cache: list its entries, or clear it")
    k.add_argument("action", choices=["info", "clear"])
    k.add_argument("--dir", default=None, help="the cache directory (default: the user's)")
    k.set_defaults(run=_cmd_cache)
    return parser


def _user_traceback(error: BaseException) -> str:
    """The traceback of `error` without tapeflow's own frames (and the CLI's)."""
    from tapeflow.tracer.tape import PACKAGE_DIR

    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(f.filename).startswith(PACKAGE_DIR)
              and "runpy" not in os.path.basename(f.filename)
              and not f.filename.startswith("<frozen")]
    if not frames:
        return ""
    return "Traceback (your code, most recent call last):\n" + "".join(
        traceback.format_list(frames))


def main(argv=None) -> int:
    from tapeflow.tools import target

    target.forget_loaded_files()  # each run loads the target afresh, as a new process would
    parser = build_parser()
    verbose = "--verbose" in (sys.argv[1:] if argv is None else argv)
    command = "tapeflow"
    try:
        args = parser.parse_args(argv)
        command = f"tapeflow {args.command}"
        return args.run(args)
    except UserCodeError as e:
        if verbose:
            traceback.print_exception(e.error, file=sys.stderr)
        else:
            sys.stderr.write(_user_traceback(e.error))
        print(f"{command}: error: {e}", file=sys.stderr)
        return 1
    except (TargetError, CommandError) as e:
        if verbose:
            traceback.print_exc(file=sys.stderr)
        print(f"{command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`tapeflow cache info | head`)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (nothing more is written)
        return 0
    except Exception as e:  # a tapeflow defect: still one line, the traceback on request
        if verbose:
            traceback.print_exc(file=sys.stderr)
        print(f"{command}: internal error: {type(e).__name__}: {e} (run with --verbose for "
              "the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
