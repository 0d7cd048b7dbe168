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
