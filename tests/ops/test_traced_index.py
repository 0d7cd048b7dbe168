"""`x[i]` with i a value of the function being traced (an argument, a loop counter): as in
TensorFlow the index is data (a checked gather), not a value the trace specialises on, so a
new i does not trace again and a graph loop can index with its counter. Eagerly, and for
Python ints, the index is read as before."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf

X = np.arange(24.0).reshape(2, 3, 4)


def pick(x, i, j):
    return x[i], x[:, j], x[-1, j, 1:], x[i, ..., j], x[i, tf.newaxis, j]


@pytest.mark.parametrize("i, j", [(0, 0), (1, 2), (-1, -3), (-2, 1)])
def test_traced_scalar_indices_match_numpy_and_trace_once(backend, i, j):
    f = tf.function(pick, backend=backend)
    got = f(tf.constant(X), tf.constant(i), tf.constant(j))
    want = (X[i], X[:, j], X[-1, j, 1:], X[i, ..., j], X[i, None, j])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w)
        assert g.shape == w.shape
    # Every index pair on one trace.
    for i2, j2 in [(1, 1), (-1, 0)]:
        f(tf.constant(X), tf.constant(i2), tf.constant(j2))
    assert f.experimental_get_tracing_count() == 1


def test_the_graph_gathers_instead_of_guarding():
    f = tf.function(lambda x, i: x[i] * 2.0, backend="interpreter")
    graph = f.get_concrete_function(tf.constant(X), tf.constant(1)).graph
    names = [e.prim.name for e in graph.eqns]
    assert "gather" in names
    assert not any("guard" in (label or "") for label in graph.output_names)


@pytest.mark.parametrize("index", [2, -3, 7])
def test_an_index_out_of_range_is_invalid_argument_naming_the_line(index):
    f = tf.function(lambda x, i: x[i], backend="interpreter")
    f(tf.constant(X), tf.constant(0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range") as info:
        f(tf.constant(X), tf.constant(index))
    assert "test_traced_index.py" in str(info.value)


def test_the_gradient_flows_to_the_indexed_row():
    @tf.function(backend="interpreter")
    def grad(x, i):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x[i] ** 2)
        return tape.gradient(y, x)

    x = np.arange(6.0).reshape(3, 2)
    want = np.zeros_like(x)
    want[-1] = 2 * x[-1]
    np.testing.assert_array_equal(grad(tf.constant(x), tf.constant(-1)).numpy(), want)


def test_a_loop_counter_indexes_inside_one_graph_loop(backend):
    @tf.function(backend=backend)
    def running_max(x, n):
        best = x[0]
        for i in tf.range(1, n):
            best = tf.maximum(best, x[i])
        return best

    x = tf.constant([3.0, -1.0, 7.0, 2.0, 9.0])
    assert [running_max(x, tf.constant(n)).numpy() for n in (1, 3, 5)] == [3.0, 7.0, 9.0]
    assert running_max.experimental_get_tracing_count() == 1
    names = [e.prim.name for e in
             running_max.get_concrete_function(x, tf.constant(2)).graph.eqns]
    assert "while_loop" in names


def test_eager_and_python_int_indices_are_unchanged():
    x = tf.constant(X)
    np.testing.assert_array_equal(x[tf.constant(-1)].numpy(), X[-1])
    with pytest.raises(tf.errors.InvalidArgumentError):
        x[tf.constant(5)]
    f = tf.function(lambda x: x[1], backend="interpreter")
    assert "gather" not in [e.prim.name for e in f.get_concrete_function(x).graph.eqns]
