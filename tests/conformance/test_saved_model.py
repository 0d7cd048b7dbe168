"""tf.saved_model.save / load: a module's variables and traced tf.functions written to a
directory and loaded back without the Python class; bad directories and unsaveable traces
give errors naming the path or the function."""

import io
import json
import os
import subprocess
import sys

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
    outside = tf.Variable(2.0)

    class Captures(tf.Module):
        @tf.function
        def f(self, x):
            return x * outside

    captures = Captures()
    captures.f(tf.constant(1.0))
    with pytest.raises(SavedModelError, match="not reachable from the saved object"):
        tf.saved_model.save(captures, str(tmp_path / "c"))

    with pytest.raises(SavedModelError, match="obj is a .*Variable"):
        tf.saved_model.save(tf.Variable(1.0), str(tmp_path / "v"))
    with pytest.raises(SavedModelError, match="signatures="):
        tf.saved_model.save(Scale(1), str(tmp_path / "s"), signatures={})


class Rows(tf.Module):
    """A module whose function is traced once for any number of rows (None sizes)."""

    def __init__(self):
        self.w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
        self.calls = tf.Variable(0, trainable=False, name="calls")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        self.calls.assign_add(1)
        y = tf.reshape(tf.matmul(x, self.w), [-1])  # 2 * rows values
        tail = tf.reshape(x[1:], [-1])  # valid for rows >= 1: a shape guard
        return tf.concat([y, tail], axis=0), tf.shape(x), tf.reduce_mean(x, axis=0)


def test_a_trace_with_none_sizes_is_saved_and_loaded_for_every_size(tmp_path):
    module = Rows()
    module(tf.ones([4, 3]))
    tf.saved_model.save(module, str(tmp_path / "rows"))
    trace = json.loads((tmp_path / "rows" / "saved_model.json").read_text())[
        "functions"][0]["traces"][0]
    assert trace["leaves"] == [["x", {"tensor": [[None, 3], "float32"]}]]
    assert trace["symbols"] == ["x.0"]
    loaded = tf.saved_model.load(str(tmp_path / "rows"))
    for rows in (4, 1, 7):
        x = tf.constant(np.arange(rows * 3, dtype=np.float32).reshape(rows, 3))
        want = module(x)
        got = loaded(x)
        assert got[0].shape == (2 * rows + 3 * (rows - 1),)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(loaded.calls.numpy()) == 1 + 3  # saved after one call; then its own calls
    # sizes the trace's shape guards exclude fit no saved trace: named, nothing assigned
    with pytest.raises(ValueError, match=r"(?s)shape=\(0, 3\).*shape=\(None, 3\).*option 1 "
                                         r"holds only where the sizes \(x.0 >= 1\)"):
        loaded(tf.zeros([0, 3]))
    assert int(loaded.calls.numpy()) == 4


def test_a_concrete_function_from_a_spec_with_none_sizes_is_saved(tmp_path):
    module = Scale(3.0)
    module.multiply.get_concrete_function(tf.TensorSpec([None, None], tf.float32))
    tf.saved_model.save(module, str(tmp_path / "spec"))
    loaded = tf.saved_model.load(str(tmp_path / "spec"))
    assert loaded.multiply(tf.ones([2, 5])).numpy().tolist() == [[3.0] * 5] * 2
    assert loaded.multiply(tf.ones([1, 1])).numpy().tolist() == [[3.0]]


def test_a_corrupt_size_expression_is_a_saved_model_error(tmp_path):
    module = Rows()
    module(tf.ones([2, 3]))
    for name, corrupt in [("div", lambda t: t["shape_guards"].__setitem__(0, ["x.0 // 0", "<",
                                                                               False])),
                          ("code", lambda t: t["graph"]["inputs"][0].__setitem__(
                              "type", "f32[__import__('os'),3]")),
                          ("symbols", lambda t: t.__setitem__("symbols", ["x.0", "x.0"]))]:
        tf.saved_model.save(module, str(tmp_path / name))
        path = tmp_path / name / "saved_model.json"
        manifest = json.loads(path.read_text())
        corrupt(manifest["functions"][0]["traces"][0])
        path.write_text(json.dumps(manifest))
        with pytest.raises(SavedModelError, match=f"{name}.*corrupt"):
            tf.saved_model.load(str(tmp_path / name))


class Branchy(tf.Module):
    def __init__(self):
        self.v = tf.Variable(3.0, name="v")
        self.calls = tf.Variable(0, trainable=False, name="calls")

    @tf.function
    def f(self, x):
        self.calls.assign_add(1)
        if tf.reduce_sum(x) > 0:  # a Python branch on a value: a guarded path
            return x * self.v
        return -x


def test_paths_traced_from_specs_hold_every_branch_of_an_if_once_loaded(tmp_path):
    module = Branchy()
    module.f.get_concrete_function(tf.TensorSpec([2], tf.float32))  # both branches
    tf.saved_model.save(module, str(tmp_path / "b"))
    trace = json.loads((tmp_path / "b" / "saved_model.json").read_text())[
        "functions"][0]["traces"][0]
    assert [(g["kind"], g["expected"]) for g in trace["guards"]] == [("bool", True)]
    loaded = tf.saved_model.load(str(tmp_path / "b"))
    assert loaded.f(tf.constant([1.0, 2.0])).numpy().tolist() == [3.0, 6.0]
    assert loaded.f(tf.constant([-1.0, -2.0])).numpy().tolist() == [1.0, 2.0]
    assert int(loaded.calls.numpy()) == 2


def test_a_path_traced_on_values_serves_its_outcome_and_names_the_read_otherwise(tmp_path):
    module = Branchy()
    module.f(tf.constant([1.0, 1.0]))  # only the positive path is traced
    tf.saved_model.save(module, str(tmp_path / "one"))
    loaded = tf.saved_model.load(str(tmp_path / "one"))
    assert loaded.f(tf.constant([2.0, 0.0])).numpy().tolist() == [6.0, 0.0]
    with pytest.raises(ValueError, match=r"option 1 holds only where bool\(\) of a traced "
                                         r"value at test_saved_model.py:\d+ as when"):
        loaded.f(tf.constant([-2.0, 0.0]))
    assert int(loaded.calls.numpy()) == 1 + 1  # the refused call assigned nothing


class Logger(tf.Module):
    """A module whose step prints: to stderr (tf.print's default) with literals, a nested
    argument and options, and to stdout."""

    def __init__(self):
        self.total = tf.Variable(0.0, name="total")

    @tf.function
    def step(self, x):
        self.total.assign_add(tf.reduce_sum(x))
        tf.print("step", x, ["total", self.total], float("nan"), None, sep="|", end="!\n")
        tf.print("mean:", tf.reduce_mean(x), output_stream=sys.stdout)
        return self.total.read_value()


def test_tf_print_is_saved_and_prints_on_every_call_of_the_loaded_function(tmp_path, capsys):
    module = Logger()
    module.step(tf.constant([1.0, 2.0]))
    traced = capsys.readouterr()
    assert traced.err == "step|[1 2]|['total', 3]|nan|None!\n"
    assert traced.out == "mean: 1.5\n"
    tf.saved_model.save(module, str(tmp_path / "logger"))
    entry = json.loads((tmp_path / "logger" / "saved_model.json").read_text())
    assert entry["version"] == 2
    assert [p["stream"] for p in entry["functions"][0]["traces"][0]["prints"]] == [
        "stderr", "stdout"]

    loaded = tf.saved_model.load(str(tmp_path / "logger"))
    assert float(loaded.step(tf.constant([4.0, 6.0])).numpy()) == 13.0
    printed = capsys.readouterr()
    assert printed.err == "step|[4 6]|['total', 13]|nan|None!\n"
    assert printed.out == "mean: 5\n"

    # A new process reads the streams by name: stdout and stderr are its own.
    script = ("import tapeflow as tf; m = tf.saved_model.load(%r); "
              "m.step(tf.constant([1.0, 1.0]))" % str(tmp_path / "logger"))
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           timeout=120, env={**os.environ, "TAPEFLOW_BACKEND": "interpreter"})
    assert child.returncode == 0, child.stderr
    assert child.stdout == "mean: 1\n"
    assert child.stderr.endswith("step|[1 1]|['total', 5]|nan|None!\n")


def test_a_print_to_a_file_is_saved_by_its_path(tmp_path):
    log = tmp_path / "log.txt"

    class FileLogger(tf.Module):
        @tf.function
        def f(self, x):
            tf.print("x =", x, output_stream=f"file://{log}")
            return x + 1

    module = FileLogger()
    module.f(tf.constant(1))
    tf.saved_model.save(module, str(tmp_path / "saved"))
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    loaded.f(tf.constant(2))
    assert log.read_text() == "x = 1\nx = 2\n"


def test_a_print_to_a_python_stream_object_is_refused_before_writing(tmp_path):
    sink = io.StringIO()

    class StreamLogger(tf.Module):
        @tf.function
        def f(self, x):
            tf.print(x, output_stream=sink)
            return x

    module = StreamLogger()
    module.f(tf.constant(1.0))
    with pytest.raises(SavedModelError, match=r"StreamLogger|f: a traced path prints to "
                                              r"<_io.StringIO.*sys.stdout, sys.stderr"):
        tf.saved_model.save(module, str(tmp_path / "s"))
    assert not (tmp_path / "s").exists()


def test_version_1_directories_load_and_bad_print_entries_are_named(tmp_path):
    module = Scale(2)
    module.multiply(tf.constant(1))
    old = tmp_path / "old"
    tf.saved_model.save(module, str(old))
    manifest = json.loads((old / "saved_model.json").read_text())
    manifest["version"] = 1  # written before traces kept their prints
    for trace in manifest["functions"][0]["traces"]:
        del trace["prints"]
    (old / "saved_model.json").write_text(json.dumps(manifest))
    assert int(tf.saved_model.load(str(old)).multiply(tf.constant(3)).numpy()) == 6

    manifest["version"] = 3
    (old / "saved_model.json").write_text(json.dumps(manifest))
    with pytest.raises(SavedModelError, match="version 3; this tapeflow reads 1 and 2"):
        tf.saved_model.load(str(old))

    logger = Logger()
    logger.step(tf.constant([1.0]))
    bad = tmp_path / "bad_print"
    tf.saved_model.save(logger, str(bad))
    manifest = json.loads((bad / "saved_model.json").read_text())
    manifest["functions"][0]["traces"][0]["prints"][0]["leaves"][1] = {"output": 999}
    (bad / "saved_model.json").write_text(json.dumps(manifest))
    with pytest.raises(SavedModelError, match="bad_print.*corrupt.*graph output 999"):
        tf.saved_model.load(str(bad))
