"""tf.keras models: Sequential, the functional API, subclassing, summary, compile/fit."""

import warnings

import numpy as np
import pytest

import tapeflow as tf

L = tf.keras.layers


def _regression(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    y = (x @ rng.normal(size=(5, 1)) + 0.5).astype(np.float32)
    return x, y


def test_sequential_from_a_list_with_input_is_built_at_once():
    model = tf.keras.Sequential([tf.keras.Input((5,)), L.Dense(8, activation="relu"), L.Dense(1)])
    assert model.built
    assert [v.shape for v in model.trainable_variables] == [(5, 8), (8,), (8, 1), (1,)]
    assert model(np.ones((3, 5), np.float32)).shape == (3, 1)


def test_sequential_with_add_and_input_shape_or_built_on_first_call():
    model = tf.keras.Sequential()
    model.add(L.Dense(4, input_shape=(3,)))
    model.add(L.Dense(2))
    assert model.built and model.layers[1].kernel.shape == (4, 2)
    lazy = tf.keras.Sequential([L.Dense(4), L.Dense(2)])
    assert not lazy.built and lazy.weights == []
    lazy(np.ones((1, 6), np.float32))
    assert lazy.built and lazy.layers[0].kernel.shape == (6, 4)


def test_functional_model_with_two_branches():
    inp = tf.keras.Input((4,), name="features")
    a = L.Dense(3, activation="tanh")(inp)
    b = L.Dense(3)(inp)
    merged = L.Dense(2)(a)
    out = L.Dense(1)(L.Activation("relu")(merged))
    model = tf.keras.Model(inputs=inp, outputs=[out, b])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    y, y_b = model(x)
    layers = model.layers
    assert type(layers[0]).__name__ == "InputLayer"
    dense = [l for l in layers if isinstance(l, L.Dense)]
    assert len(dense) == 4
    h = np.tanh(x @ dense[0].kernel.numpy() + dense[0].bias.numpy())
    h = np.maximum(h @ dense[2].kernel.numpy() + dense[2].bias.numpy(), 0)
    np.testing.assert_allclose(y.numpy(), h @ dense[3].kernel.numpy() + dense[3].bias.numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y_b.numpy(), x @ dense[1].kernel.numpy() + dense[1].bias.numpy(),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="only layers"):
        inp + 1


def test_subclassed_model_and_summary(capsys):
    class MLP(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(16, activation="relu")
            self.drop = L.Dropout(0.5)
            self.norm = L.BatchNormalization()
            self.out = L.Dense(3)

        def call(self, x, training=None):
            return self.out(self.norm(self.drop(self.hidden(x), training=training),
                                      training=training))

    model = MLP()
    with pytest.raises(ValueError, match="not built"):
        model.summary()
    model(np.ones((2, 4), np.float32))
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "mlp' in out
    assert "dense" in out and "(None, 16)" in out and "80" in out
    assert " Total params: 195 (780.00 B)" in out  # 80 + 64 + 51 float32s
    assert " Trainable params: 163 (652.00 B)" in out
    assert " Non-trainable params: 32 (128.00 B)" in out
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dropout",
                                                        "BatchNormalization", "Dense"]


def test_fit_evaluate_predict_and_history(capsys):
    x, y = _regression()
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((5,)), L.Dense(16, activation="relu"),
                                 L.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.02), loss="mse", metrics=["mae"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        history = model.fit(x, y, epochs=12, batch_size=32, validation_data=(x, y), verbose=2)
    assert list(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    losses = history.history["loss"]
    assert len(losses) == 12 and losses[-1] < 0.25 * losses[0]
    out = capsys.readouterr().out
    assert "Epoch 12/12" in out and "val_loss" in out
    loss, mae = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(loss, history.history["val_loss"][-1], rtol=1e-5)
    np.testing.assert_allclose(mae, history.history["val_mae"][-1], rtol=1e-5)
    with pytest.warns(tf.RetraceWarning, match=r"f32\[40,5\] -> f32\[16,5\]"):
        pred = model.predict(x, batch_size=40)  # 40 + 40 + 16: a second signature
    assert pred.shape == (96, 1)
    np.testing.assert_allclose(np.mean((pred - y) ** 2), loss, rtol=1e-4)
    # 96 examples in batches of 32: one signature, so one trace for 36 steps
    assert model._train_function.experimental_get_tracing_count() == 1
    assert int(model.optimizer.iterations.numpy()) == 36


def test_a_nan_loss_stops_fit_names_the_step_and_keeps_good_weights(capsys):
    x, y = _regression()
    x[50] = np.nan  # in the second batch of 32
    model = tf.keras.Sequential([tf.keras.Input((5,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = [v.numpy().copy() for v in model.variables]
    with pytest.warns(tf.keras.models.NonFiniteLossWarning, match=r"epoch 1, batch 2 \(step 2\)"):
        history = model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    after = [v.numpy() for v in model.variables]
    assert all(np.all(np.isfinite(a)) for a in after)
    assert not all(np.array_equal(a, b) for a, b in zip(after, before))  # step 1 is kept
    assert int(model.optimizer.iterations.numpy()) == 1
    assert history.history == {}


def test_fit_on_a_dataset_like_iterable_and_errors():
    x, y = _regression(64)

    class Batches:  # an iterable of (x, y) batches, as a tf.data.Dataset is
        def __iter__(self):
            return iter([(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)])

    batches = Batches()
    model = tf.keras.Sequential([tf.keras.Input((5,)), L.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y)
    model.compile(optimizer="adam", loss="mean_squared_error")
    history = model.fit(batches, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match="different numbers of examples"):
        model.fit(x, y[:10], verbose=0)
    with pytest.raises(ValueError, match="unknown optimizer 'adamaxx'"):
        model.compile(optimizer="adamaxx", loss="mse")


def test_layer_freezing_removes_weights_from_training():
    model = tf.keras.Sequential([tf.keras.Input((5,)), L.Dense(4), L.Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    x, y = _regression(32)
    frozen = model.layers[0].kernel.numpy().copy()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), frozen)


def test_save_weights_and_load_weights_round_trip(tmp_path):
    def build():
        return tf.keras.Sequential([tf.keras.Input((5,)), L.Dense(4), L.BatchNormalization(),
                                    L.Dense(1)])

    model = build()
    x, y = _regression(32)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    path = model.save_weights(tmp_path / "weights")
    saved = [v.numpy().copy() for v in model.weights]
    other = build()
    other.load_weights(path)
    for a, b in zip(saved, other.weights):
        np.testing.assert_array_equal(a, b.numpy())
    np.testing.assert_allclose(other.predict(x), model.predict(x), rtol=1e-6)
    wrong = tf.keras.Sequential([tf.keras.Input((5,)), L.Dense(3), L.BatchNormalization(),
                                 L.Dense(1)])
    before = [v.numpy().copy() for v in wrong.weights]
    with pytest.raises(ValueError, match="kernel"):
        wrong.load_weights(path)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, wrong.weights))


def test_fits_history_reads_as_keras_3_prints_it_in_a_notebook():
    import pickle
    import re

    model = tf.keras.Sequential([tf.keras.Input((2,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), epochs=2,
                        verbose=0)
    assert re.fullmatch(r"<keras\.src\.callbacks\.history\.History object at 0x[0-9a-f]+>",
                        repr(history))
    assert f"{id(history):#x}" in repr(history)
    assert type(history).__module__.startswith("tapeflow.")  # (only the text is Keras')
    again = pickle.loads(pickle.dumps(history))
    assert again.history == history.history and again.epoch == [0, 1]


def test_history_names_metrics_as_given_and_sorts_the_logs():
    # Keras 3: compile(metrics=["mae"]) logs 'mae', and the logs are sorted by name
    # ('accuracy' before 'loss'), as its pythonify_logs does.
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.2, 0.1]], np.float32)
    y = np.array([0, 1, 1, 0])
    model = tf.keras.Sequential([tf.keras.Input((2,)), L.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["acc", "sparse_top_k_categorical_accuracy"])
    history = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
    assert list(history.history) == ["acc", "loss", "sparse_top_k_categorical_accuracy",
                                     "val_acc", "val_loss",
                                     "val_sparse_top_k_categorical_accuracy"]
