"""Kernels as the unit of compilation: named by their structure, compiled once, shared by
graphs, functions and processes; large graphs compile; a failing kernel is named."""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen import compile as cc
from tapeflow.codegen.emit import generate_source, plan_program
from tapeflow.runtime.backends import CompileFallbackWarning

from ._helpers import deep_mlp_step as _mlp

pytestmark = pytest.mark.slow


def _data(batch: int, width: int = 16):
    rng = np.random.default_rng(batch)
    return (rng.normal(size=(batch, width)).astype(np.float32),
            rng.normal(size=(batch, width)).astype(np.float32))


def test_identical_layers_compile_one_kernel(tmp_path):
    step, _ = _mlp(12, width=24)
    x, y = _data(8, 24)
    graph = step.get_concrete_function(x, y).graph
    program = plan_program(graph, split=True)
    fp = cc.fingerprint()
    keys = [call.kernel.key(fp) for call in program.calls()]
    assert len(keys) > 40 and len(set(keys)) <= 12  # layers share their kernels
    before = len(cc.compile_log)
    kernel = cc.compile_graph(graph, cache_dir=tmp_path, mode="kernels")
    logged = [(key, types) for key, _, types in cc.compile_log[before:]]
    assert len(logged) == len(set(logged))  # each distinct kernel compiled (or loaded) once
    assert {key for key, _ in logged} <= set(keys)
    assert "k_" in generate_source(graph)  # the program is written as kernels and calls
    inputs = [x, y] + [v.numpy() for v in step.get_concrete_function(x, y).traced.captured]
    got = kernel(*inputs)
    want = [np.asarray(o) for o in _interpret(graph, inputs)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


def _interpret(graph, inputs):
    from tapeflow.graph.interp import Interpreter

    return Interpreter(graph).run(*inputs)


def test_two_functions_share_their_kernels_and_compile_each_once():
    first, _ = _mlp(8, width=20, lr=0.01, seed=1)
    second, _ = _mlp(8, width=20, lr=0.05, seed=2)  # other values, same structure
    x, y = _data(8, 20)
    first(x, y)
    start = len(cc.compile_log)
    first(x, y)
    # Within one graph, each distinct kernel signature is compiled (or loaded) once.
    signatures = [(key, types) for key, _, types in cc.compile_log[start:]]
    assert len(signatures) == len(set(signatures))
    assert first.get_concrete_function(x, y).executor.entry is not None
    before = len(cc.compile_log)
    second(x, y)
    loss = second(x, y)
    assert second.get_concrete_function(x, y).executor.entry is not None
    assert cc.compile_log[before:] == []  # every kernel was there already
    assert np.isfinite(loss.numpy())


TWO_PROCESSES = textwrap.dedent("""
    import numpy as np
    import tapeflow as tf
    from tapeflow.codegen import compile as cc
    rng = np.random.default_rng(0)
    ws = [tf.Variable(rng.normal(size=(12, 12)).astype(np.float32) / 4) for _ in range(9)]

    @tf.function(compile="sync")
    def step(x):
        with tf.GradientTape() as tape:
            h = x
            for w in ws:
                h = tf.tanh(h @ w)
            loss = tf.reduce_sum(h * h)
        for w, g in zip(ws, tape.gradient(loss, ws)):
            w.assign_sub(0.01 * g)
        return loss

    x = np.ones((4, 12), np.float32)
    step(x)
    loss = step(x)
    assert step.get_concrete_function(x).executor.entry is not None
    hows = [how for _, how, _ in cc.compile_log]
    print(float(loss), hows.count("compiled"), hows.count("loaded"))
""")


def test_a_second_process_loads_every_kernel_instead_of_compiling(tmp_path):
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path))

    def run():
        out = subprocess.run([sys.executable, "-c", TWO_PROCESSES], env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        return float(out[0]), int(out[1]), int(out[2])

    loss1, compiled1, loaded1 = run()
    assert compiled1 > 0 and loaded1 == 0
    loss2, compiled2, loaded2 = run()
    assert (compiled2, loaded2) == (0, compiled1)
    assert loss1 == loss2


def test_a_2000_equation_graph_compiles_natively():
    step, _ = _mlp(140, width=8)
    x, y = _data(4, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)
        step(x, y)
        concrete = step.get_concrete_function(x, y)
        assert len(concrete.graph.eqns) >= 2000
        before = [v.numpy().copy() for v in concrete.traced.captured]
        loss = step(x, y)
    assert concrete.executor.entry is not None  # native code, not the interpreter
    inputs = [x, y] + before
    want = _interpret(concrete.graph, inputs)
    np.testing.assert_allclose(loss.numpy(), want[0], rtol=1e-4)


def test_a_new_batch_size_reuses_the_compiled_kernels():
    spec = [tf.TensorSpec([None, 16], tf.float32)] * 2
    step, _ = _mlp(8, width=16, seed=3, input_signature=spec)
    step(*_data(8))
    step(*_data(8))  # compiles
    before = len(cc.compile_log)
    x, y = _data(13)
    step(x, y)
    assert cc.compile_log[before:] == []
    assert np.isfinite(step(x, y).numpy())


def test_loop_and_blas_update_kernels_compile_without_reference_counting(tmp_path):
    # They allocate and return nothing: Numba's NRT would only add increfs and a MemInfo per
    # array per call (kernels.py). (Structured kernels, which make their results, keep it.)
    from tapeflow.codegen.pipeline import KernelCompiler

    step, _ = _mlp(4, width=16, seed=5)
    x, y = _data(8)
    graph = step.get_concrete_function(x, y).graph
    kernel = cc.compile_graph(graph, cache_dir=tmp_path, mode="kernels")
    kinds = {call.kernel.kind for call in kernel.program.calls()}
    assert {"loop", "gemm"} <= kinds
    assert kernel.modules
    for module in kernel.modules:  # every kernel of this step is a loop or a BLAS update
        assert module.kernel._compiler.pipeline_class is KernelCompiler
        assert module.kernel.targetoptions.get("_nrt") is False
    inputs = [x, y] + [v.numpy() for v in step.get_concrete_function(x, y).traced.captured]
    for g, w in zip(kernel(*inputs), _interpret(graph, inputs)):
        np.testing.assert_allclose(g, np.asarray(w), rtol=2e-5, atol=1e-6)


def test_a_kernel_numba_cannot_compile_names_its_ops_and_lines(monkeypatch):
    from tapeflow.ops.core import Scalar
    from tapeflow.ops.elementwise import tan_p

    # A lowering that does not type: Numba fails on the kernel that holds it.
    monkeypatch.setattr(tan_p, "lowering", Scalar(lambda x: f"np.no_such_function({x})"))
    x = np.linspace(-1, 1, 7).astype(np.float32)
    f = tf.function(lambda x: tf.tan(x * 3.0) + 1.0)
    f(x)
    with pytest.warns(CompileFallbackWarning, match=r"kernel.*mul, tan, add.*test_kernels"):
        got = f(x)
    np.testing.assert_allclose(got.numpy(), np.tan(x * 3) + 1, rtol=1e-6)


def test_the_emitted_w4_module_reads_with_ir_comments_and_headed_kernels():
    from tapeflow.codegen.emit import kernel_sources

    rng = np.random.default_rng(0)
    params = [tf.Variable(rng.normal(size=s).astype(np.float32))
              for s in [(12, 8), (8,), (8, 3), (3,)]]

    def step(x, labels):
        w1, b1, w2, b2 = params
        with tf.GradientTape() as tape:
            logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))
        for p, g in zip(params, tape.gradient(loss, params)):
            p.assign_sub(0.1 * g)
        return loss

    x, labels = rng.normal(size=(5, 12)).astype(np.float32), np.array([0, 1, 2, 1, 0], np.int32)
    graph = tf.function(step).get_concrete_function(x, labels).graph
    source = generate_source(graph)
    lines = source.splitlines()
    # Every kernel is headed by its fused group and the user lines in it ...
    headings = [line.strip() for line in lines if line.strip().startswith("# loop kernel")]
    assert any(h.startswith("# loop kernel over [5,8]: add, gt, select; from test_kernels.py:")
               for h in headings)
    # ... and each IR line is a comment above the code it became.
    ir = [line for line in lines if line.strip().startswith("# ") and " = " in line
          and "test_kernels.py:" in line]
    assert len(ir) >= len(graph.eqns) - 2  # transposes read as views keep their line too
    assert "def entry(" in source
    per_kernel = kernel_sources(graph)
    assert per_kernel and all(src.startswith("@numba.njit") for _, src in per_kernel)
    assert all("test_kernels.py:" in heading for heading, _ in per_kernel
               if "copy" not in heading)
