"""`tf.keras`: the training surface, written with tapeflow's public ops and Variables (the
compiler sees nothing special in it: an optimizer's update is more equations of the step)."""

import types

from tapeflow.keras import optimizers
from tapeflow.tracer.module import Dense

layers = types.SimpleNamespace(Dense=Dense)

__all__ = ["layers", "optimizers"]
