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

# ---- sweep-nn2: pooling and the convolutions built on conv2d's window taps ------------------
from tapeflow.ops.conv_more import conv1d, conv2d_transpose, depthwise_conv2d  # noqa: F401
from tapeflow.ops.nn_more import (  # noqa: F401
    batch_normalization,
    bias_add,
    compute_average_loss,
    crelu,
    embedding_lookup,
    l2_loss,
    log_poisson_loss,
    normalize_moments,
    scale_regularization_loss,
    weighted_cross_entropy_with_logits,
)
from tapeflow.ops.pooling import (  # noqa: F401
    avg_pool,
    avg_pool1d,
    avg_pool2d,
    max_pool,
    max_pool1d,
    max_pool2d,
)


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """`tf.nn.dropout` (tapeflow/tracer/random_more.py), imported on first use: tf.random's
    generators stay out of `import tapeflow`."""
    from tapeflow.tracer.random_more import dropout as _dropout

    return _dropout(x, rate, noise_shape=noise_shape, seed=seed, name=name)
