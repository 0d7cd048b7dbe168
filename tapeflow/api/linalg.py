"""`tf.linalg`."""

from tapeflow.ops import (  # noqa: F401
    cholesky,
    det,
    einsum,
    eye,
    inv,
    matmul,
    matrix_transpose,
    norm,
    solve,
    svd,
    tensordot,
    transpose,
)

from tapeflow.ops.matrix import adjoint  # noqa: E402, F401
