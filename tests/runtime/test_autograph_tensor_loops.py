"""`for x in <tensor>` in a tapeflow.function: as TensorFlow's AutoGraph, one graph loop over
the leading axis (a while over tf.shape(x)[0] reading x[i]), traced once for every size, a
None size of an input_signature included. Where a graph loop cannot hold the body, the
original Python loop runs (unrolled, guarded) with the same values; iterating anything that
is not a traced tensor is the Python loop it always was."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.data import Dataset


def prims(function, *args) -> list[str]:
    return [e.prim.name for e in function.get_concrete_function(*args).graph.eqns]


def weighted_rows(x, w):
    total = tf.constant(0.0)
    biggest = tf.constant(-100.0)
    for row in x:
        total += tf.reduce_sum(row * w)
        biggest = tf.maximum(biggest, tf.reduce_max(row))
    return total, biggest


def test_rows_of_an_input_signature_none_axis_trace_once():
    @tf.function(input_signature=[tf.TensorSpec([None, 2])])
    def g(x):
        s = tf.constant(0.0)
        for row in x:
            s += tf.reduce_sum(row)
        return s

    assert [g(tf.ones((n, 2))).numpy() for n in (3, 5, 4, 7)] == [6.0, 10.0, 8.0, 14.0]
    assert g.experimental_get_tracing_count() == 1
    assert "while_loop" in prims(g, tf.ones((3, 2)))


def test_a_static_sized_axis_traces_once_per_size_and_never_unrolls():
    @tf.function
    def g(x):
        s = tf.zeros_like(x[0])
        for row in x:
            s = s * 0.5 + row
        return s

    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    want = np.zeros(3, np.float32)
    for row in x:
        want = want * 0.5 + row
    np.testing.assert_allclose(g(tf.constant(x)).numpy(), want)
    np.testing.assert_allclose(g(tf.constant(x + 1.0)).numpy(), g.python_function(
        tf.constant(x + 1.0)).numpy())
    assert g.experimental_get_tracing_count() == 1
    assert prims(g, tf.constant(x)).count("while_loop") == 1
    assert "gather" not in prims(g, tf.constant(x))  # inside the loop's body, once


@pytest.mark.parametrize("rows", [0, 1, 2, 7])
def test_values_match_eager_and_the_unconverted_python(backend, rows, quiet_retraces):
    rng = np.random.default_rng(rows)
    converted = tf.function(weighted_rows, backend=backend,
                            input_signature=[tf.TensorSpec([None, 3]), tf.TensorSpec([3])])
    python = tf.function(weighted_rows, backend=backend, autograph=False)
    for _ in range(3):
        x = tf.constant(rng.normal(size=(rows, 3)).astype(np.float32))
        w = tf.constant(rng.normal(size=3).astype(np.float32))
        want = [t.numpy() for t in weighted_rows(x, w)]
        for f in (converted, python):
            got = [t.numpy() for t in f(x, w)]
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert "while_loop" in prims(converted, x, w)
    assert "while_loop" not in prims(python, x, w)


def test_loop_variables_of_any_rank_and_a_tuple_target(backend, quiet_retraces):
    @tf.function(backend=backend)
    def pairs(xy):
        prod = tf.constant(1.0)
        for a, b in xy:
            prod *= a - b
            last = a
        return prod, last, a

    prod, last, a = pairs(tf.constant([[3.0, 1.0], [5.0, 2.0], [4.0, 0.0]]))
    assert (prod.numpy(), last.numpy(), a.numpy()) == (24.0, 4.0, 4.0)
    assert pairs(tf.constant([[2.0, 1.0]]))[0].numpy() == 1.0  # a new static size
    assert "while_loop" in prims(pairs, tf.constant([[2.0, 1.0]]))


def test_a_variable_first_assigned_in_the_loop_over_an_empty_axis_is_tfs_error():
    @tf.function(input_signature=[tf.TensorSpec([None])])
    def last(x):
        for v in x:
            seen = v * 2.0
        return seen

    assert last(tf.constant([1.0, 4.0])).numpy() == 8.0
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"loop must iterate at least once to initialize seen"):
        last(tf.zeros((0,)))
    assert last(tf.constant([3.0])).numpy() == 6.0
    assert last.experimental_get_tracing_count() == 1


def test_nested_tensor_loops_with_a_tensor_if_trace_once(backend):
    @tf.function(backend=backend)
    def signed(x):
        s = tf.constant(0.0)
        for row in x:
            for e in row:
                if e > 0:
                    s += e
                else:
                    s -= 1.0
        return s

    x = np.array([[1, -2, 3], [4, 5, -6]], np.float32)
    assert signed(tf.constant(x)).numpy() == 11.0
    assert signed(tf.constant(-x)).numpy() == 2.0 + 6.0 - 4.0
    assert signed.experimental_get_tracing_count() == 1
    assert prims(signed, tf.constant(x)) == ["while_loop"]


def test_an_empty_axis_in_the_first_trace_runs_no_iteration():
    @tf.function
    def total(x):
        s = tf.constant(10.0)
        for row in x:
            s += tf.reduce_sum(row)
        return s

    assert total(tf.zeros((0, 4))).numpy() == 10.0
    assert "while_loop" in prims(total, tf.zeros((0, 4)))


def test_iterating_a_0d_tensor_is_tfs_error_and_changes_nothing():
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        v.assign(5.0)
        acc = tf.constant(0.0)
        for e in x:
            acc += e
        return acc

    for error in (TypeError, ValueError):  # eager TF's and AutoGraph's: both catch it
        with pytest.raises(error, match=r"len requires a non-scalar tensor.*`for e in x` at "
                                        r"test_autograph_tensor_loops\.py:\d+"):
            f(tf.constant(2.0))
        assert v.numpy() == 1.0 and f.experimental_get_tracing_count() == 0
    assert f(tf.constant([2.0, 3.0])).numpy() == 5.0 and v.numpy() == 5.0
    assert f.experimental_get_tracing_count() == 1


def test_a_python_read_in_the_body_falls_back_with_the_right_value(quiet_retraces):
    def clipped_sum(x, read):
        acc = tf.constant(0.0)
        for e in x:
            acc += float(e) if read else e  # float(): a Python read of a loop value
        return acc

    @tf.function
    def graph(x):
        return clipped_sum(x, False)

    @tf.function
    def python(x):
        return clipped_sum(x, True)

    for x in ([1.0, 2.0], [4.0, 1.0, 2.0]):
        assert graph(tf.constant(x)).numpy() == python(tf.constant(x)).numpy() == sum(x)
    assert "while_loop" in prims(graph, tf.constant([1.0, 2.0]))
    assert "while_loop" not in prims(python, tf.constant([1.0, 2.0]))


def test_a_variable_assigned_in_the_body_falls_back_and_commits():
    v = tf.Variable(0.0)

    @tf.function
    def accumulate(x):
        for e in x:
            v.assign_add(e)
        return v.read_value()

    @tf.function
    def reads_only(x):
        acc = v.read_value()
        for e in x:
            acc += e * v
        return acc

    assert accumulate(tf.constant([1.0, 2.0])).numpy() == 3.0
    assert accumulate(tf.constant([1.0, 2.0])).numpy() == 6.0
    assert "while_loop" not in prims(accumulate, tf.constant([1.0, 2.0]))
    assert reads_only(tf.constant([1.0, 2.0])).numpy() == 6.0 + 18.0
    assert "while_loop" in prims(reads_only, tf.constant([1.0, 2.0]))


def test_return_keeps_the_python_loop_and_continue_is_a_graph_loop(quiet_retraces):
    # (break and continue became flags in a graph loop: tests/api/test_autograph_exits.py;
    # a return in the body still leaves the loop to Python, where TF raises.)
    @tf.function
    def first_positive(x):
        for e in x:
            if e > 0:
                return e
        return tf.constant(-1.0)

    @tf.function
    def skip_negative(x):
        acc = tf.constant(0.0)
        for e in x:
            if e < 0:
                continue
            acc += e
        return acc

    @tf.function
    def plain(x):
        acc = tf.constant(0.0)
        for e in x:
            acc += e
        return acc

    x = tf.constant([-1.0, 2.0, -3.0, 4.0])
    assert first_positive(x).numpy() == 2.0 and skip_negative(x).numpy() == 6.0
    assert "while_loop" not in prims(first_positive, x)
    assert "while_loop" in prims(skip_negative, x)
    assert "while_loop" in prims(plain, x)


def test_gradients_through_the_loop_from_outside_and_inside(backend):
    @tf.function(backend=backend)
    def energy(x, w):
        e = tf.constant(0.0)
        for row in x:
            e += tf.reduce_sum(tf.tanh(row * w))
        return e

    @tf.function(backend=backend)
    def energy_grad(x, w):
        with tf.GradientTape() as tape:  # a tape around the loop: the unrolled path
            tape.watch(w)
            e = energy.python_function(x, w)
        return tape.gradient(e, w)

    rng = np.random.default_rng(7)
    x = tf.constant(rng.normal(size=(5, 3)).astype(np.float32))
    w = tf.constant(rng.normal(size=3).astype(np.float32))
    want = (x.numpy() * (1 - np.tanh(x.numpy() * w.numpy()) ** 2)).sum(0)
    with tf.GradientTape() as tape:  # a tape outside the function: the loop's own VJP
        tape.watch(w)
        e = energy(x, w)
    np.testing.assert_allclose(tape.gradient(e, w).numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(energy_grad(x, w).numpy(), want, rtol=1e-5)
    assert "while_loop" in prims(energy, x, w)


def test_iterables_that_are_not_traced_tensors_run_as_before():
    seen = []

    @tf.function
    def f(x):
        for k in [1.0, 2.0]:
            x = x + k
        for k in range(2):
            seen.append(k)
        for a in np.arange(3.0, dtype=np.float32):
            x = x * a if a else x
        for c in tf.constant([1.0, 10.0]):  # an eager constant: its rows, in Python
            x = x + c
        for e in tf.stack([x, x]):  # a traced tensor: the only graph loop
            x = x + e
        return x

    assert f(tf.constant(1.0)).numpy() == ((1.0 + 3.0) * 2.0 + 11.0) * 3
    assert seen == [0, 1] and f.experimental_get_tracing_count() == 1
    assert prims(f, tf.constant(1.0)).count("while_loop") == 1

    def drain(x):
        for item in Dataset.from_tensor_slices(np.array([5.0, 6.0], np.float32)):
            x = x - item
        return x

    for ag in (True, False):  # (a dataset loop runs the function eagerly, as before)
        assert tf.function(drain, autograph=ag)(tf.constant(1.0)).numpy() == -10.0


@pytest.mark.slow
def test_a_compiled_tensor_loop_over_a_none_axis_matches_eager():
    @tf.function(input_signature=[tf.TensorSpec([None, 4]), tf.TensorSpec([4])],
                 backend="numba")
    def f(x, w):
        h = tf.zeros([4])
        for row in x:
            h = tf.tanh(h * w + row)
        return h

    rng = np.random.default_rng(3)
    for n in (0, 1, 6, 9):
        x = tf.constant(rng.normal(size=(n, 4)).astype(np.float32))
        w = tf.constant(rng.normal(size=4).astype(np.float32))
        np.testing.assert_allclose(f(x, w).numpy(), f.python_function(x, w).numpy(),
                                   rtol=1e-5, atol=1e-6)
    assert f.experimental_get_tracing_count() == 1
    # The loop runs compiled: Numba segments around it, its condition and body compiled.
    executor = f.get_concrete_function(x, w).executor
    assert type(executor).__name__ == "SegmentedExecutor"
