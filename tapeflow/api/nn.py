"""`tf.nn`."""

from tapeflow.ops import (  # noqa: F401
    elu,
    gelu,
    l2_normalize,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    moments,
    relu,
    relu6,
    selu,
    sigmoid,
    sigmoid_cross_entropy_with_logits,
    silu,
    softmax,
    softmax_cross_entropy_with_logits,
    softplus,
    softsign,
    sparse_softmax_cross_entropy_with_logits,
    swish,
    tanh,
    top_k,
)
from tapeflow.ops.conv import conv2d  # noqa: F401
