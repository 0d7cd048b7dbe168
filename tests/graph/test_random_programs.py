"""Random programs from the op registry: the optimised graph agrees with eager execution,
and every pass on its own preserves the graph's outputs.

A program is a recipe of steps over a growing pool of tensors (elementwise math,
broadcasting binary ops, reductions, matmul, reshapes and transposes); it ends in a scalar
loss whose gradients w.r.t. the inputs are taken inside the function, so each graph holds
forward and adjoint equations.
"""

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tapeflow as tf
from tapeflow.graph.interp import evaluate
from tapeflow.graph.passes import PIPELINE, optimize
from tests.fuzz import programs as fuzz

# The steps are drawn and run by the differential fuzzer's generator (tests/fuzz/programs.py),
# over fixed shapes, smooth float64 values and the ops below: bounded ones, so that the
# tolerances here can stay tight (the fuzzer's own tests take special values and all kinds).
SHAPES = [(2, 3), (3,), (3, 4)]  # the program's inputs: a, b, c
KINDS = ("unary", "binary", "reduce", "matmul", "reshape", "transpose")
UNARY = ("tanh", "sin", "cos", "neg", "abs", "softplus", "sigmoid", "square", "exp_small")
BINARY = ("add", "sub", "mul", "maximum", "minimum", "pow2")
REDUCE = ("reduce_sum", "reduce_mean", "reduce_max", "reduce_logsumexp")


def recipes():
    """This test's recipes (tests/codegen/test_compiled_programs.py draws them too)."""
    return fuzz.recipes(SHAPES, KINDS, min_steps=2, max_steps=9, unary=UNARY, binary=BINARY,
                        reduce=REDUCE)


def make_step(steps):
    def step(a, b, c):
        with tf.GradientTape() as tape:
            tape.watch([a, b, c])
            loss, _ = fuzz.run_steps(steps, a, b, c)
        grads = tape.gradient(loss, [a, b, c], unconnected_gradients="zero")
        return loss, grads

    return step


def _inputs(seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, size=s) for s in SHAPES]


def _flat(result):
    loss, grads = result
    return [np.asarray(loss)] + [np.asarray(g) for g in grads]


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(steps=recipes(), seed=st.integers(0, 2**16))
@example(steps=[("binary", "pow2", 0, 0), ("matmul", 3, 2), ("transpose", 4)], seed=1)
def test_optimised_graph_matches_eager(steps, seed):
    inputs = [tf.constant(x) for x in _inputs(seed)]  # float64: stays float64
    step = make_step(steps)
    eager = _flat(step(*inputs))
    compiled = _flat(tf.function(step)(*inputs))
    for e, c in zip(eager, compiled):
        np.testing.assert_allclose(c, e, rtol=1e-9, atol=1e-12)


# Same primitive and input, different params: what CSE must not merge.
SAME_INPUT_TWO_AXES = [("reduce", "reduce_sum", 0, 0, False), ("reduce", "reduce_sum", 0, 1, False)]


@SETTINGS
@given(steps=recipes(), seed=st.integers(0, 2**16))
@example(steps=SAME_INPUT_TWO_AXES, seed=0)
def test_every_pass_preserves_outputs(steps, seed):
    arrays = _inputs(seed)
    concrete = tf.function(make_step(steps)).get_concrete_function(
        *[tf.constant(x) for x in arrays])
    graph = concrete.raw_graph
    expected = evaluate(graph, arrays)
    for name, pass_fn in PIPELINE:
        out, _ = pass_fn(graph)
        for e, got in zip(expected, evaluate(out, arrays)):
            np.testing.assert_allclose(got, e, rtol=1e-9, atol=1e-12, err_msg=name)
    optimised = optimize(graph)
    assert len(optimised.eqns) <= len(graph.eqns)
    for e, got in zip(expected, evaluate(optimised, arrays)):
        np.testing.assert_allclose(got, e, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=recipes(), seed=st.integers(0, 2**16))
@example(steps=[("transpose", 0), ("matmul", 3, 0), ("reshape", 4)], seed=0)
def test_one_trace_for_any_leading_size_matches_eager(steps, seed):
    # The first input's leading size is None: the trace (at size 2) is specialised for
    # sizes 4 and 5 from the stored graph, and must agree with eager execution there.
    signature = [tf.TensorSpec([None, 3], tf.float64), tf.TensorSpec([3], tf.float64),
                 tf.TensorSpec([3, 4], tf.float64)]
    step = make_step(steps)
    traced = tf.function(step, input_signature=signature)
    a, b, c = _inputs(seed)
    rng = np.random.default_rng(seed)
    for n in (2, 4, 5):
        rows = rng.uniform(-1.5, 1.5, size=(n, 3)) if n != 2 else a
        inputs = [tf.constant(x) for x in (rows, b, c)]
        for e, got in zip(_flat(step(*inputs)), _flat(traced(*inputs))):
            np.testing.assert_allclose(got, e, rtol=1e-9, atol=1e-12)
    assert traced.experimental_get_tracing_count() == 1
