"""tf.debugging.check_numerics and enable_check_numerics: the first op that produced a nan or
an inf is reported with the user's line, eagerly, traced (interpreter) and compiled."""

import inspect

import numpy as np
import pytest

import tapeflow as tf

HERE = "test_debugging.py"


def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


def log_checked(x):
    return tf.debugging.check_numerics(tf.math.log(x), "log of x") * 2.0


def first_bad_op(x):
    y = tf.exp(x) + 1.0
    z = tf.sqrt(x - 2.0)  # nan for x < 2: the first op that goes bad
    return tf.math.log(z - 5.0) + y  # nan too, but later


@pytest.fixture
def checking():
    tf.debugging.enable_check_numerics()
    yield
    tf.debugging.disable_check_numerics()


def test_check_numerics_passes_finite_values_and_gradients():
    x = tf.constant([1.0, 2.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log_checked(x)
    np.testing.assert_allclose(y.numpy(), 2 * np.log([1.0, 2.0, 4.0]), rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 1.0, 0.5], rtol=1e-6)


@pytest.mark.parametrize("value, kind", [(-1.0, "NaN"), (0.0, "Infinity")])
def test_check_numerics_raises_eagerly_with_message_kind_position_and_line(value, kind):
    line = _line_of(log_checked, "check_numerics")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        log_checked(tf.constant([1.0, value]))
    text = str(info.value)
    assert "log of x" in text and f"Tensor had {kind} values" in text
    assert "[1]" in text and f"{HERE}:{line}" in text


def test_check_numerics_refuses_integers():
    with pytest.raises(TypeError, match="check_numerics"):
        tf.debugging.check_numerics(tf.constant([1, 2]), "ints")


def test_check_numerics_in_a_function(backend):
    f = tf.function(log_checked, backend=backend)
    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])).numpy(), [0.0, 2 * np.log(2.0)],
                               rtol=1e-6)
    line = _line_of(log_checked, "check_numerics")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=rf"log of x \[at {HERE}:{line}\] : Tensor had NaN values"):
        f(tf.constant([1.0, -2.0]))
    np.testing.assert_allclose(f(tf.constant([3.0, 2.0])).numpy(), 2 * np.log([3.0, 2.0]),
                               rtol=1e-6)  # the failed call changed nothing


def test_enable_check_numerics_names_the_first_bad_op_eagerly(checking):
    line = _line_of(first_bad_op, "tf.sqrt")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=rf"op 'sqrt' \[at {HERE}:{line}\] : Tensor had NaN"):
        first_bad_op(tf.constant([3.0, 1.0]))


def test_enable_check_numerics_names_the_first_bad_op_compiled(checking, backend):
    f = tf.function(first_bad_op, backend=backend)
    np.testing.assert_allclose(f(tf.constant([30.0])).numpy(),
                               np.log(np.sqrt(28.0) - 5.0) + np.exp(30.0) + 1, rtol=1e-5)
    line = _line_of(first_bad_op, "tf.sqrt")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=rf"op 'sqrt' \[at {HERE}:{line}\] : Tensor had NaN"):
        f(tf.constant([1.0]))


def test_disable_check_numerics_stops_checking(checking):
    tf.debugging.disable_check_numerics()
    assert np.isnan(tf.sqrt(tf.constant(-1.0)).numpy())
    tf.debugging.enable_check_numerics()
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.sqrt(tf.constant(-1.0))
