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

__all__ = ["Activation", "BatchNormalization", "Conv2D", "Dense", "Dropout", "Embedding", "Flatten",
           "InputLayer", "KerasTensor", "Lambda", "Layer", "LayerNormalization"]
