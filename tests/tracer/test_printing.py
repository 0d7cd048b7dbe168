"""Tensors and variables print exactly as TensorFlow prints them (its guides' outputs)."""

import numpy as np

import tapeflow as tf


def test_scalar_tensor_repr_and_str():
    t = tf.constant(3.0) ** 2
    assert repr(t) == "<tf.Tensor: shape=(), dtype=float32, numpy=9.0>"
    assert str(t) == "tf.Tensor(9.0, shape=(), dtype=float32)"


def test_integer_and_bool_scalars_print_as_plain_numbers():
    assert repr(tf.constant(7)) == "<tf.Tensor: shape=(), dtype=int32, numpy=7>"
    assert str(tf.constant(True)) == "tf.Tensor(True, shape=(), dtype=bool)"
    assert repr(tf.constant(2.5, dtype=tf.float64)) == (
        "<tf.Tensor: shape=(), dtype=float64, numpy=2.5>")


def test_matrix_repr_starts_numpys_text_on_its_own_line():
    m = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert repr(m) == (
        "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\n"
        "array([[1., 2.],\n"
        "       [3., 4.]], dtype=float32)>"
    )
    assert str(m) == "tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)"


def test_long_vectors_wrap_as_numpy_wraps_them():
    t = tf.range(30)
    text = str(t)
    assert text == f"tf.Tensor(\n{np.arange(30, dtype=np.int32)}, shape=(30,), dtype=int32)"
    assert text.count("\n") == 2  # numpy wraps at 75 columns


def test_print_writes_str(capsys):
    print(tf.constant([1, 2, 3]))
    assert capsys.readouterr().out == "tf.Tensor([1 2 3], shape=(3,), dtype=int32)\n"


def test_variable_repr_and_str_are_the_same():
    x = tf.Variable(3.0, name="x")
    assert repr(x) == "<tf.Variable 'x:0' shape=() dtype=float32, numpy=3.0>"
    assert str(x) == repr(x)
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    assert repr(w) == (
        "<tf.Variable 'Variable:0' shape=(2, 2) dtype=float32, numpy=\n"
        "array([[1., 2.],\n"
        "       [3., 4.]], dtype=float32)>"
    )


def test_printing_a_variable_is_not_a_read_a_tape_sees():
    v = tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        repr(v)
    assert tape.watched_variables() == ()


def test_shape_prints_like_a_tuple_and_reprs_as_tensorshape():
    t = tf.zeros((2, 3))
    assert str(t.shape) == "(2, 3)"
    assert repr(t.shape) == "TensorShape([2, 3])"
    assert str(tf.zeros(4).shape) == "(4,)"
    assert str(tf.constant(1.0).shape) == "()"


def test_inside_a_trace_graph_values_print_as_graph_tensors(capsys):
    @tf.function(backend="interpreter")
    def double(a):
        print("Tracing with", a)
        b = a + a
        print(repr(b))
        print(tf.constant(1.0))  # a constant of the trace still has its value
        return b

    assert double(tf.constant(1)).numpy() == 2
    assert capsys.readouterr().out == (
        'Tracing with Tensor("a:0", shape=(), dtype=int32)\n'
        "<tf.Tensor 'add:0' shape=() dtype=int32>\n"
        "tf.Tensor(1.0, shape=(), dtype=float32)\n"
    )
    double(tf.constant(5))  # no trace, no print
    assert capsys.readouterr().out == ""


def test_a_none_size_prints_as_none_while_tracing(capsys):
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)], backend="interpreter")
    def f(x):
        print(x)
        return x

    f(tf.zeros((3, 2)))
    assert capsys.readouterr().out == 'Tensor("x:0", shape=(None, 2), dtype=float32)\n'


def test_a_variable_printed_while_tracing_has_no_value(capsys):
    v = tf.Variable(2.0)

    @tf.function(backend="interpreter")
    def f():
        print(v)
        return v * 1.0

    f()
    assert capsys.readouterr().out == "<tf.Variable 'Variable:0' shape=() dtype=float32>\n"


def test_format_specs_format_the_value_as_tf_eager_tensors_do():
    t = tf.constant(2.0) / 3
    assert f"{t:.3f}" == "0.667"
    assert f"{tf.constant([1.0, 2.0])}" == "[1. 2.]"  # numpy's text, as TF's __format__
    assert "{:>4}".format(tf.constant(5)) == "   5"
