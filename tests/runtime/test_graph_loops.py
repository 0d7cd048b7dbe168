"""`tf.while_loop` inside a tapeflow.function: one graph loop, traced once (as TensorFlow's
While op), where its condition depends on traced tensors; the unrolled, guarded path where a
graph loop cannot hold the loop."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.saved_model.format import SavedModelError


def loop_prims(function, *args) -> list[str]:
    graph = function.get_concrete_function(*args).graph
    return [e.prim.name for e in graph.eqns]


def doublings(n, x):
    return tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * 2.0),
                         [tf.constant(0), x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_match_eager_for_zero_one_and_many_iterations(backend, dtype):
    f = tf.function(doublings, backend=backend)
    for n in (0, 1, 7):
        x = tf.constant(np.array([0.5, -1.25], dtype))
        count, y = f(tf.constant(n), x)
        eager_count, eager_y = doublings(tf.constant(n), x)
        assert count.numpy() == eager_count.numpy() == n
        assert y.dtype == eager_y.dtype and y.numpy().dtype == dtype
        np.testing.assert_array_equal(y.numpy(), eager_y.numpy())
    assert f.experimental_get_tracing_count() == 1  # every count from the one trace
    assert "while_loop" in loop_prims(f, tf.constant(3), tf.constant(np.ones(2, dtype)))


def test_interpreter_and_compiled_agree_on_a_loop_reading_outer_values():
    def fn(x, w):
        scale = tf.reduce_sum(w)  # computed outside, read inside: an operand of the loop

        def body(i, acc):
            return i + 1, acc * scale + tf.cast(i, tf.float32)

        return tf.while_loop(lambda i, acc: tf.reduce_max(acc) < 1e4, body,
                             [tf.constant(0), x], maximum_iterations=50)

    x, w = tf.constant([1.0, 2.0, 3.0]), tf.constant([0.75, 1.0])
    outs = [tf.function(fn, backend=b)(x, w) for b in ("interpreter", "numba")]
    eager = fn(x, w)
    for out in outs:
        assert out[0].numpy() == eager[0].numpy()
        np.testing.assert_allclose(out[1].numpy(), eager[1].numpy(), rtol=1e-6)


def test_python_in_the_body_runs_once_and_tf_print_on_every_iteration(capfd):
    seen = []

    @tf.function
    def count_to(n):
        seen.append("traced")

        def body(i):
            seen.append("body")
            tf.print("at", i)
            return (i + 1,)

        return tf.while_loop(lambda i: i < n, body, [tf.constant(0)])

    count_to(tf.constant(2))
    count_to(tf.constant(3))
    assert seen == ["traced", "body"]
    assert capfd.readouterr().err == "at 0\nat 1\nat 0\nat 1\nat 2\n"


def test_prints_around_the_loop_keep_program_order(capfd):
    @tf.function
    def f(n):
        tf.print("before")
        i = tf.while_loop(lambda i: i < n, lambda i: (tf.print("in", i), i + 1)[1:],
                          [tf.constant(0)])
        tf.print("after", i)

    f(tf.constant(2))
    f(tf.constant(1))
    assert capfd.readouterr().err == ("before\nin 0\nin 1\nafter [2]\n"
                                      "before\nin 0\nafter [1]\n")


def test_a_python_read_of_a_loop_value_falls_back_to_the_unrolled_path(quiet_retraces):
    @tf.function
    def f(n):
        def body(i):
            if i % 2 == 0:  # a Python read of a loop value: one guard per iteration
                return (i + 1,)
            return (i + 1,)

        return tf.while_loop(lambda i: i < n, body, [tf.constant(0)])[0]

    assert f(tf.constant(3)).numpy() == 3
    assert "while_loop" not in loop_prims(f, tf.constant(3))
    assert f(tf.constant(4)).numpy() == 4  # a new count: traced again, still right


def test_an_assignment_in_the_body_falls_back_and_commits_as_before():
    v = tf.Variable(0.0)

    @tf.function
    def f(n):
        def body(i):
            v.assign_add(1.5)
            return (i + 1,)

        return tf.while_loop(lambda i: i < n, body, [tf.constant(0)])[0]

    assert f(tf.constant(2)).numpy() == 2 and v.numpy() == 3.0
    assert f(tf.constant(2)).numpy() == 2 and v.numpy() == 6.0
    assert "while_loop" not in loop_prims(f, tf.constant(2))


def test_variables_read_in_the_body_are_operands_with_their_current_value():
    v = tf.Variable(2.0)

    @tf.function
    def f(x):
        return tf.while_loop(lambda y: y < 100.0, lambda y: (y * v,), [x])[0]

    assert f(tf.constant(3.0)).numpy() == 192.0
    v.assign(3.0)
    assert f(tf.constant(3.0)).numpy() == 243.0
    assert f.experimental_get_tracing_count() == 1


def test_a_gradient_through_the_loop_takes_the_unrolled_path(quiet_retraces):
    @tf.function
    def grad(x, n):
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * x),
                                 [tf.constant(0), tf.constant(1.0)])
        return tape.gradient(y, x)

    assert grad(tf.constant(2.0), tf.constant(3)).numpy() == pytest.approx(12.0)
    assert grad(tf.constant(2.0), tf.constant(4)).numpy() == pytest.approx(32.0)


def test_a_tape_entirely_inside_the_body_works():
    @tf.function
    def f(n, x):
        def body(i, acc):
            with tf.GradientTape() as tape:
                tape.watch(acc)
                y = acc * acc
            return i + 1, acc + 0.1 * tape.gradient(y, acc)

        return tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), x])[1]

    expected = 1.0
    for _ in range(3):
        expected += 0.2 * expected
    assert f(tf.constant(3), tf.constant(1.0)).numpy() == pytest.approx(expected)
    assert "while_loop" in loop_prims(f, tf.constant(3), tf.constant(1.0))


def test_a_loop_variable_that_changes_dtype_is_tensorflows_error():
    @tf.function
    def f(n):
        return tf.while_loop(lambda i: i < n, lambda i: (tf.cast(i, tf.float32),),
                             [tf.constant(0)])

    with pytest.raises(TypeError, match="'loop_vars\\[0\\]' has dtype int32 before the loop, "
                                        "but dtype float32 after one iteration"):
        f(tf.constant(3))


def test_a_condition_that_is_a_python_bool_stays_a_python_loop():
    @tf.function
    def f(x):
        return tf.while_loop(lambda y: True, lambda y: (y + 1.0,), [x],
                             maximum_iterations=3)[0]

    assert f(tf.constant(1.0)).numpy() == 4.0
    assert "while_loop" not in loop_prims(f, tf.constant(1.0))


def test_python_number_loop_variables_become_tensors_as_in_tensorflow():
    @tf.function
    def f(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y + 1.0), [0, x])

    i, y = f(tf.constant(1.0))
    assert y.numpy() == 4.0 and i.numpy() == 3 and i.dtype == tf.int32


def test_saved_model_refuses_a_graph_loop_by_name(tmp_path):
    module = tf.Module()
    module.f = tf.function(doublings)
    module.f(tf.constant(2), tf.constant(1.0))
    with pytest.raises(SavedModelError, match="holds a graph loop \\(while_loop"):
        tf.saved_model.save(module, str(tmp_path / "m"))


def test_maximum_iterations_bounds_the_graph_loop(backend):
    @tf.function(backend=backend)
    def f(x):
        return tf.while_loop(lambda y: y > 0.0, lambda y: (y + 1.0,), [x],
                             maximum_iterations=5)[0]

    assert f(tf.constant(1.0)).numpy() == 6.0
    assert f(tf.constant(-1.0)).numpy() == -1.0
    assert f.experimental_get_tracing_count() == 1


def test_an_outer_tape_differentiates_a_call_of_a_function_holding_a_graph_loop(backend, capfd):
    @tf.function(backend=backend)
    def power(x, n):
        return tf.while_loop(lambda i, y: i < n,
                             lambda i, y: (tf.print("it", i), (i + 1, y * x))[1],
                             [tf.constant(0), tf.constant(1.0)])[1]

    x = tf.constant(1.5)
    power(x, tf.constant(2))  # traced without a tape: a graph loop
    for n in (1, 3, 4):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = power(x, tf.constant(n))
        assert tape.gradient(y, x).numpy() == pytest.approx(n * 1.5 ** (n - 1))
    assert power.experimental_get_tracing_count() == 1
    # The gradient reruns the iterations without printing them again.
    assert capfd.readouterr().err.count("it 0") == 4


def test_a_condition_that_is_a_loop_variable_itself(backend):
    # (Compiled, the body and the condition usually run as one call per iteration; here
    # the condition is a carried value and the loop calls the body alone.)
    @tf.function(backend=backend)
    def count_up(x):
        return tf.while_loop(lambda go, y: go, lambda go, y: (y + 1.0 < 10.0, y + 1.0),
                             [tf.constant(True), x])[1]

    assert count_up(tf.constant(0.0)).numpy() == 10.0
    assert count_up(tf.constant(20.0)).numpy() == 21.0
    assert count_up.experimental_get_tracing_count() == 1
