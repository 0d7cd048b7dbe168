"""prelude._empty: generated code's allocation, np.empty lowered at the call site (no function
of its own for Numba to compile per number of dimensions and dtype)."""

import numba
import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.prelude import _empty

pytestmark = pytest.mark.slow


@numba.njit
def _allocate(n, m):
    a = _empty((n, m), np.float32)
    b = _empty(n, np.float64)
    c = _empty((), np.int32)
    d = _empty((2, 3), np.bool_)
    e = _empty((n, 0, m), np.int64)
    a[:] = 1.5
    b[:] = 2.0
    c[()] = 7
    d[:] = True
    return a, b, c, d, e


def test_shapes_dtypes_and_layout_are_np_empty_s():
    a, b, c, d, e = _allocate(3, 4)
    for got, shape, dtype in [(a, (3, 4), np.float32), (b, (3,), np.float64),
                              (c, (), np.int32), (d, (2, 3), np.bool_),
                              (e, (3, 0, 4), np.int64)]:
        assert got.shape == shape and got.dtype == dtype and got.flags.c_contiguous
        assert got.flags.writeable and got.flags.aligned
    assert a.sum() == 18.0 and c[()] == 7 and d.all()


def test_a_graph_compiled_as_one_function_allocates_with_it():
    from tapeflow.codegen.emit import generate_source

    @tf.function(compile="sync")
    def step(x):
        y = tf.exp(x) * 2.0
        return tf.reduce_sum(y, axis=1), tf.transpose(y) + 1.0

    x = tf.constant(np.ones((3, 4), np.float32))
    for _ in range(2):  # the second call runs the compiled code
        total, shifted = step(x)
    source = generate_source(step.get_concrete_function(x).graph)
    assert "_empty(" in source and "np.empty(" not in source
    np.testing.assert_allclose(total.numpy(), np.full(3, 8 * np.e, np.float32), rtol=1e-6)
    np.testing.assert_allclose(shifted.numpy(), np.full((4, 3), 2 * np.e + 1, np.float32),
                               rtol=1e-6)
    assert step.get_concrete_function(x).executor.entry is not None


def test_without_numbas_internal_allocation_it_is_np_empty():
    from tapeflow.codegen import prelude

    @numba.njit
    def allocate(n):
        a = prelude._empty_as_np_empty((n, 2), np.float32)
        a[:] = 3.0
        return a

    got = allocate(2)
    assert got.dtype == np.float32 and got.shape == (2, 2) and (got == 3.0).all()
    assert prelude._empty is prelude._empty_intrinsic  # this Numba has the allocation
