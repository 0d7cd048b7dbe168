"""Recurrent layers: the cells `SimpleRNNCell`, `LSTMCell`, `GRUCell`, the generic `RNN(cell)`
and the layers `SimpleRNN`, `LSTM`, `GRU` (Keras 3's equations, gate orders, weight names and
shapes, so weights move between tapeflow and TensorFlow with `set_weights`).

A cell computes one time step: `cell(x_t, states) -> (output, new_states)`, states a list.
`RNN` runs it over the time axis of a (batch, time, features) input as an unrolled Python loop:
each step is straight-line code, so under `tf.function` the whole sequence is one fused graph
and its gradient is ordinary reverse mode through the steps. A length unknown when tracing
(`input_signature` with None) is read as a guarded Python int: each new length traces again.

Not supported (each raises or is documented): masking, `stateful=True`, cell dropout and
recurrent dropout, stacked cells (a list of cells).
"""

from __future__ import annotations

import numpy as np

from tapeflow import nest
from tapeflow.keras import activations, initializers
from tapeflow.keras.layers.base import KerasTensor, Layer
from tapeflow.tracer.tensor import convert_to_tensor


def _tf():
    import tapeflow

    return tapeflow


def _as_tensor(x):
    return x if hasattr(x, "aval") else convert_to_tensor(np.asarray(x, np.float32)
                                                          if not hasattr(x, "dtype") else x)


def _initializer_config(init):
    """Keras 3's config entry for an initializer given as a name, a class or an instance."""
    init = initializers.get(init)
    try:
        return initializers.serialize(init)
    except ValueError:  # a plain callable: by its name, as Keras does for functions
        return getattr(init, "__name__", repr(init))


def _prefix_paths(layer: Layer, prefix: str) -> None:
    """Keras 3 builds a layer's sublayers inside its name scope, so their weights' paths read
    'lstm/lstm_cell/kernel'; a tapeflow layer's own paths are 'lstm_cell/kernel'."""
    for v in layer.weights:
        if not v.path.startswith(prefix + "/"):
            v._name = f"{prefix}/{v._name}"


def _keep_time_unknown(layer: Layer, inputs, result):
    """A symbolic call finds output shapes by calling on a length-1 example; where the
    input's time axis is unknown (Input((None, features))), so is every output's that has
    one (rank >= 3)."""
    if not (isinstance(inputs, KerasTensor) and len(inputs.shape) > 1
            and inputs.shape[1] is None):
        return result
    for t in nest.flatten(result):
        if isinstance(t, KerasTensor) and len(t.shape) >= 3:
            t.shape = (t.shape[0], None, *t.shape[2:])
    layer._output_shape = nest.map_structure(lambda k: k.shape, result)
    return result


def _check_no_dropout(owner: str, dropout, recurrent_dropout) -> None:
    if dropout or recurrent_dropout:
        raise NotImplementedError(f"{owner}: dropout and recurrent_dropout are not supported "
                                  "by tapeflow yet (use a Dropout layer around the RNN)")


class _Cell(Layer):
    """What the three built-in cells share: their arguments, weights and config."""

    _gates = 1  # how many blocks of `units` columns the kernels hold

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        if int(units) <= 0:
            raise ValueError(f"{type(self).__name__}: units must be positive, got {units}")
        _check_no_dropout(type(self).__name__, dropout, recurrent_dropout)
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.dropout, self.recurrent_dropout, self.seed = 0.0, 0.0, seed
        self.kernel = self.recurrent_kernel = self.bias = None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: a step's input must be "
                             f"(batch, features) with known features, got shape "
                             f"{tuple(input_shape)}")
        width = self._gates * self.units
        self.kernel = self.add_weight("kernel", (int(input_shape[-1]), width),
                                      initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width),
                                                initializer=self.recurrent_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(),
                                        initializer=self._bias_initializer())

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [_tf().zeros((batch_size, n), dtype=self._dtype or np.float32) for n in sizes]

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": _initializer_config(self.kernel_initializer),
                "recurrent_initializer": _initializer_config(self.recurrent_initializer),
                "bias_initializer": _initializer_config(self.bias_initializer),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


def _first_state(states):
    return states[0] if isinstance(states, list | tuple) else states


class SimpleRNNCell(_Cell):
    """h = activation(x @ kernel + bias + h_prev @ recurrent_kernel); the output is h."""

    def call(self, inputs, states, training=None):
        tf = _tf()
        h_prev = _first_state(states)
        h = tf.matmul(inputs, self.kernel)
        if self.use_bias:
            h = h + self.bias
        h = self.activation(h + tf.matmul(h_prev, self.recurrent_kernel))
        return h, ([h] if isinstance(states, list | tuple) else h)


class LSTMCell(_Cell):
    """Keras's LSTM step, the kernels' columns in gate order i, f, c, o:

        z = x @ kernel + h_prev @ recurrent_kernel + bias
        i = σ(z_i)   f = σ(z_f)   o = σ(z_o)            (σ: recurrent_activation)
        c = f * c_prev + i * activation(z_c)
        h = o * activation(c)                            states [h, c], output h

    With unit_forget_bias the bias starts as [0, 1, 0, 0] per block (a forget gate open at
    first), whatever bias_initializer says for the forget block."""

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base = initializers.get(self.bias_initializer)
        n = self.units

        def forget_ones(shape, dtype=np.float32):
            # As Keras: the initializer's values for the i, c, o blocks, ones for f.
            block = initializers._array_of(base, (n,), dtype)
            ones = np.ones((n,), dtype)
            rest = initializers._array_of(base, (2 * n,), dtype)
            return np.concatenate([block, ones, rest]).astype(dtype)

        return forget_ones

    def call(self, inputs, states, training=None):
        tf = _tf()
        h_prev, c_prev = states[0], states[1]
        z = tf.matmul(inputs, self.kernel) + tf.matmul(h_prev, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        z_i, z_f, z_c, z_o = tf.split(z, 4, axis=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_prev + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_Cell):
    """Keras 3's GRU step, the kernels' columns in gate order z (update), r (reset), h:

        x_z, x_r, x_h = split(x @ kernel + input_bias)
        r_z, r_r, r_h = split(h_prev @ recurrent_kernel + recurrent_bias)     (reset_after)
        z = σ(x_z + r_z)    r = σ(x_r + r_r)
        hh = activation(x_h + r * r_h)
        h = z * h_prev + (1 - z) * hh

    reset_after=True (the default, cuDNN's form) keeps two biases, bias[0] for the input and
    bias[1] for the recurrent product; reset_after=False has one bias, added to the input
    part, and applies the reset gate before the product: r_h = (r * h_prev) @ recurrent_kernel_h.
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after=True, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=None):
        tf = _tf()
        h_prev = _first_state(states)
        n = self.units
        if self.use_bias:
            input_bias, recurrent_bias = ((self.bias[0], self.bias[1]) if self.reset_after
                                          else (self.bias, None))
        x = tf.matmul(inputs, self.kernel)
        if self.use_bias:
            x = x + input_bias
        x_z, x_r, x_h = tf.split(x, 3, axis=-1)
        if self.reset_after:
            inner = tf.matmul(h_prev, self.recurrent_kernel)
            if self.use_bias:
                inner = inner + recurrent_bias
            r_z, r_r, r_h = tf.split(inner, 3, axis=-1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            r_h = r * r_h
        else:
            inner = tf.matmul(h_prev, self.recurrent_kernel[:, :2 * n])
            r_z, r_r = tf.split(inner, 2, axis=-1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            r_h = tf.matmul(r * h_prev, self.recurrent_kernel[:, 2 * n:])
        hh = self.activation(x_h + r_h)
        h = z * h_prev + (1.0 - z) * hh
        return h, ([h] if isinstance(states, list | tuple) else h)

    def get_config(self) -> dict:
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return config


def _state_sizes(cell) -> list:
    size = getattr(cell, "state_size", None)
    if size is None:
        raise ValueError(f"RNN: the cell {cell!r} has no state_size")
    return list(size) if isinstance(size, list | tuple) else [size]


class RNN(Layer):
    """Run `cell` over the time axis of (batch, time, features) inputs.

    Returns the last output (batch, output_size), or every step's (batch, time, output_size)
    with return_sequences; with return_state, a list [output, *final_states]. go_backwards
    reads the sequence from its end (and returns the outputs in that reversed order, as
    Keras). `initial_state` replaces the zeros (or the cell's get_initial_state)."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, list | tuple):
            raise NotImplementedError("RNN: a list of cells (StackedRNNCells) is not supported "
                                      "by tapeflow yet; stack RNN layers instead")
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"RNN: the cell needs call(inputs, states) and state_size, got "
                             f"{cell!r}")
        if stateful:
            raise NotImplementedError("RNN: stateful=True is not supported by tapeflow")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._features = None  # the input's feature size, once built

    @property
    def state_size(self):
        return _state_sizes(self.cell)

    def _call_symbolic(self, inputs, args, kwargs):
        return _keep_time_unknown(self, inputs, super()._call_symbolic(inputs, args, kwargs))

    def _check_shape(self, shape) -> None:
        name = f"{type(self).__name__} {self.name!r}"
        if len(shape) != 3:
            raise ValueError(f"{name}: expected inputs of rank 3 (batch, time, features), got "
                             f"shape {tuple(shape)}")
        if shape[-1] is None:
            raise ValueError(f"{name}: the features axis must be known, got shape "
                             f"{tuple(shape)}")
        if self._features is not None and shape[-1] != self._features:
            raise ValueError(f"{name}: the layer was built for {self._features} features, got "
                             f"inputs of shape {tuple(shape)}")

    def build(self, input_shape):
        shape = tuple(nest.flatten(input_shape)) if isinstance(input_shape, list) \
            else tuple(input_shape)
        self._check_shape(shape)
        self._features = shape[-1]
        if not self.cell.built:
            self.cell.build((shape[0], *shape[2:]))
            self.cell.built = True
        _prefix_paths(self.cell, self.name)

    def get_initial_state(self, batch_size):
        get = getattr(self.cell, "get_initial_state", None)
        if get is not None:
            state = get(batch_size=batch_size)
            return list(state) if isinstance(state, list | tuple) else [state]
        dtype = getattr(self.cell, "_dtype", None) or np.float32
        return [_tf().zeros((batch_size, n), dtype=dtype) for n in self.state_size]

    def call(self, sequences, initial_state=None, training=None):
        tf = _tf()
        x = _as_tensor(sequences)
        self._check_shape(x.aval.shape)
        steps = x.aval.shape[1]
        if not isinstance(steps, int):
            # A length unknown when tracing: read it (a guard), so each length is a trace
            # of its own with the steps unrolled.
            steps = int(tf.shape(x)[1])
        if steps == 0:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the sequence has no time "
                             f"steps (shape {tuple(x.aval.shape)})")
        if initial_state is None:
            states = self.get_initial_state(tf.shape(x)[0])
        else:
            states = [_as_tensor(s) for s in (initial_state if isinstance(
                initial_state, list | tuple) else [initial_state])]
            if len(states) != len(self.state_size):
                raise ValueError(f"{type(self).__name__} {self.name!r}: expected "
                                 f"{len(self.state_size)} initial states, got {len(states)}")
        inputs = tf.unstack(x, num=steps, axis=1)
        if self.go_backwards:
            inputs = inputs[::-1]
        outputs = []
        for x_t in inputs:  # unrolled: one straight-line block of ops per step
            # As Keras, the cell gets its states as a list, a single state too.
            output, new_states = self.cell(x_t, states, training=training)
            states = list(new_states) if isinstance(new_states, list | tuple) else [new_states]
            outputs.append(output)
        result = tf.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        if self.return_state:
            return (result, *states)
        return result

    def get_config(self) -> dict:
        config = {**super().get_config(), "return_sequences": self.return_sequences,
                  "return_state": self.return_state, "go_backwards": self.go_backwards,
                  "stateful": self.stateful, "unroll": self.unroll,
                  "zero_output_for_mask": self.zero_output_for_mask}
        if type(self) is RNN:
            config["cell"] = {"class_name": type(self.cell).__name__,
                              "config": self.cell.get_config()}
        return config


class _CellLayer(RNN):
    """SimpleRNN, LSTM and GRU: an RNN over their own cell, named '<cell>_cell' as Keras
    names it, with the cell's arguments and config flattened into the layer's."""

    _cell_class: type = _Cell
    _layer_args = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                   "zero_output_for_mask")
    _base_args = ("name", "trainable", "dtype", "input_shape", "input_dim",
                  "batch_input_shape")
    # Keras's arguments tapeflow has no use for yet: accepted as None, listed in the config.
    _unsupported = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                    "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                    "bias_constraint")

    def __init__(self, units, **kwargs):
        layer_kwargs = {k: kwargs.pop(k) for k in self._layer_args + self._base_args
                        if k in kwargs}
        for k in self._unsupported:
            if kwargs.pop(k, None) is not None:
                raise NotImplementedError(f"{type(self).__name__}: {k} is not supported by "
                                          "tapeflow yet")
        cell_name = type(self).__name__.lower().replace("simplernn", "simple_rnn") + "_cell"
        cell = self._cell_class(units, name=cell_name, dtype=layer_kwargs.get("dtype"),
                                **kwargs)
        super().__init__(cell, **layer_kwargs)
        self._cell_kwargs = dict(kwargs, units=units)

    _read_through = ("units", "activation", "recurrent_activation", "use_bias",
                     "kernel_initializer", "recurrent_initializer", "bias_initializer",
                     "unit_forget_bias", "reset_after", "dropout", "recurrent_dropout")

    def __getattr__(self, name):
        # units, activation, ... read through to the cell, as Keras's properties do.
        if name in type(self)._read_through and "cell" in self.__dict__:
            return getattr(self.cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self) -> dict:
        cell_config = self.cell.get_config()
        for k in ("name", "trainable"):
            cell_config.pop(k)
        return {**super().get_config(), **cell_config,
                **{k: None for k in self._unsupported}}

    def _copy(self, **changes):
        """A new layer with the same arguments (weights drawn again), as from_config."""
        layer_kwargs = {k: getattr(self, k) for k in self._layer_args}
        layer_kwargs.update(changes)
        return type(self)(**self._cell_kwargs, **layer_kwargs)


class SimpleRNN(_CellLayer):
    """A fully connected RNN: h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)."""

    _cell_class = SimpleRNNCell


class LSTM(_CellLayer):
    """Long short-term memory (see LSTMCell for the equations); states [h, c]."""

    _cell_class = LSTMCell


class GRU(_CellLayer):
    """Gated recurrent unit, Keras 3's form (see GRUCell); reset_after=True by default."""

    _cell_class = GRUCell
