"""Behaviour that code written for TensorFlow observes directly: result dtypes, class names and
helpers that TensorFlow's guides print or call (found by running the guides under TensorFlow
and tapeflow side by side, benchmarks/guides_tally.py)."""

import numpy as np
import pytest

import tapeflow as tf


def test_abs_of_a_complex_tensor_is_its_real_magnitude():
    z = tf.constant([3 + 4j, -1j])
    r = tf.abs(z)
    assert r.dtype == tf.float64
    np.testing.assert_array_equal(r.numpy(), [5.0, 1.0])
    assert tf.math.abs(tf.cast(z, tf.complex64)).dtype == tf.float32


def test_abs_of_a_complex_tensor_inside_a_function_is_real_too():
    @tf.function
    def magnitude(z):
        return tf.abs(z)

    r = magnitude(tf.constant([6 + 8j]))
    assert r.dtype == tf.float64
    np.testing.assert_array_equal(r.numpy(), [10.0])


@pytest.mark.parametrize("dtype", [tf.float32, tf.int32])
def test_abs_of_real_tensors_keeps_their_dtype(dtype):
    assert tf.abs(tf.constant([-2, 3], dtype=dtype)).dtype == dtype


def test_name_scopes_prefix_the_names_of_variables_made_inside_them():
    with tf.name_scope("outer"):
        a = tf.Variable(1.0, name="a")
        with tf.name_scope("inner") as scope:
            b = tf.Variable(1.0)
    c = tf.Variable(1.0, name="c")
    assert scope == "outer/inner/"
    assert (a.name, b.name, c.name) == ("outer/a:0", "outer/inner/Variable:0", "c:0")


def test_a_name_scope_is_left_as_it_was_after_an_exception():
    with pytest.raises(RuntimeError), tf.name_scope("failing"):
        raise RuntimeError("boom")
    assert tf.Variable(1.0, name="after").name == "after:0"


def test_a_name_scope_name_must_be_a_string():
    # TF's ValueError and text, for None too.
    for bad in (3, None):
        with pytest.raises(ValueError, match="name for name_scope must be a string"):
            tf.name_scope(bad)


class ScopedBlock(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.w = tf.Variable(1.0, name="w")

    @tf.Module.with_name_scope
    def make(self):
        self.z = tf.Variable(2.0, name="z")
        return self.z


def test_a_modules_name_scope_prefixes_its_variables_with_its_name():
    m = ScopedBlock(name="block")
    assert m.name_scope.name == "block/"
    assert m.w.name == "block/w:0"
    assert m.make().name == "block/z:0"
    assert ScopedBlock().w.name == "scoped_block/w:0"  # the default name, from the class


def test_a_module_built_inside_a_scope_keeps_that_scope():
    with tf.name_scope("net"):
        m = ScopedBlock(name="block")
    assert m.w.name == "net/block/w:0"
    assert m.make().name == "net/block/z:0"  # later, outside the scope it was built in
    assert m.variables == (m.w, m.z)


def test_the_repr_of_a_scalar_shows_the_python_number_with_all_its_digits():
    # TensorFlow's repr prints float(value): a float32 27.3 is 27.299999237060547; str keeps
    # numpy's short text.
    assert repr(tf.constant(27.3)).endswith("numpy=27.299999237060547>")
    assert str(tf.constant(27.3)) == "tf.Tensor(27.3, shape=(), dtype=float32)"
    assert repr(tf.constant(27.3, tf.float64)).endswith("numpy=27.3>")
    assert repr(tf.constant(3)).endswith("numpy=3>")
    assert repr(tf.constant(1 + 2j)).endswith("numpy=(1+2j)>")
    assert repr(tf.Variable(0.1)).endswith("numpy=0.10000000149011612>")


def test_the_older_name_of_run_functions_eagerly_still_works():
    calls = []

    @tf.function
    def f(x):
        calls.append(1)
        return x + 1

    tf.config.experimental_run_functions_eagerly(True)
    try:
        assert tf.config.functions_run_eagerly()
        f(tf.constant(1.0))
        f(tf.constant(2.0))
    finally:
        tf.config.experimental_run_functions_eagerly(False)
    assert not tf.config.functions_run_eagerly()
    assert len(calls) == 2  # run as Python each time


def test_a_string_tensor_spec_names_tf_string():
    assert repr(tf.TensorSpec([], tf.string)) == "TensorSpec(shape=(), dtype=tf.string, name=None)"


def test_printing_a_concrete_function_shows_its_signature_as_tensorflow_does():
    @tf.function
    def twice(a):
        return a + a

    concrete = twice.get_concrete_function(tf.constant("ab"))
    assert str(concrete) == (
        "ConcreteFunction Input Parameters:\n"
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.string, name=None)\n"
        "Output Type:\n"
        "  TensorSpec(shape=(), dtype=tf.string, name=None)\n"
        "Captures:\n"
        "  None")
    assert "add" in str(concrete.graph)  # the traced graph's text is still there


def test_assign_returns_a_view_printed_as_an_unread_variable():
    v = tf.Variable([0.0, 0.0, 0.0], name="w")
    view = v.assign([1, 2, 3])
    assert repr(view) == ("<tf.Variable 'UnreadVariable' shape=(3,) dtype=float32, "
                          "numpy=array([1., 2., 3.], dtype=float32)>")
    assert isinstance(view, tf.Variable) and view is not v
    v.assign_add([1, 1, 1])
    np.testing.assert_array_equal(view.numpy(), [2.0, 3.0, 4.0])  # reads the variable now
    view.assign_sub([2, 3, 4])  # assigns the variable
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0, 0.0])
    assert v.name == "w:0"


def test_reading_an_assign_result_under_a_tape_is_a_read_of_the_variable():
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = v.assign([3.0, 4.0]) * 3.0
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [3.0, 3.0])
    assert tape.watched_variables() == (v,)


def test_a_function_returning_assign_add_returns_the_new_value_each_call():
    v = tf.Variable(0)

    @tf.function
    def step():
        return v.assign_add(1)

    assert [int(step()) for _ in range(3)] == [1, 2, 3]
    assert int(v.numpy()) == 3


def test_a_concrete_function_for_specs_reuses_a_trace_of_the_same_signature():
    traces = []

    @tf.function
    def double(a):
        traces.append(a.shape)
        return a + a

    double(tf.constant([1.0, 2.0]))
    concrete = double.get_concrete_function(tf.TensorSpec([2], tf.float32))
    np.testing.assert_array_equal(concrete(tf.constant([3.0, 4.0])).numpy(), [6.0, 8.0])
    assert len(traces) == 1 and double.experimental_get_tracing_count() == 1
    double.get_concrete_function(tf.TensorSpec([None], tf.float32))  # a new signature
    assert len(traces) == 2


def test_a_trace_that_read_a_value_is_not_reused_for_specs():
    @tf.function
    def positive_part(x):
        if x > 0:  # a Python read: the trace from a value is specialised to it
            return x
        return tf.zeros_like(x)

    positive_part(tf.constant(1.0))
    # TF's concrete function for the spec holds both branches; so does this one (a path
    # per outcome), not the path traced for the value 1.0 alone
    concrete = positive_part.get_concrete_function(tf.TensorSpec([], tf.float32))
    assert concrete(tf.constant(-2.0)).numpy() == 0.0
    assert concrete(tf.constant(2.0)).numpy() == 2.0


class _Linear:
    def __init__(self, weight, bias):
        self.weight, self.bias = weight, bias


def test_a_concrete_function_is_called_with_its_tensor_arguments_alone():
    def evaluate(model, x):
        return model.weight * x + model.bias

    x, model = tf.constant(10.0), _Linear(2.0, 5.0)
    concrete = tf.function(evaluate).get_concrete_function(model, x)
    assert float(concrete(x)) == 25.0  # the model is the one it was traced with
    assert float(concrete(model, tf.constant(1.0))) == 7.0  # or given in full
    with pytest.raises(TypeError):
        concrete(_Linear(2.0, 5.0), x)  # another object than the one traced with


def test_a_concrete_function_refuses_a_missing_tensor_or_another_python_value():
    @tf.function
    def power(a, b):
        return a ** b

    square = power.get_concrete_function(a=tf.constant(3.0), b=2)
    assert float(square(tf.constant(10.0))) == 100.0
    with pytest.raises(TypeError):
        square()
    with pytest.raises(TypeError, match="traced with 2"):
        square(tf.constant(10.0), b=3)


def test_a_variable_made_on_every_trace_is_tensorflows_value_error_naming_the_line():
    @tf.function
    def make(x):
        v = tf.Variable(1.0)  # the line the error shows
        return v * x

    with pytest.raises(ValueError) as info:
        make(tf.constant(2.0))
    assert type(info.value).__name__ == "ValueError"
    message = str(info.value)
    assert message.startswith("in user code:\n\n    File ")
    assert ", in make  *\n        v = tf.Variable(1.0)  # the line the error shows\n" in message
    assert "ValueError: tf.function only supports singleton tf.Variables created on the " \
           "first call." in message


def test_signatures_list_star_args_one_by_one_as_tensorflow_does():
    @tf.function
    def f(a, *args, **kwargs):
        return a

    f(tf.constant(1.0), tf.constant(2.0), 3, y=tf.constant(2.0))
    spec = "TensorSpec(shape=(), dtype=tf.float32, name=None)"
    assert f.pretty_printed_concrete_signatures().splitlines()[:5] == [
        "Input Parameters:",
        f"  a (POSITIONAL_ONLY): {spec}",
        f"  args_0 (POSITIONAL_ONLY): {spec}",
        "  args_1 (POSITIONAL_ONLY): Literal[3]",
        f"  y (KEYWORD_ONLY): {spec}"]


def test_a_keras_layer_under_tf_function_takes_its_inputs_as_args_0():
    model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
    concrete = tf.function(model).get_concrete_function(tf.ones((4, 3)))
    assert str(concrete).splitlines()[1] == (
        "  args_0 (POSITIONAL_ONLY): TensorSpec(shape=(4, 3), dtype=tf.float32, name=None)")
    dense = tf.keras.layers.Dense(2)
    assert dense(inputs=tf.ones((1, 3))).shape == (1, 2)  # inputs= still works
    with pytest.raises(TypeError, match="without inputs"):
        dense()


def test_structured_outputs_are_the_graphs_named_outputs():
    @tf.function
    def f(a):
        return a + a, {"x": a * 2, "n": 3}

    outputs = f.get_concrete_function(tf.constant([1.0, 2.0])).structured_outputs
    assert repr(outputs[0]) == "<tf.Tensor 'Identity:0' shape=(2,) dtype=float32>"
    assert str(outputs[1]["n"]) == 'Tensor("Identity_1:0", shape=(), dtype=int32)'
    assert str(outputs[1]["x"]) == 'Tensor("Identity_2:0", shape=(2,), dtype=float32)'
