"""Conformance tests for seed notebook 003
("Automatic Gradients", tf.GradientTape tutorial).

Every code cell is re-run with `import tapeflow as tf` (the matplotlib import is
dropped) and the printed output is asserted. Cell In[7] draws w with
tf.random.normal and cell In[8] uses a Dense layer with random initial kernel, so
their gradients are checked against numpy computations from the drawn values.
The Dense variables print as Keras 3 names them ('kernel', 'bias'); their paths are
checked as 'dense' (optionally '_N', Keras uniquifies layer names) + '/kernel' and '/bias'.
"""
import re

import numpy as np

import tapeflow as tf


def test_seed003_cell1_imports():
    import tapeflow as tf  # noqa: F811
    assert hasattr(tf, 'GradientTape')


def test_seed003_cell2_scalar_derivative():
    ### Example of Derivatives wrt to a scalar
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x**2

    dy_dx = tape.gradient(y,x)
    out = dy_dx.numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 6.0, rtol=1e-6)


def test_seed003_cell7_vector_derivatives_list_and_dict(capsys):
    ### Example of Derivaties wrt a Vector
    w = tf.Variable(tf.random.normal((3,2)), name='w')
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
    x = [[1.,2.,3.]]
    with tf.GradientTape() as tape:
        y = x@w+b
        loss = tf.reduce_mean(y**2)

    [dl_dw, dl_db] = tape.gradient(loss, [w,b])
    with tf.GradientTape() as tape:
        y = x@w+b
        loss = tf.reduce_mean(y**2)
    grad = tape.gradient(loss,{'w':w,'b':b})
    print(dl_dw.shape, grad['w'].shape)

    assert capsys.readouterr().out == '(3, 2) (3, 2)\n'
    assert dl_dw.shape == (3, 2)
    assert dl_db.shape == (2,)
    assert set(grad) == {'w', 'b'}

    xn = np.asarray(x, np.float64)
    yn = xn @ w.numpy().astype(np.float64) + b.numpy()
    dl_dy = 2 * yn / yn.size
    np.testing.assert_allclose(dl_dw.numpy(), xn.T @ dl_dy, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(dl_db.numpy(), dl_dy.sum(axis=0), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(grad['w'].numpy(), dl_dw.numpy(), rtol=1e-6)
    np.testing.assert_allclose(grad['b'].numpy(), dl_db.numpy(), rtol=1e-6)


def test_seed003_cell8_dense_layer_trainable_variables(capsys):
    layer = tf.keras.layers.Dense(2, activation='relu')
    x = tf.constant([[1., 2., 3.]])
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_mean(y**2)
    grad = tape.gradient(loss, layer.trainable_variables)

    for var, g in zip(layer.trainable_variables, grad):
        print(f'{var.name}, shape: {g.shape}')

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    # Keras 3 (TensorFlow 2.16+) names a weight by its add_weight name alone.
    assert lines == ['kernel, shape: (3, 2)', 'bias, shape: (2,)'], lines

    kernel, bias = layer.trainable_variables
    assert kernel.path.startswith('dense') and kernel.path.endswith('/kernel')
    assert bias.path.startswith('dense') and bias.path.endswith('/bias')
    # both paths come from the same layer
    assert kernel.path.rsplit('/', 1)[0] == bias.path.rsplit('/', 1)[0]
    assert kernel.shape == (3, 2) and bias.shape == (2,)
    assert kernel.dtype == tf.float32 and bias.dtype == tf.float32
    np.testing.assert_array_equal(bias.numpy(), [0., 0.])

    # y = relu(x @ K + b); loss = mean(y**2); dL/dy = y (n = 2), relu mask is y > 0
    xn = x.numpy().astype(np.float64)
    pre = xn @ kernel.numpy().astype(np.float64) + bias.numpy()
    yn = np.maximum(pre, 0.0)
    np.testing.assert_allclose(y.numpy(), yn, rtol=1e-6, atol=1e-6)
    dl_dpre = (2 * yn / yn.size) * (pre > 0)
    np.testing.assert_allclose(grad[0].numpy(), xn.T @ dl_dpre, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(grad[1].numpy(), dl_dpre.sum(axis=0), rtol=1e-6, atol=1e-5)


def test_seed003_cell8_second_dense_layer_gets_unique_prefix():
    a = tf.keras.layers.Dense(2, activation='relu')
    b = tf.keras.layers.Dense(2, activation='relu')
    x = tf.constant([[1., 2., 3.]])
    a(x)
    b(x)
    paths_a = [v.path for v in a.trainable_variables]
    paths_b = [v.path for v in b.trainable_variables]
    assert all(re.fullmatch(r'dense(_\d+)?/(kernel|bias)', n) for n in paths_a + paths_b)
    assert paths_a[0] != paths_b[0]


def test_seed003_cell14_untracked_sources_get_none(capsys):
    x0 = tf.Variable(3.0, name='x0')
    x1 = tf.Variable(3.0, name='x1', trainable=False) # Not trainable
    x2 = tf.Variable(2.0, name='x2') +1.0 # Returns a tensor not a variable
    x3 = tf.constant(3.0, name='x3') # not a variable
    x4 = tf.Variable(4.0, name='x4')

    with tf.GradientTape() as tape:
        y = (x0**2) + (x1**2) + (x2**2) + (x3**2)

    grad = tape.gradient(y,[x0,x1,x2,x3,x4])
    for g in grad:
        print(g)

    watched = [var.name for var in tape.watched_variables()]

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    assert lines[0].endswith('(6.0, shape=(), dtype=float32)')
    assert lines[1:] == ['None', 'None', 'None', 'None']
    assert grad[0].dtype == tf.float32
    np.testing.assert_allclose(grad[0].numpy(), 6.0, rtol=1e-6)
    assert grad[1] is None and grad[2] is None and grad[3] is None and grad[4] is None
    assert watched == ['x0:0']
    assert not isinstance(x2, tf.Variable)
    assert x1.trainable is False and x0.trainable is True
    np.testing.assert_allclose(y.numpy(), 9.0 + 9.0 + 9.0 + 9.0, rtol=1e-6)


def test_seed003_cell18_watch_constant_and_watch_accessed_false(capsys):
    # To record gradients with respect to a tf.Tensor, you need to call GradientTape.watch(x):
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x**2

    dy_dx = tape.gradient(y,x)
    print(dy_dx.numpy())

    x0 = tf.Variable(0.0)
    x1 = tf.Variable(10.0)

    with tf.GradientTape(watch_accessed_variables=False) as tape:
      tape.watch(x1)
      y0 = tf.math.sin(x0)
      y1 = tf.nn.softplus(x1)
      y = y0 + y1
      ys = tf.reduce_sum(y)

    grad = tape.gradient(ys,{'x0':x0,'x1':x1})
    print('dys/dx0:', grad['x0'])
    print('dys/dx1:', grad['x1'].numpy())

    lines = capsys.readouterr().out.splitlines()
    assert lines == ['6.0', 'dys/dx0: None', 'dys/dx1: 0.9999546']
    assert grad['x0'] is None
    assert grad['x1'].numpy().dtype == np.float32
    assert grad['x1'].numpy() == np.float32(0.9999546)
    np.testing.assert_allclose(dy_dx.numpy(), 6.0, rtol=1e-6)
    np.testing.assert_allclose(ys.numpy(), np.log1p(np.exp(10.0)), rtol=1e-6)
