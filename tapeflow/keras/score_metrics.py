"""`tf.keras.metrics` computed from per-class sums: FBetaScore / F1Score, R2Score, and the
intersection-over-union metrics IoU / MeanIoU, as Keras 3 computes them.

FBetaScore and R2Score learn the number of classes from the first batch (Keras 3 builds them
there too), so their Variables exist after the first `update_state`; every later update is
more equations of a compiled step and never reads a value in Python."""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.keras.confusion_metrics import EPSILON
from tapeflow.keras.metrics import Metric, _argmax_last, _tensor


def _two_d(metric: str, y_true, y_pred) -> None:
    """Keras 3 takes (batch, classes) inputs with the classes known."""
    t, p = tuple(y_true.aval.shape), tuple(y_pred.aval.shape)
    if len(t) != 2 or len(p) != 2 or t[-1] is None or p[-1] is None:
        raise ValueError(f"{metric} expects 2D inputs with shape (batch_size, output_dim), "
                         f"output_dim known. Received input shapes: y_pred.shape={p} and "
                         f"y_true.shape={t}.")


class FBetaScore(Metric):
    """(1 + beta^2) * precision * recall / (beta^2 * precision + recall), per class (average
    None), of their mean ('macro'), weighted by each class's support ('weighted'), or from
    the counts pooled over classes ('micro'). A prediction is positive above `threshold`, or,
    without one, where it is its row's largest (and not 0)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name, dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{type(self).__name__}: average must be one of None, 'micro', "
                             f"'macro', 'weighted'; got average={average!r}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"{type(self).__name__}: beta must be a Python float > 0; got "
                             f"beta={beta!r}")
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise ValueError(f"{type(self).__name__}: threshold must be a Python float in "
                             f"(0, 1]; got threshold={threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self._built = False

    def _build(self, num_classes: int) -> None:
        shape = () if self.average == "micro" else (num_classes,)
        for count in ("true_positives", "false_positives", "false_negatives",
                      "intermediate_weights"):
            setattr(self, count, self.add_variable(count, shape))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        true, pred = _tensor(y_true, self.dtype), _tensor(y_pred, self.dtype)
        _two_d(type(self).__name__, true, pred)
        if not self._built:
            self._build(pred.aval.shape[-1])
        if self.threshold is None:
            # The row's largest, unless it is (about) 0: a row of zeros predicts nothing.
            top = ops.greater_equal(pred, ops.reduce_max(pred, -1, keepdims=True))
            positive = ops.logical_and(top, ops.greater(ops.abs(pred), 1e-9))
        else:
            positive = ops.greater(pred, np.asarray(self.threshold, self.dtype))
        pred = ops.cast(positive, self.dtype)
        axis = None if self.average == "micro" else 0

        def weighted_sum(values):
            if sample_weight is not None:
                values = ops.multiply(values, ops.expand_dims(_tensor(sample_weight,
                                                                      self.dtype), 1))
            return ops.reduce_sum(values, axis)

        not_true, not_pred = ops.subtract(1.0, true), ops.subtract(1.0, pred)
        self.true_positives.assign_add(weighted_sum(ops.multiply(pred, true)))
        self.false_positives.assign_add(weighted_sum(ops.multiply(pred, not_true)))
        self.false_negatives.assign_add(weighted_sum(ops.multiply(not_pred, true)))
        self.intermediate_weights.assign_add(weighted_sum(true))

    def result(self):
        if not self._built:
            raise ValueError(f"{type(self).__name__}: result() before any update_state (the "
                             "number of classes comes from the first batch)")
        tp = self.true_positives
        precision = ops.divide(tp, ops.add(ops.add(tp, self.false_positives), EPSILON))
        recall = ops.divide(tp, ops.add(ops.add(tp, self.false_negatives), EPSILON))
        b2 = self.beta ** 2
        score = ops.multiply(
            ops.divide(ops.multiply(precision, recall),
                       ops.add(ops.add(ops.multiply(b2, precision), recall), EPSILON)),
            1.0 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights
            return ops.reduce_sum(ops.multiply(score, ops.divide(
                w, ops.add(ops.reduce_sum(w), EPSILON))))
        if self.average is not None:
            return ops.reduce_mean(score)
        return score


class F1Score(FBetaScore):
    """FBetaScore with beta = 1: the harmonic mean of precision and recall."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average, 1.0, threshold, name, dtype)


class R2Score(Metric):
    """The coefficient of determination 1 - SS_res / SS_tot per output column, SS_tot from
    running sums (sum y^2 - (sum y)^2 / n); averaged uniformly ('uniform_average'), weighted
    by SS_tot ('variance_weighted_average') or per column (None). With `num_regressors` p,
    the adjusted 1 - (1 - R2) (n - 1) / (n - p - 1), n counting every element (as Keras 3),
    or the plain score where n - 1 <= p."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name, dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(f"R2Score: class_aggregation must be None, 'uniform_average' or "
                             f"'variance_weighted_average'; got {class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0; got {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable("num_samples")
        self._built = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        true, pred = _tensor(y_true, self.dtype), _tensor(y_pred, self.dtype)
        if len(true.aval.shape) + 1 == len(pred.aval.shape):
            true = ops.expand_dims(true, -1)
        elif len(pred.aval.shape) + 1 == len(true.aval.shape):
            pred = ops.expand_dims(pred, -1)
        _two_d("R2Score", true, pred)
        if not self._built:
            n = pred.aval.shape[-1]
            for name in ("squared_sum", "sum", "total_mse", "count"):
                setattr(self, name, self.add_variable(name, (n,)))
            self._built = True
        w = _tensor(1.0 if sample_weight is None else sample_weight, self.dtype)
        if len(w.aval.shape) == 1:
            w = ops.expand_dims(w, 1)  # one weight per row
        w = ops.broadcast_to(w, true.aval.shape)
        weighted = ops.multiply(true, w)
        error = ops.subtract(true, pred)
        self.sum.assign_add(ops.reduce_sum(weighted, 0))
        self.squared_sum.assign_add(ops.reduce_sum(ops.multiply(true, weighted), 0))
        self.total_mse.assign_add(ops.reduce_sum(ops.multiply(ops.multiply(error, error), w), 0))
        self.count.assign_add(ops.reduce_sum(w, 0))
        # Every element counts (Keras 3 adds size(y_true)); a sum of ones is right for sizes
        # unknown at trace time too.
        self.num_samples.assign_add(ops.reduce_sum(ops.ones_like(true)))

    def result(self):
        if not self._built:
            raise ValueError("R2Score: result() before any update_state (the number of "
                             "outputs comes from the first batch)")
        mean = ops.divide(self.sum, self.count)
        total = ops.subtract(self.squared_sum, ops.multiply(self.sum, mean))
        raw = ops.subtract(1.0, ops.divide(self.total_mse, total))
        raw = ops.where(ops.is_inf(raw), ops.zeros_like(raw), raw)  # a constant column
        if self.class_aggregation == "uniform_average":
            score = ops.reduce_mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = ops.divide(ops.reduce_sum(ops.multiply(total, raw)), ops.reduce_sum(total))
        else:
            score = raw
        if self.num_regressors:
            n, p = self.num_samples, float(self.num_regressors)
            adjusted = ops.subtract(1.0, ops.divide(ops.multiply(ops.subtract(1.0, score),
                                                                 ops.subtract(n, 1.0)),
                                                    ops.subtract(ops.subtract(n, p), 1.0)))
            # Keras 3 falls back to the plain score (with a warning) where n - 1 <= p; a
            # `where` keeps that choice inside the step.
            score = ops.where(ops.greater(ops.subtract(n, 1.0), p), adjusted, score)
        return score


class IoU(Metric):
    """Intersection over union TP / (TP + FP + FN) of `target_class_ids`, averaged over those
    that occur, from a running (num_classes, num_classes) confusion matrix (rows true,
    columns predicted). Labels are class ids (`sparse_y_true`/`sparse_y_pred`) or scores
    whose argmax along the last axis is taken; labels out of range and `ignore_class` are
    left out. The counts are int32 by default (float weights are truncated, as Keras)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name, dtype or np.int32)
        if axis != -1:
            raise NotImplementedError(f"{type(self).__name__}: only axis=-1 is supported")
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"{type(self).__name__}: target class id {max(target_class_ids)} "
                             f"is out of range, which is [0, {num_classes})")
        self.num_classes, self.target_class_ids = num_classes, list(target_class_ids)
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable("total_confusion_matrix", (num_classes, num_classes))

    def update_state(self, y_true, y_pred, sample_weight=None):
        true = _tensor(y_true) if self.sparse_y_true else _argmax_last(y_true)
        pred = _tensor(y_pred) if self.sparse_y_pred else _argmax_last(y_pred)
        true = ops.reshape(ops.cast(true, np.int32), [-1])
        pred = ops.reshape(ops.cast(pred, np.int32), [-1])
        w = _tensor(1 if sample_weight is None else sample_weight, self.dtype)
        w = ops.broadcast_to(ops.reshape(w, [-1]) if len(w.aval.shape) > 1 else w,
                             true.aval.shape)
        n = self.num_classes
        keep = ops.logical_and(
            ops.logical_and(ops.greater_equal(true, 0), ops.less(true, n)),
            ops.logical_and(ops.greater_equal(pred, 0), ops.less(pred, n)))
        if self.ignore_class is not None:
            keep = ops.logical_and(keep, ops.not_equal(true, np.int32(self.ignore_class)))
        w = ops.cast(ops.where(keep, w, ops.zeros_like(w)), np.float32)
        # The weighted confusion matrix as one_hot(true)^T @ (one_hot(pred) * w): out-of-range
        # ids give zero rows of one_hot, and their weight is 0 anyway.
        rows = ops.one_hot(true, n, dtype=np.float32)
        cols = ops.multiply(ops.one_hot(pred, n, dtype=np.float32), ops.expand_dims(w, 1))
        cm = ops.matmul(rows, cols, transpose_a=True)
        self.total_cm.assign_add(ops.cast(cm, self.dtype))

    def result(self):
        cm = ops.cast(self.total_cm, np.float32)
        # The diagonal (true = predicted), as the row sums of cm * I.
        eye = np.eye(self.num_classes, dtype=np.float32)
        true_positives = ops.reduce_sum(ops.multiply(cm, eye), 1)
        denominator = ops.subtract(ops.add(ops.reduce_sum(cm, 0), ops.reduce_sum(cm, 1)),
                                   true_positives)
        ids = np.asarray(self.target_class_ids, np.int32)
        true_positives = ops.gather(true_positives, ids)
        denominator = ops.gather(denominator, ids)
        # A class that never occurs (denominator 0) counts neither in the sum nor the mean.
        valid = ops.greater(denominator, 1e-9)
        iou = ops.where(valid, ops.divide(true_positives, ops.add(denominator, EPSILON)),
                        ops.zeros_like(denominator))
        return ops.divide(ops.reduce_sum(iou), ops.add(ops.reduce_sum(ops.cast(valid,
                                                                               np.float32)),
                                                       EPSILON))


class MeanIoU(IoU):
    """IoU averaged over every class."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name, dtype, ignore_class,
                         sparse_y_true, sparse_y_pred, axis)
