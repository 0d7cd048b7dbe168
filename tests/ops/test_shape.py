"""Shape primitives and their TensorFlow wrappers (ops/shape.py) against TF's results."""

import numpy as np
import pytest

import tapeflow as tf


def test_likes_of_python_lists_have_tfs_dtype():
    # [1, 2] is an int32 tensor in TF; numpy's default int64 must not leak into *_like.
    assert tf.ones_like([1, 2]).dtype == tf.int32
    assert tf.zeros_like([1.5]).dtype == tf.float32
    assert tf.ones_like([1, 2], dtype=tf.int64).dtype == tf.int64
    np.testing.assert_array_equal(tf.zeros_like([[1, 2]]).numpy(), [[0, 0]])


def _gather_ref(params, indices, axis, b):
    """TF's batched gather, by loops over the batch."""
    out = [np.take(params[i], indices[i], axis=axis - b) for i in np.ndindex(params.shape[:b])]
    return np.stack(out).reshape(params.shape[:b] + out[0].shape)


@pytest.mark.parametrize("pshape, ishape, axis, b", [
    ((2, 3), (2, 4), 1, 1),
    ((2, 5, 3), (2, 4), 1, 1),
    ((2, 3, 5, 2), (2, 3, 4), 3, 2),
    ((2, 5, 3, 4), (2, 2, 2), 2, 1),     # axis past the batch: the middle axes move back
])
def test_gather_batch_dims_matches_a_per_batch_gather(pshape, ishape, axis, b):
    rng = np.random.default_rng(0)
    params = rng.standard_normal(pshape)
    indices = rng.integers(0, pshape[axis], ishape).astype(np.int32)
    got = tf.gather(tf.constant(params), indices, axis=axis, batch_dims=b).numpy()
    np.testing.assert_array_equal(got, _gather_ref(params, indices, axis, b))


def test_gather_negative_batch_dims_and_default_axis():
    x = tf.constant([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(tf.gather(x, [[2], [0]], axis=1, batch_dims=-1).numpy(),
                                  [[3], [4]])
    np.testing.assert_array_equal(tf.gather(x, [[2, 0], [1, 1]], batch_dims=1).numpy(),
                                  [[3, 1], [5, 5]])


def test_gather_batch_dims_gradient_scatters_back_per_batch():
    x = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with tf.GradientTape() as tape:
        y = tf.gather(x, [[2, 2], [0, 1]], batch_dims=1)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 0, 2], [1, 1, 0]])


def test_tensor_scatter_nd_max_min_combine_repeated_indices():
    t = tf.constant([1, 2, 3, 4])
    got = tf.tensor_scatter_nd_max(t, [[0], [2], [0]], [10, -5, 3])
    np.testing.assert_array_equal(got.numpy(), [10, 2, 3, 4])
    got = tf.tensor_scatter_nd_min(t, [[0], [2], [2]], [10, -5, -7])
    np.testing.assert_array_equal(got.numpy(), [1, 2, -7, 4])


def test_tensor_scatter_nd_max_gradient_splits_ties_as_tf():
    x = tf.Variable([1.0, 5.0, 3.0])
    u = tf.Variable([4.0, 5.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.tensor_scatter_nd_max(x, [[0], [1]], u) * [1.0, 2.0, 3.0])
    dx, du = tape.gradient(loss, [x, u])
    np.testing.assert_array_equal(dx.numpy(), [0.0, 1.0, 3.0])  # x[1] ties with u[1]
    np.testing.assert_array_equal(du.numpy(), [1.0, 1.0])


def test_strided_slice_masks_match_indexing():
    x = tf.reshape(tf.range(24), [2, 3, 4])
    n = x.numpy()
    cases = [
        ({"begin": [0, 1], "end": [2, 3], "strides": [1, 2]}, n[0:2, 1:3:2]),
        ({"begin": [1, 0], "end": [2, 4], "shrink_axis_mask": 1}, n[1, 0:4]),
        ({"begin": [1, 2], "end": [0, 0], "begin_mask": 1, "end_mask": 2}, n[:0, 2:]),
        ({"begin": [0, 1], "end": [0, 2], "ellipsis_mask": 1}, n[..., 1:2]),
        ({"begin": [0, 0, 1], "end": [0, 0, 3], "new_axis_mask": 2, "shrink_axis_mask": 1},
         n[0, None, 1:3]),
        ({"begin": [-1], "end": [-4], "strides": [-1]}, n[-1:-4:-1]),
    ]
    for kwargs, want in cases:
        got = tf.strided_slice(x, **kwargs).numpy()
        np.testing.assert_array_equal(got, want, err_msg=str(kwargs))
