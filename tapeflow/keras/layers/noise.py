"""Regularisation layers that add noise in training and are the identity at inference:
GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D and SpatialDropout2D.

Each draw is a `tf.random` op (like Dropout's), so a compiled training step draws afresh
on every call and `tf.random.set_seed` makes the draws reproducible; with a `seed` the layer
draws from its own generator, whose state is a Variable that a compiled step advances.
"""

from __future__ import annotations

import math

import numpy as np

from tapeflow import ops
from tapeflow.keras.layers._checks import ranked
from tapeflow.keras.layers.base import Layer
from tapeflow.keras.layers.core import Dropout, _as_tensor, _tf


def _rate(rate, layer: str) -> float:
    if not isinstance(rate, int | float) or not 0 <= rate < 1:
        raise ValueError(f"{layer}: rate must be a float in [0, 1), got {rate!r}")
    return float(rate)


class _Noise(Layer):
    """A seed's own generator, or the global random state, to draw from."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        generator = getattr(_tf().random, "Generator", None)
        self._generator = (generator.from_seed(seed)
                           if seed is not None and generator is not None else None)

    def _random(self, kind: str):
        return getattr(self._generator if self._generator is not None else _tf().random, kind)


class GaussianNoise(_Noise):
    """In training, x + noise drawn from N(0, stddev^2)."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(stddev, int | float) or stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be a non-negative float, got "
                             f"{stddev!r}")
        self.stddev = float(stddev)

    def call(self, inputs, training=False):
        x = _as_tensor(inputs, "GaussianNoise")
        if not training or self.stddev == 0:
            return x
        noise = self._random("normal")(tuple(x.aval.shape), mean=0.0, stddev=self.stddev,
                                       dtype=x.aval.dtype)
        return ops.add(x, noise)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """In training, x times noise drawn from N(1, rate / (1 - rate)): multiplicative noise
    with the variance of Dropout(rate)'s."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate(rate, "GaussianDropout")

    def call(self, inputs, training=False):
        x = _as_tensor(inputs, "GaussianDropout")
        if not training or self.rate == 0:
            return x
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = self._random("normal")(tuple(x.aval.shape), mean=1.0, stddev=stddev,
                                       dtype=x.aval.dtype)
        return ops.multiply(x, noise)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# SELU's constants: AlphaDropout sets dropped values to SELU's negative saturation value.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(_Noise):
    """Dropout for SELU networks: in training, each value is set to -alpha * scale with
    probability `rate`, then all are moved by an affine map a * x + b that keeps the mean and
    variance (Klambauer et al., as Keras 3 computes it)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate(rate, "AlphaDropout")
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs, training=False):
        x = _as_tensor(inputs, "AlphaDropout")
        if not training or self.rate == 0:
            return x
        dtype = x.aval.dtype
        shape = tuple(x.aval.shape)
        if self.noise_shape is not None:
            shape = tuple(s if n is None else int(n) for s, n in zip(shape, self.noise_shape))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = ops.cast(ops.greater_equal(self._random("uniform")(shape, dtype=dtype),
                                          np.asarray(self.rate, dtype)), dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        dropped = ops.add(ops.multiply(x, kept),
                          ops.multiply(ops.subtract(np.asarray(1, dtype), kept),
                                       np.asarray(alpha_p, dtype)))
        return ops.add(ops.multiply(dropped, np.asarray(a, dtype)), np.asarray(b, dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per example and channel, shared along the
    spatial axes (noise_shape [batch, 1, ..., 1, channels])."""

    _ndim = 0
    _axes = ""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(_rate(rate, type(self).__name__), seed=seed, **kwargs)

    def call(self, inputs, training=None):
        x = ranked(self, inputs, self._ndim, self._axes)
        shape = x.aval.shape
        self.noise_shape = (shape[0], *([1] * (self._ndim - 2)), shape[-1])
        return super().call(x, training=training)

    def get_config(self) -> dict:
        # Keras 3's SpatialDropout config has no `trainable` entry.
        return {"rate": self.rate, "seed": self.seed, "name": self.name}


class SpatialDropout1D(_SpatialDropout):
    """[batch, steps, channels]: each channel of an example kept or dropped as a whole."""

    _ndim = 3
    _axes = "[batch, steps, channels]"


class SpatialDropout2D(_SpatialDropout):
    """[batch, height, width, channels]: each channel of an example kept or dropped whole."""

    _ndim = 4
    _axes = "[batch, height, width, channels]"

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"SpatialDropout2D: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = "channels_last"

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
