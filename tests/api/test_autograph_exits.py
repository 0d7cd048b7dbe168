"""`break` and `continue` in a converted loop (tapeflow/api/autograph_exits.py): as
TensorFlow's AutoGraph, a loop on a traced count, tensor or test that breaks or continues is
still one graph loop, traced once (the exits become flags), with the values Python's loop
gives; a loop that is not a graph loop keeps its own `break`/`continue`."""

from __future__ import annotations

import ast
import textwrap

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.api.autograph_exits import exits_of, lower_exits


def prims(function, *args) -> list[str]:
    return [e.prim.name for e in function.get_concrete_function(*args).graph.eqns]


def lowered(source: str) -> str:
    body, _ = lower_exits(ast.parse(textwrap.dedent(source)).body, 1)
    return ast.unparse(ast.Module(body, type_ignores=[]))


def test_lowering_guards_the_rest_of_each_block_after_a_break():
    assert lowered("""
        a = 1
        if a > 2:
            b = 3
            break
            c = 4
        elif a < 0:
            if a < -5:
                continue
            d = 5
        e = 6
    """) == textwrap.dedent("""\
        ag__continue_1 = False
        a = 1
        if a > 2:
            b = 3
            ag__break_1 = True
        elif a < 0:
            if a < -5:
                ag__continue_1 = True
            if ag__.not_(ag__continue_1):
                d = 5
        if ag__.not_(ag__continue_1):
            if ag__.not_(ag__break_1):
                e = 6""")


def test_the_exits_of_nested_loops_and_functions_are_theirs():
    body = ast.parse(textwrap.dedent("""
        for j in range(3):
            break
        while x:
            continue
        def f():
            for k in y:
                break
    """)).body
    assert exits_of(body) == (False, False)
    assert lowered("for j in range(3):\n    break\nx = 1") == "for j in range(3):\n    break\nx = 1"


def python_break_while(n, limit):
    i = 0
    while i < n:
        if i > limit:
            break
        i += 1
    return i


def test_a_while_that_breaks_is_one_graph_loop(backend):
    @tf.function(backend=backend)
    def f(n, limit):
        i = tf.constant(0)
        while i < n:
            if i > limit:
                break
            i += 1
        return i

    for n, limit in [(10, 3), (2, 3), (0, 3), (7, -1), (5, 4)]:
        got = f(tf.constant(n), tf.constant(limit)).numpy()
        assert got == python_break_while(n, limit), (n, limit)
    assert f.experimental_get_tracing_count() == 1
    assert prims(f, tf.constant(3), tf.constant(1)).count("while_loop") == 1


def test_a_range_loop_that_continues_traces_once(backend):
    @tf.function(backend=backend)
    def odd_sum(n):
        s = tf.constant(0)
        for i in tf.range(n):
            if i % 2 == 0:
                continue
            s += i
        return s

    assert [odd_sum(tf.constant(n)).numpy() for n in (0, 1, 5, 8)] == [0, 0, 4, 16]
    assert odd_sum.experimental_get_tracing_count() == 1


def test_break_and_continue_together_over_the_rows_of_a_tensor(backend):
    def scan(x):
        total = tf.constant(0.0)
        count = tf.constant(0)
        for v in x:
            if v < 0:
                continue
            if v > 100:
                break
            total += v
            count += 1
        return total, count

    def python(x):
        total, count = 0.0, 0
        for v in x:
            if v < 0:
                continue
            if v > 100:
                break
            total, count = total + v, count + 1
        return total, count

    f = tf.function(scan, backend=backend)
    for x in ([1.0, -2.0, 3.0, 200.0, 5.0], [-1.0, -1.0, 4.0, 1.0, 2.0],
              [500.0, 1.0, 1.0, 1.0, 1.0]):
        total, count = f(tf.constant(x))
        assert (total.numpy(), count.numpy()) == python(x), x
    assert f.experimental_get_tracing_count() == 1
    assert "while_loop" in prims(f, tf.constant([1.0, 2.0, 3.0, 4.0, 5.0]))


def test_the_iterate_keeps_its_value_at_the_break(backend):
    @tf.function(backend=backend)
    def first_at_least(xs, bound, n):
        index = tf.constant(-1)
        for i in tf.range(n):
            if xs[i] >= bound:
                index = i
                break
        return index, i

    xs, n = tf.constant([1.0, 5.0, 2.0, 9.0]), tf.constant(4)
    assert [v.numpy() for v in first_at_least(xs, tf.constant(4.0), n)] == [1, 1]
    assert [v.numpy() for v in first_at_least(xs, tf.constant(9.0), n)] == [3, 3]
    assert [v.numpy() for v in first_at_least(xs, tf.constant(99.0), n)] == [-1, 3]
    assert first_at_least.experimental_get_tracing_count() == 1


def test_an_inner_break_leaves_only_the_inner_loop(backend):
    @tf.function(backend=backend)
    def f(n):
        s = tf.constant(0)
        for i in tf.range(n):
            for j in tf.range(n):
                if j > i:
                    break
                s += 1
        return s

    # Each outer i counts j = 0..i: n (n + 1) / 2.
    assert [f(tf.constant(n)).numpy() for n in (0, 1, 4, 6)] == [0, 1, 10, 21]
    assert f.experimental_get_tracing_count() == 1


def test_a_python_loop_keeps_its_own_break_and_continue():
    @tf.function
    def f(x):
        for k in range(10):
            if k == 1:
                continue
            if k == 4:
                break
            x = x + k
        return x, k

    x, k = f(tf.constant(1.0))
    assert (x.numpy(), k) == (1.0 + 0 + 2 + 3, 4)


def test_a_gradient_through_a_loop_that_breaks_matches_eager(quiet_retraces):
    # A tape around the loop keeps the guarded Python loop (graph_loops.py); same values.
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in tf.range(10):
                if y > 50.0:
                    break
                y = y * x
        return y, tape.gradient(y, x)

    traced = tf.function(f)
    for x0 in (1.5, 3.0, 8.0):
        want = f(tf.constant(x0))
        got = traced(tf.constant(x0))
        np.testing.assert_allclose([g.numpy() for g in got], [w.numpy() for w in want],
                                   rtol=1e-6)


@pytest.mark.parametrize("n", [0, 3])
def test_the_loop_runs_eagerly_as_python_does(n):
    # Outside a trace the converted function is never made; the loop is Python's.
    total = 0
    for i in tf.range(n):
        if i == 1:
            continue
        total += int(i)
    assert total == sum(k for k in range(n) if k != 1)
