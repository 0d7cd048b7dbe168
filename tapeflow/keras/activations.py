"""`tf.keras.activations`, by function or by name, on the tf.nn ops (Keras 3's set: each
function's formula is the one Keras 3's TensorFlow backend computes)."""

from __future__ import annotations

import numpy as np

from tapeflow import ops


def _x(x):
    return ops.core.promote("activation", x)[0]


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0) by default; Keras 3's options: values at or below `threshold` become 0
    (x > threshold is kept), `max_value` clips from above, and below the threshold
    `negative_slope * (x - threshold)` is added (a leaky ReLU)."""
    x = _x(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope)
    dtype = x.aval.dtype
    if threshold != 0.0:
        y = ops.where(ops.greater(x, np.asarray(threshold, dtype)), x, ops.zeros_like(x))
    else:
        y = ops.relu(x)
    if max_value is not None:
        y = ops.minimum(y, np.asarray(max_value, dtype))
    if negative_slope != 0.0:
        # relu(threshold - x) is how far below the threshold x lies (0 above it).
        below = ops.relu(ops.subtract(np.asarray(threshold, dtype), x))
        y = ops.subtract(y, ops.multiply(below, np.asarray(negative_slope, dtype)))
    return y


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


def relu6(x):
    """min(max(x, 0), 6)."""
    return ops.relu6(_x(x))


def celu(x, alpha=1.0):
    """max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1): a continuously differentiable ELU."""
    x = _x(x)
    dtype = x.aval.dtype
    negative = ops.expm1(ops.divide(ops.minimum(x, np.asarray(0.0, dtype)),
                                    np.asarray(alpha, dtype)))
    return ops.add(ops.maximum(x, np.asarray(0.0, dtype)),
                   ops.multiply(np.asarray(alpha, dtype), negative))


def glu(x, axis=-1):
    """a * sigmoid(b), a and b the two halves of x along `axis` (its size must be even)."""
    x = _x(x)
    shape = tuple(x.aval.shape)
    size = shape[axis]
    if size is not None and size % 2 != 0:
        raise ValueError(f"glu: the size of axis {axis} must be even, got x.shape={shape}")
    a, b = ops.split(x, 2, axis)
    return ops.multiply(a, ops.sigmoid(b))


def hard_sigmoid(x):
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, x / 6 + 0.5 between (Keras 3's slope, not
    Keras 2's 0.2)."""
    x = _x(x)
    dtype = x.aval.dtype
    return ops.divide(ops.relu6(ops.add(x, np.asarray(3.0, dtype))), np.asarray(6.0, dtype))


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish)."""
    x = _x(x)
    return ops.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    x = _x(x)
    dtype = x.aval.dtype
    return ops.clip_by_value(x, np.asarray(-1.0, dtype), np.asarray(1.0, dtype))


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, 0 elsewhere."""
    x = _x(x)
    keep = ops.greater(ops.abs(x), np.asarray(threshold, x.aval.dtype))
    return ops.where(keep, x, ops.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, 0 between."""
    x = _x(x)
    t = np.asarray(threshold, x.aval.dtype)
    inner = ops.where(ops.less(x, -t), ops.add(x, t), ops.zeros_like(x))
    return ops.where(ops.greater(x, t), ops.subtract(x, t), inner)


def tanh_shrink(x):
    """x - tanh(x)."""
    x = _x(x)
    return ops.subtract(x, ops.tanh(x))


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    return ops.log_sigmoid(_x(x))


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`."""
    return ops.log_softmax(_x(x), axis)


def mish(x):
    """x * tanh(softplus(x)) (Misra, 2019)."""
    x = _x(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def softsign(x):
    """x / (|x| + 1)."""
    return ops.softsign(_x(x))


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x from 1 on: a softplus made of pieces."""
    x = _x(x)
    dtype = x.aval.dtype
    one = np.asarray(1.0, dtype)
    shifted = ops.add(x, one)
    middle = ops.multiply(np.asarray(0.25, dtype), ops.multiply(shifted, shifted))
    upper = ops.where(ops.less(x, one), middle, x)
    return ops.where(ops.less_equal(x, -one), ops.zeros_like(x), upper)


def sparse_sigmoid(x):
    """0 for x <= -1, 1 for x >= 1, (x + 1) / 2 between."""
    x = _x(x)
    dtype = x.aval.dtype
    one = np.asarray(1.0, dtype)
    middle = ops.multiply(np.asarray(0.5, dtype), ops.add(x, one))
    upper = ops.where(ops.greater_equal(x, one), ops.ones_like(x), middle)
    return ops.where(ops.less_equal(x, -one), ops.zeros_like(x), upper)


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2: a smooth ReLU, b >= 0 setting how round its corner is."""
    x = _x(x)
    dtype = x.aval.dtype
    root = ops.sqrt(ops.add(ops.multiply(x, x), np.asarray(b, dtype)))
    return ops.divide(ops.add(x, root), np.asarray(2.0, dtype))


def threshold(x, threshold, default_value):
    """x where x > threshold, `default_value` elsewhere."""
    x = _x(x)
    dtype = x.aval.dtype
    return ops.where(ops.greater(x, np.asarray(threshold, dtype)), x,
                     np.asarray(default_value, dtype))


# Keras 3's table: each function under its own name, plus the two aliases.
_BY_NAME = {fn.__name__: fn for fn in (
    linear, relu, relu6, sigmoid, tanh, softplus, softmax, exponential, elu, selu, celu,
    leaky_relu, silu, gelu, glu, hard_sigmoid, hard_silu, hard_tanh, hard_shrink,
    soft_shrink, tanh_shrink, log_sigmoid, log_softmax, mish, softsign, sparse_plus,
    sparse_sigmoid, squareplus, threshold)}
_BY_NAME["swish"] = silu
_BY_NAME["hard_swish"] = hard_silu


def get(identifier):
    """An activation function from a name ('relu', 'mish', ...), a serialized form (a dict,
    as `serialize` of a custom object gives), a callable, or None (the identity)."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    """A built-in activation's name (its own name: serialize(hard_swish) is 'hard_silu', as
    Keras 3); a function of one's own by its __name__."""
    name = getattr(activation, "__name__", None)
    if name in _BY_NAME and _BY_NAME[name] is activation:
        return name
    if name is None:
        raise ValueError(f"activations.serialize: cannot serialize {activation!r}")
    return name


def deserialize(config, custom_objects=None):
    """The activation a name names, or a Keras config dict
    ({'class_name': 'function', 'config': 'relu', ...}); `custom_objects` maps names of one's
    own functions."""
    if isinstance(config, dict):
        name = config.get("config")
        if not isinstance(name, str):
            raise ValueError(f"activations.deserialize: cannot interpret {config!r}")
    elif isinstance(config, str):
        name = config
    else:
        raise ValueError(f"activations.deserialize: expected a name or a dict, got {config!r}")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    fn = _BY_NAME.get(name)
    if fn is None:
        raise ValueError(f"Unknown activation function {name!r}; known: "
                         f"{', '.join(sorted(_BY_NAME))}")
    return fn
