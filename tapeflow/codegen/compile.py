"""Compile a graph's program (codegen/emit.py): write each generated module into the cache
directory, import it from there (so Numba's `cache=True` works across processes), and hand
back a `Kernel` (the entry with its calling convention, codegen/abi.py).

Two forms. A small graph is one module whose @njit `entry` has every kernel written inline.
Otherwise each distinct kernel is a module of its own, `tapeflow_k_<key>`, named by a hash
of its canonical text and of `fingerprint()` (the versions of tapeflow, numba, numpy and
Python, the code generator's sources, the CPU): it is compiled once per process and kept in
`_kernels` for every graph that needs it, loaded from the disk cache by later processes, and
the entry is generated Python calling each kernel's compiled entry point. `compile_log`
records, per kernel signature, whether Numba compiled it or loaded it from the cache.

A directory that cannot be written (read-only, missing, full) or a module that cannot be read
back never fails a call: the module is then compiled in memory, and a warning says so once.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import platform
import sys
import tempfile
import threading
import types
import warnings
from pathlib import Path

import numba
import numpy as np

import tapeflow
from tapeflow.codegen.abi import EntryABI
from tapeflow.codegen.emit import compiles_inline, entry_lines, inline_source, plan_program
from tapeflow.graph.ir import Graph

_warned: set[str] = set()

# Numba's OpenMP workers spin after each parallel region and starve BLAS's threads: an MLP
# step with prange loops beside np.dot took 26 ms instead of 2.5 ms here (NUMBA-NOTES.md).
# Passive waiting makes idle workers sleep; libgomp reads it when Numba first loads its
# OpenMP pool, which is after this import. (The workqueue layer also avoids the starvation
# but ran W3 30-130% slower.) A setting the user made is left alone.
if "NUMBA_THREADING_LAYER" not in os.environ:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def default_cache_dir() -> Path:
    """`TAPEFLOW_CACHE_DIR` if set, else the user cache directory (XDG on Linux)."""
    if os.environ.get("TAPEFLOW_CACHE_DIR"):
        return Path(os.environ["TAPEFLOW_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tapeflow"


@functools.cache
def _codegen_fingerprint() -> str:
    """A hash of the code generator's own sources. Generated modules call into prelude,
    vecmath and blas, and Numba's cache notices a change to the module it loads but not to
    the functions that module calls: without this, an edited helper would keep running
    from a stale cache until the version number changed."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint() -> str:
    """What a compiled kernel depends on besides its own text: the versions of tapeflow,
    numba, numpy and Python, the code generator's sources, and the CPU."""
    return "\n".join([
        f"tapeflow {tapeflow.__version__} codegen {_codegen_fingerprint()}",
        f"numba {numba.__version__}",
        f"numpy {np.__version__}",
        f"cpu {platform.machine()} {numba.config.CPU_NAME or ''}",
        f"python {sys.version_info[:2]}",
    ])


# One compile at a time (Numba compiles one function at a time anyway): two threads
# compiling graphs that share a kernel must not both load and compile it.
_lock = threading.RLock()
# Kernels compiled (or loaded) in this process, by key: every graph that needs one shares it.
_kernels: dict[str, object] = {}
# How each kernel signature was obtained: (key, "compiled" (Numba compiled it) or "loaded"
# (from the on-disk cache), the argument types). A graph whose kernels are all here already
# adds nothing.
compile_log: list[tuple[str, str, tuple]] = []


class KernelCompileError(RuntimeError):
    """Numba could not compile one kernel of a graph; says which (its ops, user lines)."""


class Kernel:
    """A compiled graph: `kernel(*inputs)` returns its outputs (a tuple, in the graph's
    order). `entry` is the Numba dispatcher of the generated @njit entry function, or the
    generated Python entry (large graphs); `abi` says how to call it; `native(types)` is
    what the runtime calls directly."""

    def __init__(self, entry, abi: EntryABI, program=None, mode: str = "inline"):
        self.entry = entry
        self.abi = abi
        self.program = program
        self.mode = mode

    @property
    def dispatcher(self):
        """The entry's Numba dispatcher (None for a Python entry)."""
        return self.entry if hasattr(self.entry, "compile") else None

    def native(self, types):
        """The entry point to call with arguments of Numba `types` (compiling the @njit
        entry for them, or loading it from the cache)."""
        return self.entry.compile(types) if hasattr(self.entry, "compile") else self.entry

    def __call__(self, *inputs) -> tuple:
        return tuple(self.abi.call(self.entry, inputs))


def compile_graph(graph: Graph, cache_dir: Path | None = None,
                  mode: str | None = None) -> Kernel:
    """The compiled `graph`. `mode` "inline": one @njit function with every kernel written
    in place; "kernels": each distinct kernel compiled on its own (or found in memory or in
    the cache) and called from a generated Python entry; None: as `emit.compiles_inline`
    chooses for the graph."""
    with _lock:
        return _compile_graph(graph, cache_dir, mode)


def _compile_graph(graph: Graph, cache_dir: Path | None, mode: str | None) -> Kernel:
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    program = plan_program(graph)
    if mode is None:
        mode = "inline" if compiles_inline(program) else "kernels"
    if mode == "kernels":
        program = plan_program(graph, split=True)
    if mode == "inline":
        entry = _inline_entry(program, directory)
    elif mode == "kernels":
        # A Python entry rather than an @njit one calling the compiled kernels: that one
        # cost ~6 ms of compile per call it makes here (1.3 s for 200 calls of two
        # precompiled kernels, LLVM optimising the linked kernels again), a Python entry
        # nothing, for ~0.7 us per kernel call at run time.
        entry = _python_entry(program, _compile_kernels(program, fingerprint(), directory))
    else:
        raise ValueError(f"compile_graph: unknown mode {mode!r}; choose inline or kernels")
    return Kernel(entry, EntryABI.of(graph), program, mode)


def _inline_entry(program, directory: Path):
    source = inline_source(program, cache=True)
    key = hashlib.sha256((source + fingerprint()).encode()).hexdigest()[:24]
    module_name = f"tapeflow_kernel_{key}"
    if module_name in sys.modules:
        return sys.modules[module_name].entry
    return _module(module_name, source, directory).entry


def _compile_kernels(program, fp: str, directory: Path) -> list:
    """Compile each call's kernel for its argument types, in order (a structured kernel's
    result type is the next one's argument type); the native entry point per call."""
    from tapeflow.codegen.kernels import is_blas_product, numba_type

    graph = program.graph
    vtypes = {}
    for v in graph.inputs:
        vtypes[v] = numba_type("array", v.aval)
    natives = []
    for call in program.calls():
        kernel = call.kernel
        if kernel.kind == "op" and is_blas_product(kernel.eqns[0]):
            natives.append(np.dot)  # numpy's BLAS call: nothing to compile
            (v,) = kernel.returns
            vtypes[v] = numba_type("array", v.aval)
            continue
        key = kernel.key(fp)
        dispatcher = _kernels.get(key)
        if dispatcher is None:
            dispatcher = _kernels[key] = _load_kernel(key, kernel, directory)
        types = tuple(
            numba_type(kind, None if kind == "size" else v.aval,
                       program.layouts.get(v, "C") if kind == "array" else "C")
            if kind != "array" or v not in vtypes else vtypes[v]
            for kind, v in kernel.params)
        natives.append(_compiled(dispatcher, types, key, kernel))
        if kernel.returns:
            ret = dispatcher.overloads[types].signature.return_type
            rets = ret.types if len(kernel.returns) > 1 else (ret,)
            vtypes.update(zip(kernel.returns, rets))
    return natives


def _compiled(dispatcher, types, key: str, kernel):
    if types in dispatcher.overloads:
        return dispatcher.overloads[types].entry_point
    hits = sum(dispatcher.stats.cache_hits.values())
    try:
        native = dispatcher.compile(types)
    except Exception as e:
        first = str(e).splitlines()[0] if str(e) else ""
        raise KernelCompileError(
            f"Numba could not compile the {kernel.describe()} ({type(e).__name__}: {first})"
        ) from e
    loaded = sum(dispatcher.stats.cache_hits.values()) > hits
    compile_log.append((key, "loaded" if loaded else "compiled", types))
    return native


def _load_kernel(key: str, kernel, directory: Path):
    module_name = f"tapeflow_k_{key}"
    if module_name in sys.modules:
        return sys.modules[module_name].kernel
    source = kernel.canonical_source()
    return _module(module_name, source, directory).kernel


def _module(module_name: str, source: str, directory: Path) -> types.ModuleType:
    """The module `source`, written into `directory` and imported from there (so Numba
    caches what it compiles), or compiled in memory when that fails."""
    # A unique module name per entry: forked workers must not collide (numba issue 10486).
    try:
        path = _write_source(directory, module_name, source)
        return _import(module_name, path)
    except (OSError, SyntaxError, ImportError, ValueError) as e:
        sys.modules.pop(module_name, None)
        _warn_once(directory, e)
        return _in_memory(module_name, source.replace("cache=True", "cache=False"))


def _python_entry(program, natives: list):
    """A generated Python entry calling each kernel's compiled entry point in turn: no
    Numba compile of its own, whatever the number of calls."""
    names = {}
    for n, native in enumerate(natives):
        names[id(program.calls()[n])] = f"k{n}"
    namespace = {f"k{n}": native for n, native in enumerate(natives)}
    namespace["np"] = np
    literals: dict = {}  # a literal's text -> the global holding its value, made once

    def arg(text: str) -> str:
        if not text.startswith("np."):
            return text
        if text not in literals:
            literals[text] = f"lit{len(literals)}"
            namespace[literals[text]] = eval(text, {"np": np})  # our own literal's text
        return literals[text]

    lines = entry_lines(program, lambda call: names[id(call)], arg)
    source = f"def entry({', '.join(program.params)}):\n"
    source += "".join(f"    {line}\n" for line in lines)
    exec(compile(source, "<tapeflow entry>", "exec"), namespace)  # noqa: S102
    entry = namespace["entry"]
    entry.__tapeflow_source__ = source
    return entry


def _write_source(directory: Path, module_name: str, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{module_name}.py"
    try:
        if path.read_text() == source:
            return path
    except (OSError, UnicodeDecodeError):
        pass  # missing or unreadable: (re)write it
    # Write to a temporary file and rename: concurrent writers each rename a whole file.
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{module_name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _import(module_name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    # Registered before running it, or a second process cannot unpickle the cached
    # environment (NUMBA-NOTES.md).
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _in_memory(module_name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module
    exec(compile(source, f"<{module_name}>", "exec"), module.__dict__)  # noqa: S102
    return module


def _warn_once(directory: Path, error: Exception) -> None:
    if str(directory) in _warned:
        return
    _warned.add(str(directory))
    warnings.warn(
        f"tapeflow: cannot use the compile cache at {directory} ({type(error).__name__}: "
        f"{error}); compiling in memory instead (set TAPEFLOW_CACHE_DIR to a writable "
        "directory to keep compiled code between runs)",
        RuntimeWarning,
        stacklevel=3,
    )
