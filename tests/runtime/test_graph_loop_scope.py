"""Values a graph loop's body makes exist only inside it (TensorFlow's rule). The body is
traced once, so a value it leaks through a list, a nonlocal or an attribute holds only the
traced iteration's value: used after the loop, it raises (as TF's InaccessibleTensorError)
instead of silently standing for every iteration."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.sub_trace import InaccessibleTensorError


def test_a_list_appended_to_in_a_converted_loop_cannot_be_read_after_it():
    @tf.function
    def doubles(n):
        out = []
        for i in tf.range(n):
            out.append(i * 2)
        return tf.stack(out)

    # Eagerly the list has every iteration's value; traced it would hold only the one
    # traced iteration's (it gave [0] for n = 3 before).
    np.testing.assert_array_equal(doubles.python_function(tf.constant(3)).numpy(), [0, 2, 4])
    with pytest.raises(InaccessibleTensorError, match=r"body of the loop at .*test_graph_loop"
                                                      r"_scope.py:\d+.*out of scope"):
        doubles(tf.constant(3))
    assert issubclass(InaccessibleTensorError, ValueError)  # as TF's


def test_a_value_leaked_from_a_while_loop_body_is_refused_as_a_result_and_when_read():
    leaked = []

    def body(i, x):
        y = x * 2.0
        leaked.append(y)
        return i + 1, y

    def loop(n, x):
        return tf.while_loop(lambda i, x: i < n, body, [tf.constant(0), x])

    @tf.function
    def returns_it(n, x):
        loop(n, x)
        return leaked[-1]

    @tf.function
    def reads_it(n, x):
        loop(n, x)
        return x * float(leaked[-1].numpy()[0])

    for fn in (returns_it, reads_it):
        leaked.clear()
        with pytest.raises(InaccessibleTensorError, match="out of scope"):
            fn(tf.constant(3), tf.constant([1.0, 2.0]))


def test_a_failed_trace_leaves_variables_as_they_were_and_loop_results_still_work():
    v = tf.Variable(1.0)

    @tf.function
    def step(n):
        v.assign(5.0)
        seen = []
        total = tf.constant(0.0)
        for i in tf.range(n):
            seen.append(total)
            total += tf.cast(i, tf.float32)
        return total + seen[0]

    with pytest.raises(InaccessibleTensorError):
        step(tf.constant(4))
    assert v.numpy() == 1.0

    @tf.function
    def fine(n):  # the loop's own results (loop variables) are the way out
        total = tf.constant(0.0)
        for i in tf.range(n):
            total += tf.cast(i, tf.float32)
        return total

    assert fine(tf.constant(4)).numpy() == 6.0
    assert fine(tf.constant(5)).numpy() == 10.0
    assert fine.experimental_get_tracing_count() == 1


def test_a_value_leaked_from_a_graph_branch_is_refused_in_the_body_after_the_if():
    @tf.function
    def f(n):
        kept = []
        acc = tf.constant(0)
        for i in tf.range(n):
            if i % 2 == 0:
                kept.append(i * 3)
                acc += i
            else:
                acc -= 1
            acc += kept[0] if kept else 0
        return acc

    with pytest.raises(InaccessibleTensorError, match="branch of the if at .*out of scope"):
        f(tf.constant(4))
