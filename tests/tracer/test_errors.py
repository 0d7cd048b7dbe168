"""Bad calls raise TypeError or ValueError (tf.errors.InvalidArgumentError where TF raises
that), name the op and the shapes or dtypes involved, and leave Variables unchanged."""
import numpy as np
import pytest

import tapeflow as tf

InvalidArgumentError = tf.errors.InvalidArgumentError


def _unchanged(v, expected):
    np.testing.assert_array_equal(v.numpy(), expected)


def test_invalid_argument_error_is_a_value_error():
    assert issubclass(InvalidArgumentError, ValueError)


# ---------------------------------------------------------------- dtypes and shapes

def test_mixing_float32_and_float64_raises():
    a = tf.constant([1.0, 2.0])
    b = tf.constant(np.array([1.0, 2.0]))  # a real float64 array
    with pytest.raises(InvalidArgumentError) as info:
        a + b
    assert isinstance(info.value, TypeError)  # also catchable as a dtype error
    msg = str(info.value)
    assert "add" in msg
    assert "float32" in msg and "float64" in msg


def test_mixing_dtypes_with_a_variable_leaves_it_unchanged():
    w = tf.Variable([1.0, 2.0])
    b = tf.constant(np.array([0.5, 0.5]))
    with pytest.raises(InvalidArgumentError, match="float64"):
        with tf.GradientTape():
            w.assign_sub(w * b)
    with pytest.raises(TypeError, match="mul"):
        w * b
    _unchanged(w, [1.0, 2.0])


def test_mixing_scalar_float32_and_float64_array_raises():
    with pytest.raises(TypeError, match="float64"):
        tf.constant(1.0) * tf.constant(np.array(1.0))


def test_shapes_that_do_not_broadcast():
    a = tf.constant([1.0, 2.0])
    b = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError) as info:
        a + b
    msg = str(info.value)
    assert "add" in msg
    assert "[2]" in msg and "[3]" in msg
    with pytest.raises(InvalidArgumentError, match=r"mul.*\[2,3\].*\[3,2\]"):
        tf.ones((2, 3)) * tf.ones((3, 2))


def test_matmul_inner_dimension_mismatch():
    with pytest.raises(InvalidArgumentError) as info:
        tf.ones((2, 3)) @ tf.ones((2, 3))
    msg = str(info.value)
    assert "matmul" in msg
    assert "[2,3]" in msg
    assert "3" in msg and "2" in msg


def test_matmul_mismatch_leaves_variable_unchanged():
    w = tf.Variable(np.ones((3, 2), dtype=np.float32))
    x = tf.ones((4, 4))
    with pytest.raises(InvalidArgumentError, match="matmul"):
        with tf.GradientTape():
            w.assign(x @ w)
    _unchanged(w, np.ones((3, 2)))


# ---------------------------------------------------------------- gradient

def test_gradient_source_python_float_raises():
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = v * 2.0
    with pytest.raises(TypeError) as info:
        tape.gradient(y, 1.0)
    msg = str(info.value)
    assert "gradient" in msg and "float" in msg


def test_gradient_source_numpy_array_raises():
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = v * 2.0
    with pytest.raises(TypeError, match="gradient.*ndarray"):
        tape.gradient(y, np.array([1.0]))


def test_gradient_source_in_list_is_named_by_position():
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = v * 2.0
    with pytest.raises(TypeError, match="source 1"):
        tape.gradient(y, [v, 2.0])


def test_watch_a_python_float_raises():
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError, match="watch.*float") as info:  # TF: ValueError
            tape.watch(1.0)
    assert isinstance(info.value, TypeError)


def test_output_gradients_of_wrong_shape_raise():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = x * x
    with pytest.raises(InvalidArgumentError, match=r"output_gradients.*\[3\].*\[2\]"):
        tape.gradient(y, x, output_gradients=tf.constant([1.0, 1.0, 1.0]))


# ---------------------------------------------------------------- variable assignment

def test_assign_wrong_shape():
    # TensorFlow raises a plain ValueError here (not InvalidArgumentError), naming the
    # variable and both shapes; code that prints type(e).__name__ shows "ValueError".
    w = tf.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError) as info:
        w.assign([1.0, 2.0, 3.0])
    assert type(info.value) is ValueError
    msg = str(info.value)
    assert "Cannot assign value to variable" in msg and "w:0" in msg
    assert "variable shape (2,)" in msg and "assigned value shape (3,)" in msg
    _unchanged(w, [1.0, 2.0])


def test_assign_wrong_shape_of_a_scalar_variable_inside_a_function():
    w = tf.Variable(1.0, name="w")

    @tf.function
    def set_to(x):
        w.assign(x)
        return w.read_value()

    with pytest.raises(ValueError, match=r"variable shape \(\), .*assigned value shape \(2,\)"):
        set_to(tf.constant([1.0, 2.0]))
    _unchanged(w, 1.0)


def test_assign_wrong_dtype():
    # A tensor of another dtype: TF's ValueError (a Python value that does not convert is
    # its TypeError, below).
    w = tf.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError) as info:
        w.assign(tf.constant(np.array([3.0, 4.0])))
    assert type(info.value) is ValueError
    msg = str(info.value)
    assert "assign" in msg and "float64" in msg and "float32" in msg
    _unchanged(w, [1.0, 2.0])


def test_assign_int_tensor_to_float_variable():
    w = tf.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError, match="int32"):
        w.assign(tf.constant([3, 4]))
    _unchanged(w, [1.0, 2.0])


def test_assign_fractional_value_to_int_variable():
    n = tf.Variable([1, 2], name="n")
    with pytest.raises(TypeError, match="int32") as info:
        n.assign([1.5, 2.5])
    assert type(info.value) is TypeError
    _unchanged(n, [1, 2])


def test_assign_add_to_a_bool_variable_is_tensorflows_invalid_argument():
    b = tf.Variable([True, False], name="b")
    with pytest.raises(InvalidArgumentError, match="bool variables cannot be added to") as info:
        b.assign_add([True, True])
    assert type(info.value) is InvalidArgumentError
    _unchanged(b, [True, False])


def test_assign_add_non_broadcastable_shape():
    w = tf.Variable([1.0, 2.0], name="w")
    with pytest.raises(InvalidArgumentError) as info:
        w.assign_add([1.0, 2.0, 3.0])
    msg = str(info.value)
    assert "assign_add" in msg and "(3,)" in msg and "(2,)" in msg
    _unchanged(w, [1.0, 2.0])


def test_assign_sub_wrong_shape_tensor():
    w = tf.Variable([1.0, 2.0], name="w")
    with pytest.raises(InvalidArgumentError, match=r"assign_sub.*\(2, 2\)"):
        w.assign_sub(tf.ones((2, 2)))
    _unchanged(w, [1.0, 2.0])


def test_assign_add_wrong_dtype_under_tape():
    w = tf.Variable([1.0, 2.0], name="w")
    with tf.GradientTape():
        with pytest.raises(ValueError, match="float64"):
            w.assign_add(tf.constant(np.array([1.0, 1.0])))
    _unchanged(w, [1.0, 2.0])


# ---------------------------------------------------------------- indexing

def test_index_out_of_range():
    x = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError) as info:
        x[5]
    msg = str(info.value)
    assert "index" in msg and "5" in msg and "3" in msg


def test_negative_index_out_of_range():
    x = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="-4"):
        x[-4]


def test_index_out_of_range_on_second_axis():
    x = tf.ones((2, 3))
    with pytest.raises(InvalidArgumentError, match=r"index 3.*axis 1.*3"):
        x[0, 3]


def test_too_many_indices():
    x = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError) as info:
        x[0, 1]
    msg = str(info.value)
    assert "too many indices" in msg and "rank 1" in msg


def test_index_out_of_range_on_variable_leaves_it_unchanged():
    w = tf.Variable([1.0, 2.0])
    with pytest.raises(InvalidArgumentError):
        w.assign_add(w[2] * tf.ones(2))
    _unchanged(w, [1.0, 2.0])


# ---------------------------------------------------------------- layers and ops

def test_unknown_dense_activation():
    with pytest.raises(ValueError) as info:
        tf.keras.layers.Dense(3, activation="reluu")
    msg = str(info.value)
    assert "Dense" in msg and "'reluu'" in msg


def test_reshape_to_incompatible_size():
    with pytest.raises(InvalidArgumentError) as info:
        tf.reshape(tf.ones((2, 3)), (4, 2))
    msg = str(info.value)
    assert "reshape" in msg and "6" in msg and "[4, 2]" in msg


def test_reshape_with_inferred_dimension_that_does_not_divide():
    with pytest.raises(InvalidArgumentError, match=r"reshape.*\[4, -1\]"):
        tf.reshape(tf.ones((2, 3)), (4, -1))


def test_reduce_over_out_of_range_axis():
    with pytest.raises(InvalidArgumentError) as info:
        tf.reduce_sum(tf.ones((2, 3)), axis=2)
    msg = str(info.value)
    assert "reduce_sum" in msg and "axis 2" in msg and "rank 2" in msg
    with pytest.raises(InvalidArgumentError, match="reduce_mean.*-3"):
        tf.reduce_mean(tf.ones((2, 3)), axis=-3)


def test_gather_with_out_of_range_index():
    params = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError) as info:
        tf.gather(params, [0, 3])
    msg = str(info.value)
    assert "gather" in msg and "3" in msg and "[0, 3)" in msg


def test_gather_out_of_range_leaves_variable_unchanged():
    w = tf.Variable([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="gather"):
        with tf.GradientTape():
            w.assign(tf.gather(w, [2, 1, 7]))
    _unchanged(w, [1.0, 2.0, 3.0])


def test_sparse_softmax_cross_entropy_with_labels_out_of_range():
    with pytest.raises(InvalidArgumentError) as info:
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([0, 3]), logits=tf.ones((2, 3)))
    msg = str(info.value)
    assert "sparse_softmax_cross_entropy_with_logits" in msg
    assert "[0, 3)" in msg and "3" in msg


def test_sparse_softmax_cross_entropy_with_negative_label():
    with pytest.raises(InvalidArgumentError, match="-1"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([-1, 0]), logits=tf.ones((2, 3)))


def test_sparse_softmax_cross_entropy_with_mismatched_shapes():
    with pytest.raises(InvalidArgumentError, match=r"\[3\].*\[2, 3\]"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([0, 1, 2]), logits=tf.ones((2, 3)))


def test_logical_and_on_float_tensors_raises():
    with pytest.raises(TypeError, match="logical_and"):
        tf.constant([1.0]) & tf.constant([1.0])


def test_int_tensor_with_fractional_python_scalar_raises():
    with pytest.raises(TypeError, match="0.5"):
        tf.constant([1, 2]) * 0.5


def test_text_and_numbers_do_not_mix():
    # tf.constant("abc") is a string tensor (as in TF); text never becomes a number.
    with pytest.raises(TypeError, match="to_number"):
        tf.constant("abc", dtype=tf.float32)
    with pytest.raises(TypeError, match="string"):
        tf.constant("abc") + 1.0
    with pytest.raises(TypeError, match="string"):
        tf.constant(1.0, dtype=tf.string)


def test_failed_step_in_a_training_loop_leaves_all_variables_unchanged():
    w = tf.Variable([[1.0], [2.0]])
    b = tf.Variable([0.5])
    x = tf.ones((3, 2))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(x @ w + b)
    gw, gb = tape.gradient(loss, [w, b])
    b.assign_sub(0.1 * gb)
    with pytest.raises(InvalidArgumentError):
        w.assign_sub(0.1 * tf.transpose(gw))  # (1, 2) into (2, 1)
    _unchanged(w, [[1.0], [2.0]])
    np.testing.assert_allclose(b.numpy(), [0.2])


# Each failing op, used the way a training step would (inside a tape, feeding an update),
# raises before anything is assigned.
_FAILING_UPDATES = {
    "mixed_dtypes": lambda w: w * tf.constant(np.ones((2, 2))),
    "broadcast": lambda w: w + tf.ones((3,)),
    "matmul": lambda w: w @ tf.ones((3, 2)),
    "reshape": lambda w: tf.reshape(w, (3,)),
    "reduce_axis": lambda w: w - tf.reduce_sum(w, axis=2),
    "gather": lambda w: tf.gather(w, [0, 5]),
    "index": lambda w: w - w[2],
    "too_many_indices": lambda w: w - w[0, 0, 0],
    "sparse_xent": lambda w: w * tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant([0, 2]), logits=w)),
    "logical": lambda w: w & w,
}


@pytest.mark.parametrize("name", sorted(_FAILING_UPDATES))
def test_failed_update_leaves_variable_unchanged(name):
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
    with pytest.raises((TypeError, ValueError)):
        with tf.GradientTape() as tape:
            w.assign_sub(0.1 * _FAILING_UPDATES[name](w))
    _unchanged(w, [[1.0, 2.0], [3.0, 4.0]])
    # the variable still works afterwards
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(w * w)
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), [[2.0, 4.0], [6.0, 8.0]])


@pytest.mark.parametrize("name", sorted(_FAILING_UPDATES))
def test_failed_update_is_invalid_argument(name):
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(InvalidArgumentError):
        _FAILING_UPDATES[name](w)


def test_bad_gradient_source_leaves_variable_unchanged():
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w)
    with pytest.raises(TypeError):
        w.assign_sub(0.1 * tape.gradient(loss, [w, 3.0])[0])
    _unchanged(w, [1.0, 2.0])
