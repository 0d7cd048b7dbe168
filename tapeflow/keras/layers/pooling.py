"""Windowed pooling layers: MaxPooling2D and AveragePooling2D (tf.nn.max_pool2d and
avg_pool2d over each example; no weights), and MaxPooling1D and AveragePooling1D
(tf.nn.max_pool1d and avg_pool1d)."""

from __future__ import annotations

from tapeflow.keras.layers._checks import images, ranked
from tapeflow.keras.layers.base import Layer
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d


def _pair(value, what: str, layer: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
        raise ValueError(f"{layer}: {what} must be a positive int or a pair of them, "
                         f"got {value!r}")
    return pair


class _Pooling2D(Layer):
    _pool = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        name = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise InvalidArgumentError(f"{name}: only data_format='channels_last' is "
                                       f"supported, got {data_format!r}")
        if str(padding).lower() not in ("valid", "same"):
            raise ValueError(f"{name}: padding must be 'valid' or 'same', got {padding!r}")
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, "pool_size", name)
        # As Keras: strides default to the pool size (windows side by side).
        self.strides = self.pool_size if strides is None else _pair(strides, "strides", name)
        self.padding = str(padding).lower()

    def call(self, inputs):
        x = images(self, inputs)
        return type(self)._pool(x, self.pool_size, self.strides, self.padding.upper())

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """The maximum of each pool_size window, moved by strides."""

    _pool = staticmethod(max_pool2d)


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window (with padding="same", of its real inputs)."""

    _pool = staticmethod(avg_pool2d)


# ---- 1-D pooling over [batch, steps, channels] ---------------------------------------------


def _single(value, what: str, layer: str) -> tuple[int]:
    single = (value,) if isinstance(value, int) else tuple(value)
    if len(single) != 1 or not isinstance(single[0], int) or single[0] < 1:
        raise ValueError(f"{layer}: {what} must be a positive int, got {value!r}")
    return single


class _Pooling1D(Layer):
    _pool = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        name = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{name}: only data_format='channels_last' is supported, got "
                             f"{data_format!r}")
        if str(padding).lower() not in ("valid", "same"):
            raise ValueError(f"{name}: padding must be 'valid' or 'same', got {padding!r}")
        super().__init__(**kwargs)
        self.pool_size = _single(pool_size, "pool_size", name)
        self.strides = self.pool_size if strides is None else _single(strides, "strides", name)
        self.padding = str(padding).lower()
        self.data_format = "channels_last"

    def call(self, inputs):
        x = ranked(self, inputs, 3, "[batch, steps, channels]")
        return type(self)._pool(x, self.pool_size, self.strides, self.padding.upper())

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(_Pooling1D):
    """The maximum of each window of `pool_size` steps, moved by `strides`."""

    _pool = staticmethod(max_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling1D):
    """The mean of each window of `pool_size` steps (Keras 3 requires pool_size here)."""

    _pool = staticmethod(avg_pool1d)
