"""`import tapeflow` leaves out what only some programs need: ml_dtypes (bfloat16) and
scipy.special (erf) are imported on first use, and bfloat16 works the same once they are; the
tf.keras, tf.data, tf.train, tf.image and tf.profiler namespaces load on first access."""

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
                   "profiler": "tapeflow.api.profiler"}


def test_import_tapeflow_leaves_the_rarer_namespaces_for_first_use():
    loaded = _modules_after("import tapeflow")
    assert not [module for module in LAZY_NAMESPACES.values() if module in loaded]


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
