"""`tf.keras.layers`."""

from tapeflow.keras.layers.base import KerasTensor, Layer
from tapeflow.keras.layers.conv import Conv2D
from tapeflow.keras.layers.core import (
    Activation,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    InputLayer,
    Lambda,
)
from tapeflow.keras.layers.normalization import BatchNormalization, LayerNormalization
from tapeflow.keras.layers.pooling import AveragePooling2D, MaxPooling2D
from tapeflow.keras.layers.reshaping import (
    Add,
    Concatenate,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    Reshape,
)

GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D

__all__ = ["Activation", "Add", "AveragePooling2D", "AvgPool2D", "BatchNormalization", "Concatenate", "Conv2D", "Dense", "Dropout",
           "Embedding", "Flatten", "GlobalAveragePooling2D", "GlobalAvgPool2D",
           "GlobalMaxPool2D", "GlobalMaxPooling2D", "InputLayer", "KerasTensor", "Lambda",
           "Layer", "LayerNormalization", "MaxPool2D", "MaxPooling2D", "Reshape"]

# Keras 3's common layers beyond the first set: activations, shape, merge, noise,
# convolution, 1-D pooling and normalization layers.
from tapeflow.keras.layers.activation_layers import (
    ELU,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
)
from tapeflow.keras.layers.conv_more import (
    Conv1D,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
from tapeflow.keras.layers.merging import (
    Average,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)
from tapeflow.keras.layers.noise import (
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
)
from tapeflow.keras.layers.normalization import (
    GroupNormalization,
    UnitNormalization,
)
from tapeflow.keras.layers.pooling import AveragePooling1D, MaxPooling1D
from tapeflow.keras.layers.reshaping import (
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
)
from tapeflow.keras.layers.reshaping_more import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)

Convolution1D = Conv1D
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D

__all__ += [
    "ELU",
    "AlphaDropout",
    "Average",
    "AveragePooling1D",
    "AvgPool1D",
    "Conv1D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution2DTranspose",
    "Cropping1D",
    "Cropping2D",
    "DepthwiseConv2D",
    "Dot",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAvgPool1D",
    "GlobalMaxPool1D",
    "GlobalMaxPooling1D",
    "GroupNormalization",
    "Identity",
    "LeakyReLU",
    "MaxPool1D",
    "MaxPooling1D",
    "Maximum",
    "Minimum",
    "Multiply",
    "PReLU",
    "Permute",
    "ReLU",
    "RepeatVector",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "Subtract",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
]
# Recurrent layers and their wrappers (recurrent.py, wrappers.py).
from tapeflow.keras.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
)
from tapeflow.keras.layers.wrappers import Bidirectional, TimeDistributed

__all__ += [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "TimeDistributed",
]

# Attention layers (attention.py).
from tapeflow.keras.layers.attention import (
    AdditiveAttention,
    Attention,
    EinsumDense,
    MultiHeadAttention,
)

__all__ += ["AdditiveAttention", "Attention", "EinsumDense", "MultiHeadAttention"]
