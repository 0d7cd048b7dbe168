"""tf.nn.dropout, tf.random.shuffle, gamma and poisson: TF's errors and shapes, the
distributions (moments of many draws), seeded reproducibility, and fresh draws on every call
of a compiled step, the same draws as eager under the same seed."""

import numpy as np
import pytest

import tapeflow as tf


def test_dropout_scales_kept_values_and_drops_about_rate():
    tf.random.set_seed(0)
    y = tf.nn.dropout(tf.ones([200, 100]), 0.3).numpy()
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.01


def test_dropout_noise_shape_broadcasts_one_mask_per_row():
    y = tf.nn.dropout(tf.ones([50, 8]), 0.5, noise_shape=[50, 1]).numpy()
    assert all(len(set(row.tolist())) == 1 for row in y)


def test_dropout_rate_zero_is_the_input_and_tensor_rates_work():
    x = tf.ones([3])
    assert tf.nn.dropout(x, 0.0) is x
    y = tf.nn.dropout(tf.ones([1000]), tf.constant(0.5)).numpy()
    assert set(np.unique(y).tolist()) <= {0.0, 2.0}


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_dropout_rate_outside_the_range_is_a_value_error(rate):
    with pytest.raises(ValueError, match=r"`rate` must be .* \[0, 1\)"):
        tf.nn.dropout(tf.ones([2]), rate)


def test_dropout_of_integers_is_a_value_error():
    with pytest.raises(ValueError, match="floating point"):
        tf.nn.dropout(tf.ones([2], tf.int32), 0.5)


def test_seeded_draws_repeat():
    def draws():
        tf.random.set_seed(7)
        return [tf.nn.dropout(tf.ones([20]), 0.5), tf.random.shuffle(tf.range(10)),
                tf.random.gamma([5], [0.5, 3.0]), tf.random.poisson([5], [2.0, 40.0])]

    for a, b in zip(draws(), draws()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_shuffle_is_a_permutation_of_rows():
    x = tf.reshape(tf.range(20), [10, 2])
    s = tf.random.shuffle(x).numpy()
    assert sorted(s[:, 0].tolist()) == list(range(0, 20, 2))
    np.testing.assert_array_equal(s[:, 1], s[:, 0] + 1)
    firsts = {int(tf.random.shuffle(tf.range(4))[0]) for _ in range(40)}
    assert firsts == {0, 1, 2, 3}


@pytest.mark.parametrize("alpha, beta", [(0.3, 1.0), (1.0, 2.0), (4.0, 0.5), (50.0, 1.0)])
def test_gamma_moments(alpha, beta):
    tf.random.set_seed(1)
    x = tf.random.gamma([40000], alpha, beta=beta, dtype=tf.float64).numpy()
    mean, var = alpha / beta, alpha / beta**2
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / x.size)
    assert abs(x.var() / var - 1) < 0.06
    assert (x > 0).all()


def test_gamma_shape_dtype_and_edge_alphas():
    g = tf.random.gamma([7], [[1.0, 2.0]], beta=[[1.0], [3.0]])
    assert g.shape == (7, 2, 2) and g.dtype == tf.float32
    edge = tf.random.gamma([2], [0.0, -1.0]).numpy()
    assert (edge[:, 0] == np.finfo(np.float32).tiny).all() and np.isnan(edge[:, 1]).all()
    with pytest.raises(TypeError):
        tf.random.gamma([2], 1.0, dtype=tf.int32)


def test_gamma_gradient_reaches_beta():
    beta = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        x = tf.random.gamma([100], 3.0, beta=beta)
        total = tf.reduce_sum(x)
    # x = g / beta for a fixed draw g: dx/dbeta = -x / beta
    np.testing.assert_allclose(tape.gradient(total, beta).numpy(),
                               -np.sum(x.numpy()) / 2.0, rtol=1e-5)


@pytest.mark.parametrize("lam", [0.5, 3.0, 9.9, 10.0, 25.0, 400.0])
def test_poisson_moments(lam):
    tf.random.set_seed(2)
    x = tf.random.poisson([40000], lam, dtype=tf.int64).numpy()
    assert x.dtype == np.int64 and (x >= 0).all()
    assert abs(x.mean() - lam) < 5 * np.sqrt(lam / x.size)
    assert abs(x.var() / lam - 1) < 0.06


def test_poisson_pmf_of_a_small_rate():
    tf.random.set_seed(3)
    x = tf.random.poisson([50000], 2.0).numpy()
    freq = np.bincount(x.astype(int), minlength=6)[:6] / x.size
    pmf = np.exp(-2.0) * 2.0 ** np.arange(6) / np.array([1, 1, 2, 6, 24, 120])
    np.testing.assert_allclose(freq, pmf, atol=0.006)


def test_poisson_of_nonpositive_rates_is_zero():
    np.testing.assert_array_equal(tf.random.poisson([3], [0.0, -1.0]).numpy(), 0.0)


@pytest.mark.slow
def test_compiled_step_draws_anew_each_call_and_as_eager_under_a_seed():
    def step(x):
        return (tf.nn.dropout(x, 0.5), tf.random.shuffle(tf.range(16)),
                tf.random.poisson([8], [1.5, 30.0], dtype=tf.int32))

    fn = tf.function(step)
    x = tf.ones([64])
    tf.random.set_seed(11)
    first, second = fn(x), fn(x)
    assert fn.wait_compiled()
    assert not np.array_equal(first[0].numpy(), second[0].numpy())
    assert not np.array_equal(first[1].numpy(), second[1].numpy())
    tf.random.set_seed(11)
    compiled = fn(x)
    tf.random.set_seed(11)
    eager = step(x)
    for a, b in zip(compiled, eager):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
