"""Function.__call__'s hot path: the generated call path of the last path run takes a flat
positional call itself (runtime/dispatch.py, `call_key`) and must hand every other call on
unchanged: another signature, a failed guard, an error in compiled code."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.concrete import GUARD_FAILED
from tapeflow.runtime.dispatch import OTHER_SIGNATURE

pytestmark = pytest.mark.slow


def _warm(f, *args):
    f(*args)  # traces
    f(*args)  # compiles; the lean path runs it and makes it hot
    assert f._hot is not None
    return f._hot


def test_the_hot_path_hands_back_every_other_signature_before_running_anything():
    v = tf.Variable(0.0)

    @tf.function
    def f(x, scale, flag):
        v.assign_add(1.0)
        return tf.reduce_sum(x) * scale

    x = np.ones(3, np.float32)
    hot = _warm(f, x, 2.0, True)
    assert float(v) == 2.0
    for other in [
        (x,),  # too few
        (x, 2.0, True, None),  # too many
        (np.ones(4, np.float32), 2.0, True),  # another shape
        (np.ones((3, 1), np.float32), 2.0, True),  # another rank
        (np.ones(3, np.float64), 2.0, True),  # another dtype
        ([1.0, 1.0, 1.0], 2.0, True),  # a list is a static value
        (tf.Variable(x), 2.0, True),  # a Variable is keyed by identity
        (x, 3.0, True),  # another static value
        (x, 2, True),  # another static type (2 == 2.0)
        (x, 2.0, 1),  # True == 1, but not the same type
        (x, 2.0, None),
    ]:
        assert hot(other) is OTHER_SIGNATURE
    assert float(v) == 2.0  # nothing ran
    assert float(hot((x, 2.0, True))) == 6.0 and float(v) == 3.0
    assert float(hot((tf.constant(x), 2.0, True))) == 6.0  # a tensor keys as an array does


@pytest.mark.filterwarnings("ignore:.*is tracing again")
def test_calls_that_alternate_signatures_agree_with_eager_and_trace_once_each():
    f = tf.function(lambda x, scale: tf.reduce_sum(x * x) * scale)
    a, b = np.arange(3, dtype=np.float32), np.arange(4, dtype=np.float32)
    for _ in range(3):
        for x, scale in [(a, 2.0), (b, 2.0), (a, 3.0), (tf.constant(b), 3.0)]:
            np.testing.assert_allclose(float(f(x, scale)), float((np.asarray(x) ** 2).sum())
                                       * scale)
    assert f.experimental_get_tracing_count() == 4  # (a|b) x (2.0|3.0); a tensor as b


def test_strided_and_read_only_arguments_on_the_hot_path_are_copied_first():
    f = tf.function(lambda x: tf.reduce_sum(x, axis=0))
    base = np.arange(12, dtype=np.float32).reshape(4, 3)
    _warm(f, base)
    frozen = base.copy()
    frozen.flags.writeable = False
    for odd in (np.asfortranarray(base), np.repeat(base, 2, axis=1)[:, ::2], frozen):
        np.testing.assert_allclose(f(odd).numpy(), base.sum(0))
    assert len(f.get_concrete_function(base).executor._entry.overloads) == 1
    assert f.experimental_get_tracing_count() == 1


def test_a_failed_guard_on_the_hot_path_commits_nothing_and_runs_the_other_path():
    v = tf.Variable(0.0)

    @tf.function
    def f(x):
        v.assign_add(1.0)
        if tf.reduce_sum(x) > 0:
            return x * 2.0
        return -x

    pos, neg = np.ones(2, np.float32), -np.ones(2, np.float32)
    hot = _warm(f, pos)
    assert hot((neg,)) is GUARD_FAILED and float(v) == 2.0  # discarded: not committed
    with pytest.warns(tf.RetraceWarning, match="a guard failed"):
        f(neg)
    calls = 3
    for x in [neg, pos, pos, neg, pos, neg, neg]:  # the paths alternate
        expected = x * 2.0 if x.sum() > 0 else -x
        np.testing.assert_allclose(f(x).numpy(), expected)
        calls += 1
        assert float(v) == calls  # exactly one commit per call
    assert f.experimental_get_tracing_count() == 2


def test_an_index_error_on_the_hot_path_raises_and_leaves_variables_unchanged():
    v = tf.Variable(np.zeros(3, np.float32))

    @tf.function
    def f(x, i):
        v.assign_add(x)
        return tf.gather(x, i)

    x = np.ones(3, np.float32)
    _warm(f, x, np.array([0, 2]))
    before = v.numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(x, np.array([0, 7]))
    np.testing.assert_array_equal(v.numpy(), before)
    np.testing.assert_allclose(f(x, np.array([2, 1])).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), before + 1)


def test_hot_outputs_alias_neither_inputs_nor_later_results():
    w = tf.Variable(np.ones(3, np.float32))

    @tf.function
    def f(x):
        w.assign(w * 2.0)
        return x, tf.reshape(x, (3, 1)), w * 1.0

    x = np.arange(3, dtype=np.float32)
    _warm(f, x)
    first = f(x)
    second = f(x)
    x[:] = 100.0
    np.testing.assert_allclose(first[0].numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_allclose(first[1].numpy().ravel(), [0.0, 1.0, 2.0])
    np.testing.assert_allclose(first[2].numpy(), [8.0] * 3)  # w after its third doubling
    np.testing.assert_allclose(second[2].numpy(), [16.0] * 3)


def test_a_recording_tape_or_keyword_arguments_bypass_the_hot_path():
    f = tf.function(lambda x: x * x)
    x = tf.constant(np.float32(3.0))
    _warm(f, x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    assert float(tape.gradient(y, x)) == 6.0
    assert float(f(x=x)) == 9.0


def test_a_tensor_holding_a_numpy_scalar_is_converted_before_native_code():
    # Tensors hold ndarrays, but np.float32 has .shape, .dtype and .flags as well: the hot
    # path must not hand it to the native entry point (Numba would fail to unbox it).
    f = tf.function(lambda x: x * 2.0)
    x = tf.constant(np.float32(3.0))
    _warm(f, x)
    odd = tf.constant(np.float32(4.0))
    odd._value = np.float32(4.0)
    assert float(f(odd)) == 8.0


def test_functions_with_an_input_signature_get_a_hot_path_that_still_checks_it():
    w = tf.Variable(np.ones((3, 2), np.float32))

    @tf.function(input_signature=[tf.TensorSpec((None, 3), tf.float32)])
    def f(x):
        w.assign_sub(0.5 * w)
        return tf.reduce_sum(x @ w)

    small, large = np.ones((2, 3), np.float32), np.ones((5, 3), np.float32)
    hot = _warm(f, small)
    assert float(w.numpy()[0, 0]) == 0.25
    scale = 0.25
    for x in [large, small, small, tf.constant(large), large]:
        scale /= 2
        np.testing.assert_allclose(float(f(x)), x.shape[0] * 3 * 2 * scale)
    assert f._hot is not hot  # the last size's specialisation is hot now (it was compiled)
    assert f.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="argument x"):  # TF's class for a signature mismatch
        f(np.ones((2, 4), np.float32))  # refused, naming the argument, on the slow path
    with pytest.raises(TypeError, match="argument x"):
        f(np.ones((2, 3), np.float64))
    np.testing.assert_allclose(float(f([[1.0, 1.0, 1.0]])), 3 * 2 * scale / 2)  # converted


def test_a_signature_with_python_numbers_is_not_made_hot():
    @tf.function(input_signature=[tf.TensorSpec((), tf.float32)])
    def f(x):
        return x * 2.0

    for value in (1.0, 2.0, 3.0):
        assert float(f(value)) == 2 * value  # converted each time, never a static value
    assert f._hot is None
    assert f.experimental_get_tracing_count() == 1
