"""AutoGraph's loops in a tapeflow.function: `for v in tf.range(...)` over a traced bound and
`while <traced test>:` become one graph loop traced once; a tensor `if` in such a loop's body
becomes one `cond` with both branches traced once. Everything else runs as Python."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf


def prims(function, *args) -> list[str]:
    return [e.prim.name for e in function.get_concrete_function(*args).graph.eqns]


def test_a_sum_over_a_traced_range_traces_once(backend):
    @tf.function(backend=backend)
    def squares(n):
        acc = tf.constant(0)
        for k in tf.range(n):
            acc += k * k
        return acc

    assert [squares(tf.constant(n)).numpy() for n in (0, 1, 4, 9)] == [0, 0, 14, 204]
    assert squares.experimental_get_tracing_count() == 1
    assert "while_loop" in prims(squares, tf.constant(3))


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_range_with_start_and_negative_step_matches_eager(backend, dtype):
    def countdown(hi, x):
        for k in tf.range(hi, 0, -2):
            x = x * 0.5 + tf.cast(k, x.dtype)
        return x

    f = tf.function(countdown, backend=backend)
    for hi in (0, 1, 6, 7):
        x = tf.constant([1.0, -2.0], dtype=dtype)
        got, want = f(tf.constant(hi), x), countdown(tf.constant(hi), x)
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1


def test_a_while_on_a_tensor_with_an_if_inside(backend):
    @tf.function(backend=backend)
    def hailstone(x):
        steps = 0
        while x > 1:
            if x % 2 == 0:
                x = x // 2
            else:
                x = 3 * x + 1
            steps += 1
        return steps, x

    for start, expected in ((1, 0), (6, 8), (27, 111)):
        steps, last = hailstone(tf.constant(start))
        assert (steps.numpy(), last.numpy()) == (expected, 1)
    assert hailstone.experimental_get_tracing_count() == 1
    graph = hailstone.get_concrete_function(tf.constant(5)).graph
    (loop,) = [e for e in graph.eqns if e.prim.name == "while_loop"]
    body = loop.params_dict["body_graph"]
    assert [e.prim.name for e in body.eqns].count("cond") == 1


def test_a_known_count_unrolls_unless_the_body_branches(backend):
    """tf.range(6) with a tensor `if` in the body: one graph loop, traced once (unrolled,
    each iteration's `if` was a guard: a new trace per sign pattern, eager after 8). A
    body that cannot branch still unrolls (straight-line code, fused)."""
    @tf.function(backend=backend)
    def positive_sum(x):
        s = tf.constant(0.0)
        for i in tf.range(6):
            if x[i] > 0:
                s += x[i]
        return s

    @tf.function(backend=backend)
    def scaled(x):
        for _ in tf.range(3):
            x = x * 2.0
        return x

    rng = np.random.default_rng(7)
    for _ in range(12):
        x = rng.standard_normal(6).astype(np.float32)
        np.testing.assert_allclose(positive_sum(tf.constant(x)).numpy(), x[x > 0].sum(),
                                   rtol=1e-6)
    assert positive_sum.experimental_get_tracing_count() == 1
    assert "while_loop" in prims(positive_sum, tf.constant(x))
    assert scaled(tf.constant(1.0)).numpy() == 8.0
    assert "while_loop" not in prims(scaled, tf.constant(1.0))


def test_a_known_count_whose_body_changes_a_loop_variable_type_still_unrolls():
    # An error on a traced count (int32 s, float32 x[i]: TF raises too); with a count known
    # when tracing the unrolled loop has always run it.
    @tf.function
    def f(x):
        s = 0
        for i in tf.range(3):
            if i > 0:
                s += x[i]
        return s

    assert f(tf.constant([1.0, 2.0, 3.0])).numpy() == 5.0

    @tf.function
    def g(x, n):
        s = 0
        for i in tf.range(n):
            if i > 0:
                s += x[i]
        return s

    with pytest.raises(TypeError, match="different dtypes"):
        g(tf.constant([1.0, 2.0, 3.0]), tf.constant(3))


def test_python_loops_stay_python():
    calls = []

    @tf.function
    def f(x):
        k = 0
        while k < 3:  # a Python test: a Python loop
            x = x + 1.0
            k += 1
        for j in range(2):  # Python's range: a Python loop
            calls.append(j)
            x = x * 2.0
        return x

    assert f(tf.constant(1.0)).numpy() == 16.0
    assert calls == [0, 1] and "while_loop" not in prims(f, tf.constant(1.0))


def test_the_body_python_runs_once_and_prints_run_per_iteration(capfd):
    lines = []

    @tf.function
    def steps(n):
        for k in tf.range(n):
            lines.append("body traced")
            tf.print("step", k)

    steps(tf.constant(2))
    steps(tf.constant(3))
    assert lines == ["body traced"]
    assert capfd.readouterr().err == "step 0\nstep 1\nstep 0\nstep 1\nstep 2\n"


def test_every_branch_of_a_tensor_if_chain_is_traced_once_in_order(capfd):
    traced = []

    @tf.function
    def classify(n):
        for k in tf.range(n):
            if k % 4 == 0:
                traced.append("four")
                tf.print("by four", k)
            elif k % 2 == 0:
                traced.append("two")
                tf.print("by two", k)
            else:
                traced.append("odd")

    classify(tf.constant(3))
    classify(tf.constant(5))
    assert traced == ["four", "two", "odd"]
    assert capfd.readouterr().err == ("by four 0\nby two 2\n"
                                      "by four 0\nby two 2\nby four 4\n")


def test_a_variable_first_assigned_in_the_loop_keeps_its_last_value():
    # As TensorFlow: it starts as zeros of the type the body gives it, and a loop that runs
    # no iteration cannot give it a value (TF's assertion, at run time).
    @tf.function
    def last(n):
        for k in tf.range(n):
            seen = k * 2
        return seen

    assert last(tf.constant(3)).numpy() == 4
    assert last(tf.constant(5)).numpy() == 8
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"loop must iterate at least once to initialize seen"):
        last(tf.constant(0))
    assert last.experimental_get_tracing_count() == 1


def test_temporaries_of_the_body_are_not_loop_variables():
    @tf.function
    def f(n):
        acc = tf.constant(0.0)
        for k in tf.range(n):
            half = tf.cast(k, tf.float32) / 2.0  # assigned, then read: a temporary
            acc += half
        return acc

    assert f(tf.constant(4)).numpy() == 3.0


def test_break_is_a_graph_loop_too():
    # (It fell back to the Python loop until break/continue became flags:
    # tests/api/test_autograph_exits.py.)
    @tf.function
    def first_sum(n):
        acc = tf.constant(0)
        for k in tf.range(n):
            if k > 3:
                break
            acc += k
        return acc

    assert first_sum(tf.constant(10)).numpy() == 6
    assert first_sum(tf.constant(2)).numpy() == 1
    assert first_sum.experimental_get_tracing_count() == 1
    assert "while_loop" in prims(first_sum, tf.constant(10))


def test_an_assignment_in_the_body_falls_back_and_commits():
    v = tf.Variable(0)

    @tf.function
    def bump(n):
        for k in tf.range(n):
            v.assign_add(k)

    bump(tf.constant(4))
    assert v.numpy() == 6
    bump(tf.constant(4))
    assert v.numpy() == 12


def test_nested_range_loops_are_nested_graph_loops(backend):
    @tf.function(backend=backend)
    def table(n, m):
        s = tf.constant(0.0)
        for i in tf.range(n):
            for j in tf.range(m):
                s += tf.cast(i * j, tf.float32)
        return s

    assert table(tf.constant(3), tf.constant(4)).numpy() == 18.0
    assert table(tf.constant(5), tf.constant(2)).numpy() == 10.0
    assert table.experimental_get_tracing_count() == 1


def test_branches_that_disagree_on_dtype_are_an_error():
    @tf.function
    def f(n):
        x = tf.constant(0)
        for k in tf.range(n):
            if k > 1:
                x = tf.constant(1.0)
            else:
                x = k
        return x

    with pytest.raises(TypeError, match="'x' has dtype float32 in the main branch, but dtype "
                                        "int32 in the else branch"):
        f(tf.constant(3))


def test_autograph_false_keeps_the_python_loop(quiet_retraces):
    @tf.function(autograph=False)
    def f(n):
        acc = tf.constant(0)
        for k in tf.range(n):
            acc += k
        return acc

    assert f(tf.constant(4)).numpy() == 6 and f(tf.constant(5)).numpy() == 10
    assert f.experimental_get_tracing_count() == 2


def test_a_closure_and_a_default_argument_survive_conversion():
    scale = tf.constant(3.0)

    @tf.function
    def f(n, offset=1.0):
        acc = tf.constant(0.0)
        for _ in tf.range(n):
            acc += scale + offset
        return acc

    assert f(tf.constant(2)).numpy() == 8.0


def test_a_tape_inside_a_converted_body_differentiates_each_iteration():
    @tf.function
    def descend(x, n):
        for _ in tf.range(n):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = (x - 3.0) ** 2
            x = x - 0.25 * tape.gradient(loss, x)
        return x

    expected = 0.0
    for _ in range(4):
        expected -= 0.25 * 2 * (expected - 3.0)
    assert descend(tf.constant(0.0), tf.constant(4)).numpy() == pytest.approx(expected)
    assert descend(tf.constant(0.0), tf.constant(1)).numpy() == pytest.approx(1.5)
    assert "while_loop" in prims(descend, tf.constant(0.0), tf.constant(2))


def test_the_iterate_keeps_its_last_value_after_the_loop():
    @tf.function
    def last_index(n):
        total = tf.constant(0)
        for k in tf.range(n):
            total += 1
        return k, total

    k, total = last_index(tf.constant(4))
    assert (k.numpy(), total.numpy()) == (3, 4)
    assert last_index(tf.constant(7))[0].numpy() == 6
    assert last_index.experimental_get_tracing_count() == 1


def test_a_while_may_first_assign_a_variable_the_code_after_it_reads():
    @tf.function
    def last_square(n):
        i = tf.constant(0)
        while i < n:
            square = i * i
            i += 1
        return square

    assert last_square(tf.constant(4)).numpy() == 9
    assert last_square(tf.constant(6)).numpy() == 25
    assert last_square.experimental_get_tracing_count() == 1
    with pytest.raises(tf.errors.InvalidArgumentError, match="initialize square"):
        last_square(tf.constant(0))


def test_methods_with_private_names_or_super_keep_working():
    class Base(tf.Module):
        def scale(self):
            return 2.0

    class Counter(Base):
        def __init__(self):
            super().__init__()
            self.__step = 3

        @tf.function
        def run(self, n):
            acc = tf.constant(0.0)
            for _ in tf.range(n):
                acc += self.__step * super().scale()
            return acc

    assert Counter().run(tf.constant(2)).numpy() == 12.0


def test_annotations_on_local_names_survive_conversion():
    class Local:
        pass

    @tf.function
    def f(n: tf.Tensor, tag: Local = None) -> tf.Tensor:
        acc = tf.constant(0)
        for k in tf.range(n):
            acc += k
        return acc

    assert f(tf.constant(4)).numpy() == 6
    assert f.experimental_get_tracing_count() == 1
