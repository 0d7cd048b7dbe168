"""tf.random: Philox draws whose state is a Variable, eagerly and inside compiled steps.

The primitive itself (its layout against a pure-Python Philox, its Numba lowering) has rows
in tests/ops/test_op_table.py; here are the semantics users see: fresh draws on every
compiled call, reproducibility under set_seed, eager == compiled, Generator, stateless ops.
"""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops.random import philox4x32


def _step_fn():
    def step(x):
        return (x + tf.random.normal((3, 5)),
                tf.random.uniform((7,)),
                tf.random.uniform((2, 3), -2.0, 3.0),
                tf.random.uniform((4,), 0, 10, dtype=tf.int64),
                tf.random.truncated_normal((6,), dtype=tf.float64),
                tf.random.normal((), mean=1.0, stddev=0.5))
    return step


def _run(fn, n=3):
    x = tf.zeros((3, 5))
    return [[o.numpy() for o in fn(x)] for _ in range(n)]


def test_philox_known_answers():
    # Random123's kat_vectors for philox4x32 with 10 rounds.
    cases = [
        ((0, 0, 0, 0), (0, 0), "6627e8d5 e169c58d bc57ac4c 9b00dbd8"),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, "408f276d 41c83b0e a20bc7c6 6d5451fd"),
        ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
         "d16cfe09 94fdcceb 5001e420 24126ea1"),
    ]
    for counter, key, want in cases:
        got = " ".join(f"{int(w):08x}" for w in philox4x32(*counter, *key))
        assert got == want


def test_compiled_step_draws_new_values_on_every_call():
    step = tf.function(_step_fn())
    calls = _run(step, 3)
    assert step.experimental_get_tracing_count() == 1
    for k in range(len(calls[0])):
        assert not np.array_equal(calls[0][k], calls[1][k]), k
        assert not np.array_equal(calls[1][k], calls[2][k]), k


def test_the_state_is_an_input_and_an_output_of_the_step_not_a_guard():
    step = tf.function(_step_fn())
    step(tf.zeros((3, 5)))
    (concrete,) = [c for cs in step._paths.values() for c in cs]
    assert concrete.guards == []
    state = tf.random.get_global_generator().state
    assert state in concrete.traced.captured
    assert any(v is state for v, _ in concrete.traced.updates)


def test_set_seed_gives_the_same_sequence_eagerly_and_compiled():
    eager_fn, step = _step_fn(), tf.function(_step_fn())
    tf.random.set_seed(7)
    eager = _run(eager_fn)
    tf.random.set_seed(7)
    compiled = _run(step)
    tf.random.set_seed(7)
    again = _run(step)
    for a, b, c in zip(eager, compiled, again):
        for x, y, z in zip(a, b, c):
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(y, z)


@pytest.mark.slow
def test_numba_draws_equal_eager_draws():
    eager_fn, step = _step_fn(), tf.function(_step_fn())
    tf.random.set_seed(11)
    eager = _run(eager_fn)
    tf.random.set_seed(11)
    compiled = _run(step)
    assert step.experimental_get_tracing_count() == 1
    for a, b in zip(eager, compiled):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype
            if x.dtype == np.float64:
                # libm's log/cos may differ from numpy's by an ulp in float64.
                np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-15)
            else:
                np.testing.assert_array_equal(x, y)  # float32 and integers: bitwise


@pytest.mark.slow
def test_numba_dropout_mask_with_none_batch_size_traces_once():
    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def dropout(x):
        keep = tf.cast(tf.random.uniform(tf.shape(x)) >= 0.5, x.dtype)
        return x * keep * 2.0

    tf.random.set_seed(2)
    compiled = [dropout(tf.ones((n, 4))).numpy() for n in (3, 8, 3)]
    tf.random.set_seed(2)
    eager = [dropout.python_function(tf.ones((n, 4))).numpy() for n in (3, 8, 3)]
    assert dropout.experimental_get_tracing_count() == 1
    for a, b in zip(compiled, eager):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(compiled[0], compiled[2])


def test_symbolic_shape_from_tf_shape_records_no_guard():
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(x):
        return x * tf.random.normal(tf.shape(x))

    for n in (2, 5, 7):
        assert f(tf.ones((n, 3))).shape == (n, 3)
    assert f.experimental_get_tracing_count() == 1
    assert [c.guards for cs in f._paths.values() for c in cs] == [[]]


def test_a_failed_call_leaves_the_random_state_as_it_was():
    state = tf.random.get_global_generator().state

    @tf.function
    def f(x, i):
        return tf.gather(x + tf.random.uniform((3,)), i)

    f(tf.zeros(3), tf.constant([0]))
    before = state.numpy().copy()
    with pytest.raises(IndexError):
        f(tf.zeros(3), tf.constant([5]))
    np.testing.assert_array_equal(state.numpy(), before)


def test_moments_and_ranges():
    tf.random.set_seed(0)
    n = 200_000
    z = tf.random.normal((n,), mean=1.0, stddev=2.0).numpy()
    assert abs(z.mean() - 1.0) < 0.02 and abs(z.std() - 2.0) < 0.02
    u = tf.random.uniform((n,), dtype=tf.float64).numpy()
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    u32 = tf.random.uniform((n,), minval=-2.0, maxval=3.0).numpy()
    assert -2.0 <= u32.min() and u32.max() < 3.0 and abs(u32.mean() - 0.5) < 0.03
    t = tf.random.truncated_normal((n,), stddev=3.0).numpy()
    assert np.abs(t).max() <= 6.0 and abs(t.mean()) < 0.03
    # The variance of a standard normal truncated to [-2, 2] is 0.7737.
    assert abs(t.var() / 9.0 - 0.7737) < 0.01
    k = tf.random.uniform((n,), minval=-3, maxval=4, dtype=tf.int32).numpy()
    assert k.dtype == np.int32 and k.min() == -3 and k.max() == 3
    counts = np.bincount(k + 3)
    assert np.all(np.abs(counts / n - 1 / 7) < 0.005)


def test_neighbouring_draws_are_uncorrelated():
    tf.random.set_seed(1)
    a = tf.random.normal((50_000,)).numpy()
    b = tf.random.normal((50_000,)).numpy()
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.02
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.02


def test_op_seed_changes_the_draws_and_is_reproducible():
    tf.random.set_seed(3)
    a = tf.random.uniform((4,), seed=1).numpy()
    b = tf.random.uniform((4,), seed=1).numpy()
    tf.random.set_seed(3)
    c = tf.random.uniform((4,)).numpy()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.random.uniform((4,), seed=1).numpy(), a)
    assert not np.array_equal(a, b) and not np.array_equal(a, c)


def test_tensor_mean_and_stddev_scale_without_reading_values():
    @tf.function
    def f(mean, std):
        return tf.random.normal((1000,), mean=mean, stddev=std)

    out = f(tf.constant(5.0), tf.constant(0.1)).numpy()
    out2 = f(tf.constant(-5.0), tf.constant(0.2)).numpy()
    assert f.experimental_get_tracing_count() == 1
    assert abs(out.mean() - 5.0) < 0.05 and abs(out2.mean() + 5.0) < 0.05


# ---------------------------------------------------------------- tf.random.Generator


def test_generator_from_seed_is_reproducible_and_advances():
    g1, g2 = tf.random.Generator.from_seed(5), tf.random.Generator.from_seed(5)
    a, b = g1.normal((4,)).numpy(), g2.normal((4,)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(g1.normal((4,)).numpy(), a)
    assert g1.state.numpy()[1] == 2 and not g1.state.trainable
    g1.reset_from_seed(5)
    np.testing.assert_array_equal(g1.normal((4,)).numpy(), a)
    assert g1.uniform((3,), dtype=tf.float64).dtype == tf.float64


def test_generator_in_a_compiled_step_commits_its_state():
    g = tf.random.Generator.from_seed(9)
    eager_g = tf.random.Generator.from_seed(9)

    @tf.function
    def f():
        return g.uniform((5,)), g.normal((2, 2))

    got = [[o.numpy() for o in f()] for _ in range(3)]
    want = [[eager_g.uniform((5,)).numpy(), eager_g.normal((2, 2)).numpy()] for _ in range(3)]
    assert f.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(g.state.numpy(), eager_g.state.numpy())
    for a, b in zip(got, want):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_generator_nondeterministic_make_seeds_and_split():
    a, b = tf.random.Generator.from_non_deterministic_state(), \
        tf.random.Generator.from_non_deterministic_state()
    assert not np.array_equal(a.uniform((4,)).numpy(), b.uniform((4,)).numpy())
    seeds = a.make_seeds(3)
    assert seeds.shape == (2, 3) and seeds.dtype == tf.int64
    children = tf.random.Generator.from_seed(1).split(2)
    again = tf.random.Generator.from_seed(1).split(2)
    x = [c.normal((3,)).numpy() for c in children]
    np.testing.assert_array_equal(x[0], again[0].normal((3,)).numpy())
    assert not np.array_equal(x[0], x[1])
    full = a.uniform_full_int((1000,), dtype=tf.int32).numpy()
    assert full.dtype == np.int32 and full.min() < -2**30 and full.max() > 2**30


def test_generator_errors():
    with pytest.raises(ValueError, match="copy_from= or state="):
        tf.random.Generator()
    with pytest.raises(ValueError, match="2 integers"):
        tf.random.Generator(state=[1, 2, 3])
    with pytest.raises(ValueError, match="unknown algorithm"):
        tf.random.Generator.from_seed(1, alg="threefry-9")
    g = tf.random.Generator.from_seed(1)
    with pytest.raises(ValueError, match="maxval"):
        g.uniform((2,), dtype=tf.int32)
    with pytest.raises(ValueError, match="minval < maxval"):
        g.uniform((2,), minval=3, maxval=3, dtype=tf.int32)
    with pytest.raises(TypeError, match="float"):
        g.normal((2,), dtype=tf.int32)
    with pytest.raises(ValueError, match="negative"):
        g.normal((2, -1))
    before = g.state.numpy().copy()
    with pytest.raises(ValueError):
        g.normal((2, -1))
    np.testing.assert_array_equal(g.state.numpy(), before)


# ---------------------------------------------------------------- stateless ops


def test_stateless_ops_depend_only_on_the_seed():
    state = tf.random.get_global_generator().state.numpy().copy()
    a = tf.random.stateless_uniform((5,), seed=[1, 2]).numpy()
    np.testing.assert_array_equal(tf.random.stateless_uniform((5,), seed=[1, 2]).numpy(), a)
    assert not np.array_equal(tf.random.stateless_uniform((5,), seed=[1, 3]).numpy(), a)
    np.testing.assert_array_equal(tf.random.get_global_generator().state.numpy(), state)
    n = tf.random.stateless_normal((3,), seed=tf.constant([4, 5]))
    t = tf.random.stateless_truncated_normal((100,), seed=[4, 5]).numpy()
    assert n.shape == (3,) and np.abs(t).max() <= 2.0
    with pytest.raises(ValueError, match="seed must be 2 integers"):
        tf.random.stateless_normal((3,), seed=[1, 2, 3])


def test_stateless_seed_as_a_traced_argument_traces_once():
    @tf.function
    def f(seed):
        return tf.random.stateless_normal((4,), seed=seed)

    a = f(tf.constant([1, 2])).numpy()
    b = f(tf.constant([1, 3])).numpy()
    assert f.experimental_get_tracing_count() == 1
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, tf.random.stateless_normal((4,), seed=[1, 2]).numpy())


# ---------------------------------------------------------------- categorical


def test_categorical_frequencies_follow_the_softmax():
    tf.random.set_seed(0)
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    samples = tf.random.categorical(tf.math.log(tf.constant(p, tf.float32)), 20_000).numpy()
    assert samples.shape == (2, 20_000) and samples.dtype == np.int64
    for row, probs in zip(samples, p):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / 20_000, probs, atol=0.015)
    assert tf.random.categorical([[0.0, 0.0]], 4, dtype=tf.int32).dtype == tf.int32
    with pytest.raises(ValueError, match="float matrix"):
        tf.random.categorical(tf.zeros((3,)), 2)


def test_categorical_in_a_compiled_step_draws_anew_and_matches_eager():
    logits = tf.constant([[0.0, 1.0, 2.0, 3.0]] * 3)

    def sample(z):
        return tf.random.categorical(z, 5)

    step = tf.function(sample)
    tf.random.set_seed(8)
    compiled = [step(logits).numpy() for _ in range(3)]
    tf.random.set_seed(8)
    eager = [sample(logits).numpy() for _ in range(3)]
    for a, b in zip(compiled, eager):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(compiled[0], compiled[1])
    a = tf.random.stateless_categorical(logits, 6, seed=[3, 4]).numpy()
    np.testing.assert_array_equal(tf.random.stateless_categorical(logits, 6, seed=[3, 4]), a)
