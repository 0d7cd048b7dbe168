"""tf.random's stateless samplers and seed utilities (tracer/random_stateless.py): each is a
pure function of its seed (same seed, same values, eagerly and compiled; another seed, other
values), and its draws have the distribution's moments."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.backends import set_default_backend

SEED = [7, 11]

SAMPLERS = {
    "gamma": lambda s: tf.random.stateless_gamma([4000], s, alpha=[2.5], beta=2.0),
    "poisson": lambda s: tf.random.stateless_poisson([4000], s, lam=[3.0]),
    "binomial": lambda s: tf.random.stateless_binomial([4000], s, counts=[40.0], probs=0.3),
    "truncated": lambda s: tf.random.stateless_parameterized_truncated_normal(
        [4000], s, means=1.0, stddevs=2.0, minvals=0.0, maxvals=3.0),
    "split": lambda s: tf.random.split(s, 3),
    "fold_in": lambda s: tf.random.fold_in(s, 5),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_a_pure_function_of_the_seed(name, backend):
    draw = SAMPLERS[name]
    seed = tf.constant(SEED)
    first = draw(seed).numpy()
    np.testing.assert_array_equal(draw(seed).numpy(), first)
    assert not np.array_equal(draw(tf.constant([7, 12])).numpy(), first)
    previous = set_default_backend(backend)
    try:
        compiled = tf.function(draw)
        got = compiled(seed).numpy()
        np.testing.assert_allclose(compiled(seed).numpy(), got)
    finally:
        set_default_backend(previous)
    # The same values compiled (float64 math inside; rounding to float32 may differ by an ulp).
    np.testing.assert_allclose(got, first, rtol=1e-6)


def test_moments():
    n = 40000
    g = tf.random.stateless_gamma([n], SEED, alpha=2.5, beta=2.0).numpy()
    assert abs(g.mean() - 1.25) < 0.03 and abs(g.var() - 0.625) < 0.04
    small = tf.random.stateless_gamma([n], SEED, alpha=0.3).numpy()
    assert abs(small.mean() - 0.3) < 0.02
    p = tf.random.stateless_poisson([n], SEED, lam=30.0).numpy()
    assert p.dtype == np.int32 and abs(p.mean() - 30) < 0.2 and abs(p.var() - 30) < 1.5
    for count, prob in [(10, 0.3), (200, 0.45), (50, 0.9), (1000, 0.004)]:
        b = tf.random.stateless_binomial([n], SEED, counts=float(count), probs=prob).numpy()
        mean, var = count * prob, count * prob * (1 - prob)
        assert abs(b.mean() - mean) < 4 * np.sqrt(var / n) + 1e-9, (count, prob)
        assert abs(b.var() - var) < 0.06 * var, (count, prob)
        assert b.min() >= 0 and b.max() <= count
    edge = tf.random.stateless_binomial([4], SEED, counts=[0.0, 5.0, 5.0, 3.0],
                                        probs=[0.5, 0.0, 1.0, 0.5]).numpy()
    assert edge[:3].tolist() == [0, 0, 5]
    t = tf.random.stateless_parameterized_truncated_normal(
        [n], SEED, means=0.0, stddevs=1.0, minvals=-1.0, maxvals=1.0).numpy()
    # N(0, 1) truncated to [-1, 1]: mean 0, variance 1 - 2 phi(1) / (2 Phi(1) - 1) = 0.2911.
    assert t.min() >= -1 and t.max() <= 1 and abs(t.mean()) < 0.01
    assert abs(t.var() - 0.2911) < 0.01
    tail = tf.random.stateless_parameterized_truncated_normal(
        [n], SEED, minvals=5.0, maxvals=6.0).numpy()
    assert tail.min() >= 5.0 and tail.max() <= 6.0 and abs(tail.mean() - 5.186) < 0.01


def test_seeds_as_tf_builds_them():
    assert tf.random.split([1, 2]).dtype == tf.int32
    assert tf.random.split(tf.constant([1, 2], tf.int64), 3).shape == (3, 2)
    folded = tf.random.fold_in([1, 2], 3)
    assert folded.dtype == tf.int32 and int(folded[1]) == 3  # [a draw, data], as TF
    assert tf.random.create_rng_state(1, "philox").numpy().tolist() == [1, 0, 0]
    assert tf.random.create_rng_state(5, "threefry").numpy().tolist() == [5, 0]


def test_errors_name_the_op():
    with pytest.raises(tf.errors.InvalidArgumentError, match="stateless_gamma: seed must be 2"):
        tf.random.stateless_gamma([2], [1, 2, 3], alpha=1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="do not broadcast to shape"):
        tf.random.stateless_gamma([2], SEED, alpha=[1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="stateless_poisson: dtype"):
        tf.random.stateless_poisson([2], SEED, lam=1.0, dtype=tf.bool)
    with pytest.raises(tf.errors.InvalidArgumentError, match="split: seed must be 2"):
        tf.random.split([1, 2, 3])
    with pytest.raises(TypeError, match="fold_in: data must be an integer"):
        tf.random.fold_in([1, 2], 3.5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown algorithm"):
        tf.random.create_rng_state(1, "mt19937")
