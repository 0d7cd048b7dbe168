"""`tf.keras.layers.Layer`: the class to subclass (`build`, `call`, `add_weight`), and the
symbolic `KerasTensor` that `tf.keras.Input` returns for the functional API.

A layer is a `tf.Module`: its variables are found in its weights and attributes. It is built
on its first call from the input's shape; `training` is passed down to the layers it calls,
as Keras does, so `model(x, training=True)` reaches every Dropout and BatchNormalization.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import re

import numpy as np

from tapeflow import nest
from tapeflow.api import autograph_calls
from tapeflow.keras import initializers
from tapeflow.keras.variable import KerasVariable
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.tracer.module import Module, _unique_layer_name
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.variable import Variable

# Creation order of layer calls on KerasTensors (a functional model lists layers by it).
_node_ids = itertools.count()

# The `training` value of the calls in progress (innermost last): a layer called without
# `training` inside another layer's call inherits the outer one.
_training_stack: list = []


class Node:
    """One call of a layer on KerasTensors: what it consumed and what it produced."""

    def __init__(self, layer, inputs, args, kwargs):
        self.layer, self.inputs, self.args, self.kwargs = layer, inputs, args, kwargs
        self.outputs = None  # the KerasTensors it returned, in the call's output structure
        self.id = next(_node_ids)

    def consumed(self) -> list:
        return [k for k in nest.flatten((self.inputs, self.args, self.kwargs))
                if isinstance(k, KerasTensor)]


class KerasTensor:
    """A symbolic tensor of the functional API: a shape (None for the batch or any unknown
    size), a dtype, and the layer call that produces it (None for an Input)."""

    def __init__(self, shape, dtype=np.float32, name=None, node=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.node = node  # the Node (layer call) that produced it, or None for an Input

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape} dtype={self.dtype.name} name={self.name!r}>"

    def _unsupported(self, *args, **kwargs):
        raise TypeError(
            "a KerasTensor (from tf.keras.Input) stands for the values a model will get: "
            "only layers can be applied to it; wrap other ops in a Layer subclass or a "
            "Lambda-style layer"
        )

    __add__ = __radd__ = __mul__ = __rmul__ = __sub__ = __rsub__ = __matmul__ = _unsupported
    __truediv__ = __getitem__ = __neg__ = _unsupported

    def _example(self) -> np.ndarray:
        """Zeros of this shape (1 for every unknown size), to build layers with."""
        return np.zeros([1 if d is None else d for d in self.shape], self.dtype)


def _is_symbolic(value) -> bool:
    return any(isinstance(leaf, KerasTensor) for leaf in nest.flatten(value))


def _shape_of(value):
    if isinstance(value, KerasTensor):
        return value.shape
    if hasattr(value, "aval"):
        return tuple(value.aval.shape)
    return np.shape(value)


def _dtype_of(value):
    if isinstance(value, KerasTensor):
        return value.dtype
    if hasattr(value, "aval"):
        return value.aval.dtype
    return np.asarray(value).dtype


def _plain_variables(value) -> bool:
    """A tf.Variable not made by a layer's add_weight, or a non-empty container of such."""
    if isinstance(value, list | tuple | dict):
        leaves = nest.flatten(value)
        return bool(leaves) and all(_plain_variables(v) for v in leaves)
    return isinstance(value, Variable) and not isinstance(value, KerasVariable)


def _argument_text(value) -> str:
    if isinstance(value, Tensor):
        return f"tf.Tensor(shape={tuple(value.shape)}, dtype={value.dtype.name})"
    if isinstance(value, list | tuple):
        items = [_argument_text(v) if isinstance(v, Tensor) else v for v in value]
        return repr(type(value)(items))
    return repr(value)


def _with_call_arguments(error: Exception, layer, inputs, args, kwargs,
                         passed_training: bool) -> Exception:
    """The error a layer's `call` raised, with Keras 3's account of the call around its
    message: which layer's call failed and the arguments it received (tensors by shape and
    dtype). The innermost layer's call says it; outer layers pass the error on as it is."""
    if getattr(error, "_keras_call_arguments", False):
        return error
    name = type(layer).__name__
    try:
        bound = inspect.signature(layer.call).bind(inputs, *args, **kwargs).arguments
    except TypeError:
        bound = {"inputs": inputs}
    received = "\n".join(
        f"  \u2022 {key}={_argument_text(value)}" for key, value in bound.items()
        if key != "training" or passed_training)
    message = (f"Exception encountered when calling {name}.call().\n\n"
               f"\x1b[1m{error}\x1b[0m\n\nArguments received by {name}.call():\n{received}")
    try:
        wrapped = type(error)(message)
    except Exception:  # noqa: BLE001 - an exception type with another constructor: as it is
        return error
    wrapped._keras_call_arguments = True
    return wrapped.with_traceback(error.__traceback__)


def _keras_snake_case(name: str) -> str:
    """A layer's default name as Keras 3 makes it, which differs from tf.Module's for digits
    before a capital: Conv2D -> conv2d, Conv2DTranspose -> conv2d_transpose, Cropping1D ->
    cropping1d (tf.Module's rule gives conv2_d)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Layer(Module):
    """Subclass and write `build(input_shape)` (create weights with `add_weight`) and
    `call(inputs, training=None)`."""

    _names_are_identifiers = False  # Keras' own rules for layer names

    def __init_subclass__(cls, **kwargs):
        # As Keras 3, a `build` called directly (layer.build(shape), then set_weights) marks
        # the layer built, so that its first call does not build it again over the weights
        # already set.
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            @functools.wraps(build)
            def build_and_mark(self, *args, **kw):
                result = build(self, *args, **kw)
                self.built = True
                return result

            build_and_mark._marks_built = True
            cls.build = build_and_mark

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 input_dim=None, batch_input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(sorted(kwargs))}")
        super().__init__(name or _unique_layer_name(_keras_snake_case(type(self).__name__)))
        self._own_weights: list[Variable] = []
        self._always_frozen: list[int] = []  # weights made with trainable=False
        self._trainable = bool(trainable)
        self._dtype = None if dtype is None else np.dtype(
            getattr(dtype, "as_numpy_dtype", dtype))
        self.built = False
        self._output_shape = None
        # Keras 2's way to give the first layer of a Sequential its input shape.
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (None, *tuple(input_shape))
        else:
            self._batch_input_shape = None
        params = inspect.signature(self.call).parameters
        self._call_takes_training = "training" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    # ---- weights ------------------------------------------------------------------------------

    def add_weight(self, name=None, shape=(), dtype=None, initializer=None, trainable=True,
                   regularizer=None, constraint=None, **kwargs):
        """A new Variable named '<layer>/<name>', initialised by `initializer` (a name, a
        class or a callable; glorot_uniform for floats, zeros otherwise by default)."""
        dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype) or self._dtype or np.float32)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        init = initializers.get(initializer)
        shape = tuple(int(d) for d in shape)
        value = np.asarray(initializers._array_of(init, shape, dtype), dtype=dtype)
        if value.shape != shape:
            raise ValueError(f"{self.name}.add_weight({name!r}): the initializer gave shape "
                             f"{value.shape}, expected {shape}")
        variable = KerasVariable(value, trainable=bool(trainable) and self._trainable,
                                 name=name or "weight", path=f"{self.name}/{name or 'weight'}")
        if not trainable:
            self._always_frozen.append(variable._uid)
        self._own_weights.append(variable)
        return variable

    def _attributes(self):
        # Own weights first, in creation order; then attributes in assignment order (so
        # sublayers come in the order the layer made them, as in Keras). As in Keras 3, a
        # plain tf.Variable the layer holds (not made by add_weight) is not the layer's
        # weight: not in `variables`, not trained by fit, not counted by summary.
        skip = ("_name", "_own_weights", "_always_frozen")
        return [self._own_weights] + [v for k, v in vars(self).items()
                                      if k not in skip and not _plain_variables(v)]

    def _checkpoint_children(self) -> dict:
        """What tf.train.Checkpoint saves of a layer: its weights by their short names, then
        its sublayers by attribute."""
        children: dict = {}
        for v in self._own_weights:
            name = v._name.rsplit("/", 1)[-1]
            while name in children:
                name += "_"
            children[name] = v
        for key, value in vars(self).items():
            if isinstance(value, Layer) or (isinstance(value, list | tuple) and value and
                                            all(isinstance(x, Layer) for x in value)):
                children.setdefault(key.lstrip("_"), value)
        return children

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freezing a layer makes its weights (and its sublayers') non-trainable."""
        self._trainable = bool(value)
        for v in self._own_weights:
            v.trainable = self._trainable and v._uid not in self._always_frozen
        for layer in self._sublayers():
            layer.trainable = value

    def _sublayers(self) -> list[Layer]:
        return [m for m in self.submodules if isinstance(m, Layer)]

    # Keras's variable lists are lists (tf.Module's are tuples), as code printing them shows.
    @property
    def variables(self) -> list[Variable]:
        return list(super().variables)

    @property
    def trainable_variables(self) -> list[Variable]:
        return list(super().trainable_variables)

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return [v for v in self.variables if not v.trainable]

    @property
    def weights(self) -> list[Variable]:
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self) -> list[Variable]:
        return [v for v in self.variables if v.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [v for v in self.variables if not v.trainable]

    def get_weights(self) -> list[np.ndarray]:
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights) -> None:
        """Assign arrays to `weights` in order; every shape is checked before any is set."""
        targets = self.weights
        weights = list(weights)
        if len(weights) != len(targets):
            raise ValueError(f"{self.name}.set_weights: expected {len(targets)} arrays, got "
                             f"{len(weights)}")
        for v, w in zip(targets, weights):
            if tuple(np.shape(w)) != tuple(v.shape):
                raise ValueError(f"{self.name}.set_weights: {v.name!r} has shape "
                                 f"{tuple(v.shape)}, the array {tuple(np.shape(w))}")
        for v, w in zip(targets, weights):
            v.assign(np.asarray(w, dtype=v.aval.dtype))

    def count_params(self) -> int:
        return sum(math.prod(v.shape) for v in self.weights)

    @property
    def dtype(self):
        return self._dtype

    # ---- building and calling -----------------------------------------------------------------

    def build(self, input_shape) -> None:
        """Create the weights for inputs of `input_shape` (override; the default has none)."""

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define call(inputs)")

    def compute_output_shape(self, input_shape):
        """The output's shape for `input_shape`, by calling the layer on zeros."""
        out = self(KerasTensor(input_shape))
        return out.shape

    def __call__(self, *args, **kwargs):
        # Keras's own signature: the inputs are the first argument (or `inputs=`), so that
        # tf.function(layer) lists them as TF does (args_0).
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise TypeError(f"layer {self.name!r} was called without inputs")
        if _is_symbolic((inputs, args, kwargs)):
            return self._call_symbolic(inputs, args, kwargs)
        passed_training = "training" in kwargs
        training = kwargs.pop("training", None)
        if training is None and _training_stack:
            training = _training_stack[-1]
        if not self.built:
            self._build_from(inputs)
        if self._call_takes_training:
            kwargs["training"] = training
        _training_stack.append(training)
        try:
            call = self.call
            if autograph_calls.converting():
                # As TF's Keras: inside a tf.function, a user layer's `call` is converted
                # (its tensor loops become graph loops); Keras's own layers are library code.
                call = autograph_calls.callee(call)
            outputs = call(inputs, *args, **kwargs)
        except (InvalidArgumentError, ValueError, TypeError) as e:
            raise _with_call_arguments(e, self, inputs, args, kwargs, passed_training) from None
        finally:
            _training_stack.pop()
        if self._output_shape is None:
            self._output_shape = nest.map_structure(
                lambda t: (None, *tuple(_shape_of(t))[1:]) if len(_shape_of(t)) else (),
                outputs)
        return outputs

    def _build_from(self, inputs) -> None:
        first = nest.flatten(inputs)[0] if nest.flatten(inputs) else None
        if self._dtype is None and first is not None and _dtype_of(first).kind == "f":
            self._dtype = np.dtype(_dtype_of(first))
        shapes = nest.map_structure(_shape_of, inputs)
        self.build(shapes)
        self.built = True

    def _call_symbolic(self, inputs, args, kwargs):
        """Apply the layer to KerasTensors: build it and find its output shape by calling it
        on zeros (training off), and return KerasTensors that remember this call."""
        def example(leaf):
            return leaf._example() if isinstance(leaf, KerasTensor) else leaf

        concrete = nest.map_structure(example, (inputs, args, kwargs))
        kw = dict(concrete[2])
        kw["training"] = False
        outputs = self(concrete[0], *concrete[1], **kw)
        batch_unknown = any(isinstance(leaf, KerasTensor) and leaf.shape and leaf.shape[0] is None
                            for leaf in nest.flatten(inputs))
        node = Node(self, inputs, args, kwargs)

        def symbolic(t):
            shape = tuple(_shape_of(t))
            if batch_unknown and shape:
                shape = (None, *shape[1:])
            return KerasTensor(shape, _dtype_of(t), name=self.name, node=node)

        result = nest.map_structure(symbolic, outputs)
        node.outputs = result
        self._output_shape = nest.map_structure(lambda k: k.shape, result)
        return result

    @property
    def output_shape(self):
        if self._output_shape is None:
            raise AttributeError(f"layer {self.name!r} has not been called yet: it has no "
                                 "output shape")
        return self._output_shape

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"
