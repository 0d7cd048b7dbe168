"""Fused loops in generated code: compiled == interpreter for the patterns an MLP step makes
(bias + relu epilogues, their masks read again by the adjoint, bias gradients summed over
the batch axis, softmax rows), over odd shapes, size-1 dimensions, broadcasting and both
float dtypes; and the source keeps the forms that let LLVM vectorise."""

import re

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph
from tapeflow.codegen.emit import generate_source
from tapeflow.graph.interp import evaluate

pytestmark = pytest.mark.slow


def _run(fn, arrays, cache_dir):
    graph = tf.function(fn).get_concrete_function(*[tf.constant(a) for a in arrays]).graph
    entry = compile_graph(graph, cache_dir=cache_dir)
    got = entry(*arrays, *[np.asarray(c, order="C") for _, c in graph.consts])
    return graph, got, evaluate(graph, arrays)


def _assert_close(got, want, dtype):
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)


def _relu_layer_grads(h, b):
    with tf.GradientTape() as tape:
        tape.watch([h, b])
        y = tf.nn.relu(h + b)
        loss = tf.reduce_sum(y * y)
    return (y, *tape.gradient(loss, [h, b]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows,cols", [(5, 7), (1, 7), (5, 1), (1, 1)])
def test_relu_epilogue_and_its_masked_gradient(rows, cols, dtype, tmp_path):
    rng = np.random.default_rng(rows * 10 + cols)
    h = rng.normal(size=(rows, cols)).astype(dtype)
    h.flat[0] = np.nan  # NaN goes through relu's select as numpy's where does
    b = rng.normal(size=cols).astype(dtype)
    graph, got, want = _run(_relu_layer_grads, [h, b], tmp_path)
    _assert_close(got, want, dtype)


def test_no_array_is_read_inside_a_conditional_expression(tmp_path):
    h = np.ones((4, 3), np.float32)
    graph = tf.function(_relu_layer_grads).get_concrete_function(
        tf.constant(h), tf.constant(np.ones(3, np.float32))).graph
    source = generate_source(graph)
    selects = [line for line in source.splitlines() if " if " in line and " else " in line]
    assert selects
    # A load under `x if c else y` is conditional, and LLVM then keeps the loop scalar.
    assert not [line for line in selects if re.search(r"\w\[", line)]
