"""Convolution layers beside Conv2D: Conv1D (valid, same or causal padding), Conv2DTranspose,
DepthwiseConv2D and SeparableConv2D, channels last, on the tf.nn ops of
tapeflow/ops/conv_more.py. Weights are named and shaped as Keras 3's:

- Conv1D: kernel [k, in, filters], bias [filters]
- Conv2DTranspose: kernel [kh, kw, filters, in] (tf.nn.conv2d_transpose's), bias [filters]
- DepthwiseConv2D: kernel [kh, kw, in, depth_multiplier], bias [in * depth_multiplier]
- SeparableConv2D: depthwise_kernel [kh, kw, in, depth_multiplier], pointwise_kernel
  [1, 1, in * depth_multiplier, filters], bias [filters]
"""

from __future__ import annotations

from tapeflow import ops
from tapeflow.keras import activations, initializers
from tapeflow.keras.layers._checks import ranked
from tapeflow.keras.layers.base import Layer
from tapeflow.ops.conv import conv2d
from tapeflow.ops.conv_more import conv1d, conv2d_transpose, depthwise_conv2d


def _ints(value, n: int, what: str, layer: str) -> tuple[int, ...]:
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ValueError(f"{layer}: {what} must be a positive int or {n} of them, got "
                         f"{value!r}")
    return values


def _serialized(initializer):
    init = initializers.get(initializer)
    return initializers.serialize(init) if isinstance(init, initializers.Initializer) else init


class _Conv(Layer):
    """What the convolution layers share: argument checks, the bias and the activation."""

    _rank = 2
    _paddings = ("valid", "same")

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation,
                 use_bias, bias_initializer, **kwargs):
        name = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{name}: only data_format='channels_last' is supported, got "
                             f"{data_format!r}")
        if not isinstance(padding, str) or padding.lower() not in self._paddings:
            raise ValueError(f"{name}: padding must be one of {self._paddings}, got "
                             f"{padding!r}")
        self.kernel_size = _ints(kernel_size, self._rank, "kernel_size", name)
        self.strides = _ints(strides, self._rank, "strides", name)
        self.dilation_rate = _ints(dilation_rate, self._rank, "dilation_rate", name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{name}: strides > 1 not supported in conjunction with "
                             f"dilation_rate > 1, got strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        try:
            self.activation = activations.get(activation)
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
        super().__init__(**kwargs)
        self.padding = padding.lower()
        self.data_format = "channels_last"
        self.use_bias = bool(use_bias)
        self.bias_initializer = bias_initializer
        self.bias = None

    def _channels(self, input_shape) -> int:
        if len(input_shape) != self._rank + 2 or input_shape[-1] is None:
            axes = "[batch, steps, channels]" if self._rank == 1 else \
                "[batch, height, width, channels]"
            raise ValueError(f"{type(self).__name__} {self.name!r}: inputs must be "
                             f"{self._rank + 2}-D {axes} with known channels, got shape "
                             f"{tuple(input_shape)}")
        return int(input_shape[-1])

    def _build_bias(self, size: int):
        if self.use_bias:
            self.bias = self.add_weight("bias", (size,), initializer=self.bias_initializer)

    def _finish(self, y):
        if self.use_bias:
            y = ops.add(y, self.bias)
        return self.activation(y)

    def _input(self, inputs, kernel_in: int):
        x = ranked(self, inputs, self._rank + 2)
        if x.aval.shape[-1] != kernel_in:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the input has "
                             f"{x.aval.shape[-1]} channels, the layer was built for "
                             f"{kernel_in} (input shape {tuple(x.aval.shape)})")
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "bias_initializer": _serialized(self.bias_initializer)}


class Conv1D(_Conv):
    """A 1-D convolution over [batch, steps, channels]. padding="causal" pads only the start
    ((k - 1) * dilation zeros), so output t sees inputs up to t (WaveNet's convolution)."""

    _rank = 1
    _paddings = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"Conv1D: filters must be a positive int, got {filters!r}")
        if groups != 1:
            raise NotImplementedError(f"Conv1D: groups={groups} (grouped convolution) is not "
                                      f"implemented in tapeflow")
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, **kwargs)
        self.filters, self.groups = filters, 1
        self.kernel_initializer = kernel_initializer
        self.kernel = None

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.kernel = self.add_weight("kernel", (*self.kernel_size, channels, self.filters),
                                      initializer=self.kernel_initializer)
        self._build_bias(self.filters)

    def call(self, inputs):
        x = self._input(inputs, self.kernel.shape[1])
        padding = self.padding.upper()
        if self.padding == "causal":
            reach = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            x = ops.pad(x, [[0, 0], [reach, 0], [0, 0]])
            padding = "VALID"
        y = conv1d(x, self.kernel, stride=self.strides[0], padding=padding,
                   dilations=self.dilation_rate[0])
        return self._finish(y)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "groups": self.groups,
                "kernel_initializer": _serialized(self.kernel_initializer)}


def _transpose_length(size: int, k: int, stride: int, dilation: int, padding: str,
                      output_padding) -> int:
    """Keras's output length of a transposed convolution."""
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return size * stride + max(k - stride, 0) if padding == "valid" else size * stride
    pad = k // 2 if padding == "same" else 0
    return (size - 1) * stride + k - 2 * pad + output_padding


class Conv2DTranspose(_Conv):
    """The transpose (input gradient) of a Conv2D: [batch, h, w, in] -> [batch, h', w',
    filters], h' = h * stride (+ max(k - stride, 0) for "valid"), or as `output_padding`
    sets it."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"Conv2DTranspose: filters must be a positive int, got "
                             f"{filters!r}")
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            pads = ((output_padding,) * 2 if isinstance(output_padding, int)
                    else tuple(output_padding))
            if len(pads) != 2 or not all(isinstance(p, int) and 0 <= p < s
                                         for p, s in zip(pads, self.strides)):
                raise ValueError(f"Conv2DTranspose: output_padding must be 2 non-negative ints "
                                 f"smaller than strides {self.strides}, got "
                                 f"{output_padding!r}")
            self.output_padding = pads
        self.filters = filters
        self.kernel_initializer = kernel_initializer
        self.kernel = None

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.kernel = self.add_weight("kernel", (*self.kernel_size, self.filters, channels),
                                      initializer=self.kernel_initializer)
        self._build_bias(self.filters)

    def call(self, inputs):
        x = self._input(inputs, self.kernel.shape[3])
        n, h, w, _ = x.aval.shape
        pads = self.output_padding or (None, None)
        out_h, out_w = (_transpose_length(size, k, s, d, self.padding, p) for size, k, s, d, p
                        in zip((h, w), self.kernel_size, self.strides, self.dilation_rate,
                               pads))
        y = conv2d_transpose(x, self.kernel, (n, out_h, out_w, self.filters),
                             strides=self.strides, padding=self.padding.upper(),
                             dilations=self.dilation_rate)
        return self._finish(y)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "output_padding": self.output_padding,
                "kernel_initializer": _serialized(self.kernel_initializer)}


class DepthwiseConv2D(_Conv):
    """Each input channel convolved with its own `depth_multiplier` filters:
    [batch, h, w, c] -> [batch, h', w', c * depth_multiplier]."""

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"DepthwiseConv2D: depth_multiplier must be a positive int, got "
                             f"{depth_multiplier!r}")
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = depthwise_initializer
        self.kernel = None

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.kernel = self.add_weight("kernel",
                                      (*self.kernel_size, channels, self.depth_multiplier),
                                      initializer=self.depthwise_initializer)
        self._build_bias(channels * self.depth_multiplier)

    def call(self, inputs):
        x = self._input(inputs, self.kernel.shape[2])
        y = depthwise_conv2d(x, self.kernel, strides=(1, *self.strides, 1),
                             padding=self.padding.upper(), dilations=self.dilation_rate)
        return self._finish(y)

    def get_config(self) -> dict:
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": _serialized(self.depthwise_initializer)}


class SeparableConv2D(_Conv):
    """A depthwise convolution (each channel on its own) followed by a 1x1 convolution that
    mixes the channels into `filters`: far fewer weights than a Conv2D of the same window."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"SeparableConv2D: filters must be a positive int, got "
                             f"{filters!r}")
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"SeparableConv2D: depth_multiplier must be a positive int, got "
                             f"{depth_multiplier!r}")
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, **kwargs)
        self.filters, self.depth_multiplier = filters, depth_multiplier
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_kernel = self.pointwise_kernel = None

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer)
        self._build_bias(self.filters)

    def call(self, inputs):
        x = self._input(inputs, self.depthwise_kernel.shape[2])
        depthwise = depthwise_conv2d(x, self.depthwise_kernel, strides=(1, *self.strides, 1),
                                     padding=self.padding.upper(),
                                     dilations=self.dilation_rate)
        return self._finish(conv2d(depthwise, self.pointwise_kernel, strides=1,
                                   padding="VALID"))

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": _serialized(self.depthwise_initializer),
                "pointwise_initializer": _serialized(self.pointwise_initializer)}
