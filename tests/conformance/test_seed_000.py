"""Conformance tests for seed notebook 000
("Introduction to gradients and automatic differentiation").

Every code cell is re-run with `import tapeflow as tf` and the printed output is
asserted. Cells In[5], In[12] and In[18] contain only comments and have no test.
Cell In[17] draws w with tf.random.normal, so its outputs are checked against a
numpy computation from the drawn values (y = x@w+b, loss = mean(y**2),
dl/dw = x.T @ (2*y/n), dl/db = sum_rows(2*y/n)); a replay test additionally feeds
the w printed in the notebook and checks the printed gradient.
"""
import numpy as np

import tapeflow as tf

# ---------------------------------------------------------------- helpers

def _cell2():
    x = tf.Variable(3.0)

    with tf.GradientTape() as tape:
      y = x**2
    return x, y, tape


def _cell17():
    w = tf.Variable(tf.random.normal((3, 2)), name='w')
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
    x = [[1., 2., 3.]]

    with tf.GradientTape(persistent=True) as tape:
      y = x @ w + b
      loss = tf.reduce_mean(y**2)
    return w, b, x, y, loss, tape


def _reference(w, b, x):
    """Hand-computed reference (float64) from the drawn variable values."""
    xn = np.asarray(x, dtype=np.float64)
    wn = w.numpy().astype(np.float64)
    bn = b.numpy().astype(np.float64)
    y = xn @ wn + bn
    n = y.size
    dl_dy = 2 * y / n
    return y, np.mean(y**2), xn.T @ dl_dy, dl_dy.sum(axis=0)


# ---------------------------------------------------------------- cells

def test_seed000_cell1_imports():
    import tapeflow as tf  # noqa: F811
    assert hasattr(tf, 'GradientTape')
    assert hasattr(tf, 'Variable')


def test_seed000_cell2_variable_square_on_tape():
    x, y, tape = _cell2()
    np.testing.assert_allclose(y.numpy(), 9.0, rtol=1e-6)


def test_seed000_cell3_y_repr():
    x, y, tape = _cell2()
    y_out = y
    assert y_out.shape == ()
    assert y_out.dtype == tf.float32
    assert y_out.numpy().dtype == np.float32
    np.testing.assert_allclose(y_out.numpy(), 9.0, rtol=1e-6)
    r = repr(y_out)
    assert 'shape=(), dtype=float32, numpy=9.0' in r


def test_seed000_cell4_dy_dx_numpy():
    x, y, tape = _cell2()
    # dy = 2x * dx
    dy_dx = tape.gradient(y, x)
    out = dy_dx.numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 6.0, rtol=1e-6)
    assert float(out) == 6.0


def test_seed000_cell17_random_w_persistent_tape():
    w, b, x, y, loss, tape = _cell17()
    assert w.shape == (3, 2)
    assert b.shape == (2,)
    assert w.dtype == tf.float32 and b.dtype == tf.float32
    np.testing.assert_array_equal(b.numpy(), np.zeros(2, np.float32))
    assert y.shape == (1, 2)
    assert y.dtype == tf.float32
    assert loss.shape == ()
    y_ref, loss_ref, _, _ = _reference(w, b, x)
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(loss.numpy(), loss_ref, rtol=1e-5, atol=1e-5)


def test_seed000_cell7_gradient_list_sources():
    w, b, x, y, loss, tape = _cell17()
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    _, _, dw_ref, db_ref = _reference(w, b, x)
    np.testing.assert_allclose(dl_dw.numpy(), dw_ref, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(dl_db.numpy(), db_ref, rtol=1e-6, atol=1e-5)
    assert dl_dw.dtype == tf.float32 and dl_db.dtype == tf.float32


def test_seed000_cell8_print_shapes(capsys):
    w, b, x, y, loss, tape = _cell17()
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    capsys.readouterr()
    print(w.shape)
    print(dl_dw.shape)
    assert capsys.readouterr().out == '(3, 2)\n(3, 2)\n'
    assert tuple(w.shape) == (3, 2)
    assert dl_dw.shape == (3, 2)


def test_seed000_cell9_w_repr():
    w, b, x, y, loss, tape = _cell17()
    w_out = w
    assert w_out.name == 'w:0'
    assert b.name == 'b:0'
    r = repr(w_out)
    assert "'w:0'" in r
    assert 'shape=(3, 2)' in r
    assert 'dtype=float32' in r
    assert 'numpy=' in r
    assert 'Variable' in r


def test_seed000_cell10_dl_dw_values_and_repr():
    w, b, x, y, loss, tape = _cell17()
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    out = dl_dw
    _, _, dw_ref, _ = _reference(w, b, x)
    np.testing.assert_allclose(out.numpy(), dw_ref, rtol=1e-6, atol=1e-5)
    # x = [[1, 2, 3]]: row i of dl_dw is (i+1) * row 0
    np.testing.assert_allclose(out.numpy()[1], 2 * out.numpy()[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out.numpy()[2], 3 * out.numpy()[0], rtol=1e-6, atol=1e-6)
    r = repr(out)
    assert 'shape=(3, 2), dtype=float32' in r
    assert 'numpy=' in r


def test_seed000_cell11_gradient_dict_sources():
    w, b, x, y, loss, tape = _cell17()
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    my_vars = {
        'w': w,
        'b': b
    }

    grad = tape.gradient(loss, my_vars)
    out = grad['b']
    assert isinstance(grad, dict)
    assert set(grad.keys()) == {'w', 'b'}
    _, _, dw_ref, db_ref = _reference(w, b, x)
    np.testing.assert_allclose(out.numpy(), db_ref, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(grad['w'].numpy(), dw_ref, rtol=1e-6, atol=1e-5)
    # notebook: grad['b'] equals the first row of dl_dw (x[0][0] == 1)
    np.testing.assert_allclose(out.numpy(), dl_dw.numpy()[0], rtol=1e-6, atol=1e-6)
    assert out.shape == (2,)
    assert 'shape=(2,), dtype=float32' in repr(out)


def test_seed000_cell13_gradient_dict_sources_again():
    w, b, x, y, loss, tape = _cell17()
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    my_vars = {
        'w': w,
        'b': b
    }
    grad = tape.gradient(loss, my_vars)
    first = grad['b'].numpy()

    my_vars = {
        'w': w,
        'b': b
    }

    grad = tape.gradient(loss, my_vars)
    out = grad['b']
    np.testing.assert_array_equal(out.numpy(), first)
    np.testing.assert_allclose(out.numpy(), dl_db.numpy(), rtol=1e-6)
    assert out.dtype == tf.float32


def test_seed000_cell17_replay_printed_w_gives_printed_gradient():
    # Same computation as cell In[17]/In[10], with w set to the values printed in In[9].
    w = tf.Variable([[1.03333, 0.42647403],
                     [1.036649, -1.5083102],
                     [0.96885073, -0.66818607]], name='w')
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
    x = [[1., 2., 3.]]

    with tf.GradientTape(persistent=True) as tape:
      y = x @ w + b
      loss = tf.reduce_mean(y**2)
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    expected = np.array([[6.0131803, -4.5947046],
                         [12.0263605, -9.189409],
                         [18.039541, -13.784114]], dtype=np.float32)
    np.testing.assert_allclose(dl_dw.numpy(), expected, rtol=1e-6)
    grad = tape.gradient(loss, {'w': w, 'b': b})
    np.testing.assert_allclose(grad['b'].numpy(), [6.0131803, -4.5947046], rtol=1e-6)


def test_seed000_cell27_watch_accessed_variables_false(capsys):
    x0 = tf.Variable(0.0)
    x1 = tf.Variable(10.0)

    with tf.GradientTape(watch_accessed_variables=False) as tape:
      tape.watch(x1)
      y0 = tf.math.sin(x0)
      y1 = tf.nn.softplus(x1)
      y = y0 + y1
      ys = tf.reduce_sum(y)
      grad = tape.gradient(ys, {'x0': x0, 'x1': x1})

      print('dy/dx0:', grad['x0'])
      print('dy/dx1:', grad['x1'])

    out = capsys.readouterr().out.splitlines()
    assert grad['x0'] is None
    assert grad['x1'].dtype == tf.float32
    assert grad['x1'].shape == ()
    np.testing.assert_allclose(grad['x1'].numpy(), 0.9999546, rtol=1e-6)
    assert grad['x1'].numpy() == np.float32(0.9999546)
    assert out[0] == 'dy/dx0: None'
    assert out[1].startswith('dy/dx1: ')
    assert '(0.9999546, shape=(), dtype=float32)' in out[1]
