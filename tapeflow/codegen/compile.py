"""Compile a graph: load its generated module through the compile cache (codegen/cache.py:
written to and verified in a private directory, so Numba's `cache=True` works across
processes) and hand back a `Kernel` (the entry function with its calling convention,
codegen/abi.py).

The key hashes the printed IR with the versions of tapeflow, numba and numpy, the sources of
the code generator and the CPU, so a change to any of them compiles afresh. A cache that
cannot be used never fails a call: the module is then compiled in memory (cache.py).
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import sys
from pathlib import Path

import numba
import numpy as np

import tapeflow
from tapeflow.codegen.abi import EntryABI
from tapeflow.codegen.cache import load_module
from tapeflow.codegen.emit import generate_source
from tapeflow.graph.ir import Graph
from tapeflow.graph.printer import print_graph

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
    to call it; the runtime calls the compiled overload through those directly. Keep the
    Kernel while using `entry`: it holds the generated module, which is freed with it
    (codegen/cache.py)."""

    def __init__(self, module, abi: EntryABI):
        self.module = module
        self.entry = module.entry
        self.abi = abi

    def __call__(self, *inputs) -> tuple:
        return tuple(self.abi.call(self.entry, inputs))


def compile_graph(graph: Graph, cache_dir: Path | None = None) -> Kernel:
    """The compiled `graph` (its code from the cache when it is there)."""
    # A unique module name per entry: forked workers must not collide (numba issue 10486).
    module_name = f"tapeflow_kernel_{cache_key(graph)}"
    module = load_module(module_name, lambda cache: generate_source(graph, cache=cache),
                         cache_dir)
    return Kernel(module, EntryABI.of(graph))
