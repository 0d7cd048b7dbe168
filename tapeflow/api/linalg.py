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
from tapeflow.ops.matrix_parts import (  # noqa: E402, F401
    band_part,
    cross,
    diag,
    diag_part,
    logdet,
    lstsq,
    matvec,
    normalize,
    set_diag,
    slogdet,
    tensor_diag,
    tensor_diag_part,
    trace,
    triangular_solve,
)
from tapeflow.ops.extras import l2_normalize  # noqa: E402, F401
from tapeflow.ops.decompositions import eigh, eigvalsh, qr  # noqa: F401

# ---- sweep-linalg3: LU, expm, pinv, banded systems ---------------------------------------------
from tapeflow.ops.clip import global_norm  # noqa: E402, F401
from tapeflow.ops.linalg_more import (  # noqa: E402, F401
    banded_triangular_solve,
    cholesky_solve,
    lu_matrix_inverse,
    lu_reconstruct,
    lu_solve,
    matrix_rank,
    pinv,
    tridiagonal_solve,
)
from tapeflow.ops.matrix_functions import expm, lu  # noqa: E402, F401
