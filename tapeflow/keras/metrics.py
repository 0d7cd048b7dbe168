"""`tf.keras.metrics`: running values over batches (`update_state`, `result`, `reset_state`).

Their state is Variables, so an `update_state` inside a compiled step is committed with the
step, and `reset_state` assigns them (a compiled step that reads them is not traced again)."""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.keras import losses as _losses
from tapeflow.keras._naming import lookup
from tapeflow.keras.losses import _same_rank
from tapeflow.tracer.module import snake_case as _snake
from tapeflow.tracer.tensor import convert_to_tensor
from tapeflow.tracer.variable import Variable


def _tensor(x, dtype=None):
    t = x if hasattr(x, "aval") else convert_to_tensor(np.asarray(x))
    if dtype is not None and t.aval.dtype != dtype:
        t = ops.cast(t, dtype)
    return t


def _argmax_last(x):
    """The index of the largest value along the last axis (the first of ties, as tf.argmax),
    as int32, from primitives: min over the positions where x equals its maximum."""
    x = _tensor(x)
    n = x.aval.shape[-1]
    positions = np.arange(n, dtype=np.int32)
    is_max = ops.equal(x, ops.reduce_max(x, -1, keepdims=True))
    return ops.reduce_min(ops.where(is_max, positions, np.int32(n)), -1)


class Metric:
    """A running statistic; subclasses create Variables with `add_variable` and define
    `update_state` and `result`."""

    def __init__(self, name=None, dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype) or np.float32)
        self._variables: list[Variable] = []

    def add_variable(self, name, shape=(), initializer="zeros") -> Variable:
        value = np.zeros(shape, self.dtype) if initializer == "zeros" else np.full(
            shape, initializer, self.dtype)
        v = Variable(value, trainable=False, name=f"{self.name}/{name}")
        self._variables.append(v)
        return v

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def reset_state(self) -> None:
        for v in self._variables:
            v.assign(np.zeros(v.shape, v.aval.dtype))

    reset_states = reset_state

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def _samplewise(values, sample_weight, reduce_fn, dtype):
    """Keras 3's reduce_to_samplewise_values: sample weights line up with the leading axes of
    the values (not the trailing ones, as broadcasting would), so the values are first
    reduced (with `reduce_fn`) over the axes the weights lack, then weighted; what is left
    beyond the batch axis is reduced too. Returns the per-example values and weights."""
    v = _tensor(values, dtype)
    w = None
    if sample_weight is not None:
        v, w = _same_rank(v, _tensor(sample_weight, dtype))
        rank_w, rank_v = len(w.aval.shape), len(v.aval.shape)
        if rank_v > rank_w:
            v = reduce_fn(v, list(range(rank_w, rank_v)))
        if tuple(w.aval.shape) != tuple(v.aval.shape):
            w = ops.broadcast_to(w, v.aval.shape)
        v = ops.multiply(v, w)
        if rank_w > 1:
            w = reduce_fn(w, list(range(1, rank_w)))
    if len(v.aval.shape) > 1:
        v = reduce_fn(v, list(range(1, len(v.aval.shape))))
    return v, w


class Sum(Metric):
    """The sum of every value seen (weighted by sample_weight, which lines up with the
    leading axes of the values)."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable("total")

    def update_state(self, values, sample_weight=None):
        v, _ = _samplewise(values, sample_weight, ops.reduce_sum, self.dtype)
        self.total.assign_add(ops.reduce_sum(v))

    def result(self):
        return ops.identity(self.total)


class Mean(Metric):
    """The (weighted) mean over the examples seen: each example's values are first averaged
    (so an example counts once whatever its size, as Keras 3), then total / count, 0 before
    any value."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable("total")
        self.count = self.add_variable("count")

    def update_state(self, values, sample_weight=None):
        v, w = _samplewise(values, sample_weight, ops.reduce_mean, self.dtype)
        self.total.assign_add(ops.reduce_sum(v))
        if w is not None:
            self.count.assign_add(ops.reduce_sum(w))
        elif len(v.aval.shape) >= 1:
            # The number of examples as a sum of ones: right for sizes unknown at trace time.
            self.count.assign_add(ops.reduce_sum(ops.ones_like(v)))
        else:
            self.count.assign_add(np.asarray(1.0, self.dtype))

    def result(self):
        # divide_no_nan: 0 while count is 0 (the divisor is made 1 there).
        empty = ops.equal(self.count, 0.0)
        safe = ops.where(empty, ops.ones_like(self.count), self.count)
        return ops.where(empty, ops.zeros_like(self.total), ops.divide(self.total, safe))


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred)` over every example seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name or getattr(fn, "__name__", "mean"), dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)


def accuracy(y_true, y_pred):
    """1.0 where y_true == y_pred, else 0.0."""
    t, p = _tensor(y_true), _tensor(y_pred)
    if t.aval.dtype != p.aval.dtype:
        t = ops.cast(t, p.aval.dtype)
    return ops.cast(ops.equal(t, p), np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    p = _tensor(y_pred)
    t = _tensor(y_true, p.aval.dtype)
    if tuple(t.aval.shape) + (1,) == tuple(p.aval.shape):
        t = ops.expand_dims(t, -1)
    predicted = ops.cast(ops.greater(p, np.asarray(threshold, p.aval.dtype)), p.aval.dtype)
    return ops.reduce_mean(ops.cast(ops.equal(t, predicted), np.float32), -1)


def categorical_accuracy(y_true, y_pred):
    return ops.cast(ops.equal(_argmax_last(y_true), _argmax_last(y_pred)), np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    p = _tensor(y_pred)
    t = _tensor(y_true)
    if len(t.aval.shape) == len(p.aval.shape) and t.aval.shape[-1] == 1:
        t = ops.squeeze(t, -1)
    return ops.cast(ops.equal(ops.cast(t, np.int32), _argmax_last(p)), np.float32)


def _in_top_k(labels, y_pred, k: int):
    """1.0 where the label's prediction is among the k largest of its row: fewer than k
    predictions are strictly larger (so ties at the boundary count as in, as tf.math.in_top_k),
    and the prediction is finite."""
    p = _tensor(y_pred)
    n = p.aval.shape[-1]
    positions = np.arange(n, dtype=np.int32)
    is_label = ops.equal(ops.expand_dims(ops.cast(labels, np.int32), -1), positions)
    target = ops.reduce_sum(ops.where(is_label, p, ops.zeros_like(p)), -1, keepdims=True)
    larger = ops.reduce_sum(ops.cast(ops.greater(p, target), np.int32), -1)
    finite = ops.is_finite(ops.squeeze(target, -1))
    return ops.cast(ops.logical_and(ops.less(larger, np.int32(k)), finite), np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return _in_top_k(_argmax_last(y_true), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    p = _tensor(y_pred)
    t = _tensor(y_true)
    if len(t.aval.shape) == len(p.aval.shape) and t.aval.shape[-1] == 1:
        t = ops.squeeze(t, -1)
    return _in_top_k(t, p, k)


class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name, dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k)


class RootMeanSquaredError(Mean):
    """sqrt of the (weighted) mean of the squared errors over the examples seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        true, pred = _losses._pair(y_true, y_pred, "root_mean_squared_error")
        error = ops.subtract(pred, true)
        super().update_state(ops.multiply(error, error), sample_weight)

    def result(self):
        return ops.sqrt(super().result())


_BY_NAME = {
    "mean": Mean, "sum": Sum, "accuracy": Accuracy, "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "root_mean_squared_error": RootMeanSquaredError,
}


def get(identifier, loss=None):
    """A metric from a name, a Metric, or a callable(y_true, y_pred). 'accuracy'/'acc' picks
    the accuracy that fits `loss`, as Keras' compile does."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc") and loss is not None:
            name = getattr(loss, "name", None) or getattr(loss, "__name__", "")
            by_loss = {"sparse_categorical_crossentropy": SparseCategoricalAccuracy,
                       "categorical_crossentropy": CategoricalAccuracy,
                       "binary_crossentropy": BinaryAccuracy}
            if name in by_loss:
                return by_loss[name](name="accuracy")
        key = "accuracy" if identifier == "acc" else identifier
        return lookup(_BY_NAME, key, "metric")()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"cannot interpret {identifier!r} as a metric")



# After the base classes they subclass (those modules import Metric from this one).
from tapeflow.keras.confusion_metrics import (  # noqa: E402
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from tapeflow.keras.loss_metrics import (  # noqa: E402, F401 - the namespace's classes
    CLASSES as _LOSS_METRICS,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from tapeflow.keras.score_metrics import (  # noqa: E402, F401 - the namespace's classes
    F1Score,
    FBetaScore,
    IoU,
    MeanIoU,
    R2Score,
)

# Keras 3's metric names: each class by its snake_case name, and the short ones.
_BY_NAME.update({_snake(cls.__name__): cls for cls in (
    Precision, Recall, AUC, TruePositives, TrueNegatives, FalsePositives, FalseNegatives,
    F1Score, FBetaScore, R2Score, *_LOSS_METRICS)})
_BY_NAME.update({"auc": AUC, "bce": BinaryCrossentropy, "mape": MeanAbsolutePercentageError,
                 "msle": MeanSquaredLogarithmicError})

# Keras 3's tf.keras.metrics holds the loss functions too (tf.keras.metrics.mse is
# tf.keras.losses.mse): a metric given as one of them is the mean of its values.
from tapeflow.keras.losses import (  # noqa: E402, F401 - the namespace's functions
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kld,
    kullback_leibler_divergence,
    logcosh,
    mae,
    mape,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
