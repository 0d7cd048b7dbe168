"""`tf.keras.activations`, by function or by name, on the tf.nn ops."""

from __future__ import annotations

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
    y = ops.elu(_x(x))
    if alpha == 1.0:
        return y
    return ops.where(ops.greater(y, 0.0), y, ops.multiply(y, alpha))


def selu(x):
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return ops.selu(_x(x))


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise."""
    return ops.leaky_relu(_x(x), negative_slope)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return ops.silu(_x(x))


swish = silu


def gelu(x, approximate=False):
    """x * Phi(x), Phi the standard normal CDF; with `approximate` the tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return ops.gelu(_x(x), approximate=approximate)


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

