"""Graph loops against eager on random bodies.

A `tf.while_loop` inside a tapeflow.function whose trip count is a tensor is one graph loop
(a `while_loop` equation, traced once; tests/runtime/test_graph_loops.py has the semantics).
Here its body is a random recipe of the differential fuzzer (tests/fuzz/programs.py: every
kind of step but the control flow and the Variable update, which keep a loop unrolled), and
the loop runs 0, 1 and 3 times from the one trace, on the interpreter and compiled, against
the same loop run eagerly: values to dtype tolerance, nan/inf/signed-zero patterns exactly.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tapeflow as tf

from .programs import KINDS, Program, compare, make_inputs, recipes, run_steps
from .test_differential import _settings

COUNTS = (0, 1, 3)


@st.composite
def loop_bodies(draw, max_steps: int = 3):
    dtype = draw(st.sampled_from(["float32", "float64"]))
    m, n, k = draw(st.integers(0, 3)), draw(st.integers(0, 3)), draw(st.integers(1, 2))
    steps = draw(recipes([(m, n), (n,), (n, k)], KINDS, max_steps=max_steps))
    return Program(dtype, m, n, k, steps, second_order=False)


def make_loop(program: Program):
    def looped(a, b, c, count):
        def body(i, x):
            _, last = run_steps(program.steps, x, b, c)
            # The carried value keeps its shape and dtype (TF's rule for a loop variable):
            # the body's last value folds in through its mean.
            return i + 1, x * 0.5 + tf.reduce_mean(last)

        return tf.while_loop(lambda i, x: i < count, body, [tf.constant(0), a])

    return looped


def _outputs(fn, arrays, count):
    i, x = fn(*[tf.constant(v) for v in arrays], tf.constant(count))
    return [np.asarray(i), np.asarray(x)]


def _check(program, seed, special, backend):
    arrays = make_inputs(program, seed, special)
    looped = make_loop(program)
    traced = tf.function(looped, backend=backend, compile="sync")
    findings = []
    with np.errstate(all="ignore"):
        for count in COUNTS:
            eager = _outputs(looped, arrays, count)
            findings += compare(backend, eager, _outputs(traced, arrays, count),
                                program.dtype)
    assert not findings, "\n".join(f"{f.kind} ({f.runner}): {f.detail}" for f in findings)
    assert traced.experimental_get_tracing_count() == 1  # every count from the one trace
    graph = traced.get_concrete_function(*[tf.constant(v) for v in arrays],
                                         tf.constant(1)).graph
    assert "while_loop" in [e.prim.name for e in graph.eqns]


@_settings(60)
@given(program=loop_bodies(), seed=st.integers(0, 2**16), special=st.booleans())
def test_graph_loops_on_the_interpreter_agree_with_eager(program, seed, special):
    _check(program, seed, special, "interpreter")


@pytest.mark.slow
@_settings(4)
@given(program=loop_bodies(max_steps=2), seed=st.integers(0, 2**16), special=st.booleans())
def test_compiled_graph_loops_agree_with_eager(program, seed, special):
    _check(program, seed, special, "numba")
