"""`import tapeflow` leaves out what only some programs need: ml_dtypes (bfloat16) and
scipy.special (erf) are imported on first use, and bfloat16 works the same once they are; the
namespaces a tape step rarely needs (tf.keras, tf.data, tf.saved_model, tf.summary, tf.strings,
...), the classes and functions of their modules (tf.RaggedTensor, tf.py_function, ...) and
numpy.random load on first access."""

import subprocess
import sys

import numpy as np
import pytest

import tapeflow as tf


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_tapeflow_does_not_import_ml_dtypes_or_scipy_special():
    loaded = _modules_after("import tapeflow as tf; repr(tf.bfloat16); tf.bfloat16.is_floating")
    assert "ml_dtypes" not in loaded
    assert "scipy.special" not in loaded


def test_erf_imports_scipy_special_when_first_used():
    loaded = _modules_after("import tapeflow as tf; print(tf.math.erf(tf.constant(0.5)))")
    assert "scipy.special" in loaded


def test_bfloat16_by_every_spelling_after_a_lazy_import():
    pytest.importorskip("ml_dtypes")
    code = """
import tapeflow as tf
for spelling in (tf.bfloat16, "bfloat16"):
    b = tf.constant([1.5, 2.5], dtype=spelling)
    assert b.dtype == tf.bfloat16 and b.dtype is tf.as_dtype("bfloat16"), b.dtype
    assert b.dtype.is_floating and tf.bfloat16.max > 3e38
print(repr(tf.cast(tf.constant([1.0, 2.0]), tf.bfloat16)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("dtype=bfloat16, numpy=array([1, 2], dtype=bfloat16)>")


def test_bfloat16_in_the_graph_text_round_trips():
    pytest.importorskip("ml_dtypes")
    from tapeflow.graph.printer import _aval
    from tapeflow.ops.core import bfloat16_dtype, short_dtype

    aval = _aval("bf16", "2,3", 1)
    assert aval.dtype == bfloat16_dtype() and short_dtype(aval.dtype) == "bf16"
    assert str(aval) == "bf16[2,3]"


def test_a_numpy_bfloat16_array_is_accepted():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = tf.constant(np.array([1.0, 3.0], dtype=ml_dtypes.bfloat16))
    assert x.dtype == tf.bfloat16 and float(tf.reduce_sum(x).numpy()) == 4.0


LAZY_NAMESPACES = {"keras": "tapeflow.keras", "data": "tapeflow.data",
                   "train": "tapeflow.api.train", "image": "tapeflow.api.image",
                   "profiler": "tapeflow.api.profiler", "autograph": "tapeflow.api.autograph",
                   "config": "tapeflow.api.config", "debugging": "tapeflow.api.debugging",
                   "io": "tapeflow.api.io", "ragged": "tapeflow.api.ragged",
                   "random": "tapeflow.api.random", "saved_model": "tapeflow.saved_model",
                   "sparse": "tapeflow.api.sparse", "strings": "tapeflow.api.strings",
                   "summary": "tapeflow.summary", "types": "tapeflow.api.types"}
LAZY_NAMES = {"RaggedTensor": "tapeflow.api.ragged", "SparseTensor": "tapeflow.api.sparse",
              "TensorArray": "tapeflow.api.tensor_array", "py_function": "tapeflow.api.pyfunc",
              "numpy_function": "tapeflow.api.pyfunc",
              "explain_gradient": "tapeflow.tracer.explain"}
# What those import, and a tape step does not need.
HEAVY = ["tapeflow.checkpoint", "tapeflow.viz", "tapeflow.summary.writer",
         "tapeflow.saved_model.save", "tapeflow.tracer.random", "numpy.random", "zipfile",
         "socket"]


def test_import_tapeflow_leaves_the_rarer_namespaces_for_first_use():
    loaded = _modules_after("import tapeflow")
    modules = [*LAZY_NAMESPACES.values(), *LAZY_NAMES.values(), *HEAVY]
    assert [module for module in modules if module in loaded] == []


def test_a_tape_step_loads_none_of_them():
    loaded = _modules_after("""
import tapeflow as tf
w = tf.Variable(tf.ones((3, 2)))
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(tf.nn.relu(tf.constant([[1.0, 2.0, 3.0]]) @ w))
tape.gradient(loss, w)
tf.function(lambda x: x * 2)(tf.zeros(2))
""")
    modules = [*LAZY_NAMESPACES.values(), *LAZY_NAMES.values(), *HEAVY]
    assert [module for module in modules if module in loaded] == []


@pytest.mark.parametrize("name", list(LAZY_NAMES))
def test_a_lazy_name_is_there_on_first_access(name):
    code = f"""
import tapeflow as tf
from {LAZY_NAMES[name]} import {name} as expected
assert "{name}" in dir(tf)
assert tf.{name} is expected
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("first", ["import tapeflow.saved_model.format",
                                   "import tapeflow.summary.records", ""])
def test_saved_model_and_summary_are_their_packages_whatever_is_imported_first(first):
    code = f"""
{first}
import tapeflow as tf
import tapeflow.saved_model.load, tapeflow.summary.writer
assert tf.saved_model is tapeflow.saved_model and tf.saved_model.save.__module__.endswith("save")
assert tf.summary is tapeflow.summary and callable(tf.summary.scalar)
assert callable(tf.summary.experimental.set_step) and callable(tf.saved_model.load)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_the_global_seed_holds_with_a_lazily_made_generator():
    code = """
import tapeflow as tf
def order():  # an unseeded shuffle draws its seed from the global generator
    return [int(x) for x in tf.data.Dataset.range(8).shuffle(8)]
tf.random.set_seed(5)
a = order()
tf.random.set_seed(5)
assert order() == a and sorted(a) == list(range(8))
assert order() != a or order() != a  # unseeded draws go on from there
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("name", list(LAZY_NAMESPACES))
def test_a_lazy_namespace_is_there_on_first_access(name):
    code = f"""
import tapeflow as tf
import {LAZY_NAMESPACES[name]} as expected
assert "{name}" in dir(tf)
assert tf.{name} is expected, tf.{name}
from tapeflow import {name}
assert {name} is expected
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_a_keras_model_works_after_the_lazy_import():
    code = """
import numpy as np
import tapeflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
print(model(np.ones((1, 3), np.float32)).shape)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(1, 2)"


def test_an_unknown_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_an_op'"):
        tf.not_an_op
