"""Random programs at sizes where compiled matrix products call BLAS.

The differential fuzzer's programs (programs.py) have dimensions of at most 3, so every
matrix product there is a tiny one that compiled code writes as loops (TINY_MATMUL), and
the BLAS paths are never drawn: kernel by kernel (large graphs) a product is numpy's np.dot
called from the generated Python entry, in one function it is blas_matmul. Here the same
recipes run over 24x20 and 20x24 inputs, with smooth float32 and float64 values, compiled
both ways, and agree with eager to the fuzzer's tolerances. (A product of a value with
itself, w @ w, once raised a TypeError kernel by kernel: the first example.)
"""

import os
import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tapeflow as tf
from tapeflow.codegen import compile as codegen_compile
from tapeflow.runtime.backends import CompileFallbackWarning

from . import programs as fuzz

SHAPES = [(24, 20), (20,), (20, 24)]  # a, b, c: a @ c is 24x24, so (a @ c) @ (a @ c) exists
KINDS = ("unary", "binary", "reduce", "matmul", "transpose", "softmax")
UNARY = ("tanh", "sin", "neg", "abs", "sigmoid", "square", "exp_small")
BINARY = ("add", "sub", "mul", "maximum", "minimum")
REDUCE = ("reduce_sum", "reduce_mean", "reduce_max", "reduce_logsumexp")
SCALE = int(os.environ.get("TAPEFLOW_FUZZ_EXAMPLES", "100")) / 100


def _step(steps):
    def step(a, b, c):
        with tf.GradientTape() as tape:
            tape.watch([a, b, c])
            loss, last = fuzz.run_steps(steps, a, b, c)
        return [loss, last, *tape.gradient(loss, [a, b, c], unconnected_gradients="zero")]

    return step


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["kernels", "inline"])
@settings(max_examples=max(1, int(4 * SCALE)), deadline=None, database=None,
          derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(steps=fuzz.recipes(SHAPES, KINDS, min_steps=2, max_steps=4, unary=UNARY, binary=BINARY,
                          reduce=REDUCE),
       seed=st.integers(0, 2**16))
@example(steps=(("matmul", 0, 2), ("matmul", 3, 3)), seed=0)
def test_programs_with_blas_products_agree_with_eager_compiled(mode, dtype, steps, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.5, 1.5, size=s).astype(dtype) for s in SHAPES]
    step = _step(steps)
    want = [np.asarray(t) for t in step(*[tf.constant(x) for x in arrays])]
    compiled = tf.function(step, backend="numba", compile="sync")
    inline = mock.patch.object(codegen_compile, "compiles_inline", lambda p: mode == "inline")
    with inline, warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)  # native code or a failure
        for _ in range(2):  # the second call runs native code
            got = [np.asarray(t) for t in compiled(*[tf.constant(x) for x in arrays])]
    rtol, atol = fuzz.TOLERANCE[dtype]
    for n, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype, f"output {n}"
        scale = float(np.max(np.abs(w), initial=1.0))
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol * scale, err_msg=f"output {n}")
