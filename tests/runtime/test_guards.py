"""Guards: Python reads of traced values pin a trace to one path; another path retraces.

Results always equal eager execution, a call's Variable updates happen exactly once (never
from a discarded run), and past `max_specializations` the function runs eagerly and says
which line keeps changing the path.
"""

import os
import warnings

import numpy as np
import pytest

import tapeflow as tf

THIS_FILE = os.path.basename(__file__)


def seed001_f(a):
    b = a * 2
    while tf.norm(b) < 1000:
        b = b * 2
    if tf.reduce_sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


def _trip_count_and_sign(a):
    b = np.float32(a) * 2
    n = 0
    while abs(b) < 1000:
        b *= 2
        n += 1
    return n, b > 0


@pytest.fixture
def quiet_retraces():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        yield


# values with different trip counts and both branches, with repeats of earlier paths
SEED001_VALUES = [1.0, 2.0, 1.0, -1.0, 1.5, 300.0, -3.0, 2.0, 0.9, -1.0, 1200.0, 3.0, -0.5]


def test_seed001_control_flow_equals_eager_and_traces_once_per_path(quiet_retraces):
    # Python control flow as written (autograph=False): one guarded path per outcome.
    f = tf.function(seed001_f, autograph=False)
    paths_seen = set()
    for value in SEED001_VALUES:
        paths_seen.add(_trip_count_and_sign(value))
        got = f(tf.constant(value))
        expected = seed001_f(tf.constant(value))
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
        assert got.dtype == expected.dtype
        assert f.experimental_get_tracing_count() == len(paths_seen), value
    assert len(paths_seen) >= 5  # the sequence really does take several paths


def test_seed001_with_autograph_traces_the_loop_once_and_guards_the_if(quiet_retraces):
    # AutoGraph makes the `while` one graph loop (any trip count); the `if` after it stays a
    # guard: one path per sign.
    f = tf.function(seed001_f)
    signs_seen = set()
    for value in SEED001_VALUES:
        signs_seen.add(_trip_count_and_sign(value)[1])
        np.testing.assert_array_equal(f(tf.constant(value)).numpy(),
                                      seed001_f(tf.constant(value)).numpy())
        assert f.experimental_get_tracing_count() == len(signs_seen), value


def test_seed001_repeats_of_a_path_do_not_trace():
    f = tf.function(seed001_f)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)  # no retrace may happen
        for value in [1.0, 1.01, 1.5, 1.9, 1.0]:  # all: 9 doublings, positive
            np.testing.assert_array_equal(f(tf.constant(value)).numpy(),
                                          seed001_f(tf.constant(value)).numpy())
    assert f.experimental_get_tracing_count() == 1


def test_seed001_with_a_variable_argument_and_gradients(quiet_retraces):
    """The notebook's own form: `a` is a Variable and the gradient is taken outside."""
    f = tf.function(seed001_f)
    a = tf.Variable(0.0)
    for value in [1.0, 2.0, 1.0, -1.0, 0.7]:
        a.assign(value)
        with tf.GradientTape() as tape:
            d = f(a)
        d_grad = tape.gradient(d, a)
        with tf.GradientTape() as tape:
            e = seed001_f(a)
        e_grad = tape.gradient(e, a)
        np.testing.assert_array_equal(d.numpy(), e.numpy())
        np.testing.assert_array_equal(d_grad.numpy(), e_grad.numpy())
        np.testing.assert_allclose(d_grad.numpy(), (d / a).numpy(), rtol=1e-6)


def test_seed001_gradient_inside_the_function(quiet_retraces):
    @tf.function
    def grad_f(a):
        with tf.GradientTape() as t:
            t.watch(a)
            d = seed001_f(a)
        return d, t.gradient(d, a)

    for value in [1.0, -1.0, 2.0, 1.0]:
        d, g = grad_f(tf.constant(value))
        n, positive = _trip_count_and_sign(value)
        expected_grad = 2.0 ** (n + 1) * (1 if positive else 100)
        assert float(g) == expected_grad
        np.testing.assert_array_equal(d.numpy(), seed001_f(tf.constant(value)).numpy())
    assert grad_f.experimental_get_tracing_count() == 3


# ------------------------------------------------------------------ variables and guards


def _counting_branch():
    counter = tf.Variable(0.0, trainable=False)
    total = tf.Variable(0.0)

    @tf.function
    def f(x):
        counter.assign_add(1.0)
        if tf.reduce_sum(x) > 0:
            total.assign_add(x)
            return x * 2
        total.assign_sub(x)
        return x * -3

    return f, counter, total


def test_assign_add_happens_exactly_once_per_call_across_guard_failures(quiet_retraces):
    f, counter, total = _counting_branch()
    expected_total = 0.0
    values = [1.0, -1.0, 2.0, -2.0, 3.0, -4.0, 5.0]
    for i, value in enumerate(values, start=1):
        out = f(tf.constant(value))
        expected_total += abs(value)
        assert float(out) == (value * 2 if value > 0 else value * -3)
        assert float(counter) == i  # never twice (discarded run + retrace), never zero
        assert float(total) == expected_total
    assert f.experimental_get_tracing_count() == 2


def test_guard_failure_commits_nothing_from_the_discarded_run(quiet_retraces):
    v = tf.Variable(10.0)

    @tf.function
    def f(x):
        v.assign(x * 100.0)  # the discarded run computes this for the new x too
        if x > 0:
            return v + 1.0
        raise ValueError("negative input")

    assert float(f(tf.constant(1.0))) == 101.0
    assert float(v) == 100.0
    # the cached path runs, its guard fails, and the retrace raises: v keeps its value
    with pytest.raises(ValueError, match="negative input"):
        f(tf.constant(-2.0))
    assert float(v) == 100.0
    assert float(f(tf.constant(3.0))) == 301.0
    assert float(v) == 300.0


def test_loop_counter_assign_in_a_data_dependent_loop(quiet_retraces):
    steps = tf.Variable(0, dtype=tf.int32, trainable=False)

    def halve_until_small(x):
        while tf.reduce_max(tf.abs(x)) > 1.0:
            x = x / 2.0
            steps.assign_add(1)
        return x

    f = tf.function(halve_until_small)
    expected_steps = 0
    for value in [[3.0, 1.0], [0.5, 0.25], [3.5, 2.0], [9.0, -9.0], [3.0, 1.0]]:
        out = f(tf.constant(value))
        n = 0
        arr = np.array(value, np.float32)
        while np.abs(arr).max() > 1.0:
            arr = arr / np.float32(2.0)
            n += 1
        expected_steps += n
        np.testing.assert_array_equal(out.numpy(), arr)
        assert int(steps) == expected_steps


# ------------------------------------------------------------------ the specialization bound


def test_past_max_specializations_runs_eagerly_and_names_the_line():
    @tf.function(max_specializations=3)
    def f(x):
        n = int(x)  # GUARD-LINE
        s = x
        for _ in range(n):
            s = s * 2.0 + 1.0
        return s

    guard_line = next(i for i, line in enumerate(open(__file__), start=1)
                      if "# GUARD-LINE" in line and "next(" not in line)

    def eager(value):
        s = np.float32(value)
        for _ in range(int(value)):
            s = s * np.float32(2.0) + np.float32(1.0)
        return s

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        for value in [1.0, 2.0, 3.0]:
            assert float(f(tf.constant(value))) == eager(value)
    assert f.experimental_get_tracing_count() == 3

    with pytest.warns(tf.RetraceWarning) as record:
        assert float(f(tf.constant(4.0))) == eager(4.0)
    messages = [str(w.message) for w in record]
    assert any(f"{THIS_FILE}:{guard_line}" in m for m in messages), messages
    assert any("eager" in m for m in messages), messages
    assert f.experimental_get_tracing_count() == 3

    # from now on: correct eager results, no more traces, for new and old paths alike
    for value in [5.0, 7.0, 4.0, 1.0, 2.0]:
        assert float(f(tf.constant(value))) == eager(value)
    assert f.experimental_get_tracing_count() == 3


def test_eager_fallback_keeps_variable_semantics():
    counter = tf.Variable(0.0)

    @tf.function(max_specializations=2)
    def f(x):
        counter.assign_add(1.0)
        return x * float(int(x))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        for i, value in enumerate([1.0, 2.0, 3.0, 4.0, 3.0], start=1):
            assert float(f(tf.constant(value))) == value * value
            assert float(counter) == i


# ------------------------------------------------------------------ which reads guard


@pytest.mark.parametrize("read", ["float", "numpy", "bool", "int"])
def test_python_reads_create_guards(read, quiet_retraces):
    def f(x):
        if read == "float":
            positive = float(x) > 0
        elif read == "numpy":
            positive = x.numpy() > 0
        elif read == "bool":
            positive = bool(x > 0)
        else:
            positive = int(x) > 0
        return x + 1.0 if positive else x - 1.0

    traced = tf.function(f)
    assert float(traced(tf.constant(1.0))) == 2.0
    concrete = traced.get_concrete_function(tf.constant(1.0))
    assert len(concrete.guards) >= 1
    guard, _ = concrete.guards[0]
    assert guard.source is not None and os.path.basename(guard.source[0]) == THIS_FILE
    assert guard.kind == read
    # the other branch must not reuse the first path
    assert float(traced(tf.constant(-1.0))) == -2.0
    assert traced.experimental_get_tracing_count() == 2
    assert float(traced(tf.constant(1.0))) == 2.0
    assert float(traced(tf.constant(-1.0))) == -2.0
    assert traced.experimental_get_tracing_count() == 2


def test_values_read_only_inside_the_graph_need_no_guard():
    @tf.function
    def f(x):
        return tf.where(x > 0, x, -x)

    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        np.testing.assert_array_equal(f(tf.constant([1.0, -2.0])).numpy(), [1.0, 2.0])
        np.testing.assert_array_equal(f(tf.constant([-3.0, 4.0])).numpy(), [3.0, 4.0])
    assert f.get_concrete_function(tf.constant([1.0, 1.0])).guards == []


def test_guard_on_a_variable_read():
    threshold = tf.Variable(0.0, trainable=False)

    @tf.function
    def f(x):
        if threshold > 0.5:
            return x * 10.0
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        assert float(f(tf.constant(2.0))) == 2.0
        threshold.assign(1.0)
        assert float(f(tf.constant(2.0))) == 20.0
        threshold.assign(0.0)
        assert float(f(tf.constant(2.0))) == 2.0
    assert f.experimental_get_tracing_count() == 2


def test_numpy_value_read_inside_the_trace_is_the_callers_value(quiet_retraces):
    seen = []

    @tf.function
    def f(x):
        seen.append(x.numpy().copy())
        return x * 2.0

    f(tf.constant([1.0, 2.0]))
    f(tf.constant([1.0, 2.0]))  # same value: the guard holds, no Python runs
    f(tf.constant([3.0, 4.0]))  # the .numpy() guard fails: traced again with this value
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[1], [3.0, 4.0])


def test_int_guard_compares_only_the_integer_part():
    @tf.function
    def f(x):
        return x * float(int(x))

    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        for value in (1.2, 1.7, 1.0):
            np.testing.assert_allclose(float(f(tf.constant(value))), value, rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1


def test_int_guard_on_nan_raises_at_the_users_line(quiet_retraces):
    @tf.function
    def f(x):
        return x * float(int(x))

    f(tf.constant(1.5))
    with pytest.raises(ValueError, match="NaN"):
        f(tf.constant(float("nan")))
    with pytest.raises(OverflowError):
        f(tf.constant(float("inf")))


def test_guard_retrace_warning_names_the_line_and_never_suggests_shapes():
    @tf.function
    def f(x):
        return x * 2.0 if float(x) > 0 else x  # FLOAT-READ

    line = next(i for i, text in enumerate(open(__file__), start=1)
                if "# FLOAT-READ" in text and "next(" not in text)
    f(tf.constant(1.0))
    with pytest.warns(tf.RetraceWarning) as record:
        for value in (2.0, 3.0, 4.0, 5.0, 6.0):
            f(tf.constant(value))
    messages = [str(w.message) for w in record]
    assert all(f"float() of a traced value at {THIS_FILE}:{line}" in m for m in messages)
    assert all("None dimensions" not in m for m in messages), messages
    assert any("traced 5 times" in m for m in messages), messages
