"""Keras 3's losses beyond the crossentropies and squared errors, against their formulas in
numpy; `get` by a function's name giving the function (per-example values, as Keras 3);
ignore_class of SparseCategoricalCrossentropy; how sample weights meet the values' rank."""

import numpy as np
import pytest

import tapeflow as tf

LO = tf.keras.losses
EPS = 1e-7
Y = np.array([[0.5, 1.0, 2.0], [1.5, 3.0, 0.5]], np.float32)
P = np.array([[0.25, 1.5, 1.0], [2.0, 0.5, 0.75]], np.float32)
ONE_HOT = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
PROBS = np.array([[0.2, 0.7, 0.1], [0.25, 0.5, 0.25]], np.float32)


def _ref(name, y, p):
    if name == "mape":
        return 100 * np.mean(np.abs((y - p) / np.maximum(np.abs(y), EPS)), -1)
    if name == "msle":
        return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2,
                       -1)
    if name == "logcosh":
        return np.mean(np.log(np.cosh(p - y)), -1)
    if name == "kld":
        yc, pc = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
        return np.sum(yc * np.log(yc / pc), -1)
    if name == "poisson":
        return np.mean(p - y * np.log(p + EPS), -1)
    if name == "cosine_similarity":
        return -np.sum(y * p, -1) / np.linalg.norm(y, axis=-1) / np.linalg.norm(p, axis=-1)
    if name == "hinge":
        return np.mean(np.maximum(1 - (2 * y - 1) * p, 0), -1)  # 0/1 labels become -1/1
    if name == "squared_hinge":
        return np.mean(np.maximum(1 - (2 * y - 1) * p, 0) ** 2, -1)
    if name == "categorical_hinge":
        return np.maximum(np.max((1 - y) * p, -1) - np.sum(y * p, -1) + 1, 0)
    raise AssertionError(name)


CASES = [("mape", "MeanAbsolutePercentageError", Y, P),
         ("msle", "MeanSquaredLogarithmicError", Y, P),
         ("logcosh", "LogCosh", Y, P),
         ("kld", "KLDivergence", PROBS[::-1].copy(), PROBS),
         ("poisson", "Poisson", Y, P),
         ("cosine_similarity", "CosineSimilarity", Y, P),
         ("hinge", "Hinge", ONE_HOT, P),
         ("squared_hinge", "SquaredHinge", ONE_HOT, P),
         ("categorical_hinge", "CategoricalHinge", ONE_HOT, PROBS)]


@pytest.mark.parametrize("fn,cls,y,p", CASES, ids=[c[0] for c in CASES])
def test_function_and_class_forms_against_the_formula(fn, cls, y, p):
    want = _ref(fn, y.astype(np.float64), p.astype(np.float64))
    np.testing.assert_allclose(getattr(LO, fn)(y, p).numpy(), want, rtol=1e-5)
    loss = getattr(LO, cls)
    np.testing.assert_allclose(loss()(y, p).numpy(), want.mean(), rtol=1e-5)
    np.testing.assert_allclose(loss(reduction="sum")(y, p).numpy(), want.sum(), rtol=1e-5)
    np.testing.assert_allclose(loss()(y, p, sample_weight=[0.25, 2.0]).numpy(),
                               np.mean(want * [0.25, 2.0]), rtol=1e-5)


def test_hinge_keeps_labels_that_are_not_all_zero_or_one():
    y = np.array([[-1.0, 1.0]], np.float32)
    p = np.array([[0.5, 0.25]], np.float32)
    np.testing.assert_allclose(LO.hinge(y, p).numpy(), [(1.5 + 0.75) / 2])


def test_get_by_a_function_name_gives_the_per_example_function():
    # Keras 3: get("mse") is the function mean_squared_error, so calling it gives one value
    # per example (before, tapeflow gave a MeanSquaredError instance: one reduced scalar).
    fn = LO.get("mse")
    assert fn is LO.mean_squared_error
    np.testing.assert_allclose(fn(Y, P).numpy(), np.mean((Y - P) ** 2, -1), rtol=1e-6)
    assert LO.get("log_cosh") is LO.log_cosh and LO.get("kld") is LO.kl_divergence
    assert isinstance(LO.get("MeanSquaredError"), LO.MeanSquaredError)


def test_compile_with_a_loss_function_weights_the_examples():
    # A function given to compile is wrapped as a Loss, so fit/evaluate's sample weights
    # apply to it (before, compute_loss took the plain mean and dropped the weights).
    x = np.array([[1.0], [2.0], [3.0]], np.float32)
    y = np.array([[1.0], [1.0], [1.0]], np.float32)
    w = np.array([1.0, 0.0, 2.0], np.float32)
    model = tf.keras.Sequential([tf.keras.layers.Dense(
        1, use_bias=False, kernel_initializer=tf.keras.initializers.Constant(0.5))])
    model.compile(optimizer="sgd", loss=LO.mean_squared_error)
    got = model.evaluate(x, y, sample_weight=w, verbose=0)
    want = np.mean(((0.5 * x[:, 0] - 1.0) ** 2) * w)  # (0.25*1 + 0 + 0.25*2) / 3
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_sparse_crossentropy_ignore_class():
    labels = np.array([1, 0, 2])
    logits = np.array([[1.0, 3.0, -1.0], [0.5, 0.5, 2.0], [0.0, 0.0, 0.0]], np.float32)
    per = -(logits - np.log(np.exp(logits).sum(-1, keepdims=True)))[np.arange(3), labels]
    none = LO.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0, reduction="none")
    np.testing.assert_allclose(none(labels, logits).numpy(), [per[0], 0.0, per[2]], rtol=1e-5)
    mean = LO.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    # the mean over the two kept examples, not over all three
    np.testing.assert_allclose(mean(labels, logits).numpy(), (per[0] + per[2]) / 2, rtol=1e-5)
    np.testing.assert_allclose(mean(labels, logits, sample_weight=[2.0, 5.0, 1.0]).numpy(),
                               (2 * per[0] + per[2]) / 2, rtol=1e-5)
    everything_ignored = LO.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)
    assert float(everything_ignored(np.array([1, 1]), logits[:2])) == 0.0


def test_column_weights_with_per_example_values_give_a_column():
    # Keras 3 expands (batch,) values to (batch, 1) against (batch, 1) weights.
    out = LO.MeanSquaredError(reduction="none")(Y, P, sample_weight=[[2.0], [1.0]])
    assert out.shape == (2, 1)
    np.testing.assert_allclose(out.numpy()[:, 0], np.mean((Y - P) ** 2, -1) * [2.0, 1.0],
                               rtol=1e-6)
