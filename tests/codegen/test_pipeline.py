"""Generated loop, BLAS-update and copy kernels compile with pipeline.KernelCompiler, Numba's
pipeline less the passes for Python they never contain: their LLVM code is exactly what
Numba's default pipeline makes."""

import re

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph
from tapeflow.codegen.llvm_passes import module_passes_only
from tapeflow.graph.interp import evaluate

from ._helpers import assert_close


def _step(x, w1, w2, y):
    # Loop kernels with sums, column sums and a 0-d epilogue, a BLAS update (SGD on w1),
    # sin (its out-of-range check raises), a copy of an input into an output.
    with tf.GradientTape() as tape:
        tape.watch([w1, w2])
        h = tf.tanh(x @ w1)
        loss = tf.reduce_mean((h @ w2 - y) ** 2) + tf.reduce_sum(tf.sin(w2))
    g1, g2 = tape.gradient(loss, [w1, w2])
    return loss, w1 - 0.1 * g1, g2, y


def _arrays():
    rng = np.random.default_rng(0)
    return [rng.normal(size=s).astype(np.float32) for s in ((8, 16), (16, 16), (16, 4), (8, 4))]


def _graph(arrays):
    return tf.function(_step).get_concrete_function(*[tf.constant(a) for a in arrays]).graph


def _normalised(llvm: str) -> str:
    """LLVM text with Numba's mangled names (which carry a per-function counter) numbered
    in order of appearance."""
    seen: dict = {}
    return re.sub(r"_ZN[\w$.]+", lambda m: seen.setdefault(m.group(0), f"F{len(seen)}"), llvm)


@pytest.mark.slow
def test_the_lean_pipeline_makes_the_default_pipelines_llvm_code(tmp_path):
    arrays = _arrays()
    graph = _graph(arrays)
    kernel = compile_graph(graph, cache_dir=tmp_path, mode="kernels")
    assert_close(kernel(*arrays), evaluate(graph, arrays), np.float32)
    lean = [m for m in kernel.modules if "pipeline_class=KernelCompiler" in open(m.__file__).read()]
    assert len(lean) >= 3
    for module in lean:
        source = open(module.__file__).read().replace("cache=True", "cache=False")
        (types,) = module.kernel.signatures
        texts = []
        for text in (source, source.replace(", pipeline_class=KernelCompiler", "")):
            namespace: dict = {}
            exec(compile(text, f"<{module.__name__}>", "exec"), namespace)  # noqa: S102
            with module_passes_only():
                namespace["kernel"].compile(types)
            texts.append(_normalised(namespace["kernel"].inspect_llvm(types)))
        assert texts[0] == texts[1], module.__name__
