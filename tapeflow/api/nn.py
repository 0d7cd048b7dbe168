"""`tf.nn`."""

from tapeflow.ops import (  # noqa: F401
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    sparse_softmax_cross_entropy_with_logits,
    tanh,
)
