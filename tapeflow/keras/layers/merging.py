"""Merge layers: Multiply, Subtract, Average, Maximum, Minimum (elementwise over a list of
inputs) and Dot (a per-example dot product along chosen axes). No weights.

As Keras 3, the elementwise ones accept shapes that broadcast (equal sizes, or 1) and refuse
others with a ValueError naming both shapes, before any arithmetic.
"""

from __future__ import annotations

from tapeflow import ops
from tapeflow.keras.layers.base import Layer
from tapeflow.keras.layers.core import _as_tensor


def _merge_inputs(layer, inputs, exactly: int | None = None) -> list:
    name = type(layer).__name__
    if not isinstance(inputs, list | tuple):
        raise ValueError(f"A `{name}` layer ({layer.name!r}) should be called on a list of "  # noqa: TRY004 - Keras raises ValueError
                         f"inputs, got {type(inputs).__name__}")
    if exactly is not None and len(inputs) != exactly:
        raise ValueError(f"A `{name}` layer ({layer.name!r}) should be called on exactly "
                         f"{exactly} inputs, got {len(inputs)}")
    if len(inputs) < 1:
        raise ValueError(f"A `{name}` layer ({layer.name!r}) should be called on a list of at "
                         f"least 1 input, got 0")
    xs = [_as_tensor(x, name) for x in inputs]
    shapes = [tuple(x.aval.shape) for x in xs]
    first = shapes[0]
    for other in shapes[1:]:
        # Keras compares the non-batch axes from the right: equal, or one of them 1.
        for a, b in zip(reversed(first[1:]), reversed(other[1:])):
            if a != b and 1 not in (a, b):
                raise ValueError(f"{name} {layer.name!r}: inputs have incompatible shapes. "
                                 f"Received shapes {first} and {other}")
    return xs


class _ElementwiseMerge(Layer):
    _exactly: int | None = None

    def _combine(self, a, b):
        raise NotImplementedError

    def call(self, inputs):
        xs = _merge_inputs(self, inputs, self._exactly)
        total = xs[0]
        for x in xs[1:]:
            total = self._combine(total, x)
        return total


class Multiply(_ElementwiseMerge):
    """The elementwise product of the inputs."""

    def _combine(self, a, b):
        return ops.multiply(a, b)


class Subtract(_ElementwiseMerge):
    """inputs[0] - inputs[1] (exactly two inputs)."""

    _exactly = 2

    def _combine(self, a, b):
        return ops.subtract(a, b)


class Maximum(_ElementwiseMerge):
    """The elementwise maximum of the inputs."""

    def _combine(self, a, b):
        return ops.maximum(a, b)


class Minimum(_ElementwiseMerge):
    """The elementwise minimum of the inputs."""

    def _combine(self, a, b):
        return ops.minimum(a, b)


class Average(_ElementwiseMerge):
    """The elementwise mean of the inputs."""

    def call(self, inputs):
        xs = _merge_inputs(self, inputs)
        total = xs[0]
        for x in xs[1:]:
            total = ops.add(total, x)
        return ops.divide(total, ops.cast(len(xs), total.aval.dtype))


class Dot(Layer):
    """The dot product of two inputs along `axes` (an int for both, or a pair), per example:
    Keras's batch_dot. [b, n] . [b, n] -> [b, 1]; [b, m, n] . [b, n, k] with axes (2, 1) ->
    [b, m, k]. With `normalize`, each input is L2-normalised along its axis first, so the
    result is the cosine similarity."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int) and (
                len(axes) != 2 or not all(isinstance(a, int) for a in axes)):
            raise ValueError(f"Dot: axes must be an int or a list of 2 ints, got {axes!r}")
        self.axes = axes  # as given (an int, a list or a tuple), as Keras's config shows it
        self.normalize = bool(normalize)

    def call(self, inputs):
        x, y = _dot_inputs(self, inputs)
        rx, ry = len(x.aval.shape), len(y.aval.shape)
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        ax, ay = pair[0] % rx, pair[1] % ry
        if ax == 0 or ay == 0:
            raise ValueError(f"Dot {self.name!r}: cannot contract the batch axis 0 (axes "
                             f"{self.axes}, shapes {tuple(x.aval.shape)} and "
                             f"{tuple(y.aval.shape)})")
        if x.aval.shape[ax] != y.aval.shape[ay]:
            raise ValueError(f"Dot {self.name!r}: dimension incompatibility: "
                             f"{x.aval.shape[ax]} != {y.aval.shape[ay]}. Layer shapes: "
                             f"{tuple(x.aval.shape)}, {tuple(y.aval.shape)}. Chosen axes: "
                             f"{[ax, ay]}")
        if self.normalize:
            x, y = ops.l2_normalize(x, ax), ops.l2_normalize(y, ay)
        return _batch_dot(x, y, ax, ay)

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _dot_inputs(layer, inputs):
    if not isinstance(inputs, list | tuple) or len(inputs) != 2:
        count = len(inputs) if isinstance(inputs, list | tuple) else type(inputs).__name__
        raise ValueError(f"A `Dot` layer ({layer.name!r}) should be called on a list of 2 "
                         f"inputs, got {count}")
    x, y = (_as_tensor(v, "Dot") for v in inputs)
    for v in (x, y):
        if len(v.aval.shape) < 2:
            raise ValueError(f"Dot {layer.name!r}: inputs need a batch axis and at least one "
                             f"more, got shapes {tuple(x.aval.shape)} and "
                             f"{tuple(y.aval.shape)}")
    return x, y


def _batch_dot(x, y, ax: int, ay: int):
    """out[b, xs..., ys...] = sum_k x[b, ..., k, ...] y[b, ..., k, ...]: x's axis moved last
    and y's to just after the batch, both flattened to 3-D for one batched matmul, then the
    free axes unflattened. A result with no free axes gets one of size 1, as Keras's."""
    xs = [d for i, d in enumerate(x.aval.shape) if i not in (0, ax)]
    ys = [d for i, d in enumerate(y.aval.shape) if i not in (0, ay)]
    k = x.aval.shape[ax]
    x_last = ops.transpose(x, [0] + [i for i in range(1, len(x.aval.shape)) if i != ax] + [ax])
    y_first = ops.transpose(y, [0, ay] + [i for i in range(1, len(y.aval.shape)) if i != ay])
    px, py = 1, 1
    for d in xs:
        px *= d
    for d in ys:
        py *= d
    product = ops.matmul(ops.reshape(x_last, [-1, px, k]), ops.reshape(y_first, [-1, k, py]))
    return ops.reshape(product, [-1, *xs, *ys] if xs or ys else [-1, 1])
