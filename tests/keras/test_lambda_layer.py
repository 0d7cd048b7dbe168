"""tf.keras.layers.Lambda: a function of the inputs as a layer, with no weights."""

import numpy as np
import pytest

import tapeflow as tf


def test_a_lambda_layer_applies_its_function_and_has_no_weights():
    layer = tf.keras.layers.Lambda(lambda x: tf.stack([x, x ** 2], axis=1))
    out = layer(tf.constant([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out.numpy(), [[1.0, 1.0], [2.0, 4.0], [3.0, 9.0]])
    assert layer.trainable_weights == [] and layer.variables == []


def test_a_model_with_a_lambda_layer_trains():
    tf.random.set_seed(1)
    x = tf.cast(tf.linspace(-2.0, 2.0, 64), tf.float32)
    y = x ** 2 + 2 * x - 5
    model = tf.keras.Sequential([
        tf.keras.layers.Lambda(lambda x: tf.stack([x, x ** 2], axis=1)),
        tf.keras.layers.Dense(1)])
    model.compile(loss=tf.keras.losses.MSE, optimizer=tf.keras.optimizers.SGD(0.05))
    history = model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 10


def test_a_lambda_layer_needs_a_callable():
    with pytest.raises(TypeError, match="Lambda"):
        tf.keras.layers.Lambda(3)


def test_a_layers_variable_lists_are_lists_as_in_keras():
    dense = tf.keras.layers.Dense(2)
    assert dense.variables == []  # not built yet
    dense(tf.ones((1, 3)))
    assert isinstance(dense.variables, list) and len(dense.variables) == 2
    assert isinstance(dense.trainable_variables, list)
    assert dense.non_trainable_variables == []
