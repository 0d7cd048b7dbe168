"""Keras 3's other metric classes (loss means, confusion counts, F-beta, R2, IoU) against
TF 2.21's values on the same inputs (printed by tf.keras.metrics, rounded to 5 places), in
compiled steps, and in compile() by name and instance."""

import numpy as np
import pytest

import tapeflow as tf

ME = tf.keras.metrics
YT = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], np.float32)
YP = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]], np.float32)
W = np.array([1.0, 0.5, 2.0, 1.0], np.float32)
BT = np.array([1, 0, 1, 1, 0, 0], np.float32)
BP = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.5], np.float32)
BW = np.array([1.0, 3.0, 1.0, 1.0, 2.0, 1.0], np.float32)
RT = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]], np.float32)
RP = np.array([[1.5, 2.0], [1.8, 0.5], [3.3, 4.0], [3.0, 3.5]], np.float32)


def _run(metric, *batches):
    for batch in batches:
        metric.update_state(*batch)
    return np.asarray(metric.result())


# (class, name Keras gives it, TF 2.21's value after (YT, YP) then (YT[:2], YP[:2], W[:2])).
LOSS_LIKE = [
    ("BinaryCrossentropy", "binary_crossentropy", 0.43243),
    ("CategoricalCrossentropy", "categorical_crossentropy", 0.70424),
    ("KLDivergence", "kl_divergence", 0.70424),
    ("Poisson", "poisson", 0.56808),
    ("CosineSimilarity", "cosine_similarity", 0.77275),
    ("Hinge", "hinge", 0.98788),
    ("SquaredHinge", "squared_hinge", 1.12424),
    ("CategoricalHinge", "categorical_hinge", 0.8),
    ("LogCoshError", "logcosh", 0.06522),
    ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", 0.06637),
]


@pytest.mark.parametrize("cls,name,expected", LOSS_LIKE)
def test_loss_like_metrics_match_tf(cls, name, expected):
    m = getattr(ME, cls)()
    assert m.name == name
    np.testing.assert_allclose(_run(m, (YT, YP), (YT[:2], YP[:2], W[:2])), expected, atol=2e-5)
    m.reset_state()
    assert float(m.result()) == 0.0


def test_loss_like_options_match_tf():
    np.testing.assert_allclose(
        _run(ME.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), (YT, YP * 4 - 2)),
        0.53575, atol=2e-5)
    np.testing.assert_allclose(
        _run(ME.CategoricalCrossentropy(from_logits=True), (YT, YP * 4 - 2, W)), 0.83263,
        atol=2e-5)
    np.testing.assert_allclose(
        _run(ME.SparseCategoricalCrossentropy(), (np.array([1, 0, 2, 1]), YP, W)), 0.83107,
        atol=2e-5)


@pytest.mark.parametrize("cls,plain,weighted", [
    ("TruePositives", 2.0, [3.0, 2.0]), ("TrueNegatives", 2.0, [2.0, 6.0]),
    ("FalsePositives", 1.0, [4.0, 0.0]), ("FalseNegatives", 1.0, [0.0, 1.0])])
def test_confusion_counts_match_tf(cls, plain, weighted):
    m = getattr(ME, cls)()
    assert np.asarray(_run(m, (BT, BP))).shape == ()  # one threshold: a scalar
    assert float(m.result()) == plain
    np.testing.assert_array_equal(_run(getattr(ME, cls)(thresholds=[0.3, 0.65]), (BT, BP, BW)),
                                  weighted)


@pytest.mark.parametrize("average,f1,f1_threshold,fbeta", [
    (None, [0.66667, 0.66667, 1.0], [0.5, 0.66667, 1.0], [0.45455, 0.38462, 0.83333]),
    ("micro", 0.75, 0.77778, 0.5),
    ("macro", 0.77778, 0.72222, 0.5575),
    ("weighted", 0.75, 0.7963, 0.48271)])
def test_fbeta_scores_match_tf(average, f1, f1_threshold, fbeta):
    np.testing.assert_allclose(_run(ME.F1Score(average=average), (YT, YP)), f1, atol=2e-5)
    np.testing.assert_allclose(_run(ME.F1Score(average=average, threshold=0.35), (YT, YP, W)),
                               f1_threshold, atol=2e-5)
    np.testing.assert_allclose(
        _run(ME.FBetaScore(average=average, beta=2.0), (YT, YP), (YT[:2], YP[::-1][:2])),
        fbeta, atol=2e-5)


def test_r2_scores_match_tf():
    batches = [(RT, RP), (RT[:2], RP[:2], W[:2])]
    np.testing.assert_allclose(_run(ME.R2Score(), *batches), 0.8006, atol=2e-5)
    np.testing.assert_allclose(
        _run(ME.R2Score(class_aggregation="variance_weighted_average"), *batches), 0.80939,
        atol=2e-5)
    np.testing.assert_allclose(_run(ME.R2Score(class_aggregation=None), *batches),
                               [0.758, 0.8432], atol=2e-5)
    np.testing.assert_allclose(_run(ME.R2Score(num_regressors=2), (RT, RP)), 0.6868, atol=2e-5)
    # More regressors than samples: the plain score, as Keras 3 falls back to.
    np.testing.assert_allclose(_run(ME.R2Score(num_regressors=20), (RT, RP)), 0.77629,
                               atol=2e-5)


def test_iou_metrics_match_tf():
    np.testing.assert_allclose(
        _run(ME.MeanIoU(num_classes=3), (np.array([0, 1, 2, 1, 0]), np.array([0, 1, 1, 1, 2]))),
        0.38889, atol=2e-5)
    np.testing.assert_allclose(
        _run(ME.MeanIoU(num_classes=4, ignore_class=0),
             (np.array([0, 1, 2, 1, 0]), np.array([0, 1, 1, 1, 2]), np.array([1, 2, 1, 1, 1]))),
        0.375, atol=2e-5)
    np.testing.assert_allclose(
        _run(ME.MeanIoU(num_classes=3, sparse_y_true=False, sparse_y_pred=False), (YT, YP)),
        0.66667, atol=2e-5)
    np.testing.assert_allclose(
        _run(ME.IoU(num_classes=3, target_class_ids=[0, 2]),
             (np.array([[0, 1], [2, 1]]), np.array([[0, 1], [1, 2]]))), 0.5, atol=2e-5)


def test_bad_arguments_name_the_metric_and_the_shapes():
    with pytest.raises(ValueError, match="F1Score.*average"):
        ME.F1Score(average="x")
    with pytest.raises(ValueError, match="threshold"):
        ME.F1Score(threshold=2.0)
    with pytest.raises(ValueError, match="beta"):
        ME.FBetaScore(beta=1)
    with pytest.raises(ValueError, match=r"F1Score expects 2D.*\(6,\)"):
        ME.F1Score().update_state(BT, BP)
    with pytest.raises(ValueError, match=r"R2Score expects 2D.*\(4,\)"):
        ME.R2Score().update_state(RT[:, 0], RP[:, 0])
    with pytest.raises(ValueError, match="class_aggregation"):
        ME.R2Score(class_aggregation="x")
    with pytest.raises(ValueError, match="IoU.*out of range"):
        ME.IoU(3, [3])


def test_updates_inside_a_compiled_step_trace_once():
    metrics = [ME.F1Score(average="macro"), ME.R2Score(), ME.MeanIoU(3, sparse_y_true=False,
                                                                     sparse_y_pred=False),
               ME.TruePositives(), ME.KLDivergence()]

    @tf.function
    def step(t, p):
        for m in metrics:
            m.update_state(t, p)
        return [m.result() for m in metrics]

    rng = np.random.default_rng(0)
    for _ in range(3):
        step(tf.constant(YT), tf.constant(rng.uniform(0.05, 0.95, (4, 3)).astype(np.float32)))
    assert step.experimental_get_tracing_count() == 1
    eager = ME.F1Score(average="macro")
    for m in metrics:
        m.reset_state()
    step(tf.constant(YT), tf.constant(YP))
    np.testing.assert_allclose(float(metrics[0].result()), _run(eager, (YT, YP)), atol=1e-6)


def test_function_aliases_are_the_loss_functions():
    for name in ["mse", "mae", "mape", "msle", "kld", "MSE", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
                 "squared_hinge", "categorical_hinge", "poisson", "logcosh", "huber",
                 "kullback_leibler_divergence"]:
        assert getattr(ME, name) is getattr(tf.keras.losses, name)


def test_compile_by_name_and_instance_matches_tf():
    # TF 2.21's history and evaluate for this model (the cell 'Keras 3 metrics in fit').
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.2, 0.1], [0.5, 0.9], [0.9, 0.3]],
                 np.float32)
    y = np.array([[1, 0], [0, 1], [0, 1], [1, 0], [0, 1], [1, 0]], np.float32)
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(
        2, kernel_initializer=tf.keras.initializers.Constant(0.3), activation="softmax")])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.5), loss="categorical_crossentropy",
                  metrics=["kl_divergence", ME.F1Score(average="macro"), ME.TruePositives(),
                           ME.R2Score(), "msle"])
    h = model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    got = {k: np.round(v, 4).tolist() for k, v in h.history.items()}
    assert got == {"f1_score": [0.5, 0.625], "kl_divergence": [0.7, 0.6199],
                   "loss": [0.7, 0.6199], "msle": [0.1251, 0.1067],
                   "r2_score": [-0.0143, 0.1438], "true_positives": [1.0, 4.0]}
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {k: round(float(v), 4) for k, v in logs.items()} == {
        "f1_score": 1.0, "kl_divergence": 0.5477, "loss": 0.5477, "msle": 0.09,
        "r2_score": 0.2875, "true_positives": 6.0}
