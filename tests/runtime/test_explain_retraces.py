"""Function.explain_retraces(): every trace with the argument or guard that caused it."""

import inspect
import warnings

import numpy as np

import tapeflow as tf


def line_of(fn, marker: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, text in enumerate(lines) if f"# {marker}" in text)


def calls(fn, *argument_lists):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        for args in argument_lists:
            fn(*args)


def test_before_any_trace():
    f = tf.function(lambda x: x + 1.0)
    assert "has not been traced yet" in f.explain_retraces()


def test_shape_dtype_and_python_value_changes_name_the_argument():
    @tf.function
    def f(x, scale):
        return x * scale

    calls(f, (np.ones(3, np.float32), 2.0), (np.ones(3, np.float32), 2.0),
          (np.ones(4, np.float32), 2.0), (np.ones(4, np.float64), 2.0),
          (np.ones(4, np.float64), 3.0))
    report = f.explain_retraces().splitlines()
    assert report[0] == "tapeflow.function 'f': 4 trace(s)"
    assert report[1].startswith("  1. first call  [x: f32[3]; scale:")
    assert "2. x: f32[3] -> f32[4]" in report[2]
    assert "3. x: f32[4] -> f64[4]" in report[3]
    assert "4. scale: 2.0 (float) -> 3.0 (float)" in report[4]


def test_a_guard_that_changed_is_named_with_its_line_old_and_new():
    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:  # GUARD
            return x * 2.0
        return -x

    calls(f, (np.ones(3, np.float32),), (-np.ones(3, np.float32),))
    report = f.explain_retraces()
    line = line_of(f.python_function, "GUARD")
    assert (f"2. a guard failed: bool() of a traced value at test_explain_retraces.py:{line}: "
            "True -> False") in report


def test_a_loop_that_ran_another_number_of_times():
    # A Python loop (autograph=False: AutoGraph would make it one graph loop, traced once).
    @tf.function(autograph=False)
    def halve(x):
        while tf.reduce_max(x) > 1.0:  # LOOP
            x = x * 0.5
        return x

    calls(halve, (np.full(2, 1.5, np.float32),), (np.full(2, 3.5, np.float32),))
    report = halve.explain_retraces()
    line = line_of(halve.python_function, "LOOP")
    assert f"test_explain_retraces.py:{line} (read 2): False -> True" in report
