"""tf.sparse's ops over SparseTensors (api/sparse_ops.py), eager: results against
TensorFlow 2.21's for the same inputs, entries in row-major order, and TF's errors."""

import numpy as np
import pytest

import tapeflow as tf

A = tf.sparse.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [2, 3])
B = tf.sparse.SparseTensor([[0, 0], [0, 1]], [3.0, -1.0], [2, 3])


def parts(sp):
    return sp.indices.numpy().tolist(), sp.values.numpy().tolist(), sp.dense_shape.numpy().tolist()


def test_add_sparse_and_dense():
    assert parts(tf.sparse.add(A, B)) == ([[0, 0], [0, 1], [1, 2]], [4.0, -1.0, 2.0], [2, 3])
    dense = tf.sparse.add(A, tf.ones((2, 3)))
    np.testing.assert_array_equal(dense.numpy(), [[2, 1, 1], [1, 1, 3]])
    cancel = tf.sparse.SparseTensor([[0, 0]], [-1.0], [2, 3])
    assert parts(tf.sparse.add(A, cancel, threshold=0.5)) == ([[1, 2]], [2.0], [2, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="shapes do not match"):
        tf.sparse.add(A, tf.sparse.SparseTensor([[0, 0]], [1.0], [3, 3]))


def test_elementwise_maximum_minimum_count_missing_as_zero():
    assert parts(tf.sparse.maximum(A, B))[1] == [3.0, 0.0, 2.0]
    assert parts(tf.sparse.minimum(A, B))[1] == [1.0, -1.0, 0.0]


def test_reductions():
    assert float(tf.sparse.reduce_sum(A)) == 3.0
    np.testing.assert_array_equal(tf.sparse.reduce_sum(A, 1).numpy(), [1, 2])
    assert tf.sparse.reduce_sum(A, 1, keepdims=True).shape == (2, 1)
    neg = tf.sparse.SparseTensor([[0, 0], [1, 2]], [-1.0, -2.0], [3, 3])
    # Missing entries are not zeros; a row without entries gives 0 (TF 2.21).
    np.testing.assert_array_equal(tf.sparse.reduce_max(neg, 1).numpy(), [-1, -2, 0])
    assert parts(tf.sparse.reduce_sum(A, 1, output_is_sparse=True)) == (
        [[0], [1]], [1.0, 2.0], [2])


def test_shapes():
    assert parts(tf.sparse.reshape(A, [3, -1])) == ([[0, 0], [2, 1]], [1.0, 2.0], [3, 2])
    assert parts(tf.sparse.transpose(A)) == ([[0, 0], [2, 1]], [1.0, 2.0], [3, 2])
    assert parts(tf.sparse.slice(A, [0, 1], [2, 5])) == ([[1, 1]], [2.0], [2, 2])
    assert parts(tf.sparse.expand_dims(A, 0)) == ([[0, 0, 0], [0, 1, 2]], [1.0, 2.0],
                                                  [1, 2, 3])
    assert parts(tf.sparse.concat(1, [A, B])) == ([[0, 0], [0, 3], [0, 4], [1, 2]],
                                                  [1.0, 3.0, -1.0, 2.0], [2, 6])
    assert parts(tf.sparse.eye(2)) == ([[0, 0], [1, 1]], [1.0, 1.0], [2, 2])
    assert parts(tf.sparse.reset_shape(A))[2] == [2, 3]
    assert parts(tf.sparse.reset_shape(A, [4, 5]))[2] == [4, 5]
    with pytest.raises(tf.errors.InvalidArgumentError, match="6 dense values"):
        tf.sparse.reshape(A, [4, -1])
    with pytest.raises(ValueError, match="reset_shape"):
        tf.sparse.reset_shape(A, [1, 1])


def test_matmul_both_ways_and_its_gradient():
    np.testing.assert_array_equal(tf.sparse.sparse_dense_matmul(A, tf.ones((3, 2))).numpy(),
                                  [[1, 1], [2, 2]])
    np.testing.assert_array_equal(tf.sparse.sparse_dense_matmul(tf.ones((4, 2)), A).numpy(),
                                  [[1, 0, 2]] * 4)
    w = tf.Variable(np.ones((3, 2), np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.sparse.sparse_dense_matmul(A, w))
    np.testing.assert_array_equal(tape.gradient(loss, w).numpy(), [[1, 1], [0, 0], [2, 2]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="inner dimensions 3 and 2"):
        tf.sparse.sparse_dense_matmul(A, tf.ones((2, 2)))


def test_entries():
    assert parts(tf.sparse.retain(A, [False, True])) == ([[1, 2]], [2.0], [2, 3])
    ids = tf.sparse.SparseTensor([[0, 0], [0, 1], [2, 0]], [1, 3, 2], [3, 2])
    np.testing.assert_array_equal(tf.sparse.to_indicator(ids, 4).numpy(),
                                  [[0, 1, 0, 1], [0, 0, 0, 0], [0, 0, 1, 0]])
    filled, empty = tf.sparse.fill_empty_rows(ids, -1)
    assert parts(filled) == ([[0, 0], [0, 1], [1, 0], [2, 0]], [1, 3, -1, 2], [3, 2])
    assert empty.numpy().tolist() == [False, True, False]
    soft = tf.sparse.softmax(tf.sparse.SparseTensor([[0, 0], [0, 2], [1, 1]], [1.0, 2.0, 3.0],
                                                    [2, 3]))
    np.testing.assert_allclose(soft.values.numpy(), [0.26894143, 0.7310586, 1.0], rtol=1e-7)
    assert parts(tf.sparse.map_values(tf.multiply, A, 10.0))[1] == [10.0, 20.0]
    with pytest.raises(ValueError, match="to_retain has 1 entries for 2"):
        tf.sparse.retain(A, [True])
    with pytest.raises(TypeError, match="SparseTensor"):
        tf.sparse.reduce_sum(tf.ones((2, 2)))


def test_prints_as_tf():
    assert str(tf.sparse.eye(1)) == (
        "SparseTensor(indices=tf.Tensor([[0 0]], shape=(1, 2), dtype=int64), "
        "values=tf.Tensor([1.], shape=(1,), dtype=float32), "
        "dense_shape=tf.Tensor([1 1], shape=(2,), dtype=int64))")
