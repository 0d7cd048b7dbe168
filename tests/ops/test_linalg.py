"""Matrix products and conjugates (ops/linalg.py) and norms, as TensorFlow computes them."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops import PRIMITIVES

Z = np.array([[1 + 2j, 3 - 1j], [0.5j, -2 + 0j]])


def test_transpose_conjugate_conjugates_complex_tensors():
    got = tf.transpose(tf.constant(Z), conjugate=True).numpy()
    np.testing.assert_array_equal(got, Z.conj().T)
    np.testing.assert_array_equal(tf.transpose(tf.constant(Z)).numpy(), Z.T)
    # A real tensor is its own conjugate.
    x = tf.constant([[1.0, 2.0]])
    np.testing.assert_array_equal(tf.transpose(x, conjugate=True).numpy(), [[1.0], [2.0]])


def test_matrix_transpose_conjugate_and_adjoint():
    z = tf.constant(Z[None])
    np.testing.assert_array_equal(tf.linalg.matrix_transpose(z, conjugate=True).numpy(),
                                  np.swapaxes(Z[None], -1, -2).conj())
    np.testing.assert_array_equal(tf.linalg.adjoint(z).numpy(),
                                  np.swapaxes(Z[None], -1, -2).conj())
    with pytest.raises(ValueError):
        tf.linalg.matrix_transpose(tf.constant([1.0, 2.0]))


def test_matmul_adjoint_arguments():
    z = tf.constant(Z)
    np.testing.assert_allclose(tf.matmul(z, z, adjoint_b=True).numpy(), Z @ Z.conj().T)
    np.testing.assert_allclose(tf.matmul(z, z, adjoint_a=True).numpy(), Z.conj().T @ Z)
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(tf.matmul(a, a, adjoint_a=True).numpy(),
                                  tf.matmul(a, a, transpose_a=True).numpy())
    with pytest.raises(ValueError):
        tf.matmul(a, a, transpose_a=True, adjoint_a=True)


def test_conj_vjp_conjugates_the_cotangent():
    g = tf.constant(np.array([1 + 1j, 2 - 3j]))
    x = tf.constant(np.array([0j, 1j]))
    (dx,) = PRIMITIVES["conj"].vjp([g], [tf.math.conj(x)], [x], [True])
    np.testing.assert_array_equal(dx.numpy(), np.conj(g.numpy()))


M = np.array([[1.0, -2.0], [3.0, 4.0]], dtype=np.float32)


@pytest.mark.parametrize("ord, want", [
    (1, 6.0),                                    # the largest column sum of |m|
    (np.inf, 7.0),                               # the largest row sum
    ("fro", np.sqrt(30.0)),
    ("euclidean", np.sqrt(30.0)),
    (2, np.linalg.svd(M.astype(np.float64), compute_uv=False)[0]),
])
def test_matrix_norms_over_a_pair_of_axes(ord, want):
    got = tf.norm(tf.constant(M), ord=ord, axis=[-2, -1])
    assert got.shape == ()
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


def test_matrix_norm_keepdims_and_batch():
    x = tf.constant(np.stack([M, 2 * M]))
    got = tf.norm(x, ord=1, axis=[1, 2], keepdims=True)
    assert got.shape == (2, 1, 1)
    np.testing.assert_allclose(got.numpy().ravel(), [6.0, 12.0])
    # Rows and columns are the axes in the order given: [2, 1] swaps them.
    np.testing.assert_allclose(tf.norm(x, ord=1, axis=[2, 1]).numpy(), [7.0, 14.0])


def test_vector_p_norm_and_invalid_ords():
    x = tf.constant([3.0, -4.0])
    np.testing.assert_allclose(tf.norm(x, ord=3).numpy(), (27 + 64) ** (1 / 3), rtol=1e-6)
    with pytest.raises(ValueError):
        tf.norm(x, ord="fro")
    with pytest.raises(ValueError):
        tf.norm(tf.constant(M), ord=3, axis=[0, 1])
