"""`tf.keras.Model` (subclassed or functional), `tf.keras.Sequential` and `tf.keras.Input`."""

from __future__ import annotations

import numpy as np

from tapeflow import nest
from tapeflow.keras.layers.base import KerasTensor, Layer
from tapeflow.keras.layers.core import InputLayer
from tapeflow.keras.models import summary as _summary
from tapeflow.keras.models.training import TrainingMixin


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """`tf.keras.Input`: a symbolic tensor standing for a model's input; `shape` leaves out
    the batch axis."""
    if batch_shape is None:
        if shape is None:
            raise ValueError("Input: give a shape (without the batch axis) or batch_shape")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        batch_shape = (batch_size, *shape)
    dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype) or np.float32)
    layer = InputLayer(shape=tuple(batch_shape)[1:], dtype=dtype, name=name,
                       batch_size=batch_shape[0])
    tensor = KerasTensor(batch_shape, dtype, name=layer.name, node=None)
    tensor.input_layer = layer
    return tensor


class Model(TrainingMixin, Layer):
    """Subclass it (layers as attributes, `call(inputs, training=None)`), or give it
    `inputs` and `outputs` KerasTensors (the functional API)."""

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if len(args) > 0 else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        if (inputs is None) != (outputs is None):
            raise ValueError("Model: give both inputs and outputs (the functional API), or "
                             "neither (a subclassed model)")
        if inputs is not None and "name" not in kwargs:
            kwargs["name"] = _unique_model_name("functional")
        super().__init__(**kwargs)
        self._graph = None
        self._reset_compile()
        if inputs is not None:
            self._graph = _FunctionalGraph(inputs, outputs)
            self.built = True

    @property
    def layers(self) -> list[Layer]:
        if self._graph is not None:
            return list(self._graph.layers)
        return [m for m in self._direct_sublayers()]

    def _direct_sublayers(self) -> list[Layer]:
        out, seen = [], set()
        for value in self._attributes():
            for leaf in nest.flatten(value) if isinstance(value, list | tuple | dict) else [value]:
                if isinstance(leaf, Layer) and id(leaf) not in seen:
                    seen.add(id(leaf))
                    out.append(leaf)
        return out

    def _attributes(self):
        attrs = super()._attributes()
        if getattr(self, "_graph", None) is not None:
            attrs.append(list(self._graph.layers))
        return attrs

    def _checkpoint_children(self) -> dict:
        """A model's layers (by position), and its optimizer once compiled."""
        children = super()._checkpoint_children()
        if self._graph is not None:
            children["layers"] = self.layers
        if self.optimizer is not None:
            children["optimizer"] = self.optimizer
        return children

    def call(self, inputs, training=None):
        if self._graph is None:
            raise NotImplementedError(f"{type(self).__name__}: a subclassed Model must define "
                                      "call(inputs, training=None)")
        return self._graph.run(inputs, training)

    def save_weights(self, filepath) -> str:
        """Write the model's weights (not its optimizer's state) with tf.train.Checkpoint's
        file format; returns the file written."""
        from tapeflow.checkpoint import Checkpoint

        return Checkpoint(model=_WeightsOf(self)).write(str(filepath))

    def load_weights(self, filepath):
        """Read weights written by `save_weights` (every name and shape is checked before any
        weight is assigned). The model must be built: its weights must exist."""
        from tapeflow.checkpoint import Checkpoint

        if not self.built or not self.weights:
            raise ValueError(f"load_weights: model {self.name!r} has no weights yet; build it "
                             "first (call it on a batch, or give it a tf.keras.Input)")
        return Checkpoint(model=_WeightsOf(self)).read(str(filepath))

    def summary(self, print_fn=None, line_length=None) -> None:
        _summary.print_summary(self, print_fn or print, line_length)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


class _WeightsOf:
    """A model as its weights alone, for save_weights/load_weights (no optimizer)."""

    def __init__(self, model):
        self.model = model

    def _checkpoint_children(self) -> dict:
        children = dict(self.model._checkpoint_children())
        children.pop("optimizer", None)
        return children


def _unique_model_name(base: str) -> str:
    from tapeflow.tracer.module import _unique_layer_name

    return _unique_layer_name(base)


class _FunctionalGraph:
    """The layer calls between a functional model's inputs and outputs, in an order that
    computes each call's inputs first."""

    def __init__(self, inputs, outputs):
        self.inputs = inputs
        self.outputs = outputs
        flat_in = nest.flatten(inputs)
        for t in flat_in:
            if not isinstance(t, KerasTensor) or t.node is not None:
                raise ValueError(f"Model: inputs must come from tf.keras.Input, got {t!r}")
        for t in nest.flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model: outputs must be KerasTensors (results of layers "
                                 f"applied to Inputs), got {type(t).__name__}")
        # Depth first from the outputs with an explicit stack: a layer call is emitted once
        # every KerasTensor it consumes is available.
        known = {id(t) for t in flat_in}
        self.nodes: list = []
        stack = list(reversed(nest.flatten(outputs)))
        while stack:
            t = stack[-1]
            if id(t) in known:
                stack.pop()
                continue
            if t.node is None:
                raise ValueError(f"Model: the outputs depend on an Input that is not among the "
                                 f"model's inputs ({t!r})")
            pending = [k for k in t.node.consumed() if id(k) not in known]
            if pending:
                stack.extend(reversed(pending))
                continue
            stack.pop()
            self.nodes.append(t.node)
            known.update(id(k) for k in nest.flatten(t.node.outputs))
        # As Keras lists them: by depth from the inputs, then in the order they were made.
        depth: dict[int, int] = {}
        for node in self.nodes:  # already ordered so that producers come first
            depth[node.id] = 1 + max((depth.get(k.node.id, 0) for k in node.consumed()
                                      if k.node is not None), default=0)
        self.nodes.sort(key=lambda node: (depth[node.id], node.id))
        self.layers: list[Layer] = [t.input_layer for t in flat_in]
        for node in self.nodes:
            if all(node.layer is not layer for layer in self.layers):
                self.layers.append(node.layer)

    def run(self, inputs, training):
        flat_in = nest.flatten(self.inputs)
        given = nest.flatten(inputs) if isinstance(inputs, list | tuple | dict) else [inputs]
        if len(given) != len(flat_in):
            raise ValueError(f"functional model: expected {len(flat_in)} input(s), got "
                             f"{len(given)}")
        values = {id(k): v for k, v in zip(flat_in, given)}

        def value(leaf):
            return values[id(leaf)] if isinstance(leaf, KerasTensor) else leaf

        for node in self.nodes:
            inputs_, args, kwargs = nest.map_structure(value, (node.inputs, node.args,
                                                               node.kwargs))
            if node.layer._call_takes_training:
                kwargs = {**kwargs, "training": training}
            out = node.layer(inputs_, *args, **kwargs)
            for sym, val in zip(nest.flatten(node.outputs), nest.flatten(out)):
                values[id(sym)] = val
        return nest.map_structure(value, self.outputs)


class Sequential(Model):
    """A stack of layers, each fed the previous one's output. Built from an `Input` (or a
    first layer's `input_shape`) at once, otherwise on the first call."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name or _unique_model_name("sequential"), trainable=trainable)
        self._layers: list[Layer] = []
        self._input = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        if isinstance(layer, KerasTensor):
            if self._input is not None or self._layers:
                raise ValueError("Sequential.add: an Input can only come first")
            self._input = layer
            self._build_symbolic()
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer or tf.keras.Input, got "
                            f"{type(layer).__name__}")
        if isinstance(layer, InputLayer):
            raise TypeError("Sequential.add: pass tf.keras.Input(shape) rather than an "
                            "InputLayer")
        self._layers.append(layer)
        if self._input is None and len(self._layers) == 1 and layer._batch_input_shape:
            self._input = Input(batch_shape=layer._batch_input_shape)
        if self._input is not None:
            self._build_symbolic()

    def _build_symbolic(self) -> None:
        x = self._input
        for layer in self._layers:
            x = layer(x)
        self.built = bool(self._layers) or self.built

    def pop(self) -> Layer:
        if not self._layers:
            raise IndexError("Sequential.pop: no layers")
        return self._layers.pop()

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def _checkpoint_children(self) -> dict:
        children = super()._checkpoint_children()
        children["layers"] = self.layers
        return children

    def build(self, input_shape=None) -> None:
        if input_shape is not None and self._input is None:
            self._input = Input(batch_shape=tuple(input_shape))
            self._build_symbolic()

    def _build_from(self, inputs):
        self.built = True  # the layers build themselves on this first call

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training) if layer._call_takes_training else layer(x)
        return x
