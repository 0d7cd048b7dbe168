"""tf.keras behaves as Keras 3 (TensorFlow 2.16+'s tf.keras), where TensorFlow's guides show
it: weight names and repr, which variables a layer tracks, errors raised in `call`, and
model.summary()'s table."""

import re

import numpy as np
import pytest

import tapeflow as tf

L = tf.keras.layers


def test_weights_are_named_by_add_weight_and_carry_the_layer_path():
    layer = L.Dense(2, name="proj")
    layer(tf.ones((1, 3)))
    assert [v.name for v in layer.trainable_variables] == ["kernel", "bias"]
    assert [v.path for v in layer.trainable_variables] == ["proj/kernel", "proj/bias"]
    layer.bias.assign([1.5, -2.0])
    assert repr(layer.bias) == ("<Variable path=proj/bias, shape=(2,), dtype=float32, "
                                "value=[ 1.5 -2. ]>")
    assert str(layer.bias) == repr(layer.bias)
    assert isinstance(layer.kernel, tf.Variable)  # still a variable for tapes and ops
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(tf.ones((1, 3))))
    assert tape.gradient(y, layer.bias).numpy().tolist() == [1.0, 1.0]


class PlainVariables(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(tf.ones([3, 2]), name="w")
        self.pair = [tf.Variable(1.0), tf.Variable(2.0)]

    def build(self, input_shape):
        self.b = tf.Variable(tf.zeros([2]), name="b")
        self.scale = self.add_weight(name="scale", shape=(2,), initializer="ones")

    def call(self, inputs):
        return (tf.matmul(inputs, self.w) + self.b) * self.scale


def test_a_layer_tracks_its_add_weight_weights_not_plain_variables():
    layer = PlainVariables()
    assert layer.variables == []
    layer(tf.ones((1, 3)))
    assert [v.name for v in layer.variables] == ["scale"]
    assert layer.count_params() == 2

    class Model(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = PlainVariables()
            self.extra = tf.Variable(3.0)

        def call(self, x):
            return self.inner(x) * self.extra

    model = Model()
    model(tf.ones((1, 3)))
    assert [v.path for v in model.trainable_variables] == [f"{model.inner.name}/scale"]


class Broken(L.Layer):
    def call(self, inputs, factor=1.0):
        return tf.matmul(inputs, tf.ones((3, 3))) * factor


def test_an_error_in_call_says_which_call_and_its_arguments():
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        Broken()(tf.ones((1, 4)), factor=2.0)
    text = str(info.value)
    assert text.startswith("Exception encountered when calling Broken.call().\n\n\x1b[1m")
    assert "matmul" in text and "\x1b[0m\n\nArguments received by Broken.call():\n" in text
    assert text.endswith("  \u2022 inputs=tf.Tensor(shape=(1, 4), dtype=float32)\n"
                         "  \u2022 factor=2.0")


def test_only_the_innermost_call_reports_and_training_only_when_given():
    class Outer(L.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Broken()

        def call(self, x, training=None):
            return self.inner(x)

    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        Outer()(tf.ones((1, 4)))
    text = str(info.value)
    assert text.count("Exception encountered") == 1 and "Broken.call()" in text
    assert "training" not in text

    class Failing(L.Layer):
        def call(self, x, training=None):
            raise ValueError("bad input")

    with pytest.raises(ValueError, match=re.escape("  \u2022 training=True")):
        Failing()(tf.ones((2,)), training=True)


def test_summary_is_keras_3s_table():
    model = tf.keras.Sequential([tf.keras.Input((784,)), L.Dense(128, activation="relu"),
                                 L.Dropout(0.2), L.Dense(10), L.BatchNormalization()])
    lines = []
    model.summary(print_fn=lines.append)
    name = model.name
    dense, dropout, dense_1, bn = (layer.name for layer in model.layers)
    assert lines == [
        f'Model: "{name}"',
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓",
        "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩",
        f"│ {dense + ' (Dense)':31} │ (None, 128)            │       100,480 │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        f"│ {dropout + ' (Dropout)':31} │ (None, 128)            │             0 │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        f"│ {dense_1 + ' (Dense)':31} │ (None, 10)             │         1,290 │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        f"│ {bn:31} │ (None, 10)             │            40 │",
        "│ (BatchNormalization)            │                        │               │",
        "└─────────────────────────────────┴────────────────────────┴───────────────┘",
        " Total params: 101,810 (397.70 KB)",
        " Trainable params: 101,790 (397.62 KB)",
        " Non-trainable params: 20 (80.00 B)",
    ]


def test_functional_models_are_named_functional_and_long_names_are_cut():
    inputs = tf.keras.Input((3,))
    outputs = L.Dense(4, name="a_very_long_layer_name_indeed_for_wrapping")(inputs)
    model = tf.keras.Model(inputs=inputs, outputs=outputs)
    assert re.fullmatch(r"functional(_\d+)?", model.name)
    lines = []
    model.summary(print_fn=lines.append)
    assert "│ a_very_long_layer_name_indeed_… │ (None, 4)              │            16 │" in lines
    assert "│ (Dense)                         │                        │               │" in lines
    assert lines[-3:] == [" Total params: 16 (64.00 B)", " Trainable params: 16 (64.00 B)",
                          " Non-trainable params: 0 (0.00 B)"]
    big = tf.keras.Sequential([tf.keras.Input((1000,)), L.Dense(2000)])
    lines = []
    big.summary(print_fn=lines.append)
    assert lines[-3] == " Total params: 2,002,000 (7.64 MB)"
    assert np.all([len(line) == 76 for line in lines[1:-3]])


def test_progress_bar_is_keras_3s(monkeypatch):
    import io

    from tapeflow.keras.models import training

    clock = iter([100.0, 100.6, 100.6, 100.62, 101.214])
    monkeypatch.setattr(training.time, "time", lambda: next(clock))
    out = io.StringIO()
    bar = training.ProgressBar(2, 1, stream=out)  # starts at 100.0
    assert bar.wants_update(1)  # step 1 ended at 100.6: drawn
    bar.update(1, {"loss": 2.0345})  # at 100.6
    assert not bar.wants_update(2)  # 0.02 s later: not redrawn
    bar.update(2, {"loss": 0.5})  # the last step: drawn only by the final update
    bar.update(2, {"loss": 0.00079725}, final=True)  # at 101.214
    first = ("\r\x1b[1m1/2\x1b[0m \x1b[32m" + "━" * 10 + "\x1b[0m\x1b[37m" + "━" * 10
             + "\x1b[0m \x1b[1m0s\x1b[0m 600ms/step - loss: 2.0345")
    final = ("\b" * 53 + "\r\x1b[1m2/2\x1b[0m \x1b[32m" + "━" * 20 + "\x1b[0m\x1b[37m\x1b[0m"
             " \x1b[1m1s\x1b[0m 614ms/step - loss: 7.9725e-04\n")
    assert out.getvalue() == first + final

    clock = iter([0.0, 0.301])
    out = io.StringIO()
    training.ProgressBar(1, 2, stream=out).update(1, {"loss": 4.1174}, final=True)
    assert out.getvalue() == "1/1 - 0s - 301ms/step - loss: 4.1174\n"


def test_fit_prints_no_epoch_line_for_a_single_epoch(capsys):
    model = tf.keras.Sequential([tf.keras.Input((2,)), L.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    model.fit(x, y, epochs=1, verbose=2)
    assert "Epoch" not in capsys.readouterr().out
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/2\n1/1 - ") and "Epoch 2/2\n" in out
