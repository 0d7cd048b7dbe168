"""BatchNormalization, LayerNormalization, GroupNormalization and UnitNormalization."""

from __future__ import annotations

from tapeflow import ops
from tapeflow.keras import initializers
from tapeflow.keras.layers.base import Layer
from tapeflow.ops.reductions import normalize_axes as _normalize_axes
from tapeflow.tracer.tensor import convert_to_tensor


def _as_tensor(x, op: str):
    """A tensor of `x` (numpy arrays and Python values are converted, as Keras does)."""
    return x if hasattr(x, "aval") else convert_to_tensor(x)


def _moments(x, axes):
    """Mean and (biased) variance over `axes`, kept as size-1 axes."""
    mean = ops.reduce_mean(x, axes, keepdims=True)
    centered = ops.subtract(x, mean)
    return mean, ops.reduce_mean(ops.multiply(centered, centered), axes, keepdims=True)


class _Normalization(Layer):
    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.gamma = self.beta = None

    def _axes(self, rank: int) -> tuple[int, ...]:
        axes = self.axis if isinstance(self.axis, list | tuple) else [self.axis]
        return _normalize_axes(list(axes), rank, type(self).__name__)

    def _param_shape(self, input_shape) -> tuple[int, ...]:
        axes = self._axes(len(input_shape))
        for a in axes:
            if input_shape[a] is None:
                raise ValueError(f"{type(self).__name__} {self.name!r}: axis {a} of the input "
                                 f"must be known, got shape {tuple(input_shape)}")
        return tuple(int(input_shape[a]) for a in axes)

    def _build_affine(self, shape):
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, initializer=self.gamma_initializer)
        if self.center:
            self.beta = self.add_weight("beta", shape, initializer=self.beta_initializer)

    def _broadcast(self, v, rank, axes):
        """A (size-of-`axes`) parameter reshaped to broadcast against the input."""
        shape = [1] * rank
        for a, n in zip(axes, v.shape):
            shape[a] = n
        return ops.reshape(v, shape)

    def _normalize(self, x, mean, variance, axes):
        rank = len(x.aval.shape)
        inv = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        if self.gamma is not None:
            inv = ops.multiply(inv, self._broadcast(self.gamma, rank, axes))
        y = ops.multiply(ops.subtract(x, mean), inv)
        if self.beta is not None:
            y = ops.add(y, self._broadcast(self.beta, rank, axes))
        return y


class BatchNormalization(_Normalization):
    """Normalise by the batch's mean and variance in training (and move the moving averages:
    m <- m * momentum + batch * (1 - momentum), non-trainable Variables, so a compiled step
    updates them with the rest), by the moving averages at inference."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         **kwargs)
        self.momentum = float(momentum)
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer

    def build(self, input_shape):
        shape = self._param_shape(input_shape)
        self._build_affine(shape)
        self.moving_mean = self.add_weight("moving_mean", shape, trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight("moving_variance", shape, trainable=False,
                                               initializer=self.moving_variance_initializer)

    def call(self, inputs, training=None):
        x = _as_tensor(inputs, "BatchNormalization")
        rank = len(x.aval.shape)
        axes = self._axes(rank)
        reduced = [a for a in range(rank) if a not in axes]
        if training and self.trainable:
            mean, variance = _moments(x, reduced)
            m = self.momentum
            for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
                batch = ops.reshape(batch, moving.shape)
                moving.assign(ops.add(ops.multiply(moving, m), ops.multiply(batch, 1.0 - m)))
        else:
            mean = self._broadcast(self.moving_mean, rank, axes)
            variance = self._broadcast(self.moving_variance, rank, axes)
        return self._normalize(x, mean, variance, axes)


class LayerNormalization(_Normalization):
    """Normalise each example over `axis` (the last by default), then scale and shift."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         **kwargs)

    def build(self, input_shape):
        self._build_affine(self._param_shape(input_shape))

    def call(self, inputs):
        x = _as_tensor(inputs, "LayerNormalization")
        axes = self._axes(len(x.aval.shape))
        mean, variance = _moments(x, list(axes))
        return self._normalize(x, mean, variance, axes)




class UnitNormalization(Layer):
    """Each example scaled to unit L2 norm along `axis` (an int or a list of axes):
    x * min(1 / sqrt(sum(x^2)), 1 / epsilon), Keras 3's ops.normalize with epsilon 1e-7, so
    an all-zero slice stays zero."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, list | tuple) else int(axis)

    def call(self, inputs):
        x = _as_tensor(inputs, "UnitNormalization")
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        axes = list(_normalize_axes(axes, len(x.aval.shape), "UnitNormalization"))
        inv_norm = ops.rsqrt(ops.reduce_sum(ops.square(x), axes, keepdims=True))
        return ops.multiply(x, ops.minimum(inv_norm, 1.0 / 1e-7))

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class GroupNormalization(_Normalization):
    """The channels along `axis` split into `groups` groups; each example normalised by the
    mean and variance of each group (over the group's channels and all other non-batch
    axes), then scaled and shifted per channel. groups=1 is a LayerNormalization over all
    axes; groups equal to the channels is an InstanceNormalization."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", **kwargs):
        super().__init__(int(axis), epsilon, center, scale, beta_initializer,
                         gamma_initializer, **kwargs)
        self.groups = int(groups)

    def build(self, input_shape):
        axis = self._axes(len(input_shape))[0]
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"GroupNormalization {self.name!r}: axis {self.axis} of the input "
                             f"must have a known size, got shape {tuple(input_shape)}")
        if self.groups == -1:
            self.groups = int(channels)
        if channels < self.groups:
            raise ValueError(f"GroupNormalization {self.name!r}: number of groups "
                             f"({self.groups}) cannot be more than the number of channels "
                             f"({channels}); input shape {tuple(input_shape)}")
        if channels % self.groups:
            raise ValueError(f"GroupNormalization {self.name!r}: the number of channels "
                             f"({channels}) must be a multiple of the number of groups "
                             f"({self.groups}); input shape {tuple(input_shape)}")
        self._build_affine((int(channels),))

    def call(self, inputs):
        x = _as_tensor(inputs, "GroupNormalization")
        shape = list(x.aval.shape)
        axis = self._axes(len(shape))[0]
        # [..., channels, ...] -> [..., groups, channels / groups, ...]: the statistics are
        # over every axis but the batch and the groups.
        grouped_shape = ([-1] + shape[1:axis] + [self.groups, shape[axis] // self.groups] +
                         shape[axis + 1:])
        grouped = ops.reshape(x, grouped_shape)
        reduced = [a for a in range(1, len(grouped_shape)) if a != axis]
        mean, variance = _moments(grouped, reduced)
        inv = ops.rsqrt(ops.add(variance, self.epsilon))
        param_shape = [1] * len(grouped_shape)
        param_shape[axis], param_shape[axis + 1] = self.groups, shape[axis] // self.groups
        if self.gamma is not None:
            inv = ops.multiply(inv, ops.reshape(self.gamma, param_shape))
        # x * inv - mean * inv (+ beta): Keras 3's arrangement of the arithmetic.
        shift = ops.negative(ops.multiply(mean, inv))
        if self.beta is not None:
            shift = ops.add(shift, ops.reshape(self.beta, param_shape))
        y = ops.add(ops.multiply(grouped, inv), shift)
        return ops.reshape(y, [-1] + shape[1:])

    def get_config(self) -> dict:
        def serialized(value):
            init = initializers.get(value)
            return (initializers.serialize(init)
                    if isinstance(init, initializers.Initializer) else init)

        return {**super().get_config(), "groups": self.groups, "axis": self.axis,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": serialized(self.beta_initializer),
                "gamma_initializer": serialized(self.gamma_initializer)}
