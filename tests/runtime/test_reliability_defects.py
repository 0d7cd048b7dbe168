"""Issue 13's defects 5, 7 and 8 (the nan static argument), each as the user meets it.

5: a call whose guards send it down another path never raises the old path's errors (an
   index out of range, an integer division by zero) where eager takes the other path and
   succeeds; an error that eager raises before its first differing decision still raises.
7: Python floats 0.0 and -0.0 are different static arguments, and a float() guard tells
   them apart; eager ops on numpy inputs never alias the caller's array; the gradient of
   gather over a zero-size dimension is zeros; arrays of another byte order are converted.
8: a float('nan') static argument is traced once, not on every call.

Tests of compiled code run on the interpreter and (marked slow) on Numba.
"""

import math

import numpy as np
import pytest

import tapeflow as tf

pytestmark = pytest.mark.usefixtures("quiet_retraces")


def counted(fn, **options):
    """tf.function(fn) whose Python body counts its runs (each run is a trace)."""
    runs = []

    def body(*args):
        runs.append(1)
        return fn(*args)

    return tf.function(body, **options), runs


# ---- 5: a guard that sends the call elsewhere runs nothing of the old path first -----------


def _gather_when_positive(x, i):
    if tf.reduce_sum(x) > 0:
        return tf.gather(x, i)
    return x * 0.0


def _divide_when_positive(x, d):
    if x > 0:
        return 100 // d
    return d * 0


def test_an_index_error_of_the_path_not_taken_does_not_reach_the_caller(backend):
    f, runs = counted(_gather_when_positive, backend=backend)
    x, i = np.array([1.0, 2.0, 3.0], np.float32), np.array([2], np.int32)
    np.testing.assert_array_equal(f(x, i), [3.0])
    np.testing.assert_array_equal(f(x, i), [3.0])
    # Eager: the sum is negative, so gather never runs; its index 7 is out of range.
    negative, bad = -x, np.array([7], np.int32)
    np.testing.assert_array_equal(f(negative, bad), [-0.0, -0.0, -0.0])
    np.testing.assert_array_equal(f(negative, bad), [-0.0, -0.0, -0.0])  # the new path
    assert len(runs) == 2
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        f(x, bad)  # the path that gathers, with a bad index: eager's error
    np.testing.assert_array_equal(f(x, i), [3.0])


def test_an_integer_division_by_zero_of_the_path_not_taken_does_not_reach_the_caller(backend):
    f = tf.function(_divide_when_positive, backend=backend)
    one, two, zero = (tf.constant(v, tf.int32) for v in (1, 2, 0))
    assert int(f(one, two)) == 50
    assert int(f(one, two)) == 50
    assert int(f(-one, zero)) == 0  # eager: x <= 0, no division
    assert int(f(-one, zero)) == 0
    with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        f(one, zero)


def test_an_error_before_the_differing_decision_still_raises(backend):
    # Eager runs gather before it reads the sum: the bad index raises whichever way the
    # decision would then go.
    def fn(x, i):
        y = tf.gather(x, i)
        if tf.reduce_sum(x) > 0:
            return y
        return y * 2.0

    f = tf.function(fn, backend=backend)
    x = np.array([1.0, 2.0], np.float32)
    f(x, np.array([0], np.int32))
    f(x, np.array([0], np.int32))
    for xs in (x, -x):
        with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
            f(xs, np.array([5], np.int32))


def test_a_discarded_path_commits_no_variable_update(backend):
    v = tf.Variable(0.0)

    def fn(x, i):
        v.assign_add(1.0)
        return _gather_when_positive(x, i)

    f = tf.function(fn, backend=backend)
    x, i = np.array([1.0, 2.0], np.float32), np.array([1], np.int32)
    f(x, i)
    f(x, i)
    f(-x, np.array([9], np.int32))
    assert float(v) == 3.0


def test_the_old_path_error_under_an_outer_tape(backend):
    f = tf.function(_gather_when_positive, backend=backend)
    x, i = tf.constant([1.0, 2.0, 3.0]), tf.constant([0])
    f(x, i)
    f(x, i)
    negative = tf.constant([-1.0, -2.0, -3.0])
    with tf.GradientTape() as t:
        t.watch(negative)
        y = f(negative, tf.constant([9]))
    np.testing.assert_array_equal(y, [-0.0, -0.0, -0.0])
    np.testing.assert_array_equal(t.gradient(y, negative), [0.0, 0.0, 0.0])


# ---- 7: signed zeros ------------------------------------------------------------------------


def test_plus_and_minus_zero_are_different_static_arguments(backend):
    # Python code can tell them apart (copysign, 1 / x, printing), so each gets its trace.
    f, runs = counted(lambda s: tf.constant(math.copysign(1.0, s)), backend=backend)
    for s, sign in [(0.0, 1.0), (-0.0, -1.0), (-0.0, -1.0), (0.0, 1.0), (-0.0, -1.0)]:
        assert float(f(s)) == sign, s
    assert len(runs) == 2


def test_a_float_guard_tells_zero_from_minus_zero(backend):
    def fn(x):
        return tf.constant(math.copysign(2.0, float(x)))

    f = tf.function(fn, backend=backend)
    for value, want in [(0.0, 2.0), (0.0, 2.0), (-0.0, -2.0), (-0.0, -2.0), (0.0, 2.0)]:
        assert float(f(tf.constant(value))) == want, value


# ---- 7: eager ops never alias the caller's numpy array --------------------------------------

VIEW_OPS = {
    "reshape": lambda a: tf.reshape(a, [4]),
    "reshape to its shape": lambda a: tf.reshape(a, [2, 2]),
    "transpose": lambda a: tf.transpose(a),
    "expand_dims": lambda a: tf.expand_dims(a, 0),
    "squeeze": lambda a: tf.squeeze(a[None]),
    "identity": lambda a: tf.identity(a),
    "broadcast_to": lambda a: tf.broadcast_to(a, [2, 2]),
    "broadcast_to a new axis": lambda a: tf.broadcast_to(a, [3, 2, 2]),
    "stack of one": lambda a: tf.stack([a]),
    "tile": lambda a: tf.tile(a, [1, 1]),
    "a slice": lambda a: tf.reshape(a, [-1])[1:],
}


@pytest.mark.parametrize("name", list(VIEW_OPS))
def test_an_eager_op_on_a_numpy_array_does_not_share_its_memory(name):
    a = np.arange(4, dtype=np.float32).reshape(2, 2)
    t = VIEW_OPS[name](a)
    before = t.numpy().copy()
    a[...] = 99.0
    np.testing.assert_array_equal(t.numpy(), before)


def test_a_traced_constant_from_a_numpy_array_is_the_value_at_trace_time(backend):
    table = np.array([1.0, 2.0], np.float32)
    f = tf.function(lambda x: x + tf.reshape(table, [2]), backend=backend)
    x = tf.constant([0.0, 0.0])
    np.testing.assert_array_equal(f(x), [1.0, 2.0])
    table[...] = 7.0  # as tf.function, the trace captured the value
    np.testing.assert_array_equal(f(x), [1.0, 2.0])


# ---- 7: the gradient of gather over a zero-size dimension -----------------------------------


@pytest.mark.parametrize("shape,indices,axis", [
    ((3, 0), [0, 2], 0),
    ((0, 3), np.zeros(0, np.int32), 0),
    ((2, 0, 4), [[1, 0]], 0),
    ((2, 3, 0), [2], 1),
    ((0,), np.zeros((2, 0), np.int32), 0),
])
def test_the_gradient_of_gather_on_a_zero_size_dimension_is_zeros(shape, indices, axis):
    x = tf.constant(np.ones(shape, np.float32))
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.gather(x, indices, axis=axis)
    g = t.gradient(y, x)
    assert g.shape == shape
    np.testing.assert_array_equal(g, np.zeros(shape, np.float32))


def test_the_gradient_of_gather_on_a_zero_size_dimension_compiled(backend):
    def grad(x, i):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(tf.gather(x, i))
        return t.gradient(y, x)

    f = tf.function(grad, backend=backend)
    x, i = np.ones((3, 0), np.float32), np.array([2, 0], np.int32)
    for _ in range(2):
        np.testing.assert_array_equal(f(x, i), np.zeros((3, 0), np.float32))


# ---- 7: byte order --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">i4", ">i8"])
def test_a_big_endian_array_is_converted(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    native = a.astype(a.dtype.newbyteorder("="))
    for t in (tf.constant(a), tf.convert_to_tensor(a), tf.identity(a), tf.Variable(a)):
        assert np.asarray(t).dtype == native.dtype
        np.testing.assert_array_equal(t, native)
    np.testing.assert_array_equal(tf.add(a, a), native + native)
    np.testing.assert_array_equal(tf.constant(native) * a, native * native)
    v = tf.Variable(native)
    v.assign(a)
    np.testing.assert_array_equal(v, native)


def test_a_big_endian_array_is_converted_by_a_function(backend):
    f, runs = counted(lambda x: x * 2, backend=backend)
    native = np.arange(3, dtype=np.float32)
    for a in (native.astype(">f4"), native, native.astype(">f4"), native.astype("<f4")):
        out = f(a)
        np.testing.assert_array_equal(out, [0.0, 2.0, 4.0])
        assert np.asarray(out).dtype == np.float32
    assert len(runs) == 1  # byte order is not part of the signature
    g = tf.function(lambda x: x + 1.0, input_signature=[tf.TensorSpec([None], tf.float32)],
                    backend=backend)
    np.testing.assert_array_equal(g(native.astype(">f4")), [1.0, 2.0, 3.0])


# ---- 8: a nan static argument ---------------------------------------------------------------


def test_a_nan_static_argument_is_traced_once(backend):
    f, runs = counted(lambda x, s: x + s, backend=backend)
    x = tf.constant([1.0, 2.0])
    for s in (float("nan"), float("nan"), math.nan, float("nan")):
        assert np.isnan(f(x, s)).all()
    assert len(runs) == 1
    np.testing.assert_array_equal(f(x, 1.0), [2.0, 3.0])
    assert len(runs) == 2
    assert np.isnan(f(x, float("nan"))).all()
    assert len(runs) == 2
