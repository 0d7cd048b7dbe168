"""Kernels compile without Numba's per-function pass round (codegen/llvm_passes.py); every
other Numba compile in the process keeps it."""

import numba
import numpy as np
import pytest
from numba.core import codegen

from tapeflow.codegen.llvm_passes import module_passes_only

pytestmark = pytest.mark.slow


def _fresh():
    def f(x):
        return np.tanh(x) * 2.0

    return numba.njit(f)


def test_function_passes_run_only_outside_the_context(monkeypatch):
    runs = []
    original = codegen.JITCPUCodegen._function_pass_manager

    def counted(self, **kwargs):
        runs.append(1)
        return original(self, **kwargs)

    monkeypatch.setattr(codegen.JITCPUCodegen, "_function_pass_manager", counted)
    with module_passes_only():
        inside = _fresh()
        assert inside(np.float64(0.5)) == np.tanh(0.5) * 2.0
    assert runs == []
    outside = _fresh()  # a user's own function, after a kernel compiled
    assert outside(np.float64(0.5)) == np.tanh(0.5) * 2.0
    assert runs
