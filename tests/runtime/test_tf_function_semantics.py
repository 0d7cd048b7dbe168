"""tf.function's semantics as TensorFlow's (issue 10, item 3)."""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.specs import OperatorNotAllowedInGraphError

BACKEND = "interpreter"
pytestmark = pytest.mark.filterwarnings("ignore::tapeflow.runtime.function.RetraceWarning")


def fn(*args, **kwargs):
    return tf.function(*args, backend=BACKEND, **kwargs)


# ---- results --------------------------------------------------------------------------------


def test_python_numbers_returned_come_back_as_tensors_on_every_call():
    @fn
    def f(x):
        return 1, 2.5, [True, {"n": 3}], None, x

    for _ in range(2):  # the tracing call and a compiled call alike
        a, b, (c, d), e, x = f(tf.constant(1.0))
        assert isinstance(a, tf.Tensor) and a.dtype == tf.int32 and a.numpy() == 1
        assert b.dtype == tf.float32 and b.numpy() == 2.5
        assert c.dtype == tf.bool and d["n"].numpy() == 3
        assert e is None and isinstance(x, tf.Tensor)


# ---- concrete functions ---------------------------------------------------------------------


def test_a_concrete_function_is_callable():
    @fn
    def double(x):
        return x * 2

    cf = double.get_concrete_function(tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(cf(tf.constant([3.0, 4.0])).numpy(), [6.0, 8.0])
    np.testing.assert_array_equal(cf(np.array([1.0, 1.0], np.float32)).numpy(), [2.0, 2.0])
    assert double.experimental_get_tracing_count() == 1


def test_a_concrete_function_refuses_another_signature_with_a_type_error():
    @fn
    def double(x):
        return x * 2

    cf = double.get_concrete_function(tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"x.*\(3,\)"):
        cf(tf.constant([1.0, 2.0, 3.0]))
    # Another dtype is TF's InvalidArgumentError ("expected to be a float tensor").
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32") as info:
        cf(tf.constant([1, 2]))
    assert type(info.value) is tf.errors.InvalidArgumentError


def test_get_concrete_function_from_specs_traces_without_values():
    @fn
    def scale(x):
        return x * 3.0 + 1.0

    cf = scale.get_concrete_function(tf.TensorSpec(shape=[None], dtype=tf.float32))
    np.testing.assert_array_equal(cf(tf.constant([1.0, 2.0, 3.0])).numpy(), [4.0, 7.0, 10.0])
    np.testing.assert_array_equal(cf(tf.constant([0.0])).numpy(), [1.0])
    with pytest.raises(TypeError):
        cf(tf.constant([[1.0]]))


def test_calls_that_fit_a_concrete_function_from_specs_run_it_without_tracing(backend):
    # TF calls the concrete function made by get_concrete_function for any arguments its
    # specs accept; tapeflow used to trace a second time on the first call.
    v = tf.Variable(0.0)
    runs = []

    @tf.function(backend=backend)
    def step(x):
        runs.append(1)
        v.assign_add(tf.cast(tf.reduce_sum(x), tf.float32))
        return v * 1.0

    step.get_concrete_function(tf.TensorSpec([None, 2], tf.float32))
    assert (len(runs), v.numpy()) == (1, 0.0)  # traced from the specs; nothing ran
    assert step(tf.ones([3, 2])).numpy() == 6.0
    assert step(np.ones([4, 2], np.float32)).numpy() == 14.0  # each call commits once
    assert len(runs) == 1 and step.experimental_get_tracing_count() == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        # what the specs do not accept is traced: another fixed size, rank or dtype
        assert step(tf.ones([4, 3])).numpy() == 26.0
        assert step(tf.ones([2])).numpy() == 28.0
        assert step(tf.ones([1, 2], tf.float64)).numpy() == 30.0
    assert len(runs) == 4 and v.numpy() == 30.0


def test_an_input_signature_traces_once_for_get_concrete_function_and_calls(backend):
    runs = []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)], backend=backend)
    def double(x):
        runs.append(1)
        return x * 2.0

    concrete = double.get_concrete_function()
    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        assert double(tf.constant([1.0, 2.0])).numpy().tolist() == [2.0, 4.0]
        assert double([1.0, 2.0, 3.0]).numpy().tolist() == [2.0, 4.0, 6.0]
    assert concrete(tf.constant([5.0])).numpy().tolist() == [10.0]
    assert len(runs) == 1


def test_a_python_read_of_a_spec_value_raises_instead_of_guessing():
    # (an `if` on a tensor is not such a read: tests/conformance/test_autograph_specs.py)
    @fn
    def branchy(x):
        positive = bool(tf.reduce_sum(x) > 0)
        return x if positive else -x

    with pytest.raises(OperatorNotAllowedInGraphError, match="bool"):
        branchy.get_concrete_function(tf.TensorSpec([3], tf.float32))
    with pytest.raises(TypeError):  # TF's error is a TypeError
        fn(lambda x: x.numpy()).get_concrete_function(tf.TensorSpec([2]))
    # called with values, the same function traces along the values' path
    np.testing.assert_array_equal(branchy(tf.constant([-1.0, -2.0, 0.0])).numpy(),
                                  [1.0, 2.0, -0.0])


def test_spec_of_unknown_rank_gives_a_concrete_function_for_every_rank():
    # (tests/conformance/test_unknown_rank.py has the rest)
    concrete = fn(lambda x: x + 1.0).get_concrete_function(tf.TensorSpec(None))
    assert "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)" in str(concrete)
    assert concrete(tf.constant([[1.0]])).numpy().tolist() == [[2.0]]


def test_pretty_printed_concrete_signatures():
    @fn
    def add(a, b):
        return a + b

    add(tf.constant(1.0), 2)
    text = add.pretty_printed_concrete_signatures()
    assert text == (
        "Input Parameters:\n"
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32, name=None)\n"
        "  b (POSITIONAL_OR_KEYWORD): Literal[2]\n"
        "Output Type:\n"
        "  TensorSpec(shape=(), dtype=tf.float32, name=None)\n"
        "Captures:\n"
        "  None"
    )
    add(tf.constant([1, 2]), tf.constant([3, 4]))
    assert add.pretty_printed_concrete_signatures().count("Input Parameters:") == 2


def test_tensorspec_repr_is_tensorflows():
    spec = tf.TensorSpec(shape=[None, 3], dtype=tf.float32)
    assert repr(spec) == "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)"


# ---- retracing ------------------------------------------------------------------------------


def test_reduce_retracing_generalises_a_changed_size_to_none():
    @fn(reduce_retracing=True)
    def total(x):
        return tf.reduce_sum(x)

    for n in (1, 2, 3, 4, 5):
        assert total(tf.ones(n)).numpy() == n
    assert total.experimental_get_tracing_count() == 2  # [1], then [None]
    assert total(tf.ones((2, 2))).numpy() == 4  # another rank: another trace
    assert total.experimental_get_tracing_count() == 3


def test_without_reduce_retracing_each_size_traces():
    @fn
    def total(x):
        return tf.reduce_sum(x)

    for n in (1, 2, 3):
        total(tf.ones(n))
    assert total.experimental_get_tracing_count() == 3


# ---- input signature ------------------------------------------------------------------------


def test_an_input_signature_mismatch_is_a_type_error():
    @fn(input_signature=[tf.TensorSpec([2], tf.float32)])
    def f(x):
        return x

    with pytest.raises(TypeError):
        f(tf.constant([1.0, 2.0, 3.0]))  # shape
    with pytest.raises(TypeError):
        f(tf.constant([1, 2]))  # dtype
    with pytest.raises(TypeError):
        f(tf.constant([1.0, 2.0]), tf.constant(1.0))  # count


# ---- variables ------------------------------------------------------------------------------


def test_creating_a_variable_on_every_call_is_refused_on_the_first_call():
    @fn
    def f(x):
        v = tf.Variable(1.0)
        return v + x

    with pytest.raises(ValueError, match="first call"):
        f(tf.constant(1.0))


def test_creating_a_variable_only_once_is_allowed():
    state = []

    @fn
    def f(x):
        if not state:
            state.append(tf.Variable(2.0))
        state[0].assign_add(x)
        return state[0] * 1.0

    assert f(tf.constant(1.0)).numpy() == 3.0  # the assignment happened once
    assert f(tf.constant(1.0)).numpy() == 4.0
    assert state[0].numpy() == 4.0


# ---- unused results -------------------------------------------------------------------------


def test_an_op_whose_result_is_unused_does_not_raise(backend):
    @tf.function(backend=backend)
    def f(x):
        tf.gather(x, [1])  # out of range for one element, never used
        return x

    np.testing.assert_array_equal(f(tf.constant([0.0])).numpy(), [0.0])
    np.testing.assert_array_equal(f(tf.constant([5.0])).numpy(), [5.0])  # compiled call


def test_a_failing_op_whose_result_is_used_still_raises():
    @fn
    def f(x):
        return tf.gather(x, [1]) + 1.0

    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        f(tf.constant([0.0]))


def test_eagerly_the_unused_op_raises_as_in_tensorflow():
    @fn
    def f(x):
        tf.gather(x, [1])
        return x

    try:
        tf.config.run_functions_eagerly(True)
        with pytest.raises(tf.errors.InvalidArgumentError):
            f(tf.constant([0.0]))
    finally:
        tf.config.run_functions_eagerly(False)


def test_returned_text_is_a_string_tensor():
    @fn
    def name():
        return "out"

    for _ in range(2):
        out = name()
        assert out.dtype == tf.string and out.numpy() == b"out"


def test_structured_input_signature_names_each_tensor():
    @fn
    def scale(a, n=2):
        return a * n

    cf = scale.get_concrete_function(tf.constant([1.0, 2.0]), 3)
    args, kwargs = cf.structured_input_signature
    assert args == (tf.TensorSpec([2], tf.float32, name="a"), 3) and kwargs == {}
    assert isinstance(tf.TensorSpec([None, 3]).shape, tf.TensorShape)


def test_a_methods_signature_leaves_out_self_and_lists_captures():
    class Scale(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.0)

        @fn
        def __call__(self, x):
            return x * self.v

    s = Scale()
    s(tf.constant(2.0))
    text = s.__call__.pretty_printed_concrete_signatures()
    assert "self" not in text
    assert "  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32" in text
    assert "dtype=tf.resource" in text.split("Captures:")[1]


def test_a_tensor_spec_prints_as_tensorflow_prints_it():
    # (checked against TensorFlow 2.21: str and repr are the same text)
    for spec, text in [
        (tf.TensorSpec([None, 3], tf.float32),
         "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)"),
        (tf.TensorSpec(None), "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)"),
        (tf.TensorSpec([], tf.int32, name="n"), "TensorSpec(shape=(), dtype=tf.int32, name='n')"),
    ]:
        assert str(spec) == repr(spec) == text
        assert f"{spec}" == text


def test_tensorflows_other_options_are_accepted_and_unknown_ones_refused(quiet_retraces):
    @tf.function(jit_compile=True, experimental_compile=True, experimental_implements="f",
                 experimental_attributes={"a": 1}, experimental_autograph_options=None,
                 experimental_follow_type_hints=True)
    def f(x: tf.Tensor):
        return x * 2.0

    # As TF 2.21: follow_type_hints does not convert Python floats (a trace per value).
    assert [float(f(v)) for v in (1.0, 2.0)] == [2.0, 4.0]
    assert f.experimental_get_tracing_count() == 2
    with pytest.raises(TypeError, match="unexpected argument 'experimental_fast'"):
        tf.function(lambda x: x, experimental_fast=True)
