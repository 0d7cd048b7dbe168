"""`tf.keras.metrics` that are the mean of a loss function over the examples seen:
crossentropies, KL divergence, Poisson, hinges, log-cosh, MAPE, MSLE, and CosineSimilarity
(which, unlike the loss, is positive when the vectors point the same way).

Each is a MeanMetricWrapper of the function Keras 3 wraps, so sample weights and
`update_state`/`result`/`reset_state` behave as Mean's (each example counts once)."""

from __future__ import annotations

from tapeflow import ops
from tapeflow.keras import losses as _losses
from tapeflow.keras.metrics import MeanMetricWrapper


def _cosine_similarity(y_true, y_pred, axis=-1):
    """sum(y_hat * p_hat) over `axis`, both l2-normalised along it: 1 when they point the
    same way (the metric's sign; the loss of the same name is its negative)."""
    true, pred = _losses._pair(y_true, y_pred, "cosine_similarity")
    return ops.reduce_sum(ops.multiply(ops.l2_normalize(true, axis),
                                       ops.l2_normalize(pred, axis)), axis)


class BinaryCrossentropy(MeanMetricWrapper):
    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(_losses.binary_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(_losses.categorical_crossentropy, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(_losses.sparse_categorical_crossentropy, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)


class KLDivergence(MeanMetricWrapper):
    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(_losses.kl_divergence, name, dtype)


class Poisson(MeanMetricWrapper):
    def __init__(self, name="poisson", dtype=None):
        super().__init__(_losses.poisson, name, dtype)


class CosineSimilarity(MeanMetricWrapper):
    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name, dtype, axis=axis)


class Hinge(MeanMetricWrapper):
    def __init__(self, name="hinge", dtype=None):
        super().__init__(_losses.hinge, name, dtype)


class SquaredHinge(MeanMetricWrapper):
    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(_losses.squared_hinge, name, dtype)


class CategoricalHinge(MeanMetricWrapper):
    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(_losses.categorical_hinge, name, dtype)


class LogCoshError(MeanMetricWrapper):
    # Keras 3 names it 'logcosh' (the loss function's short name).
    def __init__(self, name="logcosh", dtype=None):
        super().__init__(_losses.log_cosh, name, dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_losses.mean_absolute_percentage_error, name, dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(_losses.mean_squared_logarithmic_error, name, dtype)


CLASSES = (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
           KLDivergence, Poisson, CosineSimilarity, Hinge, SquaredHinge, CategoricalHinge,
           LogCoshError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError)
