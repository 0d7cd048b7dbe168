"""Matrix products in generated code: compiled == interpreter for the forms the emitter picks
(np.dot's fresh result, transposes read by matmuls passed as `x.T` views, batched products
written in place), over odd shapes, size-1 dimensions, broadcast batches and both float
dtypes."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph
from tapeflow.codegen.emit import generate_source
from tapeflow.graph.interp import evaluate

pytestmark = pytest.mark.slow


def _compiled_and_interpreted(fn, arrays, cache_dir):
    graph = tf.function(fn).get_concrete_function(*[tf.constant(a) for a in arrays]).graph
    entry = compile_graph(graph, cache_dir=cache_dir)
    # As the runtime does: constants reach native code C-contiguous.
    got = entry(*arrays, *[np.asarray(c, order="C") for _, c in graph.consts])
    return graph, got, evaluate(graph, arrays)


def _assert_close(got, want, dtype):
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)


def _grads_of_product(a, b):
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        loss = tf.reduce_sum(tf.tanh(a @ b) * 0.5)
    return (loss, *tape.gradient(loss, [a, b]))  # dA = G B^T, dB = A^T G


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(3, 4, 5), (1, 4, 5), (3, 1, 5), (3, 4, 1), (1, 1, 1),
                                   (7, 13, 2)])
def test_matmul_gradients_read_transposed_operands_as_views(m, k, n, dtype, tmp_path):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.normal(size=(m, k)).astype(dtype)
    b = rng.normal(size=(k, n)).astype(dtype)
    graph, got, want = _compiled_and_interpreted(_grads_of_product, [a, b], tmp_path)
    source = generate_source(graph)
    assert source.count(".T  # a view") == 2  # B^T and A^T: no copies
    assert "[:, :] = np.dot" not in source  # np.dot's result is used, not copied
    _assert_close(got, want, dtype)


def test_a_transpose_that_is_returned_or_read_elsewhere_stays_a_copy(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 3)).astype(np.float32)
    b = rng.normal(size=(4, 2)).astype(np.float32)

    def f(a, b):
        at = tf.transpose(a)
        return at, at @ b, tf.transpose(b) * 2.0, tf.transpose(b) @ a

    graph, got, want = _compiled_and_interpreted(f, [a, b], tmp_path)
    source = generate_source(graph)
    # `at` is returned and b^T is read by a multiplication: both stay C-contiguous copies
    # (cse merges the two transposes of b into one value).
    assert ".T  # a view" not in source
    _assert_close(got, want, np.float32)
    assert got[0].flags.c_contiguous


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_shape,b_shape", [
    ((2, 3, 4), (4, 5)),  # a batch against one matrix
    ((3, 4), (2, 4, 1)),
    ((2, 1, 3, 4), (5, 4, 2)),  # batch dimensions broadcast both ways
    ((1, 1, 1), (1, 1, 1)),
])
def test_batched_products_and_their_gradients(a_shape, b_shape, dtype, tmp_path):
    rng = np.random.default_rng(len(a_shape) * 10 + len(b_shape))
    a = rng.normal(size=a_shape).astype(dtype)
    b = rng.normal(size=b_shape).astype(dtype)
    graph, got, want = _compiled_and_interpreted(_grads_of_product, [a, b], tmp_path)
    assert "np.dot(" in generate_source(graph)
    _assert_close(got, want, dtype)


def test_integer_products_with_a_transposed_operand(tmp_path):
    a = np.arange(12, dtype=np.int32).reshape(4, 3) - 5
    b = np.arange(8, dtype=np.int32).reshape(4, 2)

    def f(a, b):
        return (tf.transpose(a) @ b,)

    graph, got, want = _compiled_and_interpreted(f, [a, b], tmp_path)
    assert ".T  # a view" in generate_source(graph)  # the loops read the view in place
    np.testing.assert_array_equal(got[0], want[0])


def test_a_two_layer_network_step_matches_the_interpreter_in_float64(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(9, 7))
    y = np.eye(3)[rng.integers(0, 3, size=9)]
    w1, b1 = rng.normal(size=(7, 5)), rng.normal(size=5)
    w2, b2 = rng.normal(size=(5, 3)), rng.normal(size=3)

    def step(x, y, w1, b1, w2, b2):
        params = [w1, b1, w2, b2]
        with tf.GradientTape() as tape:
            tape.watch(params)
            logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
            loss = tf.reduce_mean(-tf.reduce_sum(y * tf.nn.log_softmax(logits), -1))
        grads = tape.gradient(loss, params)
        return (loss, *[p - 0.1 * g for p, g in zip(params, grads)])

    graph, got, want = _compiled_and_interpreted(step, [x, y, w1, b1, w2, b2], tmp_path)
    _assert_close(got, want, np.float64)
