"""get_concrete_function with a TensorSpec of unknown rank (shape=None): printed as
TensorFlow prints it, callable at any rank with the given Python arguments."""

import warnings

import numpy as np
import pytest

import tapeflow as tf


@tf.function
def power(a, b):
    return a ** b


def test_it_prints_the_unknown_rank_signature():
    square = power.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
    assert str(square) == "\n".join([
        "ConcreteFunction Input Parameters:",
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)",
        "  b (POSITIONAL_OR_KEYWORD): Literal[2]",
        "Output Type:",
        "  TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)",
        "Captures:",
        "  None",
    ])
    assert square.structured_input_signature == ((tf.TensorSpec(None, tf.float32), 2), {})


def test_outputs_whose_rank_does_not_follow_the_input_keep_their_shape():
    v = tf.Variable(2)

    @tf.function
    def total(x):
        return tf.reduce_sum(x) * v, x

    text = str(total.get_concrete_function(tf.TensorSpec(None, tf.int32)))
    assert ("Tuple[TensorSpec(shape=(), dtype=tf.int32, name=None), "
            "TensorSpec(shape=<unknown>, dtype=tf.int32, name=None)]") in text
    assert "Captures:\n  " in text and "Captures:\n  None" not in text


def test_it_runs_at_any_rank_with_the_tensor_arguments_alone():
    square = power.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one trace per rank is by design: no RetraceWarning
        assert float(square(tf.constant(10.0)).numpy()) == 100.0
        assert square(tf.constant([1.0, 3.0])).numpy().tolist() == [1.0, 9.0]
        assert square(np.ones((2, 2), np.float32), b=2).shape == (2, 2)
        assert square([2.0, 4.0]).numpy().tolist() == [4.0, 16.0]


def test_other_python_arguments_or_dtypes_are_type_errors_naming_the_argument():
    square = power.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
    with pytest.raises(TypeError, match=r"argument b is 3 \(int\), it was made with 2"):
        square(tf.constant(10.0), b=3)
    with pytest.raises(TypeError, match=r"argument a: expected TensorSpec\(shape=<unknown>, "
                                        r"dtype=tf.float32.*dtype int32"):
        square(tf.constant(10))
    with pytest.raises(TypeError, match="argument a: expected a tensor"):
        square("ten")


def test_an_input_signature_of_unknown_rank_takes_every_rank_with_one_trace_per_rank():
    f = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec(None, tf.float32)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        assert float(f(tf.constant(3.0)).numpy()) == 6.0
        assert f(tf.constant([[1.0]])).numpy().tolist() == [[2.0]]
        assert f(tf.constant([[1.0, 2.0], [3.0, 4.0]])).shape == (2, 2)
        assert f(tf.constant([5.0, 6.0, 7.0])).numpy().tolist() == [10.0, 12.0, 14.0]
        assert f([1.0]).numpy().tolist() == [2.0]
    assert f.experimental_get_tracing_count() == 3  # ranks 0, 2 and 1
    assert "shape=<unknown>" in str(f.get_concrete_function())
