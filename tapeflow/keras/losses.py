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


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """-log p[label] for integer labels (shape (batch,) or (batch, 1)); labels out of range
    raise, naming the label (tf.nn.sparse_softmax_cross_entropy_with_logits checks them).
    Examples whose label is `ignore_class` give 0 (the class form also leaves them out of the
    mean)."""
    pred = _tensor(y_pred)
    labels = _sparse_labels(y_true, pred)
    rank = len(pred.aval.shape)
    if axis not in (-1, rank - 1):
        raise InvalidArgumentError("sparse_categorical_crossentropy: only axis=-1 is supported")
    if ignore_class is not None:
        valid = ops.not_equal(labels, np.asarray(ignore_class, labels.aval.dtype))
        labels = ops.multiply(labels, ops.cast(valid, labels.aval.dtype))  # a label in range
    if from_logits:
        logits = pred
    else:
        # log(p / sum p) is log_softmax(log p): the same labels check serves both forms.
        logits = ops.log(ops.clip_by_value(pred, EPSILON, 1.0 - EPSILON))
    loss = ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    if ignore_class is not None:
        loss = ops.where(valid, loss, ops.zeros_like(loss))
    return loss


def _sparse_labels(y_true, pred):
    """Integer labels of the prediction's rank less one ((batch, 1) labels are squeezed)."""
    labels = _tensor(y_true)
    if labels.aval.dtype.kind not in "iu":
        labels = ops.cast(labels, np.int32)  # Keras accepts float labels holding integers
    if len(labels.aval.shape) == len(pred.aval.shape) and labels.aval.shape[-1] == 1:
        labels = ops.squeeze(labels, -1)
    return labels


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y - p| / max(|y|, eps)) over the last axis."""
    true, pred = _pair(y_true, y_pred, "mean_absolute_percentage_error")
    diff = ops.abs(ops.divide(ops.subtract(true, pred), ops.maximum(ops.abs(true), EPSILON)))
    return ops.multiply(100.0, ops.reduce_mean(diff, -1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(p, eps) + 1) - log(max(y, eps) + 1))^2) over the last axis."""
    true, pred = _pair(y_true, y_pred, "mean_squared_logarithmic_error")
    d = ops.subtract(ops.log(ops.add(ops.maximum(pred, EPSILON), 1.0)),
                     ops.log(ops.add(ops.maximum(true, EPSILON), 1.0)))
    return ops.reduce_mean(ops.multiply(d, d), -1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(p - y))) over the last axis, as x + softplus(-2x) - log 2 (which never
    overflows)."""
    true, pred = _pair(y_true, y_pred, "log_cosh")
    x = ops.subtract(pred, true)
    return ops.reduce_mean(ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2.0))),
                                        float(np.log(2.0))), -1)


def kl_divergence(y_true, y_pred):
    """sum(y log(y / p)) over the last axis, both clipped to [eps, 1]."""
    true, pred = _pair(y_true, y_pred, "kl_divergence")
    true = ops.clip_by_value(true, EPSILON, 1.0)
    pred = ops.clip_by_value(pred, EPSILON, 1.0)
    return ops.reduce_sum(ops.multiply(true, ops.log(ops.divide(true, pred))), -1)


def poisson(y_true, y_pred):
    """mean(p - y log(p + eps)) over the last axis."""
    true, pred = _pair(y_true, y_pred, "poisson")
    return ops.reduce_mean(ops.subtract(pred, ops.multiply(true, ops.log(ops.add(pred, EPSILON)))),
                           -1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(y_hat * p_hat) over `axis`, each l2-normalised along it (so -1 when they point the
    same way: a loss to minimise)."""
    true, pred = _pair(y_true, y_pred, "cosine_similarity")
    true = ops.l2_normalize(true, axis)
    pred = ops.l2_normalize(pred, axis)
    return ops.negative(ops.reduce_sum(ops.multiply(true, pred), axis))


def _hinge_labels(true):
    """Labels that are all 0 or 1 become -1 or 1 (as Keras); any other labels are kept. The
    choice is a `where` on the whole tensor, not a Python branch, so no value guard."""
    binary = ops.reduce_all(ops.logical_or(ops.equal(true, 0.0), ops.equal(true, 1.0)))
    return ops.where(binary, ops.subtract(ops.multiply(true, 2.0), 1.0), true)


def hinge(y_true, y_pred):
    """mean(max(1 - y p, 0)) over the last axis, labels in {-1, 1} (or {0, 1})."""
    true, pred = _pair(y_true, y_pred, "hinge")
    margin = ops.subtract(1.0, ops.multiply(_hinge_labels(true), pred))
    return ops.reduce_mean(ops.maximum(margin, 0.0), -1)


def squared_hinge(y_true, y_pred):
    """mean(max(1 - y p, 0)^2) over the last axis, labels in {-1, 1} (or {0, 1})."""
    true, pred = _pair(y_true, y_pred, "squared_hinge")
    margin = ops.maximum(ops.subtract(1.0, ops.multiply(_hinge_labels(true), pred)), 0.0)
    return ops.reduce_mean(ops.multiply(margin, margin), -1)


def categorical_hinge(y_true, y_pred):
    """max(neg - pos + 1, 0) with pos = sum(y p) and neg = max((1 - y) p) over the last
    axis, for one-hot y."""
    true, pred = _pair(y_true, y_pred, "categorical_hinge")
    pos = ops.reduce_sum(ops.multiply(true, pred), -1)
    neg = ops.reduce_max(ops.multiply(ops.subtract(1.0, true), pred), -1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


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


def _as_weight(sample_weight, dtype):
    w = sample_weight if hasattr(sample_weight, "aval") else convert_to_tensor(
        np.asarray(sample_weight, dtype))
    return w if w.aval.dtype == dtype else ops.cast(w, dtype)


def _same_rank(values, w):
    """Keras 3's squeeze_or_expand_to_same_rank: when the ranks differ by one and the larger
    ends in a size-1 axis, a rank-1 partner is expanded to it, else that axis is squeezed
    (so (batch,) values with (batch, 1) weights give (batch, 1) values)."""
    rank_v, rank_w = len(values.aval.shape), len(w.aval.shape)
    if rank_v == rank_w + 1 and values.aval.shape[-1] == 1:
        if rank_w == 1:
            w = ops.expand_dims(w, -1)
        else:
            values = ops.squeeze(values, -1)
    elif rank_w == rank_v + 1 and w.aval.shape[-1] == 1:
        if rank_v == 1:
            values = ops.expand_dims(values, -1)
        else:
            w = ops.squeeze(w, -1)
    return values, w


def _reduce(values, sample_weight, reduction: str):
    if sample_weight is not None:
        values = _tensor(values)
        values, w = _same_rank(values, _as_weight(sample_weight, values.aval.dtype))
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
    """With `ignore_class`, the examples of that label count as masked out, as Keras 3: they
    add 0, and 'sum_over_batch_size' divides by the number of the others."""

    fn = staticmethod(sparse_categorical_crossentropy)
    defaults: ClassVar[dict] = {"from_logits": False, "ignore_class": None}

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits, ignore_class=ignore_class)

    def __call__(self, y_true, y_pred, sample_weight=None):
        ignore_class = self.options["ignore_class"]
        if ignore_class is None:
            return super().__call__(y_true, y_pred, sample_weight)
        values = self.call(y_true, y_pred)
        labels = _sparse_labels(y_true, _tensor(y_pred))
        mask = ops.cast(ops.not_equal(labels, np.asarray(ignore_class, labels.aval.dtype)),
                        values.aval.dtype)
        if self.reduction in ("sum_over_batch_size", "mean"):
            # Each kept example weighs total / kept, so the mean over all of them is the mean
            # over the kept ones (0 when none is kept, as divide_no_nan).
            total = ops.reduce_sum(ops.ones_like(mask))
            kept = ops.reduce_sum(mask)
            none_kept = ops.equal(kept, 0.0)
            scale = ops.where(none_kept, ops.zeros_like(kept),
                              ops.divide(total, ops.where(none_kept, ops.ones_like(kept), kept)))
            mask = ops.multiply(mask, scale)
        if sample_weight is not None:
            mask, w = _same_rank(mask, _as_weight(sample_weight, values.aval.dtype))
            mask = ops.multiply(mask, w)
        return _reduce(values, mask, self.reduction)


class MeanAbsolutePercentageError(_Wrapper):
    fn = staticmethod(mean_absolute_percentage_error)


class MeanSquaredLogarithmicError(_Wrapper):
    fn = staticmethod(mean_squared_logarithmic_error)


class LogCosh(_Wrapper):
    fn = staticmethod(log_cosh)


class KLDivergence(_Wrapper):
    fn = staticmethod(kl_divergence)


class Poisson(_Wrapper):
    fn = staticmethod(poisson)


class CosineSimilarity(_Wrapper):
    fn = staticmethod(cosine_similarity)
    defaults: ClassVar[dict] = {"axis": -1}

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(reduction, name, axis=axis)


class Hinge(_Wrapper):
    fn = staticmethod(hinge)


class SquaredHinge(_Wrapper):
    fn = staticmethod(squared_hinge)


class CategoricalHinge(_Wrapper):
    fn = staticmethod(categorical_hinge)


class LossFunctionWrapper(Loss):
    """A function of (y_true, y_pred) returning per-example values, as a Loss (what
    `compile(loss=fn)` makes of a function, so that sample weights and the reduction apply
    to it as to the classes)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction, name or getattr(fn, "__name__", None))
        self.fn = fn
        self.options = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.options)


# Keras' short names for the functions (tf.keras.losses.mse is the function, not a class).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

_FUNCTIONS = {fn.__name__: fn for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, huber, log_cosh, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy, kl_divergence, poisson,
    cosine_similarity, hinge, squared_hinge, categorical_hinge)}
_FUNCTIONS.update({"mse": mse, "mae": mae, "mape": mape, "msle": msle, "kld": kld,
                   "kullback_leibler_divergence": kl_divergence, "logcosh": log_cosh})
_CLASSES = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, KLDivergence, Poisson, CosineSimilarity, Hinge,
    SquaredHinge, CategoricalHinge)}


def get(identifier):
    """A loss from a name, as Keras 3: a function's name ('mse', 'huber',
    'sparse_categorical_crossentropy') gives the function, which returns one value per
    example; a class name ('MeanSquaredError') gives an instance, which reduces. A Loss or
    any callable(y_true, y_pred) is returned as it is."""
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        return lookup(_FUNCTIONS, identifier, "loss")
    if isinstance(identifier, Loss) or callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as a loss")

