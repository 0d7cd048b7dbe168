"""`tf.keras`, as far as the seed notebooks reach: `tf.keras.layers.Dense`."""

import types

from tapeflow.tracer.module import Dense

layers = types.SimpleNamespace(Dense=Dense)
