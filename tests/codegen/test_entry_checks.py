"""The compiled entry refuses inputs its native code would misread (codegen/abi.py:
EntryABI.check), and a graph compiled kernel by kernel calls numpy's BLAS right for a
product of a value with itself."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph
from tapeflow.graph.interp import evaluate

pytestmark = pytest.mark.slow


def _graph(fn, *arrays):
    return tf.function(fn).get_concrete_function(*[tf.constant(a) for a in arrays]).graph


def _sum_and_product(x, y):
    return tf.reduce_sum(x * 2.0) + tf.reduce_sum(tf.matmul(y, y)), x + 1.0


@pytest.mark.parametrize("mode", ["inline", "kernels"])
def test_inputs_other_than_the_compiled_ones_are_refused_before_native_code(mode, tmp_path):
    x, y = np.arange(4.0), np.ones((3, 3))
    kernel = compile_graph(_graph(_sum_and_product, x, y), cache_dir=tmp_path, mode=mode)
    assert kernel(x, y)[0] == 12.0 + 27.0
    refused = [
        ((y, x), ValueError, r"input 0 is float64\[3, 3\], expected a C-contiguous, "
                             r"writeable float64\[4\] ndarray"),
        ((np.arange(3.0), y), ValueError, r"input 0 is float64\[3\]"),  # same rank
        ((x.astype(np.float32), y), TypeError, r"input 0 is float32\[4\]"),
        ((list(x), y), TypeError, "input 0 is a list"),
        ((np.arange(8.0)[::2], y), ValueError, "not C-contiguous"),
        ((x,), TypeError, "1 inputs, expected 2"),
    ]
    for args, error, message in refused:
        with pytest.raises(error, match=message):
            kernel(*args)
    assert kernel(x, y)[0] == 39.0  # and it still works


def test_inputs_in_the_wrong_order_raise_and_do_not_crash_the_process(tmp_path):
    # Kernel by kernel, the entry calls each kernel's native entry point directly, which
    # trusts its arguments' rank: (200, 200) where (4,) was compiled read out of bounds
    # (a segfault) before the entry checked its inputs. In a child, so a crash is a failure
    # here and not the test run's end.
    script = textwrap.dedent("""
        import numpy as np
        import tapeflow as tf
        from tapeflow.codegen.compile import compile_graph

        def f(x, y):
            return tf.reduce_sum(x * 2.0) + tf.reduce_sum(tf.matmul(y, y)), x + 1.0

        x, y = np.arange(4.0), np.ones((200, 200))
        graph = tf.function(f).get_concrete_function(tf.constant(x), tf.constant(y)).graph
        kernel = compile_graph(graph, mode="kernels")
        try:
            kernel(y, x)
        except ValueError as e:
            print("refused:", e)
    """)
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused: compiled graph: input 0 is float64[200, 200]" in done.stdout


def test_a_blas_product_of_a_value_with_itself_kernel_by_kernel(tmp_path):
    # w @ w passes its one distinct operand to the product's call: np.dot(w) raised
    # "dot() missing 1 required positional argument" in every graph compiled kernel by
    # kernel (large graphs) with such a product above the loops' size (TINY_MATMUL).
    def f(w):
        with tf.GradientTape() as tape:
            tape.watch(w)
            y = tf.reduce_sum(tf.matmul(w, w) * w)
        return y, tape.gradient(y, w)

    w = np.random.default_rng(0).uniform(-1, 1, (16, 16))
    graph = _graph(f, w)
    got = compile_graph(graph, cache_dir=tmp_path, mode="kernels")(w)
    for g, want in zip(got, evaluate(graph, [w])):
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[0], np.sum((w @ w) * w), rtol=1e-12)
