"""tf.keras recurrent layers: SimpleRNN, LSTM, GRU (both GRU forms), RNN(cell) with a user
cell, Bidirectional and TimeDistributed, against TensorFlow 2.21's values on fixed weights
(tests/keras/_recurrent_reference.py), gradients through an LSTM, fit on both backends, and
the errors of bad inputs."""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tests.keras._recurrent_reference import TF

L = tf.keras.layers


def weights_for(layer, scale=0.5):
    """Fixed weights (no random draws), the same recipe as the TF reference."""
    return [np.sin(np.arange(np.prod(w.shape)) * 0.7 + i).reshape(w.shape).astype(np.float32)
            * scale for i, w in enumerate(layer.weights)]


X = np.cos(np.arange(24) * 1.3).reshape(2, 4, 3).astype(np.float32)


def _outputs(layer):
    layer(X)
    layer.set_weights(weights_for(layer))
    result = layer(X)
    return list(result) if isinstance(result, list | tuple) else [result]


@pytest.mark.parametrize("key, make", [
    ("simple", lambda: L.SimpleRNN(2, return_sequences=True)),
    ("lstm", lambda: L.LSTM(2, return_state=True)),
    ("gru", lambda: L.GRU(2, return_sequences=True, go_backwards=True)),
    ("gru_v1", lambda: L.GRU(2, reset_after=False)),
    ("bi", lambda: L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="sum")),
])
def test_recurrent_layers_match_tensorflow_on_fixed_weights(key, make):
    outputs = _outputs(make())
    assert len(outputs) == len(TF[key])
    for got, want in zip(outputs, TF[key]):
        np.testing.assert_allclose(np.asarray(got), want, atol=2e-5)


def test_weight_names_shapes_and_order_are_keras_3s():
    def paths(layer):
        layer(X)
        return [(w.path.split("/", 1)[1], tuple(w.shape)) for w in layer.weights]

    assert paths(L.LSTM(2)) == [("lstm_cell/kernel", (3, 8)),
                                ("lstm_cell/recurrent_kernel", (2, 8)), ("lstm_cell/bias", (8,))]
    assert paths(L.GRU(2))[2] == ("gru_cell/bias", (2, 6))  # reset_after: two biases
    assert paths(L.GRU(2, reset_after=False))[2] == ("gru_cell/bias", (6,))
    assert paths(L.SimpleRNN(2))[0] == ("simple_rnn_cell/kernel", (3, 2))
    bi = L.Bidirectional(L.GRU(2, name="g"), name="bi")
    bi(X)
    assert [w.path for w in bi.weights][::3] == ["bi/forward_g/gru_cell/kernel",
                                                 "bi/backward_g/gru_cell/kernel"]
    td = L.TimeDistributed(L.Dense(2, name="d"), name="td")
    assert td(X).shape == (2, 4, 2) and [w.path for w in td.weights] == ["td/d/kernel",
                                                                         "td/d/bias"]


def test_unit_forget_bias_and_config():
    lstm = L.LSTM(2, bias_initializer="ones", unit_forget_bias=True)
    lstm(X)
    np.testing.assert_array_equal(lstm.weights[2].numpy(), np.ones(8))
    lstm = L.LSTM(2)
    lstm(X)
    np.testing.assert_array_equal(lstm.weights[2].numpy(), [0, 0, 1, 1, 0, 0, 0, 0])
    config = L.GRU(3, return_sequences=True, name="g").get_config()
    assert config["units"] == 3 and config["reset_after"] is True
    assert config["return_sequences"] is True and config["recurrent_activation"] == "sigmoid"
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"


def test_gradients_through_an_lstm_match_tensorflow():
    lstm = L.LSTM(3)
    lstm(X)
    lstm.set_weights(weights_for(lstm))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(lstm(X) ** 2)
    grads = tape.gradient(loss, lstm.trainable_weights)
    for got, want in zip(grads, TF["lstm_grads"]):
        np.testing.assert_allclose(got.numpy(), want, atol=2e-5)


def test_a_user_cell_in_rnn_gets_its_states_as_a_list():
    class Accumulate(L.Layer):
        state_size = 2

        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1], 2), initializer="ones")

        def call(self, inputs, states):
            assert isinstance(states, list)
            h = states[0] + tf.matmul(inputs, self.w)
            return h * 2.0, [h]

    x = np.ones((1, 3, 2), np.float32)
    out, state = L.RNN(Accumulate(), return_state=True)(x)
    np.testing.assert_allclose(state.numpy(), [[6.0, 6.0]])  # 2 per step, 3 steps
    np.testing.assert_allclose(out.numpy(), [[12.0, 12.0]])
    seq = L.RNN(Accumulate(), return_sequences=True, go_backwards=True)(x)
    np.testing.assert_allclose(seq.numpy()[0, :, 0], [4.0, 8.0, 12.0])


def test_initial_state_and_a_traced_function_that_traces_once():
    lstm = L.LSTM(2, return_state=True)
    lstm(X)
    lstm.set_weights(weights_for(lstm))
    h0 = np.full((2, 2), 0.3, np.float32)
    eager = lstm(X, initial_state=[h0, -h0])

    @tf.function
    def run(x, h):
        return lstm(x, initial_state=[h, -h])

    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        traced = run(tf.constant(X), tf.constant(h0))
        run(tf.constant(X + 1.0), tf.constant(h0))
    assert run.experimental_get_tracing_count() == 1
    for a, b in zip(eager, traced):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


def test_an_unknown_sequence_length_traces_per_length(quiet_retraces):
    gru = L.GRU(2, return_sequences=True)
    gru(X)
    run = tf.function(lambda x: gru(x),
                      input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
    assert run(np.ones((2, 5, 3), np.float32)).shape == (2, 5, 2)
    longer = np.ones((1, 7, 3), np.float32)
    np.testing.assert_allclose(run(longer).numpy(), gru(longer).numpy(), atol=1e-6)


def test_fit_of_an_lstm_model_matches_tensorflow_and_traces_once(backend):
    xs = np.sin(np.arange(8 * 4 * 3) * 0.37).reshape(8, 4, 3).astype(np.float32)
    ys = np.cos(np.arange(8) * 0.9).reshape(8, 1).astype(np.float32)
    model = tf.keras.Sequential([tf.keras.Input((4, 3)), L.LSTM(4), L.Dense(1)])
    for layer in model.layers:
        layer.set_weights(weights_for(layer, 0.4))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(xs, ys, epochs=2, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], TF["fit"], rtol=1e-4)
    assert model._train_function.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("make, x, message", [
    (lambda: L.LSTM(2, name="enc"), np.ones((2, 3), np.float32),
     r"LSTM 'enc': expected inputs of rank 3 \(batch, time, features\), got shape \(2, 3\)"),
    (lambda: L.Bidirectional(L.GRU(2), name="bi"), np.ones((4,), np.float32),
     r"Bidirectional 'bi': expected inputs of rank 3.*shape \(4,\)"),
    (lambda: L.TimeDistributed(L.Dense(2), name="td"), np.ones((2, 3), np.float32),
     r"TimeDistributed 'td': inputs need rank >= 3.*shape \(2, 3\)"),
])
def test_bad_ranks_name_the_layer_and_the_shape(make, x, message):
    with pytest.raises(ValueError, match=message):
        make()(x)


def test_new_feature_size_after_building_is_a_clear_error():
    gru = L.GRU(2, name="g")
    gru(X)
    with pytest.raises(ValueError, match=r"GRU 'g': the layer was built for 3 features, got "
                                         r"inputs of shape \(2, 4, 5\)"):
        gru(np.ones((2, 4, 5), np.float32))


def test_unsupported_arguments_say_so():
    with pytest.raises(NotImplementedError, match="stateful"):
        L.LSTM(2, stateful=True)
    with pytest.raises(NotImplementedError, match="dropout"):
        L.GRU(2, dropout=0.2)


def test_an_input_of_unknown_length_keeps_the_time_axis_unknown():
    inp = tf.keras.Input((None, 3))
    seq = L.Bidirectional(L.LSTM(4, return_sequences=True))(inp)
    out, state = L.GRU(2, return_sequences=True, return_state=True)(seq)
    steps = L.TimeDistributed(L.Dense(5))(out)
    assert (seq.shape, out.shape, state.shape, steps.shape) == (
        (None, None, 8), (None, None, 2), (None, 2), (None, None, 5))
    model = tf.keras.Model(inp, steps)
    assert model(np.ones((2, 6, 3), np.float32)).shape == (2, 6, 5)
