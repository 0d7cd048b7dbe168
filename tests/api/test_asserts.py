"""tf.debugging's assertions and the small top-level helpers of the debugging sweep: eager
errors in TF's text, static conditions at trace time, value conditions in the kernel (the
traced failure raises when the graph runs, on both backends, and commits no Variable), one
trace across values."""

import logging

import numpy as np
import pytest

import tapeflow as tf

InvalidArgumentError = tf.errors.InvalidArgumentError


# ---- eager ----------------------------------------------------------------------------------


def test_eager_comparisons_return_none_or_raise_tfs_text():
    x, y = tf.constant([1, 2, 3]), tf.constant([1, 5, 3])
    assert tf.debugging.assert_equal(x, x) is None
    assert tf.assert_less(x, y + 1) is None
    with pytest.raises(InvalidArgumentError) as info:
        tf.debugging.assert_equal(x, y, message="msg")
    assert str(info.value) == ("msg\nCondition x == y did not hold.\nIndices of first 1 "
                               "different values:\n[[1]]\nCorresponding x values:\n[2]\n"
                               "Corresponding y values:\n[5]\nFirst 3 elements of x:\n"
                               "[1 2 3]\nFirst 3 elements of y:\n[1 5 3]")
    with pytest.raises(InvalidArgumentError, match=r"^Condition x < y did not hold\."):
        tf.debugging.assert_less(x, y)
    for fn in (tf.debugging.assert_greater, tf.debugging.assert_greater_equal,
               tf.debugging.assert_none_equal):
        with pytest.raises(InvalidArgumentError):
            fn(x, y)
    assert tf.debugging.assert_less_equal(x, y) is None


def test_eager_signs_near_and_assert():
    v = tf.constant([1.0, -2.0, 0.0])
    with pytest.raises(InvalidArgumentError, match=r"Condition x > 0 did not hold element-wise"
                                                   r":\nx \(shape=\(3,\) dtype=float32\) = "):
        tf.debugging.assert_positive(v)
    for fn in (tf.debugging.assert_negative, tf.debugging.assert_non_negative,
               tf.debugging.assert_non_positive):
        with pytest.raises(InvalidArgumentError):
            fn(v)
    assert tf.debugging.assert_non_negative(tf.constant([0.0, 1.0])) is None
    assert tf.debugging.assert_near(tf.constant([1.0]), tf.constant([1.0 + 1e-7])) is None
    with pytest.raises(InvalidArgumentError, match="not equal to tolerance"):
        tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1]))
    with pytest.raises(InvalidArgumentError, match=r"to be true. Summarized data: 1, 2, 3\n"
                                                   r"b'hello'"):
        tf.Assert(tf.constant(False), [tf.constant([1, 2, 3]), "hello"])
    assert tf.debugging.Assert(tf.constant([True]), [1]) is None
    with pytest.raises(InvalidArgumentError, match="NaN"):
        tf.debugging.assert_all_finite(tf.constant([1.0, np.nan]), "bad")


def test_static_checks_raise_tfs_value_and_type_errors():
    x = tf.constant([1.0])
    with pytest.raises(ValueError, match=r"^my\.  Tensor  must have rank 2\.  Received rank 1"):
        tf.assert_rank(x, 2, message="my")
    with pytest.raises(ValueError, match="must have rank at least 2"):
        tf.debugging.assert_rank_at_least(x, 2)
    with pytest.raises(ValueError, match=r"must have rank in \(0, 2\)"):
        tf.debugging.assert_rank_in(x, [0, 2])
    with pytest.raises(ValueError, match=r"Expected scalar shape, saw shape: \(1,\)\."):
        tf.debugging.assert_scalar(x)
    with pytest.raises(TypeError, match="tensor must be of type tf.int32; got tf.float32"):
        tf.debugging.assert_type(x, tf.int32)
    with pytest.raises(TypeError, match='Expected "x" to be integer type'):
        tf.debugging.assert_integer(x)
    with pytest.raises(ValueError, match="must have size 2.  Received size 3"):
        tf.debugging.assert_shapes([(tf.zeros([2]), ("N",)), (tf.zeros([3]), ("N",))])
    assert tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N", 3)), (tf.zeros([2]), "N"),
                                       (tf.zeros([4, 2]), ("...", "N"))]) is None
    with pytest.raises(ValueError, match="must be of the same type"):
        tf.debugging.assert_same_float_dtype([x, tf.constant([1.0], tf.float64)])
    assert tf.debugging.assert_same_float_dtype([x]) == tf.float32
    assert tf.debugging.is_numeric_tensor(x) and not tf.debugging.is_numeric_tensor(1.0)


# ---- traced ---------------------------------------------------------------------------------


def test_traced_comparison_fails_at_run_time_and_commits_nothing(backend):
    v = tf.Variable(0.0)

    def step(x, y):
        v.assign_add(1.0)
        tf.debugging.assert_equal(x, y, message="msg")
        return x + y

    f = tf.function(step, backend=backend)
    f(tf.constant([1, 2]), tf.constant([1, 2]))
    f(tf.constant([3, 4]), tf.constant([3, 4]))
    assert v.numpy() == 2.0
    with pytest.raises(InvalidArgumentError) as info:
        f(tf.constant([1, 2]), tf.constant([1, 3]))
    assert str(info.value).startswith(
        "assertion failed: [msg] [Condition x == y did not hold element-wise:] "
        "[x (x:0) = ] [1 2] [y (y:0) = ] [1 3]")
    assert v.numpy() == 2.0  # the failed call committed nothing
    f(tf.constant([5, 6]), tf.constant([5, 6]))
    assert v.numpy() == 3.0
    assert f.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("name, good, bad", [
    ("assert_positive", [1.0, 2.0], [1.0, -1.0]),
    ("assert_non_positive", [-1.0, 0.0], [1.0, -1.0]),
])
def test_traced_sign_asserts_trace_once(backend, name, good, bad):
    f = tf.function(lambda x: getattr(tf.debugging, name)(x, message="m") or x * 2.0,
                    backend=backend)
    np.testing.assert_allclose(f(tf.constant(good)).numpy(), np.array(good) * 2)
    with pytest.raises(InvalidArgumentError, match=r"assertion failed: \[m\] \[Condition x"):
        f(tf.constant(bad))
    np.testing.assert_allclose(f(tf.constant(good[::-1])).numpy(), np.array(good[::-1]) * 2)
    assert f.experimental_get_tracing_count() == 1


def test_traced_assert_shows_its_data(backend):
    f = tf.function(lambda x: tf.debugging.Assert(tf.reduce_all(x > 0), [x, "hi"]) or x,
                    backend=backend)
    f(tf.constant([1.0, 2.0]))
    with pytest.raises(InvalidArgumentError, match=r"assertion failed: \[1 -1\] \[hi\]"):
        f(tf.constant([1.0, -1.0]))
    assert f.experimental_get_tracing_count() == 1


def test_a_trace_on_failing_values_raises():
    f = tf.function(lambda x: tf.debugging.assert_less(x, 1.0) or x)
    with pytest.raises(InvalidArgumentError, match="Condition x < y"):
        f(tf.constant([0.5, 2.0]))
    assert f(tf.constant([0.5, 0.25])).shape == (2,)


def test_static_checks_raise_at_trace_time():
    f = tf.function(lambda x: tf.debugging.assert_rank(x, 1) or x)
    with pytest.raises(ValueError, match="Tensor x:0 must have rank 1"):
        f(tf.constant([[1.0]]))


def test_assert_near_traced(backend):
    f = tf.function(lambda x, y: tf.debugging.assert_near(x, y, atol=0.1) or x,
                    backend=backend)
    f(tf.constant([1.0, 2.0]), tf.constant([1.05, 2.0]))
    with pytest.raises(InvalidArgumentError, match="not equal to tolerance"):
        f(tf.constant([1.0, 2.0]), tf.constant([1.5, 2.0]))
    assert f.experimental_get_tracing_count() == 1


def test_assert_in_a_graph_loop_body_still_checks():
    @tf.function
    def f(x):
        for i in tf.range(3):
            tf.debugging.assert_positive(x)
            x = x - 1.0
        return x

    assert f(tf.constant([5.0])).numpy() == 2.0
    with pytest.raises(InvalidArgumentError):
        f(tf.constant([2.0]))


# ---- ensure_shape ---------------------------------------------------------------------------


def test_ensure_shape_eager_and_static():
    x = tf.zeros([2, 3])
    assert tf.ensure_shape(x, [None, 3]) is x
    with pytest.raises(InvalidArgumentError, match=r"Shape of tensor input \[2,3\] is not "
                                                   r"compatible with expected shape \[\?,4\]"):
        tf.ensure_shape(x, [None, 4])
    f = tf.function(lambda x: tf.ensure_shape(x, [None, 4]))
    with pytest.raises(ValueError, match="Dimension 1 in both shapes must be equal, but are "
                                         "4 and 3"):
        f(x)


def test_ensure_shape_of_an_unknown_size_is_checked_per_call(backend):
    f = tf.function(lambda x: tf.ensure_shape(x, [None, 3]) * 2.0, backend=backend,
                    input_signature=[tf.TensorSpec([None, None], tf.float32)])
    assert f(tf.ones([2, 3])).shape == (2, 3)
    with pytest.raises(InvalidArgumentError, match="expected shape"):
        f(tf.ones([2, 4]))
    assert f(tf.ones([5, 3])).shape == (5, 3)
    assert f.experimental_get_tracing_count() == 1


# ---- the top-level helpers ------------------------------------------------------------------


def test_small_helpers():
    assert tf.is_tensor(tf.constant(1)) and tf.is_tensor(tf.Variable(1.0))
    assert not tf.is_tensor(1) and not tf.is_tensor(np.ones(2))
    np.testing.assert_array_equal(tf.get_static_value(tf.constant([1, 2])), [1, 2])
    assert tf.get_static_value(tf.Variable(2)) is None and tf.get_static_value(3) == 3
    assert tf.no_op() is None and tf.group(tf.constant(1)) is None
    with tf.control_dependencies([tf.constant(1)]):
        pass
    with tf.control_dependencies(None):
        pass
    with pytest.raises(TypeError):
        with tf.control_dependencies([object()]):
            pass
    a, b = tf.identity_n([tf.constant(1), tf.constant([2.0])])
    assert a.numpy() == 1 and b.numpy().tolist() == [2.0]
    assert not tf.inside_function()
    assert tf.function(lambda: tf.constant(tf.inside_function()))().numpy()
    with tf.name_scope("a"):
        with tf.name_scope("b"):
            assert tf.get_current_name_scope() == "a/b"
    assert tf.get_current_name_scope() == ""
    assert tf.get_logger() is logging.getLogger("tensorflow")
    np.testing.assert_array_equal(tf.make_ndarray(tf.constant([1, 2])), [1, 2])
    assert tf.constant_initializer(2.0)([2]).numpy().tolist() == [2.0, 2.0]
    assert tf.zeros_initializer()([1]).numpy().tolist() == [0.0]
    assert tf.as_string(tf.constant([1, 22]), width=4, fill="0").numpy().tolist() == \
        [b"0001", b"0022"]
    assert issubclass(tf.errors.OperatorNotAllowedInGraphError, TypeError)


def test_parallel_stack_is_refused_eagerly_as_in_tf():
    with pytest.raises(RuntimeError, match="not compatible with eager execution"):
        tf.parallel_stack([tf.constant([1])])
    f = tf.function(lambda a, b: tf.parallel_stack([a, b]))
    assert f(tf.constant([1, 2]), tf.constant([3, 4])).numpy().tolist() == [[1, 2], [3, 4]]


def test_dynamic_partition_and_stitch():
    parts = tf.dynamic_partition(tf.constant([[1, 2], [3, 4], [5, 6]]), tf.constant([1, 0, 1]),
                                 2)
    assert [p.numpy().tolist() for p in parts] == [[[3, 4]], [[1, 2], [5, 6]]]
    with pytest.raises(InvalidArgumentError, match=r"partitions\[1\] = 3 is not in \[0, 2\)"):
        tf.dynamic_partition(tf.constant([10, 20]), tf.constant([0, 3]), 2)
    f = tf.function(lambda x, p: tf.dynamic_partition(x, p, 2))
    with pytest.raises(InvalidArgumentError, match="dynamic_partition"):
        f(tf.constant([1.0, 2.0]), tf.constant([0, 1]))
    g = tf.function(lambda x: tf.dynamic_partition(x, tf.constant([0, 1, 0]), 2))
    assert [p.numpy().tolist() for p in g(tf.constant([1.0, 2.0, 3.0]))] == [[1.0, 3.0], [2.0]]
    out = tf.dynamic_stitch([tf.constant([0, 0]), tf.constant([3])],
                            [tf.constant([10.0, 30.0]), tf.constant([20.0])])
    assert out.numpy().tolist() == [30.0, 0.0, 0.0, 20.0]
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.dynamic_stitch([tf.constant([1, 0])], [x * x]))
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0]


def test_histogram_fixed_width():
    h = tf.histogram_fixed_width(tf.constant([-1.0, 0.0, 1.5, 2.0, 5.0, 15]), [0.0, 5.0],
                                 nbins=5)
    assert h.dtype == tf.int32 and h.numpy().tolist() == [2, 1, 1, 0, 2]
    h = tf.histogram_fixed_width(tf.constant([1, 2, 3]), [0, 4], nbins=2, dtype=tf.int64)
    assert h.dtype == tf.int64 and h.numpy().tolist() == [1, 2]
