"""Keras 3's activations against TF 2.21's values (printed by tf.keras.activations on the
same input, rounded to 5 places), by name in layers, and get/serialize/deserialize."""

import numpy as np
import pytest

import tapeflow as tf

A = tf.keras.activations
X = np.array([[-4.0, -1.0, -0.3, 0.0], [0.2, 0.5, 1.0, 3.5]], np.float32)

# TF 2.21 (Keras 3.15) on X.
EXPECTED = {
    ("celu", ()): [[-0.98168, -0.63212, -0.25918, 0.0], [0.2, 0.5, 1.0, 3.5]],
    ("celu", (("alpha", 0.5),)): [[-0.49983, -0.43233, -0.22559, 0.0], [0.2, 0.5, 1.0, 3.5]],
    ("glu", ()): [[-1.70223, -0.5], [0.14621, 0.48534]],
    ("hard_sigmoid", ()): [[0.0, 0.33333, 0.45, 0.5], [0.53333, 0.58333, 0.66667, 1.0]],
    ("hard_silu", ()): [[0.0, -0.33333, -0.135, 0.0], [0.10667, 0.29167, 0.66667, 3.5]],
    ("hard_tanh", ()): [[-1.0, -1.0, -0.3, 0.0], [0.2, 0.5, 1.0, 1.0]],
    ("hard_shrink", ()): [[-4.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 3.5]],
    ("soft_shrink", (("threshold", 0.4),)): [[-3.6, -0.6, 0.0, 0.0], [0.0, 0.1, 0.6, 3.1]],
    ("tanh_shrink", ()): [[-3.00067, -0.23841, -0.00869, 0.0], [0.00262, 0.03788, 0.23841, 2.50182]],
    ("log_sigmoid", ()): [[-4.01815, -1.31326, -0.85436, -0.69315], [-0.59814, -0.47408, -0.31326, -0.02975]],
    ("log_softmax", ()): [[-4.75472, -1.75472, -1.05472, -0.75472], [-3.45594, -3.15594, -2.65594, -0.15594]],
    ("mish", ()): [[-0.07259, -0.3034, -0.15113, 0.0], [0.1326, 0.37525, 0.8651, 3.49399]],
    ("relu6", ()): [[0.0, 0.0, 0.0, 0.0], [0.2, 0.5, 1.0, 3.5]],
    ("softsign", ()): [[-0.8, -0.5, -0.23077, 0.0], [0.16667, 0.33333, 0.5, 0.77778]],
    ("sparse_plus", ()): [[0.0, 0.0, 0.1225, 0.25], [0.36, 0.5625, 1.0, 3.5]],
    ("sparse_sigmoid", ()): [[0.0, 0.0, 0.35, 0.5], [0.6, 0.75, 1.0, 1.0]],
    ("squareplus", ()): [[0.23607, 0.61803, 0.86119, 1.0], [1.10499, 1.28078, 1.61803, 3.76556]],
    ("squareplus", (("b", 1),)): [[0.06155, 0.20711, 0.37202, 0.5], [0.6099, 0.80902, 1.20711, 3.57003]],
    ("threshold", (("threshold", 0.3), ("default_value", -2.0))):
        [[-2.0, -2.0, -2.0, -2.0], [-2.0, 0.5, 1.0, 3.5]],
    ("relu", (("negative_slope", 0.1),)): [[-0.4, -0.1, -0.03, 0.0], [0.2, 0.5, 1.0, 3.5]],
    ("relu", (("max_value", 0.6),)): [[0.0, 0.0, 0.0, 0.0], [0.2, 0.5, 0.6, 0.6]],
    ("relu", (("threshold", 0.3),)): [[0.0, 0.0, 0.0, 0.0], [0.0, 0.5, 1.0, 3.5]],
    ("relu", (("negative_slope", 0.1), ("max_value", 2.0), ("threshold", 0.3))):
        [[-0.43, -0.13, -0.06, -0.03], [-0.01, 0.5, 1.0, 2.0]],
    ("elu", (("alpha", 0.5),)): [[-0.49084, -0.31606, -0.12959, 0.0], [0.2, 0.5, 1.0, 3.5]],
}


@pytest.mark.parametrize("name,kw", sorted(EXPECTED), ids=lambda v: str(v))
def test_values_match_tf(name, kw):
    y = getattr(A, name)(tf.constant(X), **dict(kw))
    np.testing.assert_allclose(np.asarray(y), EXPECTED[(name, kw)], atol=2e-5)


def test_activations_take_lists_and_trace_once():
    np.testing.assert_allclose(np.asarray(A.mish([0.0, 1.0])), [0.0, 0.8651], atol=1e-4)
    f = tf.function(lambda x: tf.reduce_sum(A.hard_silu(x) + A.squareplus(x)) + tf.reduce_sum(A.glu(x)))
    for seed in (1, 2):
        f(tf.constant(np.random.default_rng(seed).normal(size=(3, 4)).astype(np.float32)))
    assert f.experimental_get_tracing_count() == 1


def test_gradients_flow():
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(A.mish(x) + A.celu(x) + A.soft_shrink(x))
    g = tape.gradient(y, x)
    assert g is not None and np.all(np.isfinite(np.asarray(g)))


def test_get_serialize_deserialize():
    assert A.get("hard_swish") is A.hard_silu
    assert A.get("swish") is A.silu
    assert A.serialize(A.hard_swish) == "hard_silu"  # a function's own name, as Keras 3
    assert A.serialize(A.mish) == "mish"
    assert A.deserialize("celu") is A.celu
    assert A.deserialize({"class_name": "function", "config": "relu6"}) is A.relu6
    assert A.get(None) is A.linear
    custom = lambda x: x  # noqa: E731
    assert A.get(custom) is custom
    assert A.deserialize("mine", custom_objects={"mine": custom}) is custom
    for name in ["mish", "glu", "sparse_plus", "threshold"]:
        assert A.deserialize(A.serialize(A.get(name))) is A.get(name)


def test_unknown_names_and_odd_glu_axes_are_clear_errors():
    with pytest.raises(ValueError, match="nope"):
        A.get("nope")
    with pytest.raises(ValueError, match=r"glu.*even.*\(2, 3\)"):
        A.glu(tf.ones((2, 3)))
    with pytest.raises(ValueError):
        A.get(3)


def test_names_usable_in_layers():
    layer = tf.keras.layers.Dense(2, activation="mish", kernel_initializer="ones")
    y = layer(tf.constant([[1.0, -0.5]]))
    np.testing.assert_allclose(np.asarray(y), [[0.37525, 0.37525]], atol=1e-5)
    assert layer.get_config()["activation"] == "mish"
    act = tf.keras.layers.Activation("hard_swish")
    np.testing.assert_allclose(np.asarray(act(tf.constant([1.0]))), [0.66667], atol=1e-5)
