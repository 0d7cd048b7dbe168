"""tf.nn pooling, conv1d, conv2d_transpose, depthwise_conv2d and the nn composites of
ops/nn_more.py: values against loop-by-loop numpy definitions, float64 gradients against
central finite differences, TF's errors, and compiled against eager. (Values and gradients
were also compared with TF 2.21 on 65 cases; the conformance cells pin TF's text.)"""

import numpy as np
import pytest

import tapeflow as tf


def _same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _pool_ref(x, k, s, padding, kind):
    """NHWC pooling by its definition: the max / the mean of each window's real inputs."""
    n, h, w, c = x.shape
    pads = [_same_pads(h, k[0], s[0]), _same_pads(w, k[1], s[1])] if padding == "SAME" \
        else [(0, 0), (0, 0)]
    fill = -np.inf if kind == "max" else np.nan
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=fill)
    ho = (xp.shape[1] - k[0]) // s[0] + 1
    wo = (xp.shape[2] - k[1]) // s[1] + 1
    y = np.zeros((n, ho, wo, c))
    for a in range(ho):
        for b in range(wo):
            win = xp[:, a * s[0]:a * s[0] + k[0], b * s[1]:b * s[1] + k[1], :]
            y[:, a, b] = win.max(axis=(1, 2)) if kind == "max" else np.nanmean(win, axis=(1, 2))
    return y


def _fd_check(f, *xs, eps=1e-6, rtol=1e-6, atol=1e-8):
    """The taped gradient of sum(f(xs) * r) against central differences, in float64."""
    rng = np.random.default_rng(1)
    out = np.asarray(f(*[tf.constant(x) for x in xs]))
    r = rng.standard_normal(out.shape)
    vs = [tf.Variable(x) for x in xs]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(f(*vs) * r)
    grads = tape.gradient(loss, vs)
    for i, (x, g) in enumerate(zip(xs, grads)):
        num = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[idx] += eps
            down[idx] -= eps
            args_up = [tf.constant(u if j == i else v) for j, (u, v) in enumerate(zip([up] * len(xs), xs))]
            args_down = [tf.constant(d if j == i else v) for j, (d, v) in enumerate(zip([down] * len(xs), xs))]
            num[idx] = (np.sum(np.asarray(f(*args_up)) * r)
                        - np.sum(np.asarray(f(*args_down)) * r)) / (2 * eps)
        np.testing.assert_allclose(np.asarray(g), num, rtol=rtol, atol=atol)


RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 5, 6, 3))


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k, s, padding", [((2, 2), (2, 2), "VALID"), ((3, 2), (1, 2), "SAME"),
                                           ((2, 3), (3, 1), "SAME"), ((1, 1), (2, 1), "VALID")])
def test_pool2d_matches_its_definition(kind, k, s, padding):
    op = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    got = op(tf.constant(X), list(k), list(s), padding)
    np.testing.assert_allclose(got.numpy(), _pool_ref(X, k, s, padding, kind), rtol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_nchw_and_1d_are_the_nhwc_2d_pool(kind):
    two_d = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    one_d = tf.nn.max_pool1d if kind == "max" else tf.nn.avg_pool1d
    want = two_d(tf.constant(X), 2, 2, "SAME").numpy()
    nchw = two_d(tf.constant(X.transpose(0, 3, 1, 2)), 2, 2, "SAME", data_format="NCHW")
    np.testing.assert_allclose(nchw.numpy().transpose(0, 2, 3, 1), want)
    rows = X[:, 0]
    got = one_d(tf.constant(rows), 3, 2, "SAME").numpy()
    np.testing.assert_allclose(got, _pool_ref(rows[:, None], (1, 3), (1, 2), "SAME", kind)[:, 0])
    by_rank = (tf.nn.max_pool if kind == "max" else tf.nn.avg_pool)(tf.constant(rows), 3, 2, "SAME")
    np.testing.assert_allclose(by_rank.numpy(), got)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_gradients_match_finite_differences(kind):
    op = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    x = np.random.default_rng(2).permutation(2 * 4 * 5 * 2).reshape(2, 4, 5, 2) / 7.0  # no ties
    _fd_check(lambda v: op(v, [2, 3], [1, 2], "SAME"), x)


def test_max_pool_gradient_of_ties_goes_to_the_first_maximum():
    v = tf.Variable(np.array([[1., 1., 2.], [1., 0., 2.], [3., 3., 3.]])[None, :, :, None])
    with tf.GradientTape() as tape:
        y = tf.nn.max_pool2d(v, 2, 1, "VALID")
    np.testing.assert_array_equal(tape.gradient(y, v).numpy()[0, :, :, 0],
                                  [[1, 0, 1], [0, 0, 0], [1, 1, 0]])


def _conv1d_ref(x, w, s, padding):
    pads = _same_pads(x.shape[1], w.shape[0], s) if padding == "SAME" else (0, 0)
    xp = np.pad(x, [(0, 0), pads, (0, 0)])
    wo = (xp.shape[1] - w.shape[0]) // s + 1
    return np.stack([sum(xp[:, o * s + k] @ w[k] for k in range(w.shape[0]))
                     for o in range(wo)], axis=1)


@pytest.mark.parametrize("s, padding", [(1, "SAME"), (2, "VALID"), (3, "SAME")])
def test_conv1d_matches_its_definition_and_gradients(s, padding):
    x, w = RNG.standard_normal((2, 7, 3)), RNG.standard_normal((3, 3, 4))
    got = tf.nn.conv1d(tf.constant(x), tf.constant(w), s, padding)
    np.testing.assert_allclose(got.numpy(), _conv1d_ref(x, w, s, padding), rtol=1e-12)
    _fd_check(lambda a, b: tf.nn.conv1d(a, b, s, padding), x[:1, :5], w[:, :, :2])


@pytest.mark.parametrize("out, s, padding", [((6, 6), 2, "SAME"), ((7, 8), 2, "VALID"),
                                             ((5, 5), 2, "SAME"), ((3, 3), 1, "SAME")])
def test_conv2d_transpose_is_the_input_gradient_of_conv2d(out, s, padding):
    """<conv2d_transpose(y, w), x> = <y, conv2d(x, w)> for every x: it is conv2d's adjoint."""
    w = RNG.standard_normal((3, 2, 2, 4))  # [kh, kw, C_out of the transpose, C_in]
    x = RNG.standard_normal((2,) + out + (2,))
    y = tf.nn.conv2d(tf.constant(x), tf.constant(w), s, padding).numpy()
    g = RNG.standard_normal(y.shape)
    t = tf.nn.conv2d_transpose(tf.constant(g), tf.constant(w), [2, *out, 2], s, padding)
    assert t.shape == x.shape
    np.testing.assert_allclose(np.sum(t.numpy() * x), np.sum(g * y), rtol=1e-10)
    _fd_check(lambda a, b: tf.nn.conv2d_transpose(a, b, [1, *out, 2], s, padding), g[:1], w)


def test_depthwise_conv2d_is_conv2d_per_channel():
    x, w = RNG.standard_normal((2, 5, 6, 3)), RNG.standard_normal((3, 2, 3, 2))
    got = tf.nn.depthwise_conv2d(tf.constant(x), tf.constant(w), [1, 2, 1, 1], "SAME").numpy()
    for c in range(3):
        want = tf.nn.conv2d(tf.constant(x[..., c:c + 1]), tf.constant(w[:, :, c:c + 1]),
                            [2, 1], "SAME").numpy()
        np.testing.assert_allclose(got[..., 2 * c:2 * c + 2], want, rtol=1e-12)
    _fd_check(lambda a, b: tf.nn.depthwise_conv2d(a, b, [1, 1, 2, 1], "SAME"),
              x[:1, :4, :4, :2], w[:2, :, :2])


@pytest.mark.parametrize("call, error, words", [
    (lambda: tf.nn.max_pool2d(tf.ones([1, 4, 4, 1]), 2, 2, "same"), tf.errors.InvalidArgumentError,
     ["max_pool2d", "padding", "same"]),
    (lambda: tf.nn.avg_pool2d(tf.ones([4, 4, 1]), 2, 2, "VALID"), tf.errors.InvalidArgumentError,
     ["avg_pool2d", "4-D", "[4, 4, 1]"]),
    (lambda: tf.nn.max_pool2d(tf.ones([1, 4, 4, 1]), [2, 2, 2], 2, "VALID"), ValueError,
     ["ksize", "length 3"]),
    (lambda: tf.nn.max_pool2d(tf.ones([1, 4, 4, 1]), 0, 2, "VALID"),
     tf.errors.InvalidArgumentError, ["ksize", "positive"]),
    (lambda: tf.nn.avg_pool(tf.ones([4, 4]), 2, 2, "VALID"), ValueError, ["rank", "(4, 4)"]),
    (lambda: tf.nn.conv1d(tf.ones([2, 6, 3]), tf.ones([2, 2, 4]), 1, "SAME"),
     tf.errors.InvalidArgumentError, ["conv1d", "channels", "[2, 2, 4]"]),
    (lambda: tf.nn.conv2d_transpose(tf.ones([2, 3, 3, 4]), tf.ones([3, 3, 5, 4]), [2, 9, 9, 5],
                                    2, "VALID"), tf.errors.InvalidArgumentError,
     ["conv2d_transpose", "output", "size 9"]),
    (lambda: tf.nn.depthwise_conv2d(tf.ones([2, 5, 5, 3]), tf.ones([3, 3, 3, 2]), 2, "VALID"),
     TypeError, ["depthwise_conv2d", "strides"]),
    (lambda: tf.nn.dropout(tf.ones([2]), 1.0), ValueError, ["rate", "[0, 1)", "1.0"]),
    (lambda: tf.nn.bias_add(tf.ones([2, 3, 4]), tf.ones([3])), tf.errors.InvalidArgumentError,
     ["bias_add", "3 biases", "[2, 3, 4]"]),
])
def test_bad_arguments_name_the_op_argument_and_shapes(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_nn_composites_gradients_match_finite_differences():
    z = np.array([1.0, 0.0, 0.5, 3.0])
    x = np.array([0.5, -1.0, 2.0, 0.3])
    _fd_check(lambda a: tf.nn.weighted_cross_entropy_with_logits(z, a, 2.5), x)
    _fd_check(lambda a: tf.nn.log_poisson_loss(z, a, compute_full_loss=True), x)
    _fd_check(lambda a, b: tf.nn.bias_add(a, b, data_format="NCHW"),
              RNG.standard_normal((2, 3, 2)), RNG.standard_normal(3))
    _fd_check(lambda a: tf.nn.l2_loss(a) + tf.reduce_sum(tf.nn.crelu(a)), x)
    _fd_check(lambda a, m, v: tf.nn.batch_normalization(a, m, v, 0.5, 2.0, 1e-3),
              RNG.standard_normal((3, 2)), RNG.standard_normal(2), np.array([1.5, 0.7]))
    _fd_check(lambda p: tf.nn.embedding_lookup(p, [[0, 2], [2, 2]], max_norm=1.0),
              RNG.standard_normal((3, 2)))


@pytest.mark.slow
def test_compiled_matches_eager():
    x, w = RNG.standard_normal((2, 6, 6, 2)), RNG.standard_normal((3, 3, 2, 2))

    def step(x, w):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = (tf.reduce_sum(tf.nn.max_pool2d(x, 3, 2, "SAME") ** 2)
                 + tf.reduce_sum(tf.nn.avg_pool2d(x, 2, 1, "SAME") * 0.5)
                 + tf.reduce_sum(tf.nn.depthwise_conv2d(x, w[:, :, :, :1], [1, 1, 1, 1], "SAME"))
                 + tf.reduce_sum(tf.nn.conv2d_transpose(x, w, [2, 12, 12, 2], 2, "SAME") ** 2)
                 + tf.reduce_sum(tf.nn.conv1d(x[:, 0], w[0], 2, "VALID"))
                 + tf.nn.l2_loss(tf.nn.bias_add(x, [1.0, 2.0])))
        return [y] + tape.gradient(y, [x, w])

    eager = step(tf.constant(x), tf.constant(w))
    fn = tf.function(step)
    compiled = fn(tf.constant(x), tf.constant(w))
    assert fn.wait_compiled()  # native code ran, not the interpreter
    for a, b in zip(eager, compiled):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-10)
