"""Core layers: Dense, Flatten, Dropout, Activation, Lambda, Embedding, and the InputLayer that
stands for a model's input in `summary()`."""

from __future__ import annotations

import math

import numpy as np

from tapeflow import ops
from tapeflow.keras import activations
from tapeflow.keras.layers.base import Layer
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.tracer.tensor import convert_to_tensor


def _tf():
    import tapeflow

    return tapeflow


def _as_tensor(x, op: str):
    """A tensor of `x` (numpy arrays and Python values are converted, as Keras does)."""
    return x if hasattr(x, "aval") else convert_to_tensor(x)


class InputLayer(Layer):
    """The input of a functional or Sequential model (no weights; the identity)."""

    def __init__(self, shape=None, dtype=np.float32, name=None, batch_size=None):
        super().__init__(name=name, dtype=dtype)
        self._output_shape = (batch_size, *(shape or ()))
        self.built = True

    def call(self, inputs):
        return inputs


class Dense(Layer):
    """y = activation(x @ kernel + bias); the kernel contracts the last axis of `x`."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        try:
            activation = activations.get(activation)
        except ValueError as e:
            raise InvalidArgumentError(f"Dense: {e}") from None
        if int(units) <= 0:
            raise InvalidArgumentError(f"Dense: units must be positive, got {units}")
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise InvalidArgumentError(f"Dense {self.name!r}: inputs need rank >= 2, got shape "
                                       f"{tuple(input_shape)}")
        if input_shape[-1] is None:
            raise InvalidArgumentError(f"Dense {self.name!r}: the last axis of the input must be "
                                       f"known, got shape {tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", (int(input_shape[-1]), self.units),
                                      initializer=self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), initializer=self.bias_initializer)

    def call(self, inputs):
        x = _as_tensor(inputs, "Dense")
        shape = x.aval.shape
        if len(shape) < 2:
            raise InvalidArgumentError(f"Dense {self.name!r}: inputs need rank >= 2, got shape "
                                       f"{tuple(shape)}")
        if shape[-1] != self.kernel.shape[0]:
            raise InvalidArgumentError(
                f"Dense {self.name!r}: input has {shape[-1]} features, the layer was built "
                f"for {self.kernel.shape[0]}"
            )
        if len(shape) == 2:
            y = ops.matmul(x, self.kernel)
        else:  # as Keras: contract the last axis, keep the leading ones
            y = ops.tensordot(x, self.kernel, 1)
        if self.use_bias:
            y = ops.add(y, self.bias)
        return self.activation(y)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias}


class Flatten(Layer):
    """Each example's values in one axis: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    def call(self, inputs):
        x = _as_tensor(inputs, "Flatten")
        shape = x.aval.shape
        if len(shape) == 0:
            raise InvalidArgumentError(f"Flatten {self.name!r}: inputs need a batch axis")
        if len(shape) == 1:
            return ops.expand_dims(x, 1)
        return ops.reshape(x, [-1, math.prod(shape[1:])])


class Activation(Layer):
    """An activation function (a name or a callable) as a layer."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(_as_tensor(inputs, "Activation"))


class Lambda(Layer):
    """Any function of the inputs as a layer (no weights): `Lambda(lambda x: x ** 2)`."""

    def __init__(self, function, **kwargs):
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__}")
        super().__init__(**kwargs)
        self.function = function

    def call(self, inputs):
        return self.function(inputs)


class Dropout(Layer):
    """In training, zero each value with probability `rate` and scale the rest by
    1 / (1 - rate), with a new mask on every call (drawn by `tf.random`, so reproducible under
    `tf.random.set_seed`); at inference, the identity."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        if not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        generator = getattr(_tf().random, "Generator", None)
        # With a seed the layer draws from its own generator (its state a Variable, so a
        # compiled step advances it); without one, from the global random state.
        self._generator = (generator.from_seed(seed)
                           if seed is not None and generator is not None else None)

    def call(self, inputs, training=None):
        x = _as_tensor(inputs, "Dropout")
        if not training or self.rate == 0:
            return x
        # The mask and scaling are tf.nn.dropout's (one place); only the draw differs.
        from tapeflow.tracer.random_more import apply_dropout

        draw = (self._generator.uniform if self._generator is not None
                else _tf().random.uniform)
        return apply_dropout(x, self.rate, self.noise_shape,
                             lambda shape, dtype: draw(shape, dtype=dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Embedding(Layer):
    """Rows of an (input_dim, output_dim) table, looked up by integer index."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", **kwargs):
        kwargs.pop("input_length", None)  # Keras 2's argument; the shape comes from the input
        super().__init__(**kwargs)
        if int(input_dim) <= 0 or int(output_dim) <= 0:
            raise ValueError(f"Embedding: input_dim and output_dim must be positive, got "
                             f"{input_dim} and {output_dim}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = ("random_uniform" if embeddings_initializer == "uniform"
                                       else embeddings_initializer)

    def build(self, input_shape):
        dtype = self._dtype if self._dtype is not None else np.float32
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          dtype=dtype, initializer=self.embeddings_initializer)

    def _build_from(self, inputs):
        # The input holds indices: the table's dtype does not follow it.
        self.build(tuple(inputs.aval.shape) if hasattr(inputs, "aval") else np.shape(inputs))
        self.built = True

    def call(self, inputs):
        ids = inputs if hasattr(inputs, "aval") else np.asarray(inputs)
        dtype = ids.aval.dtype if hasattr(ids, "aval") else ids.dtype
        if dtype.kind not in "iu":
            ids = ops.cast(ids, np.int32)
        return ops.gather(self.embeddings, ids)
