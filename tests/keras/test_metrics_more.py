"""Metrics as Keras 3 computes them: sample weights line up with the leading axes and Mean
counts examples (not elements); Precision, Recall, AUC, top-k accuracy and RMSE against
their formulas; the confusion metrics inside @tapeflow.function."""

import numpy as np
import pytest

import tapeflow as tf

ME = tf.keras.metrics
Y = np.array([1, 0, 1, 1, 0, 0], np.float32)
P = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.5], np.float32)


def test_sum_weights_line_up_with_the_batch_axis():
    # Keras 3: the (2,) weights weigh the rows of the (2, 2) values: 3 * 1 + 7 * 0.5 = 6.5
    # (before, they were broadcast along the last axis: 1 + 1 + 3 + 2 = 7).
    s = ME.Sum()
    s.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[1.0, 0.5])
    assert float(s.result()) == 6.5


def test_mean_counts_each_example_once():
    m = ME.Mean()
    m.update_state([[1.0, 2.0, 3.0]])  # one example of mean 2
    m.update_state([10.0])
    assert float(m.result()) == 6.0  # (2 + 10) / 2, not (1 + 2 + 3 + 10) / 4
    m = ME.Mean()
    m.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[1.0, 0.5])
    np.testing.assert_allclose(float(m.result()), (1.5 + 3.5 * 0.5) / 1.5, rtol=1e-6)
    m.update_state([1.0, 2.0, 3.0], sample_weight=2.0)  # a scalar weight: one example
    np.testing.assert_allclose(float(m.result()), (3.25 + 2 * 2.0) / 3.5, rtol=1e-6)


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.8])
def test_precision_and_recall_against_counts(threshold):
    w = np.array([1.0, 3.0, 1.0, 1.0, 2.0, 1.0], np.float32)
    above = P > threshold
    tp = np.sum(w * (above & (Y == 1)))
    fp = np.sum(w * (above & (Y == 0)))
    fn = np.sum(w * (~above & (Y == 1)))
    p, r = ME.Precision(thresholds=threshold), ME.Recall(thresholds=threshold)
    p.update_state(Y, P, sample_weight=w)
    r.update_state(Y, P, sample_weight=w)
    np.testing.assert_allclose(float(p.result()), tp / (tp + fp) if tp + fp else 0.0, rtol=1e-6)
    np.testing.assert_allclose(float(r.result()), tp / (tp + fn), rtol=1e-6)
    p.reset_state()
    assert float(p.result()) == 0.0


def test_precision_with_several_thresholds_gives_a_vector():
    p = ME.Precision(thresholds=[0.3, 0.8])
    p.update_state(Y, P)
    np.testing.assert_allclose(p.result().numpy(), [3 / 5, 1.0], rtol=1e-6)


def test_roc_auc_of_distinct_scores_is_the_pair_ranking():
    m = ME.AUC()
    m.update_state(Y, P)
    pos, neg = P[Y == 1], P[Y == 0]
    exact = np.mean([a > b for a in pos for b in neg])  # 7 / 9
    np.testing.assert_allclose(float(m.result()), exact, rtol=1e-5)


def test_top_k_counts_ties_at_the_boundary_as_in():
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]], np.float32)
    t = ME.TopKCategoricalAccuracy(k=2)
    t.update_state([[1, 0, 0], [0, 0, 1], [0, 1, 0]], probs)
    np.testing.assert_allclose(float(t.result()), 2 / 3, rtol=1e-6)  # rows 2 and 3 (a tie)
    s = ME.SparseTopKCategoricalAccuracy(k=1)
    s.update_state([1, 0, 1], probs)
    np.testing.assert_allclose(float(s.result()), 2 / 3, rtol=1e-6)


def test_root_mean_squared_error():
    y = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)
    p = np.array([[0.5, 1.0], [1.0, 5.0]], np.float32)
    r = ME.RootMeanSquaredError()
    r.update_state(y, p)
    np.testing.assert_allclose(float(r.result()), np.sqrt(np.mean((y - p) ** 2)), rtol=1e-6)


@pytest.mark.parametrize("make", [lambda: ME.Precision(), lambda: ME.Recall(thresholds=0.3),
                                  lambda: ME.AUC(num_thresholds=20, curve="PR")],
                         ids=["precision", "recall", "auc_pr"])
def test_confusion_metrics_inside_a_function_match_eager(make):
    eager, compiled = make(), make()

    @tf.function
    def update(y, p):
        compiled.update_state(y, p)

    for k in range(2):
        eager.update_state(Y, np.roll(P, k))
        update(tf.constant(Y), tf.constant(np.roll(P, k)))
    np.testing.assert_allclose(compiled.result().numpy(), eager.result().numpy(), rtol=1e-6)
    assert update.experimental_get_tracing_count() == 1
