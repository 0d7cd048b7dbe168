"""tf.RaggedTensor constructors (api/ragged.py): the values' dtype is TensorFlow's."""

import numpy as np

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
