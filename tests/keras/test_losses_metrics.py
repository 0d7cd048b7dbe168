"""tf.keras.losses and tf.keras.metrics against their formulas in numpy."""

import numpy as np
import pytest

import tapeflow as tf

LO, ME = tf.keras.losses, tf.keras.metrics
EPS = 1e-7

rng = np.random.default_rng(5)
Y = rng.normal(size=(6, 3))
P = rng.normal(size=(6, 3))
LOGITS = rng.normal(size=(6, 4)) * 2
LABELS = np.array([0, 3, 1, 2, 3, 0])
ONE_HOT = np.eye(4)[LABELS]
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
BIN_TRUE = (rng.uniform(size=(6, 2)) > 0.5).astype(np.float64)
BIN_LOGITS = rng.normal(size=(6, 2)) * 3


def _huber(e, d=1.0):
    a = np.abs(e)
    return np.where(a <= d, 0.5 * e * e, d * (a - 0.5 * d)).mean(-1)


def _bce(z, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(z * np.log(p) + (1 - z) * np.log(1 - p)).mean(-1)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


CASES = [
    ("MeanSquaredError", {}, Y, P, ((P - Y) ** 2).mean(-1)),
    ("MeanAbsoluteError", {}, Y, P, np.abs(P - Y).mean(-1)),
    ("Huber", {}, Y, P, _huber(P - Y)),
    ("Huber", {"delta": 0.5}, Y, P, _huber(P - Y, 0.5)),
    ("BinaryCrossentropy", {}, BIN_TRUE, _sigmoid(BIN_LOGITS), _bce(BIN_TRUE,
                                                                   _sigmoid(BIN_LOGITS))),
    ("BinaryCrossentropy", {"from_logits": True}, BIN_TRUE, BIN_LOGITS,
     _bce(BIN_TRUE, _sigmoid(BIN_LOGITS))),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS, -np.log(PROBS[range(6), LABELS])),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, LOGITS,
     -np.log(PROBS[range(6), LABELS])),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS, -np.log(PROBS[range(6), LABELS])),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS, LOGITS,
     -np.log(PROBS[range(6), LABELS])),
]


@pytest.mark.parametrize("name,kw,y_true,y_pred,per_example", CASES,
                         ids=[f"{c[0]}{sorted(c[1])}" for c in CASES])
def test_losses_as_classes_with_each_reduction(name, kw, y_true, y_pred, per_example):
    cls = getattr(LO, name)
    pred = tf.constant(y_pred)
    np.testing.assert_allclose(cls(**kw)(y_true, pred).numpy(), per_example.mean(), rtol=1e-6)
    np.testing.assert_allclose(cls(**kw, reduction="sum")(y_true, pred).numpy(),
                               per_example.sum(), rtol=1e-6)
    np.testing.assert_allclose(cls(**kw, reduction="none")(y_true, pred).numpy(), per_example,
                               rtol=1e-6)
    w = np.arange(6.0)
    np.testing.assert_allclose(cls(**kw)(y_true, pred, sample_weight=w).numpy(),
                               (per_example * w).mean(), rtol=1e-6)


def test_losses_as_functions_keep_one_value_per_example():
    np.testing.assert_allclose(LO.mean_squared_error(Y, tf.constant(P)).numpy(),
                               ((P - Y) ** 2).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(
        LO.sparse_categorical_crossentropy(LABELS[:, None], tf.constant(LOGITS),
                                           from_logits=True).numpy(),
        -np.log(PROBS[range(6), LABELS]), rtol=1e-6)


def test_loss_gradients_flow_and_logits_do_not_overflow():
    v = tf.Variable(np.array([[1000.0, -1000.0]]))
    with tf.GradientTape() as tape:
        loss = LO.BinaryCrossentropy(from_logits=True)(np.array([[0.0, 1.0]]), v)
    np.testing.assert_allclose(loss.numpy(), 1000.0)
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), [[0.5, -0.5]])


def test_unknown_loss_and_reduction_names():
    assert isinstance(LO.get("SparseCategoricalCrossentropy"), LO.SparseCategoricalCrossentropy)
    with pytest.raises(ValueError, match="binary_crossentropy, categorical_crossentropy"):
        LO.get("hinge_loss")
    with pytest.raises(ValueError, match="reduction"):
        LO.MeanSquaredError(reduction="average")


# ---- metrics --------------------------------------------------------------------------------


def test_mean_and_sum_with_weights_and_reset():
    m = ME.Mean()
    assert float(m.result()) == 0.0
    m.update_state([1.0, 2.0, 3.0])
    m.update_state([5.0], sample_weight=[3.0])
    np.testing.assert_allclose(m.result().numpy(), (6 + 15) / 6)
    m.reset_state()
    assert float(m.result()) == 0.0
    s = ME.Sum()
    s.update_state(np.array([1.0, 2.0]))
    s.update_state(4.0)
    assert float(s.result()) == 7.0


def test_accuracies():
    a = ME.Accuracy()
    a.update_state([1, 2, 3, 4], [1, 2, 0, 4])
    np.testing.assert_allclose(a.result().numpy(), 0.75)
    b = ME.BinaryAccuracy()
    b.update_state([[1.0], [0.0], [1.0]], [[0.7], [0.6], [0.2]])
    np.testing.assert_allclose(b.result().numpy(), 1 / 3, rtol=1e-6)
    logits = np.array([[0.1, 0.9, 0.0], [0.5, 0.5, 0.0], [0.0, 0.2, 0.8], [3.0, 1.0, 2.0]])
    labels = np.array([1, 1, 2, 1])  # the tie in row 1 goes to index 0, as tf.argmax
    c = ME.CategoricalAccuracy()
    c.update_state(np.eye(3)[labels], logits)
    np.testing.assert_allclose(c.result().numpy(), 0.5)
    s = ME.SparseCategoricalAccuracy()
    s.update_state(labels[:, None], logits)
    np.testing.assert_allclose(s.result().numpy(), 0.5)
    mse = ME.MeanSquaredError()
    mse.update_state(Y, P)
    np.testing.assert_allclose(mse.result().numpy(), ((P - Y) ** 2).mean(), rtol=1e-6)


def test_unknown_metric_lists_the_choices():
    assert isinstance(ME.get("acc", LO.SparseCategoricalCrossentropy()),
                      ME.SparseCategoricalAccuracy)
    with pytest.raises(ValueError, match="accuracy, auc, bce, binary_accuracy"):
        ME.get("f1")


def test_metric_updates_in_a_compiled_step_commit_and_reset_does_not_retrace():
    m = ME.Mean()

    @tf.function
    def step(x):
        m.update_state(x)
        return m.result()

    step(tf.constant([1.0, 3.0]))
    np.testing.assert_allclose(step(tf.constant([5.0, 7.0])).numpy(), 4.0)
    m.reset_state()
    np.testing.assert_allclose(step(tf.constant([2.0, 4.0])).numpy(), 3.0)
    assert step.experimental_get_tracing_count() == 1
