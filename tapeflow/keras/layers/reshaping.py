"""Layers that only move or combine values: Reshape, GlobalAveragePooling2D,
GlobalMaxPooling2D, Concatenate and Add (no weights)."""

from __future__ import annotations

from tapeflow import ops
from tapeflow.keras.layers._checks import images
from tapeflow.keras.layers.base import Layer
from tapeflow.keras.layers.core import _as_tensor
from tapeflow.ops.core import InvalidArgumentError


class Reshape(Layer):
    """Each example to `target_shape` (the batch axis is kept; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape: at most one -1 in target_shape, got {target_shape}")

    def call(self, inputs):
        x = _as_tensor(inputs, "Reshape")
        # The batch size as a value, so an unknown batch size (None) reshapes too.
        batch = ops.reshape(ops.shape(x)[0], [1])
        return ops.reshape(x, ops.concat([batch, list(self.target_shape)], 0)
                           if -1 in self.target_shape else [-1, *self.target_shape])

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}


class _GlobalPooling2D(Layer):
    _reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        if data_format not in (None, "channels_last"):
            raise InvalidArgumentError(f"{type(self).__name__}: only data_format="
                                       f"'channels_last' is supported, got {data_format!r}")
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def call(self, inputs):
        x = images(self, inputs)
        return type(self)._reduce(x, [1, 2], keepdims=self.keepdims)


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean over height and width: [batch, h, w, c] -> [batch, c]."""

    _reduce = staticmethod(ops.reduce_mean)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The maximum over height and width: [batch, h, w, c] -> [batch, c]."""

    _reduce = staticmethod(ops.reduce_max)



class _GlobalPooling1D(_GlobalPooling2D):
    """The 1-D forms: [batch, steps, channels] -> [batch, channels] (Keras's default
    data_format, channels last)."""

    def call(self, inputs):
        x = _as_tensor(inputs, type(self).__name__)
        if len(x.aval.shape) != 3:
            raise ValueError(f"{type(self).__name__} {self.name!r}: inputs must be 3-D "
                             f"[batch, steps, channels], got shape {tuple(x.aval.shape)}")
        return type(self)._reduce(x, [1], keepdims=self.keepdims)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": "channels_last",
                "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean over the steps; with a `mask` ([batch, steps], 1 for real steps), the mean of
    the real steps only, as Keras 3."""

    _reduce = staticmethod(ops.reduce_mean)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        x = _as_tensor(inputs, "GlobalAveragePooling1D")
        weights = ops.expand_dims(ops.cast(mask, x.aval.dtype), -1)
        total = ops.reduce_sum(ops.multiply(x, weights), 1, keepdims=self.keepdims)
        return ops.divide(total, ops.reduce_sum(weights, 1, keepdims=self.keepdims))


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The maximum over the steps: [batch, steps, channels] -> [batch, channels]."""

    _reduce = staticmethod(ops.reduce_max)

def _inputs_list(inputs, layer) -> list:
    if not isinstance(inputs, list | tuple) or len(inputs) < 1:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: expects a list of inputs, "
                         f"got {type(inputs).__name__}")
    return [_as_tensor(x, type(layer).__name__) for x in inputs]


class Concatenate(Layer):
    """The inputs joined along `axis` (the last by default)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs):
        return ops.concat(_inputs_list(inputs, self), self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Add(Layer):
    """The elementwise sum of the inputs."""

    def call(self, inputs):
        xs = _inputs_list(inputs, self)
        total = xs[0]
        for x in xs[1:]:
            total = ops.add(total, x)
        return total
