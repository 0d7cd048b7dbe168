"""The Keras 3 layers beyond the first set: activation, shape, merge, noise, convolution,
1-D pooling and normalization layers. Expected numbers marked "TF 2.21" were printed by
TensorFlow 2.21's Keras 3 on the same inputs and weights (keras_cells.py holds more)."""

import re

import numpy as np
import pytest

import tapeflow as tf

L = tf.keras.layers
C = tf.keras.initializers.Constant


# ---- activation layers ------------------------------------------------------------------------


def test_relu_options_and_leaky_relu_elu_match_keras_formulas():
    x = np.array([[-3.0, -1.0, -0.5, 0.0, 0.5, 2.0, 7.0]], np.float32)
    np.testing.assert_allclose(L.ReLU(max_value=6.0)(x).numpy(), np.clip(x, 0, 6))
    np.testing.assert_allclose(L.ReLU(threshold=1.0)(x).numpy(), np.where(x > 1, x, 0))
    # TF 2.21: max_value 5, slope 0.2, threshold 0.5
    np.testing.assert_allclose(
        L.ReLU(max_value=5.0, negative_slope=0.2, threshold=0.5)(x).numpy(),
        [[-0.7, -0.3, -0.2, -0.1, 0.0, 2.0, 5.0]], rtol=1e-6)
    np.testing.assert_allclose(L.LeakyReLU()(x).numpy(), np.where(x > 0, x, 0.3 * x),
                               rtol=1e-6)
    np.testing.assert_allclose(L.LeakyReLU(alpha=0.1)(x).numpy(), np.where(x > 0, x, 0.1 * x),
                               rtol=1e-6)  # Keras 2's argument name
    np.testing.assert_allclose(L.ELU(alpha=0.5)(x).numpy(),
                               np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), rtol=1e-5)
    assert L.ReLU(max_value=6.0).get_config() | {"name": None} == {
        "name": None, "trainable": True, "max_value": 6.0, "negative_slope": 0.0,
        "threshold": 0.0}
    with pytest.raises(ValueError, match="ReLU: threshold"):
        L.ReLU(threshold=-1.0)


def test_softmax_layer_axis_list_and_mask():
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    masked = L.Softmax()(x, mask=np.array([[1, 0, 1]])).numpy()
    e = np.exp([1.0, 3.0])
    np.testing.assert_allclose(masked, [[e[0] / e.sum(), 0.0, e[1] / e.sum()]], rtol=1e-6)
    y = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    out = L.Softmax(axis=[1, 2])(y).numpy()
    np.testing.assert_allclose(out.sum((1, 2)), [1.0, 1.0], rtol=1e-6)
    out = L.Identity()(x)
    assert isinstance(out, tf.Tensor) and out.numpy().tolist() == x.tolist()


def test_prelu_weight_shape_shared_axes_values_and_gradient():
    p = L.PReLU(alpha_initializer=C(0.25), shared_axes=[1])
    x = np.array([[[-2.0, 1.0], [3.0, -4.0], [-1.0, -1.0]]], np.float32)
    np.testing.assert_allclose(p(x).numpy(), [[[-0.5, 1.0], [3.0, -1.0], [-0.25, -0.25]]])
    assert [(w.name, tuple(w.shape)) for w in p.weights] == [("alpha", (1, 2))]
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(p(x))
    np.testing.assert_allclose(tape.gradient(y, p.alpha).numpy(), [[-3.0, -5.0]])  # TF 2.21
    q = L.PReLU()
    q(x)
    assert tuple(q.alpha.shape) == (3, 2) and np.all(q.alpha.numpy() == 0)
    assert p.get_config()["alpha_initializer"]["class_name"] == "Constant"
    with pytest.raises(ValueError, match=r"PReLU .*shared_axes entry 3.*\(1, 3, 2\)"):
        L.PReLU(shared_axes=[3])(x)


# ---- shape layers -----------------------------------------------------------------------------


def test_permute_repeat_crop_and_pad_follow_numpy():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(L.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    np.testing.assert_array_equal(L.RepeatVector(3)(x[:, 0]).numpy(),
                                  np.repeat(x[:, None, 0], 3, axis=1))
    np.testing.assert_array_equal(L.Cropping1D((0, 2))(x).numpy(), x[:, :1])
    img = np.arange(2 * 4 * 5 * 1, dtype=np.float32).reshape(2, 4, 5, 1)
    np.testing.assert_array_equal(L.Cropping2D(((1, 0), (1, 2)))(img).numpy(),
                                  img[:, 1:, 1:3])
    np.testing.assert_array_equal(L.ZeroPadding1D((0, 2))(x).numpy(),
                                  np.pad(x, [(0, 0), (0, 2), (0, 0)]))
    np.testing.assert_array_equal(L.ZeroPadding2D(((1, 0), (0, 2)))(img).numpy(),
                                  np.pad(img, [(0, 0), (1, 0), (0, 2), (0, 0)]))
    assert L.Cropping2D(1).get_config()["cropping"] == ((1, 1), (1, 1))
    assert L.ZeroPadding2D((1, 2)).get_config()["padding"] == ((1, 1), (2, 2))
    assert L.Cropping1D().name.startswith("cropping1d")  # Keras's naming, not conv2_d-style


def test_shape_layers_name_the_layer_and_shape_in_their_errors():
    x = np.ones((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match=r'layer "repeat_vector.*expected ndim=2 .*, found '
                                         r'ndim=3. Full shape received: \(2, 3, 4\)'):
        L.RepeatVector(2)(x)
    with pytest.raises(ValueError, match=r"Cropping1D .*cropping 2 \+ 2.*size 3"):
        L.Cropping1D(2)(x)
    with pytest.raises(ValueError, match=r"Permute: dims must be a permutation"):
        L.Permute((1, 3))
    with pytest.raises(TypeError, match="RepeatVector: n must be an int"):
        L.RepeatVector(2.0)


def test_upsampling_nearest_repeats_and_bilinear_resizes():
    x = np.arange(6, dtype=np.float32).reshape(1, 3, 2)
    np.testing.assert_array_equal(L.UpSampling1D(2)(x).numpy(), np.repeat(x, 2, axis=1))
    img = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(L.UpSampling2D((2, 3))(img).numpy(),
                                  np.repeat(np.repeat(img, 2, 1), 3, 2))
    bilinear = L.UpSampling2D(2, interpolation="bilinear")(img).numpy()[0, :, :, 0]
    np.testing.assert_allclose(bilinear, [[0.0, 0.25, 0.75, 1.0], [0.5, 0.75, 1.25, 1.5],
                                          [1.5, 1.75, 2.25, 2.5], [2.0, 2.25, 2.75, 3.0]])
    # TF 2.21 ^


# ---- merge layers -----------------------------------------------------------------------------


def test_merge_layers_elementwise_and_in_a_functional_model():
    a = np.array([[1.0, -2.0, 3.0]], np.float32)
    b = np.array([[0.5, 4.0, -1.0]], np.float32)
    c = np.array([[2.0, 2.0, 2.0]], np.float32)
    np.testing.assert_array_equal(L.Multiply()([a, b, c]).numpy(), a * b * c)
    np.testing.assert_array_equal(L.Subtract()([a, b]).numpy(), a - b)
    np.testing.assert_allclose(L.Average()([a, b, c]).numpy(), (a + b + c) / 3, rtol=1e-6)
    np.testing.assert_array_equal(L.Maximum()([a, b, c]).numpy(), np.maximum(np.maximum(a, b), c))
    np.testing.assert_array_equal(L.Minimum()([a, b]).numpy(), np.minimum(a, b))
    inputs = [tf.keras.Input((3,)), tf.keras.Input((3,))]
    model = tf.keras.Model(inputs, L.Multiply()(inputs))
    np.testing.assert_array_equal(model([a, b]).numpy(), a * b)
    with pytest.raises(ValueError, match=r"`Subtract` layer .*exactly 2 inputs, got 3"):
        L.Subtract()([a, b, c])
    with pytest.raises(ValueError, match=r"Multiply .*incompatible shapes.*\(1, 3\) and \(1, 4\)"):
        L.Multiply()([a, np.ones((1, 4), np.float32)])


def test_dot_layer_axes_normalize_and_errors():
    a = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -2.0]], np.float32)
    b = np.array([[4.0, 5.0, 6.0], [2.0, 2.0, 2.0]], np.float32)
    np.testing.assert_array_equal(L.Dot(axes=1)([a, b]).numpy(), (a * b).sum(1, keepdims=True))
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(L.Dot(-1, normalize=True)([a, b]).numpy()[:, 0], cos, rtol=1e-5)
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    y = np.arange(18, dtype=np.float32).reshape(2, 3, 3) / 10
    np.testing.assert_allclose(L.Dot(axes=(2, 1))([x, y]).numpy(), x @ y, rtol=1e-6)
    assert L.Dot(axes=1)([x, np.ones((2, 2, 5), np.float32)]).shape == (2, 3, 5)
    with pytest.raises(ValueError, match=r"Dot .*incompatibility: 3 != 4.*\(2, 3\), \(2, 4\)"):
        L.Dot(axes=1)([a, np.ones((2, 4), np.float32)])
    with pytest.raises(ValueError, match="list of 2 inputs"):
        L.Dot(axes=1)([a])


# ---- noise layers -----------------------------------------------------------------------------


NOISE = [lambda: L.GaussianNoise(0.5), lambda: L.GaussianDropout(0.3),
         lambda: L.AlphaDropout(0.2), lambda: L.SpatialDropout1D(0.5)]


@pytest.mark.parametrize("make", NOISE)
def test_noise_layers_are_the_identity_at_inference_and_draw_in_training(make):
    x = np.arange(1, 25, dtype=np.float32).reshape(2, 3, 4)
    layer = make()
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert not np.array_equal(first, x) and not np.array_equal(first, second)


def test_noise_statistics_and_spatial_dropout_drops_whole_channels():
    n = L.GaussianNoise(1.0)(np.zeros((200, 100), np.float32), training=True).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05
    d = L.GaussianDropout(0.5)(np.ones((200, 100), np.float32), training=True).numpy()
    assert abs(d.mean() - 1.0) < 0.05 and abs(d.std() - 1.0) < 0.05
    a = L.AlphaDropout(0.999999)(np.zeros((1, 3), np.float32), training=True).numpy()
    np.testing.assert_allclose(a, [[-0.001] * 3], atol=2e-4)  # TF 2.21: all dropped
    t = L.SpatialDropout2D(0.5)(np.ones((4, 3, 3, 6), np.float32), training=True).numpy()
    assert all(len(np.unique(t[b, :, :, c])) == 1 for b in range(4) for c in range(6))
    assert set(np.unique(t).tolist()) <= {0.0, 2.0}
    with pytest.raises(ValueError, match=r'"spatial_dropout2d.*expected ndim=4.*\(2, 3\)'):
        L.SpatialDropout2D(0.5)(np.ones((2, 3), np.float32), training=True)
    assert set(L.SpatialDropout1D(0.5).get_config()) == {"name", "rate", "seed"}


def test_noise_draws_afresh_on_every_call_of_a_compiled_step():
    layer = L.GaussianNoise(1.0)
    step = tf.function(lambda x: layer(x, training=True))
    x = tf.zeros((3, 4))
    first, second = step(x).numpy(), step(x).numpy()
    assert not np.array_equal(first, second)
    assert step.experimental_get_tracing_count() == 1


# ---- convolutions -----------------------------------------------------------------------------


def _conv1d_reference(x, k, b, stride=1, dilation=1):
    reach = (k.shape[0] - 1) * dilation + 1
    steps = range(0, x.shape[1] - reach + 1, stride)
    return np.stack([np.einsum("nkc,kcf->nf", x[:, t:t + reach:dilation], k) for t in steps],
                    1) + b


def test_conv1d_matches_a_numpy_reference_for_valid_causal_and_strided():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 2)).astype(np.float32)
    k = rng.normal(size=(3, 2, 4)).astype(np.float32)
    b = rng.normal(size=(4,)).astype(np.float32)
    for kw, padded, stride, dilation in [
            ({}, x, 1, 1), ({"strides": 2}, x, 2, 1),
            ({"padding": "causal"}, np.pad(x, [(0, 0), (2, 0), (0, 0)]), 1, 1),
            ({"padding": "causal", "dilation_rate": 2}, np.pad(x, [(0, 0), (4, 0), (0, 0)]), 1,
             2)]:
        c = L.Conv1D(4, 3, **kw)
        c.build((None, 7, 2))
        c.set_weights([k, b])
        np.testing.assert_allclose(c(x).numpy(), _conv1d_reference(padded, k, b, stride,
                                                                    dilation),
                                   rtol=1e-5, atol=1e-5, err_msg=str(kw))
    assert [(w.name, tuple(w.shape)) for w in c.weights] == [("kernel", (3, 2, 4)),
                                                               ("bias", (4,))]
    assert c.get_config()["padding"] == "causal" and c.get_config()["kernel_size"] == (3,)
    with pytest.raises(ValueError, match=r"Conv1D .*3 channels, the layer was built for 2"):
        c(np.ones((2, 7, 3), np.float32))
    with pytest.raises(ValueError, match="strides > 1 not supported in conjunction"):
        L.Conv1D(2, 3, strides=2, dilation_rate=2)


def test_conv2d_transpose_shapes_and_values_as_tf():
    x = np.arange(2 * 3 * 3 * 2, dtype=np.float32).reshape(2, 3, 3, 2) / 10
    shapes = {(1, "valid", None): (5, 5), (2, "valid", None): (7, 7), (2, "same", None): (6, 6),
              (2, "valid", 1): (8, 8)}
    for (stride, padding, out_pad), hw in shapes.items():
        c = L.Conv2DTranspose(2, 3, strides=stride, padding=padding, output_padding=out_pad,
                              kernel_initializer=C(0.5), bias_initializer=C(0.1))
        assert c(x).shape == (2, *hw, 2)
    c = L.Conv2DTranspose(3, 2)
    c.build((None, 3, 3, 2))
    assert [(w.name, tuple(w.shape)) for w in c.weights] == [("kernel", (2, 2, 3, 2)),
                                                               ("bias", (3,))]
    c.set_weights([np.arange(24, dtype=np.float32).reshape(2, 2, 3, 2) / 10 - 1,
                   np.array([0.5, -0.5, 0.0], np.float32)])
    np.testing.assert_allclose(c(x).numpy()[0, :, :, 1], [  # TF 2.21
        [-0.57, -0.88, -1.24, -0.63], [-1.42, -1.62, -1.38, 0.14],
        [-1.78, -0.90, -0.66, 1.22], [0.63, 3.44, 4.04, 2.97]], atol=1e-5)


def test_depthwise_and_separable_conv2d_weights_and_values_as_tf():
    x = np.arange(2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2) / 10
    d = L.DepthwiseConv2D(2, depth_multiplier=2)
    d.build((None, 4, 4, 2))
    assert [(w.name, tuple(w.shape)) for w in d.weights] == [("kernel", (2, 2, 2, 2)),
                                                               ("bias", (4,))]
    d.set_weights([np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2) / 10 - 0.5,
                   np.array([0.1, 0.2, 0.3, 0.4], np.float32)])
    np.testing.assert_allclose(d(x).numpy()[1, :, :, 3], [  # TF 2.21
        [7.2, 7.52, 7.84], [8.48, 8.8, 9.12], [9.76, 10.08, 10.4]], rtol=1e-5)
    s = L.SeparableConv2D(3, 2)
    s.build((None, 4, 4, 2))
    assert [w.name for w in s.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    s.set_weights([np.arange(8, dtype=np.float32).reshape(2, 2, 2, 1) / 10,
                   np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3) / 10 - 0.2,
                   np.array([0.1, 0.0, -0.1], np.float32)])
    np.testing.assert_allclose(s(x).numpy()[1, :, :, 2], [  # TF 2.21
        [1.832, 1.928, 2.024], [2.216, 2.312, 2.408], [2.6, 2.696, 2.792]], rtol=1e-5)
    with pytest.raises(ValueError, match=r'"depthwise_conv2d.*expected ndim=4.*\(4, 4, 2\)'):
        d(x[0])


# ---- pooling and normalization ----------------------------------------------------------------


def test_one_d_pooling_layers():
    x = np.array([[[1.0, 0.0], [3.0, -1.0], [2.0, 5.0], [-4.0, 2.0], [0.5, 0.5]]], np.float32)
    np.testing.assert_array_equal(L.MaxPooling1D()(x).numpy(), [[[3.0, 0.0], [2.0, 5.0]]])
    np.testing.assert_allclose(L.AveragePooling1D(2, padding="same")(x).numpy(),
                               [[[2.0, -0.5], [-1.0, 3.5], [0.5, 0.5]]])
    np.testing.assert_allclose(L.GlobalAveragePooling1D()(x).numpy(), x.mean(1), rtol=1e-6)
    np.testing.assert_array_equal(L.GlobalMaxPool1D()(x).numpy(), x.max(1))
    masked = L.GlobalAveragePooling1D()(x, mask=np.array([[1, 1, 0, 0, 1]])).numpy()
    np.testing.assert_allclose(masked, x[:, [0, 1, 4]].mean(1), rtol=1e-6)
    assert L.MaxPool1D is L.MaxPooling1D and L.AvgPool1D is L.AveragePooling1D
    assert L.MaxPooling1D(3).get_config()["pool_size"] == (3,)
    with pytest.raises(ValueError, match=r'"max_pooling1d.*expected ndim=3.*\(2, 4, 4, 1\)'):
        L.MaxPooling1D()(np.ones((2, 4, 4, 1), np.float32))


def test_unit_and_group_normalization():
    x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]], np.float32)
    np.testing.assert_allclose(L.UnitNormalization()(x).numpy(), [[0.6, 0.8, 0.0], [0, 0, 0]])
    z = np.array([[[1.0, 2.0, 3.0, 5.0], [0.0, -1.0, 4.0, 2.0]]], np.float32)
    g = L.GroupNormalization(groups=2, epsilon=0.01)
    groups = z.reshape(1, 2, 2, 2)
    want = ((groups - groups.mean((1, 3), keepdims=True)) /
            np.sqrt(groups.var((1, 3), keepdims=True) + 0.01)).reshape(z.shape)
    np.testing.assert_allclose(g(z).numpy(), want, rtol=1e-5, atol=1e-6)
    assert [(w.name, tuple(w.shape)) for w in g.weights] == [("gamma", (4,)), ("beta", (4,))]
    with pytest.raises(ValueError, match=re.escape("number of groups (8) cannot be more than "
                                                   "the number of channels (4)")):
        L.GroupNormalization(groups=8)(z)
    with pytest.raises(ValueError, match=r"channels \(4\) must be a multiple.*groups \(3\)"):
        L.GroupNormalization(groups=3)(z)


# ---- a model of new layers, trained with fit ---------------------------------------------------


def test_a_model_of_new_layers_fits_as_tf(backend):
    x = np.arange(4 * 6 * 2, dtype=np.float32).reshape(4, 6, 2) / 20
    y = np.array([[0.5], [-0.2], [0.1], [0.3]], np.float32)
    model = tf.keras.Sequential([
        tf.keras.Input((6, 2)),
        L.Conv1D(3, 3, padding="causal", kernel_initializer=C(0.2)),
        L.PReLU(alpha_initializer=C(0.1)),
        L.ZeroPadding1D(1),
        L.MaxPooling1D(2),
        L.UpSampling1D(2),
        L.GroupNormalization(groups=3),
        L.GaussianNoise(0.0),  # in the training step, with nothing to add
        L.GlobalMaxPooling1D(),
        L.Dense(1, kernel_initializer=C(0.3)),
    ])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
    h = model.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], [0.38896, 0.06229], atol=2e-5)  # TF 2.21
    np.testing.assert_allclose(model.predict(x, verbose=0)[:, 0],
                               [0.3138, 0.2078, 0.1595, 0.1342], atol=2e-4)
