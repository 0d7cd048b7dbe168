"""Compile a graph's program (codegen/emit.py): load each generated module through the
compile cache (codegen/cache.py: written to and verified in a private directory, so Numba's
`cache=True` works across processes) and hand back a `Kernel` (the entry with its calling
convention, codegen/abi.py).

Two forms. A small graph is one module whose @njit `entry` has every kernel written inline.
Otherwise each distinct kernel is a module of its own, `tapeflow_k_<key>`, named by a hash
of its canonical text and of `fingerprint()` (the versions of tapeflow, numba, numpy and
Python, the code generator's sources, the CPU): it is compiled once and shared by every graph
that needs it while one of them lives (cache.load_module returns the live module), loaded
from the disk cache by later processes, and the entry is generated Python calling each
kernel's compiled entry point. `compile_log` records, per kernel signature, whether Numba
compiled it or loaded it from the cache. A cache that cannot be used never fails a call: the
module is then compiled in memory (cache.py).
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import sys
import threading
from pathlib import Path

import numba
import numpy as np

import tapeflow
from tapeflow.codegen import helper_cache
from tapeflow.codegen.abi import EntryABI
from tapeflow.codegen.cache import load_module
from tapeflow.codegen.emit import (
    compiles_inline,
    entry_lines,
    generate_source,
    inline_source,
    plan_program,
)
from tapeflow.codegen.llvm_passes import module_passes_only
from tapeflow.graph.ir import Graph

# Numba's OpenMP workers spin after each parallel region and starve BLAS's threads: an MLP
# step with prange loops beside np.dot took 26 ms instead of 2.5 ms here (NUMBA-NOTES.md).
# Passive waiting makes idle workers sleep; libgomp reads it when Numba first loads its
# OpenMP pool, which is after this import. (The workqueue layer also avoids the starvation
# but ran W3 30-130% slower.) A setting the user made is left alone.
if "NUMBA_THREADING_LAYER" not in os.environ:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


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
        # NUMBA_BOUNDSCHECK=1 compiles index checks in: such builds must not share entries
        # with unchecked ones (Numba's own cache index does not key on the flag).
        f"boundscheck {numba.config.BOUNDSCHECK}",
        f"numpy {np.__version__}",
        f"cpu {platform.machine()} {numba.config.CPU_NAME or ''}",
        f"python {sys.version_info[:2]}",
    ])


# One compile at a time (Numba compiles one function at a time anyway): two threads
# compiling graphs that share a kernel must not both load and compile it.
_lock = threading.RLock()
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
    what the runtime calls directly. Keep the Kernel while using `entry`: it holds the
    generated modules, which are freed with it (codegen/cache.py)."""

    def __init__(self, entry, abi: EntryABI, program=None, mode: str = "inline",
                 modules: tuple = ()):
        self.entry = entry
        self.abi = abi
        # The generated modules `entry` runs: held here, as codegen/cache.py frees a module
        # nobody holds.
        self.modules = modules
        self.program = program
        self.mode = mode

    @property
    def module(self):
        """The generated module of the one-function form (the first kernel's otherwise)."""
        return self.modules[0] if self.modules else None

    @property
    def dispatcher(self):
        """The entry's Numba dispatcher (None for a Python entry)."""
        return self.entry if hasattr(self.entry, "compile") else None

    def native(self, types):
        """The entry point to call with arguments of Numba `types` (compiling the @njit
        entry for them, or loading it from the cache)."""
        if not hasattr(self.entry, "compile"):
            return self.entry
        with module_passes_only():
            return self.entry.compile(types)

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


def _compile_graph(graph: Graph, cache_dir: Path | None = None,
                   mode: str | None = None) -> Kernel:
    helper_cache.enable(cache_dir)  # (vecmath's kernels from the disk cache when there)
    program = plan_program(graph)
    if mode is None:
        mode = "inline" if compiles_inline(program) else "kernels"
    if mode == "kernels":
        program = plan_program(graph, split=True)
    modules: list = []
    if mode == "inline":
        entry = _inline_entry(program, cache_dir, modules)
    elif mode == "kernels":
        # A Python entry rather than an @njit one calling the compiled kernels: that one
        # cost ~6 ms of compile per call it makes here (1.3 s for 200 calls of two
        # precompiled kernels, LLVM optimising the linked kernels again), a Python entry
        # nothing, for ~0.7 us per kernel call at run time.
        entry = _python_entry(program, _compile_kernels(program, fingerprint(), cache_dir,
                                                        modules))
    else:
        raise ValueError(f"compile_graph: unknown mode {mode!r}; choose inline or kernels")
    return Kernel(entry, EntryABI.of(graph), program, mode, tuple(modules))


def cache_key(graph: Graph) -> str:
    """The key of `graph`'s module in the one-function form (`tapeflow_kernel_<key>`)."""
    return _inline_key(plan_program(graph))


def _inline_key(program) -> str:
    source = inline_source(program, cache=True)
    return hashlib.sha256((source + fingerprint()).encode()).hexdigest()[:24]


def _inline_entry(program, cache_dir, modules: list):
    key = _inline_key(program)
    # A unique module name per entry: forked workers must not collide (numba issue 10486).
    def render(cache: bool) -> str:  # generate_source writes this form for such a graph
        if compiles_inline(program):
            return generate_source(program.graph, cache=cache)
        return inline_source(program, cache=cache)

    module = load_module(f"tapeflow_kernel_{key}", render, cache_dir)
    modules.append(module)
    return module.entry


def _compile_kernels(program, fp: str, cache_dir, modules: list) -> list:
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
            # numpy's BLAS call: nothing to compile. The call passes the product's distinct
            # operands: one for a value times itself (w @ w).
            natives.append(np.dot if len(kernel.params) == 2 else _self_product)
            (v,) = kernel.returns
            vtypes[v] = numba_type("array", v.aval)
            continue
        key = kernel.key(fp)  # (one rendering of the kernel's text per call: its name)
        types = tuple(
            numba_type(kind, None if kind == "size" else v.aval,
                       program.layouts.get(v, "C") if kind == "array" else "C")
            if kind != "array" or v not in vtypes else vtypes[v]
            for kind, v in kernel.params)
        signature = ", ".join(map(str, types))
        # The module of this signature is named by the kernel's key and the signature: the
        # key already hashes the whole canonical text, which need not be rendered again
        # unless the module must be written or checked (load_module renders it then).
        name = hashlib.sha256(f"{key}\n{signature}".encode()).hexdigest()[:20]
        module = load_module(f"tapeflow_k_{name}",
                             lambda cache, k=kernel, s=signature: k.canonical_source(cache, s),
                             cache_dir)
        if module not in modules:
            modules.append(module)
        dispatcher = module.kernel
        natives.append(_compiled(dispatcher, types, key, kernel))
        if kernel.returns:
            ret = dispatcher.overloads[types].signature.return_type
            rets = ret.types if len(kernel.returns) > 1 else (ret,)
            vtypes.update(zip(kernel.returns, rets))
    return natives


def _self_product(x):
    return np.dot(x, x)


def _compiled(dispatcher, types, key: str, kernel):
    if types in dispatcher.overloads:
        return dispatcher.overloads[types].entry_point
    hits = sum(dispatcher.stats.cache_hits.values())
    try:
        with module_passes_only():
            native = dispatcher.compile(types)
    except Exception as e:
        first = str(e).splitlines()[0] if str(e) else ""
        raise KernelCompileError(
            f"Numba could not compile the {kernel.describe()} ({type(e).__name__}: {first})"
        ) from e
    loaded = sum(dispatcher.stats.cache_hits.values()) > hits
    compile_log.append((key, "loaded" if loaded else "compiled", types))
    return native


def _python_entry(program, natives: list):
    """A generated Python entry calling each kernel's compiled entry point in turn: no
    Numba compile of its own, whatever the number of calls."""
    names = {id(call): f"k{n}" for n, call in enumerate(program.calls())}
    namespace = {f"k{n}": native for n, native in enumerate(natives)}
    namespace["np"] = np
    namespace["_empty"] = np.empty  # the allocations' helper (prelude._empty), in Python
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
