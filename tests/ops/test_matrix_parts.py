"""Parts of matrices and composite linear algebra (ops/matrix_parts.py) against numpy."""

import numpy as np
import pytest

import tapeflow as tf

A = np.arange(1.0, 13.0).reshape(3, 4)


@pytest.mark.parametrize("lo, hi", [(1, 0), (0, -1), (-1, 1), (0, 0), (2, 3)])
def test_band_part_keeps_the_band(lo, hi):
    i, j = np.indices(A.shape)
    keep = ((lo < 0) | (i - j <= lo)) & ((hi < 0) | (j - i <= hi))
    np.testing.assert_array_equal(tf.linalg.band_part(tf.constant(A), lo, hi).numpy(),
                                  np.where(keep, A, 0))


def test_band_part_does_not_turn_inf_outside_the_band_into_nan():
    x = tf.constant([[1.0, np.inf], [2.0, 3.0]])
    np.testing.assert_array_equal(tf.linalg.band_part(x, -1, 0).numpy(), [[1, 0], [2, 3]])


@pytest.mark.parametrize("k", [0, 1, 3, -1, -2])
def test_diag_part_and_set_diag_match_numpy(k):
    x = tf.constant(np.stack([A, -A]))
    want = np.stack([np.diagonal(A, k), np.diagonal(-A, k)])
    np.testing.assert_array_equal(tf.linalg.diag_part(x, k=k).numpy(), want)
    new = np.full(want.shape, 100.0)
    got = tf.linalg.set_diag(x, new, k=k).numpy()
    ref = np.stack([A, -A])
    i, j = np.indices(A.shape)
    ref[:, j - i == k] = 100.0
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_builds_square_matrices(k):
    d = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    got = tf.linalg.diag(d, k=k).numpy()
    want = np.stack([np.diag(row, k) for row in d])
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_trace_tensor_diag_and_their_gradients():
    x = tf.Variable(A[:, :3])
    with tf.GradientTape() as tape:
        t = tf.linalg.trace(x)
    assert t.numpy() == np.trace(A[:, :3])
    np.testing.assert_array_equal(tape.gradient(t, x).numpy(), np.eye(3))
    d = np.arange(6.0).reshape(2, 3)
    full = tf.linalg.tensor_diag(d)
    assert full.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(tf.linalg.tensor_diag_part(full).numpy(), d)


def test_matvec_cross_normalize():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(tf.linalg.matvec(a, [1.0, -1.0]).numpy(), a @ [1, -1])
    u, v = np.array([1.0, 2.0, 3.0]), np.array([-2.0, 0.5, 4.0])
    np.testing.assert_allclose(tf.linalg.cross(u, v).numpy(), np.cross(u, v))
    n, size = tf.linalg.normalize(tf.constant([3.0, 4.0]))
    np.testing.assert_allclose(n.numpy(), [0.6, 0.8])
    assert size.shape == (1,)


def test_slogdet_and_logdet():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    sign, logabs = tf.linalg.slogdet(m)
    assert sign.numpy() == -1.0
    np.testing.assert_allclose(logabs.numpy(), np.log(2.0))
    # The determinant of 300 * I (200 x 200) overflows float64; its log does not.
    _, big = tf.linalg.slogdet(300.0 * np.eye(200))
    np.testing.assert_allclose(big.numpy(), 200 * np.log(300.0))
    spd = np.array([[4.0, 2.0], [2.0, 3.0]])
    np.testing.assert_allclose(tf.linalg.logdet(spd).numpy(), np.log(np.linalg.det(spd)))
    x = tf.Variable(m)
    with tf.GradientTape() as tape:
        _, out = tf.linalg.slogdet(x)
    np.testing.assert_allclose(tape.gradient(out, x).numpy(), np.linalg.inv(m).T)


def test_triangular_solve_reads_one_triangle():
    m = np.array([[2.0, 7.0], [1.0, 4.0]])  # 7 is outside the lower triangle
    b = np.array([[2.0], [9.0]])
    np.testing.assert_allclose(tf.linalg.triangular_solve(m, b).numpy(),
                               np.linalg.solve(np.tril(m), b))
    np.testing.assert_allclose(tf.linalg.triangular_solve(m, b, lower=False).numpy(),
                               np.linalg.solve(np.triu(m), b))
    np.testing.assert_allclose(tf.linalg.triangular_solve(m, b, adjoint=True).numpy(),
                               np.linalg.solve(np.tril(m).T, b))


@pytest.mark.parametrize("shape", [(4, 2), (2, 4)])
def test_lstsq_matches_numpy(shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape), rng.standard_normal((shape[0], 2))
    want = np.linalg.lstsq(a, b, rcond=None)[0]
    np.testing.assert_allclose(tf.linalg.lstsq(a, b).numpy(), want, rtol=1e-8, atol=1e-10)


def test_composites_compile_to_the_eager_values():
    x = np.arange(1.0, 10.0).reshape(3, 3)

    @tf.function
    def parts(m):
        return (tf.linalg.band_part(m, 1, 0), tf.linalg.diag_part(m, k=-1),
                tf.linalg.trace(m), tf.linalg.slogdet(m + tf.eye(3, dtype=tf.float64))[1])

    for got, want in zip(parts(tf.constant(x)), [np.tril(np.triu(x, -1)), np.diagonal(x, -1),
                                                 np.trace(x),
                                                 np.linalg.slogdet(x + np.eye(3))[1]]):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
