"""`tf.linalg`."""

from tapeflow.ops import matmul, norm, tensordot, transpose  # noqa: F401
