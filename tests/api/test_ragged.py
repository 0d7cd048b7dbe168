"""tf.RaggedTensor constructors (api/ragged.py): the values' dtype is TensorFlow's."""

import numpy as np
import pytest

import tapeflow as tf


def test_from_row_lengths_of_python_ints_is_int32_as_tf():
    r = tf.RaggedTensor.from_row_lengths([1, 2, 3, 4], row_lengths=[3, 0, 1])
    assert r.dtype == tf.int32
    assert r.to_list() == [[1, 2, 3], [], [4]]
    assert tf.RaggedTensor.from_row_splits([1.0, 2.0], [0, 1, 2]).dtype == tf.float32
    # numpy arrays and tensors keep their dtype.
    assert tf.RaggedTensor.from_row_splits(np.array([1, 2]), [0, 2]).dtype == tf.int64
    assert tf.RaggedTensor.from_row_splits(tf.constant([1.0], tf.float64), [0, 1]).dtype \
        == tf.float64


# ---- arithmetic and bounding_shape (expected values printed by TensorFlow 2.21) ----------


def _r():
    return tf.ragged.constant([[1, 2], [], [3]])


def test_arithmetic_with_a_scalar_acts_on_the_values():
    r = _r()
    assert str(r + 1) == "<tf.RaggedTensor [[2, 3], [], [4]]>"
    assert str(r * 2) == "<tf.RaggedTensor [[2, 4], [], [6]]>"
    assert str(r - 1) == "<tf.RaggedTensor [[0, 1], [], [2]]>"
    assert str(1 - r) == "<tf.RaggedTensor [[0, -1], [], [-2]]>"
    assert str(2 * r) == "<tf.RaggedTensor [[2, 4], [], [6]]>"
    assert str(r + tf.constant(1)) == "<tf.RaggedTensor [[2, 3], [], [4]]>"
    assert str(-r) == "<tf.RaggedTensor [[-1, -2], [], [-3]]>"
    assert str(r / 2) == "<tf.RaggedTensor [[0.5, 1.0], [], [1.5]]>"
    assert (r / 2).dtype == tf.float64
    assert str(r // 2) == "<tf.RaggedTensor [[0, 1], [], [1]]>"
    f = tf.ragged.constant([[1.0, 2.0], [], [3.0]])
    assert str(f + 1.5) == "<tf.RaggedTensor [[2.5, 3.5], [], [4.5]]>"
    assert (f * 0.5).dtype == tf.float32
    assert (r + 1).row_lengths().numpy().tolist() == [2, 0, 1]


def test_arithmetic_of_ragged_tensors_with_the_same_rows():
    r = _r()
    assert str(r + r) == "<tf.RaggedTensor [[2, 4], [], [6]]>"
    assert str(r * r - r) == "<tf.RaggedTensor [[0, 2], [], [6]]>"
    n = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert str(n + 10) == "<tf.RaggedTensor [[[11, 12], [13]], [[14]]]>"
    assert str(n * n) == "<tf.RaggedTensor [[[1, 4], [9]], [[16]]]>"


def test_arithmetic_errors_are_invalid_argument():
    r = _r()
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"row lengths of ragged axis 1 differ \(\[2, 0, 1\] vs \[1, 1, 1\]\)"):
        r + tf.ragged.constant([[1], [2], [3]])
    with pytest.raises(tf.errors.InvalidArgumentError):  # int32 + float, as TF
        r + 1.5
    with pytest.raises(tf.errors.InvalidArgumentError, match="only a scalar"):
        r + tf.constant([1, 2, 3])


def test_bounding_shape():
    r = _r()
    b = r.bounding_shape()
    assert b.dtype == tf.int64 and b.numpy().tolist() == [3, 2]
    assert r.bounding_shape(axis=1).numpy() == 2
    assert r.bounding_shape(axis=-2).numpy() == 3
    assert tf.ragged.constant([[[1], [2, 3]], [[4]]]).bounding_shape().numpy().tolist() \
        == [2, 2, 2]
    assert tf.ragged.constant([[], []]).bounding_shape().numpy().tolist() == [2, 0]
    assert r.bounding_shape(out_type=tf.int32).dtype == tf.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match="axis 2 is out of range"):
        r.bounding_shape(axis=2)
