"""What a compiled training step must show (issue 9): one trace for every batch of one shape,
Dropout masks drawn afresh on every call, the same as eagerly under one seed."""

import warnings

import numpy as np
import pytest

import tapeflow as tf

L = tf.keras.layers

def _classifier():
    model = tf.keras.Sequential([tf.keras.Input((12,)), L.Dense(16, activation="relu"),
                                 L.Dropout(0.3), L.Dense(5)])
    optimizer = tf.keras.optimizers.Adam(0.01)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    accuracy = tf.keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        accuracy.update_state(y, logits)
        return loss

    return model, optimizer, accuracy, step


def test_a_classification_step_fed_20_shuffled_batches_traces_once(backend):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(320, 12)).astype(np.float32)
    y = rng.integers(0, 5, 320).astype(np.int32)
    _, optimizer, accuracy, step = _classifier()
    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        for i, batch in enumerate(np.split(rng.permutation(320), 20)):
            step(tf.constant(x[batch]), tf.constant(y[batch]))
            if i == 10:
                optimizer.learning_rate = 0.001
                accuracy.reset_state()
    assert step.experimental_get_tracing_count() == 1
    assert step.get_concrete_function(tf.constant(x[:16]), tf.constant(y[:16])).conditions() == []
    assert int(optimizer.iterations.numpy()) == 20


def test_labels_out_of_range_raise_in_a_compiled_step_and_change_nothing(backend):
    model, optimizer, _, step = _classifier()
    x = tf.ones((4, 12))
    step(x, tf.constant([0, 1, 2, 3]))
    before = [v.numpy().copy() for v in model.variables]
    with pytest.raises(ValueError, match=r"12.*\[0, 5\)"):
        step(x, tf.constant([0, 1, 12, 3]))
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, model.variables))
    assert int(optimizer.iterations.numpy()) == 1


def _masks(compiled: bool, calls: int = 3):
    tf.random.set_seed(42)
    layer = L.Dropout(0.5)
    x = tf.ones((8, 16))

    def draw(x):
        return layer(x, training=True)

    fn = tf.function(draw) if compiled else draw
    return [fn(x).numpy() for _ in range(calls)], fn


def test_dropout_inside_a_compiled_step(backend):
    masks, fn = _masks(True)
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])
    assert fn.experimental_get_tracing_count() == 1
    eager, _ = _masks(False)
    for a, b in zip(masks, eager):
        np.testing.assert_array_equal(a, b)  # eager and compiled draws agree
    again, _ = _masks(True)
    for a, b in zip(masks, again):
        np.testing.assert_array_equal(a, b)  # reproducible under set_seed
    infer = tf.function(lambda x: L.Dropout(0.5)(x, training=False))
    np.testing.assert_array_equal(infer(tf.ones((8, 16))).numpy(), np.ones((8, 16)))


def test_a_restored_run_continues_exactly_and_restoring_does_not_retrace(backend, tmp_path):
    rng = np.random.default_rng(4)
    batches = [(tf.constant(rng.normal(size=(16, 12)).astype(np.float32)),
                tf.constant(rng.integers(0, 5, 16).astype(np.int32))) for _ in range(6)]
    tf.random.set_seed(1)
    model, optimizer, _, step = _classifier()
    optimizer.build(model.trainable_variables)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
    for x, y in batches[:3]:
        step(x, y)
    path = checkpoint.save(str(tmp_path / "ckpt"))
    generator_state = tf.random.get_global_generator().state.numpy().copy()
    uninterrupted = [float(step(x, y)) for x, y in batches[3:]]
    final = [v.numpy().copy() for v in model.weights + optimizer.variables]
    checkpoint.restore(path)
    tf.random.get_global_generator().state.assign(generator_state)  # the same Dropout masks
    resumed = [float(step(x, y)) for x, y in batches[3:]]
    np.testing.assert_allclose(resumed, uninterrupted, rtol=1e-6)
    for a, v in zip(final, model.weights + optimizer.variables):
        np.testing.assert_allclose(v.numpy(), a, rtol=1e-6)
    assert step.experimental_get_tracing_count() == 1
