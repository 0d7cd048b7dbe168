"""Conformance tests for seed notebook 002
("The gradient tape in TensorFlow", French notebook).

Every code cell is re-run with `import tapeflow as tf` and the displayed output is
asserted. Cells In[5], In[59] and In[65] draw with tf.random.uniform; for them the
relations that hold for any draw are asserted (y = 2x+3, y = x@W+b,
grad W = column sums of x broadcast over W's columns, grad b = number of rows),
and replay tests feed the values printed in the notebook.
"""
import numpy as np

import tapeflow as tf


def _check_tensor(t, shape, values, dtype=None, exact=False):
    dtype = tf.float32 if dtype is None else dtype
    assert t.shape == shape
    assert t.dtype == dtype
    if exact:
        np.testing.assert_array_equal(t.numpy(), values)
    else:
        np.testing.assert_allclose(t.numpy(), values, rtol=1e-6)


# ---------------------------------------------------------------- In[1]..In[4]

def _cell1():
    import tapeflow as tf  # noqa: F811
    x = tf.Variable(5.)
    with tf.GradientTape() as tape:
        y = 2 * x + 3
    grad_of_y_wrt_x = tape.gradient(y, x)
    return x, y, grad_of_y_wrt_x


def test_seed002_cell1_linear_gradient():
    x, y, grad_of_y_wrt_x = _cell1()
    _check_tensor(grad_of_y_wrt_x, (), 2.0)


def test_seed002_cell2_variable_repr():
    x, y, g = _cell1()
    out = x
    assert out.name == 'Variable:0'
    assert out.dtype == tf.float32
    assert out.shape == ()
    r = repr(out)
    assert "'Variable:0' shape=() dtype=float32, numpy=5.0>" in r
    assert 'Variable' in r.split("'")[0]


def test_seed002_cell3_y_repr():
    x, y, g = _cell1()
    _check_tensor(y, (), 13.0)
    assert 'shape=(), dtype=float32, numpy=13.0>' in repr(y)


def test_seed002_cell4_grad_repr():
    x, y, grad_of_y_wrt_x = _cell1()
    _check_tensor(grad_of_y_wrt_x, (), 2.0, exact=True)
    assert 'shape=(), dtype=float32, numpy=2.0>' in repr(grad_of_y_wrt_x)


# ---------------------------------------------------------------- In[5]..In[8]

def _cell5():
    x = tf.Variable(tf.random.uniform((2, 2)))
    with tf.GradientTape() as tape:
        y = 2 * x + 3
    grad_of_y_wrt_x = tape.gradient(y, x)
    return x, y, grad_of_y_wrt_x


def test_seed002_cell5_uniform_linear_gradient():
    x, y, grad_of_y_wrt_x = _cell5()
    _check_tensor(grad_of_y_wrt_x, (2, 2), np.full((2, 2), 2.0, np.float32), exact=True)


def test_seed002_cell6_uniform_variable():
    x, y, g = _cell5()
    out = x
    assert out.shape == (2, 2)
    assert out.dtype == tf.float32
    assert out.numpy().dtype == np.float32
    v = out.numpy()
    assert np.all(v >= 0.0) and np.all(v < 1.0)
    assert out.name == 'Variable:0'
    r = repr(out)
    assert "'Variable:0' shape=(2, 2) dtype=float32, numpy=" in r


def test_seed002_cell7_y_is_2x_plus_3():
    x, y, g = _cell5()
    assert y.shape == (2, 2)
    assert y.dtype == tf.float32
    xv = x.numpy()
    np.testing.assert_allclose(y.numpy(), 2 * xv + 3, rtol=1e-6)
    assert 'shape=(2, 2), dtype=float32' in repr(y)


def test_seed002_cell8_grad_all_twos():
    x, y, grad_of_y_wrt_x = _cell5()
    out = grad_of_y_wrt_x
    np.testing.assert_array_equal(out.numpy(), [[2., 2.], [2., 2.]])
    assert 'shape=(2, 2), dtype=float32' in repr(out)


def test_seed002_cell7_replay_printed_x():
    x = tf.Variable([[0.56578517, 0.5211791], [0.78022456, 0.22388434]])
    with tf.GradientTape() as tape:
        y = 2 * x + 3
    np.testing.assert_allclose(y.numpy(), [[4.1315703, 4.0423584], [4.560449, 3.4477687]],
                               rtol=1e-6)


# ---------------------------------------------------------------- In[9]..In[12]

def _cell9():
    x = tf.Variable(3.)
    with tf.GradientTape() as tape:
        y = x**2
    grad_of_y_wrt_x = tape.gradient(y, x)
    return x, y, grad_of_y_wrt_x


def test_seed002_cell9_square_gradient():
    x, y, grad_of_y_wrt_x = _cell9()
    _check_tensor(grad_of_y_wrt_x, (), 6.0)


def test_seed002_cell10_x_repr():
    x, y, g = _cell9()
    assert x.name == 'Variable:0'
    assert "'Variable:0' shape=() dtype=float32, numpy=3.0>" in repr(x)


def test_seed002_cell11_y_repr():
    x, y, g = _cell9()
    _check_tensor(y, (), 9.0)
    assert 'shape=(), dtype=float32, numpy=9.0>' in repr(y)


def test_seed002_cell12_grad_repr():
    x, y, grad_of_y_wrt_x = _cell9()
    _check_tensor(grad_of_y_wrt_x, (), 6.0)
    assert 'shape=(), dtype=float32, numpy=6.0>' in repr(grad_of_y_wrt_x)


# ---------------------------------------------------------------- In[13]..In[16]

def _cell13():
    x = tf.Variable([3., 4.])
    with tf.GradientTape() as tape:
        y = x**2
    grad_of_y_wrt_x = tape.gradient(y, x)
    return x, y, grad_of_y_wrt_x


def test_seed002_cell13_vector_square_gradient():
    x, y, grad_of_y_wrt_x = _cell13()
    _check_tensor(grad_of_y_wrt_x, (2,), [6., 8.])


def test_seed002_cell14_x_repr():
    x, y, g = _cell13()
    assert x.shape == (2,)
    assert x.dtype == tf.float32
    r = repr(x)
    assert "'Variable:0' shape=(2,) dtype=float32, numpy=array([3., 4.], dtype=float32)>" in r


def test_seed002_cell15_y_repr():
    x, y, g = _cell13()
    _check_tensor(y, (2,), [9., 16.])
    assert 'shape=(2,), dtype=float32, numpy=array([ 9., 16.], dtype=float32)>' in repr(y)


def test_seed002_cell16_grad_repr():
    x, y, grad_of_y_wrt_x = _cell13()
    _check_tensor(grad_of_y_wrt_x, (2,), [6., 8.])
    assert 'shape=(2,), dtype=float32, numpy=array([6., 8.], dtype=float32)>' in repr(
        grad_of_y_wrt_x)


# ---------------------------------------------------------------- In[17]..In[19]

def _cell17():
    x = tf.Variable([2., 3.])
    y = tf.Variable([4., 5.])
    with tf.GradientTape() as tape:
        z = x**2 + y**2
    grad_of_z_wrt_x_and_y = tape.gradient(z, [x, y])
    return x, y, z, grad_of_z_wrt_x_and_y


def test_seed002_cell17_two_variable_list_gradient():
    x, y, z, grad_of_z_wrt_x_and_y = _cell17()
    assert isinstance(grad_of_z_wrt_x_and_y, list)
    assert len(grad_of_z_wrt_x_and_y) == 2


def test_seed002_cell18_z_repr():
    x, y, z, g = _cell17()
    _check_tensor(z, (2,), [20., 34.])
    assert 'shape=(2,), dtype=float32, numpy=array([20., 34.], dtype=float32)>' in repr(z)


def test_seed002_cell19_gradient_list_values():
    x, y, z, grad_of_z_wrt_x_and_y = _cell17()
    gx, gy = grad_of_z_wrt_x_and_y
    _check_tensor(gx, (2,), [4., 6.])
    _check_tensor(gy, (2,), [8., 10.])
    r = repr(grad_of_z_wrt_x_and_y)
    assert r.startswith('[') and r.endswith(']')
    assert 'array([4., 6.], dtype=float32)' in r
    assert 'array([ 8., 10.], dtype=float32)' in r


# ---------------------------------------------------------------- In[20]..In[22]

def _cell20():
    x = tf.Variable([3., 4.])
    with tf.GradientTape() as tape:
        y = x[0]**2 + 4 * x[1]**2
    grad_of_y_wrt_x = tape.gradient(y, x)
    return x, y, grad_of_y_wrt_x


def test_seed002_cell20_indexing_gradient():
    x, y, grad_of_y_wrt_x = _cell20()
    assert grad_of_y_wrt_x.shape == (2,)


def test_seed002_cell21_y():
    x, y, g = _cell20()
    _check_tensor(y, (), 73.0)
    assert 'shape=(), dtype=float32, numpy=73.0>' in repr(y)


def test_seed002_cell22_grad():
    x, y, grad_of_y_wrt_x = _cell20()
    _check_tensor(grad_of_y_wrt_x, (2,), [6., 32.])
    assert 'array([ 6., 32.], dtype=float32)' in repr(grad_of_y_wrt_x)


# ---------------------------------------------------------------- In[54]..In[56]

def _cell54():
    x = tf.Variable([1., 2.])
    with tf.GradientTape() as tape:
        y = tf.convert_to_tensor([ x[0]**2 + x[1]**2, x[0]**2 + 2 * x[1]**2 , x[0]**2 + 3 * x[1]**2 ])
    grad_of_y_wrt_x = tape.gradient(y, x)
    return x, y, grad_of_y_wrt_x


def test_seed002_cell54_convert_to_tensor_gradient():
    x, y, grad_of_y_wrt_x = _cell54()
    assert grad_of_y_wrt_x is not None


def test_seed002_cell55_y():
    x, y, g = _cell54()
    _check_tensor(y, (3,), [5., 9., 13.])
    assert 'shape=(3,), dtype=float32, numpy=array([ 5.,  9., 13.], dtype=float32)>' in repr(y)


def test_seed002_cell56_grad():
    x, y, grad_of_y_wrt_x = _cell54()
    _check_tensor(grad_of_y_wrt_x, (2,), [6., 24.])
    assert 'array([ 6., 24.], dtype=float32)' in repr(grad_of_y_wrt_x)


# ---------------------------------------------------------------- In[51]..In[53]

def _cell51():
    x = tf.Variable([3., 4.])
    with tf.GradientTape() as tape:
        y = x[0] * x[1]
    grad_of_y_wrt_x = tape.gradient(y, x)
    return x, y, grad_of_y_wrt_x


def test_seed002_cell51_product_of_elements_gradient():
    x, y, grad_of_y_wrt_x = _cell51()
    assert grad_of_y_wrt_x.shape == (2,)


def test_seed002_cell52_y():
    x, y, g = _cell51()
    _check_tensor(y, (), 12.0)
    assert 'shape=(), dtype=float32, numpy=12.0>' in repr(y)


def test_seed002_cell53_grad():
    x, y, grad_of_y_wrt_x = _cell51()
    _check_tensor(grad_of_y_wrt_x, (2,), [4., 3.])
    assert 'array([4., 3.], dtype=float32)' in repr(grad_of_y_wrt_x)


# ---------------------------------------------------------------- In[59]..In[64]

def _cell59():
    W = tf.Variable(tf.random.uniform((1, 2)))
    b = tf.Variable(tf.zeros((2,)))
    x = tf.constant([[2.], [3.], [4.]])
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    grad_of_y_wrt_W_and_b = tape.gradient(y, [W, b])
    return W, b, x, y, grad_of_y_wrt_W_and_b


def test_seed002_cell59_matmul_gradients_shapes():
    W, b, x, y, grads = _cell59()
    assert isinstance(grads, list) and len(grads) == 2
    assert grads[0].shape == (1, 2)
    assert grads[1].shape == (2,)


def test_seed002_cell60_W_repr():
    W, b, x, y, g = _cell59()
    assert W.shape == (1, 2)
    assert W.dtype == tf.float32
    assert np.all(W.numpy() >= 0) and np.all(W.numpy() < 1)
    assert "'Variable:0' shape=(1, 2) dtype=float32, numpy=" in repr(W)


def test_seed002_cell61_b_repr():
    W, b, x, y, g = _cell59()
    _check_tensor(b, (2,), [0., 0.], exact=True)
    assert "'Variable:0' shape=(2,) dtype=float32, numpy=array([0., 0.], dtype=float32)>" in repr(b)


def test_seed002_cell62_x_constant():
    W, b, x, y, g = _cell59()
    _check_tensor(x, (3, 1), [[2.], [3.], [4.]], exact=True)
    r = repr(x)
    assert 'shape=(3, 1), dtype=float32' in r
    assert '[[2.],\n       [3.],\n       [4.]]' in r


def test_seed002_cell63_y_is_matmul():
    W, b, x, y, g = _cell59()
    assert y.shape == (3, 2)
    assert y.dtype == tf.float32
    np.testing.assert_allclose(y.numpy(), x.numpy() @ W.numpy() + b.numpy(), rtol=1e-6)
    assert 'shape=(3, 2), dtype=float32' in repr(y)


def test_seed002_cell64_grads_are_sums():
    W, b, x, y, grads = _cell59()
    gW, gb = grads
    _check_tensor(gW, (1, 2), [[9., 9.]])
    _check_tensor(gb, (2,), [3., 3.])
    r = repr(grads)
    assert 'array([[9., 9.]], dtype=float32)' in r
    assert 'array([3., 3.], dtype=float32)' in r


def test_seed002_cell63_replay_printed_W():
    W = tf.Variable([[0.70159316, 0.05504537]])
    b = tf.Variable(tf.zeros((2,)))
    x = tf.constant([[2.], [3.], [4.]])
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    np.testing.assert_allclose(y.numpy(), [[1.4031863, 0.11009073],
                                           [2.1047795, 0.1651361],
                                           [2.8063726, 0.22018147]], rtol=1e-6)


# ---------------------------------------------------------------- In[65]..In[70]

def _cell65():
    W = tf.Variable(tf.random.uniform((2, 2)))
    b = tf.Variable(tf.zeros((2,)))
    x = tf.random.uniform((2, 2))
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    grad_of_y_wrt_W_and_b = tape.gradient(y, [W, b])
    return W, b, x, y, grad_of_y_wrt_W_and_b


def test_seed002_cell65_random_matmul_gradients_shapes():
    W, b, x, y, grads = _cell65()
    assert len(grads) == 2
    assert grads[0].shape == (2, 2)
    assert grads[1].shape == (2,)


def test_seed002_cell66_W():
    W, b, x, y, g = _cell65()
    assert W.shape == (2, 2) and W.dtype == tf.float32
    assert np.all(W.numpy() >= 0) and np.all(W.numpy() < 1)
    assert "'Variable:0' shape=(2, 2) dtype=float32, numpy=" in repr(W)


def test_seed002_cell67_b():
    W, b, x, y, g = _cell65()
    _check_tensor(b, (2,), [0., 0.], exact=True)


def test_seed002_cell68_x_uniform_tensor():
    W, b, x, y, g = _cell65()
    assert x.shape == (2, 2) and x.dtype == tf.float32
    assert np.all(x.numpy() >= 0) and np.all(x.numpy() < 1)
    assert 'shape=(2, 2), dtype=float32' in repr(x)


def test_seed002_cell69_y():
    W, b, x, y, g = _cell65()
    assert y.shape == (2, 2) and y.dtype == tf.float32
    np.testing.assert_allclose(y.numpy(), x.numpy() @ W.numpy() + b.numpy(),
                               rtol=1e-6, atol=1e-7)


def test_seed002_cell70_grad_W_is_column_sums_of_x():
    W, b, x, y, grads = _cell65()
    gW, gb = grads
    xv = x.numpy().astype(np.float64)
    col_sums = xv.sum(axis=0)                     # d(sum y)/dW[i, j] = sum_k x[k, i]
    expected = np.repeat(col_sums[:, None], 2, axis=1)
    assert gW.dtype == tf.float32
    np.testing.assert_allclose(gW.numpy(), expected, rtol=1e-6)
    _check_tensor(gb, (2,), [2., 2.])


def test_seed002_cell70_replay_printed_x():
    W = tf.Variable([[0.49113345, 0.42215574], [0.08789217, 0.7436031]])
    b = tf.Variable(tf.zeros((2,)))
    x = tf.constant([[0.8952073, 0.7273109], [0.01199651, 0.20803571]])
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    grad_of_y_wrt_W_and_b = tape.gradient(y, [W, b])
    np.testing.assert_allclose(y.numpy(), [[0.5035912, 0.91874754], [0.0241766, 0.1597604]],
                               rtol=1e-6)
    np.testing.assert_allclose(grad_of_y_wrt_W_and_b[0].numpy(),
                               [[0.9072038, 0.9072038], [0.9353466, 0.9353466]], rtol=1e-6)
    np.testing.assert_allclose(grad_of_y_wrt_W_and_b[1].numpy(), [2., 2.], rtol=1e-6)
