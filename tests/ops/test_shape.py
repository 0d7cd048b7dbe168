"""Shape primitives and their TensorFlow wrappers (ops/shape.py) against TF's results."""

import numpy as np

import tapeflow as tf


def test_likes_of_python_lists_have_tfs_dtype():
    # [1, 2] is an int32 tensor in TF; numpy's default int64 must not leak into *_like.
    assert tf.ones_like([1, 2]).dtype == tf.int32
    assert tf.zeros_like([1.5]).dtype == tf.float32
    assert tf.ones_like([1, 2], dtype=tf.int64).dtype == tf.int64
    np.testing.assert_array_equal(tf.zeros_like([[1, 2]]).numpy(), [[0, 0]])
