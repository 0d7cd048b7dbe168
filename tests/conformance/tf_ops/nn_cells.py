"""Op cells: nn (see cells.py for what a cell is and how its text was confirmed).

Pooling (sizes, SAME's -inf and real-input averages, max pool's gradient to the first
maximum), conv1d, conv2d_transpose and depthwise_conv2d (shapes, values), bias_add, the
losses, batch normalization, embedding lookup, crelu, and the random ops: dropout's mask
and scaling, shuffle, gamma and poisson, printed as shapes, dtypes and facts that hold for
every draw (never the draws). An error is printed by its class only.
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

_ERRORS = """
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
"""

# The same, one level deeper: inside a `for call in (...)` loop.
_LOOP_ERRORS = _ERRORS.replace("\n", "\n    ")

CELLS: list[Cell] = _cells(
    "nn",
    ('max_pool2d SAME and VALID sizes', """
x = tf.reshape(tf.range(2 * 5 * 5 * 3, dtype=tf.float32), [2, 5, 5, 3])
print(tf.nn.max_pool2d(x, 2, 2, "SAME").shape)
print(tf.nn.max_pool2d(x, [1, 3, 3, 1], [1, 2, 2, 1], "VALID").shape)
print(tf.nn.avg_pool2d(x, [3, 2], 1, "SAME").shape)
""", """(2, 3, 3, 3)
(2, 2, 2, 3)
(2, 5, 5, 3)
"""),
    ('max_pool2d pads with -inf and avg_pool2d averages real inputs', """
x = tf.constant([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])[None, :, :, None]
print(tf.squeeze(tf.nn.avg_pool2d(x, 2, 1, "SAME")))
print(tf.squeeze(tf.nn.max_pool2d(-x, 2, 1, "SAME")))
print(tf.squeeze(tf.nn.max_pool2d(x, 2, 2, "VALID")))
""", """tf.Tensor(
[[3.  4.  4.5]
 [6.  7.  7.5]
 [7.5 8.5 9. ]], shape=(3, 3), dtype=float32)
tf.Tensor(
[[-1. -2. -3.]
 [-4. -5. -6.]
 [-7. -8. -9.]], shape=(3, 3), dtype=float32)
tf.Tensor(5.0, shape=(), dtype=float32)
"""),
    ('max_pool2d gradient goes to the first maximum of each window', """
v = tf.Variable(tf.constant([[1., 1., 2.], [1., 0., 2.], [3., 3., 3.]])[None, :, :, None])
with tf.GradientTape() as tape:
    y = tf.nn.max_pool2d(v, 2, 1, "VALID")
print(tf.squeeze(tape.gradient(y, v)))
with tf.GradientTape() as tape:
    y = tf.nn.max_pool2d(v, 2, 1, "SAME")
print(tf.squeeze(tape.gradient(y, v)))
""", """tf.Tensor(
[[1. 0. 1.]
 [0. 0. 0.]
 [1. 1. 0.]], shape=(3, 3), dtype=float32)
tf.Tensor(
[[1. 0. 2.]
 [0. 0. 0.]
 [2. 2. 2.]], shape=(3, 3), dtype=float32)
"""),
    ('avg_pool2d gradient spreads over each window', """
v = tf.Variable(tf.ones([1, 3, 3, 1]))
with tf.GradientTape() as tape:
    y = tf.reduce_sum(tf.nn.avg_pool2d(v, 2, 1, "SAME"))
print(tf.squeeze(tape.gradient(y, v)))
""", """tf.Tensor(
[[0.25 0.5  0.75]
 [0.5  1.   1.5 ]
 [0.75 1.5  2.25]], shape=(3, 3), dtype=float32)
"""),
    ('max_pool of integers', """
x = tf.reshape(tf.range(16), [1, 4, 4, 1])
print(tf.squeeze(tf.nn.max_pool2d(x, 2, 2, "VALID")))
""", """tf.Tensor(
[[ 5  7]
 [13 15]], shape=(2, 2), dtype=int32)
"""),
    ('max_pool and avg_pool pick 1-D or 2-D by rank', """
x = tf.reshape(tf.range(12, dtype=tf.float32), [1, 6, 2])
print(tf.nn.max_pool(x, 2, 2, "VALID"))
print(tf.nn.avg_pool(x, 3, 3, "VALID"))
print(tf.nn.max_pool1d(x, 4, 1, "SAME").shape)
print(tf.nn.avg_pool1d(x, 2, 2, "SAME", data_format="NCW").shape)
""", """tf.Tensor(
[[[ 2.  3.]
  [ 6.  7.]
  [10. 11.]]], shape=(1, 3, 2), dtype=float32)
tf.Tensor(
[[[2. 3.]
  [8. 9.]]], shape=(1, 2, 2), dtype=float32)
(1, 6, 2)
(1, 6, 1)
"""),
    ('pooling refuses a bad padding, rank or ksize', """
x = tf.ones([1, 4, 4, 1])
for call in (lambda: tf.nn.max_pool2d(x, 2, 2, "same"),
             lambda: tf.nn.max_pool2d(x, 2, 2, "FULL"),
             lambda: tf.nn.max_pool2d(tf.ones([4, 4, 1]), 2, 2, "VALID"),
             lambda: tf.nn.max_pool2d(x, [2, 2, 2], 2, "VALID"),
             lambda: tf.nn.max_pool(tf.ones([4, 4]), 2, 2, "VALID"),
             lambda: tf.nn.avg_pool2d(tf.ones([1, 4, 4, 1], tf.int32), 2, 2, "VALID")):
    try:
        call()
        print("no error")""" + _LOOP_ERRORS + "\n", """InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
ValueError
ValueError
InvalidArgumentError
"""),
    ('conv1d shapes and values', """
x = tf.reshape(tf.range(12, dtype=tf.float32), [1, 6, 2])
w = tf.ones([3, 2, 1])
print(tf.squeeze(tf.nn.conv1d(x, w, 1, "VALID")))
print(tf.squeeze(tf.nn.conv1d(x, w, 2, "SAME")))
print(tf.nn.conv1d(tf.ones([2, 3, 6]), tf.ones([2, 3, 4]), 1, "SAME", data_format="NCW").shape)
""", """tf.Tensor([15. 27. 39. 51.], shape=(4,), dtype=float32)
tf.Tensor([15. 39. 38.], shape=(3,), dtype=float32)
(2, 4, 6)
"""),
    ('conv2d_transpose sizes and values', """
x = tf.ones([1, 2, 2, 1])
w = tf.ones([3, 3, 1, 1])
print(tf.squeeze(tf.nn.conv2d_transpose(x, w, [1, 4, 4, 1], 2, "SAME")))
print(tf.nn.conv2d_transpose(tf.ones([2, 3, 3, 4]), tf.ones([3, 3, 5, 4]), [2, 7, 7, 5], 2,
                             "VALID").shape)
print(tf.nn.conv2d_transpose(tf.ones([2, 4, 3, 3]), tf.ones([3, 3, 5, 4]), [2, 5, 6, 6], 2,
                             "SAME", data_format="NCHW").shape)
""", """tf.Tensor(
[[1. 1. 2. 1.]
 [1. 1. 2. 1.]
 [2. 2. 4. 2.]
 [1. 1. 2. 1.]], shape=(4, 4), dtype=float32)
(2, 7, 7, 5)
(2, 5, 6, 6)
"""),
    ('conv2d_transpose refuses mismatched channels', """
try:
    tf.nn.conv2d_transpose(tf.ones([2, 3, 3, 4]), tf.ones([3, 3, 5, 4]), [2, 6, 6, 6], 2,
                           "SAME")
    print("no error")""" + _ERRORS, """InvalidArgumentError
"""),
    ('depthwise_conv2d shapes and values', """
x = tf.reshape(tf.range(2 * 3 * 3 * 2, dtype=tf.float32), [2, 3, 3, 2])
w = tf.stack([tf.ones([2, 2, 2]), 2 * tf.ones([2, 2, 2])], axis=-1)
y = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID")
print(y.shape)
print(y[0, 0, 0])
print(tf.nn.depthwise_conv2d(tf.ones([2, 5, 5, 3]), tf.ones([3, 3, 3, 2]), [1, 2, 1, 1],
                             "VALID").shape)
print(tf.nn.depthwise_conv2d(tf.ones([2, 3, 5, 5]), tf.ones([3, 3, 3, 2]), [1, 1, 1, 1],
                             "SAME", data_format="NCHW").shape)
""", """(2, 2, 2, 4)
tf.Tensor([16. 32. 20. 40.], shape=(4,), dtype=float32)
(2, 2, 3, 6)
(2, 6, 5, 5)
"""),
    ('bias_add by data_format', """
print(tf.nn.bias_add(tf.zeros([2, 3]), [1., 2., 3.]))
print(tf.nn.bias_add(tf.reshape(tf.range(12.), [1, 3, 2, 2]), [10., 20., 30.],
                     data_format="NCHW")[0, :, 0, 0])
print(tf.nn.bias_add(tf.constant([[1, 2]]), tf.constant([1, 1])))
""", """tf.Tensor(
[[1. 2. 3.]
 [1. 2. 3.]], shape=(2, 3), dtype=float32)
tf.Tensor([10. 24. 38.], shape=(3,), dtype=float32)
tf.Tensor([[2 3]], shape=(1, 2), dtype=int32)
"""),
    ('bias_add refuses', """
for call in (lambda: tf.nn.bias_add(tf.ones([2, 3, 4]), tf.ones([3])),
             lambda: tf.nn.bias_add(tf.ones([2, 4]), tf.ones([1, 4])),
             lambda: tf.nn.bias_add(tf.ones([4]), tf.ones([4])),
             lambda: tf.nn.bias_add(tf.ones([2, 4]), tf.ones([4]), data_format="XX"),
             lambda: tf.nn.bias_add(tf.ones([2, 4]), tf.ones([4], tf.float64))):
    try:
        call()
        print("no error")""" + _LOOP_ERRORS + "\n", """InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
ValueError
InvalidArgumentError
"""),
    ('l2_loss and crelu', """
print(tf.nn.l2_loss(tf.constant([1., 2., 3.])))
print(tf.nn.l2_loss(tf.constant([[1., 2.], [3., 4.]], tf.float64)))
print(tf.nn.crelu(tf.constant([[-1., 2.], [3., -4.]])))
print(tf.nn.crelu(tf.constant([-1, 2]), axis=0))
""", """tf.Tensor(7.0, shape=(), dtype=float32)
tf.Tensor(15.0, shape=(), dtype=float64)
tf.Tensor(
[[0. 2. 1. 0.]
 [3. 0. 0. 4.]], shape=(2, 4), dtype=float32)
tf.Tensor([0 2 1 0], shape=(4,), dtype=int32)
"""),
    ('batch_normalization and normalize_moments', """
x = tf.constant([[1., 2.], [3., 5.]])
print(tf.nn.batch_normalization(x, 1., 4., None, None, 0.))
print(tf.nn.batch_normalization(x, tf.constant([1., 2.]), tf.constant([4., 1.]),
                                tf.constant([0.5, 0.]), tf.constant([2., 1.]), 0.))
print(tf.nn.normalize_moments(tf.constant(4.), tf.constant([8., 12.]),
                              tf.constant([20., 40.]), None))
print(tf.nn.normalize_moments(4., [8., 12.], [20., 40.], 1.0))
""", """tf.Tensor(
[[0.  0.5]
 [1.  2. ]], shape=(2, 2), dtype=float32)
tf.Tensor(
[[0.5 0. ]
 [2.5 3. ]], shape=(2, 2), dtype=float32)
(<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 3.], dtype=float32)>, <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 1.], dtype=float32)>)
(<tf.Tensor: shape=(2,), dtype=float32, numpy=array([3., 4.], dtype=float32)>, <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 1.], dtype=float32)>)
"""),
    ('weighted cross-entropy and log-Poisson loss', """
z = tf.constant([1., 0., 0.5], tf.float64)
x = tf.constant([0.5, -1., 2.], tf.float64)
print(tf.nn.weighted_cross_entropy_with_logits(z, x, 2.0))
print(tf.nn.log_poisson_loss(tf.constant([1., 0., 3.], tf.float64), x))
print(tf.nn.log_poisson_loss(tf.constant([1., 0., 3.], tf.float64), x, compute_full_loss=True))
try:
    tf.nn.weighted_cross_entropy_with_logits([1., 0.], [0.5, -1., 2.], 2.0)""" + _ERRORS, """tf.Tensor([0.94815397 0.31326169 1.19039202], shape=(3,), dtype=float64)
tf.Tensor([1.14872127 0.36787944 1.3890561 ], shape=(3,), dtype=float64)
tf.Tensor([1.14872127 0.36787944 3.15313764], shape=(3,), dtype=float64)
ValueError
"""),
    ('compute_average_loss and scale_regularization_loss', """
print(tf.nn.compute_average_loss([1., 2., 3., 4.]))
print(tf.nn.compute_average_loss([1., 2., 3., 4.], global_batch_size=8))
print(tf.nn.compute_average_loss([1., 2., 3., 4.], sample_weight=[1., 0., 2., 1.]))
print(tf.nn.compute_average_loss([[1., 2.], [3., 4.]]))
print(tf.nn.compute_average_loss(tf.constant([1, 2])))
print(tf.nn.compute_average_loss(tf.zeros([0])))
print(tf.nn.scale_regularization_loss([1.0, 2.0]))
try:
    tf.nn.compute_average_loss(tf.constant(3.))""" + _ERRORS, """tf.Tensor(2.5, shape=(), dtype=float32)
tf.Tensor(1.25, shape=(), dtype=float32)
tf.Tensor(2.75, shape=(), dtype=float32)
tf.Tensor(5.0, shape=(), dtype=float32)
tf.Tensor(1.5, shape=(), dtype=float64)
tf.Tensor(0.0, shape=(), dtype=float32)
tf.Tensor(3.0, shape=(), dtype=float32)
ValueError
"""),
    ('embedding_lookup and its gradient', """
params = tf.Variable([[1., 2.], [3., 4.], [5., 6.]])
print(tf.nn.embedding_lookup(params, tf.constant([[2, 0], [1, 1]], tf.int64)))
print(tf.nn.embedding_lookup(tf.constant([[3., 4.], [1., 0.]]), [0, 1], max_norm=1.0))
with tf.GradientTape() as tape:
    y = tf.reduce_sum(tf.nn.embedding_lookup(params, [0, 2, 0]))
print(tf.convert_to_tensor(tape.gradient(y, params)))
try:
    tf.nn.embedding_lookup(params, [3])""" + _ERRORS, """tf.Tensor(
[[[5. 6.]
  [1. 2.]]

 [[3. 4.]
  [3. 4.]]], shape=(2, 2, 2), dtype=float32)
tf.Tensor(
[[0.6 0.8]
 [1.  0. ]], shape=(2, 2), dtype=float32)
tf.Tensor(
[[2. 2.]
 [0. 0.]
 [1. 1.]], shape=(3, 2), dtype=float32)
InvalidArgumentError
"""),
    ('dropout keeps or scales every element', """
x = tf.ones([50, 40])
y = tf.nn.dropout(x, 0.5)
print(y.shape, y.dtype)
print(sorted(set(y.numpy().ravel().tolist())))
print(tf.nn.dropout(x, 0.0) is x)
print(tf.nn.dropout(x, 0.5, noise_shape=[50, 1]).shape)
""", """(50, 40) <dtype: 'float32'>
[0.0, 2.0]
True
(50, 40)
"""),
    ('dropout refuses a rate outside [0, 1) and integers', """
for call in (lambda: tf.nn.dropout(tf.ones([2]), 1.0),
             lambda: tf.nn.dropout(tf.ones([2]), -0.1),
             lambda: tf.nn.dropout(tf.ones([2], tf.int32), 0.5)):
    try:
        call()
        print("no error")""" + _LOOP_ERRORS + "\n", """ValueError
ValueError
ValueError
"""),
    ('shuffle permutes the first axis', """
x = tf.reshape(tf.range(10), [5, 2])
s = tf.random.shuffle(x)
print(s.shape, s.dtype)
print(sorted(s.numpy()[:, 0].tolist()), bool(tf.reduce_all(s[:, 1] == s[:, 0] + 1)))
print(tf.random.shuffle(tf.constant(3.0)))
""", """(5, 2) <dtype: 'int32'>
[0, 2, 4, 6, 8] True
tf.Tensor(3.0, shape=(), dtype=float32)
"""),
    ('gamma and poisson shapes, dtypes and supports', """
g = tf.random.gamma([100], [0.5, 2.0], beta=[[1.0], [2.0]])
print(g.shape, g.dtype, bool(tf.reduce_all(g > 0)))
print(tf.random.gamma([3], 1.0, dtype=tf.float64).dtype)
print(tf.random.gamma([2], [0.0, -1.0]))
p = tf.random.poisson([100], [1.0, 30.0], dtype=tf.int32)
print(p.shape, p.dtype, bool(tf.reduce_all(p >= 0)))
print(tf.random.poisson([3], [0.0, -1.0]))
print(tf.random.poisson([2], tf.constant([1, 2]), dtype=tf.int64).dtype)
""", """(100, 2, 2) <dtype: 'float32'> True
<dtype: 'float64'>
tf.Tensor(
[[1.1754944e-38           nan]
 [1.1754944e-38           nan]], shape=(2, 2), dtype=float32)
(100, 2) <dtype: 'int32'> True
tf.Tensor(
[[0. 0.]
 [0. 0.]
 [0. 0.]], shape=(3, 2), dtype=float32)
<dtype: 'int64'>
"""),
)
