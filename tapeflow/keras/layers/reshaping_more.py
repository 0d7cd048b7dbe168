"""Layers that rearrange each example without weights: Permute, RepeatVector, Cropping1D/2D,
ZeroPadding1D/2D and UpSampling1D/2D (channels last, as Keras's default data_format)."""

from __future__ import annotations

from tapeflow import ops
from tapeflow.keras.layers._checks import int_pair, pair_of_pairs, ranked
from tapeflow.keras.layers.base import Layer
from tapeflow.ops.core import InvalidArgumentError


def _channels_last(data_format, layer: str) -> str:
    if data_format not in (None, "channels_last"):
        raise InvalidArgumentError(f"{layer}: only data_format='channels_last' is supported, "
                                   f"got {data_format!r}")
    return "channels_last"


class Permute(Layer):
    """Each example's axes reordered: `dims` is a permutation of 1..rank-1 (the batch axis,
    0, stays first), e.g. Permute((2, 1)) swaps the two axes of a [batch, a, b] input."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)} (the "
                             f"batch axis 0 is not permuted), got dims={tuple(dims)}")

    def call(self, inputs):
        x = ranked(self, inputs, len(self.dims) + 1, f"(dims={self.dims})")
        return ops.transpose(x, (0, *self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """[batch, features] -> [batch, n, features]: each example repeated n times."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int):
            raise TypeError(f"RepeatVector: n must be an int, got {type(n).__name__} {n!r}")
        self.n = n

    def call(self, inputs):
        x = ranked(self, inputs, 2, "[batch, features]")
        return ops.tile(ops.expand_dims(x, 1), [1, self.n, 1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


def _crop(layer, x, axis: int, before: int, after: int):
    size = x.aval.shape[axis]
    if before + after >= size:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: cropping {before} + {after} "
                         f"must be smaller than the input's size {size} along axis {axis} "
                         f"(input shape {tuple(x.aval.shape)})")
    index = [slice(None)] * len(x.aval.shape)
    index[axis] = slice(before, size - after)
    return x[tuple(index)]


class Cropping1D(Layer):
    """[batch, steps, channels]: `cropping` = (start, end) steps removed (an int: both)."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = int_pair(cropping, "cropping", "Cropping1D")

    def call(self, inputs):
        x = ranked(self, inputs, 3, "[batch, steps, channels]")
        return _crop(self, x, 1, *self.cropping)

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Layer):
    """[batch, height, width, channels]: cropping ((top, bottom), (left, right))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = pair_of_pairs(cropping, "cropping", "Cropping2D")
        self.data_format = _channels_last(data_format, "Cropping2D")

    def call(self, inputs):
        x = ranked(self, inputs, 4, "[batch, height, width, channels]")
        return _crop(self, _crop(self, x, 1, *self.cropping[0]), 2, *self.cropping[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}


class ZeroPadding1D(Layer):
    """[batch, steps, channels]: `padding` = (start, end) zero steps added (an int: both)."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = int_pair(padding, "padding", "ZeroPadding1D")
        self.data_format = _channels_last(data_format, "ZeroPadding1D")

    def call(self, inputs):
        x = ranked(self, inputs, 3, "[batch, steps, channels]")
        return ops.pad(x, [[0, 0], list(self.padding), [0, 0]])

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding,
                "data_format": self.data_format}


class ZeroPadding2D(Layer):
    """[batch, height, width, channels]: padding ((top, bottom), (left, right)) of zeros."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = pair_of_pairs(padding, "padding", "ZeroPadding2D")
        self.data_format = _channels_last(data_format, "ZeroPadding2D")

    def call(self, inputs):
        x = ranked(self, inputs, 4, "[batch, height, width, channels]")
        return ops.pad(x, [[0, 0], list(self.padding[0]), list(self.padding[1]), [0, 0]])

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding,
                "data_format": self.data_format}


def _repeat(x, times: int, axis: int):
    """Each entry along `axis` repeated `times` times in place (a, b -> a, a, b, b): a new
    axis after `axis` tiled, then merged into it."""
    if times == 1:
        return x
    shape = list(x.aval.shape)
    tiled = ops.tile(ops.expand_dims(x, axis + 1),
                     [1] * (axis + 1) + [times] + [1] * (len(shape) - axis - 1))
    merged = [-1 if i == 0 else d for i, d in enumerate(shape)]  # batch as -1: any size
    merged[axis] = shape[axis] * times
    return ops.reshape(tiled, merged)


class UpSampling1D(Layer):
    """[batch, steps, channels]: each step repeated `size` times."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"UpSampling1D: size must be a positive int, got {size!r}")
        self.size = size

    def call(self, inputs):
        x = ranked(self, inputs, 3, "[batch, steps, channels]")
        return _repeat(x, self.size, 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """[batch, height, width, channels] -> [batch, height * size[0], width * size[1],
    channels]: rows and columns repeated ("nearest"), or resized by tf.image.resize
    ("bilinear", half-pixel centres, as Keras 3 on TensorFlow)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or not all(isinstance(v, int) and v >= 1 for v in size):
            raise ValueError(f"UpSampling2D: size must be a positive int or a pair of them, "
                             f"got {size!r}")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear' in "
                             f"tapeflow, got {interpolation!r}")
        self.size = size
        self.data_format = _channels_last(data_format, "UpSampling2D")
        self.interpolation = interpolation

    def call(self, inputs):
        x = ranked(self, inputs, 4, "[batch, height, width, channels]")
        if self.interpolation == "nearest":
            return _repeat(_repeat(x, self.size[0], 1), self.size[1], 2)
        from tapeflow.ops.image_resize import resize

        _, h, w, _ = x.aval.shape
        return resize(x, (h * self.size[0], w * self.size[1]), method="bilinear")

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


__all__ = ["Cropping1D", "Cropping2D", "Permute", "RepeatVector", "UpSampling1D",
           "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D"]
