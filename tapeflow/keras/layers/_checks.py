"""Input checks the new layers share, worded as Keras 3's InputSpec words them (a ValueError
naming the layer, what it expected and the shape it got)."""

from __future__ import annotations

from tapeflow.keras.layers.core import _as_tensor
from tapeflow.ops.core import InvalidArgumentError


def ranked(layer, inputs, ndim: int, what: str = ""):
    """`inputs` as a tensor, after checking it has `ndim` axes (`what` names them)."""
    x = _as_tensor(inputs, type(layer).__name__)
    shape = tuple(x.aval.shape)
    if len(shape) != ndim:
        axes = f" {what}" if what else ""
        raise ValueError(f'Input 0 of layer "{layer.name}" ({type(layer).__name__}) is '
                         f"incompatible with the layer: expected ndim={ndim}{axes}, found "
                         f"ndim={len(shape)}. Full shape received: {shape}")
    return x


def images(layer, inputs):
    """`inputs` as a batch of images [batch, height, width, channels]; the first layers'
    check (Conv2D's words, an InvalidArgumentError), kept for the 2-D pooling layers."""
    x = _as_tensor(inputs, type(layer).__name__)
    if len(x.aval.shape) != 4:
        raise InvalidArgumentError(f"{type(layer).__name__} {layer.name!r}: inputs must be "
                                   f"4-D [batch, height, width, channels], got shape "
                                   f"{tuple(x.aval.shape)}")
    return x


def int_pair(value, what: str, layer: str) -> tuple[int, int]:
    """(before, after) from an int (both) or a pair of non-negative ints."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= 0 for v in pair):
        raise ValueError(f"{layer}: {what} must be a non-negative int or a pair of them, got "
                         f"{value!r}")
    return pair


def pair_of_pairs(value, what: str, layer: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) from an int, a pair of ints (symmetric per axis) or a
    pair of pairs, as Keras's Cropping2D and ZeroPadding2D take them."""
    if isinstance(value, int):
        return (value, value), (value, value)
    value_tuple = tuple(value)
    if len(value_tuple) != 2:
        raise ValueError(f"{layer}: {what} must be an int, a pair of ints or a pair of pairs, "
                         f"got {value!r}")
    return (int_pair(value_tuple[0], what, layer), int_pair(value_tuple[1], what, layer))
