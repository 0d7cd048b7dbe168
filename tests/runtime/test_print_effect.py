"""tf.print: TensorFlow's text, and inside a tapeflow.function a print on every call."""

import io
import sys

import pytest

import tapeflow as tf


def _printed(*args, **kwargs):
    out = io.StringIO()
    tf.print(*args, output_stream=out, **kwargs)
    return out.getvalue()


def test_values_print_in_tensorflows_own_format():
    assert _printed(tf.constant(2.0)) == "2\n"
    assert _printed(tf.constant(1.0) / 3) == "0.333333343\n"
    assert _printed(tf.constant([1.5, 2.0])) == "[1.5 2]\n"
    assert _printed(tf.constant([[1, 2], [3, 4]])) == "[[1 2]\n [3 4]]\n"
    assert _printed(tf.constant([True, False])) == "[1 0]\n"


def test_floats_print_with_the_fewest_digits_that_read_back_the_same():
    # As TensorFlow: %g with 6 significant digits when they read back as the same float32
    # (9 when not); 15 and 17 for float64; complex values print as "?".
    assert _printed(tf.constant([0.1, 123456.7, 1e-8, 2.0 ** -10])) == \
        "[0.1 123456.703 1e-08 0.0009765625]\n"
    assert _printed(tf.constant([0.1, 1 / 3, 1e7], tf.float64)) == \
        "[0.1 0.33333333333333331 10000000]\n"
    assert _printed(tf.constant([0.1, 1000.5], tf.float16)) == "[0.0999755859 1000.5]\n"
    assert _printed(tf.constant([float("nan"), float("inf"), -0.0])) == "[nan inf -0]\n"
    assert _printed(tf.constant([1 + 2j])) == "[?]\n"


def test_long_axes_are_summarized():
    assert _printed(tf.range(10)) == "[0 1 2 ... 7 8 9]\n"
    assert _printed(tf.range(10), summarize=-1) == "[0 1 2 3 4 5 6 7 8 9]\n"
    assert _printed(tf.range(6)) == "[0 1 2 3 4 5]\n"


def test_python_values_and_containers_mix_with_tensors():
    text = _printed("loss:", tf.constant(0.5), [1, tf.constant([2, 3])], {"k": 4}, sep="|")
    assert text == "loss:|0.5|[1, [2 3]]|{'k': 4}\n"
    assert _printed("a", "b", end="!") == "a b!"
    # A string inside a container is quoted, as TF (Python's str of the container) quotes it;
    # at the top level it is bare.
    assert _printed("total", ["total", tf.constant(3)], ("x",), {"k": "v"}) == \
        "total ['total', 3] ('x',) {'k': 'v'}\n"


def test_default_stream_is_stderr(capsys):
    tf.print("hello", tf.constant(1))
    captured = capsys.readouterr()
    assert captured.err == "hello 1\n" and captured.out == ""
    tf.print("to stdout", output_stream=sys.stdout)
    assert capsys.readouterr().out == "to stdout\n"


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="summarize"):
        tf.print(1, summarize="all")
    with pytest.raises(ValueError, match="output_stream"):
        tf.print(1, output_stream="somewhere")


def test_inside_a_function_it_prints_on_every_call(backend):
    out = io.StringIO()
    counter = tf.Variable(0)

    @tf.function(backend=backend)
    def step(x):
        counter.assign_add(1)
        tf.print("step", counter, "x =", x * 2, output_stream=out)
        return x + 1

    for i in range(3):
        step(tf.constant(float(i)))
    assert out.getvalue() == "step 1 x = 0\nstep 2 x = 2\nstep 3 x = 4\n"
    assert step.experimental_get_tracing_count() == 1


def test_a_trace_for_the_graph_alone_prints_nothing():
    out = io.StringIO()

    @tf.function(backend="interpreter")
    def f(x):
        tf.print("called", output_stream=out)
        return x

    f.get_concrete_function(tf.constant(1.0))
    assert out.getvalue() == ""
    f(tf.constant(1.0))
    assert out.getvalue() == "called\n"


def test_a_call_whose_guard_fails_prints_once_along_the_new_path():
    out = io.StringIO()

    @tf.function(backend="interpreter")
    def f(x):
        if x > 0:
            tf.print("positive", x, output_stream=out)
        else:
            tf.print("not positive", x, output_stream=out)
        return x

    f(tf.constant(1.0))
    with pytest.warns(tf.RetraceWarning):
        f(tf.constant(-1.0))  # the first path's guard fails: traced again, printed once
    f(tf.constant(2.0))
    assert out.getvalue() == "positive 1\nnot positive -1\npositive 2\n"
