"""`for x in dataset:` in a tf.function (tapeflow/runtime/dataset_loops.py): the function runs
eagerly (it reads a dataset), and its loop's body is compiled once and run per element, as TF
compiles such a loop: the same values as the Python loop, the body's Python run once per
trace, not per element."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf

RNG = np.random.default_rng(3)
X = RNG.standard_normal((50, 4)).astype(np.float32)
Y = (X @ RNG.standard_normal((4, 1))).astype(np.float32)


def dataset(batch=16):
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(batch)


def sgd_epoch(w, data, lr, log):
    total, steps = 0.0, 0
    for x, y in data:
        log.append("body")
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((x @ w - y) ** 2)
        w.assign_sub(lr * tape.gradient(loss, w))
        total += loss
        steps += 1
    return total, steps


def test_an_epoch_compiles_its_body_once_with_the_values_of_the_python_loop(backend):
    w_compiled, w_eager = tf.Variable(tf.zeros((4, 1))), tf.Variable(tf.zeros((4, 1)))
    compiled_log, eager_log = [], []
    epoch = tf.function(sgd_epoch, backend=backend)
    for _ in range(3):
        total, steps = epoch(w_compiled, dataset(), 0.1, compiled_log)
        want_total, want_steps = sgd_epoch(w_eager, dataset(), 0.1, eager_log)
        np.testing.assert_allclose(total.numpy(), want_total.numpy(), rtol=1e-5)
        np.testing.assert_allclose(w_compiled.numpy(), w_eager.numpy(), rtol=1e-5, atol=1e-6)
        # As in TF, a loop variable that was a Python number comes out a tensor.
        assert isinstance(steps, tf.Tensor) and steps.numpy() == want_steps == 4
    assert len(eager_log) == 12
    # Traced for the batches of 16 and for the last batch of 2 (any size from then on).
    assert compiled_log == ["body", "body"]


def test_a_new_python_number_traces_again_and_is_not_baked_in():
    w = tf.Variable(tf.zeros((4, 1)))
    epoch = tf.function(sgd_epoch)
    epoch(w, dataset(), 0.1, [])
    after_one = w.numpy()
    w.assign(tf.zeros((4, 1)))
    epoch(w, dataset(), 0.0, [])  # lr 0: nothing moves (a stale 0.1 would)
    np.testing.assert_array_equal(w.numpy(), np.zeros((4, 1), np.float32))
    assert np.abs(after_one).sum() > 0


def test_a_tensor_read_from_the_enclosing_function_is_an_input():
    @tf.function
    def centred_sums(data, shift):
        offset = shift * 2.0
        s = tf.zeros((4,))
        for x, _ in data:
            s += tf.reduce_sum(x - offset, axis=0)
        return s

    for shift in (0.0, 1.0, -3.0):
        got = centred_sums(dataset(), tf.constant(shift))
        np.testing.assert_allclose(got.numpy(), (X - 2.0 * shift).sum(axis=0), rtol=1e-4,
                                   atol=1e-4)


def test_break_stops_at_the_element():
    @tf.function
    def first_rows_until(data, limit):
        seen = tf.constant(0)
        for x, _ in data:
            if tf.reduce_max(x) > limit:
                break
            seen += tf.shape(x)[0]
        return seen

    batches = [X[i:i + 5] for i in range(0, 50, 5)]
    for limit in (1.0, 2.0, 10.0):
        want = 0
        for b in batches:
            if b.max() > limit:
                break
            want += len(b)
        assert first_rows_until(dataset(5), tf.constant(limit)).numpy() == want


def test_dict_elements_and_an_iterator():
    data = tf.data.Dataset.from_tensor_slices({"x": X, "y": Y[:, 0]}).batch(10)

    @tf.function
    def weighted(data):
        s = tf.constant(0.0)
        for e in iter(data):
            s += tf.reduce_sum(e["x"][:, 0] * e["y"])
        return s

    np.testing.assert_allclose(weighted(data).numpy(), (X[:, 0] * Y[:, 0]).sum(), rtol=1e-4)


def test_a_loop_variable_that_is_a_list_stays_a_python_loop():
    @tf.function
    def losses(data):
        out = []
        for x, y in data:
            out = out + [tf.reduce_sum(x)]
        return out

    got = losses(dataset())
    assert len(got) == 4
    np.testing.assert_allclose([t.numpy() for t in got],
                               [X[i:i + 16].sum() for i in range(0, 50, 16)], rtol=1e-4)


def test_run_functions_eagerly_runs_the_body_per_element():
    log = []
    epoch = tf.function(sgd_epoch)
    tf.config.run_functions_eagerly(True)
    try:
        epoch(tf.Variable(tf.zeros((4, 1))), dataset(), 0.1, log)
    finally:
        tf.config.run_functions_eagerly(False)
    assert len(log) == 4


@pytest.mark.parametrize("autograph", [False])
def test_autograph_false_keeps_the_python_loop(autograph):
    log = []
    epoch = tf.function(sgd_epoch, autograph=autograph)
    epoch(tf.Variable(tf.zeros((4, 1))), dataset(), 0.1, log)
    assert len(log) == 4
