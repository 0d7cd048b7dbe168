"""tf.keras.layers: Layer subclassing, the built-in layers, initializers and activations."""

import re

import numpy as np
import pytest

import tapeflow as tf

L = tf.keras.layers


def test_a_subclassed_layer_builds_on_first_call_and_tracks_its_weights():
    class Scale(L.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")
            self.count = self.add_weight("count", (), initializer="zeros", trainable=False)

        def call(self, x, training=None):
            if training:
                self.count.assign_add(1.0)
            return x * self.w

    layer = Scale()
    assert not layer.built and layer.trainable_weights == []
    y = layer(tf.ones((2, 3)), training=True)
    assert layer.built and y.shape == (2, 3)
    assert [(v.name, v.path) for v in layer.trainable_weights] == [("w", "scale/w")]
    assert [v.path for v in layer.non_trainable_weights] == ["scale/count"]
    assert float(layer.count.numpy()) == 1.0
    layer(tf.ones((2, 3)))  # training defaults to None: no count
    assert float(layer.count.numpy()) == 1.0
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    layer.trainable = True
    assert [(v.name, v.path) for v in layer.trainable_weights] == [("w", "scale/w")]  # count stays frozen


def test_training_reaches_nested_layers():
    seen = []

    class Probe(L.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Outer(L.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Probe()

        def call(self, x):
            return self.inner(x)

    Outer()(tf.ones((1, 2)), training=True)
    Outer()(tf.ones((1, 2)))
    assert seen == [True, None]


def test_dense_names_match_the_seeds_and_sublayer_weights_come_in_creation_order():
    class Block(L.Layer):
        def __init__(self):
            super().__init__()
            self.first = L.Dense(4)
            self.second = L.Dense(2)

        def call(self, x):
            return self.second(self.first(x))

    block = Block()
    block(tf.ones((1, 3)))
    names = [v.name for v in block.trainable_weights]
    assert names == ["kernel", "bias", "kernel", "bias"]  # Keras 3: the add_weight name
    paths = [v.path for v in block.trainable_weights]
    assert re.fullmatch(r"dense(_\d+)?/kernel", paths[0])
    assert paths[0].split("/")[0] == paths[1].split("/")[0] != paths[2].split("/")[0]


def test_flatten_activation_and_embedding():
    x = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert L.Flatten()(x).shape == (2, 12)
    np.testing.assert_allclose(L.Activation("relu")(tf.constant([-1.0, 2.0])).numpy(), [0, 2])
    emb = L.Embedding(10, 3)
    out = emb(np.array([[1, 2], [9, 0]]))
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[0, 0], emb.embeddings.numpy()[1])
    assert emb.embeddings.dtype == tf.float32
    assert np.all(np.abs(emb.embeddings.numpy()) <= 0.05)


def test_dropout_is_the_identity_at_inference_and_scales_in_training():
    x = tf.ones((200, 50))
    layer = L.Dropout(0.25)
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.2 < np.mean(y == 0) < 0.3
    assert not np.array_equal(y, layer(x, training=True).numpy())  # a new mask per call


def test_dropout_is_reproducible_under_set_seed():
    x = tf.ones((20, 20))
    tf.random.set_seed(7)
    a = L.Dropout(0.5)(x, training=True).numpy()
    tf.random.set_seed(7)
    b = L.Dropout(0.5)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)


def _bn_data(steps=10):
    rng = np.random.default_rng(3)
    return [rng.normal(2.0, 3.0, size=(16, 4)).astype(np.float32) for _ in range(steps)]


def test_batch_normalization_training_and_inference():
    bn = L.BatchNormalization(momentum=0.9)
    x = _bn_data(1)[0]
    y = bn(x, training=True).numpy()
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    inference = bn(x).numpy()
    np.testing.assert_allclose(
        inference, (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3),
        rtol=1e-4, atol=1e-5)
    assert [v.name for v in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert len(bn.trainable_weights) == 2


def _bn_run(compiled: bool):
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((4,)), L.Dense(3), L.BatchNormalization(),
                                 L.Dense(1)])
    for v, init in zip(model.weights, _fixed_weights(model)):
        v.assign(init)
    opt = tf.keras.optimizers.SGD(0.05)

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(model(x, training=True) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    fn = tf.function(step) if compiled else step
    for x in _bn_data():
        fn(tf.constant(x))
    bn = model.layers[1]
    return bn.moving_mean.numpy(), bn.moving_variance.numpy(), fn


def _fixed_weights(model):
    rng = np.random.default_rng(1)
    return [rng.normal(size=v.shape).astype(np.float32) if v.trainable
            else v.numpy() for v in model.weights]


def test_batch_norm_moving_statistics_after_10_compiled_steps_equal_eager(backend):
    eager_mean, eager_var, _ = _bn_run(False)
    mean, var, fn = _bn_run(True)
    np.testing.assert_allclose(mean, eager_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, eager_var, rtol=1e-5, atol=1e-6)
    assert fn.experimental_get_tracing_count() == 1
    assert not np.allclose(eager_var, 1.0)  # they did move


def test_layer_normalization():
    x = _bn_data(1)[0]
    ln = L.LayerNormalization()
    y = ln(x).numpy()
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)


# ---- initializers and activations ------------------------------------------------------------


def test_initializers_by_name_and_class():
    I = tf.keras.initializers
    assert np.all(I.get("zeros")((2, 3)).numpy() == 0)
    assert I.get("ones")((2,), "float64").dtype == tf.float64
    for name in ["glorot_uniform", "GlorotUniform", "he_uniform"]:
        fan_in, fan_out = 300, 200
        w = I.get(name)((fan_in, fan_out)).numpy()
        scale = 2.0 / fan_in if name == "he_uniform" else 2.0 / (fan_in + fan_out)
        limit = np.sqrt(3 * scale)
        assert np.all(np.abs(w) <= limit) and np.abs(w).max() > 0.9 * limit
    w = I.HeNormal()((400, 300)).numpy()
    np.testing.assert_allclose(w.std(), np.sqrt(2 / 400), rtol=0.05)
    assert np.abs(w).max() <= 2 * np.sqrt(2 / 400) / 0.8796256610342398 + 1e-6
    layer = L.Dense(3, kernel_initializer="zeros", bias_initializer=I.Constant(0.5))
    layer(tf.ones((1, 2)))
    assert np.all(layer.kernel.numpy() == 0) and np.all(layer.bias.numpy() == 0.5)
    with pytest.raises(ValueError, match="glorot_normal, glorot_uniform"):
        I.get("glorot")


def test_initializers_are_reproducible_under_set_seed():
    tf.random.set_seed(3)
    a = tf.keras.initializers.GlorotUniform()((4, 4))
    tf.random.set_seed(3)
    b = tf.keras.initializers.GlorotUniform()((4, 4))
    np.testing.assert_array_equal(a, b)


def test_an_initializer_returns_a_tensor_as_in_keras():
    inits = tf.keras.initializers
    z = inits.Zeros()((2,))
    assert isinstance(z, tf.Tensor)
    assert repr(z) == ("<tf.Tensor: shape=(2,), dtype=float32, "
                       "numpy=array([0., 0.], dtype=float32)>")
    c = inits.Constant(3.0)((2,), dtype="float64")
    assert c.dtype == tf.float64 and c.numpy().tolist() == [3.0, 3.0]
    g = inits.GlorotUniform(seed=1)((2, 2))
    assert isinstance(g, tf.Tensor) and g.shape == (2, 2) and g.dtype == tf.float32


class _Halves(tf.keras.initializers.Initializer):
    """A user's initializer, Keras-style: it overrides __call__ and returns a tensor."""

    def __call__(self, shape, dtype=None):
        return tf.fill(shape, tf.constant(0.5, dtype or tf.float32))


@pytest.mark.parametrize("initializer", [_Halves(), lambda shape, dtype=None: np.full(shape, 0.5),
                                         lambda shape, dtype=None: tf.fill(shape, 0.5)])
def test_user_initializers_give_the_weights_eagerly_and_when_built_in_a_trace(initializer):
    eager = tf.keras.layers.Dense(2, kernel_initializer=initializer)
    eager(tf.ones((1, 3)))
    assert eager.kernel.numpy().tolist() == [[0.5, 0.5]] * 3
    traced = tf.keras.layers.Dense(2, kernel_initializer=initializer)
    y = tf.function(traced)(tf.ones((1, 3)))
    assert traced.kernel.numpy().tolist() == [[0.5, 0.5]] * 3
    np.testing.assert_allclose(y.numpy(), [[1.5, 1.5]])


def _erf(x):
    from math import erf

    return np.vectorize(erf)(x)


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "elu": lambda x: np.where(x > 0, x, np.exp(np.minimum(x, 0)) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 *
                                                    (np.exp(np.minimum(x, 0)) - 1)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "linear": lambda x: x,
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_by_name_and_their_gradients(name):
    x64 = np.linspace(-4, 4, 16).reshape(1, 16)  # no kink at 0
    fn = tf.keras.activations.get(name)
    np.testing.assert_allclose(fn(tf.constant(x64)).numpy(), ACTIVATIONS[name](x64),
                               rtol=1e-6, atol=2e-7)
    v = tf.Variable(x64)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(fn(v) * np.arange(16.0))
    g = tape.gradient(y, v).numpy()
    h = 1e-6
    numeric = ((ACTIVATIONS[name](x64 + h) - ACTIVATIONS[name](x64 - h)) / (2 * h))
    if name != "softmax":  # elementwise: the chain rule by hand
        np.testing.assert_allclose(g, numeric * np.arange(16.0), rtol=1e-4, atol=1e-5)
    assert np.all(np.isfinite(g))


def test_elu_gradient_is_finite_for_large_inputs():
    v = tf.Variable([100.0, -100.0, 1000.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.keras.activations.elu(v))
    assert np.all(np.isfinite(tape.gradient(y, v).numpy()))


def test_unknown_activation_lists_the_choices():
    with pytest.raises(ValueError, match="elu, exponential, gelu"):
        tf.keras.activations.get("relux")


def test_build_called_directly_marks_the_layer_built_so_set_weights_holds():
    # Keras 3: layer.build(shape) then set_weights; the first call must use those weights.
    # Before, the call built the layer again: new random weights beside the ones set.
    d = tf.keras.layers.Dense(2, use_bias=False)
    d.build((None, 3))
    assert d.built
    d.set_weights([np.arange(6, dtype=np.float32).reshape(3, 2)])
    out = d(np.array([[1.0, -2.0, 0.5]], np.float32))
    np.testing.assert_array_equal(out.numpy(), [[-2.0, -2.5]])
    assert len(d.weights) == 1 and d.count_params() == 6
    e = tf.keras.layers.Embedding(4, 2)
    e.build((None,))
    e.set_weights([np.arange(8, dtype=np.float32).reshape(4, 2)])
    np.testing.assert_array_equal(e(np.array([3])).numpy(), [[6.0, 7.0]])
    assert len(e.weights) == 1


def test_reshape_global_pooling_concatenate_and_add():
    L = tf.keras.layers
    x = np.arange(2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2)
    assert L.Reshape((-1, 4))(x).shape == (2, 8, 4)
    np.testing.assert_array_equal(L.GlobalAveragePooling2D()(x).numpy(), x.mean((1, 2)))
    np.testing.assert_array_equal(L.GlobalMaxPooling2D()(x).numpy(), x.max((1, 2)))
    a, b = np.ones((1, 2), np.float32), np.full((1, 3), 2.0, np.float32)
    np.testing.assert_array_equal(L.Concatenate()([a, b]).numpy(), [[1, 1, 2, 2, 2]])
    np.testing.assert_array_equal(L.Add()([a, a, a]).numpy(), [[3, 3]])
    inputs = tf.keras.Input((2,))
    out = L.Concatenate()([L.Dense(3)(inputs), L.Add()([inputs, inputs])])
    assert tf.keras.Model(inputs, out)(a).shape == (1, 5)


def test_windowed_pooling_layers_match_tf_nn_pooling_and_refuse_bad_arguments():
    x = tf.constant(np.arange(2 * 5 * 5 * 3, dtype=np.float32).reshape(2, 5, 5, 3) % 7)
    np.testing.assert_array_equal(tf.keras.layers.MaxPooling2D()(x).numpy(),
                                  tf.nn.max_pool2d(x, 2, 2, "VALID").numpy())
    np.testing.assert_array_equal(
        tf.keras.layers.AveragePooling2D(3, strides=1, padding="same")(x).numpy(),
        tf.nn.avg_pool2d(x, 3, 1, "SAME").numpy())
    assert tf.keras.layers.MaxPool2D((2, 3), strides=(1, 2))(x).shape == (2, 4, 2, 3)
    with pytest.raises(ValueError, match="padding"):
        tf.keras.layers.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="pool_size"):
        tf.keras.layers.AveragePooling2D(pool_size=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="4-D"):
        tf.keras.layers.MaxPooling2D()(tf.ones((5, 5, 3)))
