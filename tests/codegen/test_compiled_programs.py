"""Compiled (Numba) == interpreter on random programs and on the seed computations."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph
from tapeflow.graph.interp import evaluate

sys.path.insert(0, str(Path(__file__).parent.parent / "graph"))
from test_random_programs import _inputs, make_step, recipes  # noqa: E402

pytestmark = pytest.mark.slow


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=recipes(), seed=st.integers(0, 2**16), dtype=st.sampled_from(["f32", "f64"]))
def test_compiled_random_programs_match_the_interpreter(steps, seed, dtype, tmp_path_factory):
    dt = np.float32 if dtype == "f32" else np.float64
    arrays = [a.astype(dt) for a in _inputs(seed)]
    concrete = tf.function(make_step(steps)).get_concrete_function(
        *[tf.constant(a) for a in arrays])
    graph = concrete.graph
    kernel = compile_graph(graph, cache_dir=tmp_path_factory.getbasetemp() / "programs")
    got = kernel(*arrays)
    want = evaluate(graph, arrays)
    rtol = 2e-4 if dt == np.float32 else 1e-9
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-2)


def test_linear_regression_50_steps_under_numba_matches_eager():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(64, 3)).astype(np.float32)
    ys = xs @ np.array([[2.0], [-1.0], [0.5]], np.float32) + 0.3

    def train(backend):
        w = tf.Variable(np.zeros((3, 1), np.float32))
        c = tf.Variable(0.0)

        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((x @ w + c - y) ** 2)
            gw, gc = tape.gradient(loss, [w, c])
            w.assign_sub(0.1 * gw)
            c.assign_sub(0.1 * gc)
            return loss

        run = step if backend == "eager" else tf.function(step, backend=backend)
        for _ in range(50):
            loss = run(xs, ys)
        return float(loss), w.numpy(), float(c.numpy())

    loss_e, w_e, c_e = train("eager")
    loss_n, w_n, c_n = train("numba")
    np.testing.assert_allclose(w_n, w_e, rtol=1e-4)
    np.testing.assert_allclose(c_n, c_e, rtol=1e-4)
    np.testing.assert_allclose(loss_n, loss_e, rtol=1e-3, atol=1e-7)


def test_seed_computations_under_numba_match_eager():
    w = tf.Variable(np.array([[1.0, 0.4], [1.0, -1.5], [1.0, -0.7]], np.float32), name="w")
    b = tf.Variable(tf.zeros(2), name="b")
    x = [[1.0, 2.0, 3.0]]

    def grads():
        with tf.GradientTape() as tape:
            y = x @ w + b
            loss = tf.reduce_mean(y**2)
        return tape.gradient(loss, [w, b])

    def seed001(a):
        b = a * 2
        while tf.norm(b) < 1000:
            b = b * 2
        return b if tf.reduce_sum(b) > 0 else 100 * b

    compiled = tf.function(grads, backend="numba")
    for _ in range(2):  # the trace, then the compiled run
        for got, want in zip(compiled(), grads()):
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    f = tf.function(seed001, backend="numba")
    for v in [0.3, -0.4, 0.3, -0.4, 5.0]:
        a = tf.constant(v)
        assert f(a).numpy() == seed001(a).numpy()


def test_gather_with_a_bad_index_raises_instead_of_reading_out_of_bounds():
    f = tf.function(lambda x, i: tf.gather(x, i), backend="numba")
    x = tf.constant([1.0, 2.0, 3.0])
    f(x, tf.constant([0, 2]))
    assert f(x, tf.constant([2, 1])).numpy().tolist() == [3.0, 2.0]  # compiled
    with pytest.raises(IndexError, match="out of range"):
        f(x, tf.constant([0, 7]))


def test_large_fused_loops_run_in_parallel_and_match_the_interpreter(tmp_path):
    from tapeflow.codegen.emit import PARALLEL_MIN_ELEMENTS, generate_source

    def w3(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.nn.softplus(tf.sin(x) * x + tf.exp(-x * x)))
        return loss, tape.gradient(loss, x)

    x = np.random.default_rng(0).uniform(-2, 2, 2 * PARALLEL_MIN_ELEMENTS).astype(np.float32)
    graph = tf.function(w3).get_concrete_function(tf.constant(x)).graph
    assert "numba.prange(" in generate_source(graph) and "parallel=True" in \
        generate_source(graph)
    got = compile_graph(graph, cache_dir=tmp_path)(x, *[c for _, c in graph.consts])
    want = evaluate(graph, [x])
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)  # the parallel float64-backed sum
    np.testing.assert_allclose(got[1], want[1], rtol=2e-5, atol=1e-6)


def test_mlp_step_compiles_without_falling_back_and_matches_the_interpreter():
    import warnings

    from tapeflow.runtime.backends import CompileFallbackWarning

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 200)).astype(np.float32)
    y = rng.integers(0, 10, size=128).astype(np.int32)

    def make(backend):
        params = [tf.Variable(rng.normal(size=(200, 256)).astype(np.float32) * 0.05),
                  tf.Variable(np.zeros(256, np.float32)),
                  tf.Variable(rng.normal(size=(256, 10)).astype(np.float32) * 0.05),
                  tf.Variable(np.zeros(10, np.float32))]
        w1, b1, w2, b2 = params

        def step(x, y):
            with tf.GradientTape() as tape:
                logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            for v, g in zip(params, tape.gradient(loss, params)):
                v.assign_sub(0.1 * g)  # a 0-d constant read inside a parallel loop
            return loss

        return tf.function(step, backend=backend), params

    state = rng.bit_generator.state
    compiled, p_c = make("numba")
    rng.bit_generator.state = state
    reference, p_r = make("interpreter")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)
        for _ in range(3):
            np.testing.assert_allclose(compiled(x, y).numpy(), reference(x, y).numpy(),
                                       rtol=1e-5)
    for a, b in zip(p_c, p_r):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
