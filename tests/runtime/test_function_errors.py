"""Errors from `@tf.function`: clear messages, and a failed call changes nothing."""

import re
import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.trace import VariableCreatedError


@pytest.fixture
def quiet_retraces():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        yield


def _signed():
    @tf.function(input_signature=[tf.TensorSpec([2, 3], tf.float32)])
    def f(x):
        return tf.reduce_sum(x)

    return f


# ------------------------------------------------------------------ input_signature


def test_input_signature_wrong_rank():
    f = _signed()
    with pytest.raises((TypeError, ValueError)) as info:
        f(tf.constant(np.ones((2, 3, 1), np.float32)))
    message = str(info.value)
    assert "x" in message.split(":")[0]  # names the argument first
    assert "f32[2,3]" in message  # expected
    assert "[2, 3, 1]" in message  # given
    assert f.experimental_get_tracing_count() == 0


def test_input_signature_wrong_shape_same_rank():
    f = _signed()
    with pytest.raises((TypeError, ValueError), match=r"argument x.*f32\[2,3\].*\[2, 4\]"):
        f(np.ones((2, 4), np.float32))


def test_input_signature_wrong_dtype():
    f = _signed()
    with pytest.raises((TypeError, ValueError)) as info:
        f(tf.constant(np.ones((2, 3), np.float64)))
    message = str(info.value)
    assert "argument x" in message
    assert "float32" in message and "float64" in message


def test_input_signature_too_many_arguments():
    f = _signed()
    x = tf.constant(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError) as info:
        f(x, x)
    message = str(info.value)
    assert "f(x)" in message  # what it takes
    assert "f32[2,3]" in message
    assert "2 positional" in message  # what it was given


def test_input_signature_missing_argument():
    @tf.function(input_signature=[tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32)])
    def f(x, y):
        return x + y

    with pytest.raises(TypeError, match=r"missing a required argument: 'y'"):
        f(tf.constant(1.0))


def test_input_signature_wrong_structure():
    f = _signed()
    x = tf.constant(np.ones((2, 3), np.float32))
    # As in TF, a list for a TensorSpec is converted (stacked) first; its shape is wrong:
    # TF's TypeError (its binding of the call to the signature fails).
    with pytest.raises(TypeError) as info:
        f([x, x])
    message = str(info.value)
    assert "argument x" in message and "f32[2,3]" in message and "[2, 2, 3]" in message
    with pytest.raises(TypeError) as info:
        f(x, x)  # one argument too many
    assert "f32[2,3]" in str(info.value)


def test_input_signature_non_tensor_argument():
    f = _signed()
    with pytest.raises(TypeError, match=r"argument x: expected a tensor f32\[2,3\], got str"):
        f("not a tensor")


def test_input_signature_accepts_matching_calls():
    f = _signed()
    assert float(f(np.ones((2, 3), np.float32))) == 6.0
    assert float(f(tf.constant(np.full((2, 3), 2.0, np.float32)))) == 12.0
    assert f.experimental_get_tracing_count() == 1


def test_unknown_decorator_option():
    with pytest.raises(TypeError, match="not_an_option"):
        tf.function(lambda x: x, not_an_option=True)


def test_wrong_call_without_input_signature_names_the_function():
    @tf.function
    def add(x, y):
        return x + y

    with pytest.raises(TypeError, match=r"add\(\).*missing a required argument: 'y'"):
        add(tf.constant(1.0))


# ------------------------------------------------------------------ variables created inside


def test_variable_created_on_every_call_raises_on_the_first_call(quiet_retraces):
    # TF's rule: the first call traces twice when the function creates variables; the
    # second trace must create none, so creating one unconditionally fails at once.
    made = []

    @tf.function
    def f(x):
        v = tf.Variable(2.0, name="inside")
        made.append(v)
        return v * x

    with pytest.raises(ValueError) as info:
        f(tf.constant(3.0))
    assert isinstance(info.value, VariableCreatedError)
    message = str(info.value)
    assert "inside" in message and "first call" in message
    assert len(made) == 1  # the second trace stopped at the creation
    assert f.experimental_get_tracing_count() == 0  # the failed trace left nothing behind


def test_variable_created_in_first_trace_only_later_trace_creating_raises(quiet_retraces):
    made = []

    @tf.function
    def f(x):
        if not made or x.shape.rank == 1:
            made.append(tf.Variable(2.0, name="inside"))
        return made[-1] * x

    assert float(f(tf.constant(3.0))) == 6.0
    assert float(f(tf.constant(4.0))) == 8.0  # cached: no new variable
    assert len(made) == 1
    with pytest.raises(ValueError) as info:
        f(tf.constant([1.0, 2.0]))  # a new signature: a later trace creating a Variable
    assert isinstance(info.value, VariableCreatedError)
    assert f.experimental_get_tracing_count() == 1
    assert float(f(tf.constant(5.0))) == 10.0


def test_variable_created_once_and_reused_like_keras():
    class Lazy(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(tf.ones_like(x))
            return self.v * x

    m = Lazy()
    np.testing.assert_array_equal(m(tf.constant([2.0, 3.0])).numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(m(tf.constant([4.0, 5.0])).numpy(), [4.0, 5.0])


# ------------------------------------------------------------------ exceptions in the body


class Boom(Exception):
    pass


def test_exception_propagates_unchanged_and_caches_nothing(quiet_retraces):
    v = tf.Variable(5.0)
    w = tf.Variable([1.0, 2.0])
    fail = [True]

    @tf.function
    def f(x, tag=0):
        v.assign_add(x)
        w.assign(w * 10.0)
        if fail[0]:
            raise Boom("custom message 42")
        return v + tf.reduce_sum(w)

    with pytest.raises(Boom, match="^custom message 42$") as info:
        f(tf.constant(1.0))
    assert type(info.value) is Boom
    # the assignments made before the exception are undone
    assert float(v) == 5.0
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    # no cache entry: the next call traces, and only successful traces count
    assert f.experimental_get_tracing_count() == 0
    fail[0] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)  # the first successful trace
        assert float(f(tf.constant(1.0))) == 6.0 + 30.0
    assert f.experimental_get_tracing_count() == 1
    assert float(v) == 6.0
    np.testing.assert_array_equal(w.numpy(), [10.0, 20.0])
    # a failing retrace on a new path changes nothing either
    fail[0] = True
    with pytest.raises(Boom):
        f(tf.constant(1.0), tag=1)  # a new signature: traced again, and it raises
    assert float(v) == 6.0
    np.testing.assert_array_equal(w.numpy(), [10.0, 20.0])
    assert f.experimental_get_tracing_count() == 1


def test_op_error_inside_the_body_propagates():
    @tf.function
    def f(x, y):
        return tf.matmul(x, y)

    x = tf.constant(np.ones((2, 3), np.float32))
    try:
        tf.matmul(x, x)
    except Exception as e:
        eager_error = e
    with pytest.raises(type(eager_error)) as info:
        f(x, x)
    assert str(info.value) == str(eager_error)
    assert f.experimental_get_tracing_count() == 0


def test_exception_after_guard_failure_restores_variables(quiet_retraces):
    v = tf.Variable(0.0)

    @tf.function
    def f(x):
        v.assign_add(1.0)
        if x > 0:
            return v * x
        raise Boom("non-positive")

    assert float(f(tf.constant(2.0))) == 2.0
    assert float(v) == 1.0
    with pytest.raises(Boom, match="non-positive"):
        f(tf.constant(-1.0))
    assert float(v) == 1.0
    assert float(f(tf.constant(3.0))) == 6.0
    assert float(v) == 2.0
    assert f.experimental_get_tracing_count() == 1


# ------------------------------------------------------------------ guard failures commit nothing


def test_guard_failure_never_commits_updates_from_the_discarded_run(quiet_retraces):
    """The first path updates `a`; the second updates `b`. When a call on the first path's
    graph fails its guard, that graph's update of `a` (computed for the new input) must
    not land."""
    a = tf.Variable(0.0)
    b = tf.Variable(0.0)

    @tf.function
    def f(x):
        if x > 0:
            a.assign_add(x)
        else:
            b.assign_add(x)
        return a + b

    assert float(f(tf.constant(1.0))) == 1.0
    assert (float(a), float(b)) == (1.0, 0.0)
    assert float(f(tf.constant(-4.0))) == -3.0  # guard fails on path 1, traces path 2
    assert (float(a), float(b)) == (1.0, -4.0)
    assert float(f(tf.constant(2.0))) == -1.0  # path 2's guard fails; path 1 runs
    assert (float(a), float(b)) == (3.0, -4.0)
    assert float(f(tf.constant(-1.0))) == -2.0
    assert (float(a), float(b)) == (3.0, -5.0)
    assert f.experimental_get_tracing_count() == 2


def test_retrace_error_messages_are_not_swallowed_by_guard_logic(quiet_retraces):
    @tf.function
    def f(x):
        if x > 0:
            return x
        return {}["missing key"]

    f(tf.constant(1.0))
    with pytest.raises(KeyError, match=re.escape("missing key")):
        f(tf.constant(-1.0))
