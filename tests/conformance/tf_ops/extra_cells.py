"""Op cells: extras (see cells.py for what a cell is and how its text was confirmed).

The sweep of names TF 2.21 has and tapeflow lacked: tf.linalg's LU family, expm, pinv,
matrix_rank, cholesky_solve, the banded solvers and global_norm; tf.random's stateless
samplers and seed utilities (their values are not TF's draws, so the cells print shapes,
dtypes, purity and the edge values that are certain); tf.sparse's ops and how a
SparseTensor prints. Values that differ from TF in the last float32 bits are rounded.
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

CELLS: list[Cell] = _cells(
    "extras",
    ('linalg.lu packs L and U and returns the permutation', """
a = tf.constant([[1., 2., 3.], [4., 5., 6.], [7., 8., 10.]])
lu, p = tf.linalg.lu(a)
print(np.round(lu.numpy(), 4) + 0.)
print(p)
print(tf.linalg.lu(a, output_idx_type=tf.int64).p.dtype)
print(tf.linalg.lu_reconstruct(lu, p))
print(np.round(tf.linalg.lu_solve(lu, p, tf.constant([[1.], [2.], [3.]])).numpy(), 4) + 0.)
print(np.round(tf.linalg.lu_matrix_inverse(lu, p).numpy(), 4) + 0.)
""", """[[ 7.      8.     10.    ]
 [ 0.1429  0.8571  1.5714]
 [ 0.5714  0.5    -0.5   ]]
tf.Tensor([2 0 1], shape=(3,), dtype=int32)
<dtype: 'int64'>
tf.Tensor(
[[ 1.  2.  3.]
 [ 4.  5.  6.]
 [ 7.  8. 10.]], shape=(3, 3), dtype=float32)
[[-0.3333]
 [ 0.6667]
 [ 0.    ]]
[[-0.6667 -1.3333  1.    ]
 [-0.6667  3.6667 -2.    ]
 [ 1.     -2.      1.    ]]
"""),
    ('linalg.lu errors', """
for x in [tf.ones((2, 3)), tf.ones((2, 2)), tf.ones((2, 2), tf.int32)]:
    try:
        tf.linalg.lu(x)
    except tf.errors.InvalidArgumentError:
        print('InvalidArgumentError')
try:
    tf.linalg.lu_solve(tf.eye(2), tf.constant([0, 1]), tf.ones((3, 1)))
except ValueError as e:
    print(type(e).__name__)
""", """InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
ValueError
"""),
    ('linalg.expm of rotations and a batch', """
print(np.round(tf.linalg.expm(tf.constant([[0., 1.], [-1., 0.]])).numpy(), 5))
print(tf.linalg.expm(tf.constant([[0., 10.], [-10., 0.]], tf.float64)))
print(tf.linalg.expm(tf.zeros((2, 2, 2))))
x = tf.Variable([[0.1, 0.2], [0.3, 0.4]], dtype=tf.float64)
with tf.GradientTape() as tape:
    y = tf.reduce_sum(tf.linalg.expm(x))
print(np.round(tape.gradient(y, x).numpy(), 6))
""", """[[ 0.5403   0.84147]
 [-0.84147  0.5403 ]]
tf.Tensor(
[[-0.83907153 -0.54402111]
 [ 0.54402111 -0.83907153]], shape=(2, 2), dtype=float64)
tf.Tensor(
[[[1. 0.]
  [0. 1.]]

 [[1. 0.]
  [0. 1.]]], shape=(2, 2, 2), dtype=float32)
[[1.451349 1.724646]
 [1.583682 1.874241]]
"""),
    ('linalg.pinv, matrix_rank and global_norm', """
print(np.round(tf.linalg.pinv(tf.constant([[1., 2.], [2., 4.], [0., 1.]])).numpy(), 5) + 0.)
print(tf.linalg.matrix_rank(tf.constant([[1., 2.], [2., 4.]])))
print(tf.linalg.matrix_rank(tf.eye(3, batch_shape=[2])))
print(tf.linalg.global_norm([tf.constant([3., 4.]), None, tf.constant(12.)]))
print(tf.linalg.global_norm([None]))
try:
    tf.linalg.pinv(tf.ones((3,)))
except ValueError as e:
    print(type(e).__name__)
""", """[[ 0.2  0.4 -2. ]
 [ 0.   0.   1. ]]
tf.Tensor(1, shape=(), dtype=int32)
tf.Tensor([3 3], shape=(2,), dtype=int32)
tf.Tensor(13.0, shape=(), dtype=float32)
tf.Tensor(0.0, shape=(), dtype=float32)
ValueError
"""),
    ('linalg.cholesky_solve, tridiagonal_solve and banded_triangular_solve', """
chol = tf.linalg.cholesky(tf.constant([[4., 2.], [2., 3.]]))
print(np.round(tf.linalg.cholesky_solve(chol, tf.constant([[1.], [2.]])).numpy(), 5))
diags = tf.constant([[2., 3., 0.], [1., 4., 5.], [0., 6., 7.]])
print(tf.linalg.tridiagonal_solve(diags, tf.constant([1., 2., 3.])))
print(tf.linalg.tridiagonal_solve(diags, tf.constant([[1.], [2.], [3.]])).shape)
print(tf.linalg.banded_triangular_solve(tf.constant([[1., 1., 1.], [2., 3., 4.]]),
                                        tf.constant([[1.], [2.], [3.]])))
try:
    tf.linalg.tridiagonal_solve(tf.ones((2, 3)), tf.ones((3,)))
except ValueError as e:
    print(type(e).__name__, 'diagonals got 2' in str(e))
""", """[[-0.125]
 [ 0.75 ]]
tf.Tensor([ 0.04918033  0.47540984 -0.06557377], shape=(3,), dtype=float32)
(3, 1)
tf.Tensor(
[[ 1.]
 [-1.]
 [ 7.]], shape=(3, 1), dtype=float32)
ValueError True
"""),
    ('random stateless samplers: shapes, dtypes and purity', """
s = tf.constant([1, 2])
for name, draw in [
        ('gamma', lambda: tf.random.stateless_gamma([2, 3], s, alpha=[1., 2., 3.])),
        ('poisson', lambda: tf.random.stateless_poisson([2, 3], s, lam=[1., 2., 3.])),
        ('binomial', lambda: tf.random.stateless_binomial([4], s, counts=10., probs=0.5)),
        ('truncated', lambda: tf.random.stateless_parameterized_truncated_normal(
            [2, 3], s, minvals=0., maxvals=1.))]:
    x = draw()
    print(name, x.shape, x.dtype, bool(tf.reduce_all(x == draw())))
t = tf.random.stateless_parameterized_truncated_normal([1000], s, minvals=0., maxvals=1.)
print(bool(tf.reduce_min(t) >= 0.), bool(tf.reduce_max(t) <= 1.))
print(tf.random.stateless_binomial([3], s, counts=[0., 5., 5.], probs=[0.5, 0., 1.]))
""", """gamma (2, 3) <dtype: 'float32'> True
poisson (2, 3) <dtype: 'int32'> True
binomial (4,) <dtype: 'int32'> True
truncated (2, 3) <dtype: 'float32'> True
True True
tf.Tensor([0 0 5], shape=(3,), dtype=int32)
"""),
    ('random seeds: split, fold_in, create_rng_state', """
print(tf.random.split([1, 2]).shape, tf.random.split([1, 2]).dtype)
print(tf.random.split(tf.constant([1, 2], tf.int64), 3).shape)
f = tf.random.fold_in([1, 2], 3)
print(f.dtype, f[1].numpy())
print(tf.random.create_rng_state(1, "philox"))
print(tf.random.create_rng_state(5, "threefry"))
try:
    tf.random.split([1, 2, 3])
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__)
""", """(2, 2) <dtype: 'int32'>
(3, 2)
<dtype: 'int32'> 3
tf.Tensor([1 0 0], shape=(3,), dtype=int64)
tf.Tensor([5 0], shape=(2,), dtype=int64)
InvalidArgumentError
"""),
    ('sparse.add, maximum and minimum', """
a = tf.sparse.SparseTensor([[0, 0], [1, 2]], [1., 2.], [2, 3])
b = tf.sparse.SparseTensor([[0, 0], [0, 1]], [3., -1.], [2, 3])
print(tf.sparse.add(a, b))
print(tf.sparse.add(a, tf.ones((2, 3))))
print(tf.sparse.maximum(a, b).values)
print(tf.sparse.minimum(a, b).values)
try:
    tf.sparse.add(a, tf.sparse.SparseTensor([[0, 0]], [1.], [3, 3]))
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__)
""", """SparseTensor(indices=tf.Tensor(
[[0 0]
 [0 1]
 [1 2]], shape=(3, 2), dtype=int64), values=tf.Tensor([ 4. -1.  2.], shape=(3,), dtype=float32), dense_shape=tf.Tensor([2 3], shape=(2,), dtype=int64))
tf.Tensor(
[[2. 1. 1.]
 [1. 1. 3.]], shape=(2, 3), dtype=float32)
tf.Tensor([3. 0. 2.], shape=(3,), dtype=float32)
tf.Tensor([ 1. -1.  0.], shape=(3,), dtype=float32)
InvalidArgumentError
"""),
    ('sparse reductions, softmax and map_values', """
a = tf.sparse.SparseTensor([[0, 0], [1, 2]], [1., 2.], [2, 3])
print(tf.sparse.reduce_sum(a))
print(tf.sparse.reduce_sum(a, 1, keepdims=True))
print(tf.sparse.reduce_max(tf.sparse.SparseTensor([[0, 0], [1, 2]], [-1., -2.], [3, 3]), 1))
print(tf.sparse.reduce_sum(a, 1, output_is_sparse=True))
print(tf.sparse.softmax(tf.sparse.SparseTensor([[0, 0], [0, 2], [1, 1]], [1., 2., 3.], [2, 3])))
print(tf.sparse.map_values(tf.multiply, a, 10.))
""", """tf.Tensor(3.0, shape=(), dtype=float32)
tf.Tensor(
[[1.]
 [2.]], shape=(2, 1), dtype=float32)
tf.Tensor([-1. -2.  0.], shape=(3,), dtype=float32)
SparseTensor(indices=tf.Tensor(
[[0]
 [1]], shape=(2, 1), dtype=int64), values=tf.Tensor([1. 2.], shape=(2,), dtype=float32), dense_shape=tf.Tensor([2], shape=(1,), dtype=int64))
SparseTensor(indices=tf.Tensor(
[[0 0]
 [0 2]
 [1 1]], shape=(3, 2), dtype=int64), values=tf.Tensor([0.26894143 0.7310586  1.        ], shape=(3,), dtype=float32), dense_shape=tf.Tensor([2 3], shape=(2,), dtype=int64))
SparseTensor(indices=tf.Tensor(
[[0 0]
 [1 2]], shape=(2, 2), dtype=int64), values=tf.Tensor([10. 20.], shape=(2,), dtype=float32), dense_shape=tf.Tensor([2 3], shape=(2,), dtype=int64))
"""),
    ('sparse reshape, transpose, slice, concat, expand_dims, eye', """
a = tf.sparse.SparseTensor([[0, 0], [1, 2]], [1., 2.], [2, 3])
print(tf.sparse.reshape(a, [3, -1]))
print(tf.sparse.transpose(a).indices)
print(tf.sparse.slice(a, [0, 1], [2, 5]))
print(tf.sparse.concat(1, [a, tf.sparse.eye(2, 3)]))
print(tf.sparse.expand_dims(a, 0).dense_shape)
print(tf.sparse.reset_shape(a, [4, 5]).dense_shape)
try:
    tf.sparse.reshape(a, [4, -1])
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__)
""", """SparseTensor(indices=tf.Tensor(
[[0 0]
 [2 1]], shape=(2, 2), dtype=int64), values=tf.Tensor([1. 2.], shape=(2,), dtype=float32), dense_shape=tf.Tensor([3 2], shape=(2,), dtype=int64))
tf.Tensor(
[[0 0]
 [2 1]], shape=(2, 2), dtype=int64)
SparseTensor(indices=tf.Tensor([[1 1]], shape=(1, 2), dtype=int64), values=tf.Tensor([2.], shape=(1,), dtype=float32), dense_shape=tf.Tensor([2 2], shape=(2,), dtype=int64))
SparseTensor(indices=tf.Tensor(
[[0 0]
 [0 3]
 [1 2]
 [1 4]], shape=(4, 2), dtype=int64), values=tf.Tensor([1. 1. 2. 1.], shape=(4,), dtype=float32), dense_shape=tf.Tensor([2 6], shape=(2,), dtype=int64))
tf.Tensor([1 2 3], shape=(3,), dtype=int64)
tf.Tensor([4 5], shape=(2,), dtype=int64)
InvalidArgumentError
"""),
    ('sparse_dense_matmul, retain, to_indicator, fill_empty_rows', """
a = tf.sparse.SparseTensor([[0, 0], [1, 2]], [1., 2.], [2, 3])
print(tf.sparse.sparse_dense_matmul(a, tf.ones((3, 2))))
print(tf.sparse.sparse_dense_matmul(tf.ones((1, 2)), a))
print(tf.sparse.retain(a, [False, True]))
ids = tf.sparse.SparseTensor([[0, 0], [0, 1], [2, 0]], [1, 3, 2], [3, 2])
print(tf.sparse.to_indicator(ids, 4))
filled, empty = tf.sparse.fill_empty_rows(ids, -1)
print(filled.values)
print(empty)
""", """tf.Tensor(
[[1. 1.]
 [2. 2.]], shape=(2, 2), dtype=float32)
tf.Tensor([[1. 0. 2.]], shape=(1, 3), dtype=float32)
SparseTensor(indices=tf.Tensor([[1 2]], shape=(1, 2), dtype=int64), values=tf.Tensor([2.], shape=(1,), dtype=float32), dense_shape=tf.Tensor([2 3], shape=(2,), dtype=int64))
tf.Tensor(
[[False  True False  True]
 [False False False False]
 [False False  True False]], shape=(3, 4), dtype=bool)
tf.Tensor([ 1  3 -1  2], shape=(4,), dtype=int32)
tf.Tensor([False  True False], shape=(3,), dtype=bool)
"""),
)
