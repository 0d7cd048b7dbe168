"""LLVM optimisation of tapeflow's kernels: the whole-module pipeline only.

    with module_passes_only():
        dispatcher.compile(types)

Numba optimises each function of every LLVM module it adds to a library with a function
pass pipeline at -O3 (`CPUCodeLibrary._optimize_functions`, a new pass builder per
function, declarations included), and then the library's final module with its module
pipeline at -O3, which runs the same function passes again over everything linked
together. For generated kernels the first round changes nothing that matters: the module
pipeline gets the same code into the same shape (W1-W4 per call unchanged, measured with
benchmarks/compile_percall.py), and it cost ~11% of a deep MLP's compile here (0.16 s of
1.4 s at L = 32: six kernels, each with its Python wrapper, and vecmath's tanh and exp).

Inside `module_passes_only()` (on this thread) that first round is skipped; everywhere else,
a user's own @njit functions included, Numba behaves as it always does. Numba without the
method (another version) is left alone: the context then changes nothing.
"""

from __future__ import annotations

import contextlib
import threading

_state = threading.local()
_installed = False
_lock = threading.Lock()


def active() -> bool:
    """Whether this thread is inside `module_passes_only()`."""
    return getattr(_state, "depth", 0) > 0


@contextlib.contextmanager
def module_passes_only():
    """Compile on this thread without Numba's per-function pass round (see the top)."""
    _install()
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def _install() -> None:
    global _installed
    if _installed:
        return
    with _lock:
        if _installed:
            return
        from numba.core import codegen

        library = getattr(codegen, "CPUCodeLibrary", None)
        original = getattr(library, "_optimize_functions", None)
        if original is not None:
            def _optimize_functions(self, ll_module):
                if not active():
                    return original(self, ll_module)
                # What the original does before its passes: the module pipeline relies on
                # the data layout being set.
                ll_module.data_layout = self._codegen._data_layout
                return None

            library._optimize_functions = _optimize_functions
        _installed = True
