"""Keras 3's Identity and Orthogonal initializers, the lowercase class aliases, and
serialize/deserialize/get, against what TF 2.21's Keras gives (shapes, orthogonality and
configs rather than random draws)."""

import numpy as np
import pytest

import tapeflow as tf

I = tf.keras.initializers


def test_identity_is_gain_times_eye():
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 3)).numpy(),
                                  [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    assert I.identity is I.Identity and I.IdentityInitializer is I.Identity
    with pytest.raises(ValueError, match=r"Identity.*2D.*\(2, 3, 4\)"):
        I.Identity()((2, 3, 4))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (2, 3, 4)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    q = I.Orthogonal(gain=2.0, seed=1)(shape).numpy()
    assert q.shape == shape and q.dtype == np.float32
    m = q.reshape(-1, shape[-1])
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-5)
    # Seeded: the same seed, the same matrix.
    np.testing.assert_array_equal(q, I.Orthogonal(gain=2.0, seed=1)(shape).numpy())
    with pytest.raises(ValueError, match=r"Orthogonal.*2D.*\(3,\)"):
        I.Orthogonal()((3,))


def test_lowercase_names_are_the_classes():
    for low, cls in [("constant", "Constant"), ("identity", "Identity"),
                     ("orthogonal", "Orthogonal"), ("random_normal", "RandomNormal"),
                     ("random_uniform", "RandomUniform"), ("truncated_normal", "TruncatedNormal"),
                     ("variance_scaling", "VarianceScaling"), ("lecun_normal", "LecunNormal"),
                     ("lecun_uniform", "LecunUniform"), ("zeros", "Zeros")]:
        assert getattr(I, low) is getattr(I, cls)
        assert type(I.get(low)) is getattr(I, cls)


def test_serialize_and_deserialize_as_keras3():
    assert I.serialize(I.Constant(0.5)) == {"module": "keras.initializers",
                                            "class_name": "Constant",
                                            "config": {"value": 0.5}, "registered_name": None}
    assert I.serialize(I.Orthogonal(gain=2.0))["config"] == {"seed": None, "gain": 2.0}
    assert I.RandomNormal(seed=1).get_config() == {"seed": 1, "mean": 0.0, "stddev": 0.05}
    for init in [I.GlorotUniform(seed=3), I.Orthogonal(gain=2.0, seed=4), I.Constant(2.0),
                 I.VarianceScaling(2.0, "fan_out", "uniform", seed=5), I.HeNormal(seed=1)]:
        back = I.deserialize(I.serialize(init))
        assert type(back) is type(init) and back.get_config() == init.get_config()
    assert type(I.deserialize("Orthogonal")) is I.Orthogonal
    assert type(I.get({"class_name": "Constant", "config": {"value": 2.0}})) is I.Constant
    with pytest.raises(ValueError, match="unknown initializer 'nope'"):
        I.deserialize("nope")


def test_by_name_in_layers():
    layer = tf.keras.layers.Dense(3, kernel_initializer="orthogonal",
                                  bias_initializer=I.constant(0.1))
    layer(tf.ones((1, 3)))
    k = layer.kernel.numpy()
    np.testing.assert_allclose(k.T @ k, np.eye(3), atol=1e-5)
    np.testing.assert_allclose(layer.bias.numpy(), [0.1, 0.1, 0.1])
    layer = tf.keras.layers.Dense(2, kernel_initializer="identity")
    layer(tf.ones((1, 2)))
    np.testing.assert_array_equal(layer.kernel.numpy(), np.eye(2))
