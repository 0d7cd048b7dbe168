"""Op cells: gradients, Variables and tf.function semantics (see cells.py for what a cell is and
how its text was confirmed).

Gradient values at kinks, ties and zeros, of indexing, scans and linear algebra; the tape's
rules (structures, output_gradients, unconnected, integers, persistence, nesting, jacobians,
custom_gradient); Variables (assign and its errors, slices, scatters); tf.function (what it
returns, retracing, signatures, control flow and its gradients). Values printed at full float32
precision only where TensorFlow and a correctly rounded computation agree to the last digit;
elsewhere a cell rounds.
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

CELLS: list[Cell] = _cells(
    "gradients",
    ('abs relu relu6 at kinks', """
x = tf.constant([-1., 0., 1., 6.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    ys = [tf.abs(x), tf.nn.relu(x), tf.nn.relu6(x), tf.nn.leaky_relu(x, 0.2), tf.nn.elu(x)]
for y in ys:
    print(t.gradient(y, x).numpy())
""", """[-1.  0.  1.  1.]
[0. 0. 1. 1.]
[0. 0. 1. 0.]
[0.2 0.2 1.  1. ]
[0.36787945 1.         1.         1.        ]
"""),
    ('maximum minimum ties', """
a = tf.constant([1., 2., 3.]); b = tf.constant([1., 1., 4.])
with tf.GradientTape(persistent=True) as t:
    t.watch([a, b])
    mx = tf.maximum(a, b); mn = tf.minimum(a, b)
print([g.numpy() for g in t.gradient(mx, [a, b])])
print([g.numpy() for g in t.gradient(mn, [a, b])])
""", """[array([1., 1., 0.], dtype=float32), array([0., 0., 1.], dtype=float32)]
[array([1., 0., 1.], dtype=float32), array([0., 1., 0.], dtype=float32)]
"""),
    ('maximum broadcast tie', """
a = tf.constant([[1., 2.], [2., 0.]]); b = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch([a, b])
    y = tf.maximum(a, b)
print([g.numpy() for g in t.gradient(y, [a, b])])
""", """[array([[0., 1.],
       [1., 0.]], dtype=float32), np.float32(2.0)]
"""),
    ('reduce_max ties split', """
x = tf.constant([[1., 3., 3.], [2., 2., 2.]])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    a = tf.reduce_max(x); b = tf.reduce_max(x, axis=1); c = tf.reduce_min(x, axis=0)
    d = tf.reduce_max(x, axis=1, keepdims=True)
print(t.gradient(a, x).numpy()); print(t.gradient(b, x).numpy()); print(t.gradient(c, x).numpy()); print(t.gradient(d, x).numpy())
""", """[[0.  0.5 0.5]
 [0.  0.  0. ]]
[[0.         0.5        0.5       ]
 [0.33333334 0.33333334 0.33333334]]
[[1. 0. 0.]
 [0. 1. 1.]]
[[0.         0.5        0.5       ]
 [0.33333334 0.33333334 0.33333334]]
"""),
    ('sort and top_k gradients', """
x = tf.constant([3., 1., 2., 5.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    s = tf.sort(x, direction='DESCENDING')
    v, i = tf.math.top_k(x, k=2)
    g = tf.gather(x, tf.argsort(x))
w = tf.constant([1., 2., 3., 4.])
print(t.gradient(s, x, output_gradients=w).numpy())
print(t.gradient(v, x, output_gradients=w[:2]).numpy())
print(tf.convert_to_tensor(t.gradient(g, x, output_gradients=w)).numpy())
""", """[2. 4. 3. 1.]
[2. 0. 0. 1.]
[3. 1. 2. 4.]
"""),
    ('top_k ties', """
x = tf.constant([2., 2., 1., 2.])
with tf.GradientTape() as t:
    t.watch(x)
    v, i = tf.math.top_k(x, k=2)
print(i.numpy(), t.gradient(v, x, output_gradients=tf.constant([10., 1.])).numpy())
""", """[0 1] [10.  1.  0.  0.]
"""),
    ('gather duplicate indices', """
x = tf.Variable([1., 2., 3.])
with tf.GradientTape() as t:
    y = tf.reduce_sum(tf.gather(x, [0, 0, 2, 0]) * tf.constant([1., 2., 3., 4.]))
g = t.gradient(y, x)
print(tf.convert_to_tensor(g))
""", """tf.Tensor([7. 0. 3.], shape=(3,), dtype=float32)
"""),
    ('gather of a constant is dense', """
x = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.gather(x, [2, 2], axis=0)
g = t.gradient(y, x)
print(tf.convert_to_tensor(g))
""", """tf.Tensor(
[[0. 0.]
 [0. 0.]
 [2. 2.]], shape=(3, 2), dtype=float32)
"""),
    ('gather_nd gradient', """
x = tf.constant([[1., 2.], [3., 4.]])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.gather_nd(x, [[0, 1], [0, 1], [1, 0]])
print(t.gradient(y, x))
""", """tf.Tensor(
[[0. 2.]
 [1. 0.]], shape=(2, 2), dtype=float32)
"""),
    ('scatter_nd gradient', """
u = tf.constant([1., 2., 3.])
with tf.GradientTape() as t:
    t.watch(u)
    y = tf.scatter_nd([[1], [3], [1]], u, [5])
print(y)
print(t.gradient(y, u, output_gradients=tf.range(5, dtype=tf.float32)))
""", """tf.Tensor([0. 4. 0. 2. 0.], shape=(5,), dtype=float32)
tf.Tensor([1. 3. 1.], shape=(3,), dtype=float32)
"""),
    ('tensor_scatter_nd_update gradient', """
x = tf.constant([1., 2., 3., 4.]); u = tf.constant([10., 20.])
with tf.GradientTape() as t:
    t.watch([x, u])
    y = tf.tensor_scatter_nd_update(x, [[1], [3]], u)
    z = tf.reduce_sum(y * tf.constant([1., 2., 3., 4.]))
print([g.numpy() for g in t.gradient(z, [x, u])])
""", """[array([1., 0., 3., 0.], dtype=float32), array([2., 4.], dtype=float32)]
"""),
    ('tensor_scatter_nd_add gradient', """
x = tf.constant([1., 2., 3., 4.]); u = tf.constant([10., 20.])
with tf.GradientTape() as t:
    t.watch([x, u])
    y = tf.tensor_scatter_nd_add(x, [[1], [1]], u)
    z = tf.reduce_sum(y * tf.constant([1., 2., 3., 4.]))
print([g.numpy() for g in t.gradient(z, [x, u])])
""", """[array([1., 2., 3., 4.], dtype=float32), array([2., 2.], dtype=float32)]
"""),
    ('boolean_mask gradient', """
x = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.boolean_mask(x, [True, False, True])
g = t.gradient(y, x)
print(tf.convert_to_tensor(g))
""", """tf.Tensor(
[[1. 1.]
 [0. 0.]
 [1. 1.]], shape=(3, 2), dtype=float32)
"""),
    ('where nan trap', """
x = tf.constant([-1., 0., 4.])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.where(x > 0, tf.sqrt(x), tf.zeros_like(x))
print(t.gradient(y, x))
""", """tf.Tensor([0.   0.   0.25], shape=(3,), dtype=float32)
"""),
    ('where safe pattern', """
x = tf.constant([-1., 0., 4.])
with tf.GradientTape() as t:
    t.watch(x)
    safe = tf.where(x > 0, x, tf.ones_like(x))
    y = tf.where(x > 0, tf.sqrt(safe), tf.zeros_like(x))
print(t.gradient(y, x))
""", """tf.Tensor([0.   0.   0.25], shape=(3,), dtype=float32)
"""),
    ('norm and sqrt at zero', """
x = tf.constant([0., 0.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    n = tf.norm(x); s = tf.sqrt(x); e = tf.norm(x, ord=1)
print(t.gradient(n, x)); print(t.gradient(s, x)); print(t.gradient(e, x))
""", """tf.Tensor([nan nan], shape=(2,), dtype=float32)
tf.Tensor([inf inf], shape=(2,), dtype=float32)
tf.Tensor([0. 0.], shape=(2,), dtype=float32)
"""),
    ('pow at zero', """
x = tf.constant(0.); y = tf.constant(2.)
with tf.GradientTape(persistent=True) as t:
    t.watch([x, y])
    a = tf.pow(x, y); b = x ** 2; c = tf.pow(x, 0.5); d = tf.pow(x, 0.)
print([g.numpy() for g in t.gradient(a, [x, y])])
print(t.gradient(b, x)); print(t.gradient(c, x)); print(t.gradient(d, x))
""", """[np.float32(0.0), np.float32(0.0)]
tf.Tensor(0.0, shape=(), dtype=float32)
tf.Tensor(inf, shape=(), dtype=float32)
tf.Tensor(nan, shape=(), dtype=float32)
"""),
    ('pow negative base', """
x = tf.constant(-2.); y = tf.constant(3.)
with tf.GradientTape() as t:
    t.watch([x, y])
    a = tf.pow(x, y)
print([g.numpy() for g in t.gradient(a, [x, y])])
""", """[np.float32(12.0), np.float32(-0.0)]
"""),
    ('clip_by_value boundaries', """
x = tf.constant([-1., 0., 0.5, 1., 2.])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.clip_by_value(x, 0., 1.)
print(t.gradient(y, x))
""", """tf.Tensor([0. 1. 1. 1. 0.], shape=(5,), dtype=float32)
"""),
    ('clip_by_norm gradient', """
x = tf.constant([3., 4.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    a = tf.clip_by_norm(x, 1.); b = tf.clip_by_norm(x, 10.)
print(t.gradient(a, x)); print(t.gradient(b, x))
""", """tf.Tensor([ 0.03199999 -0.024     ], shape=(2,), dtype=float32)
tf.Tensor([1. 1.], shape=(2,), dtype=float32)
"""),
    ('round floor sign ceil gradients', """
x = tf.constant([0.4, 1.6])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    ys = [tf.round(x), tf.floor(x), tf.sign(x), tf.math.ceil(x)]
for y in ys:
    print(t.gradient(y, x))
""", """None
None
tf.Tensor([0. 0.], shape=(2,), dtype=float32)
None
"""),
    ('cast stops the gradient', """
x = tf.constant([1.5, 2.5])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    i = tf.cast(x, tf.int32); d = tf.cast(x, tf.float64); b = tf.cast(x, tf.bool)
print(t.gradient(i, x)); print(t.gradient(d, x)); print(t.gradient(b, x))
print(t.gradient(tf.cast(i, tf.float32), x))
""", """None
tf.Tensor([1. 1.], shape=(2,), dtype=float32)
None
None
"""),
    ('reduce_std variance logsumexp', """
x = tf.constant([[1., 2., 4.], [0., 0., 0.]])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    a = tf.math.reduce_std(x, axis=1); b = tf.math.reduce_variance(x); c = tf.reduce_logsumexp(x, axis=1)
print(t.gradient(a, x)); print(t.gradient(b, x)); print(t.gradient(c, x))
""", """tf.Tensor(
[[-0.35634834 -0.08908708  0.44543537]
 [        nan         nan         nan]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[-0.05555556  0.2777778   0.94444454]
 [-0.3888889  -0.3888889  -0.3888889 ]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[0.04201007 0.11419519 0.8437947 ]
 [0.33333334 0.33333334 0.33333334]], shape=(2, 3), dtype=float32)
"""),
    ('logsumexp large and -inf', """
x = tf.constant([1000., 1000., -np.inf])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.reduce_logsumexp(x)
print(y, t.gradient(y, x))
""", """tf.Tensor(1000.6932, shape=(), dtype=float32) tf.Tensor([0.5 0.5 0. ], shape=(3,), dtype=float32)
"""),
    ('softmax and log_softmax gradients', """
x = tf.constant([[1., 2., 3.], [0., 0., 0.]])
w = tf.constant([[1., 0., 0.], [0., 2., 0.]])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    a = tf.nn.softmax(x); b = tf.nn.log_softmax(x); c = tf.nn.softmax(x, axis=0)
for y in (a, b, c):
    print(t.gradient(y, x, output_gradients=w).numpy().round(5))
""", """[[ 0.08193 -0.02203 -0.05989]
 [-0.22222  0.44444 -0.22222]]
[[ 0.90997 -0.24473 -0.66524]
 [-0.66667  1.33333 -0.66667]]
[[ 0.19661 -0.20999  0.     ]
 [-0.19661  0.20999  0.     ]]
"""),
    ('sigmoid cross entropy gradient', """
z = tf.constant([-2., 0., 3.]); l = tf.constant([0., 1., 1.])
with tf.GradientTape() as t:
    t.watch([z, l])
    y = tf.nn.sigmoid_cross_entropy_with_logits(labels=l, logits=z)
print([g.numpy() for g in t.gradient(y, [z, l])])
""", """[array([ 0.11920291, -0.5       , -0.04742587], dtype=float32), array([ 2., -0., -3.], dtype=float32)]
"""),
    ('softmax cross entropy gradient wrt logits and labels', """
z = tf.constant([[1., 2., 3.]]); l = tf.constant([[0.2, 0.3, 0.5]])
with tf.GradientTape() as t:
    t.watch([z, l])
    y = tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z)
for g in t.gradient(y, [z, l]):
    print(g.numpy().round(5))
""", """[[-0.10997 -0.05527  0.16524]]
[[2.40761 1.40761 0.40761]]
"""),
    ('sparse softmax cross entropy gradient', """
z = tf.constant([[1., 2., 3.], [1., 1., 1.]])
with tf.GradientTape() as t:
    t.watch(z)
    y = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 0], logits=z)
print(y.numpy().round(5)); print(t.gradient(y, z).numpy().round(5))
""", """[0.40761 1.09861]
[[ 0.09003  0.24473 -0.33476]
 [-0.66667  0.33333  0.33333]]
"""),
    ('cumsum variants gradient', """
x = tf.constant([1., 2., 3.])
w = tf.constant([1., 10., 100.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    ys = [tf.cumsum(x), tf.cumsum(x, exclusive=True), tf.cumsum(x, reverse=True), tf.cumsum(x, exclusive=True, reverse=True)]
for y in ys:
    print(t.gradient(y, x, output_gradients=w).numpy())
""", """[111. 110. 100.]
[110. 100.   0.]
[  1.  11. 111.]
[ 0.  1. 11.]
"""),
    ('cumprod variants gradient', """
x = tf.constant([2., 3., 4.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    ys = [tf.math.cumprod(x), tf.math.cumprod(x, exclusive=True), tf.math.cumprod(x, reverse=True), tf.math.cumprod(x, exclusive=True, reverse=True)]
for y in ys:
    print(t.gradient(y, x).numpy())
""", """[16. 10.  6.]
[4. 2. 0.]
[12. 12. 10.]
[0. 4. 4.]
"""),
    ('prod gradient with zeros', """
x = tf.constant([[2., 0., 4.], [0., 0., 1.], [1., 2., 3.]])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.reduce_prod(x, axis=1)
print(t.gradient(y, x))
""", """tf.Tensor(
[[0. 8. 0.]
 [0. 0. 0.]
 [6. 3. 2.]], shape=(3, 3), dtype=float32)
"""),
    ('einsum gradients', """
a = tf.constant([[1., 2.], [3., 4.]]); b = tf.constant([[1., 0.], [2., 1.]])
with tf.GradientTape(persistent=True) as t:
    t.watch([a, b])
    y1 = tf.einsum('ij,jk->ik', a, b); y2 = tf.einsum('ii->', a); y3 = tf.einsum('ij,ij->i', a, b); y4 = tf.einsum('ij->ji', a)
print([g.numpy().tolist() for g in t.gradient(y1, [a, b])])
print(t.gradient(y2, a).numpy().tolist())
print([g.numpy().tolist() for g in t.gradient(y3, [a, b])])
print(t.gradient(y4, a, output_gradients=b).numpy().tolist())
""", """[[[1.0, 3.0], [1.0, 3.0]], [[4.0, 4.0], [6.0, 6.0]]]
[[1.0, 0.0], [0.0, 1.0]]
[[[1.0, 0.0], [2.0, 1.0]], [[1.0, 2.0], [3.0, 4.0]]]
[[1.0, 2.0], [0.0, 1.0]]
"""),
    ('det inv solve gradients', """
a = tf.constant([[2., 1.], [1., 3.]], tf.float64); b = tf.constant([[1.], [2.]], tf.float64)
with tf.GradientTape(persistent=True) as t:
    t.watch([a, b])
    d = tf.linalg.det(a); i = tf.linalg.inv(a); s = tf.linalg.solve(a, b)
print(t.gradient(d, a)); print(t.gradient(i, a)); print(t.gradient(s, [a, b]))
""", """tf.Tensor(
[[ 3. -1.]
 [-1.  2.]], shape=(2, 2), dtype=float64)
tf.Tensor(
[[-0.16 -0.08]
 [-0.08 -0.04]], shape=(2, 2), dtype=float64)
[<tf.Tensor: shape=(2, 2), dtype=float64, numpy=
array([[-0.08, -0.24],
       [-0.04, -0.12]])>, <tf.Tensor: shape=(2, 1), dtype=float64, numpy=
array([[0.4],
       [0.2]])>]
"""),
    ('cholesky gradient', """
a = tf.constant([[4., 2.], [2., 3.]], tf.float64)
with tf.GradientTape() as t:
    t.watch(a)
    l = tf.linalg.cholesky(a)
    y = tf.reduce_sum(l * tf.constant([[1., 0.], [2., 3.]], tf.float64))
print(t.gradient(y, a))
""", """tf.Tensor(
[[ 0.26516504 -0.03033009]
 [-0.03033009  1.06066017]], shape=(2, 2), dtype=float64)
"""),
    ('atan2 and erf gradients', """
y = tf.constant([1., 0., -1.]); x = tf.constant([1., 2., 0.])
with tf.GradientTape(persistent=True) as t:
    t.watch([x, y])
    a = tf.math.atan2(y, x); e = tf.math.erf(x)
print([g.numpy() for g in t.gradient(a, [y, x])]); print(t.gradient(e, x).numpy().round(5))
""", """[array([0.5, 0.5, 0. ], dtype=float32), array([-0.5, -0. ,  1. ], dtype=float32)]
[0.41511 0.02067 1.12838]
"""),
    ('atan2 at the origin', """
y = tf.constant(0.); x = tf.constant(0.)
with tf.GradientTape() as t:
    t.watch([x, y])
    a = tf.math.atan2(y, x)
print(a, [g.numpy() for g in t.gradient(a, [y, x])])
""", """tf.Tensor(0.0, shape=(), dtype=float32) [np.float32(nan), np.float32(nan)]
"""),
    ('pad reflect and symmetric gradients', """
x = tf.constant([1., 2., 3.])
w = tf.constant([1., 2., 3., 4., 5., 6., 7.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    r = tf.pad(x, [[2, 2]], mode='REFLECT'); s = tf.pad(x, [[2, 2]], mode='SYMMETRIC'); c = tf.pad(x, [[2, 2]], constant_values=9.)
print(r.numpy(), t.gradient(r, x, output_gradients=w).numpy())
print(s.numpy(), t.gradient(s, x, output_gradients=w).numpy())
print(c.numpy(), t.gradient(c, x, output_gradients=w).numpy())
""", """[3. 2. 1. 2. 3. 2. 1.] [10. 12.  6.]
[2. 1. 1. 2. 3. 3. 2.] [ 5. 12. 11.]
[9. 9. 1. 2. 3. 9. 9.] [3. 4. 5.]
"""),
    ('roll split tile concat unstack gradients', """
x = tf.constant([1., 2., 3., 4.])
w = tf.constant([1., 10., 100., 1000.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    r = tf.roll(x, shift=1, axis=0)
    a, b = tf.split(x, 2)
    tl = tf.tile(x, [2])
    c = tf.concat([x, x * 2.], 0)
    u = tf.unstack(x)
print(t.gradient(r, x, output_gradients=w).numpy())
print(t.gradient(a, x, output_gradients=w[:2]).numpy())
print(t.gradient(tl, x).numpy())
print(t.gradient(c, x).numpy())
print(t.gradient(u[1], x).numpy(), t.gradient(u, x).numpy())
""", """[  10.  100. 1000.    1.]
[ 1. 10.  0.  0.]
[2. 2. 2. 2.]
[3. 3. 3. 3.]
[0. 1. 0. 0.] [1. 1. 1. 1.]
"""),
    ('split with one piece unused', """
x = tf.constant([[1., 2., 3.], [4., 5., 6.]])
with tf.GradientTape() as t:
    t.watch(x)
    a, b, c = tf.split(x, [1, 1, 1], axis=1)
print(t.gradient(b, x))
""", """tf.Tensor(
[[0. 1. 0.]
 [0. 1. 0.]], shape=(2, 3), dtype=float32)
"""),
    ('divide_no_nan gradient', """
x = tf.constant([1., 2.]); y = tf.constant([0., 4.])
with tf.GradientTape() as t:
    t.watch([x, y])
    z = tf.math.divide_no_nan(x, y)
print([g.numpy() for g in t.gradient(z, [x, y])])
""", """[array([0.  , 0.25], dtype=float32), array([ 0.   , -0.125], dtype=float32)]
"""),
    ('tanh sigmoid softplus gradients', """
x = tf.constant([-10., 0., 10.])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    a = tf.tanh(x); b = tf.sigmoid(x); c = tf.nn.softplus(x)
print([t.gradient(y, x).numpy().round(6) for y in (a, b, c)])
""", """[array([0., 1., 0.], dtype=float32), array([4.5e-05, 2.5e-01, 4.5e-05], dtype=float32), array([4.50000e-05, 5.00000e-01, 9.99955e-01], dtype=float32)]
"""),
    ('reduce_euclidean_norm gradient at zero', """
x = tf.constant([[0., 0.], [3., 4.]])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.math.reduce_euclidean_norm(x, axis=1)
print(t.gradient(y, x))
""", """tf.Tensor(
[[nan nan]
 [0.6 0.8]], shape=(2, 2), dtype=float32)
"""),
    ('nested target and source structure', """
a = tf.Variable(1.); b = tf.Variable(2.); c = tf.constant(3.)
with tf.GradientTape() as t:
    t.watch(c)
    y = {'p': a * b, 'q': [a + c, (b * c,)]}
g = t.gradient(y, {'x': [a, (b,)], 'y': c})
print(sorted(g)); print(g['x'][0].numpy(), type(g['x'][1]).__name__, g['x'][1][0].numpy(), g['y'].numpy())
""", """['x', 'y']
3.0 tuple 4.0 3.0
"""),
    ('output_gradients weights the targets', """
x = tf.constant([1., 2.])
with tf.GradientTape() as t:
    t.watch(x)
    y = x * x; z = 3. * x
print(t.gradient([y, z], x, output_gradients=[tf.constant([1., 10.]), tf.constant([2., 2.])]))
""", """tf.Tensor([ 8. 46.], shape=(2,), dtype=float32)
"""),
    ('unconnected zero for variables and a list', """
a = tf.Variable([1., 2.]); b = tf.Variable(3.); i = tf.Variable(2)
with tf.GradientTape() as t:
    y = a * 2.
print(t.gradient(y, [a, b, i], unconnected_gradients=tf.UnconnectedGradients.ZERO))
print(tf.UnconnectedGradients.NONE, tf.UnconnectedGradients.ZERO.value)
""", """[<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 2.], dtype=float32)>, <tf.Tensor: shape=(), dtype=float32, numpy=0.0>, <tf.Tensor: shape=(), dtype=int32, numpy=0>]
UnconnectedGradients.NONE zero
"""),
    ('unconnected as a string', """
a = tf.Variable(1.); b = tf.Variable(3.)
with tf.GradientTape() as t:
    y = a * 2.
print(t.gradient(y, [a, b], unconnected_gradients='zero'))
""", """[<tf.Tensor: shape=(), dtype=float32, numpy=2.0>, <tf.Tensor: shape=(), dtype=float32, numpy=0.0>]
"""),
    ('integer source and target', """
x = tf.constant(3); f = tf.constant(2.)
with tf.GradientTape(persistent=True) as t:
    t.watch([x, f])
    y = x * x
    z = f * 2.
    k = tf.cast(f, tf.int32)
print(t.gradient(y, x)); print(t.gradient(k, f)); print(t.gradient(z, [f, x]))
""", """None
None
[<tf.Tensor: shape=(), dtype=float32, numpy=2.0>, None]
"""),
    ('integer source with zero unconnected', """
x = tf.constant(3); f = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch([x, f])
    z = f * 2. + tf.cast(x, tf.float32)
print(t.gradient(z, [f, x], unconnected_gradients='zero'))
""", """[<tf.Tensor: shape=(), dtype=float32, numpy=2.0>, <tf.Tensor: shape=(), dtype=int32, numpy=0>]
"""),
    ('second call on a non-persistent tape', """
x = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch(x)
    y = x * x
print(t.gradient(y, x))
try:
    t.gradient(y, x)
except Exception as e:
    print(type(e).__name__)
""", """tf.Tensor(4.0, shape=(), dtype=float32)
RuntimeError
"""),
    ('gradient inside the recording context', """
x = tf.constant(2.)
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    y = x * x
    g = t.gradient(y, x)
    z = g * x
print(g, t.gradient(z, x))
""", """tf.Tensor(4.0, shape=(), dtype=float32) tf.Tensor(8.0, shape=(), dtype=float32)
"""),
    ('watch_accessed_variables off', """
a = tf.Variable(2.); b = tf.Variable(3.)
with tf.GradientTape(watch_accessed_variables=False) as t:
    t.watch(a)
    y = a * b
print(t.gradient(y, [a, b])); print([v.numpy() for v in t.watched_variables()])
""", """[<tf.Tensor: shape=(), dtype=float32, numpy=3.0>, None]
[np.float32(2.0)]
"""),
    ('stop_gradient inside an expression', """
x = tf.constant(3.)
with tf.GradientTape() as t:
    t.watch(x)
    y = x * tf.stop_gradient(x) + tf.stop_gradient(x * x)
print(t.gradient(y, x))
""", """tf.Tensor(3.0, shape=(), dtype=float32)
"""),
    ('stop_recording then reset', """
x = tf.constant(3.)
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    y = x * x
    with t.stop_recording():
        z = y * x
    w = y + x
print(t.gradient(z, x), t.gradient(w, x))
with tf.GradientTape() as t2:
    t2.watch(x)
    a = x * x
    t2.reset()
    t2.watch(x)
    b = x * 5.
print(t2.gradient(a, x), )
""", """None tf.Tensor(7.0, shape=(), dtype=float32)
None
"""),
    ('reset then new records', """
x = tf.constant(3.)
with tf.GradientTape() as t:
    t.watch(x)
    a = x * x
    t.reset()
    b = x * 5.
    t.watch(x)
    c = x * 7.
print(t.gradient([b, c], x))
""", """tf.Tensor(7.0, shape=(), dtype=float32)
"""),
    ('third derivative with nested tapes', """
x = tf.constant(2.)
with tf.GradientTape() as t3:
    t3.watch(x)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = x ** 4
        d1 = t1.gradient(y, x)
    d2 = t2.gradient(d1, x)
d3 = t3.gradient(d2, x)
print(d1.numpy(), d2.numpy(), d3.numpy())
""", """32.0 48.0 48.0
"""),
    ('second derivative of sin and of relu', """
x = tf.constant([0.5, -1.])
with tf.GradientTape() as outer:
    outer.watch(x)
    with tf.GradientTape() as inner:
        inner.watch(x)
        y = x ** 3 + tf.nn.relu(x)
    g = inner.gradient(y, x)
print(g, outer.gradient(g, x))
""", """tf.Tensor([1.75 3.  ], shape=(2,), dtype=float32) tf.Tensor([ 3. -6.], shape=(2,), dtype=float32)
"""),
    ('jacobian shapes and unconnected', """
x = tf.constant([[1., 2.], [3., 4.]]); u = tf.constant([1., 1., 1.])
with tf.GradientTape(persistent=True) as t:
    t.watch([x, u])
    y = tf.reduce_sum(x * x, axis=0)
j = t.jacobian(y, x)
print(j.shape); print(j.numpy().tolist())
print(t.jacobian(y, u)); print(t.jacobian(y, u, unconnected_gradients='zero'))
print(t.jacobian(y, x, experimental_use_pfor=False).shape)
""", """(2, 2, 2)
[[[2.0, 0.0], [6.0, 0.0]], [[0.0, 4.0], [0.0, 8.0]]]
None
tf.Tensor(
[[0. 0. 0.]
 [0. 0. 0.]], shape=(2, 3), dtype=float32)
(2, 2, 2)
"""),
    ('jacobian of a scalar and to a list', """
x = tf.constant([1., 2., 3.]); s = tf.constant(2.)
with tf.GradientTape(persistent=True) as t:
    t.watch([x, s])
    y = tf.reduce_prod(x) * s
j = t.jacobian(y, [x, s])
print([a.numpy() for a in j])
""", """[array([12.,  6.,  4.], dtype=float32), np.float32(6.0)]
"""),
    ('batch_jacobian shapes', """
x = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    y = tf.stack([x[:, 0] * x[:, 1], x[:, 0], x[:, 1] ** 2], axis=1)
bj = t.batch_jacobian(y, x)
print(bj.shape); print(bj.numpy()[1].tolist())
print(t.batch_jacobian(y, x, experimental_use_pfor=False).shape)
""", """(3, 3, 2)
[[4.0, 3.0], [1.0, 0.0], [0.0, 8.0]]
(3, 3, 2)
"""),
    ('custom_gradient returning a tuple', """
@tf.custom_gradient
def two(x):
    def grad(dy1, dy2):
        return dy1 * 10. + dy2 * 100.
    return (x * 2., x * 3.), grad
x = tf.constant(1.)
with tf.GradientTape() as t:
    t.watch(x)
    a, b = two(x)
    y = a + b
print(a, b, t.gradient(y, x))
""", """tf.Tensor(2.0, shape=(), dtype=float32) tf.Tensor(3.0, shape=(), dtype=float32) tf.Tensor(110.0, shape=(), dtype=float32)
"""),
    ('custom_gradient with two inputs', """
@tf.custom_gradient
def mul(a, b):
    def grad(dy):
        return dy * b * 2., dy * a * 3.
    return a * b, grad
a = tf.constant(2.); b = tf.constant(5.)
with tf.GradientTape() as t:
    t.watch([a, b])
    y = mul(a, b)
print(t.gradient(y, [a, b]))
""", """[<tf.Tensor: shape=(), dtype=float32, numpy=10.0>, <tf.Tensor: shape=(), dtype=float32, numpy=6.0>]
"""),
    ('custom_gradient with a variable', """
w = tf.Variable(3.)
@tf.custom_gradient
def scale(x):
    y = x * w
    def grad(dy, variables=None):
        return dy * w, [dy * x * 100.]
    return y, grad
x = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch(x)
    y = scale(x)
print(t.gradient(y, [x, w]))
""", """[<tf.Tensor: shape=(), dtype=float32, numpy=3.0>, <tf.Tensor: shape=(), dtype=float32, numpy=200.0>]
"""),
    ('custom_gradient second order', """
@tf.custom_gradient
def cube(x):
    def grad(dy):
        return dy * 3. * x * x
    return x * x * x, grad
x = tf.constant(2.)
with tf.GradientTape() as t2:
    t2.watch(x)
    with tf.GradientTape() as t1:
        t1.watch(x)
        y = cube(x)
    g = t1.gradient(y, x)
print(g, t2.gradient(g, x))
""", """tf.Tensor(12.0, shape=(), dtype=float32) tf.Tensor(12.0, shape=(), dtype=float32)
"""),
    ('recompute_grad', """
w = tf.constant(2.)
f = tf.recompute_grad(lambda x: x * x * w)
x = tf.constant(1.)
with tf.GradientTape() as t:
    t.watch(x)
    y = f(x)
print(y, t.gradient(y, x))
""", """tf.Tensor(2.0, shape=(), dtype=float32) tf.Tensor(4.0, shape=(), dtype=float32)
"""),
    ('non-trainable variable', """
v = tf.Variable(2., trainable=False); w = tf.Variable(3.)
with tf.GradientTape() as t:
    y = v * w
print(t.gradient(y, [v, w]))
with tf.GradientTape() as t:
    t.watch(v)
    y = v * w
print(t.gradient(y, [v, w]))
""", """[None, <tf.Tensor: shape=(), dtype=float32, numpy=2.0>]
[<tf.Tensor: shape=(), dtype=float32, numpy=3.0>, <tf.Tensor: shape=(), dtype=float32, numpy=2.0>]
"""),
    ('gradient after assign', """
v = tf.Variable(2.)
with tf.GradientTape() as t:
    a = v * 1.
    v.assign(5.)
    y = v * v + a
print(t.gradient(y, v))
""", """tf.Tensor(11.0, shape=(), dtype=float32)
"""),
    ('gradient through assign_add', """
v = tf.Variable(2.)
with tf.GradientTape() as t:
    r = v.assign_add(1.)
    y = r * r
print(v.numpy(), t.gradient(y, v))
""", """3.0 tf.Tensor(6.0, shape=(), dtype=float32)
"""),
    ('gradient with respect to a slice', """
x = tf.constant([1., 2., 3.])
with tf.GradientTape() as t:
    t.watch(x)
    s = x[1:]
    y = tf.reduce_sum(x * x)
print(t.gradient(y, s))
""", """None
"""),
    ('target is the source', """
x = tf.constant([1., 2.])
with tf.GradientTape() as t:
    t.watch(x)
print(t.gradient(x, x))
v = tf.Variable(3.)
with tf.GradientTape() as t:
    r = v.read_value()
print(t.gradient(r, v))
""", """tf.Tensor([1. 1.], shape=(2,), dtype=float32)
tf.Tensor(1.0, shape=(), dtype=float32)
"""),
    ('assign returns', """
v = tf.Variable([1., 2.])
r = v.assign([3., 4.])
print(type(r).__name__ if not hasattr(r, 'assign') else 'variable-like', r.numpy())
r2 = v.assign_add([1., 1.], read_value=False)
print(r2)
r3 = v.assign_sub([0.5, 0.5])
print(r3.numpy(), v.numpy())
""", """variable-like [3. 4.]
None
[3.5 4.5] [3.5 4.5]
"""),
    ('assign result is the variable afterwards', """
v = tf.Variable(1.)
r = v.assign(2.)
v.assign(7.)
print(r.numpy())
""", """7.0
"""),
    ('assign a wrong dtype', """
v = tf.Variable([1., 2.])
for val in [np.array([1, 2], np.int64), tf.constant([1, 2]), tf.constant([1., 2.], tf.float64)]:
    try:
        v.assign(val)
        print('ok', v.numpy())
    except Exception as e:
        print(type(e).__name__, v.numpy())
""", """ok [1. 2.]
ValueError [1. 2.]
ValueError [1. 2.]
"""),
    ('assign python ints to a float variable', """
v = tf.Variable([1., 2.])
v.assign([3, 4]); print(v.numpy())
i = tf.Variable([1, 2])
try:
    i.assign([1.5, 2.5])
except Exception as e:
    print(type(e).__name__, i.numpy())
""", """[3. 4.]
TypeError [1 2]
"""),
    ('assign a wrong shape', """
v = tf.Variable([1., 2.])
for op in ['assign', 'assign_add', 'assign_sub']:
    try:
        getattr(v, op)([1., 2., 3.])
    except Exception as e:
        print(op, type(e).__name__, v.numpy())
""", """assign ValueError [1. 2.]
assign_add InvalidArgumentError [1. 2.]
assign_sub InvalidArgumentError [1. 2.]
"""),
    ('assign_add broadcasting refused', """
v = tf.Variable([1., 2.])
try:
    v.assign_add(1.)
    print(v.numpy())
except Exception as e:
    print(type(e).__name__, v.numpy())
""", """InvalidArgumentError [1. 2.]
"""),
    ('sliced assign', """
v = tf.Variable([1., 2., 3., 4.])
v[0].assign(10.)
v[1:3].assign([20., 30.])
print(v.numpy())
m = tf.Variable([[1, 2], [3, 4]])
m[:, 1].assign([7, 8])
print(m.numpy())
r = v[::2].assign([0., 0.])
print(type(r).__name__ == 'ResourceVariable' or hasattr(r, 'assign'), v.numpy())
""", """[10. 20. 30.  4.]
[[1 7]
 [3 8]]
True [ 0. 20.  0.  4.]
"""),
    ('sliced assign wrong shape', """
v = tf.Variable([1., 2., 3., 4.])
try:
    v[1:3].assign([1., 2., 3.])
except Exception as e:
    print(type(e).__name__, v.numpy())
""", """InvalidArgumentError [1. 2. 3. 4.]
"""),
    ('scatter_nd_update and scatter_update', """
v = tf.Variable([1., 2., 3., 4.])
v.scatter_nd_update([[0], [2]], [9., 8.])
print(v.numpy())
v.scatter_nd_add([[0]], [1.])
print(v.numpy())
""", """[9. 2. 8. 4.]
[10.  2.  8.  4.]
"""),
    ('variable name trainable dtype', """
v = tf.Variable(1, name='count', trainable=False)
print(v.name, v.trainable, v.dtype, v.shape)
w = tf.Variable(2.5, dtype=tf.float64)
print(w.name, w.dtype)
print(tf.Variable(True).dtype, tf.Variable('hi').dtype, tf.Variable([1, 2], dtype=tf.int64).dtype)
""", """count:0 False <dtype: 'int32'> ()
Variable:0 <dtype: 'float64'>
<dtype: 'bool'> <dtype: 'string'> <dtype: 'int64'>
"""),
    ('printing variables', """
print(tf.Variable([1, 2], name='a'))
print(repr(tf.Variable(3.5, name='b')))
print(tf.Variable('text', name='s'))
print(tf.Variable([True, False]))
""", """<tf.Variable 'a:0' shape=(2,) dtype=int32, numpy=array([1, 2], dtype=int32)>
<tf.Variable 'b:0' shape=() dtype=float32, numpy=3.5>
<tf.Variable 's:0' shape=() dtype=string, numpy=b'text'>
<tf.Variable 'Variable:0' shape=(2,) dtype=bool, numpy=array([ True, False])>
"""),
    ('arithmetic with variables gives tensors', """
v = tf.Variable([1., 2.])
for r in [v + 1, v * v, -v, v ** 2, 1. - v, tf.reduce_sum(v), abs(v), v[0]]:
    print(type(r).__name__, r.numpy())
""", """EagerTensor [2. 3.]
EagerTensor [1. 4.]
EagerTensor [-1. -2.]
EagerTensor [1. 4.]
EagerTensor [ 0. -1.]
EagerTensor 3.0
EagerTensor [1. 2.]
EagerTensor 1.0
"""),
    ('string and bool variables', """
s = tf.Variable(['a', 'b'])
s.assign(['c', 'd'])
print(s.numpy())
b = tf.Variable([True, False])
b.assign(tf.logical_not(b))
print(b.numpy())
try:
    b.assign_add([True, True])
except Exception as e:
    print(type(e).__name__)
""", """[b'c' b'd']
[False  True]
InvalidArgumentError
"""),
    ('variable value and read_value are snapshots', """
v = tf.Variable(1.)
a = v.value(); b = v.read_value(); c = tf.identity(v); d = tf.convert_to_tensor(v)
v.assign(9.)
print(a.numpy(), b.numpy(), c.numpy(), d.numpy())
""", """1.0 1.0 1.0 1.0
"""),
    ('variable of no dtype from ints', """
v = tf.Variable(3)
print(v.dtype)
try:
    v.assign(2.5)
except Exception as e:
    print(type(e).__name__, v.numpy())
""", """<dtype: 'int32'>
TypeError 3
"""),
    ('variable in a list gradient with duplicates', """
v = tf.Variable(2.)
with tf.GradientTape() as t:
    y = v * v
print(t.gradient(y, [v, v]))
""", """[<tf.Tensor: shape=(), dtype=float32, numpy=4.0>, <tf.Tensor: shape=(), dtype=float32, numpy=4.0>]
"""),
    ('variable constraint', """
v = tf.Variable([1., -2.], constraint=lambda x: tf.maximum(x, 0.))
v.assign([-1., 3.])
print(v.numpy(), v.constraint is not None)
""", """[-1.  3.] True
"""),
    ('python values returned', """
@tf.function
def f(x):
    return 1, [2., x], {'a': None, 'b': 'text'}, (True,)
r = f(tf.constant(3.))
print(r)
""", """(<tf.Tensor: shape=(), dtype=int32, numpy=1>, [<tf.Tensor: shape=(), dtype=float32, numpy=2.0>, <tf.Tensor: shape=(), dtype=float32, numpy=3.0>], {'a': None, 'b': <tf.Tensor: shape=(), dtype=string, numpy=b'text'>}, (<tf.Tensor: shape=(), dtype=bool, numpy=True>,))
"""),
    ('retracing counts', """
@tf.function
def f(x):
    return x * 2
f(1); f(2); f(1); f(tf.constant(1)); f(tf.constant(2)); f(tf.constant(1.))
print(f.experimental_get_tracing_count())
""", """4
"""),
    ('retracing on python bool and string', """
@tf.function
def f(x, flag, s):
    return x + 1 if flag else x - 1
f(tf.constant(1), True, 'a'); f(tf.constant(1), False, 'a'); f(tf.constant(1), True, 'b'); f(tf.constant(1), True, 'a')
print(f.experimental_get_tracing_count())
""", """3
"""),
    ('reduce_retracing counts', """
@tf.function(reduce_retracing=True)
def f(x):
    return tf.reduce_sum(x)
for n in [1, 2, 3, 4]:
    f(tf.ones([n]))
print(f.experimental_get_tracing_count())
""", """2
"""),
    ('input_signature errors', """
@tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
def f(x):
    return x * 2.
print(f(tf.constant([1., 2.])))
for bad in [tf.constant([1., 2., 3.]), tf.constant([1, 2]), [1., 2.]]:
    try:
        print(f(bad))
    except Exception as e:
        print(type(e).__name__)
try:
    f(tf.constant([1., 2.]), tf.constant(1.))
except Exception as e:
    print(type(e).__name__)
""", """tf.Tensor([2. 4.], shape=(2,), dtype=float32)
TypeError
TypeError
tf.Tensor([2. 4.], shape=(2,), dtype=float32)
TypeError
"""),
    ('variable creation only on the first call', """
class M(tf.Module):
    def __init__(self):
        self.v = None
    @tf.function
    def __call__(self, x):
        if self.v is None:
            self.v = tf.Variable(x * 0. + 1.)
        return self.v * x
m = M()
print(m(tf.constant(2.)), m(tf.constant(3.)))
print(len(m.trainable_variables))
""", """tf.Tensor(2.0, shape=(), dtype=float32) tf.Tensor(3.0, shape=(), dtype=float32)
1
"""),
    ('concrete function wrong args', """
@tf.function
def f(x):
    return x + 1.
c = f.get_concrete_function(tf.TensorSpec([2], tf.float32))
print(c(tf.constant([1., 2.])))
for bad in [tf.constant([1, 2]), tf.constant([1., 2.], tf.float64)]:
    try:
        c(bad)
    except Exception as e:
        print(type(e).__name__)
try:
    c()
except Exception as e:
    print(type(e).__name__)
""", """tf.Tensor([2. 3.], shape=(2,), dtype=float32)
InvalidArgumentError
InvalidArgumentError
TypeError
"""),
    ('concrete function from values', """
@tf.function
def f(x, n):
    return x * n
c = f.get_concrete_function(tf.constant([1., 2.]), 3)
print(c(tf.constant([5., 6.])))
print(f.experimental_get_tracing_count())
""", """tf.Tensor([15. 18.], shape=(2,), dtype=float32)
1
"""),
    ('tf.print and print per trace', """
@tf.function
def f(x):
    print('python', x.shape)
    tf.print('graph', x)
    return x
for x in [tf.constant(1), tf.constant(2), tf.constant([1, 2])]:
    f(x)
""", """python ()
graph 1
graph 2
python (2,)
graph [1 2]
"""),
    ('run_functions_eagerly toggles', """
@tf.function
def f(x):
    print('trace', tf.executing_eagerly())
    return x
tf.config.run_functions_eagerly(True)
f(tf.constant(1)); f(tf.constant(1))
tf.config.run_functions_eagerly(False)
f(tf.constant(1)); f(tf.constant(1))
print(tf.config.functions_run_eagerly())
""", """trace True
trace True
trace False
False
"""),
    ('tf.function on a Module method', """
class Lin(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(2.)
    @tf.function
    def __call__(self, x):
        return self.w * x
a = Lin(); b = Lin()
b.w.assign(5.)
print(a(tf.constant(1.)), b(tf.constant(1.)))
""", """tf.Tensor(2.0, shape=(), dtype=float32) tf.Tensor(5.0, shape=(), dtype=float32)
"""),
    ('gradient inside and outside a function', """
v = tf.Variable([1., 2.])
@tf.function
def inside(x):
    with tf.GradientTape() as t:
        y = tf.reduce_sum(v * v * x)
    return t.gradient(y, v)
@tf.function
def fwd(x):
    return tf.reduce_sum(v * v * x)
x = tf.constant([3., 4.])
with tf.GradientTape() as t:
    y = fwd(x)
print(inside(x)); print(t.gradient(y, v))
""", """tf.Tensor([ 6. 16.], shape=(2,), dtype=float32)
tf.Tensor([ 6. 16.], shape=(2,), dtype=float32)
"""),
    ('gradient through a function wrt its input', """
@tf.function
def f(x):
    return x ** 3
x = tf.constant(2.)
with tf.GradientTape() as t2:
    t2.watch(x)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    g = t.gradient(y, x)
print(g, t2.gradient(g, x))
""", """tf.Tensor(12.0, shape=(), dtype=float32) tf.Tensor(12.0, shape=(), dtype=float32)
"""),
    ('cond value and gradient', """
x = tf.constant(3.)
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    a = tf.cond(x > 2., lambda: x * x, lambda: -x)
    b = tf.cond(x < 2., lambda: x * x, lambda: -x)
print(a, t.gradient(a, x), b, t.gradient(b, x))
""", """tf.Tensor(9.0, shape=(), dtype=float32) tf.Tensor(6.0, shape=(), dtype=float32) tf.Tensor(-3.0, shape=(), dtype=float32) tf.Tensor(-1.0, shape=(), dtype=float32)
"""),
    ('cond in a function gradient', """
@tf.function
def f(x):
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.cond(tf.reduce_sum(x) > 0., lambda: tf.reduce_sum(x * x), lambda: tf.reduce_sum(x))
    return y, t.gradient(y, x)
print(f(tf.constant([1., 2.]))); print(f(tf.constant([-1., -2.])))
""", """(<tf.Tensor: shape=(), dtype=float32, numpy=5.0>, <tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 4.], dtype=float32)>)
(<tf.Tensor: shape=(), dtype=float32, numpy=-3.0>, <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 1.], dtype=float32)>)
"""),
    ('while_loop value and gradient', """
x = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch(x)
    i, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), [0, tf.constant(1.)])
print(i, y, t.gradient(y, x))
""", """tf.Tensor(3, shape=(), dtype=int32) tf.Tensor(8.0, shape=(), dtype=float32) tf.Tensor(12.0, shape=(), dtype=float32)
"""),
    ('while_loop in a function gradient', """
@tf.function
def f(x, n):
    with tf.GradientTape() as t:
        t.watch(x)
        _, y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * x), [0, tf.constant(1.)])
    return y, t.gradient(y, x)
print(f(tf.constant(2.), tf.constant(3))); print(f(tf.constant(2.), tf.constant(4)))
""", """(<tf.Tensor: shape=(), dtype=float32, numpy=8.0>, <tf.Tensor: shape=(), dtype=float32, numpy=12.0>)
(<tf.Tensor: shape=(), dtype=float32, numpy=16.0>, <tf.Tensor: shape=(), dtype=float32, numpy=32.0>)
"""),
    ('case and switch_case', """
x = tf.constant(2.)
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    a = tf.case([(x > 5., lambda: x), (x > 1., lambda: x * 10.)], default=lambda: -x)
    b = tf.switch_case(tf.constant(1), [lambda: x, lambda: x * x, lambda: x * 3.])
    c = tf.switch_case(tf.constant(7), [lambda: x, lambda: x * x])
print(a, t.gradient(a, x)); print(b, t.gradient(b, x)); print(c, t.gradient(c, x))
""", """tf.Tensor(20.0, shape=(), dtype=float32) tf.Tensor(10.0, shape=(), dtype=float32)
tf.Tensor(4.0, shape=(), dtype=float32) tf.Tensor(4.0, shape=(), dtype=float32)
tf.Tensor(4.0, shape=(), dtype=float32) tf.Tensor(4.0, shape=(), dtype=float32)
"""),
    ('scan value and gradient', """
x = tf.constant([1., 2., 3.])
with tf.GradientTape() as t:
    t.watch(x)
    s = tf.scan(lambda acc, e: acc * e + 1., x, initializer=tf.constant(1.))
print(s, t.gradient(s, x))
""", """tf.Tensor([ 2.  5. 16.], shape=(3,), dtype=float32) tf.Tensor([9. 8. 5.], shape=(3,), dtype=float32)
"""),
    ('map_fn value and gradient', """
x = tf.constant([[1., 2.], [3., 4.]])
with tf.GradientTape() as t:
    t.watch(x)
    y = tf.map_fn(lambda r: tf.reduce_sum(r * r), x)
print(y, t.gradient(y, x))
""", """tf.Tensor([ 5. 25.], shape=(2,), dtype=float32) tf.Tensor(
[[2. 4.]
 [6. 8.]], shape=(2, 2), dtype=float32)
"""),
    ('vectorized_map value and gradient', """
x = tf.constant([[1., 2.], [3., 4.]])
w = tf.Variable([1., -1.])
with tf.GradientTape() as t:
    y = tf.vectorized_map(lambda r: tf.reduce_sum(r * w), x)
print(y, t.gradient(y, w))
""", """tf.Tensor([-1. -1.], shape=(2,), dtype=float32) tf.Tensor([4. 6.], shape=(2,), dtype=float32)
"""),
    ('function returns a variable', """
v = tf.Variable(1.)
@tf.function
def f():
    return v
r = f()
print(type(r).__name__, r)
""", """EagerTensor tf.Tensor(1.0, shape=(), dtype=float32)
"""),
    ('function assigns and returns', """
v = tf.Variable(1.)
@tf.function
def f(x):
    v.assign_add(x)
    return v.read_value()
print(f(tf.constant(2.)), f(tf.constant(3.)), v.numpy())
""", """tf.Tensor(3.0, shape=(), dtype=float32) tf.Tensor(6.0, shape=(), dtype=float32) 6.0
"""),
    ('function with a python list argument retraces', """
@tf.function
def f(xs):
    return tf.reduce_sum(tf.stack(xs))
f([tf.constant(1.), tf.constant(2.)]); f([tf.constant(3.), tf.constant(4.)]); f([tf.constant(1.)] * 3)
print(f.experimental_get_tracing_count())
""", """2
"""),
    ('gradient of a function output wrt a captured variable', """
w = tf.Variable([[1., 2.], [3., 4.]])
@tf.function
def f(x):
    return tf.reduce_sum(tf.matmul(x, w) ** 2)
x = tf.constant([[1., 1.]])
with tf.GradientTape() as t:
    y = f(x)
print(t.gradient(y, w))
""", """tf.Tensor(
[[ 8. 12.]
 [ 8. 12.]], shape=(2, 2), dtype=float32)
"""),
    ('elu selu second derivative at 0', """
x = tf.constant([0., 2.])
with tf.GradientTape(persistent=True) as t2:
    t2.watch(x)
    with tf.GradientTape(persistent=True) as t1:
        t1.watch(x)
        a = tf.nn.elu(x); b = tf.nn.selu(x)
    ga = t1.gradient(a, x); gb = t1.gradient(b, x)
print(ga.numpy(), t2.gradient(ga, x).numpy())
print(gb.numpy(), t2.gradient(gb, x).numpy())
""", """[1. 1.] [0. 0.]
[1.050701 1.050701] [0. 0.]
"""),
    ('pow gradient wrt the exponent at x <= 0', """
x = tf.constant([-2., 0., 0., 2.]); y = tf.constant([3., -1., 2., 2.])
with tf.GradientTape() as t:
    t.watch([x, y])
    z = tf.pow(x, y)
print(z.numpy(), [g.numpy() for g in t.gradient(z, [x, y])])
""", """[-8. inf  0.  4.] [array([ 12., -inf,   0.,   4.], dtype=float32), array([-0.       ,        nan,  0.       ,  2.7725887], dtype=float32)]
"""),
    ('custom_gradient with a python number argument', """
@tf.custom_gradient
def scaled(x, k):
    def grad(dy):
        return dy * k, None
    return x * k, grad
x = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch(x)
    y = scaled(x, 3.)
print(y, t.gradient(y, x))
""", """tf.Tensor(6.0, shape=(), dtype=float32) tf.Tensor(3.0, shape=(), dtype=float32)
"""),
    ('custom_gradient wrong number of gradients', """
@tf.custom_gradient
def f(x, k):
    def grad(dy):
        return dy
    return x * k, grad
x = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch(x)
    y = f(x, 3.)
try:
    t.gradient(y, x)
except Exception as e:
    print(type(e).__name__)
""", """ValueError
"""),
    ('custom_gradient uses a variable without the keyword', """
w = tf.Variable(2.)
@tf.custom_gradient
def f(x):
    def grad(dy):
        return dy
    return x * w, grad
try:
    f(tf.constant(1.))
except Exception as e:
    print(type(e).__name__)
""", """TypeError
"""),
    ('custom_gradient with a variable argument', """
w = tf.Variable(2.)
@tf.custom_gradient
def f(x):
    def grad(dy):
        return dy * 7.
    return x * 3., grad
with tf.GradientTape() as t:
    y = f(w)
print(y, t.gradient(y, w))
""", """tf.Tensor(6.0, shape=(), dtype=float32) tf.Tensor(7.0, shape=(), dtype=float32)
"""),
    ('custom_gradient one output unused', """
@tf.custom_gradient
def two(x):
    def grad(da, db):
        print('da', da.numpy(), 'db', db.numpy())
        return da + db
    return [x * 2., x * 3.], grad
x = tf.constant([1., 2.])
with tf.GradientTape() as t:
    t.watch(x)
    a, b = two(x)
print(type(two(x)).__name__, t.gradient(a, x))
""", """da [1. 1.] db [0. 0.]
list tf.Tensor([1. 1.], shape=(2,), dtype=float32)
"""),
    ('custom_gradient with a list argument', """
@tf.custom_gradient
def f(xs):
    def grad(dy):
        return [dy * 1., dy * 2.]
    return xs[0] * xs[1], grad
a = tf.constant(3.); b = tf.constant(4.)
with tf.GradientTape() as t:
    t.watch([a, b])
    y = f([a, b])
print(t.gradient(y, [a, b]))
""", """[<tf.Tensor: shape=(), dtype=float32, numpy=1.0>, <tf.Tensor: shape=(), dtype=float32, numpy=2.0>]
"""),
    ('custom_gradient inside a function', """
@tf.custom_gradient
def clip(x):
    def grad(dy):
        return tf.clip_by_value(dy, -1., 1.)
    return tf.identity(x), grad
@tf.function
def step(x):
    with tf.GradientTape() as t:
        t.watch(x)
        y = clip(x) * tf.constant([5., -0.5])
    return t.gradient(y, x)
print(step(tf.constant([1., 2.])))
""", """tf.Tensor([ 1.  -0.5], shape=(2,), dtype=float32)
"""),
    ('custom_gradient two outputs in a function', """
@tf.custom_gradient
def two(x):
    def grad(da, db):
        return da * 10. + db * 100.
    return (x * 2., x * 3.), grad
@tf.function
def step(x):
    with tf.GradientTape() as t:
        t.watch(x)
        a, b = two(x)
        y = tf.reduce_sum(a) + 2. * tf.reduce_sum(b)
    return a, b, t.gradient(y, x)
print(step(tf.constant([1., 2.])))
""", """(<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 4.], dtype=float32)>, <tf.Tensor: shape=(2,), dtype=float32, numpy=array([3., 6.], dtype=float32)>, <tf.Tensor: shape=(2,), dtype=float32, numpy=array([210., 210.], dtype=float32)>)
"""),
    ('custom_gradient with a variable in a function', """
w = tf.Variable(3.)
@tf.custom_gradient
def f(x):
    def grad(dy, variables):
        return dy * w, [dy * 100. for v in variables]
    return x * w, grad
@tf.function
def step(x):
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    return t.gradient(y, [x, w])
print(step(tf.constant(2.)))
""", """[<tf.Tensor: shape=(), dtype=float32, numpy=3.0>, <tf.Tensor: shape=(), dtype=float32, numpy=100.0>]
"""),
    ('custom_gradient variables wrong count', """
w = tf.Variable(3.)
@tf.custom_gradient
def f(x):
    def grad(dy, variables=None):
        return dy, []
    return x * w, grad
x = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch(x)
    y = f(x)
try:
    t.gradient(y, [x, w])
except Exception as e:
    print(type(e).__name__)
""", """ValueError
"""),
)
