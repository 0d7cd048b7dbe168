"""Conformance tests for seed notebook 004
(tf.Variable, Gradient Tape, Matrices, Gradient Descent).

Every code cell is re-run with `import tapeflow as tf` and the printed output is
asserted. The gradient-descent cell In[36] is checked both against the printed
matrix and against a hand computation: J = ||A x||, dJ/dA = (A x / J) x^T,
A_new = A0 - 0.001 * dJ/dA.
"""
import re

import numpy as np

import tapeflow as tf


def test_seed004_cell2_import():
    import tapeflow as tf  # noqa: F811
    assert hasattr(tf, 'Variable')


def test_seed004_cell6_int_variable_square(capsys):
    def f(val):
        x = tf.Variable(val, name='x')
        return x**2


    res = f(10)
    print(res)

    out = capsys.readouterr().out
    assert '(100, shape=(), dtype=int32)' in out
    assert res.dtype == tf.int32
    assert res.numpy().dtype == np.int32
    assert res.shape == ()
    assert int(res.numpy()) == 100


def test_seed004_cell24_polynomial_derivative(capsys):
    # A function that knows nothing about AutoDiff.
    def f(x):
        return x**2 + 2 * x + 1


    # The independent variable needs to be a TF variable.
    x = tf.Variable(3.0, dtype=tf.float32)

    # All operations on the variable and its resulting tensors
    # will be tracked within the gradient tape context.
    with tf.GradientTape() as tape:
        y = f(x)

    # Use the computation graph tracked by the tape.
    dy_dx = tape.gradient(y, x)
    print(dy_dx)


    # Let's manually verify the result
    def df_dx(x):
        return 2 * x + 2


    print(df_dx(x))  # close enough

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    # TF printed 7.9999995 (float32 rounding of an exact 8)
    assert re.search(r'\((7\.9999995|8\.0), shape=\(\), dtype=float32\)$', lines[0]), lines[0]
    assert lines[1].endswith('(8.0, shape=(), dtype=float32)'), lines[1]
    assert dy_dx.dtype == tf.float32
    assert dy_dx.numpy().dtype == np.float32
    np.testing.assert_allclose(dy_dx.numpy(), 7.9999995, rtol=1e-6)
    np.testing.assert_allclose(y.numpy(), 16.0, rtol=1e-6)
    assert df_dx(x).numpy() == np.float32(8.0)


def _cell33():
    A = tf.Variable([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=float)
    x = tf.Variable([[100], [200], [300]], dtype=float)

    with tf.GradientTape() as tape:
        b = A @ x

    db_dx, db_dA = tape.gradient(b, [x, A])
    return A, x, b, db_dx, db_dA


def test_seed004_cell33_matrix_gradients(capsys):
    A, x, b, db_dx, db_dA = _cell33()
    print(db_dx)
    print(db_dA)

    assert A.dtype == tf.float32 and x.dtype == tf.float32
    assert b.shape == (3, 1)
    np.testing.assert_allclose(b.numpy(), [[1400.], [3200.], [5000.]], rtol=1e-6)

    assert db_dx.shape == (3, 1) and db_dx.dtype == tf.float32
    assert db_dA.shape == (3, 3) and db_dA.dtype == tf.float32
    np.testing.assert_array_equal(db_dx.numpy(), [[12.], [15.], [18.]])
    np.testing.assert_array_equal(db_dA.numpy(), [[100., 200., 300.]] * 3)

    out = capsys.readouterr().out
    assert '[[12.]\n [15.]\n [18.]], shape=(3, 1), dtype=float32)' in out
    assert ('[[100. 200. 300.]\n [100. 200. 300.]\n [100. 200. 300.]], '
            'shape=(3, 3), dtype=float32)') in out


def test_seed004_cell36_gradient_descent_step():
    A = tf.Variable([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=float)
    x = tf.Variable([[100], [200], [300]], dtype=float)
    alpha = 0.001

    with tf.GradientTape() as tape:
        b = A @ x
        J = tf.norm(b)

    dJ_dA = tape.gradient(J, A)
    out = A.assign_add(-0.001 * dJ_dA)

    # hand computation in float64
    A0 = np.arange(1, 10, dtype=np.float64).reshape(3, 3)
    xv = np.array([[100.], [200.], [300.]])
    bv = A0 @ xv
    Jv = np.linalg.norm(bv)
    dJ_dA_ref = (bv / Jv) @ xv.T
    A_ref = A0 - alpha * dJ_dA_ref

    np.testing.assert_allclose(J.numpy(), Jv, rtol=1e-6)
    assert dJ_dA.shape == (3, 3) and dJ_dA.dtype == tf.float32
    np.testing.assert_allclose(dJ_dA.numpy(), dJ_dA_ref, rtol=1e-6)

    printed = np.array([[0.9770461, 1.9540921, 2.9311383],
                        [3.9475338, 4.8950677, 5.842602],
                        [6.9180217, 7.8360434, 8.7540655]], dtype=np.float32)
    np.testing.assert_allclose(A.numpy(), printed, rtol=1e-6)
    np.testing.assert_allclose(A.numpy(), A_ref, rtol=1e-6)
    assert A.dtype == tf.float32 and A.shape == (3, 3)

    # the displayed value of the cell is the assign_add result
    np.testing.assert_allclose(out.numpy(), printed, rtol=1e-6)
    r = repr(out)
    assert 'shape=(3, 3) dtype=float32' in r
    assert 'numpy=' in r
