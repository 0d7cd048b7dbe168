"""tapeflow.explain_gradient: each reason a gradient is None, named with the user's line."""

import inspect

import numpy as np
import pytest

import tapeflow as tf


def line_of(marker: str) -> int:
    lines, start = inspect.getsourcelines(inspect.currentframe().f_back.f_code)
    return start + next(i for i, text in enumerate(lines) if f"# {marker}" in text)


def test_a_tensor_never_watched():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * x)
    assert tape.gradient(y, x) is None
    why = tf.explain_gradient(tape, y, x)
    assert "never watched" in why and "tape.watch(x)" in why


def test_a_variable_not_trainable_or_not_accessed():
    v = tf.Variable([1.0, 2.0], trainable=False, name="frozen")
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v)
    assert tape.gradient(y, v) is None
    assert "trainable=False" in tf.explain_gradient(tape, y, v)
    w = tf.Variable([1.0], name="w")
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = tf.reduce_sum(w * 2.0)
    assert "watch_accessed_variables=False" in tf.explain_gradient(tape, y, w)


def test_an_integer_source():
    x = tf.constant([1, 2])
    with tf.GradientTape() as tape:
        with pytest.warns(UserWarning):
            tape.watch(x)
        y = tf.reduce_sum(x * x)
    assert "integer dtype int32" in tf.explain_gradient(tape, y, x)


def test_stop_gradient_at_its_line():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = tf.stop_gradient(x * 2.0)  # CUT
        z = y * y
    assert tape.gradient(z, x) is None
    why = tf.explain_gradient(tape, z, x)
    assert "cut by tf.stop_gradient" in why
    assert f"test_explain_gradient.py:{line_of('CUT')}" in why


def test_an_integer_cast_cuts_the_path():
    x = tf.Variable(3.5)
    with tf.GradientTape() as tape:
        n = tf.cast(x, tf.int32)  # CAST
        y = tf.cast(n, tf.float32) * 2.0
    assert tape.gradient(y, x) is None
    why = tf.explain_gradient(tape, y, x)
    assert "int32 value" in why and f":{line_of('CAST')}" in why


def test_stop_recording_at_its_line():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        with tape.stop_recording():  # PAUSED
            y = x * x
    assert tape.gradient(y, x) is None
    why = tf.explain_gradient(tape, y, x)
    assert "stop_recording" in why and f":{line_of('PAUSED')}" in why


def test_a_value_that_left_through_numpy():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = x * 3.0
        back = np.exp(y.numpy())  # LEFT
        tf.reduce_sum(tf.constant(back) * y)  # y itself stays on the tape
        w = tf.reduce_sum(tf.constant(back))
    grads = tape.gradient(w, x)
    assert grads is None
    why = tf.explain_gradient(tape, w, x)
    assert "left the tape" in why and ".numpy()" in why and f":{line_of('LEFT')}" in why
    assert "mul" in why  # whose value it was


def test_no_path_at_all():
    x = tf.Variable(1.0)
    u = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        x * 2.0
        z = u * 3.0
    assert tape.gradient(z, x) is None
    assert tf.explain_gradient(tape, z, x).startswith("no path")


def test_a_connected_gradient_is_said_to_be_connected():
    x = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.nn.relu(x * -1.0)
    assert tape.gradient(y, x) is not None
    assert "depends on" in tf.explain_gradient(tape, y, x)
