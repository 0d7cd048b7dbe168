"""tf.saved_model.save / load: a module's variables and traced tf.functions written to a
directory and loaded back without the Python class; bad directories and unsaveable traces
give errors naming the path or the function."""

import json
import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.saved_model import SavedModelError


class Scale(tf.Module):
    # No super().__init__(): TensorFlow's guides write modules like this too.
    def __init__(self, value):
        self.weight = tf.Variable(value)

    @tf.function
    def multiply(self, x):
        return x * self.weight


class Affine(tf.Module):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        rng = np.random.default_rng(n_in * 10 + n_out)
        self.w = tf.Variable(rng.standard_normal((n_in, n_out)).astype(np.float32), name="w")
        self.b = tf.Variable(np.arange(n_out, dtype=np.float32), name="b", trainable=True)

    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w) + self.b)


class Stack(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.first = Affine(3, 4)
        self.second = Affine(4, 2)
        self.steps = tf.Variable(0, trainable=False, name="steps")

    @tf.function
    def __call__(self, x):
        return self.second(self.first(x))

    @tf.function
    def count(self, by):
        self.steps.assign_add(by)
        return self.steps.read_value(), {"twice": 2 * by}


def test_a_method_comes_back_callable_with_the_saved_value(tmp_path):
    module = Scale(3)
    assert module.multiply(tf.constant([1, 2, 3])).numpy().tolist() == [3, 6, 9]
    tf.saved_model.save(module, str(tmp_path / "saved"))
    module.weight.assign(100)  # after the save: not in the directory
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    got = loaded.multiply(tf.constant([1, 2, 3]))
    assert got.dtype == tf.int32 and got.numpy().tolist() == [3, 6, 9]
    assert [v.numpy() for v in loaded.variables] == [3]


def test_nested_modules_their_variables_and_gradients(tmp_path):
    model = Stack(name="the_model")
    x = tf.constant(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
    want = model(x).numpy()
    tf.saved_model.save(model, str(tmp_path / "m"))
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    assert not isinstance(loaded, Stack)
    np.testing.assert_array_equal(loaded(x).numpy(), want)
    assert loaded.name == "the_model"
    np.testing.assert_array_equal(loaded.first.w.numpy(), model.first.w.numpy())
    assert loaded.steps.trainable is False and loaded.first.b.trainable is True
    assert loaded.first.w.name == "w:0"
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(model(x) ** 2)
    want_grads = tape.gradient(y, [model.first.w, model.second.b])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(loaded(x) ** 2)
    grads = tape.gradient(y, [loaded.first.w, loaded.second.b])
    for g, w in zip(grads, want_grads):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6)


def test_assignments_update_the_loaded_variables_and_nested_results_keep_their_shape(tmp_path):
    model = Stack()
    model.count(tf.constant(1))
    tf.saved_model.save(model, str(tmp_path / "m"))
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    assert int(loaded.steps.numpy()) == 1
    steps, extra = loaded.count(tf.constant(5))
    assert int(steps.numpy()) == 6 and int(loaded.steps.numpy()) == 6
    assert list(extra) == ["twice"] and int(extra["twice"].numpy()) == 10


def test_each_traced_signature_is_kept_and_a_call_fitting_none_names_them(tmp_path):
    module = Scale(2.0)
    module.multiply(tf.constant([1.0, 2.0]))
    module.multiply(tf.constant([[1.0], [2.0], [3.0]]))
    tf.saved_model.save(module, str(tmp_path / "s"))
    loaded = tf.saved_model.load(str(tmp_path / "s"))
    assert loaded.multiply(tf.constant([5.0, 6.0])).numpy().tolist() == [10.0, 12.0]
    assert loaded.multiply(np.ones((3, 1), np.float32)).shape == (3, 1)
    assert loaded.multiply([3.0, 4.0]).numpy().tolist() == [6.0, 8.0]  # converted, as TF
    with pytest.raises(ValueError, match=r"(?s)multiply got x=TensorSpec\(shape=\(4,\).*"
                                         r"Option 1: x=TensorSpec\(shape=\(2,\)"):
        loaded.multiply(tf.constant([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(TypeError, match="multiply"):
        loaded.multiply(1.0, 2.0)


def test_python_arguments_are_part_of_the_saved_signature(tmp_path):
    class Power(tf.Module):
        @tf.function
        def pow(self, a, b):
            return a ** b

    module = Power()
    module.pow(tf.constant(3.0), 2)
    tf.saved_model.save(module, str(tmp_path / "p"))
    loaded = tf.saved_model.load(str(tmp_path / "p"))
    assert float(loaded.pow(tf.constant(4.0), 2).numpy()) == 16.0
    with pytest.raises(ValueError, match="Option 1: a=TensorSpec.*, b=2"):
        loaded.pow(tf.constant(4.0), 3)


def test_saving_again_replaces_the_directory_contents(tmp_path):
    module = Scale(2)
    module.multiply(tf.constant(1))
    tf.saved_model.save(module, str(tmp_path / "s"))
    module.weight.assign(7)
    tf.saved_model.save(module, str(tmp_path / "s"))
    assert int(tf.saved_model.load(str(tmp_path / "s")).multiply(tf.constant(1)).numpy()) == 7


def test_missing_and_corrupt_directories_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        tf.saved_model.load(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty.*saved_model.json"):
        tf.saved_model.load(str(tmp_path / "empty"))
    module = Scale(2)
    module.multiply(tf.constant(1))
    good = tmp_path / "good"
    tf.saved_model.save(module, str(good))

    broken = tmp_path / "broken_json"
    tf.saved_model.save(module, str(broken))
    (broken / "saved_model.json").write_text("{not json")
    with pytest.raises(SavedModelError, match="broken_json.*corrupt"):
        tf.saved_model.load(str(broken))

    unknown_op = tmp_path / "unknown_op"
    tf.saved_model.save(module, str(unknown_op))
    manifest = json.loads((unknown_op / "saved_model.json").read_text())
    manifest["functions"][0]["traces"][0]["graph"]["eqns"][0]["prim"] = "__import__('os')"
    (unknown_op / "saved_model.json").write_text(json.dumps(manifest))
    with pytest.raises(SavedModelError, match="unknown_op"):
        tf.saved_model.load(str(unknown_op))

    no_vars = tmp_path / "no_vars"
    tf.saved_model.save(module, str(no_vars))
    os.unlink(no_vars / "variables" / "variables.npz")
    with pytest.raises(SavedModelError, match="no_vars"):
        tf.saved_model.load(str(no_vars))

    bad_vars = tmp_path / "bad_vars"
    tf.saved_model.save(module, str(bad_vars))
    (bad_vars / "variables" / "variables.npz").write_bytes(b"garbage")
    with pytest.raises(SavedModelError, match="bad_vars.*variables"):
        tf.saved_model.load(str(bad_vars))
    assert int(tf.saved_model.load(str(good)).multiply(tf.constant(1)).numpy()) == 2


def test_what_cannot_be_saved_is_refused_before_writing(tmp_path):
    class Branchy(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function
        def f(self, x):
            if tf.reduce_sum(x) > 0:  # a Python branch on a value: a guarded path
                return x * self.v
            return -x

    module = Branchy()
    module.f(tf.constant([1.0]))
    with pytest.raises(SavedModelError, match=r"saved_model.save: f: .*reads tensor values"):
        tf.saved_model.save(module, str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()

    outside = tf.Variable(2.0)

    class Captures(tf.Module):
        @tf.function
        def f(self, x):
            return x * outside

    captures = Captures()
    captures.f(tf.constant(1.0))
    with pytest.raises(SavedModelError, match="not reachable from the saved object"):
        tf.saved_model.save(captures, str(tmp_path / "c"))

    class Unknown(tf.Module):
        def __init__(self):
            self.f = tf.function(lambda x: x + 1.0,
                                 input_signature=[tf.TensorSpec([None], tf.float32)])

    unknown = Unknown()
    unknown.f(tf.constant([1.0]))
    with pytest.raises(SavedModelError, match="unknown sizes"):
        tf.saved_model.save(unknown, str(tmp_path / "u"))

    with pytest.raises(SavedModelError, match="obj is a .*Variable"):
        tf.saved_model.save(tf.Variable(1.0), str(tmp_path / "v"))
    with pytest.raises(SavedModelError, match="signatures="):
        tf.saved_model.save(Scale(1), str(tmp_path / "s"), signatures={})
