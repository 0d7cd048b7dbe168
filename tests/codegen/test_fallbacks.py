"""What reaches native code: non-contiguous and wrongly typed inputs are converted, retraced
or rejected before a compiled function reads them; a primitive without a Numba lowering makes
its function run on the interpreter, with a warning naming the primitive.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops.core import PRIMITIVES, InvalidArgumentError
from tapeflow.runtime.backends import CompileFallbackWarning, NumbaExecutor

pytestmark = pytest.mark.slow


def _step(x):
    # An elementwise chain, a reduction along an axis and a structured op (transpose): each
    # kind of lowering reads x with its own indexing.
    return tf.reduce_sum(tf.exp(x) * 2.0, axis=1) + tf.transpose(x)[0]


def _x():
    return np.arange(12, dtype=np.float32).reshape(4, 3) / 10


@contextmanager
def no_fallback():
    """A CompileFallbackWarning is an error inside: the calls must stay compiled."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)
        yield


# --------------------------------------------------------------------------------------------
# Layouts and types at the tapeflow.function level (TF's signature rules)
# --------------------------------------------------------------------------------------------


def test_non_contiguous_inputs_are_copied_before_native_code_reads_them():
    x = _x()
    want = _step(tf.constant(x)).numpy()
    f = tf.function(_step, backend="numba")
    f(x)  # the trace
    transposed = np.ascontiguousarray(x.T).T  # x's values, Fortran order
    strided = np.repeat(x, 2, axis=0)[::2]  # x's values, every other row of a bigger array
    reversed_rows = x[::-1].copy()[::-1]  # x's values through a negative stride
    with no_fallback():
        for value in (x, transposed, strided, reversed_rows):
            assert not value.flags.c_contiguous or value is x
            np.testing.assert_allclose(f(value).numpy(), want, rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1  # same shape and dtype: same signature


def test_a_float64_array_for_a_float32_trace_retraces_and_keeps_float64():
    # As tf.function: numpy arrays are keyed by dtype, so float64 is a new signature (never
    # a float64 buffer read as float32).
    x = _x()
    f = tf.function(_step, backend="numba")
    f(x)
    with pytest.warns(tf.RetraceWarning, match=r"f32\[4,3\] -> f64\[4,3\]"):
        got = f(x.astype(np.float64))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got.numpy(), _step(tf.constant(x.astype(np.float64))).numpy(),
                               rtol=1e-12)
    assert f.experimental_get_tracing_count() == 2


def test_a_python_list_is_static_values_and_gives_the_right_result():
    # As tf.function without input_signature: a list of Python floats is a structure of
    # static values (they become constants of the graph), float32 like TF's.
    x = _x()
    f = tf.function(_step, backend="numba")
    for _ in range(2):
        got = f(x.tolist())
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.numpy(), _step(tf.constant(x)).numpy(), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1


def test_input_signature_rejects_another_dtype_with_a_clear_error():
    x = _x()
    f = tf.function(_step, backend="numba", input_signature=[tf.TensorSpec((4, 3), tf.float32)])
    f(x)
    f(x)
    # TypeError for both, as TF's (not the InvalidArgumentError subclass OpTypeError).
    with pytest.raises(TypeError, match="expected dtype float32") as dtype_error:
        f(x.astype(np.float64))
    with pytest.raises(TypeError, match="expected shape") as shape_error:
        f(x[:2])
    assert type(dtype_error.value) is TypeError and type(shape_error.value) is TypeError


def test_input_signature_converts_a_python_list():
    x = _x()
    f = tf.function(_step, backend="numba", input_signature=[tf.TensorSpec((4, 3), tf.float32)])
    got = f(x.tolist())
    np.testing.assert_allclose(got.numpy(), _step(tf.constant(x)).numpy(), rtol=1e-6)


# --------------------------------------------------------------------------------------------
# The executor itself: what it hands to native code
# --------------------------------------------------------------------------------------------


def test_the_numba_executor_converts_layout_and_dtype_and_checks_shape():
    x = _x()
    graph = tf.function(_step, backend="numba").get_concrete_function(x).graph
    execute = NumbaExecutor(graph)
    (want,) = execute([x])
    for value in (np.ascontiguousarray(x.T).T, np.repeat(x, 2, axis=0)[::2], x.tolist(),
                  x.astype(np.float64)):
        (got,) = execute([value])
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # A wrong shape is refused before native code could read past the buffer.
    for value in (x[:2], x.reshape(3, 4), x.ravel(), np.float32(1.0)):
        with pytest.raises(ValueError, match=r"input of shape .* expected \(4, 3\)"):
            execute([value])
    assert execute._fallback is None  # all of it ran compiled


def test_an_error_raised_by_compiled_code_on_its_first_call_is_not_a_compile_failure():
    x = np.array([2, 3], np.int32)
    graph = tf.function(lambda a, b: a**b, backend="numba").get_concrete_function(
        x, np.array([1, 2], np.int32)).graph
    execute = NumbaExecutor(graph)
    with no_fallback():
        with pytest.raises(InvalidArgumentError, match="negative integer powers"):
            execute([x, np.array([1, -1], np.int32)])
        (got,) = execute([x, np.array([3, 2], np.int32)])
    np.testing.assert_array_equal(got, [8, 9])
    assert execute._fallback is None


# --------------------------------------------------------------------------------------------
# A primitive without a lowering: the function falls back to the interpreter
# --------------------------------------------------------------------------------------------


def _uses_tan(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.tan(x) * x)
    return y, tape.gradient(y, x)


def _uses_prod(x):
    return tf.reduce_prod(x, axis=0) + 1.0


def _uses_transpose(x):
    return tf.transpose(x) * 3.0 - 1.0


@pytest.mark.parametrize(
    "name, fn",
    [("tan", _uses_tan), ("reduce_prod", _uses_prod), ("transpose", _uses_transpose)],
    ids=["elementwise", "reduction", "structured"],
)
def test_a_primitive_without_lowering_runs_on_the_interpreter_with_a_warning(
        name, fn, monkeypatch):
    monkeypatch.setattr(PRIMITIVES[name], "lowering", None)
    # A shape no other test compiles: compile_graph reuses a module already imported for the
    # same graph, which would hide the missing lowering.
    x = np.linspace(-1, 1, 35, dtype=np.float64).reshape(5, 7)
    want = [np.asarray(w) for w in tf.nest.flatten(fn(tf.constant(x)))]
    f = tf.function(fn, backend="numba")
    f(x)  # the trace runs eagerly: nothing to compile yet
    with pytest.warns(CompileFallbackWarning, match=f"primitive '{name}' has no Numba lowering"):
        first = tf.nest.flatten(f(x))
    with no_fallback():  # said once, not on every call
        second = tf.nest.flatten(f(x))
    for got in (first, second):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w, rtol=1e-12)


def test_the_fallback_is_per_function(monkeypatch):
    monkeypatch.setattr(PRIMITIVES["tan"], "lowering", None)
    x = np.linspace(-1, 1, 33, dtype=np.float64).reshape(3, 11)
    falls_back = tf.function(lambda v: tf.tan(v) + 1.0, backend="numba")
    compiles = tf.function(lambda v: tf.sin(v) + 1.0, backend="numba")
    falls_back(x)
    with pytest.warns(CompileFallbackWarning, match="'tan'"):
        falls_back(x)
    compiles(x)
    with no_fallback():
        np.testing.assert_allclose(compiles(x).numpy(), np.sin(x) + 1.0, rtol=1e-15)
