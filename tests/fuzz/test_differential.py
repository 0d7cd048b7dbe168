"""Differential fuzzing: random programs agree eagerly, on the interpreter and compiled.

tests/fuzz/programs.py generates the programs and compares the runs. The fast tier checks
eager against the interpreter backend and float64 gradients against finite differences;
the slow tier compiles each program with Numba (native code only: a fallback to the
interpreter fails the test). Numba compiles are the cost, so the slow tier draws fewer,
smaller programs. `TAPEFLOW_FUZZ_EXAMPLES=N` scales both tiers' example counts by N/100
(benchmarks/fuzz.py runs many more and counts findings instead of stopping at the first).
The examples are derandomized, so CI runs the same programs every time (a red build is
never luck); new programs come from the benchmark, whose findings become rows of
test_regressions.py.
Run with NUMBA_BOUNDSCHECK=1 in the environment to compile with Numba's bounds checks
(.ci/run does, for this directory).
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .programs import NOT_DEFECTS, programs, run_program

SCALE = int(os.environ.get("TAPEFLOW_FUZZ_EXAMPLES", "100")) / 100


def _settings(n):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None,
                    derandomize=True, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _assert_agree(program, seed, special, **kw):
    findings = [f for f in run_program(program, seed, special, **kw)
                if f.kind not in NOT_DEFECTS]
    assert not findings, "\n".join(f"{f.kind} ({f.runner}): {f.detail}" for f in findings)


@_settings(300)
@given(program=programs(), seed=st.integers(0, 2**16), special=st.booleans())
def test_interpreter_agrees_with_eager(program, seed, special):
    _assert_agree(program, seed, special, backends=("interpreter",))


@pytest.mark.slow
@_settings(6)
@given(program=programs(max_steps=3), seed=st.integers(0, 2**16), special=st.booleans())
def test_compiled_agrees_with_eager(program, seed, special):
    _assert_agree(program, seed, special, backends=("numba",), check_gradients=False)
