"""tf.linalg's LU family, expm, pinv, matrix_rank, cholesky_solve and the banded solvers
(ops/matrix_functions.py, ops/linalg_more.py): values against TensorFlow 2.21's (printed by
it for these inputs), gradients against finite differences in float64, compiled against
eager, and the errors TF raises."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.backends import set_default_backend

A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]])


def _fd_grad(f, x, eps=1e-6):
    """Central finite differences of the scalar f at x (float64)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def _tape_grad(f, x):
    v = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = f(v)
    return tape.gradient(y, v).numpy()


# ---- lu ----------------------------------------------------------------------------------------


def test_lu_packs_factors_and_permutation_as_tf():
    lu, p = tf.linalg.lu(tf.constant(A, tf.float32))
    # TF 2.21: lu = [[7, 8, 10], [0.14285715, 0.8571428, 1.5714285], [0.5714286, 0.4999998,
    # -0.49999982]], p = [2, 0, 1] (int32).
    np.testing.assert_allclose(lu.numpy(), [[7, 8, 10], [1 / 7, 6 / 7, 11 / 7],
                                            [4 / 7, 0.5, -0.5]], rtol=1e-5)
    assert p.dtype == tf.int32 and p.numpy().tolist() == [2, 0, 1]
    assert tf.linalg.lu(A, output_idx_type=tf.int64).p.dtype == tf.int64
    lower = np.tril(lu.numpy(), -1) + np.eye(3)
    np.testing.assert_allclose(A[p.numpy()], lower @ np.triu(lu.numpy()), rtol=1e-5)


def test_lu_family_round_trips():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 4))
    lu, p = tf.linalg.lu(x)
    np.testing.assert_allclose(tf.linalg.lu_reconstruct(lu, p).numpy(), x, atol=1e-12)
    np.testing.assert_allclose(tf.linalg.lu_matrix_inverse(lu, p).numpy(), np.linalg.inv(x),
                               rtol=1e-9, atol=1e-12)
    b = rng.standard_normal((2, 4, 3))
    np.testing.assert_allclose(tf.linalg.lu_solve(lu, p, b).numpy(), np.linalg.solve(x, b),
                               rtol=1e-9, atol=1e-12)
    # A batch of right-hand sides against one matrix broadcasts.
    lu1, p1 = tf.linalg.lu(x[0])
    np.testing.assert_allclose(tf.linalg.lu_solve(lu1, p1, b).numpy(),
                               np.linalg.solve(x[0], b), rtol=1e-9, atol=1e-12)


def test_lu_errors_are_tfs():
    with pytest.raises(tf.errors.InvalidArgumentError, match="lu: input must be square"):
        tf.linalg.lu(tf.ones((2, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="lu: the input is not invertible"):
        tf.linalg.lu(tf.ones((2, 2)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="float tensor"):
        tf.linalg.lu(tf.ones((2, 2), tf.int32))
    with pytest.raises(ValueError, match=r"lu_solve: `rhs` must be \[..., 2, k\]"):
        tf.linalg.lu_solve(tf.eye(2), tf.constant([0, 1]), tf.ones((3, 1)))


def test_lu_has_no_gradient_but_lu_solve_differentiates_through_its_factors():
    x = tf.Variable(A)
    with tf.GradientTape() as tape:
        lu, _ = tf.linalg.lu(x)
        loss = tf.reduce_sum(lu)
    with pytest.raises(LookupError, match="no entry for: Lu"):
        tape.gradient(loss, x)
    lu, p = tf.linalg.lu(A)
    b = np.array([[1.0], [2.0], [3.0]])
    got = _tape_grad(lambda v: tf.reduce_sum(tf.linalg.lu_solve(v, p, b) ** 2), lu.numpy())
    want = _fd_grad(lambda v: np.sum(tf.linalg.lu_solve(v, p, b).numpy() ** 2), lu.numpy())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


# ---- expm --------------------------------------------------------------------------------------


def test_expm_matches_tf():
    # TF 2.21 prints these.
    np.testing.assert_allclose(
        tf.linalg.expm(tf.constant([[0.0, 1.0], [-1.0, 0.0]])).numpy(),
        [[0.5403023, 0.84147096], [-0.8414711, 0.54030234]], rtol=1e-6)
    np.testing.assert_allclose(
        tf.linalg.expm(tf.constant([[0.0, 10.0], [-10.0, 0.0]], tf.float64)).numpy(),
        [[-0.83907153, -0.54402111], [0.54402111, -0.83907153]], rtol=1e-8)
    assert tf.linalg.expm(tf.zeros((0, 3, 3))).shape == (0, 3, 3)


def test_expm_non_finite_input_makes_the_batch_nan_as_tf():
    x = np.stack([np.eye(2), np.full((2, 2), np.inf)])
    assert np.isnan(tf.linalg.expm(x).numpy()).all()


def test_expm_gradient_matches_finite_differences_and_tf():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    for x in (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.01, -0.02], [0.03, 0.0]])):
        got = _tape_grad(lambda v: tf.reduce_sum(tf.linalg.expm(v) * w), x)
        want = _fd_grad(lambda v: np.sum(tf.linalg.expm(v).numpy() * w), x)
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # TF 2.21's float32 gradient at [[1, 2], [3, 4]] (through its own squarings).
    at_tf = _tape_grad(lambda v: tf.reduce_sum(tf.linalg.expm(v) * w),
                       np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose(at_tf, [[288.47656, 579.8828], [448.87207, 905.73047]],
                               rtol=2e-4)


def test_expm_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="expm: input must be square"):
        tf.linalg.expm(tf.ones((2, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="float tensor"):
        tf.linalg.expm(tf.ones((2, 2), tf.int32))


# ---- pinv, matrix_rank, cholesky_solve, global_norm -------------------------------------------


def test_pinv_and_matrix_rank_match_tf():
    m = tf.constant([[1.0, 2.0], [2.0, 4.0], [0.0, 1.0]])
    # TF 2.21: [[0.2, 0.4, -2.0], [~0, ~0, 1.0]].
    np.testing.assert_allclose(tf.linalg.pinv(m).numpy(), [[0.2, 0.4, -2.0], [0, 0, 1]],
                               atol=1e-6)
    r = tf.linalg.matrix_rank(tf.constant([[1.0, 2.0], [2.0, 4.0]]))
    assert r.dtype == tf.int32 and int(r) == 1
    assert tf.linalg.matrix_rank(np.eye(3)[None].repeat(2, 0)).numpy().tolist() == [3, 3]
    assert int(tf.linalg.matrix_rank([[1.0, 0.0], [0.0, 1e-3]], tol=1e-2)) == 1
    with pytest.raises(ValueError, match="pinv: input `a` must have at least 2 dimensions"):
        tf.linalg.pinv(tf.ones((3,)))


def test_pinv_gradient_matches_finite_differences():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    w = np.arange(6.0).reshape(2, 3)
    got = _tape_grad(lambda v: tf.reduce_sum(tf.linalg.pinv(v) * w), x)
    want = _fd_grad(lambda v: np.sum(tf.linalg.pinv(v).numpy() * w), x)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_cholesky_solve_and_its_gradient():
    spd = np.array([[4.0, 2.0], [2.0, 3.0]])
    b = np.array([[1.0], [2.0]])
    chol = np.linalg.cholesky(spd)
    np.testing.assert_allclose(tf.linalg.cholesky_solve(chol, b).numpy(),
                               np.linalg.solve(spd, b), rtol=1e-12)
    got = _tape_grad(lambda v: tf.reduce_sum(tf.linalg.cholesky_solve(chol, v) ** 2), b)
    want = _fd_grad(lambda v: np.sum(tf.linalg.cholesky_solve(chol, v).numpy() ** 2), b)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="cholesky_solve: `rhs`"):
        tf.linalg.cholesky_solve(tf.eye(2), tf.ones((3, 1)))


def test_global_norm_skips_none_and_is_zero_for_none_only():
    got = tf.linalg.global_norm([tf.constant([3.0, 4.0]), None, tf.constant(12.0)])
    assert float(got) == 13.0
    zero = tf.linalg.global_norm([None])
    assert zero.dtype == tf.float32 and float(zero) == 0.0


# ---- tridiagonal and banded solves -------------------------------------------------------------


def test_tridiagonal_solve_formats_match_tf():
    diags = np.array([[2.0, 3.0, 0.0], [1.0, 4.0, 5.0], [0.0, 6.0, 7.0]], np.float32)
    want = [0.04918033, 0.47540984, -0.06557377]  # TF 2.21
    np.testing.assert_allclose(tf.linalg.tridiagonal_solve(diags, [1.0, 2.0, 3.0]).numpy(),
                               want, rtol=1e-6)
    np.testing.assert_allclose(
        tf.linalg.tridiagonal_solve(diags, [[1.0], [2.0], [3.0]]).numpy()[:, 0], want,
        rtol=1e-6)
    seq = [tf.constant(d) for d in diags]
    np.testing.assert_allclose(tf.linalg.tridiagonal_solve(
        seq, tf.constant([1.0, 2.0, 3.0]), diagonals_format="sequence").numpy(), want,
        rtol=1e-6)
    dense = np.diag(diags[1]) + np.diag(diags[0, :2], 1) + np.diag(diags[2, 1:], -1)
    np.testing.assert_allclose(tf.linalg.tridiagonal_solve(
        dense, tf.constant([1.0, 2.0, 3.0]), diagonals_format="matrix").numpy(), want,
        rtol=1e-6)
    with pytest.raises(ValueError, match="expected 3 diagonals got 2"):
        tf.linalg.tridiagonal_solve(tf.ones((2, 3)), tf.ones((3,)))


def test_banded_triangular_solve_matches_tf_layout():
    bands = tf.constant([[1.0, 1.0, 1.0], [2.0, 3.0, 4.0]])
    rhs = tf.constant([[1.0], [2.0], [3.0]])
    # TF 2.21: lower, bands[1] is the subdiagonal with its first element unused.
    np.testing.assert_allclose(tf.linalg.banded_triangular_solve(bands, rhs).numpy(),
                               [[1.0], [-1.0], [7.0]])
    upper = np.array([[2.0, 3.0, 9.0], [1.0, 1.0, 2.0]])  # superdiagonal, then diagonal
    dense = np.diag(upper[1]) + np.diag(upper[0, :2], 1)
    np.testing.assert_allclose(
        tf.linalg.banded_triangular_solve(upper, np.ones((3, 1)), lower=False).numpy(),
        np.linalg.solve(dense, np.ones((3, 1))), rtol=1e-12)


def test_tridiagonal_solve_gradient_matches_finite_differences():
    diags = np.array([[2.0, 0.5, 0.0], [4.0, 5.0, 6.0], [0.0, 1.0, -1.0]])
    b = np.array([1.0, 2.0, 3.0])
    got = _tape_grad(lambda d: tf.reduce_sum(tf.linalg.tridiagonal_solve(d, b) ** 2), diags)
    want = _fd_grad(lambda d: np.sum(tf.linalg.tridiagonal_solve(d, b).numpy() ** 2), diags)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


# ---- compiled against eager --------------------------------------------------------------------


def test_compiled_matches_eager(backend):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 4)) * 2.0
    b = rng.standard_normal((2, 4, 2))

    def f(x, b):
        lu, p = tf.linalg.lu(x)
        return (lu, p, tf.linalg.lu_solve(lu, p, b), tf.linalg.expm(x),
                tf.linalg.expm(tf.cast(x, tf.float32)), tf.linalg.pinv(x),
                tf.linalg.matrix_rank(x))

    previous = set_default_backend(backend)
    try:
        got = tf.function(f)(tf.constant(x), tf.constant(b))
    finally:
        set_default_backend(previous)
    for g, want in zip(got, f(tf.constant(x), tf.constant(b))):
        np.testing.assert_allclose(g.numpy(), want.numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.slow
def test_compiled_lu_of_a_singular_matrix_raises_naming_lu():
    step = tf.function(lambda x: tf.linalg.lu(x).lu)  # the slow tier compiles
    with pytest.raises(tf.errors.InvalidArgumentError, match="lu"):
        step(tf.ones((3, 3)))
