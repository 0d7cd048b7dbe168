"""`tf.keras.models`: Model, Sequential."""

from tapeflow.keras.models.model import Input, Model, Sequential
from tapeflow.keras.models.training import History, NonFiniteLossWarning

__all__ = ["History", "Input", "Model", "NonFiniteLossWarning", "Sequential"]
