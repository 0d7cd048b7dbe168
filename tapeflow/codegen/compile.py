"""Compile a graph: write its generated module into the cache directory, import it from
there (so Numba's `cache=True` works across processes), and hand back a `Kernel` (the entry
function with its calling convention, codegen/abi.py).

The key hashes the printed IR with the versions of tapeflow, numba and numpy, the sources of
the code generator and the CPU, so a change to any of them compiles afresh. A directory that
cannot be written (read-only, missing, full) or a module that cannot be read back never fails
a call: the module is then compiled in memory, and a warning says so once.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import platform
import sys
import tempfile
import types
import warnings
from pathlib import Path

import numba
import numpy as np

import tapeflow
from tapeflow.codegen.abi import EntryABI
from tapeflow.codegen.emit import generate_source
from tapeflow.graph.ir import Graph
from tapeflow.graph.printer import print_graph

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


def cache_key(graph: Graph) -> str:
    text = "\n".join([
        print_graph(graph),
        f"tapeflow {tapeflow.__version__} codegen {_codegen_fingerprint()}",
        f"numba {numba.__version__}",
        f"numpy {np.__version__}",
        f"cpu {platform.machine()} {numba.config.CPU_NAME or ''}",
        f"python {sys.version_info[:2]}",
    ])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class Kernel:
    """A compiled graph: `kernel(*inputs)` returns its outputs (a tuple, in the graph's
    order). `entry` is the Numba dispatcher of the generated entry function and `abi` how
    to call it; the runtime calls the compiled overload through those directly."""

    def __init__(self, entry, abi: EntryABI):
        self.entry = entry
        self.abi = abi

    def __call__(self, *inputs) -> tuple:
        return tuple(self.abi.call(self.entry, inputs))


def compile_graph(graph: Graph, cache_dir: Path | None = None) -> Kernel:
    """The compiled `graph` (its code from the cache when it is there)."""
    return Kernel(_entry(graph, cache_dir), EntryABI.of(graph))


def _entry(graph: Graph, cache_dir: Path | None):
    key = cache_key(graph)
    # A unique module name per entry: forked workers must not collide (numba issue 10486).
    module_name = f"tapeflow_kernel_{key}"
    if module_name in sys.modules:
        return sys.modules[module_name].entry
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        path = _write_source(directory, module_name, generate_source(graph, cache=True))
        return _import(module_name, path).entry
    except (OSError, SyntaxError, ImportError, ValueError) as e:
        sys.modules.pop(module_name, None)
        _warn_once(directory, e)
        return _in_memory(module_name, generate_source(graph, cache=False)).entry


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
    exec(compile(source, f"<{module_name}>", "exec"), module.__dict__)
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
