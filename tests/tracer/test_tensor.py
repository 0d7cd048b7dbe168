"""Tensor, dtype and creation semantics, each as TensorFlow's eager API behaves."""
import warnings

import numpy as np
import pytest

import tapeflow as tf

# ---------------------------------------------------------------- basic properties

def test_shape_is_a_tuple():
    t = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3)
    assert isinstance(t.shape, tuple)
    assert tf.constant(1.0).shape == ()


def test_dtype_is_a_tf_dtype():
    assert tf.constant(1.0).dtype == tf.float32
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant(np.zeros(2)).dtype == tf.float64


def test_numpy_returns_a_copy():
    t = tf.constant([1.0, 2.0])
    a = t.numpy()
    a[0] = 100.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_constant_copies_the_numpy_input():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = tf.constant(a)
    a[0] = 100.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_numpy_of_a_scalar_is_a_numpy_scalar():
    # TF returns np.float32(6.0), so a notebook cell `dy_dx.numpy()` shows 6.0.
    out = tf.constant(6.0).numpy()
    assert isinstance(out, np.float32)
    assert out == 6.0
    assert isinstance(tf.constant(3).numpy(), np.int32)
    assert isinstance(tf.Variable(2.0).numpy(), np.float32)
    assert isinstance(tf.constant([1.0]).numpy(), np.ndarray)


def test_np_asarray_gives_the_value():
    t = tf.constant([[1.0, 2.0]])
    a = np.asarray(t)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1.0, 2.0]])


def test_np_asarray_cannot_mutate_the_tensor():
    t = tf.constant([1.0, 2.0])
    a = np.asarray(t)
    try:
        a[0] = 9.0
    except ValueError:
        pass  # read-only view is fine
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_repr_of_vector():
    t = tf.constant([1.0, 2.0]) + tf.constant([3.0, 4.0])
    assert repr(t) == (
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([4., 6.], dtype=float32)>"
    )


def test_str_of_scalar():
    assert str(tf.constant(2.0) * 3.0) == "tf.Tensor(6.0, shape=(), dtype=float32)"


def test_repr_of_scalar():
    assert repr(tf.constant(6.0)) == "<tf.Tensor: shape=(), dtype=float32, numpy=6.0>"


def test_str_of_int_vector():
    assert str(tf.constant([1, 2])) == "tf.Tensor([1 2], shape=(2,), dtype=int32)"


# ---------------------------------------------------------------- operators

def _v(x):
    return np.asarray(x)


def test_arithmetic_operators():
    a = tf.constant([6.0, -7.0])
    b = tf.constant([4.0, 2.0])
    np.testing.assert_allclose(_v(a + b), [10.0, -5.0])
    np.testing.assert_allclose(_v(a - b), [2.0, -9.0])
    np.testing.assert_allclose(_v(a * b), [24.0, -14.0])
    np.testing.assert_allclose(_v(a / b), [1.5, -3.5])
    np.testing.assert_allclose(_v(a ** b), [1296.0, 49.0])
    for r in (a + b, a - b, a * b, a / b, a ** b):
        assert r.dtype == tf.float32


def test_overflow_and_division_by_zero_are_silent():
    # TF returns inf/nan without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(float(tf.constant(1.0) / 0.0))
        assert np.isinf(float(tf.exp(tf.constant(100.0))))


def test_floordiv_and_mod_follow_python_sign_rules():
    a = tf.constant([7, -7, 7, -7])
    b = tf.constant([2, 2, -2, -2])
    np.testing.assert_array_equal(_v(a // b), [3, -4, -4, 3])
    np.testing.assert_array_equal(_v(a % b), [1, 1, -1, -1])
    assert (a // b).dtype == tf.int32
    f = tf.constant([7.5, -7.5])
    np.testing.assert_allclose(_v(f // 2.0), [3.0, -4.0])
    np.testing.assert_allclose(_v(f % 2.0), [1.5, 0.5])


def test_reflected_operators_with_python_scalars():
    a = tf.constant([1.0, 2.0])
    np.testing.assert_allclose(_v(1 + a), [2.0, 3.0])
    np.testing.assert_allclose(_v(1 - a), [0.0, -1.0])
    np.testing.assert_allclose(_v(2 * a), [2.0, 4.0])
    np.testing.assert_allclose(_v(2 / a), [2.0, 1.0])
    np.testing.assert_allclose(_v(2 ** a), [2.0, 4.0])
    np.testing.assert_allclose(_v(5 // a), [5.0, 2.0])
    np.testing.assert_allclose(_v(5 % a), [0.0, 1.0])
    assert (2 ** a).dtype == tf.float32


def test_numpy_array_on_the_left_defers_to_the_tensor():
    a = tf.constant([1.0, 2.0])
    r = np.array([3.0, 4.0], dtype=np.float32) * a
    assert isinstance(r, tf.Tensor)
    np.testing.assert_allclose(_v(r), [3.0, 8.0])


def test_matmul_operator():
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    b = tf.constant([[5.0], [6.0]])
    r = a @ b
    assert r.shape == (2, 1)
    np.testing.assert_allclose(_v(r), [[17.0], [39.0]])
    r2 = [[1.0, 0.0]] @ a  # list on the left: __rmatmul__
    np.testing.assert_allclose(_v(r2), [[1.0, 2.0]])


def test_batched_matmul():
    r = tf.ones((4, 2, 3)) @ tf.ones((4, 3, 5))
    assert r.shape == (4, 2, 5)
    np.testing.assert_allclose(_v(r), np.full((4, 2, 5), 3.0))


def test_matmul_broadcasts_batch_dimensions():
    assert (tf.ones((4, 2, 3)) @ tf.ones((3, 5))).shape == (4, 2, 5)


def test_unary_negation_and_abs():
    a = tf.constant([-1.5, 2.0])
    np.testing.assert_allclose(_v(-a), [1.5, -2.0])
    np.testing.assert_allclose(_v(abs(a)), [1.5, 2.0])
    assert abs(tf.constant([-3])).dtype == tf.int32


def test_comparisons_return_bool_tensors():
    a = tf.constant([1.0, 2.0, 3.0])
    b = tf.constant([2.0, 2.0, 2.0])
    cases = {
        "<": (a < b, [True, False, False]),
        "<=": (a <= b, [True, True, False]),
        ">": (a > b, [False, False, True]),
        ">=": (a >= b, [False, True, True]),
        "==": (a == b, [False, True, False]),
        "!=": (a != b, [True, False, True]),
    }
    for name, (r, expected) in cases.items():
        assert isinstance(r, tf.Tensor), name
        assert r.dtype == tf.bool, name
        np.testing.assert_array_equal(_v(r), expected, err_msg=name)


def test_comparison_with_python_scalar():
    a = tf.constant([1.0, 3.0])
    np.testing.assert_array_equal(_v(a > 2), [False, True])
    np.testing.assert_array_equal(_v(2 < a), [False, True])


def test_logical_operators_on_bool_tensors():
    p = tf.constant([True, True, False, False])
    q = tf.constant([True, False, True, False])
    np.testing.assert_array_equal(_v(p & q), [True, False, False, False])
    np.testing.assert_array_equal(_v(p | q), [True, True, True, False])
    np.testing.assert_array_equal(_v(~p), [False, False, True, True])
    assert (p & q).dtype == tf.bool


# ---------------------------------------------------------------- indexing

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize(
    "key",
    [
        0,
        -1,
        (1, 2),
        (-1, -2, -3),
        slice(None),
        slice(1, None),
        slice(None, None, -1),
        (slice(None), slice(None, None, 2)),
        (slice(None), slice(None, None, -2)),
        (slice(None), slice(2, 0, -1), slice(3, None, -2)),
        (Ellipsis, 1),
        (0, Ellipsis),
        (Ellipsis, slice(1, 3)),
        None,
        (slice(None), None),
        (Ellipsis, None),
        (0, None, slice(None, None, -1), 2),
        (None, Ellipsis, None, -1),
        (slice(-2, None), 1, slice(0, 4, 3)),
        (1, slice(5, 10)),  # slices clip as in Python
    ],
    ids=repr,
)
def test_indexing_matches_numpy(key):
    t = tf.constant(A)
    r = t[key]
    expected = A[key]
    assert r.shape == expected.shape
    assert r.dtype == tf.float32
    np.testing.assert_array_equal(_v(r), expected)


def test_newaxis_is_none():
    assert tf.newaxis is None
    t = tf.constant([1.0, 2.0])
    assert t[tf.newaxis].shape == (1, 2)
    assert t[:, tf.newaxis].shape == (2, 1)


def test_scalar_index_gives_scalar_tensor():
    t = tf.constant([1.0, 2.0, 3.0])
    r = t[1]
    assert isinstance(r, tf.Tensor)
    assert r.shape == ()
    assert float(r) == 2.0


def test_index_with_integer_scalar_tensor():
    t = tf.constant([1.0, 2.0, 3.0])
    assert float(t[tf.constant(2)]) == 3.0


def test_gradient_through_indexing():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = x[0] ** 2 + 4 * x[1] ** 2
    g = tape.gradient(y, x)
    np.testing.assert_allclose(_v(g), [2.0, 16.0, 0.0])


def test_gradient_through_indexing_seed_example():
    x = tf.constant([3.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x[0] ** 2 + 4 * x[1] ** 2
    g = tape.gradient(y, x)
    np.testing.assert_allclose(_v(g), [6.0, 32.0])


def test_gradient_through_strided_and_negative_slices():
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x[:, ::-2] * tf.constant([[1.0, 10.0]])) + x[-1, None, 1:][0, 0] * 100
    g = tape.gradient(y, x)
    expected = np.array([[10.0, 0.0, 1.0], [10.0, 100.0, 1.0]])
    np.testing.assert_allclose(_v(g), expected)


def test_gradient_through_ellipsis_and_newaxis():
    x = tf.constant(np.ones((2, 3), dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x[..., 1][:, None] * 3.0)
    np.testing.assert_allclose(_v(tape.gradient(y, x)), [[0, 3, 0], [0, 3, 0]])


# ---------------------------------------------------------------- len, iteration, bool, hash

def test_len_is_first_dimension():
    assert len(tf.constant(np.zeros((4, 2)))) == 4


def test_len_of_scalar_raises():
    with pytest.raises(TypeError):
        len(tf.constant(1.0))


def test_iteration_over_first_axis():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    rows = list(t)
    assert len(rows) == 3
    assert all(isinstance(r, tf.Tensor) and r.shape == (2,) for r in rows)
    np.testing.assert_array_equal(_v(rows[2]), [5.0, 6.0])


def test_iteration_over_scalar_raises():
    with pytest.raises(TypeError):
        iter(tf.constant(1.0)).__next__()


def test_bool_of_scalar_tensor():
    assert bool(tf.constant(True)) is True
    assert bool(tf.constant(0.0)) is False
    assert bool(tf.constant(2.0) > 1.0) is True
    if tf.constant(3) > 2:
        pass
    else:  # pragma: no cover
        pytest.fail("scalar comparison in `if` was falsy")


def test_bool_of_non_scalar_raises():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tf.constant([True, False]))


def test_float_and_int_of_scalar():
    assert float(tf.constant(2.5)) == 2.5
    assert int(tf.constant(7)) == 7


def test_tensors_are_unhashable():
    t = tf.constant(1.0)
    with pytest.raises(TypeError):
        hash(t)
    with pytest.raises(TypeError):
        {t: 1}
    with pytest.raises(TypeError):
        hash(tf.Variable(1.0))


def test_ref_is_a_dict_key():
    a = tf.constant(1.0)
    b = tf.constant(1.0)
    d = {a.ref(): "a", b.ref(): "b"}
    assert d[a.ref()] == "a"
    assert d[b.ref()] == "b"
    assert a.ref().deref() is a
    v = tf.Variable(1.0)
    assert {v.ref(): 1}[v.ref()] == 1


def test_equality_with_none_is_false():
    t = tf.constant(1.0)
    assert (t == None) is False  # noqa: E711
    assert (t != None) is True  # noqa: E711


# ---------------------------------------------------------------- dtypes

def test_python_float_becomes_float32():
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant([1.5, 2.5]).dtype == tf.float32


def test_python_int_becomes_int32():
    assert tf.constant(3).dtype == tf.int32
    assert tf.constant([1, 2]).dtype == tf.int32


def test_dtype_float_means_float32():
    t = tf.constant(1, dtype=float)
    assert t.dtype == tf.float32
    assert tf.Variable(1.0, dtype=float).dtype == tf.float32
    assert tf.zeros(2, dtype=float).dtype == tf.float32


def test_numpy_float64_array_stays_float64():
    t = tf.constant(np.array([1.0, 2.0]))
    assert t.dtype == tf.float64
    assert tf.convert_to_tensor(np.array([1.0])).dtype == tf.float64
    assert tf.Variable(np.array([1.0])).dtype == tf.float64


def test_float64_gradient_is_float64():
    x = tf.Variable(np.array([1.0, 2.0]))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * x)
    g = tape.gradient(y, x)
    assert g.dtype == tf.float64
    np.testing.assert_allclose(_v(g), [2.0, 4.0])


def test_numpy_float64_scalar_stays_float64():
    assert tf.constant(np.float64(1.0)).dtype == tf.float64
    assert tf.constant(np.mean(np.array([1.0, 2.0]))).dtype == tf.float64


def test_python_scalars_adopt_the_tensor_dtype():
    x = tf.constant(np.array([1.0, 2.0]))
    assert (x * 2).dtype == tf.float64
    assert (2.5 + x).dtype == tf.float64
    assert (x ** 2).dtype == tf.float64
    i = tf.constant([1, 2])
    assert (i + 1).dtype == tf.int32
    assert (tf.constant(np.array([1, 2], dtype=np.int64)) * 3).dtype == tf.int64


def test_int_tensor_times_python_float_raises():
    # TF refuses to turn 0.5 into an int32 silently.
    with pytest.raises(TypeError):
        tf.constant([1, 2]) * 0.5


def test_int32_truediv_gives_float64():
    r = tf.constant([1, 3]) / tf.constant([2, 2])
    assert r.dtype == tf.float64
    np.testing.assert_allclose(_v(r), [0.5, 1.5])
    assert (tf.constant(3) / 2).dtype == tf.float64


def test_cast():
    t = tf.cast(tf.constant([1.7, -1.7]), tf.int32)
    assert t.dtype == tf.int32
    np.testing.assert_array_equal(_v(t), [1, -1])  # truncation, as TF
    f = tf.cast(tf.constant([1, 2]), tf.float64)
    assert f.dtype == tf.float64
    b = tf.cast(tf.constant([0.0, 2.0]), tf.bool)
    np.testing.assert_array_equal(_v(b), [False, True])


def test_gradient_through_cast():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.cast(x, tf.float64) ** 2)
    g = tape.gradient(y, x)
    assert g.dtype == tf.float32
    np.testing.assert_allclose(_v(g), [2.0, 4.0])


def test_dtype_objects():
    assert tf.float32.name == "float32"
    assert tf.as_dtype(np.float64) == tf.float64
    assert tf.float32 == np.float32
    assert tf.float32 != tf.float64
    assert tf.float32.is_floating and tf.int32.is_integer


# ---------------------------------------------------------------- creation

def test_constant_with_dtype():
    t = tf.constant([1, 2], dtype=tf.float32)
    assert t.dtype == tf.float32
    np.testing.assert_array_equal(_v(t), [1.0, 2.0])
    assert tf.constant(1.0, dtype=tf.float64).dtype == tf.float64


def test_constant_refuses_to_drop_a_fraction():
    # TF: "Cannot convert 1.5 to EagerTensor of dtype int32".
    with pytest.raises(TypeError, match="int32"):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(TypeError):
        tf.constant(np.array([1.0, 2.0]), dtype=tf.int32)
    with pytest.raises(TypeError):
        tf.Variable([0.5], dtype=tf.int32)


def test_constant_with_shape_fills_a_scalar():
    t = tf.constant(7.0, shape=(2, 3))
    assert t.shape == (2, 3)
    np.testing.assert_array_equal(_v(t), np.full((2, 3), 7.0))


def test_constant_with_shape_reshapes():
    t = tf.constant([1, 2, 3, 4, 5, 6], shape=[2, 3])
    np.testing.assert_array_equal(_v(t), [[1, 2, 3], [4, 5, 6]])


def test_convert_to_tensor():
    t = tf.convert_to_tensor([1.0, 2.0])
    assert isinstance(t, tf.Tensor) and t.dtype == tf.float32
    assert tf.convert_to_tensor(t) is t
    assert tf.convert_to_tensor(1, dtype=tf.float32).dtype == tf.float32


def test_op_on_a_list_of_tensors_is_differentiable():
    # TF packs a list holding tensors into one tensor, keeping the gradient path.
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum([v, 2.0 * v])
    assert float(tape.gradient(y, v)) == 3.0


def test_convert_to_tensor_of_a_list_of_scalar_tensors_is_differentiable():
    a = tf.constant(2.0)
    b = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        v = tf.convert_to_tensor([a, b * b])
        y = tf.reduce_sum(v * tf.constant([10.0, 1.0]))
    assert v.shape == (2,)
    np.testing.assert_allclose(_v(v), [2.0, 9.0])
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 10.0
    assert float(gb) == 6.0


def test_constant_of_list_of_tensors():
    t = tf.constant([tf.constant(1.0), tf.constant(2.0)])
    np.testing.assert_array_equal(_v(t), [1.0, 2.0])


def test_zeros_and_ones():
    z = tf.zeros((2, 3))
    o = tf.ones([3], dtype=tf.int32)
    assert z.shape == (2, 3) and z.dtype == tf.float32
    np.testing.assert_array_equal(_v(z), np.zeros((2, 3)))
    assert o.dtype == tf.int32
    np.testing.assert_array_equal(_v(o), [1, 1, 1])
    assert tf.zeros(4).shape == (4,)


def test_zeros_and_ones_accept_tensor_shapes():
    assert tf.zeros(tf.shape(tf.ones((2, 3)))).shape == (2, 3)
    assert tf.ones(tf.constant(3)).shape == (3,)
    assert tf.zeros(np.int64(2)).shape == (2,)


def test_zeros_like_and_ones_like_keep_shape_and_dtype():
    x = tf.constant(np.ones((2, 2)))
    z = tf.zeros_like(x)
    o = tf.ones_like(tf.constant([1, 2, 3]))
    assert z.shape == (2, 2) and z.dtype == tf.float64
    np.testing.assert_array_equal(_v(z), np.zeros((2, 2)))
    assert o.dtype == tf.int32
    np.testing.assert_array_equal(_v(o), [1, 1, 1])
    assert tf.zeros_like(tf.Variable([1.0, 2.0])).shape == (2,)


def test_fill():
    t = tf.fill([2, 2], 5.0)
    assert t.dtype == tf.float32
    np.testing.assert_array_equal(_v(t), [[5.0, 5.0], [5.0, 5.0]])
    assert tf.fill((3,), 1).dtype == tf.int32


def test_range_int():
    t = tf.range(5)
    assert t.dtype == tf.int32
    np.testing.assert_array_equal(_v(t), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(_v(tf.range(1, 10, 3)), [1, 4, 7])
    np.testing.assert_array_equal(_v(tf.range(5, 0, -2)), [5, 3, 1])


@pytest.mark.parametrize("args, dtype", [
    ((tf.constant(4, tf.int64),), tf.int64),  # a tensor argument brings its dtype
    ((tf.constant(3.0),), tf.float32),
    ((1, tf.constant(3.0, tf.float64)), tf.float64),
    ((tf.constant(1, tf.int64), 3.0), tf.float32),  # the latest of int64 and float32
    ((np.int64(2),), tf.int64),
])
def test_range_infers_the_widest_argument_dtype(args, dtype):
    t = tf.range(*args)
    assert t.dtype == dtype
    np.testing.assert_array_equal(_v(t), np.arange(*[_v(a) if hasattr(a, "numpy") else a
                                                   for a in args]))


def test_range_float():
    t = tf.range(0.0, 1.0, 0.25)
    assert t.dtype == tf.float32
    np.testing.assert_allclose(_v(t), [0.0, 0.25, 0.5, 0.75])
    assert tf.range(3, dtype=tf.float64).dtype == tf.float64


def test_identity_copies_value_and_is_differentiable():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.identity(x)
        z = tf.reduce_sum(y * 3.0)
    assert y is not x
    np.testing.assert_array_equal(_v(y), [1.0, 2.0])
    np.testing.assert_allclose(_v(tape.gradient(z, x)), [3.0, 3.0])


def test_shape_op():
    s = tf.shape(tf.zeros((2, 5)))
    assert isinstance(s, tf.Tensor)
    assert s.dtype == tf.int32
    np.testing.assert_array_equal(_v(s), [2, 5])


def test_random_normal_shape_dtype_and_moments():
    tf.random.set_seed(0)
    t = tf.random.normal((2000,), mean=1.0, stddev=2.0)
    assert t.shape == (2000,) and t.dtype == tf.float32
    assert abs(float(tf.reduce_mean(t)) - 1.0) < 0.2
    assert abs(float(np.std(_v(t))) - 2.0) < 0.2


def test_random_uniform_range():
    t = tf.random.uniform((1000,), minval=-2.0, maxval=3.0)
    a = _v(t)
    assert t.dtype == tf.float32
    assert a.min() >= -2.0 and a.max() < 3.0
    d = tf.random.uniform((3, 4), dtype=tf.float64)
    assert d.dtype == tf.float64 and d.shape == (3, 4)
    assert _v(d).min() >= 0.0 and _v(d).max() < 1.0
    i = tf.random.uniform((50,), minval=0, maxval=5, dtype=tf.int32)
    assert i.dtype == tf.int32 and _v(i).min() >= 0 and _v(i).max() < 5


def test_set_seed_makes_draws_reproducible():
    tf.random.set_seed(42)
    a = _v(tf.random.normal((5,)))
    b = _v(tf.random.uniform((3,)))
    tf.random.set_seed(42)
    np.testing.assert_array_equal(_v(tf.random.normal((5,))), a)
    np.testing.assert_array_equal(_v(tf.random.uniform((3,))), b)
    assert not np.array_equal(_v(tf.random.normal((5,))), a)


# ---------------------------------------------------------------- Variable

def test_variable_name_and_default_name():
    assert tf.Variable(1.0, name="x").name == "x:0"
    assert tf.Variable(1.0).name == "Variable:0"


def test_variable_trainable_flag():
    assert tf.Variable(1.0).trainable is True
    assert tf.Variable(1.0, trainable=False).trainable is False


def test_variable_shape_dtype_and_numpy():
    v = tf.Variable([[1.0, 2.0]])
    assert v.shape == (1, 2)
    assert v.dtype == tf.float32
    np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0]])
    v.numpy()[0, 0] = 99.0
    np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0]])
    assert tf.Variable(3).dtype == tf.int32


def test_variable_from_tensor_and_from_callable():
    t = tf.constant([1.0, 2.0])
    v = tf.Variable(t)
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    w = tf.Variable(lambda: tf.ones(2))
    np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])


def test_variable_assign_family():
    v = tf.Variable([1.0, 2.0])
    v.assign([3.0, 4.0])
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [4.0, 5.0])
    v.assign_sub(tf.constant([2.0, 2.0]))
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])
    r = v.read_value()
    assert isinstance(r, tf.Tensor)
    np.testing.assert_array_equal(_v(r), [2.0, 3.0])
    v.assign([0.0, 0.0])
    np.testing.assert_array_equal(_v(r), [2.0, 3.0])  # an earlier read is unchanged


def test_variable_assign_returns_a_view_of_the_variable():
    # As TensorFlow: not the variable object itself, but reading it reads the variable.
    v = tf.Variable(1.0)
    assert v.assign(2.0) is not v
    assert float(v.assign_add(1.0)) == 3.0


def test_variable_in_arithmetic():
    v = tf.Variable([1.0, 2.0])
    r = v * 2 + 1
    assert isinstance(r, tf.Tensor)
    np.testing.assert_array_equal(_v(r), [3.0, 5.0])
    np.testing.assert_array_equal(_v(v[1:]), [2.0])


def test_variable_repr():
    v = tf.Variable([1.0, 2.0], name="x")
    assert repr(v) == (
        "<tf.Variable 'x:0' shape=(2,) dtype=float32, "
        "numpy=array([1., 2.], dtype=float32)>"
    )
    s = tf.Variable(3.0)
    assert repr(s) == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>"


@pytest.mark.parametrize("value", [1.5, 1.0, [1, 2.5]])
def test_constant_refuses_a_float_for_an_int_dtype_with_a_type_error(value):
    # TF's class: a plain TypeError, not the InvalidArgumentError of an op.
    with pytest.raises(TypeError) as caught:
        tf.constant(value, dtype=tf.int32)
    assert not isinstance(caught.value, tf.errors.InvalidArgumentError)


def test_xor_and_reflected_logical_operators_on_bool_tensors():
    a, b = tf.constant([True, True, False]), tf.constant([True, False, False])
    np.testing.assert_array_equal((a ^ b).numpy(), [False, True, False])
    np.testing.assert_array_equal((True ^ a).numpy(), [False, False, True])
    np.testing.assert_array_equal((True & a).numpy(), [True, True, False])
    np.testing.assert_array_equal((False | a).numpy(), [True, True, False])
