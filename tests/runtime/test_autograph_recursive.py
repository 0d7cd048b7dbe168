"""Recursive AutoGraph: the user functions a converted function calls are converted too (their
tensor loops become graph loops, traced once), as TensorFlow's AutoGraph does; library code,
functions marked do_not_convert and functions without source run as written."""

from __future__ import annotations

import functools
import json
import sys
import traceback

import numpy as np
import pytest

import tapeflow as tf


def prims(function, *args) -> list[str]:
    return [e.prim.name for e in function.get_concrete_function(*args).graph.eqns]


def triangle(n):
    s = tf.constant(0)
    for i in tf.range(n):
        s += i
    return s


def twice_triangle(n):
    return 2 * triangle(n)  # two levels of user calls


class Accumulator:
    def __init__(self, scale):
        self.scale = scale

    def over_rows(self, x):
        acc = tf.constant(0.0)
        for row in x:
            acc += self.scale * tf.reduce_sum(row)
        return acc


def test_a_called_helper_traces_once():
    def local_names(n):
        import tapeflow as tf_local  # a range loop through a local name: still recognised

        s = tf_local.constant(0)
        for i in tf_local.range(n):
            s += i
        return s

    @tf.function
    def h(n):
        return triangle(n) + local_names(n)

    assert [h(tf.constant(n)).numpy() for n in (3, 5, 0, 1)] == [6, 20, 0, 0]
    assert h.experimental_get_tracing_count() == 1
    assert prims(h, tf.constant(3)).count("while_loop") == 2


@pytest.mark.parametrize("seed", [0, 1])
def test_values_match_eager_and_the_unconverted_python(backend, seed, quiet_retraces):
    def model(n, x):
        return twice_triangle(n), Accumulator(0.5).over_rows(x)

    converted = tf.function(model, backend=backend)
    python = tf.function(model, backend=backend, autograph=False)
    rng = np.random.default_rng(seed)
    for n in (0, 1, int(rng.integers(2, 9))):
        x = tf.constant(rng.normal(size=(3, 2)).astype(np.float32))
        want = [t.numpy() for t in model(tf.constant(n), x)]
        for f in (converted, python):
            got = [t.numpy() for t in f(tf.constant(n), x)]
            assert got[0] == want[0]
            np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
    assert converted.experimental_get_tracing_count() == 1
    assert prims(converted, tf.constant(2), x).count("while_loop") == 2


def test_methods_and_nested_functions_are_converted():
    acc = Accumulator(2.0)

    @tf.function
    def f(n, x):
        def local_sum(m):
            s = tf.constant(0.0)
            for _ in tf.range(m):
                s += 1.0
            return s

        return acc.over_rows(x) + local_sum(n)

    x = tf.ones((2, 3))
    assert f(tf.constant(2), x).numpy() == 14.0
    assert f(tf.constant(4), x).numpy() == 16.0
    assert f.experimental_get_tracing_count() == 1
    assert prims(f, tf.constant(2), x).count("while_loop") == 2


def test_do_not_convert_keeps_the_python_loop(quiet_retraces):
    @tf.autograph.experimental.do_not_convert
    def plain_triangle(n):
        s = tf.constant(0)
        for i in tf.range(n):
            s += i
        return s

    @tf.function
    def h(n):
        return plain_triangle(n) + triangle(n)

    assert h(tf.constant(3)).numpy() == 6 and h(tf.constant(4)).numpy() == 12
    assert h.experimental_get_tracing_count() == 2  # the unconverted loop's guards
    assert prims(h, tf.constant(4)).count("while_loop") == 1

    top = tf.function(tf.autograph.experimental.do_not_convert(triangle))
    assert top(tf.constant(3)).numpy() == 3 and top(tf.constant(4)).numpy() == 6
    assert top.experimental_get_tracing_count() == 2
    assert tf.autograph.experimental.do_not_convert()(triangle) is not triangle


def test_autograph_false_converts_no_callee(quiet_retraces):
    @tf.function(autograph=False)
    def h(n):
        return triangle(n)

    @tf.function
    def converted(n):
        return triangle(n)

    for f in (h, converted):
        assert f(tf.constant(3)).numpy() == 3 and f(tf.constant(4)).numpy() == 6
    assert h.experimental_get_tracing_count() == 2
    assert converted.experimental_get_tracing_count() == 1


def test_a_callee_without_source_runs_unconverted(quiet_retraces):
    namespace = {"tf": tf}
    exec("def made(n):\n"
         "    s = tf.constant(0)\n"
         "    for i in tf.range(n):\n"
         "        s += i\n"
         "    return s\n", namespace)

    @tf.function
    def h(n):
        return namespace["made"](n) + triangle(n)

    assert h(tf.constant(3)).numpy() == 6 and h(tf.constant(5)).numpy() == 20
    assert prims(h, tf.constant(5)).count("while_loop") == 1  # triangle's only


def test_a_nested_tf_function_is_converted_once_with_its_own_setting(quiet_retraces):
    inner = tf.function(triangle)
    inner_python = tf.function(triangle, autograph=False)

    @tf.function
    def outer(n):
        return inner(n) + 1

    @tf.function
    def outer_python(n):
        return inner_python(n) + 1

    assert outer(tf.constant(3)).numpy() == 4 and outer(tf.constant(6)).numpy() == 16
    assert outer.experimental_get_tracing_count() == 1
    assert outer_python(tf.constant(3)).numpy() == 4
    assert outer_python(tf.constant(6)).numpy() == 16
    assert outer_python.experimental_get_tracing_count() == 2


def test_a_user_decorator_keeps_its_effect_and_its_function_is_converted():
    calls = []

    def counted(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            calls.append(fn.__name__)
            return fn(*args)
        return wrapper

    @counted
    def decorated_triangle(n):
        s = tf.constant(0)
        for i in tf.range(n):
            s += i
        return s

    @tf.function
    def h(n):
        return decorated_triangle(n)

    assert h(tf.constant(4)).numpy() == 6 and h(tf.constant(5)).numpy() == 10
    assert calls == ["decorated_triangle"]  # traced once, the wrapper ran in the trace
    assert "while_loop" in prims(h, tf.constant(5))


def test_a_default_argument_is_evaluated_once_where_it_was_written(quiet_retraces):
    made = []

    def default():
        made.append(1)
        return 1

    @tf.function
    def h(n, scale, step=default()):
        s = tf.constant(0)
        for i in tf.range(n):
            s += step
        return s * scale

    assert h(tf.constant(3), 2).numpy() == 6 and h(tf.constant(4), 3).numpy() == 12
    assert h.experimental_get_tracing_count() == 2  # (a new Python scale: a new trace)
    assert made == [1]
    assert "while_loop" in prims(h, tf.constant(4), 3)  # (converted, though the default
    # reads a name the function itself does not)


def test_an_error_in_a_converted_callee_names_the_users_line():
    def bad(x):
        for row in x:
            raise ValueError("bad row")  # the line the traceback must name

    @tf.function
    def h(x):
        return bad(x)

    with pytest.raises(ValueError, match="bad row") as info:
        h(tf.ones((2, 2)))
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert last.name.startswith("ag__body")  # raised in the converted loop's body
    assert last.filename == __file__
    assert last.line == 'raise ValueError("bad row")  # the line the traceback must name'
    assert last.lineno == bad.__code__.co_firstlineno + 2


def test_library_code_is_not_user_code():
    from tapeflow.api import autograph_calls

    assert not autograph_calls.is_user_function(json.dumps)  # the standard library
    assert not autograph_calls.is_user_function(np.testing.assert_allclose)  # a package
    assert not autograph_calls.is_user_function(tf.autograph.to_code)  # tapeflow
    assert not autograph_calls.is_user_function(np.linalg.norm)  # not a Python function
    assert autograph_calls.is_user_function(triangle)
    assert not autograph_calls.is_user_function(lambda n: n)  # no statement source
    assert not autograph_calls.is_user_module(sys.modules["numpy"])
    assert autograph_calls.is_user_module(sys.modules[__name__])


class RowSum(tf.keras.layers.Layer):
    def call(self, x):
        acc = tf.zeros_like(x[0])
        for row in x:
            acc += row
        return acc


class Scaled:
    def __init__(self, k):
        self.k = k

    def __call__(self, n):
        s = tf.constant(0.0)
        for _ in tf.range(n):
            s += self.k
        return s


def test_a_user_layers_call_and_a_user_callable_object_are_converted(quiet_retraces):
    layer, scaled = RowSum(), Scaled(2.0)

    def model(x, n):
        return layer(x), scaled(n)

    converted = tf.function(model)
    python = tf.function(model, autograph=False)
    for f in (converted, python):
        for rows, n in ((2, 3), (2, 5)):
            out, s = f(tf.ones((rows, 3)), tf.constant(n))
            assert out.numpy().tolist() == [rows] * 3 and s.numpy() == 2.0 * n
    assert converted.experimental_get_tracing_count() == 1
    assert python.experimental_get_tracing_count() == 2
    assert prims(converted, tf.ones((2, 3)), tf.constant(3)).count("while_loop") == 2
    assert layer(tf.ones((2, 3))).numpy().tolist() == [2.0] * 3  # eager: as written


def test_each_function_is_converted_once_however_often_it_is_called(monkeypatch,
                                                                     quiet_retraces):
    from tapeflow.api import autograph_convert

    converted = []
    real = autograph_convert._convert_code
    monkeypatch.setattr(autograph_convert, "_convert_code",
                        lambda fn: converted.append(fn.__name__) or real(fn))

    @tf.function
    def inner(n):  # a tf.function a converted callee calls: converted by its own call
        s = tf.constant(0)
        for i in tf.range(n):
            s += i
        return s

    def middle(n):
        return inner(n) + inner(n + 1)

    @tf.function
    def outer(n, k):
        return middle(n) + middle(n) + k

    assert outer(tf.constant(3), 0).numpy() == 2 * (3 + 6)
    assert outer(tf.constant(4), 1).numpy() == 2 * (6 + 10) + 1  # a second trace
    assert outer.experimental_get_tracing_count() == 2
    assert sorted(converted) == ["inner", "middle", "outer"]
    assert prims(outer, tf.constant(3), 0).count("while_loop") == 4
