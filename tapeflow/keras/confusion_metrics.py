"""`tf.keras.metrics` that count a confusion matrix at thresholds: Precision, Recall and AUC.

A prediction counts as positive at threshold t when it is strictly above t, as Keras;
targets are positive where they are non-zero. The counts are float Variables of one entry
per threshold, weighted by sample_weight, so `update_state` inside a compiled step is more
equations of the step and never reads a value in Python."""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.keras.metrics import Metric, _tensor

EPSILON = 1e-7  # Keras' backend epsilon: AUC's outer thresholds are -eps and 1 + eps


def _divide_no_nan(a, b):
    """a / b, and 0 where b is 0 (as tf.math.divide_no_nan)."""
    zero = ops.equal(b, 0.0)
    return ops.where(zero, ops.zeros_like(a), ops.divide(a, ops.where(zero, ops.ones_like(b), b)))


class _ConfusionMetric(Metric):
    """Counts of true/false positives/negatives at each threshold (only those `_counts`
    names)."""

    _counts: tuple[str, ...] = ()

    def __init__(self, thresholds, name=None, dtype=None):
        super().__init__(name, dtype)
        self._thresholds = np.asarray(thresholds, np.float32).reshape(-1)
        for count in self._counts:
            setattr(self, count, self.add_variable(count, (len(self._thresholds),)))

    def update_state(self, y_true, y_pred, sample_weight=None):
        pred = ops.reshape(_tensor(y_pred, np.float32), [-1])
        true = ops.reshape(ops.not_equal(_tensor(y_true, np.float32), 0.0), [1, -1])
        # (thresholds, examples): is each prediction above each threshold
        above = ops.greater(ops.expand_dims(pred, 0),
                            ops.reshape(self._thresholds, [-1, 1]))
        if sample_weight is None:
            weight = ops.ones_like(ops.expand_dims(pred, 0))
        else:
            w = ops.broadcast_to(_tensor(sample_weight, np.float32),
                                 _tensor(y_pred).aval.shape)
            weight = ops.reshape(w, [1, -1])
        cells = {"true_positives": ops.logical_and(above, true),
                 "false_positives": ops.logical_and(above, ops.logical_not(true)),
                 "true_negatives": ops.logical_and(ops.logical_not(above),
                                                   ops.logical_not(true)),
                 "false_negatives": ops.logical_and(ops.logical_not(above), true)}
        for count in self._counts:
            hits = ops.multiply(ops.cast(cells[count], np.float32), weight)
            getattr(self, count).assign_add(ops.reduce_sum(hits, 1))

    def _single(self, value):
        """One threshold gives a scalar, several a vector (as Keras)."""
        return ops.reshape(value, []) if len(self._thresholds) == 1 else value


class Precision(_ConfusionMetric):
    """tp / (tp + fp) of predictions above `thresholds` (0.5 by default)."""

    _counts = ("true_positives", "false_positives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision",
                 dtype=None):
        if top_k is not None or class_id is not None:
            raise NotImplementedError(f"{type(self).__name__}: top_k and class_id are not "
                                      "supported")
        super().__init__(0.5 if thresholds is None else thresholds, name, dtype)

    def result(self):
        return self._single(_divide_no_nan(
            self.true_positives, ops.add(self.true_positives, self.false_positives)))


class Recall(Precision):
    """tp / (tp + fn) of predictions above `thresholds` (0.5 by default)."""

    _counts = ("true_positives", "false_negatives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        return self._single(_divide_no_nan(
            self.true_positives, ops.add(self.true_positives, self.false_negatives)))


class AUC(_ConfusionMetric):
    """The area under the ROC or PR curve, from the confusion counts at `num_thresholds`
    thresholds spread evenly over [0, 1] (plus -eps and 1 + eps, so every prediction in
    [0, 1] falls between two). ROC: the trapezoid rule over (fpr, tpr). PR: Davis & Goadrich's
    interpolation, precision varying as tp and tp + fp vary linearly between thresholds (the
    closed form Keras uses)."""

    _counts = ("true_positives", "false_positives", "true_negatives", "false_negatives")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, multi_label=False,
                 label_weights=None, from_logits=False):
        if multi_label or label_weights is not None or from_logits:
            raise NotImplementedError("AUC: multi_label, label_weights and from_logits are "
                                      "not supported")
        self.curve = str(curve).upper()
        if self.curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        self.summation_method = str(summation_method).lower()
        if self.summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}")
        if thresholds is not None:
            inner = sorted(float(t) for t in np.reshape(thresholds, -1))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = len(inner) + 2
        super().__init__([0.0 - EPSILON, *inner, 1.0 + EPSILON], name, dtype)

    def _interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = ops.subtract(tp[:n - 1], tp[1:])
        p = ops.add(tp, fp)
        dp = ops.subtract(p[:n - 1], p[1:])
        slope = _divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = ops.subtract(tp[1:], ops.multiply(slope, p[1:]))
        both_positive = ops.logical_and(ops.greater(p[:n - 1], 0.0), ops.greater(p[1:], 0.0))
        ratio = ops.where(both_positive, _divide_no_nan(p[:n - 1], ops.maximum(p[1:], 0.0)),
                          ops.ones_like(p[1:]))
        increment = _divide_no_nan(
            ops.multiply(slope, ops.add(dtp, ops.multiply(intercept, ops.log(ratio)))),
            ops.maximum(ops.add(tp[1:], fn[1:]), 0.0))
        return ops.reduce_sum(increment)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, ops.add(fp, tn)), recall
        else:
            x, y = recall, _divide_no_nan(tp, ops.add(tp, fp))
        if self.summation_method == "interpolation":
            heights = ops.divide(ops.add(y[:n - 1], y[1:]), 2.0)
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[:n - 1], y[1:])
        else:
            heights = ops.maximum(y[:n - 1], y[1:])
        return ops.reduce_sum(ops.multiply(ops.subtract(x[:n - 1], x[1:]), heights))


class _Count(_ConfusionMetric):
    """One count of the confusion matrix at `thresholds` (0.5 by default): a scalar for one
    threshold, a vector for several (as Keras)."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(0.5 if thresholds is None else thresholds, name, dtype)

    def result(self):
        return self._single(ops.identity(getattr(self, self._counts[0])))


class TruePositives(_Count):
    _counts = ("true_positives",)


class TrueNegatives(_Count):
    _counts = ("true_negatives",)


class FalsePositives(_Count):
    _counts = ("false_positives",)


class FalseNegatives(_Count):
    _counts = ("false_negatives",)
