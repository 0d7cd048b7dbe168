"""`tf.keras`: the training surface, written with tapeflow's public ops and Variables (the
compiler sees nothing special in it: an optimizer's update, a metric's update and a batch
norm's moving averages are more equations of the one compiled step)."""

from tapeflow.keras import (
    activations,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
)
from tapeflow.keras.models import Input, Model, Sequential

__all__ = ["Input", "Model", "Sequential", "activations", "initializers", "layers", "losses",
           "metrics", "models", "optimizers"]
