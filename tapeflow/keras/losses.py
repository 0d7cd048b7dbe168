"""`tf.keras.losses`: each loss as a function (one value per example, the last axis reduced)
and as a class that weights and reduces it (`reduction`: 'sum_over_batch_size', the default,
'sum' or 'none'; TF's Reduction.AUTO / SUM_OVER_BATCH_SIZE / SUM / NONE too)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tapeflow import ops
from tapeflow.keras._naming import lookup
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.tracer.module import snake_case as _snake
from tapeflow.tracer.tensor import convert_to_tensor

EPSILON = 1e-7  # Keras' backend epsilon: probabilities are clipped to [eps, 1 - eps]


def _tensor(x):
    return x if hasattr(x, "aval") else convert_to_tensor(np.asarray(x))


def _pair(y_true, y_pred, op: str):
    """y_pred as a float tensor and y_true converted to its dtype (labels given as ints or
    numpy arrays are fine, as in Keras)."""
    pred = _tensor(y_pred)
    if pred.aval.dtype.kind != "f":
        pred = ops.cast(pred, np.float32)
    dtype = pred.aval.dtype
    if hasattr(y_true, "aval"):
        true = y_true if y_true.aval.dtype == dtype else ops.cast(y_true, dtype)
    else:
        true = convert_to_tensor(np.asarray(y_true, dtype))
    if tuple(true.aval.shape) != tuple(pred.aval.shape):
        # A (batch,) target against a (batch, 1) prediction is the common case Keras allows.
        if tuple(true.aval.shape) + (1,) == tuple(pred.aval.shape):
            true = ops.expand_dims(true, -1)
        else:
            raise InvalidArgumentError(f"{op}: y_true has shape {tuple(true.aval.shape)}, "
                                       f"y_pred {tuple(pred.aval.shape)}")
    return true, pred


def mean_squared_error(y_true, y_pred):
    true, pred = _pair(y_true, y_pred, "mean_squared_error")
    d = ops.subtract(pred, true)
    return ops.reduce_mean(ops.multiply(d, d), -1)


def mean_absolute_error(y_true, y_pred):
    true, pred = _pair(y_true, y_pred, "mean_absolute_error")
    return ops.reduce_mean(ops.abs(ops.subtract(pred, true)), -1)


def huber(y_true, y_pred, delta=1.0):
    """0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) beyond; mean over the last axis."""
    true, pred = _pair(y_true, y_pred, "huber")
    e = ops.abs(ops.subtract(pred, true))
    quadratic = ops.minimum(e, delta)
    linear = ops.subtract(e, quadratic)
    return ops.reduce_mean(ops.add(ops.multiply(0.5, ops.multiply(quadratic, quadratic)),
                                   ops.multiply(delta, linear)), -1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-(y log p + (1 - y) log(1 - p)), mean over `axis`; from logits x it is computed as
    max(x, 0) - x y + log(1 + exp(-|x|)), which never overflows."""
    true, pred = _pair(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        true = ops.add(ops.multiply(true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        x = pred
        per = ops.add(ops.subtract(ops.maximum(x, 0.0), ops.multiply(x, true)),
                      ops.softplus(ops.negative(ops.abs(x))))
    else:
        p = ops.clip_by_value(pred, EPSILON, 1.0 - EPSILON)
        per = ops.negative(ops.add(ops.multiply(true, ops.log(p)),
                                   ops.multiply(ops.subtract(1.0, true),
                                                ops.log(ops.subtract(1.0, p)))))
    return ops.reduce_mean(per, axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y log p) over `axis` for one-hot (or soft) targets y; probabilities are
    renormalised to sum to 1 and clipped, as Keras does."""
    true, pred = _pair(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        n = pred.aval.shape[axis]
        true = ops.add(ops.multiply(true, 1.0 - label_smoothing), label_smoothing / n)
    if from_logits:
        log_p = ops.log_softmax(pred, axis)
    else:
        p = ops.divide(pred, ops.reduce_sum(pred, axis, keepdims=True))
        log_p = ops.log(ops.clip_by_value(p, EPSILON, 1.0 - EPSILON))
    return ops.negative(ops.reduce_sum(ops.multiply(true, log_p), axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """-log p[label] for integer labels (shape (batch,) or (batch, 1)); labels out of range
    raise, naming the label (tf.nn.sparse_softmax_cross_entropy_with_logits checks them)."""
    pred = _tensor(y_pred)
    labels = _tensor(y_true)
    if labels.aval.dtype.kind not in "iu":
        labels = ops.cast(labels, np.int32)  # Keras accepts float labels holding integers
    rank = len(pred.aval.shape)
    if axis not in (-1, rank - 1):
        raise InvalidArgumentError("sparse_categorical_crossentropy: only axis=-1 is supported")
    if len(labels.aval.shape) == rank and labels.aval.shape[-1] == 1:
        labels = ops.squeeze(labels, -1)
    if from_logits:
        logits = pred
    else:
        # log(p / sum p) is log_softmax(log p): the same labels check serves both forms.
        logits = ops.log(ops.clip_by_value(pred, EPSILON, 1.0 - EPSILON))
    return ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


# ---- the classes --------------------------------------------------------------------------------

_REDUCTIONS = {
    "sum_over_batch_size": "sum_over_batch_size", "auto": "sum_over_batch_size",
    "sum": "sum", "none": "none", None: "none", "mean": "mean",
}


class Reduction:
    """TF's names for the reductions."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"


def _reduce(values, sample_weight, reduction: str):
    if sample_weight is not None:
        values = _tensor(values)
        w = sample_weight if hasattr(sample_weight, "aval") else np.asarray(
            sample_weight, values.aval.dtype)
        if hasattr(w, "aval") and w.aval.dtype != values.aval.dtype:
            w = ops.cast(w, values.aval.dtype)
        w_shape = w.aval.shape if hasattr(w, "aval") else w.shape
        while len(w_shape) > len(values.aval.shape) and w_shape[-1] == 1:
            w = ops.squeeze(w, -1) if hasattr(w, "aval") else np.squeeze(w, -1)
            w_shape = w.aval.shape if hasattr(w, "aval") else w.shape
        values = ops.multiply(values, w)
    if reduction == "none":
        return values
    total = ops.reduce_sum(values)
    if reduction == "sum":
        return total
    return ops.reduce_mean(values)  # sum over the number of elements ("mean" alike)


class Loss:
    """`loss(y_true, y_pred, sample_weight=None)`: the per-example values of `fn`, weighted
    and reduced."""

    def __init__(self, reduction="sum_over_batch_size", name=None):
        key = reduction.lower() if isinstance(reduction, str) else reduction
        if key not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}; known: "
                             "sum_over_batch_size, sum, none")
        self.reduction = _REDUCTIONS[key]
        self.name = name or _snake(type(self).__name__)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        return _reduce(self.call(y_true, y_pred), sample_weight, self.reduction)

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "name": self.name}


class _Wrapper(Loss):
    fn = None
    defaults: ClassVar[dict] = {}

    def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
        unknown = sorted(set(kwargs) - set(self.defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(unknown)}")
        super().__init__(reduction, name)
        self.options = {**self.defaults, **kwargs}

    def call(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, **self.options)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.options}


class MeanSquaredError(_Wrapper):
    fn = staticmethod(mean_squared_error)


class MeanAbsoluteError(_Wrapper):
    fn = staticmethod(mean_absolute_error)


class Huber(_Wrapper):
    fn = staticmethod(huber)
    defaults: ClassVar[dict] = {"delta": 1.0}

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(reduction, name, delta=delta)


class BinaryCrossentropy(_Wrapper):
    fn = staticmethod(binary_crossentropy)
    defaults: ClassVar[dict] = {"from_logits": False, "label_smoothing": 0.0, "axis": -1}

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_Wrapper):
    fn = staticmethod(categorical_crossentropy)
    defaults: ClassVar[dict] = {"from_logits": False, "label_smoothing": 0.0, "axis": -1}

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_Wrapper):
    fn = staticmethod(sparse_categorical_crossentropy)
    defaults: ClassVar[dict] = {"from_logits": False}

    def __init__(self, from_logits=False, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_BY_NAME = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get(identifier):
    """A loss from a name ('mse', 'sparse_categorical_crossentropy', 'MeanSquaredError'...),
    a Loss, or a callable(y_true, y_pred)."""
    if isinstance(identifier, str):
        return lookup(_BY_NAME, identifier, "loss")()
    if isinstance(identifier, Loss) or callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as a loss")

