"""Variable behaviour TensorFlow code relies on: a slice assigned through (`v[1:3].assign`),
the scatter methods, and what a failed call leaves (the variable unchanged)."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops.core import InvalidArgumentError


def test_a_slice_of_a_variable_assigns_that_slice():
    v = tf.Variable([1.0, 2.0, 3.0, 4.0])
    v[0].assign(10.0)
    v[1:3].assign([20.0, 30.0])
    r = v[::2].assign([0.0, 0.0])
    np.testing.assert_array_equal(v.numpy(), [0.0, 20.0, 0.0, 4.0])
    np.testing.assert_array_equal(r.numpy(), v.numpy())  # the variable, as TF returns
    m = tf.Variable([[1, 2], [3, 4]])
    m[:, 1].assign([7, 8])
    m[..., 0].assign(tf.constant([5, 6]))
    np.testing.assert_array_equal(m.numpy(), [[5, 7], [6, 8]])


def test_a_slice_assign_of_another_shape_or_dtype_changes_nothing():
    v = tf.Variable([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(InvalidArgumentError, match=r"slice has shape \(2,\)"):
        v[1:3].assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="int32"):
        v[1:3].assign(tf.constant([1, 2]))
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0, 3.0, 4.0])


def test_only_a_slice_of_a_variable_has_assign():
    v = tf.Variable([1.0, 2.0])
    assert not hasattr(tf.constant([1.0]), "assign")
    assert not hasattr(v + 1.0, "assign")
    assert hasattr(v[0], "assign")


def test_a_slice_assigned_in_a_traced_function_commits_after_the_call():
    v = tf.Variable([1.0, 2.0, 3.0])

    @tf.function
    def step(x):
        v[1:].assign(v[1:] * x)
        return v.read_value()

    np.testing.assert_array_equal(step(tf.constant(2.0)).numpy(), [1.0, 4.0, 6.0])
    np.testing.assert_array_equal(step(tf.constant(2.0)).numpy(), [1.0, 8.0, 12.0])
    assert step.experimental_get_tracing_count() == 1


def test_scatter_nd_methods_update_the_variable():
    v = tf.Variable([1.0, 2.0, 3.0, 4.0])
    v.scatter_nd_update([[0], [2]], [9.0, 8.0])
    v.scatter_nd_add([[0]], [1.0])
    r = v.scatter_nd_sub([[3]], [4.0])
    np.testing.assert_array_equal(v.numpy(), [10.0, 2.0, 8.0, 0.0])
    np.testing.assert_array_equal(r.numpy(), v.numpy())


def test_a_constraint_is_kept_not_applied_by_assign():
    # TF stores the constraint for optimizers to apply; assign writes the value as given.
    clip = lambda x: tf.maximum(x, 0.0)
    v = tf.Variable([1.0, -2.0], constraint=clip)
    v.assign([-1.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [-1.0, 3.0])
    assert v.constraint is clip and tf.Variable(1.0).constraint is None


def test_a_declared_shape_with_none_sizes_lets_assign_change_them():
    v = tf.Variable([1.0], shape=tf.TensorShape(None))
    assert str(v.shape) == "<unknown>"
    v.assign([1.0, 2.0, 3.0])
    assert v.numpy().tolist() == [1.0, 2.0, 3.0] and str(v.shape) == "<unknown>"
    assert "shape=<unknown>" in repr(v)
    w = tf.Variable([[1.0]], shape=[None, 1])
    assert w.shape == tf.TensorShape([None, 1])
    w.assign([[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"variable shape \(None, 1\).*\(1, 2\)"):
        w.assign([[1.0, 2.0]])
    assert w.numpy().tolist() == [[1.0], [2.0]]  # a refused assign changes nothing
    assert str(tf.Variable(1.0, validate_shape=False).shape) == "<unknown>"
    assert tf.Variable([1.0, 2.0], shape=[2]).shape == (2,)  # fully defined: as before


def test_an_initial_value_must_fit_the_declared_shape():
    with pytest.raises(ValueError, match="not compatible with shape"):
        tf.Variable([1.0, 2.0], shape=[3])


def test_a_traced_function_reads_a_variable_whose_shape_changed(quiet_retraces):
    v = tf.Variable([1.0, 2.0, 3.0], shape=[None])

    @tf.function
    def total():
        return tf.reduce_sum(v)

    @tf.function
    def grow():
        v.assign(tf.concat([v, [1.0]], 0))
        return tf.size(v)

    assert float(total()) == 6.0
    v.assign([5.0])
    assert float(total()) == 5.0  # traced again for the new shape, not the stale one
    assert [int(grow()) for _ in range(3)] == [2, 3, 4]
    assert v.numpy().tolist() == [5.0, 1.0, 1.0, 1.0]
    assert float(total()) == 8.0


def test_variable_attributes_tf_users_print():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert repr(v.aggregation) == "<VariableAggregation.NONE: 0>"
    assert v.aggregation == tf.VariableAggregation.NONE
    assert str(v.synchronization) == "VariableSynchronization.AUTO"
    m = tf.Variable(1.0, aggregation=tf.VariableAggregation.MEAN,
                    synchronization=tf.VariableSynchronization.ON_READ)
    assert str(m.aggregation) == "VariableAggregationV2.MEAN"
    assert m.synchronization is tf.VariableSynchronization.ON_READ
    assert v.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    with pytest.raises(RuntimeError, match="not supported when eager execution"):
        v.initial_value
    np.testing.assert_array_equal(v.sparse_read([2, 0]).numpy(), [[5, 6], [1, 2]])
    np.testing.assert_array_equal(v.gather_nd([[0, 1], [2, 0]]).numpy(), [2, 5])
    assert v.experimental_ref().deref() is v
    assert type(v.ref()).__name__ == "Reference"


def test_a_variable_as_dict_key_is_tfs_type_error():
    v = tf.Variable(1.0)
    with pytest.raises(TypeError, match=r"Variable is unhashable. Instead, use "
                                        r"variable.ref\(\) as the key"):
        {v: 1}
    assert {v.ref(): 1}[v.ref()] == 1
