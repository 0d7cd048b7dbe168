"""tf.errors: TensorFlow's classes, each also the builtin exception older code catches."""

import pickle

import numpy as np
import pytest

import tapeflow as tf

ALL = ["CancelledError", "UnknownError", "InvalidArgumentError", "DeadlineExceededError",
       "NotFoundError", "AlreadyExistsError", "PermissionDeniedError", "UnauthenticatedError",
       "ResourceExhaustedError", "FailedPreconditionError", "AbortedError", "OutOfRangeError",
       "UnimplementedError", "InternalError", "UnavailableError", "DataLossError"]


@pytest.mark.parametrize("name", ALL)
def test_every_error_is_an_operror_with_its_code(name):
    cls = getattr(tf.errors, name)
    assert issubclass(cls, tf.errors.OpError)
    assert tf.errors.exception_type_from_error_code(cls.error_code) is cls
    err = cls(None, None, "it went wrong")
    assert err.message == "it went wrong" and str(err) == "it went wrong"
    assert err.op is None and err.node_def is None
    assert type(pickle.loads(pickle.dumps(err))) is cls


def test_builtin_bases_keep_old_except_clauses_working():
    assert issubclass(tf.errors.InvalidArgumentError, ValueError)
    assert issubclass(tf.errors.OutOfRangeError, IndexError)
    assert issubclass(tf.errors.ResourceExhaustedError, MemoryError)
    assert issubclass(tf.errors.NotFoundError, LookupError)
    assert issubclass(tf.errors.UnimplementedError, NotImplementedError)
    assert tf.errors.INVALID_ARGUMENT == 3 and tf.errors.OUT_OF_RANGE == 11


def test_a_message_alone_is_accepted():
    err = tf.errors.NotFoundError("no such file: a.txt")
    assert str(err) == "no such file: a.txt"


def test_gather_out_of_range_is_invalid_argument_naming_index_and_size():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"5.*\[0, 3\)"):
        tf.gather(tf.constant([1.0, 2.0, 3.0]), 5)


def test_out_of_range_gather_prints_as_invalid_argument_and_is_an_index_error():
    # TensorFlow's class for it is InvalidArgumentError, and that is the name printed; the
    # class is also an IndexError for Python code.
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.gather(tf.constant([0.0]), [1])
    assert type(info.value).__name__ == "InvalidArgumentError"
    assert isinstance(info.value, IndexError)


def test_variables_and_eager_tensors_carry_tensorflows_class_names():
    v = tf.Variable(2.0)
    assert type(v).__name__ == "ResourceVariable"
    assert isinstance(v, tf.Variable)
    assert type(v + 1).__name__ == "EagerTensor"
    assert isinstance(v + 1, tf.Tensor)


def test_indexing_past_the_end_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant([1.0, 2.0])[2]


def test_assign_of_a_wrong_shape_is_a_value_error_and_changes_nothing():
    v = tf.Variable([1.0, 2.0], name="v")
    with pytest.raises(ValueError, match=r"variable shape \(2,\), .*value shape \(3,\)"):
        v.assign([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_mixing_dtypes_is_invalid_argument_and_a_type_error():
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.constant(1.0) + tf.constant(1.0, dtype=tf.float64)
    assert isinstance(info.value, TypeError)
    assert "float32" in str(info.value) and "float64" in str(info.value)
