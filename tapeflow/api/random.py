"""`tf.random`."""

from tapeflow.tracer.random import (  # noqa: F401
    Generator,
    categorical,
    get_global_generator,
    normal,
    set_global_generator,
    set_seed,
    stateless_categorical,
    stateless_normal,
    stateless_truncated_normal,
    stateless_uniform,
    truncated_normal,
    uniform,
)
