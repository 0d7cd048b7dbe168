"""`tf.random`."""

from tapeflow.tracer.creation import normal, set_seed, uniform  # noqa: F401
