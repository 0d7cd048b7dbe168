"""`tf.keras.activations`, by function or by name. Each is built from primitives (so its
gradient comes from theirs), and the branches that `where` discards are kept finite: a
`where` passes a zero cotangent to the branch it drops, and 0 * inf would be nan."""

from __future__ import annotations

import math

from tapeflow import ops


def _x(x):
    return ops.core.promote("activation", x)[0]


def linear(x):
    return x


def relu(x):
    return ops.relu(x)


def sigmoid(x):
    return ops.sigmoid(x)


def tanh(x):
    return ops.tanh(x)


def softplus(x):
    return ops.softplus(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis)


def exponential(x):
    return ops.exp(x)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    x = _x(x)
    negative = ops.multiply(alpha, ops.subtract(ops.exp(ops.minimum(x, 0.0)), 1.0))
    return ops.where(ops.greater(x, 0.0), x, negative)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return ops.multiply(_SELU_SCALE, elu(x, _SELU_ALPHA))


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise."""
    x = _x(x)
    return ops.where(ops.greater(x, 0.0), x, ops.multiply(x, negative_slope))


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    x = _x(x)
    return ops.multiply(x, ops.sigmoid(x))


swish = silu


def _erf(x):
    # Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, float32's resolution):
    # erf(|x|) = 1 - (a1 t + ... + a5 t^5) exp(-x^2), t = 1 / (1 + p |x|); odd in x.
    a = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
    s = ops.abs(x)
    t = ops.divide(1.0, ops.add(1.0, ops.multiply(0.3275911, s)))
    poly = a[4]
    for coefficient in reversed(a[:4]):
        poly = ops.add(ops.multiply(poly, t), coefficient)
    poly = ops.multiply(poly, t)
    y = ops.subtract(1.0, ops.multiply(poly, ops.exp(ops.negative(ops.multiply(s, s)))))
    return ops.multiply(ops.sign(x), y)


def gelu(x, approximate=False):
    """x * Phi(x), Phi the standard normal CDF; with `approximate` the tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = _x(x)
    if approximate:
        inner = ops.multiply(math.sqrt(2.0 / math.pi),
                             ops.add(x, ops.multiply(0.044715, ops.multiply(x, ops.multiply(x, x)))))
        return ops.multiply(ops.multiply(0.5, x), ops.add(1.0, ops.tanh(inner)))
    return ops.multiply(ops.multiply(0.5, x), ops.add(1.0, _erf(ops.multiply(x, 1 / math.sqrt(2)))))


_BY_NAME = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softplus": softplus,
    "softmax": softmax, "exponential": exponential, "elu": elu, "selu": selu,
    "leaky_relu": leaky_relu, "silu": silu, "swish": swish, "gelu": gelu,
}


def get(identifier):
    """An activation function from a name ('relu', 'gelu', ...), a callable, or None
    (the identity)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
        if fn is None:
            raise ValueError(f"unknown activation {identifier!r}; known: "
                             f"{', '.join(sorted(_BY_NAME))}")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"activation must be a name or a callable, got {identifier!r}")


def serialize(fn) -> str:
    for name, f in _BY_NAME.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", repr(fn))

