"""`Tensor.shape` is a tf.TensorShape: TensorFlow's methods, and still usable as a tuple."""

import pickle

import numpy as np
import pytest

import tapeflow as tf


def test_tensor_shape_is_a_tensorshape_with_rank_and_list():
    s = tf.ones((2, 3, 4)).shape
    assert isinstance(s, tf.TensorShape)
    assert s.rank == 3 and s.ndims == 3
    assert s.as_list() == [2, 3, 4]
    assert s.num_elements() == 24
    assert s.is_fully_defined()


def test_indexing_gives_ints_and_slicing_gives_shapes():
    s = tf.TensorShape([2, 3, 4])
    assert s[0] == 2 and type(s[0]) is int
    assert s[-1] == 4
    assert isinstance(s[1:], tf.TensorShape) and s[1:] == [3, 4]


def test_equal_to_tuples_and_lists_of_the_same_sizes():
    s = tf.zeros((2, 3)).shape
    assert s == (2, 3) and s == [2, 3] and s == tf.TensorShape([2, 3])
    assert s != (3, 2) and s != [2, 3, 1]
    assert hash(s) == hash((2, 3))  # usable as a dict key, like the tuple it equals


def test_a_shape_works_where_numpy_wants_a_tuple():
    s = tf.zeros((2, 3)).shape
    assert np.zeros(s).shape == (2, 3)
    rows, cols = s
    assert (rows, cols) == (2, 3)
    assert tf.reshape(tf.range(6), s).shape == (2, 3)


def test_none_dimensions():
    s = tf.TensorShape([None, 3])
    assert s.rank == 2
    assert s[0] is None
    assert not s.is_fully_defined()
    assert s.num_elements() is None
    assert repr(s) == "TensorShape([None, 3])"
    assert str(s) == "(None, 3)"


def test_unknown_rank():
    s = tf.TensorShape(None)
    assert s.rank is None and s.ndims is None
    assert repr(s) == "TensorShape(None)" and str(s) == "<unknown>"
    with pytest.raises(ValueError):
        s.as_list()
    with pytest.raises(ValueError):
        len(s)
    assert s.is_compatible_with([1, 2, 3])


def test_compatibility_and_merging():
    a = tf.TensorShape([None, 3])
    assert a.is_compatible_with([5, 3])
    assert not a.is_compatible_with([5, 4])
    assert not a.is_compatible_with([5, 3, 1])
    assert a.merge_with([5, None]) == [5, 3]
    with pytest.raises(ValueError, match="not compatible"):
        a.merge_with([5, 4])
    assert tf.TensorShape([2, 3]).most_specific_compatible_shape([2, 4]) == [2, None]


def test_concatenate_and_plus():
    a = tf.TensorShape([2])
    assert a.concatenate([3, 4]) == [2, 3, 4]
    assert a + tf.TensorShape([5]) == [2, 5]
    assert a.concatenate(tf.TensorShape(None)).rank is None


def test_a_scalar_shape_is_truthy_as_in_tensorflow():
    assert bool(tf.TensorShape([]))  # rank known (0)
    assert not bool(tf.TensorShape(None))


def test_bad_dimensions_are_refused():
    with pytest.raises(TypeError, match="dimension"):
        tf.TensorShape([2, "a"])
    with pytest.raises(ValueError, match="negative"):
        tf.TensorShape([-1])


def test_pickles_and_keeps_unknown_rank():
    assert pickle.loads(pickle.dumps(tf.TensorShape([2, None]))) == [2, None]
    assert pickle.loads(pickle.dumps(tf.TensorShape(None))).rank is None


def test_variable_shape_and_get_shape():
    v = tf.Variable(tf.zeros((3, 2)))
    assert v.shape == (3, 2) and isinstance(v.get_shape(), tf.TensorShape)


def test_code_testing_for_a_scalar_uses_the_rank_not_truthiness():
    # A rank-0 TensorShape is truthy (TF's rule), so library code must test the rank:
    # batch_jacobian of scalars refuses them with its own error, not an IndexError.
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(ValueError, match="batch_jacobian"):
        tape.batch_jacobian(y, x)
    with pytest.raises(ValueError, match="at least one axis"):
        tf.TensorArray(tf.float32, size=0, dynamic_size=True).unstack(tf.constant(1.0))
