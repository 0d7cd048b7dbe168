"""tf.py_function / numpy_function, tf.TensorArray, tf.autograph.to_code, tf.types."""

import numpy as np
import pytest

import tapeflow as tf


def test_py_function_and_numpy_function_call_python_eagerly():
    seen = []

    def double(t):
        seen.append(type(t))
        return t * 2

    out = tf.py_function(double, [tf.constant(2.0)], tf.float32)
    assert out.numpy() == 4.0 and seen == [tf.Tensor]
    out = tf.numpy_function(lambda a, b: (a + b, a - b), [np.float32(3), np.float32(1)],
                            [tf.float32, tf.float32])
    assert [o.numpy() for o in out] == [4.0, 2.0]
    assert tf.py_function(lambda: 7, [], tf.int64).dtype == tf.int64


def test_py_function_checks_tout():
    with pytest.raises(TypeError, match="float64.*float32"):
        tf.numpy_function(lambda a: a.astype(np.float64), [tf.constant(1.0)], tf.float32)
    with pytest.raises(ValueError, match="2 values"):
        tf.py_function(lambda: (1.0, 2.0), [], [tf.float32])
    with pytest.raises(TypeError, match="callable"):
        tf.py_function(3, [], tf.float32)


def test_py_function_inside_a_traced_function_raises_naming_it():
    @tf.function(backend="interpreter")
    def f(x):
        return tf.py_function(lambda a: a + 1, [x], tf.float32)

    with pytest.raises(NotImplementedError, match="py_function.*tracing"):
        f(tf.constant(1.0))
    try:
        tf.config.run_functions_eagerly(True)
        assert f(tf.constant(1.0)).numpy() == 2.0
    finally:
        tf.config.run_functions_eagerly(False)


def test_tensor_array_write_read_stack_unstack():
    ta = tf.TensorArray(tf.float32, size=2)
    ta = ta.write(0, [1.0, 2.0]).write(1, tf.constant([3.0, 4.0]))
    assert ta.size().numpy() == 2
    np.testing.assert_array_equal(ta.stack().numpy(), [[1, 2], [3, 4]])
    assert ta.read(1).numpy().tolist() == [3.0, 4.0]
    with pytest.raises(ValueError, match="already read"):
        ta.read(1)  # clear_after_read
    back = tf.TensorArray(tf.int32, size=0, dynamic_size=True).unstack(tf.constant([5, 6, 7]))
    assert back.size().numpy() == 3 and back.read(2).numpy() == 7


def test_tensor_array_bad_input():
    ta = tf.TensorArray(tf.float32, size=1)
    with pytest.raises(tf.errors.OutOfRangeError, match="out of range.*dynamic_size"):
        ta.write(3, 1.0)
    with pytest.raises(TypeError, match="int32.*float32"):
        ta.write(0, tf.constant(1))
    ta.write(0, tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="already written"):
        ta.write(0, tf.constant([1.0, 2.0]))
    shaped = tf.TensorArray(tf.float32, size=2, element_shape=[2])
    with pytest.raises(ValueError, match="element shape"):
        shaped.write(0, tf.constant([1.0, 2.0, 3.0]))


def test_tensor_array_in_a_traced_loop_is_differentiable():
    w = tf.Variable(2.0)

    @tf.function(backend="interpreter")
    def f(x):
        with tf.GradientTape() as tape:
            ta = tf.TensorArray(tf.float32, size=3)
            for i in range(3):
                ta = ta.write(i, w * x * float(i))
            total = tf.reduce_sum(ta.stack())
        return total, tape.gradient(total, w)

    for x in (1.0, 2.0):
        total, grad = f(tf.constant(x))
        assert total.numpy() == 2.0 * x * 3 and grad.numpy() == x * 3
    assert f.experimental_get_tracing_count() == 1


def test_autograph_to_code_is_autographs_text_or_else_the_traced_graph_or_the_source():
    def relu(x):
        return tf.maximum(x, 0.0)

    # TF's generated code for it (confirmed under TensorFlow 2.21: tests/conformance's
    # to_code cell has the full text)
    text = tf.autograph.to_code(tf.function(relu, backend="interpreter"))
    assert text.startswith("def tf__relu(x):\n    with ag__.FunctionScope('relu', 'fscope'")
    assert "retval_ = ag__.converted_call(ag__.ld(tf).maximum, (ag__.ld(x), 0.0), None, " \
        "fscope)" in text

    def early(x):  # an early return: AutoGraph's form for it is not written here
        if x > 0:
            return x
        return -x

    f = tf.function(early, backend="interpreter")
    assert "def early" in tf.autograph.to_code(f)
    f(tf.constant(1.0))
    assert "graph(" in tf.autograph.to_code(f)
    with pytest.raises(TypeError):
        tf.autograph.to_code(3)


def test_types_experimental_names():
    f = tf.function(lambda x: x, backend="interpreter")
    assert isinstance(f, tf.types.experimental.GenericFunction)
    cf = f.get_concrete_function(tf.constant(1.0))
    assert isinstance(cf, tf.types.experimental.ConcreteFunction)
    assert tf.types.experimental.TensorLike is not None


def test_tensor_array_indices_past_its_size_are_out_of_range_as_tfs():
    ta = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(tf.errors.OutOfRangeError, match="index 7"):
        ta.read(7)
    with pytest.raises(IndexError):  # (OutOfRangeError is an IndexError too)
        ta.write(5, 1.0)
