"""Fused loops in generated code: compiled == interpreter for the patterns an MLP step makes
(bias + relu epilogues, their masks read again by the adjoint, bias gradients summed over
the batch axis, softmax rows), over odd shapes, size-1 dimensions, broadcasting and both
float dtypes; and the source keeps the forms that let LLVM vectorise."""

import re

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.emit import generate_source

from ._helpers import assert_close, compiled_and_interpreted

pytestmark = pytest.mark.slow






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
    _, got, want = compiled_and_interpreted(_relu_layer_grads, [h, b], tmp_path)
    assert_close(got, want, dtype)


def test_no_array_is_read_inside_a_conditional_expression(tmp_path):
    h = np.ones((4, 3), np.float32)
    graph = tf.function(_relu_layer_grads).get_concrete_function(
        tf.constant(h), tf.constant(np.ones(3, np.float32))).graph
    source = generate_source(graph)
    selects = [line for line in source.splitlines() if " if " in line and " else " in line]
    assert selects
    # A load under `x if c else y` is conditional, and LLVM then keeps the loop scalar.
    assert not [line for line in selects if re.search(r"\w\[", line)]


def _softmax_ce_grads(logits, y):
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = tf.reduce_mean(-tf.reduce_sum(y * tf.nn.log_softmax(logits), -1))
    return loss, tape.gradient(loss, logits)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows,classes", [(6, 10), (1, 10), (6, 1), (1, 1), (3, 33)])
def test_softmax_rows_and_their_gradient(rows, classes, dtype, tmp_path):
    rng = np.random.default_rng(rows * 100 + classes)
    logits = (rng.normal(size=(rows, classes)) * 4).astype(dtype)
    y = np.eye(classes, dtype=dtype)[rng.integers(0, classes, size=rows)]
    _, got, want = compiled_and_interpreted(_softmax_ce_grads, [logits, y], tmp_path)
    assert_close(got, want, dtype)


def test_a_row_of_negative_zeros_sums_to_positive_zero_as_numpy(tmp_path):
    x = -np.zeros((3, 4), np.float32)
    _, got, want = compiled_and_interpreted(lambda x: (tf.reduce_sum(x, axis=1),), [x], tmp_path)
    assert not np.signbit(got[0]).any() and not np.signbit(want[0]).any()


def test_row_reductions_over_trailing_axes_with_nan_and_integers(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 5))
    x[1, 2, 3] = np.nan
    k = rng.integers(-9, 9, size=(4, 7)).astype(np.int32)

    def f(x, k):
        return (tf.reduce_max(x, axis=[1, 2]),  # NaN in a row gives NaN, as numpy's max
                tf.reduce_min(x, axis=2, keepdims=True),
                tf.reduce_sum(x * 2.0, axis=-1),
                tf.reduce_sum(x, axis=0),  # a leading axis: accumulated in place
                tf.reduce_sum(k, axis=1),
                tf.reduce_max(k, axis=1))

    graph, got, want = compiled_and_interpreted(f, [x, k], tmp_path)
    source = generate_source(graph)
    assert "_acc_" in source
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
        assert g.dtype == w.dtype


def test_large_softmax_rows_run_in_parallel(tmp_path):
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(4096, 64)).astype(np.float32)
    y = np.eye(64, dtype=np.float32)[rng.integers(0, 64, size=4096)]
    graph, got, want = compiled_and_interpreted(_softmax_ce_grads, [logits, y], tmp_path)
    assert "numba.prange(4096)" in generate_source(graph)  # rows own their accumulators
    assert_close(got, want, np.float32)


def _sum_of_exp(x):
    return tf.reduce_sum(tf.exp(x))


def _sum_of_sin_times_cos(x):
    return tf.reduce_sum(tf.sin(x) * tf.cos(x))


def _full_and_row_sums(x):
    e = tf.exp(x)
    return tf.reduce_sum(e), tf.reduce_sum(e, axis=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn,shape", [(_sum_of_exp, (1 << 20,)),
                                      (_sum_of_sin_times_cos, (1 << 16,)),
                                      (_full_and_row_sums, (1024, 512))])
def test_large_full_sums_compile_under_prange(fn, shape, dtype, tmp_path):
    # A float64 full sum in a loop worth running in parallel used to be a running
    # add_to_row on the total, which Numba's prange refuses ("unsupported reduction
    # function"): the graph ran on the interpreter with a CompileFallbackWarning.
    x = np.random.default_rng(7).uniform(-3, 3, size=shape).astype(dtype)
    graph, got, want = compiled_and_interpreted(fn, [x], tmp_path)
    assert "numba.prange" in generate_source(graph)
    assert_close(got, want, dtype)
