"""The generated entry's calling convention (codegen/abi.py): 0-d constants as literals,
0-d outputs written into buffers the caller passes."""

import re

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.abi import EntryABI, literal
from tapeflow.codegen.emit import generate_source

from ._helpers import compiled_and_interpreted

F32, F64 = np.finfo(np.float32), np.finfo(np.float64)
SPECIAL = [0.1, -0.0, 1e-45, F32.max, F32.smallest_subnormal, np.nan, np.inf, -np.inf]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value", SPECIAL)
def test_a_float_literal_is_the_constant_itself(dtype, value):
    const = np.array(value, dtype)
    text = literal(const)
    got = eval(text, {"np": np})  # noqa: S307 - our own generated text
    assert type(got) is dtype
    assert (np.isnan(got) and np.isnan(const)) or (
        got == const and np.signbit(got) == np.signbit(const))


@pytest.mark.parametrize("const", [
    np.array(True), np.array(np.iinfo(np.int32).min, np.int32),
    np.array(np.iinfo(np.int64).max, np.int64), np.array(np.iinfo(np.uint8).max, np.uint8),
])
def test_integer_and_bool_literals(const):
    got = eval(literal(const), {"np": np})  # noqa: S307
    assert got == const and got.dtype == const.dtype


def test_arrays_and_other_dtypes_stay_arguments():
    assert literal(np.zeros(3, np.float32)) is None
    assert literal(np.array(1.0, np.float16)) is None
    assert literal(np.array(1 + 2j)) is None


def test_the_abi_splits_constants_and_outputs():
    def f(x):
        return tf.reduce_sum(x * 0.5 + tf.constant([1.0, 2.0, 3.0])), x * 2.0

    graph = tf.function(f).get_concrete_function(tf.constant(np.ones(3, np.float32))).graph
    abi = EntryABI.of(graph)
    assert [c.shape for c in abi.consts] == [(3,)]  # 0.5 and 2.0 are literals
    assert abi.written == (0, 1) and abi.returned == ()  # both made by fused loops
    source = generate_source(graph)
    assert "np.float32(0.5)" in source and "np.float32(2.0)" in source
    assert source.count("# an output, written in place") == 2


@pytest.mark.slow
@pytest.mark.parametrize("value", SPECIAL)
def test_special_literals_compute_as_the_interpreter(value, tmp_path):
    x = np.array([1.0, -2.0, 0.0], np.float32)

    def f(x):
        c = tf.constant(value, tf.float32)
        return x * c, tf.reduce_max(x) + c, c

    graph, got, want = compiled_and_interpreted(f, [x], tmp_path)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


@pytest.mark.slow
def test_zero_d_outputs_of_every_origin(tmp_path):
    """A 0-d output computed by a fused loop (in place), one made by a structured
    lowering, an input and a constant returned as they are, one value returned twice."""
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    s = np.array(4.0)

    def f(x, s):
        total = tf.reduce_sum(x * s)
        picked = tf.reshape(x, [6])[4]  # a slice and a reshape: structured lowerings
        return total, picked, s, tf.constant(7.0, tf.float64), total, x + s

    graph, got, want = compiled_and_interpreted(f, [x, s], tmp_path)
    assert len(got) == 6
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    assert not np.shares_memory(got[2], s)  # an input returned is a fresh buffer
    assert not np.shares_memory(got[0], got[4])  # each output position its own


@pytest.mark.slow
def test_compiled_scalar_results_are_not_reused_by_the_next_call():
    @tf.function(backend="numba")
    def f(x):
        return tf.reduce_sum(x), x[0]

    first = f(tf.constant([1.0, 2.0]))
    second = f(tf.constant([3.0, 4.0]))
    third = f(tf.constant([5.0, 6.0]))
    assert [float(t) for t in first] == [3.0, 1.0]
    assert [float(t) for t in second] == [7.0, 3.0]
    assert [float(t) for t in third] == [11.0, 5.0]


@pytest.mark.slow
def test_array_outputs_written_in_place_or_returned(tmp_path, monkeypatch):
    """Row and column sums, an elementwise value returned twice and an SGD update by BLAS
    are written into buffers; a product (np.dot's result) and an input are returned."""
    from tapeflow.ops import linalg

    monkeypatch.setattr(linalg, "TINY_MATMUL", 0)  # these small products go to BLAS
    rng = np.random.default_rng(7)
    a, b, c, d = (rng.normal(size=s) for s in [(4, 3), (3, 5), (4, 5), (3, 5)])

    def f(a, b, c, d):
        e = tf.exp(c)
        return (tf.reduce_sum(e, axis=1), tf.reduce_sum(e, axis=0), e, e, a @ b, a,
                c - 0.5 * (a @ d))

    graph, got, want = compiled_and_interpreted(f, [a, b, c, d], tmp_path)
    abi = EntryABI.of(graph)
    assert abi.returned == (4, 5)  # np.dot's result; the input a
    assert abi.written == (0, 1, 2, 3, 6)
    source = generate_source(graph)
    assert "gemm_into(" in source
    # Copies into buffers are loops: Numba's `a[...] = b` compiles an error path for
    # mismatched shapes that took ~2.5 s (scalar fills are cheap).
    assert not re.search(r"\[\.\.\.\] = [a-z]+_?$", source, re.MULTILINE)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    assert not np.shares_memory(got[2], got[3])
