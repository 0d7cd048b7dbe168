"""tf.keras attention layers: MultiHeadAttention, Attention, AdditiveAttention and EinsumDense,
against TensorFlow 2.21's values on fixed weights (tests/keras/_recurrent_reference.py),
Keras 3's weight names and shapes, masks, training through them, and bad inputs."""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tests.keras._recurrent_reference import TF
from tests.keras.test_recurrent import weights_for

L = tf.keras.layers
Q = np.cos(np.arange(24) * 1.3).reshape(2, 4, 3).astype(np.float32)
V = np.sin(np.arange(30) * 0.5).reshape(2, 5, 3).astype(np.float32)
MASK = np.array([[[1, 1, 0, 1, 1]] * 4, [[1, 0, 0, 0, 1]] * 4], bool)


def test_multi_head_attention_matches_tensorflow_with_a_mask():
    mha = L.MultiHeadAttention(2, 2)
    mha(Q, V)
    mha.set_weights(weights_for(mha))
    out, scores = mha(Q, V, attention_mask=MASK, return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), TF["mha"][0], atol=2e-5)
    np.testing.assert_allclose(scores.numpy(), TF["mha"][1], atol=2e-5)
    assert scores.shape == (2, 2, 4, 5)
    np.testing.assert_array_equal(scores.numpy()[1, :, :, 1:4], 0.0)


def test_multi_head_attention_weights_are_keras_3s():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=6, name="m")
    assert mha(query=Q, value=V).shape == (2, 4, 6)
    assert [(w.path, tuple(w.shape)) for w in mha.weights] == [
        ("m/query/kernel", (3, 2, 3)), ("m/query/bias", (2, 3)),
        ("m/key/kernel", (3, 2, 3)), ("m/key/bias", (2, 3)),
        ("m/value/kernel", (3, 2, 4)), ("m/value/bias", (2, 4)),
        ("m/attention_output/kernel", (2, 4, 6)), ("m/attention_output/bias", (6,))]
    no_bias = L.MultiHeadAttention(2, 3, use_bias=False)
    no_bias(Q, V)
    assert [w.name for w in no_bias.weights] == ["kernel"] * 4
    config = mha.get_config()
    assert (config["num_heads"], config["key_dim"], config["value_dim"],
            config["output_shape"]) == (2, 3, 4, 6)


def test_a_causal_mask_hides_the_future():
    mha = L.MultiHeadAttention(1, 2)
    _, scores = mha(Q, Q, use_causal_mask=True, return_attention_scores=True)
    upper = np.triu(np.ones((4, 4), bool), 1)
    assert np.all(scores.numpy()[:, 0][:, upper] == 0.0)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)


def test_attention_and_additive_attention_match_tensorflow():
    att = L.Attention(use_scale=True)
    att([Q, V])
    att.set_weights([np.float32(0.7)])
    np.testing.assert_allclose(att([Q, V], mask=[None, MASK[:, 0]]).numpy(), TF["att"],
                               atol=2e-5)
    add = L.AdditiveAttention()
    add([Q, V])
    assert [(w.name, tuple(w.shape)) for w in add.weights] == [("scale", (3,))]
    add.set_weights([np.array([0.3, -0.2, 0.5], np.float32)])
    np.testing.assert_allclose(add([Q, V]).numpy(), TF["add"], atol=2e-5)
    out, weights = L.Attention(score_mode="concat")([Q, V, V], return_attention_scores=True)
    assert out.shape == (2, 4, 3) and weights.shape == (2, 4, 5)


def test_einsum_dense_shapes_follow_the_equation():
    layer = L.EinsumDense("abc,cde->abde", output_shape=(None, 2, 5), bias_axes="de")
    assert layer(Q).shape == (2, 4, 2, 5)
    assert [tuple(w.shape) for w in layer.weights] == [(3, 2, 5), (2, 5)]
    layer = L.EinsumDense("...b,bc->...c", output_shape=4, bias_axes="c", activation="relu")
    assert layer(Q).shape == (2, 4, 4) and float(tf.reduce_min(layer(Q))) >= 0.0
    with pytest.raises(ValueError, match="invalid equation"):
        L.EinsumDense("ab->b", output_shape=2)(Q)


def test_a_transformer_block_trains_with_fit_and_traces_once():
    x = np.sin(np.arange(8 * 4 * 3) * 0.37).reshape(8, 4, 3).astype(np.float32)
    y = np.cos(np.arange(8) * 0.9).reshape(8, 1).astype(np.float32)
    inp = tf.keras.Input((4, 3))
    h = L.MultiHeadAttention(2, 2)(inp, inp)
    h = L.Attention()([h, inp])
    out = L.Dense(1)(L.GRU(3)(h))
    model = tf.keras.Model(inp, out)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.02), loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model._train_function.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("call, message", [
    (lambda: L.MultiHeadAttention(2, 2, name="m")(np.ones((2, 3), np.float32), V),
     r"MultiHeadAttention 'm': the query must be \(batch, time, features\).*\(2, 3\)"),
    (lambda: L.Attention(name="a")(Q),
     r"Attention 'a': expects a list \[query, value\].*\(2, 4, 3\)"),
    (lambda: L.AdditiveAttention(name="aa")([Q, np.ones((2, 5), np.float32)]),
     r"AdditiveAttention 'aa': the value must be \(batch, time, dim\), got shape \(2, 5\)"),
])
def test_bad_inputs_name_the_layer_and_the_shape(call, message):
    with pytest.raises(ValueError, match=message):
        call()
