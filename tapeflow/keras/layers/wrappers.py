"""Layer wrappers: `Bidirectional` (an RNN read forwards and backwards) and `TimeDistributed`
(a layer applied to every time step)."""

from __future__ import annotations

from tapeflow.keras.layers.base import Layer
from tapeflow.keras.layers.recurrent import (
    RNN,
    _as_tensor,
    _CellLayer,
    _keep_time_unknown,
    _prefix_paths,
    _tf,
)

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _renamed_copy(layer, name: str, **changes):
    """A fresh layer with `layer`'s arguments (Keras re-creates both directions from the
    given layer's config, so neither shares its weights)."""
    if isinstance(layer, _CellLayer):
        copy = layer._copy(name=name, **changes)
    elif isinstance(layer, RNN):
        cell = type(layer.cell).from_config(layer.cell.get_config()) \
            if hasattr(type(layer.cell), "from_config") else layer.cell
        kwargs = {k: getattr(layer, k) for k in ("return_sequences", "return_state",
                                                  "go_backwards")}
        kwargs.update(changes)
        copy = RNN(cell, name=name, **kwargs)
    else:
        raise ValueError(f"Bidirectional: expected an RNN layer, got {layer!r}")  # noqa: TRY004 - Keras's ValueError
    return copy


class Bidirectional(Layer):
    """Run `layer` over the sequence and a copy of it over the reversed sequence, then merge
    the two outputs (concat on the last axis, sum, mul, ave, or None for a list of both).
    With return_sequences the backward outputs are flipped back into time order first; with
    return_state the result is (output, *forward_states, *backward_states)."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional: expected a Keras layer, got {layer!r}")  # noqa: TRY004
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {_MERGE_MODES}, got "
                             f"{merge_mode!r}")
        if weights is not None:
            raise NotImplementedError("Bidirectional: weights= is not supported; use "
                                      "set_weights after building")
        super().__init__(**kwargs)
        base = layer.name.removeprefix("forward_")
        self.forward_layer = _renamed_copy(layer, f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _renamed_copy(
                layer, f"backward_{layer.name.removeprefix('backward_')}",
                go_backwards=not layer.go_backwards)
        else:
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Bidirectional: forward and backward layers need different "
                                 "go_backwards values")
            self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state

    def _call_symbolic(self, inputs, args, kwargs):
        return _keep_time_unknown(self, inputs, super()._call_symbolic(inputs, args, kwargs))

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Bidirectional {self.name!r}: expected inputs of rank 3 (batch, "
                             f"time, features), got shape {tuple(input_shape)}")
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(input_shape)
            _prefix_paths(layer, self.name)

    def call(self, sequences, initial_state=None, training=None):
        tf = _tf()
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, training=training)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = tf.reverse(y_rev, axis=[1])
        if self.merge_mode == "concat":
            output = tf.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    def get_config(self) -> dict:
        def entry(layer):
            return {"module": "keras.layers", "class_name": type(layer).__name__,
                    "config": layer.get_config(), "registered_name": None}

        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": entry(self.forward_layer), "backward_layer": entry(self.backward_layer)}


class TimeDistributed(Layer):
    """Apply `layer` to every time step of (batch, time, ...) inputs: the batch and time axes
    are merged into one, the layer runs once over all steps, and the axes are split again
    (the same values as a call per step, in one batched op)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: expected a Keras layer, got {layer!r}")  # noqa: TRY004
        super().__init__(**kwargs)
        self.layer = layer

    def _call_symbolic(self, inputs, args, kwargs):
        return _keep_time_unknown(self, inputs, super()._call_symbolic(inputs, args, kwargs))

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed {self.name!r}: inputs need rank >= 3 (batch, "
                             f"time, ...), got shape {tuple(input_shape)}")
        if not self.layer.built:
            self.layer.build((input_shape[0], *input_shape[2:]))
        _prefix_paths(self.layer, self.name)

    def call(self, inputs, training=None):
        tf = _tf()
        x = _as_tensor(inputs)
        shape = tuple(x.aval.shape)
        if len(shape) < 3:
            raise ValueError(f"TimeDistributed {self.name!r}: inputs need rank >= 3 (batch, "
                             f"time, ...), got shape {shape}")
        dynamic = tf.shape(x)
        batch, steps = shape[0], shape[1]
        if not isinstance(batch, int) or not isinstance(steps, int):
            batch, steps = int(dynamic[0]), int(dynamic[1])
        merged = tf.reshape(x, [batch * steps, *shape[2:]])
        y = self.layer(merged, training=training)
        return tf.reshape(y, [batch, steps, *tuple(y.aval.shape)[1:]])

    def get_config(self) -> dict:
        return {**super().get_config(),
                "layer": {"module": "keras.layers", "class_name": type(self.layer).__name__,
                          "config": self.layer.get_config(), "registered_name": None}}


__all__ = ["Bidirectional", "TimeDistributed"]
