"""tf.size, tf.rank, tf.device, tf.init_scope, tf.executing_eagerly, tf.config, tf.dtypes."""

import numpy as np
import pytest

import tapeflow as tf


def test_size_and_rank_are_int32_scalars():
    x = tf.zeros((2, 3, 4))
    assert tf.size(x).numpy() == 24 and tf.size(x).dtype == tf.int32
    assert tf.rank(x).numpy() == 3 and tf.rank(x).dtype == tf.int32
    assert tf.size(x, out_type=tf.int64).dtype == tf.int64
    assert tf.rank(5.0).numpy() == 0 and tf.size([1, 2, 3]).numpy() == 3


def test_size_of_an_unknown_length_is_computed_per_call():
    @tf.function(input_signature=[tf.TensorSpec([None, 2])], backend="interpreter")
    def count(x):
        return tf.size(x)

    assert count(tf.zeros((3, 2))).numpy() == 6
    assert count(tf.zeros((5, 2))).numpy() == 10
    assert count.experimental_get_tracing_count() == 1


def test_size_refuses_a_float_out_type():
    with pytest.raises(TypeError, match="size.*float32"):
        tf.size(tf.zeros(3), out_type=tf.float32)


def test_device_accepts_device_names_and_refuses_nonsense():
    with tf.device("/CPU:0"):
        y = tf.constant(1.0) + 1
    with tf.device("/device:GPU:0"):  # soft placement: runs on the CPU
        y = y * 2
    assert y.numpy() == 4.0
    with pytest.raises(ValueError, match="device specification"):
        with tf.device("my computer"):
            pass
    with pytest.raises(TypeError):
        with tf.device(3):
            pass


def test_executing_eagerly_is_false_while_tracing():
    seen = []

    @tf.function(backend="interpreter")
    def f(x):
        seen.append(tf.executing_eagerly())
        return x + 1

    f(tf.constant(1.0))
    assert tf.executing_eagerly() and seen == [False]


def test_init_scope_creates_a_variable_once_from_inside_a_function():
    holder = []

    @tf.function(backend="interpreter")
    def f(x):
        if not holder:
            with tf.init_scope():
                assert tf.executing_eagerly()
                holder.append(tf.Variable(10.0))
        return holder[0] * x

    assert f(tf.constant(2.0)).numpy() == 20.0
    assert f(tf.constant(3.0)).numpy() == 30.0
    holder[0].assign(1.0)
    assert f(tf.constant(3.0)).numpy() == 3.0  # the variable is read, not baked in


def test_list_physical_devices_is_one_cpu():
    (cpu,) = tf.config.list_physical_devices()
    assert cpu.device_type == "CPU" and cpu.name == "/physical_device:CPU:0"
    assert tf.config.list_physical_devices("GPU") == []
    assert tf.config.list_physical_devices("CPU") == [cpu]
    tf.config.set_visible_devices([cpu], "CPU")
    tf.config.experimental.set_visible_devices(tf.config.list_physical_devices("CPU"))
    with pytest.raises(ValueError):
        tf.config.set_visible_devices([], "CPU")
    with pytest.raises(ValueError):
        tf.config.experimental.set_memory_growth(cpu, True)


def test_op_determinism_switch():
    tf.config.experimental.enable_op_determinism()
    assert tf.config.experimental.is_op_determinism_enabled()
    tf.config.experimental.disable_op_determinism()
    assert not tf.config.experimental.is_op_determinism_enabled()


def test_run_functions_eagerly_runs_python_every_call():
    calls = []

    @tf.function(backend="interpreter")
    def f(x):
        calls.append(1)
        return x * 2

    try:
        tf.config.run_functions_eagerly(True)
        assert tf.config.functions_run_eagerly()
        for _ in range(3):
            assert f(tf.constant(2.0)).numpy() == 4.0
        assert len(calls) == 3 and f.experimental_get_tracing_count() == 0
    finally:
        tf.config.run_functions_eagerly(False)
    assert not tf.config.functions_run_eagerly()
    f(tf.constant(2.0))
    f(tf.constant(2.0))
    assert len(calls) == 4  # traced once, then compiled
    with pytest.raises(TypeError):
        tf.config.run_functions_eagerly("yes")


def test_dtype_attributes():
    d = tf.dtypes
    assert d.as_dtype(np.float32) is tf.float32 and d.as_dtype("int64") is tf.int64
    assert tf.float32.is_floating and not tf.float32.is_integer
    assert tf.int32.is_integer and not tf.int32.is_floating and not tf.int32.is_complex
    assert tf.int32.max == 2**31 - 1 and tf.int32.min == -(2**31)
    assert tf.float32.max == np.finfo(np.float32).max
    assert tf.float64.size == 8 and tf.bool.size == 1
    assert tf.float32.as_numpy_dtype is np.float32
    assert tf.float32.name == "float32" and repr(tf.float32) == "tf.float32"
    assert isinstance(tf.float32, tf.dtypes.DType)


def test_broadcast_static_shape_with_unknown_sizes():
    s = tf.broadcast_static_shape(tf.TensorShape([2, 1, None]), tf.TensorShape([None, 3]))
    assert s.as_list() == [2, None, 3]
    assert tf.broadcast_static_shape(tf.TensorShape([None]), tf.TensorShape([1])).as_list() \
        == [None]
    assert tf.broadcast_static_shape(tf.TensorShape(None), tf.TensorShape([2])).rank is None
    with pytest.raises(ValueError):
        tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))


def test_broadcast_dynamic_shape_keeps_the_dtype_and_raises_tfs_error():
    out = tf.broadcast_dynamic_shape([2, 1], [1, 4])
    assert out.dtype == tf.int32 and out.numpy().tolist() == [2, 4]
    out = tf.broadcast_dynamic_shape(tf.constant([3], tf.int64), tf.constant([2, 1], tf.int64))
    assert out.dtype == tf.int64 and out.numpy().tolist() == [2, 3]
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.broadcast_dynamic_shape([2], [3])
