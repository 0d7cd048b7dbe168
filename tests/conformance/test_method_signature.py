"""A tf.function method with an input_signature: the signature describes the arguments after
`self` (the instance binds it), as in TensorFlow."""

import pytest

import tapeflow as tf


class Scaler(tf.Module):
    def __init__(self):
        self.v = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def scale(self, x):
        return x * self.v


def test_calls_of_any_size_share_one_trace_and_lists_are_converted():
    m = Scaler()
    assert m.scale(tf.constant([1.0, 2.0])).numpy().tolist() == [2.0, 4.0]
    assert m.scale([3.0]).numpy().tolist() == [6.0]
    assert m.scale(tf.constant([1.0, 2.0, 3.0])).shape == (3,)
    assert m.scale.experimental_get_tracing_count() == 1
    assert Scaler.scale.experimental_get_tracing_count() == 0  # TF's: traces are per instance


def test_the_concrete_function_of_the_signature_leaves_self_out():
    text = str(Scaler().scale.get_concrete_function())
    assert text.startswith("ConcreteFunction Input Parameters:\n  x (POSITIONAL_OR_KEYWORD): "
                           "TensorSpec(shape=(None,), dtype=tf.float32, name=None)\n")


def test_arguments_that_do_not_fit_are_named():
    m = Scaler()
    with pytest.raises(TypeError, match="argument x"):
        m.scale(tf.constant([[1.0]]))
    with pytest.raises(TypeError, match="argument x: expected dtype float32"):
        m.scale(tf.constant([1, 2]))
    with pytest.raises(TypeError, match=r"scale\(\): too many positional arguments"):
        m.scale(tf.constant([1.0]), tf.constant([2.0]))
