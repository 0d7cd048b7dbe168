"""When `@tf.function` traces again, and what it says when it does (TF's retracing rules)."""

import re
import warnings

import numpy as np
import pytest

import tapeflow as tf


@pytest.fixture
def quiet_retraces():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tf.RetraceWarning)
        yield


def counting(fn=None):
    """A tf.function whose Python body counts its own runs."""
    runs = []

    def body(*args, **kwargs):
        runs.append(1)
        return fn(*args, **kwargs)

    return tf.function(body), runs


def test_one_trace_per_new_shape_and_dtype(quiet_retraces):
    f, runs = counting(lambda x: x * 2)
    calls = [
        (np.ones(3, np.float32), 1),
        (np.ones(3, np.float32) * 5, 1),
        (np.ones(4, np.float32), 2),
        (np.ones((2, 2), np.float32), 3),
        (np.ones(3, np.float64), 4),
        (np.ones(4, np.float32), 4),
        (np.ones(3, np.float64), 4),
        (np.ones(3, np.int32), 5),
    ]
    for value, expected_count in calls:
        out = f(tf.constant(value))
        np.testing.assert_array_equal(out.numpy(), value * 2)
        assert out.dtype == tf.as_dtype(value.dtype)
        assert f.experimental_get_tracing_count() == expected_count
    assert len(runs) == 5


def test_one_trace_per_new_python_number(quiet_retraces):
    f, runs = counting(lambda x, k: x * k)
    x = tf.constant([1.0, 2.0])
    for k, expected_count in [(2.0, 1), (2.0, 1), (3.0, 2), (2.0, 2), (4.0, 3), (3.0, 3)]:
        np.testing.assert_array_equal(f(x, k).numpy(), [k, 2 * k])
        assert f.experimental_get_tracing_count() == expected_count
    assert len(runs) == 3


def test_python_int_and_bool_are_static_values(quiet_retraces):
    f, _ = counting(lambda x, n, flag: x * n if flag else x)
    x = tf.constant(3.0)
    assert float(f(x, 2, True)) == 6.0
    assert float(f(x, 2, False)) == 3.0
    assert float(f(x, 5, True)) == 15.0
    assert f.experimental_get_tracing_count() == 3


def test_new_numpy_array_of_same_shape_and_dtype_does_not_trace():
    f, runs = counting(lambda x: tf.reduce_sum(x * x))
    r = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        for _ in range(4):
            arr = r.normal(size=(5,)).astype(np.float32)
            np.testing.assert_allclose(f(arr).numpy(), np.sum(arr * arr), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1
    assert len(runs) == 1


def test_new_constant_of_same_shape_and_dtype_does_not_trace():
    f, runs = counting(lambda x: tf.reduce_sum(x * x))
    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        for k in range(4):
            x = tf.constant([1.0 + k, 2.0, 3.0])
            assert float(f(x)) == (1.0 + k) ** 2 + 13.0
    assert f.experimental_get_tracing_count() == 1
    assert len(runs) == 1


def test_numpy_array_and_tensor_share_a_trace():
    f, _ = counting(lambda x: x + 1.0)
    f(np.zeros(3, np.float32))
    f(tf.constant([1.0, 2.0, 3.0]))
    assert f.experimental_get_tracing_count() == 1


def test_retrace_warning_names_argument_and_old_and_new_type():
    @tf.function
    def scaled(x, factor):
        return x * factor

    factor = tf.constant(2.0)
    scaled(tf.constant([1.0, 2.0, 3.0]), factor)
    with pytest.warns(tf.RetraceWarning) as record:
        scaled(tf.constant([1.0, 2.0, 3.0, 4.0]), factor)
    (warning,) = record
    message = str(warning.message)
    assert "scaled" in message
    assert "x: f32[3] -> f32[4]" in message
    assert "factor" not in message  # only the argument that changed
    assert warning.filename == __file__  # points at the call that retraced


def test_retrace_warning_for_dtype_and_nested_argument():
    @tf.function
    def f(inputs):
        return inputs["a"] + 1

    f({"a": tf.constant([1.0, 2.0])})
    with pytest.warns(tf.RetraceWarning, match=re.escape("inputs['a']: f32[2] -> f64[2]")):
        f({"a": tf.constant(np.array([1.0, 2.0]))})


def test_retrace_warning_names_a_changed_python_number():
    @tf.function
    def f(x, lr):
        return x * lr

    f(tf.constant(1.0), 0.1)
    with pytest.warns(tf.RetraceWarning, match=re.escape("lr: 0.1 (float) -> 0.2 (float)")):
        f(tf.constant(1.0), 0.2)


def test_changing_python_number_suggests_a_tensor_or_variable():
    @tf.function
    def step(x, lr):
        return x * lr

    x = tf.constant(1.0)
    with pytest.warns(tf.RetraceWarning) as record:
        for i in range(1, 8):
            step(x, 0.1 * i)
    messages = [str(w.message) for w in record]
    assert len(messages) == 6  # one per retrace
    assert all("lr:" in m for m in messages)
    suggestions = [m for m in messages if "tf.constant" in m and "tf.Variable" in m]
    assert suggestions, messages
    assert step.experimental_get_tracing_count() == 7


def test_integer_inputs_are_graph_inputs_without_warnings():
    @tf.function
    def f(n, x):
        return x * tf.cast(n, tf.float32) + tf.cast(n * n, tf.float32)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "only float tensors have gradients" warning
        for k in (2, 3, -1):
            n = tf.constant(np.array([k, k + 1], np.int32))
            np.testing.assert_array_equal(f(n, tf.constant(1.0)).numpy(),
                                          [k + k * k, (k + 1) + (k + 1) ** 2])
    assert f.experimental_get_tracing_count() == 1


def test_retrace_warning_of_a_method_points_at_the_callers_line():
    m = Regressor()
    m(np.zeros((1, 2), np.float32))
    with pytest.warns(tf.RetraceWarning) as record:
        m(np.zeros((5, 2), np.float32))
    assert record[0].filename == __file__
    assert "x: f32[1,2] -> f32[5,2]" in str(record[0].message)


def test_first_trace_does_not_warn():
    @tf.function
    def f(x):
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        f(tf.constant(1.0))
        f(tf.constant(2.0))


def test_experimental_get_tracing_count_starts_at_zero(quiet_retraces):
    @tf.function
    def f(x):
        return x * x

    assert f.experimental_get_tracing_count() == 0
    f(tf.constant(1.0))
    assert f.experimental_get_tracing_count() == 1
    f.get_concrete_function(tf.constant(1.0))  # already traced
    assert f.experimental_get_tracing_count() == 1
    f.get_concrete_function(tf.constant([1.0]))
    assert f.experimental_get_tracing_count() == 2
    f(tf.constant([5.0]))  # reuses the concrete function
    assert f.experimental_get_tracing_count() == 2


def test_get_concrete_function_does_not_run_variable_updates():
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        v.assign_add(x)
        return v * 1.0

    f.get_concrete_function(tf.constant(5.0))
    assert float(v) == 1.0
    assert float(f(tf.constant(5.0))) == 6.0
    assert float(v) == 6.0
    assert f.experimental_get_tracing_count() == 1


# ------------------------------------------------------------------ input_signature


def test_input_signature_with_none_dimension_traces_once(quiet_retraces):
    seen_shapes = []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        seen_shapes.append(x.shape[0])
        return tf.reduce_sum(x * x)

    for n in (3, 4, 5):
        arr = np.arange(n, dtype=np.float32)
        np.testing.assert_allclose(f(tf.constant(arr)).numpy(), np.sum(arr * arr))
    assert f.experimental_get_tracing_count() == 1
    assert seen_shapes == [None]  # Python ran once, on an unknown length


def test_input_signature_converts_python_numbers():
    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def f(x):
        return x * 2.0

    with warnings.catch_warnings():
        warnings.simplefilter("error", tf.RetraceWarning)
        assert float(f(1.0)) == 2.0
        assert float(f(2.5)) == 5.0
        assert float(f(tf.constant(3.0))) == 6.0
    assert f.experimental_get_tracing_count() == 1


# ------------------------------------------------------------------ methods on Modules


class Regressor(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(np.zeros((2, 1), np.float32), name="w")
        self.b = tf.Variable(np.zeros((1,), np.float32), name="b")
        self.steps = tf.Variable(0, dtype=tf.int32, trainable=False, name="steps")

    @tf.function
    def __call__(self, x):
        return x @ self.w + self.b

    @tf.function
    def train_step(self, x, y, lr):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((self(x) - y) ** 2)
        grads = tape.gradient(loss, [self.w, self.b])
        for v, g in zip([self.w, self.b], grads):
            v.assign_sub(lr * g)
        self.steps.assign_add(1)
        return loss


def test_module_methods_trace_once_and_keep_variables_updated(quiet_retraces):
    m = Regressor()
    traces_before = Regressor.train_step.experimental_get_tracing_count()  # shared by instances
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], np.float32)
    y = x @ np.array([[1.5], [-2.0]], np.float32) + 0.5
    lr = tf.constant(0.05)
    losses = [float(m.train_step(x, y, lr)) for _ in range(30)]
    assert losses[-1] < losses[0] / 4
    assert int(m.steps) == 30
    assert m.train_step.experimental_get_tracing_count() == traces_before + 1

    # the same steps in numpy
    w, b = np.zeros((2, 1), np.float32), np.zeros((1,), np.float32)
    for _ in range(30):
        err = x @ w + b - y
        w = w - 0.05 * 2 * x.T @ err / err.size
        b = b - 0.05 * 2 * err.sum(axis=0) / err.size
    np.testing.assert_allclose(m.w.numpy(), w, rtol=1e-5)
    np.testing.assert_allclose(m.b.numpy(), b, rtol=1e-5)
    np.testing.assert_allclose(m(x).numpy(), x @ w + b, rtol=1e-5)
    assert {v.name for v in m.trainable_variables} == {"w:0", "b:0"}


def test_methods_of_two_instances_do_not_share_state(quiet_retraces):
    m1, m2 = Regressor(), Regressor()
    x = np.ones((1, 2), np.float32)
    y = np.ones((1, 1), np.float32)
    m1.train_step(x, y, tf.constant(0.1))
    assert int(m1.steps) == 1 and int(m2.steps) == 0
    np.testing.assert_array_equal(m2.w.numpy(), np.zeros((2, 1)))
    m2.train_step(x, y, tf.constant(0.1))
    m2.train_step(x, y, tf.constant(0.1))
    assert int(m1.steps) == 1 and int(m2.steps) == 2
    np.testing.assert_array_equal(m1(x).numpy(), np.array([[0.6]], np.float32))


# ------------------------------------------------------------------ the graph, printed


def test_concrete_graph_shows_forward_and_adjoint_with_source_lines():
    w = tf.Variable(np.ones((3, 2), np.float32), name="w")
    b = tf.Variable(np.zeros((2,), np.float32), name="b")

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            y = x @ w + b  # FORWARD-LINE
            loss = tf.reduce_mean(y**2)
        dw, db = tape.gradient(loss, [w, b])  # ADJOINT-LINE
        w.assign_sub(0.1 * dw)
        b.assign_sub(0.1 * db)
        return loss

    lines = {tag: i for i, text in enumerate(open(__file__), start=1)
             for tag in ("FORWARD-LINE", "ADJOINT-LINE") if f"# {tag}" in text}
    x = tf.constant([[1.0, 2.0, 3.0]])
    text = str(step.get_concrete_function(x).graph)
    assert text.count("matmul(") >= 2, text  # x @ w forward, x^T @ dy in the adjoint
    assert f"test_tracing_count.py:{lines['FORWARD-LINE']}" in text
    assert f"test_tracing_count.py:{lines['ADJOINT-LINE']}" in text
    forward = [ln for ln in text.splitlines() if ln.endswith(f":{lines['FORWARD-LINE']}")]
    adjoint = [ln for ln in text.splitlines()
               if f":{lines['ADJOINT-LINE']} (adjoint of" in ln]
    assert any("matmul(" in ln for ln in forward), text
    assert any("matmul(" in ln for ln in adjoint), text
    # An adjoint line names the forward equation it differentiates, and so the user's line.
    assert any(ln.endswith(f"(adjoint of matmul at test_tracing_count.py:"
                           f"{lines['FORWARD-LINE']})") for ln in adjoint), text
    assert "'w:0'" in text and "'b:0'" in text and "'x'" in text
    assert text.rstrip().splitlines()[-1].lstrip().startswith("return (")
    # loss, and the two updated variables, are outputs
    assert text.rstrip().splitlines()[-1].count(",") >= 2
    assert text.rstrip().endswith("'loss', r 'new w:0', t 'new b:0')"), text


# ------------------------------------------------------------------ objects as arguments


class Config:
    def __init__(self, scale):
        self.scale = scale


class SlottedConfig:
    __slots__ = ("scale",)  # takes no weak references

    def __init__(self, scale):
        self.scale = scale


@pytest.mark.parametrize("cls", [Config, SlottedConfig])
def test_objects_are_keyed_by_identity_even_after_they_die(cls, quiet_retraces):
    """CPython reuses the id() of dead objects: a new object must never hit a dead one's
    trace (which baked in its attributes)."""
    @tf.function(max_specializations=1)
    def f(x, config):
        return x * config.scale

    for k in range(60):
        config = cls(float(k))
        assert float(f(tf.constant(1.0), config)) == float(k)
        assert float(f(tf.constant(2.0), config)) == 2.0 * k  # same object: cached
        del config
    assert f.experimental_get_tracing_count() == 60


def test_module_instances_never_share_traces_after_one_dies(quiet_retraces):
    for k in range(30):
        m = Regressor()
        m.b.assign([float(k)])
        np.testing.assert_array_equal(m(np.zeros((1, 2), np.float32)).numpy(), [[float(k)]])
        del m
