"""`tf.keras.layers.Conv2D`: a 2-D convolution layer (channels last), its kernel
[kh, kw, in_channels, filters] and bias made by add_weight, computed by tf.nn.conv2d
(tapeflow/ops/conv.py)."""

from __future__ import annotations

from tapeflow import ops
from tapeflow.keras import activations
from tapeflow.keras.layers.base import Layer
from tapeflow.keras.layers.core import _as_tensor
from tapeflow.ops.conv import _pair, conv2d
from tapeflow.ops.core import InvalidArgumentError


class Conv2D(Layer):
    """y = activation(conv2d(x, kernel) + bias) on inputs [batch, height, width, channels]."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        op = "Conv2D"
        if int(filters) <= 0:
            raise InvalidArgumentError(f"{op}: filters must be positive, got {filters}")
        if data_format not in (None, "channels_last"):
            raise InvalidArgumentError(f"{op}: only data_format='channels_last' is supported, "
                                       f"got {data_format!r}")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise InvalidArgumentError(f"{op}: padding must be 'valid' or 'same', got "
                                       f"{padding!r}")
        try:
            activation = activations.get(activation)
        except ValueError as e:
            raise InvalidArgumentError(f"{op}: {e}") from None
        self.kernel_size = _pair(kernel_size, "kernel_size", op)
        self.strides = _pair(strides, "strides", op)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", op)
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.padding = padding.lower()
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise InvalidArgumentError(
                f"Conv2D {self.name!r}: inputs must be 4-D [batch, height, width, channels] "
                f"with known channels, got shape {tuple(input_shape)}")
        self.kernel = self.add_weight(
            "kernel", (*self.kernel_size, int(input_shape[-1]), self.filters),
            initializer=self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,),
                                        initializer=self.bias_initializer)

    def call(self, inputs):
        x = _as_tensor(inputs, "Conv2D")
        y = conv2d(x, self.kernel, strides=self.strides, padding=self.padding.upper(),
                   dilations=self.dilation_rate)
        if self.use_bias:
            y = ops.add(y, self.bias)
        return self.activation(y)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "dilation_rate": self.dilation_rate,
                "use_bias": self.use_bias}
