"""`tf.Module` and the one Keras layer the seed notebooks use, `Dense`."""

from __future__ import annotations

import itertools
import re

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.tracer.creation import _state
from tapeflow.tracer.variable import Variable


class Module:
    """A container of variables: `variables` and `trainable_variables` are found recursively
    in attributes, lists, tuples and dicts (in TensorFlow's order, without duplicates)."""

    def __init__(self, name=None):
        self._name = name or _snake(type(self).__name__)

    @property
    def name(self) -> str:
        return self._name

    @property
    def variables(self) -> tuple[Variable, ...]:
        return tuple(self._flatten(lambda x: isinstance(x, Variable)))

    @property
    def trainable_variables(self) -> tuple[Variable, ...]:
        return tuple(self._flatten(lambda x: isinstance(x, Variable) and x.trainable))

    @property
    def submodules(self) -> tuple["Module", ...]:
        return tuple(self._flatten(lambda x: isinstance(x, Module)))

    def _flatten(self, keep) -> list:
        """Leaves of the attributes kept by `keep`, in TensorFlow's order: a module's own
        attributes first (by name; lists in order, dicts by key), then its submodules, each
        the same way. Every object appears once."""
        out, seen = [], {id(self)}
        pending = [self]
        while pending:
            module = pending.pop(0)
            submodules = []
            for value in module._attributes():
                for leaf in _leaves(value):
                    if id(leaf) in seen:
                        continue
                    seen.add(id(leaf))
                    if keep(leaf):
                        out.append(leaf)
                    if isinstance(leaf, Module):
                        submodules.append(leaf)
            # Depth first over submodules, as TF recurses into each before the next.
            pending[:0] = submodules
        return out

    def _attributes(self):
        # tf.Module lists variables by attribute name, so the order never depends on the
        # order of assignments in __init__.
        return [v for k, v in sorted(vars(self).items()) if k != "_name"]


def _leaves(value):
    """`value` flattened as tf.nest does: lists and tuples in order, dicts by sorted key."""
    stack = [value]
    while stack:
        obj = stack.pop()
        if isinstance(obj, dict):
            stack.extend(reversed([obj[k] for k in sorted(obj, key=str)]))
        elif isinstance(obj, list | tuple):
            stack.extend(reversed(obj))
        else:
            yield obj


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Keras names layers dense, dense_1, dense_2, ... per process.
_layer_counts: dict[str, itertools.count] = {}


def _unique_layer_name(base: str) -> str:
    n = next(_layer_counts.setdefault(base, itertools.count()))
    return base if n == 0 else f"{base}_{n}"


_ACTIVATIONS = {
    None: None,
    "linear": None,
    "relu": ops.relu,
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "softmax": ops.softmax,
    "softplus": ops.softplus,
}


class Dense(Module):
    """`tf.keras.layers.Dense`: y = activation(x @ kernel + bias), built on the first call
    with a Glorot-uniform kernel and a zero bias."""

    def __init__(self, units, activation=None, use_bias=True, name=None, dtype=None):
        if isinstance(activation, str) or activation is None:
            if activation not in _ACTIVATIONS:
                raise InvalidArgumentError(
                    f"Dense: unknown activation {activation!r}; known: "
                    f"{sorted(k for k in _ACTIVATIONS if k)}"
                )
            activation = _ACTIVATIONS[activation]
        elif not callable(activation):
            raise InvalidArgumentError(f"Dense: activation must be a name or callable, got "
                                       f"{activation!r}")
        if int(units) <= 0:
            raise InvalidArgumentError(f"Dense: units must be positive, got {units}")
        super().__init__(name or _unique_layer_name("dense"))
        self.units = int(units)
        self.activation = activation
        self.use_bias = use_bias
        self._dtype = dtype
        self.kernel = None
        self.bias = None

    def _attributes(self):
        # Keras layers list variables in creation order: kernel, then bias.
        return [self.kernel, self.bias]

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        limit = np.sqrt(6.0 / (fan_in + self.units))
        dtype = self._dtype or np.float32
        init = _state.generator.uniform(-limit, limit, size=(fan_in, self.units))
        self.kernel = Variable(np.asarray(init, dtype=dtype), name=f"{self.name}/kernel")
        if self.use_bias:
            self.bias = Variable(np.zeros(self.units, dtype=dtype), name=f"{self.name}/bias")

    def __call__(self, inputs):
        x = inputs if hasattr(inputs, "aval") else ops.core.promote("Dense", inputs)[0]
        shape = x.aval.shape if hasattr(x, "aval") else x.shape
        if len(shape) < 2:
            raise InvalidArgumentError(f"Dense: inputs need rank >= 2, got shape {shape}")
        if self.kernel is None:
            if self._dtype is None and hasattr(x, "aval"):
                self._dtype = x.aval.dtype
            self.build(shape)
        elif shape[-1] != self.kernel.shape[0]:
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
        return self.activation(y) if self.activation is not None else y
