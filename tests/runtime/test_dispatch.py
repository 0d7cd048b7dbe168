"""The generated straight-line call path of compiled graphs (runtime/dispatch.py)."""

import numpy as np
import pytest

import tapeflow as tf

pytestmark = pytest.mark.slow


def test_later_calls_go_through_the_generated_path_and_agree():
    w = tf.Variable(np.full((3, 2), 0.5, np.float32), name="w")

    @tf.function
    def step(x, scale):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((x @ w) ** 2) * scale
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return {"loss": loss, "scale": scale}

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    ref = w.numpy()
    for _ in range(3):
        out = step(x, 2.0)
        g = 2.0 * 2 * x.T @ (x @ ref) / 4
        ref = ref - 0.1 * g
        np.testing.assert_allclose(w.numpy(), ref, rtol=1e-5)
    assert out["scale"] == 2.0 and out["loss"].dtype == tf.float32
    dispatch = step.get_concrete_function(x, 2.0)._static.dispatch
    assert dispatch is not None and "entry(" in dispatch.__tapeflow_source__


def test_the_generated_path_converts_strided_and_wrongly_typed_arrays():
    f = tf.function(lambda x: tf.reduce_sum(x * x, axis=0))
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    f(np.ascontiguousarray(base.T))
    f(np.ascontiguousarray(base.T))  # compiled; the next calls use the generated path
    np.testing.assert_allclose(f(base.T).numpy(), (base.T ** 2).sum(0))  # F-ordered view
    assert f.experimental_get_tracing_count() == 1


def test_guards_and_index_errors_on_the_generated_path():
    v = tf.Variable(0.0)

    @tf.function
    def f(x, i):
        v.assign_add(1.0)
        picked = tf.gather(x, i)
        if tf.reduce_sum(picked) > 0:
            return picked * 2.0
        return picked

    x = np.array([1.0, -5.0, 3.0], np.float32)
    for _ in range(3):
        np.testing.assert_allclose(f(x, np.array([0, 2])).numpy(), [2.0, 6.0])
    with pytest.warns(tf.RetraceWarning, match="a guard failed"):  # the other branch
        np.testing.assert_allclose(f(x, np.array([1, 1])).numpy(), [-5.0, -5.0])
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(x, np.array([0, 7]))
    assert float(v) == 4.0  # the failed call committed nothing


def _misaligned(values, dtype):
    """A writeable, C-contiguous array of `values` whose data is not aligned to its dtype."""
    values = np.asarray(values, dtype)
    raw = bytearray(values.nbytes + 1)
    array = np.frombuffer(raw, dtype=dtype, count=values.size, offset=1).reshape(values.shape)
    array[...] = values
    assert not array.flags.aligned and array.flags.c_contiguous and array.flags.writeable
    return array


def _read_only(values, dtype):
    array = np.array(values, dtype)
    array.flags.writeable = False
    return array


@pytest.mark.parametrize("make", [
    lambda a: np.asfortranarray(a),  # F-ordered
    lambda a: np.repeat(a, 2, axis=1)[:, ::2],  # strided
    lambda a: _read_only(a, np.float32),  # Numba would type it as another (read-only) array
    lambda a: _misaligned(a, np.float32),
], ids=["f-order", "strided", "read-only", "misaligned"])
def test_inputs_in_another_layout_are_copied_before_the_native_entry_point(make):
    # The generated path calls the compiled overload's entry point without Numba's type
    # dispatch, so what it hands over must be exactly the compiled type: C, writeable,
    # aligned. Anything else is copied first; Numba never compiles a second overload.
    w = tf.Variable(np.ones((3, 2), np.float32))
    f = tf.function(lambda x: tf.reduce_sum(x @ w, axis=0))
    base = np.arange(12, dtype=np.float32).reshape(4, 3)
    f(base)
    f(base)  # compiled; the next calls take the generated path
    odd = make(base)
    np.testing.assert_array_equal(odd, base)
    np.testing.assert_allclose(f(odd).numpy(), (base @ np.ones((3, 2))).sum(0))
    executor = f.get_concrete_function(base).executor
    assert len(executor._entry.overloads) == 1
    assert f.experimental_get_tracing_count() == 1


def test_a_read_only_or_misaligned_variable_value_is_copied_before_native_code():
    v = tf.Variable(np.arange(4, dtype=np.float32))

    @tf.function
    def f():
        return tf.reduce_sum(v * v)

    f()
    f()
    for odd in (_read_only(np.arange(4), np.float32), _misaligned(np.arange(4), np.float32)):
        v._value._value = odd  # behind the Variable's back: the call path must still cope
        assert float(f()) == 14.0
    assert len(f.get_concrete_function().executor._entry.overloads) == 1


def test_the_generated_path_refuses_a_wrong_shape_before_native_code():
    f = tf.function(lambda x: x * 2.0)
    x = np.ones((2, 3), np.float32)
    f(x)
    f(x)
    dispatch = f.get_concrete_function(x)._static.dispatch
    for wrong in (np.ones((3, 2), np.float32), np.ones(6, np.float32),
                  np.ones((2, 3, 1), np.float32), np.float32(1.0)):
        with pytest.raises(ValueError, match="expected"):
            dispatch([wrong])
    # A wrong dtype is converted (a float64 call retraces before reaching here).
    np.testing.assert_allclose(dispatch([np.ones((2, 3), np.float64)]).numpy(), 2.0)


def test_wrap_output_builds_what_the_constructors_build():
    # The compiled call path wraps outputs without running Tensor's and Var's __init__: a
    # slot added to either must be filled there too.
    from tapeflow.graph.ir import Var
    from tapeflow.ops.core import ShapedArray
    from tapeflow.tracer.tensor import Tensor, wrap_output

    value = np.ones((2, 3), np.float32)
    aval = ShapedArray((2, 3), np.dtype(np.float32))
    made, fast = Tensor(value, Var(aval)), wrap_output(value, aval)
    assert type(fast) is Tensor and fast._value is value and fast.aval is aval
    assert type(fast._var) is Var and fast._var.id > made._var.id
    for obj, ref in ((fast, made), (fast._var, made._var)):
        for slot in type(ref).__slots__:
            if slot != "__weakref__":
                assert hasattr(obj, slot) == hasattr(ref, slot), slot
    assert wrap_output(value, aval)._var.id > fast._var.id
