"""Matrix products in generated code: compiled == interpreter for the forms the emitter picks
(a fresh product from BLAS, transposes read by matmuls passed as `x.T` views, batched products
written in place), over odd shapes, size-1 dimensions, broadcast batches and both float
dtypes."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.emit import generate_source
from tapeflow.ops import linalg

from ._helpers import assert_close, compiled_and_interpreted

pytestmark = pytest.mark.slow


@pytest.fixture(params=["blas", "loops"])
def product_path(request, monkeypatch):
    """Run a test with float products through BLAS (np.dot) and written as loops (the
    lowering's choice for tiny products), whatever their size."""
    monkeypatch.setattr(linalg, "TINY_MATMUL", 0 if request.param == "blas" else 10**9)
    return request.param


def _grads_of_product(a, b):
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        loss = tf.reduce_sum(tf.tanh(a @ b) * 0.5)
    return (loss, *tape.gradient(loss, [a, b]))  # dA = G B^T, dB = A^T G


def _calls_blas(source: str) -> bool:
    """Whether generated code computes a product by a BLAS call of its own (blas_matmul for
    a 2-D product, np.dot into each slice of a batched one)."""
    return "blas_matmul(" in source or "np.dot(" in source


def test_a_2d_product_calls_blas_without_np_dot(tmp_path):
    """A 2-D float product is blas_matmul (np.dot's BLAS call, without the Numba compile of
    np.dot's own lowering), with transposed operands passed as views, and gives np.dot's
    bits."""
    rng = np.random.default_rng(7)
    a = rng.normal(size=(20, 30)).astype(np.float32)
    b = rng.normal(size=(20, 40)).astype(np.float32)
    graph, got, want = compiled_and_interpreted(
        lambda a, b: (tf.transpose(a) @ b, b @ tf.transpose(tf.transpose(a) @ b)), [a, b],
        tmp_path)
    source = generate_source(graph)
    assert "blas_matmul(" in source and "np.dot(" not in source
    assert got[0].flags.c_contiguous and got[1].flags.c_contiguous
    assert_close(got, want, np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blas_matmul_gives_the_bits_of_numbas_np_dot(dtype):
    """blas_matmul makes the BLAS call Numba's np.dot makes, for each layout of the
    operands (F-contiguous: a transposed view)."""
    import numba

    from tapeflow.codegen.blas import blas_matmul

    ours = numba.njit(lambda a, b: blas_matmul(a, b))
    numbas = numba.njit(lambda a, b: np.dot(a, b))
    rng = np.random.default_rng(3)
    c = rng.normal(size=(33, 17)).astype(dtype)
    f = np.asfortranarray(rng.normal(size=(33, 17)).astype(dtype))
    for a, b in [(c, c.T.copy()), (c.T, c), (c, f.T), (f.T, f)]:
        got = ours(a, b)
        assert got.flags.c_contiguous and got.dtype == dtype
        np.testing.assert_array_equal(got, numbas(a, b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(3, 4, 5), (1, 4, 5), (3, 1, 5), (3, 4, 1), (1, 1, 1),
                                   (7, 13, 2)])
def test_matmul_gradients_read_transposed_operands_as_views(m, k, n, dtype, product_path,
                                                            tmp_path):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.normal(size=(m, k)).astype(dtype)
    b = rng.normal(size=(k, n)).astype(dtype)
    graph, got, want = compiled_and_interpreted(_grads_of_product, [a, b], tmp_path)
    source = generate_source(graph)
    assert source.count(".T  # a view") == 2  # B^T and A^T: no copies
    assert "[:, :] = blas_matmul" not in source  # the product's result is used, not copied
    assert_close(got, want, dtype)


def test_a_transpose_that_is_returned_or_read_elsewhere_stays_a_copy(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 3)).astype(np.float32)
    b = rng.normal(size=(4, 2)).astype(np.float32)

    def f(a, b):
        at = tf.transpose(a)
        return at, at @ b, tf.transpose(b) * 2.0, tf.transpose(b) @ a

    graph, got, want = compiled_and_interpreted(f, [a, b], tmp_path)
    source = generate_source(graph)
    # `at` is returned and b^T is read by a multiplication: both stay C-contiguous copies
    # (cse merges the two transposes of b into one value).
    assert ".T  # a view" not in source
    assert_close(got, want, np.float32)
    assert got[0].flags.c_contiguous


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_shape,b_shape", [
    ((2, 3, 4), (4, 5)),  # a batch against one matrix
    ((3, 4), (2, 4, 1)),
    ((2, 1, 3, 4), (5, 4, 2)),  # batch dimensions broadcast both ways
    ((1, 1, 1), (1, 1, 1)),
])
def test_batched_products_and_their_gradients(a_shape, b_shape, dtype, product_path,
                                             tmp_path):
    rng = np.random.default_rng(len(a_shape) * 10 + len(b_shape))
    a = rng.normal(size=a_shape).astype(dtype)
    b = rng.normal(size=b_shape).astype(dtype)
    graph, got, want = compiled_and_interpreted(_grads_of_product, [a, b], tmp_path)
    assert _calls_blas(generate_source(graph)) == (product_path == "blas")
    assert_close(got, want, dtype)


def test_tiny_products_are_loops_and_larger_ones_blas(tmp_path):
    """The default threshold: a (1,3)@(3,2) product (the seed linear model's) is written as
    loops, a 16x16x16 one calls BLAS."""
    rng = np.random.default_rng(4)
    for (m, k, n), blas in [((1, 3, 2), False), ((16, 16, 16), True)]:
        a = rng.normal(size=(m, k)).astype(np.float32)
        b = rng.normal(size=(k, n)).astype(np.float32)
        graph, got, want = compiled_and_interpreted(lambda a, b: (a @ b,), [a, b], tmp_path)
        assert _calls_blas(generate_source(graph)) == blas
        assert_close(got, want, np.float32)


def test_integer_products_with_a_transposed_operand(tmp_path):
    a = np.arange(12, dtype=np.int32).reshape(4, 3) - 5
    b = np.arange(8, dtype=np.int32).reshape(4, 2)

    def f(a, b):
        return (tf.transpose(a) @ b,)

    graph, got, want = compiled_and_interpreted(f, [a, b], tmp_path)
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

    _, got, want = compiled_and_interpreted(step, [x, y, w1, b1, w2, b2], tmp_path)
    assert_close(got, want, np.float64)


UPDATES = {
    "c - s * (a @ b)": lambda a, b, c, s: c - s * (a @ b),
    "c + (a @ b) * s": lambda a, b, c, s: c + (a @ b) * s,
    "a @ b + c": lambda a, b, c, s: a @ b + c,
    "c - a @ b": lambda a, b, c, s: c - a @ b,
    "c - s * (a^T @ b)": lambda a, b, c, s: c - s * (tf.transpose(a) @ b),
    "c - s * (a @ b^T)": lambda a, b, c, s: c - s * (a @ tf.transpose(b)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(6, 5, 4), (1, 5, 4), (6, 1, 4), (6, 5, 1), (1, 1, 1)])
@pytest.mark.parametrize("form", list(UPDATES))
def test_updates_of_a_product_run_as_one_blas_call(form, m, k, n, dtype, monkeypatch,
                                                   tmp_path):
    monkeypatch.setattr(linalg, "TINY_MATMUL", 0)  # these small products would be loops
    rng = np.random.default_rng(m + 10 * k + 100 * n)
    a_shape = (k, m) if "a^T" in form else (m, k)
    b_shape = (n, k) if "b^T" in form else (k, n)
    a, b = rng.normal(size=a_shape).astype(dtype), rng.normal(size=b_shape).astype(dtype)
    c, s = rng.normal(size=(m, n)).astype(dtype), np.array(0.3, dtype)
    c.flat[-1] = np.nan  # the updated array's NaN survives BLAS's beta * c
    graph, got, want = compiled_and_interpreted(
        lambda a, b, c, s: (UPDATES[form](a, b, c, s),), [a, b, c, s], tmp_path)
    source = generate_source(graph)
    assert "gemm_into(" in source and not _calls_blas(source)
    assert_close(got, want, dtype)
    assert np.isnan(got[0].flat[-1])


def test_a_product_read_elsewhere_or_a_broadcast_update_stays_np_dot(tmp_path):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5))
    c, row, s = rng.normal(size=(4, 5)), rng.normal(size=5), np.array(0.5)

    def f(a, b, c, row, s):
        p = a @ b
        return c - s * p, p  # the product is returned: it must be stored

    def g(a, b, c, row, s):
        return (row - s * (a @ b),)  # the updated array would be broadcast

    for fn in (f, g):
        graph, got, want = compiled_and_interpreted(fn, [a, b, c, row, s], tmp_path)
        assert "gemm_into(" not in generate_source(graph)
        assert_close(got, want, np.float64)
