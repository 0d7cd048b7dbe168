"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax and Identity.

Each computes what Keras 3's layer of the same name does (the formulas live in
tapeflow/keras/activations.py); PReLU is the only one with a weight, its learned slope
`alpha` for negative inputs.
"""

from __future__ import annotations

import numpy as np

from tapeflow import nest, ops
from tapeflow.keras import activations, initializers
from tapeflow.keras.layers.base import Layer
from tapeflow.keras.layers.core import _as_tensor


def _non_negative(value, what: str, layer: str) -> float:
    if value is None or float(value) < 0:
        raise ValueError(f"{layer}: {what} must be a non-negative float, got {value!r}")
    return float(value)


class ReLU(Layer):
    """max(x, 0), with Keras 3's options: `max_value` clips from above, values at or below
    `threshold` become 0 (plus `negative_slope * (x - threshold)`: a leaky ReLU)."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = (None if max_value is None
                          else _non_negative(max_value, "max_value", "ReLU"))
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "ReLU")
        self.threshold = _non_negative(threshold, "threshold", "ReLU")

    def call(self, inputs):
        return activations.relu(_as_tensor(inputs, "ReLU"), negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self) -> dict:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(Layer):
    """x for x > 0, negative_slope * x otherwise (Keras 3's default slope is 0.3; Keras 2's
    `alpha` is still accepted for it)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "LeakyReLU")

    def call(self, inputs):
        return activations.leaky_relu(_as_tensor(inputs, "LeakyReLU"), self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """x for x > 0, alpha * x otherwise, with `alpha` a weight of the input's shape (less the
    batch axis); the axes in `shared_axes` (1-based, as in Keras) share one alpha."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer, self.alpha_constraint = alpha_regularizer, alpha_constraint
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, int):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)
        self.alpha = None

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis <= len(shape):
                raise ValueError(f"PReLU {self.name!r}: shared_axes entry {axis} is not an axis "
                                 f"of the input (1 to {len(shape)}); input shape "
                                 f"{tuple(input_shape)}")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU {self.name!r}: every non-batch axis must be known or "
                             f"shared, got input shape {tuple(input_shape)} and shared_axes "
                             f"{self.shared_axes}")
        self.alpha = self.add_weight("alpha", shape, initializer=self.alpha_initializer)

    def call(self, inputs):
        x = _as_tensor(inputs, "PReLU")
        # relu(x) - alpha * relu(-x): Keras 3's form, so alpha's gradient is -relu(-x).
        return ops.subtract(ops.relu(x), ops.multiply(self.alpha, ops.relu(ops.negative(x))))

    def get_config(self) -> dict:
        init = initializers.get(self.alpha_initializer)
        return {**super().get_config(),
                "alpha_initializer": (initializers.serialize(init)
                                      if isinstance(init, initializers.Initializer) else init),
                "alpha_regularizer": self.alpha_regularizer,
                "alpha_constraint": self.alpha_constraint, "shared_axes": self.shared_axes}


class ELU(Layer):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(_as_tensor(inputs, "ELU"), self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """softmax over `axis` (an int, or a list of axes normalised together). With a `mask`
    (1 keep, 0 drop), dropped entries get a large negative number before the softmax and 0
    after it, as in Keras 3."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, list | tuple) else int(axis)

    def call(self, inputs, mask=None):
        x = _as_tensor(inputs, "Softmax")
        dtype = x.aval.dtype
        if mask is not None:
            large_negative = -3e4 if dtype == np.float16 else -1e9
            keep = ops.cast(mask, dtype)
            x = ops.add(x, ops.multiply(ops.subtract(np.asarray(1, dtype), keep),
                                        np.asarray(large_negative, dtype)))
        if isinstance(self.axis, list) and len(self.axis) > 1:
            y = ops.exp(ops.subtract(x, ops.reduce_logsumexp(x, self.axis, keepdims=True)))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            y = ops.softmax(x, axis)
        if mask is not None:
            y = ops.multiply(y, ops.cast(mask, dtype))
        return y

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Identity(Layer):
    """Its input, unchanged (a placeholder in a model's layer list)."""

    def call(self, inputs):
        # As Keras, arrays come back as tensors (the layer's call converts its inputs).
        return nest.map_structure(lambda x: _as_tensor(x, "Identity"), inputs)
