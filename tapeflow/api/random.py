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

# ---- sweep-nn2: samplers built from the generator's draws ------------------------------------
from tapeflow.tracer.random_more import gamma, poisson, shuffle  # noqa: F401

# ---- sweep-linalg3: stateless samplers and seed utilities ------------------------------------
from tapeflow.tracer.random_stateless import (  # noqa: F401
    create_rng_state,
    fold_in,
    split,
    stateless_binomial,
    stateless_gamma,
    stateless_parameterized_truncated_normal,
    stateless_poisson,
)
