"""tf.linalg.qr, eigh and eigvalsh (ops/decompositions.py): what TensorFlow 2.21 returns and
raises where the op table's generic checks do not reach (gradient values TF prints, refused
gradients, equal eigenvalues, the triangle eigh reads, bad input). Values marked "TF 2.21"
were printed by TensorFlow for the same input."""

import numpy as np
import pytest

import tapeflow as tf

A32 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32)


def _grad(f, x, dtype=None):
    v = tf.Variable(x) if dtype is None else tf.Variable(x, dtype=dtype)
    with tf.GradientTape() as tape:
        y = f(v)
    return tape.gradient(y, v).numpy()


def test_qr_is_a_namedtuple_with_lapack_signs():
    q, r = out = tf.linalg.qr(tf.constant(A32))
    assert type(out).__name__ == "Qr" and out.q is q and out.r is r
    np.testing.assert_allclose(q.numpy(), [[-0.16903079, 0.897085], [-0.5070925, 0.2760267],
                                           [-0.8451542, -0.34503305]], rtol=2e-6)  # TF 2.21
    np.testing.assert_allclose(r.numpy(), [[-5.91608, -7.437357], [0.0, 0.82807845]],
                               rtol=2e-6)
    assert r.numpy()[1, 0] == 0.0


@pytest.mark.parametrize("shape, full, q_shape, r_shape", [
    ((3, 2), False, (3, 2), (2, 2)),
    ((3, 2), True, (3, 3), (3, 2)),
    ((2, 3), False, (2, 2), (2, 3)),
    ((2, 3), True, (2, 2), (2, 3)),
    ((2, 4, 3), False, (2, 4, 3), (2, 3, 3)),
])
def test_qr_shapes(shape, full, q_shape, r_shape):
    x = np.random.default_rng(0).standard_normal(shape)
    q, r = tf.linalg.qr(x, full_matrices=full)
    assert (q.shape, r.shape) == (q_shape, r_shape)
    np.testing.assert_allclose((q @ r).numpy(), x, atol=1e-12)


def test_qr_gradient_of_a_wide_matrix_is_tensorflows():
    # TF 2.21: d(sum q + sum r)/dA for A = A32^T (2 x 3), full_matrices either way.
    want = [[3.8460386, -1.3416418, -1.3416407], [-3.0410504, -0.44721466, -0.4472136]]
    for full in (False, True):
        def loss(x, full=full):
            q, r = tf.linalg.qr(x, full_matrices=full)
            return tf.reduce_sum(q) + tf.reduce_sum(r)

        got = _grad(loss, A32.T.copy())
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)


def test_qr_gradient_of_a_tall_matrix_is_tensorflows():
    got = _grad(lambda x: tf.reduce_sum(tf.linalg.qr(x)[0]) + tf.reduce_sum(tf.linalg.qr(x)[1]),
                A32)
    # Reduced QR of a tall matrix: Roberts & Roberts' rule, checked in float64 below.
    x = A32.astype(np.float64)
    eps, numeric = 1e-6, np.zeros_like(x)
    for j in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[j] = eps
        numeric[j] = (sum(map(np.sum, np.linalg.qr(x + d)))
                      - sum(map(np.sum, np.linalg.qr(x - d)))) / (2 * eps)
    np.testing.assert_allclose(got, numeric, rtol=1e-4, atol=1e-4)


def test_qr_gradient_tall_full_matrices_is_refused_as_in_tensorflow():
    x = tf.Variable(A32)
    with tf.GradientTape() as tape:
        q, r = tf.linalg.qr(x, full_matrices=True)
        loss = tf.reduce_sum(q) + tf.reduce_sum(r)
    with pytest.raises(NotImplementedError, match=r"qr: .* nrows > ncols and full_matrices "
                                                  r"is true \(input f32\[3,2\]\)"):
        tape.gradient(loss, x)


def test_qr_of_nan_is_nan_eagerly():
    q, r = tf.linalg.qr(tf.constant([[1.0, np.nan], [np.nan, 1.0]]))
    assert np.isnan(q.numpy()).all()
    assert r.numpy()[1, 0] == 0.0  # TF 2.21: R keeps its zero below the diagonal


def test_eigh_ascending_and_reads_the_lower_triangle():
    e, v = tf.linalg.eigh(tf.constant([[2.0, 1.0], [1.0, 3.0]]))
    np.testing.assert_allclose(e.numpy(), [1.3819659, 3.6180334], rtol=1e-6)  # TF 2.21
    # Eigenvectors up to sign (TF's Eigen kernel and LAPACK may pick either).
    np.testing.assert_allclose(np.abs(v.numpy()), [[0.8506507, 0.52573115],
                                                   [0.52573115, 0.8506507]], rtol=1e-6)
    # Only the lower triangle is read: the 5 above the diagonal is ignored, as in TF.
    lower = tf.constant([[2.0, 5.0], [1.0, 3.0]], tf.float64)
    np.testing.assert_allclose(tf.linalg.eigvalsh(lower).numpy(), [1.38196601, 3.61803399])


def test_eigh_batched_and_empty():
    x = np.arange(8.0).reshape(2, 2, 2)
    e, v = tf.linalg.eigh(x)
    assert e.shape == (2, 2) and v.shape == (2, 2, 2)
    np.testing.assert_allclose(e.numpy(), [[-1.0, 4.0], [-0.6846585, 11.684659]], rtol=1e-6)
    e, v = tf.linalg.eigh(tf.zeros([0, 0]))
    assert e.shape == (0,) and v.shape == (0, 0)


def test_eigh_gradient_is_tensorflows_lower_triangle():
    x = [[2.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 4.0]]
    want = [[1.39428759, 0.0, 0.0], [1.14615457, 1.91009945, 0.0],
            [0.81322258, 0.55435069, 2.69561296]]  # TF 2.21

    def loss(a):
        e, v = tf.linalg.eigh(a)
        return (tf.reduce_sum(e * [1.0, 2.0, 3.0])
                + tf.reduce_sum(tf.square(v) * [[1.0, 2.0, 3.0]]))

    np.testing.assert_allclose(_grad(loss, x, tf.float64), want, rtol=1e-8)
    got = _grad(lambda a: tf.reduce_sum(tf.linalg.eigvalsh(a) * [1.0, 2.0, 3.0]), x,
                tf.float64)
    np.testing.assert_allclose(got, want, rtol=1e-8)


def test_eigh_gradient_with_equal_eigenvalues_is_zero_not_nan():
    # TF's safe reciprocal: F is 0 where e_i == e_j (TF 2.21 prints zeros here).
    got = _grad(lambda a: tf.reduce_sum(tf.linalg.eigh(a)[1]), np.eye(2))
    np.testing.assert_array_equal(got, np.zeros((2, 2)))


@pytest.mark.parametrize("op", [tf.linalg.eigh, tf.linalg.eigvalsh])
def test_eigh_of_nan_in_the_lower_triangle_raises(op):
    with pytest.raises(tf.errors.InvalidArgumentError, match="eigh: self-adjoint eigen "
                                                             "decomposition was not successful"):
        op(tf.constant([[1.0, 0.0], [np.nan, 1.0]]))
    op(tf.constant([[1.0, np.nan], [2.0, 1.0]]))  # upper triangle: not read


@pytest.mark.parametrize("call, error, match", [
    (lambda: tf.linalg.eigh(tf.ones([2, 3])), tf.errors.InvalidArgumentError,
     r"eigh: tensor must be square matrices \[\.\.\., n, n\], got f32\[2,3\]"),
    (lambda: tf.linalg.eigvalsh(tf.ones([2, 3, 4])), tf.errors.InvalidArgumentError,
     r"eigvalsh: tensor must be square .* f32\[2,3,4\]"),
    (lambda: tf.linalg.eigh(tf.ones([3])), tf.errors.InvalidArgumentError,
     r"eigh: tensor must have rank >= 2 .* f32\[3\] of rank 1"),
    (lambda: tf.linalg.qr(tf.constant(1.0)), tf.errors.InvalidArgumentError,
     r"qr: input must have rank >= 2 .* f32\[\] of rank 0"),
    (lambda: tf.linalg.qr(tf.constant([[1, 2], [3, 4]])), tf.errors.InvalidArgumentError,
     r"qr: input must be a float tensor, got i32\[2,2\]"),
    (lambda: tf.linalg.eigvalsh(tf.constant([[1, 2], [3, 4]])), TypeError,
     r"eigvalsh: tensor must be a float tensor"),
], ids=["eigh-not-square", "eigvalsh-not-square", "eigh-rank", "qr-rank", "qr-int",
        "eigvalsh-int"])
def test_bad_input_names_the_op_argument_and_shape(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.slow
def test_compiled_eigh_of_nan_names_the_op():
    f = tf.function(lambda x: tf.linalg.eigvalsh(x))
    f(tf.constant(np.eye(2)))
    f(tf.constant(2 * np.eye(2)))  # compiled
    with pytest.raises(tf.errors.InvalidArgumentError, match="eigh at .*: the input is not "
                                                             "finite"):
        f(tf.constant(np.array([[1.0, 0.0], [np.nan, 1.0]])))
