"""Op cells: shapes (see cells.py for what a cell is and how its text was confirmed)."""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

CELLS: list[Cell] = _cells(
    "shapes",
    ('reshape with -1', """
x = tf.range(12)
print(tf.reshape(x, [3, -1]))
print(tf.reshape(x, [-1]).shape)
print(tf.reshape(x, [2, -1, 3]).shape)
""", """tf.Tensor(
[[ 0  1  2  3]
 [ 4  5  6  7]
 [ 8  9 10 11]], shape=(3, 4), dtype=int32)
(12,)
(2, 2, 3)
"""),
    ('reshape errors', """
x = tf.range(12)
for shape in ([5, -1], [-1, -1], [7]):
    try:
        tf.reshape(x, shape)
    except Exception as e:
        print(shape, type(e).__name__)
""", """[5, -1] InvalidArgumentError
[-1, -1] InvalidArgumentError
[7] InvalidArgumentError
"""),
    ('reshape to scalar and from scalar', """
print(tf.reshape(tf.constant([7.]), []))
print(tf.reshape(tf.constant(3), [1, 1]))
""", """tf.Tensor(7.0, shape=(), dtype=float32)
tf.Tensor([[3]], shape=(1, 1), dtype=int32)
"""),
    ('transpose default and perm', """
x = tf.reshape(tf.range(6), [1, 2, 3])
print(tf.transpose(x).shape)
print(tf.transpose(x, perm=[1, 0, 2]))
""", """(3, 2, 1)
tf.Tensor(
[[[0 1 2]]

 [[3 4 5]]], shape=(2, 1, 3), dtype=int32)
"""),
    ('transpose conjugate', """
z = tf.constant([[1 + 2j, 3 - 1j]])
print(tf.transpose(z, conjugate=True))
print(tf.transpose(z))
""", """tf.Tensor(
[[1.-2.j]
 [3.+1.j]], shape=(2, 1), dtype=complex128)
tf.Tensor(
[[1.+2.j]
 [3.-1.j]], shape=(2, 1), dtype=complex128)
"""),
    ('transpose bad perm', """
try:
    tf.transpose(tf.zeros([2, 3]), perm=[0, 0])
except Exception as e:
    print(type(e).__name__)
""", """InvalidArgumentError
"""),
    ('expand_dims negative axis', """
x = tf.constant([[1, 2], [3, 4]])
print(tf.expand_dims(x, -1).shape)
print(tf.expand_dims(x, 0).shape)
print(tf.expand_dims(x, 1))
""", """(2, 2, 1)
(1, 2, 2)
tf.Tensor(
[[[1 2]]

 [[3 4]]], shape=(2, 1, 2), dtype=int32)
"""),
    ('squeeze all and by axis', """
x = tf.zeros([1, 2, 1, 3, 1])
print(tf.squeeze(x).shape)
print(tf.squeeze(x, axis=[0, -1]).shape)
try:
    tf.squeeze(x, axis=1)
except Exception as e:
    print(type(e).__name__)
""", """(2, 3)
(2, 1, 3)
InvalidArgumentError
"""),
    ('concat negative axis', """
a = tf.constant([[1, 2]]); b = tf.constant([[3, 4]])
print(tf.concat([a, b], axis=-1))
print(tf.concat([a, b], 0))
""", """tf.Tensor([[1 2 3 4]], shape=(1, 4), dtype=int32)
tf.Tensor(
[[1 2]
 [3 4]], shape=(2, 2), dtype=int32)
"""),
    ('concat mismatch', """
try:
    tf.concat([tf.zeros([2, 3]), tf.zeros([2, 4])], axis=0)
except Exception as e:
    print(type(e).__name__)
""", """InvalidArgumentError
"""),
    ('stack and unstack', """
a = tf.constant([1, 2, 3]); b = tf.constant([4, 5, 6])
print(tf.stack([a, b], axis=-1))
for t in tf.unstack(tf.reshape(tf.range(6), [2, 3]), axis=1):
    print(t)
""", """tf.Tensor(
[[1 4]
 [2 5]
 [3 6]], shape=(3, 2), dtype=int32)
tf.Tensor([0 3], shape=(2,), dtype=int32)
tf.Tensor([1 4], shape=(2,), dtype=int32)
tf.Tensor([2 5], shape=(2,), dtype=int32)
"""),
    ('unstack num', """
print(len(tf.unstack(tf.zeros([4, 2]))))
print(tf.unstack(tf.constant([[1., 2.], [3., 4.]]), axis=-1)[1])
""", """4
tf.Tensor([2. 4.], shape=(2,), dtype=float32)
"""),
    ('tile', """
print(tf.tile(tf.constant([[1, 2]]), [2, 3]))
""", """tf.Tensor(
[[1 2 1 2 1 2]
 [1 2 1 2 1 2]], shape=(2, 6), dtype=int32)
"""),
    ('broadcast_to', """
print(tf.broadcast_to(tf.constant([1., 2., 3.]), [2, 3]))
try:
    tf.broadcast_to(tf.constant([1., 2.]), [2, 3])
except Exception as e:
    print(type(e).__name__)
""", """tf.Tensor(
[[1. 2. 3.]
 [1. 2. 3.]], shape=(2, 3), dtype=float32)
InvalidArgumentError
"""),
    ('broadcast_static_shape', """
print(tf.broadcast_static_shape(tf.TensorShape([2, 1]), tf.TensorShape([3])))
print(tf.broadcast_dynamic_shape([2, 1], [1, 4]))
try:
    tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))
except Exception as e:
    print(type(e).__name__)
""", """(2, 3)
tf.Tensor([2 4], shape=(2,), dtype=int32)
ValueError
"""),
    ('getitem strides and negatives', """
x = tf.range(10)
print(x[::3])
print(x[-3:])
print(x[::-2])
print(x[7:2:-2])
print(x[-1])
""", """tf.Tensor([0 3 6 9], shape=(4,), dtype=int32)
tf.Tensor([7 8 9], shape=(3,), dtype=int32)
tf.Tensor([9 7 5 3 1], shape=(5,), dtype=int32)
tf.Tensor([7 5 3], shape=(3,), dtype=int32)
tf.Tensor(9, shape=(), dtype=int32)
"""),
    ('getitem 2d ellipsis newaxis', """
x = tf.reshape(tf.range(24), [2, 3, 4])
print(x[..., 1])
print(x[:, tf.newaxis, 0].shape)
print(x[1, ..., ::2])
print(x[None].shape)
""", """tf.Tensor(
[[ 1  5  9]
 [13 17 21]], shape=(2, 3), dtype=int32)
(2, 1, 4)
tf.Tensor(
[[12 14]
 [16 18]
 [20 22]], shape=(3, 2), dtype=int32)
(1, 2, 3, 4)
"""),
    ('getitem tensor index', """
x = tf.constant([10, 20, 30])
i = tf.constant(2)
print(x[i])
print(x[tf.constant(1):])
""", """tf.Tensor(30, shape=(), dtype=int32)
tf.Tensor([20 30], shape=(2,), dtype=int32)
"""),
    ('getitem out of range', """
x = tf.constant([1, 2, 3])
try:
    x[3]
except Exception as e:
    print(type(e).__name__)
print(x[1:10])
print(x[5:])
""", """InvalidArgumentError
tf.Tensor([2 3], shape=(2,), dtype=int32)
tf.Tensor([], shape=(0,), dtype=int32)
"""),
    ('getitem on scalar', """
try:
    tf.constant(1.)[0]
except Exception as e:
    print(type(e).__name__)
""", """InvalidArgumentError
"""),
    ('tf.slice', """
x = tf.reshape(tf.range(12), [3, 4])
print(tf.slice(x, [1, 1], [2, -1]))
try:
    tf.slice(x, [2, 0], [2, 2])
except Exception as e:
    print(type(e).__name__)
""", """tf.Tensor(
[[ 5  6  7]
 [ 9 10 11]], shape=(2, 3), dtype=int32)
InvalidArgumentError
"""),
    ('strided_slice masks', """
x = tf.reshape(tf.range(12), [3, 4])
print(tf.strided_slice(x, [0, 1], [3, 4], [2, 2]))
print(tf.strided_slice(x, [1, 0], [2, 4], shrink_axis_mask=1))
print(tf.strided_slice(x, [1, 0], [0, 3], begin_mask=1, end_mask=0))
""", """tf.Tensor(
[[ 1  3]
 [ 9 11]], shape=(2, 2), dtype=int32)
tf.Tensor([4 5 6 7], shape=(4,), dtype=int32)
tf.Tensor([], shape=(0, 3), dtype=int32)
"""),
    ('gather axis', """
x = tf.constant([[1, 2, 3], [4, 5, 6]])
print(tf.gather(x, [2, 0], axis=1))
print(tf.gather(x, [[1, 0]]))
print(tf.gather(x, -1 + tf.constant([1]), axis=-1))
""", """tf.Tensor(
[[3 1]
 [6 4]], shape=(2, 2), dtype=int32)
tf.Tensor(
[[[4 5 6]
  [1 2 3]]], shape=(1, 2, 3), dtype=int32)
tf.Tensor(
[[1]
 [4]], shape=(2, 1), dtype=int32)
"""),
    ('gather batch_dims', """
x = tf.constant([[1, 2, 3], [4, 5, 6]])
print(tf.gather(x, [[2, 0], [1, 1]], batch_dims=1))
print(tf.gather(x, [[2], [0]], axis=1, batch_dims=-1))
""", """tf.Tensor(
[[3 1]
 [5 5]], shape=(2, 2), dtype=int32)
tf.Tensor(
[[3]
 [4]], shape=(2, 1), dtype=int32)
"""),
    ('gather out of range', """
x = tf.constant([1, 2, 3])
for idx in ([3], [-1]):
    try:
        print(tf.gather(x, idx))
    except Exception as e:
        print(type(e).__name__)
""", """InvalidArgumentError
InvalidArgumentError
"""),
    ('gather_nd', """
x = tf.reshape(tf.range(8), [2, 2, 2])
print(tf.gather_nd(x, [[0, 1], [1, 0]]))
print(tf.gather_nd(x, [[1, 1, 1]]))
print(tf.gather_nd(x, [[0], [1]], batch_dims=1))
""", """tf.Tensor(
[[2 3]
 [4 5]], shape=(2, 2), dtype=int32)
tf.Tensor([7], shape=(1,), dtype=int32)
tf.Tensor(
[[0 1]
 [6 7]], shape=(2, 2), dtype=int32)
"""),
    ('gather_nd out of range', """
try:
    print(tf.gather_nd(tf.constant([[1, 2]]), [[1, 0]]))
except Exception as e:
    print(type(e).__name__)
""", """InvalidArgumentError
"""),
    ('scatter_nd duplicates add', """
print(tf.scatter_nd([[1], [3], [1]], [10., 20., 5.], [5]))
print(tf.scatter_nd([[0, 1]], [[7, 8]], [2, 2, 2]))
""", """tf.Tensor([ 0. 15.  0. 20.  0.], shape=(5,), dtype=float32)
tf.Tensor(
[[[0 0]
  [7 8]]

 [[0 0]
  [0 0]]], shape=(2, 2, 2), dtype=int32)
"""),
    ('tensor_scatter_nd family', """
t = tf.constant([1, 2, 3, 4])
i = [[0], [2]]
u = [10, -5]
print(tf.tensor_scatter_nd_update(t, i, u))
print(tf.tensor_scatter_nd_add(t, i, u))
print(tf.tensor_scatter_nd_sub(t, i, u))
print(tf.tensor_scatter_nd_max(t, i, u))
print(tf.tensor_scatter_nd_min(t, i, u))
""", """tf.Tensor([10  2 -5  4], shape=(4,), dtype=int32)
tf.Tensor([11  2 -2  4], shape=(4,), dtype=int32)
tf.Tensor([-9  2  8  4], shape=(4,), dtype=int32)
tf.Tensor([10  2  3  4], shape=(4,), dtype=int32)
tf.Tensor([ 1  2 -5  4], shape=(4,), dtype=int32)
"""),
    ('tensor_scatter_nd_add duplicates', """
print(tf.tensor_scatter_nd_add(tf.zeros([3]), [[1], [1], [2]], [1., 2., 3.]))
""", """tf.Tensor([0. 3. 3.], shape=(3,), dtype=float32)
"""),
    ('tensor_scatter_nd_update rows', """
t = tf.zeros([3, 2], dtype=tf.int32)
print(tf.tensor_scatter_nd_update(t, [[2], [0]], [[1, 2], [3, 4]]))
""", """tf.Tensor(
[[3 4]
 [0 0]
 [1 2]], shape=(3, 2), dtype=int32)
"""),
    ('tensor_scatter out of range', """
try:
    tf.tensor_scatter_nd_update(tf.zeros([3]), [[5]], [1.])
except Exception as e:
    print(type(e).__name__)
""", """InvalidArgumentError
"""),
    ('boolean_mask', """
x = tf.constant([[1, 2], [3, 4], [5, 6]])
print(tf.boolean_mask(x, [True, False, True]))
print(tf.boolean_mask(x, [[True, False], [False, True], [True, True]]))
print(tf.boolean_mask(x, [False, True], axis=1))
""", """tf.Tensor(
[[1 2]
 [5 6]], shape=(2, 2), dtype=int32)
tf.Tensor([1 4 5 6], shape=(4,), dtype=int32)
tf.Tensor(
[[2]
 [4]
 [6]], shape=(3, 1), dtype=int32)
"""),
    ('where one argument', """
print(tf.where([[True, False], [False, True]]))
print(tf.where(tf.constant([0, 3, 0, 1])))
print(tf.where(tf.constant([False, False])))
""", """tf.Tensor(
[[0 0]
 [1 1]], shape=(2, 2), dtype=int64)
tf.Tensor(
[[1]
 [3]], shape=(2, 1), dtype=int64)
tf.Tensor([], shape=(0, 1), dtype=int64)
"""),
    ('where three arguments broadcasting', """
c = tf.constant([[True], [False]])
print(tf.where(c, tf.constant([1., 2., 3.]), -1.))
print(tf.where([True, False], 1, 2))
""", """tf.Tensor(
[[ 1.  2.  3.]
 [-1. -1. -1.]], shape=(2, 3), dtype=float32)
tf.Tensor([1 2], shape=(2,), dtype=int32)
"""),
    ('unique', """
y, idx = tf.unique(tf.constant([4, 1, 4, 2, 1, 7]))
print(y)
print(idx)
y, idx = tf.unique([3., 3., 1.], out_idx=tf.int64)
print(y, idx)
""", """tf.Tensor([4 1 2 7], shape=(4,), dtype=int32)
tf.Tensor([0 1 0 2 1 3], shape=(6,), dtype=int32)
tf.Tensor([3. 1.], shape=(2,), dtype=float32) tf.Tensor([0 0 1], shape=(3,), dtype=int64)
"""),
    ('unique_with_counts', """
y, idx, cnt = tf.unique_with_counts(tf.constant([5, 5, 2, 5, 9]))
print(y)
print(idx)
print(cnt)
""", """tf.Tensor([5 2 9], shape=(3,), dtype=int32)
tf.Tensor([0 0 1 0 2], shape=(5,), dtype=int32)
tf.Tensor([3 1 1], shape=(3,), dtype=int32)
"""),
    ('sort direction', """
x = tf.constant([3, 1, 2, 1])
print(tf.sort(x))
print(tf.sort(x, direction="DESCENDING"))
print(tf.sort(tf.constant([[3., 1.], [0., 2.]]), axis=0))
""", """tf.Tensor([1 1 2 3], shape=(4,), dtype=int32)
tf.Tensor([3 2 1 1], shape=(4,), dtype=int32)
tf.Tensor(
[[0. 1.]
 [3. 2.]], shape=(2, 2), dtype=float32)
"""),
    ('argsort stable', """
x = tf.constant([2, 1, 2, 1, 0])
print(tf.argsort(x, stable=True))
print(tf.argsort(x, direction="DESCENDING", stable=True))
""", """tf.Tensor([4 1 3 0 2], shape=(5,), dtype=int32)
tf.Tensor([0 2 1 3 4], shape=(5,), dtype=int32)
"""),
    ('top_k ties and sorted', """
v, i = tf.math.top_k(tf.constant([1, 5, 3, 5, 2]), k=3)
print(v)
print(i)
v, i = tf.math.top_k(tf.constant([[1., 4., 2.], [9., 7., 8.]]), k=2)
print(v, i)
""", """tf.Tensor([5 5 3], shape=(3,), dtype=int32)
tf.Tensor([1 3 2], shape=(3,), dtype=int32)
tf.Tensor(
[[4. 2.]
 [9. 8.]], shape=(2, 2), dtype=float32) tf.Tensor(
[[1 2]
 [0 2]], shape=(2, 2), dtype=int32)
"""),
    ('top_k k errors', """
for k in (6, -1):
    try:
        tf.math.top_k(tf.constant([1., 2., 3.]), k=k)
    except Exception as e:
        print(k, type(e).__name__)
print(tf.math.top_k(tf.constant([1., 2.]), k=0))
""", """6 InvalidArgumentError
-1 InvalidArgumentError
TopKV2(values=<tf.Tensor: shape=(0,), dtype=float32, numpy=array([], dtype=float32)>, indices=<tf.Tensor: shape=(0,), dtype=int32, numpy=array([], dtype=int32)>)
"""),
    ('pad modes', """
x = tf.constant([[1, 2, 3], [4, 5, 6]])
p = [[1, 1], [2, 2]]
print(tf.pad(x, p))
print(tf.pad(x, p, mode="REFLECT"))
print(tf.pad(x, p, mode="SYMMETRIC"))
print(tf.pad(x, [[0, 0], [1, 0]], constant_values=9))
""", """tf.Tensor(
[[0 0 0 0 0 0 0]
 [0 0 1 2 3 0 0]
 [0 0 4 5 6 0 0]
 [0 0 0 0 0 0 0]], shape=(4, 7), dtype=int32)
tf.Tensor(
[[6 5 4 5 6 5 4]
 [3 2 1 2 3 2 1]
 [6 5 4 5 6 5 4]
 [3 2 1 2 3 2 1]], shape=(4, 7), dtype=int32)
tf.Tensor(
[[2 1 1 2 3 3 2]
 [2 1 1 2 3 3 2]
 [5 4 4 5 6 6 5]
 [5 4 4 5 6 6 5]], shape=(4, 7), dtype=int32)
tf.Tensor(
[[9 1 2 3]
 [9 4 5 6]], shape=(2, 4), dtype=int32)
"""),
    ('pad reflect too big', """
try:
    tf.pad(tf.constant([1, 2]), [[2, 0]], mode="REFLECT")
except Exception as e:
    print(type(e).__name__)
print(tf.pad(tf.constant([1, 2]), [[2, 0]], mode="symmetric"))
""", """InvalidArgumentError
tf.Tensor([2 1 1 2], shape=(4,), dtype=int32)
"""),
    ('reverse', """
x = tf.reshape(tf.range(6), [2, 3])
print(tf.reverse(x, [1]))
print(tf.reverse(x, [-1, 0]))
""", """tf.Tensor(
[[2 1 0]
 [5 4 3]], shape=(2, 3), dtype=int32)
tf.Tensor(
[[5 4 3]
 [2 1 0]], shape=(2, 3), dtype=int32)
"""),
    ('roll', """
x = tf.reshape(tf.range(6), [2, 3])
print(tf.roll(x, shift=1, axis=1))
print(tf.roll(x, shift=[-1, 1], axis=[1, 0]))
print(tf.roll(tf.range(5), shift=[2, 1], axis=[0, 0]))
""", """tf.Tensor(
[[2 0 1]
 [5 3 4]], shape=(2, 3), dtype=int32)
tf.Tensor(
[[4 5 3]
 [1 2 0]], shape=(2, 3), dtype=int32)
tf.Tensor([2 3 4 0 1], shape=(5,), dtype=int32)
"""),
    ('split num and sizes', """
x = tf.reshape(tf.range(12), [2, 6])
a, b, c = tf.split(x, 3, axis=1)
print(b)
p, q = tf.split(x, [4, -1], axis=1)
print(q)
try:
    tf.split(x, 4, axis=1)
except Exception as e:
    print(type(e).__name__)
""", """tf.Tensor(
[[2 3]
 [8 9]], shape=(2, 2), dtype=int32)
tf.Tensor(
[[ 4  5]
 [10 11]], shape=(2, 2), dtype=int32)
InvalidArgumentError
"""),
    ('meshgrid', """
X, Y = tf.meshgrid([1, 2, 3], [10, 20])
print(X)
print(Y)
I, J = tf.meshgrid([1, 2, 3], [10, 20], indexing="ij")
print(I.shape, J.shape)
""", """tf.Tensor(
[[1 2 3]
 [1 2 3]], shape=(2, 3), dtype=int32)
tf.Tensor(
[[10 10 10]
 [20 20 20]], shape=(2, 3), dtype=int32)
(3, 2) (3, 2)
"""),
    ('one_hot basics', """
print(tf.one_hot([0, 2, 3, -1], depth=3))
print(tf.one_hot([1, 0], 3, on_value=5, off_value=-1))
""", """tf.Tensor(
[[1. 0. 0.]
 [0. 0. 1.]
 [0. 0. 0.]
 [0. 0. 0.]], shape=(4, 3), dtype=float32)
tf.Tensor(
[[-1  5 -1]
 [ 5 -1 -1]], shape=(2, 3), dtype=int32)
"""),
    ('one_hot axis and dtype', """
print(tf.one_hot([[0, 1], [2, 0]], 3, axis=0))
print(tf.one_hot([1], 2, dtype=tf.int64))
print(tf.one_hot([1, 2], 3, axis=-1, on_value=True, off_value=False))
""", """tf.Tensor(
[[[1. 0.]
  [0. 1.]]

 [[0. 1.]
  [0. 0.]]

 [[0. 0.]
  [1. 0.]]], shape=(3, 2, 2), dtype=float32)
tf.Tensor([[0 1]], shape=(1, 2), dtype=int64)
tf.Tensor(
[[False  True False]
 [False False  True]], shape=(2, 3), dtype=bool)
"""),
    ('eye', """
print(tf.eye(2, num_columns=3))
print(tf.eye(2, batch_shape=[2], dtype=tf.int32))
""", """tf.Tensor(
[[1. 0. 0.]
 [0. 1. 0.]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[[1 0]
  [0 1]]

 [[1 0]
  [0 1]]], shape=(2, 2, 2), dtype=int32)
"""),
    ('fill and likes', """
print(tf.fill([2, 2], 7))
print(tf.fill([3], 0.5))
x = tf.constant([[1.5, 2.]])
print(tf.zeros_like(x, dtype=tf.int32))
print(tf.ones_like(x))
print(tf.ones_like([1, 2]))
""", """tf.Tensor(
[[7 7]
 [7 7]], shape=(2, 2), dtype=int32)
tf.Tensor([0.5 0.5 0.5], shape=(3,), dtype=float32)
tf.Tensor([[0 0]], shape=(1, 2), dtype=int32)
tf.Tensor([[1. 1.]], shape=(1, 2), dtype=float32)
tf.Tensor([1 1], shape=(2,), dtype=int32)
"""),
    ('range forms', """
print(tf.range(5))
print(tf.range(2, 8, 2))
print(tf.range(1., 2., 0.25))
print(tf.range(5, 0, -2))
print(tf.range(3, dtype=tf.float64))
print(tf.range(0))
""", """tf.Tensor([0 1 2 3 4], shape=(5,), dtype=int32)
tf.Tensor([2 4 6], shape=(3,), dtype=int32)
tf.Tensor([1.   1.25 1.5  1.75], shape=(4,), dtype=float32)
tf.Tensor([5 3 1], shape=(3,), dtype=int32)
tf.Tensor([0. 1. 2.], shape=(3,), dtype=float64)
tf.Tensor([], shape=(0,), dtype=int32)
"""),
    ('range errors', """
for args in ((0, 5, 0), (5, 1), (1, 5, -1)):
    try:
        tf.range(*args)
    except Exception as e:
        print(args, type(e).__name__)
print(tf.range(3, 3))
""", """(0, 5, 0) InvalidArgumentError
(5, 1) InvalidArgumentError
(1, 5, -1) InvalidArgumentError
tf.Tensor([], shape=(0,), dtype=int32)
"""),
    ('size rank shape out_type', """
x = tf.zeros([2, 3, 4])
print(tf.size(x))
print(tf.rank(x))
print(tf.shape(x))
print(tf.shape(x, out_type=tf.int64))
print(tf.size(x, out_type=tf.int64))
""", """tf.Tensor(24, shape=(), dtype=int32)
tf.Tensor(3, shape=(), dtype=int32)
tf.Tensor([2 3 4], shape=(3,), dtype=int32)
tf.Tensor([2 3 4], shape=(3,), dtype=int64)
tf.Tensor(24, shape=(), dtype=int64)
"""),
    ('TensorShape basics', """
s = tf.TensorShape([2, None, 3])
print(s)
print(repr(s))
print(s.rank, s.as_list(), s.num_elements())
print(tf.TensorShape([2, 3]).num_elements())
print(tf.TensorShape(None))
print(tf.TensorShape(None).rank)
""", """(2, None, 3)
TensorShape([2, None, 3])
3 [2, None, 3] None
6
<unknown>
None
"""),
    ('TensorShape merge and concatenate', """
a = tf.TensorShape([None, 3])
b = tf.TensorShape([4, None])
print(a.merge_with(b))
print(a.concatenate([5]))
print(a.is_compatible_with(b), a.is_fully_defined())
try:
    a.merge_with(tf.TensorShape([4, 5]))
except Exception as e:
    print(type(e).__name__)
""", """(4, 3)
(None, 3, 5)
True False
ValueError
"""),
    ('TensorShape equality and indexing', """
s = tf.TensorShape([2, 3])
print(s == [2, 3], s == tf.TensorShape([2, 3]), s != [3, 2])
print(s[0], s[-1], s[1:])
print(tf.TensorShape([None]) == tf.TensorShape([None]))
print(len(s), list(s))
""", """True True True
2 3 (3,)
True
2 [2, 3]
"""),
    ('einsum equations', """
a = tf.constant([[1., 2.], [3., 4.]])
b = tf.constant([[5., 6.], [7., 8.]])
print(tf.einsum("ij,jk->ik", a, b))
print(tf.einsum("ij->ji", a))
print(tf.einsum("ii", a))
print(tf.einsum("ij,ij->i", a, b))
print(tf.einsum("i,j->ij", tf.constant([1., 2.]), tf.constant([3., 4., 5.])))
""", """tf.Tensor(
[[19. 22.]
 [43. 50.]], shape=(2, 2), dtype=float32)
tf.Tensor(
[[1. 3.]
 [2. 4.]], shape=(2, 2), dtype=float32)
tf.Tensor(5.0, shape=(), dtype=float32)
tf.Tensor([17. 53.], shape=(2,), dtype=float32)
tf.Tensor(
[[ 3.  4.  5.]
 [ 6.  8. 10.]], shape=(2, 3), dtype=float32)
"""),
    ('einsum ellipsis broadcasting', """
a = tf.reshape(tf.range(12, dtype=tf.float32), [3, 2, 2])
b = tf.constant([[1., 0.], [0., 2.]])
print(tf.einsum("...ij,jk->...ik", a, b).shape)
print(tf.einsum("bij,bjk->bik", a, a)[1])
print(tf.einsum("ii->i", b))
""", """(3, 2, 2)
tf.Tensor(
[[46. 55.]
 [66. 79.]], shape=(2, 2), dtype=float32)
tf.Tensor([1. 2.], shape=(2,), dtype=float32)
"""),
    ('matmul transposes', """
a = tf.constant([[1., 2., 3.], [4., 5., 6.]])
print(tf.matmul(a, a, transpose_b=True))
print(tf.matmul(a, a, transpose_a=True))
z = tf.constant([[1 + 1j, 2j]])
print(tf.matmul(z, z, adjoint_b=True))
""", """tf.Tensor(
[[14. 32.]
 [32. 77.]], shape=(2, 2), dtype=float32)
tf.Tensor(
[[17. 22. 27.]
 [22. 29. 36.]
 [27. 36. 45.]], shape=(3, 3), dtype=float32)
tf.Tensor([[6.+0.j]], shape=(1, 1), dtype=complex128)
"""),
    ('matmul batch broadcasting', """
a = tf.ones([2, 1, 2, 3])
b = tf.ones([4, 3, 5])
print(tf.matmul(a, b).shape)
print((a @ b).shape)
""", """(2, 4, 2, 5)
(2, 4, 2, 5)
"""),
    ('matmul ints', """
a = tf.constant([[1, 2], [3, 4]])
print(tf.matmul(a, a))
print(a @ a)
""", """tf.Tensor(
[[ 7 10]
 [15 22]], shape=(2, 2), dtype=int32)
tf.Tensor(
[[ 7 10]
 [15 22]], shape=(2, 2), dtype=int32)
"""),
    ('matmul errors', """
try:
    tf.matmul(tf.ones([2, 3]), tf.ones([2, 3]))
except Exception as e:
    print(type(e).__name__)
try:
    tf.matmul(tf.ones([2, 2]), tf.ones([2, 2], dtype=tf.int32))
except Exception as e:
    print(isinstance(e, tf.errors.InvalidArgumentError))
""", """InvalidArgumentError
True
"""),
    ('tensordot', """
a = tf.reshape(tf.range(6.), [2, 3])
b = tf.reshape(tf.range(12.), [3, 4])
print(tf.tensordot(a, b, axes=1))
print(tf.tensordot(a, a, axes=[[0, 1], [0, 1]]))
print(tf.tensordot([1., 2.], [3., 4.], axes=0))
""", """tf.Tensor(
[[20. 23. 26. 29.]
 [56. 68. 80. 92.]], shape=(2, 4), dtype=float32)
tf.Tensor(55.0, shape=(), dtype=float32)
tf.Tensor(
[[3. 4.]
 [6. 8.]], shape=(2, 2), dtype=float32)
"""),
    ('svd singular values', """
a = tf.constant([[3., 0.], [4., 5.]])
s = tf.linalg.svd(a, compute_uv=False)
print(s.shape, s.dtype)
print(np.round(s.numpy(), 4))
""", """(2,) <dtype: 'float32'>
[6.7082 2.2361]
"""),
    ('svd reconstruction', """
a = tf.constant([[1., 2., 3.], [4., 5., 6.]], dtype=tf.float64)
s, u, v = tf.linalg.svd(a)
print(s.shape, u.shape, v.shape)
print(np.round((u @ tf.linalg.diag(s) @ tf.transpose(v)).numpy(), 6))
s, u, v = tf.linalg.svd(a, full_matrices=True)
print(s.shape, u.shape, v.shape)
""", """(2,) (2, 2) (3, 2)
[[1. 2. 3.]
 [4. 5. 6.]]
(2,) (2, 2) (3, 3)
"""),
    ('svd batch', """
a = tf.reshape(tf.range(12, dtype=tf.float64), [2, 3, 2])
s = tf.linalg.svd(a, compute_uv=False)
print(s.shape)
print(np.round(s.numpy(), 4))
""", """(2, 2)
[[ 7.3865  0.6632]
 [21.2355  0.2307]]
"""),
    ('solve and inv', """
a = tf.constant([[2., 1.], [1., 3.]], dtype=tf.float64)
b = tf.constant([[1.], [2.]], dtype=tf.float64)
print(tf.linalg.solve(a, b))
print(tf.linalg.inv(a))
print(tf.linalg.solve(a, b, adjoint=True))
""", """tf.Tensor(
[[0.2]
 [0.6]], shape=(2, 1), dtype=float64)
tf.Tensor(
[[ 0.6 -0.2]
 [-0.2  0.4]], shape=(2, 2), dtype=float64)
tf.Tensor(
[[0.2]
 [0.6]], shape=(2, 1), dtype=float64)
"""),
    ('inv singular', """
try:
    print(tf.linalg.inv(tf.constant([[1., 2.], [2., 4.]])))
except Exception as e:
    print(type(e).__name__)
""", """InvalidArgumentError
"""),
    ('det and slogdet', """
a = tf.constant([[1., 2.], [3., 4.]], dtype=tf.float64)
print(tf.linalg.det(a))
sign, logdet = tf.linalg.slogdet(a)
print(sign, logdet)
print(tf.linalg.det(tf.eye(3, batch_shape=[2])))
""", """tf.Tensor(-2.0000000000000004, shape=(), dtype=float64)
tf.Tensor(-1.0, shape=(), dtype=float64) tf.Tensor(0.6931471805599455, shape=(), dtype=float64)
tf.Tensor([1. 1.], shape=(2,), dtype=float32)
"""),
    ('cholesky', """
a = tf.constant([[4., 2.], [2., 3.]], dtype=tf.float64)
print(tf.linalg.cholesky(a))
""", """tf.Tensor(
[[2.         0.        ]
 [1.         1.41421356]], shape=(2, 2), dtype=float64)
"""),
    ('norm', """
x = tf.constant([[3., 4.], [6., 8.]])
print(tf.norm(x))
print(tf.norm(x, axis=1))
print(tf.norm(x, ord=1, axis=0))
print(tf.norm(x, ord=np.inf, axis=1))
print(tf.norm(x, ord="fro", axis=[0, 1]))
print(tf.norm(x, axis=1, keepdims=True))
""", """tf.Tensor(11.18034, shape=(), dtype=float32)
tf.Tensor([ 5. 10.], shape=(2,), dtype=float32)
tf.Tensor([ 9. 12.], shape=(2,), dtype=float32)
tf.Tensor([4. 8.], shape=(2,), dtype=float32)
tf.Tensor(11.18034, shape=(), dtype=float32)
tf.Tensor(
[[ 5.]
 [10.]], shape=(2, 1), dtype=float32)
"""),
    ('linalg.norm matrix ord', """
x = tf.constant([[1., -2.], [3., 4.]], dtype=tf.float64)
print(tf.linalg.norm(x, ord=1, axis=[-2, -1]))
print(tf.linalg.norm(x, ord=np.inf, axis=[-2, -1]))
print(np.round(tf.linalg.norm(x, ord=2, axis=[-2, -1]).numpy(), 6))
print(tf.norm(tf.stack([x, 2 * x]), ord=1, axis=[2, 1], keepdims=True).shape)
""", """tf.Tensor(6.0, shape=(), dtype=float64)
tf.Tensor(7.0, shape=(), dtype=float64)
5.116673
(2, 1, 1)
"""),
    ('matrix_transpose', """
x = tf.reshape(tf.range(6), [1, 2, 3])
print(tf.linalg.matrix_transpose(x))
z = tf.constant([[1j, 2.]])
print(tf.linalg.matrix_transpose(z, conjugate=True))
print(tf.linalg.adjoint(z))
""", """tf.Tensor(
[[[0 3]
  [1 4]
  [2 5]]], shape=(1, 3, 2), dtype=int32)
tf.Tensor(
[[0.-1.j]
 [2.-0.j]], shape=(2, 1), dtype=complex128)
tf.Tensor(
[[0.-1.j]
 [2.-0.j]], shape=(2, 1), dtype=complex128)
"""),
    ('band_part', """
x = tf.reshape(tf.range(1, 17), [4, 4])
print(tf.linalg.band_part(x, 1, 0))
print(tf.linalg.band_part(x, 0, -1))
print(tf.linalg.band_part(x, -1, 1))
""", """tf.Tensor(
[[ 1  0  0  0]
 [ 5  6  0  0]
 [ 0 10 11  0]
 [ 0  0 15 16]], shape=(4, 4), dtype=int32)
tf.Tensor(
[[ 1  2  3  4]
 [ 0  6  7  8]
 [ 0  0 11 12]
 [ 0  0  0 16]], shape=(4, 4), dtype=int32)
tf.Tensor(
[[ 1  2  0  0]
 [ 5  6  7  0]
 [ 9 10 11 12]
 [13 14 15 16]], shape=(4, 4), dtype=int32)
"""),
    ('diag and diag_part', """
print(tf.linalg.diag([1, 2, 3]))
print(tf.linalg.diag_part(tf.reshape(tf.range(6), [2, 3])))
print(tf.linalg.diag([[1., 2.], [3., 4.]]).shape)
print(tf.linalg.tensor_diag([1, 2]))
print(tf.linalg.tensor_diag_part(tf.eye(3)))
""", """tf.Tensor(
[[1 0 0]
 [0 2 0]
 [0 0 3]], shape=(3, 3), dtype=int32)
tf.Tensor([0 4], shape=(2,), dtype=int32)
(2, 2, 2)
tf.Tensor(
[[1 0]
 [0 2]], shape=(2, 2), dtype=int32)
tf.Tensor([1. 1. 1.], shape=(3,), dtype=float32)
"""),
    ('diag k offset', """
print(tf.linalg.diag([1, 2], k=1))
print(tf.linalg.diag_part(tf.reshape(tf.range(9), [3, 3]), k=-1))
print(tf.linalg.set_diag(tf.zeros([2, 2]), [5., 6.]))
""", """tf.Tensor(
[[0 1 0]
 [0 0 2]
 [0 0 0]], shape=(3, 3), dtype=int32)
tf.Tensor([3 7], shape=(2,), dtype=int32)
tf.Tensor(
[[5. 0.]
 [0. 6.]], shape=(2, 2), dtype=float32)
"""),
    ('trace', """
print(tf.linalg.trace(tf.reshape(tf.range(9), [3, 3])))
print(tf.linalg.trace(tf.ones([2, 2, 3])))
""", """tf.Tensor(12, shape=(), dtype=int32)
tf.Tensor([2. 2.], shape=(2,), dtype=float32)
"""),
    ('triangular_solve', """
a = tf.constant([[2., 0.], [1., 4.]], dtype=tf.float64)
b = tf.constant([[2.], [9.]], dtype=tf.float64)
print(tf.linalg.triangular_solve(a, b))
print(tf.linalg.triangular_solve(tf.transpose(a), b, lower=False))
print(tf.linalg.triangular_solve(a, b, adjoint=True))
""", """tf.Tensor(
[[1.]
 [2.]], shape=(2, 1), dtype=float64)
tf.Tensor(
[[-0.125]
 [ 2.25 ]], shape=(2, 1), dtype=float64)
tf.Tensor(
[[-0.125]
 [ 2.25 ]], shape=(2, 1), dtype=float64)
"""),
    ('lstsq', """
a = tf.constant([[1., 1.], [1., 2.], [1., 3.]], dtype=tf.float64)
b = tf.constant([[1.], [2.], [2.]], dtype=tf.float64)
print(np.round(tf.linalg.lstsq(a, b).numpy(), 6))
""", """[[0.666667]
 [0.5     ]]
"""),
    ('matvec and cross', """
a = tf.constant([[1., 2.], [3., 4.]])
print(tf.linalg.matvec(a, [1., 1.]))
print(tf.linalg.cross([1., 0., 0.], [0., 1., 0.]))
print(tf.linalg.matmul(a, a))
""", """tf.Tensor([3. 7.], shape=(2,), dtype=float32)
tf.Tensor([0. 0. 1.], shape=(3,), dtype=float32)
tf.Tensor(
[[ 7. 10.]
 [15. 22.]], shape=(2, 2), dtype=float32)
"""),
    ('linalg normalize and l2', """
x = tf.constant([3., 4.])
n, nrm = tf.linalg.normalize(x)
print(n, nrm)
print(tf.math.l2_normalize(x))
""", """tf.Tensor([0.6 0.8], shape=(2,), dtype=float32) tf.Tensor([5.], shape=(1,), dtype=float32)
tf.Tensor([0.6 0.8], shape=(2,), dtype=float32)
"""),
    ('ragged constant printing', """
r = tf.ragged.constant([[1, 2], [], [3]])
print(r)
print(r.shape)
print(r.row_lengths())
print(r.to_tensor())
print(r.to_tensor(default_value=-1))
""", """<tf.RaggedTensor [[1, 2], [], [3]]>
(3, None)
tf.Tensor([2 0 1], shape=(3,), dtype=int64)
tf.Tensor(
[[1 2]
 [0 0]
 [3 0]], shape=(3, 2), dtype=int32)
tf.Tensor(
[[ 1  2]
 [-1 -1]
 [ 3 -1]], shape=(3, 2), dtype=int32)
"""),
    ('sparse basics', """
s = tf.sparse.SparseTensor(indices=[[0, 1], [2, 0]], values=[5, 7], dense_shape=[3, 2])
print(s.indices)
print(s.values)
print(s.dense_shape)
print(tf.sparse.to_dense(s))
""", """tf.Tensor(
[[0 1]
 [2 0]], shape=(2, 2), dtype=int64)
tf.Tensor([5 7], shape=(2,), dtype=int32)
tf.Tensor([3 2], shape=(2,), dtype=int64)
tf.Tensor(
[[0 5]
 [0 0]
 [7 0]], shape=(3, 2), dtype=int32)
"""),
    ('sparse from_dense', """
s = tf.sparse.from_dense(tf.constant([[0, 3], [4, 0]]))
print(s.indices)
print(s.values)
print(tf.sparse.to_dense(s, default_value=-1))
print(s.shape)
""", """tf.Tensor(
[[0 1]
 [1 0]], shape=(2, 2), dtype=int64)
tf.Tensor([3 4], shape=(2,), dtype=int32)
tf.Tensor(
[[-1  3]
 [ 4 -1]], shape=(2, 2), dtype=int32)
(2, 2)
"""),
    ('sparse printing', """
s = tf.SparseTensor([[0]], [1.], [2])
print(s)
""", """SparseTensor(indices=tf.Tensor([[0]], shape=(1, 1), dtype=int64), values=tf.Tensor([1.], shape=(1,), dtype=float32), dense_shape=tf.Tensor([2], shape=(1,), dtype=int64))
"""),
    ('string tensor printing', """
s = tf.constant(["abc", "d"])
print(s)
print(s.dtype)
print(s.numpy())
print(tf.constant("héllo"))
""", "tf.Tensor([b'abc' b'd'], shape=(2,), dtype=string)\n<dtype: 'string'>\n[b'abc' b'd']\ntf.Tensor(b'h\\xc3\\xa9llo', shape=(), dtype=string)\n"),
    ('strings length upper lower', """
s = tf.constant(["Hello", "wörld", ""])
print(tf.strings.length(s))
print(tf.strings.length(s, unit="UTF8_CHAR"))
print(tf.strings.upper(s))
print(tf.strings.lower(s))
""", "tf.Tensor([5 6 0], shape=(3,), dtype=int32)\ntf.Tensor([5 5 0], shape=(3,), dtype=int32)\ntf.Tensor([b'HELLO' b'W\\xc3\\xb6RLD' b''], shape=(3,), dtype=string)\ntf.Tensor([b'hello' b'w\\xc3\\xb6rld' b''], shape=(3,), dtype=string)\n"),
    ('strings split and join', """
print(tf.strings.split(tf.constant(["a b c", "d"])))
print(tf.strings.split(tf.constant("x,y,,z"), sep=","))
print(tf.strings.join([tf.constant(["a", "b"]), tf.constant(["1", "2"])], separator="-"))
print(tf.strings.reduce_join(tf.constant([["a", "b"], ["c", "d"]]), axis=1, separator="+"))
print(tf.strings.reduce_join(tf.constant(["p", "q"])))
""", """<tf.RaggedTensor [[b'a', b'b', b'c'], [b'd']]>
tf.Tensor([b'x' b'y' b'' b'z'], shape=(4,), dtype=string)
tf.Tensor([b'a-1' b'b-2'], shape=(2,), dtype=string)
tf.Tensor([b'a+b' b'c+d'], shape=(2,), dtype=string)
tf.Tensor(b'pq', shape=(), dtype=string)
"""),
    ('strings concat with +', """
a = tf.constant(["x", "y"])
print(a + "!")
print(tf.strings.as_string(tf.constant([1, 22])))
print(tf.strings.regex_replace(tf.constant("a1b2"), "[0-9]", "#"))
""", """tf.Tensor([b'x!' b'y!'], shape=(2,), dtype=string)
tf.Tensor([b'1' b'22'], shape=(2,), dtype=string)
tf.Tensor(b'a#b#', shape=(), dtype=string)
"""),
    ('TensorArray dynamic_size', """
ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
for i in range(4):
    ta = ta.write(i, i * i)
print(ta.stack())
print(ta.size())
print(ta.concat() if False else ta.gather([3, 0]))
""", """tf.Tensor([0 1 4 9], shape=(4,), dtype=int32)
tf.Tensor(4, shape=(), dtype=int32)
tf.Tensor([9 0], shape=(2,), dtype=int32)
"""),
    ('TensorArray in function', """
@tf.function
def squares(n):
    ta = tf.TensorArray(tf.float32, size=n)
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i * i, tf.float32))
    return ta.stack()
print(squares(tf.constant(4)))
""", """tf.Tensor([0. 1. 4. 9.], shape=(4,), dtype=float32)
"""),
    ('ragged row_lengths and bounding shape', """
r = tf.RaggedTensor.from_row_lengths([1, 2, 3, 4], row_lengths=[3, 0, 1])
print(r.to_list())
print(r.dtype, r.ragged_rank)
print(r.row_lengths())
""", """[[1, 2, 3], [], [4]]
<dtype: 'int32'> 1
tf.Tensor([3 0 1], shape=(3,), dtype=int64)
"""),
    ('strings to_number', """
print(tf.strings.to_number(tf.constant(["1.5", "-2"])))
print(tf.strings.to_number(tf.constant(["7"]), out_type=tf.int32))
try:
    tf.strings.to_number(tf.constant(["abc"]))
except Exception as e:
    print(type(e).__name__)
""", """tf.Tensor([ 1.5 -2. ], shape=(2,), dtype=float32)
tf.Tensor([7], shape=(1,), dtype=int32)
InvalidArgumentError
"""),
    ('TensorArray write read stack', """
ta = tf.TensorArray(tf.float32, size=3)
for i in range(3):
    ta = ta.write(i, tf.constant([i * 1., i * 2.]))
print(ta.size())
print(ta.stack())
print(ta.read(1))
""", """tf.Tensor(3, shape=(), dtype=int32)
tf.Tensor(
[[0. 0.]
 [1. 2.]
 [2. 4.]], shape=(3, 2), dtype=float32)
tf.Tensor([1. 2.], shape=(2,), dtype=float32)
"""),
    ('slogdet of a large matrix', """
sign, logdet = tf.linalg.slogdet(300. * tf.eye(200, dtype=tf.float64))
print(sign, np.round(logdet.numpy(), 6))
print(tf.linalg.det(300. * tf.eye(200, dtype=tf.float64)))
""", """tf.Tensor(1.0, shape=(), dtype=float64) 1140.756495
tf.Tensor(inf, shape=(), dtype=float64)
"""),
    ('linalg logdet and l2_normalize', """
a = tf.constant([[4., 2.], [2., 3.]], dtype=tf.float64)
print(np.round(tf.linalg.logdet(a).numpy(), 6))
print(tf.linalg.l2_normalize(tf.constant([[3., 4.], [0., 2.]]), axis=1))
""", """2.079442
tf.Tensor(
[[0.6 0.8]
 [0.  1. ]], shape=(2, 2), dtype=float32)
"""),
    ('tensor_scatter_nd_max gradient ties', """
x = tf.Variable([1., 5., 3.])
u = tf.Variable([4., 5.])
with tf.GradientTape() as tape:
    y = tf.tensor_scatter_nd_max(x, [[0], [1]], u)
    loss = tf.reduce_sum(y * [1., 2., 3.])
dx, du = tape.gradient(loss, [x, u])
print(y)
print(dx)
print(du)
""", """tf.Tensor([4. 5. 3.], shape=(3,), dtype=float32)
tf.Tensor([0. 1. 3.], shape=(3,), dtype=float32)
tf.Tensor([1. 1.], shape=(2,), dtype=float32)
"""),
    ('gather batch_dims with later axis', """
x = tf.reshape(tf.range(24), [2, 3, 4])
print(tf.gather(x, [[3, 0], [1, 1]], axis=2, batch_dims=1))
""", """tf.Tensor(
[[[ 3  0]
  [ 7  4]
  [11  8]]

 [[13 13]
  [17 17]
  [21 21]]], shape=(2, 3, 2), dtype=int32)
"""),
    ('strided_slice new axis and ellipsis', """
x = tf.reshape(tf.range(24), [2, 3, 4])
print(tf.strided_slice(x, [0, 1], [0, 3], ellipsis_mask=1).shape)
print(tf.strided_slice(x, [0, 0, 1], [1, 0, 3], new_axis_mask=2, shrink_axis_mask=1))
print(tf.strided_slice(tf.range(6), [-1], [-5], [-2]))
""", """(2, 3, 2)
tf.Tensor(
[[[ 4  5  6  7]
  [ 8  9 10 11]]], shape=(1, 2, 4), dtype=int32)
tf.Tensor([5 3], shape=(2,), dtype=int32)
"""),
    ('range dtype from tensors', """
print(tf.range(tf.constant(4, tf.int64)))
print(tf.range(tf.constant(3.)))
print(tf.range(0., 1., 0.1))
print(tf.range(10, 0, -3))
""", """tf.Tensor([0 1 2 3], shape=(4,), dtype=int64)
tf.Tensor([0. 1. 2.], shape=(3,), dtype=float32)
tf.Tensor(
[0.         0.1        0.2        0.3        0.4        0.5
 0.6        0.7        0.8        0.90000004], shape=(10,), dtype=float32)
tf.Tensor([10  7  4  1], shape=(4,), dtype=int32)
"""),
    ('matrix_transpose of a vector', """
try:
    tf.linalg.matrix_transpose(tf.constant([1., 2.]))
except Exception as e:
    print(type(e).__name__)
""", """ValueError
"""),
    ('norm vector ords', """
x = tf.constant([3., -4., 12.])
print(tf.norm(x, ord=1))
print(tf.norm(x, ord=np.inf))
print(tf.norm(x, ord=3))
try:
    tf.norm(x, ord="fro")
except Exception as e:
    print(type(e).__name__)
""", """tf.Tensor(19.0, shape=(), dtype=float32)
tf.Tensor(12.0, shape=(), dtype=float32)
tf.Tensor(12.207056, shape=(), dtype=float32)
ValueError
"""),
    ('ones_like of python lists', """
print(tf.ones_like([[1, 2]]))
print(tf.zeros_like([1.5]))
print(tf.ones_like([True]))
""", """tf.Tensor([[1 1]], shape=(1, 2), dtype=int32)
tf.Tensor([0.], shape=(1,), dtype=float32)
tf.Tensor([ True], shape=(1,), dtype=bool)
"""),
    ('linalg qr reduced and full', """
a = tf.constant([[1., 2.], [3., 4.], [5., 6.]], dtype=tf.float64)
q, r = tf.linalg.qr(a)
print(type(tf.linalg.qr(a)).__name__, q.shape, r.shape)
print(np.round(r.numpy(), 6) + 0.0)
print(np.round(q.numpy(), 6) + 0.0)
print(np.round((q @ r).numpy(), 6) + 0.0)
q, r = tf.linalg.qr(a, full_matrices=True)
print(q.shape, r.shape)
print(np.round(tf.matmul(q, q, transpose_a=True).numpy(), 6) + 0.0)
print(np.round(r.numpy(), 6) + 0.0)
""", """Qr (3, 2) (2, 2)
[[-5.91608  -7.437357]
 [ 0.        0.828079]]
[[-0.169031  0.897085]
 [-0.507093  0.276026]
 [-0.845154 -0.345033]]
[[1. 2.]
 [3. 4.]
 [5. 6.]]
(3, 3) (3, 2)
[[1. 0. 0.]
 [0. 1. 0.]
 [0. 0. 1.]]
[[-5.91608  -7.437357]
 [ 0.        0.828079]
 [ 0.        0.      ]]
"""),
    ('linalg qr wide and batched', """
a = tf.reshape(tf.range(12, dtype=tf.float64), [2, 2, 3])
for full in (False, True):
    q, r = tf.linalg.qr(a, full_matrices=full)
    print(q.shape, r.shape, q.dtype)
print(np.round(tf.linalg.qr(a)[1].numpy(), 4) + 0.0)
print(tf.linalg.qr(tf.zeros([0, 2]))[1].shape)
""", """(2, 2, 2) (2, 2, 3) <dtype: 'float64'>
(2, 2, 2) (2, 2, 3) <dtype: 'float64'>
[[[ -3.      -4.      -5.    ]
  [  0.      -1.      -2.    ]]

 [[-10.8167 -12.2034 -13.5902]
  [  0.      -0.2774  -0.5547]]]
(0, 2)
"""),
    ('linalg qr gradients', """
x = tf.Variable([[1., 3., 5.], [2., 4., 6.]], dtype=tf.float64)
with tf.GradientTape() as tape:
    q, r = tf.linalg.qr(x)
    loss = tf.reduce_sum(q) + tf.reduce_sum(r)
print(np.round(tape.gradient(loss, x).numpy(), 5))
y = tf.Variable([[1., 2.], [3., 4.], [5., 6.]], dtype=tf.float64)
with tf.GradientTape() as tape:
    q, r = tf.linalg.qr(y)
    loss = tf.reduce_sum(q * q * [[1., 2.]]) + tf.reduce_sum(r * r)
print(np.round(tape.gradient(loss, y).numpy(), 5))
with tf.GradientTape() as tape:
    q, r = tf.linalg.qr(y, full_matrices=True)
    loss = tf.reduce_sum(q)
try:
    tape.gradient(loss, y)
except Exception as e:
    print(type(e).__name__)
""", """[[ 3.84604 -1.34164 -1.34164]
 [-3.04105 -0.44721 -0.44721]]
[[ 2.  4.]
 [ 6.  8.]
 [10. 12.]]
NotImplementedError
"""),
    ('linalg eigh and eigvalsh', """
a = tf.constant([[2., 1.], [1., 3.]])
e, v = tf.linalg.eigh(a)
print(e.shape, e.dtype, np.round(e.numpy(), 5))
print(np.round(np.abs(v.numpy()), 5))
print(np.round((v @ tf.linalg.diag(e) @ tf.transpose(v)).numpy(), 5))
print(tf.linalg.eigvalsh(tf.constant([[2., 5.], [1., 3.]], tf.float64)))
e, v = tf.linalg.eigh(tf.reshape(tf.range(8.), [2, 2, 2]))
print(e.shape, v.shape)
print(np.round(e.numpy(), 4))
print(tf.linalg.eigvalsh(tf.zeros([0, 0])))
""", """(2,) <dtype: 'float32'> [1.38197 3.61803]
[[0.85065 0.52573]
 [0.52573 0.85065]]
[[2. 1.]
 [1. 3.]]
tf.Tensor([1.38196601 3.61803399], shape=(2,), dtype=float64)
(2, 2) (2, 2, 2)
[[-1.      4.    ]
 [-0.6847 11.6847]]
tf.Tensor([], shape=(0,), dtype=float32)
"""),
    ('linalg eigh gradients', """
x = tf.Variable([[2., 1., 0.5], [1., 3., 0.2], [0.5, 0.2, 4.]], dtype=tf.float64)
with tf.GradientTape(persistent=True) as tape:
    e, v = tf.linalg.eigh(x)
    loss = tf.reduce_sum(e * [1., 2., 3.]) + tf.reduce_sum(tf.square(v) * [[1.], [2.], [3.]])
    values = tf.reduce_sum(tf.linalg.eigvalsh(x) ** 2)
print(np.round(tape.gradient(loss, x).numpy(), 5))
print(np.round(tape.gradient(values, x).numpy(), 5))
z = tf.Variable(tf.eye(2, dtype=tf.float64))
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(tf.linalg.eigh(z)[1] ** 2 * [[1.], [3.]])
print(tape.gradient(loss, z))
""", """[[1.39429 0.      0.     ]
 [1.14615 1.9101  0.     ]
 [0.81322 0.55435 2.69561]]
[[4.  0.  0. ]
 [4.  6.  0. ]
 [2.  0.8 8. ]]
tf.Tensor(
[[0. 0.]
 [0. 0.]], shape=(2, 2), dtype=float64)
"""),
    ('linalg qr and eigh errors', """
for f, x in [(tf.linalg.qr, tf.ones([3])), (tf.linalg.eigh, tf.ones([3])),
             (tf.linalg.eigh, tf.ones([2, 3])), (tf.linalg.eigvalsh, tf.ones([2, 3, 4])),
             (tf.linalg.qr, tf.constant([[1, 2], [3, 4]])),
             (tf.linalg.eigvalsh, tf.constant([[1, 2], [3, 4]])),
             (tf.linalg.eigh, tf.constant([[1., 0.], [np.nan, 1.]]))]:
    try:
        f(x)
        print("ok")
    except Exception as e:
        print(isinstance(e, tf.errors.InvalidArgumentError))
print(tf.linalg.eigvalsh(tf.constant([[1., np.nan], [2., 1.]], tf.float64)))
""", """True
True
True
True
True
True
True
tf.Tensor([-1.  3.], shape=(2,), dtype=float64)
"""),
    ('strings format scalars and vectors', """
print(tf.strings.format("x={} y={}", (tf.constant(1.5), tf.constant([1, 2, 3]))))
print(tf.strings.format("v: {}", tf.range(10)))
print(tf.strings.format("v: {}", [tf.range(10)], summarize=2))
print(tf.strings.format("v: {}", tf.range(10), summarize=-1))
print(tf.strings.format("{} {} {}", [tf.constant(1 / 3), tf.constant(0.1, tf.float64),
                                     tf.constant([True, False])]))
print(tf.strings.format("s: {}", tf.constant(["ab", 'q"t'])))
print(tf.strings.format("a <> b <>", [1, 2.5], placeholder="<>"))
try:
    tf.strings.format("{} {}", [1])
except ValueError as e:
    print("ValueError")
""", """tf.Tensor(b'x=1.5 y=[1 2 3]', shape=(), dtype=string)
tf.Tensor(b'v: [0 1 2 ... 7 8 9]', shape=(), dtype=string)
tf.Tensor(b'v: [0 1 ... 8 9]', shape=(), dtype=string)
tf.Tensor(b'v: [0 1 2 3 4 5 6 7 8 9]', shape=(), dtype=string)
tf.Tensor(b'0.333333343 0.1 [1 0]', shape=(), dtype=string)
tf.Tensor(b's: ["ab" "q\\\\"t"]', shape=(), dtype=string)
tf.Tensor(b'a 1 b 2.5', shape=(), dtype=string)
ValueError
"""),
    ('strings format matrices', """
print(tf.strings.format("m: {}", tf.reshape(tf.range(12), [3, 4])))
print(tf.strings.format("{}", tf.reshape(tf.range(100), [10, 10])))
print(tf.strings.format("{}", tf.reshape(tf.range(27.), [3, 3, 3]), summarize=1))
print(tf.strings.format("{}", tf.zeros([2, 0])))
""", """tf.Tensor(b'm: [[0 1 2 3]\\n [4 5 6 7]\\n [8 9 10 11]]', shape=(), dtype=string)
tf.Tensor(b'[[0 1 2 ... 7 8 9]\\n [10 11 12 ... 17 18 19]\\n [20 21 22 ... 27 28 29]\\n ...\\n [70 71 72 ... 77 78 79]\\n [80 81 82 ... 87 88 89]\\n [90 91 92 ... 97 98 99]]', shape=(), dtype=string)
tf.Tensor(b'[[[0 ... 2]\\n  ...\\n  [6 ... 8]]\\n\\n ...\\n\\n [[18 ... 20]\\n  ...\\n  [24 ... 26]]]', shape=(), dtype=string)
tf.Tensor(b'[\\n ...]', shape=(), dtype=string)
"""),
    ('ragged arithmetic', """
r = tf.ragged.constant([[1, 2], [], [3]])
print(r + 1)
print(2 * r - r)
print(1 - r)
print(r * r)
print(r / 2)
f = tf.ragged.constant([[[1.5], [2., 3.]], [[4.]]])
print(f * 2. + f)
try:
    r + tf.ragged.constant([[1], [2], [3]])
except Exception as e:
    print(isinstance(e, tf.errors.InvalidArgumentError))
try:
    r + 1.5
except Exception as e:
    print(isinstance(e, tf.errors.InvalidArgumentError))
""", """<tf.RaggedTensor [[2, 3], [], [4]]>
<tf.RaggedTensor [[1, 2], [], [3]]>
<tf.RaggedTensor [[0, -1], [], [-2]]>
<tf.RaggedTensor [[1, 4], [], [9]]>
<tf.RaggedTensor [[0.5, 1.0], [], [1.5]]>
<tf.RaggedTensor [[[4.5], [6.0, 9.0]], [[12.0]]]>
True
True
"""),
    ('ragged bounding_shape', """
r = tf.RaggedTensor.from_row_lengths([1, 2, 3, 4], row_lengths=[3, 0, 1])
print(r.bounding_shape())
print(r.bounding_shape(axis=1))
print(tf.ragged.constant([[[1], [2, 3]], [[4]]]).bounding_shape())
print(tf.ragged.constant([[], []]).bounding_shape())
""", """tf.Tensor([3 3], shape=(2,), dtype=int64)
tf.Tensor(3, shape=(), dtype=int64)
tf.Tensor([2 2 2], shape=(3,), dtype=int64)
tf.Tensor([2 0], shape=(2,), dtype=int64)
"""),
)
