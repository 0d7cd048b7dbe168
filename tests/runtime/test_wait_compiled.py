"""The public way to ask whether a function runs compiled code, and to wait for it:
`Function.wait_compiled`, `ConcreteFunction.wait_compiled` and `ConcreteFunction.runs_native`."""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.backends import CompileFallbackWarning


def _step(counter, **options):
    @tf.function(**options)
    def step(x):
        counter.assign_add(tf.ones([3], tf.int32))
        return x * 3 + counter

    return step


X = np.arange(3, dtype=np.int32)


@pytest.mark.slow
def test_background_compile_is_waited_for_and_reported(gate):
    counter = tf.Variable(np.zeros(3, np.int32))
    step = _step(counter, compile="background")
    assert not step.wait_compiled()  # nothing traced yet
    first = step(X).numpy()
    concrete = step.get_concrete_function(X)
    assert not concrete.runs_native  # held: the call ran on the interpreter
    assert not step.wait_compiled(timeout=0)  # does not wait past the timeout
    gate.set()
    assert step.wait_compiled(timeout=120)
    assert concrete.runs_native
    second = step(X).numpy()
    np.testing.assert_array_equal(first, X * 3 + 1)
    np.testing.assert_array_equal(second, X * 3 + 2)
    np.testing.assert_array_equal(counter.numpy(), [2, 2, 2])  # waiting ran nothing


@pytest.mark.slow
def test_a_concrete_function_compiles_ahead_of_its_first_call():
    counter = tf.Variable(np.zeros(3, np.int32))
    step = _step(counter, compile="sync")
    concrete = step.get_concrete_function(X)
    assert not concrete.runs_native  # traced, not compiled
    assert concrete.wait_compiled()
    assert concrete.runs_native
    np.testing.assert_array_equal(counter.numpy(), [0, 0, 0])  # nothing ran, nothing changed
    np.testing.assert_array_equal(step(X).numpy(), X * 3 + 1)
    assert step.wait_compiled()


@pytest.mark.slow
def test_a_graph_that_cannot_compile_reports_false():
    @tf.function(compile="sync")
    def half(x):
        return x * 2

    x = np.ones(3, np.float16)  # compiled code does not handle float16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompileFallbackWarning)
        np.testing.assert_array_equal(half(x).numpy(), x * 2)
        assert not half.wait_compiled()
    assert not half.get_concrete_function(x).runs_native


def test_the_interpreter_backend_never_runs_native():
    counter = tf.Variable(np.zeros(3, np.int32))
    step = _step(counter, backend="interpreter")
    step(X)
    assert not step.wait_compiled()
    assert not step.get_concrete_function(X).runs_native


@pytest.mark.slow
def test_symbolic_sizes_compile_per_size_once_called():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)], compile="sync")
    def double(x):
        return x * 2.0

    assert not double.get_concrete_function().runs_native  # no sizes yet: nothing compiled
    assert not double.wait_compiled()
    double(np.ones(4, np.float32))  # runs the signature's trace, compiled for size 4
    assert double.experimental_get_tracing_count() == 1
    assert double.wait_compiled()
    assert double.get_concrete_function(np.ones(4, np.float32)).runs_native


def test_bound_methods_have_it_too():
    class Model:
        def __init__(self):
            self.scale = tf.Variable(2.0)

        @tf.function(backend="interpreter")
        def __call__(self, x):
            return x * self.scale

    model = Model()
    model(np.float32(3.0))
    assert not model.__call__.wait_compiled()
